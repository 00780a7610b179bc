"""A general min-cost-flow routine (primal-dual: shortest paths + maximum flows).

Used as an independent reference for the assignment methods and for arbitrary networks.
Integer capacities, costs and supplies; every shortest-path phase is one scipy
``dijkstra`` on reduced costs, followed by one scipy ``maximum_flow`` on the arcs of
zero reduced cost, so the number of phases is the number of distinct path lengths, not
the number of augmenting paths.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._exceptions import InfeasibleError, InvalidInputError

if TYPE_CHECKING:
    import scipy.sparse as sp  # type: ignore[import-untyped,unused-ignore]

__all__ = ["MinCostFlowResult", "min_cost_flow"]

IntArray = NDArray[np.int64]
_INT32_MAX = int(np.iinfo(np.int32).max)
_INT64_MAX = int(np.iinfo(np.int64).max)
#: |cost| * (n_nodes + 2) must stay within this: shortest paths run in float64 (scipy's
#: dijkstra), and every distance and potential is then below 2**53, so exact.
MAX_COST_TIMES_NODES = 2**51


@dataclass(frozen=True)
class MinCostFlowResult:
    """Optimal flow: ``flow`` per arc (input order) and its total ``cost``.

    ``phases`` counts the shortest-path phases the solver took.

    Examples
    --------
    Two units from node 0 to node 2: one along the cheap path through node 1 (capacity 1),
    one along the dear direct arc.

    >>> from matchkit.solvers import min_cost_flow
    >>> r = min_cost_flow(tail=[0, 0, 1], head=[1, 2, 2], capacity=[1, 2, 2],
    ...                   cost=[1, 4, 1], supply=[2, 0, -2])
    >>> r.flow.tolist(), r.cost, r.phases
    ([1, 1, 1], 6, 2)
    """

    flow: IntArray
    cost: int
    phases: int


def _int_array(value: ArrayLike, name: str, n: int | None = None) -> IntArray:
    arr = np.asarray(value)
    if arr.ndim != 1:
        raise InvalidInputError(f"{name} must be 1-D; got shape {arr.shape}")
    if n is not None and len(arr) != n:
        raise InvalidInputError(
            f"{name} must have {n} entries (one per arc); got {len(arr)}"
        )
    if arr.size and arr.dtype.kind not in "iu":
        if (
            arr.dtype.kind == "f"
            and np.all(np.isfinite(arr))
            and np.all(arr == np.round(arr))
        ):
            _check_int64(arr, name)
            return arr.astype(np.int64)
        raise InvalidInputError(f"{name} must hold integers; got dtype {arr.dtype}")
    if arr.dtype.kind == "u":
        _check_int64(arr, name)
    return arr.astype(np.int64)


def _check_int64(arr: NDArray[Any], name: str) -> None:
    big = np.abs(arr) >= 2.0**63 if arr.dtype.kind == "f" else arr > _INT64_MAX
    if big.any():
        i = int(np.flatnonzero(big)[0])
        raise InvalidInputError(
            f"{name}[{i}] = {arr[i]!r} does not fit a 64-bit integer (|value| < 2**63)"
        )


def _exact_sum(arr: IntArray) -> int:
    """Sum without int64 overflow."""
    return int(arr.astype(object).sum()) if arr.size else 0


def _csr(
    rows: IntArray, cols: IntArray, data: NDArray[np.generic], n: int
) -> sp.csr_matrix:
    """An n x n CSR matrix from entries already sorted by (row, column), no duplicates."""
    import scipy.sparse as sp  # type: ignore[import-untyped,unused-ignore]

    indptr = np.searchsorted(rows, np.arange(n + 1)).astype(np.int32)
    return sp.csr_matrix((data, cols.astype(np.int32), indptr), shape=(n, n))


def _check_costs(cost: IntArray, n: int) -> None:
    if not cost.size:
        return
    top = max(int(cost.max()), -int(cost.min()))
    if top * (n + 2) > MAX_COST_TIMES_NODES:
        i = int(np.argmax(np.abs(cost.astype(np.float64))))
        raise InvalidInputError(
            f"cost[{i}] = {int(cost[i])} is beyond the exact range of min_cost_flow: "
            f"|cost| * (n_nodes + 2) must be at most 2**51, so |cost| <= "
            f"{MAX_COST_TIMES_NODES // (n + 2)} with {n} nodes (its shortest paths run "
            "in float64); divide the costs by a common factor, or use networkx or OR-Tools"
        )


def _saturated_too_much(
    cap: IntArray, negative: NDArray[np.bool_], supplied: int, routed: int
) -> InvalidInputError:
    i = int(np.flatnonzero(negative)[np.argmax(cap[negative])])
    return InvalidInputError(
        f"the arcs with negative cost start saturated (capacities summing to "
        f"{_exact_sum(cap[negative])}; arc {i} alone has {int(cap[i])}), so the flow to "
        f"route is {routed} units (the total supply is {supplied}), beyond what one phase "
        "can route (2**31-1, scipy's maximum_flow works on int32). Give negative-cost "
        "arcs a capacity bounding the flow they can carry instead of a big-M"
    )


def min_cost_flow(
    tail: ArrayLike,
    head: ArrayLike,
    capacity: ArrayLike,
    cost: ArrayLike,
    supply: ArrayLike,
) -> MinCostFlowResult:
    """Minimum-cost flow meeting every supply and demand.

    Parameters
    ----------
    tail, head : array-like of int, shape (n_arcs,)
        Arc ``a`` goes from node ``tail[a]`` to node ``head[a]`` (0-based). Parallel and
        antiparallel arcs are allowed.
    capacity : array-like of int, shape (n_arcs,)
        Finite, >= 0.
    cost : array-like of int, shape (n_arcs,)
        Cost per unit of flow; may be negative.
    supply : array-like of int, shape (n_nodes,)
        Positive: the node sends that much; negative: it receives. Must sum to 0.

    Returns
    -------
    MinCostFlowResult
        ``flow`` (int64 per arc, in input order), ``cost`` and the number of phases.

    Raises
    ------
    InvalidInputError
        Bad shapes, non-integers, negative capacities, unbalanced supplies, and inputs
        beyond the supported range (see Notes).
    InfeasibleError
        If the supplies cannot all be routed; the message says how much is stranded.

    Notes
    -----
    Negative-cost arcs are saturated first and their reverse arcs used instead, so the
    residual costs start non-negative; reduced costs stay non-negative with node
    potentials. The shortest paths run in float64 (scipy's ``dijkstra``), so they are
    exact while ``|cost| * (n_nodes + 2) <= 2**51``; larger costs are refused. The flow
    to route (the total supply plus what saturated negative-cost arcs send back) must
    fit in int32 (scipy's ``maximum_flow``), at most 2**31-1. Capacities may be anything
    up to int64 on arcs with cost >= 0. The total ``cost`` is computed exactly.

    Examples
    --------
    >>> from matchkit.solvers import min_cost_flow
    >>> r = min_cost_flow(tail=[0, 0, 1, 2], head=[1, 2, 3, 3], capacity=[2, 2, 2, 2],
    ...                   cost=[1, 3, 1, 1], supply=[3, 0, 0, -3])
    >>> r.flow.tolist(), r.cost
    ([2, 1, 2, 1], 8)
    """
    from scipy.sparse.csgraph import dijkstra, maximum_flow  # type: ignore[import-untyped,unused-ignore]

    tail_a = _int_array(tail, "tail")
    n_arcs = len(tail_a)
    head_a = _int_array(head, "head", n_arcs)
    cap = _int_array(capacity, "capacity", n_arcs)
    cst = _int_array(cost, "cost", n_arcs)
    b = _int_array(supply, "supply")
    n = len(b)
    for name, arr in (("tail", tail_a), ("head", head_a)):
        bad = (arr < 0) | (arr >= n)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InvalidInputError(
                f"{name}[{i}] = {int(arr[i])} is not a node in 0..{n - 1}"
            )
    if (cap < 0).any():
        i = int(np.flatnonzero(cap < 0)[0])
        raise InvalidInputError(f"capacity[{i}] = {int(cap[i])} is negative")
    if _exact_sum(b) != 0:
        raise InvalidInputError(
            f"supplies must sum to 0 (total supply = total demand); they sum to {_exact_sum(b)}"
        )
    _check_costs(cst, n)
    supplied = _exact_sum(b[b > 0])
    if supplied > _INT32_MAX:
        raise InvalidInputError(
            f"total supply {supplied} exceeds what one phase can route (2**31-1, scipy's "
            "maximum_flow works on int32)"
        )
    negative = cst < 0
    if _exact_sum(cap[negative]) > 2**62:  # (the excess below must not overflow)
        raise _saturated_too_much(cap, negative, supplied, _exact_sum(cap[negative]))

    flow = np.where(negative, cap, 0).astype(np.int64)  # saturate negative-cost arcs
    excess = b.copy()
    np.subtract.at(excess, tail_a, flow)
    np.add.at(excess, head_a, flow)
    # super source s = n, super sink t = n + 1 as extra arcs
    src, snk = n, n + 1
    pos, neg = np.flatnonzero(excess > 0), np.flatnonzero(excess < 0)
    u = np.concatenate([tail_a, np.full(len(pos), src), neg])
    v = np.concatenate([head_a, pos, np.full(len(neg), snk)])
    c = np.concatenate([cap, excess[pos], -excess[neg]])
    w = np.concatenate([cst, np.zeros(len(pos) + len(neg), dtype=np.int64)])
    f = np.concatenate([flow, np.zeros(len(pos) + len(neg), dtype=np.int64)])
    need = _exact_sum(excess[pos])
    if need > _INT32_MAX:
        raise _saturated_too_much(cap, negative, supplied, need)
    nn = n + 2
    pi = np.zeros(nn, dtype=np.int64)
    sent = 0
    phases = 0
    while sent < need:
        # residual arcs: forward (flow < cap) and backward (flow > 0)
        fw = np.flatnonzero(f < c)
        bw = np.flatnonzero(f > 0)
        ru = np.concatenate([u[fw], v[bw]])
        rv = np.concatenate([v[fw], u[bw]])
        rcap = np.concatenate([c[fw] - f[fw], f[bw]])
        rcost = np.concatenate([w[fw], -w[bw]]) + pi[ru] - pi[rv]
        arc = np.concatenate([fw, bw])
        sign = np.concatenate([np.ones(len(fw), np.int64), -np.ones(len(bw), np.int64)])
        # cheapest residual arc per (u, v) for Dijkstra
        order = np.lexsort((rcost, rv, ru))
        first = np.ones(len(order), dtype=bool)
        first[1:] = (ru[order][1:] != ru[order][:-1]) | (
            rv[order][1:] != rv[order][:-1]
        )
        k = order[first]
        graph = _csr(ru[k], rv[k], rcost[k].astype(np.float64), nn)
        dist = dijkstra(graph, directed=True, indices=src)
        if not np.isfinite(dist[snk]):
            raise InfeasibleError(
                f"{need - sent} of {need} units of supply cannot reach any demand "
                "(capacities too small or arcs missing)"
            )
        d = np.minimum(dist, dist[snk]).astype(np.int64)
        pi += d
        rcost = rcost + d[ru] - d[rv]
        # admissible arcs (zero reduced cost), grouped by (u, v), capacities summed
        adm = order[rcost[order] == 0]
        au, av, acap, aarc, asign = ru[adm], rv[adm], rcap[adm], arc[adm], sign[adm]
        start = np.ones(len(adm), dtype=bool)
        start[1:] = (au[1:] != au[:-1]) | (av[1:] != av[:-1])
        heads = np.flatnonzero(start)
        # (capacities beyond what is left to route are clipped first: no sum overflows)
        acap = np.minimum(acap, need - sent)
        summed = np.minimum(np.add.reduceat(acap, heads), need - sent).astype(np.int32)
        res = maximum_flow(_csr(au[heads], av[heads], summed, nn), src, snk)
        if res.flow_value <= 0:  # cannot happen with exact integer potentials
            raise RuntimeError(
                "min_cost_flow made no progress; please report this instance"
            )
        # net flow of each (u, v) group, spread over its arcs in order
        net = res.flow.tocsr()
        net.sort_indices()
        rows = np.repeat(np.arange(nn), np.diff(net.indptr))
        fkey = rows * nn + net.indices
        gkey = au[heads] * nn + av[heads]
        at = np.minimum(np.searchsorted(fkey, gkey), max(len(fkey) - 1, 0))
        gflow = np.where(
            (len(fkey) > 0) & (fkey[at] == gkey), np.asarray(net.data)[at], 0
        ).astype(np.int64)
        group = np.cumsum(start) - 1
        before = np.cumsum(acap) - acap
        used_before = before - before[heads][group]
        push = np.clip(gflow[group] - used_before, 0, acap)
        np.add.at(f, aarc, asign * push)
        sent += int(res.flow_value)
        phases += 1
    total = int(np.dot(f[:n_arcs].astype(object), cst.astype(object))) if n_arcs else 0
    return MinCostFlowResult(flow=f[:n_arcs].copy(), cost=total, phases=phases)

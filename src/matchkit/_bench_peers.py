"""The contenders of ``matchkit bench``: matchkit's methods and the peers, per kind of instance.

Every contender takes the instance's arrays, builds its own input (that time counts),
solves, and returns an :class:`Outcome` whose value is **recomputed from the returned
pairs**, never read from the solver. Peers are optional: a peer whose package is not
installed is skipped, and none is imported by the core library.

Kinds:

- ``assignment``: a dense (n, n) cost matrix; value = the minimum total cost of a
  perfect assignment.
- ``bmatching``: a :class:`MatchProblem` with capacities where anyone may stay unmatched;
  value = the maximum total weight.
- ``stable``: a hospital/residents instance; value = the number of pairs, and the pair
  set's fingerprint must be identical (the resident-optimal stable matching is unique).

A city is matched end to end by ``matchkit.match``, which no peer does; :func:`city_peer`
solves the round's own free pairs again with OR-Tools to check its objective.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._bench_instances import HospitalResidents, fingerprint
from ._exceptions import InvalidInputError
from ._problem import MatchProblem

__all__ = ["CITY_PEER_MAX_PAIRS", "CONTENDERS", "Contender", "Outcome", "available", "city_peer"]


@dataclass(frozen=True)
class Outcome:
    """What one contender returned: the recomputed value and a fingerprint of its pairs."""

    value: float
    pairs: str = ""
    info: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Contender:
    """One solver on one kind of instance.

    ``requires`` is the module that must be importable; ``max_size`` skips instances
    whose size (n, volunteers or residents) is larger, because the peer study measured
    the contender far beyond a minute there; ``--no-limits`` lifts it.
    """

    name: str
    kind: str
    run: Callable[[Any], Outcome]
    requires: str | None = None
    max_size: int | None = None
    reference: bool = False  # ratios are taken against this contender
    slow: bool = False  # left out of --quick (it alone would take most of the minute)


def available(module: str | None) -> bool:
    """True if ``module`` can be imported (None: always)."""
    if module is None:
        return True
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


# -- assignment: dense n x n costs, minimum-cost perfect assignment ---------------------
def _perm_cost(cost: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> Outcome:
    n = len(cost)
    if len(rows) != n or len(np.unique(rows)) != n or len(np.unique(cols)) != n:
        raise AssertionError(f"not a perfect assignment: {len(rows)} pairs for n={n}")
    order = np.argsort(rows)
    return Outcome(float(cost[rows, cols].sum()), fingerprint(rows[order], cols[order]))


def _mk_assignment(method: str) -> Callable[[np.ndarray], Outcome]:
    def run(cost: np.ndarray) -> Outcome:
        from ._solve import solve

        top = int(cost.max()) + 1
        a = solve(MatchProblem.from_dense(top - cost), method, objective="cardinality")
        return _perm_cost(cost, a.pairs[:, 0], a.pairs[:, 1])

    return run


def _scipy_lsa(cost: np.ndarray) -> Outcome:
    from scipy.optimize import linear_sum_assignment  # type: ignore[import-untyped,unused-ignore]

    r, c = linear_sum_assignment(cost)
    return _perm_cost(cost, r, c)


def _lap_lapjv(cost: np.ndarray) -> Outcome:
    import lap  # type: ignore[import-untyped,unused-ignore]

    _, x, _ = lap.lapjv(cost.astype(np.float64))
    return _perm_cost(cost, np.arange(len(cost)), np.asarray(x))


def _ortools_lsa(cost: np.ndarray) -> Outcome:
    from ortools.graph.python import linear_sum_assignment as lsa  # type: ignore[import-untyped,unused-ignore]

    n = len(cost)
    s = lsa.SimpleLinearSumAssignment()
    s.add_arcs_with_cost(np.repeat(np.arange(n), n), np.tile(np.arange(n), n), cost.reshape(-1))
    if s.solve() != s.OPTIMAL:
        raise RuntimeError("OR-Tools LinearSumAssignment did not reach OPTIMAL")
    cols = np.array([s.right_mate(i) for i in range(n)])
    return _perm_cost(cost, np.arange(n), cols)


def _networkx_assignment(cost: np.ndarray) -> Outcome:
    import networkx as nx  # type: ignore[import-untyped,unused-ignore]

    n = len(cost)
    g = nx.DiGraph()
    g.add_nodes_from(range(n), demand=-1)
    g.add_nodes_from(range(n, 2 * n), demand=1)
    r, c = np.nonzero(np.ones_like(cost, dtype=bool))
    g.add_weighted_edges_from(zip(r.tolist(), (c + n).tolist(), cost[r, c].tolist()))
    _, flow = nx.network_simplex(g)
    rows = [i for i in range(n) for j, f in flow[i].items() if f > 0]
    cols = [j - n for i in range(n) for j, f in flow[i].items() if f > 0]
    return _perm_cost(cost, np.array(rows), np.array(cols))


# -- bmatching: capacities, unmatched allowed, maximum weight ---------------------------
def _edge_value(p: MatchProblem, edges: np.ndarray) -> Outcome:
    edges = np.sort(np.asarray(edges, dtype=np.int64))
    if len(np.unique(edges)) != len(edges):
        raise AssertionError("an edge was chosen twice")
    li, ri = p.edge_left[edges], p.edge_right[edges]
    if (np.bincount(li, minlength=p.n_left) > p.left_capacity).any() or (
        np.bincount(ri, minlength=p.n_right) > p.right_capacity
    ).any():
        raise AssertionError("a capacity is exceeded")
    return Outcome(float(p.weight[edges].sum()), fingerprint(edges), {"pairs": len(edges)})


def _edges_of_pairs(p: MatchProblem, li: np.ndarray, ri: np.ndarray) -> np.ndarray:
    pos = p.edge_index(li, ri)
    if (pos < 0).any():
        raise AssertionError("a chosen pair is not an edge of the problem")
    return pos


def _mk_bmatching(method: str) -> Callable[[MatchProblem], Outcome]:
    def run(p: MatchProblem) -> Outcome:
        from ._solve import solve

        return _edge_value(p, solve(p, method).edges)

    return run


def _ortools_mcf(p: MatchProblem) -> Outcome:
    """s -> volunteer (its capacity), volunteer -> role (cost top - w), role -> t, bypass s -> t."""
    from ortools.graph.python import min_cost_flow  # type: ignore[import-untyped,unused-ignore]

    smcf = min_cost_flow.SimpleMinCostFlow()
    nl, nr, ne = p.n_left, p.n_right, p.n_edges
    s, t = nl + nr, nl + nr + 1
    top = int(p.weight.max()) + 1 if ne else 1
    supply = int(p.left_capacity.sum())
    tails = np.concatenate([np.full(nl, s), p.edge_left, nl + np.arange(nr), [s]])
    heads = np.concatenate([np.arange(nl), nl + p.edge_right, np.full(nr, t), [t]])
    caps = np.concatenate([p.left_capacity, np.ones(ne, np.int64), p.right_capacity, [supply]])
    costs = np.concatenate(
        [np.zeros(nl, np.int64), top - p.weight.astype(np.int64), np.zeros(nr, np.int64), [top]]
    )
    arcs = smcf.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    smcf.set_node_supply(s, supply)
    smcf.set_node_supply(t, -supply)
    if smcf.solve() != smcf.OPTIMAL:
        raise RuntimeError("OR-Tools SimpleMinCostFlow did not reach OPTIMAL")
    flows = smcf.flows(arcs[nl : nl + ne])
    return _edge_value(p, np.flatnonzero(flows > 0))


def _scipy_sparse(p: MatchProblem) -> Outcome:
    """min_weight_full_bipartite_matching on role columns cloned c times, plus one private
    'unmatched' column per volunteer (the solver only accepts full matchings)."""
    from scipy.sparse import coo_matrix  # type: ignore[import-untyped,unused-ignore]
    from scipy.sparse.csgraph import min_weight_full_bipartite_matching  # type: ignore[import-untyped,unused-ignore]

    if (p.left_capacity != 1).any():
        raise InvalidInputError("this peer formulation needs volunteer capacities of 1")
    nl = p.n_left
    cap = p.right_capacity
    start = np.concatenate([[0], np.cumsum(cap)[:-1]])
    n_slots = int(cap.sum())
    reps = cap[p.edge_right]
    e = np.repeat(np.arange(p.n_edges), reps)
    offs = np.arange(len(e)) - np.repeat(np.cumsum(reps) - reps, reps)
    cols = start[p.edge_right[e]] + offs
    top = float(p.weight.max()) + 2 if p.n_edges else 2.0
    rows = np.concatenate([p.edge_left[e], np.arange(nl)])
    cols = np.concatenate([cols, n_slots + np.arange(nl)])
    vals = np.concatenate([top - p.weight[e], np.full(nl, top)])  # all > 0 (no explicit zeros)
    m = coo_matrix((vals, (rows, cols)), shape=(nl, n_slots + nl)).tocsr()
    r, c = min_weight_full_bipartite_matching(m)
    real = c < n_slots
    role = np.searchsorted(start, c[real], side="right") - 1
    return _edge_value(p, _edges_of_pairs(p, r[real], role))


def _lap_dense_clone(p: MatchProblem) -> Outcome:
    import lap  # type: ignore[import-untyped,unused-ignore]

    if (p.left_capacity != 1).any():
        raise InvalidInputError("this peer formulation needs volunteer capacities of 1")
    cap = p.right_capacity
    start = np.concatenate([[0], np.cumsum(cap)[:-1]])
    top = float(p.weight.max()) + 1 if p.n_edges else 1.0
    dense = np.full((p.n_left, int(cap.sum())), top)  # a non-edge is as good as unmatched
    reps = cap[p.edge_right]
    e = np.repeat(np.arange(p.n_edges), reps)
    offs = np.arange(len(e)) - np.repeat(np.cumsum(reps) - reps, reps)
    dense[p.edge_left[e], start[p.edge_right[e]] + offs] = top - p.weight[e]
    _, x, _ = lap.lapjv(dense, extend_cost=True)
    x = np.asarray(x)
    rows = np.flatnonzero(x >= 0)
    used = dense[rows, x[rows]] < top
    rows, slots = rows[used], x[rows][used]
    role = np.searchsorted(start, slots, side="right") - 1
    return _edge_value(p, _edges_of_pairs(p, rows, role))


def _networkx_mcf(p: MatchProblem) -> Outcome:
    import networkx as nx  # type: ignore[import-untyped,unused-ignore]

    nl, nr = p.n_left, p.n_right
    top = int(p.weight.max()) + 1 if p.n_edges else 1
    supply = int(p.left_capacity.sum())
    g = nx.DiGraph()
    g.add_node("s", demand=-supply)
    g.add_node("t", demand=supply)
    g.add_edges_from(("s", i, {"capacity": int(c), "weight": 0}) for i, c in enumerate(p.left_capacity.tolist()))
    g.add_edges_from(
        (i, nl + j, {"capacity": 1, "weight": top - int(w)})
        for i, j, w in zip(p.edge_left.tolist(), p.edge_right.tolist(), p.weight.tolist())
    )
    g.add_edges_from((nl + j, "t", {"capacity": int(c), "weight": 0}) for j, c in enumerate(p.right_capacity.tolist()))
    g.add_node("b")  # bypass through a helper node (networkx has no parallel arcs in a DiGraph)
    g.add_edge("s", "b", capacity=supply, weight=top)
    g.add_edge("b", "t", capacity=supply, weight=0)
    _, flow = nx.network_simplex(g)
    li = [i for i in range(nl) for j, f in flow[i].items() if f > 0]
    ri = [j - nl for i in range(nl) for j, f in flow[i].items() if f > 0]
    del nr
    return _edge_value(p, _edges_of_pairs(p, np.array(li, dtype=np.int64), np.array(ri, dtype=np.int64)))


# -- stable: hospital/residents, resident-optimal ---------------------------------------
def _pairs_outcome(li: np.ndarray, ri: np.ndarray) -> Outcome:
    order = np.lexsort((ri, li))
    return Outcome(float(len(li)), fingerprint(li[order].astype(np.int64), ri[order].astype(np.int64)))


def _mk_stable(hr: HospitalResidents) -> Outcome:
    from ._solve import solve
    from .solvers import StableSolver, blocking_pairs

    p = hr.problem()
    a = solve(p, StableSolver())
    n_block = len(blocking_pairs(p, a))
    if n_block:
        raise AssertionError(f"{n_block} blocking pairs")
    out = _pairs_outcome(a.pairs[:, 0], a.pairs[:, 1])
    return Outcome(out.value, out.pairs, {"proposals": int(a.info.get("proposals", 0))})


def _in_big_thread(fn: Callable[[], Any]) -> Any:
    """Run fn in a thread with a 1 GiB stack and a high recursion limit: ``matching``
    deep-copies its player graph recursively and fails at 1,000 residents otherwise."""
    out: dict[str, Any] = {}
    old_limit = sys.getrecursionlimit()
    old_stack = threading.stack_size(1 << 30)
    sys.setrecursionlimit(10**7)

    def target() -> None:
        try:
            out["v"] = fn()
        except BaseException as err:  # noqa: BLE001 - re-raised in the caller's thread
            out["e"] = err

    try:
        th = threading.Thread(target=target)
        th.start()
        th.join()
    finally:
        threading.stack_size(old_stack)
        sys.setrecursionlimit(old_limit)
    if "e" in out:
        raise out["e"]
    return out["v"]


def _matching_hr(hr: HospitalResidents) -> Outcome:
    from matching.games import HospitalResident  # type: ignore[import-untyped,unused-ignore]

    def build_and_solve() -> Any:
        res_prefs: dict[str, list[str]] = {}
        order = np.lexsort((-hr.resident_utility, hr.left))
        for i, j in zip(hr.left[order].tolist(), hr.right[order].tolist()):
            res_prefs.setdefault(f"r{i}", []).append(f"h{j}")
        hosp_prefs: dict[str, list[str]] = {f"h{j}": [] for j in range(hr.n_hospitals)}
        order = np.lexsort((-hr.hospital_utility, hr.right))
        for i, j in zip(hr.left[order].tolist(), hr.right[order].tolist()):
            hosp_prefs[f"h{j}"].append(f"r{i}")
        caps = {f"h{j}": int(c) for j, c in enumerate(hr.capacity.tolist())}
        game = HospitalResident.create_from_dictionaries(res_prefs, hosp_prefs, caps)
        return game.solve(optimal="resident")

    sol = _in_big_thread(build_and_solve)
    pairs = np.array(
        [(int(r.name[1:]), int(h.name[1:])) for h, rs in sol.items() for r in rs], dtype=np.int64
    ).reshape(-1, 2)
    return _pairs_outcome(pairs[:, 0], pairs[:, 1])


CONTENDERS: tuple[Contender, ...] = (
    Contender("matchkit flow", "assignment", _mk_assignment("flow"), reference=True),
    Contender("matchkit hungarian", "assignment", _mk_assignment("hungarian")),
    Contender("scipy LSA", "assignment", _scipy_lsa, "scipy"),
    Contender("lap.lapjv", "assignment", _lap_lapjv, "lap"),
    Contender("OR-Tools LSA", "assignment", _ortools_lsa, "ortools"),
    Contender("networkx simplex", "assignment", _networkx_assignment, "networkx", max_size=200),
    Contender("matchkit flow", "bmatching", _mk_bmatching("flow"), reference=True),
    Contender("matchkit hungarian", "bmatching", _mk_bmatching("hungarian"), max_size=2_000),
    Contender("matchkit milp", "bmatching", _mk_bmatching("milp"), max_size=1_000, slow=True),
    Contender("OR-Tools MCF", "bmatching", _ortools_mcf, "ortools"),
    Contender("scipy sparse (cloned)", "bmatching", _scipy_sparse, "scipy", max_size=10_000),
    Contender("lap.lapjv (dense clone)", "bmatching", _lap_dense_clone, "lap", max_size=2_000),
    Contender("networkx simplex", "bmatching", _networkx_mcf, "networkx", max_size=1_000, slow=True),
    Contender("matchkit stable", "stable", _mk_stable, reference=True),
    Contender("matching HR", "stable", _matching_hr, "matching", max_size=5_000),
)


#: The city check solves every free pair with OR-Tools: above this many (the 100k city has
#: 19 M, 23 s and over a GB more) it is skipped unless limits are lifted.
CITY_PEER_MAX_PAIRS = 2_000_000


def city_peer(result: Any, *, limits: bool = True) -> dict[str, Any]:
    """OR-Tools' min-cost flow on a round's free pairs, with the weights as the flow method
    solved them (scaled to integers): its time and whether it reaches the round's objective.

    Two optima may pick different pairs of equal integer weight, so the objectives are
    compared as integers, exactly.
    """
    name = "OR-Tools MCF on the round's pairs"
    if not available("ortools"):
        return {"solver": name, "status": "skipped", "error": "ortools not installed"}
    p = result.free_problem
    if limits and p.n_edges > CITY_PEER_MAX_PAIRS:
        return {"solver": name, "status": "skipped",
                "error": f"above its size limit ({CITY_PEER_MAX_PAIRS:,} pairs)"}
    scale = result.assignment.info.get("scale")
    if not scale:
        return {"solver": name, "status": "skipped", "error": "the round had no integer weights"}
    import time

    wi = np.rint(p.weight * scale).astype(np.int64)
    keep = np.flatnonzero(wi > 0)  # (the flow method drops the others too)
    q = MatchProblem.from_edges(
        p.edge_left[keep], p.edge_right[keep], wi[keep].astype(np.float64),
        n_left=p.n_left, n_right=p.n_right,
        left_capacity=p.left_capacity, right_capacity=p.right_capacity,
    )
    t0 = time.perf_counter()
    theirs = _ortools_mcf(q)
    seconds = time.perf_counter() - t0
    mine = int(wi[np.asarray(result.assignment.edges, dtype=np.int64)].sum())
    return {"solver": name, "status": "ok", "seconds": seconds, "pairs": int(p.n_edges),
            "value": theirs.value / scale, "agrees": int(theirs.value) == mine}

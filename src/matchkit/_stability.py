"""Stability of a many-to-many assignment: preference orders and ``blocking_pairs``.

Preferences come from the problem's two utilities: a volunteer prefers needs with higher
``volunteer_utility``, a need prefers volunteers with higher ``need_utility``. Only
edges are acceptable. Ties are broken deterministically by the other side's index: a
volunteer ranks equal-utility needs by ascending need index, a need ranks equal-utility
volunteers by ascending volunteer index. The stable method ranks by exactly these
orders.

Pinned (accepted) pairs are commitments: they consume capacity and are never compared
with, so they can neither block nor be displaced. A pair ``(v, n)`` (an edge, neither
chosen nor pinned) *blocks* an assignment when both

- ``v`` has a free place, or prefers ``n`` to its worst non-pinned partner, and
- ``n`` has a free place, or prefers ``v`` to its worst non-pinned partner.

An assignment with no blocking pair is (pairwise) stable.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ._exceptions import InvalidInputError
from ._problem import Assignment, MatchProblem
from ._threads import in_runs

__all__ = ["blocking_pairs", "blocking_positions"]

IntArray = NDArray[np.int64]


def preference_orders(problem: MatchProblem) -> tuple[IntArray, IntArray]:
    """Edge positions in each side's preference order.

    Returns ``(vol_order, need_order)``: ``vol_order`` lists the edges grouped by
    volunteer (ascending), each volunteer's edges from first to last choice; likewise
    ``need_order`` by need. Utility descending, ties by the other side's index ascending.
    """
    vol_order = _order(problem.edge_left, problem.volunteer_utility)
    need_order = _order(problem.edge_right, problem.need_utility)
    return vol_order, need_order


def _order(group: IntArray, utility: NDArray[np.float64]) -> IntArray:
    # Edges are stored sorted by (left, right), so a stable sort keeps the other side's
    # index ascending among equal keys: that is the tie-break.
    n = len(group)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    by_u = np.argsort(-utility)  # equal utilities get equal dense ranks: order moot
    dense = np.empty(n, dtype=np.int64)
    step = np.empty(n, dtype=np.int64)
    step[0] = 0
    np.not_equal(utility[by_u][1:], utility[by_u][:-1], out=step[1:], casting="unsafe")
    dense[by_u] = np.cumsum(step)
    span = int(dense.max()) + 1
    key = group * span + dense
    if (int(group.max()) + 1) * span * n < 2**62:
        # unique keys (edge position as the last digit): any sort gives the same order
        return np.argsort(key * n + np.arange(n)).astype(np.int64)
    return np.argsort(key, kind="stable").astype(np.int64)


def preference_ranks(problem: MatchProblem) -> tuple[IntArray, IntArray]:
    """Each edge's rank in its volunteer's list and in its need's list (0 = first choice).

    Ranks follow the documented order: utility descending, then the other side's index
    ascending. Every edge is ranked, pinned or not.
    """
    vol_order, need_order = preference_orders(problem)
    n_edges = problem.n_edges
    vol_rank = np.empty(n_edges, dtype=np.int64)
    need_rank = np.empty(n_edges, dtype=np.int64)
    vol_rank[vol_order] = np.arange(n_edges) - _group_start(
        problem.edge_left[vol_order]
    )
    need_rank[need_order] = np.arange(n_edges) - _group_start(
        problem.edge_right[need_order]
    )
    return vol_rank, need_rank


def _group_start(sorted_keys: IntArray) -> IntArray:
    """For a sorted key array, the index where each element's run of equal keys starts."""
    n = len(sorted_keys)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    return np.repeat(starts, np.diff(np.append(starts, n)))


def blocking_pairs(
    problem: MatchProblem,
    assignment: Assignment,
    *,
    break_ties: bool = False,
    among: NDArray[np.bool_] | None = None,
) -> IntArray:
    """The pairs that block ``assignment``, as (volunteer index, need index) rows.

    Parameters
    ----------
    problem : MatchProblem
        The problem; preferences come from ``volunteer_utility`` and ``need_utility``.
    assignment : Assignment
        Any assignment of ``problem`` (not only a stable one).
    break_ties : bool, default False
        False: a side wants a pair only if it *strictly* prefers it by utility (weak
        stability; equal utilities never block). True: compare by the tie-broken ranks
        the stable method uses (ascending index of the other side), a stricter test.
    among : bool array of shape (n_edges,), optional
        Only these edges may block (for example, pairs nobody has declined); the same as
        dropping the others from the problem first, without the copy.

    Returns
    -------
    ndarray of shape (b, 2), int64
        Blocking pairs sorted by (volunteer, need); empty when the assignment is stable.

    Raises
    ------
    InvalidInputError
        If ``assignment`` is not one of ``problem`` (its pairs are not the problem's
        edges at its positions), or ``among`` is not a bool array of shape (n_edges,).

    Notes
    -----
    Pinned pairs consume capacity but are never compared with (see the module notes).
    The work is a few vectorised passes over the edges.

    Examples
    --------
    >>> import numpy as np, matchkit as mk
    >>> from matchkit.solvers import blocking_pairs
    >>> p = mk.MatchProblem.from_dense(np.array([[2.0, 1.0], [1.0, 2.0]]))
    >>> crossed = mk.Assignment.from_edges(p, [1, 2], method="hand")
    >>> blocking_pairs(p, crossed).tolist()
    [[0, 0], [1, 1]]
    >>> blocking_pairs(p, mk.solve(p, method="stable")).tolist()
    []
    """
    edges = _edges_of(problem, assignment)
    flags = None if among is None else _among(among, problem.n_edges)
    pos = blocking_positions(problem, edges, break_ties=break_ties)
    if flags is not None:
        pos = pos[flags[pos]]
    return np.stack([problem.edge_left[pos], problem.edge_right[pos]], axis=1)


def _edges_of(problem: MatchProblem, assignment: Assignment) -> IntArray:
    """The edge positions of ``assignment``, checked to be pairs of ``problem``."""
    if not isinstance(assignment, Assignment):
        raise InvalidInputError(
            f"assignment must be an Assignment (what solve returns); got "
            f"{type(assignment).__name__}"
        )
    edges = np.asarray(assignment.edges, dtype=np.int64).reshape(-1)
    pairs = np.asarray(assignment.pairs, dtype=np.int64).reshape(-1, 2)
    foreign = "the assignment does not belong to this problem (solve it on this problem)"
    if len(pairs) != len(edges):
        raise InvalidInputError(
            f"{foreign}: it has {len(edges)} edge positions for {len(pairs)} pairs"
        )
    out = (edges < 0) | (edges >= problem.n_edges)
    if out.any():
        i = int(np.flatnonzero(out)[0])
        raise InvalidInputError(
            f"{foreign}: its pair {tuple(pairs[i].tolist())} is at edge position "
            f"{int(edges[i])}, and the problem has {problem.n_edges} edges"
        )
    other = (problem.edge_left[edges] != pairs[:, 0]) | (problem.edge_right[edges] != pairs[:, 1])
    if other.any():
        i = int(np.flatnonzero(other)[0])
        e = int(edges[i])
        raise InvalidInputError(
            f"{foreign}: its pair {tuple(pairs[i].tolist())} is at edge position {e}, "
            f"which is the pair ({int(problem.edge_left[e])}, {int(problem.edge_right[e])}) "
            "here"
        )
    return edges


def _among(among: NDArray[np.bool_], n_edges: int) -> NDArray[np.bool_]:
    flags = np.asarray(among)
    if flags.dtype.kind != "b":
        raise InvalidInputError(
            f"among must be a boolean array, one flag per edge; got dtype {flags.dtype} "
            "(for edge positions p: m = np.zeros(problem.n_edges, bool); m[p] = True)"
        )
    if flags.shape != (n_edges,):
        raise InvalidInputError(
            f"among must have one flag per edge of the problem, shape ({n_edges},); "
            f"got shape {flags.shape}"
        )
    return flags


#: Edges checked per slice by :func:`blocking_positions` (through reused buffers: arrays
#: of every edge would fault in about 0.5 GB at 19 M edges).
SLICE = 1 << 20


def blocking_positions(
    problem: MatchProblem,
    matched: IntArray,
    *,
    break_ties: bool = False,
    used: tuple[IntArray, IntArray] | None = None,
) -> IntArray:
    """Ascending positions of the edges that block the assignment of edge positions
    ``matched`` (pinned edges count as matched); see :func:`blocking_pairs`.

    ``used`` gives each volunteer's and each need's places in use where some are held
    off the problem's edges (a placement at a need that has closed, or of a volunteer who
    left the data): a side is full when those reach its capacity, and a side full without
    a matched edge to compare against wants nothing."""
    n_edges = problem.n_edges
    pinned = problem.pinned
    # Matched edges are few: their positions once, instead of masks over every edge.
    matched_at = np.union1d(np.asarray(matched, dtype=np.int64), np.flatnonzero(pinned))
    compared_at = matched_at[~pinned[matched_at]]
    if break_ties:
        vol_rank, need_rank = preference_ranks(problem)
        vol_score = -vol_rank.astype(np.float64)
        need_score = -need_rank.astype(np.float64)
    else:
        vol_score = problem.volunteer_utility
        need_score = problem.need_utility

    sides = []
    for k, (idx, cap, score) in enumerate((
        (problem.edge_left, problem.left_capacity, vol_score),
        (problem.edge_right, problem.right_capacity, need_score),
    )):
        in_use = np.bincount(idx[matched_at], minlength=len(cap))
        if used is not None:
            in_use = np.maximum(in_use, np.asarray(used[k], dtype=np.int64))
        worst = np.full(len(cap), np.inf)
        np.minimum.at(worst, idx[compared_at], score[compared_at])
        # One threshold per vertex: a side with a free place wants any pair (scores are
        # finite), a full one only pairs better than its worst.
        sides.append((idx, score, np.where(in_use < cap, -np.inf, worst)))

    def run(start: int, stop: int) -> list[IntArray]:
        # slice by slice through buffers of its own (each worker thread takes a run)
        step = max(min(stop - start, SLICE), 1)
        gathered = np.empty(step, dtype=np.float64)
        wants = np.empty(step, dtype=bool)
        other = np.empty(step, dtype=bool)
        found = []
        for a in range(start, stop, step):
            b = min(a + step, stop)
            for k, (idx, score, threshold) in enumerate(sides):
                out = wants if k == 0 else other
                # (indices are the problem's own, validated in range; "raise" would buffer)
                np.take(threshold, idx[a:b], out=gathered[: b - a], mode="clip")
                np.greater(score[a:b], gathered[: b - a], out=out[: b - a])
            wants[: b - a] &= other[: b - a]
            # a matched edge never blocks (matched_at is sorted: this slice's are a range)
            lo, hi = np.searchsorted(matched_at, (a, b))
            wants[matched_at[lo:hi] - a] = False
            found.append(np.flatnonzero(wants[: b - a]) + a)
        return found

    found = [f for part in in_runs(run, n_edges, SLICE) for f in part]
    return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)

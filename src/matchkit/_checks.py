"""The invariant oracle every solver's output must pass: ``check_assignment``.

One checker for every method (as networkx checks every max-flow backend with one
``validate_flows``): a wrong answer from any backend fails here with a message that says
which invariant broke and where.
"""

from __future__ import annotations

import math

import numpy as np

from ._problem import Assignment, MatchProblem

__all__ = ["check_assignment"]

_STATUSES = ("optimal", "stable", "feasible")


def check_assignment(
    problem: MatchProblem,
    assignment: Assignment,
    *,
    rtol: float = 1e-9,
    atol: float = 1e-9,
) -> None:
    """Assert that ``assignment`` is a valid answer to ``problem``.

    Checks, in order: ``pairs`` is an int array of shape (k, 2) and ``edges`` of shape
    (k,); every pair is an edge of the problem (so every excluded or rejected pair stays
    out) and ``edges`` points at it; pairs are sorted by (volunteer, need) and unique;
    no volunteer and no need is over its capacity; every pinned (accepted) edge is kept;
    ``objective`` equals the sum of the chosen weights; ``status`` is a known word.

    Parameters
    ----------
    problem : MatchProblem
        The problem that was solved.
    assignment : Assignment
        What a method returned for it.
    rtol, atol : float
        Tolerances for the objective comparison (``math.isclose``).

    Raises
    ------
    AssertionError
        Naming the broken invariant, the offending position and ids.

    Examples
    --------
    >>> import numpy as np, matchkit as mk
    >>> from matchkit._checks import check_assignment
    >>> p = mk.MatchProblem.from_dense(np.array([[4.0, 1.0], [2.0, 3.0]]))
    >>> a = mk.Assignment.from_edges(p, [0, 3], method="hand")
    >>> check_assignment(p, a)
    >>> bad = mk.Assignment.from_edges(p, [0, 1], method="hand")
    >>> check_assignment(p, bad)
    Traceback (most recent call last):
    ...
    AssertionError: volunteer '0' holds 2 pairs but its capacity is 1 (method 'hand')
    """
    how = f"(method {assignment.method!r})"
    pairs = np.asarray(assignment.pairs)
    edges = np.asarray(assignment.edges)
    assert pairs.ndim == 2 and pairs.shape[1] == 2, (
        f"pairs must have shape (k, 2); got {pairs.shape} {how}"
    )
    assert pairs.dtype.kind in "iu", (
        f"pairs must hold integers; got dtype {pairs.dtype} {how}"
    )
    assert edges.shape == (len(pairs),), (
        f"edges must have shape ({len(pairs)},) to match pairs; got {edges.shape} {how}"
    )
    assert edges.dtype.kind in "iu", (
        f"edges must hold integers; got dtype {edges.dtype} {how}"
    )
    k = len(pairs)

    # every pair is an edge, and `edges` points at it
    if k:
        for col, n, side in (
            (0, problem.n_left, "volunteer"),
            (1, problem.n_right, "need"),
        ):
            bad = (pairs[:, col] < 0) | (pairs[:, col] >= n)
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise AssertionError(
                    f"pairs[{i}] has {side} index {int(pairs[i, col])} outside 0..{n - 1} {how}"
                )
        pos = problem.edge_index(pairs[:, 0], pairs[:, 1])
        missing = pos < 0
        if missing.any():
            i = int(np.flatnonzero(missing)[0])
            a, b = (int(x) for x in pairs[i])
            raise AssertionError(
                f"pairs[{i}] = ({problem.left_ids[a]!r}, {problem.right_ids[b]!r}) is not an "
                f"acceptable pair (not an edge of the problem) {how}"
            )
        wrong = pos != edges
        if wrong.any():
            i = int(np.flatnonzero(wrong)[0])
            raise AssertionError(
                f"edges[{i}] = {int(edges[i])} but pairs[{i}] is edge {int(pos[i])} {how}"
            )

        # sorted by (volunteer, need) and unique: edges are sorted that way, so the edge
        # positions must be strictly increasing
        step = np.diff(edges)
        if (step <= 0).any():
            i = int(np.flatnonzero(step <= 0)[0])
            what = "repeated" if step[i] == 0 else "out of order"
            raise AssertionError(
                f"pairs[{i + 1}] = {tuple(int(x) for x in pairs[i + 1])} is {what}; pairs must "
                f"be sorted by (volunteer, need) and unique {how}"
            )

    # capacities on both sides
    for col, cap, ids, side in (
        (0, problem.left_capacity, problem.left_ids, "volunteer"),
        (1, problem.right_capacity, problem.right_ids, "need"),
    ):
        used = np.bincount(pairs[:, col].astype(np.int64), minlength=len(cap))
        over = used > cap
        if over.any():
            i = int(np.flatnonzero(over)[0])
            raise AssertionError(
                f"{side} {ids[i]!r} holds {int(used[i])} pairs but its capacity is "
                f"{int(cap[i])} {how}"
            )

    # pins kept
    pinned = np.flatnonzero(problem.pinned)
    dropped = np.setdiff1d(pinned, edges)
    if len(dropped):
        e = int(dropped[0])
        raise AssertionError(
            f"accepted pair ({problem.left_ids[problem.edge_left[e]]!r}, "
            f"{problem.right_ids[problem.edge_right[e]]!r}) was dropped; pinned edges must "
            f"be kept {how}"
        )

    # objective
    total = float(problem.weight[edges].sum()) if k else 0.0
    assert math.isclose(assignment.objective, total, rel_tol=rtol, abs_tol=atol), (
        f"objective {assignment.objective!r} is not the sum of the chosen weights "
        f"{total!r} {how}"
    )
    assert assignment.status in _STATUSES, (
        f"status {assignment.status!r} is not one of {', '.join(map(repr, _STATUSES))} {how}"
    )

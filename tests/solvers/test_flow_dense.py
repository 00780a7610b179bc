"""Complete assignments (every pair an edge, capacity 1) through the dense routine."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import matchkit as mk
from matchkit.solvers import FlowSolver
from matchkit.solvers import _flow_lapjv as lapjv


def brute_force(w: np.ndarray) -> float:
    """The heaviest matching of a small matrix with positive weights."""
    n, m = w.shape
    if n > m:
        return brute_force(w.T)
    return max(float(w[np.arange(n), list(cols)].sum()) for cols in itertools.permutations(range(m), n))


@settings(max_examples=150, deadline=None)
@given(
    st.integers(1, 5),
    st.integers(1, 5),
    st.integers(0, 2**31),
    st.sampled_from(["uniform", "ties"]),
    st.booleans(),
)
def test_the_dense_routine_finds_the_heaviest_matching(n, m, seed, kind, shuffle):
    rng = np.random.default_rng(seed)
    w = rng.integers(1, 1000, (n, m)) if kind == "uniform" else rng.integers(1, 3, (n, m))
    li, ri = (a.reshape(-1) for a in np.indices((n, m)))
    weight = w.reshape(-1).astype(np.int64)
    order = rng.permutation(n * m) if shuffle else np.arange(n * m)
    one_l, one_r = np.ones(n, np.int64), np.ones(m, np.int64)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(lapjv, "DENSE_MIN", 0)
        chosen = lapjv.solve_lapjv(li[order], ri[order], weight[order], one_l, one_r)
    assert chosen.tolist() == sorted(chosen.tolist())
    rows, cols = li[order][chosen], ri[order][chosen]
    assert len(set(rows.tolist())) == len(rows) == min(n, m) == len(set(cols.tolist()))
    assert float(w[rows, cols].sum()) == brute_force(w.astype(float))


@pytest.fixture
def monkeypatch_dense(monkeypatch: pytest.MonkeyPatch):
    """Complete assignments of any size go to the dense routine; count its calls."""
    calls: list[int] = []
    original = lapjv._complete_assignment

    def counted(*args):
        calls.append(len(args[0]))
        return original(*args)

    monkeypatch.setattr(lapjv, "DENSE_MIN", 0)
    monkeypatch.setattr(lapjv, "_complete_assignment", counted)
    return calls


def test_only_complete_unit_problems_take_the_dense_routine(monkeypatch_dense) -> None:
    w = np.array([[4.0, 1.0, 2.0], [2.0, 3.0, 5.0]])
    assert FlowSolver().solve(mk.MatchProblem.from_dense(w)).objective == 9.0
    assert monkeypatch_dense == [6]
    # A missing pair, or a capacity of 2: the sparse matching, the same optimum.
    allowed = np.ones_like(w, dtype=bool)
    allowed[0, 2] = False
    assert FlowSolver().solve(mk.MatchProblem.from_dense(w, allowed=allowed)).objective == 9.0
    two = FlowSolver().solve(mk.MatchProblem.from_dense(w, left_capacity=[2, 1]))
    assert two.objective == 10.0  # (v0 takes 4 + 1, v1 takes 5)
    assert monkeypatch_dense == [6]
    # Every pair of the volunteers and needs that have edges (a third volunteer has none,
    # a need has capacity 0): the dense routine on them alone.
    w3 = np.vstack([w, [9.0, 9.0, 9.0]])
    allowed = np.ones_like(w3, dtype=bool)
    allowed[2] = False
    p3 = mk.MatchProblem.from_dense(w3, allowed=allowed)
    assert FlowSolver().solve(p3).objective == 9.0 and monkeypatch_dense == [6, 6]
    p4 = mk.MatchProblem.from_dense(w, right_capacity=[1, 0, 1])
    assert FlowSolver().solve(p4).objective == 9.0 and monkeypatch_dense == [6, 6, 4]


def test_a_large_complete_assignment_equals_the_sparse_matching(monkeypatch) -> None:
    rng = np.random.default_rng(5)
    w = rng.integers(0, 1000, (120, 90)).astype(float)
    p = mk.MatchProblem.from_dense(1001 - w)
    monkeypatch.setattr(lapjv, "DENSE_MIN", 0)
    dense = FlowSolver().solve(p, objective="cardinality")
    monkeypatch.setattr(lapjv, "DENSE_MIN", p.n_edges + 1)
    sparse = FlowSolver().solve(p, objective="cardinality")
    assert dense.objective == sparse.objective and len(dense.pairs) == 90
    assert dense.info["backend"] == sparse.info["backend"] == "lapjv"


def test_from_dense_of_every_pair_equals_the_edges_and_copies_them() -> None:
    rng = np.random.default_rng(0)
    w = rng.random((7, 5))
    p = mk.MatchProblem.from_dense(w)
    li, ri = np.nonzero(np.ones_like(w, dtype=bool))
    q = mk.MatchProblem.from_edges(li, ri, w[li, ri], n_left=7, n_right=5)
    for name in ("edge_left", "edge_right", "weight", "volunteer_utility", "need_utility"):
        assert np.array_equal(getattr(p, name), getattr(q, name))
    assert p.edge_left.dtype == np.int64 and p.edge_right.dtype == np.int64
    before = p.weight.copy()
    w[0, 0] = 99.0  # the problem keeps its own copy
    assert np.array_equal(p.weight, before) and np.array_equal(p.volunteer_utility, before)


def test_sorted_edges_are_copied_and_unsorted_duplicates_still_refused() -> None:
    left, right = np.array([0, 0, 1]), np.array([0, 1, 1])
    weight = np.array([3.0, 2.0, 5.0])
    p = mk.MatchProblem.from_edges(left, right, weight, n_left=2, n_right=2)
    weight[0] = 7.0
    left[0] = 1
    assert p.weight.tolist() == [3.0, 2.0, 5.0] and p.edge_left.tolist() == [0, 0, 1]
    with pytest.raises(mk.InvalidProblemError, match="appears twice"):
        mk.MatchProblem.from_edges([0, 1, 0], [1, 1, 1], [1.0, 2.0, 3.0], n_left=2, n_right=2)

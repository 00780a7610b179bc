"""Repair: a subgraph's optimum made optimal on more edges by shortest paths."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from solver_problems import network_simplex_best

import matchkit as mk
from matchkit.datasets import DEFAULT_AS_OF, synthetic_city
from matchkit.solvers import FlowSolver
from matchkit.solvers import _flow as flow_module
from matchkit.solvers import _flow_pricing as pricing
from matchkit.solvers._flow_repair import repair


def best_set(left, right, w, lcap, rcap, allowed):
    """The heaviest feasible set of the allowed edges, by trying them all."""
    best, best_w = np.zeros(len(w), bool), 0
    pos = np.flatnonzero(allowed)
    for pick in itertools.product([False, True], repeat=pos.size):
        m = np.zeros(len(w), bool)
        m[pos[np.array(pick, bool)]] = True
        if (np.bincount(left[m], minlength=len(lcap)) <= lcap).all() and (
            np.bincount(right[m], minlength=len(rcap)) <= rcap
        ).all() and int(w[m].sum()) > best_w:
            best, best_w = m, int(w[m].sum())
    return best


@st.composite
def subgraph_cases(draw: st.DrawFn):
    """A small b-matching (weights of any sign), a subgraph, and the subgraph's optimum."""
    n_left, n_right = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    cells = [(i, j) for i in range(n_left) for j in range(n_right)]
    edges = draw(st.lists(st.sampled_from(cells), unique=True, min_size=1, max_size=9))
    m = len(edges)
    w = np.array(draw(st.lists(st.integers(-3, 12), min_size=m, max_size=m)), dtype=np.int64)
    lcap = np.array(draw(st.lists(st.integers(0, 3), min_size=n_left, max_size=n_left)))
    rcap = np.array(draw(st.lists(st.integers(0, 3), min_size=n_right, max_size=n_right)))
    inside = np.array(draw(st.lists(st.booleans(), min_size=m, max_size=m)))
    left = np.array([e[0] for e in edges], dtype=np.int64)
    right = np.array([e[1] for e in edges], dtype=np.int64)
    return left, right, w, lcap, rcap, best_set(left, right, w, lcap, rcap, inside), inside


@settings(max_examples=300, deadline=None)
@given(subgraph_cases())
def test_a_repaired_subgraph_optimum_is_the_optimum_of_every_edge(case) -> None:
    left, right, w, lcap, rcap, chosen, inside = case
    sub = np.flatnonzero(inside)
    prices = pricing.least_prices(left[sub], right[sub], w[sub], chosen[sub], lcap, rcap)
    assert prices is not None
    u, p = prices
    fixed = repair(left, right, w, chosen, u, p, lcap, rcap, max_broken=len(w))
    assert fixed is not None
    assert (np.bincount(left[fixed], minlength=len(lcap)) <= lcap).all()
    assert (np.bincount(right[fixed], minlength=len(rcap)) <= rcap).all()
    best = best_set(left, right, w, lcap, rcap, np.ones(len(w), bool))
    assert int(w[fixed].sum()) == int(w[best].sum())
    assert pricing.least_prices(left, right, w, fixed, lcap, rcap) is not None


def test_a_broken_edge_swaps_in_along_a_path() -> None:
    # v0 holds n0 (5); edges v0-n1 (4) and v1-n0 (3) were outside the subgraph. v1-n0
    # breaks the proof (priced 0 + 0 < 3); sent back from n0 to v1 along n0 -> v0 -> n1
    # -> sink -> source -> v1, it swaps v0 to n1: 7 beats 5.
    left, right, w = np.array([0, 0, 1]), np.array([0, 1, 0]), np.array([5, 4, 3])
    one = np.ones(2, np.int64)
    chosen = np.array([True, False, False])
    fixed = repair(left, right, w, chosen, np.array([5, 0]), np.array([0, 0]), one, one)
    assert fixed.tolist() == [False, True, True]
    assert chosen.tolist() == [True, False, False]  # (the input is not changed)


def test_prices_that_do_not_fit_or_too_many_broken_edges_mean_solve_afresh() -> None:
    left, right, w = np.array([0, 0, 1]), np.array([0, 1, 0]), np.array([5, 4, 3])
    one = np.ones(2, np.int64)
    chosen = np.array([True, False, False])
    u, p = np.array([5, 0]), np.array([0, 0])
    # (one edge breaks the proof: v1-n0, priced 0 + 0 < 3)
    assert repair(left, right, w, chosen, u, p, one, one, max_broken=0) is None
    assert repair(left, right, w, chosen, u, p, one, one, max_broken=1) is not None
    # A price on a volunteer with room, a negative price, a chosen edge priced above
    # its weight, a capacity exceeded: none certifies the subgraph.
    assert repair(left, right, w, chosen, np.array([5, 1]), p, one, one) is None
    assert repair(left, right, w, chosen, np.array([5, -1]), p, one, one) is None
    assert repair(left, right, w, chosen, np.array([6, 0]), p, one, one) is None
    assert repair(left, right, w, np.array([True, True, False]), u, p, one, one) is None


def test_nothing_broken_gives_the_same_answer() -> None:
    left, right, w = np.array([0, 1]), np.array([0, 0]), np.array([5, 3])
    one = np.ones(2, np.int64)
    fixed = repair(left, right, w, np.array([True, False]), np.array([2, 0]),
                   np.array([3]), one, np.ones(1, np.int64))
    assert fixed.tolist() == [True, False]


@pytest.mark.parametrize("seed", [1, 2])
def test_a_city_repairs_its_last_round_and_keeps_the_optimum(
    monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    monkeypatch.setattr(flow_module, "ortools_installed", lambda: False)
    p = mk.build_problem(synthetic_city(4000, 400, seed=seed), as_of=DEFAULT_AS_OF)
    lp = FlowSolver(backend="lp").solve(p).objective
    solves = []
    original = flow_module.solve_lp

    def counted(*args):
        solves.append(len(args[0]))
        return original(*args)

    monkeypatch.setattr(flow_module, "solve_lp", counted)
    a = mk.solve(p, "flow")
    assert a.info["pricing_repaired"] == 1
    assert len(solves) == a.info["pricing_rounds"] - 1  # (one round had no fresh solve)
    assert a.objective == pytest.approx(lp, abs=1e-9)
    # Without repairs: a fresh solve in every round, the same optimum.
    monkeypatch.setattr(pricing, "MAX_BROKEN", -1)
    solves.clear()
    b = mk.solve(p, "flow")
    assert "pricing_repaired" not in b.info and len(solves) == b.info["pricing_rounds"]
    assert b.objective == pytest.approx(lp, abs=1e-9)


def test_weights_too_large_for_exact_distances_mean_solve_afresh() -> None:
    # Reduced weights near 2**59 lose their last bits in float64: the searches saw
    # negative lengths and never returned. Such weights are left to a fresh solve.
    big = 576460752303423488  # 2**59
    left = np.array([2, 3, 0, 3, 1, 0, 0, 2, 3, 1, 0])
    right = np.array([4, 1, 2, 0, 0, 0, 3, 1, 4, 3, 1])
    w = np.array([big, big - 1, big - 3, big - 3, 4, big - 1, 0, big - 2, -1, big - 1, big - 3])
    chosen = np.array([True, False, False, False, True, False, False, False, False, True, True])
    u, p = np.array([0, 4, 0, 0]), np.zeros(5, np.int64)
    lcap, rcap = np.array([3, 2, 3, 1]), np.array([2, 1, 3, 3, 2])
    assert repair(left, right, w, chosen, u, p, lcap, rcap, max_broken=11) is None


@st.composite
def larger_cases(draw: st.DrawFn):
    """Several disjoint blocks, capacities up to 5, weights up to 2**40 or small ties."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    lefts, rights = [], []
    n_l = n_r = 0
    for _ in range(draw(st.integers(1, 4))):
        a, b = int(rng.integers(1, 8)), int(rng.integers(1, 8))
        cells = rng.permutation(a * b)[: int(rng.integers(1, a * b + 1))]
        lefts.append(n_l + cells // b)
        rights.append(n_r + cells % b)
        n_l, n_r = n_l + a, n_r + b
    left, right = np.concatenate(lefts), np.concatenate(rights)
    top = 2**40 if draw(st.booleans()) else 6
    w = rng.integers(-top // 4, top, left.size)
    lcap, rcap = rng.integers(0, 6, n_l), rng.integers(0, 6, n_r)
    inside = rng.random(left.size) < rng.random()
    return left, right, w, lcap, rcap, inside


@settings(max_examples=150, deadline=None)
@given(larger_cases())
def test_repairs_of_larger_cases_reach_the_network_simplex_optimum(case) -> None:
    left, right, w, lcap, rcap, inside = case
    sub = np.flatnonzero(inside)
    chosen = network_simplex_best(left, right, w, lcap, rcap, inside)
    prices = pricing.least_prices(left[sub], right[sub], w[sub], chosen[sub], lcap, rcap)
    assert prices is not None
    inputs = (left, right, w, chosen, *prices, lcap, rcap)
    before = [a.copy() for a in inputs]
    fixed = repair(*inputs, max_broken=left.size)
    assert fixed is not None
    assert all((a == b).all() for a, b in zip(inputs, before, strict=True))  # (unchanged)
    assert (np.bincount(left[fixed], minlength=lcap.size) <= lcap).all()
    assert (np.bincount(right[fixed], minlength=rcap.size) <= rcap).all()
    best = network_simplex_best(left, right, w, lcap, rcap, np.ones(left.size, bool))
    assert int(w[fixed].sum()) == int(w[best].sum())
    again = repair(*inputs, max_broken=left.size)
    assert again is not None and (again == fixed).all()  # (the same answer every time)


def test_parallel_edges_move_the_edge_the_path_used() -> None:
    # Volunteer 1 has three edges to need 0, which has no place: the breaking edge (10)
    # is taken and given back along its own reverse arc, which must free that same edge,
    # not the first of its parallels (a need without places ended up with one).
    left = np.array([0, 1, 0, 1, 1, 0, 1, 0])
    right = np.zeros(8, np.int64)
    w = np.array([-3, 10, 11, -3, 5, 9, 8, 3])
    chosen = np.zeros(8, bool)
    u, p = np.zeros(2, np.int64), np.zeros(1, np.int64)
    fixed = repair(left, right, w, chosen, u, p, np.array([3, 3]), np.array([0]), max_broken=8)
    assert fixed is not None and not fixed.any()


def _drops_a_chosen_edge(left, right, weight, chosen, *rest, **kw):  # not optimal
    out = chosen.copy()
    out[np.flatnonzero(out)[0]] = False
    return out


def _every_edge(left, right, weight, chosen, *rest, **kw):  # over the capacities
    return np.ones_like(chosen)


@pytest.mark.parametrize(
    ("wrong", "warning"),
    [(_drops_a_chosen_edge, "not proven"), (_every_edge, "exceeds a capacity")],
)
def test_a_wrong_repaired_answer_is_solved_afresh(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, wrong, warning: str
) -> None:
    monkeypatch.setattr(flow_module, "ortools_installed", lambda: False)
    p = mk.build_problem(synthetic_city(4000, 400, seed=1), as_of=DEFAULT_AS_OF)
    lp = FlowSolver(backend="lp").solve(p).objective
    monkeypatch.setattr(pricing, "repair", wrong)
    with caplog.at_level("WARNING", logger="matchkit"):
        a = mk.solve(p, "flow")
    assert warning in caplog.text
    assert "pricing_repaired" not in a.info and a.info["certified"]
    assert a.objective == pytest.approx(lp, abs=1e-9)


def test_capacities_are_checked_edge_by_edge() -> None:
    left, right = np.array([0, 0, 1]), np.array([0, 1, 0])
    one = np.ones(2, np.int64)
    assert pricing._fits(left, right, np.array([False, True, True]), one, one)
    assert not pricing._fits(left, right, np.array([True, True, False]), one, one)
    assert not pricing._fits(left, right, np.array([True, False, True]), one, one)
    assert pricing._fits(left, right, np.array([True, False, True]), one, np.array([2, 1]))


def test_ortools_repairs_only_large_subgraphs(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("ortools")
    if not flow_module.ortools_installed():
        pytest.skip("MATCHKIT_NO_ORTOOLS is set")
    p = mk.build_problem(synthetic_city(4000, 400, seed=5), as_of=DEFAULT_AS_OF)
    small = mk.solve(p, "flow")  # (its subgraphs are far below REPAIR_MIN)
    assert small.info["backend"] == "ortools" and "pricing_repaired" not in small.info
    monkeypatch.setitem(pricing.REPAIR_MIN, "ortools", 0)
    repaired = mk.solve(p, "flow")
    assert repaired.info["pricing_repaired"] >= 1
    assert repaired.objective == pytest.approx(small.objective, abs=1e-9)

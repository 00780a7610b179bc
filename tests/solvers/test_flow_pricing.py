"""Pricing in the flow method: a subgraph solved exactly, proven optimal on every edge."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from solver_problems import brute_force

import matchkit as mk
from matchkit.datasets import DEFAULT_AS_OF, synthetic_city
from matchkit.solvers import FlowSolver
from matchkit.solvers import _flow as flow_module
from matchkit.solvers import _flow_pricing as pricing
from matchkit.solvers._flow_int import integer_problem
from matchkit.solvers._flow_lp import solve_lp
from matchkit.solvers._flow_ortools import ortools_installed
from matchkit.testing import check_assignment, problems


@pytest.fixture
def priced(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Pricing on every problem the LP or OR-Tools would solve, however small."""
    monkeypatch.setattr(flow_module, "_PRICING_MIN_EDGES", 0)
    monkeypatch.setattr(flow_module, "_SMALL", 0)
    yield


def many_choices(seed: int, n_left: int = 300, n_right: int = 30, ties: bool = False):
    """Volunteers with many acceptable needs each, capacities on both sides."""
    rng = np.random.default_rng(seed)
    left, right = np.nonzero(rng.random((n_left, n_right)) < 0.7)
    # Popular needs are worth more to everyone, as in a city: optimal pairs sit deep in
    # the volunteers' lists.
    appeal = rng.integers(0, 60, n_right)
    w = (appeal[right] + rng.integers(0, 40, left.size)).astype(float)
    if ties:
        w = np.ones(left.size)
    return mk.MatchProblem.from_edges(
        left, right, w, n_left=n_left, n_right=n_right,
        left_capacity=rng.integers(1, 4, n_left), right_capacity=rng.integers(1, 8, n_right),
    )


def small_start(mp: pytest.MonkeyPatch) -> None:
    """A start of one edge per volunteer and each need's top bucket: rounds must add edges."""
    mp.setattr(pricing, "PER_VOLUNTEER", 1)
    mp.setattr(pricing, "PER_PLACE", 0)


def networkx_optimum(p: mk.MatchProblem) -> float:
    g = nx.DiGraph()
    total = int(p.left_capacity.sum())
    for i in range(p.n_left):
        g.add_edge("s", ("v", i), capacity=int(p.left_capacity[i]), weight=0)
    for j in range(p.n_right):
        g.add_edge(("n", j), "t", capacity=int(p.right_capacity[j]), weight=0)
    for i, j, w in zip(p.edge_left, p.edge_right, p.weight):
        if w > 0:
            g.add_edge(("v", int(i)), ("n", int(j)), capacity=1, weight=-int(w))
    g.add_edge("s", "t", capacity=total, weight=0)
    g.nodes["s"]["demand"], g.nodes["t"]["demand"] = -total, total
    return -float(nx.cost_of_flow(g, nx.min_cost_flow(g)))


def assert_prices_certify(p: mk.MatchProblem, a: mk.Assignment) -> None:
    """The prices in ``info`` prove ``a`` optimal on every edge (LP duality)."""
    price, profit = a.info["need_price"], a.info["volunteer_profit"]
    assert (price >= 0).all() and (profit >= 0).all()
    reduced = p.weight - profit[p.edge_left] - price[p.edge_right]
    unit = 1.0 / a.info["scale"]
    chosen = np.zeros(p.n_edges, bool)
    chosen[a.edges] = True
    assert (reduced[~chosen] <= unit / 2).all()  # no unchosen edge is worth taking
    assert (reduced[chosen] >= -unit / 2).all()  # no chosen edge costs more than it gives
    used_l = np.bincount(a.pairs[:, 0], minlength=p.n_left)
    used_r = np.bincount(a.pairs[:, 1], minlength=p.n_right)
    assert (profit[used_l < p.left_capacity] == 0).all()
    assert (price[used_r < p.right_capacity] == 0).all()


@pytest.mark.parametrize("seed", range(4))
def test_priced_lp_equals_networkx_and_is_certified(
    priced: None, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    monkeypatch.setattr(flow_module, "ortools_installed", lambda: False)
    p = many_choices(seed)
    a = FlowSolver().solve(p)
    check_assignment(p, a)
    assert a.info["backend"] == "lp" and a.info["pricing_rounds"] >= 1
    assert a.info["pricing_edges"] < 0.4 * p.n_edges  # it solved a part of the edges
    assert a.objective == pytest.approx(networkx_optimum(p))
    assert_prices_certify(p, a)


@pytest.mark.parametrize("seed", range(2))
def test_priced_ortools_equals_the_full_lp_and_is_certified(priced: None, seed: int) -> None:
    pytest.importorskip("ortools")
    if not ortools_installed():
        pytest.skip("MATCHKIT_NO_ORTOOLS is set")
    p = many_choices(seed, n_left=800, n_right=150)  # a start of 10 % of the edges
    a = FlowSolver().solve(p)
    check_assignment(p, a)
    assert a.info["backend"] == "ortools" and a.info["pricing_rounds"] >= 1
    assert a.info["pricing_edges"] < 0.15 * p.n_edges
    assert a.objective == pytest.approx(FlowSolver(backend="lp").solve(p).objective)
    assert_prices_certify(p, a)


@pytest.mark.parametrize("seed", range(3))
def test_a_city_is_priced_by_default_and_equals_the_full_lp(
    monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    monkeypatch.setattr(flow_module, "ortools_installed", lambda: False)
    p = mk.build_problem(synthetic_city(4000, 400, seed=seed), as_of=DEFAULT_AS_OF)
    assert p.n_edges >= pricing.MIN_EDGES
    a = mk.solve(p, "flow")
    check_assignment(p, a)
    assert a.info["backend"] == "lp" and a.info["pricing_rounds"] >= 1
    full = FlowSolver(backend="lp").solve(p)  # an explicit backend solves every edge
    assert "pricing_rounds" not in full.info
    assert a.objective == pytest.approx(full.objective, abs=1e-9)
    assert_prices_certify(p, a)


@settings(max_examples=60)
@given(problems(max_volunteers=4, max_needs=3, max_capacity=3, weights="integer"))
def test_priced_solve_equals_brute_force(p: mk.MatchProblem) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(flow_module, "_PRICING_MIN_EDGES", 0)
        mp.setattr(flow_module, "_SMALL", 0)
        mp.setattr(flow_module, "ortools_installed", lambda: False)
        mp.setattr(flow_module, "_PRICING_MAX_SHARE", {"lp": 1.0})  # even a start of all
        small_start(mp)
        for objective in ("weight", "cardinality"):
            a = FlowSolver().solve(p, objective=objective)
            check_assignment(p, a)
            k, w = brute_force(p, objective)
            assert a.objective == pytest.approx(w)
            if objective == "cardinality":
                assert len(a) == k


@settings(max_examples=80)
@given(problems(max_volunteers=4, max_needs=3, max_capacity=3, weights="mixed"))
def test_pricing_itself_equals_brute_force_for_both_objectives(p: mk.MatchProblem) -> None:
    # solve_priced on the reduced problem directly, from a start of one edge per
    # volunteer, so that rounds must bring edges in; pins and float weights included.
    with pytest.MonkeyPatch.context() as mp:
        small_start(mp)
        for objective in ("weight", "cardinality"):
            ip = integer_problem(p, objective=objective, scale=None)
            if len(ip.left) == 0:
                continue
            info: dict = {}
            res = pricing.solve_priced(
                ip.left, ip.right, ip.weight, ip.left_capacity, ip.right_capacity,
                solve_lp, info, max_share=1.0,
            )
            assert res is not None and info["pricing_rounds"] >= 1
            local, u, price = res
            chosen = np.zeros(len(ip.left), bool)
            chosen[local] = True
            reduced = ip.weight - u[ip.left] - price[ip.right]
            assert (reduced[~chosen] <= 0).all() and (reduced[chosen] >= 0).all()
            # The reduced problem's optimum: the same integer weight as an exact solve.
            ref = solve_lp(ip.left, ip.right, ip.weight, ip.left_capacity, ip.right_capacity)
            assert int(ip.weight[local].sum()) == int(ip.weight[ref].sum())
            if objective == "weight" and ip.scale == 1:
                pins = float(p.weight[p.pinned].sum())
                assert float(p.weight[ip.edges[local]].sum()) + pins == pytest.approx(
                    brute_force(p, "weight")[1]
                )
            if objective == "cardinality":
                assert len(local) + int(p.pinned.sum()) == brute_force(p, objective)[0]


def test_one_outlying_weight_does_not_inflate_the_start() -> None:
    p = many_choices(0, n_left=800, n_right=150)
    w = p.weight.copy()
    w[0] = 5000.0
    q = mk.MatchProblem.from_edges(
        p.edge_left, p.edge_right, w, n_left=p.n_left, n_right=p.n_right,
        left_capacity=p.left_capacity, right_capacity=p.right_capacity,
    )
    ip = integer_problem(q, objective="weight", scale=None)
    keep = pricing.starting_edges(
        ip.left, ip.right, ip.weight, ip.left_capacity, ip.right_capacity
    )
    assert keep.mean() < 0.15


@st.composite
def chosen_sets(draw: st.DrawFn):
    """A small problem with positive integer weights and any feasible set of its edges."""
    n_left, n_right = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    cells = [(i, j) for i in range(n_left) for j in range(n_right)]
    edges = draw(st.lists(st.sampled_from(cells), unique=True, min_size=1, max_size=8))
    w = np.array(draw(st.lists(st.integers(1, 9), min_size=len(edges), max_size=len(edges))))
    lcap = np.array(draw(st.lists(st.integers(0, 2), min_size=n_left, max_size=n_left)))
    rcap = np.array(draw(st.lists(st.integers(0, 3), min_size=n_right, max_size=n_right)))
    left = np.array([e[0] for e in edges])
    right = np.array([e[1] for e in edges])
    chosen = np.array(draw(st.lists(st.booleans(), min_size=len(edges), max_size=len(edges))))
    for side, cap in ((left, lcap), (right, rcap)):
        for v in range(len(cap)):  # drop chosen edges beyond a capacity
            over = np.flatnonzero(chosen & (side == v))[cap[v]:]
            chosen[over] = False
    return left, right, w, chosen, lcap, rcap


def best_weight(left, right, w, lcap, rcap) -> int:
    best = 0
    for pick in itertools.product([False, True], repeat=len(w)):
        m = np.array(pick)
        if (np.bincount(left[m], minlength=len(lcap)) <= lcap).all() and (
            np.bincount(right[m], minlength=len(rcap)) <= rcap
        ).all():
            best = max(best, int(w[m].sum()))
    return best


@given(chosen_sets())
def test_prices_exist_exactly_for_optimal_sets(case) -> None:
    left, right, w, chosen, lcap, rcap = case
    prices = pricing.least_prices(left, right, w, chosen, lcap, rcap)
    optimal = int(w[chosen].sum()) == best_weight(left, right, w, lcap, rcap)
    assert (prices is not None) == optimal
    if prices is not None:
        u, p = prices
        reduced = w - u[left] - p[right]
        assert (reduced[~chosen] <= 0).all() and (reduced[chosen] >= 0).all()
        assert (u >= 0).all() and (p >= 0).all()
        assert int(u @ lcap + p @ rcap + reduced[chosen].sum()) == int(w[chosen].sum())


@pytest.mark.parametrize("seed", range(3))
def test_the_start_holds_each_side_heaviest_edges(seed: int) -> None:
    p = many_choices(seed)
    ip = integer_problem(p, objective="weight", scale=None)
    keep = pricing.starting_edges(
        ip.left, ip.right, ip.weight, ip.left_capacity, ip.right_capacity
    )
    for owner, want in (
        (ip.left, np.full(p.n_left, pricing.PER_VOLUNTEER)),
        (ip.right, pricing.PER_PLACE * (ip.right_capacity + 1)),
    ):
        for v in range(len(want)):
            mine = np.flatnonzero(owner == v)
            w = np.sort(ip.weight[mine])[::-1]
            if w.size:
                kth = w[min(want[v], w.size) - 1]
                assert keep[mine[ip.weight[mine] >= kth]].all()
    assert keep.sum() < p.n_edges


def test_a_wrong_subgraph_answer_is_not_certified() -> None:
    p = many_choices(7)
    calls: list[int] = []

    def first_half(left, right, weight, lcap, rcap):  # not optimal on its subgraph
        calls.append(len(left))
        local = solve_lp(left, right, weight, lcap, rcap)
        return local[: len(local) // 2]

    ip = integer_problem(p, objective="weight", scale=None)
    info: dict = {}
    assert pricing.solve_priced(
        ip.left, ip.right, ip.weight, ip.left_capacity, ip.right_capacity, first_half, info
    ) is None
    assert calls == [calls[0]] and calls[0] < p.n_edges  # one subgraph, then given up
    assert "not optimal" in info["pricing"]


def test_ties_everywhere_skip_pricing_and_stay_exact(priced: None) -> None:
    # One weight only: the heaviest bucket holds every edge, so the subgraph would not
    # be small; the solver goes straight to every edge.
    p = many_choices(3, ties=True)
    a = FlowSolver().solve(p)
    assert "pricing_rounds" not in a.info and "edges needed" in a.info["pricing"]
    assert a.objective == pytest.approx(networkx_optimum(p))


def test_rounds_that_run_out_fall_back_to_every_edge(
    priced: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(flow_module, "ortools_installed", lambda: False)
    monkeypatch.setattr(pricing, "MAX_ROUNDS", 1)
    small_start(monkeypatch)
    p = many_choices(4)
    a = FlowSolver().solve(p)
    assert a.objective == pytest.approx(networkx_optimum(p))
    assert "pricing_rounds" not in a.info and "need_price" not in a.info
    assert "rounds" in a.info["pricing"]


@pytest.mark.parametrize("seed", range(3))
def test_a_city_shrinks_its_subgraph_once_and_keeps_the_optimum(
    monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    # After the first round few edges are near the prices: they replace the subgraph,
    # and the answer is still the optimum of every edge, with its certificate.
    monkeypatch.setattr(flow_module, "ortools_installed", lambda: False)
    p = mk.build_problem(synthetic_city(4000, 400, seed=seed), as_of=DEFAULT_AS_OF)
    a = mk.solve(p, "flow")
    check_assignment(p, a)
    assert a.info["pricing_shrunk"] == 1 and a.info["pricing_rounds"] >= 2
    assert a.objective == pytest.approx(FlowSolver(backend="lp").solve(p).objective, abs=1e-9)
    assert_prices_certify(p, a)
    # Growing instead: the same optimum, on a larger last subgraph.
    monkeypatch.setattr(pricing, "SHRINK_BELOW", 0.0)
    grown = mk.solve(p, "flow")
    assert "pricing_shrunk" not in grown.info
    assert a.info["pricing_edges"] < grown.info["pricing_edges"]
    assert grown.objective == pytest.approx(a.objective, abs=1e-9)


def test_a_subgraph_far_from_the_proof_shrinks_from_a_larger_share(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The plain rule is off (SHRINK_BELOW = 0): the subgraph shrinks after the first
    # round only when enough edges break the proof (FAR_OFF) for the wider share.
    monkeypatch.setattr(flow_module, "ortools_installed", lambda: False)
    p = mk.build_problem(synthetic_city(4000, 400, seed=0), as_of=DEFAULT_AS_OF)
    lp = FlowSolver(backend="lp").solve(p).objective
    monkeypatch.setattr(pricing, "SHRINK_BELOW", 0.0)
    monkeypatch.setattr(pricing, "FAR_OFF", 0.0)
    far = mk.solve(p, "flow")
    assert far.info["pricing_shrunk"] == 1
    monkeypatch.setattr(pricing, "FAR_OFF", 1.0)
    near = mk.solve(p, "flow")
    assert "pricing_shrunk" not in near.info
    for a in (far, near):
        assert a.objective == pytest.approx(lp, abs=1e-9)
        assert_prices_certify(p, a)


def test_nearly_final_prices_shrink_the_subgraph_again(monkeypatch: pytest.MonkeyPatch) -> None:
    # After the first shrink, a round whose prices few edges break shrinks again to the
    # edges near them: the same optimum, certified, on a smaller last subgraph.
    monkeypatch.setattr(flow_module, "ortools_installed", lambda: False)
    p = mk.build_problem(synthetic_city(4000, 400, seed=0), as_of=DEFAULT_AS_OF)
    lp = FlowSolver(backend="lp").solve(p).objective
    last = {}
    for share in (0.0, 1.0):  # never, or whenever any edge breaks it
        monkeypatch.setattr(pricing, "NEARLY_FINAL", share)
        a = mk.solve(p, "flow")
        assert a.info["pricing_rounds"] >= 3 and a.info["pricing_shrunk"] == 1
        assert a.objective == pytest.approx(lp, abs=1e-9)
        assert_prices_certify(p, a)
        last[share] = a.info["pricing_edges"]
    assert last[1.0] < last[0.0]


def test_the_check_split_among_threads_gives_the_same_rounds_and_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The certificate runs on each thread's share of the slices: with shares of a few
    # slices each (one of them shorter), every round finds the same edges.
    monkeypatch.setattr(flow_module, "ortools_installed", lambda: False)
    p = mk.build_problem(synthetic_city(4000, 400, seed=1), as_of=DEFAULT_AS_OF)
    monkeypatch.setattr(pricing, "CHECK_SLICE", 997)
    seen = {}
    for threads in ("1", "2", "3"):
        monkeypatch.setenv("MATCHKIT_THREADS", threads)
        a = mk.solve(p, "flow")
        seen[threads] = (a.info["pricing_rounds"], a.info["pricing_edges"], a.pairs.tolist())
    assert p.n_edges > 20 * 997 and seen["1"][0] >= 2
    assert seen["1"] == seen["2"] == seen["3"]
    check_assignment(p, a)
    assert_prices_certify(p, a)


@pytest.mark.parametrize(("slice_", "threads"), [(1 << 20, "1"), (1, "3"), (2, "2")])
def test_widening_adds_the_near_edges_of_violating_vertices_within_a_budget(
    monkeypatch: pytest.MonkeyPatch, slice_: int, threads: str
) -> None:
    # (in slices of one or two edges too, on threads each taking a run of them)
    monkeypatch.setattr(pricing, "CHECK_SLICE", slice_)
    monkeypatch.setenv("MATCHKIT_THREADS", threads)
    # edges: 0 (v0,n0) 1 (v0,n1) 2 (v1,n1) 3 (v2,n2) 4 (v3,n0); edge 0 violates
    left = np.array([0, 0, 1, 2, 3])
    right = np.array([0, 1, 1, 2, 0])
    sel = np.array([False, False, False, False, False])
    wide = np.array([True, True, True, True, False])  # (near enough, outside sel)
    broken_at = np.array([0])
    assert pricing._widen(sel, wide, broken_at, left, right, 4, 3, most=10)
    # edge 1 shares v0, edge 0 itself; edge 2 and 3 touch neither v0 nor n0; edge 4 is
    # not near enough
    assert sel.tolist() == [True, True, False, False, False]
    sel[:] = False
    assert not pricing._widen(sel, wide, broken_at, left, right, 4, 3, most=1)
    assert not sel.any()  # two edges would join, more than the budget: none does


def _start_by_definition(left, right, weight, lcap, rcap):
    """The start, owner by owner: buckets as documented, then each owner's edges in the
    buckets down to the one holding its wanted-th heaviest edge."""
    sample = weight[:: max(1, weight.size // pricing.SAMPLE)]
    lo = float(np.quantile(sample, 1.0 - pricing.TOP_QUANTILE))
    top = max(float(np.quantile(sample, pricing.TOP_QUANTILE)), lo + 1.0)
    frac = np.clip((weight - lo) * (pricing.BUCKETS / (top - lo)), 0, pricing.BUCKETS - 1)
    bucket = frac.astype(np.uint8)
    keep = np.zeros(weight.size, dtype=bool)
    for owner, want in (
        (left, np.full(len(lcap), pricing.PER_VOLUNTEER)),
        (right, pricing.PER_PLACE * (rcap + 1)),
    ):
        for v in range(len(want)):
            mine = np.flatnonzero(owner == v)
            if mine.size:
                kth = np.sort(bucket[mine])[::-1][min(want[v], mine.size) - 1]
                keep[mine[bucket[mine] >= kth]] = True
    return keep


@settings(max_examples=300, deadline=None)
@given(
    n_left=st.integers(1, 12),
    n_right=st.integers(1, 6),
    density=st.floats(0.05, 1.0),
    slice_=st.integers(1, 9),
    shuffle=st.booleans(),
    small_table=st.booleans(),
    seed=st.integers(0, 2**16),
    threads=st.sampled_from(["1", "2", "3"]),
    per_volunteer=st.integers(1, 4),
    per_place=st.integers(1, 6),
)
def test_the_start_in_slices_is_the_start_by_definition(
    n_left: int, n_right: int, density: float, slice_: int, shuffle: bool,
    small_table: bool, seed: int, threads: str, per_volunteer: int, per_place: int,
) -> None:
    # Tiny slices: owners fill several slices, slices end inside owners' edges, and
    # shuffled owners take the path for edges out of volunteer order; threads take runs
    # of slices, starting where an owner's edges start.
    rng = np.random.default_rng(seed)
    left, right = np.nonzero(rng.random((n_left, n_right)) < density)
    if left.size == 0:
        return
    weight = rng.integers(-5, 40, left.size).astype(np.int64)
    if shuffle:
        order = rng.permutation(left.size)
        left, right, weight = left[order], right[order], weight[order]
    lcap = rng.integers(0, 3, n_left)
    rcap = rng.integers(0, 3, n_right)
    with pytest.MonkeyPatch.context() as mp:
        # (few wanted edges, so that owners' counts decide which edges stay out)
        mp.setattr(pricing, "PER_VOLUNTEER", per_volunteer)
        mp.setattr(pricing, "PER_PLACE", per_place)
        expected = _start_by_definition(left, right, weight, lcap, rcap)
        mp.setattr(pricing, "CHECK_SLICE", slice_)
        # (owners out of order: their counts slice by slice, or in one pass)
        mp.setattr(pricing, "SMALL_TABLE", 10**9 if small_table else 0)
        mp.setenv("MATCHKIT_THREADS", threads)
        got = pricing.starting_edges(left, right, weight, lcap, rcap)
    assert np.array_equal(got, expected)


@pytest.mark.parametrize("step", [1, 3, 7, 1 << 20])
@pytest.mark.parametrize("threads", ["1", "3"])
def test_weights_scaled_slice_by_slice_equal_the_rounded_products(monkeypatch, step, threads):
    """Integer weights are rint(weight * scale) whatever the slices and threads they are
    made in; those not above 0 are left out, however few (one in the last slice)."""
    from matchkit.solvers import _flow_int

    monkeypatch.setattr(_flow_int, "_SLICE", step)
    monkeypatch.setenv("MATCHKIT_THREADS", threads)
    rng = np.random.default_rng(step)
    for w in (rng.random(50) * 2 - 0.25, np.r_[rng.random(49) + 0.01, 0.0]):
        p = mk.MatchProblem.from_edges(np.arange(50) // 5, np.arange(50) % 5, w,
                                       n_left=10, n_right=5)
        ip = integer_problem(p, objective="weight", scale=None)
        want = np.rint(w * ip.scale).astype(np.int64)
        assert ip.weight.tolist() == want[want > 0].tolist()
        assert ip.edges.tolist() == np.flatnonzero(want > 0).tolist()

"""The flow method: exact against brute force, networkx and scipy; options; properties."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

from matchkit import InvalidInputError, MatchProblem, UnknownMethodError
from matchkit._checks import check_assignment
from matchkit.solvers._flow import FlowSolver

# ---------------------------------------------------------------------------------------
# Instance builders and independent oracles
# ---------------------------------------------------------------------------------------


def random_problem(
    seed: int,
    n_left: int,
    n_right: int,
    *,
    density: float = 0.5,
    lcap: tuple[int, int] = (1, 1),
    rcap: tuple[int, int] = (1, 3),
    weights: str = "int",
    n_pins: int = 0,
) -> MatchProblem:
    rng = np.random.default_rng(seed)
    mask = rng.random((n_left, n_right)) < density
    li, ri = np.nonzero(mask)
    if weights == "int":
        w = rng.integers(-20, 100, len(li)).astype(float)
    elif weights == "ties":
        w = rng.integers(-1, 4, len(li)).astype(float)
    else:
        w = rng.normal(3.0, 5.0, len(li))
    left_capacity = rng.integers(lcap[0], lcap[1] + 1, n_left)
    right_capacity = rng.integers(rcap[0], rcap[1] + 1, n_right)
    p = MatchProblem.from_edges(
        li,
        ri,
        w,
        n_left=n_left,
        n_right=n_right,
        left_capacity=left_capacity,
        right_capacity=right_capacity,
    )
    if n_pins and p.n_edges:
        # Pin a few edges that fit the capacities (greedy in random order).
        ul = np.zeros(n_left, int)
        ur = np.zeros(n_right, int)
        acc = []
        for e in rng.permutation(p.n_edges)[: 4 * n_pins]:
            i, j = int(p.edge_left[e]), int(p.edge_right[e])
            if ul[i] < left_capacity[i] and ur[j] < right_capacity[j] and len(acc) < n_pins:
                ul[i] += 1
                ur[j] += 1
                acc.append((i, j))
        p = p.with_decisions(accepted=np.array(acc, dtype=np.int64).reshape(-1, 2))
    return p


def brute_force(problem: MatchProblem, objective: str) -> tuple[int, float]:
    """(number of pairs, weight) of the best subset of edges, by enumeration."""
    n = problem.n_edges
    subsets = np.array(list(itertools.product([0, 1], repeat=n)), dtype=bool).reshape(2**n, n)
    subsets = subsets[(subsets | ~problem.pinned).all(axis=1)]
    ok = np.ones(len(subsets), dtype=bool)
    for side, cap in ((problem.edge_left, problem.left_capacity),
                      (problem.edge_right, problem.right_capacity)):
        for v in range(len(cap)):
            ok &= subsets[:, side == v].sum(axis=1) <= cap[v]
    subsets = subsets[ok]
    count = subsets.sum(axis=1)
    weight = subsets.astype(float) @ problem.weight
    if objective == "weight":
        return int(count[np.argmax(weight)]), float(weight.max())
    best = count.max()
    return int(best), float(weight[count == best].max())


def networkx_optimum(problem: MatchProblem, objective: str) -> float:
    """Optimum by networkx min-cost flow (integer weights)."""
    lcap, rcap = problem.residual_capacities()
    free = ~problem.pinned
    g = nx.DiGraph()
    total = int(lcap.sum())
    for i in range(problem.n_left):
        g.add_edge("s", ("v", i), capacity=int(lcap[i]), weight=0)
    for j in range(problem.n_right):
        g.add_edge(("n", j), "t", capacity=int(rcap[j]), weight=0)
    for i, j, w in zip(problem.edge_left[free], problem.edge_right[free], problem.weight[free]):
        if objective == "cardinality" or w > 0:
            g.add_edge(("v", int(i)), ("n", int(j)), capacity=1, weight=-int(w))
    pinned = float(problem.weight[problem.pinned].sum())
    if objective == "cardinality":
        flow = nx.max_flow_min_cost(g, "s", "t")
    else:
        g.add_edge("s", "t", capacity=total, weight=0)
        g.nodes["s"]["demand"] = -total
        g.nodes["t"]["demand"] = total
        flow = nx.min_cost_flow(g)
    return pinned - float(nx.cost_of_flow(g, flow)) if flow else pinned


def lsa_optimum(problem: MatchProblem) -> float:
    """Optimum of the weight objective by scipy's dense LSA on cloned need columns
    (volunteer capacities must be 1; a non-edge or a negative weight means unmatched)."""
    assert (problem.left_capacity == 1).all() and not problem.pinned.any()
    cols = np.repeat(np.arange(problem.n_right), problem.right_capacity)
    dense = np.zeros((problem.n_left, problem.n_right))
    dense[problem.edge_left, problem.edge_right] = np.maximum(problem.weight, 0.0)
    m = dense[:, cols]
    r, c = linear_sum_assignment(m, maximize=True)
    return float(m[r, c].sum())


def solve(problem: MatchProblem, objective: str = "weight", **kw: object):
    a = FlowSolver(**kw).solve(problem, objective=objective)  # type: ignore[arg-type]
    check_assignment(problem, a)
    assert a.method == "flow" and a.status == "optimal"
    return a


# ---------------------------------------------------------------------------------------
# Exactness
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("objective", ["weight", "cardinality"])
@pytest.mark.parametrize("weights", ["int", "ties"])
@pytest.mark.parametrize("seed", range(12))
def test_matches_brute_force_on_tiny_instances(seed: int, weights: str, objective: str) -> None:
    p = random_problem(seed, 4, 3, density=0.8, lcap=(1, 2), rcap=(1, 2), weights=weights,
                       n_pins=seed % 3)
    if p.n_edges > 13:
        p = p.subset(np.arange(p.n_edges) < 13)
    k, w = brute_force(p, objective)
    a = solve(p, objective)
    assert a.objective == pytest.approx(w, abs=1e-9)
    if objective == "cardinality":
        assert len(a) == k


@pytest.mark.parametrize("objective", ["weight", "cardinality"])
@pytest.mark.parametrize(
    ("lcap", "rcap"), [((1, 1), (1, 4)), ((1, 3), (1, 1)), ((1, 3), (1, 4)), ((2, 2), (2, 2))]
)
@pytest.mark.parametrize("seed", range(4))
def test_matches_networkx(seed: int, lcap, rcap, objective: str) -> None:
    p = random_problem(100 + seed, 30, 12, density=0.3, lcap=lcap, rcap=rcap, n_pins=seed)
    assert solve(p, objective).objective == pytest.approx(networkx_optimum(p, objective))


@pytest.mark.parametrize("weights", ["int", "ties"])
@pytest.mark.parametrize("seed", range(6))
def test_matches_scipy_lsa(seed: int, weights: str) -> None:
    p = random_problem(200 + seed, 80, 20, density=0.25, rcap=(1, 5), weights=weights)
    assert solve(p).objective == pytest.approx(lsa_optimum(p))


@pytest.mark.parametrize("seed", range(6))
def test_float_weights_within_documented_bound(seed: int) -> None:
    p = random_problem(300 + seed, 60, 15, density=0.3, rcap=(1, 4), weights="float")
    best = lsa_optimum(p)
    for scale in (None, 10, 1000):
        a = solve(p, scale=scale)
        s = a.info["scale"]
        k_max = min(p.n_left, int(p.right_capacity.sum()))
        assert a.objective <= best + 1e-9
        assert best - a.objective <= k_max / s + 1e-9


@pytest.mark.parametrize("backend", ["auto", "auction", "lapjv"])
@pytest.mark.parametrize("candidates", [1, 3, 8])
@pytest.mark.parametrize("seed", range(4))
def test_backends_match_lsa_on_tie_heavy_instances(seed: int, candidates: int,
                                                   backend: str) -> None:
    # Few candidates force the certificate to add edges; ties stress tie handling.
    p = random_problem(400 + seed, 150, 25, density=0.3, rcap=(1, 6), weights="ties")
    a = solve(p, backend=backend, candidates=candidates)
    assert a.objective == pytest.approx(lsa_optimum(p))


@pytest.mark.parametrize("objective", ["weight", "cardinality"])
@pytest.mark.parametrize("seed", range(4))
def test_needs_with_capacity_one_swap_sides(seed: int, objective: str) -> None:
    # Volunteers take several places, every need takes one: the auction runs on needs.
    p = random_problem(500 + seed, 12, 30, density=0.3, lcap=(1, 4), rcap=(1, 1), n_pins=seed)
    a = solve(p, objective)
    assert a.info["backend"] == "auction"
    assert a.objective == pytest.approx(networkx_optimum(p, objective))


@pytest.mark.parametrize("seed", range(3))
def test_ortools_backend_agrees(seed: int) -> None:
    pytest.importorskip("ortools")
    p = random_problem(600 + seed, 40, 10, density=0.4, lcap=(1, 3), rcap=(1, 4), n_pins=2)
    assert solve(p, backend="ortools").objective == pytest.approx(solve(p).objective)


@pytest.mark.parametrize("seed", range(40))
def test_ortools_without_nodes_for_sides_that_never_fill_equals_brute_force(seed: int) -> None:
    # Volunteers and needs with as many edges as capacity, one more, or fewer: those
    # that can never fill up have no node in OR-Tools' network.
    pytest.importorskip("ortools")
    from matchkit.solvers._flow_ortools import solve_ortools

    rng = np.random.default_rng(seed)
    n_l, n_r = int(rng.integers(2, 6)), int(rng.integers(2, 5))
    pairs = [(i, j) for i in range(n_l) for j in range(n_r) if rng.random() < 0.6][:14]
    if not pairs:
        return
    left, right = (np.array(x, dtype=np.int64) for x in zip(*pairs))
    w = rng.integers(-3, 20, left.size)
    deg_l, deg_r = np.bincount(left, minlength=n_l), np.bincount(right, minlength=n_r)
    lcap = np.maximum(deg_l + rng.integers(-2, 2, n_l), 0)
    rcap = np.maximum(deg_r + rng.integers(-2, 2, n_r), 0)
    got = solve_ortools(left, right, w, lcap, rcap)
    assert (np.bincount(left[got], minlength=n_l) <= lcap).all()
    assert (np.bincount(right[got], minlength=n_r) <= rcap).all()
    p = MatchProblem.from_edges(left, right, w.astype(float), n_left=n_l, n_right=n_r,
                                left_capacity=lcap, right_capacity=rcap)
    assert float(w[got].sum()) == brute_force(p, "weight")[1]


@pytest.mark.parametrize("seed", range(4))
def test_duals_certify_the_result(seed: int) -> None:
    p = random_problem(700 + seed, 120, 20, density=0.3, rcap=(1, 6))
    a = solve(p)
    price, profit = a.info["need_price"], a.info["volunteer_profit"]
    assert (price >= 0).all() and (profit >= 0).all()
    slack = profit[p.edge_left] + price[p.edge_right] - p.weight
    tol = 1.0 / a.info["scale"]
    assert (slack >= -tol).all()  # every edge: u_i + p_j >= w_ij (up to the rounding unit)
    assert np.allclose(slack[a.edges], 0.0)  # chosen edges are tight
    matched = np.zeros(p.n_left, bool)
    matched[a.pairs[:, 0]] = True
    assert (profit[~matched] == 0).all()
    full = np.bincount(a.pairs[:, 1], minlength=p.n_right) == p.right_capacity
    assert (price[~full] == 0).all()


def test_warm_start_from_duals_gives_the_same_optimum() -> None:
    p = random_problem(800, 200, 30, density=0.2, rcap=(1, 6), weights="ties")
    s = FlowSolver()
    a = s.solve(p)
    b = s._solve(p, need_price=a.info["need_price"])
    check_assignment(p, b)
    assert b.objective == pytest.approx(a.objective)
    with pytest.raises(InvalidInputError, match="one value per need"):
        s._solve(p, need_price=[1.0, 2.0])


def test_failed_certificate_falls_back_to_an_exact_method(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import matchkit.solvers._flow as flow_module

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("certificate failed")

    monkeypatch.setattr(flow_module, "solve_fast", broken)
    p = random_problem(900, 50, 10, density=0.4, rcap=(1, 4))
    a = solve(p)
    assert a.info["backend"] == "lapjv" and "certificate failed" in a.info["fallback"]
    assert a.objective == pytest.approx(lsa_optimum(p))


def test_default_scale_keeps_whole_numbers_exact() -> None:
    p = random_problem(7, 20, 5, weights="int")
    assert solve(p).info["scale"] == 1


# ---------------------------------------------------------------------------------------
# Semantics
# ---------------------------------------------------------------------------------------


def test_nonpositive_weights_never_chosen_under_weight() -> None:
    p = MatchProblem.from_edges([0, 1, 2], [0, 0, 1], [0.0, -2.0, 3.0], n_left=3, n_right=2,
                                right_capacity=2)
    assert solve(p).pairs.tolist() == [[2, 1]]
    assert solve(p, "cardinality").pairs.tolist() == [[0, 0], [1, 0], [2, 1]]


def test_pins_are_kept_even_when_bad() -> None:
    p = MatchProblem.from_dense(np.array([[1.0, 9.0], [8.0, -5.0]]))
    q = p.with_decisions(accepted=[("1", "1")])
    a = solve(q)
    assert a.pairs.tolist() == [[0, 0], [1, 1]]
    assert a.objective == pytest.approx(-4.0)


def test_volunteer_with_several_places_uses_an_edge_once() -> None:
    # One volunteer with capacity 3 and one need with capacity 3: only one pair exists.
    p = MatchProblem.from_edges([0], [0], [5.0], n_left=1, n_right=1, left_capacity=3,
                                right_capacity=3)
    assert solve(p).pairs.tolist() == [[0, 0]]


@pytest.mark.parametrize(
    "problem",
    [
        MatchProblem.from_edges([], [], [], n_left=0, n_right=0),
        MatchProblem.from_edges([], [], [], n_left=3, n_right=2),
        MatchProblem.from_edges([0], [0], [4.0], n_left=1, n_right=1, right_capacity=0),
    ],
    ids=["empty", "no-edges", "zero-capacity"],
)
def test_degenerate_problems(problem: MatchProblem) -> None:
    a = solve(problem)
    assert len(a) == 0 and a.objective == 0.0


def test_deterministic() -> None:
    p = random_problem(11, 200, 30, density=0.2, weights="ties", rcap=(1, 6))
    a, b = solve(p), FlowSolver().solve(p)
    assert np.array_equal(a.pairs, b.pairs)


# ---------------------------------------------------------------------------------------
# Options and errors
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("scale", [0, -3, 2.5, "10", True])
def test_bad_scale_is_refused(scale: object) -> None:
    with pytest.raises(InvalidInputError, match="'scale' parameter of FlowSolver"):
        FlowSolver(scale=scale)  # type: ignore[arg-type]


def test_unknown_objective_lists_the_options() -> None:
    p = random_problem(1, 3, 3)
    with pytest.raises(UnknownMethodError, match="'weight', 'cardinality'"):
        FlowSolver().solve(p, objective="size")


def test_too_large_scale_is_refused_with_advice() -> None:
    p = MatchProblem.from_dense(np.array([[1.5e6, 2.0]]))
    with pytest.raises(InvalidInputError, match="use scale="):
        FlowSolver(scale=10**6).solve(p)


def test_name_and_repr() -> None:
    assert FlowSolver.name == "flow"
    assert repr(FlowSolver(scale=100)) == "FlowSolver(scale=100, backend='auto', candidates=8)"


@pytest.mark.parametrize("candidates", [0, -1, 1.5, True])
def test_bad_candidates_is_refused(candidates: object) -> None:
    with pytest.raises(InvalidInputError, match="'candidates' parameter of FlowSolver"):
        FlowSolver(candidates=candidates)  # type: ignore[arg-type]


def test_unknown_backend_lists_the_options() -> None:
    with pytest.raises(UnknownMethodError, match="'auto', 'auction', 'lp', 'lapjv', 'ortools'"):
        FlowSolver(backend="simplex")


def test_auction_needs_a_side_with_capacity_one() -> None:
    p = random_problem(3, 10, 4, lcap=(2, 2), rcap=(2, 2))
    with pytest.raises(InvalidInputError, match="capacity 1 on one side"):
        FlowSolver(backend="auction").solve(p)


# ---------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------


@st.composite
def small_problems(draw: st.DrawFn) -> tuple[MatchProblem, str]:
    n_left = draw(st.integers(1, 4))
    n_right = draw(st.integers(1, 3))
    cells = [(i, j) for i in range(n_left) for j in range(n_right)]
    chosen = draw(st.lists(st.sampled_from(cells), unique=True, max_size=10))
    weights = draw(st.lists(st.integers(-3, 6), min_size=len(chosen), max_size=len(chosen)))
    lcap = draw(st.lists(st.integers(0, 2), min_size=n_left, max_size=n_left))
    rcap = draw(st.lists(st.integers(0, 3), min_size=n_right, max_size=n_right))
    p = MatchProblem.from_edges(
        [c[0] for c in chosen], [c[1] for c in chosen], weights, n_left=n_left,
        n_right=n_right, left_capacity=lcap, right_capacity=rcap,
    )
    return p, draw(st.sampled_from(["weight", "cardinality"]))


@given(small_problems())
def test_property_equals_brute_force(case: tuple[MatchProblem, str]) -> None:
    p, objective = case
    k, w = brute_force(p, objective)
    a = solve(p, objective)
    assert a.objective == pytest.approx(w)
    if objective == "cardinality":
        assert len(a) == k


def test_an_auction_that_gives_up_retries_with_every_edge_before_the_lp(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without OR-Tools the exact fallback of a large problem is the LP, which is slow on
    city-shaped problems; the auction first tries again with no pruned candidate lists.
    Its answer is certified and equals the LP's."""
    import matchkit.solvers._flow as flow_module

    real = flow_module.solve_fast
    ks: list[int] = []

    def first_try_fails(*args: object, k: int, **kwargs: object):  # type: ignore[no-untyped-def]
        ks.append(k)
        if len(ks) == 1:
            raise RuntimeError("round budget of 1 exceeded")
        return real(*args, k=k, **kwargs)

    monkeypatch.setattr(flow_module, "solve_fast", first_try_fails)
    monkeypatch.setattr(flow_module, "ortools_installed", lambda: False)
    p = random_problem(7, 700, 60, density=0.6, rcap=(1, 4))
    assert p.n_edges > flow_module._SMALL
    a = FlowSolver().solve(p)
    degree = int(np.bincount(p.edge_left[p.weight > 0]).max())
    assert ks == [8, degree]
    assert a.info["backend"] == "auction" and a.info["retried_with_every_edge"]
    assert "fallback" not in a.info
    check_assignment(p, a)
    assert a.objective == pytest.approx(FlowSolver(backend="lp").solve(p).objective)
    # With OR-Tools as the exact path there is no second try.
    ks.clear()
    monkeypatch.setattr(flow_module, "ortools_installed", lambda: True)
    monkeypatch.setattr(
        "matchkit.solvers._flow_ortools.solve_ortools",
        lambda *args: flow_module.solve_lp(*args),
    )
    b = FlowSolver().solve(p)
    assert ks == [8] and b.info["backend"] == "ortools"
    assert b.objective == pytest.approx(a.objective)


def test_auction_round_budget_is_enforced() -> None:
    from matchkit.solvers._flow_fast import solve_fast

    p = random_problem(950, 60, 10, density=0.5, rcap=(1, 3))
    w = np.rint(p.weight).astype(np.int64)
    keep = w > 0
    with pytest.raises(RuntimeError, match="round budget of 1 exceeded"):
        solve_fast(p.edge_left[keep], p.edge_right[keep], w[keep], p.right_capacity,
                   max_rounds=1)


def _tied(n_v: int, n_r: int, cap: int, need_levels: bool) -> MatchProblem:
    """Every volunteer fits every need; one weight for all, or three levels by need
    (every volunteer ranks the needs alike). Few places: most volunteers stay out."""
    left, right = np.repeat(np.arange(n_v), n_r), np.tile(np.arange(n_r), n_v)
    w = (np.arange(n_r) % 3 + 1)[right] / 4 if need_levels else np.full(left.size, 0.5)
    return MatchProblem.from_edges(left, right, w, n_left=n_v, n_right=n_r, right_capacity=cap)


def test_tied_weights_spread_the_bidders_over_the_needs() -> None:
    """With ties broken by position every volunteer listed the same 8 needs and bid for
    the same one in each round: 3,200 rounds, then the round budget gave up. Ties are
    broken by a fixed key per pair, so the bidders spread over the needs."""
    p = _tied(2000, 50, 5, need_levels=False)
    a = FlowSolver(backend="auction").solve(p)
    assert a.info["backend"] == "auction" and "fallback" not in a.info
    assert a.info["rounds"] <= 50 and a.info["added_edges"] == 0
    assert len(a.pairs) == 250 and a.objective == pytest.approx(125.0)
    check_assignment(p, a)
    b = FlowSolver(backend="auction").solve(p)  # (the same pairs again)
    assert np.array_equal(a.pairs, b.pairs)


def test_a_hopeless_auction_gives_up_on_its_work_budget() -> None:
    """Every volunteer ranks 50 needs alike, 125 places for 2,000 volunteers: the pruned
    candidate lists miss the answer by far. The round budget let the auction read 256 M
    candidate entries (1.6 s) before it gave up; the work budget stops it within 20 per
    edge plus a base, and the exact fallback gives the optimum."""
    from matchkit.solvers._flow_fast import solve_fast, work_budget

    p = _tied(2000, 50, 5, need_levels=True)
    with pytest.raises(RuntimeError, match="work budget"):
        solve_fast(p.edge_left, p.edge_right, np.rint(p.weight * 4).astype(np.int64),
                   p.right_capacity)
    assert work_budget(p.n_edges) < 10_000_000
    a = FlowSolver().solve(p)
    assert a.objective == pytest.approx(FlowSolver(backend="lp").solve(p).objective)
    check_assignment(p, a)


@pytest.mark.parametrize(
    ("lcap", "rcap", "backend"),
    [((1, 1), (1, 1), "lapjv"), ((1, 1), (2, 4), "auction"), ((2, 3), (1, 1), "auction"),
     ((2, 3), (2, 4), "lapjv")],
)
def test_auto_backend_choice(lcap, rcap, backend: str) -> None:
    p = random_problem(960, 30, 20, density=0.3, lcap=lcap, rcap=rcap)
    assert solve(p).info["backend"] == backend


@pytest.mark.parametrize("counts_known", [False, True])
def test_sides_without_edges_do_not_change_the_backend_choice(counts_known: bool) -> None:
    # Capacity 1 at every volunteer and need that has an edge: a plain assignment, also
    # when a volunteer and a need without edges have room for more (or for none).
    p = MatchProblem.from_edges([0, 0, 1, 2], [0, 1, 1, 2], [3.0, 1.0, 2.0, 5.0],
                                n_left=4, n_right=4, left_capacity=[1, 1, 1, 3],
                                right_capacity=[1, 1, 1, 0])
    if counts_known:
        _ = p._degrees  # (as match has them: the solver reads them)
    a = solve(p)
    assert a.info["backend"] == "lapjv"
    assert sorted(a.edges.tolist()) == [0, 2, 3]
    # A side without room that has an edge keeps that edge out, whatever is known.
    for rcap in ([1, 1, 0], [2, 1, 0]):  # (a plain assignment, and the auction)
        q = MatchProblem.from_edges([0, 0, 1, 2], [0, 1, 1, 2], [3.0, 1.0, 2.0, 5.0],
                                    n_left=4, n_right=3, left_capacity=[1, 1, 1, 3],
                                    right_capacity=rcap)
        if counts_known:
            _ = q._degrees
        b = solve(q)
        assert sorted(b.edges.tolist()) == [0, 2]  # (not 3: its need has no room)

"""Float weights of any magnitude against scipy's linear_sum_assignment.

flow rounds float weights to integers with a documented relative resolution; hungarian
and milp work on the floats. These tests hold each method to its documented promise on
weights far from [0, 1], where a fixed resolution or an absolute tolerance would fail.
"""

from __future__ import annotations

import logging

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

import matchkit as mk
from matchkit import InvalidInputError
from matchkit._checks import check_assignment
from matchkit.solvers import FlowSolver
from matchkit.solvers._flow_int import integer_problem


def lsa_best(w: np.ndarray, *, cardinality: bool = False) -> float:
    """Optimum of a dense problem (capacity 1 everywhere) by scipy's LSA: under
    "weight" pairs with weight <= 0 count as unmatched; under "cardinality" every row
    of a square or wide matrix is matched."""
    m = w if cardinality else np.maximum(w, 0.0)
    r, c = linear_sum_assignment(m, maximize=True)
    return float(m[r, c].sum())


def flow_gap_bound(w: np.ndarray) -> float:
    """The documented bound for objective="weight": n_pairs * max|w| * 2**-19."""
    return min(w.shape) * float(np.abs(w).max()) * 2.0**-19


def solve(w: np.ndarray, method: str | object = "flow", objective: str = "weight"):
    p = mk.MatchProblem.from_dense(w)
    a = mk.solve(p, method=method, objective=objective)  # type: ignore[arg-type]
    check_assignment(p, a)
    return a


# ---------------------------------------------------------------------------------------
# flow: the automatic scale follows the weights' magnitude
# ---------------------------------------------------------------------------------------


def test_flow_keeps_a_single_tiny_pair() -> None:
    # 1e-7 at a fixed scale of 2**20 rounded to 0, and a weight <= 0 is never chosen.
    assert solve(np.array([[1e-7]])).pairs.tolist() == [[0, 0]]


def test_flow_ranks_tiny_weights_like_scipy() -> None:
    w = np.array([[3e-6, 2e-6], [2e-6, 0.5e-6]])
    a = solve(w)
    assert a.pairs.tolist() == [[0, 1], [1, 0]]
    assert a.objective == pytest.approx(lsa_best(w), rel=1e-12)


@pytest.mark.parametrize("magnitude", [1e-250, 1e-100, 1e-12, 1e-7, 1e-5, 0.3, 1.0, 50.0,
                                       3e3, 1e6, 2e9])
@pytest.mark.parametrize("seed", range(3))
def test_flow_within_the_relative_bound_at_every_magnitude(seed: int, magnitude: float) -> None:
    w = np.random.default_rng(seed).random((15, 15)) * magnitude
    a = solve(w)
    best = lsa_best(w)
    assert a.objective <= best * (1 + 1e-12)
    assert best - a.objective <= flow_gap_bound(w)
    top = float(np.abs(w).max()) * a.info["scale"]
    assert top <= 2**31  # the exact integer range
    if magnitude <= 2**11:
        assert top >= 2**19  # about 20 significant bits of the largest weight


@given(
    exponent=st.integers(-250, 9),
    shape=st.tuples(st.integers(1, 7), st.integers(1, 7)),
    seed=st.integers(0, 2**32 - 1),
    signed=st.booleans(),
)
def test_flow_property_within_the_relative_bound(
    exponent: int, shape: tuple[int, int], seed: int, signed: bool
) -> None:
    rng = np.random.default_rng(seed)
    w = rng.random(shape) * 10.0**exponent
    if signed:
        w -= rng.random(shape) * 10.0**exponent / 2
    a = solve(w)
    best = lsa_best(w)
    assert best - a.objective <= flow_gap_bound(w)
    assert a.objective <= best + abs(best) * 1e-12


@pytest.mark.parametrize("top", [0.5000001, 0.75, 1.0, 1.5, 100.0, 2048.0])
def test_flow_scale_is_unchanged_for_weights_up_to_2_to_the_11(top: float) -> None:
    # Scores in [0, 1] (a city's) and weights up to 2**11 keep the scale 2**20 they had
    # when it was fixed: the same integers, so the same answers.
    rng = np.random.default_rng(4)
    w = rng.random((30, 20)) * top
    w[3, 4] = top
    p = mk.MatchProblem.from_dense(w)
    ip = integer_problem(p, objective="weight", scale=None)
    assert ip.scale == 2**20
    assert np.array_equal(ip.weight, np.rint(w.reshape(-1)[w.reshape(-1) > 0] * 2**20))


def test_flow_scale_above_2_to_the_11_fits_the_exact_range() -> None:
    w = np.array([[5000.5, 1.0], [1.0, 4000.25]])
    ip = integer_problem(mk.MatchProblem.from_dense(w), objective="weight", scale=None)
    assert ip.scale == 2**18  # 5000.5 * 2**18 < 2**31 <= 5000.5 * 2**19


def test_flow_refuses_weights_below_its_smallest_unit() -> None:
    with pytest.raises(InvalidInputError, match="too small .* multiply them by a constant"):
        solve(np.array([[1e-290, 0.0]]))


# ---------------------------------------------------------------------------------------
# flow: objective="cardinality" (the minimum-cost perfect-assignment recipe)
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_min_cost_recipe_on_integer_costs_is_exact_with_flow(seed: int) -> None:
    cost = np.random.default_rng(seed).integers(0, 10**4, (60, 60))
    top = int(cost.max()) + 1
    a = solve((top - cost).astype(float), objective="cardinality")
    r, c = linear_sum_assignment(cost)
    assert len(a) == 60 and 60 * top - a.objective == cost[r, c].sum()


@pytest.mark.parametrize("seed", range(3))
def test_min_cost_recipe_on_float_costs_is_exact_with_hungarian(seed: int) -> None:
    # Two cost tiers: the fine part is 1e-6 of the coarse one.
    rng = np.random.default_rng(seed)
    n = 120
    cost = 1e5 * rng.integers(0, 2, (n, n)) + 0.1 * rng.random((n, n))
    top = cost.max() + 1
    a = solve(top - cost, "hungarian", "cardinality")
    r, c = linear_sum_assignment(cost)
    assert len(a) == n
    assert cost[a.pairs[:, 0], a.pairs[:, 1]].sum() == pytest.approx(cost[r, c].sum(), abs=1e-9)


@pytest.mark.parametrize("seed", range(3))
def test_min_cost_recipe_on_float_costs_with_flow_warns_and_keeps_its_bound(
    seed: int, caplog: pytest.LogCaptureFixture
) -> None:
    rng = np.random.default_rng(seed)
    n = 1000
    cost = 1e5 * rng.integers(0, 2, (n, n)) + 0.1 * rng.random((n, n))
    top = cost.max() + 1
    with caplog.at_level(logging.WARNING, logger="matchkit"):
        a = solve(top - cost, "flow", "cardinality")
    assert "objective='cardinality' rounds the float weights" in caplog.text
    assert "method='hungarian'" in caplog.text
    r, c = linear_sum_assignment(cost)
    got = cost[a.pairs[:, 0], a.pairs[:, 1]].sum()
    assert len(a) == n
    # The scale comes from the weight range (1e5), not from twice the largest |weight|.
    assert a.info["scale"] == 16
    assert got - cost[r, c].sum() <= n / a.info["scale"]


def test_cardinality_resolution_follows_the_weight_range() -> None:
    # Weights 1000 + 1e-4 * U: the range is 1e-4, so the count leaves room for a fine
    # resolution although every weight is large.
    rng = np.random.default_rng(8)
    w = 1000.0 + 1e-4 * rng.random((40, 40))
    a = solve(w, objective="cardinality")
    assert len(a) == 40
    assert lsa_best(w, cardinality=True) - a.objective <= 40 * 1e-4 * 2.0**-19


def test_cardinality_on_integer_weights_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    w = np.random.default_rng(2).integers(-50, 50, (30, 30)).astype(float)
    with caplog.at_level(logging.WARNING, logger="matchkit"):
        a = solve(w, objective="cardinality")
    assert caplog.text == ""
    assert a.objective == lsa_best(w, cardinality=True)


# ---------------------------------------------------------------------------------------
# flow: the advice of its range errors can be followed
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("scale", [None, 1])
def test_weights_beyond_the_range_point_to_other_methods(scale: int | None) -> None:
    p = mk.MatchProblem.from_dense(np.array([[5e9, 1.0], [1.0, 5e9]]))
    with pytest.raises(InvalidInputError) as err:
        FlowSolver(scale=scale).solve(p)
    msg = str(err.value)
    assert "even at scale=1" in msg and "method='hungarian'" in msg
    assert "use scale=" not in msg
    assert mk.solve(p, method="hungarian").objective == 1e10  # (the advice works)


def test_cardinality_beyond_the_range_points_to_other_methods() -> None:
    # 2200 pairs times a range of 1e6 is beyond 2**31, whatever the scale.
    cost = np.random.default_rng(0).integers(0, 10**6, (2200, 3))
    p = mk.MatchProblem.from_dense((cost.max() + 1 - cost).astype(float), right_capacity=1000)
    with pytest.raises(InvalidInputError) as err:
        mk.solve(p, objective="cardinality")
    msg = str(err.value)
    assert "even at scale=1" in msg and "method='hungarian'" in msg
    assert "use scale=" not in msg and "smaller scale" not in msg


@pytest.mark.parametrize("objective", ["weight", "cardinality"])
def test_a_named_scale_fits_and_the_next_does_not(objective: str) -> None:
    w = np.random.default_rng(5).random((20, 20)) * 3e3
    p = mk.MatchProblem.from_dense(w)
    with pytest.raises(InvalidInputError, match=r"use scale=(\d+) or smaller") as err:
        FlowSolver(scale=10**9).solve(p, objective=objective)
    fit = int(str(err.value).split("use scale=")[1].split()[0])
    check_assignment(p, FlowSolver(scale=fit).solve(p, objective=objective))
    with pytest.raises(InvalidInputError):
        FlowSolver(scale=fit + 1).solve(p, objective=objective)


# ---------------------------------------------------------------------------------------
# milp: HiGHS' absolute tolerances see the weights scaled near 2**20
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("objective", ["weight", "cardinality"])
@pytest.mark.parametrize("magnitude", [1e-250, 1e-9, 1e-7, 1e-6, 1.0, 1e6, 1e20, 1e300])
@pytest.mark.parametrize("seed", range(2))
def test_milp_is_exact_at_every_magnitude(seed: int, magnitude: float, objective: str) -> None:
    rng = np.random.default_rng(9 + seed)
    w = rng.random((12, 12)) * magnitude
    if objective == "cardinality":
        w -= magnitude / 2  # negative weights too: all pairs are still taken
    a = solve(w, "milp", objective)
    cardinality = objective == "cardinality"
    assert a.objective == pytest.approx(lsa_best(w, cardinality=cardinality), rel=1e-12)
    if cardinality:
        assert len(a) == 12


def test_milp_takes_weights_that_highs_calls_infinite() -> None:
    # HiGHS takes |cost| >= 1e20 as infinite: this gave "no feasible assignment".
    a = solve(np.full((2, 2), 1e20), "milp")
    assert len(a) == 2 and a.objective == 2e20


@given(
    exponent=st.integers(-250, 250),
    shape=st.tuples(st.integers(1, 5), st.integers(1, 5)),
    seed=st.integers(0, 2**32 - 1),
)
def test_milp_property_equals_scipy(exponent: int, shape: tuple[int, int], seed: int) -> None:
    w = np.random.default_rng(seed).random(shape) * 10.0**exponent
    assert solve(w, "milp").objective == pytest.approx(lsa_best(w), rel=1e-12)


def test_milp_failure_without_an_answer_is_not_called_infeasible(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import scipy.optimize

    from matchkit import InfeasibleError, MatchkitError

    class Stopped:
        x = None
        status = 4
        message = "model status is Unknown"

    monkeypatch.setattr(scipy.optimize, "milp", lambda *args, **kwargs: Stopped())
    with pytest.raises(MatchkitError, match="HiGHS stopped without an assignment "
                       r"\(status 4: model status is Unknown\)") as err:
        solve(np.full((2, 2), 3.0), "milp")
    assert not isinstance(err.value, InfeasibleError)


# ---------------------------------------------------------------------------------------
# hungarian: weights whose bonus would overflow float64
# ---------------------------------------------------------------------------------------


@given(
    exponent=st.integers(-250, 250),
    shape=st.tuples(st.integers(1, 6), st.integers(1, 6)),
    seed=st.integers(0, 2**32 - 1),
)
def test_hungarian_cardinality_equals_scipy(exponent: int, shape: tuple[int, int],
                                            seed: int) -> None:
    rng = np.random.default_rng(seed)
    w = (rng.random(shape) - 0.3) * 10.0**exponent
    a = solve(w, "hungarian", "cardinality")
    assert len(a) == min(shape)
    assert a.objective == pytest.approx(lsa_best(w, cardinality=True), rel=1e-9,
                                        abs=1e-12 * 10.0**exponent)


def test_hungarian_cardinality_keeps_tiny_weights_apart() -> None:
    # A bonus of k_max * range + 1 made 1 + 3e-17 and 1 + 1e-17 the same float.
    w = np.array([[1e-17, 3e-17], [2e-17, 1e-17]])
    assert solve(w, "hungarian", "cardinality").pairs.tolist() == [[0, 1], [1, 0]]


def test_hungarian_refuses_a_cardinality_bonus_beyond_float64() -> None:
    w = np.array([[1.7e308, -1.7e308], [-1.7e308, 1.0]])
    with pytest.raises(InvalidInputError, match=r"bonus of \(k_max \+ 1\) \* \(w_max - w_min\), "
                       r"with k_max = 2 pairs .* or use method='milp'"):
        solve(w, "hungarian", "cardinality")
    # The advice works: divided by a constant, the same pairs as scipy.
    a = solve(w / 1e300, "hungarian", "cardinality")
    assert a.pairs.tolist() == [[0, 0], [1, 1]]


def test_hungarian_refuses_a_gadget_bonus_beyond_float64() -> None:
    p = mk.MatchProblem.from_dense(np.array([[1.7e308, 1.0], [1.0, 1e300]]),
                                   left_capacity=2, right_capacity=2)
    with pytest.raises(InvalidInputError, match=r"gadget needs a bonus of 2 \* weight \+ 1"):
        mk.solve(p, method="hungarian")

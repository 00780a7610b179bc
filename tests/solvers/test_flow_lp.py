"""The flow method's LP backend (HiGHS dual simplex on the b-matching polytope) is exact."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from hypothesis import given

import matchkit as mk
from matchkit.datasets import DEFAULT_AS_OF, synthetic_city
from matchkit.solvers import FlowSolver
from matchkit.solvers._flow_ortools import ortools_installed
from matchkit.testing import check_assignment, problems


@given(problems(max_volunteers=6, max_needs=5, max_capacity=3))
def test_lp_backend_equals_the_cloning_reduction(p: mk.MatchProblem) -> None:
    for objective in ("weight", "cardinality"):
        lp = FlowSolver(backend="lp").solve(p, objective=objective)
        ref = FlowSolver(backend="lapjv").solve(p, objective=objective)
        check_assignment(p, lp)
        assert len(lp.pairs) == len(ref.pairs) or objective == "weight"
        assert lp.objective == pytest.approx(ref.objective, abs=1e-6)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_lp_backend_on_a_city_with_capacities_on_both_sides(seed: int) -> None:
    ds = synthetic_city(1500, 150, seed=seed)
    p = mk.build_problem(ds, as_of=DEFAULT_AS_OF)
    assert (p.left_capacity > 1).any() and (p.right_capacity > 1).any()
    lp = FlowSolver(backend="lp").solve(p)
    check_assignment(p, lp)
    assert lp.info["backend"] == "lp"
    assert lp.objective == pytest.approx(mk.solve(p, "milp").objective, abs=1e-6)
    assert lp.objective == pytest.approx(FlowSolver(backend="lapjv").solve(p).objective, abs=1e-6)


def _large_both_sided() -> mk.MatchProblem:
    rng = np.random.default_rng(5)
    n_left, n_right, n_edges = 3000, 300, 60_000
    key = rng.choice(n_left * n_right, size=n_edges, replace=False)
    return mk.MatchProblem.from_edges(
        key // n_right, key % n_right, rng.integers(1, 100, size=n_edges).astype(float),
        n_left=n_left, n_right=n_right,
        left_capacity=rng.integers(1, 4, size=n_left), right_capacity=rng.integers(1, 30, size=n_right),
    )


@pytest.fixture
def without_ortools(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("MATCHKIT_NO_ORTOOLS", "1")
    ortools_installed.cache_clear()
    yield
    ortools_installed.cache_clear()


def test_auto_uses_the_lp_for_large_problems_with_capacities_on_both_sides(
    without_ortools: None,
) -> None:
    p = _large_both_sided()
    a = mk.solve(p, "flow")
    assert a.info["backend"] == "lp"
    check_assignment(p, a)
    assert a.objective == pytest.approx(FlowSolver(backend="lapjv").solve(p).objective)


def test_auto_prefers_ortools_when_installed_and_reaches_the_same_optimum() -> None:
    pytest.importorskip("ortools")
    ortools_installed.cache_clear()
    if not ortools_installed():
        pytest.skip("MATCHKIT_NO_ORTOOLS is set")
    p = _large_both_sided()
    a = mk.solve(p, "flow")
    assert a.info["backend"] == "ortools"
    check_assignment(p, a)
    assert a.objective == pytest.approx(FlowSolver(backend="lp").solve(p).objective)


def test_a_huge_lp_solve_logs_what_to_do(
    without_ortools: None, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from matchkit.solvers import _flow

    monkeypatch.setattr(_flow, "_SLOW_LP", 1000)
    with caplog.at_level("WARNING", logger="matchkit"):
        a = mk.solve(_large_both_sided(), "flow")
    assert a.info["backend"] == "lp"
    assert any(
        "matchkit[ortools]" in r.getMessage() and "capacities on both sides" in r.getMessage()
        for r in caplog.records
    )


def test_a_priced_lp_solve_does_not_warn_of_minutes(
    without_ortools: None, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # Priced, the LP solves a subgraph in seconds: the warning is for every pair at once.
    from matchkit.datasets import DEFAULT_AS_OF, synthetic_city
    from matchkit.solvers import _flow

    monkeypatch.setattr(_flow, "_SLOW_LP", 1000)
    p = mk.build_problem(synthetic_city(4000, 400, seed=1), as_of=DEFAULT_AS_OF)
    with caplog.at_level("WARNING", logger="matchkit"):
        a = mk.solve(p, "flow")
    assert a.info["backend"] == "lp" and a.info["certified"]
    assert not any("matchkit[ortools]" in r.getMessage() for r in caplog.records)

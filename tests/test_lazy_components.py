"""build_problem's components are recomputed on demand; every view of them agrees."""

from __future__ import annotations

import numpy as np
import pytest

import matchkit as mk
from matchkit._build import keep_top_k
from matchkit._problem import components_at
from matchkit._scoring import COMPONENTS
from matchkit.datasets import DEFAULT_AS_OF, synthetic_city


@pytest.fixture(scope="module")
def problem() -> mk.MatchProblem:
    return mk.build_problem(synthetic_city(300, 40, seed=11), as_of=DEFAULT_AS_OF)


def _pairs(p: mk.MatchProblem) -> dict[tuple[int, int], int]:
    return {(int(a), int(b)): i for i, (a, b) in enumerate(zip(p.edge_left, p.edge_right))}


def test_reading_a_few_edges_equals_reading_whole_columns(problem: mk.MatchProblem) -> None:
    pos = np.array([0, problem.n_edges // 2, problem.n_edges - 1, 3, 3])
    part = components_at(problem, pos)
    assert sorted(part) == sorted(COMPONENTS) == sorted(problem.components)
    for k in COMPONENTS:
        np.testing.assert_array_equal(part[k], np.asarray(problem.components[k])[pos])
        assert problem.components[k].shape == (problem.n_edges,)


@pytest.mark.parametrize("view", ["top_k", "decisions"])
def test_subsets_and_decisions_keep_each_edge_s_components(
    problem: mk.MatchProblem, view: str
) -> None:
    if view == "top_k":
        q = keep_top_k(problem, 2)
    else:
        rejected = np.column_stack([problem.edge_left[:40:3], problem.edge_right[:40:3]])
        accepted = np.column_stack([problem.edge_left[50:52], problem.edge_right[50:52]])
        q = problem.with_decisions(accepted=accepted, rejected=rejected)
    assert 0 < q.n_edges < problem.n_edges
    where = _pairs(problem)
    back = np.array([where[(int(a), int(b))] for a, b in zip(q.edge_left, q.edge_right)])
    got = components_at(q, np.arange(q.n_edges))
    for k in COMPONENTS:
        np.testing.assert_array_equal(got[k], np.asarray(problem.components[k])[back])


def test_unknown_component_is_a_key_error(problem: mk.MatchProblem) -> None:
    with pytest.raises(KeyError):
        problem.components["no-such-component"]
    assert problem.components.get("no-such-component") is None


def test_membership_and_reading_a_few_edges_compute_no_whole_column() -> None:
    p = mk.build_problem(synthetic_city(200, 30, seed=4), as_of=DEFAULT_AS_OF)
    assert "distance_km" in p.components and "nope" not in p.components
    components_at(p, np.arange(5))
    assert p.components._full is None  # type: ignore[attr-defined]
    p.components["interest"]
    assert p.components._full is not None  # type: ignore[attr-defined]

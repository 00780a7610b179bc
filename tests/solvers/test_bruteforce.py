"""The optimising methods reach the brute-force optimum on tiny instances; stable is optimal
for volunteers among all stable assignments found by enumeration."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from solver_problems import brute_force, problems

import matchkit as mk
from matchkit._stability import preference_ranks
from matchkit.solvers import blocking_pairs

OPTIMISING = ["flow", "hungarian", "milp"]
tiny = problems(max_left=4, max_right=4, max_edges=12)


@pytest.mark.parametrize("method", OPTIMISING)
@given(problem=tiny)
def test_weight_optimum_matches_brute_force(method: str, problem) -> None:
    _, best = brute_force(problem, "weight")
    assert mk.solve(problem, method=method).objective == pytest.approx(best)


@pytest.mark.parametrize("method", OPTIMISING)
@given(problem=tiny)
def test_cardinality_optimum_matches_brute_force(method: str, problem) -> None:
    count, best = brute_force(problem, "cardinality")
    a = mk.solve(problem, method=method, objective="cardinality")
    assert (len(a), a.objective) == (count, pytest.approx(best))


def _all_assignments(problem: mk.MatchProblem):
    free = np.flatnonzero(~problem.pinned)
    lcap, rcap = problem.residual_capacities()
    for bits in itertools.product([False, True], repeat=len(free)):
        chosen = free[np.array(bits, dtype=bool)] if len(free) else free
        if (
            np.bincount(problem.edge_left[chosen], minlength=problem.n_left) <= lcap
        ).all() and (
            np.bincount(problem.edge_right[chosen], minlength=problem.n_right) <= rcap
        ).all():
            yield mk.Assignment.from_edges(problem, chosen, method="enumerated")


@pytest.mark.parametrize("proposing", ["volunteer", "need"])
@given(problem=problems(max_left=4, max_right=3, max_edges=9))
def test_stable_is_proposer_optimal_among_all_stable_assignments(
    proposing: str, problem
) -> None:
    """Proposing side gets, agent by agent, its best set among all (tie-broken) stable
    assignments: its k-th best partner is never worse than in any other stable one."""
    got = mk.solve(problem, method=mk.solvers.StableSolver(proposing=proposing))
    assert len(blocking_pairs(problem, got, break_ties=True)) == 0
    vol_rank, need_rank = preference_ranks(problem)
    side, rank, n = (
        (problem.edge_left, vol_rank, problem.n_left)
        if proposing == "volunteer"
        else (problem.edge_right, need_rank, problem.n_right)
    )

    def profile(a: mk.Assignment) -> list[list[int]]:
        free = a.edges[~problem.pinned[a.edges]]
        return [sorted(rank[free[side[free] == i]].tolist()) for i in range(n)]

    mine = profile(got)
    stable_ones = [
        a
        for a in _all_assignments(problem)
        if len(blocking_pairs(problem, a, break_ties=True)) == 0
    ]
    assert stable_ones, "a stable assignment always exists"
    for other in map(profile, stable_ones):
        for a, b in zip(mine, other):
            # same number of partners (rural hospitals), each position at least as good
            assert len(a) == len(b)
            assert all(x <= y for x, y in zip(a, b))

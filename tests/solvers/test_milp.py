"""The milp method's side constraints: clashes, groups, minimum shares; infeasibility."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from solver_problems import brute_force, problems, random_problem

import matchkit as mk
from matchkit._checks import check_assignment
from matchkit.solvers import Group, MilpSolver, MinShare, clashes_from_slots


def _problem(w, *, left_capacity=1, right_capacity=1, **kw):
    w = np.asarray(w, dtype=np.float64)
    return mk.MatchProblem.from_dense(
        w,
        left_capacity=left_capacity,
        right_capacity=right_capacity,
        left_ids=[f"v{i}" for i in range(w.shape[0])],
        right_ids=[f"n{j}" for j in range(w.shape[1])],
        **kw,
    )


@pytest.mark.parametrize("seed", range(4))
def test_no_side_constraint_same_objective_as_flow(seed: int) -> None:
    p = random_problem(seed)
    assert (
        mk.solve(p, method=MilpSolver()).objective
        == mk.solve(p, method="flow").objective
    )


# -- clashes ---------------------------------------------------------------------------
def test_clash_keeps_a_volunteer_off_two_overlapping_needs() -> None:
    p = _problem([[5, 4, 1]], left_capacity=3)
    free = mk.solve(p, method="milp")
    assert free.pairs.tolist() == [[0, 0], [0, 1], [0, 2]]
    a = mk.solve(p, method=MilpSolver(clashes=[("n0", "n1")]))
    check_assignment(p, a)
    assert a.pairs.tolist() == [[0, 0], [0, 2]]
    assert a.objective == 6.0


def test_clashes_by_index_and_from_slots_agree() -> None:
    slots = [{"mon-morning"}, {"mon-morning", "tue-evening"}, {"wed-evening"}]
    clashes = clashes_from_slots(slots)
    assert clashes.tolist() == [[0, 1]]
    p = _problem([[5, 4, 1], [1, 2, 3]], left_capacity=2, right_capacity=2)
    by_index = mk.solve(p, method=MilpSolver(clashes=clashes))
    by_id = mk.solve(p, method=MilpSolver(clashes=[["n0", "n1"]]))
    assert (
        by_index.pairs.tolist()
        == by_id.pairs.tolist()
        == [[0, 0], [0, 2], [1, 1], [1, 2]]
    )


def test_clashes_from_a_boolean_slot_table() -> None:
    table = np.array([[1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 0]], dtype=bool)
    assert clashes_from_slots(table).tolist() == [[0, 1], [1, 2]]


def test_clash_between_two_accepted_pairs_is_infeasible() -> None:
    p = _problem([[5, 4]], left_capacity=2).with_decisions(
        accepted=[("v0", "n0"), ("v0", "n1")]
    )
    with pytest.raises(
        mk.InfeasibleError, match=r"clash: accepted pairs \('v0', 'n0'\)"
    ):
        mk.solve(p, method=MilpSolver(clashes=[("n0", "n1")]))


@given(problem=problems(max_left=4, max_right=4, max_edges=12), data=st.data())
def test_clashes_hold_and_cost_nothing_when_no_one_has_two_places(
    problem, data
) -> None:
    n = problem.n_right
    pairs = data.draw(
        st.lists(
            st.tuples(
                st.integers(0, max(n - 1, 0)), st.integers(0, max(n - 1, 0))
            ).filter(lambda t: t[0] != t[1]),
            max_size=4,
        )
        if n >= 2
        else st.just([])
    )
    solver = MilpSolver(clashes=np.array(pairs, dtype=np.int64).reshape(-1, 2))
    try:
        a = mk.solve(problem, method=solver)
    except mk.InfeasibleError:
        # only accepted pairs can break a clash
        assert problem.pinned.any()
        return
    check_assignment(problem, a)
    chosen = set(map(tuple, a.pairs.tolist()))
    for x, y in pairs:
        both = [
            v for v in range(problem.n_left) if (v, x) in chosen and (v, y) in chosen
        ]
        pinned_both = [
            v for v in both if problem.pinned[problem.edge_index([v, v], [x, y])].all()
        ]
        assert both == pinned_both
    if (problem.left_capacity <= 1).all():
        assert a.objective == brute_force(problem)[1]


# -- groups ----------------------------------------------------------------------------
def test_group_is_placed_together_or_not_at_all() -> None:
    w = [[5, 1], [2, 5], [0.5, 0.5]]
    p = _problem(w, right_capacity=[2, 2])
    a = mk.solve(p, method=MilpSolver(groups=[Group(["v0", "v1"], name="siblings")]))
    check_assignment(p, a)
    assert a.pairs.tolist() == [[0, 0], [1, 0], [2, 1]]
    # no need can take both: the group stays home
    q = _problem(w, right_capacity=[1, 1])
    b = mk.solve(q, method=MilpSolver(groups=[["v0", "v1"]]))
    assert b.pairs.tolist() == [[2, 0]]


def test_group_member_without_an_edge_closes_that_need() -> None:
    p = mk.MatchProblem.from_edges(
        [0, 0, 1], [0, 1, 1], [9.0, 1.0, 1.0], n_left=2, n_right=2, right_capacity=2
    )
    a = mk.solve(p, method=MilpSolver(groups=[[0, 1]]))
    assert a.pairs.tolist() == [[0, 1], [1, 1]]


def test_group_cannot_join_an_accepted_member() -> None:
    p = mk.MatchProblem.from_edges(
        [0, 1],
        [0, 1],
        [1.0, 1.0],
        n_left=2,
        n_right=2,
        right_capacity=2,
        left_ids=["ann", "bob"],
        pinned=[True, False],
    )
    with pytest.raises(
        mk.InfeasibleError, match=r"Group 'pair': accepted pair \('ann', '0'\)"
    ):
        mk.solve(p, method=MilpSolver(groups=[Group(["ann", "bob"], name="pair")]))


# -- minimum shares --------------------------------------------------------------------
def test_min_count_moves_placements_to_a_district() -> None:
    w = [[5, 1], [5, 1], [5, 1]]
    p = _problem(w, right_capacity=3)
    assert mk.solve(p, method="milp").pairs[:, 1].tolist() == [0, 0, 0]
    a = mk.solve(
        p, method=MilpSolver(min_share=MinShare(["n1"], count=2, name="north"))
    )
    check_assignment(p, a)
    assert a.pairs[:, 1].tolist().count(1) == 2
    assert a.objective == 7.0


def test_min_share_is_a_fraction_of_all_placements() -> None:
    w = [[5, 1], [5, 1], [5, 1], [5, 1]]
    p = _problem(w, right_capacity=4)
    a = mk.solve(p, method=MilpSolver(min_share=[MinShare(["n1"], share=0.5)]))
    assert a.pairs[:, 1].tolist().count(1) == 2
    assert len(a) == 4


def test_min_share_can_be_met_by_placing_fewer() -> None:
    # need n1 only accepts v0; a 50% share is met by placing v0 at n1 and one other
    p = mk.MatchProblem.from_edges(
        [0, 1, 2, 0],
        [0, 0, 0, 1],
        [5.0, 5.0, 5.0, 1.0],
        n_left=3,
        n_right=2,
        right_capacity=3,
    )
    a = mk.solve(p, method=MilpSolver(min_share=MinShare([1], share=0.5)))
    assert len(a) == 2 and a.objective == 6.0


def test_infeasible_min_share_is_named() -> None:
    p = _problem([[5, 0], [5, 0]], right_capacity=2)  # n1 has no positive pair
    with pytest.raises(mk.InfeasibleError, match=r"MinShare 'south' \(count >= 1\)"):
        mk.solve(
            p, method=MilpSolver(min_share=MinShare(["n1"], count=1, name="south"))
        )
    # under "cardinality" zero-weight pairs are allowed, so the floor can be met
    a = mk.solve(
        p,
        method=MilpSolver(min_share=MinShare(["n1"], count=1)),
        objective="cardinality",
    )
    assert len(a) == 2


def test_cardinality_is_lexicographic() -> None:
    p = _problem([[10, 0.5], [9, -1]])
    assert mk.solve(p, method="milp").pairs.tolist() == [[0, 0]]
    a = mk.solve(p, method="milp", objective="cardinality")
    assert a.pairs.tolist() == [[0, 1], [1, 0]] and a.objective == 9.5


def test_time_limit_is_passed_and_reported() -> None:
    p = random_problem(1)
    a = mk.solve(p, method=MilpSolver(time_limit=30))
    assert a.status == "optimal"


# -- validation ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (lambda: Group(["a"]), "at least two volunteers"),
        (lambda: Group(["a", "a"]), "lists 'a' more than once"),
        (lambda: Group(["a", 1.5]), r"Group.volunteers\[1\] = 1.5 must be an id"),
        (lambda: MinShare([], count=1), "MinShare.needs is empty"),
        (lambda: MinShare(["n"]), "count=..., share=... or both"),
        (lambda: MinShare(["n"], count=-1), "count must be an int >= 0"),
        (lambda: MinShare(["n"], share=1.5), r"share must be in \(0, 1\]"),
        (lambda: MilpSolver(clashes=[1, 2, 3]), r"shape \(m, 2\)"),
        (lambda: MilpSolver(clashes=[[1, 1]]), "pairs need 1 with itself"),
        (lambda: MilpSolver(min_share=["n"]), r"min_share\[0\] must be a MinShare"),
        (lambda: MilpSolver(time_limit=0), "positive number of seconds"),
    ],
)
def test_bad_constraints_are_refused_at_construction(factory, message: str) -> None:
    with pytest.raises(mk.InvalidInputError, match=message):
        factory()


@pytest.mark.parametrize(
    ("solver", "message"),
    [
        (MilpSolver(clashes=[["n0", "nX"]]), "clashes: no need with id 'nX'"),
        (MilpSolver(groups=[["v0", "vX"]]), "no volunteer with id 'vX'"),
        (MilpSolver(groups=[[0, 9]]), "volunteer index 9 is out of range"),
        (MilpSolver(min_share=MinShare(["nX"], count=1)), "no need with id 'nX'"),
    ],
)
def test_unknown_ids_are_named_at_solve_time(solver: MilpSolver, message: str) -> None:
    with pytest.raises(mk.InvalidInputError, match=message):
        mk.solve(_problem([[1, 2], [3, 4]]), method=solver)


def test_a_large_problem_without_a_time_limit_is_warned_of(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """HiGHS' branch and bound took more than 5 minutes on 0.9 M pairs, with no word of
    why; the flow method solves them in seconds."""
    import matchkit.solvers._milp as milp_module

    monkeypatch.setattr(milp_module, "SLOW_EDGES", 10)
    p = random_problem(3, n_left=6, n_right=5, density=1.0)
    assert p.n_edges > 10
    with caplog.at_level("WARNING", logger="matchkit"):
        MilpSolver().solve(p)
    assert "use method='flow'" in caplog.text and "time_limit" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="matchkit"):
        MilpSolver(time_limit=60).solve(p)
        milp_module.SLOW_EDGES = 10**9
        MilpSolver().solve(p)
    assert caplog.text == ""

"""Every registered method passes the shared invariant oracle; the solve() front door."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from solver_problems import problems

import matchkit as mk
from matchkit._checks import check_assignment
from matchkit.solvers import (
    SOLVERS,
    HungarianSolver,
    MilpSolver,
    Solver,
    StableSolver,
    get_solver,
    register,
    unregister,
)

METHODS = list(SOLVERS)
OPTIMISING = [m for m in METHODS if m != "stable"]
OBJECTIVES = ["weight", "cardinality"]


@pytest.mark.parametrize("objective", OBJECTIVES)
@pytest.mark.parametrize("method", METHODS)
@given(problem=problems())
def test_every_method_passes_the_oracle(method: str, objective: str, problem) -> None:
    assignment = mk.solve(problem, method=method, objective=objective)
    check_assignment(problem, assignment)
    assert assignment.method == method


@pytest.mark.parametrize("method", OPTIMISING)
@given(problem=problems())
def test_weight_objective_never_chooses_a_non_positive_free_edge(
    method: str, problem
) -> None:
    a = mk.solve(problem, method=method)
    chosen_free = a.edges[~problem.pinned[a.edges]]
    assert (problem.weight[chosen_free] > 0).all()


@pytest.mark.parametrize("method", METHODS)
def test_same_input_same_output(method: str) -> None:
    from solver_problems import random_problem

    p = random_problem(11)
    a, b = mk.solve(p, method=method), mk.solve(p, method=method)
    assert np.array_equal(a.pairs, b.pairs)
    assert a.objective == b.objective


@pytest.mark.parametrize("method", METHODS)
def test_decisions_are_honoured(method: str) -> None:
    w = np.array([[5.0, 4.0, 1.0], [6.0, 2.0, 3.0], [1.0, 1.0, 9.0]])
    p = mk.MatchProblem.from_dense(
        w, left_ids=["a", "b", "c"], right_ids=["x", "y", "z"]
    )
    q = p.with_decisions(accepted=[("a", "z")], rejected=[("b", "x")])
    res = mk.solve(q, method=method)
    check_assignment(q, res)
    got = res.id_pairs(q)
    assert ("a", "z") in got
    assert ("b", "x") not in got


@pytest.mark.parametrize("method", METHODS)
def test_empty_problem(method: str) -> None:
    p = mk.MatchProblem.from_edges([], [], [], n_left=0, n_right=0)
    a = mk.solve(p, method=method)
    assert a.pairs.shape == (0, 2)
    assert a.objective == 0.0


def test_unknown_method_lists_the_valid_names() -> None:
    p = mk.MatchProblem.from_dense(np.ones((2, 2)))
    with pytest.raises(
        mk.UnknownMethodError,
        match=r"'method' parameter of solve must be one of 'flow', 'hungarian', 'stable', "
        r"'milp'.*Got 'hungarain'",
    ):
        mk.solve(p, method="hungarain")


def test_unknown_objective_is_refused() -> None:
    p = mk.MatchProblem.from_dense(np.ones((2, 2)))
    with pytest.raises(mk.UnknownMethodError, match="'objective' parameter of solve"):
        mk.solve(p, objective="weights")


def test_solve_needs_a_problem() -> None:
    with pytest.raises(
        mk.InvalidInputError, match="solve\\(\\) needs a MatchProblem; got ndarray"
    ):
        mk.solve(np.ones((2, 2)))  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [StableSolver, 3, None])
def test_method_must_be_a_name_or_an_instance(bad: object) -> None:
    p = mk.MatchProblem.from_dense(np.ones((2, 2)))
    with pytest.raises(mk.InvalidInputError, match="must be a method name"):
        mk.solve(p, method=bad)  # type: ignore[arg-type]


def test_configured_instance_is_used() -> None:
    vu = [1.0, 2.0, 2.0, 1.0]
    nu = [2.0, 1.0, 1.0, 2.0]
    p = mk.MatchProblem.from_edges(
        [0, 0, 1, 1],
        [0, 1, 0, 1],
        [1.0] * 4,
        n_left=2,
        n_right=2,
        left_utility=vu,
        right_utility=nu,
    )
    vol = mk.solve(p, method=StableSolver())
    need = mk.solve(p, method=StableSolver(proposing="need"))
    assert vol.pairs.tolist() == [[0, 1], [1, 0]]
    assert need.pairs.tolist() == [[0, 0], [1, 1]]


@pytest.mark.parametrize("name", METHODS)
def test_registry_gives_instances_that_follow_the_protocol(name: str) -> None:
    solver = get_solver(name)
    assert isinstance(solver, Solver)
    assert solver.name == name
    assert SOLVERS[name] is type(solver)


def test_registry_is_read_only() -> None:
    with pytest.raises(TypeError, match="does not support item assignment"):
        SOLVERS["x"] = HungarianSolver  # type: ignore[index]


def test_register_refuses_a_taken_name_and_a_nameless_class() -> None:
    class Other(HungarianSolver):
        pass

    with pytest.raises(mk.InvalidInputError, match="'hungarian' is already registered"):
        register(Other)

    class Nameless:
        def solve(self, problem, *, objective="weight"):  # pragma: no cover
            raise AssertionError

    with pytest.raises(
        mk.InvalidInputError, match="non-empty string class attribute 'name'"
    ):
        register(Nameless)


def test_get_solver_unknown_name() -> None:
    with pytest.raises(mk.UnknownMethodError, match="'method' parameter of get_solver"):
        get_solver("simplex")


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (
            lambda: StableSolver(proposing="needs"),
            "'proposing' parameter of StableSolver",
        ),
        (
            lambda: HungarianSolver(max_bytes=0),
            "'max_bytes' parameter of HungarianSolver",
        ),
        (
            lambda: HungarianSolver(max_bytes=1.5),
            "'max_bytes' parameter of HungarianSolver",
        ),
        (lambda: MilpSolver(time_limit=-1), "'time_limit' parameter of MilpSolver"),
    ],
)
def test_options_are_validated_at_construction(factory, message: str) -> None:
    with pytest.raises(mk.InvalidInputError, match=message):
        factory()


def test_hungarian_refuses_a_matrix_over_its_limit() -> None:
    p = mk.MatchProblem.from_dense(np.ones((30, 20)), right_capacity=3)
    with pytest.raises(mk.CapacityError, match=r"30 x 60 matrix .* use method='flow'"):
        mk.solve(p, method=HungarianSolver(max_bytes=10_000))
    assert len(mk.solve(p, method=HungarianSolver(max_bytes=100_000))) == 30


def test_hungarian_never_takes_a_pair_twice_with_places_on_both_sides() -> None:
    # one volunteer with 3 places, needs with 3 places: cloning both sides naively
    # would let the volunteer take the best need three times
    w = np.array([[10.0, 1.0, 1.0], [1.0, 1.0, 1.0]])
    p = mk.MatchProblem.from_dense(w, left_capacity=[3, 1], right_capacity=3)
    a = mk.solve(p, method="hungarian")
    check_assignment(p, a)
    assert a.objective == 13.0
    assert a.info["matrix_shape"][0] > 4  # the gadgets are there


def test_a_registered_backend_is_solvable_by_name() -> None:
    class Cautious(HungarianSolver):
        name = "cautious"

    register(Cautious)
    try:
        p = mk.MatchProblem.from_dense(np.array([[1.0, 2.0], [3.0, 1.0]]))
        a = mk.solve(p, method="cautious")
        assert a.objective == 5.0
    finally:
        assert unregister("cautious") is Cautious
    with pytest.raises(mk.UnknownMethodError, match="Got 'cautious'"):
        mk.solve(p, method="cautious")


def _broken(problem: mk.MatchProblem, **changes) -> mk.Assignment:
    good = mk.Assignment.from_edges(problem, [0, 4], method="hand")
    fields = {
        "pairs": good.pairs,
        "edges": good.edges,
        "objective": good.objective,
        "method": "hand",
        "status": "optimal",
    }
    fields.update(changes)
    return mk.Assignment(**fields)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"pairs": np.array([[0, 0], [1, 1]])},
            r"pairs\[1\] = \('1', '1'\) is not an acceptable",
        ),
        ({"edges": np.array([0, 3])}, r"edges\[1\] = 3 but pairs\[1\] is edge 4"),
        (
            {"pairs": np.array([[2, 1], [0, 0]]), "edges": np.array([4, 0])},
            r"pairs\[1\] = \(0, 0\) is out of order",
        ),
        (
            {"pairs": np.array([[0, 0], [9, 0]])},
            r"pairs\[1\] has volunteer index 9 outside",
        ),
        (
            {"objective": 99.0},
            "objective 99.0 is not the sum of the chosen weights 3.0",
        ),
        ({"status": "great"}, "status 'great' is not one of"),
        (
            {"pairs": np.zeros((2, 3), dtype=np.int64)},
            r"pairs must have shape \(k, 2\)",
        ),
    ],
)
def test_the_oracle_catches_each_broken_invariant(changes, message: str) -> None:
    # edges: 0=(0,0) 1=(0,1) 2=(1,0) 3=(2,0) 4=(2,1); (1,1) is not an edge
    p = mk.MatchProblem.from_edges(
        [0, 0, 1, 2, 2],
        [0, 1, 0, 0, 1],
        [1.0, 2.0, 3.0, 4.0, 2.0],
        n_left=3,
        n_right=2,
        right_capacity=2,
    )
    with pytest.raises(AssertionError, match=message):
        check_assignment(p, _broken(p, **changes))


def test_the_oracle_catches_capacity_and_dropped_pins() -> None:
    p = mk.MatchProblem.from_edges(
        [0, 0, 1],
        [0, 1, 0],
        [1.0, 2.0, 3.0],
        n_left=2,
        n_right=2,
        left_capacity=[2, 1],
        pinned=[False, True, False],
    )
    over = mk.Assignment.from_edges(p, [0, 2], method="hand")  # need 0 holds two
    with pytest.raises(
        AssertionError, match="need '0' holds 2 pairs but its capacity is 1"
    ):
        check_assignment(p, over)
    dropped = mk.Assignment(
        pairs=np.array([[1, 0]]),
        edges=np.array([2]),
        objective=3.0,
        method="hand",
        status="optimal",
    )
    with pytest.raises(AssertionError, match=r"accepted pair \('0', '1'\) was dropped"):
        check_assignment(p, dropped)

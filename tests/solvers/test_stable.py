"""The stable method: published examples, stability as a property, agreement with `matching`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from solver_problems import problems

import matchkit as mk
from matchkit import _stability
from matchkit._checks import check_assignment
from matchkit.solvers import StableSolver, blocking_pairs

DATA = Path(__file__).resolve().parents[1] / "data" / "stable_matching_instances.json"
INSTANCES = json.loads(DATA.read_text())["instances"]


def _from_preferences(left_prefs, right_prefs, right_capacity=None):
    """A problem whose utilities are minus the position in each preference list."""
    left_ids = sorted(left_prefs)
    right_ids = sorted(right_prefs)
    li = {x: i for i, x in enumerate(left_ids)}
    ri = {x: i for i, x in enumerate(right_ids)}
    rows = [
        (li[a], ri[b], -k, -right_prefs[b].index(a))
        for a, prefs in left_prefs.items()
        for k, b in enumerate(prefs)
        if a in right_prefs[b]
    ]
    left, right, lu, ru = (np.array(c) for c in zip(*rows))
    cap = 1 if right_capacity is None else [right_capacity[x] for x in right_ids]
    return mk.MatchProblem.from_edges(
        left,
        right,
        np.ones(len(left)),
        n_left=len(left_ids),
        n_right=len(right_ids),
        right_capacity=cap,
        left_utility=lu,
        right_utility=ru,
        left_ids=left_ids,
        right_ids=right_ids,
    )


def _cases():
    for inst in INSTANCES:
        for key, proposing in (
            ("expected_suitor_optimal", "volunteer"),
            ("expected_reviewer_optimal", "need"),
            ("expected_resident_optimal", "volunteer"),
            ("expected_hospital_optimal", "need"),
        ):
            if key in inst:
                yield pytest.param(inst, key, proposing, id=f"{inst['id']}-{proposing}")


@pytest.mark.parametrize(("inst", "key", "proposing"), list(_cases()))
def test_published_examples(inst, key: str, proposing: str) -> None:
    if inst["type"] == "stable_marriage":
        p = _from_preferences(inst["suitor_prefs"], inst["reviewer_prefs"])
        expected = sorted(inst[key].items())
    else:
        p = _from_preferences(
            inst["resident_prefs"], inst["hospital_prefs"], inst["capacities"]
        )
        expected = sorted((r, h) for h, rs in inst[key].items() for r in rs)
    a = mk.solve(p, method=StableSolver(proposing=proposing))
    check_assignment(p, a)
    assert sorted(a.id_pairs(p)) == expected
    assert a.status == "stable"
    assert len(blocking_pairs(p, a)) == 0


@pytest.mark.parametrize("break_ties", [False, True])
@pytest.mark.parametrize("proposing", ["volunteer", "need"])
@given(problem=problems(max_left=8, max_right=6))
def test_no_blocking_pair(proposing: str, break_ties: bool, problem) -> None:
    a = StableSolver(proposing=proposing).solve(problem)
    check_assignment(problem, a)
    assert blocking_pairs(problem, a, break_ties=break_ties).shape == (0, 2)


@given(problem=problems(max_left=8, max_right=6))
def test_both_sides_place_the_same_agents(problem) -> None:
    """Rural hospitals: every stable assignment fills the same number of places per agent."""
    v = StableSolver().solve(problem)
    n = StableSolver(proposing="need").solve(problem)
    for col, size in ((0, problem.n_left), (1, problem.n_right)):
        assert np.array_equal(
            np.bincount(v.pairs[:, col], minlength=size),
            np.bincount(n.pairs[:, col], minlength=size),
        )


def test_many_to_many_capacities_and_tie_rule() -> None:
    # volunteer 0 has two places and likes all three needs equally: ties go to the lower
    # need index; need 2 has two places
    p = mk.MatchProblem.from_edges(
        [0, 0, 0, 1, 1],
        [0, 1, 2, 1, 2],
        np.ones(5),
        n_left=2,
        n_right=3,
        left_capacity=[2, 1],
        right_capacity=[1, 1, 2],
        left_utility=[1.0, 1.0, 1.0, 0.0, 5.0],
        right_utility=[1.0, 0.0, 1.0, 3.0, 1.0],
    )
    a = StableSolver().solve(p)
    assert a.pairs.tolist() == [[0, 0], [0, 1], [1, 2]]


def test_blocking_pairs_spots_an_unstable_assignment() -> None:
    p = mk.MatchProblem.from_dense(np.array([[2.0, 1.0], [1.0, 2.0]]))
    crossed = mk.Assignment.from_edges(p, [1, 2], method="hand")
    assert blocking_pairs(p, crossed).tolist() == [[0, 0], [1, 1]]
    # an empty assignment: every pair blocks (everyone has a free place)
    empty = mk.Assignment.from_edges(p, [], method="hand")
    assert len(blocking_pairs(p, empty)) == 4


def test_blocking_pairs_among_keeps_only_the_flagged_edges() -> None:
    p = mk.MatchProblem.from_dense(np.array([[2.0, 1.0], [1.0, 2.0]]))
    empty = mk.Assignment.from_edges(p, [], method="hand")
    among = np.array([True, False, False, True])
    assert blocking_pairs(p, empty, among=among).tolist() == [[0, 0], [1, 1]]


@pytest.mark.parametrize(
    ("among", "message"),
    [
        (np.ones(3, bool), r"one flag per edge of the problem, shape \(4,\); got shape \(3,\)"),
        (np.ones(6, bool), r"one flag per edge of the problem, shape \(4,\); got shape \(6,\)"),
        (np.ones((2, 2), bool), r"shape \(4,\); got shape \(2, 2\)"),
        (np.array([0, 3, 1, 2]), r"must be a boolean array, one flag per edge; got dtype int"),
    ],
)
def test_blocking_pairs_refuses_a_wrong_among(among: np.ndarray, message: str) -> None:
    p = mk.MatchProblem.from_dense(np.array([[2.0, 1.0], [1.0, 2.0]]))
    empty = mk.Assignment.from_edges(p, [], method="hand")
    with pytest.raises(mk.InvalidInputError, match=message):
        blocking_pairs(p, empty, among=among)


@pytest.mark.parametrize(
    ("other", "message"),
    [
        # more edges: a position beyond this problem's (an IndexError before)
        (mk.MatchProblem.from_dense(np.ones((5, 5))),
         r"pair \(1, 1\) is at edge position 6, and the problem has 4 edges"),
        # as many edges, other pairs: silently wrong before
        (mk.MatchProblem.from_edges([0, 0, 1, 1], [0, 1, 0, 2], [1.0] * 4, n_left=2, n_right=3),
         r"pair \(1, 2\) is at edge position 3, which is the pair \(1, 1\) here"),
    ],
)
def test_blocking_pairs_refuses_an_assignment_of_another_problem(
    other: mk.MatchProblem, message: str
) -> None:
    p = mk.MatchProblem.from_dense(np.array([[2.0, 1.0], [1.0, 2.0]]))
    with pytest.raises(mk.InvalidInputError, match="does not belong to this problem") as err:
        blocking_pairs(p, mk.solve(other))
    assert err.match(message)
    with pytest.raises(mk.InvalidInputError, match="must be an Assignment"):
        blocking_pairs(p, [[0, 0]])  # type: ignore[arg-type]


def test_pinned_pairs_are_kept_and_never_compared() -> None:
    # volunteer 1 is accepted at need 0, which need 0 likes less than volunteer 0: that
    # commitment is kept and does not block; volunteer 0 goes to need 1
    w = np.array([[3.0, 1.0], [1.0, 3.0]])
    p = mk.MatchProblem.from_dense(w).with_decisions(accepted=[("1", "0")])
    a = StableSolver().solve(p)
    check_assignment(p, a)
    assert a.pairs.tolist() == [[0, 1], [1, 0]]
    assert len(blocking_pairs(p, a)) == 0


def _random_hr(seed: int, n_res: int = 40, n_hosp: int = 6, k: int = 3):
    rng = np.random.default_rng(seed)
    res_prefs = {
        f"r{i}": [f"h{j}" for j in rng.choice(n_hosp, k, replace=False)]
        for i in range(n_res)
    }
    score = {r: rng.permutation(n_res * n_hosp) for r in res_prefs}
    hosp_prefs = {}
    for j in range(n_hosp):
        h = f"h{j}"
        applicants = [r for r, prefs in res_prefs.items() if h in prefs]
        hosp_prefs[h] = sorted(applicants, key=lambda r: score[r][j])
    caps = {
        f"h{j}": int(c)
        for j, c in enumerate(rng.integers(1, 2 * n_res // n_hosp, n_hosp))
    }
    return res_prefs, hosp_prefs, caps


@pytest.mark.parametrize("optimal", ["resident", "hospital"])
@pytest.mark.parametrize("seed", range(5))
def test_agrees_with_the_matching_package(seed: int, optimal: str) -> None:
    games = pytest.importorskip("matching.games")
    res_prefs, hosp_prefs, caps = _random_hr(seed)
    game = games.HospitalResident.create_from_dictionaries(res_prefs, hosp_prefs, caps)
    theirs = sorted(
        (r.name, h.name) for h, rs in game.solve(optimal=optimal).items() for r in rs
    )
    p = _from_preferences(res_prefs, hosp_prefs, caps)
    proposing = "volunteer" if optimal == "resident" else "need"
    ours = StableSolver(proposing=proposing).solve(p)
    assert sorted(ours.id_pairs(p)) == theirs


def _blocking_reference(p: mk.MatchProblem, edges: list[int]) -> list[list[int]]:
    """Blocking pairs by the definition, edge by edge: an unmatched pair whose two sides
    each have a free place or strictly prefer it to their worst compared (unpinned)
    match. Pinned pairs use capacity and are never compared."""
    held = set(edges) | {e for e in range(p.n_edges) if p.pinned[e]}
    out = []
    for e in range(p.n_edges):
        if e in held:
            continue
        wants = []
        for idx, cap, score in (
            (p.edge_left, p.left_capacity, p.volunteer_utility),
            (p.edge_right, p.right_capacity, p.need_utility),
        ):
            mine = [f for f in held if idx[f] == idx[e]]
            if len(mine) < cap[idx[e]]:
                wants.append(True)
                continue
            compared = [score[f] for f in mine if not p.pinned[f]]
            wants.append(bool(compared) and score[e] > min(compared))
        if all(wants):
            out.append([int(p.edge_left[e]), int(p.edge_right[e])])
    return sorted(out)


@given(
    problem=problems(max_left=6, max_right=5),
    data=st.data(),
    slice_=st.integers(1, 7),
    threads=st.sampled_from(["1", "2", "3"]),
)
def test_blocking_pairs_equal_the_definition(problem, data, slice_, threads) -> None:
    # Any assignment within the capacities, not only stable ones.
    lcap, rcap = problem.residual_capacities()
    free = [e for e in range(problem.n_edges) if not problem.pinned[e]]
    order = data.draw(st.permutations(free))
    keep = data.draw(st.lists(st.booleans(), min_size=len(order), max_size=len(order)))
    edges = []
    for e, k in zip(order, keep):
        i, j = int(problem.edge_left[e]), int(problem.edge_right[e])
        if k and lcap[i] > 0 and rcap[j] > 0:
            lcap[i] -= 1
            rcap[j] -= 1
            edges.append(e)
    a = mk.Assignment.from_edges(problem, sorted(edges), method="hand")
    # (checked in slices of a few edges, on worker threads taking runs of slices)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_stability, "SLICE", slice_)
        mp.setenv("MATCHKIT_THREADS", threads)
        got = blocking_pairs(problem, a).tolist()
    assert got == _blocking_reference(problem, edges)

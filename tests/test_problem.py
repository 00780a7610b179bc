"""MatchProblem and Assignment: construction, validation that names the position, decisions."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import matchkit as mk
from matchkit.testing import problems

BAD_EDGES = [
    pytest.param({"left": [0, 1], "right": [0], "weight": [1.0, 2.0]}, r"same length; got 2 and 1", id="length"),
    pytest.param({"left": [0, 1], "right": [0, 1], "weight": [1.0]}, r"weight must have one value per edge", id="weight-shape"),
    pytest.param({"left": [0, 1], "right": [0, 1], "weight": [1.0, np.nan]}, r"weight\[1\] = nan is not finite", id="nan"),
    pytest.param({"left": [0, 1], "right": [0, 1], "weight": [np.inf, 1.0]}, r"weight\[0\] = inf is not finite", id="inf"),
    pytest.param({"left": [0, 5], "right": [0, 1], "weight": [1.0, 1.0]}, r"left\[1\] = 5 is out of range; indices must be in 0..1", id="left-range"),
    pytest.param({"left": [0, 1], "right": [-1, 1], "weight": [1.0, 1.0]}, r"right\[0\] = -1 is out of range", id="right-negative"),
    pytest.param({"left": [0, 1, 0], "right": [1, 1, 1], "weight": [1.0, 1.0, 2.0]}, r"edge \(0, 1\) appears twice, at positions 0 and 2", id="duplicate"),
    pytest.param({"left": [0.5], "right": [0], "weight": [1.0]}, r"left must hold integer indices", id="float-index"),
    pytest.param({"left": [0], "right": [0], "weight": [1.0], "left_capacity": [1, -2]}, r"left_capacity\[1\] = -2 is negative", id="negative-capacity"),
    pytest.param({"left": [0], "right": [0], "weight": [1.0], "right_capacity": [1.5, 1]}, r"right_capacity\[0\] = 1.5 is not a whole number", id="fractional-capacity"),
    pytest.param({"left": [0], "right": [0], "weight": [1.0], "right_capacity": [1, 1, 1]}, r"right_capacity must be a scalar or an array of shape \(2,\)", id="capacity-shape"),
    pytest.param({"left": [0], "right": [0], "weight": [1.0], "left_ids": ["a"]}, r"left_ids has 1 ids for 2 vertices", id="ids-count"),
    pytest.param({"left": [0], "right": [0], "weight": [1.0], "left_ids": ["a", "a"]}, r"left_ids holds the id 'a' more than once", id="ids-duplicate"),
    pytest.param({"left": [0, 1], "right": [0, 0], "weight": [1.0, 1.0], "pinned": [True, True]}, r"need '0' has 2 accepted placements but capacity 1", id="pins-over-capacity"),
]


@pytest.mark.parametrize(("kwargs", "message"), BAD_EDGES)
def test_from_edges_names_the_offending_position(kwargs: dict, message: str) -> None:
    args = {"n_left": 2, "n_right": 2, **kwargs}
    with pytest.raises(mk.InvalidProblemError, match=message):
        mk.MatchProblem.from_edges(args.pop("left"), args.pop("right"), args.pop("weight"), **args)


@pytest.mark.parametrize(
    ("weights", "kwargs", "message"),
    [
        pytest.param([1.0, 2.0], {}, r"must be a matrix \(2-D array\)", id="1d"),
        pytest.param([[1.0, np.nan]], {}, r"weights\[0, 1\] = nan is not finite", id="nan"),
        pytest.param([[1.0, 2.0]], {"allowed": [[True]]}, r"allowed must have the shape of weights \(1, 2\)", id="allowed-shape"),
    ],
)
def test_from_dense_errors(weights: list, kwargs: dict, message: str) -> None:
    with pytest.raises(mk.InvalidProblemError, match=message):
        mk.MatchProblem.from_dense(np.asarray(weights, dtype=float), **kwargs)


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        pytest.param([["1", "x"]], r"weights\[0, 0\] = '1' is not a real number; .* \(convert text", id="text"),
        pytest.param(np.array([[1.0, None]], dtype=object), r"weights\[0, 1\] = None is not a real number", id="none"),
        pytest.param(np.array([[2.0, "x"]], dtype=object), r"weights\[0, 1\] = 'x' is not a real number", id="object-text"),
        pytest.param(np.array([[1 + 5j, 2.0]]), r"real numbers; got complex numbers .* weights.real", id="complex"),
        pytest.param(np.array([[1.0, 2j]], dtype=object), r"weights\[0, 1\] = 2j is not a real number", id="object-complex"),
        pytest.param([[1.0, 2.0], [3.0]], r"must be a matrix \(2-D array\)", id="ragged"),
    ],
)
def test_from_dense_refuses_what_is_no_real_matrix(weights: object, message: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (no ComplexWarning on the way)
        with pytest.raises(mk.InvalidProblemError, match=message):
            mk.MatchProblem.from_dense(weights)  # type: ignore[arg-type]


def test_from_dense_refuses_a_sparse_matrix_and_says_what_to_use() -> None:
    sparse = pytest.importorskip("scipy.sparse")
    m = sparse.csr_matrix(np.array([[1.0, 0.0], [0.0, 2.0]]))
    with pytest.raises(mk.InvalidProblemError, match=r"scipy.sparse matrix.*from_edges") as err:
        mk.MatchProblem.from_dense(m)
    # The recipe in the message runs and keeps the stored entries only.
    c = m.tocoo()
    assert "m = weights.tocoo(); MatchProblem.from_edges(m.row, m.col, m.data" in str(err.value)
    p = mk.MatchProblem.from_edges(c.row, c.col, c.data, n_left=c.shape[0], n_right=c.shape[1])
    assert p.n_edges == 2


@given(st.data())
def test_from_dense_treats_masked_entries_as_forbidden(data: st.DataObject) -> None:
    n_left, n_right = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))
    cells = st.lists(st.booleans(), min_size=n_left * n_right, max_size=n_left * n_right)
    mask = np.array(data.draw(cells)).reshape(n_left, n_right)
    allowed = np.array(data.draw(cells)).reshape(n_left, n_right)
    w = np.array(data.draw(st.lists(st.floats(-5, 5), min_size=mask.size, max_size=mask.size)))
    w = w.reshape(mask.shape)
    masked = np.ma.masked_array(np.where(mask, np.nan, w), mask=mask)  # (masked: anything)
    p = mk.MatchProblem.from_dense(masked, allowed=allowed)
    q = mk.MatchProblem.from_dense(w, allowed=allowed & ~mask)
    assert np.array_equal(p.edge_left, q.edge_left) and np.array_equal(p.edge_right, q.edge_right)
    assert np.array_equal(p.weight, q.weight)


def test_a_masked_pair_is_never_chosen() -> None:
    m = np.ma.masked_array([[100.0, 1.0], [1.0, 1.0]], mask=[[True, False], [False, False]])
    for method in ("flow", "hungarian", "milp"):
        assert mk.solve(mk.MatchProblem.from_dense(m), method).pairs.tolist() == [[0, 1], [1, 0]]


@pytest.mark.parametrize(
    "capacity",
    [np.uint64(2**63), np.array([1, 2**64 - 1], dtype=np.uint64), 1e30, [1.0, 2.0**63]],
)
def test_capacities_beyond_int64_are_reported_as_given(capacity: object) -> None:
    with pytest.raises(mk.InvalidProblemError, match=r"left_capacity\[\d\] = \d.* is too large; "
                       r"capacities must be below 2\*\*63") as err:
        mk.MatchProblem.from_dense(np.ones((2, 2)), left_capacity=capacity)
    assert "negative" not in str(err.value)


def test_from_dense_allowed_masks_pairs_and_ignores_their_values() -> None:
    w = np.array([[4.0, np.nan], [2.0, 3.0]])
    p = mk.MatchProblem.from_dense(w, allowed=~np.isnan(w), left_ids=["a", "b"], right_ids=["x", "y"])
    assert p.n_edges == 3
    assert list(zip(p.edge_left.tolist(), p.edge_right.tolist())) == [(0, 0), (1, 0), (1, 1)]
    a = mk.solve(p, "flow")
    assert a.id_pairs(p) == [("a", "x"), ("b", "y")]
    assert a.objective == 7.0


def test_edges_are_sorted_and_every_array_follows() -> None:
    p = mk.MatchProblem.from_edges(
        [1, 0, 1], [0, 1, 1], [3.0, 1.0, 2.0], n_left=2, n_right=2,
        left_utility=[0.3, 0.1, 0.2], right_utility=[0.6, 0.4, 0.5],
        components={"distance_km": [30.0, 10.0, 20.0]},
    )
    assert p.edge_left.tolist() == [0, 1, 1] and p.edge_right.tolist() == [1, 0, 1]
    assert p.weight.tolist() == [1.0, 3.0, 2.0]
    assert p.volunteer_utility.tolist() == [0.1, 0.3, 0.2]
    assert p.need_utility.tolist() == [0.4, 0.6, 0.5]
    assert p.components["distance_km"].tolist() == [10.0, 30.0, 20.0]


def test_edge_index_finds_present_pairs_and_marks_absent_ones() -> None:
    p = mk.MatchProblem.from_edges([0, 0, 2], [1, 3, 0], [1.0, 1.0, 1.0], n_left=3, n_right=4)
    assert p.edge_index([2, 0, 1, 0], [0, 3, 1, 0]).tolist() == [2, 1, -1, -1]
    assert p.edge_index([], []).tolist() == []
    # an index out of range is absent, never another pair's position
    assert p.edge_index([0, 3, -1, 1], [5, 0, 1, -3]).tolist() == [-1, -1, -1, -1]


@given(problems(max_volunteers=12, max_needs=12), st.data())
def test_edge_index_is_the_position_of_each_pair(p: mk.MatchProblem, data: st.DataObject) -> None:
    position = {
        pair: i for i, pair in enumerate(zip(p.edge_left.tolist(), p.edge_right.tolist()))
    }
    queries = data.draw(
        st.lists(
            st.tuples(st.integers(-2, p.n_left + 2), st.integers(-2, p.n_right + 2)),
            max_size=40,
        )
    )
    queries += list(position)  # every edge too
    left = [a for a, _ in queries]
    right = [b for _, b in queries]
    assert p.edge_index(left, right).tolist() == [position.get(q, -1) for q in queries]


def test_with_decisions_pins_accepted_removes_rejected_and_never_mutates() -> None:
    p = mk.MatchProblem.from_dense(np.array([[1.0, 2.0], [3.0, 4.0]]), right_capacity=2)
    q = p.with_decisions(accepted=[("0", "1")], rejected=[("1", "1")])
    assert p.n_edges == 4 and not p.pinned.any()  # unchanged
    pairs = set(zip(q.edge_left.tolist(), q.edge_right.tolist()))
    assert pairs == {(0, 0), (0, 1), (1, 0)}
    assert q.pinned.tolist() == [False, True, False]
    a = mk.solve(q, "flow")
    assert (0, 1) in map(tuple, a.pairs.tolist())


def test_an_accepted_pair_that_is_no_edge_is_kept_all_the_same() -> None:
    p = mk.MatchProblem.from_edges([0], [0], [5.0], n_left=2, n_right=2)
    q = p.with_decisions(accepted=np.array([[1, 1]]))
    assert q.n_edges == 2 and q.pinned.tolist() == [False, True]
    for method in ("flow", "hungarian", "stable", "milp"):
        assert (1, 1) in map(tuple, mk.solve(q, method).pairs.tolist()), method


@pytest.mark.parametrize(
    ("accepted", "rejected", "message"),
    [
        pytest.param([("0", "0")], [("0", "0")], r"is both accepted and rejected", id="both"),
        pytest.param([("9", "0")], None, r"accepted: no volunteer with id '9'", id="unknown-volunteer"),
        pytest.param(None, [("0", "z")], r"rejected: no need with id 'z'", id="unknown-need"),
        pytest.param(np.array([[0, 7]]), None, r"accepted\[0\]: need index 7 is out of range", id="index-range"),
    ],
)
def test_with_decisions_errors(accepted: object, rejected: object, message: str) -> None:
    p = mk.MatchProblem.from_dense(np.ones((2, 2)))
    with pytest.raises(mk.InvalidProblemError, match=message):
        p.with_decisions(accepted=accepted, rejected=rejected)


def test_rejecting_an_accepted_placement_is_refused() -> None:
    p = mk.MatchProblem.from_dense(np.ones((1, 1))).with_decisions(accepted=[("0", "0")])
    with pytest.raises(mk.InvalidProblemError, match=r"is an accepted placement and cannot be rejected"):
        p.with_decisions(rejected=[("0", "0")])


@given(problems())
def test_residual_capacities_count_pins(p: mk.MatchProblem) -> None:
    left, right = p.residual_capacities()
    assert (left >= 0).all() and (right >= 0).all()
    assert int(p.left_capacity.sum() - left.sum()) == int(p.pinned.sum())
    assert int(p.right_capacity.sum() - right.sum()) == int(p.pinned.sum())


@given(problems(), st.data())
def test_assignment_from_edges_adds_pins_sorts_and_sums(p: mk.MatchProblem, data: st.DataObject) -> None:
    chosen = data.draw(st.lists(st.integers(0, max(p.n_edges - 1, 0)), max_size=p.n_edges)) if p.n_edges else []
    a = mk.Assignment.from_edges(p, chosen, method="test")
    expected = sorted(set(chosen) | set(np.flatnonzero(p.pinned).tolist()))
    assert a.edges.tolist() == expected
    assert a.pairs.tolist() == [[int(p.edge_left[e]), int(p.edge_right[e])] for e in expected]
    assert a.objective == pytest.approx(float(p.weight[expected].sum()))

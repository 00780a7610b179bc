"""matchkit.testing: the strategies build valid data, and reach the edge cases they promise."""

from __future__ import annotations

import importlib
import sys
from datetime import timedelta

import numpy as np
import pytest
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st

import matchkit as mk
from matchkit import testing
from matchkit._checks import check_assignment as checks_check_assignment
from matchkit.testing import (
    AS_OF,
    datasets,
    needs,
    organisations,
    places,
    problems,
    volunteers,
)

# look for an example without shrinking it, the same way on every run
FIND = settings(max_examples=2000, deadline=None, database=None, phases=[Phase.generate], derandomize=True)


@given(volunteers())
def test_volunteers_are_valid(v: mk.Volunteer) -> None:
    assert mk.Volunteer.model_validate(v.model_dump()) == v


@given(organisations())
def test_organisations_are_valid(o: mk.Organisation) -> None:
    assert mk.Organisation.model_validate(o.model_dump()) == o


@given(needs(organisation_ids=["a", "b"]))
def test_needs_are_valid(n: mk.Need) -> None:
    assert mk.Need.model_validate(n.model_dump()) == n
    assert n.organisation_id in {"a", "b"} and n.vetted_by in {None, "a", "b"}
    assert n.location is not None or n.remote


@given(datasets())
def test_datasets_round_trip_through_records(ds: mk.Dataset) -> None:
    again = mk.Dataset.from_records(**ds.to_records())
    assert again == ds
    assert len(ds.volunteers) <= 6 and len(ds.needs) <= 6


@given(datasets(min_volunteers=2, max_volunteers=2, min_needs=1, max_needs=1, max_organisations=1))
def test_dataset_sizes_are_respected(ds: mk.Dataset) -> None:
    assert len(ds.volunteers) == 2 and len(ds.needs) == 1 and len(ds.organisations) == 1


@given(datasets(max_needs=0, max_organisations=0))
def test_a_dataset_may_have_no_organisations(ds: mk.Dataset) -> None:
    assert ds.organisations == () and ds.needs == ()


# -- the edge cases are reachable --------------------------------------------------------
def _age(birth, day) -> int:  # type: ignore[no-untyped-def]
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


@pytest.mark.parametrize(
    ("strategy", "condition"),
    [
        (volunteers(), lambda v: v.birth_date is not None and (v.birth_date.month, v.birth_date.day) == (AS_OF.month, AS_OF.day)),
        (volunteers(), lambda v: v.birth_date is not None
         and _age(v.birth_date, AS_OF) == 17 and _age(v.birth_date, AS_OF + timedelta(days=1)) == 18),
        (volunteers(), lambda v: v.availability == () and v.home is None),
        (volunteers(), lambda v: v.max_distance_km == 0),
        (needs(), lambda n: n.location is None and n.remote),
        (needs(), lambda n: n.location is not None and n.remote),
        (needs(), lambda n: n.slots == () and n.min_overlap >= 1),
        (needs(), lambda n: 0 < len(n.slots) < n.min_overlap),
        (needs(), lambda n: n.end_date == AS_OF),
        (needs(), lambda n: n.end_date == AS_OF - timedelta(days=1)),
        (places(), lambda p: p.lon < -179.9),
        (datasets(), lambda ds: any(v.home is not None and v.home == n.location for v in ds.volunteers for n in ds.needs)),
        (datasets(), lambda ds: any(set(v.skills) & set(n.required_skills) and set(v.availability) & set(n.slots)
                                    for v in ds.volunteers for n in ds.needs)),
        (datasets(), lambda ds: any(n.organisation_id in v.excluded_organisations for v in ds.volunteers for n in ds.needs)),
    ],
)  # fmt: skip
def test_edge_cases_happen(strategy: st.SearchStrategy, condition) -> None:  # type: ignore[no-untyped-def]
    assert condition(find(strategy, condition, settings=FIND))


def test_nearby_places_are_generated() -> None:
    pair = st.tuples(places(), places())

    def near(p: tuple[mk.Place, mk.Place]) -> bool:
        a, b = p
        return a != b and abs(a.lat - b.lat) < 0.05 and abs(a.lon - b.lon) < 0.05

    a, b = find(pair, near, settings=FIND)
    assert near((a, b))


# -- problems ------------------------------------------------------------------------------
@given(problems())
def test_problems_are_valid_and_pins_fit(p: mk.MatchProblem) -> None:
    assert p.n_left <= 5 and p.n_right <= 5
    assert ((p.left_capacity >= 0) & (p.left_capacity <= 3)).all()
    left, right = p.residual_capacities()
    assert (left >= 0).all() and (right >= 0).all()
    assert p.left_ids == tuple(f"v{i}" for i in range(p.n_left))
    # keeping only the pins is a feasible (if poor) answer that the oracle accepts
    check_assignment_ok = mk.Assignment.from_edges(p, [], method="pins", status="feasible")
    testing.check_assignment(p, check_assignment_ok)


@pytest.mark.parametrize("kind", ["integer", "float"])
def test_problem_weight_kinds(kind: str) -> None:
    @settings(max_examples=30, deadline=None)
    @given(problems(weights=kind, pinned=False))
    def check(p: mk.MatchProblem) -> None:
        assert not p.pinned.any()
        assert ((p.weight >= 0) & (p.weight <= (10 if kind == "integer" else 1))).all()
        if kind == "integer":
            assert (p.weight == np.round(p.weight)).all()

    check()


@pytest.mark.parametrize(
    ("condition", "why"),
    [
        (lambda p: p.pinned.any() and (p.right_capacity == 0).any(), "pins and a zero capacity"),
        (lambda p: p.n_edges == p.n_left * p.n_right >= 4, "a complete graph"),
        (lambda p: p.n_edges >= 2 and len(set(p.weight.tolist())) < p.n_edges, "tied weights"),
        (lambda p: p.n_edges >= 2 and (p.volunteer_utility != p.need_utility).any(), "two-sided utilities"),
        (lambda p: p.n_edges > 0 and (p.weight != np.round(p.weight)).any(), "float weights"),
    ],
)
def test_problem_edge_cases_happen(condition, why: str) -> None:  # type: ignore[no-untyped-def]
    assert condition(find(problems(), condition, settings=FIND)), why


@pytest.mark.parametrize(
    ("strategy", "message"),
    [
        (lambda: problems(weights="round"), r"weights must be 'mixed', 'integer' or 'float'; got 'round'"),
        (lambda: needs(organisation_ids=[]), r"needs\(\) needs at least one organisation id"),
    ],
)
def test_bad_strategy_arguments(strategy, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=message):
        find(strategy(), lambda _: True, settings=FIND)


def test_check_assignment_is_re_exported() -> None:
    assert testing.check_assignment is checks_check_assignment


def test_import_without_hypothesis_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "hypothesis", None)
    monkeypatch.delitem(sys.modules, "matchkit.testing")
    with pytest.raises(ImportError, match=r"pip install 'matchkit\[test\]'"):
        importlib.import_module("matchkit.testing")


@settings(max_examples=300)
@given(problems(weights="float"))
def test_problem_weights_are_ones_every_method_takes(p) -> None:
    """A float weight of 4.6e-299 (and nothing larger) made the flow method refuse the
    problem: too small to scale to integers. Such sizes are drawn as 0."""
    w = np.abs(p.weight)
    assert ((w == 0) | (w >= 1e-200)).all()

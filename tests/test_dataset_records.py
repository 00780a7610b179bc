"""Records changed with pydantic's model_copy(update=...) are validated again by Dataset."""

from __future__ import annotations

import datetime

import pytest

import matchkit as mk
from matchkit import NeedStatus
from matchkit.datasets import tiny_city


@pytest.fixture(scope="module")
def city() -> mk.Dataset:
    return tiny_city()


def _with_need(ds: mk.Dataset, need: mk.Need) -> mk.Dataset:
    needs = [need if n.id == need.id else n for n in ds.needs]
    return mk.Dataset(volunteers=ds.volunteers, organisations=ds.organisations, needs=needs)


@pytest.mark.parametrize(
    ("update", "field", "expected"),
    [
        ({"status": "closed"}, "status", NeedStatus.CLOSED),
        ({"end_date": "2026-12-31"}, "end_date", datetime.date(2026, 12, 31)),
        ({"capacity": "3"}, "capacity", 3),
        ({"min_age": 18.0}, "min_age", 18),
    ],
)
def test_an_unvalidated_update_is_validated(
    city: mk.Dataset, update: dict, field: str, expected: object
) -> None:
    need = city.needs[0].model_copy(update=update)
    assert getattr(need, field) != expected or type(getattr(need, field)) is not type(expected)
    ds = _with_need(city, need)
    got = getattr(ds.need(need.id), field)
    assert got == expected and type(got) is type(expected)


def test_a_closed_need_set_by_model_copy_is_not_matched(city: mk.Dataset) -> None:
    before = mk.match(city, as_of="2026-09-01")
    taken = before.new_proposals[0].need_id
    need = city.need(taken).model_copy(update={"status": "closed"})
    after = mk.match(_with_need(city, need), as_of="2026-09-01")
    assert taken not in {p.need_id for p in after.new_proposals}
    assert after.unfilled.get(taken) is None or after.unfilled[taken].code == "not_open"


def test_an_invalid_update_is_reported_with_the_record(city: mk.Dataset) -> None:
    need = city.needs[1].model_copy(update={"capacity": "many"})
    with pytest.raises(mk.InvalidDatasetError, match=f"{need.id}.*capacity|capacity.*{need.id}"):
        _with_need(city, need)


def test_validated_records_are_kept_as_they_are(city: mk.Dataset) -> None:
    ds = mk.Dataset(
        volunteers=city.volunteers, organisations=city.organisations, needs=city.needs
    )
    assert all(a is b for a, b in zip(ds.needs, city.needs))
    assert all(a is b for a, b in zip(ds.volunteers, city.volunteers))


@pytest.mark.parametrize("kind", ["volunteers", "organisations", "needs"])
def test_a_repeated_id_is_reported_at_its_second_record(city: mk.Dataset, kind: str) -> None:
    items = list(getattr(city, kind))
    twice = [*items[:2], items[0], *items[2:]]  # the first record again, at position 2
    with pytest.raises(mk.InvalidDatasetError) as err:
        city.replace(**{kind: twice})
    (problem,) = err.value.problems
    assert (problem.source, problem.row, problem.field, problem.record_id) == (
        kind, 2, "id", items[0].id)
    assert "appears 2 times" in str(problem)


def test_ids_are_looked_up_in_their_own_kind(city: mk.Dataset) -> None:
    for i, v in enumerate(city.volunteers):
        assert city.volunteer(v.id) is v and city.volunteers.index(v) == i
    for n in city.needs:
        assert city.need(n.id) is n and city.organisation(n.organisation_id).id == n.organisation_id


ORG = {"id": "o1", "name": "Paws", "kind": "cso", "registered": True}
NEED = {"id": "n1", "organisation_id": "o1", "title": "T", "remote": True, "capacity": 1,
        "status": "open"}


def _problems(**records: list[dict]) -> list[tuple[str, int | None, str | None, str | None]]:
    with pytest.raises(mk.InvalidDatasetError) as err:
        mk.Dataset.from_records(**records)
    return [(p.source, p.row, p.record_id, p.field) for p in err.value.problems]


def test_an_invalid_record_is_checked_against_the_others() -> None:
    """One run lists every problem: the references of a record with a field error too."""
    bad = {**NEED, "capacity": 0, "organisation_id": "o9", "vetted_by": "o7",
           "proposed_by": "v9"}
    assert _problems(organisations=[ORG], needs=[NEED, bad | {"id": "n2"}]) == [
        ("needs", 1, "n2", "capacity"),
        ("needs", 1, "n2", "organisation_id"),
        ("needs", 1, "n2", "vetted_by"),
        ("needs", 1, "n2", "proposed_by"),
    ]


def test_an_invalid_record_still_exists_for_the_others() -> None:
    """A need naming an organisation that has a field error is not told it does not exist."""
    assert _problems(organisations=[{**ORG, "kind": "charity"}], needs=[NEED]) == [
        ("organisations", 0, "o1", "kind")
    ]


def test_a_wrong_reference_is_reported_once() -> None:
    assert _problems(organisations=[ORG], needs=[{**NEED, "organisation_id": ["o1"]}]) == [
        ("needs", 0, "n1", "organisation_id")
    ]


def test_rows_are_positions_among_the_records_given() -> None:
    """After an invalid record, problems still name the position as given, not as kept."""
    needs = [{**NEED, "capacity": 0}, {**NEED, "id": "n2", "organisation_id": "o9"},
             {**NEED, "capacity": 0}]
    assert _problems(organisations=[ORG], needs=needs) == [
        ("needs", 0, "n1", "capacity"),
        ("needs", 2, "n1", "capacity"),
        ("needs", 2, "n1", "id"),
        ("needs", 1, "n2", "organisation_id"),
    ]

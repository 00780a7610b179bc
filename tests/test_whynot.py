"""why_not names every rule that excludes a pair, in plain words."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given

import matchkit as mk
from reference_rules import failures
from strategies_scoring import edge_rich_cases

DAY = date(2026, 5, 1)
ORG = {"id": "o1", "name": "Park friends", "kind": "cso", "registered": True}
HOME = {"lat": 55.79, "lon": 49.12}


def dataset(volunteer: dict, need: dict) -> mk.Dataset:
    base = {
        "id": "n1",
        "organisation_id": "o1",
        "title": "Plant trees",
        "capacity": 1,
        "status": "open",
    }
    return mk.Dataset(
        volunteers=[{"id": "v1", **volunteer}],
        organisations=[ORG],
        needs=[{**base, **need}],
    )


@given(edge_rich_cases())
def test_why_not_equals_the_reference_and_the_edges(case):
    ds, day = case
    p = mk.build_problem(ds, as_of=day)
    edges = {
        (p.left_ids[a], p.right_ids[b])
        for a, b in zip(p.edge_left.tolist(), p.edge_right.tolist())
    }
    for v in ds.volunteers:
        for n in ds.needs:
            got = mk.why_not(ds, v.id, n.id, as_of=day)
            assert [e.rule for e in got] == failures(v, n, day)
            assert (got == []) == ((v.id, n.id) in edges)
            assert all(
                e.volunteer_id == v.id and e.need_id == n.id and e.message for e in got
            )


@pytest.mark.parametrize(
    ("volunteer", "need", "rule", "words"),
    [
        ({}, {"remote": True, "status": "idea"}, "not_open", "status is 'idea'"),
        (
            {},
            {"remote": True, "end_date": "2026-04-30"},
            "ended",
            "ended on 2026-04-30, before 2026-05-01",
        ),
        (
            {"excluded_organisations": ["o1"]},
            {"remote": True},
            "excluded_organisation",
            "'o1' (Park friends)",
        ),
        (
            {"excluded_causes": ["parks"]},
            {"remote": True, "causes": ["parks", "food"]},
            "excluded_cause",
            "excluded the cause(s) 'parks'",
        ),
        (
            {"skills": ["it"]},
            {"remote": True, "required_skills": ["it", "driving"]},
            "skills",
            "required skill(s) 'driving'",
        ),
        (
            {"languages": ["en"]},
            {"remote": True, "languages": ["ru", "en"]},
            "languages",
            "language(s) 'ru'",
        ),
        (
            {},
            {"remote": True, "required_checks": ["medical"]},
            "checks",
            "check(s) 'medical'",
        ),
        ({}, {"remote": True, "min_age": 18}, "age_unknown", "birth date is unknown"),
        (
            {"birth_date": "2010-05-02"},
            {"remote": True, "min_age": 16},
            "age",
            "requires age 16 or over; the volunteer is 15 on 2026-05-01",
        ),
        (
            {"remote_ok": False},
            {"remote": True},
            "remote_not_ok",
            "does not accept remote work",
        ),
        ({}, {"location": HOME}, "no_place", "no home place"),
        (
            {"home": HOME, "max_distance_km": 2},
            {"location": {"lat": 55.82, "lon": 49.12}},
            "distance",
            "3.336 km away, farther than the volunteer's travel radius of 2 km",
        ),
        (
            {"availability": ["mon-morning"]},
            {
                "remote": True,
                "slots": ["mon-morning", "sat-morning", "sun-morning"],
                "min_overlap": 2,
            },
            "schedule",
            "covers 1 of the need's 3 slot(s) ('mon-morning'); at least 2 needed",
        ),
    ],
)
def test_each_rule_in_plain_words(volunteer, need, rule, words):
    got = mk.why_not(dataset(volunteer, need), "v1", "n1", as_of=DAY)
    assert [e.rule for e in got] == [rule]
    assert words in got[0].message
    assert str(got[0]) == f"{rule}: {got[0].message}"


def test_acceptable_pair_has_no_reason():
    assert mk.why_not(dataset({}, {"remote": True}), "v1", "n1", as_of=DAY) == []


def test_birthday_on_as_of_is_old_enough():
    ds = dataset({"birth_date": "2008-05-01"}, {"remote": True, "min_age": 18})
    assert mk.why_not(ds, "v1", "n1", as_of=DAY) == []
    assert [e.rule for e in mk.why_not(ds, "v1", "n1", as_of=date(2026, 4, 30))] == [
        "age"
    ]


def test_every_reason_at_once():
    ds = dataset(
        {"remote_ok": False, "excluded_causes": ["food"]},
        {"remote": True, "status": "closed", "causes": ["food"], "min_age": 18},
    )
    assert [e.rule for e in mk.why_not(ds, "v1", "n1", as_of=DAY)] == [
        "not_open",
        "excluded_cause",
        "age_unknown",
        "remote_not_ok",
    ]


@pytest.mark.parametrize(
    ("vid", "nid", "match"),
    [
        ("nobody", "n1", "no volunteer with id 'nobody'; pass one of dataset.volunteer_ids"),
        ("v1", "nothing", "no need with id 'nothing'; pass one of dataset.need_ids"),
    ],
)
def test_unknown_ids(vid, nid, match):
    # the same error as the other explanation functions, saying what to pass instead
    with pytest.raises(mk.InvalidInputError, match=match) as err:
        mk.why_not(dataset({}, {"remote": True}), vid, nid, as_of=DAY)
    assert "pass one of dataset." in str(err.value)
    assert str(err.value).startswith("why_not: ")


def test_bad_as_of():
    with pytest.raises(mk.InvalidInputError, match="'as_of' parameter of why_not"):
        mk.why_not(dataset({}, {"remote": True}), "v1", "n1", as_of=20260501)

"""The vectorised hard rules equal the scalar reference, rule by rule."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pytest
from hypothesis import given

import matchkit as mk
from matchkit import _encode
from matchkit._encode import encode, popcount
from matchkit._rules import (
    EARTH_RADIUS_KM,
    RULES,
    ages_at,
    great_circle_km,
    need_distances_km,
    need_rule_failures,
    pair_distances_km,
    pair_rule_failures,
    volunteer_distances_km,
    volunteer_rule_failures,
)
from matchkit._rules_filter import filter_pairs
from reference_rules import age_on, failures, haversine_km
from strategies_scoring import dense_pairs, scoring_cases

DAY = date(2026, 5, 1)
ORG = {"id": "o1", "name": "Park friends", "kind": "cso", "registered": True}


@given(scoring_cases())
def test_rule_masks_equal_the_scalar_reference(case):
    ds, day = case
    enc = encode(ds)
    want = {
        (i, j): failures(v, n, day)
        for i, v in enumerate(ds.volunteers)
        for j, n in enumerate(ds.needs)
    }
    for j in range(len(ds.needs)):
        masks = need_rule_failures(enc, j, day)
        assert list(masks) == list(RULES)
        for i in range(len(ds.volunteers)):
            assert [c for c, m in masks.items() if m[i]] == want[(i, j)], (i, j)
    for i in range(len(ds.volunteers)):
        masks = volunteer_rule_failures(enc, i, day)
        for j in range(len(ds.needs)):
            assert [c for c, m in masks.items() if m[j]] == want[(i, j)], (i, j)
    # The fast path keeps exactly the pairs no rule excludes.
    v, n = dense_pairs(len(ds.volunteers), len(ds.needs))
    kv, kn, kd = filter_pairs(enc, v, n, day)
    assert set(zip(kv.tolist(), kn.tolist())) == {p for p, f in want.items() if not f}
    # ... with the distance of in-person needs, NaN for remote ones
    remote = enc.n_remote[kn]
    assert np.isnan(kd[remote]).all()
    np.testing.assert_array_equal(kd[~remote], pair_distances_km(enc, kv, kn)[~remote])


def test_great_circle_uses_the_mean_earth_radius():
    assert EARTH_RADIUS_KM == 6371.0088
    # One degree of latitude along a meridian.
    assert float(great_circle_km(0, 0, 1, 0)) == pytest.approx(
        EARTH_RADIUS_KM * math.pi / 180, rel=1e-12
    )
    # Half the Earth: antipodes.
    assert float(great_circle_km(0, 0, 0, 180)) == pytest.approx(
        EARTH_RADIUS_KM * math.pi, rel=1e-12
    )
    # Across the antimeridian the short way round.
    assert float(great_circle_km(0, 179.5, 0, -179.5)) == pytest.approx(
        EARTH_RADIUS_KM * math.pi / 180, rel=1e-9
    )


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ((55.79, 49.12), (55.75, 37.62)),
        ((-33.9, 18.4), (51.5, -0.12)),
        ((10.0, 10.0), (10.0, 10.0)),
    ],
)
def test_great_circle_equals_the_scalar_haversine(a, b):
    assert float(great_circle_km(*a, *b)) == pytest.approx(
        haversine_km(*a, *b), rel=1e-12, abs=1e-12
    )


@pytest.mark.parametrize(
    ("birth", "day"),
    [
        ("2008-05-01", "2026-05-01"),
        ("2008-05-02", "2026-05-01"),
        ("2008-02-29", "2026-02-28"),
        ("2008-02-29", "2026-03-01"),
        ("2008-02-29", "2028-02-29"),
        ("2008-02-29", "2028-02-28"),
        ("2008-03-01", "2026-02-28"),
        ("1999-12-31", "2026-01-01"),
    ],
)
def test_ages_at(birth, day):
    ds = mk.Dataset(volunteers=[{"id": "v1", "birth_date": birth}, {"id": "v2"}])
    got = ages_at(encode(ds), date.fromisoformat(day)).tolist()
    assert got == [age_on(date.fromisoformat(birth), date.fromisoformat(day)), -1]


def test_leap_day_birth_turns_older_on_first_of_march():
    ds = mk.Dataset(volunteers=[{"id": "v1", "birth_date": "2008-02-29"}])
    enc = encode(ds)
    assert ages_at(enc, date(2026, 2, 28)).tolist() == [17]
    assert ages_at(enc, date(2026, 3, 1)).tolist() == [18]
    assert ages_at(enc, date(2028, 2, 29)).tolist() == [20]


@pytest.mark.parametrize("missing", [0, 70, 149])
def test_subset_rule_over_several_words(missing):
    tags = [f"s{i:03d}" for i in range(150)]
    required = [tags[0], tags[70], tags[149]]
    ds = mk.Dataset(
        volunteers=[{"id": "v1", "skills": [t for t in tags if t != tags[missing]]}],
        organisations=[ORG],
        needs=[
            {
                "id": "n1",
                "organisation_id": "o1",
                "title": "t",
                "capacity": 1,
                "status": "open",
                "remote": True,
                "required_skills": required,
                "desired_skills": tags,
            }
        ],
    )
    enc = encode(ds)
    assert enc.n_required_skills.shape == (1, 3)
    assert need_rule_failures(enc, 0, DAY)["skills"].tolist() == [True]
    ok = mk.Dataset(
        volunteers=[{"id": "v1", "skills": required}],
        organisations=[ORG],
        needs=ds.needs,
    )
    assert need_rule_failures(encode(ok), 0, DAY)["skills"].tolist() == [False]


def test_distance_override_for_what_if_questions():
    home = {"lat": 55.79, "lon": 49.12}
    ds = mk.Dataset(
        volunteers=[
            {"id": f"v{i}", "home": {"lat": 55.79 + 0.05 * i, "lon": 49.12}}
            for i in range(4)
        ],
        organisations=[ORG],
        needs=[
            {
                "id": "n1",
                "organisation_id": "o1",
                "title": "t",
                "capacity": 1,
                "status": "open",
                "location": home,
            }
        ],
    )
    enc = encode(ds)
    d = need_distances_km(enc, 0)
    assert d[0] == 0.0 and np.all(np.diff(d) > 0)
    assert volunteer_distances_km(enc, 2).tolist() == [d[2]]
    base = need_rule_failures(enc, 0, DAY)["distance"]
    wider = need_rule_failures(enc, 0, DAY, max_distance_km=15.0)["distance"]
    assert base.tolist() == (d > 10).tolist()
    assert wider.tolist() == (d > 15).tolist()
    assert int(base.sum() - wider.sum()) == int(((d > 10) & (d <= 15)).sum())


def test_pair_rule_failures_reports_every_rule_at_once():
    ds = mk.Dataset(
        volunteers=[
            {
                "id": "v1",
                "remote_ok": False,
                "excluded_organisations": ["o1"],
                "excluded_causes": ["parks"],
            }
        ],
        organisations=[ORG],
        needs=[
            {
                "id": "n1",
                "organisation_id": "o1",
                "title": "t",
                "capacity": 1,
                "status": "closed",
                "remote": True,
                "causes": ["parks"],
                "required_skills": ["x"],
                "languages": ["ru"],
                "required_checks": ["medical"],
                "min_age": 18,
                "slots": ["mon-morning"],
                "end_date": "2020-01-01",
            }
        ],
    )
    masks = pair_rule_failures(encode(ds), [0], [0], DAY)
    failed = [c for c, m in masks.items() if m[0]]
    assert failed == [
        "not_open",
        "ended",
        "excluded_organisation",
        "excluded_cause",
        "skills",
        "languages",
        "checks",
        "age_unknown",
        "remote_not_ok",
        "schedule",
    ]


def test_popcount_without_bitwise_count(monkeypatch):
    x = np.array([0, 1, 2**64 - 1, 0xF0F0], dtype=np.uint64)
    want = [0, 1, 64, 8]
    assert popcount(x).tolist() == want
    monkeypatch.setattr(_encode, "_HAS_BITWISE_COUNT", False)
    assert popcount(x).tolist() == want
    assert popcount(np.array([2**21 - 1], dtype=np.uint32)).tolist() == [21]


@pytest.mark.parametrize("n_tags", [6, 80])
@pytest.mark.parametrize("seed", range(4))
def test_fast_path_keeps_the_pairs_no_rule_fails_with_packed_or_wide_tags(n_tags, seed):
    """The fast path tests the tag rules together where their vocabularies fit one word
    (6 tags per kind), one by one where not (80 skills desired), and the two age
    rules as one: with unknown birth dates, birthdays on the day and volunteers born
    after it, it keeps exactly the pairs no rule mask marks."""
    rng = np.random.default_rng(seed)
    skills = [f"s{i}" for i in range(n_tags)]
    langs = [a + b for a in "abcdefghijklmnopqrstuvwxyz" for b in "aeiou"][:n_tags]
    checks = [f"c{i}" for i in range(n_tags)]

    def some(tags, k):
        return sorted(rng.choice(tags, size=int(rng.integers(0, k + 1)), replace=False).tolist())

    births = [None, date(2008, 5, 1), date(2012, 5, 2), date(2026, 5, 2), date(2027, 1, 1),
              date(1990, 1, 1), date(2010, 5, 1)]
    volunteers = [  # (the first seven have every tag: only their age can fail them)
        {"id": f"v{i}", "remote_ok": True, "skills": skills if i < 7 else some(skills, n_tags // 2),
         "languages": langs if i < 7 else some(langs, n_tags // 2),
         "checks": checks if i < 7 else some(checks, n_tags // 2),
         "birth_date": births[i % len(births)]}
        for i in range(21)
    ]
    needs = [
        {"id": f"n{j}", "organisation_id": "o1", "title": "t", "capacity": 1,
         "status": "open", "remote": True, "required_skills": some(skills, 2),
         "desired_skills": some(skills, n_tags),
         "languages": some(langs, 1), "required_checks": some(checks, 1),
         "min_age": [None, 0, 14, 16, 18][j % 5]}
        for j in range(15)
    ]
    ds = mk.Dataset(volunteers=volunteers, organisations=[ORG], needs=needs)
    enc = encode(ds)
    n_vocab = sum(len(enc.vocab[k]) for k in ("skills", "languages", "checks"))
    assert (n_vocab <= 64) == (n_tags == 6)
    v, n = dense_pairs(len(volunteers), len(needs))
    masks = pair_rule_failures(enc, v, n, DAY)
    fails = np.zeros(v.size, dtype=bool)
    for m in masks.values():
        fails |= m
    assert masks["age"].any() and masks["age_unknown"].any() and masks["skills"].any()
    kv, kn, _ = filter_pairs(enc, v, n, DAY)
    assert list(zip(kv.tolist(), kn.tolist())) == [
        (int(a), int(b)) for a, b in zip(v[~fails], n[~fails])
    ]


@pytest.mark.parametrize("seed", range(3))
def test_organisation_sets_are_read_the_same_by_either_lookup(seed, monkeypatch):
    """Membership of a need's organisation in a volunteer's set: compared with each of a
    few organisations, or searched among every key when some volunteer has many."""
    from matchkit import _rules

    rng = np.random.default_rng(seed)
    orgs = [{"id": f"o{k}", "name": f"Org {k}", "kind": "cso", "registered": True}
            for k in range(9)]
    volunteers = [
        {"id": f"v{i}", "remote_ok": True,
         "preferred_organisations": sorted(rng.choice(
             [o["id"] for o in orgs], size=int(rng.integers(0, 5)), replace=False).tolist()),
         "excluded_organisations": [f"o{i % 9}"] if i % 3 else []}
        for i in range(25)
    ]
    needs = [{"id": f"n{j}", "organisation_id": f"o{j % 9}", "title": "t", "capacity": 1,
              "status": "open", "remote": True} for j in range(18)]
    ds = mk.Dataset(volunteers=volunteers, organisations=orgs, needs=needs)
    v, n = dense_pairs(len(volunteers), len(needs))
    want = np.array([needs[j]["organisation_id"] in volunteers[i]["preferred_organisations"]
                     for i, j in zip(v.tolist(), n.tolist())])
    for few in (4, 0):  # (0: every volunteer has more: the search over every key)
        monkeypatch.setattr(_rules, "FEW_ORGANISATIONS", few)
        enc = encode(ds)
        got = _rules._org_member(enc.v_preferred_org_keys, enc, v, n, "preferred")
        assert got.tolist() == want.tolist()
        masks = pair_rule_failures(enc, v, n, DAY)
        assert masks["excluded_organisation"].tolist() == [
            needs[j]["organisation_id"] in volunteers[i]["excluded_organisations"]
            for i, j in zip(v.tolist(), n.tolist())
        ]


def test_the_fast_path_runs_every_rule():
    """Every rule code belongs to one group of the fast path (the distance runs last, on
    its own): a rule added to the masks but not to the groups would be skipped there."""
    from matchkit import _rules
    from matchkit._rules_filter import GROUPS

    grouped = [c for group in GROUPS for c in group]
    assert len(grouped) == len(set(grouped))
    assert set(grouped) == set(_rules._PAIR_RULES)
    assert set(grouped) | {"distance"} == set(RULES)


def test_one_encoded_dataset_judges_ages_at_each_day_asked():
    """The ages kept with an encoded dataset belong to one day: asked about another, the
    rules judge that day (a volunteer turning 18 on 2 May, a need from 18)."""
    ds = mk.Dataset(
        volunteers=[{"id": "v1", "remote_ok": True, "birth_date": date(2008, 5, 2)}],
        organisations=[ORG],
        needs=[{"id": "n1", "organisation_id": "o1", "title": "t", "capacity": 1,
                "status": "open", "remote": True, "min_age": 18}],
    )
    enc = encode(ds)
    v, n = np.array([0]), np.array([0])
    for day, kept in ((date(2026, 5, 1), 0), (date(2026, 5, 2), 1), (date(2026, 5, 1), 0)):
        assert filter_pairs(enc, v, n, day)[0].size == kept, day
        assert pair_rule_failures(enc, v, n, day)["age"].tolist() == [kept == 0], day


def test_a_radius_of_zero_refuses_a_need_a_hair_away_as_the_reference_does():
    """Found by the property test: a need 1e-62 degrees from home is farther than a
    radius of 0 km; the reference agrees (its rounding tolerance is relative only)."""
    ds = mk.Dataset(
        volunteers=[{"id": "v0", "home": {"lat": 0.0, "lon": 179.999}, "max_distance_km": 0.0}],
        organisations=[ORG],
        needs=[{"id": "n0", "organisation_id": "o1", "title": "t", "capacity": 1,
                "status": "open", "location": {"lat": 2.23591442425708e-62, "lon": 179.999}}],
    )
    enc = encode(ds)
    assert failures(ds.volunteers[0], ds.needs[0], DAY) == ["distance"]
    assert need_rule_failures(enc, 0, DAY)["distance"].tolist() == [True]
    assert filter_pairs(enc, np.array([0]), np.array([0]), DAY)[0].size == 0


@pytest.mark.parametrize("remote", [False, True])
def test_a_volunteer_born_after_as_of_passes_no_minimum_age(remote: bool) -> None:
    """A birth date after as_of (a typo, 2062 for 1962, or a day in the past) gives a
    negative age. The fast path let such a volunteer pass every minimum age in person
    (remote needs refused them), and explanations said "you meet the minimum age"."""
    place = {"lat": 55.79, "lon": 49.12}
    ds = mk.Dataset(
        volunteers=[{"id": "v1", "birth_date": "2062-03-01", "home": place, "remote_ok": True}],
        organisations=[ORG],
        needs=[
            {"id": "adults", "organisation_id": "o1", "title": "Night shift", "capacity": 1,
             "status": "open", "min_age": 18, "remote": remote, "location": place},
            {"id": "any", "organisation_id": "o1", "title": "Sort", "capacity": 1,
             "status": "open", "remote": remote, "location": place},
        ],
    )
    day = date(2026, 9, 1)
    enc = encode(ds)
    assert need_rule_failures(enc, 0, day)["age"].tolist() == [True]
    v, n = dense_pairs(1, 2)
    _, kn, _ = filter_pairs(enc, v, n, day)
    assert kn.tolist() == [1]  # the need without a minimum age only
    result = mk.match(ds, as_of=day, policies=False)
    assert [p.need_id for p in result.proposals] == ["any"]
    text = mk.why_not(ds, "v1", "adults", as_of=day)[0].message
    assert "2062-03-01 is after 2026-09-01" in text
    ex = result.explain("v1", "adults")
    assert "you are -" not in str(ex) and "your birth date comes after" in str(ex)

"""matchkit.datasets: the seeded synthetic city is deterministic, valid and realistic."""

from __future__ import annotations

import csv
import itertools
import math
from collections import Counter
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import matchkit as mk
from matchkit import datasets
from matchkit._city import CAPACITY_NYC
from matchkit.datasets import (
    DEFAULT_AS_OF,
    NYC_CAUSES,
    NYC_CENTER,
    synthetic_city,
    tiny_city,
)

AS_OF = DEFAULT_AS_OF
WEEKDAY = [f"{d}-{p}" for d in ("mon", "tue", "wed", "thu", "fri") for p in ("morning", "afternoon", "evening")]


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def km_from(center: tuple[float, float], place: mk.Place) -> float:
    p1, p2 = math.radians(center[0]), math.radians(place.lat)
    dl = math.radians(place.lon - center[1])
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(a))


@pytest.fixture(scope="module")
def city() -> mk.Dataset:
    return synthetic_city(n_volunteers=10_000, n_needs=1_000, seed=11)


@pytest.fixture(scope="module")
def ages(city: mk.Dataset) -> np.ndarray:
    return np.array([age_on(v.birth_date, AS_OF) for v in city.volunteers if v.birth_date])


# -- determinism and validity ------------------------------------------------------------
@pytest.mark.parametrize(("n_volunteers", "n_needs", "seed"), [(0, 0, 0), (50, 5, 1), (400, 40, 2), (1500, 300, 3)])
def test_same_seed_same_city(n_volunteers: int, n_needs: int, seed: int) -> None:
    a = synthetic_city(n_volunteers, n_needs, seed=seed)
    b = synthetic_city(n_volunteers, n_needs, seed=seed)
    assert a.to_records() == b.to_records()
    assert a == b


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_different_seeds_differ(seed: int) -> None:
    a = synthetic_city(300, 30, seed=seed).to_records()
    b = synthetic_city(300, 30, seed=seed + 100).to_records()
    for kind in ("volunteers", "organisations", "needs"):
        assert a[kind] != b[kind]


@pytest.mark.parametrize(
    ("n_volunteers", "n_needs", "seed", "options"),
    [
        (0, 0, 0, {}),
        (1, 1, 5, {}),
        (300, 0, 6, {}),
        (0, 40, 7, {}),
        (2000, 200, 8, {}),
        (800, 100, 9, {"n_organisations": 1, "n_districts": 1}),
        (800, 120, 10, {"center": NYC_CENTER, "radius_km": 20, "causes": NYC_CAUSES,
                        "languages": {"en": 0.97, "es": 0.25, "zh": 0.05}, "capacity_profile": "nyc"}),
        (500, 60, 12, {"center": (-33.87, 151.21), "causes": ["a", "b"], "as_of": date(2030, 2, 28)}),
        (300, 30, 13, {"center": (0.0, 179.99), "radius_km": 50}),
    ],
)  # fmt: skip
def test_revalidation_gives_an_equal_dataset(n_volunteers: int, n_needs: int, seed: int, options: dict) -> None:
    """Records built without validation are exactly what validation would build."""
    ds = synthetic_city(n_volunteers, n_needs, seed=seed, **options)
    again = mk.Dataset.from_records(**ds.to_records())
    assert again == ds
    assert again.to_records() == ds.to_records()
    assert (len(ds.volunteers), len(ds.needs)) == (n_volunteers, n_needs)


def test_more_needs_do_not_move_the_volunteers() -> None:
    a = synthetic_city(500, 50, seed=4, n_organisations=12)
    b = synthetic_city(500, 80, seed=4, n_organisations=12)
    assert a.volunteers == b.volunteers
    assert a.organisations == b.organisations


# -- realism ------------------------------------------------------------------------------
def test_ages_span_minors_to_seniors(ages: np.ndarray, city: mk.Dataset) -> None:
    assert ages.min() == 14 and ages.max() == 80
    assert 0.05 < (ages < 18).mean() < 0.15
    assert 0.10 < (ages >= 60).mean() < 0.30
    assert 0.005 < np.mean([v.birth_date is None for v in city.volunteers]) < 0.05


def test_causes_are_zipf_skewed(city: mk.Dataset) -> None:
    counts = Counter(c for v in city.volunteers for c in v.interests)
    assert set(counts) == set(datasets.DEFAULT_CAUSES)
    ranked = [c for c, _ in counts.most_common()]
    assert ranked[:2] == ["children", "elderly"]
    assert counts["children"] > 4 * min(counts.values())


def test_skills_checks_and_languages_have_realistic_rarity(city: mk.Dataset, ages: np.ndarray) -> None:
    n = len(city.volunteers)
    skills = Counter(s for v in city.volunteers for s in v.skills)
    assert skills.most_common(1)[0][0] == "driving_licence"
    assert 0 < skills["sign_language"] < 0.01 * n
    assert not any(
        "driving_licence" in v.skills for v in city.volunteers if v.birth_date and age_on(v.birth_date, AS_OF) < 18
    )
    checks = Counter(c for v in city.volunteers for c in v.checks)
    assert 0.05 * n < checks["background"] < 0.4 * n and checks["medical"] > 0
    langs = Counter(code for v in city.volunteers for code in v.languages)
    assert langs["ru"] > 0.95 * n and 0.1 * n < langs["tt"] < 0.6 * n and 0.1 * n < langs["en"] < 0.5 * n
    assert all(v.languages for v in city.volunteers)


def _share(volunteers: list[mk.Volunteer], slots: list[str]) -> float:
    return float(np.mean([len(set(v.availability) & set(slots)) / len(slots) for v in volunteers]))


def test_availability_follows_workers_and_retirees(city: mk.Dataset) -> None:
    def group(lo: int, hi: int) -> list[mk.Volunteer]:
        return [v for v in city.volunteers if v.birth_date and lo <= age_on(v.birth_date, AS_OF) <= hi]

    workers, retirees = group(30, 55), group(65, 80)
    evenings = [s for s in WEEKDAY if s.endswith("evening")]
    mornings = [s for s in WEEKDAY if s.endswith("morning")]
    weekends = [f"{d}-{p}" for d in ("sat", "sun") for p in ("morning", "afternoon")]
    assert _share(workers, evenings) > 3 * _share(workers, mornings)
    assert _share(workers, weekends) > 3 * _share(workers, mornings)
    assert _share(retirees, mornings) > 3 * _share(retirees, evenings)
    assert 0.0 < np.mean([not v.availability for v in city.volunteers]) < 0.06


def test_travel_placements_and_remote(city: mk.Dataset) -> None:
    km = np.array([v.max_distance_km for v in city.volunteers])
    assert km.min() == 2.0 and km.max() == 25.0 and 4 <= np.median(km) <= 8
    assert 0.45 < np.mean([v.remote_ok for v in city.volunteers]) < 0.85
    placements = Counter(v.max_placements for v in city.volunteers)
    assert set(placements) == {1, 2, 3} and placements[1] > 0.7 * len(city.volunteers)


def test_centre_is_denser_than_the_outskirts(city: mk.Dataset) -> None:
    km = np.array([km_from(datasets.KAZAN_CENTER, v.home) for v in city.volunteers if v.home])
    inner, outer = (km < 3).mean() / 3**2, ((km >= 6) & (km < 12)).mean() / (12**2 - 6**2)
    assert inner > 2 * outer  # people per km^2 (up to pi)
    assert np.quantile(km, 0.99) < 2 * 12


def test_pools_differ_in_composition(city: mk.Dataset) -> None:
    by_pool: dict[str | None, list[int]] = {}
    for v in city.volunteers:
        if v.birth_date:
            by_pool.setdefault(v.pool, []).append(age_on(v.birth_date, AS_OF))
    assert len(by_pool) >= 6 and None in by_pool
    assert np.mean(by_pool["silver-centre"]) > 60
    assert np.mean(by_pool["university-a"]) < 30
    medical = {p: np.mean(["medical" in v.skills for v in city.volunteers if v.pool == p]) for p in by_pool}
    assert medical["university-b"] > 3 * medical["online"]


def test_exclusions_and_preferences_are_consistent(city: mk.Dataset) -> None:
    org_ids = set(city.organisation_ids)
    n = len(city.volunteers)
    assert 0.02 * n < sum(bool(v.excluded_organisations) for v in city.volunteers) < 0.1 * n
    assert 0.04 * n < sum(bool(v.excluded_causes) for v in city.volunteers) < 0.15 * n
    assert 0.08 * n < sum(bool(v.preferred_organisations) for v in city.volunteers) < 0.25 * n
    for v in city.volunteers:
        assert set(v.excluded_organisations) <= org_ids and set(v.preferred_organisations) <= org_ids
        assert not set(v.excluded_organisations) & set(v.preferred_organisations)
        assert not set(v.excluded_causes) & set(v.interests)


def test_capacities_are_heavy_tailed(city: mk.Dataset) -> None:
    cap = np.array([n.capacity for n in city.needs])
    assert (cap <= 5).mean() > 0.5
    assert np.median(cap) <= 5 < 2 * np.median(cap) < cap.mean()
    assert 0.005 < (cap >= 100).mean() < 0.05 and cap.max() >= 200


def test_nyc_capacity_profile_is_the_nyc_table() -> None:
    with open(Path(__file__).parent / "data" / "nyc-service-sample.csv", encoding="utf-8", newline="") as f:
        asks = Counter(int(row["vol_requests"]) for row in csv.DictReader(f))
    assert asks.pop(9999) == 2  # the sentinels
    assert dict(CAPACITY_NYC) == asks
    values = np.repeat([v for v, _ in CAPACITY_NYC], [c for _, c in CAPACITY_NYC])
    assert len(values) == 663 and values.max() == 2700
    assert np.median(values) == 10 and round((values <= 5).mean(), 2) == 0.38
    cap = np.array([n.capacity for n in synthetic_city(0, 3000, seed=1, capacity_profile="nyc").needs])
    assert set(cap.tolist()) <= set(values.tolist()) and 5 <= np.median(cap) <= 15


def test_needs_cover_statuses_places_and_requirements(city: mk.Dataset) -> None:
    needs = city.needs
    status = Counter(n.status for n in needs)
    assert set(status) == set(mk.NeedStatus) and status[mk.NeedStatus.OPEN] > 0.6 * len(needs)
    assert 0.10 <= np.mean([n.remote for n in needs]) <= 0.20
    assert all(n.remote for n in needs if n.location is None)
    assert any(n.remote and n.location is not None for n in needs)
    assert Counter(n.min_age for n in needs).keys() == {None, 14, 16, 18}
    assert any("background" in n.required_checks for n in needs)
    assert any("medical" in n.required_checks for n in needs)
    assert 0.2 < np.mean([bool(n.required_skills) for n in needs]) < 0.5
    assert any(n.desired_skills for n in needs) and any(n.languages == ("tt",) for n in needs)
    assert any(not n.slots for n in needs) and any(n.min_overlap > len(n.slots) > 0 for n in needs)
    assert all(n.start_date <= n.end_date for n in needs if n.start_date and n.end_date)
    over = np.mean([n.end_date is not None and n.end_date < AS_OF for n in needs])
    assert 0.02 < over < 0.3
    money = [n for n in needs if n.handles_money]
    assert money and all(n.min_age == 18 for n in money)
    assert all(n.account_route for n in money if n.status is not mk.NeedStatus.IDEA)


def test_vetted_needs_are_vetted_by_an_expert(city: mk.Dataset) -> None:
    for need in city.needs:
        if need.status is mk.NeedStatus.IDEA:
            assert need.vetted_by is None
            continue
        vetter = city.organisation(need.vetted_by)
        assert set(vetter.vets_causes) & set(need.causes), need.id
        assert vetter.registered
        assert vetter.kind is mk.OrganisationKind.VOLUNTEER_CENTRE or set(need.causes) <= set(vetter.vets_causes)
    assert sum(n.vetted_by == n.organisation_id for n in city.needs) < 0.05 * len(city.needs)


def test_organisations_of_every_kind(city: mk.Dataset) -> None:
    kinds = Counter(o.kind for o in city.organisations)
    assert set(kinds) == set(mk.OrganisationKind)
    assert city.organisations[0].kind is mk.OrganisationKind.VOLUNTEER_CENTRE
    assert 0 < sum(not o.registered for o in city.organisations) < 0.3 * len(city.organisations)
    assert not any(o.vets_causes for o in city.organisations if o.kind is mk.OrganisationKind.BUSINESS)
    assert len(city.organisations) == 1000 // 4


def test_nyc_city_uses_its_causes_and_place() -> None:
    ds = synthetic_city(1000, 100, seed=3, center=NYC_CENTER, radius_km=20, causes=NYC_CAUSES)
    interests = Counter(c for v in ds.volunteers for c in v.interests)
    assert set(interests) == set(NYC_CAUSES) and interests.most_common(1)[0][0] == "strengthening_communities"
    assert all(set(n.causes) <= set(NYC_CAUSES) and n.causes for n in ds.needs)
    assert all(km_from(NYC_CENTER, v.home) < 40 for v in ds.volunteers if v.home)


def test_a_cause_list_is_taken_as_most_popular_first() -> None:
    ds = synthetic_city(2000, 0, seed=2, causes=["zebra", "aardvark"])
    counts = Counter(c for v in ds.volunteers for c in v.interests)
    assert counts["zebra"] > counts["aardvark"] > 0


# -- parameters ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_volunteers": -1}, r"'n_volunteers' parameter of synthetic_city must be an integer >= 0\. Got -1"),
        ({"n_needs": 2.5}, r"'n_needs' .* Got 2\.5"),
        ({"seed": "x"}, r"'seed' .* Got 'x'"),
        ({"center": (91, 0)}, r"'center' .* lat in -90\.\.90"),
        ({"center": "Kazan"}, r"'center' .* a \(lat, lon\) pair of numbers"),
        ({"radius_km": 0}, r"'radius_km' .* \(0, 2000\]"),
        ({"n_organisations": 0}, r"'n_organisations' .* >= 1 when there are needs"),
        ({"n_districts": 0}, r"'n_districts' .* >= 1"),
        ({"causes": []}, r"'causes' .* non-empty"),
        ({"causes": "children"}, r"'causes' .* not a string"),
        ({"causes": ["a", "a"]}, r"'causes' .* without duplicates"),
        ({"causes": {"a": 0}}, r"'causes' .* weights > 0; 'a' has 0"),
        ({"languages": {"russian": 1.0}}, r"'languages' .* ISO 639-1 .* Got 'russian'"),
        ({"languages": {"ru": 1.5}}, r"'languages' .* shares in \(0, 1\]; 'ru' has 1\.5"),
        ({"capacity_profile": "paris"}, r"'capacity_profile' .* 'city', 'nyc'\. Got 'paris'"),
        ({"as_of": "2026-01-01"}, r"'as_of' .* a datetime\.date"),
    ],
)
def test_bad_parameters_are_named(kwargs: dict, message: str) -> None:
    with pytest.raises(mk.InvalidInputError, match=message):
        synthetic_city(**{"n_volunteers": 10, "n_needs": 2, **kwargs})


# -- the tiny city --------------------------------------------------------------------------
def test_tiny_city_acceptable_pairs_are_what_matchkit_finds() -> None:
    problem = mk.build_problem(tiny_city(), as_of=AS_OF)
    found = {(problem.left_ids[a], problem.right_ids[b]) for a, b in zip(problem.edge_left, problem.edge_right)}
    assert found == datasets.TINY_CITY_ACCEPTABLE


def test_tiny_city_has_one_way_to_make_six_placements() -> None:
    ds = tiny_city()
    cap = {v.id: v.max_placements for v in ds.volunteers} | {n.id: n.capacity for n in ds.needs}
    pairs = sorted(datasets.TINY_CITY_ACCEPTABLE)

    def fits(chosen: tuple[tuple[str, str], ...]) -> bool:
        used = Counter(x for pair in chosen for x in pair)
        return all(used[k] <= cap[k] for k in used)

    feasible = [c for r in range(len(pairs) + 1) for c in itertools.combinations(pairs, r) if fits(c)]
    best = max(len(c) for c in feasible)
    assert best == 6
    assert [set(c) for c in feasible if len(c) == best] == [
        {("v2", "n1"), ("v2", "n2"), ("v3", "n1"), ("v1", "n6"), ("v4", "n3"), ("v5", "n3")}
    ]


def test_tiny_city_edge_cases_are_there() -> None:
    ds = tiny_city()
    assert age_on(ds.volunteer("v1").birth_date, AS_OF) == 18 and ds.volunteer("v1").birth_date.month == AS_OF.month
    assert ds.need("n1").end_date == AS_OF and ds.need("n5").end_date < AS_OF
    assert ds.volunteer("v5").home == ds.need("n6").location
    assert ds.need("n3").location is None and ds.need("n3").slots == ()


def test_only_ideas_break_the_policy_rules(city: mk.Dataset) -> None:
    findings = mk.check_policies(city, as_of=AS_OF)
    errors = [f for f in findings if f.severity == "error"]
    assert errors and all(city.need(f.record_id).status is mk.NeedStatus.IDEA for f in errors)
    minors = [n for n in city.needs if n.involves_minors]
    assert minors and all("background" in n.required_checks for n in minors)
    assert all(n.min_age == 18 for n in city.needs if n.night_work)
    assert any(n.proposed_by for n in city.needs if n.status is mk.NeedStatus.IDEA)


@given(k=st.integers(0, 21), masks=st.lists(st.integers(0, 2**21 - 1), max_size=40))
def test_tag_tuples_list_each_masks_entries_in_vocabulary_order(k, masks) -> None:
    from matchkit._city_records import tuples

    vocab = [f"t{i}" for i in range(k)]
    m = np.array(masks, dtype=np.int64) & ((1 << k) - 1)
    want = [tuple(v for j, v in enumerate(vocab) if (x >> j) & 1) for x in m.tolist()]
    assert tuples(m, vocab) == want


def test_a_dataset_of_validated_records_still_checks_between_records() -> None:
    """of_validated_records skips only the per-record type check: ids, references and
    everything between records are checked as always, and the context is reset."""
    from matchkit._dataset import _VALIDATED, of_validated_records
    from matchkit.datasets import tiny_city

    ds = tiny_city()
    with pytest.raises(mk.InvalidDatasetError, match="duplicate id"):
        of_validated_records(volunteers=ds.volunteers + ds.volunteers[:1],
                             organisations=ds.organisations, needs=ds.needs)
    with pytest.raises(mk.InvalidDatasetError, match="does not exist"):
        of_validated_records(volunteers=ds.volunteers, organisations=ds.organisations[1:],
                             needs=ds.needs)
    assert _VALIDATED.get() is False
    stale = ds.needs[0].model_copy(update={"status": "closed"})  # (a str, unvalidated)
    again = mk.Dataset(volunteers=ds.volunteers, organisations=ds.organisations,
                       needs=(stale, *ds.needs[1:]))
    assert again.needs[0].status is mk.NeedStatus.CLOSED  # the plain path still checks

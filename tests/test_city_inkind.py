"""synthetic_city's in-kind offers and requests: realistic, deterministic, switchable, loadable."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

import matchkit as mk
from matchkit._city_inkind import KINDS
from matchkit.datasets import DEFAULT_AS_OF, synthetic_city

AS_OF = DEFAULT_AS_OF
GIVERS = {"public_body", "business"}


@pytest.fixture(scope="module")
def city() -> mk.Dataset:
    return synthetic_city(n_volunteers=3000, n_needs=800, seed=21)


@pytest.fixture(scope="module")
def result(city: mk.Dataset) -> mk.InkindResult:
    return mk.match_inkind(city.offers, city.requests, city.organisations, as_of=AS_OF)


def test_offers_come_from_givers_and_requests_from_csos(city: mk.Dataset) -> None:
    kinds = {o.id: o.kind.value for o in city.organisations}
    assert city.offers and city.requests
    assert {kinds[o.organisation_id] for o in city.offers} <= GIVERS
    assert {kinds[r.organisation_id] for r in city.requests} <= {
        "cso",
        "volunteer_centre",
    }
    assert (
        Counter(kinds[r.organisation_id] for r in city.requests).most_common(1)[0][0]
        == "cso"
    )
    # every giver offers something
    assert {o.organisation_id for o in city.offers} == {
        k for k, v in kinds.items() if v in GIVERS
    }
    in_kind_codes = {"offer-not-from-giver", "request-not-from-cso", "request-past"}
    assert not [
        f for f in mk.check_policies(city, as_of=AS_OF) if f.code in in_kind_codes
    ]


def test_every_kind_has_one_unit_both_sides_use(city: mk.Dataset) -> None:
    for item in (*city.offers, *city.requests):
        assert item.unit == KINDS[item.kind.value].unit
    assert {o.kind.value for o in city.offers} == set(KINDS)
    assert {r.kind.value for r in city.requests} == set(KINDS)


def test_offer_terms_are_in_range(city: mk.Dataset) -> None:
    assert all(0 <= o.lead_time_days <= 30 for o in city.offers)
    assert all(len(o.windows) <= 2 for o in city.offers)
    assert Counter(len(o.windows) for o in city.offers).keys() == {0, 1, 2}
    for o in city.offers:
        if len(o.windows) == 2:
            assert o.windows[0].end < o.windows[1].start  # the next cycle comes later
    local = sum(o.area is not None for o in city.offers) / len(city.offers)
    assert 0.3 < local < 0.7, "about half the offers serve a local area"
    assert all(o.radius_km is None or 0 < o.radius_km < 12 for o in city.offers)
    assert all(o.contact_role and o.item for o in city.offers)
    # windows over, current and still to come all occur
    assert any(o.windows and max(w.end for w in o.windows) < AS_OF for o in city.offers)
    assert any(o.takes_requests_on(AS_OF) and o.windows for o in city.offers)
    assert any(o.windows and o.windows[0].start > AS_OF for o in city.offers)


def test_requests_are_due_within_120_days_and_name_live_needs(city: mk.Dataset) -> None:
    for r in city.requests:
        assert AS_OF <= r.needed_by <= AS_OF + timedelta(days=120)
        assert r.purpose
        if r.need_id is not None:
            need = city.need(r.need_id)
            assert need.organisation_id == r.organisation_id
            assert need.status.value in ("open", "vetted")
            if need.location is not None:
                assert r.place == need.location  # help where the event is
    with_need = sum(r.need_id is not None for r in city.requests) / len(city.requests)
    assert 0.1 < with_need < 0.5


def test_some_requests_are_too_late_for_every_offer(
    city: mk.Dataset, result: mk.InkindResult
) -> None:
    def too_late_for_all(r: mk.InkindRequest) -> bool:
        same = [o for o in city.offers if o.kind == r.kind]
        return bool(same) and all(
            AS_OF + timedelta(days=o.lead_time_days) > r.needed_by for o in same
        )

    late = [r for r in city.requests if too_late_for_all(r)]
    assert 0.03 * len(city.requests) < len(late) < 0.25 * len(city.requests)
    assert not {r.id for r in late} & {a.request_id for a in result.allocations}
    assert {r.id for r in late} <= set(result.reasons)
    # the matcher tells them the latest day they could have asked
    assert {x.request_id for x in result.late} & {r.id for r in late}


def test_a_good_share_of_requests_is_covered(
    city: mk.Dataset, result: mk.InkindResult
) -> None:
    covered = {a.request_id for a in result.allocations}
    assert 0.2 < len(covered) / len(city.requests) < 0.95


@pytest.mark.parametrize("seed", [0, 5])
def test_same_seed_same_offers_and_requests(seed: int) -> None:
    a = synthetic_city(400, 80, seed=seed)
    b = synthetic_city(400, 80, seed=seed)
    assert a.offers == b.offers and a.requests == b.requests
    assert a.offers != synthetic_city(400, 80, seed=seed + 1).offers


@pytest.mark.parametrize("inkind", [False, 0, 0.0, 0.5, 2, 3.5])
def test_inkind_switches_off_or_scales_without_moving_the_rest(inkind: float) -> None:
    base = synthetic_city(400, 120, seed=3)
    other = synthetic_city(400, 120, seed=3, inkind=inkind)
    assert other.volunteers == base.volunteers
    assert other.organisations == base.organisations
    assert other.needs == base.needs
    givers = sum(o.kind.value in GIVERS for o in base.organisations)
    assert len(base.offers) == round(1.5 * givers) and len(base.requests) == round(
        0.3 * 120
    )
    assert len(other.offers) == round(1.5 * givers * inkind)
    assert len(other.requests) == round(0.3 * 120 * inkind)


def test_a_city_without_in_kind_help_saves_only_the_three_core_kinds() -> None:
    ds = synthetic_city(100, 20, seed=1, inkind=False)
    assert (ds.offers, ds.requests) == ((), ())
    assert list(ds.to_records()) == ["volunteers", "organisations", "needs"]


@pytest.mark.parametrize("inkind", ["yes", -1, float("nan"), 101, None])
def test_bad_inkind_is_refused(inkind: object) -> None:
    with pytest.raises(
        mk.InvalidInputError, match="'inkind' parameter of synthetic_city"
    ):
        synthetic_city(10, 2, seed=0, inkind=inkind)  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", ["csv", "json", "jsonl"])
def test_a_city_with_offers_and_requests_round_trips_in_every_format(
    tmp_path, fmt: str
) -> None:
    ds = synthetic_city(300, 100, seed=9)
    assert ds.offers and ds.requests
    assert any(o.windows for o in ds.offers) and any(o.area for o in ds.offers)
    assert any(r.need_id for r in ds.requests) and any(r.address for r in ds.requests)
    mk.save_dataset(ds, tmp_path, format=fmt)
    assert {p.name for p in tmp_path.iterdir()} >= {f"offers.{fmt}", f"requests.{fmt}"}
    again = mk.load_dataset(tmp_path)
    assert again == ds
    assert again.to_records() == ds.to_records()


def test_revalidation_gives_equal_offers_and_requests() -> None:
    ds = synthetic_city(300, 200, seed=4, inkind=2)
    again = mk.Dataset.from_records(**ds.to_records())
    assert again.offers == ds.offers and again.requests == ds.requests

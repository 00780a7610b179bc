"""In-kind matching: every rule of match_inkind as a property, plus worked examples."""

from __future__ import annotations

import math
from datetime import date, timedelta

import networkx as nx
import pytest
from hypothesis import given
from hypothesis import strategies as st

import matchkit as mk

BASE = date(2027, 3, 1)
ORGS = (
    mk.Organisation(
        id="giver", name="City Print House", kind="business", registered=True
    ),
    mk.Organisation(id="hall", name="City Hall", kind="public_body", registered=True),
    mk.Organisation(id="cso", name="Park Friends", kind="cso", registered=True),
)
CENTRE = (55.79, 49.12)


def day(n: int) -> date:
    return BASE + timedelta(days=n)


def km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(math.sqrt(min(1.0, a)))


places = st.builds(
    lambda dlat, dlon: mk.Place(lat=CENTRE[0] + dlat, lon=CENTRE[1] + dlon),
    st.floats(-0.2, 0.2),
    st.floats(-0.3, 0.3),
)
windows = st.lists(
    st.tuples(st.integers(-40, 60), st.integers(0, 30)).map(
        lambda t: mk.DateWindow(start=day(t[0]), end=day(t[0] + t[1]))
    ),
    max_size=3,
)
kinds = st.sampled_from(["printing", "food"])
units = st.sampled_from(["sheets", "Sheets ", "portions"])


@st.composite
def offers(draw: st.DrawFn, i: int) -> mk.InkindOffer:
    local = draw(st.booleans())
    return mk.InkindOffer(
        id=f"of{i}",
        organisation_id=draw(st.sampled_from(["giver", "hall"])),
        kind=draw(kinds),
        item="leaflets",
        quantity=draw(st.integers(1, 12)),
        unit=draw(units),
        lead_time_days=draw(st.integers(0, 20)),
        windows=draw(windows),
        area=draw(places) if local else None,
        radius_km=draw(st.floats(0.0, 20.0)) if local else None,
        contact_role="manager",
    )


@st.composite
def requests(draw: st.DrawFn, i: int) -> mk.InkindRequest:
    return mk.InkindRequest(
        id=f"rq{i}",
        organisation_id="cso",
        kind=draw(kinds),
        quantity=draw(st.integers(1, 12)),
        unit=draw(units),
        needed_by=day(draw(st.integers(-5, 60))),
        place=draw(places),
        purpose="a clean-up day",
    )


@st.composite
def markets(
    draw: st.DrawFn,
) -> tuple[list[mk.InkindOffer], list[mk.InkindRequest], date]:
    n_off = draw(st.integers(0, 5))
    n_req = draw(st.integers(0, 6))
    offs = [draw(offers(i)) for i in range(n_off)]
    reqs = [draw(requests(i)) for i in range(n_req)]
    return offs, reqs, day(draw(st.integers(-10, 40)))


def same_goods(o: mk.InkindOffer, r: mk.InkindRequest) -> bool:
    return o.kind == r.kind and o.unit.strip().lower() == r.unit.strip().lower()


def in_area(o: mk.InkindOffer, r: mk.InkindRequest) -> bool:
    if o.area is None:
        return True
    return km(r.place.lat, r.place.lon, o.area.lat, o.area.lon) <= o.radius_km + 1e-6  # type: ignore[operator]


def sendable(o: mk.InkindOffer, r: mk.InkindRequest, d: date) -> bool:
    """The reference rule, day by day: inside a window and lead_time before needed_by."""
    return (
        o.takes_requests_on(d) and d + timedelta(days=o.lead_time_days) <= r.needed_by
    )


def fits(o: mk.InkindOffer, r: mk.InkindRequest, as_of: date) -> bool:
    return same_goods(o, r) and in_area(o, r) and sendable(o, r, as_of)


def brute_latest(o: mk.InkindOffer, r: mk.InkindRequest) -> date | None:
    """Scan every day backwards from needed_by - lead_time for one inside a window."""
    d = r.needed_by - timedelta(days=o.lead_time_days)
    lowest = min([w.start for w in o.windows], default=d)
    while d >= lowest:
        if o.takes_requests_on(d):
            return d
        d -= timedelta(days=1)
    return None


@given(markets())
def test_allocations_only_between_fitting_pairs_and_within_quantities(market) -> None:
    offs, reqs, as_of = market
    res = mk.match_inkind(offs, reqs, ORGS, as_of=as_of)
    by_id_o = {o.id: o for o in offs}
    by_id_r = {r.id: r for r in reqs}
    for a in res.allocations:
        o, r = by_id_o[a.offer_id], by_id_r[a.request_id]
        assert a.quantity >= 1
        assert fits(o, r, as_of), (
            "an allocation breaks kind, unit, area, window or lead time"
        )
        assert a.send_by >= as_of and sendable(o, r, a.send_by)
    for o in offs:
        assert res.given(o.id) <= o.quantity
    for r in reqs:
        assert res.covered(r.id) <= r.quantity
        assert (res.covered(r.id) < r.quantity) == (r.id in res.reasons)


@given(markets())
def test_covers_the_most_units_possible(market) -> None:
    """The covered total equals the max flow of the transportation network."""
    offs, reqs, as_of = market
    res = mk.match_inkind(offs, reqs, ORGS, as_of=as_of)
    g = nx.DiGraph()
    for r in reqs:
        g.add_edge("s", r.id, capacity=r.quantity)
        for o in offs:
            if fits(o, r, as_of):
                g.add_edge(r.id, o.id)
    for o in offs:
        g.add_edge(o.id, "t", capacity=o.quantity)
    best = nx.maximum_flow_value(g, "s", "t") if reqs and offs else 0
    assert sum(a.quantity for a in res.allocations) == best


@given(markets())
def test_every_late_pair_gets_the_correct_latest_date(market) -> None:
    offs, reqs, as_of = market
    res = mk.match_inkind(offs, reqs, ORGS, as_of=as_of)
    late = {(x.request_id, x.offer_id): x for x in res.late}
    for r in reqs:
        for o in offs:
            latest = brute_latest(o, r) if same_goods(o, r) and in_area(o, r) else None
            if latest is not None and latest < as_of:
                x = late.pop((r.id, o.id))
                assert x.latest_send == latest
                assert x.days_late == (as_of - latest).days > 0
                assert sendable(o, r, x.latest_send)
            else:
                assert (r.id, o.id) not in late
    assert not late


@given(markets())
def test_a_short_request_is_told_what_its_offers_hold_and_what_others_took(
    market,
) -> None:
    offs, reqs, as_of = market
    res = mk.match_inkind(offs, reqs, ORGS, as_of=as_of)
    for r in reqs:
        fit = {o.id: o.quantity for o in offs if fits(o, r, as_of)}
        if not fit or r.id not in res.reasons:
            continue
        held = sum(fit.values())
        others = sum(
            a.quantity
            for a in res.allocations
            if a.offer_id in fit and a.request_id != r.id
        )
        why = res.reasons[r.id]
        assert why.startswith(f"covered {res.covered(r.id)} of {r.quantity} {r.unit}: ")
        assert f"hold{'s' if len(fit) == 1 else ''} " in why
        assert f"{'only ' if held < r.quantity else ''}{held} {r.unit}" in why
        assert ("other requests" in why) == (others > 0), why
        assert others == 0 or why.endswith(f"other requests take {others} of them")


def _food(oid: str, quantity: int) -> mk.InkindOffer:
    return mk.InkindOffer(id=oid, organisation_id="giver", kind="food", item="soup",
                          quantity=quantity, unit="portions", contact_role="chef")  # fmt: skip


def _lunch(rid: str, quantity: int) -> mk.InkindRequest:
    return mk.InkindRequest(id=rid, organisation_id="cso", kind="food", quantity=quantity,
                            unit="portions", needed_by="2027-05-10",
                            place={"lat": 55.8, "lon": 49.1}, purpose="lunch")  # fmt: skip


def test_a_request_larger_than_its_offers_is_not_blamed_on_other_requests() -> None:
    res = mk.match_inkind([_food("x", 10)], [_lunch("a", 25)], ORGS, as_of="2027-05-01")
    assert res.reasons == {
        "a": "covered 10 of 25 portions: the one fitting offer holds only 10 portions"
    }
    offs = [_food("x", 10), _food("y", 5)]
    res = mk.match_inkind(offs, [_lunch("a", 25)], ORGS, as_of="2027-05-01")
    assert res.reasons["a"] == (
        "covered 15 of 25 portions: the 2 fitting offers hold only 15 portions in all"
    )


def test_units_other_requests_took_are_named() -> None:
    reqs = [_lunch("a", 25), _lunch("b", 20)]
    res = mk.match_inkind([_food("x", 30)], reqs, ORGS, as_of="2027-05-01")
    short = [r for r in reqs if r.id in res.reasons]
    assert short and sum(res.covered(r.id) for r in reqs) == 30
    for r in short:
        got = res.covered(r.id)
        assert res.reasons[r.id] == (
            f"covered {got} of {r.quantity} portions: the one fitting offer holds 30 "
            f"portions, and other requests take {30 - got} of them"
        )


def test_worked_example_split_late_early_and_area() -> None:
    offs = [
        mk.InkindOffer(
            id="a",
            organisation_id="giver",
            kind="printing",
            item="A4 leaflets",
            quantity=300,
            unit="sheets",
            lead_time_days=10,
            contact_role="manager",
        ),
        mk.InkindOffer(
            id="b",
            organisation_id="hall",
            kind="printing",
            item="A4 leaflets",
            quantity=400,
            unit="sheets",
            lead_time_days=5,
            contact_role="press office",
            windows=["2027-03-01/2027-03-31"],
        ),
        mk.InkindOffer(
            id="c",
            organisation_id="hall",
            kind="printing",
            item="posters",
            quantity=100,
            unit="sheets",
            lead_time_days=0,
            contact_role="press office",
            windows=["2027-04-01/2027-04-30"],
        ),
        mk.InkindOffer(
            id="far",
            organisation_id="giver",
            kind="food",
            item="soup",
            quantity=50,
            unit="portions",
            contact_role="chef",
            area={"lat": 59.9, "lon": 30.3},
            radius_km=5,
        ),
    ]
    here = {"lat": 55.79, "lon": 49.12}
    reqs = [
        mk.InkindRequest(
            id="big",
            organisation_id="cso",
            kind="printing",
            quantity=600,
            unit="sheets",
            needed_by="2027-04-20",
            place=here,
            purpose="clean-up",
        ),
        mk.InkindRequest(
            id="soon",
            organisation_id="cso",
            kind="printing",
            quantity=50,
            unit="SHEETS",
            needed_by="2027-03-08",
            place=here,
            purpose="posters",
        ),
        mk.InkindRequest(
            id="soup",
            organisation_id="cso",
            kind="food",
            quantity=5,
            unit="portions",
            needed_by="2027-04-20",
            place=here,
            purpose="lunch",
        ),
        mk.InkindRequest(
            id="bus",
            organisation_id="cso",
            kind="transport",
            quantity=1,
            unit="bus",
            needed_by="2027-04-20",
            place=here,
            purpose="trip",
        ),
    ]
    res = mk.match_inkind(offs, reqs, ORGS, as_of="2027-03-05")
    got = {(a.request_id, a.offer_id): a.quantity for a in res.allocations}
    # 600 sheets need both a and b (split); "soon" is too late for a and b.
    assert got == {("big", "a"): 300, ("big", "b"): 300}
    assert {
        (x.request_id, x.offer_id, x.latest_send.isoformat()) for x in res.late
    } == {
        ("soon", "a", "2027-02-26"),
        ("soon", "b", "2027-03-03"),
    }
    assert "outside the service area" in res.reasons["soup"]
    assert "no offer of transport" in res.reasons["bus"]
    assert (
        "offer 'c' takes requests only in 2027-04-01/2027-04-30" in res.reasons["soon"]
    )
    ru = mk.match_inkind(offs, reqs, ORGS, as_of="2027-03-05", lang="ru").reasons
    assert ru.keys() == res.reasons.keys()
    assert ru["soup"] == "вне зоны обслуживания всех предложений вида «питание»"
    assert ru["bus"] == "нет предложений вида «транспорт» в единицах «bus»"
    assert ru["soon"] == (
        "слишком поздно для 2 подходящих предложений: последний день для запроса — "
        "2027-03-03 (предложение «b»); предложение «c» принимает заявки только в периоды "
        "2027-04-01/2027-04-30, и ни один из них не приходится за 0 дней до 2027-03-08"
    )


def _later(oid: str, opens: str, lead: int = 0, windows: list[str] | None = None):
    return mk.InkindOffer(id=oid, organisation_id="hall", kind="venue", item="hall",
                          quantity=1, unit="hall", lead_time_days=lead,
                          windows=windows or [f"{opens}/2027-04-30"],
                          contact_role="manager")  # fmt: skip


_FAIR = mk.InkindRequest(id="r", organisation_id="cso", kind="venue", quantity=1,
                         unit="hall", needed_by="2027-05-20",
                         place={"lat": 55.8, "lon": 49.1}, purpose="fair")  # fmt: skip


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "en",
            (
                "offer 'a' takes requests from 2027-04-01; send it between then and "
                "2027-04-30; offer 'b' takes requests from 2027-04-02; send it between then "
                "and 2027-04-30; offer 'c' takes requests from 2027-04-03; send it between "
                "then and 2027-04-30; and 1 more offer opening later; "
                "offer 'n2' takes requests only in 2027-05-19/2027-05-30, none of which is "
                "2 days before 2027-05-20; offer 'n3' takes requests only in "
                "2027-05-19/2027-05-30, none of which is 3 days before 2027-05-20; "
                "offer 'n4' takes requests only in 2027-05-19/2027-05-30, none of which is "
                "4 days before 2027-05-20; and 2 more offers whose windows never fit"
            ),
        ),
        (
            "ru",
            (
                "предложение «a» принимает заявки с 2027-04-01; отправьте запрос в срок с "
                "2027-04-01 по 2027-04-30; предложение «b» принимает заявки с 2027-04-02; "
                "отправьте запрос в срок с 2027-04-02 по 2027-04-30; предложение «c» "
                "принимает заявки с 2027-04-03; отправьте запрос в срок с 2027-04-03 по "
                "2027-04-30; и ещё 1 предложение с приёмом заявок позже; предложение «n2» "
                "принимает заявки только в периоды 2027-05-19/2027-05-30, и ни один из них "
                "не приходится за 2 дня до 2027-05-20; предложение «n3» принимает заявки "
                "только в периоды 2027-05-19/2027-05-30, и ни один из них не приходится за "
                "3 дня до 2027-05-20; предложение «n4» принимает заявки только в периоды "
                "2027-05-19/2027-05-30, и ни один из них не приходится за 4 дня до "
                "2027-05-20; и ещё 2 предложения с неподходящими периодами приёма заявок"
            ),
        ),
    ],
)
def test_reasons_are_in_the_language_asked(lang: str, expected: str) -> None:
    offs = [_later(x, f"2027-04-0{i + 1}") for i, x in enumerate("abcd")]
    offs += [_later(f"n{k}", "", k, ["2027-05-19/2027-05-30"]) for k in range(2, 7)]
    res = mk.match_inkind(offs, [_FAIR], ORGS, as_of="2027-03-05", lang=lang)
    assert res.reasons == {"r": expected}


def test_short_reasons_in_russian() -> None:
    res = mk.match_inkind(
        [_food("x", 10), _food("y", 5)], [_lunch("a", 25)], ORGS, as_of="2027-05-01",
        lang="ru",
    )  # fmt: skip
    assert res.reasons["a"] == (
        "покрыто 15 из 25 portions: подходящие предложения (2) дают в сумме только 15 "
        "portions"
    )
    reqs = [_lunch("a", 25), _lunch("b", 20)]
    res = mk.match_inkind([_food("x", 30)], reqs, ORGS, as_of="2027-05-01", lang="ru")
    for r in (r for r in reqs if r.id in res.reasons):
        got = res.covered(r.id)
        assert res.reasons[r.id] == (
            f"покрыто {got} из {r.quantity} portions: единственное подходящее предложение "
            f"даёт 30 portions, и {30 - got} из них забирают другие запросы"
        )


def test_an_unknown_language_of_reasons_is_refused() -> None:
    with pytest.raises(mk.UnknownMethodError, match="'lang' parameter of match_inkind"):
        mk.match_inkind([], [], ORGS, as_of="2027-03-01", lang="de")


def test_a_notice_longer_than_the_calendar_is_explained() -> None:
    off = _later("o", "2027-01-01", 400).model_copy(update={"windows": ()})
    req = _FAIR.model_copy(update={"needed_by": date(1, 6, 1)})
    res = mk.match_inkind([off], [req], ORGS, as_of="0001-01-01")
    assert res.reasons["r"] == (
        "offer 'o' needs 400 days' notice, more days than there are before 0001-06-01"
    )


def test_a_window_that_opens_later_is_explained() -> None:
    off = mk.InkindOffer(
        id="c",
        organisation_id="hall",
        kind="venue",
        item="the assembly hall",
        quantity=1,
        unit="hall",
        windows=["2027-04-01/2027-04-30"],
        lead_time_days=7,
        contact_role="facilities manager",
    )
    req = mk.InkindRequest(
        id="r",
        organisation_id="cso",
        kind="venue",
        quantity=1,
        unit="hall",
        needed_by="2027-05-20",
        place={"lat": 55.8, "lon": 49.1},
        purpose="volunteer fair",
    )
    res = mk.match_inkind([off], [req], ORGS, as_of="2027-03-05")
    assert res.allocations == () and res.late == ()
    assert res.reasons["r"] == (
        "offer 'c' takes requests from 2027-04-01; send it between then and 2027-04-30"
    )


def test_requests_are_covered_by_the_dataset_too() -> None:
    ds = mk.Dataset(
        organisations=list(ORGS),
        offers=[
            {
                "id": "o",
                "organisation_id": "giver",
                "kind": "food",
                "item": "pies",
                "quantity": 10,
                "unit": "pieces",
                "contact_role": "owner",
            }
        ],
        requests=[
            {
                "id": "r",
                "organisation_id": "cso",
                "kind": "food",
                "quantity": 4,
                "unit": "pieces",
                "needed_by": "2027-03-10",
                "place": {"lat": 55.8, "lon": 49.1},
                "purpose": "tea",
            }
        ],
    )
    res = mk.match_inkind(ds.offers, ds.requests, ds.organisations, as_of="2027-03-01")
    assert [
        (a.request_id, a.offer_id, a.quantity, a.send_by) for a in res.allocations
    ] == [("r", "o", 4, date(2027, 3, 10))]
    assert ds.offer("o").item == "pies" and ds.request("r").quantity == 4


@pytest.mark.parametrize(
    ("offer", "requests_", "message"),
    [
        ({"organisation_id": "nobody"}, [], r"organisation 'nobody' does not exist"),
        ({"quantity": 0}, [], r"offers\[0\].*quantity"),
        ({"area": {"lat": 55.0, "lon": 49.0}}, [], r"give both area"),
        (
            {"windows": ["2027-05-01/2027-04-01"]},
            [],
            r"window ends \(2027-04-01\) before",
        ),
        ({"windows": ["2027-05-01"]}, [], r"not a date range; write it as START/END"),
        ({}, [{"id": "r"}, {"id": "r"}], r"duplicate id"),
        # numbers past int64 are refused by the model, not by numpy
        ({"quantity": 10**19}, [], r"\(id 'o'\), field 'quantity'.*2147483647"),
        ({"quantity": 2**31}, [], r"\(id 'o'\), field 'quantity'.*2147483647"),
        ({"lead_time_days": 10**19}, [], r"field 'lead_time_days'.*3650"),
        ({"lead_time_days": 3651}, [], r"field 'lead_time_days'.*3650"),
        ({}, [{"id": "r", "quantity": 10**19}], r"\(id 'r'\), field 'quantity'"),
    ],
)
def test_bad_input_names_the_record(offer: dict, requests_: list, message: str) -> None:
    base = {
        "id": "o",
        "organisation_id": "giver",
        "kind": "food",
        "item": "pies",
        "quantity": 10,
        "unit": "pieces",
        "contact_role": "owner",
    }
    req = {
        "organisation_id": "cso",
        "kind": "food",
        "quantity": 1,
        "unit": "pieces",
        "needed_by": "2027-03-10",
        "place": {"lat": 55.8, "lon": 49.1},
        "purpose": "tea",
    }
    with pytest.raises(mk.InvalidDatasetError, match=message):
        mk.match_inkind(
            [{**base, **offer}],
            [{**req, **r} for r in requests_],
            ORGS,
            as_of="2027-03-01",
        )


def test_the_largest_quantities_and_notice_are_matched() -> None:
    offer = _later("o", "2027-01-01", 3650).model_copy(update={"windows": ()})
    offer = offer.model_copy(update={"quantity": 2**31 - 1})
    soon = _FAIR.model_copy(update={"quantity": 2**31 - 2})
    later = _FAIR.model_copy(update={"id": "far", "needed_by": date(2037, 3, 1)})
    res = mk.match_inkind([offer], [soon, later], ORGS, as_of="2027-03-01")
    assert [(a.request_id, a.quantity) for a in res.allocations] == [("far", 1)]
    assert res.late[0].latest_send == soon.needed_by - timedelta(days=3650)
    # 2**31 units in all, but the late request fits no offer: it does not count
    more = later.model_copy(update={"quantity": 2})
    res = mk.match_inkind([offer], [soon, more], ORGS, as_of="2027-03-01")
    assert [(a.request_id, a.quantity) for a in res.allocations] == [("far", 2)]
    # two requests that fit, 2**31 units in all
    half = later.model_copy(update={"quantity": 2**30})
    other = half.model_copy(update={"id": "other"})
    with pytest.raises(mk.InvalidDatasetError, match="ask for 2147483648 units in all"):
        mk.match_inkind([offer], [half, other], ORGS, as_of="2027-03-01")
    # a request far beyond its one small offer counts as what that offer holds
    small = offer.model_copy(update={"id": "small", "quantity": 5})
    res = mk.match_inkind([small], [half, other.model_copy(update={"quantity": 2**31 - 1})],
                          ORGS, as_of="2027-03-01")
    assert sum(a.quantity for a in res.allocations) == 5
    assert "covered" in res.reasons["far"] and "covered" in res.reasons["other"]


def test_a_huge_number_in_a_file_names_the_file_line_and_field(tmp_path) -> None:
    ds = mk.Dataset(organisations=list(ORGS), offers=[_food("x", 10)])
    mk.save_dataset(ds, tmp_path / "d", format="csv")
    path = tmp_path / "d" / "offers.csv"
    path.write_text(path.read_text("utf-8").replace(",10,", ",99999999999999999999,"))
    with pytest.raises(
        mk.InvalidDatasetError,
        match=r"offers.csv, line 2 \(id 'x'\), "
        r"field 'quantity': Input should be less than or equal to 2147483647",
    ):
        mk.load_dataset(tmp_path / "d")


def test_dataset_cross_checks_offers_and_requests() -> None:
    with pytest.raises(
        mk.InvalidDatasetError, match=r"requests\[0\] \(id 'r'\), field 'need_id'"
    ):
        mk.Dataset(
            organisations=list(ORGS),
            requests=[
                {
                    "id": "r",
                    "organisation_id": "cso",
                    "kind": "food",
                    "quantity": 4,
                    "unit": "pieces",
                    "needed_by": "2027-03-10",
                    "need_id": "n404",
                    "place": {"lat": 55.8, "lon": 49.1},
                    "purpose": "tea",
                }
            ],
        )


@pytest.mark.parametrize("fmt", ["csv", "json", "jsonl"])
def test_offers_and_requests_round_trip_through_files(tmp_path, fmt: str) -> None:
    ds = mk.Dataset(
        organisations=list(ORGS),
        offers=[
            {
                "id": "o",
                "organisation_id": "giver",
                "kind": "printing",
                "item": "leaflets",
                "quantity": 10,
                "unit": "sheets",
                "contact_role": "owner",
                "lead_time_days": 3,
                "windows": ["2027-01-01/2027-03-31", "2027-09-01/2027-10-31"],
                "area": {"lat": 55.8, "lon": 49.1},
                "radius_km": 12.5,
            }
        ],
        requests=[
            {
                "id": "r",
                "organisation_id": "cso",
                "kind": "printing",
                "quantity": 4,
                "unit": "sheets",
                "needed_by": "2027-03-10",
                "address": "Park gate",
                "place": {"lat": 55.8, "lon": 49.1},
                "purpose": "tea",
            }
        ],
    )
    mk.save_dataset(ds, tmp_path / "d", format=fmt)
    assert mk.load_dataset(tmp_path / "d") == ds


def test_a_dataset_without_in_kind_records_iterates_as_before() -> None:
    ds = mk.Dataset(organisations=list(ORGS))
    assert [k for k, _ in ds] == ["volunteers", "organisations", "needs"]
    assert mk.Dataset.from_records(**ds.to_records()) == ds


@pytest.mark.parametrize(
    ("as_of", "message"),
    [
        ("2027-13-01", r"as_of of match_inkind: '2027-13-01' is not a"),
        (None, r"must be a date \(YYYY-MM-DD\); got None"),
    ],
)
def test_bad_as_of_is_refused(as_of: object, message: str) -> None:
    with pytest.raises(mk.InvalidInputError, match=message):
        mk.match_inkind([], [], ORGS, as_of=as_of)  # type: ignore[arg-type]

"""Units and ids pasted with line breaks or tabs stay on one line in match_inkind's reasons,
in English and Russian; the reasons equal those written from the same data on one line,
and the records' own values (ids, ``Allocation.unit``) stay as written."""

from __future__ import annotations

from typing import Any

import pytest

import matchkit as mk
from matchkit._texts import one_line

AS_OF = "2027-03-01"
#: Characters no reason may hold.
CONTROL = {"\n", "\r", "\t", "\v", "\f", "\x85", "\u2028"}
HERE = {"lat": 55.79, "lon": 49.12}
FAR = {"lat": 56.5, "lon": 49.12}

ORGS = [
    {"id": "print\thouse", "name": "City\r\nPrint\tHouse", "kind": "business",
     "registered": True},
    {"id": "park\nfriends", "name": "Park\nFriends", "kind": "cso", "registered": True,
     "vets_causes": ["environment"]},
]  # fmt: skip
_NEED = {"organisation_id": "park\nfriends", "remote": True, "capacity": 5,
         "vetted_by": "park\nfriends", "causes": ["environment"], "status": "open"}  # fmt: skip
NEEDS = [
    {**_NEED, "id": "clean\r\nup", "title": "Clean-up", "status": "closed"},
    {**_NEED, "id": "fair\tday", "title": "Fair", "end_date": "2027-02-01"},
    {**_NEED, "id": "new\nidea", "title": "Idea", "status": "idea", "vetted_by": None},
    {**_NEED, "id": "no\tvetter", "title": "Walk", "vetted_by": None},
]
_OFFER = {"organisation_id": "print\thouse", "kind": "printing", "item": "colour\nleaflets",
          "contact_role": "Head of\r\nthe press\toffice"}  # fmt: skip
OFFERS = [
    # of 1 (300) and of 2 (250) both fit rq 1 (500) and rq 2 (100): 550 of 600 covered
    {**_OFFER, "id": "of\n1", "quantity": 300, "unit": "A4\tsheets"},
    {**_OFFER, "id": "of\t2", "quantity": 250, "unit": "a4\r\nSheets"},
    # too late (of 3), opening later (of 4), never fitting (of 4 for rq 5, of 5 for rq 9)
    {**_OFFER, "id": "of\r\n3", "kind": "food", "item": "hot\tmeals", "quantity": 40,
     "unit": "hot\nmeals", "lead_time_days": 30},
    {**_OFFER, "id": "of\t4", "kind": "food", "quantity": 40, "unit": "hot\nmeals",
     "windows": ["2027-03-10/2027-03-20"]},
    {**_OFFER, "id": "of\n5", "kind": "food", "quantity": 40, "unit": "hot\nmeals",
     "lead_time_days": 3650},
    # venues in units no request asks for; a bus that serves only near HERE
    {**_OFFER, "id": "of\t6", "kind": "venue", "quantity": 1, "unit": "large\thall"},
    {**_OFFER, "id": "of\t7", "kind": "venue", "quantity": 1, "unit": "small\r\nhall"},
    {**_OFFER, "id": "of\n8", "kind": "transport", "quantity": 1, "unit": "city\tbus",
     "area": HERE, "radius_km": 5},
]
_REQUEST = {"organisation_id": "park\nfriends", "kind": "printing", "place": HERE,
            "purpose": "a clean-up\r\nday", "needed_by": "2027-04-20"}  # fmt: skip
REQUESTS = [
    {**_REQUEST, "id": "rq\n1", "quantity": 500, "unit": "A4\tsheets"},
    {**_REQUEST, "id": "rq\t2", "quantity": 100, "unit": "A4\n\tsheets",
     "needed_by": "2027-04-25"},
    {**_REQUEST, "id": "rq\r\n3", "kind": "food", "quantity": 10, "unit": "hot\tmeals",
     "needed_by": "2027-03-20", "item": "soup\nand\tbread"},
    {**_REQUEST, "id": "rq\t4", "kind": "food", "quantity": 10, "unit": "hot\nmeals",
     "needed_by": "2027-03-25"},
    {**_REQUEST, "id": "rq\t5", "kind": "food", "quantity": 10, "unit": "Hot\r\nMeals",
     "needed_by": "2027-03-02"},
    {**_REQUEST, "id": "rq\n6", "kind": "venue", "quantity": 1, "unit": "conference\troom"},
    {**_REQUEST, "id": "rq\n7", "kind": "transport", "quantity": 1, "unit": "city\nbus",
     "place": FAR},
    {**_REQUEST, "id": "rq\r\n8", "kind": "transport", "quantity": 2, "unit": "City\r\nBus"},
    {**_REQUEST, "id": "rq\t9", "kind": "food", "quantity": 10, "unit": "hot\tmeals",
     "needed_by": "0005-01-01"},
    *({**_REQUEST, "id": f"rq\t{10 + k}", "quantity": 5, "unit": "A4\tsheets",
       "need_id": need["id"]} for k, need in enumerate(NEEDS)),
]  # fmt: skip


def _flat(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``records`` with every text (and every text of a list) on one line."""

    def line(v: Any) -> Any:
        if isinstance(v, str):
            return one_line(v)
        return [line(x) for x in v] if isinstance(v, list) else v

    return [{k: line(v) for k, v in r.items()} for r in records]


def _match(flat: bool, lang: str) -> mk.InkindResult:
    data = (OFFERS, REQUESTS, ORGS, NEEDS)
    offers, requests, orgs, needs = (_flat(x) for x in data) if flat else data
    return mk.match_inkind(offers, requests, orgs, as_of=AS_OF, lang=lang, needs=needs)


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_every_reason_is_the_one_written_from_the_data_on_one_line(lang: str) -> None:
    res, flat = _match(False, lang), _match(True, lang)
    assert {one_line(r) for r in res.reasons} == set(flat.reasons)
    for rid, text in res.reasons.items():
        assert not CONTROL & set(text), (rid, text)
        assert text == flat.reasons[one_line(rid)]


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_the_market_gives_every_kind_of_reason(lang: str) -> None:
    """Each record value a reason can name is in one of them (else the test above proves
    little)."""
    res = _match(False, lang)
    why = res.reasons
    assert len(why) == 12 and why.keys() <= {r["id"] for r in REQUESTS}
    seen = " | ".join(why.values())
    for text in ("A4 sheets", "City Bus", "conference room", "large hall", "small hall",
                 "of 3", "of 4", "of 5", "clean up", "fair day", "new idea", "no vetter"):  # fmt: skip
        assert text in seen, text
    if lang == "en":
        assert why["rq\t2"] == (
            "covered 50 of 100 A4 sheets: the 2 fitting offers hold 550 A4 sheets in all, "
            "and other requests take 500 of them"
        )
        assert why["rq\r\n8"] == (
            "covered 1 of 2 City Bus: the one fitting offer holds only 1 City Bus"
        )
        assert why["rq\t10"] == "not matched: the need 'clean up' it supports is closed"
        assert "offer 'of 5' needs 3650 days' notice" in why["rq\t9"]
    else:
        assert why["rq\n6"] == (
            "нет предложений вида «помещение» в единицах «conference room»; предложения "
            "этого вида используют: large hall, small hall"
        )
        assert "(предложение «of 3»)" in why["rq\r\n3"]
        assert why["rq\t11"].startswith("не подобрано: задача «fair day»")


def test_the_units_offered_are_named_once_each_on_one_line() -> None:
    """Units that differ only in their line breaks and tabs read alike: named once."""
    offers = [
        {**OFFERS[5], "id": "hall1", "unit": "large\thall"},
        {**OFFERS[5], "id": "hall2", "unit": "large\r\nhall"},
        {**OFFERS[5], "id": "hall3", "unit": "large hall"},
        {**OFFERS[5], "id": "hall4", "unit": "Large hall"},
    ]
    res = mk.match_inkind(offers, [REQUESTS[5]], ORGS, as_of=AS_OF)
    assert res.reasons["rq\n6"] == (
        "no offer of venue in 'conference room'; offers of venue use: Large hall, large hall"
    )


def test_values_without_breaks_are_shown_as_written() -> None:
    """Plain spaces, quotes and case are kept: only runs holding a control character change."""
    offer = {**OFFERS[5], "id": "it's  mine", "unit": "Big  hall"}
    request = {**REQUESTS[5], "id": "r  1", "unit": "Small  Room"}
    res = mk.match_inkind([offer], [request], ORGS, as_of=AS_OF)
    assert res.reasons == {
        "r  1": "no offer of venue in 'Small  Room'; offers of venue use: Big  hall"
    }
    ru = mk.match_inkind([offer], [request], ORGS, as_of=AS_OF, lang="ru")
    assert ru.reasons["r  1"] == (
        "нет предложений вида «помещение» в единицах «Small  Room»; предложения этого вида "
        "используют: Big  hall"
    )


def test_records_keep_their_own_values() -> None:
    """Ids, the keys of reasons and ``Allocation.unit`` are data: kept as written."""
    res = _match(False, "en")
    assert [(a.request_id, a.offer_id, a.quantity, a.unit) for a in res.allocations] == [
        ("rq\t2", "of\n1", 50, "A4\tsheets"),
        ("rq\n1", "of\t2", 250, "a4\r\nSheets"),
        ("rq\n1", "of\n1", 250, "A4\tsheets"),
        ("rq\r\n8", "of\n8", 1, "city\tbus"),
    ]
    assert res.held_back == ("rq\t10", "rq\t11", "rq\t12", "rq\t13")
    assert {x.request_id for x in res.late} == {"rq\r\n3", "rq\t4", "rq\t5", "rq\t9"}

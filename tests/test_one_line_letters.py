"""Names, items, units, purposes, addresses and conditions pasted with line breaks or tabs
stay on one line in request letters, ask-earlier advice and the report; the texts equal
those written from the same data on one line."""

from __future__ import annotations

import re
from datetime import date
from typing import Any, TypeVar

import pytest
from pydantic import BaseModel

import matchkit as mk
from matchkit._charts import md_cell
from matchkit._report import render_html
from matchkit._texts import one_line
from matchkit.datasets import synthetic_city, tiny_city
from pasted_text import pasted

M = TypeVar("M", bound=BaseModel)
#: Characters no line of a letter may hold (other than the line breaks between lines).
CONTROL = {"\r", "\t", "\v", "\f", "\x1c", "\x85", "\u2028"}


def _market() -> mk.Dataset:
    """rq1 (500 sheets) and rq2 (50) share of1 (300) and of3 (250); of2 is too late for both."""
    orgs = [
        {"id": "ph", "name": "City\r\nPrint\tHouse", "kind": "business", "registered": True},
        {"id": "pf", "name": "Park\nFriends", "kind": "cso", "registered": True,
         "vets_causes": ["environment"]},
    ]  # fmt: skip
    offer = {"organisation_id": "ph", "kind": "printing", "unit": "A4\tsheets"}
    return mk.Dataset(
        organisations=orgs,
        needs=[
            {"id": "n1", "organisation_id": "pf", "title": "Spring\r\nclean-up\tday",
             "remote": True, "capacity": 20, "status": "open", "vetted_by": "pf",
             "causes": ["environment"]},
        ],
        offers=[
            {**offer, "id": "of1", "item": "colour\nleaflets", "quantity": 300,
             "lead_time_days": 7, "contact_role": "Head of\r\nthe press\toffice",
             "conditions": "Pick them up\nat the door.\r\n\tNo weekends"},
            {**offer, "id": "of2", "item": "glossy\r\nposters", "quantity": 5000,
             "lead_time_days": 90, "contact_role": "Director"},
            {**offer, "id": "of3", "item": "flyers", "quantity": 250,
             "contact_role": "Shop\nmanager"},
        ],
        requests=[
            {"id": "rq1", "organisation_id": "pf", "kind": "printing", "quantity": 500,
             "unit": "A4\tsheets", "needed_by": "2027-04-20", "address": "Gorky Park\ngate,\t1",
             "place": {"lat": 55.73, "lon": 37.6}, "purpose": "a clean-up\r\nday",
             "item": "leaflets\tfor the\nday", "need_id": "n1"},
            {"id": "rq2", "organisation_id": "pf", "kind": "printing", "quantity": 50,
             "unit": "A4\tsheets", "needed_by": "2027-04-25",
             "place": {"lat": 55.73, "lon": 37.6}, "purpose": "a\tsign-up\nsheet"},
        ],
    )


def _flat(record: M) -> M:
    """``record`` with every text on one line, as :func:`one_line` gives it."""
    texts = {k: one_line(v) for k, v in record.model_dump().items() if isinstance(v, str)}
    return record.model_copy(update=texts)


def _flattened(ds: mk.Dataset) -> mk.Dataset:
    return ds.replace(
        organisations=[_flat(o) for o in ds.organisations],
        needs=[_flat(n) for n in ds.needs],
        volunteers=[_flat(v) for v in ds.volunteers],
        offers=[_flat(o) for o in ds.offers],
        requests=[_flat(r) for r in ds.requests],
    )


def _letters_and_advice(ds: mk.Dataset, lang: str, as_of: Any) -> tuple[list[str], list[str]]:
    res = mk.match_inkind(ds.offers, ds.requests, ds.organisations, as_of=as_of)
    letters = [str(x) for x in mk.draft_letters(res, ds, lang=lang)]
    return letters, [a.text for a in mk.ask_earlier(res, ds, lang=lang)]


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_letters_keep_every_value_on_its_line(lang: str) -> None:
    letters, advice = _letters_and_advice(_market(), lang, "2027-03-01")
    want_letters, want_advice = _letters_and_advice(_flattened(_market()), lang, "2027-03-01")
    assert len(letters) == 3 and len(advice) == 2
    # line for line the letters written from the same data on one line
    assert letters == want_letters
    assert advice == want_advice
    for text in letters:
        assert not CONTROL & set(text)
        to, subject, blank = text.splitlines()[:3]
        assert to.startswith(("To: ", "Кому: ")) and subject.startswith(("Subject: ", "Тема: "))
        assert blank == ""
    first = letters[0]
    for shown in ("City Print House", "Park Friends", "colour leaflets", "A4 sheets",
                  "the press office", "a clean-up day", "Spring clean-up day",
                  "Gorky Park gate, 1", "at the door. No weekends", "leaflets for the day"):  # fmt: skip
        assert shown in first
    assert "Head of the press office, City Print House" in first.splitlines()[0]
    assert "\n" not in advice[0] and "glossy posters" in advice[0]


#: Every text of a record that a letter or the advice shows.
FIELDS = [
    ("offers", "item"), ("offers", "unit"), ("offers", "contact_role"), ("offers", "conditions"),
    ("requests", "unit"), ("requests", "purpose"), ("requests", "item"), ("requests", "address"),
    ("organisations", "name"), ("needs", "title"),
]  # fmt: skip


@pytest.mark.parametrize("lang", ["en", "ru"])
@pytest.mark.parametrize(("table", "field"), FIELDS)
def test_each_field_pasted_alone_changes_no_line(table: str, field: str, lang: str) -> None:
    ds = _flattened(_market())
    records = [
        r.model_copy(update={field: getattr(r, field).replace(" ", "\r\n\t", 1)})
        if getattr(r, field) and " " in getattr(r, field)
        else r
        for r in getattr(ds, table)
    ]
    assert records != list(getattr(ds, table))
    messy = ds.replace(**{table: records})
    got = _letters_and_advice(messy, lang, "2027-03-01")
    assert got == _letters_and_advice(ds, lang, "2027-03-01")


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_a_letters_header_stays_one_line_however_it_is_made(lang: str) -> None:
    letter = mk.Letter("rq1", "of1", lang, "Head of\r\nthe\tpress office", "Re:\nleaflets", "Hi\n")
    head = str(letter).splitlines()
    assert head[0].endswith(": Head of the press office") and head[1].endswith(": Re: leaflets")
    assert head[2:] == ["", "Hi"]


def _paste(record: M, fields: tuple[str, ...]) -> M:
    return record.model_copy(update={f: pasted(getattr(record, f)) for f in fields})


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_a_pasted_synthetic_city_gets_the_same_letters(lang: str) -> None:
    ds = synthetic_city(200, 40, seed=4, inkind=4.0)  # (12 letters, 20 advice)
    messy = ds.replace(
        organisations=[_paste(o, ("name",)) for o in ds.organisations],
        needs=[_paste(n, ("title",)) for n in ds.needs],
        offers=[_paste(o, ("item", "contact_role", "conditions")) for o in ds.offers],
        requests=[_paste(r, ("purpose", "item", "address")) for r in ds.requests],
    )
    as_of = date(2026, 9, 1)
    got, want = _letters_and_advice(messy, lang, as_of), _letters_and_advice(ds, lang, as_of)
    assert got[0] and got[1]  # (letters and advice to compare)
    assert got == want


def test_markdown_cells_put_tabs_and_breaks_as_one_space() -> None:
    assert md_cell("Walk\r\n\tdogs\tat\nthe|park\n") == "Walk dogs at the\\|park"


def _tiny_pasted() -> tuple[mk.Dataset, mk.Dataset]:
    ds = tiny_city()
    messy = ds.replace(
        organisations=[_paste(o, ("name",)) for o in ds.organisations],
        needs=[_paste(n, ("title",)) for n in ds.needs],
    )
    return messy, ds


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_a_pasted_city_gets_the_same_report(lang: str) -> None:
    messy, ds = _tiny_pasted()
    got = mk.match(messy, as_of=date(2026, 9, 1))
    want = mk.match(ds, as_of=date(2026, 9, 1))
    assert got.unfilled  # (the report names unfilled needs and their organisations)
    assert got.to_markdown(lang=lang) == want.to_markdown(lang=lang)
    # (HTML shows a cell's text as written: its white space reads as one space, or as
    # none next to a tag)
    html = [re.sub(r"\s*(<[^>]*>)\s*", r"\1", re.sub(r"\s+", " ", render_html(r, lang=lang)))
            for r in (got, want)]  # fmt: skip
    assert html[0] == html[1]

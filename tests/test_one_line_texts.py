"""Titles, names and tags with line breaks or tabs (pasted from spreadsheets) stay on one
line in every text that quotes them; texts of clean data do not change."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import matchkit as mk
from matchkit._texts import one_line
from matchkit.datasets import synthetic_city, tiny_city
from pasted_text import pasted

DAY = date(2026, 9, 1)

#: A need's title as pasted: a line break, a Windows line break and a tab in it.
TITLE = "Walk\ndogs\r\nat the\tshelter"
FLAT = "Walk dogs at the shelter"
ORG = "Paws\r\nShelter"
ORG_FLAT = "Paws Shelter"


def _small() -> mk.Dataset:
    """Two volunteers want one place of n1; nobody has n2's skill; n3 is an idea; n4 is
    vetted by an organisation without the expertise; v3 excludes the shelter."""
    orgs = [
        {"id": "o1", "name": ORG, "kind": "cso", "registered": True, "vets_causes": ["animals"]},
        {"id": "o2", "name": "Book\nClub\tKazan", "kind": "cso", "registered": True},
    ]
    need = {"organisation_id": "o1", "remote": True, "capacity": 1, "status": "open",
            "vetted_by": "o1", "causes": ["animals"]}  # fmt: skip
    needs = [
        {**need, "id": "n1", "title": TITLE},
        {**need, "id": "n2", "title": "Sort\r\nbooks\tand\nfiles", "required_skills": ["it"]},
        {**need, "id": "n3", "title": "Feed\ncats", "status": "idea", "vetted_by": None},
        {**need, "id": "n4", "title": "Brush\r\nhorses", "vetted_by": "o2"},
    ]
    vols = [
        {"id": "v1", "name": "Aigul\n", "interests": ["animals"]},
        {"id": "v2", "name": "Rustam\r\nS.", "interests": ["dogs"]},
        {"id": "v3", "name": "Emil\tK.", "excluded_organisations": ["o1"]},
    ]
    return mk.Dataset(organisations=orgs, needs=needs, volunteers=vols)


def _flattened(ds: mk.Dataset) -> mk.Dataset:
    """The same dataset with every title and name written on one line."""
    return ds.replace(
        needs=[n.model_copy(update={"title": one_line(n.title)}) for n in ds.needs],
        organisations=[o.model_copy(update={"name": one_line(o.name)}) for o in ds.organisations],
        volunteers=[
            v.model_copy(update={"name": v.name and one_line(v.name)}) for v in ds.volunteers
        ],
    )


@pytest.fixture(scope="module")
def rounds() -> tuple[mk.MatchResult, mk.MatchResult]:
    ds = _small()
    return mk.match(ds, as_of=DAY), mk.match(_flattened(ds), as_of=DAY)


def _outcompeted(r: mk.MatchResult) -> str:
    return next(v for v, why in r.unmatched.items() if why.code == "outcompeted")


def _offered(r: mk.MatchResult) -> str:
    return next(p.volunteer_id for p in r.proposals if p.need_id == "n1")


Text = Callable[[mk.MatchResult, str], str]

#: Each kind of text that quotes a title or a name, and what it must show on one line.
KINDS: dict[str, tuple[Text, str]] = {
    "why_unfilled, filled": (lambda r, lang: r.why_unfilled("n1", lang=lang).text, FLAT),
    "why_unfilled, no volunteer qualifies": (
        lambda r, lang: r.why_unfilled("n2", lang=lang).text,
        "Sort books and files",
    ),
    "why_unfilled, an idea": (lambda r, lang: r.why_unfilled("n3", lang=lang).text, "Feed cats"),
    "why_unfilled, policy": (lambda r, lang: r.why_unfilled("n4", lang=lang).text, "Brush horses"),
    "why_unmatched, offered": (
        lambda r, lang: r.why_unmatched(_offered(r), lang=lang).text,
        FLAT,
    ),
    "why_unmatched, competition": (
        lambda r, lang: r.why_unmatched(_outcompeted(r), lang=lang).competition[0].text,
        FLAT,
    ),
    "explain, volunteer": (
        lambda r, lang: r.explain(_outcompeted(r), "n1", lang=lang),
        ORG_FLAT,
    ),
    "explain, organisation": (
        lambda r, lang: r.explain(_offered(r), "n1", audience="organisation", lang=lang),
        FLAT,
    ),
    "explain, excluded organisation": (
        lambda r, lang: mk.explanation(r, "v3", "n1", lang=lang).text,
        ORG_FLAT,
    ),
}


@pytest.mark.parametrize("lang", ["en", "ru"])
@pytest.mark.parametrize("kind", list(KINDS))
def test_titles_and_names_stay_on_one_line(
    rounds: tuple[mk.MatchResult, mk.MatchResult], kind: str, lang: str
) -> None:
    pasted, flat = rounds
    text_of, shown = KINDS[kind]
    text = text_of(pasted, lang)
    assert shown in text
    assert not {"\r", "\t"} & set(text)
    # the same text, line for line, as for the titles written on one line
    assert text == text_of(flat, lang)


def test_the_vetters_name_stays_on_one_line_in_russian(
    rounds: tuple[mk.MatchResult, mk.MatchResult],
) -> None:
    text = rounds[0].why_unfilled("n4", lang="ru").text
    assert "«Book Club Kazan»" in text and "\n" not in text


def test_why_not_names_the_excluded_organisation_on_one_line() -> None:
    (e,) = mk.why_not(_small(), "v3", "n1", as_of=DAY)
    assert e.message == "the volunteer excluded the organisation 'o1' (Paws Shelter)"


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("en", "you lack the required skills: first aid"), ("ru", "first aid")],
)
def test_unknown_tags_stay_on_one_line(lang: str, expected: str) -> None:
    ds = _small()
    needs = [n.model_copy(update={"required_skills": ("first\n_aid",)}) for n in ds.needs]
    r = mk.match(ds.replace(needs=needs), as_of=DAY)
    rule = next(x for x in mk.explanation(r, "v1", "n1", lang=lang).rules if x.rule == "skills")
    assert expected in rule.text and "\n" not in rule.text


def _texts(ds: mk.Dataset, as_of: date) -> dict[tuple[str, ...], str]:
    """Every text of a round about this dataset, in both languages and for both readers."""
    r = mk.match(ds, as_of=as_of)
    out: dict[tuple[str, ...], str] = {}
    for key, why in [*r.unmatched.items(), *r.unfilled.items()]:
        out[("reason", key)] = why.message
    for lang in ("en", "ru"):
        for n in ds.needs:
            out[("why_unfilled", n.id, lang)] = r.why_unfilled(n.id, lang=lang).text
        for v in ds.volunteers:
            out[("why_unmatched", v.id, lang)] = r.why_unmatched(v.id, lang=lang).text
            for n in ds.needs:
                for audience in ("volunteer", "organisation"):
                    out[("explain", v.id, n.id, audience, lang)] = r.explain(
                        v.id, n.id, audience=audience, lang=lang
                    )
    for v in ds.volunteers:
        for n in ds.needs:
            for e in mk.why_not(ds, v.id, n.id, as_of=as_of):
                out[("why_not", v.id, n.id, e.rule)] = e.message
    return out


@pytest.mark.parametrize(
    ("make", "as_of"),
    [(tiny_city, DAY), (lambda: synthetic_city(40, 8, seed=3), None)],
    ids=["tiny_city", "synthetic_city"],
)
def test_pasted_titles_and_names_give_the_same_texts(make: Callable[[], Any], as_of: Any) -> None:
    ds: mk.Dataset = make()
    as_of = as_of or date(2026, 9, 1)
    vols = [  # (some volunteers exclude or prefer an organisation: texts that name it)
        v.model_copy(
            update={
                "excluded_organisations": (ds.organisations[i % len(ds.organisations)].id,),
                "preferred_organisations": (ds.organisations[-1].id,),
            }
        )
        if i % 3 == 0
        else v
        for i, v in enumerate(ds.volunteers)
    ]
    ds = ds.replace(volunteers=vols)
    messy = ds.replace(
        needs=[n.model_copy(update={"title": pasted(n.title)}) for n in ds.needs],
        organisations=[o.model_copy(update={"name": pasted(o.name)}) for o in ds.organisations],
        volunteers=[v.model_copy(update={"name": pasted(v.name)}) for v in ds.volunteers],
    )
    want, got = _texts(ds, as_of), _texts(messy, as_of)
    assert got.keys() == want.keys()
    assert [k for k in want if got[k] != want[k]] == []


@given(st.text())
def test_one_line_leaves_no_control_character_and_keeps_other_text(text: str) -> None:
    flat = one_line(text)
    assert not any(c in flat for c in "\n\r\t\v\f\x00\x1f\x7f\x85\u2028\u2029")
    assert len(flat.splitlines()) <= 1
    assert one_line(flat) == flat
    if not any(ord(c) < 32 or 127 <= ord(c) < 160 or c in "\u2028\u2029" for c in text):
        assert flat == text  # (titles without control characters are kept as written)

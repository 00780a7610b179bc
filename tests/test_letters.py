"""Request letters and ask-earlier advice: the facts are all there, in both languages."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

import matchkit as mk
from matchkit._letters import _TEMPLATES, days_text, format_date
from matchkit.cli import main

ORGS = [
    {"id": "giver", "name": "City Print House", "kind": "business", "registered": True},
    {
        "id": "cso",
        "name": "Park Friends",
        "kind": "cso",
        "registered": True,
        "vets_causes": ["environment"],
    },
]
KINDS = [k.value for k in mk.InkindKind]
CYRILLIC = re.compile(r"[А-Яа-яЁё]")


def market(
    kind: str = "printing",
    *,
    quantity: int = 500,
    lead: int = 14,
    needed_by: str = "2027-04-20",
    address: str | None = "Gorky Park gate",
    conditions: str | None = None,
) -> mk.Dataset:
    return mk.Dataset(
        organisations=ORGS,
        needs=[
            {
                "id": "n1",
                "organisation_id": "cso",
                "title": "Spring clean-up",
                "remote": True,
                "capacity": 20,
                "status": "open",
                "vetted_by": "cso",
                "causes": ["environment"],
            }
        ],
        offers=[
            {
                "id": "of1",
                "organisation_id": "giver",
                "kind": kind,
                "item": "the thing",
                "quantity": 1000,
                "unit": "units",
                "lead_time_days": lead,
                "contact_role": "Head of partnerships",
                "conditions": conditions,
            }
        ],
        requests=[
            {
                "id": "rq1",
                "organisation_id": "cso",
                "kind": kind,
                "quantity": quantity,
                "unit": "units",
                "needed_by": needed_by,
                "address": address,
                "place": {"lat": 55.73, "lon": 37.6},
                "purpose": "a clean-up day",
                "need_id": "n1",
            }
        ],
    )


def letters(ds: mk.Dataset, lang: str, as_of: str = "2027-03-01") -> list[mk.Letter]:
    res = mk.match_inkind(ds.offers, ds.requests, ds.organisations, as_of=as_of)
    return mk.draft_letters(res, ds, lang=lang)


@pytest.mark.parametrize("lang", ["en", "ru"])
@pytest.mark.parametrize("kind", KINDS)
def test_a_letter_holds_what_how_much_when_where_for_whom_and_to_whom(
    kind: str, lang: str
) -> None:
    (letter,) = letters(market(kind, conditions="pick-up from our yard"), lang)
    text = str(letter)
    sentence = _TEMPLATES[lang][kind][0].format(item="the thing", qty="500 units")
    assert sentence in text  # the kind's own wording, in the giver's item and unit
    for fact in (
        "the thing",
        "500 units",
        format_date(date(2027, 4, 20), lang),
        "Gorky Park gate",
        "a clean-up day",
        "Park Friends",
        "Spring clean-up",
        "Head of partnerships",
        "City Print House",
        "pick-up from our yard",
        days_text(14, lang),
        days_text(50, lang),
    ):
        assert fact in text, fact
    assert letter.to == "Head of partnerships, City Print House"
    assert bool(CYRILLIC.search(letter.body)) is (lang == "ru")
    assert ".." not in text
    assert letter.filename == f"rq1__of1.{lang}.txt"


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_a_split_request_says_the_rest_is_asked_elsewhere(lang: str) -> None:
    ds = market(quantity=1500)
    (letter,) = letters(ds, lang)
    assert "1000 units" in letter.body and "1500 units" in letter.body


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_without_an_address_the_coordinates_are_given(lang: str) -> None:
    (letter,) = letters(market(address=None), lang)
    assert "55.73000, 37.60000" in letter.body


@given(st.integers(0, 60), st.integers(0, 40), st.sampled_from(["en", "ru"]))
def test_advice_gives_the_latest_send_date_of_every_late_pair(
    lead: int, as_of_day: int, lang: str
) -> None:
    ds = market(lead=lead, needed_by="2027-03-20")
    as_of = date.fromordinal(date(2027, 2, 1).toordinal() + as_of_day)
    res = mk.match_inkind(ds.offers, ds.requests, ds.organisations, as_of=as_of)
    advice = mk.ask_earlier(res, ds, lang=lang)
    latest = date.fromordinal(date(2027, 3, 20).toordinal() - lead)
    if latest < as_of:
        (a,) = advice
        assert a.latest_send == latest
        assert format_date(latest, lang) in a.text
        assert days_text((as_of - latest).days, lang) in a.text
        assert days_text(lead, lang) in a.text
        assert not res.allocations
    else:
        assert advice == []
        assert len(res.allocations) == 1


def test_advice_names_the_windows_in_russian() -> None:
    ds = mk.Dataset(
        organisations=ORGS,
        offers=[
            {
                "id": "of1",
                "organisation_id": "giver",
                "kind": "venue",
                "item": "актовый зал",
                "quantity": 1,
                "unit": "зал",
                "lead_time_days": 10,
                "windows": ["2027-01-10/2027-02-20"],
                "contact_role": "заместитель директора",
            }
        ],
        requests=[
            {
                "id": "rq1",
                "organisation_id": "cso",
                "kind": "venue",
                "quantity": 1,
                "unit": "зал",
                "needed_by": "2027-04-01",
                "place": {"lat": 55.7, "lon": 37.6},
                "purpose": "ярмарка волонтёров",
            }
        ],
    )
    res = mk.match_inkind(ds.offers, ds.requests, ds.organisations, as_of="2027-03-01")
    (advice,) = mk.ask_earlier(res, ds, lang="ru")
    assert (
        "заявки принимают только с 10 января 2027 г. по 20 февраля 2027 г."
        in advice.text
    )
    assert (
        "Последний день, когда его можно было отправить, — 20 февраля 2027 г."
        in advice.text
    )
    assert "опоздание — 9 дней" in advice.text


@pytest.mark.parametrize(
    ("n", "en", "ru"),
    [
        (0, "0 days", "0 дней"),
        (1, "1 day", "1 день"),
        (2, "2 days", "2 дня"),
        (5, "5 days", "5 дней"),
        (11, "11 days", "11 дней"),
        (12, "12 days", "12 дней"),
        (21, "21 days", "21 день"),
        (22, "22 days", "22 дня"),
        (111, "111 days", "111 дней"),
    ],
)
def test_days_plural_forms(n: int, en: str, ru: str) -> None:
    assert (days_text(n, "en"), days_text(n, "ru")) == (en, ru)


@pytest.mark.parametrize(
    ("month", "ru"), [(1, "января"), (3, "марта"), (5, "мая"), (12, "декабря")]
)
def test_russian_months_are_genitive(month: int, ru: str) -> None:
    assert format_date(date(2027, month, 2), "ru") == f"2 {ru} 2027 г."


def test_unknown_language_is_refused() -> None:
    ds = market()
    res = mk.match_inkind(ds.offers, ds.requests, ds.organisations, as_of="2027-03-01")
    with pytest.raises(
        mk.UnknownMethodError,
        match=r"'lang' parameter of draft_letters must be one of 'en', 'ru'. Got 'de'",
    ):
        mk.draft_letters(res, ds, lang="de")


def test_letters_need_the_matched_dataset() -> None:
    ds = market()
    res = mk.match_inkind(ds.offers, ds.requests, ds.organisations, as_of="2027-03-01")
    with pytest.raises(
        mk.InvalidInputError, match="pass the dataset whose offers and requests"
    ):
        mk.draft_letters(res, mk.Dataset(organisations=ORGS))


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_cli_inkind_writes_letters_and_advice(tmp_path, capsys, lang: str) -> None:
    ds = market()
    ds = ds.replace(
        requests=ds.requests
        + (
            ds.request("rq1").model_copy(
                update={"id": "rq2", "needed_by": date(2027, 3, 5)}
            ),
        )
    )
    mk.save_dataset(ds, tmp_path / "d", format="csv")
    out = tmp_path / "letters"
    code = main(
        [
            "inkind",
            str(tmp_path / "d"),
            "--as-of",
            "2027-03-01",
            "--lang",
            lang,
            "-o",
            str(out),
        ]
    )
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == [
        f"ask-earlier.{lang}.txt",
        f"rq1__of1.{lang}.txt",
    ]
    assert format_date(date(2027, 2, 19), lang) in (
        out / f"ask-earlier.{lang}.txt"
    ).read_text("utf-8")
    printed = capsys.readouterr().out
    assert (
        "1 letter(s), 1 request(s) not fully covered came too late for some offer; "
        f"advice on 1 late (request, offer) pair(s) in ask-earlier.{lang}.txt"
    ) in printed
    assert ("rq2: слишком поздно" if lang == "ru" else "rq2: too late") in printed


def test_cli_inkind_reports_bad_input(tmp_path, capsys) -> None:
    assert (
        main(
            [
                "inkind",
                str(tmp_path / "missing"),
                "--as-of",
                "2027-03-01",
                "-o",
                str(tmp_path / "o"),
            ]
        )
        == 1
    )
    assert capsys.readouterr().err


def test_cli_inkind_says_when_offers_or_requests_are_missing(tmp_path, capsys) -> None:
    ds = market()
    mk.save_dataset(ds.replace(offers=()), tmp_path / "d", format="json")
    code = main(
        [
            "inkind",
            str(tmp_path / "d"),
            "--as-of",
            "2027-03-01",
            "-o",
            str(tmp_path / "o"),
        ]
    )
    assert code == 0
    assert "holds no offers: add offers files" in capsys.readouterr().err


def _named(pairs: list[tuple[str, str]], lang: str = "en") -> list[mk.Letter]:
    return [mk.Letter(r, o, lang, "to", "subject", "body") for r, o in pairs]


def _usable(name: str) -> bool:
    """Letters and digits of any script, and ``-._~``; not hidden, not an option."""
    return not name.startswith(("-", ".")) and all(
        ch in "-._~" or unicodedata.category(ch)[0] in "LNM" for ch in name
    )


@pytest.mark.parametrize(
    "pairs",
    [
        [("a b", "o"), ("a/b", "o"), ("a?b", "o"), ("a_b", "o")],  # replaced characters
        [("a__b", "c"), ("a", "b__c"), ("a_", "_b__c")],  # where one id ends
        [("-1", "o"), ("1", "o"), (".1", "o")],  # stripped at the start
        [("x" * 300 + "1", "o"), ("x" * 300 + "2", "o")],  # cut to 80 bytes
        [("рук", "оф"), ("ру\u0301к", "оф"), ("рýк", "оф")],  # composed, decomposed
    ],
)
def test_a_letter_file_name_is_distinct_for_distinct_ids(
    pairs: list[tuple[str, str]],
) -> None:
    names = [letter.filename for letter in _named(pairs)]
    assert len(set(names)) == len(pairs), names
    assert all(_usable(n) and len(n.encode()) <= 255 for n in names), names


def test_a_letter_file_name_keeps_ids_of_any_script() -> None:
    names = [letter.filename for letter in _named([("зп-1", "оф-1"), ("зк-1", "оф-1")])]
    assert names == ["зп-1__оф-1.en.txt", "зк-1__оф-1.en.txt"]


def test_a_batch_of_letter_file_names_differs_also_ignoring_case() -> None:
    batch = _named([("rq1", "of1"), ("RQ1", "of1"), ("rq2", "of1"), ("rq1", "of1")])
    names = mk.Letter.filenames(batch)
    assert len({n.casefold() for n in names}) == 4
    assert names[2] == "rq2__of1.en.txt"  # no clash: the name spells the ids
    assert names[0].startswith("rq1__of1~") and names[1].startswith("RQ1__of1~")
    assert names[3].endswith("-2.en.txt")  # the same pair twice


@given(
    st.lists(
        st.tuples(st.text(min_size=1, max_size=12), st.text(min_size=1, max_size=6)),
        max_size=8,
    )
)
def test_letter_file_names_never_clash(pairs: list[tuple[str, str]]) -> None:
    batch = _named(pairs)
    names = mk.Letter.filenames(batch)
    assert len({n.casefold() for n in names}) == len(pairs)
    assert len({letter.filename for letter in batch}) == len(set(pairs))
    assert all(_usable(n) and n.endswith(".en.txt") for n in names), names


def _offer(oid: str) -> dict:
    return {"id": oid, "organisation_id": "giver", "kind": "printing",
            "item": "листовки", "quantity": 1000, "unit": "листов",
            "contact_role": "директор"}  # fmt: skip


def _request(rid: str) -> dict:
    return {"id": rid, "organisation_id": "cso", "kind": "printing", "quantity": 300,
            "unit": "листов", "needed_by": "2027-04-01",
            "place": {"lat": 55.8, "lon": 49.1}, "purpose": "субботник"}  # fmt: skip


@pytest.mark.parametrize(
    ("request_ids", "readable"),
    [
        (["зп-1", "зк-1"], ["зк-1__оф-1.ru.txt", "зп-1__оф-1.ru.txt"]),
        (["a b", "a/b", "rq", "RQ"], None),  # replaced characters, case
    ],
)
def test_cli_inkind_writes_one_file_per_letter(
    tmp_path, capsys, request_ids: list[str], readable: list[str] | None
) -> None:
    ds = mk.Dataset(
        organisations=ORGS,
        offers=[_offer("оф-1")],
        requests=[_request(r) for r in request_ids],
    )
    mk.save_dataset(ds, tmp_path / "d", format="csv")
    out = tmp_path / "letters"
    argv = ["inkind", str(tmp_path / "d"), "--as-of", "2027-03-01", "--lang", "ru"]
    assert main([*argv, "-o", str(out)]) == 0
    assert f"{len(request_ids)} letter(s)" in capsys.readouterr().out
    files = sorted(p.name for p in out.iterdir())
    assert len({f.casefold() for f in files}) == len(request_ids)
    res = mk.match_inkind(ds.offers, ds.requests, ds.organisations, as_of="2027-03-01")
    expected = sorted(str(x) for x in mk.draft_letters(res, ds, lang="ru"))
    assert sorted(p.read_text("utf-8") for p in out.iterdir()) == expected
    if readable is not None:
        assert files == readable


def _two_offers(quick: int) -> mk.Dataset:
    """rq1 (500 units) is too late for of1 (14 days' notice); of2 (no notice) has ``quick``."""
    ds = market(needed_by="2027-03-10")
    quick_offer = ds.offer("of1").model_copy(
        update={"id": "of2", "lead_time_days": 0, "quantity": quick}
    )
    return ds.replace(offers=(*ds.offers, quick_offer))


@pytest.mark.parametrize(
    ("quick", "lang", "said"),
    [
        (800, "en", "This time other offers cover it in full."),
        (200, "en", "This time other offers cover 200 of 500 units."),
        (800, "ru", "В этот раз его полностью покрывают другие предложения."),
        (200, "ru", "В этот раз другие предложения покрывают 200 из 500 units."),
    ],
)
def test_advice_says_what_other_offers_cover(quick: int, lang: str, said: str) -> None:
    ds = _two_offers(quick)
    res = mk.match_inkind(ds.offers, ds.requests, ds.organisations, as_of="2027-03-01")
    (advice,) = mk.ask_earlier(res, ds, lang=lang)
    assert advice.offer_id == "of1" and advice.text.endswith(said)


def test_advice_without_cover_says_nothing_of_it() -> None:
    ds = market(needed_by="2027-03-10")
    res = mk.match_inkind(ds.offers, ds.requests, ds.organisations, as_of="2027-03-01")
    (advice,) = mk.ask_earlier(res, ds)
    assert "This time" not in advice.text


def test_cli_inkind_counts_late_requests_not_fully_covered(tmp_path, capsys) -> None:
    ds = _two_offers(800)
    late = ds.request("rq1").model_copy(
        update={"id": "rq2", "needed_by": date(2027, 2, 27)}
    )
    mk.save_dataset(
        ds.replace(requests=(*ds.requests, late)), tmp_path / "d", format="csv"
    )
    out = tmp_path / "letters"
    assert (
        main(["inkind", str(tmp_path / "d"), "--as-of", "2027-03-01", "-o", str(out)])
        == 0
    )
    assert (
        "1 letter(s), 1 request(s) not fully covered came too late for some offer; "
        "advice on 3 late (request, offer) pair(s) in ask-earlier.en.txt"
    ) in capsys.readouterr().out
    assert (out / "ask-earlier.en.txt").read_text("utf-8").count("Request ") == 3


def _printers(*stocks: int, wanted: int = 500) -> tuple[mk.InkindResult, mk.Dataset]:
    """Printers with these stocks, and one request for ``wanted`` sheets."""
    ds = mk.Dataset(
        organisations=[
            *ORGS,
            *({"id": f"p{k}", "name": f"Printer {k}", "kind": "business", "registered": True}
              for k in range(len(stocks))),
        ],
        offers=[{"id": f"of{k}", "organisation_id": f"p{k}", "kind": "printing",
                 "item": "leaflets", "quantity": q, "unit": "sheets", "lead_time_days": 7,
                 "contact_role": "press office"} for k, q in enumerate(stocks)],
        requests=[{"id": "rq", "organisation_id": "cso", "kind": "printing",
                   "quantity": wanted, "unit": "sheets", "needed_by": "2027-05-20",
                   "place": {"lat": 55.73, "lon": 37.60}, "purpose": "a planting day"}],
    )  # fmt: skip
    return mk.match_inkind(
        ds.offers, ds.requests, ds.organisations, as_of="2027-04-01"
    ), ds


@pytest.mark.parametrize(
    ("stocks", "en", "ru"),
    [
        ((300,), "We need 500 sheets in all; we ask you for as much as your offer can give.",
         "Всего нам нужно 500 sheets; у вас мы просим столько, сколько может дать ваше предложение."),
        ((300, 100), "We need 500 sheets in all and are asking other partners for 100 of them.",
         "Всего нам нужно 500 sheets; 100 из них мы просим у других партнёров."),
        ((300, 300), "We need 500 sheets in all and are asking other partners for the rest.",
         "Всего нам нужно 500 sheets; остальное мы просим у других партнёров."),
    ],
)  # fmt: skip
def test_a_letter_for_part_of_a_request_says_only_what_others_are_asked(
    stocks: tuple[int, ...], en: str, ru: str
) -> None:
    res, ds = _printers(*stocks)
    first = next(a for a in res.allocations if a.offer_id == "of0")
    assert first.quantity == 300 and sum(a.quantity for a in res.allocations) <= 500
    letters = {(x.offer_id, x.lang): x for x in mk.draft_letters(res, ds)}
    letters.update(
        {(x.offer_id, x.lang): x for x in mk.draft_letters(res, ds, lang="ru")}
    )
    assert en in letters[("of0", "en")].body
    assert ru in letters[("of0", "ru")].body


@pytest.mark.parametrize(("item", "shown"), [("leaflets", False), ("flyers", True)])
def test_the_requests_own_words_are_given_only_when_they_differ(
    item: str, shown: bool
) -> None:
    res, ds = _printers(500)
    ds = ds.replace(requests=[r.model_copy(update={"item": item}) for r in ds.requests])
    res = mk.match_inkind(ds.offers, ds.requests, ds.organisations, as_of="2027-04-01")
    en = mk.draft_letters(res, ds)[0].body
    ru = mk.draft_letters(res, ds, lang="ru")[0].body
    assert ("In our words: flyers." in en) is shown and ("In our words" in en) is shown
    assert ("Как это называем мы: flyers." in ru) is shown


@pytest.mark.parametrize(
    ("ahead", "en", "ru"),
    [
        (0, "1 May 2027, on the day it is needed.", "1 мая 2027 г., в тот же день, когда это нужно."),
        (1, "1 May 2027, 1 day ahead.", "1 мая 2027 г., за 1 день до срока."),
        (2, "1 May 2027, 2 days ahead.", "1 мая 2027 г., за 2 дня до срока."),
        (5, "1 May 2027, 5 days ahead.", "1 мая 2027 г., за 5 дней до срока."),
        (11, "1 May 2027, 11 days ahead.", "1 мая 2027 г., за 11 дней до срока."),
        (21, "1 May 2027, 21 days ahead.", "1 мая 2027 г., за 21 день до срока."),
    ],
)  # fmt: skip
def test_a_letter_says_how_far_ahead_it_is_written(
    ahead: int, en: str, ru: str
) -> None:
    needed_by = date.fromordinal(date(2027, 5, 1).toordinal() + ahead).isoformat()
    ds = market(lead=0, needed_by=needed_by)
    for lang, said in (("en", en), ("ru", ru)):
        (letter,) = letters(ds, lang, as_of="2027-05-01")
        writing = [line for line in letter.body.splitlines() if "2027" in line][-1]
        assert writing.endswith(said), writing
        assert " 0 " not in letter.body

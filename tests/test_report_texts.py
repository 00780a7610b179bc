"""The report's words and numbers: all Russian in a Russian report, data shown as written."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

import matchkit as mk
from matchkit._charts import bin_labels
from matchkit._report import render_html
from matchkit.datasets import synthetic_city

LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


class Text(HTMLParser):
    """The text a reader sees: text nodes and the labels of charts (not the style sheet)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._style = tag == "style"
        self.parts += [v or "" for k, v in attrs if k == "aria-label"]

    def handle_endtag(self, tag: str) -> None:
        self._style = False

    def handle_data(self, data: str) -> None:
        if not self._style:
            self.parts.append(data)


def seen(html_text: str) -> str:
    page = Text()
    page.feed(html_text)
    return "\n".join(page.parts)


@pytest.fixture(scope="module")
def rounds() -> tuple[mk.MatchResult, mk.Ledger]:
    """Two rounds on a city with remote needs and volunteers in no pool."""
    ds = synthetic_city(n_volunteers=300, n_needs=40, seed=8)
    assert any(n.remote for n in ds.needs) and any(not v.pool for v in ds.volunteers)
    ledger = mk.Ledger(":memory:")
    first = mk.match(ds, ledger=ledger, as_of="2026-09-01", shortlist=1)
    for p in first.proposals[:20]:
        ledger.accept(p.volunteer_id, p.need_id, at="2026-09-02")
    for p in first.proposals[20:30]:
        ledger.reject(p.volunteer_id, p.need_id, at="2026-09-02")
    return mk.match(ds, ledger=ledger, as_of="2026-09-04", shortlist=1), ledger


def data_words(result: mk.MatchResult) -> set[str]:
    """Latin words the data itself holds: titles, names, pools, ids, units, items, codes."""
    ds = result.dataset
    texts = [result.method, *result.metrics["fill_rate_by_district"]]
    texts += [n.title for n in ds.needs] + [o.name for o in ds.organisations]
    texts += [v.pool or "" for v in ds.volunteers]
    texts += [f"{x.id} {x.item or ''} {x.unit}" for x in (*ds.offers, *ds.requests)]
    texts += list(mk.POLICIES)
    texts.append("C N1E2")  # the grid cells' codes, as the note on districts explains them
    return {w for t in texts for w in LATIN_WORD.findall(t)} - {"remote"}


def russian_reports(rounds: tuple[mk.MatchResult, mk.Ledger]) -> dict[str, str]:
    result, ledger = rounds
    return {
        "html": seen(render_html(result, ledger=ledger, lang="ru")),
        "markdown": result.to_markdown(ledger=ledger, lang="ru"),
    }


@pytest.mark.parametrize("form", ["html", "markdown"])
def test_a_russian_report_has_no_english_words_of_its_own(
    rounds: tuple[mk.MatchResult, mk.Ledger], form: str
) -> None:
    text = russian_reports(rounds)[form]
    english = set(LATIN_WORD.findall(text)) - data_words(rounds[0])
    assert not english, sorted(english)


@pytest.mark.parametrize("form", ["html", "markdown"])
def test_a_russian_report_writes_numbers_with_a_decimal_comma(
    rounds: tuple[mk.MatchResult, mk.Ledger], form: str
) -> None:
    text = russian_reports(rounds)[form]
    assert "0–0,1" in text and "0,9–1" in text  # the score bins
    assert not re.findall(r"\d\.\d", text)


@pytest.mark.parametrize("form", ["html", "markdown"])
def test_a_russian_report_names_remote_needs_and_volunteers_without_a_pool(
    rounds: tuple[mk.MatchResult, mk.Ledger], form: str
) -> None:
    text = russian_reports(rounds)[form]
    assert "дистанционно" in text and "(не указан)" in text
    assert "предложено" in text and "принято" in text  # the rounds' events
    english = rounds[0].to_markdown(ledger=rounds[1])
    assert "| remote |" in english and "| (none) |" in english and "| offered |" in english


def test_bin_labels_write_numbers_as_the_language_does() -> None:
    assert bin_labels([0, 0.25, 1.5, 1e6], True, "ru") == [
        "0–0,25",
        "0,25–1,5",
        "1,5–1000000",
        "1000000+",
    ]
    assert bin_labels([0, 0.25, 1.5], False, "en") == ["0–0.25", "0.25–1.5"]

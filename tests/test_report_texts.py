"""The report's words and numbers: all Russian in a Russian report, data shown as written."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

import matchkit as mk
from matchkit._charts import bin_labels
from matchkit._report import render_html
from matchkit.datasets import tiny_city
from test_report import two_rounds

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
    result, ledger = two_rounds()
    ds = result.dataset
    assert any(n.remote for n in ds.needs) and any(not v.pool for v in ds.volunteers)
    return result, ledger


def data_words(result: mk.MatchResult) -> set[str]:
    """Latin words the data itself holds: titles, names, pools, ids, units, items, codes."""
    ds = result.dataset
    texts = [result.method, *result.metrics["fill_rate_by_district"]]
    texts += [n.title for n in ds.needs] + [o.name for o in ds.organisations]
    texts += [v.pool or "" for v in ds.volunteers]
    texts += [f"{x.id} {x.item or ''} {x.unit}" for x in (*ds.offers, *ds.requests)]
    texts += list(mk.POLICIES)
    # the grid cells' codes, as the note on districts explains them
    texts.append("C N1E2")
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
    assert "| remote |" in english and "| (none) |" in english
    assert "| offered |" in english


def test_bin_labels_write_numbers_as_the_language_does() -> None:
    assert bin_labels([0, 0.25, 1.5, 1e6], True, "ru") == [
        "0–0,25",
        "0,25–1,5",
        "1,5–1000000",
        "1000000+",
    ]
    assert bin_labels([0, 0.25, 1.5], False, "en") == ["0–0.25", "0.25–1.5"]


# -- data shown as written -------------------------------------------------------------------

TAGGED = "<b>x</b> & *y*"
TWO_LINES = "Reading tutor\nfor _new_ readers"
PIPED = "rq|1"


@pytest.fixture(scope="module")
def awkward() -> mk.MatchResult:
    """A round whose needs have HTML, Markdown and a line break in their titles, and a late
    in-kind request whose id holds ``|``."""
    ds = tiny_city()
    titles = {"n3": TWO_LINES, "n5": TAGGED}
    ds = ds.replace(
        needs=[n.model_copy(update={"title": titles.get(n.id, n.title)}) for n in ds.needs],
        offers=[
            {"id": "bus", "organisation_id": "o5", "kind": "transport", "item": "a bus",
             "quantity": 1, "unit": "bus", "lead_time_days": 30, "contact_role": "office"}
        ],
        requests=[
            {"id": PIPED, "organisation_id": "o2", "kind": "transport", "quantity": 1,
             "unit": "bus", "needed_by": "2026-09-10", "place": {"lat": 55.79, "lon": 49.12},
             "purpose": "a trip"}
        ],
    )  # fmt: skip
    result = mk.match(ds, as_of="2026-09-01")
    assert {"n3", "n5"} <= set(result.unfilled)
    return result


def cells(line: str) -> list[str]:
    """The cells of a Markdown table row (a ``|`` after an odd run of ``\\`` is text)."""
    return re.split(r"(?<!\\)(?:\\\\)*\|", line.strip())[1:-1]


def test_markdown_shows_the_datas_text_as_written(awkward: mk.MatchResult) -> None:
    md = awkward.to_markdown()
    assert "<b>" not in md and "&lt;b&gt;x&lt;/b&gt; &amp; \\*y\\*" in md
    assert "rq\\|1" in md
    assert "Reading tutor for \\_new\\_ readers" in md
    for block in md.split("\n\n"):
        lines = block.splitlines()
        if lines and lines[0].startswith("| "):
            assert all(line.endswith("|") for line in lines), block
            assert {len(cells(line)) for line in lines} == {len(cells(lines[0]))}, block
    assert not [line for line in md.splitlines() if line.startswith("for _new_")]


def test_the_why_of_an_unfilled_need_holds_its_whole_title(
    awkward: mk.MatchResult,
) -> None:
    md = awkward.to_markdown()
    row = next(line for line in md.splitlines() if line.startswith("| Reading tutor"))
    why = cells(row)[3]
    assert "Reading tutor for \\_new\\_ readers" in why, why
    page = seen(render_html(awkward))
    assert '"Reading tutor for _new_ readers"' in page


def test_html_shows_the_datas_text_as_written(awkward: mk.MatchResult) -> None:
    html_text = render_html(awkward)
    assert "<b>" not in html_text and "&lt;b&gt;x&lt;/b&gt; &amp; *y*" in html_text
    page = seen(html_text)
    assert TAGGED in page and PIPED in page and TWO_LINES in page

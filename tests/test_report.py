"""The report: one self-contained HTML page (checked in headless Chromium when installed) and Markdown."""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest

import matchkit as mk
from matchkit._report import render_html
from matchkit.cli import main
from matchkit.datasets import DEFAULT_AS_OF, synthetic_city, tiny_city

#: Sections of other reports that may follow ours (policy findings, in-kind help).
EXTRA = ("policy", "inkind")
SECTIONS = (
    "summary",
    "fill-by-district",
    "distance-histogram",
    "score-histogram",
    "unfilled",
    "unmatched",
    "pools",
)
BAR_BLUE = (0x3B, 0x7D, 0xD8)


class Page(HTMLParser):
    """What a document holds: tags, attributes, section ids, text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.sections: list[str] = []
        self.text: list[str] = []
        self.rows_in: dict[str, int] = {}
        self._section = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += attrs
        if tag == "section":
            self._section = dict(attrs).get("id") or ""
            self.sections.append(self._section)
        if tag == "tr":
            self.rows_in[self._section] = self.rows_in.get(self._section, 0) + 1

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def ours(sections: list[str]) -> list[str]:
    """The sections of this report, in order (others' sections come after them)."""
    rest = [x for x in sections if x not in SECTIONS and x != "rounds"]
    assert set(rest) <= set(EXTRA), rest
    return [x for x in sections if x not in EXTRA]


def parse(text: str) -> Page:
    page = Page()
    page.feed(text)
    return page


def two_rounds() -> tuple[mk.MatchResult, mk.Ledger]:
    """Two rounds with decisions between them on a small city (seed 8: it has remote needs
    and volunteers in no pool)."""
    ds = synthetic_city(n_volunteers=300, n_needs=40, seed=8)
    ledger = mk.Ledger(":memory:")
    first = mk.match(ds, ledger=ledger, as_of="2026-09-01", shortlist=1)
    for p in first.proposals[:20]:
        ledger.accept(p.volunteer_id, p.need_id, at="2026-09-02")
    for p in first.proposals[20:30]:
        ledger.reject(p.volunteer_id, p.need_id, at="2026-09-02")
    return mk.match(ds, ledger=ledger, as_of="2026-09-04", shortlist=1), ledger


@pytest.fixture(scope="module")
def rounds() -> tuple[mk.MatchResult, mk.Ledger]:
    return two_rounds()


def test_page_structure(
    rounds: tuple[mk.MatchResult, mk.Ledger], tmp_path: Path
) -> None:
    result, ledger = rounds
    path = result.to_html(tmp_path / "report.html", ledger=ledger)
    page = parse(path.read_text(encoding="utf-8"))
    assert ours(page.sections) == [*SECTIONS, "rounds"]
    assert page.tags.count("svg") == 4  # district, distance, score, rounds
    assert page.tags.count("rect") > 10
    assert (
        "script" not in page.tags and "link" not in page.tags and "img" not in page.tags
    )
    assert not [v for k, v in page.attrs if k in ("src", "href") and v]
    text = " ".join(page.text)
    fill = result.metrics["fill_rate"]
    assert f"{100 * fill:.1f}%" in text
    diagnosed = min(len(result.unfilled), 60)
    assert page.rows_in["unfilled"] == diagnosed + 1
    assert page.rows_in["rounds"] == 1 + 2


def test_without_a_ledger_there_is_no_rounds_section(
    rounds: tuple[mk.MatchResult, mk.Ledger],
) -> None:
    result, _ = rounds
    page = parse(render_html(result))
    assert ours(page.sections) == list(SECTIONS)


def test_the_report_names_no_volunteer(
    rounds: tuple[mk.MatchResult, mk.Ledger],
) -> None:
    result, _ = rounds
    text = render_html(result) + result.to_markdown()
    assert not any(v.id in text for v in result.dataset.volunteers)
    assert not any(v.name and v.name in text for v in result.dataset.volunteers)


def test_data_is_escaped(tmp_path: Path) -> None:
    ds = tiny_city()
    evil = "<script>alert('x')</script> & <b>co</b>"
    ds = ds.replace(
        needs=[
            n.model_copy(update={"title": evil}) if n.id == "n3" else n
            for n in ds.needs
        ]
    )
    result = mk.match(ds, as_of="2026-09-01")
    html_text = result.to_html(tmp_path / "r.html").read_text(encoding="utf-8")
    page = parse(html_text)
    assert "script" not in page.tags and "b" not in page.tags
    assert evil in "".join(page.text)


def test_russian_page(rounds: tuple[mk.MatchResult, mk.Ledger], tmp_path: Path) -> None:
    result, ledger = rounds
    text = result.to_html(tmp_path / "ru.html", ledger=ledger, lang="ru").read_text(
        encoding="utf-8"
    )
    assert '<html lang="ru">' in text
    assert "Заполненность по районам" in text and "Незаполненные задачи" in text
    fill = f"{100 * result.metrics['fill_rate']:.1f}".replace(".", ",") + " %"
    assert fill in text


def test_markdown(rounds: tuple[mk.MatchResult, mk.Ledger]) -> None:
    result, ledger = rounds
    md = result.to_markdown(ledger=ledger)
    heads = [line for line in md.splitlines() if line.startswith("#")]
    assert heads[0] == "# Matching round report"
    assert (
        "## Rounds over time" in heads
        and "## Unfilled needs and what binds them" in heads
    )
    table = [line for line in md.splitlines() if line.startswith("| ")]
    assert all(line.endswith(" |") for line in table)


def test_markdown_escapes_pipes() -> None:
    ds = tiny_city()
    ds = ds.replace(
        needs=[
            n.model_copy(update={"title": "a | b"}) if n.id == "n3" else n
            for n in ds.needs
        ]
    )
    md = mk.match(ds, as_of="2026-09-01").to_markdown()
    assert "a \\| b" in md


# -- in a real browser -----------------------------------------------------------------------


def _png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Decode an 8-bit RGB or RGBA PNG: (width, height, rows of raw bytes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    height = depth = ctype = 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, ctype = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    assert depth == 8 and ctype in (2, 6)
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (
                    line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)
                ) & 255
        rows.append(bytes(line[j] for j in range(stride) if j % bpp < 3))
        prev = line
    return width, height, rows


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
]


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed")
def test_chromium_renders_the_sections_and_the_bars(
    rounds: tuple[mk.MatchResult, mk.Ledger], tmp_path: Path
) -> None:
    result, ledger = rounds
    path = result.to_html(tmp_path / "report.html", ledger=ledger)
    url = path.resolve().as_uri()
    dom = subprocess.run(
        [CHROMIUM, *FLAGS, "--dump-dom", url],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    page = parse(dom)
    assert ours(page.sections) == [*SECTIONS, "rounds"]
    assert "Fill rate by district" in page.text and "Rounds over time" in page.text
    shot = tmp_path / "shot.png"
    subprocess.run(
        [CHROMIUM, *FLAGS, "--window-size=800,1000", f"--screenshot={shot}", url],
        capture_output=True,
        timeout=120,
        check=True,
    )
    width, height, rows = _png_pixels(shot.read_bytes())
    assert (width, height) == (800, 1000)
    blue = bytes(BAR_BLUE)
    painted = sum(
        row.count(blue) // 1 for row in rows
    )  # exact bar colour, anywhere in a row
    assert painted > 1000, "the bar charts should be drawn in the bar colour"
    white = sum(row.count(b"\xff\xff\xff") for row in rows)
    assert white > width * height // 4  # a page, not a blank or an error screen


# -- command line -----------------------------------------------------------------------------


def test_cli_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ds = synthetic_city(n_volunteers=80, n_needs=12, seed=3)
    mk.save_dataset(ds, tmp_path / "city")
    ledger_path = tmp_path / "l.sqlite"
    with mk.Ledger(ledger_path) as ledger:
        mk.match(ds, ledger=ledger, as_of=DEFAULT_AS_OF)
        n_events = len(ledger)
    out = tmp_path / "report.html"
    rc = main(
        [
            "report",
            str(tmp_path / "city"),
            "--ledger",
            str(ledger_path),
            "--as-of",
            "2026-09-03",
            "-o",
            str(out),
        ]
    )
    assert rc == 0 and "wrote" in capsys.readouterr().out
    assert ours(parse(out.read_text(encoding="utf-8")).sections) == [
        *SECTIONS,
        "rounds",
    ]
    with mk.Ledger(ledger_path) as ledger:
        assert len(ledger) == n_events  # only read
    rc = main(
        [
            "report",
            str(tmp_path / "city"),
            "--ledger",
            str(ledger_path),
            "--record",
            "--as-of",
            "2026-09-03",
            "--lang",
            "ru",
            "-o",
            str(tmp_path / "report.md"),
        ]
    )
    assert rc == 0
    assert (
        (tmp_path / "report.md")
        .read_text(encoding="utf-8")
        .startswith("# Отчёт о раунде подбора")
    )
    with mk.Ledger(ledger_path) as ledger:
        assert len(ledger) > n_events


def test_cli_report_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mk.save_dataset(tiny_city(), tmp_path / "tiny")
    assert (
        main(["report", str(tmp_path / "missing"), "-o", str(tmp_path / "r.html")]) == 1
    )
    assert "does not exist" in capsys.readouterr().err
    assert (
        main(
            [
                "report",
                str(tmp_path / "tiny"),
                "--ledger",
                str(tmp_path / "no.sqlite"),
                "-o",
                str(tmp_path / "r.html"),
            ]
        )
        == 1
    )
    assert "no such file" in capsys.readouterr().err

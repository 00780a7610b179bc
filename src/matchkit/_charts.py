"""Inline SVG charts, tables and number formats for the reports (no scripts, no external
files).

Bars carry a ``<title>`` (shown as a tooltip) and print their value, so the numbers are
readable without hovering and survive printing. Every text is HTML-escaped.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

from ._texts import one_line

__all__ = [
    "bin_labels",
    "esc",
    "hbars",
    "html_table",
    "md_cell",
    "md_table",
    "num",
    "pct",
    "short",
    "vbars",
]


def esc(x: Any) -> str:
    return html.escape(str(x), quote=True)


def html_table(
    head: Sequence[str], rows: Sequence[Sequence[Any]], numeric: Sequence[int] = ()
) -> str:
    """An HTML table, every cell escaped; columns in ``numeric`` align right.

    >>> html_table(("a",), [(1,)], numeric=(0,))
    '<table><thead><tr><th>a</th></tr></thead><tbody><tr><td class=n>1</td></tr></tbody></table>'
    """
    th = "".join(f"<th>{esc(h)}</th>" for h in head)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td{' class=n' if i in numeric else ''}>{esc(c)}</td>"
            for i, c in enumerate(r)
        )
        + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


#: Characters Markdown reads as markup in a table cell; each gets a backslash.
_MD_MARKUP = re.compile(r"([\\`*_\[\]~|])")


def md_cell(x: Any) -> str:
    """``x`` as Markdown that shows it as written, on one line of a table.

    HTML is written as entities (``<b>`` shows as ``<b>``, not bold), Markdown markup and
    ``|`` get a backslash, and a run of white space holding a line break, a tab or another
    control character becomes one space.

    >>> print(md_cell("<b>x</b> | *y*_z\\nw & 1"))
    &lt;b&gt;x&lt;/b&gt; \\| \\*y\\*\\_z w &amp; 1
    >>> print(md_cell("a\\r\\n\\tb\\tc"))
    a b c
    """
    text = html.escape(one_line(str(x)), quote=False)
    return _MD_MARKUP.sub(r"\\\1", text)


def md_table(head: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table; every cell shows as written (see :func:`md_cell`).

    >>> print(md_table(("a", "b"), [(1, "x|y")]))
    | a | b |
    |---|---|
    | 1 | x\\|y |
    """
    lines = [
        "| " + " | ".join(md_cell(h) for h in head) + " |",
        "|" + "---|" * len(head),
    ]
    lines += ["| " + " | ".join(md_cell(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def pct(x: float | None, lang: str = "en") -> str:
    if x is None:
        return "—"
    return (
        f"{100 * x:.1f}".replace(".", ",") + " %" if lang == "ru" else f"{100 * x:.1f}%"
    )


def num(x: float | None, digits: int = 2, lang: str = "en") -> str:
    """``x`` with ``digits`` decimals; a decimal comma in Russian.

    >>> num(0.5, lang="en"), num(0.5, lang="ru"), num(None)
    ('0.50', '0,50', '—')
    """
    if x is None:
        return "—"
    text = f"{x:.{digits}f}"
    return text.replace(".", ",") if lang == "ru" else text


def short(x: float, lang: str = "en") -> str:
    """``x`` with no trailing zeros and no exponent; a decimal comma in Russian.

    >>> short(0.1, "ru"), short(2.0, "en"), short(1234567.0, "en"), short(2.5, "en")
    ('0,1', '2', '1234567', '2.5')
    """
    text = f"{x:.6f}".rstrip("0").rstrip(".")
    text = "0" if text == "-0" else text
    return text.replace(".", ",") if lang == "ru" else text


def hbars(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    label: str,
    vmax: float = 1.0,
    percent: bool = True,
    lang: str = "en",
) -> str:
    """Horizontal bars, one row per label, with the value printed at the end."""
    row, left, width = 18, 90, 420
    h = row * len(labels) + 10
    parts = [
        (
            f'<svg role="img" aria-label="{esc(label)}" viewBox="0 0 {left + width + 70} {h}" '
            f'width="{left + width + 70}" height="{h}" xmlns="http://www.w3.org/2000/svg">'
        )
    ]
    for k, (name, v) in enumerate(zip(labels, values)):
        y = 5 + k * row
        w = 0 if vmax <= 0 else max(0.0, min(v / vmax, 1.0)) * width
        shown = pct(v, lang) if percent else short(v, lang)
        parts.append(
            f'<g><title>{esc(name)}: {esc(shown)}</title><text x="{left - 6}" y="{y + 12}" text-anchor="end">{esc(name)}</text>'
            f'<rect class="bar" x="{left}" y="{y + 2}" width="{w:.1f}" height="{row - 5}"/>'
            f'<text x="{left + w + 4:.1f}" y="{y + 12}">{esc(shown)}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


def vbars(
    labels: Sequence[str],
    series: Sequence[Sequence[float]],
    *,
    label: str,
    names: Sequence[str] = (),
    lang: str = "en",
) -> str:
    """Vertical (grouped) bars: one group per label, one bar per series."""
    n = max(len(labels), 1)
    k = max(len(series), 1)
    width, height, bottom, top = 560, 180, 30, 16
    group = width / n
    bar = max(group * 0.8 / k, 1.0)
    vmax = max((max(s) if len(s) else 0) for s in series) if series else 0
    vmax = vmax or 1
    parts = [
        (
            f'<svg role="img" aria-label="{esc(label)}" viewBox="0 0 {width + 20} {height + bottom + top}" '
            f'width="{width + 20}" height="{height + bottom + top}" xmlns="http://www.w3.org/2000/svg">'
        )
    ]
    for s_i, s in enumerate(series):
        for g, v in enumerate(s):
            hgt = height * v / vmax
            x = 10 + g * group + group * 0.1 + s_i * bar
            y = top + height - hgt
            name = f"{names[s_i]} " if names else ""
            parts.append(
                f"<g><title>{esc(labels[g])}: {esc(name)}{short(v, lang)}</title>"
                f'<rect class="bar{"" if s_i == 0 else s_i + 1}" x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{hgt:.1f}"/>'
                f'<text x="{x + bar / 2:.1f}" y="{y - 3:.1f}" text-anchor="middle">{short(v, lang)}</text></g>'
            )
    for g, name in enumerate(labels):
        parts.append(
            f'<text x="{10 + g * group + group / 2:.1f}" y="{top + height + 16}" '
            f'text-anchor="middle">{esc(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def bin_labels(edges: Sequence[float], open_end: bool, lang: str = "en") -> list[str]:
    """The label of each histogram bin (numbers written as in ``lang``).

    >>> bin_labels([0, 0.5, 1], False, "ru"), bin_labels([0, 5], True)
    (['0–0,5', '0,5–1'], ['0–5', '5+'])
    """
    e = [short(x, lang) for x in edges]
    out = [f"{e[i]}–{e[i + 1]}" for i in range(len(e) - 1)]
    if open_end:
        out.append(f"{e[-1]}+")
    return out

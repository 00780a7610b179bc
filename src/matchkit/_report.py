"""The round's report: one self-contained HTML page (inline SVG charts) or Markdown.

Pure rendering from a ``MatchResult`` (and optionally a ``Ledger``): no scripts, no
fonts, no links to fetch, so the page opens offline and can be mailed as one file. It
shows the headline numbers, fill rate by district, the distance histogram, the score
distribution, volunteer pools, every unfilled open need with its binding rules and the
best computed counterfactual, why volunteers went without an offer (counts only: the
report names no volunteer), and the rounds over time when a ledger is given.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._charts import (
    bin_labels,
    esc,
    hbars,
    html_table,
    md_table,
    num,
    pct,
    vbars,
)
from ._diagnostics import Diagnosis, why_unfilled
from ._diagnostics_texts import rule_label
from ._report_inkind import inkind_html, inkind_markdown
from ._texts import check_lang, km

if TYPE_CHECKING:
    from ._proposals import MatchResult

__all__ = ["render_html", "render_markdown", "write_html"]

#: At most this many unfilled needs get a full diagnosis in the report (most free places first).
MAX_UNFILLED_ROWS = 60

_H = {
    "en": {
        "title": "Matching round report", "summary": "Summary", "district": "Fill rate by district",
        "distance": "Distance to proposed needs (km)", "score": "Score of proposals",
        "unfilled": "Unfilled needs and what binds them", "unmatched": "Volunteers without an offer",
        "pools": "Volunteer pools", "rounds": "Rounds over time", "need": "Need", "org": "Organisation",
        "free": "Free places", "why": "Why", "binding": "Binding rules", "change": "What would change it",
        "pool": "Pool", "volunteers": "Volunteers", "served": "Offered or placed",
        "share_filled": "Share of filled places", "reason": "Reason", "count": "Count", "round": "Round",
        "date": "Date", "metric": "Metric", "value": "Value", "none": "none",
        "fill_rate": "Fill rate", "share_offered": "Volunteers offered something", "proposals": "New proposals",
        "alternatives": "Alternatives offered", "open_offers": "Offers still open", "placements": "Placements",
        "unmatched_n": "Volunteers without an offer", "unfilled_n": "Needs with free places",
        "blocking": "Blocking pairs of the proposal set", "gini": "Gini of fill rate across districts",
        "small": "Fill rate of small organisations", "churn": "Churn since the previous round",
        "dist_line": "Distance (km): mean / median / p90", "score_line": "Score: mean / median / p90",
        "offers": "Offers per volunteer with any: mean / max", "method": "Method", "as_of": "As of",
        "cell": "districts are {km} grid cells; C is the centre, N1E2 one cell north and two east",
        "remote": "remote", "no_pool": "(none)",
        "offered": "offered", "accepted": "accepted", "rejected": "rejected", "expired": "expired",
    },
    "ru": {
        "title": "Отчёт о раунде подбора", "summary": "Итоги", "district": "Заполненность по районам",
        "distance": "Расстояние до предложенных задач (км)", "score": "Оценки предложений",
        "unfilled": "Незаполненные задачи и что им мешает", "unmatched": "Волонтёры без предложений",
        "pools": "Источники волонтёров", "rounds": "Раунды во времени", "need": "Задача",
        "org": "Организация", "free": "Свободно мест", "why": "Причина", "binding": "Главные препятствия",
        "change": "Что бы это изменило", "pool": "Источник", "volunteers": "Волонтёров",
        "served": "С предложением или местом", "share_filled": "Доля заполненных мест", "reason": "Причина",
        "count": "Сколько", "round": "Раунд", "date": "Дата", "metric": "Показатель", "value": "Значение",
        "none": "нет", "fill_rate": "Заполненность мест", "share_offered": "Доля волонтёров с предложением",
        "proposals": "Новых предложений", "alternatives": "Вариантов на выбор", "open_offers": "Ждут ответа",
        "placements": "Принятых мест", "unmatched_n": "Волонтёров без предложений",
        "unfilled_n": "Задач со свободными местами", "blocking": "Блокирующих пар",
        "gini": "Индекс Джини заполненности по районам", "small": "Заполненность у малых организаций",
        "churn": "Смена предложений с прошлого раунда", "dist_line": "Расстояние (км): среднее / медиана / 90-й процентиль",
        "score_line": "Оценка: среднее / медиана / 90-й процентиль", "offers": "Предложений на волонтёра: среднее / максимум",
        "method": "Метод", "as_of": "Дата раунда",
        "cell": "районы — клетки сетки {km}; C — центр, N1E2 — одна клетка к северу и две к востоку",
        "remote": "дистанционно", "no_pool": "(не указан)",
        "offered": "предложено", "accepted": "принято", "rejected": "отклонено", "expired": "истекло",
    },
}  # fmt: skip

#: The solvers of :data:`matchkit.solvers.SOLVERS` in Russian words (their names are kept).
_METHODS_RU = {
    "flow": "поток минимальной стоимости", "hungarian": "венгерский алгоритм",
    "stable": "устойчивое паросочетание", "milp": "целочисленное программирование",
}  # fmt: skip

#: The ledger's kinds of events counted per round, in the order of the chart and table.
_KINDS = ("offered", "accepted", "rejected", "expired")

_REASONS = {
    "en": {"no_acceptable_need": "no open need fits their conditions", "outcompeted": "their needs went to others",
           "placed": "already placed as often as they asked", "all_declined": "declined every fitting need",
           "offer_budget": "waiting to answer open offers",
           "held_back": "their needs wait for a policy check (e.g. vetting)"},
    "ru": {"no_acceptable_need": "ни одна открытая задача не подходит", "outcompeted": "места достались другим",
           "placed": "уже заняты столько раз, сколько хотели", "all_declined": "отказались от всех подходящих",
           "offer_budget": "ждут ответа на открытые предложения",
           "held_back": "их задачи ждут проверки (например, экспертизы)"},
}  # fmt: skip

_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;max-width:60rem;color:#222;padding:0 1rem}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse;width:100%;font-size:.9rem}td,th{border-bottom:1px solid #eee;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f5f5f5}td.n{text-align:right;font-variant-numeric:tabular-nums}
svg{max-width:100%;height:auto}.note{color:#666;font-size:.85rem}
svg text{font-size:11px;fill:#333}.bar{fill:#3b7dd8}.bar2{fill:#e08a2c}.bar3{fill:#4caf50}.bar4{fill:#c0392b}
"""


def _summary_rows(
    result: MatchResult, h: dict[str, str], lang: str
) -> list[tuple[str, str]]:
    m = result.metrics
    d, s = m.get("distance_km", {}), m.get("score", {})
    churn = m.get("churn")
    opv = m.get("offers_per_volunteer", {})
    small = m.get("small_organisations") or {}
    return [
        (h["as_of"], result.as_of.isoformat()),
        (h["method"], _method(result.method, lang)),
        (h["fill_rate"], pct(m.get("fill_rate"), lang)),
        (h["share_offered"], pct(m.get("share_volunteers_offered"), lang)),
        (h["proposals"], str(m.get("n_new_proposals", 0))),
        (h["alternatives"], str(m.get("n_alternatives", 0))),
        (h["open_offers"], str(m.get("n_open_offers", 0))),
        (h["placements"], str(m.get("n_placements", 0))),
        # (volunteers placed earlier with no place left are counted under placements)
        (h["unmatched_n"], str(sum(r.code != "placed" for r in result.unmatched.values()))),
        (h["unfilled_n"], str(len(result.unfilled))),
        (h["blocking"], str(m.get("blocking_pairs", "—"))),
        (h["gini"], num(m.get("gini_fill_by_district"), lang=lang)),
        (h["small"], pct(small.get("fill_rate"), lang)),
        (h["churn"], pct(churn.get("rate"), lang) if churn else "—"),
        (
            h["dist_line"],
            " / ".join(num(d.get(k), 1, lang) for k in ("mean", "median", "p90")),
        ),
        (
            h["score_line"],
            " / ".join(num(s.get(k), lang=lang) for k in ("mean", "median", "p90")),
        ),
        (h["offers"], f"{num(opv.get('mean'), lang=lang)} / {opv.get('max', 0)}"),
    ]


def _method(name: str, lang: str) -> str:
    """The solver's name, with what it is in Russian words.

    >>> _method("flow", "ru"), _method("flow", "en"), _method("mine", "ru")
    ('flow (поток минимальной стоимости)', 'flow', 'mine')
    """
    words = _METHODS_RU.get(name) if lang == "ru" else None
    return f"{name} ({words})" if words else name


def _district(key: str, h: dict[str, str]) -> str:
    """A district as the report names it (grid cells keep their code)."""
    return h["remote"] if key == "remote" else key


def _pool(key: str, h: dict[str, str]) -> str:
    """A volunteer pool as the report names it (volunteers without one: ``h["no_pool"]``)."""
    return h["no_pool"] if key == "(none)" else key


def _unfilled(result: MatchResult, lang: str) -> list[tuple[str, str, int, Diagnosis]]:
    """(need title, organisation name, free places, diagnosis), most free places first."""
    items = sorted(
        result.unfilled.items(),
        key=lambda kv: (-int(kv[1].details.get("free_places", 0)), kv[0]),
    )
    out = []
    for nid, reason in items[:MAX_UNFILLED_ROWS]:
        need = result.dataset.need(nid)
        org = result.dataset.organisation(need.organisation_id).name
        out.append(
            (
                need.title,
                org,
                int(reason.details.get("free_places", 0)),
                why_unfilled(result, nid, lang=lang),
            )
        )
    return out


def _binding(d: Diagnosis) -> str:
    top = sorted(d.only_rule.items(), key=lambda x: (-x[1], x[0]))[:3]
    return "; ".join(f"{rule_label(r, 'need', d.lang)}: {c}" for r, c in top)


def _why(d: Diagnosis) -> str:
    """The first line of the diagnosis (it quotes the need's title on one line).

    >>> from matchkit._diagnostics import Diagnosis
    >>> _why(Diagnosis("need", "n1", "ended", "en", '"a b" ended.\\nMore:'))
    '"a b" ended.'
    """
    if not d.text:
        return d.code
    return d.text.splitlines()[0].rstrip(":")


def _rounds(
    ledger: Any, h: dict[str, str]
) -> tuple[list[str], list[list[float]], list[str], list[tuple[Any, ...]]]:
    """Round labels, counts per kind of event, the kinds' names and the table's rows."""
    state = ledger.state()
    kinds = _KINDS
    labels, rows = [], []
    series: list[list[float]] = [[] for _ in kinds]
    for info in state.rounds:
        counts = state.round_counts.get(info.number, {})
        labels.append(str(info.number))
        for s, k in zip(series, kinds):
            s.append(float(counts.get(k, 0)))
        rows.append(
            (
                info.number,
                info.at.date().isoformat(),
                *[counts.get(k, 0) for k in kinds],
            )
        )
    return labels, series, [h[k] for k in kinds], rows


def render_html(result: MatchResult, *, ledger: Any = None, lang: str = "en") -> str:
    """The report as one HTML document (a string). See :func:`write_html`."""
    check_lang(lang, "to_html")
    h = _H[lang]
    m = result.metrics
    out = [
        (
            f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(h['title'])}</title><style>{_CSS}</style></head><body>"
        ),
        f"<h1>{esc(h['title'])}</h1>",
        f'<section id="summary"><h2>{esc(h["summary"])}</h2>'
        + html_table(
            (h["metric"], h["value"]), _summary_rows(result, h, lang), numeric=(1,)
        )
        + "</section>",
    ]
    by_d = m.get("fill_rate_by_district") or {}
    out.append(
        f'<section id="fill-by-district"><h2>{esc(h["district"])}</h2>'
        + (
            hbars(
                [_district(k, h) for k in by_d],
                list(by_d.values()),
                label=h["district"],
                lang=lang,
            )
            if by_d
            else f"<p>{esc(h['none'])}</p>"
        )
        + f'<p class="note">{esc(h["cell"].format(km=km(float(m.get("district_km", 0.0)), lang)))}</p></section>'
    )
    for key, sec, open_end in (
        ("distance_km", "distance", True),
        ("score", "score", False),
    ):
        hist = (m.get(key) or {}).get("histogram")
        chart = (
            vbars(
                bin_labels(hist["edges"], open_end, lang),
                [hist["counts"]],
                label=h[sec],
                lang=lang,
            )
            if hist and sum(hist["counts"])
            else f"<p>{esc(h['none'])}</p>"
        )
        out.append(
            f'<section id="{sec}-histogram"><h2>{esc(h[sec])}</h2>{chart}</section>'
        )
    rows = [
        (
            t,
            o,
            free,
            _why(d),
            _binding(d),
            d.counterfactuals[0].text if d.counterfactuals else "",
        )
        for t, o, free, d in _unfilled(result, lang)
    ]
    out.append(
        f'<section id="unfilled"><h2>{esc(h["unfilled"])}</h2>'
        + (
            html_table(
                (h["need"], h["org"], h["free"], h["why"], h["binding"], h["change"]),
                rows,
                numeric=(2,),
            )
            if rows
            else f"<p>{esc(h['none'])}</p>"
        )
        + "</section>"
    )
    codes = Counter(r.code for r in result.unmatched.values())
    reasons = [(_REASONS[lang].get(c, c), k) for c, k in codes.most_common()]
    out.append(
        f'<section id="unmatched"><h2>{esc(h["unmatched"])}</h2>'
        + (
            html_table((h["reason"], h["count"]), reasons, numeric=(1,))
            if reasons
            else f"<p>{esc(h['none'])}</p>"
        )
        + "</section>"
    )
    pools = m.get("pools") or {}
    prow = [
        (
            _pool(k, h),
            v["volunteers"],
            v["offered_or_placed"],
            pct(v["share_offered_or_placed"], lang),
            pct(v["share_of_filled_places"], lang),
        )
        for k, v in pools.items()
    ]
    out.append(
        f'<section id="pools"><h2>{esc(h["pools"])}</h2>'
        + html_table(
            (h["pool"], h["volunteers"], h["served"], "%", h["share_filled"]),
            prow,
            numeric=(1, 2, 3, 4),
        )
        + "</section>"
    )
    if ledger is not None:
        labels, series, kinds, rrows = _rounds(ledger, h)
        chart = (
            vbars(labels, series, label=h["rounds"], names=kinds, lang=lang)
            if labels
            else f"<p>{esc(h['none'])}</p>"
        )
        out.append(
            f'<section id="rounds"><h2>{esc(h["rounds"])}</h2>{chart}'
            + html_table((h["round"], h["date"], *kinds), rrows, numeric=(0, 2, 3, 4, 5))
            + "</section>"
        )
    out.append(inkind_html(result, lang))  # policy findings and in-kind help
    out.append("</body></html>")
    return "\n".join(out)


def write_html(
    result: MatchResult,
    path: str | os.PathLike[str],
    *,
    ledger: Any = None,
    lang: str = "en",
) -> Path:
    """Write the round's report as one self-contained HTML file; return its path.

    Parameters
    ----------
    result : MatchResult
    path : str or path-like
        The file to write (its folder must exist).
    ledger : Ledger, optional
        Adds the rounds over time (offers, acceptances, rejections, expiries per round).
    lang : {"en", "ru"}

    Examples
    --------
    >>> import tempfile, os, matchkit as mk
    >>> from matchkit.datasets import tiny_city
    >>> r = mk.match(tiny_city(), as_of="2026-09-01")
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = r.to_html(os.path.join(d, "report.html"))
    ...     "<svg" in p.read_text(encoding="utf-8")
    True
    """
    text = render_html(result, ledger=ledger, lang=lang)
    out = Path(path)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, out)
    return out


def render_markdown(
    result: MatchResult, *, ledger: Any = None, lang: str = "en"
) -> str:
    """The round's report as Markdown (the same sections as the HTML page, tables only).

    Examples
    --------
    >>> import matchkit as mk
    >>> from matchkit.datasets import tiny_city
    >>> md = mk.match(tiny_city(), as_of="2026-09-01").to_markdown()
    >>> md.splitlines()[0]
    '# Matching round report'
    """
    check_lang(lang, "to_markdown")
    h = _H[lang]
    m = result.metrics
    parts = [
        f"# {h['title']}",
        f"## {h['summary']}",
        md_table((h["metric"], h["value"]), _summary_rows(result, h, lang)),
    ]
    by_d = m.get("fill_rate_by_district") or {}
    parts += [
        f"## {h['district']}",
        md_table(
            ("", h["fill_rate"]),
            [(_district(k, h), pct(v, lang)) for k, v in by_d.items()],
        ),
        f"_{h['cell'].format(km=km(float(m.get('district_km', 0.0)), lang))}_",
    ]
    for key, sec, open_end in (
        ("distance_km", "distance", True),
        ("score", "score", False),
    ):
        hist = (m.get(key) or {}).get("histogram")
        if hist:
            parts += [
                f"## {h[sec]}",
                md_table(
                    ("", h["count"]),
                    list(
                        zip(bin_labels(hist["edges"], open_end, lang), hist["counts"])
                    ),
                ),
            ]
    rows = [
        (
            t,
            o,
            free,
            _why(d),
            _binding(d),
            d.counterfactuals[0].text if d.counterfactuals else "",
        )
        for t, o, free, d in _unfilled(result, lang)
    ]
    parts += [
        f"## {h['unfilled']}",
        md_table(
            (h["need"], h["org"], h["free"], h["why"], h["binding"], h["change"]), rows
        )
        if rows
        else h["none"],
    ]
    codes = Counter(r.code for r in result.unmatched.values())
    parts += [
        f"## {h['unmatched']}",
        md_table(
            (h["reason"], h["count"]),
            [(_REASONS[lang].get(c, c), k) for c, k in codes.most_common()],
        ),
    ]
    pools = m.get("pools") or {}
    parts += [
        f"## {h['pools']}",
        md_table(
            (h["pool"], h["volunteers"], h["served"], h["share_filled"]),
            [
                (
                    _pool(k, h),
                    v["volunteers"],
                    pct(v["share_offered_or_placed"], lang),
                    pct(v["share_of_filled_places"], lang),
                )
                for k, v in pools.items()
            ],
        ),
    ]
    if ledger is not None:
        _, _, kinds, rrows = _rounds(ledger, h)
        parts += [
            f"## {h['rounds']}",
            md_table((h["round"], h["date"], *kinds), rrows),
        ]
    parts += inkind_markdown(result, lang)  # policy findings and in-kind help
    return "\n\n".join(parts) + "\n"

"""Report sections on consulting early and asking early: policy findings and in-kind help.

:func:`inkind_html` and :func:`inkind_markdown` give the sections the round's report (HTML
page or Markdown) adds after its own: the policy findings of the round's day counted by
rule and severity, the needs the policy checks kept from matching and why, and, when the
dataset holds in-kind offers or requests, how many requests offers cover (units too) and
every request not fully covered that came too late for an offer, with the last day it
could have been sent.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._charts import esc, html_table, md_table
from ._policy import POLICIES, PolicyFinding, check_policies

if TYPE_CHECKING:
    from ._inkind import InkindResult
    from ._proposals import MatchResult

__all__ = ["inkind_html", "inkind_markdown", "policy_and_inkind_summary"]

#: At most this many rows per table (skipped needs, late requests); the rest are counted.
MAX_ROWS = 60

_T = {
    "en": {
        "policy": "Policy findings", "code": "Rule", "severity": "Severity", "count": "Count",
        "what": "What it checks", "skipped": "Needs the policy checks kept from matching",
        "need": "Need", "org": "Organisation", "why": "Why", "none": "none",
        "error": "error", "warning": "warning", "info": "info", "more": "and {n} more",
        "inkind": "In-kind help", "metric": "Metric", "value": "Value",
        "requests": "Requests", "offers": "Offers", "full": "Requests fully covered",
        "part": "Requests partly covered", "units": "Units asked / covered",
        "held": "Requests held back (their need is closed, over or not vetted)",
        "letters": "Letters to send (one per request and offer)",
        "late_n": "Requests not fully covered, too late for some offer",
        "late": "Requests that came too late (not fully covered)",
        "request": "Request", "item": "What", "needed": "Needed by", "last": "Last day to ask",
        "days": "Days late", "offer": "Offer",
        "late_note": "Ask these givers earlier next time: by the last day shown, or before.",
    },
    "ru": {
        "policy": "Проверка правил", "code": "Правило", "severity": "Уровень", "count": "Сколько",
        "what": "Что проверяет", "skipped": "Задачи, которые проверки не допустили к подбору",
        "need": "Задача", "org": "Организация", "why": "Почему", "none": "нет",
        "error": "ошибка", "warning": "предупреждение", "info": "сведения", "more": "и ещё {n}",
        "inkind": "Помощь вещами и услугами", "metric": "Показатель", "value": "Значение",
        "requests": "Запросов", "offers": "Предложений", "full": "Запросов покрыто полностью",
        "part": "Запросов покрыто частично", "units": "Единиц запрошено / покрыто",
        "held": "Запросов отложено (задача закрыта, завершилась или не проверена)",
        "letters": "Писем к отправке (по одному на запрос и предложение)",
        "late_n": "Запросов, не покрытых полностью и опоздавших хотя бы для одного предложения",
        "late": "Запросы, отправленные слишком поздно (не покрыты полностью)", "request": "Запрос",
        "item": "Что",
        "needed": "Нужно к", "last": "Последний день для запроса", "days": "Опоздание, дней",
        "offer": "Предложение",
        "late_note": "В следующий раз обращайтесь к этим дарителям раньше: не позже указанного дня.",
    },
}  # fmt: skip
_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
#: The one-line summaries of :data:`matchkit.POLICIES`, in Russian.
_RU_SUMMARY = {
    "money-without-account-route": "деньги — только через счёт организации",
    "money-route-looks-personal": "способ оплаты похож на личный счёт",
    "asks-donation": "задача просит волонтёров о пожертвованиях",
    "minors-without-background-check": "работа с детьми без проверки благонадёжности",
    "background-check-below-age": "проверка требуется раньше возраста, с которого её выдают",
    "night-work-open-to-minors": "ночная работа открыта для несовершеннолетних",
    "min-age-below-floor": "минимальный возраст ниже допустимого для волонтёров",
    "not-vetted": "задача одобрена или открыта без проверяющей организации",
    "vetter-lacks-expertise": "проверила организация без нужной экспертизы",
    "unregistered-not-vetted-by-registered": "задачу незарегистрированной организации не проверила зарегистрированная",
    "no-possible-vetter": "эту идею некому проверить",
    "offer-not-from-giver": "предложение не от госоргана или бизнеса",
    "request-not-from-cso": "запрос от госоргана или бизнеса",
    "offer-windows-over": "все окна приёма заявок уже закрыты",
    "request-past": "дата, к которой нужна помощь, прошла",
    "request-need-closed": "запрос для закрытой или завершённой задачи",
    "request-need-not-vetted": "запрос для задачи, которую не проверила организация с нужной экспертизой",
    "request-after-need-ends": "помощь нужна позже, чем завершается задача",
}


@dataclass(frozen=True)
class _Tables:
    """Everything the sections show, computed once per report."""

    findings: list[tuple[str, str, str, int]]  # code, severity, summary, count
    skipped: list[tuple[str, str, str]]  # need title, organisation, why
    n_skipped: int
    inkind: (
        list[tuple[str, str]] | None
    )  # summary rows; None without offers or requests
    late: list[tuple[str, str, str, str, str, str, int]]
    n_late: int


def policy_and_inkind_summary(result: MatchResult, lang: str = "en") -> _Tables:
    """The figures of both sections for one round (used by the two renderers).

    Examples
    --------
    >>> import matchkit as mk
    >>> from matchkit._report_inkind import policy_and_inkind_summary
    >>> r = mk.match(mk.datasets.tiny_city(), as_of="2026-09-01")
    >>> t = policy_and_inkind_summary(r)
    >>> t.n_skipped, t.inkind is None
    (0, True)
    """
    t = _T[lang]
    ds, day = result.dataset, result.as_of
    found: list[PolicyFinding] = check_policies(ds, as_of=day)
    counts = Counter((f.code, f.severity) for f in found)
    order = sorted(
        counts.items(),
        key=lambda kv: (_SEVERITY_ORDER.get(kv[0][1], 3), -kv[1], kv[0][0]),
    )
    summary = _RU_SUMMARY if lang == "ru" else {c: v[2] for c, v in POLICIES.items()}
    findings = [
        (code, t[sev], summary.get(code, POLICIES[code][2]), n)
        for (code, sev), n in order
    ]
    blocked: dict[str, str] = dict(result.context.get("blocked", {}))
    skipped = []
    for nid in sorted(blocked)[:MAX_ROWS]:
        need = ds.need(nid)
        codes = sorted(
            {
                f.code
                for f in found
                if f.record_id == nid and f.kind == "need" and f.severity == "error"
            }
        )
        skipped.append(
            (
                need.title,
                ds.organisation(need.organisation_id).name,
                ", ".join(codes) or blocked[nid],
            )
        )
    inkind_rows = None
    late_rows: list[tuple[str, str, str, str, str, str, int]] = []
    n_late = 0
    if ds.offers or ds.requests:
        from ._inkind import match_inkind

        res = match_inkind(
            ds.offers, ds.requests, ds.organisations, as_of=day, needs=ds.needs
        )
        inkind_rows = _inkind_rows(result, res, t)
        late_rows, n_late = _late_rows(result, res, lang)
    return _Tables(findings, skipped, len(blocked), inkind_rows, late_rows, n_late)


def _inkind_rows(
    result: MatchResult, res: InkindResult, t: dict[str, str]
) -> list[tuple[str, str]]:
    reqs = result.dataset.requests
    covered = Counter[str]()
    for a in res.allocations:
        covered[a.request_id] += a.quantity
    full = sum(covered[r.id] >= r.quantity for r in reqs)
    part = sum(0 < covered[r.id] < r.quantity for r in reqs)
    asked = sum(r.quantity for r in reqs)
    return [
        (t["requests"], str(len(reqs))),
        (t["offers"], str(len(result.dataset.offers))),
        (t["full"], str(full)),
        (t["part"], str(part)),
        (t["held"], str(len(res.held_back))),
        (t["units"], f"{asked} / {sum(covered.values())}"),
        (t["letters"], str(len(res.allocations))),
        (
            t["late_n"],
            str(len({x.request_id for x in res.late if x.request_id in res.reasons})),
        ),
    ]


def _late_rows(
    result: MatchResult, res: InkindResult, lang: str = "en"
) -> tuple[list[tuple[str, str, str, str, str, str, int]], int]:
    """One row per late request not fully covered: the offer whose last day to ask was latest
    (the kind named in ``lang``)."""
    from ._inkind import KIND_RU

    best: dict[str, Any] = {}
    for x in res.late:
        if x.request_id not in res.reasons:
            continue
        if x.request_id not in best or x.latest_send > best[x.request_id].latest_send:
            best[x.request_id] = x
    ds = result.dataset
    rows = []
    for rid in sorted(best)[:MAX_ROWS]:
        x, req = best[rid], ds.request(rid)
        kind = KIND_RU[req.kind.value] if lang == "ru" else req.kind.value
        offer = ds.offer(x.offer_id)
        rows.append(
            (
                rid,
                ds.organisation(req.organisation_id).name,
                f"{kind}: {req.quantity} {req.unit}",
                req.needed_by.isoformat(),
                x.latest_send.isoformat(),
                f"{offer.item} ({ds.organisation(offer.organisation_id).name})",
                x.days_late,
            )
        )
    return rows, len(best)


def _heads(
    t: dict[str, str],
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    return (
        (t["code"], t["severity"], t["what"], t["count"]),
        (t["need"], t["org"], t["why"]),
        (
            t["request"],
            t["org"],
            t["item"],
            t["needed"],
            t["last"],
            t["offer"],
            t["days"],
        ),
    )


def inkind_html(result: MatchResult, lang: str = "en") -> str:
    """The policy and in-kind sections as HTML (``<section>`` elements, no page around them).

    Examples
    --------
    >>> import matchkit as mk
    >>> from matchkit._report_inkind import inkind_html
    >>> html = inkind_html(mk.match(mk.datasets.tiny_city(), as_of="2026-09-01"))
    >>> html.startswith('<section id="policy">'), 'id="inkind"' in html
    (True, False)
    """
    t, tab = _T[lang], policy_and_inkind_summary(result, lang)
    h_find, h_skip, h_late = _heads(t)
    none = f"<p>{esc(t['none'])}</p>"
    out = [
        f'<section id="policy"><h2>{esc(t["policy"])}</h2>'
        + (html_table(h_find, tab.findings, numeric=(3,)) if tab.findings else none)
        + f"<h3>{esc(t['skipped'])}</h3>"
        + (html_table(h_skip, tab.skipped) if tab.skipped else none)
        + _more_html(tab.n_skipped, len(tab.skipped), t)
        + "</section>"
    ]
    if tab.inkind is not None:
        out.append(
            f'<section id="inkind"><h2>{esc(t["inkind"])}</h2>'
            + html_table((t["metric"], t["value"]), tab.inkind, numeric=(1,))
            + f"<h3>{esc(t['late'])}</h3>"
            + (
                html_table(h_late, tab.late, numeric=(6,))
                + f'<p class="note">{esc(t["late_note"])}</p>'
                if tab.late
                else none
            )
            + _more_html(tab.n_late, len(tab.late), t)
            + "</section>"
        )
    return "\n".join(out)


def _more_html(total: int, shown: int, t: dict[str, str]) -> str:
    return (
        f'<p class="note">{esc(t["more"].format(n=total - shown))}</p>'
        if total > shown
        else ""
    )


def inkind_markdown(result: MatchResult, lang: str = "en") -> list[str]:
    """The policy and in-kind sections as Markdown blocks (to join with blank lines).

    Examples
    --------
    >>> import matchkit as mk
    >>> from matchkit._report_inkind import inkind_markdown
    >>> inkind_markdown(mk.match(mk.datasets.tiny_city(), as_of="2026-09-01"))[0]
    '## Policy findings'
    """
    t, tab = _T[lang], policy_and_inkind_summary(result, lang)
    h_find, h_skip, h_late = _heads(t)
    parts = [
        f"## {t['policy']}",
        md_table(h_find, tab.findings) if tab.findings else t["none"],
    ]
    parts += [
        f"### {t['skipped']}",
        md_table(h_skip, tab.skipped) if tab.skipped else t["none"],
    ]
    if tab.n_skipped > len(tab.skipped):
        parts.append(t["more"].format(n=tab.n_skipped - len(tab.skipped)))
    if tab.inkind is not None:
        parts += [f"## {t['inkind']}", md_table((t["metric"], t["value"]), tab.inkind)]
        parts += [
            f"### {t['late']}",
            md_table(h_late, tab.late) if tab.late else t["none"],
        ]
        if tab.late:
            parts.append(f"_{t['late_note']}_")
        if tab.n_late > len(tab.late):
            parts.append(t["more"].format(n=tab.n_late - len(tab.late)))
    return parts

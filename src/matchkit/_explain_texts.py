"""The words of pair explanations (en, ru), for a volunteer or an organisation.

Kept apart from the logic in ``_explain``: every sentence a reader sees is built here
from the facts of one pair. A volunteer's text uses only their own data and the need's;
an organisation's text states that personal rules are met without the figures behind
them (no age, no distance from home).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ._letters import format_date
from ._texts import (
    component_label,
    count,
    count_of,
    join,
    km,
    km_apart,
    one_line,
    ordinal,
    ru_verb,
    score,
    slot_label,
    status_label,
    tag_label,
)

if TYPE_CHECKING:
    from ._explain import Explanation

__all__ = ["public_facts", "render", "rule_text"]

F = Mapping[str, Any]

#: Facts an organisation may see (no age, no distance, no interests of the volunteer).
_ORG_FACTS = (
    "title", "organisation", "volunteer_name", "remote", "slots", "free_slots", "covered",
    "required_overlap", "required_skills", "desired_skills", "has_desired", "missing_skills",
    "languages", "missing_languages", "extra_languages", "checks", "missing_checks", "min_age",
)  # fmt: skip


def public_facts(f: F, audience: str) -> dict[str, Any]:
    """The facts the reader may see (the organisation gets no age or distance)."""
    if audience == "volunteer":
        return {k: v for k, v in f.items() if k != "volunteer_name"}
    return {k: f[k] for k in _ORG_FACTS}


def _tags(tags: Any, lang: str, kind: str = "") -> str:
    return join((tag_label(t, lang, kind) for t in tags), lang)


def _q(text: str, lang: str) -> str:
    """A title or a name in quotes, on one line."""
    text = one_line(text)
    return f"«{text}»" if lang == "ru" else f'"{text}"'


def _slots(slots: Any, lang: str) -> str:
    return join((slot_label(s, lang) for s in slots), lang)


# -- hard rules --------------------------------------------------------------------------


def _rule_en(rule: str, ok: bool, f: F, vol: bool) -> str:
    you, has = ("you", "you have") if vol else ("they", "they have")
    if rule == "not_open":
        return f"the need is not open (its status is {f['status_value']})"
    if rule == "ended":
        return f"the need ended on {format_date(f['end_date'], 'en')}"
    if rule == "excluded_organisation":
        if vol:
            return (
                "you have not excluded this organisation"
                if ok
                else f"you excluded {one_line(f['organisation'])}"
            )
        return (
            "no personal exclusion of theirs applies"
            if ok
            else "it falls under the volunteer's own exclusions"
        )
    if rule == "excluded_cause":
        if vol:
            return (
                "you have not excluded its causes"
                if ok
                else "you excluded one of its causes"
            )
        return (
            "no excluded cause applies"
            if ok
            else "it falls under the volunteer's own exclusions"
        )
    if rule == "skills":
        if ok:
            return f"{has} the required skills ({_tags(f['required_skills'], 'en', 'skills')})"
        return f"{you} lack the required skills: {_tags(f['missing_skills'], 'en', 'skills')}"
    if rule == "languages":
        if ok:
            return f"{you} speak the required languages ({_tags(f['languages'], 'en', 'languages')})"
        return f"{you} do not speak {_tags(f['missing_languages'], 'en', 'languages')}"
    if rule == "checks":
        if ok:
            return f"{has} the required checks ({_tags(f['checks'], 'en', 'checks')})"
        return f"{you} lack the required checks: {_tags(f['missing_checks'], 'en', 'checks')}"
    if rule == "age_unknown":
        who = "we do not know your birth date" if vol else "their age is unknown"
        return f"the need is for ages {f['min_age']} and over, and {who}"
    if rule == "age":
        if ok:
            return f"{you} meet the minimum age of {f['min_age']}"
        if vol and f["age"] < 0:  # (a birth date after the round's day)
            return (
                f"the need is for ages {f['min_age']} and over, and your birth date comes "
                "after the day of this round"
            )
        if vol:
            return f"the need is for ages {f['min_age']} and over; you are {f['age']}"
        return f"they are under the minimum age of {f['min_age']}"
    if rule == "remote_not_ok":
        return (
            f"it is done remotely and {you} accept remote work"
            if ok
            else (f"it is done remotely and {you} asked for in-person work only")
        )
    if rule == "no_place":
        return "it is in person and the home or the need's place is unknown"
    if rule == "distance":
        if vol:
            d, r = km_apart(f["distance_km"], f["max_distance_km"], "en")
            return (
                f"it is {d} from your home, within your {r}"
                if ok
                else (f"it is {d} from your home, farther than your {r}")
            )
        return (
            "your place is within their travel distance"
            if ok
            else ("your place is farther than they travel")
        )
    # schedule
    cov = count_of(f["covered"], len(f["slots"]), "slot", "en")
    if vol:
        return f"you are free at {cov}, at least {f['required_overlap']} needed"
    return f"they can come at {cov}, at least {f['required_overlap']} needed"


def _rule_ru(rule: str, ok: bool, f: F, vol: bool) -> str:
    if rule == "not_open":
        return f"задача не открыта (статус: {status_label(f['status_value'], 'ru')})"
    if rule == "ended":
        return f"задача завершилась {format_date(f['end_date'], 'ru')}"
    if rule == "excluded_organisation":
        if vol:
            return (
                "вы не исключали эту организацию"
                if ok
                else f"вы исключили организацию {_q(f['organisation'], 'ru')}"
            )
        return (
            "личные исключения волонтёра её не касаются"
            if ok
            else "она попадает под личные исключения волонтёра"
        )
    if rule == "excluded_cause":
        if vol:
            return (
                "вы не исключали её тематику" if ok else "вы исключили одну из её тем"
            )
        return (
            "исключённые темы её не касаются"
            if ok
            else "она попадает под личные исключения волонтёра"
        )
    who = "у вас" if vol else "у волонтёра"
    if rule == "skills":
        if ok:
            return f"{who} есть нужные навыки ({_tags(f['required_skills'], 'ru', 'skills')})"
        return f"{who} нет нужных навыков: {_tags(f['missing_skills'], 'ru', 'skills')}"
    if rule == "languages":
        if ok:
            return f"{who} есть нужные языки ({_tags(f['languages'], 'ru', 'languages')})"
        return f"{who} нет нужных языков: {_tags(f['missing_languages'], 'ru', 'languages')}"
    if rule == "checks":
        if ok:
            return f"{who} есть нужные документы ({_tags(f['checks'], 'ru', 'checks')})"
        return (
            f"{who} нет нужных документов: {_tags(f['missing_checks'], 'ru', 'checks')}"
        )
    limit = count(f["min_age"] or 0, "year", "ru")
    if rule == "age_unknown":
        what = (
            "мы не знаем вашу дату рождения" if vol else "возраст волонтёра неизвестен"
        )
        return f"минимальный возраст — {limit}, а {what}"
    if rule == "age":
        if ok:
            return f"минимальный возраст — {limit}, и {'вы ему соответствуете' if vol else 'волонтёр подходит по возрасту'}"
        if vol and f["age"] < 0:  # (a birth date after the round's day)
            return f"минимальный возраст — {limit}, а ваша дата рождения позже дня подбора"
        if vol:
            return (
                f"минимальный возраст — {limit}, а вам {count(f['age'], 'year', 'ru')}"
            )
        return f"волонтёр младше минимального возраста ({limit})"
    if rule == "remote_not_ok":
        if ok:
            return "задача удалённая, и " + (
                "вы готовы работать удалённо"
                if vol
                else "волонтёру подходит удалённая работа"
            )
        return "задача удалённая, а " + (
            "вы выбрали только очную работу"
            if vol
            else "волонтёру подходит только очная работа"
        )
    if rule == "no_place":
        return "задача очная, а место жительства или место задачи неизвестно"
    if rule == "distance":
        if vol:
            d, r = km_apart(f["distance_km"], f["max_distance_km"], "ru")
            return (
                f"до неё {d} от дома — в пределах ваших {r}"
                if ok
                else (f"до неё {d} от дома — дальше ваших {r}")
            )
        return (
            "ваше место в пределах радиуса поездок, указанного волонтёром"
            if ok
            else "ваше место дальше радиуса поездок, указанного волонтёром"
        )
    cov = count_of(f["covered"], len(f["slots"]), "slot", "ru")
    if vol:
        return f"вы свободны в {cov}, нужно не меньше {f['required_overlap']}"
    return f"волонтёр может прийти в {cov}, нужно не меньше {f['required_overlap']}"


def rule_text(rule: str, ok: bool, f: F, audience: str, lang: str) -> str:
    """One hard rule, passed or failed, as a clause for the reader."""
    vol = audience == "volunteer"
    return _rule_ru(rule, ok, f, vol) if lang == "ru" else _rule_en(rule, ok, f, vol)


# -- whole texts -------------------------------------------------------------------------

_HEAD = {
    ("volunteer", "en"): {
        "proposed": "We suggest {t} with {o}.",
        "alternative": "{t} with {o} is one of the other options offered to you.",
        "placed": "You are placed with {t} at {o}.",
        "declined": "You declined {t} with {o}, so it is not offered to you again.",
        "not_offered": "{t} with {o} fits your conditions but was not offered to you this round.",
        "held_back:policy": "{t} with {o} fits your conditions but is not offered yet: a policy check holds it back.",
        "held_back:closed": "{t} with {o} fits your conditions but is no longer open, so it is not offered.",
        "not_offered:full": "{t} with {o} fits your conditions, but you are already placed as many times as you asked for, so it is not offered to you.",
        "not_acceptable": "{t} with {o} is not open to you:",
    },
    ("volunteer", "ru"): {
        "proposed": "Мы предлагаем вам задачу {t} в организации {o}.",
        "alternative": "Задача {t} в организации {o} — один из других вариантов для вас.",
        "placed": "Вы участвуете в задаче {t} в организации {o}.",
        "declined": "Вы отказались от задачи {t} в организации {o}, поэтому мы её больше не предлагаем.",
        "not_offered": "Задача {t} в организации {o} вам подходит, но в этом раунде не предложена.",
        "held_back:policy": "Задача {t} в организации {o} вам подходит, но пока не предлагается: её задерживает проверка правил.",
        "held_back:closed": "Задача {t} в организации {o} вам подходит, но она больше не открыта и не предлагается.",
        "not_offered:full": "Задача {t} в организации {o} вам подходит, но вы уже участвуете в задачах столько раз, сколько хотели, поэтому её не предлагаем.",
        "not_acceptable": "Задача {t} в организации {o} вам недоступна:",
    },
    ("organisation", "en"): {
        "proposed": "We suggest {v} for {t}.",
        "alternative": "{t} is one of the options offered to {v}.",
        "placed": "{v} is placed with {t}.",
        "declined": "{v} declined {t}; it is not offered to them again.",
        "not_offered": "{v} meets the conditions of {t} but was not offered it this round.",
        "held_back:policy": "{v} meets the conditions of {t}, but a policy check holds the need back, so it is not offered yet.",
        "held_back:closed": "{v} meets the conditions of {t}, but the need is no longer open, so it is not offered.",
        "not_acceptable": "{v} does not meet the conditions of {t}:",
    },
    ("organisation", "ru"): {
        "proposed": "Мы предлагаем для задачи {t} волонтёра {v}.",
        "alternative": "Задача {t} — один из вариантов, предложенных волонтёру {v}.",
        "placed": "Волонтёр {v} участвует в задаче {t}.",
        "declined": "Задача {t} отклонена волонтёром {v}; мы её больше не предлагаем.",
        "not_offered": "Волонтёр {v} подходит для задачи {t}, но в этом раунде её не предложили.",
        "held_back:policy": "Волонтёр {v} подходит для задачи {t}, но задачу задерживает проверка правил, поэтому её пока не предлагают.",
        "held_back:closed": "Волонтёр {v} подходит для задачи {t}, но задача больше не открыта, поэтому её не предлагают.",
        "not_acceptable": "Волонтёр {v} не подходит для задачи {t}:",
    },
}


def _cause_place_time(f: F, lang: str) -> list[str]:
    ru = lang == "ru"
    out = []
    if f["matched_causes"]:
        c = _tags(f["matched_causes"], lang, "causes")
        out.append(
            f"Тематика совпадает с вашими интересами: {c}."
            if ru
            else f"It serves causes you care about: {c}."
        )
    elif f["interests"] and f["causes"]:
        c = _tags(f["causes"], lang, "causes")
        out.append(
            f"Её тематика ({c}) не из ваших интересов."
            if ru
            else f"Its causes ({c}) are not among your interests."
        )
    if f["remote"]:
        out.append("Задача удалённая." if ru else "It is done remotely.")
    elif f["distance_km"] == f["distance_km"]:  # not NaN
        d = km(f["distance_km"], lang)
        out.append(
            f"До неё {d} от вашего дома." if ru else f"It is {d} from your home."
        )
    if not f["slots"]:
        out.append(
            "Фиксированного времени нет — вы выбираете сами."
            if ru
            else "It has no fixed times: you choose when."
        )
    else:
        when = _slots(f["slots"], lang)
        free = (
            _slots(f["free_slots"], lang)
            if f["free_slots"]
            else ("—" if ru else "none")
        )
        out.append(
            f"Время: {when}; вы свободны: {free}."
            if ru
            else f"It takes place on {when}; you are free on: {free}."
        )
    if f["preferred"]:
        out.append(
            f"{_q(f['organisation'], lang)} — одна из выбранных вами организаций."
            if ru
            else f"{one_line(f['organisation'])} is one of your preferred organisations."
        )
    return out


def _skills_checks_coverage(f: F, lang: str) -> list[str]:
    ru = lang == "ru"
    out = []
    if f["desired_skills"]:
        k, m = len(f["has_desired"]), len(f["desired_skills"])
        got = _tags(f["has_desired"], lang, "skills") if k else ("нет" if ru else "none")
        out.append(
            f"Желательные навыки: {count_of(k, m, 'skill', 'ru')} ({got})."
            if ru
            else f"Desired skills: has {count_of(k, m, 'skill', 'en')} ({got})."
        )
    if not f["checks"]:
        out.append(
            "Специальные документы не требуются." if ru else "No checks are required."
        )
    if f["slots"]:
        cov = count_of(f["covered"], len(f["slots"]), "slot", lang)
        free = f" ({_slots(f['free_slots'], lang)})" if f["free_slots"] else ""
        out.append(
            f"Покрытие времени: {cov}{free}."
            if ru
            else f"Coverage: can come at {cov}{free}."
        )
    else:
        out.append(
            "У задачи нет фиксированного времени."
            if ru
            else "The need has no fixed times."
        )
    if f["extra_languages"]:
        n = count(f["extra_languages"], "language", lang)
        out.append(
            f"Дополнительные языки (сверх обязательных): {f['extra_languages']}."
            if ru
            else f"Speaks {n} beyond those required."
        )
    return out


def _score_line(e: Explanation, lang: str) -> str:
    """The score and what made it; neutral components (nothing to compare) apart."""
    ru = lang == "ru"
    assert e.score is not None
    vol = e.audience == "volunteer"
    shown = [
        c
        for c in e.contributions
        if c.points >= 0.005 and (vol or c.side == "need" or c.points >= 0.05)
    ]

    def items(neutral: bool) -> str:
        return ", ".join(
            f"{component_label(c.component, lang)} +{score(c.points, lang)}"
            for c in shown
            if c.neutral is neutral
        )

    made, neutral = items(False), items(True)
    if ru:
        out = f"Оценка соответствия — {score(e.score, 'ru')} из 1."
        out += f" Из чего она сложилась: {made}." if made else ""
        return out + (f" Нейтрально (не с чем сравнить): {neutral}." if neutral else "")
    out = f"Fit score {score(e.score, 'en')} of 1."
    out += f" What made it: {made}." if made else ""
    return out + (f" Neutral (nothing to compare): {neutral}." if neutral else "")


def _rank_ru(rank: int, n: int, whose: str) -> str:
    """``на 2-м месте из 3 ваших вариантов`` (genitive agrees with the total)."""
    words = {
        "your": ("вашего варианта", "ваших вариантов"),
        "candidates": ("подходящего волонтёра", "подходящих волонтёров"),
    }[whose]
    return f"на {rank}-м месте из {n} {ru_verb(n, *words)}"


def _comparison(
    e: Explanation, f: F, titles: Mapping[str, str], lang: str
) -> list[str]:
    ru = lang == "ru"
    out = []
    vol = e.audience == "volunteer"
    # (the volunteer's own options are theirs alone: an organisation gets no rank)
    if vol and e.rank and e.n_options == 1:
        now = bool(f.get("held_options"))  # (others fit but are held back)
        out.append(
            ("Это единственная подходящая вам задача, которую можно предложить сейчас."
             if now else "Это единственная задача, которая вам подходит.")
            if ru
            else ("It is the only need that fits you and can be offered now."
                  if now else "It is the only need that fits you.")
        )  # fmt: skip
    elif vol and e.rank:
        out.append(
            f"По оценке эта задача {_rank_ru(e.rank, e.n_options, 'your')}."
            if ru
            else f"By score it is the {ordinal(e.rank, 'en')} best of your "
            f"{count(e.n_options, 'option', 'en')}."
        )
    if vol and e.other_options:
        items = ", ".join(
            f"{_q(titles[n], lang)} ({score(s, lang)})" for n, s in e.other_options
        )
        out.append(
            f"Другие ваши варианты: {items}." if ru else f"Your other options: {items}."
        )
    if not vol and e.candidate_rank:
        if e.n_candidates == 1:
            out.append(
                "Это единственный волонтёр, который подходит под ваши условия."
                if ru
                else "They are the only volunteer who meets your conditions."
            )
        elif ru:
            out.append(
                f"По оценке этот волонтёр {_rank_ru(e.candidate_rank, e.n_candidates, 'candidates')}."
            )
        else:
            out.append(
                f"Among the {count(e.n_candidates, 'volunteer', 'en')} who meet your conditions, "
                f"they rank {ordinal(e.candidate_rank, 'en')} by score."
            )
    return out


def render(e: Explanation, f: F, titles: Mapping[str, str]) -> str:
    """The whole explanation text (a head line, then one sentence per line)."""
    lang, aud = e.lang, e.audience
    key = e.status
    if key == "held_back":
        key = f"held_back:{f['held_back']}"
    elif key == "not_offered" and aud == "volunteer" and f.get("full"):
        key = "not_offered:full"
    head = _HEAD[(aud, lang)][key].format(
        t=_q(f["title"], lang),
        o=_q(f["organisation"], lang) if lang == "ru" else one_line(f["organisation"]),
        v=one_line(f["volunteer_name"]),
    )
    if head.endswith(".."):  # a name ending in an initial ("Nikita E.") ends the sentence
        head = head[:-1]
    lines = [head]
    if not e.acceptable:
        lines += [f"- {r.text}" for r in e.rules if not r.passed]
        return "\n".join(lines)
    lines += (
        _cause_place_time(f, lang)
        if aud == "volunteer"
        else _skills_checks_coverage(f, lang)
    )
    lines.append(_score_line(e, lang))
    passed = [r.text for r in e.rules if r.passed]
    if passed:
        lead = "Выполнены все условия: " if lang == "ru" else "Every condition is met: "
        lines.append(lead + "; ".join(passed) + ".")
    lines += _comparison(e, f, titles, lang)
    return "\n".join(lines)

"""The words of why-unmatched and why-unfilled diagnostics (en, ru).

``why_unmatched`` speaks to the volunteer; ``why_unfilled`` to the need's organisation.
Counts always carry their noun in the right plural form, and Russian verbs agree with
the number (``подойдёт ещё 1 волонтёр``, ``подойдут ещё 12 волонтёров``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._letters import format_date
from ._models import Need
from ._texts import (
    count,
    genitive,
    km,
    one_line,
    prepositional,
    ru_verb,
    score,
    status_label,
    tag_label,
)

if TYPE_CHECKING:
    from ._diagnostics import Competition, Counterfactual

__all__ = [
    "SHOWN",
    "Listing",
    "competition",
    "counterfactual",
    "listing",
    "need_filled",
    "need_state",
    "need_text",
    "offered",
    "rule_label",
    "volunteer_state",
    "volunteer_text",
]

#: What each rule means when it excludes needs from one volunteer (counted in needs).
_FOR_VOLUNTEER = {
    "en": {
        "excluded_organisation": "organisations you excluded",
        "excluded_cause": "causes you excluded",
        "skills": "a required skill you do not have",
        "languages": "a required language you do not speak",
        "checks": "a required check you do not have",
        "age_unknown": "a minimum age, and we do not know your birth date",
        "age": "a minimum age above yours",
        "remote_not_ok": "remote work, and you asked for in-person work",
        "no_place": "in person, and we do not know your home place",
        "distance": "farther than you travel",
        "schedule": "times when you are not free",
    },
    "ru": {
        "excluded_organisation": "исключённые вами организации",
        "excluded_cause": "исключённые вами темы",
        "skills": "нужен навык, которого у вас нет",
        "languages": "нужен язык, которым вы не владеете",
        "checks": "нужен документ, которого у вас нет",
        "age_unknown": "есть минимальный возраст, а ваша дата рождения неизвестна",
        "age": "минимальный возраст выше вашего",
        "remote_not_ok": "удалённая работа, а вы выбрали очную",
        "no_place": "очная задача, а ваше место жительства неизвестно",
        "distance": "дальше, чем вы готовы ездить",
        "schedule": "время, когда вы заняты",
    },
}
#: What each rule means when it excludes volunteers from one need (counted in volunteers).
_FOR_NEED = {
    "en": {
        "excluded_organisation": "excluded your organisation",
        "excluded_cause": "excluded one of its causes",
        "skills": "lack a required skill",
        "languages": "do not speak a required language",
        "checks": "lack a required check",
        "age_unknown": "gave no birth date (it has a minimum age)",
        "age": "are under its minimum age",
        "remote_not_ok": "do not take remote work",
        "no_place": "gave no home place (it is in person)",
        "distance": "live farther than they travel",
        "schedule": "are not free at its times",
    },
    "ru": {
        "excluded_organisation": "исключили вашу организацию",
        "excluded_cause": "исключили одну из её тем",
        "skills": "нет обязательного навыка",
        "languages": "нет обязательного языка",
        "checks": "нет обязательного документа",
        "age_unknown": "не указали дату рождения (есть минимальный возраст)",
        "age": "младше минимального возраста",
        "remote_not_ok": "не готовы к удалённой работе",
        "no_place": "не указали место жительства (задача очная)",
        "distance": "живут дальше, чем готовы ездить",
        "schedule": "заняты в её время",
    },
}


def _q(text: str, lang: str) -> str:
    """A title or a name in quotes, on one line."""
    text = one_line(text)
    return f"«{text}»" if lang == "ru" else f'"{text}"'


def _rule_lines(
    table: Mapping[str, str], by: Mapping[str, int], noun: str, lang: str
) -> list[str]:
    return [
        f"- {table[r]}: {count(c, noun, lang)}"
        for r, c in sorted(by.items(), key=lambda x: (-x[1], x[0]))
    ]


def _only_line(
    table: Mapping[str, str], only: Mapping[str, int], noun: str, lang: str
) -> str:
    items = "; ".join(
        f"{table[r]} — {count(c, noun, lang)}"
        for r, c in sorted(only.items(), key=lambda x: (-x[1], x[0]))
    )
    lead = (
        "Только одно условие мешает: "
        if lang == "ru"
        else "A single condition stands in the way: "
    )
    return lead + items + "."


def counterfactual(
    change: str, value: Any, more: int, free: int, lang: str, subject: str = "need"
) -> str:
    """One counterfactual as a sentence (``with a 15 km travel radius, 12 more volunteers qualify``)."""
    ru = lang == "ru"
    if subject == "volunteer":
        what = count(more, "need", lang)
        if change == "radius":
            r = km(value, lang)
            return (
                f"если вы будете готовы ездить до {r}, {ru_verb(more, 'подойдёт', 'подойдут')} {what}"
                if ru
                else f"with a travel radius of {r}, {what} would fit you"
            )
        return (
            f"если вы согласитесь на удалённую работу, {ru_verb(more, 'подойдёт', 'подойдут')} {what}"
            if ru
            else f"if you accepted remote work, {what} would fit you"
        )
    return _need_counterfactual(change, value, more, free, lang)


def _condition(change: str, value: Any, lang: str) -> str:
    """The relaxed condition, as the opening of a sentence."""
    if lang == "ru":
        if change == "radius":
            return f"если волонтёры будут готовы ездить хотя бы до {km(float(value), 'ru')},"
        if change == "drop_min_age":
            return f"без ограничения по возрасту ({count(int(value), 'year', 'ru')})"
        if change in ("drop_check", "drop_skill", "drop_language"):
            what = {
                "drop_check": "требования",
                "drop_skill": "обязательного навыка",
                "drop_language": "обязательного языка",
            }[change]
            return f"без {what} «{tag_label(str(value), 'ru', change[5:] + 's')}»"
        return {
            "no_fixed_times": "без фиксированного времени",
            "remote": "если задачу можно выполнять удалённо,",
        }[change]
    if change == "radius":
        return f"with a travel radius of at least {km(float(value), 'en')},"
    if change == "drop_min_age":
        return f"without the minimum age ({value}),"
    if change in ("drop_check", "drop_skill", "drop_language"):
        what = {
            "drop_check": "the check",
            "drop_skill": "the required skill",
            "drop_language": "the required language",
        }[change]
        return f'without {what} "{tag_label(str(value), "en", change[5:] + "s")}",'
    return {
        "no_fixed_times": "without fixed times,",
        "remote": "if it could be done remotely,",
    }[change]


def _need_counterfactual(
    change: str, value: Any, more: int, free: int, lang: str
) -> str:
    cond = _condition(change, value, lang)
    if lang == "ru":
        tail = f" (у {free} из них нет предложений в этом раунде)" if free else ""
        return f"{cond} {ru_verb(more, 'подойдёт', 'подойдут')} ещё {count(more, 'volunteer', 'ru')}{tail}"
    more_who = f"{more} more {'volunteer' if more == 1 else 'volunteers'}"
    verb = "qualifies" if more == 1 else "qualify"
    tail = (
        f" ({free} of them {'has' if free == 1 else 'have'} no offer this round)"
        if free
        else ""
    )
    return f"{cond} {more_who} {verb}{tail}"


#: Scores closer than this are equal for the round's plan (the flow method compares
#: weights to about 1e-6): such a margin is told as a tie.
TIE = 5e-7


def _apart(yours: float, weakest: float, lang: str) -> tuple[str, str, str]:
    """The two scores and their gap, with as many decimals (2 to 6) as it takes for the
    scores to differ and the gap not to read 0: ``0.664``, ``0.668``, ``0.004``."""
    for digits in range(2, 7):
        y, w, gap = (f"{x:.{digits}f}" for x in (yours, weakest, abs(yours - weakest)))
        if y != w and gap.strip("0.") != "":
            break
    if lang == "ru":
        return y.replace(".", ","), w.replace(".", ","), gap.replace(".", ",")
    return y, w, gap


def competition(
    title: str,
    yours: float,
    weakest: float | None,
    margin: float | None,
    full: bool,
    stable: bool,
    lang: str,
) -> str:
    """One need that went to others, with the margin (or: its places were already taken)."""
    ru = lang == "ru"
    t = _q(title, lang)
    if full:
        return (
            f"{t}: все места уже заняты — принятыми ранее предложениями или "
            "предложениями прошлых раундов, ждущими ответа"
            if ru
            else f"{t}: every place was already taken by accepted placements or by "
            "offers from earlier rounds awaiting an answer"
        )
    if (weakest is None or margin is None) and yours <= 0 and not stable:
        return (
            f"{t}: место ещё свободно, но ваша оценка — 0, а план раунда предлагает только "
            "пары, которые что-то добавляют к общей оценке"
            if ru
            else f"{t}: a place is still free, but your score is 0, and the round's plan "
            "proposes only pairs that add to its total"
        )
    if weakest is None or margin is None:
        return (
            f"{t}: место ещё свободно, но в этом раунде его вам не предложили"
            if ru
            else f"{t}: a place is still free, but it was not offered to you this round"
        )
    tie = abs(margin) < TIE
    y, w, gap = (
        (score(yours, lang), score(weakest, lang), "")
        if tie
        else _apart(yours, weakest, lang)
    )
    if stable:
        # (the need's rating of each volunteer, need_utility, which it ranks them by; not
        # the fit score an explanation gives)
        if margin < 0 and not tie:
            return (
                f"{t}: задача оценивает вас в {y}, а получивших место — от {w} (на {gap} выше)"
                if ru
                else f"{t}: the need rates you {y} and those who got it from {w} "
                f"({gap} higher)"
            )
        return (
            f"{t}: задача оценивает вас в {y}, не ниже, чем получивших место (от {w}), "
            "но места достались им по плану раунда"
            if ru
            else f"{t}: the need rates you {y}, no lower than those who got it (from {w}), "
            "but the round's plan gave the places to them"
        )
    if tie:
        return (
            f"{t}: ваша оценка {y} равна самой низкой у получивших место; при равенстве "
            "общий план раунда отдал место им"
            if ru
            else f"{t}: your score {y} ties with the lowest of those who got it; the plan "
            "for the whole round gave the place to them"
        )
    if margin < 0:
        return (
            f"{t}: ваша оценка {y}, у получивших место — от {w} (на {gap} выше)"
            if ru
            else f"{t}: your score {y}; those who got it scored from {w} ({gap} higher)"
        )
    return (
        f"{t}: ваша оценка {y} выше самой низкой у получивших место ({w}); места достались "
        "другим по общему плану раунда, который максимизирует суммарную оценку и сохраняет "
        "прежние участия и предложения, ждущие ответа"
        if ru
        else f"{t}: your score {y} is above the lowest of those who got it ({w}); the "
        "places went to others in the plan for the whole round, which maximises the total "
        "score and keeps earlier placements and offers awaiting an answer"
    )


def offered(groups: Sequence[tuple[str, Sequence[str]]], lang: str) -> str:
    """The volunteer's offers: each proposal's title and the alternatives they may take
    instead (``groups`` holds ``(title, alternative titles)`` per proposal)."""
    ru = lang == "ru"
    word = " или " if ru else " or "
    items = []
    for title, alts in groups:
        item = _q(title, lang)
        if alts:
            others = word.join(_q(a, lang) for a in alts)
            item += f" (или вместо неё {others})" if ru else f" (or instead {others})"
        items.append(item)
    listed = "; ".join(items)
    k = len(groups)
    if ru:
        if k == 1:
            return f"В этом раунде у вас есть предложение: {listed}."
        return f"В этом раунде у вас {count(k, 'offer', 'ru')}: {listed}."
    if k == 1:
        return f"You have an offer this round: {listed}."
    return f"You have {count(k, 'offer', 'en')} this round: {listed}."


def volunteer_state(code: str, details: Mapping[str, Any], lang: str) -> str:
    """One sentence for a volunteer placed as often as they asked, or out of offers."""
    ru = lang == "ru"
    if code == "placed":
        n = int(details.get("placements", 0))
        return (
            f"Вы уже участвуете в задачах столько раз, сколько хотели ({n})."
            if ru
            else f"You are already placed as many times as you asked for ({n})."
        )
    n = int(details.get("open_offers", 0))
    if details.get("weekly_limit"):
        week = int(details["weekly_limit"])
        return (
            f"За последние 7 дней вы уже получили столько предложений, сколько допускает "
            f"недельный лимит ({week}); новые придут, когда с тех пор пройдёт неделя."
            if ru
            else f"You have had as many offers in the past 7 days as the weekly limit allows "
            f"({week}); new offers come once a week has passed since them."
        )
    k = count(n, "offer", lang)
    if ru:
        # (21 предложение, которое ждёт)
        which, waits = ru_verb(n, "которое", "которые"), ru_verb(n, "ждёт", "ждут")
        it = "него" if n == 1 else "них"
        return (
            f"У вас есть {k}, {which} {waits} ответа; новые придут, когда вы на {it} ответите."
        )
    return (
        f"You have {k} waiting for your answer; new offers come once you answer "
        f"{'it' if n == 1 else 'them'}."
    )


def _settled(placed: int, declined: int, lang: str) -> str:
    """Where the volunteer already stands: their placements and the needs they declined."""
    if lang == "ru":
        parts = []
        if placed:
            parts.append(f"уже участвуете в {prepositional(placed, 'need')}")
        if declined:
            which = "её" if declined == 1 else "их"
            parts.append(
                f"отказались от {genitive(declined, 'need')} — {which} мы больше не предлагаем"
            )
        return ("Вы " + " и ".join(parts) + ".") if parts else ""
    parts = []
    if placed:
        parts.append(f"are placed in {count(placed, 'need', 'en')}")
    if declined:
        which = "it is" if declined == 1 else "they are"
        parts.append(
            f"declined {count(declined, 'need', 'en')}, so {which} not offered again"
        )
    return ("You " + " and ".join(parts) + ".") if parts else ""


def _none_fits(n_open: int, other: bool, lang: str) -> str:
    """``This round none of the 4 open needs fits all the conditions.``"""
    if lang == "ru":
        if n_open == 0:
            return f"В этом раунде нет {'других ' if other else ''}открытых задач."
        if n_open == 1:
            return (
                f"Единственная {'другая ' if other else ''}открытая задача этого раунда "
                "не подходит под все условия."
            )
        words = (
            ("другой открытой задачи", "других открытых задач")
            if other
            else ("открытой задачи", "открытых задач")
        )
        return (
            f"В этом раунде ни одна из {n_open} {ru_verb(n_open, *words)} "
            "не подходит под все условия."
        )
    if n_open == 0:
        return f"There is no {'other ' if other else ''}open need this round."
    if n_open == 1:
        return (
            f"The only {'other ' if other else ''}open need this round does not fit all "
            "the conditions."
        )
    return (
        f"This round none of the {'other ' if other else ''}{n_open} open "
        f"{'need' if n_open == 1 else 'needs'} fits all the conditions."
    )


#: How many of a volunteer's needs that went to others their text lists, best first.
SHOWN = 5


@dataclass(frozen=True)
class Listing:
    """What a volunteer's text says of the acceptable needs that went to others.

    ``count`` needs; ``taken``: every one's places were taken before the round;
    ``held``: every one is full or has others holding its places; ``lines``: the
    competition texts of the first :data:`SHOWN` (best first).
    """

    count: int
    taken: bool
    held: bool
    lines: tuple[str, ...]


def listing(comp: Sequence[Competition]) -> Listing:
    """The :class:`Listing` of a volunteer's competition, best first."""
    return Listing(
        len(comp),
        all(c.full for c in comp),
        all(c.full or c.weakest_score is not None for c in comp),
        tuple(c.text for c in comp[:SHOWN]),
    )


def _went_to_others(k: int, other: bool, comp: Listing, lang: str) -> str:
    """``2 needs fit you, but this round their places went to others:``

    Said only when every need listed went to others; when every place was taken before
    the round, or when some need has nobody holding its places (a place stays free),
    the line says so instead."""
    listed = comp.count > 0 and comp.count == k
    taken = listed and comp.taken
    lost = listed and comp.held
    if lang == "ru":
        it = "ней" if k == 1 else "них"
        if taken:
            tail = f"все места в {it} уже заняты:"
        elif lost:
            tail = f"в этом раунде места в {it} достались другим:"
        else:
            tail = (
                "в этом раунде она вам не предложена:"
                if k == 1
                else "в этом раунде они вам не предложены:"
            )
        more = "ещё " if other else ""
        return f"Вам {ru_verb(k, 'подходит', 'подходят')} {more}{count(k, 'need', 'ru')}, но {tail}"
    what = f"{k} more {'need' if k == 1 else 'needs'}" if other else count(k, "need", "en")
    verb = "fits" if k == 1 else "fit"
    its = "it" if k == 1 else "them"
    if taken:
        tail = f"every place in {its} was already taken:"
    elif lost:
        tail = f"this round {'its' if k == 1 else 'their'} places went to others:"
    else:
        tail = f"this round {'it was' if k == 1 else 'they were'} not offered to you:"
    return f"{what} {verb} you, but {tail}"


def volunteer_text(
    code: str,
    n_open: int,
    by: Mapping[str, int],
    only: Mapping[str, int],
    cfs: Sequence[Counterfactual],
    comp: Sequence[Competition] | Listing,
    details: Mapping[str, Any],
    lang: str,
) -> str:
    """Why a volunteer has no offer: where they stand, then what fits or what excludes.

    ``comp`` is the volunteer's competition, best first, or its :class:`Listing`."""
    ru = lang == "ru"
    if not isinstance(comp, Listing):
        comp = listing(comp)
    table = _FOR_VOLUNTEER[lang]
    settled = _settled(
        int(details.get("placements", 0)), int(details.get("declined", 0)), lang
    )
    lines = [settled] if settled else []
    held = int(details.get("held_back_by_policy", 0))
    # (No open need to offer, but some held back: "there is no open need" would deny
    # the needs the next line names.)
    only_held = code != "outcompeted" and n_open == 0 and held > 0
    if code == "outcompeted":
        k = int(details.get("acceptable_needs", 0))
        lines.append(_went_to_others(k, bool(settled), comp, lang))
        lines += [f"- {line}" for line in comp.lines]
        if comp.count > SHOWN:
            more = count(comp.count - SHOWN, "need", lang)
            extra = comp.count - SHOWN
            lines.append(
                f"- и ещё {more}"
                if ru
                else f"- and {extra} more {'need' if extra == 1 else 'needs'}"
            )
    else:
        if not only_held:
            lines.append(_none_fits(n_open, bool(settled), lang))
        if by:
            lines.append(
                ("Что исключило задачу:" if n_open == 1 else "Что исключило задачи:")
                if ru
                else ("What excluded it:" if n_open == 1 else "What excluded them:")
            )
            lines += _rule_lines(table, by, "need", lang)
        if only:
            lines.append(_only_line(table, only, "need", lang))
        if cfs:
            lead = "Что бы это изменило: " if ru else "What would change it: "
            lines.append(lead + "; ".join(c.text for c in cfs) + ".")
    if held:
        h = count(held, "need", lang)
        which, fits, waits, offered = (
            ru_verb(held, one, many)
            for one, many in (
                ("которая", "которые"),
                ("подходит", "подходят"),
                ("ждёт", "ждут"),
                ("предлагается", "предлагаются"),
            )
        )
        more = "" if only_held else " more"
        lines.append(
            f"{'' if only_held else 'Ещё '}{h}, {which} вам {fits}, {waits} проверки правил "
            f"и пока не {offered}."
            if ru
            else f"{held}{more} {'need that fits you is' if held == 1 else 'needs that fit you are'} "
            "held back by a policy check and not offered yet."
        )
    return "\n".join(lines)


def need_filled(n: Need, lang: str) -> str:
    c = count(n.capacity, "place", lang)
    t = _q(n.title, lang)
    return (
        f"Все места задачи {t} ({c}) заняты или предложены."
        if lang == "ru"
        else f"Every place of {t} ({c}) is taken or offered."
    )


def need_state(code: str, n: Need, policy: str, lang: str, vetter: str = "") -> str:
    ru = lang == "ru"
    t = _q(n.title, lang)
    if code == "not_open":
        status = n.status.value
        if status == "closed":
            return f"Задача {t} закрыта." if ru else f"{t} is closed."
        todo = {
            "idea": (
                "её должна проверить организация с нужной экспертизой, затем её нужно открыть",
                "an organisation with the expertise must vet it, then it must be opened",
            ),
            "vetted": (
                "она проверена, осталось её открыть",
                "it is vetted and only needs opening",
            ),
        }.get(status, ("её нужно проверить и открыть", "it must be vetted and opened"))
        return (
            f"Задача {t} ещё не открыта (статус: {status_label(status, 'ru')}): {todo[0]}, прежде чем просить "
            "волонтёров о помощи."
            if ru
            else f"{t} is not open yet (status: {status}): {todo[1]} before volunteers are asked."
        )
    if code == "ended":
        end = n.end_date
        when = format_date(end, lang) if end is not None else "?"
        return (
            f"Задача {t} завершилась {when}; продлите дату окончания, чтобы снова искать волонтёров."
            if ru
            else f"{t} ended on {when}; extend its end date to match it again."
        )
    if ru:
        return f"Проверка правил не пропускает задачу {t}: {_policy_ru(policy, vetter)}."
    return f"A policy check keeps {t} from matching: {policy}"


#: What each policy check that holds a need back found and what to do, in Russian.
_POLICY_RU = {
    "money-without-account-route": (
        "задача связана с деньгами, но не сказано, как они попадают на счёт организации; "
        "деньги должны идти на собственный счёт организации, а не на счёт волонтёра"
    ),
    "money-route-looks-personal": (
        "указанный для денег счёт похож на личный; укажите собственный счёт организации "
        "или её страницу оплаты"
    ),
    "asks-donation": (
        "задача просит волонтёров жертвовать деньги, а волонтёры дарят своё время; "
        "уберите просьбу о пожертвованиях или оформите её как сбор средств организации"
    ),
    "minors-without-background-check": (
        "задача связана с работой с несовершеннолетними, но не требует справки об "
        "отсутствии судимости; добавьте её в обязательные документы"
    ),
    "background-check-below-age": (
        "задача требует справки об отсутствии судимости, но открыта и для тех, кому её "
        "ещё не выдают; поднимите минимальный возраст или скажите, как проверяют младших"
    ),
    "night-work-open-to-minors": (
        "в задаче есть ночная работа (с 22:00 до 06:00), но она открыта для "
        "несовершеннолетних; поднимите минимальный возраст до 18 лет"
    ),
    "min-age-below-floor": (
        "минимальный возраст задачи ниже возраста, с которого можно участвовать без "
        "родителей; подтвердите это или поднимите минимальный возраст"
    ),
    "not-vetted": (
        "задача открыта, но её никто не проверил; пусть её проверит организация с нужной "
        "экспертизой"
    ),
    "vetter-lacks-expertise": (
        "задачу проверила организация {vetter}, но её экспертиза не покрывает эту задачу; "
        "пусть её проверит организация с нужной экспертизой"
    ),
    "unregistered-not-vetted-by-registered": (
        "организация задачи не зарегистрирована, и проверившая её организация тоже; "
        "пусть задачу проверит зарегистрированная организация"
    ),
    "no-possible-vetter": (
        "ни одна организация не может проверить эту задачу; добавьте волонтёрский центр "
        "или организацию с экспертизой по её темам"
    ),
}


def _policy_ru(policy: str, vetter: str) -> str:
    """The findings of ``policy`` (``"policy <code>: <message>; ..."``, as ``match``
    records them) in Russian, one clause per check that holds the need back."""
    codes = list(dict.fromkeys(re.findall(r"policy ([a-z][a-z-]*):", policy)))
    parts = [
        _POLICY_RU[c].format(vetter=_q(vetter, "ru"))
        if c in _POLICY_RU
        else f"проверка «{c}» не пройдена"
        for c in codes
    ]
    return "; ".join(parts) if parts else "проверка не пройдена"


def need_text(
    code: str,
    n: Need,
    free: int,
    n_vol: int,
    by: Mapping[str, int],
    only: Mapping[str, int],
    cfs: Sequence[Counterfactual],
    details: Mapping[str, Any],
    lang: str,
) -> str:
    ru = lang == "ru"
    t = _q(n.title, lang)
    places = count(free, "place", lang)
    lines = []
    stay = "" if ru else f"{places} {'stays' if free == 1 else 'stay'} free"
    if code == "no_acceptable_volunteer" and n_vol == 0:
        lines.append(
            f"В этом раунде нет волонтёров; свободно {places}."
            if ru
            else f"There are no volunteers this round; {stay}."
        )
    elif code == "no_acceptable_volunteer" and n_vol == 1:
        lines.append(
            f"Единственный волонтёр не подходит под все условия задачи {t}; свободно {places}."
            if ru
            else f"The only volunteer does not meet all the conditions of {t}; {stay}."
        )
    elif code == "no_acceptable_volunteer":
        lines.append(
            f"Ни один из {genitive(n_vol, 'volunteer')} не подходит под все условия задачи {t}; "
            f"свободно {places}."
            if ru
            else f"None of the {count(n_vol, 'volunteer', 'en')} meets all the conditions of {t}; "
            f"{stay}."
        )
    else:
        k = int(details.get("acceptable", 0))
        who = count(k, "volunteer", lang)
        lines.append(
            f"Условиям задачи {t} {ru_verb(k, 'подходит', 'подходят')} {who}, но свободно {places}:"
            if ru
            else f"{who} {'meets' if k == 1 else 'meet'} the conditions of {t}, "
            f"but {stay}:"
        )
        parts = [
            (
                "holding",
                "уже участвуют или получили предложение",
                "hold a place or an offer for it",
            ),
            (
                "fully_placed",
                "уже заняты столько раз, сколько хотели",
                "are placed as often as they asked",
            ),
            (
                "alternative",
                "получили её как запасной вариант к другому предложению",
                "have it as an alternative to another offer",
            ),
            (
                "offered_elsewhere",
                "получили предложения в другие задачи",
                "have offers for other needs",
            ),
            ("declined", "отказались от неё", "declined it"),
            (
                "without_offer",
                "без предложений (лимит предложений или план раунда)",
                "have no offer (offer limits or the round's plan)",
            ),
            (
                "not_scored",
                "не вошли в число лучших вариантов, которые этот раунд оставил каждому волонтёру",
                "were not among the volunteer's best options (top_k)",
            ),
        ]
        for key, ru_text, en_text in parts:
            c = int(details.get(key, 0))
            if c:
                lines.append(
                    f"- {ru_text if ru else en_text}: {count(c, 'volunteer', lang)}"
                )
    if by:
        none = code == "no_acceptable_volunteer"
        one = none and n_vol == 1  # (the only volunteer)
        lines.append(
            ("Почему не подходит:" if one else "Почему они не подходят:" if none
             else "Почему остальные не подходят:")
            if ru
            else ("Why not:" if one else "Why they do not qualify:" if none
                  else "Why the others do not qualify:")
        )
        lines += _rule_lines(_FOR_NEED[lang], by, "volunteer", lang)
    if only:
        lines.append(_only_line(_FOR_NEED[lang], only, "volunteer", lang))
    if cfs:
        lines.append("Что бы это изменило:" if ru else "What would change it:")
        lines += [f"- {c.text}" for c in cfs]
    return "\n".join(lines)


def rule_label(rule: str, subject: str, lang: str) -> str:
    """A rule's short label: for a need (what excluded volunteers) or a volunteer (needs)."""
    table = _FOR_NEED if subject == "need" else _FOR_VOLUNTEER
    return table[lang][rule]

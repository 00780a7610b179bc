"""Phrase tables and number formatting for explanations and diagnostics (en, ru).

Everything a reader sees is assembled here from small phrases: numbers with the right
plural form (Russian has three: ``1 волонтёр``, ``3 волонтёра``, ``5 волонтёров``; and
``11``-``14`` take the third), verbs that agree with the number (``подходит 1``,
``подходят 3``), distances with the local decimal mark (``1.5 km``, ``1,5 км``), weekly
slots (``Saturday morning``, ``в субботу утром``) and tags (a few known ones are
translated; others are shown as given, in quotes). Titles and names go into one-line
texts through :func:`one_line`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from ._exceptions import check_choice

__all__ = [
    "AUDIENCES",
    "LANGS",
    "check_lang",
    "component_label",
    "count",
    "count_of",
    "genitive",
    "join",
    "km",
    "km_apart",
    "one_line",
    "ordinal",
    "plural",
    "prepositional",
    "ru_verb",
    "score",
    "slot_label",
    "status_label",
    "tag_label",
]

LANGS: tuple[str, ...] = ("en", "ru")
AUDIENCES: tuple[str, ...] = ("volunteer", "organisation")

#: Noun forms: en (one, many); ru (one, few, many) for 1 / 2-4 / 5-20 and 0.
_NOUNS: dict[str, dict[str, tuple[str, ...]]] = {
    "volunteer": {
        "en": ("volunteer", "volunteers"),
        "ru": ("волонтёр", "волонтёра", "волонтёров"),
    },
    "need": {"en": ("need", "needs"), "ru": ("задача", "задачи", "задач")},
    "place": {"en": ("place", "places"), "ru": ("место", "места", "мест")},
    "slot": {"en": ("weekly time", "weekly times"), "ru": ("смена", "смены", "смен")},
    "option": {"en": ("option", "options"), "ru": ("вариант", "варианта", "вариантов")},
    "offer": {
        "en": ("offer", "offers"),
        "ru": ("предложение", "предложения", "предложений"),
    },
    "km": {"en": ("km", "km"), "ru": ("км", "км", "км")},
    "language": {"en": ("language", "languages"), "ru": ("язык", "языка", "языков")},
    "skill": {"en": ("skill", "skills"), "ru": ("навык", "навыка", "навыков")},
    "year": {"en": ("year", "years"), "ru": ("год", "года", "лет")},
    "day": {"en": ("day", "days"), "ru": ("день", "дня", "дней")},
    "organisation": {
        "en": ("organisation", "organisations"),
        "ru": ("организация", "организации", "организаций"),
    },
}

#: Russian genitive after "из" (one of ...): singular after 1, 21, ...; plural otherwise.
_GENITIVE_RU: dict[str, tuple[str, str]] = {
    "volunteer": ("волонтёра", "волонтёров"),
    "need": ("задачи", "задач"),
    "place": ("места", "мест"),
    "slot": ("смены", "смен"),
    "option": ("варианта", "вариантов"),
    "skill": ("навыка", "навыков"),
    "language": ("языка", "языков"),
}

#: Russian prepositional after "в" (in ...): singular after 1, 21, ...; plural otherwise.
_PREPOSITIONAL_RU: dict[str, tuple[str, str]] = {
    "need": ("задаче", "задачах"),
}

_DAYS = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "ru": ("в понедельник", "во вторник", "в среду", "в четверг", "в пятницу", "в субботу",
           "в воскресенье"),
}  # fmt: skip
_DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_PARTS = {
    "en": {"morning": "morning", "afternoon": "afternoon", "evening": "evening"},
    "ru": {"morning": "утром", "afternoon": "днём", "evening": "вечером"},
}

#: Known tags per kind, translated (others are shown as given). A tag means different
#: things in different kinds: ``it`` is Italian among languages and IT among skills,
#: ``medical`` a medical certificate among checks and medicine among skills.
_KNOWN: dict[str, dict[str, dict[str, str]]] = {
    "causes": {
        "ru": {
            "children": "дети",
            "elderly": "пожилые люди",
            "animals": "животные",
            "environment": "экология",
            "health": "здоровье",
            "education": "образование",
            "culture": "культура",
            "sport": "спорт",
            "disaster_relief": "помощь при бедствиях",
            "homeless": "бездомные",
            "disability": "люди с инвалидностью",
            "veterans": "ветераны",
            "strengthening_communities": "местные сообщества",
            "helping_neighbors_in_need": "помощь соседям в беде",
            "emergency_preparedness": "готовность к чрезвычайным ситуациям",
        },
        "en": {},
    },
    "skills": {
        "ru": {
            "driving_licence": "водительские права",
            "first_aid": "первая помощь",
            "teaching": "преподавание",
            "cooking": "кулинария",
            "it": "информационные технологии",
            "legal": "юридические знания",
            "medical": "медицина",
            "photography": "фотография",
            "psychology": "психология",
            "sign_language": "жестовый язык",
            "social_media": "социальные сети",
            "translation": "перевод",
        },
        "en": {
            "it": "IT",
            "legal": "legal knowledge",
            "medical": "medicine",
        },
    },
    "languages": {
        "ru": {
            "ru": "русский", "tt": "татарский", "en": "английский", "de": "немецкий",
            "fr": "французский", "tr": "турецкий", "uz": "узбекский", "zh": "китайский",
            "ar": "арабский", "es": "испанский", "it": "итальянский", "pt": "португальский",
            "uk": "украинский", "be": "белорусский", "kk": "казахский", "ky": "киргизский",
            "tg": "таджикский", "az": "азербайджанский", "hy": "армянский",
            "ka": "грузинский", "ba": "башкирский", "cv": "чувашский", "pl": "польский",
            "ja": "японский", "ko": "корейский", "hi": "хинди", "fa": "персидский",
            "he": "иврит", "yi": "идиш", "fi": "финский", "sv": "шведский",
            "ht": "гаитянский креольский", "bn": "бенгальский", "ur": "урду",
        },
        "en": {
            "ru": "Russian", "tt": "Tatar", "en": "English", "de": "German",
            "fr": "French", "tr": "Turkish", "uz": "Uzbek", "zh": "Chinese",
            "ar": "Arabic", "es": "Spanish", "it": "Italian", "pt": "Portuguese",
            "uk": "Ukrainian", "be": "Belarusian", "kk": "Kazakh", "ky": "Kyrgyz",
            "tg": "Tajik", "az": "Azerbaijani", "hy": "Armenian", "ka": "Georgian",
            "ba": "Bashkir", "cv": "Chuvash", "pl": "Polish", "ja": "Japanese",
            "ko": "Korean", "hi": "Hindi", "fa": "Persian", "he": "Hebrew",
            "yi": "Yiddish", "fi": "Finnish", "sv": "Swedish", "ht": "Haitian Creole",
            "bn": "Bengali", "ur": "Urdu",
        },
    },
    "checks": {
        "ru": {
            "background": "справка об отсутствии судимости",
            "medical": "медицинская книжка",
        },
        "en": {"background": "background check", "medical": "medical certificate"},
    },
}  # fmt: skip

_COMPONENTS = {
    "en": {
        "interest": "interests and causes",
        "distance": "closeness",
        "schedule": "times that fit",
        "preferred": "preferred organisation",
        "skills": "desired skills",
        "coverage": "share of the need's times covered",
        "language": "languages beyond those required",
        "own_preferences": "the volunteer's own preferences (causes, closeness, organisations)",
    },
    "ru": {
        "interest": "интересы и тематика",
        "distance": "близость",
        "schedule": "совпадение расписания",
        "preferred": "предпочитаемая организация",
        "skills": "желательные навыки",
        "coverage": "доля покрытого времени",
        "language": "языки сверх обязательных",
        "own_preferences": "собственные предпочтения волонтёра (тематика, близость, организации)",
    },
}

_ORDINALS_EN = {1: "st", 2: "nd", 3: "rd"}

#: Control characters (C0, DEL, C1: line breaks, tabs and the like) and the Unicode line and
#: paragraph separators.
_CONTROL = "\x00-\x1f\x7f-\x9f\u2028\u2029"
#: A run of white space and control characters that holds at least one control character.
_BREAK_RUN = re.compile(f"[\\s{_CONTROL}]*[{_CONTROL}][\\s{_CONTROL}]*")


def one_line(text: str) -> str:
    """``text`` on one line, to quote a title or a name in a sentence.

    Each run of white space that holds a line break, a tab or another control character
    becomes one space (none at either end): data pasted from a spreadsheet may hold them.
    Any other text, plain spaces included, is kept as written.

    Examples
    --------
    >>> one_line("Walk\\r\\n dogs\\tin the\\npark"), one_line("Two  spaces stay")
    ('Walk dogs in the park', 'Two  spaces stay')
    >>> one_line("Sort donations\\n"), one_line("Сбор\\u2028вещей")
    ('Sort donations', 'Сбор вещей')
    """
    end = len(text)
    return _BREAK_RUN.sub(lambda m: "" if m.start() == 0 or m.end() == end else " ", text)


def check_lang(lang: str, caller: str) -> str:
    """``lang`` if it is one of :data:`LANGS`, else an error naming the caller."""
    check_choice("lang", lang, LANGS, caller=caller)
    return lang


def plural(n: int, forms: Sequence[str], lang: str) -> str:
    """The form of a noun that goes with the number ``n``.

    Examples
    --------
    >>> [plural(n, ("волонтёр", "волонтёра", "волонтёров"), "ru") for n in (1, 2, 5, 11, 21, 112)]
    ['волонтёр', 'волонтёра', 'волонтёров', 'волонтёров', 'волонтёр', 'волонтёров']
    >>> plural(1, ("need", "needs"), "en"), plural(0, ("need", "needs"), "en")
    ('need', 'needs')
    """
    n = abs(int(n))
    if lang == "ru":
        if 11 <= n % 100 <= 14:
            return forms[2]
        if n % 10 == 1:
            return forms[0]
        if 2 <= n % 10 <= 4:
            return forms[1]
        return forms[2]
    return forms[0] if n == 1 else forms[1]


def count(n: int, noun: str, lang: str) -> str:
    """``n`` with its noun: ``12 volunteers``, ``1 need``, ``22 волонтёра``.

    Examples
    --------
    >>> count(22, "volunteer", "ru"), count(1, "need", "en"), count(14, "place", "ru")
    ('22 волонтёра', '1 need', '14 мест')
    """
    return f"{int(n)} {plural(n, _NOUNS[noun][lang], lang)}"


def count_of(k: int, m: int, noun: str, lang: str) -> str:
    """``k of m nouns``: ``1 of 2 weekly times``, ``1 из 21 смены``, ``2 из 5 смен``.

    Examples
    --------
    >>> count_of(1, 2, "slot", "en"), count_of(1, 21, "slot", "ru"), count_of(2, 5, "slot", "ru")
    ('1 of 2 weekly times', '1 из 21 смены', '2 из 5 смен')
    """
    if lang == "ru":
        return f"{int(k)} из {genitive(m, noun)}"
    return f"{int(k)} of {count(m, noun, lang)}"


def genitive(m: int, noun: str) -> str:
    """Russian number and noun after "из" / "ни один из": ``21 волонтёра``, ``500 волонтёров``.

    Examples
    --------
    >>> genitive(21, "volunteer"), genitive(500, "volunteer"), genitive(11, "need")
    ('21 волонтёра', '500 волонтёров', '11 задач')
    """
    sg, pl = _GENITIVE_RU[noun]
    return f"{int(m)} {ru_verb(m, sg, pl)}"


def prepositional(m: int, noun: str) -> str:
    """Russian number and noun after "в": ``в 1 задаче``, ``в 3 задачах``, ``в 21 задаче``.

    Examples
    --------
    >>> [prepositional(n, "need") for n in (1, 3, 11, 21)]
    ['1 задаче', '3 задачах', '11 задачах', '21 задаче']
    """
    sg, pl = _PREPOSITIONAL_RU[noun]
    return f"{int(m)} {ru_verb(m, sg, pl)}"


def ru_verb(n: int, singular: str, plural_form: str) -> str:
    """The Russian form agreeing with a numeral, singular for 1, 21, 31 ... (not 11): a
    verb with it as subject (``1 подходит``, ``3 подходят``), or a phrase in the
    genitive after it (``из 21 варианта``, ``из 3 вариантов``).

    Examples
    --------
    >>> [ru_verb(n, "подходит", "подходят") for n in (1, 3, 11, 21)]
    ['подходит', 'подходят', 'подходят', 'подходит']
    """
    n = abs(int(n))
    return singular if n % 10 == 1 and n % 100 != 11 else plural_form


def km(x: float, lang: str, digits: int | None = None) -> str:
    """A distance as people write it: ``1.3 km``, ``1,3 км`` (whole numbers without a decimal).

    ``digits`` asks for more decimals (trailing zeros are still dropped).

    Examples
    --------
    >>> km(1.26, "en"), km(15.0, "ru"), km(0.04, "ru"), km(10.04, "en", 2)
    ('1.3 km', '15 км', '0,04 км', '10.04 km')
    """
    if digits is None:
        digits = 2 if abs(x) < 0.1 else 1
    text = f"{x:.{digits}f}".rstrip("0").rstrip(".")
    if lang == "ru":
        return text.replace(".", ",") + " км"
    return text + " km"


def km_apart(x: float, limit: float, lang: str) -> tuple[str, str]:
    """A distance and a limit, with as many decimals as it takes to tell them apart when
    they differ: ``10.04 km`` and ``10 km``, not ``10 km`` and ``10 km``.

    Examples
    --------
    >>> km_apart(10.04, 10.0, "en"), km_apart(9.97, 10.0, "ru"), km_apart(3.2, 10.0, "en")
    (('10.04 km', '10 km'), ('9,97 км', '10 км'), ('3.2 km', '10 km'))
    >>> km_apart(10.0004, 10.0, "en")
    ('10.0004 km', '10 km')
    """
    a, b = km(x, lang), km(limit, lang)
    for digits in range(2, 13):
        if a != b or x == limit:
            break
        a, b = km(x, lang, digits), km(limit, lang, digits)
    return a, b


def score(x: float, lang: str) -> str:
    """A score in [0, 1] with two decimals (comma in Russian).

    Examples
    --------
    >>> score(0.7214, "en"), score(0.7214, "ru")
    ('0.72', '0,72')
    """
    text = f"{x:.2f}"
    return text.replace(".", ",") if lang == "ru" else text


def ordinal(n: int, lang: str) -> str:
    """``1st``, ``2nd``, ``11th``; ``1-й``, ``2-й`` in Russian.

    Examples
    --------
    >>> [ordinal(n, "en") for n in (1, 2, 3, 4, 11, 12, 13, 21)]
    ['1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st']
    >>> ordinal(3, "ru")
    '3-й'
    """
    if lang == "ru":
        return f"{n}-й"
    suffix = "th" if 11 <= n % 100 <= 13 else _ORDINALS_EN.get(n % 10, "th")
    return f"{n}{suffix}"


def slot_label(slot: str, lang: str) -> str:
    """A weekly slot in words: ``Saturday morning``, ``в субботу утром``.

    Examples
    --------
    >>> slot_label("sat-morning", "en"), slot_label("tue-evening", "ru")
    ('Saturday morning', 'во вторник вечером')
    """
    day, part = slot.split("-", 1)
    return f"{_DAYS[lang][_DAY_KEYS.index(day)]} {_PARTS[lang][part]}"


def tag_label(tag: str, lang: str, kind: str = "") -> str:
    """A tag for people: known tags translated, others with underscores as spaces (and on
    one line, see :func:`one_line`).

    ``kind`` is the set the tag comes from (``"causes"``, ``"skills"``, ``"languages"``
    or ``"checks"``): the same tag may mean different things in two sets. Without it,
    causes, skills and languages are looked up in that order.

    Examples
    --------
    >>> tag_label("background", "ru", "checks"), tag_label("driving_licence", "en"), tag_label("ru", "en")
    ('справка об отсутствии судимости', 'driving licence', 'Russian')
    >>> tag_label("it", "en", "skills"), tag_label("it", "ru", "languages"), tag_label("zh", "en", "languages")
    ('IT', 'итальянский', 'Chinese')
    >>> tag_label("medical", "ru", "skills"), tag_label("medical", "ru", "checks")
    ('медицина', 'медицинская книжка')
    """
    kinds = (kind,) if kind in _KNOWN else ("causes", "skills", "languages")
    for k in kinds:
        known = _KNOWN[k][lang].get(tag)
        if known is not None:
            return known
    return one_line(tag.replace("_", " "))


_STATUSES = {
    "en": {"idea": "idea", "vetted": "vetted", "open": "open", "closed": "closed"},
    "ru": {
        "idea": "идея",
        "vetted": "проверена",
        "open": "открыта",
        "closed": "закрыта",
    },
}


def status_label(status: str, lang: str) -> str:
    """A need's status in words (``idea``; ``идея`` in Russian).

    Examples
    --------
    >>> status_label("idea", "ru"), status_label("vetted", "ru"), status_label("vetted", "en")
    ('идея', 'проверена', 'vetted')
    """
    return _STATUSES[lang].get(status, status)


def join(items: Iterable[str], lang: str) -> str:
    """``a``, ``a and b``, ``a, b and c`` (``и`` in Russian).

    Examples
    --------
    >>> join(["a", "b", "c"], "en"), join(["a", "b"], "ru"), join([], "en")
    ('a, b and c', 'a и b', '')
    """
    xs = list(items)
    if len(xs) <= 1:
        return "".join(xs)
    word = " и " if lang == "ru" else " and "
    return ", ".join(xs[:-1]) + word + xs[-1]


def component_label(name: str, lang: str) -> str:
    """What a score component measures, in words.

    Examples
    --------
    >>> component_label("coverage", "ru")
    'доля покрытого времени'
    """
    return _COMPONENTS[lang][name]

"""Cell parsers and option checks of the NYC Service importer.

Each parser reads one cell (or a pair of cells) of the NYC Service Volunteer Opportunities
table and either returns the value or raises ``ValueError`` with a message saying what is
wrong with the cell. The importer (``_nyc.py``) decides what to do with the row.
:func:`options` checks the importer's options once, before any row is read.
"""

from __future__ import annotations

import ast
import calendar
import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from numbers import Integral
from typing import Any

from pydantic import ValidationError

from ._exceptions import InvalidInputError, check_choice
from ._models import Need

__all__ = [
    "Options",
    "columns_place",
    "coordinate",
    "km",
    "locality_place",
    "options",
    "parse_date",
    "tag",
]

_MONTHS = {
    m: i
    for i, m in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ],
        start=1,
    )
}


def tag(text: str) -> str:
    """The cause tag of a category: lower case, letters and digits of any script kept.

    Runs of other characters (spaces, punctuation, symbols) become one ``_``. The text is
    put in Unicode normal form C first, so a letter typed as a base and a combining accent
    gives the same tag as the precomposed letter. A category without any letter or digit
    gives ``""``.

    Examples
    --------
    >>> tag("Helping Neighbors in Need"), tag("Éducation & Santé"), tag("Помощь соседям")
    ('helping_neighbors_in_need', 'éducation_santé', 'помощь_соседям')
    >>> tag("सहायता सेवा"), tag("E\u0301cole"), tag(" -- ")
    ('सहायता_सेवा', 'école', '')
    """
    text = unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).lower())
    kept: list[str] = []
    gap = False
    for ch in text:
        # letters (L), their combining marks (M: accents, Indic vowel signs) and digits (N)
        if unicodedata.category(ch)[0] in "LMN":
            if gap and kept:
                kept.append("_")
            kept.append(ch)
            gap = False
        else:
            gap = True
    if not any(unicodedata.category(ch)[0] in "LN" for ch in kept):
        return ""
    return "".join(kept)


def parse_date(text: str) -> date:
    """``February 24 2011`` (the source's form, also ``Feb 24, 2011``) or ``2011-02-24``.

    Raises ``ValueError`` starting "unreadable date" for any other form, and "day does not
    exist" for a day the calendar does not have.

    Examples
    --------
    >>> parse_date("February 24 2011"), parse_date("Feb 24, 2011"), parse_date("2011-02-24")
    (datetime.date(2011, 2, 24), datetime.date(2011, 2, 24), datetime.date(2011, 2, 24))
    >>> parse_date("February 29 2011")
    Traceback (most recent call last):
    ...
    ValueError: day does not exist: 2011 has no 29 February (February 2011 has 28 days)
    >>> parse_date("24/02/2011")
    Traceback (most recent call last):
    ...
    ValueError: unreadable date: expected such as 'February 24 2011' or '2011-02-24'
    """
    text = text.strip()
    named = _NAMED_FORM.fullmatch(text)
    month = _month(named[1]) if named else None
    if named and month:
        year, day = int(named[3]), int(named[2])
    elif iso := _ISO_FORM.fullmatch(text):
        year, month, day = (int(part) for part in iso.groups())
    else:
        raise ValueError(
            "unreadable date: expected such as 'February 24 2011' or '2011-02-24'"
        )
    if not 1 <= month <= 12:
        raise ValueError(f"day does not exist: there is no month {month}")
    if year < 1:
        raise ValueError(f"day does not exist: there is no year {year}")
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        name = list(_MONTHS)[month - 1].capitalize()  # (calendar.month_name follows the locale)
        raise ValueError(
            f"day does not exist: {year} has no {day} {name} ({name} {year} has {last} days)"
        )
    return date(year, month, day)


_NAMED_FORM = re.compile(r"([A-Za-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})")
_ISO_FORM = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def _month(word: str) -> int | None:
    """The month of a name or of its first three letters or more (``Feb``, ``Sept``)."""
    word = word.lower()
    if len(word) < 3:
        return None
    found = [i for name, i in _MONTHS.items() if name.startswith(word)]
    return found[0] if len(found) == 1 else None


def km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in kilometres between two (lat, lon) points.

    Examples
    --------
    >>> round(km((40.7, -73.9), (40.8, -73.9)), 1)
    11.1
    """
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(h)))


def locality_place(text: str) -> tuple[float, float] | None:
    """The place in a ``locality`` cell: a Python-dict-like string with latitude/longitude.

    Raises ``ValueError`` saying what is wrong: not such a dict, a coordinate blank, not a
    number (NaN and infinity included) or out of range, or the placeholder 0, 0.

    Examples
    --------
    >>> locality_place("{'latitude': '40.7', 'longitude': '-73.9'}")
    (40.7, -73.9)
    >>> locality_place("") is None
    True
    >>> locality_place("{'latitude': '95', 'longitude': '-73.9'}")
    Traceback (most recent call last):
    ...
    ValueError: its latitude '95' is out of range (-90 to 90)
    """
    if not text.strip():
        return None
    try:
        value = ast.literal_eval(text)
        raw = value["latitude"], value["longitude"]
    except (ValueError, SyntaxError, KeyError, TypeError, MemoryError, RecursionError):
        raise ValueError("not a dict with 'latitude' and 'longitude'") from None
    place = []
    for name, cell, bound in (("latitude", raw[0], 90), ("longitude", raw[1], 180)):
        cell = str(cell).strip()
        try:
            place.append(coordinate(cell, bound))
        except ValueError as err:
            shown = f" {cell!r}" if cell else ""
            raise ValueError(f"its {name}{shown} {err}") from None
    if place == [0.0, 0.0]:
        raise ValueError(f"its latitude and longitude are {_NOWHERE}")
    return place[0], place[1]


def columns_place(
    row: dict[str, str],
) -> tuple[tuple[float, float] | None, list[tuple[str, str, str]]]:
    """The place in the ``Latitude`` and ``Longitude`` cells of a row, and what is wrong.

    Returns ``(place, problems)``: ``place`` is None when both cells are blank or one is
    unusable; ``problems`` lists ``(column, message, cell)`` for each unusable cell.

    Examples
    --------
    >>> columns_place({"Latitude": "40.7", "Longitude": "-73.9"})
    ((40.7, -73.9), [])
    >>> columns_place({"Latitude": "40.7", "Longitude": ""})
    (None, [('Longitude', 'Longitude is blank', '')])
    >>> columns_place({"Latitude": "nan", "Longitude": "-73.9"})
    (None, [('Latitude', 'Latitude is not a number', 'nan')])
    """
    lat, lon = row["Latitude"].strip(), row["Longitude"].strip()
    if not lat and not lon:
        return None, []
    place: list[float] = []
    problems: list[tuple[str, str, str]] = []
    for column, cell, bound in (("Latitude", lat, 90), ("Longitude", lon, 180)):
        try:
            place.append(coordinate(cell, bound))
        except ValueError as err:
            problems.append((column, f"{column} {err}", cell))
    if problems:
        return None, problems
    if place == [0.0, 0.0]:
        return None, [("Latitude", f"Latitude and Longitude are {_NOWHERE}", f"{lat}, {lon}")]
    return (place[0], place[1]), []


_NOWHERE = "0, 0, which marks a place that was not geocoded (it is at sea off Africa)"


def coordinate(text: str, bound: float) -> float:
    """A latitude (``bound`` 90) or longitude (``bound`` 180) in degrees.

    Raises ``ValueError`` with the end of a sentence about the cell: "is blank", "is not a
    number" (also for NaN and infinity), "is out of range (-90 to 90)".

    Examples
    --------
    >>> coordinate(" 40.7 ", 90)
    40.7
    >>> coordinate("inf", 90)
    Traceback (most recent call last):
    ...
    ValueError: is not a number
    """
    if not text.strip():
        raise ValueError("is blank")
    try:
        value = float(text)
    except ValueError:
        raise ValueError("is not a number") from None
    if not math.isfinite(value):
        raise ValueError("is not a number")
    if not -bound <= value <= bound:
        raise ValueError(f"is out of range (-{bound:g} to {bound:g})")
    return value


_CALLER = "import_nyc_service"


@dataclass(frozen=True)
class Options:
    """The checked options of :func:`matchkit.import_nyc_service`."""

    sentinels: frozenset[int]
    on_sentinel: str
    capacity_cap: int
    on_blank_category: str
    blank_category_cause: str
    on_missing_place: str
    on_missing_end_date: str
    vetting_organisation: str | None


def options(
    sentinel_capacities: Any,
    on_sentinel: Any,
    capacity_cap: Any,
    on_blank_category: Any,
    blank_category_cause: Any,
    on_missing_place: Any,
    on_missing_end_date: Any,
    vetting_organisation: Any,
) -> Options:
    """The options of the importer, checked; ``InvalidInputError`` names a wrong one.

    Examples
    --------
    >>> options((9999,), "cap", 100, "keep", "uncategorised", "skip", "skip", "nyc-service")
    ... # doctest: +ELLIPSIS
    Options(sentinels=frozenset({9999}), on_sentinel='cap', capacity_cap=100, ...)
    >>> options("9999", "cap", 100, "keep", "uncategorised", "skip", "skip", None)
    Traceback (most recent call last):
    ...
    matchkit.InvalidInputError: The 'sentinel_capacities' parameter of import_nyc_service must be a collection of whole numbers, such as (9999,), or () for none. Got '9999'.
    """
    check_choice("on_sentinel", on_sentinel, ("cap", "skip"), caller=_CALLER)
    check_choice("on_blank_category", on_blank_category, ("keep", "tag", "skip"), caller=_CALLER)
    check_choice("on_missing_place", on_missing_place, ("skip", "remote"), caller=_CALLER)
    check_choice("on_missing_end_date", on_missing_end_date, ("skip", "keep"), caller=_CALLER)
    return Options(
        _sentinels(sentinel_capacities),
        on_sentinel,
        _capacity_cap(capacity_cap),
        on_blank_category,
        _text("blank_category_cause", blank_category_cause, "a cause tag such as 'general'"),
        on_missing_place,
        on_missing_end_date,
        None
        if vetting_organisation is None
        else _text(
            "vetting_organisation",
            vetting_organisation,
            "an organisation id such as 'nyc-service', or None",
        ),
    )


def _bad(name: str, expected: str, got: object) -> InvalidInputError:
    return InvalidInputError(
        f"The {name!r} parameter of {_CALLER} must be {expected}. Got {got!r}."
    )


def _whole(value: object) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)


def _sentinels(value: object) -> frozenset[int]:
    expected = "a collection of whole numbers, such as (9999,), or () for none"
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise _bad("sentinel_capacities", expected, value)
    items = list(value)
    if not all(_whole(v) for v in items):
        raise _bad("sentinel_capacities", expected, value)
    return frozenset(int(v) for v in items)


def _capacity_cap(value: object) -> int:
    expected = "a whole number of places of at least 1 (given to each sentinel row)"
    if not isinstance(value, Integral) or isinstance(value, bool) or value < 1:
        raise _bad("capacity_cap", expected, value)
    cap = int(value)
    need = {"id": "n", "organisation_id": "o", "title": "t", "remote": True, "status": "open"}
    try:  # (the need's own limits on capacity apply to the cap)
        Need.model_validate({**need, "capacity": cap})
    except ValidationError as err:
        reason = err.errors()[0]["msg"].lower()
        raise _bad("capacity_cap", f"{expected}; a need's capacity: {reason}", value) from None
    return cap


def _text(name: str, value: object, expected: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _bad(name, f"a non-empty string, {expected}", value)
    return value.strip()

"""Schema v1: the pydantic models apps exchange (volunteers, organisations, needs).

These models are the edge of matchkit. They validate one record at a time; the
cross-record checks (unique ids, references that must exist) live in ``_dataset.py``.
The field names are the open format: extending it is fine, renaming is not.
"""

from __future__ import annotations

import calendar
import math
import re
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    field_validator,
    model_validator,
)

__all__ = [
    "DAYS",
    "PARTS_OF_DAY",
    "SCHEMA_VERSION",
    "SLOTS",
    "Need",
    "NeedStatus",
    "Organisation",
    "OrganisationKind",
    "Place",
    "Volunteer",
]

SCHEMA_VERSION = 1
#: Unicode White_Space: the characters the models strip from the ends of text (Python's
#: ``str.strip()`` also strips U+001C..U+001F, which the models keep). Anything that
#: reads text as the models do (blank cells, ids) strips exactly these.
WHITESPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PARTS_OF_DAY = ("morning", "afternoon", "evening")
#: The 21 weekly slots, in week order: ``mon-morning`` ... ``sun-evening``.
SLOTS: tuple[str, ...] = tuple(f"{d}-{p}" for d in DAYS for p in PARTS_OF_DAY)
#: Slot name -> its position in :data:`SLOTS`.
SLOT_INDEX = {s: i for i, s in enumerate(SLOTS)}


def _as_sequence(value: Any) -> Any:
    """Accept a list, tuple, set or frozenset (a JSON array); a bare string is refused."""
    if value is None:
        return ()
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    if isinstance(value, str):
        # (ValueError, not TypeError: pydantic reports only ValueError as a field's problem)
        raise ValueError(  # noqa: TRY004
            "expected a list of strings (a JSON array; in CSV a ';'-separated cell), got a string"
        )
    return value


# The set validators run once per record and field: a set of the cleaned entries first,
# and a loop in the given order only to word the first wrong one.
def _tags(values: tuple[str, ...]) -> tuple[str, ...]:
    out = {v.strip() for v in values}
    if "" in out:
        raise ValueError("a tag must not be empty")
    return tuple(sorted(out))


def _is_language(code: str) -> bool:
    return len(code) == 2 and code.isascii() and code.isalpha()


def _languages(values: tuple[str, ...]) -> tuple[str, ...]:
    out = {v.strip().lower() for v in values}
    if not all(map(_is_language, out)):
        for v in values:
            v = v.strip().lower()
            if not _is_language(v):
                raise ValueError(
                    f"{v!r} is not an ISO 639-1 language code (two letters, such as 'en', 'ru')"
                )
    return tuple(sorted(out))


def _slots(values: tuple[str, ...]) -> tuple[str, ...]:
    out = {v.strip().lower() for v in values}
    if not out.issubset(SLOT_INDEX):
        for v in values:
            v = v.strip().lower()
            if v not in SLOT_INDEX:
                raise ValueError(
                    f"{v!r} is not a slot; a slot is a day and a part of day such as "
                    f"'mon-morning', 'sat-evening' (days: {', '.join(DAYS)}; parts: "
                    f"{', '.join(PARTS_OF_DAY)})"
                )
    return tuple(sorted(out, key=SLOT_INDEX.__getitem__))


_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)
# The ways ISO 8601 writes a day (2027-05-07; basic 20270507, week 2027-W18-5, ordinal 2027-127),
# each may be followed by a time of day and a UTC offset (2027-05-07T23:00+03:00).
_ISO_DAY = re.compile(
    r"(?P<year>\d{4})(?:"
    r"(?P<ext>-(?P<em>\d{2})-(?P<ed>\d{2}))|(?P<bm>\d{2})(?P<bd>\d{2})"
    r"|-?[Ww](?P<week>\d{2})-?(?P<wd>\d)|-?(?P<ord>\d{3}))"
    r"(?P<time>[Tt ]\d{2}(?::?\d{2}){0,2}(?:[.,]\d+)?(?:[Zz]|[+-]\d{2}(?::?\d{2})?)?)?",
    re.ASCII,
)


def parse_iso_date(text: str) -> date:
    """Read a day written ``YYYY-MM-DD``; the error says why the text is not a day.

    A day that is well written but does not exist (``2027-02-29``) is told apart from
    text in another style (``01/02/2027``). A date and time, or a day in another ISO 8601
    form, is refused with the day to write instead: with a time and a UTC offset, the day
    depends on where it is read, so it is not taken silently.

    Examples
    --------
    >>> from matchkit._models import parse_iso_date
    >>> parse_iso_date(" 2028-02-29 ")
    datetime.date(2028, 2, 29)
    >>> for text in ("2027-02-29", "2027-04-31", "2027-13-01", "01/02/2027",
    ...              "2027-05-07T23:00+03:00", "2027-W18-5"):
    ...     try:
    ...         parse_iso_date(text)
    ...     except ValueError as e:
    ...         print(e)
    '2027-02-29' is not a day: 2027 has no 29 February (February 2027 has days 01 to 28)
    '2027-04-31' is not a day: 2027 has no 31 April (April 2027 has days 01 to 30)
    '2027-13-01' is not a day: there is no month 13; months are 01 to 12
    '01/02/2027' is not an ISO 8601 date; write it as YYYY-MM-DD, such as 2011-02-24
    '2027-05-07T23:00+03:00' is a date and time; give the day alone: 2027-05-07
    '2027-W18-5' is an ISO 8601 date in another form; write it as YYYY-MM-DD: 2027-05-07
    """
    text = text.strip()
    # Only the shape YYYY-MM-DD goes to date.fromisoformat (fast, in C): from Python 3.11
    # it also reads other ISO 8601 forms (20270507, 2027-W18-5), which are refused here.
    if len(text) == 10 and text[4] == text[7] == "-" and text.isascii():
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise ValueError(_not_a_day(text))


def _not_a_day(text: str) -> str:
    """Why ``text``, which is not a day written ``YYYY-MM-DD``, is refused."""
    iso = _ISO_DAY.fullmatch(text)
    if iso is None:
        return f"{text!r} is not an ISO 8601 date; write it as YYYY-MM-DD, such as 2011-02-24"
    year = int(iso["year"])
    if iso["ext"] is not None:
        month, day = int(iso["em"]), int(iso["ed"])
        if not _is_day(year, month, day):
            return _no_such_day(text, year, month, day)
    found = _other_form_day(iso)
    if found is None:
        return f"{text!r} is not an ISO 8601 date; write it as YYYY-MM-DD, such as 2011-02-24"
    if iso["time"] is not None:
        return f"{text!r} is a date and time; give the day alone: {found.isoformat()}"
    return (
        f"{text!r} is an ISO 8601 date in another form; write it as YYYY-MM-DD: "
        f"{found.isoformat()}"
    )


def _is_day(year: int, month: int, day: int) -> bool:
    """Whether ``year-month-day`` is a day of the calendar."""
    return year >= 1 and 1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]


def _no_such_day(text: str, year: int, month: int, day: int) -> str:
    """Why ``year-month-day``, written in ``text``, is not a day of the calendar."""
    if year < 1:
        return f"{text!r} is not a day: there is no year 0000; years start at 0001"
    if not 1 <= month <= 12:
        return f"{text!r} is not a day: there is no month {month:02d}; months are 01 to 12"
    name, days = _MONTHS[month - 1], calendar.monthrange(year, month)[1]
    return (
        f"{text!r} is not a day: {year} has no {day} {name} "
        f"({name} {year} has days 01 to {days})"
    )


def _other_form_day(iso: re.Match[str]) -> date | None:
    """The day an ISO 8601 form matched by ``_ISO_DAY`` names, or None if there is none."""
    year = int(iso["year"])
    try:
        if iso["ext"] is not None:
            return date(year, int(iso["em"]), int(iso["ed"]))
        if iso["bm"] is not None:
            return date(year, int(iso["bm"]), int(iso["bd"]))
        if iso["week"] is not None:
            return date.fromisocalendar(year, int(iso["week"]), int(iso["wd"]))
        number = int(iso["ord"])
        if not 1 <= number <= (366 if calendar.isleap(year) else 365):
            return None
        return date(year, 1, 1) + timedelta(days=number - 1)
    except ValueError:
        return None


def _iso_date(value: Any) -> Any:
    if value is None or isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        return parse_iso_date(value)
    if isinstance(value, datetime):  # also a pandas Timestamp with a time of day or a zone
        raise ValueError(  # noqa: TRY004 (pydantic reports only ValueError as a field's problem)
            f"{str(value)!r} is a date and time; give the day alone: {value.date().isoformat()}"
        )
    raise ValueError(f"expected an ISO 8601 date string (YYYY-MM-DD), got {type(value).__name__}")


def _none_if_blank(value: str | None) -> str | None:
    """An optional text left empty is not given, as an empty CSV cell is."""
    return value or None


Id = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1),
]
TagSet = Annotated[
    tuple[str, ...],
    BeforeValidator(_as_sequence),
    AfterValidator(_tags),
    PlainSerializer(list, return_type=list[str]),
]
LanguageSet = Annotated[
    tuple[str, ...],
    BeforeValidator(_as_sequence),
    AfterValidator(_languages),
    PlainSerializer(list, return_type=list[str]),
]
SlotSet = Annotated[
    tuple[str, ...],
    BeforeValidator(_as_sequence),
    AfterValidator(_slots),
    PlainSerializer(list, return_type=list[str]),
    Field(json_schema_extra={"items": {"type": "string", "enum": list(SLOTS)}}),
]
IsoDate = Annotated[date, BeforeValidator(_iso_date)]
#: Optional text (or an optional id): empty or blank text means "not given" (``None``) on
#: every path in, so a CSV file (where an empty cell is "not given") reads back the same.
OptionalText = Annotated[str | None, AfterValidator(_none_if_blank)]
#: The largest count (capacity, max_placements, min_overlap) a record may hold: far above
#: any real need, and small enough that matching's fixed-size integers never overflow.
MAX_COUNT = 1_000_000

_CONFIG = ConfigDict(
    frozen=True,
    extra="forbid",
    str_strip_whitespace=True,
    coerce_numbers_to_str=True,
    validate_default=False,
)


class Place(BaseModel):
    """A point on the Earth, in decimal degrees (WGS 84).

    Examples
    --------
    >>> import matchkit as mk
    >>> centre = mk.Place(lat=55.7887, lon=49.1221)
    >>> centre.lat, centre.lon
    (55.7887, 49.1221)
    >>> try:
    ...     mk.Place(lat=95, lon=0)
    ... except ValueError as e:
    ...     print(e.errors()[0]["loc"], e.errors()[0]["msg"])
    ('lat',) Input should be less than or equal to 90
    """

    model_config = _CONFIG

    lat: float = Field(ge=-90.0, le=90.0, description="latitude in degrees, -90..90")
    lon: float = Field(ge=-180.0, le=180.0, description="longitude in degrees, -180..180")

    @field_validator("lat", "lon")
    @classmethod
    def _finite(cls, v: float) -> float:
        if not math.isfinite(v):
            raise ValueError("must be a finite number")
        return v


class OrganisationKind(str, Enum):
    """Who an organisation is.

    Examples
    --------
    >>> import matchkit as mk
    >>> [k.value for k in mk.OrganisationKind]
    ['cso', 'public_body', 'business', 'volunteer_centre']
    >>> mk.OrganisationKind("cso") is mk.OrganisationKind.CSO
    True
    """

    CSO = "cso"
    PUBLIC_BODY = "public_body"
    BUSINESS = "business"
    VOLUNTEER_CENTRE = "volunteer_centre"


class NeedStatus(str, Enum):
    """Lifecycle of a need: ``idea -> vetted -> open -> closed``. Only ``open`` needs are matched.

    Examples
    --------
    >>> import matchkit as mk
    >>> [s.value for s in mk.NeedStatus]
    ['idea', 'vetted', 'open', 'closed']
    >>> from matchkit.datasets import tiny_city
    >>> tiny_city().need("n4").status is mk.NeedStatus.IDEA
    True
    """

    IDEA = "idea"
    VETTED = "vetted"
    OPEN = "open"
    CLOSED = "closed"


class Volunteer(BaseModel):
    """A person who wants to help.

    Sets (interests, skills, ...) are stored sorted and without duplicates. Ages are computed
    at the run's ``as_of`` date, never here.

    Examples
    --------
    >>> import matchkit as mk
    >>> v = mk.Volunteer(id="v1", interests=["parks", "animals", "parks"], languages=["EN", "ru"],
    ...                  availability=["sat-morning", "mon-evening"])
    >>> v.interests, v.languages, v.availability, v.max_distance_km
    (('animals', 'parks'), ('en', 'ru'), ('mon-evening', 'sat-morning'), 10.0)
    """

    model_config = _CONFIG

    id: Id
    name: OptionalText = None
    birth_date: IsoDate | None = None
    home: Place | None = None
    max_distance_km: float = Field(10.0, ge=0.0, description="how far the volunteer will travel")
    remote_ok: bool = True
    interests: TagSet = ()
    skills: TagSet = ()
    languages: LanguageSet = ()
    availability: SlotSet = ()
    max_placements: int = Field(
        1, ge=1, le=MAX_COUNT, description="how many placements at most at a time"
    )
    checks: TagSet = ()
    excluded_organisations: TagSet = ()
    excluded_causes: TagSet = ()
    preferred_organisations: TagSet = ()
    pool: OptionalText = Field(
        None, description="the centre, university or channel they came from"
    )

    @field_validator("max_distance_km")
    @classmethod
    def _finite_distance(cls, v: float) -> float:
        if not math.isfinite(v):
            raise ValueError("must be a finite number of kilometres")
        return v

    @field_validator("birth_date")
    @classmethod
    def _plausible_birth(cls, v: date | None) -> date | None:
        if v is not None and v.year < 1900:
            raise ValueError("a birth date before 1900 is not plausible")
        return v


class Organisation(BaseModel):
    """A CSO, public body, business or volunteer centre.

    Examples
    --------
    >>> import matchkit as mk
    >>> o = mk.Organisation(id="o1", name="Food bank", kind="cso", registered=True,
    ...                     vets_causes=["hunger"])
    >>> o.kind is mk.OrganisationKind.CSO, o.vets_causes
    (True, ('hunger',))
    """

    model_config = _CONFIG

    id: Id
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
    kind: OrganisationKind
    registered: bool
    vets_causes: TagSet = Field((), description="causes it has the expertise to vet")


class Need(BaseModel):
    """Something an organisation needs volunteers for.

    Examples
    --------
    >>> import matchkit as mk
    >>> n = mk.Need(id="n1", organisation_id="o1", title="Sort donations", remote=True,
    ...             capacity=2, status="open", slots=["sat-morning"])
    >>> n.status is mk.NeedStatus.OPEN, n.capacity, n.slots
    (True, 2, ('sat-morning',))
    >>> try:
    ...     mk.Need(id="n2", organisation_id="o1", title="Walk dogs", capacity=1, status="open")
    ... except ValueError as e:
    ...     print(e.errors()[0]["msg"].split(":")[0])
    Value error, a need without a location must be remote
    """

    model_config = _CONFIG

    id: Id
    organisation_id: Id
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
    causes: TagSet = ()
    required_skills: TagSet = ()
    desired_skills: TagSet = ()
    languages: LanguageSet = ()
    location: Place | None = None
    remote: bool = False
    slots: SlotSet = ()
    min_overlap: int = Field(
        1, ge=0, le=MAX_COUNT, description="slots the volunteer must cover (capped by len(slots))"
    )
    capacity: int = Field(ge=1, le=MAX_COUNT, description="how many volunteers it needs")
    min_age: int | None = Field(None, ge=0, le=120)
    required_checks: TagSet = ()
    status: NeedStatus
    vetted_by: OptionalText = None
    handles_money: bool = False
    start_date: IsoDate | None = None
    end_date: IsoDate | None = None
    # -- v1 extension (policies; docs/vetting-and-inkind.md). Defaults keep older data valid.
    account_route: OptionalText = Field(
        None,
        description="how money reaches the organisation's own account (needs that handle money)",
    )
    asks_donation: bool = Field(False, description="the need asks volunteers to donate")
    involves_minors: bool = Field(
        False, description="volunteers work with children or teenagers (people under 18)"
    )
    night_work: bool = Field(False, description="part of the work falls between 22:00 and 06:00")
    proposed_by: OptionalText = Field(
        None, description="the volunteer whose own initiative this need is"
    )

    @model_validator(mode="after")
    def _coherent(self) -> Need:
        if self.location is None and not self.remote:
            raise ValueError(
                "a need without a location must be remote: give location_lat/location_lon "
                "or set remote to true"
            )
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValueError(
                f"end_date {self.end_date.isoformat()} is before start_date "
                f"{self.start_date.isoformat()}"
            )
        return self


def slot_index(slot: str) -> int:
    """Position of a slot in :data:`SLOTS` (0 = ``mon-morning``)."""
    return SLOT_INDEX[slot]

"""In-kind records (a schema v1 extension): offers from givers, requests from CSOs.

An :class:`InkindOffer` is what a giver (a public body or a business) can give in kind:
printing, transport, food, a venue, equipment. It says how much, in which unit, how many days
ahead it must be asked (``lead_time_days``), when it takes requests at all (``windows``, such
as a budget planning cycle), where it serves, and which role to write to. An
:class:`InkindRequest` is what a CSO needs: the kind, how much, by when, where and what for.
Matching them is :func:`matchkit.match_inkind`.
"""

from __future__ import annotations

import math
from datetime import date
from enum import Enum
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    Field,
    StringConstraints,
    model_validator,
)

from ._models import _CONFIG, Id, IsoDate, OptionalText, Place

__all__ = ["DateWindow", "InkindKind", "InkindOffer", "InkindRequest"]

_Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
#: The most units an offer or a request may hold: matching counts units in 32-bit integers
#: (all requests together at most this many, too).
MAX_QUANTITY = 2**31 - 1
#: The longest notice an offer may ask for: ten years.
MAX_LEAD_TIME_DAYS = 3650


class InkindKind(str, Enum):
    """What is given in kind.

    Examples
    --------
    >>> import matchkit as mk
    >>> [k.value for k in mk.InkindKind]
    ['printing', 'transport', 'food', 'venue', 'equipment', 'other']
    >>> mk.InkindKind("venue") is mk.InkindKind.VENUE
    True
    """

    PRINTING = "printing"
    TRANSPORT = "transport"
    FOOD = "food"
    VENUE = "venue"
    EQUIPMENT = "equipment"
    OTHER = "other"


def _window_input(value: Any) -> Any:
    if isinstance(value, str):
        start, sep, end = value.strip().partition("/")
        if not sep:
            raise ValueError(
                f"{value!r} is not a date range; write it as START/END, such as "
                "2027-09-01/2027-10-31"
            )
        return {"start": start, "end": end}
    if isinstance(value, (tuple, list)) and len(value) == 2:
        return {"start": value[0], "end": value[1]}
    return value


class DateWindow(BaseModel):
    """A range of days, both ends included. In CSV cells and strings: ``START/END``.

    Examples
    --------
    >>> import datetime, matchkit as mk
    >>> w = mk.DateWindow.model_validate("2027-01-10/2027-03-31")
    >>> str(w), datetime.date(2027, 3, 31) in w, datetime.date(2027, 4, 1) in w
    ('2027-01-10/2027-03-31', True, False)
    >>> w == mk.DateWindow(start="2027-01-10", end="2027-03-31")
    True
    """

    model_config = _CONFIG

    start: IsoDate
    end: IsoDate

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        return _window_input(value)

    @model_validator(mode="after")
    def _ordered(self) -> DateWindow:
        if self.end < self.start:
            raise ValueError(
                f"window ends ({self.end.isoformat()}) before it starts ({self.start.isoformat()})"
            )
        return self

    def __str__(self) -> str:
        return f"{self.start.isoformat()}/{self.end.isoformat()}"

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end


def _windows_input(value: Any) -> Any:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(p for p in (x.strip() for x in value.split(";")) if p)
    return value


Windows = Annotated[tuple[DateWindow, ...], BeforeValidator(_windows_input)]


class InkindOffer(BaseModel):
    """What a public body or a business can give in kind, and on what terms.

    Examples
    --------
    >>> import matchkit as mk
    >>> o = mk.InkindOffer(id="of1", organisation_id="print_house", kind="printing",
    ...              item="A4 colour leaflets", quantity=2000, unit="sheets",
    ...              lead_time_days=14, windows=["2027-01-10/2027-03-31"],
    ...              contact_role="head of the press office")
    >>> o.kind.value, str(o.windows[0]), o.area is None
    ('printing', '2027-01-10/2027-03-31', True)
    """

    model_config = _CONFIG

    id: Id
    organisation_id: Id
    kind: InkindKind
    item: _Text = Field(description="what exactly is given, in the giver's own words")
    quantity: int = Field(
        ge=1, le=MAX_QUANTITY, description="how much in total, in `unit`"
    )
    unit: _Text
    lead_time_days: int = Field(
        0,
        ge=0,
        le=MAX_LEAD_TIME_DAYS,
        description="days it must be asked before the need (at most ten years)",
    )
    windows: Windows = Field(
        (), description="date ranges in which it takes requests; none: any day"
    )
    area: Place | None = Field(
        None, description="centre of the service area; none: whole city"
    )
    radius_km: float | None = Field(
        None, ge=0.0, description="radius of the service area"
    )
    contact_role: _Text = Field(description="the role to address a request to")
    conditions: OptionalText = Field(
        None, description="the giver's conditions, quoted in letters"
    )

    @model_validator(mode="after")
    def _area(self) -> InkindOffer:
        if (self.area is None) != (self.radius_km is None):
            raise ValueError(
                "give both area (area_lat, area_lon) and radius_km for a local service area, "
                "or neither for an offer that serves the whole city"
            )
        if self.radius_km is not None and not math.isfinite(self.radius_km):
            raise ValueError("radius_km must be a finite number of kilometres")
        return self

    def takes_requests_on(self, day: date) -> bool:
        """Whether ``day`` falls inside one of the windows (always true without windows).

        Parameters
        ----------
        day : datetime.date

        Returns
        -------
        bool

        Examples
        --------
        >>> import datetime, matchkit as mk
        >>> o = mk.InkindOffer(id="of1", organisation_id="ph", kind="printing", item="leaflets",
        ...                    quantity=2000, unit="sheets", contact_role="press office",
        ...                    windows="2027-01-10/2027-03-31; 2027-09-01/2027-10-31")
        >>> [o.takes_requests_on(datetime.date(2027, m, 15)) for m in (2, 5, 10)]
        [True, False, True]
        """
        return not self.windows or any(day in w for w in self.windows)


class InkindRequest(BaseModel):
    """What a CSO asks for in kind.

    Examples
    --------
    >>> import matchkit as mk
    >>> r = mk.InkindRequest(id="rq1", organisation_id="park_friends", kind="printing",
    ...                quantity=500, unit="sheets", needed_by="2027-04-20",
    ...                place={"lat": 55.79, "lon": 49.12}, purpose="leaflets for a clean-up day")
    >>> r.needed_by.isoformat()
    '2027-04-20'
    """

    model_config = _CONFIG

    id: Id
    organisation_id: Id
    kind: InkindKind
    quantity: int = Field(ge=1, le=MAX_QUANTITY, description="how much, in `unit`")
    unit: _Text
    needed_by: IsoDate
    place: Place
    purpose: _Text = Field(description="what it is for, and for whom")
    item: OptionalText = Field(None, description="what exactly, in the requester's words")
    address: OptionalText = Field(
        None, description="where to deliver, as people write it"
    )
    need_id: OptionalText = Field(None, description="the need (event) it supports, if any")


# The package shows public names as ``matchkit.X``; doctest would then skip them here.
__test__ = {_n: globals()[_n] for _n in __all__ if callable(globals()[_n])}

"""Hypothesis strategies for in-kind offers and requests (re-exported by :mod:`matchkit.testing`).

Small vocabularies again, so that offers and requests fit each other often and the edge
cases happen: units that differ only in case and spaces, a lead time that makes
``needed_by`` exactly reachable (or one day too late), windows that end on ``as_of``, a
service area of radius 0, requests due on ``as_of`` itself or already past.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from hypothesis import strategies as st

from ._inkind_models import DateWindow, InkindOffer, InkindRequest
from ._models import Place

__all__ = ["INKIND_KINDS", "INKIND_UNITS", "inkind_offers", "inkind_requests"]

#: Kinds the strategies draw: two common ones (many fits), then any kind.
INKIND_KINDS = ("printing", "food", "transport", "venue", "equipment", "other")
#: Units, two of them the same unit written differently.
INKIND_UNITS = ("sheets", "Sheets ", "portions")
_ORG_IDS = ("o0", "o1", "o2")
_CENTRE = (55.7887, 49.1221)


def _kinds() -> st.SearchStrategy[str]:
    return st.sampled_from(INKIND_KINDS[:2]) | st.sampled_from(INKIND_KINDS)


def _near_kazan() -> st.SearchStrategy[Place]:
    offset = st.floats(-0.2, 0.2, allow_nan=False)
    return st.just(Place(lat=_CENTRE[0], lon=_CENTRE[1])) | st.builds(
        lambda dy, dx: Place(lat=_CENTRE[0] + dy, lon=_CENTRE[1] + dx), offset, offset
    )


def _windows(as_of: date) -> st.SearchStrategy[tuple[DateWindow, ...]]:
    window = st.tuples(
        st.sampled_from([0, -30]) | st.integers(-60, 60),
        st.sampled_from([0, 30]) | st.integers(0, 60),
    ).map(
        lambda t: DateWindow(
            start=as_of + timedelta(days=t[0]), end=as_of + timedelta(days=t[0] + t[1])
        )
    )
    return st.lists(window, max_size=2).map(tuple)


@st.composite
def inkind_offers(
    draw: Any,
    *,
    ids: st.SearchStrategy[str] | None = None,
    organisation_ids: Sequence[str] = _ORG_IDS,
    as_of: date = date(2026, 9, 1),
) -> InkindOffer:
    """Valid in-kind offers: any kind, 0-2 windows around ``as_of``, local or city-wide.

    Parameters
    ----------
    ids : strategy of str, optional
        Where ids come from (default ``of0`` .. ``of99``).
    organisation_ids : sequence of str
        The givers (any kind of organisation: the policy checks flag the wrong ones).
    as_of : datetime.date
        Windows start and end around this day.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> from matchkit.testing import inkind_offers
    >>> @settings(max_examples=20, deadline=None)
    ... @given(inkind_offers())
    ... def test_valid(o):
    ...     assert 0 <= o.lead_time_days <= 30 and len(o.windows) <= 2
    ...     assert (o.area is None) == (o.radius_km is None)
    >>> test_valid()
    """
    if not organisation_ids:
        raise ValueError(
            "inkind_offers() needs at least one organisation id (the giver)"
        )
    local = draw(st.booleans())
    return InkindOffer(
        id=draw(ids if ids is not None else st.integers(0, 99).map(lambda i: f"of{i}")),
        organisation_id=draw(st.sampled_from(list(organisation_ids))),
        kind=draw(_kinds()),
        item=draw(st.sampled_from(["A4 leaflets", "обеды", "a minibus with driver"])),
        quantity=draw(st.sampled_from([1, 500]) | st.integers(1, 12)),
        unit=draw(st.sampled_from(INKIND_UNITS)),
        lead_time_days=draw(st.sampled_from([0, 1, 14, 30]) | st.integers(0, 30)),
        windows=draw(_windows(as_of)),
        area=draw(_near_kazan()) if local else None,
        radius_km=draw(st.sampled_from([0.0, 5.0]) | st.floats(0.0, 25.0))
        if local
        else None,
        contact_role=draw(
            st.sampled_from(["manager", "пресс-служба", "transport department"])
        ),
        conditions=draw(
            st.none() | st.sampled_from(["our logo on the back", "забрать самим"])
        ),
    )


@st.composite
def inkind_requests(
    draw: Any,
    *,
    ids: st.SearchStrategy[str] | None = None,
    organisation_ids: Sequence[str] = _ORG_IDS,
    need_ids: Sequence[str] = (),
    as_of: date = date(2026, 9, 1),
) -> InkindRequest:
    """Valid in-kind requests: due from 5 days before to 60 days after ``as_of``.

    Parameters
    ----------
    ids : strategy of str, optional
        Where ids come from (default ``rq0`` .. ``rq99``).
    organisation_ids : sequence of str
        The requesters.
    need_ids : sequence of str
        Needs a request may support (``need_id``); none when empty.
    as_of : datetime.date
        ``needed_by`` clusters around this day (on it, a day after, 30 days after).

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> from matchkit.testing import inkind_requests
    >>> @settings(max_examples=20, deadline=None)
    ... @given(inkind_requests(need_ids=["n1"]))
    ... def test_valid(r):
    ...     assert r.quantity >= 1 and r.need_id in (None, "n1")
    >>> test_valid()
    """
    if not organisation_ids:
        raise ValueError(
            "inkind_requests() needs at least one organisation id (the requester)"
        )
    due = draw(st.sampled_from([0, 1, 30]) | st.integers(-5, 60))
    return InkindRequest(
        id=draw(ids if ids is not None else st.integers(0, 99).map(lambda i: f"rq{i}")),
        organisation_id=draw(st.sampled_from(list(organisation_ids))),
        kind=draw(_kinds()),
        quantity=draw(st.sampled_from([1, 300]) | st.integers(1, 12)),
        unit=draw(st.sampled_from(INKIND_UNITS)),
        needed_by=as_of + timedelta(days=due),
        place=draw(_near_kazan()),
        purpose=draw(st.sampled_from(["a clean-up day", "обед для волонтёров"])),
        item=draw(st.none() | st.just("leaflets")),
        address=draw(st.none() | st.just("Bauman St 12")),
        need_id=draw(st.none() | st.sampled_from(list(need_ids))) if need_ids else None,
    )

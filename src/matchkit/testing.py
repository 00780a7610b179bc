"""Hypothesis strategies for matchkit data, and the solver invariant checker.

Every strategy builds its values from hypothesis draws (never from a seed handed to
``np.random``), so a failing example shrinks to a small one. Vocabularies are small on
purpose (three causes, three skills, four slots, ...) so that overlaps, ties and edge
cases happen often: equal and nearby places, places across the antimeridian, birthdays
on the ``as_of`` date, empty slot sets, remote needs without a place, ``min_overlap``
larger than the number of slots, end dates on ``as_of``.

Requires hypothesis (``pip install 'matchkit[test]'``).

>>> from hypothesis import given, settings
>>> from matchkit.testing import datasets
>>> @settings(max_examples=5, deadline=None)
... @given(datasets(max_volunteers=3, max_needs=3))
... def test_ids_unique(ds):
...     assert len(set(ds.volunteer_ids)) == len(ds.volunteers)
>>> test_ids_unique()
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

try:
    from hypothesis import strategies as st
except ImportError as err:  # pragma: no cover - exercised in a subprocess test
    raise ImportError(
        "matchkit.testing needs hypothesis, which is a test extra: pip install 'matchkit[test]'"
    ) from err

import numpy as np

from ._checks import check_assignment
from ._dataset import Dataset
from ._models import Need, NeedStatus, Organisation, OrganisationKind, Place, Volunteer
from ._problem import MatchProblem
from ._testing_inkind import INKIND_KINDS, INKIND_UNITS, inkind_offers, inkind_requests
from .datasets import DEFAULT_AS_OF

__all__ = [
    "ANCHORS",
    "AS_OF",
    "CAUSES",
    "CHECKS",
    "INKIND_KINDS",
    "INKIND_UNITS",
    "LANGUAGES",
    "SKILLS",
    "SLOTS",
    "check_assignment",
    "datasets",
    "inkind_offers",
    "inkind_requests",
    "needs",
    "organisations",
    "places",
    "problems",
    "volunteers",
]

#: The date ages and "over" are meant at (matchkit.datasets.DEFAULT_AS_OF).
AS_OF = DEFAULT_AS_OF
CAUSES = ("animals", "children", "elderly")
SKILLS = ("driving_licence", "first_aid", "it")
CHECKS = ("background", "medical")
LANGUAGES = ("en", "ru", "tt")
SLOTS = ("mon-morning", "mon-evening", "sat-morning", "sat-afternoon")
#: (lat, lon) points places cluster around: Kazan and 1-2 km from it, the antimeridian,
#: near a pole.
ANCHORS: tuple[tuple[float, float], ...] = (
    (55.7887, 49.1221),
    (55.7887, 49.1381),
    (55.8068, 49.1221),
    (0.0, 179.999),
    (89.99, 0.0),
)
_ORG_IDS = ("o0", "o1", "o2")
_ROUTES = ("organisation's bank account", "card 4111 1111 1111 1111 (personal)")
_NAMES = ("Aigul", "Олег", "José", "Anne-Marie O'Neil")

SearchStrategy = st.SearchStrategy


def _tags(vocab: Sequence[str]) -> SearchStrategy[tuple[str, ...]]:
    return _tags_of(tuple(vocab))


@lru_cache(maxsize=64)
def _tags_of(vocab: tuple[str, ...]) -> SearchStrategy[tuple[str, ...]]:
    # one integer draw per set (a bitmask over the vocabulary): cheap, and shrinks to ()
    return st.integers(0, 2 ** len(vocab) - 1).map(
        lambda m: tuple(v for j, v in enumerate(vocab) if m >> j & 1)
    )


def _place(lat: float, lon: float) -> Place:
    lat = min(90.0, max(-90.0, lat))
    lon = (lon + 180.0) % 360.0 - 180.0 if not -180.0 <= lon <= 180.0 else lon
    return Place(lat=lat, lon=lon)


def places(
    *, anchors: Sequence[tuple[float, float]] = ANCHORS, spread_deg: float = 0.05
) -> SearchStrategy[Place]:
    """Places: exactly on an anchor (zero distances), near one, or anywhere on Earth.

    Parameters
    ----------
    anchors : sequence of (lat, lon)
        Points to cluster around; default :data:`ANCHORS`.
    spread_deg : float
        How far (in degrees) a "near" place may be from its anchor.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> from matchkit.testing import places
    >>> @settings(max_examples=20, deadline=None)
    ... @given(places())
    ... def test_in_range(p):
    ...     assert -90 <= p.lat <= 90 and -180 <= p.lon <= 180
    >>> test_in_range()
    """
    return _places(tuple((float(a), float(b)) for a, b in anchors), float(spread_deg))


@lru_cache(maxsize=16)
def _places(anchors: tuple[tuple[float, float], ...], spread_deg: float) -> SearchStrategy[Place]:
    anchor = st.sampled_from(list(anchors))
    offset = st.floats(-spread_deg, spread_deg, allow_nan=False)
    return st.one_of(
        anchor.map(lambda a: _place(*a)),
        st.builds(lambda a, dy, dx: _place(a[0] + dy, a[1] + dx), anchor, offset, offset),
        st.builds(Place, lat=st.floats(-90, 90), lon=st.floats(-180, 180)),
    )


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


@lru_cache(maxsize=16)
def _birth_dates(as_of: date) -> SearchStrategy[date | None]:
    age = st.sampled_from([18, 14, 16, 17]) | st.integers(10, 80)  # the usual min_age limits first
    return st.one_of(
        age.map(lambda a: _years_before(as_of, a)),  # birthday on as_of
        age.map(lambda a: _years_before(as_of, a) + timedelta(days=1)),  # birthday tomorrow
        st.none(),
        st.dates(min_value=_years_before(as_of, 81), max_value=_years_before(as_of, 10)),
    )


@lru_cache(maxsize=16)
def _ids(prefix: str) -> SearchStrategy[str]:
    return st.integers(0, 99).map(lambda i: f"{prefix}{i}")


@st.composite
def volunteers(
    draw: Any,
    *,
    ids: SearchStrategy[str] | None = None,
    organisation_ids: Sequence[str] = _ORG_IDS,
    as_of: date = AS_OF,
) -> Volunteer:
    """Valid volunteers over the small vocabularies of this module.

    Parameters
    ----------
    ids : strategy of str, optional
        Where ids come from (default ``v0`` .. ``v99``).
    organisation_ids : sequence of str
        Organisations they may exclude or prefer.
    as_of : datetime.date
        Birth dates cluster around birthdays on this date.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> import matchkit as mk
    >>> from matchkit.testing import volunteers
    >>> @settings(max_examples=20, deadline=None)
    ... @given(volunteers())
    ... def test_valid(v):
    ...     assert v.max_placements >= 1 and set(v.availability) <= set(mk.SLOTS)
    >>> test_valid()
    """
    return Volunteer(
        id=draw(ids if ids is not None else _ids("v")),
        name=draw(st.none() | st.sampled_from(_NAMES)),
        birth_date=draw(_birth_dates(as_of)),
        home=draw(st.none() | places()),
        max_distance_km=draw(st.sampled_from([10.0, 0.0, 1.0, 2.5, 25.0]) | st.floats(0, 50)),
        remote_ok=draw(st.booleans()),
        interests=draw(_tags(CAUSES)),
        skills=draw(_tags(SKILLS)),
        languages=draw(_tags(LANGUAGES)),
        availability=draw(_tags(SLOTS)),
        max_placements=draw(st.integers(1, 3)),
        checks=draw(_tags(CHECKS)),
        excluded_organisations=draw(_tags(organisation_ids)),
        excluded_causes=draw(_tags(CAUSES)),
        preferred_organisations=draw(_tags(organisation_ids)),
        pool=draw(st.none() | st.sampled_from(["university-a", "online"])),
    )


@st.composite
def organisations(draw: Any, *, ids: SearchStrategy[str] | None = None) -> Organisation:
    """Valid organisations of every kind, registered or not, vetting some causes.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> from matchkit.testing import organisations
    >>> @settings(max_examples=20, deadline=None)
    ... @given(organisations())
    ... def test_valid(o):
    ...     assert set(o.vets_causes) <= {"animals", "children", "elderly"}
    >>> test_valid()
    """
    return Organisation(
        id=draw(ids if ids is not None else _ids("o")),
        name=draw(st.sampled_from(["Paws Shelter", "Городской центр", "Riverside Bakery"])),
        kind=draw(st.sampled_from(list(OrganisationKind))),
        registered=draw(st.booleans()),
        vets_causes=draw(_tags(CAUSES)),
    )


@st.composite
def needs(
    draw: Any,
    *,
    organisation_ids: Sequence[str] = _ORG_IDS,
    ids: SearchStrategy[str] | None = None,
    volunteer_ids: Sequence[str] = (),
    as_of: date = AS_OF,
) -> Need:
    """Valid needs of the given organisations (and vetted by them, when vetted).

    Remote needs without a place, empty slot sets (flexible), ``min_overlap`` from 0 to
    5 (often above the number of slots), every status, end dates on, just before or
    after ``as_of``; the policy fields too (money routes, some of them personal-looking,
    donations asked, work with minors, night work), and ideas ``proposed_by`` one of
    ``volunteer_ids`` when some are given.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> from matchkit.testing import needs
    >>> @settings(max_examples=20, deadline=None)
    ... @given(needs(organisation_ids=["o1"]))
    ... def test_valid(n):
    ...     assert n.organisation_id == "o1" and (n.location is not None or n.remote)
    >>> test_valid()
    """
    if not organisation_ids:
        raise ValueError("needs() needs at least one organisation id to post them")
    location = draw(st.none() | places())
    end_offset = draw(st.none() | st.sampled_from([0, -1, 1]) | st.integers(-60, 60))
    end = None if end_offset is None else as_of + timedelta(days=end_offset)
    start_back = draw(st.none() | st.integers(0, 30))
    start = None if start_back is None else (end or as_of) - timedelta(days=start_back)
    return Need(
        id=draw(ids if ids is not None else _ids("n")),
        organisation_id=draw(st.sampled_from(list(organisation_ids))),
        title=draw(st.sampled_from(["Walk dogs", "Уборка парка", "Tutor"])),
        causes=draw(_tags(CAUSES)),
        required_skills=draw(_tags(SKILLS)),
        desired_skills=draw(_tags(SKILLS)),
        languages=draw(_tags(LANGUAGES)),
        location=location,
        remote=True if location is None else draw(st.booleans()),
        slots=draw(_tags(SLOTS)),
        min_overlap=draw(st.integers(1, 5) | st.just(0)),
        capacity=draw(st.integers(1, 4)),
        min_age=draw(st.none() | st.sampled_from([18, 14, 16])),
        required_checks=draw(_tags(CHECKS)),
        status=draw(st.sampled_from([NeedStatus.OPEN, NeedStatus.IDEA, NeedStatus.VETTED, NeedStatus.CLOSED])),
        vetted_by=draw(st.none() | st.sampled_from(list(organisation_ids))),
        handles_money=draw(st.booleans()),
        start_date=start,
        end_date=end,
        account_route=draw(st.none() | st.sampled_from(_ROUTES)),
        asks_donation=draw(st.booleans()),
        involves_minors=draw(st.booleans()),
        night_work=draw(st.booleans()),
        proposed_by=draw(st.none() | st.sampled_from(list(volunteer_ids))) if volunteer_ids else None,
    )


@st.composite
def datasets(
    draw: Any,
    *,
    min_volunteers: int = 0,
    max_volunteers: int = 6,
    min_needs: int = 0,
    max_needs: int = 6,
    max_organisations: int = 3,
    as_of: date = AS_OF,
    inkind: bool = False,
    max_offers: int = 4,
    max_requests: int = 4,
    matchable: bool = False,
) -> Dataset:
    """Valid datasets: ids ``v0..``, ``o0..``, ``n0..``; references always resolve.

    Drawn freely, almost every pair breaks some hard rule (needs closed or over, skills,
    checks and languages required, exclusions), which tests of the rules want. With
    ``matchable=True`` about three records in four are relaxed instead (a need open,
    remote, with nothing required and no end; a volunteer who works remotely and
    excludes nothing), so that many pairs are acceptable, for tests of what is done with
    acceptable pairs (scores, explanations, rounds).

    With ``inkind=True`` they also hold up to ``max_offers`` offers (``of0..``) and
    ``max_requests`` requests (``rq0..``) of their organisations (see
    :func:`inkind_offers`, :func:`inkind_requests`); off by default, so tests that do not
    need them stay fast.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> from matchkit.testing import datasets
    >>> @settings(max_examples=10, deadline=None)
    ... @given(datasets(min_needs=1, max_needs=2))
    ... def test_refs(ds):
    ...     assert {n.organisation_id for n in ds.needs} <= set(ds.organisation_ids)
    >>> test_refs()
    >>> @settings(max_examples=10, deadline=None)
    ... @given(datasets(inkind=True))
    ... def test_inkind_refs(ds):
    ...     assert {r.need_id for r in ds.requests} <= {None, *ds.need_ids}
    >>> test_inkind_refs()
    """
    n_needs = draw(st.integers(min_needs, max_needs))
    n_orgs = draw(st.integers(1 if n_needs else 0, max(max_organisations, 1 if n_needs else 0)))
    org_ids = [f"o{i}" for i in range(n_orgs)]
    orgs = [draw(organisations(ids=st.just(o))) for o in org_ids]
    n_vols = draw(st.integers(min_volunteers, max_volunteers))
    vols = [draw(volunteers(ids=st.just(f"v{i}"), organisation_ids=org_ids, as_of=as_of)) for i in range(n_vols)]
    need_list = [
        draw(needs(organisation_ids=org_ids, ids=st.just(f"n{i}"), volunteer_ids=[v.id for v in vols], as_of=as_of))
        for i in range(n_needs)
    ]
    if matchable:
        vols = [
            v.model_copy(update=_OPEN_VOLUNTEER) if draw(st.integers(0, 3)) else v for v in vols
        ]
        need_list = [
            n.model_copy(update=_OPEN_NEED) if draw(st.integers(0, 3)) else n for n in need_list
        ]
    offers: list[Any] = []
    reqs: list[Any] = []
    if inkind and org_ids:
        n_off = draw(st.integers(0, max_offers))
        offers = [draw(inkind_offers(ids=st.just(f"of{i}"), organisation_ids=org_ids, as_of=as_of)) for i in range(n_off)]
        n_req = draw(st.integers(0, max_requests))
        need_ids = [n.id for n in need_list]
        reqs = [
            draw(inkind_requests(ids=st.just(f"rq{i}"), organisation_ids=org_ids, need_ids=need_ids, as_of=as_of))
            for i in range(n_req)
        ]
    return Dataset(
        volunteers=tuple(vols), organisations=tuple(orgs), needs=tuple(need_list), offers=tuple(offers), requests=tuple(reqs)
    )


#: What ``datasets(matchable=True)`` relaxes in a volunteer and in a need.
_OPEN_VOLUNTEER = {"remote_ok": True, "excluded_organisations": (), "excluded_causes": ()}
_OPEN_NEED = {
    "status": NeedStatus.OPEN, "remote": True, "required_skills": (), "required_checks": (),
    "languages": (), "min_age": None, "min_overlap": 0, "start_date": None, "end_date": None,
}


@st.composite
def problems(
    draw: Any,
    *,
    max_volunteers: int = 5,
    max_needs: int = 5,
    max_capacity: int = 3,
    weights: str = "mixed",
    min_weight: float = 0.0,
    pinned: bool = True,
) -> MatchProblem:
    """Small MatchProblems for solver tests.

    Random or complete edge sets (empty ones too), capacities 0 .. ``max_capacity``,
    integer weights (many ties) or float weights in [``min_weight``, 1], separate
    volunteer and need utilities (integers 0-4, so ties are common), and pinned edges
    chosen so that no capacity is exceeded.

    Parameters
    ----------
    max_volunteers, max_needs : int
        Largest number of rows and columns (0 is possible).
    max_capacity : int
        Capacities are drawn from 0 .. this.
    weights : {"mixed", "integer", "float"}
        Integer weights (``min_weight`` .. 10), floats, or either per problem.
    pinned : bool
        Whether to pin some edges (accepted placements).

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> from matchkit.testing import problems
    >>> @settings(max_examples=20, deadline=None)
    ... @given(problems())
    ... def test_pins_fit(p):
    ...     left, right = p.residual_capacities()
    ...     assert (left >= 0).all() and (right >= 0).all()
    >>> test_pins_fit()
    """
    if weights not in ("mixed", "integer", "float"):
        raise ValueError(f"weights must be 'mixed', 'integer' or 'float'; got {weights!r}")
    n_left = draw(st.integers(0, max_volunteers))
    n_right = draw(st.integers(0, max_needs))
    cells = [(i, j) for i in range(n_left) for j in range(n_right)]
    if draw(st.booleans()):
        mask = draw(st.lists(st.booleans(), min_size=len(cells), max_size=len(cells)))
    else:  # complete bipartite graphs (dense matrices) are common in solver tests
        mask = [True] * len(cells)
    edges = [c for c, keep in zip(cells, mask) if keep]
    m = len(edges)
    integer = weights == "integer" or (weights == "mixed" and draw(st.booleans()))
    if integer:
        w = draw(st.lists(st.integers(int(np.ceil(min_weight)), 10), min_size=m, max_size=m))
    else:
        # (sizes below 1e-200 become 0: no method need scale such weights; the flow
        # method refuses a problem whose largest weight is below about 2**-940)
        tiny = st.floats(min_weight, 1.0, allow_nan=False).map(
            lambda x: 0.0 if abs(x) < 1e-200 else x
        )
        w = draw(st.lists(tiny, min_size=m, max_size=m))
    utility = st.lists(st.integers(0, 4), min_size=m, max_size=m)
    left_u, right_u = draw(utility), draw(utility)
    cap = st.integers(0, max_capacity)
    left_cap = draw(st.lists(cap, min_size=n_left, max_size=n_left))
    right_cap = draw(st.lists(cap, min_size=n_right, max_size=n_right))
    want = draw(st.lists(st.booleans(), min_size=m, max_size=m)) if pinned else [False] * m
    free_l, free_r = list(left_cap), list(right_cap)
    pins = []
    for (i, j), p in zip(edges, want):
        keep = p and free_l[i] > 0 and free_r[j] > 0
        if keep:
            free_l[i] -= 1
            free_r[j] -= 1
        pins.append(keep)
    return MatchProblem.from_edges(
        np.array([e[0] for e in edges], dtype=np.int64),
        np.array([e[1] for e in edges], dtype=np.int64),
        np.array(w, dtype=np.float64),
        n_left=n_left,
        n_right=n_right,
        left_capacity=np.array(left_cap, dtype=np.int64),
        right_capacity=np.array(right_cap, dtype=np.int64),
        left_utility=np.array(left_u, dtype=np.float64),
        right_utility=np.array(right_u, dtype=np.float64),
        left_ids=[f"v{i}" for i in range(n_left)],
        right_ids=[f"n{j}" for j in range(n_right)],
        pinned=np.array(pins, dtype=bool),
    )

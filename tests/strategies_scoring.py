"""Scoring test cases: the shared ``matchkit.testing.datasets()`` plus two edge cases.

The shared strategy already gives remote and placeless needs, volunteers without a home,
empty slot sets, birthdays on ``as_of`` and places across the antimeridian and near a
pole. On top of it, this draws ``as_of`` around 29 February, gives some volunteers a
29 February birth date, and sets some volunteers' radius to exactly their great-circle
distance to a need (the "at most" boundary).
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
from hypothesis import strategies as st

from matchkit import Dataset
from matchkit._rules import great_circle_km
from matchkit.testing import AS_OF, datasets

AS_OF_DATES = [
    AS_OF,
    date(2025, 2, 28),
    date(2025, 3, 1),
    date(2024, 2, 29),
    date(2024, 2, 28),
]
_LEAP_BIRTHS = st.sampled_from(
    [date(2008, 2, 29), date(2000, 2, 29), date(2012, 2, 29)]
)


@st.composite
def scoring_cases(
    draw: st.DrawFn, max_volunteers: int = 5, max_needs: int = 4
) -> tuple[Dataset, date]:
    """(dataset, as_of) with leap-day births, births after ``as_of`` and radii exactly at a
    pair's distance."""
    as_of = draw(st.sampled_from(AS_OF_DATES))
    ds = draw(datasets(max_volunteers=max_volunteers, max_needs=max_needs, as_of=as_of))
    vols = list(ds.volunteers)
    if not vols:
        return ds, as_of
    index = st.integers(0, len(vols) - 1)
    for i in draw(st.lists(index, max_size=2)):
        vols[i] = vols[i].model_copy(update={"birth_date": draw(_LEAP_BIRTHS)})
    for i in draw(st.lists(index, max_size=1)):  # not born yet at as_of
        later = as_of + timedelta(days=draw(st.sampled_from([1, 200, 366, 3000])))
        vols[i] = vols[i].model_copy(update={"birth_date": later})
    if ds.needs:
        pairs = st.tuples(index, st.integers(0, len(ds.needs) - 1))
        for i, j in draw(st.lists(pairs, max_size=3)):
            home, loc = vols[i].home, ds.needs[j].location
            if home is not None and loc is not None:
                d = float(great_circle_km(home.lat, home.lon, loc.lat, loc.lon))
                vols[i] = vols[i].model_copy(update={"max_distance_km": d})
    return ds.replace(volunteers=tuple(vols)), as_of


def dense_pairs(n_v: int, n_n: int) -> tuple[np.ndarray, np.ndarray]:
    """Every (volunteer, need) index pair, volunteers as rows."""
    v, n = np.meshgrid(np.arange(n_v), np.arange(n_n), indexing="ij")
    return v.reshape(-1).astype(np.int64), n.reshape(-1).astype(np.int64)


# --- Edge-rich cases ------------------------------------------------------------------
# The shared datasets() exercise every rule but rarely produce an acceptable pair (most
# draws fail some rule), so the scores need a second source: small pools, volunteers
# with most tags, needs that require little, all in one ~6 km patch of a city, most
# needs open, so that most examples have several acceptable pairs and some near misses.

CAUSES = ["parks", "food", "kids", "elderly"]
SKILLS = ["driving", "cooking", "first_aid", "it"]
LANGS = ["en", "ru", "tt"]
CHECKS = ["background", "medical"]
SLOTS = ["mon-morning", "mon-evening", "sat-morning", "sun-morning"]
ORGS = ["o0", "o1", "o2"]


def _subset(pool: list[str], max_size: int) -> st.SearchStrategy[list[str]]:
    """A subset of at most ``max_size`` tags, drawn as one bitmask (shrinks to empty)."""
    return st.integers(0, 2 ** len(pool) - 1).map(
        lambda m: [t for i, t in enumerate(pool) if m >> i & 1][:max_size]
    )


def _all_but(pool: list[str]) -> st.SearchStrategy[list[str]]:
    """All of ``pool``, or (less often) all but one tag."""
    return st.integers(0, 2 * len(pool)).map(
        lambda i: [t for j, t in enumerate(pool) if j != i]
    )


def _rarely(pool: list[str]) -> st.SearchStrategy[list[str]]:
    """Usually nothing, sometimes one tag of ``pool``."""
    return st.integers(0, 6 * len(pool)).map(
        lambda i: [pool[i]] if i < len(pool) else []
    )


def _mostly(
    value: object, others: list[object], odds: int = 3
) -> st.SearchStrategy[object]:
    """``value`` most of the time, one of ``others`` about once in ``odds + 1`` draws."""
    n = len(others)
    return st.integers(0, (odds + 1) * n - 1).map(
        lambda i: others[i] if i < n else value
    )


_PLACE = st.fixed_dictionaries(
    {
        "lat": st.floats(55.77, 55.82, allow_nan=False),
        "lon": st.floats(49.08, 49.16, allow_nan=False),
    }
)
_VOLUNTEER = st.fixed_dictionaries(
    {
        "home": _mostly("place", [None]),
        "place": _PLACE,
        "max_distance_km": st.sampled_from([5.0, 10.0, 0.0, 2.0]) | st.floats(0.0, 8.0),
        "remote_ok": _mostly(True, [False]),
        "interests": _subset(CAUSES, 4),
        "skills": _all_but(SKILLS),
        "languages": _all_but(LANGS),
        "availability": _all_but(SLOTS) | _subset(SLOTS, 4),
        "max_placements": st.integers(1, 3),
        "checks": _all_but(CHECKS),
        "excluded_organisations": _rarely(ORGS + ["ghost"]),
        "excluded_causes": _rarely(CAUSES),
        "preferred_organisations": _subset(ORGS, 2),
        "birth": _mostly("date", [None, "leap", "birthday", "birthday"], 2),
        "years": st.sampled_from([14, 16, 18]),
        "date": st.dates(date(1950, 1, 1), date(2012, 12, 31)),
        "leap": _LEAP_BIRTHS,
    }
)
_NEED = st.fixed_dictionaries(
    {
        "organisation_id": st.sampled_from(ORGS),
        "causes": _subset(CAUSES, 2),
        "required_skills": _subset(SKILLS, 1),
        "desired_skills": _subset(SKILLS, 3),
        "languages": _subset(LANGS, 1),
        "location": _mostly("place", [None]),
        "place": _PLACE,
        "remote": _mostly(False, [True], 2),
        "slots": _subset(SLOTS, 3),
        "min_overlap": st.integers(0, 2),
        "capacity": st.integers(1, 3),
        "min_age": _mostly(None, [14, 16, 18], 2),
        "required_checks": _subset(CHECKS, 1),
        "status": _mostly("open", ["closed", "idea", "vetted"], 4),
        "end": _mostly(None, [-1, 0, 1]),
    }
)


@st.composite
def edge_rich_cases(
    draw: st.DrawFn, max_volunteers: int = 6, max_needs: int = 5
) -> tuple[Dataset, date]:
    """(dataset, as_of) where most examples have several acceptable pairs."""
    as_of = draw(st.sampled_from(AS_OF_DATES))
    vols = []
    for i, raw in enumerate(
        draw(st.lists(_VOLUNTEER, min_size=2, max_size=max_volunteers))
    ):
        rec = {
            k: v
            for k, v in raw.items()
            if k not in ("birth", "date", "leap", "years", "home", "place")
        }
        rec["id"] = f"v{i}"
        if raw["home"] is not None:
            rec["home"] = raw["place"]
        if (
            raw["birth"] == "birthday"
        ):  # turns 14, 16 or 18 on as_of (1 March for 29 Feb)
            y = as_of.year - raw["years"]
            rec["birth_date"] = (
                date(y, 3, 1)
                if (as_of.month, as_of.day) == (2, 29)
                else as_of.replace(year=y)
            )
        elif raw["birth"] is not None:
            rec["birth_date"] = raw[raw["birth"]]
        vols.append(rec)
    needs = []
    for j, raw in enumerate(draw(st.lists(_NEED, min_size=2, max_size=max_needs))):
        rec = {k: v for k, v in raw.items() if k not in ("end", "location", "place")}
        rec.update(id=f"n{j}", title=f"need {j}")
        if raw["location"] is not None:
            rec["location"] = raw["place"]
        else:
            rec["remote"] = True
        if raw["end"] is not None:
            rec["end_date"] = date.fromordinal(as_of.toordinal() + raw["end"])
        needs.append(rec)
    if vols and needs:  # some radii exactly at a pair's distance
        pairs = st.tuples(st.integers(0, len(vols) - 1), st.integers(0, len(needs) - 1))
        for i, j in draw(st.lists(pairs, max_size=3)):
            home, loc = vols[i].get("home"), needs[j].get("location")
            if home is not None and loc is not None:
                d = float(
                    great_circle_km(home["lat"], home["lon"], loc["lat"], loc["lon"])
                )
                vols[i]["max_distance_km"] = d
    orgs = [
        {"id": o, "name": f"Org {o}", "kind": "cso", "registered": True} for o in ORGS
    ]
    return Dataset(volunteers=vols, organisations=orgs, needs=needs), as_of

"""Hypothesis strategies for the scoring tests: small datasets rich in edge cases.

Small tag pools, a few places in one city (so radii matter), birthdays on and around
``as_of`` (29 February included), end dates around ``as_of``, empty slot sets, remote and
placeless needs, volunteers without a home, and radii set exactly to a pair's distance.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
from hypothesis import strategies as st

from matchkit import Dataset
from matchkit._rules import great_circle_km

CAUSES = ["parks", "food", "kids", "elderly"]
SKILLS = ["driving", "cooking", "first_aid", "it"]
LANGS = ["en", "ru", "tt"]
CHECKS = ["background", "medical"]
SLOTS = ["mon-morning", "mon-evening", "wed-afternoon", "sat-morning", "sat-evening", "sun-morning"]
ORGS = ["o0", "o1", "o2"]
AS_OF = [date(2026, 5, 1), date(2025, 2, 28), date(2025, 3, 1), date(2024, 2, 29), date(2024, 2, 28)]


def subset(pool: list[str], max_size: int | None = None) -> st.SearchStrategy[list[str]]:
    """A subset of ``pool`` drawn as one bitmask (cheap to generate, shrinks to empty)."""
    cap = len(pool) if max_size is None else max_size
    return st.integers(0, 2 ** len(pool) - 1).map(
        lambda m: [t for i, t in enumerate(pool) if m >> i & 1][:cap]
    )


places = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {
            "lat": st.floats(55.70, 55.90, allow_nan=False),
            "lon": st.floats(49.00, 49.30, allow_nan=False),
        }
    ),
)

_S_CAUSES = subset(CAUSES)
_S_CAUSES_1 = subset(CAUSES, 1)
_S_CAUSES_2 = subset(CAUSES, 2)
_S_CHECKS = subset(CHECKS)
_S_CHECKS_1 = subset(CHECKS, 1)
_S_LANGS = subset(LANGS)
_S_LANGS_1 = subset(LANGS, 1)
_S_ORGS_GHOST_2 = subset(ORGS + ["ghost"], 2)
_S_ORGS_2 = subset(ORGS, 2)
_S_SKILLS = subset(SKILLS)
_S_SKILLS_1 = subset(SKILLS, 1)
_S_SKILLS_2 = subset(SKILLS, 2)
_S_SLOTS = subset(SLOTS)
_S_SLOTS_3 = subset(SLOTS, 3)
_RADIUS = st.one_of(st.just(0.0), st.floats(0.0, 25.0))
_MIN_AGE = st.one_of(st.none(), st.integers(0, 25))
_END = st.one_of(st.none(), st.integers(-2, 2))
_STATUS = st.sampled_from(["open", "open", "open", "closed", "idea", "vetted"])
_ORG = st.sampled_from(ORGS)
_BIRTH_KIND = st.sampled_from(["none", "any", "birthday", "eve", "leap"])
_LEAP_YEAR = st.sampled_from([1960, 1980, 2000, 2004, 2008, 2012])


_INT_0_70 = st.integers(0, 70)
_DAYS_BACK = st.integers(0, 70 * 366)

_VOLUNTEER = st.fixed_dictionaries(
    {
        "home": places,
        "max_distance_km": _RADIUS,
        "remote_ok": st.booleans(),
        "interests": _S_CAUSES,
        "skills": _S_SKILLS,
        "languages": _S_LANGS,
        "availability": _S_SLOTS,
        "max_placements": st.integers(1, 3),
        "checks": _S_CHECKS,
        "excluded_organisations": _S_ORGS_GHOST_2,
        "excluded_causes": _S_CAUSES_1,
        "preferred_organisations": _S_ORGS_2,
        "_birth": st.tuples(_BIRTH_KIND, _INT_0_70, _DAYS_BACK, _LEAP_YEAR),
    }
)
_NEED = st.fixed_dictionaries(
    {
        "organisation_id": _ORG,
        "causes": _S_CAUSES_2,
        "required_skills": _S_SKILLS_1,
        "desired_skills": _S_SKILLS_2,
        "languages": _S_LANGS_1,
        "location": places,
        "remote": st.booleans(),
        "slots": _S_SLOTS_3,
        "min_overlap": st.integers(0, 3),
        "capacity": st.integers(1, 3),
        "min_age": _MIN_AGE,
        "required_checks": _S_CHECKS_1,
        "status": _STATUS,
        "_end": _END,
    }
)


def birth_date(kind: str, years: int, days_back: int, leap_year: int, as_of: date) -> date | None:
    """None, any date, the birthday on as_of, the day after it, or a 29 February."""
    if kind == "none":
        return None
    if kind == "any":
        return as_of - timedelta(days=days_back)
    if kind == "leap":
        return date(leap_year, 2, 29)
    try:
        day = as_of.replace(year=as_of.year - years)
    except ValueError:  # 29 February in a common year
        day = date(as_of.year - years, 3, 1)
    return day + timedelta(days=1) if kind == "eve" else day


def _volunteer(i: int, raw: dict[str, Any], as_of: date) -> dict[str, Any]:
    rec = {k: v for k, v in raw.items() if not k.startswith("_") and v is not None}
    rec["id"] = f"v{i}"
    birth = birth_date(*raw["_birth"], as_of)
    if birth is not None:
        rec["birth_date"] = birth.isoformat()
    return rec


def _need(j: int, raw: dict[str, Any], as_of: date) -> dict[str, Any]:
    rec = {k: v for k, v in raw.items() if not k.startswith("_") and v is not None}
    rec.update(id=f"n{j}", title=f"need {j}")
    if raw["location"] is None:
        rec["remote"] = True
    if raw["_end"] is not None:
        rec["end_date"] = (as_of + timedelta(days=raw["_end"])).isoformat()
    return rec


@st.composite
def scoring_cases(draw: st.DrawFn, max_volunteers: int = 8, max_needs: int = 6) -> tuple[Dataset, date]:
    """(dataset, as_of) with edge cases; some radii equal a pair's distance exactly."""
    as_of = draw(st.sampled_from(AS_OF))
    raw_v = draw(st.lists(_VOLUNTEER, max_size=max_volunteers))
    raw_n = draw(st.lists(_NEED, max_size=max_needs))
    vols = [_volunteer(i, r, as_of) for i, r in enumerate(raw_v)]
    needs = [_need(j, r, as_of) for j, r in enumerate(raw_n)]
    # Put some volunteers' radius exactly at their distance to some need.
    if vols and needs:
        for i, j in draw(st.lists(st.tuples(st.integers(0, len(vols) - 1),
                                            st.integers(0, len(needs) - 1)), max_size=3)):
            h, loc = vols[i].get("home"), needs[j].get("location")
            if h is not None and loc is not None:
                d = float(great_circle_km(h["lat"], h["lon"], loc["lat"], loc["lon"]))
                vols[i]["max_distance_km"] = d
    orgs = [{"id": o, "name": f"Org {o}", "kind": "cso", "registered": True} for o in ORGS]
    return Dataset(volunteers=vols, organisations=orgs, needs=needs), as_of


def dense_pairs(n_v: int, n_n: int) -> tuple[np.ndarray, np.ndarray]:
    """Every (volunteer, need) index pair, volunteers as rows."""
    v, n = np.meshgrid(np.arange(n_v), np.arange(n_n), indexing="ij")
    return v.reshape(-1).astype(np.int64), n.reshape(-1).astype(np.int64)

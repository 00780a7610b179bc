"""A plain, scalar reference of the hard rules and the score components.

One pair at a time, straight from the rules and components as docs/scoring.md states
them, with Python sets and the ``math`` module: slow and obviously correct.
The vectorised code in matchkit must agree with it.
"""

from __future__ import annotations

import calendar
import math
from datetime import date

from matchkit import Dataset, Need, Volunteer, Weights

EARTH_RADIUS_KM = 6371.0088
SLOT_ORDER = [
    f"{d}-{p}"
    for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    for p in ("morning", "afternoon", "evening")
]


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2) - math.radians(lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(a, 1.0)))


def age_on(birth: date, day: date) -> int:
    """Whole years; a 29 February birthday is celebrated on 1 March in common years."""
    if birth.month == 2 and birth.day == 29 and not calendar.isleap(day.year):
        birthday = date(day.year, 3, 1)
    else:
        birthday = date(day.year, birth.month, birth.day)
    return day.year - birth.year - (1 if day < birthday else 0)


def within(d: float, limit: float) -> bool:
    """d <= limit; equal up to float rounding of the two haversine implementations counts.

    The tolerance is relative only: the two round alike to within a few units in the last
    place of the distance, however small. (An absolute tolerance also let a distance of
    1e-60 km count as within a radius of 0, which the rule rightly refuses.)"""
    return d <= limit or math.isclose(d, limit, rel_tol=1e-12)


def distance(v: Volunteer, n: Need) -> float | None:
    if v.home is None or n.location is None:
        return None
    return haversine_km(v.home.lat, v.home.lon, n.location.lat, n.location.lon)


def failures(v: Volunteer, n: Need, day: date) -> list[str]:
    """Codes of every rule (1-6) the pair fails, in rule order."""
    out = []
    if n.status.value != "open":
        out.append("not_open")
    if n.end_date is not None and n.end_date < day:
        out.append("ended")
    if n.organisation_id in v.excluded_organisations:
        out.append("excluded_organisation")
    if set(n.causes) & set(v.excluded_causes):
        out.append("excluded_cause")
    if not set(n.required_skills) <= set(v.skills):
        out.append("skills")
    if not set(n.languages) <= set(v.languages):
        out.append("languages")
    if not set(n.required_checks) <= set(v.checks):
        out.append("checks")
    if n.min_age is not None:
        if v.birth_date is None:
            out.append("age_unknown")
        elif age_on(v.birth_date, day) < n.min_age:
            out.append("age")
    if n.remote:
        if not v.remote_ok:
            out.append("remote_not_ok")
    else:
        d = distance(v, n)
        if d is None:
            out.append("no_place")
        elif not within(d, v.max_distance_km):
            out.append("distance")
    covered = len(set(v.availability) & set(n.slots))
    if covered < min(n.min_overlap, len(n.slots)):
        out.append("schedule")
    return out


def components(v: Volunteer, n: Need) -> dict[str, float]:
    """The score components of an acceptable pair (docs/scoring.md)."""
    interests, causes = set(v.interests), set(n.causes)
    if interests and causes:
        interest = len(interests & causes) / min(len(interests), len(causes))
    else:
        interest = 0.5
    if n.remote:
        dist_km = math.nan
        closeness = 1.0
    else:
        dist_km = distance(v, n)
        assert dist_km is not None
        closeness = (
            1.0
            if v.max_distance_km == 0
            else max(0.0, 1.0 - dist_km / v.max_distance_km)
        )
    avail, slots = set(v.availability), set(n.slots)
    if slots:
        schedule = len(avail & slots) / len(avail | slots)
        coverage = len(avail & slots) / len(slots)
    else:
        schedule = coverage = 1.0
    if v.preferred_organisations:
        preferred = 1.0 if n.organisation_id in v.preferred_organisations else 0.0
    else:
        preferred = 0.5
    desired = set(n.desired_skills)
    skills = len(desired & set(v.skills)) / len(desired) if desired else 0.5
    extra = len(set(v.languages) - set(n.languages))
    language = min(extra, 2) / 2
    return {
        "interest": interest,
        "distance": closeness,
        "schedule": schedule,
        "preferred": preferred,
        "skills": skills,
        "coverage": coverage,
        "language": language,
        "distance_km": dist_km,
    }


def utilities(c: dict[str, float], w: Weights) -> tuple[float, float, float]:
    vs = ["interest", "distance", "schedule", "preferred"]
    ns = ["skills", "coverage", "language"]
    vu = sum(getattr(w, k) * c[k] for k in vs) / sum(getattr(w, k) for k in vs)
    nu = sum(getattr(w, k) * c[k] for k in ns) / sum(getattr(w, k) for k in ns)
    return vu, nu, w.volunteer_side * vu + (1 - w.volunteer_side) * nu


def edges(
    ds: Dataset, day: date, w: Weights
) -> dict[tuple[int, int], dict[str, float]]:
    """Every acceptable pair (volunteer index, need index) -> components and utilities."""
    out = {}
    for i, v in enumerate(ds.volunteers):
        for j, n in enumerate(ds.needs):
            if failures(v, n, day):
                continue
            c = components(v, n)
            vu, nu, wt = utilities(c, w)
            out[(i, j)] = {
                **c,
                "volunteer_utility": vu,
                "need_utility": nu,
                "weight": wt,
            }
    return out

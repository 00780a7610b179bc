"""The hard rules of acceptability, vectorised, with one failure mask per rule.

The hard rules 1-6 (docs/scoring.md, "The hard rules and their codes"), over arrays of pairs
``(v[i], n[i])`` (volunteer and need positions in an :class:`~matchkit._encode.Encoded`).
Rule 7 (placements already accepted, needs already full, rejected pairs) depends on the
decisions taken so far and is applied on the ``MatchProblem`` (pinned edges and
``MatchProblem.with_decisions``), not here.

Rule codes (stable; ``RULES`` maps each to a plain description):

=======================  ====  ==========================================================
code                     rule  fails when
=======================  ====  ==========================================================
``not_open``             1     the need's status is not ``open``
``ended``                1     the need's ``end_date`` is before ``as_of``
``excluded_organisation`` 2    the volunteer excluded the need's organisation
``excluded_cause``       2     one of the need's causes is among the excluded causes
``skills``               3     a required skill is missing
``languages``            3     a required language is missing
``checks``               3     a required check is missing
``age_unknown``          4     the need has ``min_age`` and the birth date is unknown
``age``                  4     the volunteer is younger than ``min_age`` at ``as_of``
                               (or born after it)
``remote_not_ok``        5     the need is remote and the volunteer is not ``remote_ok``
``no_place``             5     the need is not remote and the volunteer has no home
                               (or the need no location)
``distance``             5     great-circle distance > the volunteer's ``max_distance_km``
``schedule``             6     fewer than ``min(min_overlap, len(slots))`` slots covered
=======================  ====  ==========================================================

Distances are great-circle distances by the haversine formula on a sphere of radius
``EARTH_RADIUS_KM`` = 6371.0088 km (the IUGG mean Earth radius); "at most" is inclusive.
Ages are whole years at ``as_of``: the birthday counts on the day itself; someone born on
29 February turns a year older on 1 March in common years (on 29 February in leap years).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._encode import Encoded, narrow_counts, popcount

__all__ = [
    "EARTH_RADIUS_KM",
    "RULES",
    "ages_at",
    "great_circle_km",
    "need_distances_km",
    "need_rule_failures",
    "pair_distances_km",
    "pair_rule_failures",
    "slots_covered",
    "volunteer_distances_km",
    "volunteer_rule_failures",
]

#: Mean Earth radius (IUGG), in kilometres, used for every great-circle distance.
EARTH_RADIUS_KM = 6371.0088

#: Rule code -> plain description, in the order of the rules (docs/scoring.md).
RULES: dict[str, str] = {
    "not_open": "the need is not open",
    "ended": "the need has ended",
    "excluded_organisation": "the volunteer excluded the need's organisation",
    "excluded_cause": "the volunteer excluded one of the need's causes",
    "skills": "the volunteer lacks a required skill",
    "languages": "the volunteer lacks a required language",
    "checks": "the volunteer lacks a required check",
    "age_unknown": "the need has a minimum age and the volunteer's birth date is unknown",
    "age": "the volunteer is younger than the need's minimum age",
    "remote_not_ok": "the need is remote and the volunteer does not accept remote work",
    "no_place": "the need is in person and the volunteer's home or the need's location is unknown",
    "distance": "the need is farther than the volunteer will travel",
    "schedule": "the volunteer covers too few of the need's slots",
}

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]
B = NDArray[np.bool_]


def _haversine(
    lat1: F64,
    lon1: F64,
    lat2: F64,
    lon2: F64,
    cos1: F64 | None = None,
    cos2: F64 | None = None,
) -> F64:
    """Great-circle distance in km between points given in radians (NaN in, NaN out).

    ``cos1``, ``cos2`` may pass precomputed cosines of the latitudes (same values).
    """
    s_lat = np.sin((lat2 - lat1) * 0.5)
    s_lon = np.sin((lon2 - lon1) * 0.5)
    c1 = np.cos(lat1) if cos1 is None else cos1
    c2 = np.cos(lat2) if cos2 is None else cos2
    s_lat *= s_lat
    s_lon *= s_lon
    a = c1 * c2
    a *= s_lon
    a += s_lat
    np.minimum(a, 1.0, out=a)
    np.sqrt(a, out=a)
    np.arcsin(a, out=a)
    a *= 2.0 * EARTH_RADIUS_KM
    return a


def great_circle_km(
    lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike
) -> F64:
    """Great-circle (haversine) distance in kilometres between points in degrees.

    Uses a sphere of radius ``EARTH_RADIUS_KM`` = 6371.0088 km. Broadcasts like numpy.

    Examples
    --------
    >>> round(float(great_circle_km(55.79, 49.12, 55.75, 37.62)), 1)  # Kazan - Moscow
    718.5
    """
    arrs = np.broadcast_arrays(
        *(np.radians(np.asarray(x, dtype=np.float64)) for x in (lat1, lon1, lat2, lon2))
    )
    flat = [a.reshape(-1) for a in arrs]
    return _haversine(*flat).reshape(arrs[0].shape)


def ages_at(enc: Encoded, as_of: date) -> I64:
    """Age in whole years of every volunteer at ``as_of``; -1 where the birth date is unknown.

    The birthday counts on the day itself; a 29 February birthday falls on 1 March in
    common years (the (month, day) comparison does this by itself).
    """
    md = as_of.month * 100 + as_of.day
    age = as_of.year - enc.v_birth_year - (md < enc.v_birth_md).astype(np.int64)
    return np.where(enc.v_birth_year < 0, -1, age)


def pair_distances_km(enc: Encoded, v: I64, n: I64) -> F64:
    """Great-circle distance of each pair; NaN where a place is unknown."""
    return _haversine(
        enc.v_lat[v],
        enc.v_lon[v],
        enc.n_lat[n],
        enc.n_lon[n],
        enc.v_cos_lat[v],
        enc.n_cos_lat[n],
    )


def need_distances_km(enc: Encoded, need_index: int) -> F64:
    """Distance from every volunteer's home to one need's location (NaN where unknown)."""
    n = np.full(enc.n_volunteers, need_index, dtype=np.int64)
    return pair_distances_km(enc, np.arange(enc.n_volunteers), n)


def volunteer_distances_km(enc: Encoded, volunteer_index: int) -> F64:
    """Distance from one volunteer's home to every need's location (NaN where unknown)."""
    v = np.full(enc.n_needs, volunteer_index, dtype=np.int64)
    return pair_distances_km(enc, v, np.arange(enc.n_needs))


def slots_covered(enc: Encoded, v: I64, n: I64) -> NDArray[np.uint8]:
    """How many of the need's slots each pair's volunteer is available for (small
    counts, as uint8)."""
    covered = enc.v_availability[v]
    covered &= enc.n_slots[n]
    return popcount(covered)


def _missing(vbits: NDArray[np.uint64], nbits: NDArray[np.uint64], v: I64, n: I64) -> B:
    """True where the need's set is not a subset of the volunteer's set."""
    if nbits.shape[1] == 1:  # (a column, then a gather: three times faster than [v, 0])
        return (nbits[:, 0][n] & ~vbits[:, 0][v]) != 0  # type: ignore[no-any-return]
    return ((nbits[n] & ~vbits[v]) != 0).any(axis=1)  # type: ignore[no-any-return]


def _meets(vbits: NDArray[np.uint64], nbits: NDArray[np.uint64], v: I64, n: I64) -> B:
    """True where the two sets share a tag."""
    if nbits.shape[1] == 1:
        return (nbits[:, 0][n] & vbits[:, 0][v]) != 0  # type: ignore[no-any-return]
    return ((nbits[n] & vbits[v]) != 0).any(axis=1)  # type: ignore[no-any-return]


#: Up to this many organisations per volunteer, membership is tested against each.
FEW_ORGANISATIONS = 4


def _org_member(keys: I64, enc: Encoded, v: I64, n: I64, name: str) -> B:
    """True where the need's organisation is in the volunteer's organisation key set.

    Keys are ``volunteer * n_organisations + organisation``, sorted; only the pairs whose
    volunteer has any key are looked up.
    """
    out = np.zeros(v.shape, dtype=bool)
    if keys.size == 0 or v.size == 0:
        return out
    n_org = max(enc.n_organisations, 1)
    index = enc._cache.get(name)
    if index is None:  # each volunteer's keys are a run of the sorted keys
        counts = np.bincount(keys // n_org, minlength=enc.n_volunteers)
        start = np.zeros(enc.n_volunteers + 1, dtype=np.int64)
        np.cumsum(counts, out=start[1:])
        index = enc._cache[name] = (counts > 0, start, int(counts.max()), keys % n_org)
    has, start, most, orgs = index
    sub = np.flatnonzero(has[v])
    if sub.size == 0:
        return out
    vs, org = v[sub], enc.n_org[n[sub]]
    if most > FEW_ORGANISATIONS:
        q = vs * n_org + org
        pos = np.searchsorted(keys, q)
        np.minimum(pos, keys.size - 1, out=pos)
        out[sub] = keys[pos] == q
        return out
    # A few organisations per volunteer: compare with each of them (a binary search
    # over every key costs three times as much).
    first = start[vs]
    count = start[vs + 1] - first
    hit = orgs[first] == org  # (every volunteer here has a key)
    for j in range(1, most):
        at = first + j
        np.minimum(at, keys.size - 1, out=at)
        hit |= (orgs[at] == org) & (count > j)
    out[sub] = hit
    return out


def day_cached(enc: Encoded, name: str, day: int, make: Callable[[], Any]) -> Any:
    """``make()`` kept with the encoded dataset for one day (``day``: an ordinal): the
    last day asked for is kept, so entries do not pile up on a long-lived dataset."""
    kept = enc._cache.get(name)
    if kept is None or kept[0] != day:
        kept = enc._cache[name] = (day, make())
    return kept[1]


class _Ctx:
    """What the rules need besides the pairs: the date, ages, and an optional radius."""

    def __init__(
        self, enc: Encoded, as_of: date, max_km: ArrayLike | None = None
    ) -> None:
        self.enc = enc
        self.as_of_ordinal = as_of.toordinal()
        # (a build makes a context per chunk)
        self.ages: I64 = day_cached(enc, "ages", self.as_of_ordinal, lambda: ages_at(enc, as_of))
        self.max_km = (
            enc.v_max_km
            if max_km is None
            else np.broadcast_to(
                np.asarray(max_km, dtype=np.float64), (enc.n_volunteers,)
            )
        )


Rule = Callable[[_Ctx, I64, I64], B]


def _not_open(c: _Ctx, v: I64, n: I64) -> B:
    return ~c.enc.n_open[n]


def _ended(c: _Ctx, v: I64, n: I64) -> B:
    return c.enc.n_end[n] < c.as_of_ordinal


def _excluded_organisation(c: _Ctx, v: I64, n: I64) -> B:
    return _org_member(c.enc.v_excluded_org_keys, c.enc, v, n, "excluded_organisations")


def _excluded_cause(c: _Ctx, v: I64, n: I64) -> B:
    return _meets(c.enc.v_excluded_causes, c.enc.n_causes, v, n)


def _skills(c: _Ctx, v: I64, n: I64) -> B:
    return _missing(c.enc.v_skills, c.enc.n_required_skills, v, n)


def _languages(c: _Ctx, v: I64, n: I64) -> B:
    return _missing(c.enc.v_languages, c.enc.n_languages, v, n)


def _checks(c: _Ctx, v: I64, n: I64) -> B:
    return _missing(c.enc.v_checks, c.enc.n_required_checks, v, n)


def _age_unknown(c: _Ctx, v: I64, n: I64) -> B:
    return (c.enc.n_min_age[n] >= 0) & (c.enc.v_birth_year[v] < 0)


def _age(c: _Ctx, v: I64, n: I64) -> B:
    # (A birth date after as_of gives a negative age: below every minimum age.)
    min_age = c.enc.n_min_age[n]
    return (c.enc.v_birth_year[v] >= 0) & (min_age >= 0) & (c.ages[v] < min_age)


def _remote_not_ok(c: _Ctx, v: I64, n: I64) -> B:
    return c.enc.n_remote[n] & ~c.enc.v_remote_ok[v]


def _no_place(c: _Ctx, v: I64, n: I64) -> B:
    return ~c.enc.n_remote[n] & ~(c.enc.v_has_home[v] & c.enc.n_has_place[n])


def _distance_fail(c: _Ctx, v: I64, n: I64, d: F64) -> B:
    """Pairs farther than the radius (in-person needs with both places known only)."""
    in_person = ~c.enc.n_remote[n] & c.enc.v_has_home[v] & c.enc.n_has_place[n]
    return in_person & ~(d <= c.max_km[v])


def _schedule(c: _Ctx, v: I64, n: I64) -> B:
    return slots_covered(c.enc, v, n) < narrow_counts(c.enc, "n_required_overlap")[n]


_PAIR_RULES: dict[str, Rule] = {
    "not_open": _not_open,
    "ended": _ended,
    "excluded_organisation": _excluded_organisation,
    "excluded_cause": _excluded_cause,
    "skills": _skills,
    "languages": _languages,
    "checks": _checks,
    "age_unknown": _age_unknown,
    "age": _age,
    "remote_not_ok": _remote_not_ok,
    "no_place": _no_place,
    "schedule": _schedule,
}


def pair_rule_failures(
    enc: Encoded,
    v: ArrayLike,
    n: ArrayLike,
    as_of: date,
    *,
    max_distance_km: ArrayLike | None = None,
) -> dict[str, B]:
    """Every rule's failure mask over the pairs ``(v[i], n[i])``.

    Parameters
    ----------
    enc : Encoded
    v, n : array-like of int, same shape
        Volunteer and need positions.
    as_of : date
        The date ages and end dates are judged at.
    max_distance_km : float or array of shape (n_volunteers,), optional
        Travel radius to use instead of each volunteer's own (for "what if" questions).

    Returns
    -------
    dict of str to bool ndarray
        One mask per rule code, in the order of ``RULES``; True where the rule excludes
        the pair. A pair is acceptable where no mask is True.
    """
    vi = np.asarray(v, dtype=np.int64)
    ni = np.asarray(n, dtype=np.int64)
    ctx = _Ctx(enc, as_of, max_distance_km)
    out = {code: _PAIR_RULES[code](ctx, vi, ni) for code in _PAIR_RULES}
    out["distance"] = _distance_fail(ctx, vi, ni, pair_distances_km(enc, vi, ni))
    return {code: out[code] for code in RULES}


def need_rule_failures(
    enc: Encoded,
    need_index: int,
    as_of: date,
    *,
    max_distance_km: ArrayLike | None = None,
) -> dict[str, B]:
    """Every rule's failure mask for one need against all volunteers.

    Returns a dict ``rule code -> bool ndarray of shape (n_volunteers,)``, True where the
    rule excludes the volunteer. ``max_distance_km`` overrides the volunteers' radius
    (a scalar or one value per volunteer), e.g. to ask how many more volunteers would
    qualify with a 15 km radius.

    Examples
    --------
    >>> import datetime, matchkit as mk
    >>> from matchkit._encode import encode
    >>> ds = mk.Dataset(
    ...     volunteers=[{"id": "v1", "home": {"lat": 55.79, "lon": 49.12}},
    ...                 {"id": "v2", "home": {"lat": 55.90, "lon": 49.12}}],
    ...     organisations=[{"id": "o1", "name": "Park", "kind": "cso", "registered": True}],
    ...     needs=[{"id": "n1", "organisation_id": "o1", "title": "Plant", "capacity": 2,
    ...             "status": "open", "location": {"lat": 55.80, "lon": 49.12}}],
    ... )
    >>> f = need_rule_failures(encode(ds), 0, datetime.date(2026, 1, 1))
    >>> f["distance"].tolist()
    [False, True]
    >>> need_rule_failures(encode(ds), 0, datetime.date(2026, 1, 1),
    ...                    max_distance_km=15)["distance"].tolist()
    [False, False]
    """
    v = np.arange(enc.n_volunteers, dtype=np.int64)
    n = np.full(enc.n_volunteers, need_index, dtype=np.int64)
    return pair_rule_failures(enc, v, n, as_of, max_distance_km=max_distance_km)


def volunteer_rule_failures(
    enc: Encoded,
    volunteer_index: int,
    as_of: date,
    *,
    max_distance_km: ArrayLike | None = None,
) -> dict[str, B]:
    """Every rule's failure mask for one volunteer against all needs.

    Returns a dict ``rule code -> bool ndarray of shape (n_needs,)``. ``max_distance_km``
    (a scalar) overrides the volunteer's radius.
    """
    n = np.arange(enc.n_needs, dtype=np.int64)
    v = np.full(enc.n_needs, volunteer_index, dtype=np.int64)
    return pair_rule_failures(enc, v, n, as_of, max_distance_km=max_distance_km)

"""Score components of acceptable pairs, and how they combine (pure numpy).

Every component is in [0, 1]; ``docs/scoring.md`` defines each one. Where there is
nothing to compare (a volunteer with no interests, a need with no desired skills, a
volunteer with no preferred organisation) the component is neutral, 0.5.

Volunteer side (how much the volunteer would want the need):

* ``interest``  = |interests & causes| / min(|interests|, |causes|)  (0.5 if either is empty)
* ``distance``  = 1 - distance_km / max_distance_km  (1 for remote needs and a 0 km radius)
* ``schedule``  = |availability & slots| / |availability | slots|  (1 if the need has no slots)
* ``preferred`` = 1 if the organisation is preferred, else 0  (0.5 if none is preferred)

Need side (how well the volunteer fits the need):

* ``skills``    = |skills & desired_skills| / |desired_skills|  (0.5 if none desired)
* ``coverage``  = |availability & slots| / |slots|  (1 if the need has no slots)
* ``language``  = min(extra, 2) / 2, extra = languages spoken beyond the required ones

``distance_km`` (the great-circle distance; NaN for remote needs) is kept alongside.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping

import numpy as np
from numpy.typing import NDArray

from ._encode import Encoded, narrow_counts, popcount
from ._rules import _org_member, pair_distances_km
from ._weights import NEED_COMPONENTS, VOLUNTEER_COMPONENTS, Weights

__all__ = [
    "COMPONENTS",
    "EXTRA_LANGUAGES_FULL",
    "NEUTRAL",
    "LazyComponents",
    "combine",
    "components",
    "utilities",
    "weight_of",
]

#: Names of the per-edge components, in the order they are stored.
COMPONENTS: tuple[str, ...] = VOLUNTEER_COMPONENTS + NEED_COMPONENTS + ("distance_km",)
#: Value of a component when there is nothing to compare.
NEUTRAL = 0.5
#: Extra languages (beyond the required ones) that earn the full ``language`` score.
EXTRA_LANGUAGES_FULL = 2

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]

#: ``language`` by extra languages, 0 .. EXTRA_LANGUAGES_FULL.
_LANGUAGE_SHARES = np.arange(EXTRA_LANGUAGES_FULL + 1) / float(EXTRA_LANGUAGES_FULL)


def _and_count(
    a: NDArray[np.uint64], b: NDArray[np.uint64], v: I64, n: I64
) -> NDArray[np.integer]:
    if a.shape[1] == 1:  # (a column, then a gather: three times faster than a[v, 0])
        return popcount(a[:, 0][v] & b[:, 0][n])
    return popcount(a[v] & b[n]).sum(axis=1, dtype=np.int64)  # type: ignore[no-any-return]


#: Counts up to this are divided through a table of every quotient (a bitset word holds
#: at most 64 tags): one gather instead of a conversion, a fill and a masked division.
_TABLE_MAX = 64


@functools.cache
def _quotients(empty: float) -> F64:
    """``table[num * (_TABLE_MAX + 1) + den]`` = num / den (``empty`` where den == 0),
    the same bits as numpy's division."""
    num, den = np.divmod(np.arange((_TABLE_MAX + 1) ** 2), _TABLE_MAX + 1)
    out = np.full(num.shape, empty, dtype=np.float64)
    np.divide(num, den, out=out, where=den > 0)
    return out


def _ratio(num: NDArray[np.integer], den: NDArray[np.integer], empty: float) -> F64:
    """num / den for counts 0 <= num <= den (``empty`` where den == 0)."""
    if den.size and int(den.max()) <= _TABLE_MAX:  # (a larger num would fail the take)
        at = num.astype(np.intp)
        at *= _TABLE_MAX + 1
        at += den
        return _quotients(empty).take(at)
    den_f = np.asarray(den, dtype=np.float64)
    out = np.full(den_f.shape, empty, dtype=np.float64)
    np.divide(num, den_f, out=out, where=den_f > 0)
    return out


def components(enc: Encoded, v: I64, n: I64, distance_km: F64) -> dict[str, F64]:
    """Every score component of the acceptable pairs ``(v[i], n[i])``.

    Parameters
    ----------
    enc : Encoded
    v, n : int64 arrays
        Acceptable pairs (the formulas assume the hard rules hold).
    distance_km : float64 array
        Great-circle distance of each pair (ignored for remote needs).

    Returns
    -------
    dict of str to float64 ndarray
        Keyed by :data:`COMPONENTS`.

    Examples
    --------
    >>> import datetime, numpy as np, matchkit as mk
    >>> from matchkit._encode import encode
    >>> ds = mk.Dataset(
    ...     volunteers=[{"id": "v1", "interests": ["parks"], "availability": ["sat-morning"]}],
    ...     organisations=[{"id": "o1", "name": "Park", "kind": "cso", "registered": True}],
    ...     needs=[{"id": "n1", "organisation_id": "o1", "title": "Plant", "capacity": 2,
    ...             "status": "open", "remote": True, "causes": ["parks", "trees"],
    ...             "slots": ["sat-morning", "sun-morning"]}],
    ... )
    >>> c = components(encode(ds), np.array([0]), np.array([0]), np.array([np.nan]))
    >>> c["interest"].tolist(), c["coverage"].tolist(), c["schedule"].tolist()
    ([1.0], [0.5], [0.5])
    """
    remote = enc.n_remote[n]
    interest = _ratio(
        _and_count(enc.v_interests, enc.n_causes, v, n),
        np.minimum(narrow_counts(enc, "v_n_interests")[v], narrow_counts(enc, "n_n_causes")[n]),
        NEUTRAL,
    )
    max_km = enc.v_max_km[v]
    dist = np.where(remote, np.nan, distance_km)
    scaled = ~remote & (max_km > 0)
    ratio = np.zeros(v.shape, dtype=np.float64)
    np.divide(dist, max_km, out=ratio, where=scaled)
    closeness = np.where(scaled, 1.0 - ratio, 1.0)
    np.clip(closeness, 0.0, 1.0, out=closeness)

    avail = enc.v_availability[v]
    slots = enc.n_slots[n]
    both = popcount(avail & slots)  # (small counts: _ratio widens them)
    avail |= slots
    either = popcount(avail)
    n_slots = narrow_counts(enc, "n_n_slots")[n]
    schedule = np.where(n_slots > 0, _ratio(both, either, 1.0), 1.0)
    coverage = _ratio(both, n_slots, 1.0)

    preferred = np.where(
        enc.v_n_preferred[v] > 0,
        _org_member(enc.v_preferred_org_keys, enc, v, n, "preferred_organisations"),
        NEUTRAL,
    )  # (True -> 1.0)
    skills = _ratio(
        _and_count(enc.v_skills, enc.n_desired_skills, v, n),
        narrow_counts(enc, "n_n_desired")[n],
        NEUTRAL,
    )
    extra = narrow_counts(enc, "v_n_languages")[v] - narrow_counts(enc, "n_n_languages")[n]
    np.clip(extra, 0, EXTRA_LANGUAGES_FULL, out=extra)
    language = _LANGUAGE_SHARES.take(extra)
    return {
        "interest": interest,
        "distance": closeness,
        "schedule": schedule,
        "preferred": preferred,
        "skills": skills,
        "coverage": coverage,
        "language": language,
        "distance_km": dist,
    }


def combine(comps: dict[str, F64], weights: Weights) -> tuple[F64, F64, F64]:
    """``(volunteer_utility, need_utility, weight)`` from the components, each in [0, 1].

    Each utility is the weighted mean of its side's components; the weight is
    ``volunteer_side * volunteer_utility + (1 - volunteer_side) * need_utility``.

    Examples
    --------
    >>> import numpy as np, matchkit as mk
    >>> one = np.ones(1)
    >>> comps = {k: one for k in ("interest", "distance", "schedule", "preferred",
    ...                           "skills", "coverage", "language")}
    >>> [x.tolist() for x in combine(comps, mk.Weights())]
    [[1.0], [1.0], [1.0]]
    """
    vu, nu = utilities(comps, weights)
    return vu, nu, weight_of(vu, nu, weights.volunteer_side)


def utilities(comps: dict[str, F64], weights: Weights) -> tuple[F64, F64]:
    """``(volunteer_utility, need_utility)``: :func:`combine` without the weight (a
    build keeps the utilities alone and computes the weights once, at its end)."""
    return (
        _mean(comps, VOLUNTEER_COMPONENTS, weights),
        _mean(comps, NEED_COMPONENTS, weights),
    )


def weight_of(vu: F64, nu: F64, volunteer_side: float, out: F64 | None = None) -> F64:
    """The weight ``s * vu + (1 - s) * nu`` clipped to [0, 1] (``s``: the volunteer side).

    The same bits wherever it is computed, so the build may keep the utilities alone and
    compute the weights once, in the problem's order. ``out`` receives them if given.

    Examples
    --------
    >>> weight_of(np.array([1.0, 0.0]), np.array([0.5, 0.5]), 0.5).tolist()
    [0.75, 0.25]
    """
    s = volunteer_side
    w = np.empty(vu.shape, dtype=np.float64) if out is None else out
    step = 1 << 20  # in slices: no temporaries of every edge at the end of a build
    for a in range(0, vu.size, step):
        part = w[a : a + step]
        np.multiply(vu[a : a + step], s, out=part)
        part += (1.0 - s) * nu[a : a + step]
    np.clip(w, 0.0, 1.0, out=w)
    return w


def _mean(comps: dict[str, F64], names: tuple[str, ...], weights: Weights) -> F64:
    total = float(sum(getattr(weights, k) for k in names))
    out: F64 | None = None
    term: F64 | None = None
    # Term by term into two buffers (the same operations in the same order as
    # ``out = out + comps[k] * share``, so the same bits, without an array per term).
    for k in names:
        wk = getattr(weights, k)
        if wk == 0:
            continue
        if out is None:
            out = np.multiply(comps[k], wk / total)
            continue
        if term is None:
            term = np.empty_like(out)
        np.multiply(comps[k], wk / total, out=term)
        out += term
    assert out is not None  # Weights guarantees a positive weight per side
    np.clip(out, 0.0, 1.0, out=out)
    return out


class LazyComponents(Mapping[str, NDArray[np.float32]]):
    """The score components of a problem's edges, computed when they are read.

    ``build_problem`` keeps only the weight and the two utilities per edge; the
    components of the few edges a round explains are recomputed from the encoded
    dataset (:meth:`take`), which costs far less than storing eight more columns for
    every edge. Reading a whole column (``lazy["interest"]``) computes every column for
    every edge once and keeps them. Values are float32, like stored components.
    """

    def __init__(self, enc: Encoded, edge_left: I64, edge_right: I64) -> None:
        self._enc = enc
        self._left = edge_left
        self._right = edge_right
        self._full: dict[str, NDArray[np.float32]] | None = None

    def take(self, positions: I64) -> dict[str, NDArray[np.float32]]:
        """Every component of the edges at ``positions``."""
        pos = np.asarray(positions, dtype=np.int64)
        if self._full is not None:
            return {k: col[pos] for k, col in self._full.items()}
        v, n = self._left[pos], self._right[pos]
        comps = components(self._enc, v, n, pair_distances_km(self._enc, v, n))
        return {k: comps[k].astype(np.float32) for k in COMPONENTS}

    @property
    def encoded(self) -> Encoded:
        """The encoded dataset the components are computed from."""
        return self._enc

    def rebind(self, edge_left: I64, edge_right: I64) -> LazyComponents:
        """The same components for another list of edges (of the same dataset)."""
        return LazyComponents(self._enc, edge_left, edge_right)

    def __getitem__(self, key: str) -> NDArray[np.float32]:
        if key not in COMPONENTS:
            raise KeyError(key)
        if self._full is None:
            self._full = self.take(np.arange(self._left.size, dtype=np.int64))
        return self._full[key]

    def __contains__(self, key: object) -> bool:
        return key in COMPONENTS  # without computing anything

    def __iter__(self) -> Iterator[str]:
        return iter(COMPONENTS)

    def __len__(self) -> int:
        return len(COMPONENTS)

"""Encode a Dataset as columnar numpy arrays for the vectorised rules and scores.

One pass over the pydantic records produces plain arrays, one row per volunteer or need:

* tag sets become bitsets (``uint64`` words, shape ``(n, n_words)``) over one vocabulary
  per set kind: ``causes`` (interests, excluded causes, need causes), ``skills``
  (skills, required and desired skills), ``languages`` and ``checks``. A vocabulary holds
  the tags that appear on the need side; a volunteer tag no need mentions can never meet a
  need tag, so it is left out of the bitset (set sizes are kept separately, in full);
* weekly slots become 21-bit masks (``uint32``, bit ``i`` is ``SLOTS[i]``);
* places become latitude and longitude in radians plus unit vectors on the sphere
  (used by the blocking grid);
* birth dates become (year, month * 100 + day), so ages can be computed at any ``as_of``;
* excluded and preferred organisations become sorted int64 keys
  ``volunteer * n_organisations + organisation`` (membership by binary search).

Nothing here depends on ``as_of``: the rules take it as an argument.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain, repeat
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._dataset import Dataset
from ._models import SLOT_INDEX, NeedStatus

__all__ = [
    "NO_END",
    "SET_KINDS",
    "Encoded",
    "encode",
    "narrow_counts",
    "popcount",
    "row_popcount",
]

#: The set kinds that get a vocabulary and bitsets.
SET_KINDS: tuple[str, ...] = ("causes", "skills", "languages", "checks")
#: End-date ordinal used for needs without an end date (never over).
NO_END = np.iinfo(np.int64).max

U64 = NDArray[np.uint64]
I64 = NDArray[np.int64]
F64 = NDArray[np.float64]
B = NDArray[np.bool_]

_HAS_BITWISE_COUNT = hasattr(np, "bitwise_count")
_BYTE_POPCOUNT = np.array([i.bit_count() for i in range(256)], dtype=np.uint8)


def popcount(x: NDArray[Any]) -> NDArray[np.uint8]:
    """Number of set bits in each element of an unsigned integer array.

    Uses ``np.bitwise_count`` (numpy >= 2.0) and a byte table otherwise.

    Examples
    --------
    >>> import numpy as np
    >>> popcount(np.array([0, 1, 3, 2**63], dtype=np.uint64)).tolist()
    [0, 1, 2, 1]
    """
    if _HAS_BITWISE_COUNT:
        return np.bitwise_count(x)  # type: ignore[no-any-return]
    arr = np.ascontiguousarray(x)
    table = _BYTE_POPCOUNT[arr.view(np.uint8)].reshape(
        arr.shape + (arr.dtype.itemsize,)
    )
    return table.sum(axis=-1, dtype=np.uint8)  # type: ignore[no-any-return]


def row_popcount(bits: U64) -> I64:
    """Set bits per row of a ``(n, n_words)`` bitset array, as int64."""
    if bits.shape[1] == 1:
        return popcount(bits[:, 0]).astype(np.int64)
    return popcount(bits).sum(axis=1, dtype=np.int64)  # type: ignore[no-any-return]


def narrow_counts(enc: Encoded, name: str) -> NDArray[np.integer]:
    """The non-negative counts ``enc.<name>`` in the narrowest of int16 and int64 that
    holds them, kept per encoded dataset: the scoring gathers and compares them for
    every pair, and numpy's int64 minimum and clip run several times slower than
    int16's. (int16, not uint8: differences of two counts stay exact.)"""
    key = "narrow:" + name
    out = enc._cache.get(key)
    if out is None:
        arr = getattr(enc, name)
        small = arr.size == 0 or (int(arr.min()) >= 0 and int(arr.max()) <= 32767)
        out = enc._cache[key] = arr.astype(np.int16) if small else arr
    return out  # type: ignore[no-any-return]


def _vocabulary(sets: Iterable[Iterable[str]]) -> tuple[str, ...]:
    tags: set[str] = set()
    for s in sets:
        tags.update(s)
    return tuple(sorted(tags))


def _flat_codes(sets: Sequence[Sequence[str]], code: dict[str, int]) -> tuple[I64, I64]:
    """(row, code) of every tag of every row that ``code`` knows, without a Python loop
    per tag: the rows are flattened in C and the codes looked up by ``map``."""
    lengths = np.fromiter(map(len, sets), dtype=np.int64, count=len(sets))
    flat = list(chain.from_iterable(sets))
    codes = np.fromiter(map(code.get, flat, repeat(-1)), dtype=np.int64, count=len(flat))
    rows = np.repeat(np.arange(len(sets), dtype=np.int64), lengths)
    known = codes >= 0
    return rows[known], codes[known]


def _bitsets(sets: Sequence[Sequence[str]], vocab: dict[str, int]) -> U64:
    """Rows of tags -> (n, n_words) uint64 bitsets; tags outside ``vocab`` are dropped."""
    n_words = max(1, -(-len(vocab) // 64))
    out = np.zeros((len(sets), n_words), dtype=np.uint64)
    rows, codes = _flat_codes(sets, vocab)
    if codes.size:
        flat = rows * n_words + (codes >> 6)
        bits = np.left_shift(np.uint64(1), (codes & 63).astype(np.uint64))
        np.bitwise_or.at(out.reshape(-1), flat, bits)
    return out


def _slot_masks(sets: Sequence[Sequence[str]]) -> NDArray[np.uint32]:
    """Rows of slot names -> uint32 masks (bit ``slot_index(slot)``)."""
    out = np.zeros(len(sets), dtype=np.uint32)
    rows, codes = _flat_codes(sets, SLOT_INDEX)
    if codes.size:
        np.bitwise_or.at(out, rows, np.left_shift(np.uint32(1), codes.astype(np.uint32)))
    return out


def _places(places: Sequence[Any]) -> tuple[B, F64, F64, F64]:
    n = len(places)
    has = np.fromiter((p is not None for p in places), dtype=bool, count=n)
    lat = np.fromiter(
        (p.lat if p is not None else np.nan for p in places), dtype=np.float64, count=n
    )
    lon = np.fromiter(
        (p.lon if p is not None else np.nan for p in places), dtype=np.float64, count=n
    )
    lat = np.radians(lat)
    lon = np.radians(lon)
    xyz = np.stack(
        [np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=1
    )
    return has, lat, lon, xyz


def _org_keys(sets: Sequence[Sequence[str]], org_index: dict[str, int]) -> I64:
    n_org = max(len(org_index), 1)
    keys = [
        i * n_org + org_index[o]
        for i, s in enumerate(sets)
        for o in s
        if o in org_index
    ]
    return np.unique(np.asarray(keys, dtype=np.int64))


@dataclass(frozen=True, eq=False)
class Encoded:
    """A dataset as columnar arrays (rows follow the dataset order of the records encoded).

    ``v_*`` arrays have one row per volunteer, ``n_*`` arrays one row per need. Bitset
    arrays have shape ``(n, n_words)`` with ``n_words = ceil(len(vocab[kind]) / 64)``
    (at least 1). Radii are in kilometres, angles in radians.
    """

    volunteer_ids: tuple[str, ...]
    need_ids: tuple[str, ...]
    organisation_ids: tuple[str, ...]
    vocab: dict[str, tuple[str, ...]]
    # volunteers
    v_has_home: B
    v_lat: F64
    v_lon: F64
    v_xyz: F64
    v_cos_lat: F64
    v_max_km: F64
    v_remote_ok: B
    v_birth_year: I64
    v_birth_md: I64
    v_interests: U64
    v_n_interests: I64
    v_excluded_causes: U64
    v_skills: U64
    v_languages: U64
    v_n_languages: I64
    v_checks: U64
    v_availability: NDArray[np.uint32]
    v_excluded_org_keys: I64
    v_preferred_org_keys: I64
    v_n_preferred: I64
    v_max_placements: I64
    # needs
    n_org: I64
    n_open: B
    n_end: I64
    n_remote: B
    n_has_place: B
    n_lat: F64
    n_lon: F64
    n_xyz: F64
    n_cos_lat: F64
    n_causes: U64
    n_n_causes: I64
    n_required_skills: U64
    n_desired_skills: U64
    n_n_desired: I64
    n_languages: U64
    n_n_languages: I64
    n_required_checks: U64
    n_slots: NDArray[np.uint32]
    n_n_slots: I64
    n_required_overlap: I64
    n_min_age: I64
    n_capacity: I64
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def n_volunteers(self) -> int:
        return len(self.volunteer_ids)

    @property
    def n_needs(self) -> int:
        return len(self.need_ids)

    @property
    def n_organisations(self) -> int:
        return len(self.organisation_ids)

    def __repr__(self) -> str:
        words = {k: max(1, -(-len(v) // 64)) for k, v in self.vocab.items()}
        return (
            f"Encoded(n_volunteers={self.n_volunteers}, n_needs={self.n_needs}, "
            f"vocabulary={ {k: len(v) for k, v in self.vocab.items()} }, words={words})"
        )


def encode(
    dataset: Dataset,
    *,
    volunteers: Sequence[int] | None = None,
    needs: Sequence[int] | None = None,
) -> Encoded:
    """Encode a dataset (or some of its volunteers and needs) as columnar arrays.

    Parameters
    ----------
    dataset : Dataset
        The validated records.
    volunteers, needs : sequence of int, optional
        Positions of the records to encode (default: all, in dataset order). Organisation
        indices always refer to the whole ``dataset.organisations``.

    Returns
    -------
    Encoded

    Examples
    --------
    >>> import matchkit as mk
    >>> ds = mk.Dataset(
    ...     volunteers=[{"id": "v1", "skills": ["driving"], "availability": ["mon-morning"]}],
    ...     organisations=[{"id": "o1", "name": "Food bank", "kind": "cso", "registered": True}],
    ...     needs=[{"id": "n1", "organisation_id": "o1", "title": "Deliver", "remote": True,
    ...             "capacity": 1, "status": "open", "required_skills": ["driving"]}],
    ... )
    >>> enc = encode(ds)
    >>> enc.vocab["skills"], int(enc.v_skills[0, 0]), int(enc.v_availability[0])
    (('driving',), 1, 1)
    """
    vols = (
        dataset.volunteers
        if volunteers is None
        else tuple(dataset.volunteers[i] for i in volunteers)
    )
    nds = dataset.needs if needs is None else tuple(dataset.needs[i] for i in needs)
    org_index = {o.id: i for i, o in enumerate(dataset.organisations)}
    nv, nn = len(vols), len(nds)

    vocab = {
        "causes": _vocabulary(n.causes for n in nds),
        "skills": _vocabulary(
            list(n.required_skills) + list(n.desired_skills) for n in nds
        ),
        "languages": _vocabulary(n.languages for n in nds),
        "checks": _vocabulary(n.required_checks for n in nds),
    }
    code = {k: {t: i for i, t in enumerate(v)} for k, v in vocab.items()}

    def count(sets: Iterable[Sequence[str]], n: int) -> I64:
        return np.fromiter((len(s) for s in sets), dtype=np.int64, count=n)

    v_has_home, v_lat, v_lon, v_xyz = _places([v.home for v in vols])
    n_has_place, n_lat, n_lon, n_xyz = _places([n.location for n in nds])
    births = [v.birth_date for v in vols]
    v_birth_year = np.fromiter(
        (b.year if b else -1 for b in births), dtype=np.int64, count=nv
    )
    v_birth_md = np.fromiter(
        (b.month * 100 + b.day if b else 0 for b in births), dtype=np.int64, count=nv
    )

    n_slots = _slot_masks([n.slots for n in nds])
    n_n_slots = popcount(n_slots).astype(np.int64)
    min_overlap = np.fromiter((n.min_overlap for n in nds), dtype=np.int64, count=nn)

    return Encoded(
        volunteer_ids=tuple(v.id for v in vols),
        need_ids=tuple(n.id for n in nds),
        organisation_ids=tuple(o.id for o in dataset.organisations),
        vocab=vocab,
        v_has_home=v_has_home,
        v_lat=v_lat,
        v_lon=v_lon,
        v_xyz=v_xyz,
        v_cos_lat=np.cos(v_lat),
        v_max_km=np.fromiter(
            (v.max_distance_km for v in vols), dtype=np.float64, count=nv
        ),
        v_remote_ok=np.fromiter((v.remote_ok for v in vols), dtype=bool, count=nv),
        v_birth_year=v_birth_year,
        v_birth_md=v_birth_md,
        v_interests=_bitsets([v.interests for v in vols], code["causes"]),
        v_n_interests=count((v.interests for v in vols), nv),
        v_excluded_causes=_bitsets([v.excluded_causes for v in vols], code["causes"]),
        v_skills=_bitsets([v.skills for v in vols], code["skills"]),
        v_languages=_bitsets([v.languages for v in vols], code["languages"]),
        v_n_languages=count((v.languages for v in vols), nv),
        v_checks=_bitsets([v.checks for v in vols], code["checks"]),
        v_availability=_slot_masks([v.availability for v in vols]),
        v_excluded_org_keys=_org_keys(
            [v.excluded_organisations for v in vols], org_index
        ),
        v_preferred_org_keys=_org_keys(
            [v.preferred_organisations for v in vols], org_index
        ),
        v_n_preferred=count((v.preferred_organisations for v in vols), nv),
        v_max_placements=np.fromiter(
            (v.max_placements for v in vols), dtype=np.int64, count=nv
        ),
        n_org=np.fromiter(
            (org_index[n.organisation_id] for n in nds), dtype=np.int64, count=nn
        ),
        n_open=np.fromiter(
            (n.status is NeedStatus.OPEN for n in nds), dtype=bool, count=nn
        ),
        n_end=np.fromiter(
            (n.end_date.toordinal() if n.end_date else NO_END for n in nds),
            dtype=np.int64,
            count=nn,
        ),
        n_remote=np.fromiter((n.remote for n in nds), dtype=bool, count=nn),
        n_has_place=n_has_place,
        n_lat=n_lat,
        n_lon=n_lon,
        n_xyz=n_xyz,
        n_cos_lat=np.cos(n_lat),
        n_causes=_bitsets([n.causes for n in nds], code["causes"]),
        n_n_causes=count((n.causes for n in nds), nn),
        n_required_skills=_bitsets([n.required_skills for n in nds], code["skills"]),
        n_desired_skills=_bitsets([n.desired_skills for n in nds], code["skills"]),
        n_n_desired=count((n.desired_skills for n in nds), nn),
        n_languages=_bitsets([n.languages for n in nds], code["languages"]),
        n_n_languages=count((n.languages for n in nds), nn),
        n_required_checks=_bitsets([n.required_checks for n in nds], code["checks"]),
        n_slots=n_slots,
        n_n_slots=n_n_slots,
        n_required_overlap=np.minimum(min_overlap, n_n_slots),
        n_min_age=np.fromiter(
            (n.min_age if n.min_age is not None else -1 for n in nds),
            dtype=np.int64,
            count=nn,
        ),
        n_capacity=np.fromiter((n.capacity for n in nds), dtype=np.int64, count=nn),
    )

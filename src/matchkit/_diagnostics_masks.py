"""The pair rules of volunteers against every open need, as bitmasks over the needs.

Running the rules pair by pair costs about 190 ns a pair; a round's diagnoses judge
every unmatched volunteer against every open need (35k x 9k pairs in a 100k city).
Most rules read one field of the need and one of the volunteer, so their failures
against all needs are a few masks over the needs computed once per round: a tag rule
fails on the needs that require a tag the volunteer lacks (the OR of those tags'
masks), the age rule on the needs whose minimum age is above theirs, and so on. Only
the distance and the schedule are computed pair by pair: the schedule with the rules'
own function, the distance from the chord between the places (a matrix product) where
it is clearly shorter or longer than the radius's, from the rules' own distance where
it is within a few metres of it. A mask holds one bit per open need: need column ``c`` is bit ``c % 64`` of
word ``c // 64``; the bits past the last column are zero.

Every mask equals the rule's own mask (``pair_rule_failures``), bit for bit: the
tests compare them on random datasets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._encode import Encoded, narrow_counts, popcount
from ._rules import EARTH_RADIUS_KM, ages_at, pair_distances_km, slots_covered

__all__ = ["NeedMasks", "count_bits", "pack", "set_bits", "unpack"]

B = NDArray[np.bool_]
I64 = NDArray[np.int64]
F64 = NDArray[np.float64]
U64 = NDArray[np.uint64]
#: Masks over the needs kept per round are not built past this size (bytes): the
#: rules then run pair by pair.
MAX_MASK_BYTES = 1 << 28
#: Pairs whose distance or schedule is computed at once (some 20 bytes a pair).
PAIR_CHUNK = 1 << 18
#: Radii (km) up to which a pair's chord decides the distance rule where it is far
#: from the radius's chord (a quarter of the way round the Earth: well conditioned).
CHORD_MAX_KM = 10_000.0
#: How far (squared chord, unit sphere) from the radius's chord a pair must be to be
#: decided by its chord; nearer pairs get the rule's own distance.
CHORD_MARGIN = 1e-9
#: The tag rules: rule code -> (volunteer's set, need's set, fails when they "meet" or
#: when the need's set is "missing" from the volunteer's).
_TAG_RULES = {
    "excluded_cause": ("v_excluded_causes", "n_causes", "meets"),
    "skills": ("v_skills", "n_required_skills", "missing"),
    "languages": ("v_languages", "n_languages", "missing"),
    "checks": ("v_checks", "n_required_checks", "missing"),
}


def pack(mask: B) -> U64:
    """Bool masks ``(..., m)`` as bitmasks ``(..., ceil(m / 64))``."""
    m = mask.shape[-1]
    w = -(-m // 64)
    padded = np.zeros(mask.shape[:-1] + (w * 64,), dtype=bool)
    padded[..., :m] = mask
    bits = np.packbits(padded, axis=-1, bitorder="little")
    return bits.view(np.dtype("<u8")).astype(np.uint64)


def unpack(bits: NDArray[Any], m: int) -> B:
    """Bitmasks ``(..., w)`` as bool masks ``(..., m)``."""
    raw = np.ascontiguousarray(bits.astype(np.dtype("<u8"))).view(np.uint8)
    return np.unpackbits(raw, axis=-1, bitorder="little")[..., :m].astype(bool)


def set_bits(out: U64, rows: I64, cols: I64) -> None:
    """Set bit ``cols[k]`` of row ``rows[k]`` of the bitmasks ``out`` (in place)."""
    if rows.size:
        words = out.reshape(-1)
        at = rows * out.shape[1] + (cols >> 6)
        np.bitwise_or.at(words, at, np.left_shift(np.uint64(1), (cols & 63).astype(np.uint64)))


def count_bits(bits: NDArray[Any]) -> list[int]:
    """Set bits per row, as Python ints."""
    return popcount(bits).sum(axis=1, dtype=np.int64).tolist()  # type: ignore[no-any-return]


def _segments(start: I64, length: I64) -> tuple[I64, I64]:
    """Positions of the ranges ``[start, start + length)``, concatenated, and their range."""
    owner = np.repeat(np.arange(length.size), length)
    offset = np.arange(owner.size, dtype=np.int64) - np.repeat(np.cumsum(length) - length, length)
    return start[owner] + offset, owner


@dataclass(frozen=True)
class NeedMasks:
    """Masks over the open needs ``cols`` (need positions), computed once per round."""

    cols: I64
    day: date
    tags: dict[str, tuple[I64, U64]]  # rule -> (tag codes some open need has, masks)
    min_ages: I64  # distinct minimum ages (>= 0) of the open needs, ascending
    above: U64  # row k: needs whose minimum age is >= min_ages[k]; last row empty
    has_min_age: U64
    remote: U64
    in_person: U64
    in_person_no_place: U64
    org_order: I64  # columns sorted by organisation (stable)
    org_sorted: I64  # their organisations
    far_cols: I64  # columns of in-person needs with a place (the distance rule's)
    timed_cols: I64  # columns of needs with slots to cover (the schedule rule's)

    @property
    def width(self) -> int:
        return -(-int(self.cols.size) // 64)

    @staticmethod
    def of(enc: Encoded, cols: I64, day: date) -> NeedMasks | None:
        """The masks of the open needs ``cols``, or None if they would take too much room
        (or there is no open need)."""
        m = int(cols.size)
        if m == 0:
            return None
        w = -(-m // 64)
        used = {}
        n_rows = 0
        for rule, (_, need_bits, _) in _TAG_RULES.items():
            bits = getattr(enc, need_bits)[cols]
            any_word = np.bitwise_or.reduce(bits, axis=0)
            codes = np.asarray(
                [
                    t
                    for t in range(bits.shape[1] * 64)
                    if (int(any_word[t >> 6]) >> (t & 63)) & 1
                ],
                dtype=np.int64,
            )
            used[rule] = (bits, codes)
            n_rows += codes.size
        min_age = enc.n_min_age[cols]
        min_ages = np.unique(min_age[min_age >= 0])
        if (n_rows + min_ages.size + 8) * w * 8 > MAX_MASK_BYTES:
            return None
        tags = {}
        for rule, (bits, codes) in used.items():
            has = (bits[:, codes >> 6] >> (codes & 63).astype(np.uint64)) & np.uint64(1)
            tags[rule] = (codes, pack(has.astype(bool).T))
        above = pack(min_age[None, :] >= np.append(min_ages, np.iinfo(np.int64).max)[:, None])
        above[-1] = 0
        remote = enc.n_remote[cols]
        place = enc.n_has_place[cols]
        org = enc.n_org[cols]
        order = np.argsort(org, kind="stable").astype(np.int64)
        req = narrow_counts(enc, "n_required_overlap")[cols]
        return NeedMasks(
            cols=cols,
            day=day,
            tags=tags,
            min_ages=min_ages.astype(np.int64),
            above=above,
            has_min_age=pack(min_age >= 0),
            remote=pack(remote),
            in_person=pack(~remote),
            in_person_no_place=pack(~remote & ~place),
            org_order=order,
            org_sorted=org[order],
            far_cols=np.flatnonzero(~remote & place).astype(np.int64),
            timed_cols=np.flatnonzero(req > 0).astype(np.int64),
        )

    def failures(self, enc: Encoded, vs: I64) -> dict[str, U64]:
        """Each pair rule's failures of the volunteers ``vs`` against the open needs:
        bitmasks of shape ``(len(vs), width)``, in the order of the rules."""
        return {
            "excluded_organisation": self._excluded_organisation(enc, vs),
            "excluded_cause": self._tag_rule(enc, vs, "excluded_cause"),
            "skills": self._tag_rule(enc, vs, "skills"),
            "languages": self._tag_rule(enc, vs, "languages"),
            "checks": self._tag_rule(enc, vs, "checks"),
            **self._age(enc, vs),
            "remote_not_ok": _rows_where(~enc.v_remote_ok[vs], self.remote),
            "no_place": np.where(
                enc.v_has_home[vs][:, None], self.in_person_no_place, self.in_person
            ),
            "distance": self._distance(enc, vs),
            "schedule": self._schedule(enc, vs),
        }

    def _empty(self, n: int) -> U64:
        return np.zeros((n, self.width), dtype=np.uint64)

    def _tag_rule(self, enc: Encoded, vs: I64, rule: str) -> U64:
        # missing: the need requires a tag the volunteer lacks; meets: they share one
        v_bits, _, how = _TAG_RULES[rule]
        codes, masks = self.tags[rule]
        bits = getattr(enc, v_bits)[vs]
        out = self._empty(vs.size)
        for k, t in enumerate(codes.tolist()):
            has = ((bits[:, t >> 6] >> np.uint64(t & 63)) & np.uint64(1)) != 0
            rows = has if how == "meets" else ~has
            out[rows] |= masks[k]
        return out

    def _excluded_organisation(self, enc: Encoded, vs: I64) -> U64:
        # each (volunteer, excluded organisation) sets the bits of that organisation's needs
        out = self._empty(vs.size)
        keys = enc.v_excluded_org_keys
        if keys.size == 0:
            return out
        n_org = max(enc.n_organisations, 1)
        start = np.searchsorted(keys, vs * n_org)
        stop = np.searchsorted(keys, (vs + 1) * n_org)
        at, b = _segments(start, stop - start)
        org = keys[at] % n_org
        lo = np.searchsorted(self.org_sorted, org, side="left")
        hi = np.searchsorted(self.org_sorted, org, side="right")
        pos, k = _segments(lo, hi - lo)
        set_bits(out, b[k], self.org_order[pos])
        return out

    def _age(self, enc: Encoded, vs: I64) -> dict[str, U64]:
        known = enc.v_birth_year[vs] >= 0
        ages = ages_at(enc, self.day)[vs]
        # needs whose minimum age is above the volunteer's age (negative if born after
        # the day: every minimum age)
        younger = self.above[np.searchsorted(self.min_ages, ages, side="right")]
        younger[~known] = 0
        return {
            "age_unknown": _rows_where(~known, self.has_min_age),
            "age": younger,
        }

    def _distance(self, enc: Encoded, vs: I64) -> U64:
        # pair by pair (the rules' own distances), for in-person needs with a place and
        # volunteers with a home
        out = self._empty(vs.size)
        rows = np.flatnonzero(enc.v_has_home[vs])
        cols = self.far_cols
        if rows.size == 0 or cols.size == 0:
            return out
        js = self.cols[cols]
        xyz = enc.n_xyz[js]
        step = max(1, PAIR_CHUNK // cols.size)
        for a in range(0, rows.size, step):
            part = rows[a : a + step]
            self._scatter(out, part, cols, _beyond(enc, vs[part], js, xyz))
        return out

    def _schedule(self, enc: Encoded, vs: I64) -> U64:
        out = self._empty(vs.size)
        cols = self.timed_cols
        if cols.size == 0:
            return out
        js = self.cols[cols]
        need = narrow_counts(enc, "n_required_overlap")[js]
        step = max(1, PAIR_CHUNK // cols.size)
        for a in range(0, vs.size, step):
            part = np.arange(a, min(a + step, vs.size))
            v = np.repeat(vs[part], cols.size)
            short = slots_covered(enc, v, np.tile(js, part.size)) < np.tile(need, part.size)
            self._scatter(out, part, cols, short.reshape(part.size, cols.size))
        return out

    def _scatter(self, out: U64, rows: I64, cols: I64, mask: B) -> None:
        """Write the bool ``mask`` (rows x cols, a subset of the columns) into ``out``."""
        full = np.zeros((rows.size, self.cols.size), dtype=bool)
        full[:, cols] = mask
        out[rows] = pack(full)


def _beyond(enc: Encoded, v: I64, js: I64, xyz: F64) -> B:
    """Which pairs ``(v[a], js[b])`` fail the distance rule (the places are known).

    The rule compares the haversine distance with the radius. A pair whose chord (from
    the places' unit vectors: one matrix product) is shorter or longer than the
    radius's chord by more than ``CHORD_MARGIN`` is decided by it: both are computed to
    about 1e-15, a margin a million times wider. The pairs within the margin (a few
    metres of the radius), and every pair of a radius too wide for the chord to
    decide, are given the rule's own distance.
    """
    radius = enc.v_max_km[v]
    decides = (radius >= 0.0) & (radius <= CHORD_MAX_KM)  # (False for NaN)
    limit = 2.0 * np.sin(np.where(decides, radius, 0.0) / (2.0 * EARTH_RADIUS_KM))
    limit *= limit
    chord = 2.0 - 2.0 * (enc.v_xyz[v] @ xyz.T)  # squared chords, on the unit sphere
    far = chord > limit[:, None] + CHORD_MARGIN
    unsure = ~far & (chord >= limit[:, None] - CHORD_MARGIN)
    unsure[~decides] = True
    a, b = np.nonzero(unsure)
    if a.size:
        d = pair_distances_km(enc, v[a], js[b])
        far[a, b] = ~(d <= radius[a])
    return far


def _rows_where(rows: B, mask: U64) -> U64:
    """``mask`` on the rows where ``rows`` holds, zero elsewhere."""
    return np.where(rows[:, None], mask[None, :], np.uint64(0))

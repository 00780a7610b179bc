"""Diagnoses of every unfilled need of a round at once, as export rows.

``why_unfilled`` runs the hard rules of one need against every volunteer, then once
more for each relaxed condition. For a whole round that work is shared here, as
:mod:`._diagnostics_masks` shares it for the volunteers: most rules read one field of
the need and one of the volunteer, so a need's failures are a few masks over the
volunteers computed once per round (the volunteers lacking a tag, younger than an age,
excluding an organisation, ...), OR-ed together as bitmasks. Only the distance and the
schedule are computed pair by pair, for a block of needs at once: the schedule with the
rules' own function, the distance from the chord between the places where it is clearly
shorter or longer than the radius's and from the rules' own distance elsewhere. A
relaxed condition changes one rule of one need, so its effect is that rule's mask
recomputed without the condition: no rule is run again. The counts per rule are counts
of bits. Whether an acceptable volunteer has a pair with the need in the round's problem
is looked up pair by pair: grouping the problem's edges by need, as ``why_unfilled``
does, holds some 450 MB at its peak on a 100k city. The rows are exactly those of
``why_unfilled`` (the tests compare every need); a need is diagnosed one by one when the
masks would take too much room.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from . import _diagnostics_masks as M
from . import _diagnostics_texts as T
from ._diagnostics import (
    RADIUS_STEP_KM,
    STANDARD_RADII_KM,
    Counterfactual,
    Diagnosis,
    _decided,
    need_without_rules,
    why_unfilled,
)
from ._diagnostics_batch import _PAIR_CODES, diagnosis_row
from ._diagnostics_masks import (
    _TAG_RULES,
    _beyond,
    count_bits,
    pack,
    unpack,
)
from ._encode import Encoded, narrow_counts, popcount
from ._roundview import RoundView, round_view
from ._rules import ages_at, pair_distances_km, slots_covered

if TYPE_CHECKING:
    from ._proposals import MatchResult

__all__ = ["iter_need_rows", "need_rows"]

B = NDArray[np.bool_]
I64 = NDArray[np.int64]
U64 = NDArray[np.uint64]
#: (need, volunteer) pairs judged at once: bounds the memory of a block's distances
#: and schedules (some 30 bytes a pair: 30 MB).
NEED_PAIRS = 1 << 20
#: The tag rules a need's condition can be dropped from: change -> (need's tags field,
#: rule code).
_DROPS = (
    ("drop_check", "required_checks", "checks"),
    ("drop_skill", "required_skills", "skills"),
    ("drop_language", "languages", "languages"),
)
#: The rules each relaxation can turn (those ``why_unfilled`` re-runs).
_AGE_RULES = ("age_unknown", "age")
_REMOTE_RULES = ("remote_not_ok", "no_place", "distance")


def need_rows(
    result: MatchResult, need_ids: Sequence[str], lang: str
) -> list[dict[str, Any]]:
    """The export row of ``why_unfilled`` for each need, in the order given."""
    return list(iter_need_rows(result, need_ids, lang))


def iter_need_rows(
    result: MatchResult, need_ids: Sequence[str], lang: str
) -> Iterator[dict[str, Any]]:
    """:func:`need_rows` one at a time, judging a block of needs when its first row is
    asked for."""
    view = round_view(result)
    org_ids = set(result.dataset.organisation_ids)
    step = max(1, NEED_PAIRS // max(view.enc.n_volunteers, 1))
    masks: VolunteerMasks | None = None
    made = False
    waiting: list[dict[str, Any] | str] = []  # rows, and the ids of the block's needs
    n_waiting = 0
    for nid in need_ids:
        j = view.nindex[nid]
        told = need_without_rules(result, j, nid, lang, org_ids)
        if told is None and _state_fails(view, j):
            # (the need's own state fails a rule, yet the round gave another reason:
            # every volunteer fails; left to the rules one by one)
            told = why_unfilled(result, nid, lang=lang)
        if told is not None:
            if waiting:
                waiting.append(diagnosis_row(told))
            else:
                yield diagnosis_row(told)
            continue
        if not made:
            masks, made = VolunteerMasks.of(result, view), True
        waiting.append(nid)
        n_waiting += 1
        if n_waiting == step:
            yield from _filled(result, view, masks, waiting, lang)
            waiting, n_waiting = [], 0
    if waiting:
        yield from _filled(result, view, masks, waiting, lang)


def _filled(
    result: MatchResult,
    view: RoundView,
    masks: VolunteerMasks | None,
    waiting: list[dict[str, Any] | str],
    lang: str,
) -> Iterator[dict[str, Any]]:
    """The rows of ``waiting`` in order, each id replaced by its judged row."""
    made = iter(_block_rows(result, view, masks, [x for x in waiting if isinstance(x, str)], lang))
    for x in waiting:
        yield next(made) if isinstance(x, str) else x


def _state_fails(view: RoundView, j: int) -> bool:
    enc = view.enc
    return bool(~enc.n_open[j] | (enc.n_end[j] < view.day.toordinal()))


@dataclass(frozen=True)
class VolunteerMasks:
    """Bitmasks over all volunteers, computed once per round: volunteer ``i`` is bit
    ``i % 64`` of word ``i // 64``; the bits past the last volunteer are zero."""

    valid: U64  # every volunteer
    tags: dict[str, dict[int, U64]]  # rule -> tag code -> volunteers the tag fails
    unknown_age: U64
    min_ages: I64  # distinct minimum ages (>= 0) of the needs, ascending
    younger: U64  # row k: known age below min_ages[k]
    not_remote_ok: U64
    remote_ok: U64
    no_home: U64
    home_rows: I64  # volunteers with a home, by position
    org_volunteers: I64  # volunteers excluding an organisation, grouped by it
    org_start: I64  # where each organisation's run starts, and the end
    could_take: U64  # no offer, and room for another placement
    room: U64  # room for another placement
    offered: U64

    @property
    def width(self) -> int:
        return int(self.valid.size)

    @staticmethod
    def of(result: MatchResult, view: RoundView) -> VolunteerMasks | None:
        """The masks of a round, or None if they would take too much room."""
        enc = view.enc
        n_v = enc.n_volunteers
        w = -(-n_v // 64)
        used = {
            rule: _codes(getattr(enc, need_bits))
            for rule, (_, need_bits, _) in _TAG_RULES.items()
        }
        ages = enc.n_min_age
        min_ages = np.unique(ages[ages >= 0]).astype(np.int64)
        rows = sum(c.size for c in used.values()) + min_ages.size + 10
        if n_v == 0 or rows * w * 8 > M.MAX_MASK_BYTES:
            return None
        tags: dict[str, dict[int, U64]] = {}
        for rule, (v_bits, _, how) in _TAG_RULES.items():
            bits = getattr(enc, v_bits)
            tags[rule] = {}
            for t in used[rule].tolist():
                has = ((bits[:, t >> 6] >> np.uint64(t & 63)) & np.uint64(1)) != 0
                tags[rule][t] = pack(has if how == "meets" else ~has)
        known = enc.v_birth_year >= 0
        age = ages_at(enc, view.day)
        younger = np.zeros((min_ages.size, w), dtype=np.uint64)
        for k, a in enumerate(min_ages.tolist()):
            younger[k] = pack(known & (age < a))
        n_org = max(enc.n_organisations, 1)
        keys = enc.v_excluded_org_keys
        order = np.argsort(keys % n_org, kind="stable")
        cap = np.asarray(result.problem.left_capacity)
        room = view.placed_v < cap
        return VolunteerMasks(
            valid=pack(np.ones(n_v, dtype=bool)),
            tags=tags,
            unknown_age=pack(~known),
            min_ages=min_ages,
            younger=younger,
            not_remote_ok=pack(~enc.v_remote_ok),
            remote_ok=pack(enc.v_remote_ok),
            no_home=pack(~enc.v_has_home),
            home_rows=np.flatnonzero(enc.v_has_home).astype(np.int64),
            org_volunteers=(keys[order] // n_org).astype(np.int64),
            org_start=np.searchsorted(
                (keys % n_org)[order], np.arange(n_org + 1)
            ).astype(np.int64),
            could_take=pack(~view.offered_v & room),
            room=pack(room),
            offered=pack(view.offered_v),
        )

    def bits(self, volunteers: Any) -> U64:
        """The volunteers (positions) as a bitmask."""
        out = np.zeros(self.width, dtype=np.uint64)
        v = np.asarray(volunteers, dtype=np.int64)
        if v.size:
            np.bitwise_or.at(
                out, v >> 6, np.left_shift(np.uint64(1), (v & 63).astype(np.uint64))
            )
        return out

    def failures(self, enc: Encoded, js: I64) -> dict[str, U64]:
        """Each pair rule's failures of the needs ``js`` against every volunteer:
        bitmasks of shape ``(len(js), width)``, in the order of the rules."""
        out = {r: np.zeros((js.size, self.width), dtype=np.uint64) for r in _PAIR_CODES}
        n_org = max(enc.n_organisations, 1)
        for b, j in enumerate(js.tolist()):
            org = int(enc.n_org[j])
            if 0 <= org < n_org:
                lo, hi = self.org_start[org], self.org_start[org + 1]
                out["excluded_organisation"][b] = self.bits(self.org_volunteers[lo:hi])
        for rule, (_, need_bits, _) in _TAG_RULES.items():
            bits = getattr(enc, need_bits)[js]
            for t, mask in self.tags[rule].items():
                has = ((bits[:, t >> 6] >> np.uint64(t & 63)) & np.uint64(1)) != 0
                out[rule][has] |= mask
        min_age = enc.n_min_age[js]
        aged = min_age >= 0
        out["age_unknown"][aged] = self.unknown_age
        out["age"][aged] = self.younger[np.searchsorted(self.min_ages, min_age[aged])]
        remote = enc.n_remote[js]
        place = enc.n_has_place[js]
        out["remote_not_ok"][remote] = self.not_remote_ok
        out["no_place"][~remote & place] = self.no_home
        out["no_place"][~remote & ~place] = self.valid
        far = np.flatnonzero(~remote & place)
        if far.size and self.home_rows.size:
            v = self.home_rows
            d = _beyond(enc, v, js[far], enc.n_xyz[js[far]])
            out["distance"][far] = self._spread(v, d.T)
        need = narrow_counts(enc, "n_required_overlap")[js]
        timed = np.flatnonzero(need > 0)
        if timed.size:
            n_v = enc.n_volunteers
            every = np.arange(n_v, dtype=np.int64)
            covered = slots_covered(enc, np.tile(every, timed.size), np.repeat(js[timed], n_v))
            short = covered.reshape(timed.size, n_v) < need[timed][:, None]
            out["schedule"][timed] = pack(short)
        return out

    def _spread(self, v: I64, mask: B) -> U64:
        """Bool ``mask`` (rows x the volunteers ``v``) as bitmasks over all volunteers."""
        full = np.zeros((mask.shape[0], self.valid.size * 64), dtype=bool)
        full[:, v] = mask
        return pack(full)[:, : self.width]


def _codes(bits: U64) -> I64:
    """The tag codes some row of ``bits`` has."""
    any_word = np.bitwise_or.reduce(bits, axis=0)
    return np.asarray(
        [t for t in range(bits.shape[1] * 64) if (int(any_word[t >> 6]) >> (t & 63)) & 1],
        dtype=np.int64,
    )


def _count(bits: U64) -> int:
    return int(popcount(bits).sum(dtype=np.int64))


def _block_rows(
    result: MatchResult,
    view: RoundView,
    masks: VolunteerMasks | None,
    ids: list[str],
    lang: str,
) -> list[dict[str, Any]]:
    """Rows of a block of needs judged by the rules, in order."""
    if masks is None:
        return [diagnosis_row(why_unfilled(result, nid, lang=lang)) for nid in ids]
    enc = view.enc
    js = np.asarray([view.nindex[n] for n in ids], dtype=np.int64)
    fails = masks.failures(enc, js)
    some = np.zeros_like(fails["skills"])
    more = np.zeros_like(some)
    for r in _PAIR_CODES:
        more |= some & fails[r]
        some |= fails[r]
    alone = some & ~more
    by_rule = {r: count_bits(fails[r]) for r in _PAIR_CODES}
    only_rule = {r: count_bits(fails[r] & alone) for r in _PAIR_CODES}
    ok = masks.valid & ~some
    rows = []
    for b, nid in enumerate(ids):
        row = {r: fails[r][b] for r in _PAIR_CODES}
        by = {r: by_rule[r][b] for r in _PAIR_CODES if by_rule[r][b]}
        only = {r: only_rule[r][b] for r in _PAIR_CODES if only_rule[r][b]}
        d = _diagnosis(
            result, view, masks, nid, int(js[b]), row, alone[b], ok[b], by, only, lang
        )
        rows.append(diagnosis_row(d))
    return rows


def _diagnosis(
    result: MatchResult,
    view: RoundView,
    masks: VolunteerMasks,
    need_id: str,
    j: int,
    fails: dict[str, U64],
    alone: U64,
    ok: U64,
    by: dict[str, int],
    only: dict[str, int],
    lang: str,
) -> Diagnosis:
    """``why_unfilled`` of one need from its rules' bitmasks over the volunteers."""
    enc = view.enc
    n = result.dataset.needs[j]
    reason = result.unfilled[need_id]
    free = int(reason.details.get("free_places", 0))
    decided = _decided(result, view)
    declined = masks.bits([view.vindex[v] for v in decided.gone_by_n.get(need_id, ())
                           if v in view.vindex])
    placed_here = masks.bits([view.vindex[v] for v in decided.placed_by_n.get(need_id, ())
                              if v in view.vindex])
    reachable = masks.valid & ~declined & ~placed_here
    base = _count(ok & reachable)
    base_free = _count(ok & reachable & masks.could_take)
    cfs = []
    for change, value, ok2 in _relaxed(enc, masks, j, n, fails, alone, ok, max(free, 1)):
        k = _count(ok2 & reachable) - base
        if k > 0:
            k_free = _count(ok2 & reachable & masks.could_take) - base_free
            k_free = min(max(k_free, 0), k)
            cfs.append(
                Counterfactual(
                    change, value, k, k_free, T.counterfactual(change, value, k, k_free, lang)
                )
            )
    cfs.sort(key=lambda c: (-c.more, c.change, str(c.value)))
    details: dict[str, Any] = dict(reason.details)
    n_ok = _count(ok)
    if n_ok:
        p = result.problem
        holding = masks.bits(p.edge_left[view.holders_of(j, p)])
        alternative = masks.bits(
            [view.vindex[v] for v in decided.alternative_by_n.get(need_id, ())
             if v in view.vindex]
        )
        rest = ok & ~holding & ~declined
        free_rest = rest & masks.room
        ok_v = np.flatnonzero(unpack(ok, enc.n_volunteers))
        edges = p.edge_index(ok_v, np.full(ok_v.size, j, dtype=np.int64))
        details.update(
            acceptable=n_ok,
            holding=_count(holding),
            declined=_count(ok & declined),
            fully_placed=_count(rest & ~masks.room),
            alternative=_count(free_rest & alternative),
            offered_elsewhere=_count(free_rest & masks.offered & ~alternative),
            without_offer=_count(rest & masks.could_take),
            not_scored=int((edges < 0).sum()),
        )
    code = reason.code
    if code == "no_acceptable_volunteer" and n_ok:
        code = "candidates_elsewhere"
    n_v = int(enc.n_volunteers)
    text = T.need_text(code, n, free, n_v, by, only, cfs, details, lang)
    return Diagnosis(
        "need", need_id, code, lang, text, n_v, by, only, tuple(cfs), (), details
    )


def _outside(fails: dict[str, U64], changed: tuple[str, ...]) -> U64:
    """Volunteers failing a rule other than the ``changed`` ones."""
    out = np.zeros_like(fails["skills"])
    for r in _PAIR_CODES:
        if r not in changed:
            out |= fails[r]
    return out


def _relaxed(
    enc: Encoded,
    masks: VolunteerMasks,
    j: int,
    n: Any,
    fails: dict[str, U64],
    alone: U64,
    ok: U64,
    free_places: int,
) -> Iterator[tuple[str, Any, U64]]:
    """(change, value, volunteers acceptable with it), in the order of
    ``_need_relaxations``: each rule it changes recomputed without the condition."""
    only_distance = fails["distance"] & alone
    if only_distance.any():
        v = np.flatnonzero(unpack(only_distance, enc.n_volunteers))
        d_v = pair_distances_km(enc, v, np.full(v.size, j, dtype=np.int64))
        d = np.sort(d_v)
        far = float(d[min(free_places, d.size) - 1])
        fill = math.ceil(far / RADIUS_STEP_KM) * RADIUS_STEP_KM
        for radius in sorted({fill, *STANDARD_RADII_KM}):
            near = d_v <= np.maximum(enc.v_max_km[v], radius)
            yield "radius", radius, ok | masks.bits(v[near])
    for change, field, rule in _DROPS:
        need_bits = getattr(enc, _TAG_RULES[rule][1])[j]
        outside = _outside(fails, (rule,))
        for tag in getattr(n, field):
            dropped = enc.vocab[rule].index(tag)
            still = np.zeros_like(ok)
            for t, mask in masks.tags[rule].items():
                if t != dropped and (int(need_bits[t >> 6]) >> (t & 63)) & 1:
                    still |= mask
            yield change, tag, masks.valid & ~outside & ~still
    if n.min_age is not None:
        yield "drop_min_age", n.min_age, masks.valid & ~_outside(fails, _AGE_RULES)
    if enc.n_required_overlap[j] > 0:
        yield "no_fixed_times", None, masks.valid & ~_outside(fails, ("schedule",))
    if not n.remote:
        remote = masks.valid & ~_outside(fails, _REMOTE_RULES) & masks.remote_ok
        yield "remote", None, remote

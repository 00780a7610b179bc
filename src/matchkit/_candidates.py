"""Blocking: the candidate pairs worth checking, without the dense volunteers x needs matrix.

A pair can only be acceptable if (rules 1, 3 and 5 of docs/scoring.md):

* the need is active (``open`` and not over at ``as_of``);
* the volunteer has every tag the need requires (skills, languages, checks), in
  particular the need's *key tag*: the required tag fewest eligible volunteers have;
* for an in-person need, the volunteer's home lies within their travel radius of it;
  for a remote need, the volunteer is ``remote_ok``.

So the index lists every eligible volunteer under each tag they have (and under the
pseudo-tag *any*, used by needs that require nothing), grouped by *cell*:

* in-person: volunteers with a home are split into radius classes (radius bands that
  double: up to 0.05 km, 0.1 km, 0.2 km, ...). Each class gets a grid of cubes over the
  unit-sphere coordinates (x, y, z) whose side is the chord of the class's largest radius.
  Every coordinate difference is at most the chord, and the chord is at most the arc, so
  a volunteer within reach of a need sits in one of the 27 cubes around the need's cube:
  the blocking never loses an acceptable pair, anywhere on Earth (poles and the
  antimeridian included). The candidates are then cut by the chord in the plane of the
  homes (a cheap, slightly generous test: the sphere is turned so that the homes lie
  close to that plane); the exact great-circle test comes later, in :mod:`._rules`;
* remote: every ``remote_ok`` volunteer sits in one cell, looked up by the need's key tag.

Candidate pairs come out in chunks of bounded size, so memory stays proportional to the
chunk, not to volunteers x needs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray

from ._encode import Encoded, popcount
from ._numbering import group_order
from ._rules import EARTH_RADIUS_KM, ages_at

__all__ = ["CandidateChunk", "active_needs", "candidate_chunks", "chord_limit"]

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]
B = NDArray[np.bool_]

#: Smallest radius band (km); radii at or below it share the finest grid.
MIN_CELL_KM = 0.05
#: Radius classes per doubling of the radius (finer classes: fewer wasted candidates,
#: more cell look-ups).
CLASSES_PER_DOUBLING = 2
#: Relative and absolute slack of the chord pre-test (the exact test follows it).
#: (The pre-test runs in float32: its rounding, below 1e-7 of the unit radius, i.e.
#: under a metre, is covered by the slack.)
_CHORD_REL = 1e-6
_CHORD_ABS = 4e-7


#: Candidates for fewer than 1/FEW_VOLUNTEERS of the volunteers are looked up from the
#: volunteers' side (each volunteer's 27 cubes in a grid of the needs) rather than from
#: the needs' side, whose cost does not shrink with the number of volunteers.
FEW_VOLUNTEERS = 8

#: Rules every in-person candidate already passes (besides the chord pre-test).
LOCAL_CHECKED = ("not_open", "ended", "remote_not_ok", "no_place")
#: Rules every remote candidate already passes: all but the two exclusions.
REMOTE_CHECKED = (
    "not_open",
    "ended",
    "skills",
    "languages",
    "checks",
    "age_unknown",
    "age",
    "remote_not_ok",
    "no_place",
    "distance",
    "schedule",
)


@dataclass(frozen=True)
class CandidateChunk:
    """Candidate pairs ``(v[i], n[i])`` for remote or in-person needs.

    ``checked`` names the rules the blocking already guarantees for every pair of the
    chunk; :func:`matchkit._rules_filter.filter_pairs` may skip them.
    """

    v: I64
    n: I64
    remote: bool
    checked: tuple[str, ...]


def active_needs(enc: Encoded, as_of: date) -> B:
    """Needs that can take anyone at ``as_of``: open and not over (rule 1)."""
    return enc.n_open & (enc.n_end >= as_of.toordinal())


def chord_limit(max_km: F64) -> F64:
    """Chord length on the unit sphere of a great-circle radius in km (2 beyond half a turn)."""
    half = np.asarray(max_km, dtype=np.float64) / (2.0 * EARTH_RADIUS_KM)
    return np.where(half >= np.pi / 2, 2.0, 2.0 * np.sin(np.minimum(half, np.pi / 2)))


def _required_bits(enc: Encoded) -> tuple[NDArray[np.uint64], NDArray[np.uint64]]:
    """Combined required-tag bitsets of volunteers and needs.

    Skills, languages and checks, and one word of schedule slots: a need whose required
    overlap is at least its number of slots needs the volunteer free in *every* one of
    them, so each of its slots is a required tag too (its rarest tag may be a slot).
    Needs that take any ``k`` of more slots require no slot here.
    """
    every_slot = (enc.n_n_slots > 0) & (enc.n_required_overlap >= enc.n_n_slots)
    vb = np.concatenate(
        [enc.v_skills, enc.v_languages, enc.v_checks,
         enc.v_availability.astype(np.uint64)[:, None]],
        axis=1,
    )
    nb = np.concatenate(
        [enc.n_required_skills, enc.n_languages, enc.n_required_checks,
         np.where(every_slot, enc.n_slots, 0).astype(np.uint64)[:, None]],
        axis=1,
    )
    return vb, nb


def _unpack(bits: NDArray[np.uint64]) -> B:
    """(n, n_words) uint64 -> (n, 64 * n_words) bool, bit i of word w at column 64 w + i."""
    le = np.ascontiguousarray(bits.astype("<u8", copy=False))
    return np.unpackbits(le.view(np.uint8), axis=1, bitorder="little").astype(bool)


def _key_tags(need_tags: B, counts: I64) -> I64:
    """Each need's rarest required tag; ``n_tags`` (the pseudo-tag *any*) when none."""
    n_tags = need_tags.shape[1]
    if n_tags == 0:
        return np.zeros(need_tags.shape[0], dtype=np.int64)
    cost = np.where(need_tags, counts[None, :], np.iinfo(np.int64).max)
    key = np.argmin(cost, axis=1).astype(np.int64)
    return np.where(need_tags.any(axis=1), key, n_tags)  # type: ignore[no-any-return]


def _rotation_to_z(direction: F64) -> F64:
    """An orthonormal 3x3 matrix taking ``direction`` to (0, 0, 1) (identity if it is 0)."""
    norm = float(np.linalg.norm(direction))
    if not np.isfinite(norm) or norm < 1e-9:
        return np.eye(3)
    e3 = direction / norm
    helper = (
        np.array([1.0, 0.0, 0.0]) if abs(e3[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    )
    e1 = np.cross(helper, e3)
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(e3, e1)
    return np.stack([e1, e2, e3])


class _Grid:
    """Cube grids per radius class over unit-sphere coordinates; cell keys are int64."""

    def __init__(self, max_km: F64) -> None:
        r = np.maximum(max_km, 0.0)
        cls = np.ceil(
            np.log2(np.maximum(r, MIN_CELL_KM) / MIN_CELL_KM) * CLASSES_PER_DOUBLING
        ).astype(np.int64)
        self.classes = np.unique(cls)
        self.volunteer_class = cls
        self.side = np.empty(len(self.classes))
        self.m = np.empty(len(self.classes), dtype=np.int64)
        self.offset = np.empty(len(self.classes), dtype=np.int64)
        off = 0
        for j, k in enumerate(self.classes.tolist()):
            top = float(r[cls == k].max()) if (cls == k).any() else MIN_CELL_KM
            side = float(chord_limit(np.array([max(top, MIN_CELL_KM)]))[0]) * (1 + 1e-6)
            self.side[j] = side
            self.m[j] = int(np.ceil(2.0 / side)) + 3
            self.offset[j] = off
            off += int(self.m[j]) ** 3
        self.n_keys = off

    def coords(self, j: int, xyz: F64) -> I64:
        return np.floor((xyz + 1.0) / self.side[j]).astype(np.int64) + 1  # type: ignore[no-any-return]

    def key(self, j: int, c: I64) -> I64:
        m = int(self.m[j])
        return self.offset[j] + (c[..., 0] * m + c[..., 1]) * m + c[..., 2]  # type: ignore[no-any-return]


_NEIGHBOURS = np.array(
    [(a, b, c) for a in (-1, 0, 1) for b in (-1, 0, 1) for c in (-1, 0, 1)],
    dtype=np.int64,
)


def _ranges(entry_key: I64, queries: I64, need: I64) -> tuple[I64, I64, I64]:
    lo = np.searchsorted(entry_key, queries, side="left")
    hi = np.searchsorted(entry_key, queries, side="right")
    ok = hi > lo
    return need[ok], lo[ok], (hi - lo)[ok]


def _expand(start: I64, length: I64, need: I64) -> tuple[I64, I64]:
    """Concatenate ranges [start, start + length) -> (positions, need of each position)."""
    total = int(length.sum())
    ends = np.cumsum(length)
    base = np.repeat(start - (ends - length), length)
    pos = base + np.arange(total, dtype=np.int64)
    return pos, np.repeat(need, length)


def _chunks(
    need: I64, start: I64, length: I64, chunk_size: int
) -> Iterator[tuple[I64, I64, I64]]:
    if need.size == 0:
        return
    # needs ascending: chunks stay need-contiguous
    order = group_order(need)
    need, start, length = need[order], start[order], length[order]
    csum = np.cumsum(length)
    cuts = (
        np.searchsorted(
            csum, np.arange(chunk_size, int(csum[-1]), chunk_size), side="left"
        )
        + 1
    )
    bounds = np.unique(np.concatenate([[0], cuts, [need.size]]))
    for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
        if b > a:
            yield need[a:b], start[a:b], length[a:b]


def candidate_chunks(
    enc: Encoded,
    as_of: date,
    *,
    chunk_size: int = 1 << 20,
    volunteers: B | None = None,
) -> Iterator[CandidateChunk]:
    """Candidate pairs for every active need, in chunks of about ``chunk_size`` pairs.

    ``volunteers`` (a mask over the volunteers) limits the candidates to those
    volunteers, e.g. to score again the rows of a few volunteers.

    Every acceptable pair is among the candidates (no false negatives); candidates still
    have to pass :func:`matchkit._rules_filter.filter_pairs`. In-person candidates have already
    passed the chord pre-test. Each pair appears at most once.

    Examples
    --------
    >>> import datetime, matchkit as mk
    >>> from matchkit._encode import encode
    >>> ds = mk.Dataset(
    ...     volunteers=[{"id": "v1", "home": {"lat": 55.79, "lon": 49.12}},
    ...                 {"id": "v2", "home": {"lat": 56.79, "lon": 49.12}}],
    ...     organisations=[{"id": "o1", "name": "Park", "kind": "cso", "registered": True}],
    ...     needs=[{"id": "n1", "organisation_id": "o1", "title": "Plant", "capacity": 2,
    ...             "status": "open", "location": {"lat": 55.80, "lon": 49.12}}],
    ... )
    >>> [(c.v.tolist(), c.n.tolist()) for c in candidate_chunks(encode(ds), datetime.date(2026, 1, 1))]
    [([0], [0])]
    """
    active = active_needs(enc, as_of)
    local_needs = np.flatnonzero(active & ~enc.n_remote & enc.n_has_place)
    remote_needs = np.flatnonzero(active & enc.n_remote)
    vb, nb = _required_bits(enc)
    v_tags = _unpack(vb)
    n_tags = _unpack(nb)
    n_tag_total = v_tags.shape[1]

    only = np.ones(enc.n_volunteers, dtype=bool) if volunteers is None else volunteers
    home = np.flatnonzero(enc.v_has_home & only)
    remote_vols = np.flatnonzero(enc.v_remote_ok & only)

    # Remote candidates first: they come at once, so the caller's workers score them
    # while the in-person index is built.
    if remote_needs.size and remote_vols.size:
        yield from _remote(enc, as_of, remote_needs, remote_vols, vb, nb, chunk_size)
    if local_needs.size and home.size:
        if volunteers is not None and home.size * FEW_VOLUNTEERS < enc.n_volunteers:
            yield from _local_from_volunteers(enc, local_needs, home, chunk_size)
        else:
            yield from _local(
                enc, local_needs, home, v_tags, n_tags, n_tag_total, chunk_size
            )


def _remote(
    enc: Encoded,
    as_of: date,
    needs: I64,
    vols: I64,
    vb: NDArray[np.uint64],
    nb: NDArray[np.uint64],
    chunk_size: int,
) -> Iterator[CandidateChunk]:
    """Remote needs: every rule but the exclusions, once per distinct requirement.

    Needs with the same required tags, minimum age, slots and overlap accept the same
    ``remote_ok`` volunteers, so each distinct requirement is one pass of vector
    operations over the volunteers' columns (no pairs are formed for the ones that fail).
    The requirements are sorted with their tags and minimum age first: those sharing
    them test the tags and the age once, and their schedules on the volunteers that pass
    (100k city: 977 requirements of 1,048 remote needs, 360 of tags and age; the remote
    candidates 0.31 s -> 0.2 s).
    """
    ages = ages_at(enc, as_of)[vols]
    avail = enc.v_availability[vols]
    n_words = vb.shape[1]
    tag_words = n_words - 1  # (the last word holds slots a need requires all of)
    cols = [np.ascontiguousarray(vb[vols, w]) for w in range(n_words)]
    sig = np.concatenate(
        [
            nb[needs, :tag_words].view(np.int64),
            enc.n_min_age[needs, None],
            nb[needs, tag_words:].view(np.int64),
            enc.n_slots[needs, None].astype(np.int64),
            enc.n_required_overlap[needs, None],
        ],
        axis=1,
    )
    uniq, group = np.unique(sig, axis=0, return_inverse=True)
    group = group.reshape(-1)
    members = np.argsort(group, kind="stable")
    bounds = np.searchsorted(group[members], np.arange(len(uniq) + 1))
    buf_v: list[I64] = []
    buf_n: list[I64] = []
    size = 0
    head: NDArray[np.int64] | None = None  # (the tags and age of the last requirement)
    for g in range(len(uniq)):
        if head is None or not np.array_equal(uniq[g, : tag_words + 1], head):
            head = uniq[g, : tag_words + 1]
            req = head[:tag_words].view(np.uint64)
            ok = np.ones(vols.size, dtype=bool)
            for w in np.flatnonzero(req).tolist():
                ok &= (cols[w] & req[w]) == req[w]
            if head[tag_words] >= 0:
                ok &= ages >= head[tag_words]
            sub = np.flatnonzero(ok)
        every, slots, overlap = (int(x) for x in uniq[g, tag_words + 1 :])
        at = sub
        if every or overlap > 0:
            keep = np.ones(at.size, dtype=bool)
            if every:
                slot_req = np.uint64(every)
                keep &= (cols[tag_words][at] & slot_req) == slot_req
            if overlap > 0:
                keep &= popcount(avail[at] & np.uint32(slots)) >= overlap
            at = at[keep]
        v = vols[at]
        if v.size == 0:
            continue
        for j in needs[members[bounds[g] : bounds[g + 1]]].tolist():
            buf_v.append(v)
            buf_n.append(np.full(v.size, j, dtype=np.int64))
            size += v.size
            if size >= chunk_size:
                yield CandidateChunk(
                    np.concatenate(buf_v), np.concatenate(buf_n), True, REMOTE_CHECKED
                )
                buf_v, buf_n, size = [], [], 0
    if size:
        yield CandidateChunk(
            np.concatenate(buf_v), np.concatenate(buf_n), True, REMOTE_CHECKED
        )


def _entries(tags: B, vols: I64, used: I64, n_tag_total: int) -> tuple[I64, I64]:
    """(volunteer, tag) entries for the tags in ``used`` (``n_tag_total`` = *any*)."""
    real = used[used < n_tag_total]
    rows, cols = (
        np.nonzero(tags[:, real]) if real.size else (np.zeros(0, np.int64),) * 2
    )
    ev = [vols[rows]]
    et = [real[cols]]
    if (used == n_tag_total).any():
        ev.append(vols)
        et.append(np.full(vols.size, n_tag_total, dtype=np.int64))
    return np.concatenate(ev).astype(np.int64), np.concatenate(et).astype(np.int64)


def _local(
    enc: Encoded,
    needs: I64,
    home: I64,
    v_tags: B,
    n_tags: B,
    n_tag_total: int,
    chunk_size: int,
) -> Iterator[CandidateChunk]:
    counts = v_tags[home].sum(axis=0, dtype=np.int64)
    key = _key_tags(n_tags[needs], counts)
    used = np.unique(key)
    ev, et = _entries(v_tags[home], home, used, n_tag_total)
    if ev.size == 0:
        return

    # Turn the sphere so that the homes' mean direction is the z axis: near it, the
    # surface is almost the xy plane, so a need's 27 cubes cut it in about 9 squares
    # (an oblique cut covers more area, and holds more candidates). Rotations keep
    # distances, so the grid argument holds unchanged.
    rot = _rotation_to_z(enc.v_xyz[home].mean(axis=0))
    v_xyz = enc.v_xyz @ rot.T
    n_xyz = enc.n_xyz @ rot.T
    grid = _Grid(enc.v_max_km[home])
    cls_of = np.empty(enc.n_volunteers, dtype=np.int64)
    cls_of[home] = np.searchsorted(grid.classes, grid.volunteer_class)
    cell_raw = np.empty(ev.size, dtype=np.int64)
    ecls = cls_of[ev]
    for j in range(len(grid.classes)):
        sel = np.flatnonzero(ecls == j)
        cell_raw[sel] = grid.key(j, grid.coords(j, v_xyz[ev[sel]]))
    cells, cell_id = np.unique(cell_raw, return_inverse=True)
    n_cells = cells.size
    entry_key = et * n_cells + cell_id.reshape(-1)
    order = np.lexsort((ev, entry_key))
    ev, entry_key = ev[order], entry_key[order]
    f32 = np.float32
    e_x, e_y = (v_xyz[ev, k].astype(f32) for k in range(2))
    e_lim = chord_limit(enc.v_max_km[ev]) * (1 + _CHORD_REL) + _CHORD_ABS
    e_lim2 = (e_lim * e_lim).astype(f32)
    n_x, n_y = (n_xyz[:, k].astype(f32) for k in range(2))

    # Queries: every need x radius class x the 27 cubes around the need's cube.
    qn, qs, ql = [], [], []
    nxyz = n_xyz[needs]
    for j in range(len(grid.classes)):
        c = grid.coords(j, nxyz)[:, None, :] + _NEIGHBOURS[None, :, :]
        raw = grid.key(j, c).reshape(-1)
        pos = np.searchsorted(cells, raw)
        np.minimum(pos, n_cells - 1, out=pos)
        hit = cells[pos] == raw
        need_rep = np.repeat(np.arange(needs.size), 27)[hit]
        q = key[need_rep] * n_cells + pos[hit]
        a, b, ln = _ranges(entry_key, q, needs[need_rep])
        qn.append(a)
        qs.append(b)
        ql.append(ln)
    need = np.concatenate(qn)
    start = np.concatenate(qs)
    length = np.concatenate(ql)
    for cn, cs, cl in _chunks(need, start, length, chunk_size):
        pos, n = _expand(cs, cl, cn)
        # Squared chord between home and need, one coordinate at a time (1-D gathers are
        # much faster than gathering rows of an (n, 3) array).
        dx = e_x[pos]
        dx -= np.repeat(n_x[cn], cl)
        chord2 = dx * dx
        dx = e_y[pos]
        dx -= np.repeat(n_y[cn], cl)
        dx *= dx
        chord2 += dx
        # (The z term is left out: it is >= 0, so the test only lets more pairs through
        # to the exact one, and after the rotation the homes lie close to the xy plane:
        # 100k city, 52.5 M candidates, 25.16 M kept either way.)
        keep = np.flatnonzero(chord2 <= e_lim2[pos])
        yield CandidateChunk(ev[pos[keep]], n[keep], False, LOCAL_CHECKED)


def _local_from_volunteers(
    enc: Encoded, needs: I64, vols: I64, chunk_size: int
) -> Iterator[CandidateChunk]:
    """In-person candidates of a few volunteers, looked up from the volunteers' side.

    The same grid argument as :func:`_local`, turned around: per radius class, the
    active needs are filed by cube, and each volunteer of the class reads the 27 cubes
    around their home. Tags are not used to narrow the lookup (the rules check them
    all later), so only the chord pre-test cuts the candidates.
    """
    rot = _rotation_to_z(enc.v_xyz[vols].mean(axis=0))
    v_xyz = enc.v_xyz[vols] @ rot.T
    n_xyz = enc.n_xyz[needs] @ rot.T
    grid = _Grid(enc.v_max_km[vols])
    cls = np.searchsorted(grid.classes, grid.volunteer_class)
    f32 = np.float32
    e_lim = chord_limit(enc.v_max_km[vols]) * (1 + _CHORD_REL) + _CHORD_ABS
    e_lim2 = (e_lim * e_lim).astype(f32)
    v_c = [v_xyz[:, k].astype(f32) for k in range(3)]
    n_c = [n_xyz[:, k].astype(f32) for k in range(3)]
    for j in range(len(grid.classes)):
        sel = np.flatnonzero(cls == j)
        if sel.size == 0:
            continue
        need_key = grid.key(j, grid.coords(j, n_xyz))
        order = np.argsort(need_key, kind="stable")
        sorted_key = need_key[order]
        c = grid.coords(j, v_xyz[sel])[:, None, :] + _NEIGHBOURS[None, :, :]
        raw = grid.key(j, c).reshape(-1)
        who = np.repeat(sel, 27)
        a, lo, ln = _ranges(sorted_key, raw, who)
        for cv, cs, cl in _chunks(a, lo, ln, chunk_size):
            pos, v_local = _expand(cs, cl, cv)
            n_local = order[pos]
            # Volunteer minus need, one coordinate at a time, as in _local.
            dx = v_c[0][v_local] - n_c[0][n_local]
            chord2 = dx * dx
            dx = v_c[1][v_local] - n_c[1][n_local]
            chord2 += dx * dx
            dx = v_c[2][v_local] - n_c[2][n_local]
            chord2 += dx * dx
            keep = np.flatnonzero(chord2 <= e_lim2[v_local])
            yield CandidateChunk(
                vols[v_local[keep]], needs[n_local[keep]], False, LOCAL_CHECKED
            )

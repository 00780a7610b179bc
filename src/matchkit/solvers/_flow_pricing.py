"""Pricing: solve a large b-matching on a small part of its edges, prove it optimal on all.

A city has far more acceptable pairs than any optimum uses: at 100k volunteers x 10k
needs, 18.8 M edges for 70k chosen pairs. The exact backends (OR-Tools' min-cost flow,
the LP) spend their time on all of them. Here they solve a subgraph instead:

1. **Start.** Each volunteer's ``PER_VOLUNTEER`` heaviest edges and each need's
   ``PER_PLACE * (capacity + 1)`` heaviest edges (by weight buckets, so a few more
   where weights share a bucket).
2. **Solve** the subgraph exactly with the backend.
3. **Prices.** Compute dual prices of that optimum: ``u`` per volunteer, ``p`` per need,
   both ``>= 0``, ``u = 0`` for a volunteer with free capacity, ``p = 0`` for a need
   with free places, ``u_i + p_j <= W_ij`` on chosen edges and ``u_i + p_j >= W_ij`` on
   the subgraph's other edges (see :func:`least_prices`).
4. **Certificate.** If every edge of the whole graph has ``u_i + p_j >= W_ij`` or is
   chosen, the answer is optimal for the whole graph. These are the complementary
   slackness conditions of the b-matching LP (an edge's bound ``x <= 1`` has the dual
   ``max(0, W - u - p)``), so LP duality proves it, with integers checked exactly.
   Otherwise every edge that violates it, and every edge within ``MARGIN`` of the
   weight range of violating it, joins the subgraph (around the violating edges' own
   volunteers and needs, within the wider ``LOCAL_MARGIN``, budget permitting), and
   step 2 runs again. Once, when the edges within the margin are few next to the
   subgraph (``SHRINK_BELOW``; ``SHRINK_FAR`` when many edges break the proof), they
   replace it instead of joining it; after that, again whenever very few edges break
   the proof (``NEARLY_FINAL``). When at most ``MAX_BROKEN`` edges break it and the next
   subgraph holds at least the backend's ``REPAIR_MIN`` edges, step 2 repairs the last
   answer by shortest paths instead of solving afresh (:mod:`._flow_repair`); the
   repaired answer goes through steps 3 and 4 all the same.

If the subgraph grows past ``MAX_SHARE`` of the edges (per backend), or the rounds run
out, or no prices certify the backend's answer on its subgraph, the caller solves the
whole graph. The answer is deterministic (the same problem gives the same subgraphs),
and the backend's own tie-breaking picks among several optima; a version that changes
how subgraphs are chosen may pick another of equal weight. It serves every problem
the flow method sends to the LP or OR-Tools: capacities on both sides, or an auction
that gave up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._numbering import group_order
from .._threads import in_runs
from ._flow_repair import MAX_BROKEN, repair

__all__ = [
    "FAR_OFF",
    "MAX_SHARE",
    "MIN_EDGES",
    "NEARLY_FINAL",
    "REPAIR_MIN",
    "SHRINK_BELOW",
    "SHRINK_FAR",
    "Exact",
    "least_prices",
    "solve_priced",
    "starting_edges",
]

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
Exact = Callable[[IntArray, IntArray, IntArray, IntArray, IntArray], "IntArray | None"]
"""A backend: (left, right, weight, left capacity, right capacity) -> chosen positions."""

#: Below this many free edges the backend solves every edge at once.
MIN_EDGES = 50_000
#: Starting subgraph: each volunteer's heaviest edges ...
PER_VOLUNTEER = 4
#: ... and each need's ``PER_PLACE * (capacity + 1)`` heaviest edges. (8 rather than 6
#: since repairs: 100k cities, seeds 0-3, priced solve 3.34-3.85 s against 3.64-4.33 s,
#: in turn in one process; the 10k, 30k and ``top_k=50`` cities tie, 50k a little faster.)
PER_PLACE = 8
#: Weight buckets used to find those edges without a sort, of equal width up to the
#: ``TOP_QUANTILE`` of a sample of ``SAMPLE`` weights.
BUCKETS = 64
SAMPLE = 1 << 16
TOP_QUANTILE = 0.999
#: Edges within this share of the weight range of violating the certificate join too.
MARGIN = 0.05
#: ... and, around the volunteers and needs of the violating edges, edges within this
#: wider share, when that adds at most ``LOCAL_GROWTH`` times the subgraph's edges (the
#: subgraph just solved, also when the next one shrank; and keeps it within ``MAX_SHARE``): prices move where the answer changes, so this can save
#: a solve when few edges violate (two of eight 10k cities, one of two 100k re-plans);
#: when many do, it would only inflate the subgraph, so then the plain margin applies.
LOCAL_MARGIN = 0.2
LOCAL_GROWTH = 0.5
#: When the edges within ``MARGIN`` of the prices (every edge that breaks the proof
#: among them) are at most this share of the subgraph, the next subgraph is those edges
#: alone (and the local widening), once: the rest are far from mattering, and the
#: solve's time grows with them. (100k city: its third solve on 0.25 M edges, 0.55 s,
#: instead of 1.05 M, 1.2 s; its re-plan after 10 % rejections: the second on 0.11 M
#: instead of 0.32 M, 0.13 s against 0.23 s. With ``top_k=50``, where the first
#: subgraph had 32 % within the margin, shrinking it cost a third solve that growing it
#: did not need.)
SHRINK_BELOW = 0.25
#: ... or at most ``SHRINK_FAR`` of it when at least ``FAR_OFF`` of the subgraph's size
#: breaks the proof: the prices are then far off, the next round is unlikely to be the
#: last either way, and a smaller subgraph makes the rounds left cheaper. (100k cities,
#: seeds 0-4, every edge: 9-14 % broke it after the first solve, with 37-46 % near;
#: shrinking then took 4.13, 3.81, 3.81, 4.07 and 3.52 s against 4.81, 3.74, 4.54, 4.60
#: and 4.14 s growing, measured in turn. With ``top_k=50`` 1 % broke it, and growing
#: needed two solves where shrinking needed three; a 30k city, at 4.5 %, was a tie.)
SHRINK_FAR = 0.5
FAR_OFF = 0.05
#: Once shrunk, when at most ``NEARLY_FINAL`` of the subgraph's size breaks the proof,
#: the prices are nearly final: the next subgraph is again the edges within the margin
#: (and the chosen ones and the local widening), not the last one grown by them. (100k
#: cities, seeds 0-4, where a fourth solve followed 2-30 breaking edges: it ran on
#: 0.21-0.23 M edges in 0.41-0.44 s instead of 0.35-0.45 M in 0.51-0.58 s; nothing else
#: measured reached it.)
NEARLY_FINAL = 0.001
#: A subgraph above this share of the edges is not worth it: solve them all. The LP's
#: time grows faster than its edges (100k city, ``top_k=50``: 57 s priced against 238 s
#: on every edge, with a start of 18 % of the edges); OR-Tools' grows slower, so it is
#: priced only from a smaller share. (There, on 4.4 M edges: 4.2 s on every edge, 3.8 s
#: priced in three rounds of up to 19 % of them, on 2026-12-07; at 0.15, the earlier
#: limit, it gave up after the start and solved every edge.)
MAX_SHARE = {"lp": 0.4, "ortools": 0.25}
#: A round is repaired (``_flow_repair``) rather than solved afresh only on a subgraph of
#: at least this many edges, per backend. Its shortest paths need scipy's graph routines
#: (0.25 s to import, which the LP has imported already), and OR-Tools solves a small
#: subgraph faster than that: on a 10k x 1k city (a last subgraph of 14k edges) the
#: solve took 0.33 s with a repair against 0.17 s without; on the 100k city (234k edges)
#: the repair takes 0.06-0.11 s against 0.45-0.6 s for OR-Tools. The rule depends on the
#: problem alone, so the same problem always gets the same answer.
REPAIR_MIN = {"lp": 0, "ortools": 150_000}
#: Solves of the subgraph before giving up (three sufficed on every city measured).
MAX_ROUNDS = 8
#: Bellman-Ford passes before the prices are given up (a city settles in 20-30).
MAX_PASSES = 1000
#: Edges per slice of the certificate check.
CHECK_SLICE = 1 << 20
#: Bucket counts of owners in any order are counted slice by slice up to this many
#: entries (owners x BUCKETS), in one pass above.
SMALL_TABLE = 1 << 20

log = logging.getLogger("matchkit")

_NEG = np.iinfo(np.int64).min // 4


def starting_edges(
    left: IntArray,
    right: IntArray,
    weight: IntArray,
    left_capacity: IntArray,
    right_capacity: IntArray,
) -> BoolArray:
    """Mask of the starting subgraph: each volunteer's and each need's heaviest edges.

    Examples
    --------
    >>> import numpy as np
    >>> left, right = np.repeat(np.arange(3), 8), np.tile(np.arange(8), 3)
    >>> w = np.arange(1, 25)
    >>> m = starting_edges(left, right, w, np.ones(3, np.int64), np.ones(8, np.int64))
    >>> int(m.sum()) <= 24, bool(m[7]), bool(m[23])
    (True, True, True)
    """
    # Equal-width buckets 0 .. BUCKETS - 1 (heavier weights higher) between a low and a
    # high quantile of a sample, the lightest and heaviest few sharing the end buckets: a
    # few outlying weights do not squeeze the rest into a few buckets. (Cheaper than
    # quantile buckets: a search per edge cost 1 s at 19 M edges.)
    sample = weight[:: max(1, weight.size // SAMPLE)]
    lo = float(np.quantile(sample, 1.0 - TOP_QUANTILE))
    top = max(float(np.quantile(sample, TOP_QUANTILE)), lo + 1.0)
    # Everything runs in slices through small buffers: fresh arrays over every edge cost
    # a page fault per 4 kB each time (at 19 M edges, 144 MB of keys and a 51 MB table);
    # and on the worker threads, each over its run of slices.
    n = weight.size
    bucket = np.empty(n, dtype=np.uint8)
    per_unit = BUCKETS / (top - lo)

    def to_buckets(start: int, stop: int) -> None:
        frac = np.empty(min(stop - start, CHECK_SLICE), dtype=np.float64)
        for a in range(start, stop, CHECK_SLICE):
            f = frac[: min(stop - a, CHECK_SLICE)]
            np.subtract(weight[a : a + f.size], lo, out=f, casting="unsafe")
            f *= per_unit
            np.clip(f, 0, BUCKETS - 1, out=f)
            bucket[a : a + f.size] = f  # (truncated, as astype would)

    in_runs(to_buckets, n, CHECK_SLICE)
    per_volunteer = np.full(len(left_capacity), PER_VOLUNTEER)
    low_v = _lowest_buckets(left, len(left_capacity), per_volunteer, bucket)
    per_need = PER_PLACE * (right_capacity + 1)
    low_n = _lowest_buckets(right, len(right_capacity), per_need, bucket)
    keep = np.empty(n, dtype=bool)

    def mark(start: int, stop: int) -> None:
        for a in range(start, stop, CHECK_SLICE):
            b = min(a + CHECK_SLICE, stop)
            np.greater_equal(bucket[a:b], low_v[left[a:b]], out=keep[a:b])
            keep[a:b] |= bucket[a:b] >= low_n[right[a:b]]

    in_runs(mark, n, CHECK_SLICE)
    return keep


def _lowest_buckets(
    owner: IntArray, n_owner: int, want: IntArray, bucket: NDArray[np.uint8]
) -> NDArray[np.uint8]:
    """Per owner, the lowest bucket to keep: the one holding its ``want``-th heaviest edge
    (0 when it has fewer edges)."""
    lowest = np.zeros(n_owner, dtype=np.uint8)
    n = owner.size
    if n == 0:
        return lowest

    # Owners in ascending order (a MatchProblem's volunteers): each slice ends where an
    # owner's edges end, so it counts its own owners' buckets in a small table; each
    # thread takes the owners that start in its run. Otherwise (or on finding them out of
    # order) one table of every owner's counts.
    def first_of_owner(at: int) -> int:
        return at if at in (0, n) else int(np.searchsorted(owner, owner[at], side="left"))

    def settle_run(start: int, stop: int) -> bool:
        a, stop = first_of_owner(start), first_of_owner(stop)
        while a < stop:
            t = min(a + CHECK_SLICE, stop)
            b = stop if t == stop else int(np.searchsorted(owner[a:], owner[t], side="left")) + a
            if b == a:  # one owner fills the slice: take all of its edges
                b = max(int(np.searchsorted(owner[a:], owner[a], side="right")) + a, a + 1)
            part = owner[a:b]
            if (a > 0 and part[0] <= owner[a - 1]) or bool((part[1:] < part[:-1]).any()):
                return False
            first, last = int(part[0]), int(part[-1])
            key = part - first
            key *= BUCKETS
            key += bucket[a:b]
            counts = np.bincount(key, minlength=(last - first + 1) * BUCKETS)
            _settle(counts, want[first : last + 1], lowest[first : last + 1])
            a = b
        return True

    if not all(in_runs(settle_run, n, CHECK_SLICE)):
        return _lowest_buckets_unsorted(owner, n_owner, want, bucket)
    return lowest


def _lowest_buckets_unsorted(
    owner: IntArray, n_owner: int, want: IntArray, bucket: NDArray[np.uint8]
) -> NDArray[np.uint8]:
    """:func:`_lowest_buckets` for owners in any order: one table of every owner's counts,
    counted slice by slice through a small buffer of keys where the table is small (keys
    of every edge would be a fresh array of 150 MB at 19 M edges, faulted in page by page:
    0.46 s against 0.2 s for 10k needs), else in one pass (a table per slice would then
    cost more than the keys: 0.41 s against 0.31 s for 100k owners)."""
    if n_owner * BUCKETS > SMALL_TABLE:
        key = np.multiply(owner, BUCKETS)
        key += bucket
        counts = np.bincount(key, minlength=n_owner * BUCKETS)
    else:

        def count_run(start: int, stop: int) -> IntArray:
            counts = np.zeros(n_owner * BUCKETS, dtype=np.int64)
            key = np.empty(min(stop - start, CHECK_SLICE), dtype=np.int64)
            for a in range(start, stop, CHECK_SLICE):
                k = key[: min(stop - a, CHECK_SLICE)]
                np.multiply(owner[a : a + k.size], BUCKETS, out=k)
                k += bucket[a : a + k.size]
                counts += np.bincount(k, minlength=counts.size)
            return counts

        tables = in_runs(count_run, owner.size, CHECK_SLICE)  # (one per thread)
        counts = tables[0]
        for more in tables[1:]:
            counts += more
    lowest = np.zeros(n_owner, dtype=np.uint8)
    _settle(counts, want, lowest)
    return lowest


def _settle(counts: IntArray, want: IntArray, out: NDArray[np.uint8]) -> None:
    """``out``: per owner (a row of ``BUCKETS`` counts), the bucket holding its
    ``want``-th heaviest edge, counted from the top."""
    # Counts from the heaviest bucket down, accumulated in place.
    from_top = counts.reshape(-1, BUCKETS)[:, ::-1]
    np.cumsum(from_top, axis=1, out=from_top)
    needed = (from_top < np.asarray(want)[:, None]).sum(axis=1) + 1
    out[:] = BUCKETS - np.minimum(needed, BUCKETS)


def least_prices(
    left: IntArray,
    right: IntArray,
    weight: IntArray,
    chosen: BoolArray,
    left_capacity: IntArray,
    right_capacity: IntArray,
    *,
    max_passes: int | None = None,
) -> tuple[IntArray, IntArray] | None:
    """Dual prices ``(u, p)`` that certify ``chosen`` on these edges, or None.

    Writing ``q = -u``, the conditions are difference constraints:
    ``p_j >= q_i + W_ij`` on unchosen edges, ``q_i >= p_j - W_ij`` on chosen ones,
    ``p >= 0``, and ``q_i = 0`` for a volunteer with free capacity. Their least solution
    is a longest-path problem, solved by Bellman-Ford passes over all edges at once. It
    exists (and the passes settle) exactly when ``chosen`` is optimal; the upper bounds,
    ``q <= 0`` and ``p = 0`` at needs with free places, then hold too, and are checked.
    None means the passes did not settle within ``max_passes`` (default: the number of
    vertices plus one, Bellman-Ford's bound, at most ``MAX_PASSES``) or a bound failed:
    ``chosen`` is not optimal, or its prices are too slow to find.

    Examples
    --------
    >>> import numpy as np
    >>> left, right, w = np.array([0, 0, 1]), np.array([0, 1, 0]), np.array([5, 4, 3])
    >>> one = np.array([1, 1])
    >>> u, p = least_prices(left, right, w, np.array([False, True, True]), one, one)
    >>> u.tolist(), p.tolist()  # u + p = 5 on the unchosen edge, total 7 = the weight
    ([4, 2], [1, 0])
    >>> least_prices(left, right, w, np.array([True, False, False]), one, one) is None
    True
    """
    n_l, n_r = len(left_capacity), len(right_capacity)
    full_l = np.bincount(left[chosen], minlength=n_l) >= left_capacity
    full_r = np.bincount(right[chosen], minlength=n_r) >= right_capacity
    # Each pass relaxes only the edges of the volunteers and needs whose price moved in
    # the last one (the others cannot raise anything): the same values, pass by pass, as
    # relaxing every edge (a 100k city's first subgraph: 26 passes, most moving a small
    # share of the prices). So the unchosen edges are grouped by volunteer, the chosen
    # ones by need, each owner's run starting at ``*_first``.
    un = np.flatnonzero(~chosen)
    un = un[group_order(left[un])]
    ch = np.flatnonzero(chosen)
    ch = ch[group_order(right[ch])]
    u_l, u_w, u_r = left[un], weight[un], right[un]
    c_l, c_w, c_r = left[ch], weight[ch], right[ch]
    u_first = np.searchsorted(u_l, np.arange(n_l + 1))
    c_first = np.searchsorted(c_r, np.arange(n_r + 1))
    q = np.where(full_l, _NEG, 0).astype(np.int64)
    p = np.zeros(n_r, dtype=np.int64)
    passes = min(n_l + n_r + 1, MAX_PASSES) if max_passes is None else max_passes
    moved_v = np.flatnonzero(~full_l)  # (a full volunteer's q is -inf: it raises nothing)
    # Prices only rise, so a bound broken once stays broken: stop at once. A volunteer
    # with free capacity must keep q = 0 (it starts there), every volunteer q <= 0, a
    # need with free places p = 0 (it starts there).
    for k in range(passes):
        at = _runs(u_first, moved_v)
        raised = np.full(n_r, _NEG)
        np.maximum.at(raised, u_r[at], q[u_l[at]] + u_w[at])
        moved_n = np.flatnonzero(raised > p)
        if moved_n.size:
            if not full_r[moved_n].all():
                return None
            p[moved_n] = raised[moved_n]
        # (on the first pass every chosen edge: q starts below its least value)
        at = np.arange(c_l.size) if k == 0 else _runs(c_first, moved_n)
        raised = np.full(n_l, _NEG)
        np.maximum.at(raised, c_l[at], p[c_r[at]] - c_w[at])
        moved_v = np.flatnonzero(raised > q)
        if moved_v.size:
            if (raised[moved_v] > 0).any():
                return None
            q[moved_v] = raised[moved_v]
        if not moved_n.size and not moved_v.size:
            break
    else:
        return None
    # Volunteers without capacity (full, nothing chosen) are priced by their edges alone.
    idle = q == _NEG
    if idle.any():
        q[idle] = 0
        at = idle[u_l]
        np.minimum.at(q, u_l[at], p[u_r[at]] - u_w[at])
    return -q, p


def _widen(
    sel: BoolArray,
    wide: BoolArray,
    broken_at: IntArray,
    left: IntArray,
    right: IntArray,
    n_left: int,
    n_right: int,
    most: float,
) -> bool:
    """Add to ``sel`` the ``wide`` edges (outside it) of the volunteers and needs of the
    edges at ``broken_at``, unless there are more than ``most`` of them (then add none).
    Returns whether any was added."""
    touched_v = np.zeros(n_left, dtype=bool)
    touched_v[left[broken_at]] = True
    touched_n = np.zeros(n_right, dtype=bool)
    touched_n[right[broken_at]] = True
    # In slices, so that a wide margin over many edges never makes arrays of them all, on
    # the worker threads (each stops once its own share is over the budget).
    def run(start: int, stop: int) -> list[IntArray]:
        picked, total = [], 0
        for a in range(start, stop, CHECK_SLICE):
            cand = np.flatnonzero(wide[a : min(a + CHECK_SLICE, stop)])
            cand += a
            cand = cand[touched_v[left[cand]] | touched_n[right[cand]]]
            total += cand.size
            picked.append(cand)
            if total > most:
                break
        return picked

    picked = [c for part in in_runs(run, len(wide), CHECK_SLICE) for c in part]
    total = sum(c.size for c in picked)
    if total == 0 or total > most:
        return False
    sel[np.concatenate(picked)] = True
    return True


def _runs(first: IntArray, owners: IntArray) -> IntArray:
    """Positions of the owners' runs of edges (``first[o] .. first[o + 1]``), in order."""
    if owners.size == 0:
        return owners
    start, stop = first[owners], first[owners + 1]
    length = stop - start
    total = int(length.sum())
    ends = np.cumsum(length)
    return np.repeat(start - (ends - length), length) + np.arange(total, dtype=np.int64)


def solve_priced(
    left: IntArray,
    right: IntArray,
    weight: IntArray,
    left_capacity: IntArray,
    right_capacity: IntArray,
    exact: Exact,
    info: dict[str, Any],
    *,
    max_share: float = MAX_SHARE["lp"],
    repair_min: int = REPAIR_MIN["lp"],
) -> tuple[IntArray, IntArray, IntArray] | None:
    """Positions of a maximum-weight b-matching, proven optimal on every edge, with its
    prices ``u`` (per volunteer) and ``p`` (per need); None if pricing did not pay off
    (then solve every edge). ``exact`` solves a subgraph (same arguments, positions into
    it). Above ``max_share`` of the edges a subgraph is not worth it. ``info`` gets
    ``pricing_rounds`` and ``pricing_edges`` (the last subgraph), or ``pricing``: why it
    gave up; and on success ``pricing_shrunk``, the round after which the subgraph shrank,
    if it did. A round that few edges break is repaired from the last answer when its
    subgraph has at least ``repair_min`` edges."""
    n = len(left)
    if n == 0:
        return None
    sel = starting_edges(left, right, weight, left_capacity, right_capacity)
    span = int(weight.max()) - int(weight.min()) + 1
    margin, local_margin = int(MARGIN * span), int(LOCAL_MARGIN * span)
    # The check runs in slices through small buffers (arrays of every edge would add 300
    # MB at 19 M edges, and fresh ones fault their pages in each time), on the worker
    # threads, each over its run of slices.
    near = np.empty(n, dtype=bool)
    wide = np.empty(n, dtype=bool)
    outside = ~sel
    shrunk_at = 0
    # The last round's answer (positions into every edge) and prices, when few edges
    # broke its proof: the next answer is then repaired from it, not solved afresh.
    last: tuple[IntArray, IntArray, IntArray] | None = None
    for rounds in range(1, MAX_ROUNDS + 1):
        idx = np.flatnonzero(sel)
        if idx.size > max_share * n:
            info["pricing"] = f"not worth it: {idx.size} of {n} edges needed"
            return None
        sub_l, sub_r, sub_w = left[idx], right[idx], weight[idx]
        chosen = None
        if last is not None and idx.size >= repair_min:
            at = np.searchsorted(idx, last[0])
            if (at < idx.size).all() and (idx[np.minimum(at, idx.size - 1)] == last[0]).all():
                was = np.zeros(idx.size, dtype=bool)
                was[at] = True  # (the subgraph keeps the chosen edges; checked)
                chosen = repair(sub_l, sub_r, sub_w, was, last[1], last[2], left_capacity,
                                right_capacity)
        prices = None
        if chosen is not None and not _fits(sub_l, sub_r, chosen, left_capacity, right_capacity):
            log.warning("flow pricing: a repaired answer exceeds a capacity; solving afresh")
            chosen = None
        if chosen is not None:
            prices = least_prices(sub_l, sub_r, sub_w, chosen, left_capacity, right_capacity)
            if prices is None:  # (never seen: then solve afresh)
                log.warning("flow pricing: a repaired answer was not proven; solving afresh")
            else:
                info["pricing_repaired"] = info.get("pricing_repaired", 0) + 1
                local = np.flatnonzero(chosen)
        if prices is None:
            solved = exact(sub_l, sub_r, sub_w, left_capacity, right_capacity)
            if solved is None:
                info["pricing"] = "the backend gave no answer on a subgraph"
                return None
            local = solved
            chosen = np.zeros(idx.size, dtype=bool)
            chosen[local] = True
            prices = least_prices(sub_l, sub_r, sub_w, chosen, left_capacity, right_capacity)
        del sub_l, sub_r, sub_w
        if prices is None:
            info["pricing"] = (
                "no prices certify the backend's answer on a subgraph (not optimal there, "
                f"or not settled within {MAX_PASSES} passes)"
            )
            log.warning("flow: %s; solving every edge", info["pricing"])
            return None
        u, p = prices
        # Reduced weights W - u - p on every edge: > 0 on an unchosen one breaks the proof.
        check = partial(_check, left, right, weight, u, p, outside, near, wide, margin,
                        local_margin)
        broken_at = [b for found in in_runs(check, n, CHECK_SLICE) for b in found]
        if not broken_at:
            info["pricing_rounds"], info["pricing_edges"] = rounds, int(idx.size)
            if shrunk_at:
                info["pricing_shrunk"] = shrunk_at
            return idx[local], u, p
        n_near = np.count_nonzero(near)
        n_broken = sum(b.size for b in broken_at)
        last = (idx[local], u, p) if n_broken <= MAX_BROKEN else None
        log.debug("flow pricing: round %d on %d edges, %d outside break the proof, %d "
                  "within the margin", rounds, idx.size, n_broken, n_near)
        shrink_below = SHRINK_FAR if n_broken >= FAR_OFF * idx.size else SHRINK_BELOW
        first = not shrunk_at and rounds < MAX_ROUNDS and n_near <= shrink_below * idx.size
        again = shrunk_at and n_broken <= NEARLY_FINAL * idx.size and n_near < idx.size
        if first or again:
            # The next subgraph is the edges within the margin of the prices (and the chosen
            # ones), without the many edges the prices show far from mattering. The local
            # widening below keeps the budget of the subgraph it replaces: where prices
            # still move, it saves a solve (the 100k re-plan: three solves, not four; with
            # a budget from the shrunk subgraph, 0.84 s against 0.66-0.70 s).
            shrunk_at = shrunk_at or rounds
            np.copyto(sel, near)
            sel[idx[local]] = True
        else:
            sel |= near
        np.logical_not(sel, out=outside)
        room = min(LOCAL_GROWTH * idx.size, max_share * n - (n - np.count_nonzero(outside)))
        wide &= outside  # (in place: the next round's check writes it anew)
        if _widen(sel, wide, np.concatenate(broken_at), left, right, len(left_capacity),
                  len(right_capacity), room):
            np.logical_not(sel, out=outside)
    info["pricing"] = f"no proof within {MAX_ROUNDS} rounds"
    return None


def _fits(
    left: IntArray, right: IntArray, chosen: BoolArray, left_capacity: IntArray,
    right_capacity: IntArray,
) -> bool:
    """Whether the chosen edges keep within every capacity (:func:`least_prices` proves
    optimality, not this)."""
    return bool(
        (np.bincount(left[chosen], minlength=len(left_capacity)) <= left_capacity).all()
        and (np.bincount(right[chosen], minlength=len(right_capacity)) <= right_capacity).all()
    )


def _check(
    left: IntArray,
    right: IntArray,
    weight: IntArray,
    u: IntArray,
    p: IntArray,
    outside: BoolArray,
    near: BoolArray,
    wide: BoolArray,
    margin: int,
    local_margin: int,
    lo: int,
    hi: int,
) -> list[IntArray]:
    """The certificate over edges ``lo:hi``, slice by slice: the positions of the edges
    outside the subgraph that break it; ``near`` and ``wide`` are written there."""
    step = min(hi - lo, CHECK_SLICE)
    reduced, spare = np.empty(step, dtype=np.int64), np.empty(step, dtype=np.int64)
    broken = np.empty(step, dtype=bool)
    found = []
    for a in range(lo, hi, CHECK_SLICE):
        b = min(a + CHECK_SLICE, hi)
        r, sp_, bk = reduced[: b - a], spare[: b - a], broken[: b - a]
        # (indices are the problem's own, in range; "raise" would buffer the output)
        np.take(u, left[a:b], out=r, mode="clip")
        np.take(p, right[a:b], out=sp_, mode="clip")
        r += sp_
        np.subtract(weight[a:b], r, out=r)
        np.greater(r, 0, out=bk)
        bk &= outside[a:b]
        if bk.any():
            found.append(np.flatnonzero(bk) + a)
        np.greater(r, -margin, out=near[a:b])
        np.greater(r, -local_margin, out=wide[a:b])
    return found

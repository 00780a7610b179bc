"""Diagnoses of every unmatched volunteer of a round at once, as export rows.

``why_unmatched`` runs the hard rules of one volunteer against every open need and
reads the holders of each need that fits them. For a whole round that work is shared
here: the rules' failures of a block of volunteers against all open needs come as
bitmasks over the needs, built from masks computed once per round
(:mod:`._diagnostics_masks`; the rules run pair by pair over the block when those masks
would take too much room), the counts per rule are counts of bits, and the competition
of every volunteer of a block comes from one pass over their edges against each need's
holders, computed once per round. The rows are exactly those of ``why_unmatched`` (the
tests compare every volunteer); a volunteer no open need fits (rare: their
counterfactuals re-run the rules) is diagnosed one by one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from . import _diagnostics_texts as T
from ._diagnostics import (
    _STATE_RULES,
    Diagnosis,
    _decided,
    _segments,
    judged,
    without_rules,
)
from ._diagnostics_masks import NeedMasks, count_bits, pack, set_bits, unpack
from ._roundview import RoundView, round_view
from ._rules import RULES, pair_rule_failures, volunteer_rule_failures

if TYPE_CHECKING:
    from ._proposals import MatchResult

__all__ = ["diagnosis_row", "iter_volunteer_rows", "volunteer_rows"]

B = NDArray[np.bool_]
I64 = NDArray[np.int64]
F64 = NDArray[np.float64]
#: Pairs (volunteers x open needs) whose rules run at once: bounds a block's memory
#: (about 100 bytes a pair while the rules run: some 25 MB).
BLOCK_PAIRS = 1 << 18
#: Pairs judged at once from the needs' masks (a bit a pair and a rule, the distances
#: and schedules computed in chunks of their own).
MASK_PAIRS = 1 << 21
#: The rules that compare a volunteer with a need, in the order of ``RULES``.
_PAIR_CODES = tuple(r for r in RULES if r not in _STATE_RULES)


def volunteer_rows(
    result: MatchResult, volunteer_ids: Sequence[str], lang: str
) -> list[dict[str, Any]]:
    """The export row of ``why_unmatched`` for each volunteer, in the order given."""
    return list(iter_volunteer_rows(result, volunteer_ids, lang))


def iter_volunteer_rows(
    result: MatchResult, volunteer_ids: Sequence[str], lang: str
) -> Iterator[dict[str, Any]]:
    """:func:`volunteer_rows` one at a time: a writer that takes them so holds one
    block's rows at once. (The rows list every acceptable need of every volunteer with
    its scores: 2.7 million entries, some 600 MB, on the 100k city.)"""
    view = round_view(result)
    judge: Callable[[list[str]], list[dict[str, Any]]] | None = None
    step = 1
    waiting: list[dict[str, Any] | str] = []  # rows, and the ids of the block's volunteers
    n_waiting = 0
    for vid in volunteer_ids:
        told = without_rules(result, view, vid, lang)
        if told is not None:
            if waiting:
                waiting.append(diagnosis_row(told))
            else:
                yield diagnosis_row(told)
            continue
        if judge is None:
            judge, step = _judge(result, view, lang)
        waiting.append(vid)
        n_waiting += 1
        if n_waiting == step:
            yield from _filled(waiting, judge)
            waiting, n_waiting = [], 0
    if judge is not None and waiting:
        yield from _filled(waiting, judge)


def _judge(
    result: MatchResult, view: RoundView, lang: str
) -> tuple[Callable[[list[str]], list[dict[str, Any]]], int]:
    """The rows of a block of volunteers (by id), and how many a block holds."""
    needs = _OpenNeeds.of(result, view)
    masks = NeedMasks.of(view.enc, needs.cols, view.day)
    pairs = BLOCK_PAIRS if masks is None else MASK_PAIRS
    step = max(1, pairs // max(needs.cols.size, 1))

    def judge(ids: list[str]) -> list[dict[str, Any]]:
        if masks is None:
            return _block_rows(result, view, needs, ids, lang)
        return _mask_rows(result, view, needs, masks, ids, lang)

    return judge, step


def _filled(
    waiting: list[dict[str, Any] | str],
    judge: Callable[[list[str]], list[dict[str, Any]]],
) -> Iterator[dict[str, Any]]:
    """The rows of ``waiting`` in order, each id replaced by its judged row."""
    made = iter(judge([x for x in waiting if isinstance(x, str)]))
    for x in waiting:
        yield next(made) if isinstance(x, str) else x


def diagnosis_row(d: Diagnosis) -> dict[str, Any]:
    """A diagnosis as a row of diagnostics.csv (nested values as they are)."""
    return {
        "subject": d.subject,
        "id": d.id,
        "code": d.code,
        "text": d.text,
        "considered": d.considered,
        "excluded_by": dict(d.excluded_by),
        "only_rule": dict(d.only_rule),
        "counterfactuals": [
            {
                "change": c.change,
                "value": c.value,
                "more": c.more,
                "free": c.free,
                "text": c.text,
            }
            for c in d.counterfactuals
        ],
        "competition": [
            {
                "need_id": c.need_id,
                "your_score": c.your_score,
                "weakest_score": c.weakest_score,
                "margin": c.margin,
                "full": c.full,
            }
            for c in d.competition
        ],
    }


@dataclass(frozen=True)
class _OpenNeeds:
    """The needs a volunteer is judged against (open, not closed by the ledger), and
    the holders of each need's places, summed up once per round."""

    state: dict[str, B]  # the need-state rules, per need (the same for everyone)
    cols: I64  # needs open this round, by position
    col_of: I64  # need position -> its column in ``cols``, or -1
    blocked: B  # per column: a policy check holds the need back
    measure: F64  # per edge: what the competition compares (weight or need_utility)
    n_holders: I64  # per need: edges holding its places
    weakest: F64  # per need: the lowest measure among them (inf if none)

    @staticmethod
    def of(result: MatchResult, view: RoundView) -> _OpenNeeds:
        enc = view.enc
        # (rules about the need's own state: the same for every volunteer)
        state = volunteer_rule_failures(enc, 0, view.day)
        open_now = ~state["not_open"] & ~state["ended"] & ~_decided(result, view).closed
        cols = np.flatnonzero(open_now).astype(np.int64)
        col_of = np.full(enc.n_needs, -1, dtype=np.int64)
        col_of[cols] = np.arange(cols.size)
        p = result.problem
        measure = np.asarray(
            p.need_utility if result.method == "stable" else p.weight, dtype=np.float64
        )
        held = view.holder_by_need
        weakest = np.full(enc.n_needs, np.inf)
        np.minimum.at(weakest, p.edge_right[held], measure[held])
        return _OpenNeeds(
            {r: state[r] for r in _STATE_RULES},
            cols,
            col_of,
            view.blocked_n[cols],
            measure,
            np.diff(view.h_start),
            weakest,
        )


    def full_row(self, open_fails: dict[str, B]) -> dict[str, B]:
        """One volunteer's rule masks against every need, from each pair rule's mask over
        the open needs (a pair rule reads False on a need not open this round)."""
        out = {}
        for r in RULES:
            if r in self.state:
                out[r] = self.state[r]
            else:
                out[r] = np.zeros(self.col_of.size, dtype=bool)
                out[r][self.cols] = open_fails[r]
        return out


def _block_rows(
    result: MatchResult, view: RoundView, needs: _OpenNeeds, ids: list[str], lang: str
) -> list[dict[str, Any]]:
    """Rows of a block of volunteers: the rules over every (volunteer, open need) pair."""
    enc, decided = view.enc, _decided(result, view)
    vs = np.asarray([view.vindex[v] for v in ids], dtype=np.int64)
    m = needs.cols.size
    fails = pair_rule_failures(enc, np.repeat(vs, m), np.tile(needs.cols, vs.size), view.day)
    own = _marks(ids, decided.placed_by_v, view, needs)
    declined = _marks(ids, decided.gone_by_v, view, needs)
    settled = own | declined
    live = ~needs.blocked
    rest = live & ~settled
    n_fail = np.zeros((vs.size, m), dtype=np.uint8)
    for r in _PAIR_CODES:
        n_fail += fails[r].reshape(vs.size, m)
    alone = rest & (n_fail == 1)
    by_rule = {}
    only_rule = {}
    for r in _PAIR_CODES:
        f = fails[r].reshape(vs.size, m)
        by_rule[r] = (f & rest).sum(axis=1).tolist()
        only_rule[r] = (f & alone).sum(axis=1).tolist()
    fits = n_fail == 0
    ok = rest & fits
    n_open = rest.sum(axis=1).tolist()
    n_ok = ok.sum(axis=1).tolist()
    n_declined = (live & declined).sum(axis=1).tolist()
    held_back = (needs.blocked & ~settled & fits).sum(axis=1).tolist()
    outcompeted = np.flatnonzero(ok.any(axis=1))
    comp = _competition(result, view, needs, vs[outcompeted], ok[outcompeted], lang)
    tally = _Tally(by_rule, only_rule, n_open, n_ok, n_declined, held_back)
    return _rows(
        result, view, ids, vs, tally, comp,
        lambda b: needs.full_row({r: fails[r][b * m : (b + 1) * m] for r in _PAIR_CODES}),
        lang,
    )


def _mask_rows(
    result: MatchResult,
    view: RoundView,
    needs: _OpenNeeds,
    masks: NeedMasks,
    ids: list[str],
    lang: str,
) -> list[dict[str, Any]]:
    """Rows of a block of volunteers, from the rules' bitmasks over the open needs (the
    same rows as :func:`_block_rows`)."""
    enc, decided = view.enc, _decided(result, view)
    vs = np.asarray([view.vindex[v] for v in ids], dtype=np.int64)
    m = needs.cols.size
    fails = masks.failures(enc, vs)
    own = _mark_bits(ids, decided.placed_by_v, view, needs, masks.width)
    declined = _mark_bits(ids, decided.gone_by_v, view, needs, masks.width)
    settled = own | declined
    live = pack(~needs.blocked)
    blocked = pack(needs.blocked)
    rest = live & ~settled
    # needs failing at least one rule, and at least two
    some = np.zeros_like(rest)
    more = np.zeros_like(rest)
    for r in _PAIR_CODES:
        more |= some & fails[r]
        some |= fails[r]
    alone = rest & some & ~more
    by_rule = {r: count_bits(fails[r] & rest) for r in _PAIR_CODES}
    only_rule = {r: count_bits(fails[r] & alone) for r in _PAIR_CODES}
    ok = rest & ~some
    n_open = count_bits(rest)
    n_ok = count_bits(ok)
    n_declined = count_bits(live & declined)
    held_back = count_bits(blocked & ~settled & ~some)
    outcompeted = np.flatnonzero(np.asarray(n_ok) > 0)
    comp = _competition(
        result, view, needs, vs[outcompeted], unpack(ok[outcompeted], m), lang
    )
    tally = _Tally(by_rule, only_rule, n_open, n_ok, n_declined, held_back)
    return _rows(
        result, view, ids, vs, tally, comp,
        lambda b: needs.full_row({r: unpack(fails[r][b], m) for r in _PAIR_CODES}), lang,
    )


@dataclass(frozen=True)
class _Tally:
    """A block's counts per volunteer (lists indexed by the volunteer's place in it)."""

    by_rule: dict[str, list[int]]
    only_rule: dict[str, list[int]]
    open_needs: list[int]
    acceptable: list[int]
    declined: list[int]
    held_back: list[int]


def _rows(
    result: MatchResult,
    view: RoundView,
    ids: list[str],
    vs: I64,
    tally: _Tally,
    competition: list[Any],
    full_row: Callable[[int], dict[str, B]],
    lang: str,
) -> list[dict[str, Any]]:
    """The block's export rows from its counts; ``competition`` lists the volunteers some
    open need fits, in order; ``full_row(b)`` gives the rule masks of one that none fits
    (diagnosed one by one: counterfactuals)."""
    listings = iter(competition)
    rows = []
    for b, vid in enumerate(ids):
        if not tally.acceptable[b]:  # (no open need fits: counterfactuals)
            rows.append(diagnosis_row(judged(result, view, vid, full_row(b), lang)))
            continue
        by = {r: tally.by_rule[r][b] for r in _PAIR_CODES if tally.by_rule[r][b]}
        only = {r: tally.only_rule[r][b] for r in _PAIR_CODES if tally.only_rule[r][b]}
        n_open = tally.open_needs[b]
        details = {
            "open_needs": n_open,
            "acceptable_needs": tally.acceptable[b],
            "placements": int(view.placed_v[vs[b]]),
            "declined": tally.declined[b],
            "held_back_by_policy": tally.held_back[b],
        }
        listing, comp_rows = next(listings)
        text = T.volunteer_text("outcompeted", n_open, by, only, (), listing, details, lang)
        d = Diagnosis("volunteer", vid, "outcompeted", lang, text, n_open, by, only, (), (), details)
        row = diagnosis_row(d)
        row["competition"] = comp_rows
        rows.append(row)
    return rows


def _mark_bits(
    ids: list[str], by_volunteer: Any, view: RoundView, needs: _OpenNeeds, width: int
) -> NDArray[np.uint64]:
    """:func:`_marks` as bitmasks over the open needs."""
    rows: list[int] = []
    cols: list[int] = []
    for b, vid in enumerate(ids):
        for nid in by_volunteer.get(vid, ()):
            j = view.nindex.get(nid)
            if j is not None and needs.col_of[j] >= 0:
                rows.append(b)
                cols.append(int(needs.col_of[j]))
    out = np.zeros((len(ids), width), dtype=np.uint64)
    set_bits(out, np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64))
    return out


def _marks(
    ids: list[str], by_volunteer: Any, view: RoundView, needs: _OpenNeeds
) -> B:
    """(volunteer, open need) pairs of the block listed in ``by_volunteer``."""
    out = np.zeros((len(ids), needs.cols.size), dtype=bool)
    for b, vid in enumerate(ids):
        for nid in by_volunteer.get(vid, ()):
            j = view.nindex.get(nid)
            if j is not None and needs.col_of[j] >= 0:
                out[b, needs.col_of[j]] = True
    return out


def _competition(
    result: MatchResult,
    view: RoundView,
    needs: _OpenNeeds,
    vs: I64,
    ok: B,
    lang: str,
) -> list[tuple[T.Listing, list[dict[str, Any]]]]:
    """For each volunteer ``vs[b]``, their acceptable needs ``ok[b]`` (by column), best
    first, each against its holders: the text's listing and the export's entries."""
    p = result.problem
    measure = needs.measure
    edges, owner = _segments(view.v_start[vs], view.v_start[vs + 1] - view.v_start[vs])
    col = needs.col_of[p.edge_right[edges]]
    keep = ~view.excluded_edge[edges] & (col >= 0)
    keep[keep] = ok[owner[keep], col[keep]]
    edges, owner = edges[keep], owner[keep]
    # best first within each volunteer; ties keep the edge order
    order = np.lexsort((-measure[edges], owner))
    edges, owner = edges[order], owner[order]
    js = p.edge_right[edges]
    n_held = needs.n_holders[js]
    weakest = needs.weakest[js]
    # (a volunteer among the holders is left out of their count and their lowest score)
    own = _holds(view, edges)
    for k in np.flatnonzero(own).tolist():
        held = view.holder_by_need[view.h_start[js[k]] : view.h_start[js[k] + 1]]
        others = held[p.edge_left[held] != p.edge_left[edges[k]]]
        n_held[k] = others.size
        weakest[k] = measure[others].min() if others.size else np.inf
    full = _decided(result, view).room[js] <= 0
    told = ~full & (n_held > 0)
    score = measure[edges]
    margin = score - weakest
    stable = result.method == "stable"
    titles = result.dataset.needs
    ids = p.right_ids
    entries = [
        {
            "need_id": ids[j],
            "your_score": y,
            "weakest_score": w if t else None,
            "margin": g if t else None,
            "full": f,
        }
        for j, y, w, g, f, t in zip(
            js.tolist(),
            score.tolist(),
            weakest.tolist(),
            margin.tolist(),
            full.tolist(),
            told.tolist(),
        )
    ]
    j_list = js.tolist()
    n_per = np.bincount(owner, minlength=vs.size)
    starts = (np.cumsum(n_per) - n_per).tolist()
    all_full = np.bincount(owner, weights=~full, minlength=vs.size) == 0
    all_held = np.bincount(owner, weights=~(full | told), minlength=vs.size) == 0
    out = []
    for a, k, taken, held in zip(starts, n_per.tolist(), all_full.tolist(), all_held.tolist()):
        lines = tuple(
            T.competition(
                titles[j].title,
                e["your_score"],
                e["weakest_score"],
                e["margin"],
                e["full"],
                stable,
                lang,
            )
            for e, j in zip(entries[a : a + min(k, T.SHOWN)], j_list[a : a + T.SHOWN])
        )
        out.append((T.Listing(k, taken, held, lines), entries[a : a + k]))
    return out


def _holds(view: RoundView, edges: I64) -> B:
    """Which ``edges`` hold a place themselves."""
    held = view.holder_edge
    if held.size == 0:
        return np.zeros(edges.size, dtype=bool)
    at = np.minimum(np.searchsorted(held, edges), held.size - 1)
    return held[at] == edges  # type: ignore[no-any-return]

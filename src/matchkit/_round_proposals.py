"""A round's proposals: the free problem, shortlists, proposals and the offers to record.

From the solver's chosen edges to :class:`Proposal` objects (new ones, then the earlier
offers still open, regrouped), the alternatives of a shortlist, and the rows
``Ledger.record_round`` writes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._problem import MatchProblem, components_at
from ._proposals import Alternative, Proposal
from ._round_ledger import LedgerView, Pair
from ._solve import solve

__all__ = ["ledger_offers", "restricted", "round_proposals", "shortlists", "with_round"]

I64 = NDArray[np.int64]


def restricted(problem: MatchProblem, pos: I64 | None, cap_v: I64, cap_n: I64) -> MatchProblem:
    """The problem on edges ``pos`` (ascending; None: every edge) with the given capacities
    (no pins)."""
    # every edge: share the arrays (never written to)
    every = pos is None or pos.size == problem.n_edges

    def pick(a: NDArray[Any]) -> NDArray[Any]:
        return a if every else a[pos]

    out = MatchProblem(
        edge_left=pick(problem.edge_left),
        edge_right=pick(problem.edge_right),
        weight=pick(problem.weight),
        volunteer_utility=pick(problem.volunteer_utility),
        need_utility=pick(problem.need_utility),
        left_capacity=cap_v.astype(np.int64),
        right_capacity=cap_n.astype(np.int64),
        left_ids=problem.left_ids,
        right_ids=problem.right_ids,
        pinned=np.zeros(problem.n_edges if pos is None else pos.size, dtype=bool),
    )
    if every:
        # The same edges: edge counts already known are the restricted problem's too
        # (the solver reads them instead of passing over every edge).
        for name in ("_left_start", "_degrees"):
            if name in problem.__dict__:
                out.__dict__[name] = problem.__dict__[name]
    return out


def shortlists(
    problem: MatchProblem,
    free_pos: I64 | None,
    chosen: I64,
    cap_v: I64,
    cap_n: I64,
    allowed_offers: I64,
    k: int,
) -> dict[int, list[int]]:
    """Alternatives per chosen edge, drawn from the places left spare.

    Each need offers as alternatives at most the places that no proposal uses, so even if
    every proposed volunteer accepted and every alternative were taken up too, the need
    would not be overfilled. The alternatives are chosen in passes, one per volunteer per
    pass, each pass an optimal assignment of what is still spare (so every pass runs on the
    fast one-sided path of the flow method). Returns chosen edge -> alternative edges.
    """
    n_v, n_n = problem.n_left, problem.n_right
    chosen_l = problem.edge_left[chosen]
    n_primary = np.bincount(chosen_l, minlength=n_v)
    spare_n = cap_n - np.bincount(problem.edge_right[chosen], minlength=n_n)
    room_v = np.minimum(k * n_primary, allowed_offers - n_primary)
    room_v = np.maximum(room_v, 0)
    is_chosen = np.zeros(problem.n_edges, dtype=bool)
    is_chosen[chosen] = True
    cand = np.flatnonzero(~is_chosen) if free_pos is None else free_pos[~is_chosen[free_pos]]
    cand = cand[(room_v[problem.edge_left[cand]] > 0) & (spare_n[problem.edge_right[cand]] > 0)]
    if cand.size == 0:
        return {}
    picked: list[I64] = []
    while cand.size:
        one = np.minimum(room_v, 1)
        got = cand[solve(restricted(problem, cand, one, spare_n), "flow").edges]
        if got.size == 0:
            break
        picked.append(got)
        room_v = room_v - np.bincount(problem.edge_left[got], minlength=n_v)
        spare_n = spare_n - np.bincount(problem.edge_right[got], minlength=n_n)
        taken = np.zeros(problem.n_edges, dtype=bool)
        taken[got] = True
        cand = cand[~taken[cand]]
        cand = cand[(room_v[problem.edge_left[cand]] > 0) & (spare_n[problem.edge_right[cand]] > 0)]
    if not picked:
        return {}
    alt_edges = np.concatenate(picked)
    # Hand each volunteer's alternatives to their proposals in turn, best first.
    by_vol: dict[int, list[int]] = defaultdict(list)
    order = np.lexsort((-problem.weight[alt_edges], problem.edge_left[alt_edges]))
    for e in alt_edges[order].tolist():
        by_vol[int(problem.edge_left[e])].append(e)
    primaries: dict[int, list[int]] = defaultdict(list)
    for e in chosen.tolist():
        primaries[int(problem.edge_left[e])].append(e)
    out: dict[int, list[int]] = defaultdict(list)
    for v, alts in by_vol.items():
        prim = primaries[v]
        for i, e in enumerate(alts):
            out[prim[i % len(prim)]].append(e)
    return dict(out)


def _decimal(col: NDArray[Any]) -> NDArray[np.float64]:
    """A column as float64; float32 values (how components are kept) rounded to the 7
    significant digits float32 holds, so a schedule of 0.2 reads 0.2 in proposals and
    exports, not 0.20000000298023224 (the float32 nearest to 0.2, widened)."""
    x = np.asarray(col, dtype=np.float64)
    if np.asarray(col).dtype != np.float32 or x.size == 0:
        return x
    with np.errstate(divide="ignore", invalid="ignore"):
        magnitude = np.floor(np.log10(np.abs(x)))
    digits = np.where(np.isfinite(magnitude), 6 - magnitude, 0.0)
    scale = 10.0**digits  # (exact powers of ten for the digits float32 values need)
    out = np.round(x * scale) / scale
    return np.where(np.isfinite(out), out, x)  # (NaN stays NaN)


class _EdgeComponents:
    """Components of the edges a round reports, computed in one batch."""

    def __init__(self, problem: MatchProblem, edges: I64) -> None:
        self.edges = edges = np.unique(np.asarray(edges, dtype=np.int64))
        self._row: dict[int, int] | None = None
        cols = components_at(problem, edges)
        cols["volunteer_utility"] = problem.volunteer_utility[edges]
        cols["need_utility"] = problem.need_utility[edges]
        # Python floats, one tuple per edge, made in C: far cheaper than indexing numpy
        # per value or building each dict key by key.
        self.keys = tuple(cols)
        self.rows = list(zip(*(_decimal(v).tolist() for v in cols.values())))

    def __call__(self, e: int) -> dict[str, float]:
        if self._row is None:
            self._row = dict(zip(self.edges.tolist(), range(self.edges.size)))
        return dict(zip(self.keys, self.rows[self._row[e]]))

    def of(self, edges: I64) -> list[dict[str, float]]:
        """The components of each of ``edges`` (all among those computed), in order."""
        rows, keys = self.rows, self.keys
        at = np.searchsorted(self.edges, edges).tolist()
        return [dict(zip(keys, rows[i])) for i in at]


def round_proposals(
    problem: MatchProblem,
    chosen: I64,
    alternatives: Mapping[int, list[int]],
    view: LedgerView,
    edge_of: Mapping[Pair, int],
    earlier: Sequence[Proposal] = (),
) -> list[Proposal]:
    """This round's new proposals, then the earlier offers still open, regrouped.

    ``edge_of`` gives each open offer that holds a place (``view.reserving``) its edge
    position in ``problem``, or -1 where the pair is no longer an edge.
    ``earlier`` are the previous round's proposals (a warm re-plan). An open group is
    taken over from an earlier proposal when it is what this round would build anyway:
    the same needs in the same order, the same round, the same recorded scores, and
    components exactly where the pair is an edge of this round's problem.
    """
    # Earlier offers still open, regrouped as they were made: a proposal with its
    # alternatives (when the proposal itself was declined, its best open alternative leads).
    groups, reserving = view.groups, view.reserving
    grouped: dict[Pair, list[Any]]
    in_order: Iterable[tuple[Pair, list[Any]]]
    if groups:
        grouped = defaultdict(list)
        for pair, offer in reserving.items():
            grouped[(pair[0], groups.get(pair, pair[1]))].append(offer)
        in_order = sorted(grouped.items())
    else:
        # No alternatives open: every offer is a group of its own, taken in pair order
        # (``open_pairs`` is sorted, so the groups need no sort).
        grouped = {p: [o] for p in view.open_pairs if (o := reserving.get(p)) is not None}
        in_order = grouped.items()
    # One pass in the final order: a group is taken over from the earlier proposal that
    # shows it as it is, else built below (its place kept in ``still_open``).
    known = {(p.volunteer_id, p.need_id, p.round): p for p in earlier}
    still_open: list[Proposal | None] = []
    to_build: list[tuple[int, Pair, list[Any]]] = []
    for group, offers in in_order:
        if len(offers) > 1:  # (most groups hold one offer: nothing to order)
            offers.sort(key=lambda o: (o.shortlist, o.rank if o.rank is not None else 0, o.need_id))
        v, lead = group[0], offers[0]
        q = known.get((v, lead.need_id, lead.round))
        if (
            q is not None
            and len(q.alternatives) == len(offers) - 1
            and _shows(q, lead, v, edge_of)
            and (
                len(offers) == 1
                or all(_shows(a, o, v, edge_of) for a, o in zip(q.alternatives, offers[1:]))
            )
        ):
            still_open.append(q if q.status == "open" else _evolved(q, status="open"))
        else:
            to_build.append((len(still_open), group, offers))
            still_open.append(None)

    # Components of the new proposals, their alternatives and the open offers not kept.
    rebuilt = [
        edge_of[(o.volunteer_id, o.need_id)] for _, _, offers in to_build for o in offers
    ]
    alt_edges = [a for alts in alternatives.values() for a in alts]
    needed = np.asarray(rebuilt, dtype=np.int64)
    _components = _EdgeComponents(
        problem,
        np.concatenate([chosen, np.asarray(alt_edges, dtype=np.int64), needed[needed >= 0]]),
    )

    out: list[Proposal] = []
    left_ids, right_ids = problem.left_ids, problem.right_ids
    # Ids, scores and components as Python values in one pass each (indexing numpy per
    # value costs more), and the proposals made without the frozen dataclass's
    # per-field __init__, their fields filled in order (see _filled).
    new = object.__new__
    for e, v, n, score, comps in zip(
        chosen.tolist(),
        problem.edge_left[chosen].tolist(),
        problem.edge_right[chosen].tolist(),
        problem.weight[chosen].tolist(),
        _components.of(chosen),
    ):
        alts = tuple(
            Alternative(
                need_id=right_ids[int(problem.edge_right[a])],
                score=float(problem.weight[a]),
                components=_components(a),
            )
            for a in alternatives.get(e, ())
        ) if alternatives else ()
        p = new(Proposal)
        fields = p.__dict__
        fields["volunteer_id"] = left_ids[v]
        fields["need_id"] = right_ids[n]
        fields["score"] = score
        fields["components"] = comps
        fields["alternatives"] = alts
        fields["status"] = "new"
        fields["round"] = None
        out.append(p)

    def comps_of(v: str, n: str) -> dict[str, float]:
        e = edge_of.get((v, n), -1)
        return _components(e) if e >= 0 else {}

    for i, group, offers in to_build:
        v = group[0]
        lead, rest = offers[0], offers[1:]
        still_open[i] = _made(
            volunteer_id=v,
            need_id=lead.need_id,
            score=float(lead.score),
            components=comps_of(v, lead.need_id),
            alternatives=tuple(
                Alternative(need_id=o.need_id, score=float(o.score), components=comps_of(v, o.need_id))
                for o in rest
            ),
            status="open",
            round=lead.round,
        )
    out.extend(p for p in still_open if p is not None)
    return out


def _shows(
    item: Proposal | Alternative, offer: Any, volunteer: str, edge_of: Mapping[Pair, int]
) -> bool:
    """Whether an earlier proposal (or alternative) shows this open offer as this round
    would: the same need and recorded score, components exactly where it is an edge."""
    return (
        item.need_id == offer.need_id
        and item.score == float(offer.score)
        and bool(item.components) == (edge_of.get((volunteer, offer.need_id), -1) >= 0)
    )


def with_round(p: Proposal, rnd: int) -> Proposal:
    """The proposal as recorded in ledger round ``rnd``."""
    return _evolved(p, round=rnd)


def _made(**fields: Any) -> Proposal:
    """``Proposal(**fields)`` for valid values of every field, given in their order."""
    return _filled(fields)


def _evolved(p: Proposal, **changes: Any) -> Proposal:
    """``dataclasses.replace(p, **changes)`` for valid values: a warm round at 100k carries
    63k proposals over (0.45 s -> 0.05 s)."""
    return _filled(p.__dict__, changes)


def _filled(*parts: Mapping[str, Any]) -> Proposal:
    """A Proposal whose fields are ``parts`` merged, made without the frozen dataclass's
    per-field ``__init__`` (or ``replace``'s introspection). Filled in place in the fields'
    order, the instance keeps the class's shared keys: half the memory of a dict of its
    own."""
    new = object.__new__(Proposal)
    fields = new.__dict__
    for part in parts:
        fields.update(part)
    return new


def ledger_offers(problem: MatchProblem, proposals: list[Proposal]) -> list[dict[str, Any]]:
    """Ledger offers of the new proposals: primary (rank 0) then alternatives (rank 1..)."""
    vcap = dict(zip(problem.left_ids, problem.left_capacity.tolist()))
    ncap = dict(zip(problem.right_ids, problem.right_capacity.tolist()))
    out: list[dict[str, Any]] = []
    for p in proposals:
        if p.status != "new":
            continue
        group = {"group": p.need_id}
        out.append(
            {"volunteer_id": p.volunteer_id, "need_id": p.need_id, "score": p.score,
                 "capacity": ncap[p.need_id], "max_placements": vcap[p.volunteer_id],
                 "rank": 0, "shortlist": False, "extra": group}
        )
        for r, a in enumerate(p.alternatives, start=1):
            out.append(
                {"volunteer_id": p.volunteer_id, "need_id": a.need_id, "score": a.score,
                     "capacity": ncap[a.need_id], "max_placements": vcap[p.volunteer_id],
                     "rank": r, "shortlist": True, "extra": group}
            )
    return out

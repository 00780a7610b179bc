"""match(): build the problem, honour the ledger, solve, and turn the answer into offers.

One round, in order:

1. score every acceptable pair (``build_problem``), or reuse the previous round's scores;
2. drop needs that fail a policy check (``check_policies``);
3. read the ledger: accepted placements are locked and use capacity on both sides;
   rejected and withdrawn pairs are gone for good; open offers stay as they are and
   reserve their places; the offer budget caps what a volunteer may receive;
4. solve on the free capacity only;
5. with ``shortlist=k``, offer each volunteer up to k alternatives, drawn from places no
   proposal uses, so that no need can be overfilled whatever the volunteers choose;
6. record the round's offers in the ledger, and say why everyone else got nothing.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._build import resolve_as_of, resolve_weights
from ._dataset import Dataset
from ._exceptions import InvalidInputError
from ._ledger import Ledger
from ._ledger_state import parse_time
from ._memory import heavy_step
from ._metrics import previous_pairs, round_metrics
from ._models import NeedStatus
from ._policy import policy_blocks
from ._problem import MatchProblem, components_at
from ._proposals import Alternative, MatchResult, OfferBudget, Proposal
from ._reasons import unfilled_reasons, unmatched_reasons
from ._round_problem import decided_keys, round_problem
from ._solve import solve
from ._weights import Weights

__all__ = ["match"]

I64 = NDArray[np.int64]
Pair = tuple[str, str]


def _round_time(as_of: date, explicit: bool) -> datetime:
    """When this round happens: now (UTC) for today, else the start of ``as_of``."""
    if not explicit:
        return datetime.now(timezone.utc)
    return datetime.combine(as_of, time(0, 0), tzinfo=timezone.utc)


def _pair_indices(
    pairs: Any, vindex: Mapping[str, int], nindex: Mapping[str, int]
) -> tuple[I64, I64]:
    li, ri = [], []
    for v, n in pairs:
        a = vindex.get(v)
        b = nindex.get(n)
        if a is not None and b is not None:
            li.append(a)
            ri.append(b)
    return np.asarray(li, dtype=np.int64), np.asarray(ri, dtype=np.int64)


class _LedgerView:
    """What one round needs from the ledger, as id-keyed counts and sets."""

    def __init__(self, ledger: Ledger | None, at: datetime) -> None:
        self.placements: list[Pair] = []
        self.excluded: set[Pair] = set()
        self.reserving: dict[Pair, Any] = {}  # open offers that still hold a place
        self.pending_groups: Counter[str] = Counter()
        self.open_count: Counter[str] = Counter()
        self.week_count: Counter[str] = Counter()
        self.groups: dict[Pair, str] = {}
        self.open_pairs: list[Pair] = []
        self.state = None
        if ledger is None:
            return
        state = ledger.state(as_of=at)
        self.state = state
        self.placements = sorted(state.placements)
        self.open_pairs = sorted(state.open_offers)
        self.excluded = set(state.rejected) | set(state.excluded) | set(state.withdrawn)
        groups = self.groups = self._groups(ledger, state)
        accepted_groups = {(v, groups.get((v, n), n)) for v, n in state.placements}
        for pair, offer in state.open_offers.items():
            v = pair[0]
            g = groups.get(pair, pair[1])
            if (v, g) in accepted_groups:
                continue  # the volunteer already chose within this group
            self.reserving[pair] = offer
        for v, g in {(p[0], groups.get(p, p[1])) for p in self.reserving}:
            self.pending_groups[v] += 1
        for v, _ in self.reserving:
            self.open_count[v] += 1
        made = state.offers_since_each(at - timedelta(days=7))
        for v in {p[0] for p in state.open_offers} | set(state.max_placements):
            self.week_count[v] = made.get(v, 0)

    @staticmethod
    def _groups(ledger: Ledger, state: Any) -> dict[Pair, str]:
        """Open offer (and placement) -> the need of the proposal it came with."""
        out: dict[Pair, str] = {}
        for offers in (state.open_offers, state.accepted_offers):
            for pair, offer in offers.items():
                out[pair] = str(offer.extra.get("group", pair[1]))
        return out


def match(
    dataset: Dataset,
    *,
    method: str = "flow",
    weights: Weights | None = None,
    ledger: Ledger | None = None,
    shortlist: int = 0,
    as_of: date | str | None = None,
    top_k: int | None = None,
    budget: OfferBudget | None = None,
    ttl_days: float = 7,
    policies: bool = True,
    previous: MatchResult | None = None,
    at: datetime | str | None = None,
) -> MatchResult:
    """Propose placements for one round: build, honour the ledger, solve, explain.

    Parameters
    ----------
    dataset : Dataset
    method : str, default "flow"
        The solver (see :mod:`matchkit.solvers`): ``"flow"``, ``"hungarian"``, ``"stable"``
        or ``"milp"``.
    weights : Weights, optional
        How score components combine (default ``Weights()``).
    ledger : Ledger, optional
        When given: accepted placements stay locked and use capacity, rejected and
        withdrawn pairs are never proposed again, open offers stay as they are, only free
        capacity is re-planned, and this round's offers are recorded.
    shortlist : int, default 0
        Up to this many alternatives per proposal, so the volunteer can choose.
    as_of : date or ISO string, optional
        The day of the round: ages, end dates and offer times are judged at it (default
        today). With an explicit ``as_of`` the round is recorded at 00:00 UTC of that day.
    top_k : int, optional
        Keep only each volunteer's ``top_k`` best pairs among those not yet decided
        (see :func:`build_problem`): rejected, withdrawn and accepted pairs stay in the
        problem but do not take any of the ``top_k`` places, so turning offers down
        never leaves a volunteer with fewer pairs to be offered.
    budget : OfferBudget, optional
        Caps on open offers and new offers per week per volunteer.
    ttl_days : float, default 7
        How long an offer stays open before it expires.
    policies : bool, default True
        Skip needs that fail a policy check (reported in ``unfilled``).
    previous : MatchResult, optional
        The previous round's result on the same dataset and day: its scored pairs are
        reused instead of being built again (a warm re-plan).
    at : datetime or ISO string, optional
        When the round happens, for the ledger (default: now for today's rounds, else
        00:00 UTC of ``as_of``). Several rounds on one day need distinct, increasing times.

    Returns
    -------
    MatchResult

    Examples
    --------
    >>> import matchkit as mk
    >>> ds = mk.datasets.tiny_city()
    >>> result = mk.match(ds, as_of="2026-06-01")
    >>> all(p.status == "new" for p in result.proposals)
    True
    >>> set(result.unmatched) & {p.volunteer_id for p in result.proposals}
    set()
    """
    if not isinstance(dataset, Dataset):
        raise InvalidInputError(
            f"match expects a matchkit.Dataset; got {type(dataset).__name__}"
        )
    if isinstance(shortlist, bool) or not isinstance(shortlist, int) or shortlist < 0:
        raise InvalidInputError(
            f"The 'shortlist' parameter of match must be an integer >= 0. Got {shortlist!r}."
        )
    if top_k is not None and (
        isinstance(top_k, bool) or not isinstance(top_k, (int, np.integer)) or top_k < 1
    ):
        raise InvalidInputError(
            f"The 'top_k' parameter of match must be None or an integer >= 1. Got {top_k!r}."
        )
    if budget is None:
        budget = OfferBudget()
    elif not isinstance(budget, OfferBudget):
        budget = OfferBudget.model_validate(budget)
    if at is not None:
        at = parse_time(at)
        day = resolve_as_of(as_of if as_of is not None else at.date(), "match")
    else:
        day = resolve_as_of(as_of, "match")
        at = _round_time(day, as_of is not None)

    # Object-heavy steps run with huge-page advice off and collection paused (see
    # _memory); the solver, which may be the user's, runs outside those blocks.
    with heavy_step():
        view = _LedgerView(ledger, at)

        # 1. scored pairs (reused when the previous round saw the same data on the same day);
        # with top_k, decided pairs do not take any of a volunteer's k places
        key = (id(dataset), day, repr(weights), top_k)
        decided = (
            decided_keys(dataset, set(view.placements) | view.excluded)
            if top_k is not None
            else np.zeros(0, dtype=np.int64)
        )
        reuse = None
        if previous is not None and previous.context.get("key") == key and previous.dataset is dataset:
            reuse = (
                previous.problem,
                previous.context.get("decided", np.zeros(0, dtype=np.int64)),
                previous.context.get("reserve"),
            )
        problem, reserve = round_problem(
            dataset, resolve_weights(weights), day, top_k, decided, reuse,
            keep_reserve=ledger is not None,
        )
        n_v, n_n = problem.n_left, problem.n_right
        vindex = {v: i for i, v in enumerate(problem.left_ids)}
        nindex = {n: j for j, n in enumerate(problem.right_ids)}

        # 2. policies
        # (they depend on the dataset and the day only: the previous round's are reused)
        if not policies:
            blocked: dict[str, str] = {}
        elif reuse is not None and previous is not None and previous.context.get("policies", True):
            blocked = dict(previous.context.get("blocked", {}))
        else:
            blocked = policy_blocks(dataset, as_of=day)
        need_ok = np.ones(n_n, dtype=bool)
        for nid in blocked:
            need_ok[nindex[nid]] = False

        # 3. the ledger
        placed_l, placed_r = _pair_indices(view.placements, vindex, nindex)
        resv_l, resv_r, resv_primary = _reserving_arrays(view, vindex, nindex)
        placed_v = np.bincount(placed_l, minlength=n_v)
        placed_n = np.bincount(placed_r, minlength=n_n)
        reserved_n = np.bincount(resv_r, minlength=n_n)
        pending_v = np.array([view.pending_groups.get(v, 0) for v in problem.left_ids], dtype=np.int64)
        open_v = np.array([view.open_count.get(v, 0) for v in problem.left_ids], dtype=np.int64)
        week_v = np.array([view.week_count.get(v, 0) for v in problem.left_ids], dtype=np.int64)

        cap_v = np.maximum(problem.left_capacity - placed_v - pending_v, 0)
        allowed_offers = np.maximum(
            np.minimum(budget.max_open - open_v, budget.max_per_week - week_v), 0
        )
        budget_bound = (allowed_offers == 0) & (cap_v > 0)
        cap_v = np.minimum(cap_v, allowed_offers)
        if budget.max_new_per_round is not None:
            cap_v = np.minimum(cap_v, budget.max_new_per_round)
        cap_n = np.maximum(problem.right_capacity - placed_n - reserved_n, 0)
        cap_n[~need_ok] = 0

        # Edges already decided (placed, excluded) or held by an open offer are not free.
        excluded_pos = problem.edge_index(*_pair_indices(view.excluded, vindex, nindex))
        excluded_edge = np.zeros(problem.n_edges, dtype=bool)
        excluded_edge[excluded_pos[excluded_pos >= 0]] = True
        taken = excluded_edge.copy()
        # Every open offer is taken, also one that holds no place any more (an alternative
        # whose group the volunteer accepted): the pair is on offer already.
        open_l, open_r = _pair_indices(view.open_pairs, vindex, nindex)
        for li, ri in ((placed_l, placed_r), (resv_l, resv_r), (open_l, open_r)):
            pos = problem.edge_index(li, ri)
            taken[pos[pos >= 0]] = True

        # 4. solve on free capacity
        free = ~taken & (cap_v > 0)[problem.edge_left] & (cap_n > 0)[problem.edge_right]
        free_pos = np.flatnonzero(free)
        free_problem = _restricted(problem, free_pos, cap_v, cap_n)
    assignment = solve(free_problem, method)
    with heavy_step():
        chosen = free_pos[assignment.edges]

        # 5. shortlists from places no proposal uses
        alternatives: dict[int, list[int]] = {}
        if shortlist > 0 and chosen.size:
            alternatives = _shortlists(problem, free_pos, chosen, cap_v, cap_n, allowed_offers, shortlist)

        earlier = previous.proposals if reuse is not None and previous is not None else ()
        proposals = _proposals(problem, chosen, alternatives, view, earlier)

        # 6. record and explain
        rnd = None
        if ledger is not None and any(p.status == "new" for p in proposals):
            rnd = ledger.record_round(
                _offers(problem, proposals), at=at, ttl_days=ttl_days
            )
            proposals = [
                p if p.status != "new" else _with_round(p, rnd) for p in proposals
            ]
        elif ledger is not None:
            rnd = ledger.record_round([], at=at, ttl_days=ttl_days)

        chosen_l = problem.edge_left[chosen]
        chosen_r = problem.edge_right[chosen]
        offered_v = np.bincount(chosen_l, minlength=n_v) + np.bincount(resv_l, minlength=n_v)
        primary_n = np.bincount(chosen_r, minlength=n_n) + np.bincount(
            resv_r[resv_primary], minlength=n_n
        )
        degree_v = np.bincount(problem.edge_left, minlength=n_v)
        degree_n = np.bincount(problem.edge_right, minlength=n_n)
        excluded_at = np.flatnonzero(excluded_edge)  # few: count them instead of the rest
        live_v = degree_v - np.bincount(problem.edge_left[excluded_at], minlength=n_v)
        if need_ok.all():
            unblocked_v = live_v
        else:
            unblocked_v = np.bincount(
                problem.edge_left[~excluded_edge & need_ok[problem.edge_right]], minlength=n_v
            )
        unmatched = unmatched_reasons(
            problem,
            offered=offered_v,
            placed=placed_v,
            degree=degree_v,
            live_degree=live_v,
            budget_bound=budget_bound,
            open_offers=open_v,
            open_degree=unblocked_v,
        )
        free_places = np.maximum(problem.right_capacity - placed_n - primary_n, 0)
        statuses = [n.status for n in dataset.needs]
        ended = np.array(
            [n.end_date is not None and n.end_date < day for n in dataset.needs], dtype=bool
        )
        unfilled = unfilled_reasons(
            dataset,
            problem,
            free_places=free_places,
            placed=placed_n,
            degree=degree_n,
            statuses=statuses,
            ended=ended,
            blocked=blocked,
        )
        metrics = round_metrics(
            dataset,
            problem,
            chosen=chosen,
            placements=(placed_l, placed_r),
            reserved=(resv_l, resv_r),
            proposals=proposals,
            open_needs=np.array([s is NeedStatus.OPEN for s in statuses], dtype=bool) & need_ok & ~ended,
            excluded_edge=excluded_edge,
            previous_pairs=previous_pairs(previous, ledger, rnd),
            placement_pairs=view.placements,
        )
        metrics["objective"] = assignment.objective
        metrics["method"] = assignment.method
        return MatchResult(
            dataset=dataset,
            as_of=day,
            method=assignment.method,
            proposals=proposals,
            unmatched=unmatched,
            unfilled=unfilled,
            placements=list(view.placements),
            metrics=metrics,
            problem=problem,
            assignment=assignment,
            round=rnd,
            free_problem=free_problem,
            context={"key": key, "decided": decided, "reserve": reserve, "shortlist": shortlist, "budget": budget,
                     "blocked": blocked, "policies": policies,
                     "weights": weights, "excluded": frozenset(view.excluded)},
        )


def _restricted(problem: MatchProblem, pos: I64, cap_v: I64, cap_n: I64) -> MatchProblem:
    """The problem on edges ``pos`` (ascending) with the given capacities (no pins)."""
    every = pos.size == problem.n_edges  # every edge: share the arrays (never written to)

    def pick(a: NDArray[Any]) -> NDArray[Any]:
        return a if every else a[pos]

    return MatchProblem(
        edge_left=pick(problem.edge_left),
        edge_right=pick(problem.edge_right),
        weight=pick(problem.weight),
        volunteer_utility=pick(problem.volunteer_utility),
        need_utility=pick(problem.need_utility),
        left_capacity=cap_v.astype(np.int64),
        right_capacity=cap_n.astype(np.int64),
        left_ids=problem.left_ids,
        right_ids=problem.right_ids,
        pinned=np.zeros(pos.size, dtype=bool),
    )


def _shortlists(
    problem: MatchProblem,
    free_pos: I64,
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
    cand = free_pos[~is_chosen[free_pos]]
    cand = cand[(room_v[problem.edge_left[cand]] > 0) & (spare_n[problem.edge_right[cand]] > 0)]
    if cand.size == 0:
        return {}
    picked: list[I64] = []
    while cand.size:
        one = np.minimum(room_v, 1)
        got = cand[solve(_restricted(problem, cand, one, spare_n), "flow").edges]
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


class _EdgeComponents:
    """Components of the edges a round reports, computed in one batch."""

    def __init__(self, problem: MatchProblem, edges: I64) -> None:
        edges = np.unique(np.asarray(edges, dtype=np.int64))
        self.row = {int(e): i for i, e in enumerate(edges.tolist())}
        cols = components_at(problem, edges)
        cols["volunteer_utility"] = problem.volunteer_utility[edges]
        cols["need_utility"] = problem.need_utility[edges]
        # Python floats, one tuple per edge, made in C: far cheaper than indexing numpy
        # per value or building each dict key by key.
        self.keys = tuple(cols)
        self.rows = list(zip(*(np.asarray(v, dtype=np.float64).tolist() for v in cols.values())))

    def __call__(self, e: int) -> dict[str, float]:
        return dict(zip(self.keys, self.rows[self.row[e]]))


def _proposals(
    problem: MatchProblem,
    chosen: I64,
    alternatives: Mapping[int, list[int]],
    view: _LedgerView,
    earlier: Sequence[Proposal] = (),
) -> list[Proposal]:
    """This round's new proposals, then the earlier offers still open, regrouped.

    ``earlier`` are the previous round's proposals (a warm re-plan). An open group is
    taken over from an earlier proposal when it is what this round would build anyway:
    the same needs in the same order, the same round, the same recorded scores, and
    components exactly where the pair is an edge of this round's problem.
    """
    out: list[Proposal] = []
    vindex = {v: i for i, v in enumerate(problem.left_ids)}
    nindex = {n: j for j, n in enumerate(problem.right_ids)}

    # One vectorised lookup of every open offer's edge (an offer may no longer be an edge).
    open_pairs = list(view.reserving)
    li = np.array([vindex.get(v, -1) for v, _ in open_pairs], dtype=np.int64)
    ri = np.array([nindex.get(n, -1) for _, n in open_pairs], dtype=np.int64)
    found = (li >= 0) & (ri >= 0)
    pos = np.full(len(open_pairs), -1, dtype=np.int64)
    if found.any():
        pos[found] = problem.edge_index(li[found], ri[found])
    edge_of = dict(zip(open_pairs, pos.tolist()))

    # Earlier offers still open, regrouped as they were made: a proposal with its
    # alternatives (when the proposal itself was declined, its best open alternative leads).
    grouped: dict[Pair, list[Any]] = defaultdict(list)
    for pair, offer in view.reserving.items():
        grouped[(pair[0], view.groups.get(pair, pair[1]))].append(offer)
    known = {(p.volunteer_id, p.need_id, p.round): p for p in earlier}
    kept: dict[Pair, Proposal] = {}
    for group, offers in grouped.items():
        offers.sort(key=lambda o: (o.shortlist, o.rank if o.rank is not None else 0, o.need_id))
        lead = offers[0]
        q = known.get((group[0], lead.need_id, lead.round))
        if q is None or len(q.alternatives) != len(offers) - 1:
            continue
        shown = [(q.need_id, q.score, q.components)]
        shown += [(a.need_id, a.score, a.components) for a in q.alternatives]
        if all(
            n == o.need_id
            and score == float(o.score)
            and bool(comps) == (edge_of.get((group[0], o.need_id), -1) >= 0)
            for (n, score, comps), o in zip(shown, offers)
        ):
            kept[group] = q if q.status == "open" else replace(q, status="open")

    # Components of the new proposals, their alternatives and the open offers not kept.
    rebuilt = [
        edge_of[(o.volunteer_id, o.need_id)]
        for group, offers in grouped.items()
        if group not in kept
        for o in offers
    ]
    alt_edges = [a for alts in alternatives.values() for a in alts]
    needed = np.asarray(rebuilt, dtype=np.int64)
    _components = _EdgeComponents(
        problem,
        np.concatenate([chosen, np.asarray(alt_edges, dtype=np.int64), needed[needed >= 0]]),
    )

    for e in chosen.tolist():
        alts = tuple(
            Alternative(
                need_id=problem.right_ids[int(problem.edge_right[a])],
                score=float(problem.weight[a]),
                components=_components(a),
            )
            for a in alternatives.get(e, ())
        )
        out.append(
            Proposal(
                volunteer_id=problem.left_ids[int(problem.edge_left[e])],
                need_id=problem.right_ids[int(problem.edge_right[e])],
                score=float(problem.weight[e]),
                components=_components(e),
                alternatives=alts,
                status="new",
            )
        )

    def comps_of(v: str, n: str) -> dict[str, float]:
        e = edge_of.get((v, n), -1)
        return _components(e) if e >= 0 else {}

    for group, offers in sorted(grouped.items()):
        if group in kept:
            out.append(kept[group])
            continue
        v = group[0]
        lead, rest = offers[0], offers[1:]
        out.append(
            Proposal(
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
        )
    return out


def _with_round(p: Proposal, rnd: int) -> Proposal:
    return Proposal(
        volunteer_id=p.volunteer_id,
        need_id=p.need_id,
        score=p.score,
        components=p.components,
        alternatives=p.alternatives,
        status=p.status,
        round=rnd,
    )


def _offers(problem: MatchProblem, proposals: list[Proposal]) -> list[dict[str, Any]]:
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


def _reserving_arrays(
    view: _LedgerView, vindex: Mapping[str, int], nindex: Mapping[str, int]
) -> tuple[I64, I64, NDArray[np.bool_]]:
    """Indices of the open offers that hold a place, and which of them are primary."""
    li, ri, primary = [], [], []
    for (v, n), offer in view.reserving.items():
        a, b = vindex.get(v), nindex.get(n)
        if a is not None and b is not None:
            li.append(a)
            ri.append(b)
            primary.append(not offer.shortlist)
    return (
        np.asarray(li, dtype=np.int64),
        np.asarray(ri, dtype=np.int64),
        np.asarray(primary, dtype=bool),
    )

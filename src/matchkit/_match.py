"""match(): build the problem, honour the ledger, solve, and turn the answer into offers.

One round, in order:

1. score every acceptable pair (``build_problem``), or reuse the previous round's scores;
2. drop needs that fail a policy check (``check_policies``);
3. read the ledger: accepted placements are locked and use capacity on both sides (also
   when the other side has left the dataset); rejected pairs and those the volunteer
   withdrew from are gone for good; open offers stay as they are and reserve their
   places, except those beyond a capacity or ``max_placements`` the dataset has lowered,
   which are withdrawn first; the offer budget caps what a volunteer may receive;
4. solve on the free capacity only;
5. with ``shortlist=k``, offer each volunteer up to k alternatives, drawn from places no
   proposal uses, so that no need can be overfilled whatever the volunteers choose;
6. record the round's offers in the ledger, and say why everyone else got nothing.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta, timezone
from functools import partial
from time import perf_counter
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._build import resolve_as_of, resolve_weights
from ._dataset import Dataset
from ._exceptions import InvalidInputError, check_choice
from ._ledger import Ledger
from ._ledger_rules import check_ttl_days
from ._ledger_state import parse_time
from ._memory import heavy_step
from ._metrics import blocking_count, dataset_facts, previous_pairs, round_metrics
from ._models import NeedStatus
from ._policy import policy_blocks
from ._proposals import MatchResult, OfferBudget
from ._reasons import unfilled_reasons, unmatched_reasons
from ._round_ledger import (
    LedgerView,
    pair_indices,
    per_volunteer,
    reserving_offers,
    side_counts,
    withdraw_beyond_limits,
)
from ._round_problem import decided_keys, round_problem
from ._round_proposals import (
    ledger_offers,
    restricted,
    round_proposals,
    shortlists,
    with_round,
)
from ._solve import solve
from ._threads import meanwhile
from ._weights import Weights

__all__ = ["match"]

log = logging.getLogger("matchkit")


def _round_time(as_of: date, explicit: bool) -> datetime:
    """When this round happens: now (UTC) for today, else the start of ``as_of`` (00:00
    UTC); now again when ``as_of`` is tomorrow in UTC.

    (A centre east of UTC gives its own date, which begins up to 14 hours before UTC's:
    a round at 00:00 UTC of that date would lie hours ahead, and decisions made meanwhile
    would come "before the offer was made". A day further ahead is a planned round.)
    """
    now = datetime.now(timezone.utc)
    if not explicit or as_of == now.date() + timedelta(days=1):
        return now
    return datetime.combine(as_of, time(0, 0), tzinfo=timezone.utc)


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
        When given: accepted placements stay locked and use capacity, rejected pairs and
        those the volunteer withdrew from are never proposed again, open offers stay as
        they are (those beyond a capacity or ``max_placements`` lowered since are
        withdrawn), only free capacity is re-planned, and this round's offers are
        recorded.
    shortlist : int, default 0
        Up to this many alternatives per proposal, so the volunteer can choose.
    as_of : date or YYYY-MM-DD string, optional
        The day of the round: ages, end dates and offer times are judged at it (default
        today). With an explicit ``as_of`` the round is recorded at 00:00 UTC of that day
        (at the current time when that day is tomorrow in UTC: a centre east of UTC whose
        day has begun).
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
        When the round happens, for the ledger (default: now when ``as_of`` is not given
        or is tomorrow in UTC, else 00:00 UTC of ``as_of``). A round may not be dated on a
        day (UTC) before the ledger's latest round.

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
    check_ttl_days(ttl_days, "match")
    if isinstance(method, str):
        from .solvers import SOLVERS

        check_choice("method", method, tuple(SOLVERS), caller="match")
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
    started = perf_counter()
    with heavy_step():
        view = LedgerView(ledger, at)

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
        # (what depends on the dataset alone is taken over from the previous round)
        kept = previous.context if reuse is not None and previous is not None else {}
        vindex = kept.get("vindex") or {v: i for i, v in enumerate(problem.left_ids)}
        nindex = kept.get("nindex") or {n: j for j, n in enumerate(problem.right_ids)}
        facts = kept.get("facts") or dataset_facts(dataset)

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
        # A need the ledger last recorded as not open (closed, or an idea again) is not
        # offered, whatever the dataset file says: the ledger would refuse the offer.
        closed = frozenset(
            nid for nid, status in view.need_status.items() if status is not NeedStatus.OPEN
        )
        for nid in closed:
            if nid in nindex:
                need_ok[nindex[nid]] = False

        # 3. the ledger
        ended = np.array(
            [n.end_date is not None and n.end_date < day for n in dataset.needs], dtype=bool
        )
        settled = False
        while True:
            placed_l, placed_r = pair_indices(view.placements, vindex, nindex)
            resv = reserving_offers(view, vindex, nindex, problem.edge_index, n_n)
            # Capacity in use counts every placement and held place on each side still in
            # the dataset, also when the other side has left it (the ledger counts them).
            # On a need, every open offer holds a place, also an alternative whose group the
            # volunteer has taken: they may still withdraw and take it instead.
            placed_v, placed_n = side_counts(view.placements, vindex, nindex, n_v, n_n)
            reserved_n = resv.per_need
            if view.idle:  # (alternatives of taken groups)
                reserved_n = reserved_n + side_counts(view.idle, vindex, nindex, n_v, n_n)[1]
            pending_v = per_volunteer(view.pending_groups, vindex, n_v)
            if settled or ledger is None:
                break
            # Open offers beyond a capacity or max_placements that the dataset has lowered
            # since they were made, on a need a policy check now holds back, or of a
            # volunteer or need that has left the dataset, are withdrawn; then the ledger
            # is read again (once).
            settled = True
            # (no room at all on a need the dataset no longer has open, that is over or
            # held back, or that the ledger last recorded as not open)
            taking_offers = ~ended & np.array(
                [n.status is NeedStatus.OPEN and n.id not in blocked
                 and view.need_status.get(n.id, NeedStatus.OPEN) is NeedStatus.OPEN
                 for n in dataset.needs],
                dtype=bool,
            )
            room_n = np.where(taking_offers, problem.right_capacity, 0)
            over_n = np.flatnonzero((reserved_n > 0) & (placed_n + reserved_n > room_n))
            over_v = np.flatnonzero((pending_v > 0) & (placed_v + pending_v > problem.left_capacity))
            departed = any(v not in vindex or n not in nindex for v, n in view.open_pairs)
            if over_n.size == 0 and over_v.size == 0 and not departed:
                break
            withdraw_beyond_limits(
                ledger, view,
                {problem.right_ids[j]: int(room_n[j]) for j in over_n},
                {problem.left_ids[i]: int(problem.left_capacity[i]) for i in over_v},
                at,
                held_back=blocked, vindex=vindex, nindex=nindex,
            )
            view = LedgerView(ledger, at)
        resv_l, resv_r = resv.left, resv.right
        open_v = per_volunteer(view.open_count, vindex, n_v)
        week_v = per_volunteer(view.week_count, vindex, n_v)

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
        excluded_pos = problem.edge_index(*pair_indices(view.excluded, vindex, nindex))
        excluded_at = np.unique(excluded_pos[excluded_pos >= 0])  # few, ascending
        excluded_edge = np.zeros(problem.n_edges, dtype=bool)
        excluded_edge[excluded_at] = True
        placed_pos = problem.edge_index(placed_l, placed_r)
        # Every open offer is taken, also one that holds no place any more (an alternative
        # whose group the volunteer accepted): the pair is on offer already.
        idle_l, idle_r = pair_indices(view.idle, vindex, nindex)

        # 4. solve on free capacity: the edges between volunteers and needs with room, less
        # those decided or on offer (marked in place: masks of every edge cost page faults).
        # When that is every edge (a first round), None stands for their positions.
        taken = [pos[pos >= 0] for pos in
                 (excluded_at, placed_pos, resv.pos, problem.edge_index(idle_l, idle_r))]
        degree_v, degree_n = problem._degrees
        free_pos: NDArray[np.int64] | None = None
        if (
            any(pos.size for pos in taken)
            or not (cap_v > 0)[degree_v > 0].all()
            or not (cap_n > 0)[degree_n > 0].all()
        ):
            free = np.take(cap_v > 0, problem.edge_left)
            free &= np.take(cap_n > 0, problem.edge_right)
            for pos in taken:
                free[pos] = False
            free_pos = np.flatnonzero(free)
            del free
        free_problem = restricted(problem, free_pos, cap_v, cap_n)
    built = perf_counter()
    assignment = solve(free_problem, method)
    solved = perf_counter()
    with heavy_step():
        edges = np.asarray(assignment.edges, dtype=np.int64)
        chosen = edges.copy() if free_pos is None else free_pos[edges]

        # 5. shortlists from places no proposal uses
        alternatives: dict[int, list[int]] = {}
        if shortlist > 0 and chosen.size:
            alternatives = shortlists(problem, free_pos, chosen, cap_v, cap_n, allowed_offers, shortlist)

        # The blocking pairs (a pass over every edge, in numpy) are counted meanwhile, on
        # a thread of their own, beside the Python that makes the proposals. The set is
        # the placements and primary offers; shortlist alternatives, new or open, are
        # options on offer: neither in it nor blocking it (the round that makes them
        # counts as the next round will, and stable proposals leave none).
        alt_pos = np.fromiter(
            (e for alts in alternatives.values() for e in alts), dtype=np.int64
        )
        on_edge = resv.pos >= 0
        holding = np.concatenate(
            [placed_pos[placed_pos >= 0], resv.pos[on_edge & resv.primary]]
        )
        idle_pos = problem.edge_index(idle_l, idle_r)  # (open alternatives of taken groups)
        on_offer = np.concatenate(
            [alt_pos, resv.pos[on_edge & ~resv.primary], idle_pos[idle_pos >= 0]]
        )
        # Places in use on each side, also those held off the edges (a placement at a
        # need that closed, or of a volunteer who left): the set's primaries and placements.
        chosen_l0, chosen_r0 = problem.edge_left[chosen], problem.edge_right[chosen]
        used = (
            placed_v + np.bincount(chosen_l0, minlength=n_v)
            + np.bincount(resv.left[resv.primary], minlength=n_v),
            placed_n + np.bincount(chosen_r0, minlength=n_n) + resv.primary_per_need,
        )
        blocking = meanwhile(
            partial(blocking_count, used=used, need_ok=need_ok),
            problem, np.unique(np.concatenate([chosen, holding])), excluded_edge, on_offer,
        )

        earlier = previous.proposals if reuse is not None and previous is not None else ()
        proposals = round_proposals(problem, chosen, alternatives, view, resv.edge_of, earlier)

        # 6. record and explain
        rnd = None
        if ledger is not None and any(p.status == "new" for p in proposals):
            rnd = ledger.record_round(
                ledger_offers(problem, proposals), at=at, ttl_days=ttl_days
            )
            proposals = [
                p if p.status != "new" else with_round(p, rnd) for p in proposals
            ]
        elif ledger is not None:
            rnd = ledger.record_round([], at=at, ttl_days=ttl_days)

        chosen_l = problem.edge_left[chosen]
        chosen_r = problem.edge_right[chosen]
        offered_v = np.bincount(chosen_l, minlength=n_v) + np.bincount(resv_l, minlength=n_v)
        primary_n = np.bincount(chosen_r, minlength=n_n) + resv.primary_per_need
        # A volunteer's own placements are not needs left to offer them: out of the
        # counts, so one placed in a need and declining the rest has declined all.
        own_at = np.unique(placed_pos[placed_pos >= 0])
        own_v = np.bincount(problem.edge_left[own_at], minlength=n_v)
        free_degree_v = degree_v - own_v
        live_v = free_degree_v - np.bincount(problem.edge_left[excluded_at], minlength=n_v)
        if need_ok.all():
            unblocked_v = live_v
        elif not degree_n[~need_ok].any():
            # no edge leads to a need held back (policy checks usually stop needs that
            # have none): nothing is held back from anyone
            held = (need_ok, np.zeros(n_v, dtype=np.int64))
            unblocked_v = live_v
        else:
            # edges to needs that policy checks hold back, per volunteer: a pass over every
            # edge, so a warm round takes the previous round's count when its problem is
            # the same object (with top_k, decisions give a warm round a new one)
            held = None
            if previous is not None and previous.problem is problem:
                held = previous.context.get("held_back")
            if held is None or not np.array_equal(held[0], need_ok):
                held = (need_ok, np.bincount(
                    problem.edge_left[~need_ok[problem.edge_right]], minlength=n_v
                ))
            held_ex = excluded_at[~need_ok[problem.edge_right[excluded_at]]]
            held_own = own_at[~need_ok[problem.edge_right[own_at]]]
            unblocked_v = (
                live_v - held[1] + np.bincount(problem.edge_left[held_ex], minlength=n_v)
                + np.bincount(problem.edge_left[held_own], minlength=n_v)
            )
        unmatched = unmatched_reasons(
            problem,
            offered=offered_v,
            placed=placed_v,
            degree=free_degree_v,
            live_degree=live_v,
            budget_bound=budget_bound,
            open_offers=open_v,
            open_degree=unblocked_v,
        )
        free_places = np.maximum(problem.right_capacity - placed_n - primary_n, 0)
        statuses = [view.need_status.get(n.id, n.status) for n in dataset.needs]
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
            reserved=(
                np.concatenate([resv_l, problem.edge_left[alt_pos], idle_l]),
                np.concatenate([resv_r, problem.edge_right[alt_pos], idle_r]),
            ),
            placed_per_need=placed_n,
            blocking=blocking(),
            vindex=vindex,
            facts=facts,
            proposals=proposals,
            open_needs=np.array([s is NeedStatus.OPEN for s in statuses], dtype=bool) & need_ok & ~ended,
            excluded_edge=excluded_edge,
            previous_pairs=previous_pairs(previous, ledger, rnd),
            placement_pairs=view.placements,
        )
        metrics["objective"] = assignment.objective
        metrics["method"] = assignment.method
        if log.isEnabledFor(logging.INFO):
            n_free = problem.n_edges if free_pos is None else free_pos.size
            _log_round(n_v, n_n, problem.n_edges, n_free, assignment, metrics,
                       len(unmatched), len(unfilled), (started, built, solved))
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
                     "weights": weights, "excluded": frozenset(view.excluded), "closed": closed,
                     "held_back": None if need_ok.all() else held,
                     "vindex": vindex, "nindex": nindex, "facts": facts},
        )


def _log_round(
    n_v: int, n_n: int, n_edges: int, n_free: int, assignment: Any, metrics: dict[str, Any],
    n_unmatched: int, n_unfilled: int, times: tuple[float, float, float],
) -> None:
    """One INFO line on the round (a user's solver may give no ``info``)."""
    started, built, solved = times
    info = getattr(assignment, "info", None) or {}
    solver = " ".join(str(x) for x in (getattr(assignment, "method", ""), info.get("backend", "")) if x)
    log.info(
        "match: %d volunteers x %d needs, %d acceptable pairs (%d free) ready in %.2f s; "
        "%s solved them in %.2f s; %d new proposals, %d open offers kept, %d volunteers "
        "without an offer, %d needs with free places (%.2f s in all)",
        n_v, n_n, n_edges, n_free, built - started, solver or "the solver", solved - built,
        metrics["n_new_proposals"], metrics["n_open_offers"], n_unmatched, n_unfilled,
        perf_counter() - started,
    )

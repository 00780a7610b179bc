"""What one round of ``match`` needs from the ledger: id-keyed counts and sets.

The ledger's state is read once per round and turned into the placements that are
locked, the pairs that are gone for good, the open offers that still hold a place, and
each volunteer's offer counts for the budget.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from itertools import repeat
from operator import itemgetter
from os import PathLike
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from ._exceptions import InvalidInputError
from ._ledger import Ledger
from ._ledger_rules import group_of, require_in_time_order

__all__ = [
    "LedgerView",
    "Pair",
    "Reserving",
    "id_indices",
    "pair_indices",
    "per_volunteer",
    "reserving_offers",
    "side_counts",
    "withdraw_beyond_limits",
]

I64 = NDArray[np.int64]
Pair = tuple[str, str]


def id_indices(
    pairs: Sequence[Pair], vindex: Mapping[str, int], nindex: Mapping[str, int]
) -> tuple[I64, I64]:
    """Each pair's volunteer and need index; -1 where an id is not in the round."""
    n = len(pairs)
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    # zip and map run in C: no Python frame per pair (tens of thousands per round)
    vs, ns = zip(*pairs)
    li = np.fromiter(map(vindex.get, vs, repeat(-1)), dtype=np.int64, count=n)
    ri = np.fromiter(map(nindex.get, ns, repeat(-1)), dtype=np.int64, count=n)
    return li, ri


def per_volunteer(counts: Mapping[str, int], vindex: Mapping[str, int], n: int) -> I64:
    """A count per volunteer index from counts by id (ids not in the round are ignored).

    Examples
    --------
    >>> per_volunteer({"b": 2, "x": 5}, {"a": 0, "b": 1}, 2).tolist()
    [0, 2]
    """
    out = np.zeros(n, dtype=np.int64)
    if counts:
        at = np.fromiter(map(vindex.get, counts.keys(), repeat(-1)), dtype=np.int64, count=len(counts))
        value = np.fromiter(counts.values(), dtype=np.int64, count=len(counts))
        known = at >= 0
        out[at[known]] = value[known]
    return out


def side_counts(
    pairs: Iterable[Pair], vindex: Mapping[str, int], nindex: Mapping[str, int],
    n_volunteers: int, n_needs: int,
) -> tuple[I64, I64]:
    """Pairs per volunteer and per need of the round, counted on each side whose id is in
    it, also when the other side's is not (a placement at a need that has left the dataset
    still uses the volunteer's capacity, and the other way round)."""
    li, ri = id_indices(list(pairs), vindex, nindex)
    return (
        np.bincount(li[li >= 0], minlength=n_volunteers),
        np.bincount(ri[ri >= 0], minlength=n_needs),
    )


def pair_indices(
    pairs: Iterable[Pair], vindex: Mapping[str, int], nindex: Mapping[str, int]
) -> tuple[I64, I64]:
    """Volunteer and need indices of the pairs whose ids are both in the round."""
    li, ri = id_indices(list(pairs), vindex, nindex)
    known = (li >= 0) & (ri >= 0)
    return li[known], ri[known]


class LedgerView:
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
        self.idle: list[Pair] = []  # open alternatives whose group the volunteer has taken
        self.need_status: dict[str, Any] = {}  # as the ledger last recorded it
        self.state = None
        if ledger is None:
            return
        if not isinstance(ledger, Ledger):
            hint = (f" (open it with matchkit.Ledger({ledger!r}))"
                    if isinstance(ledger, (str, PathLike)) else "")
            raise InvalidInputError(
                "The 'ledger' parameter of match must be a matchkit.Ledger or None; got "
                f"{type(ledger).__name__}{hint}"
            )
        state = ledger.state(as_of=at)
        # (before anything is withdrawn at `at`: a round may not go back in time)
        require_in_time_order(state.rounds, at, "match")
        self.state = state
        self.need_status = dict(state.need_status)
        self.placements = sorted(state.placements)
        open_offers = state.open_offers
        self.open_pairs = sorted(open_offers)
        # Rejected pairs and those the volunteer withdrew from are never offered again; a
        # pair the need or its organisation withdrew may be, once there is room again.
        self.excluded = set(state.rejected) | set(state.excluded)
        groups = self.groups = self._groups(state)
        reserving = dict(open_offers)
        # (a proposal is its round's offers of one group: a lead offered again later is not
        # the one whose alternative was taken)
        accepted = state.accepted_offers
        accepted_groups = {
            (v, groups.get((v, n), n), getattr(accepted.get((v, n)), "round", None))
            for v, n in state.placements
        }
        if accepted_groups:
            placed = {v for v, _, _ in accepted_groups}
            for pair in [p for p in reserving if p[0] in placed]:
                key = (pair[0], groups.get(pair, pair[1]), reserving[pair].round)
                if key in accepted_groups:
                    del reserving[pair]  # the volunteer already chose within this group
        self.reserving = reserving
        if len(reserving) < len(open_offers):
            self.idle = [p for p in self.open_pairs if p not in reserving]
        # Counted in C (tens of thousands of open offers): a volunteer's pending groups
        # are its open pairs with each alternative folded into its group's need.
        pending = set(reserving).difference(groups)
        pending.update((p[0], groups[p]) for p in groups.keys() & reserving.keys())
        first = itemgetter(0)
        self.pending_groups = Counter(map(first, pending))
        # (every open offer counts towards max_open, also an alternative whose group the
        # volunteer has accepted: it stays open in the ledger)
        self.open_count = Counter(map(first, open_offers))
        # (volunteers with no offer in the week count 0: only the others are listed)
        made = state.offers_since_each(at - timedelta(days=7))
        self.week_count = Counter({v: c for v, c in made.items() if c})

    @staticmethod
    def _groups(state: Any) -> dict[Pair, str]:
        """Open offer (and placement) -> the need of the proposal it came with, where that
        is not the pair's own need (``groups.get(pair, pair[1])`` reads it)."""
        out: dict[Pair, str] = {}
        for offers in (state.open_offers, state.accepted_offers):
            for pair, offer in offers.items():
                group = group_of(offer.extra, pair[1])
                if group != pair[1]:
                    out[pair] = group
        return out


class Reserving(NamedTuple):
    """The open offers that hold a place, looked up once per round (the solve, the
    proposals and the metrics all read them)."""

    left: I64
    """Volunteer index of each offer whose ids are both in the round."""
    right: I64
    """Need index of each such offer."""
    primary: NDArray[np.bool_]
    """Whether each such offer is a primary one (not a shortlist alternative)."""
    pos: I64
    """Edge position of each such offer; -1 where the pair is not an edge of the problem."""
    edge_of: dict[Pair, int]
    """Every reserving pair -> its edge position, or -1."""
    per_need: I64
    """Places held per need, by every such offer whose need is in the round (also when its
    volunteer has left the dataset: the ledger still holds the place)."""
    primary_per_need: I64
    """The same, counting primary offers only."""


def reserving_offers(
    view: LedgerView,
    vindex: Mapping[str, int],
    nindex: Mapping[str, int],
    edge_index: Callable[[I64, I64], I64],
    n_needs: int,
) -> Reserving:
    """Indices and edge positions of the open offers that hold a place, in one lookup."""
    pairs = list(view.reserving)
    li, ri = id_indices(pairs, vindex, nindex)
    primary = np.fromiter(
        (not o.shortlist for o in view.reserving.values()), dtype=bool, count=len(li)
    )
    known = (li >= 0) & (ri >= 0)
    pos = np.full(len(pairs), -1, dtype=np.int64)
    if known.any():
        pos[known] = edge_index(li[known], ri[known])
    has_need = ri >= 0
    return Reserving(
        li[known], ri[known], primary[known], pos[known], dict(zip(pairs, pos.tolist())),
        np.bincount(ri[has_need], minlength=n_needs),
        np.bincount(ri[has_need & primary], minlength=n_needs),
    )


def withdraw_beyond_limits(
    ledger: Ledger,
    view: LedgerView,
    capacity: Mapping[str, int],
    max_placements: Mapping[str, int],
    at: datetime,
    *,
    held_back: Mapping[str, str] | None = None,
    vindex: Mapping[str, int] | None = None,
    nindex: Mapping[str, int] | None = None,
) -> int:
    """Withdraw the open offers that the dataset as it is now leaves without footing.

    ``capacity`` holds the needs whose capacity (as the dataset now gives it; 0 for a need
    no longer open, over, or held back by a policy check) is below their placements plus
    the places their open offers hold (every open offer holds one): first their open
    alternatives whose group the volunteer has taken, then their newest offers, are
    withdrawn down to the capacity (``by="need"``; ``by="centre"`` with the check's reason
    for a need in ``held_back``, need id -> why). ``max_placements`` holds the volunteers
    whose limit is below their placements plus their pending offer groups: their newest
    groups beyond it are withdrawn (``by="centre"``: the volunteer declined nothing, and a
    higher limit later may bring the pair back). Accepting them would go beyond the new
    limits, which the ledger, knowing the limits the offers were made with, would allow.
    With ``vindex`` and ``nindex`` (the ids in the dataset), every open offer of a
    volunteer or need that has left the dataset is withdrawn too (``by="centre"``).
    Placements are never withdrawn, also an offer accepted after ``view`` was read (by
    another process or thread, while the round was planned): the offers are chosen again
    from the ledger as it is inside the transaction that withdraws them. Returns how many
    offers were.
    """
    with ledger.batch():  # (decisions made elsewhere wait until the withdrawals are done)
        if ledger.state(as_of=at) is not view.state:  # something was recorded since
            view = LedgerView(ledger, at)
        ends = _offers_beyond_limits(
            view, capacity, max_placements, held_back or {}, vindex, nindex
        )
        offers = view.state.open_offers if view.state is not None else {}
        for (vid, nid), (by, reason) in sorted(ends.items()):
            # (an offer made later on the round's day, by a round made at the time it ran,
            # is withdrawn when it was made, not before)
            made = getattr(offers.get((vid, nid)), "offered_at", at)
            ledger.withdraw(vid, nid, by=by, reason=reason, at=max(at, made))
    return len(ends)


def _offers_beyond_limits(
    view: LedgerView,
    capacity: Mapping[str, int],
    max_placements: Mapping[str, int],
    held_back: Mapping[str, str],
    vindex: Mapping[str, int] | None,
    nindex: Mapping[str, int] | None,
) -> dict[Pair, tuple[str, str]]:
    """The open offers :func:`withdraw_beyond_limits` ends, each with who and why."""
    groups, reserving = view.groups, view.reserving
    placed_n = Counter(n for _, n in view.placements if n in capacity)
    placed_v = Counter(v for v, _ in view.placements if v in max_placements)

    def age(pairs: Sequence[Pair]) -> tuple[int, bool, Pair]:  # (newest last)
        return max((reserving[p].round, reserving[p].shortlist, p) for p in pairs)

    ends: dict[Pair, tuple[str, str]] = {}
    for vid, nid in view.open_pairs:
        if vindex is not None and vid not in vindex:
            ends[(vid, nid)] = ("centre", "the volunteer is no longer in the dataset")
        elif nindex is not None and nid not in nindex:
            ends[(vid, nid)] = ("centre", "the need is no longer in the dataset")
    by_need: dict[str, list[Pair]] = {}
    by_group: dict[str, dict[str, list[Pair]]] = {}
    for pair in view.open_pairs:  # (held places, and alternatives whose group was taken)
        if pair[1] in capacity and pair not in ends:
            by_need.setdefault(pair[1], []).append(pair)
    for pair in reserving:
        if pair[0] in max_placements and pair not in ends:
            by_group.setdefault(pair[0], {}).setdefault(groups.get(pair, pair[1]), []).append(pair)
    for nid, pairs in by_need.items():
        # Alternatives whose group was taken go first (the least likely to be taken up),
        # then the newest offers.
        idle = [p for p in pairs if p not in reserving]
        newest = sorted((p for p in pairs if p in reserving), key=lambda p: age([p]), reverse=True)
        excess = placed_n[nid] + len(pairs) - capacity[nid]
        if nid in held_back:
            why = ("centre", f"the need is held back: {held_back[nid]}")
        elif capacity[nid]:
            why = ("need", f"the need's capacity is now {capacity[nid]}")
        else:
            why = ("need", "the need takes no more volunteers now")
        for pair in (idle + newest)[: max(excess, 0)]:
            ends[pair] = why
    for vid, of_v in by_group.items():
        # (a group the need side cut stays the volunteer's while any of its offers is open)
        kept = [[p for p in ps if p not in ends] for ps in of_v.values()]
        kept = [ps for ps in kept if ps]
        excess = placed_v[vid] + len(kept) - max_placements[vid]
        for pairs in sorted(kept, key=age, reverse=True)[: max(excess, 0)]:
            for pair in pairs:
                ends[pair] = ("centre", f"their max_placements is now {max_placements[vid]}")
    return ends

"""What one round of ``match`` needs from the ledger: id-keyed counts and sets.

The ledger's state is read once per round and turned into the placements that are
locked, the pairs that are gone for good, the open offers that still hold a place, and
each volunteer's offer counts for the budget.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._ledger import Ledger

__all__ = ["LedgerView", "Pair", "pair_indices", "reserving_arrays"]

I64 = NDArray[np.int64]
Pair = tuple[str, str]


def pair_indices(
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


def reserving_arrays(
    view: LedgerView, vindex: Mapping[str, int], nindex: Mapping[str, int]
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

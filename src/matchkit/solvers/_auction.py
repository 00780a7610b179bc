"""Vectorised forward auction with epsilon-scaling for b-matching ("similar objects").

Volunteers (capacity 1) bid for needs ("roles") of capacity ``c``; a role keeps its
``c`` best bids and, once full, its price is the lowest bid it keeps (the ``c``-th best).
Leaving a volunteer unmatched is worth 0. Bidding is Jacobi style: every unassigned
volunteer bids in the same round, so each round is a handful of numpy operations on
the bidders' candidate rows (a padded ``(n_volunteers, K)`` matrix).

Weights are multiplied by ``mult`` (more than the largest possible number of pairs) and
the last phase runs with ``eps = 1``: a final state in epsilon-complementary slackness
is then an exact optimum (see :func:`certify`), so the auction is exact on integers.

At the end of every phase, a role that is not full must have price 0 (an empty slot
is worth nothing); such prices are reset to 0, the volunteers who now prefer the role
by more than ``eps`` bid again, and the phase continues.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

__all__ = ["AuctionState", "run_auction"]

IntArray = NDArray[np.int64]
_NEG = np.int64(-(2**62))


@dataclass
class AuctionState:
    """Mutable state of the auction over compact volunteer / role numbers.

    ``rows`` / ``wts`` / ``eid`` are the padded candidate matrix (role, scaled weight,
    edge position; padding role ``n_roles``). ``role_of`` is -1 (bidding), -2 (stays
    unmatched) or the role; ``col_of`` the column of the chosen candidate.
    """

    rows: IntArray
    wts: IntArray
    eid: IntArray
    cap: IntArray
    price: IntArray  # n_roles + 1 (padding role has price +inf-like)
    base: IntArray  # price of a role that is not full
    slot0: IntArray
    slot_vol: IntArray
    slot_bid: IntArray
    slot_of: IntArray
    count: IntArray
    role_of: IntArray
    col_of: IntArray
    rounds: int = 0
    max_rounds: int = 1 << 62
    #: Candidate entries read so far (bidders x candidate columns per round, candidates
    #: per repaired role), and the most before giving up.
    work: int = 0
    max_work: int = 1 << 62
    csc_ptr: IntArray = field(default_factory=lambda: np.zeros(1, dtype=np.int64))
    csc_v: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    csc_c: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @classmethod
    def new(cls, rows: IntArray, wts: IntArray, eid: IntArray, cap: IntArray,
            price: IntArray | None = None) -> AuctionState:
        n_v = rows.shape[0]
        n_r = len(cap)
        p = np.zeros(n_r + 1, dtype=np.int64)
        if price is not None:
            p[:n_r] = price
        p[n_r] = 2**61
        slot0 = np.concatenate([[0], np.cumsum(cap)]).astype(np.int64)
        n_s = int(slot0[-1])
        state = cls(
            rows=rows, wts=wts, eid=eid, cap=cap, price=p, base=p[:n_r].copy(),
            slot0=slot0, slot_vol=np.full(n_s, -1, dtype=np.int64),
            slot_bid=np.full(n_s, _NEG, dtype=np.int64),
            slot_of=np.full(n_v, -1, dtype=np.int64), count=np.zeros(n_r, dtype=np.int64),
            role_of=np.full(n_v, -1, dtype=np.int64), col_of=np.full(n_v, -1, dtype=np.int64),
        )
        state.build_csc()
        return state

    # -- bookkeeping ----------------------------------------------------------------
    def profit(self) -> IntArray:
        """Each volunteer's profit: weight minus price of its role, 0 when unmatched."""
        u = np.zeros(len(self.role_of), dtype=np.int64)
        m = self.role_of >= 0
        idx = np.flatnonzero(m)
        u[idx] = self.wts[idx, self.col_of[idx]] - self.price[self.role_of[idx]]
        return u

    def release(self, vols: IntArray) -> None:
        """Unassign ``vols``; a full role they leave keeps its price as its base price."""
        held = vols[self.role_of[vols] >= 0]
        if len(held):
            roles = self.role_of[held]
            full = np.unique(roles[self.count[roles] == self.cap[roles]])
            self.base[full] = self.price[full]
            s = self.slot_of[held]
            self.slot_vol[s] = -1
            self.slot_bid[s] = _NEG
            self.slot_of[held] = -1
            self.count -= np.bincount(roles, minlength=len(self.count))
        self.role_of[vols] = -1
        self.col_of[vols] = -1

    # -- one phase ------------------------------------------------------------------
    def bid_until_assigned(self, bidders: IntArray, eps: int, max_rounds: int = -1) -> IntArray:
        """Jacobi bidding rounds until nobody bids (or ``max_rounds``); returns bidders left."""
        big = np.int64(2**62)
        while len(bidders) and max_rounds != 0:
            max_rounds -= 1
            self._tick(len(bidders) * self.rows.shape[1])
            vals = self.wts[bidders] - self.price[self.rows[bidders]]
            am = vals.argmax(axis=1)
            ar = np.arange(len(bidders))
            v1 = vals[ar, am]
            vals[ar, am] = -big
            v2 = np.maximum(vals.max(axis=1), 0) if vals.shape[1] > 1 else np.zeros_like(v1)
            out = v1 <= 0
            if out.any():
                self.role_of[bidders[out]] = -2
                keep = ~out
                bidders, am, v1, v2 = bidders[keep], am[keep], v1[keep], v2[keep]
                if not len(bidders):
                    break
            roles = self.rows[bidders, am]
            # Profit after the bid: v2 - eps, but never below 0 (staying out is worth 0).
            bids = self.wts[bidders, am] - np.maximum(v2 - eps, 0)
            # Pool the held bids of every role that got a bid with the new bids.
            mark = np.zeros(len(self.cap), dtype=bool)
            mark[roles] = True
            uroles = np.flatnonzero(mark)
            lens = self.cap[uroles]
            s_start = self.slot0[uroles]
            tot = int(lens.sum())
            owner = np.repeat(np.arange(len(uroles)), lens)
            sidx = np.arange(tot) - np.repeat(np.cumsum(lens) - lens, lens) + s_start[owner]
            p_role = np.concatenate([uroles[owner], roles])
            p_bid = np.concatenate([self.slot_bid[sidx], bids])
            p_vol = np.concatenate([self.slot_vol[sidx], bidders])
            p_new = np.concatenate([np.zeros(tot, np.int8), np.ones(len(bids), np.int8)])
            p_col = np.concatenate([np.full(tot, -1, np.int64), am])
            order = np.lexsort((p_vol, p_new, -p_bid, p_role))
            p_role, p_bid, p_vol, p_new, p_col = (
                p_role[order], p_bid[order], p_vol[order], p_new[order], p_col[order]
            )
            grp = np.searchsorted(p_role, p_role, side="left")
            rank = np.arange(len(p_role)) - grp
            kept = rank < self.cap[p_role]
            real = p_vol >= 0
            # Losers (displaced holders and rejected bidders) bid next round.
            lose = real & ~kept
            losers = p_vol[lose]
            old_lose = losers[p_new[lose] == 0]
            self.role_of[losers] = -1
            self.col_of[losers] = -1
            self.slot_of[old_lose] = -1
            # Write the kept entries back in bid order.
            kr = p_role[kept]
            slot = self.slot0[kr] + rank[kept]
            kv = p_vol[kept]
            self.slot_vol[slot] = kv
            self.slot_bid[slot] = p_bid[kept]
            newk = kept & (p_new == 1)
            nv = p_vol[newk]
            self.role_of[nv] = p_role[newk]
            self.col_of[nv] = p_col[newk]
            rk = kv >= 0
            self.slot_of[kv[rk]] = slot[rk]
            self.count[uroles] = np.bincount(
                np.searchsorted(uroles, kr[rk]), minlength=len(uroles)
            )
            full = self.count[uroles] == self.cap[uroles]
            last = self.slot_bid[self.slot0[uroles] + self.cap[uroles] - 1]
            self.price[uroles] = np.where(
                full, np.maximum(self.base[uroles], last), self.base[uroles]
            )
            bidders = losers
        return bidders

    def _tick(self, work: int = 0) -> None:
        self.rounds += 1
        self.work += work
        if self.rounds > self.max_rounds:
            raise RuntimeError(
                f"auction: round budget of {self.max_rounds} exceeded (this problem is "
                "better served by the exact matching reduction)"
            )
        if self.work > self.max_work:
            raise RuntimeError(
                f"auction: work budget of {self.max_work} candidate entries exceeded (this "
                "problem is better served by the exact matching reduction)"
            )

    def build_csc(self) -> None:
        """Role-side index of the candidate matrix: who can take each role."""
        n_r = len(self.cap)
        flat = self.rows.ravel()
        real = np.flatnonzero(flat < n_r)
        order = real[np.argsort(flat[real], kind="stable")]
        k = self.rows.shape[1]
        self.csc_v = order // k
        self.csc_c = order % k
        self.csc_ptr = np.concatenate(
            [[0], np.cumsum(np.bincount(flat[real], minlength=n_r))]
        ).astype(np.int64)

    def _profit_of(self, vols: IntArray) -> IntArray:
        r = self.role_of[vols]
        out = np.zeros(len(vols), dtype=np.int64)
        m = r >= 0
        out[m] = self.wts[vols[m], self.col_of[vols[m]]] - self.price[r[m]]
        return out

    def repair_unfilled(self, eps: int, single: bool = False) -> bool:
        """One reverse-auction round for roles that are not full but have a price > 0.

        Each such role ``j`` with ``m`` empty slots ranks its candidates by
        ``beta_i = w_ij - profit_i`` (the price at which ``i`` would be indifferent),
        lowers its price to ``max(0, beta_(m+1) - eps)`` and takes its top ``m``
        candidates with ``beta_i`` above that price. Nobody's epsilon-complementary
        slackness breaks; every volunteer who moves gains at least ``eps``, so repeated
        rounds end. A top candidate holding another role repaired in the same round
        stays and keeps that role's price from falling below its level; a round without
        progress repairs the lowest-numbered role alone. Returns False when nothing was
        to repair.
        """
        n_r = len(self.cap)
        badr = np.flatnonzero((self.count < self.cap) & (self.price[:n_r] > 0))
        if not len(badr):
            return False
        lens = self.csc_ptr[badr + 1] - self.csc_ptr[badr]
        self._tick(int(lens.sum()))
        flag = np.zeros(n_r + 1, dtype=bool)
        flag[badr] = True
        owner = np.repeat(np.arange(len(badr)), lens)
        pos = np.arange(int(lens.sum())) - np.repeat(np.cumsum(lens) - lens, lens) \
            + self.csc_ptr[badr][owner]
        vi, ci, rj = self.csc_v[pos], self.csc_c[pos], badr[owner]
        beta = self.wts[vi, ci] - self._profit_of(vi)
        hold = self.role_of[vi]
        # A role's own holders are not its candidates.
        cand = hold != rj
        vi, ci, rj, beta, hold = vi[cand], ci[cand], rj[cand], beta[cand], hold[cand]
        order = np.lexsort((vi, -beta, rj))
        vi, ci, rj, beta, hold = vi[order], ci[order], rj[order], beta[order], hold[order]
        rank = np.arange(len(rj)) - np.searchsorted(rj, rj, side="left")
        m = (self.cap - self.count)[rj]
        # A top candidate who holds another role repaired in this round ("stayer") does
        # not move, and the price may not fall below what would tempt it.
        stay = (hold >= 0) & flag[np.maximum(hold, 0)]
        if single:
            first = badr[0]
            keep = rj == first
            vi, ci, rj, beta, rank, m = vi[keep], ci[keep], rj[keep], beta[keep], rank[keep], m[keep]
            stay = np.zeros(len(vi), dtype=bool)
            fixr = badr[:1]
        else:
            fixr = badr
        nxt = np.full(n_r, -(2**62), dtype=np.int64)
        at = rank == m
        nxt[rj[at]] = beta[at]
        top_stay = stay & (rank < m)
        np.maximum.at(nxt, rj[top_stay], beta[top_stay])
        old = self.price[fixr].copy()
        newp = np.minimum(old, np.maximum(0, nxt[fixr] - eps))
        self.price[fixr] = newp
        self.base[fixr] = newp
        self.flatten_bids(fixr)
        take = (rank < m) & (beta > self.price[rj]) & ~stay
        vi, ci, rj = vi[take], ci[take], rj[take]
        if not len(vi) and (newp == old).all():
            return self.repair_unfilled(eps, single=True) if not single else True
        if len(vi):
            # A volunteer wanted by several roles goes where it gains most.
            gain = self.wts[vi, ci] - self.price[rj]
            o = np.lexsort((rj, -gain, vi))
            vi, ci, rj = vi[o], ci[o], rj[o]
            first = np.ones(len(vi), dtype=bool)
            first[1:] = vi[1:] != vi[:-1]
            vi, ci, rj = vi[first], ci[first], rj[first]
            self.release(vi)
            self._fill(vi, ci, rj)
        return True

    def _fill(self, vols: IntArray, cols: IntArray, roles: IntArray) -> None:
        """Put ``vols`` into empty slots of ``roles`` at the roles' current price."""
        o = np.lexsort((vols, roles))
        vols, cols, roles = vols[o], cols[o], roles[o]
        ur, first, cnt = np.unique(roles, return_index=True, return_counts=True)
        lens = self.cap[ur]
        owner = np.repeat(np.arange(len(ur)), lens)
        sidx = np.arange(int(lens.sum())) - np.repeat(np.cumsum(lens) - lens, lens) \
            + self.slot0[ur][owner]
        empty = self.slot_vol[sidx] < 0
        sidx, owner = sidx[empty], owner[empty]
        erank = np.arange(len(sidx)) - np.searchsorted(owner, owner, side="left")
        fill_rank = np.arange(len(vols)) - first[np.searchsorted(ur, roles)]
        # The k-th volunteer of a role takes that role's k-th empty slot.
        key_e = owner * (int(self.cap.max()) + 1) + erank
        key_v = np.searchsorted(ur, roles) * (int(self.cap.max()) + 1) + fill_rank
        slot = sidx[np.searchsorted(key_e, key_v)]
        self.slot_vol[slot] = vols
        self.slot_bid[slot] = self.price[roles]
        self.slot_of[vols] = slot
        self.role_of[vols] = roles
        self.col_of[vols] = cols
        self.count += np.bincount(roles, minlength=len(self.count))
        _ = cnt

    def flatten_bids(self, roles: IntArray | None = None) -> None:
        """Hold every placement (of ``roles``, default all) at its role's current price.

        Needed whenever prices fall or eps shrinks: a held bid above the price only
        promises complementary slackness for the eps it was made with.
        """
        if roles is None:
            occ = self.slot_vol >= 0
            self.slot_bid[occ] = self.price[self.role_of[self.slot_vol[occ]]]
            return
        lens = self.cap[roles]
        owner = np.repeat(np.arange(len(roles)), lens)
        sidx = np.arange(int(lens.sum())) - np.repeat(np.cumsum(lens) - lens, lens) \
            + self.slot0[roles][owner]
        occ = self.slot_vol[sidx] >= 0
        self.slot_bid[sidx[occ]] = self.price[roles[owner[occ]]]

    def violators(self, eps: int) -> IntArray:
        """Volunteers whose assignment is not within ``eps`` of their best option."""
        best = np.maximum((self.wts - self.price[self.rows]).max(axis=1), 0)
        return np.flatnonzero(best > self.profit() + eps)


REPAIR_ALWAYS = True
WARM = True


def run_phase(state: AuctionState, eps: int, bidders: IntArray) -> None:
    """Bid until everyone is placed, then repair unfilled roles' prices (reverse rounds).

    Only the last phase (``eps = 1``) needs the repair for exactness; earlier phases
    only shape the prices, and skip it.
    """
    state.bid_until_assigned(bidders, eps)
    if eps > 1 and not REPAIR_ALWAYS:
        return
    for _ in range(1_000_000):
        if not state.repair_unfilled(eps):
            return
    raise RuntimeError("auction: price repair did not settle")


def run_auction(
    state: AuctionState, *, max_weight: int, theta: int = 6, eps0: int | None = None
) -> None:
    """Epsilon-scaling from about ``max_weight / theta`` (or ``eps0``) down to 1.

    Placements that still satisfy complementary slackness for the next eps are kept
    between phases. A warm start (prices from an earlier solve) should pass a small
    ``eps0``, so the first phase does not undo the prices.

    Examples
    --------
    >>> import numpy as np
    >>> rows = np.array([[0, 1], [0, 2]])  # volunteer 1 has one candidate (2 = padding)
    >>> wts = np.array([[50, 40], [60, 0]])
    >>> st = AuctionState.new(rows, wts, np.array([[0, 1], [2, -1]]), np.array([1, 1]))
    >>> run_auction(st, max_weight=60)
    >>> st.role_of.tolist(), st.price[:2].tolist()
    ([1, 0], [60, 40])
    """
    eps = max(1, int(max_weight) // theta if eps0 is None else int(eps0))
    first = True
    while True:
        if first:
            bidders = np.flatnonzero(state.role_of == -1)
            first = False
        else:
            bidders = state.violators(eps) if WARM else np.arange(len(state.role_of))
            state.release(bidders)
            state.flatten_bids()
            bidders = np.flatnonzero(state.role_of == -1)
        run_phase(state, eps, bidders)
        if eps == 1:
            return
        eps = max(1, eps // theta)

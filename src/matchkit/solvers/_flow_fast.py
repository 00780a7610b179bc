"""Fast exact path of the flow method: pruned auction + dual certificate on all edges.

Used when one side has capacity 1 everywhere (volunteers, or else needs, by swapping
the sides). Steps:

1. keep each volunteer's ``k`` heaviest candidate edges (the "active" graph);
2. run the epsilon-scaling auction of ``_auction`` on it, with weights multiplied by
   ``mult = n_pairs + 1`` and a last phase at ``eps = 1``;
3. check epsilon-complementary slackness on *every* edge (:func:`certify`); edges that
   violate it join the active graph, their volunteers bid again at ``eps = 1``, and the
   check repeats until it passes.

The certificate proves optimality by itself: with ``u_i, p_j >= 0``, ``u_i + p_j >=
mult * W_ij - 1`` on every edge, equality on chosen edges, ``u_i = 0`` for unmatched
volunteers and ``p_j = 0`` for needs that are not full, any b-matching ``M`` has
``mult * W(M) <= sum(u) + sum(c * p) + |M| = mult * W(A) + |M|``, so
``W(M) <= W(A) + |M| / mult < W(A) + 1``: ``A`` is optimal for the integer weights.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .._numbering import compact_ids, tie_key
from ._auction import AuctionState, run_auction, run_phase

__all__ = ["FastResult", "certify", "solve_fast"]

IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class FastResult:
    chosen: IntArray  # positions into the edge arrays
    volunteer_profit: IntArray  # per compact volunteer, in units of 1 / mult
    need_price: IntArray  # per compact need, in units of 1 / mult
    volunteers: IntArray  # original index of each compact volunteer
    needs: IntArray  # original index of each compact need
    mult: int
    rounds: int
    added_edges: int


#: Bits of the tie key (see :func:`matchkit._numbering.tie_key`).
TIE_BITS = 16


def _top_k(
    vol: IntArray, w: IntArray, n_v: int, k: int, tie: IntArray
) -> tuple[IntArray, IntArray]:
    """Row-wise top ``k`` edges by weight, ties by ``tie`` (edges sorted by volunteer).
    Returns a padded ``(n_v, K)`` matrix of edge positions (-1 = padding) and the chosen
    edge mask."""
    deg = np.bincount(vol, minlength=n_v)
    start = np.cumsum(deg) - deg
    d_max = int(deg.max()) if n_v else 0
    col = np.arange(len(vol)) - start[vol]
    # Weight and tie in one number where it fits (weights are >= 1).
    fits = len(w) > 0 and int(w.max()) < 2 ** (62 - TIE_BITS)
    if d_max <= k:
        mat = np.full((n_v, max(d_max, 1)), -1, dtype=np.int64)
        mat[vol, col] = np.arange(len(vol))
    elif fits and n_v * d_max <= 4 * len(vol) + 1_000_000:
        wm = np.full((n_v, d_max), -1, dtype=np.int64)  # below every key (>= 2**TIE_BITS)
        key = np.left_shift(w, TIE_BITS)
        key |= tie
        wm[vol, col] = key
        del key
        part = np.argpartition(-wm, k - 1, axis=1)[:, :k]
        pos = start[:, None] + part
        valid = part < deg[:, None]
        mat = np.where(valid, pos, -1)
    else:  # very uneven degrees (or huge weights): sort once
        order = np.lexsort((tie, -w, vol))
        rank = np.arange(len(vol)) - start[vol[order]]
        sel = rank < k
        mat = np.full((n_v, k), -1, dtype=np.int64)
        mat[vol[order][sel], rank[sel]] = order[sel]
    mask = np.zeros(len(vol), dtype=bool)
    mask[mat[mat >= 0]] = True
    return mat, mask


def _pad(
    mat: IntArray, role: IntArray, w: IntArray, n_r: int, tie: IntArray
) -> tuple[IntArray, IntArray, IntArray]:
    ok = mat >= 0
    safe = np.where(ok, mat, 0)
    rows = np.where(ok, role[safe], n_r)
    wts = np.where(ok, w[safe], 0)
    # Candidates in order of decreasing weight, then of the tie key (see tie_key), then
    # of edge position: a bidder's first best candidate is its own, deterministically.
    big = np.iinfo(np.int64).max
    top = int(wts.max()) if wts.size else 0
    if top < 2 ** (62 - TIE_BITS):  # weight and tie as one key
        first = ((top - wts) << TIE_BITS) | tie[safe]
        keys: tuple[IntArray, ...] = (np.where(ok, mat, big), np.where(ok, first, big))
    else:
        keys = (np.where(ok, mat, big), np.where(ok, tie[safe], big), np.where(ok, -wts, big))
    order = np.lexsort(keys, axis=-1)
    ar = np.arange(mat.shape[0])[:, None]
    return rows[ar, order], wts[ar, order], mat[ar, order]


def certify(
    vol: IntArray, role: IntArray, wm: IntArray, chosen: IntArray, u: IntArray, p: IntArray,
    cap: IntArray,
) -> IntArray:
    """Edges violating the certificate (empty: the assignment is optimal).

    ``wm`` are the weights times ``mult``; ``u`` and ``p`` the volunteer profits and need
    prices in the same units. Raises AssertionError if a structural condition fails
    (signs, tight chosen edges, zero profit when unmatched, zero price when not full).

    Examples
    --------
    >>> import numpy as np
    >>> vol, role = np.array([0, 1]), np.array([0, 0])
    >>> certify(vol, role, np.array([30, 20]), np.array([0]), np.array([10, 0]),
    ...         np.array([20]), np.array([1])).tolist()
    []
    """
    n_r = len(cap)
    assert (u >= 0).all() and (p >= 0).all()
    cnt = np.bincount(role[chosen], minlength=n_r)
    assert (cnt <= cap).all() and not (p[cnt < cap] > 0).any()
    assert (u[vol[chosen]] + p[role[chosen]] == wm[chosen]).all()
    matched = np.zeros(len(u), dtype=bool)
    matched[vol[chosen]] = True
    assert not (u[~matched] > 0).any()
    return np.flatnonzero(wm - p[role] - u[vol] > 1)


#: eps falls by this factor per phase of the epsilon-scaling.
SCALING_THETA = 10
#: With at least this many places per bidder, the auction runs one phase at the final
#: eps instead of scaling down to it. Measured on the volunteer family (capacity about
#: one place per volunteer): 0.52 s -> 0.07 s at 10k and 6.7 s -> 1.3 s at 100k; where
#: places are scarce (0.3 per volunteer) scaling is faster (100k: 1.4 s against 4.2 s),
#: prices there must climb far and large early steps get them there in fewer rounds.
AMPLE = 0.75
#: Work budget of the auction: candidate entries read per edge, plus a base. Where it
#: succeeds the auction reads 0.4-6 entries per edge (the volunteer family at 100k: 0.4
#: and 1.5 where places are scarce; a 10k city with one placement per volunteer: 6).
#: Where its pruned candidate lists miss the answer by far (every volunteer ranks the
#: needs alike, few places), it read 2,500 per edge in 3,500 rounds, several seconds,
#: before its round budget gave up; the exact fallback then took a fraction of that.
WORK_PER_EDGE = 20
WORK_BASE = 1 << 22


def work_budget(n_edges: int) -> int:
    """The auction's default work budget on ``n_edges`` edges (see WORK_PER_EDGE)."""
    return WORK_PER_EDGE * n_edges + WORK_BASE


def solve_fast(
    left: IntArray, right: IntArray, weight: IntArray, right_capacity: IntArray, *,
    k: int = 8, theta: int | None = None, prices: NDArray[np.float64] | None = None,
    max_rounds: int | None = None, max_work: int | None = None,
) -> FastResult:
    """Maximum-weight b-matching when every volunteer (``left``) has capacity 1.

    ``left`` need not be sorted; the chosen positions refer to the given order.
    ``prices`` (optional warm start) holds one starting price per need, indexed by
    the need numbers in ``right``, in units of ``weight``. ``theta`` (eps falls by it per
    phase) defaults to scaling by :data:`SCALING_THETA` when places are scarce and to a
    single final phase when they are ample (:data:`AMPLE`). Raises RuntimeError if the
    auction exceeds its round budget (``max_rounds``, default
    ``3000 + n_volunteers // 10``) or its work budget (``max_work`` candidate entries
    read, default :func:`work_budget`); the caller then uses an exact fallback.

    Examples
    --------
    >>> import numpy as np
    >>> left, right = np.array([0, 0, 1, 2]), np.array([0, 1, 0, 0])
    >>> res = solve_fast(left, right, np.array([5, 4, 6, 1]), np.array([1, 1]))
    >>> res.chosen.tolist(), res.need_price.tolist(), res.mult
    ([1, 2], [18, 12], 3)
    """
    if len(left) > 1 and (np.diff(left) < 0).any():
        perm = np.argsort(left, kind="stable")
        res = solve_fast(left[perm], right[perm], weight[perm], right_capacity, k=k,
                         theta=theta, prices=prices, max_rounds=max_rounds,
                         max_work=max_work)
        return FastResult(
            chosen=np.sort(perm[res.chosen]), volunteer_profit=res.volunteer_profit,
            need_price=res.need_price, volunteers=res.volunteers, needs=res.needs,
            mult=res.mult, rounds=res.rounds, added_edges=res.added_edges,
        )
    vols, vol = compact_ids(left)
    needs, role = compact_ids(right)
    n_v, n_r = len(vols), len(needs)
    cap = np.minimum(right_capacity[needs], np.bincount(role, minlength=n_r)).astype(np.int64)
    n_pairs = int(min(n_v, cap.sum()))
    mult = n_pairs + 1
    wm = weight.astype(np.int64) * mult
    tie = tie_key(vol, role, TIE_BITS)
    mat, active = _top_k(vol, wm, n_v, k, tie)
    rows, wts, eid = _pad(mat, role, wm, n_r, tie)
    start = None
    if prices is not None:  # per original need, in units of the integer weights
        start = np.rint(np.asarray(prices, dtype=np.float64)[needs] * mult).astype(np.int64)
        start = np.clip(start, 0, int(wm.max()))
    state = AuctionState.new(rows, wts, eid, cap, price=start)
    # Rounds (bidding and repair) before giving up for the exact matching reduction.
    state.max_rounds = 3000 + n_v // 10 if max_rounds is None else max_rounds
    state.max_work = work_budget(len(left)) if max_work is None else max_work
    # A warm start begins near the end of the scaling: eps of one weight unit.
    eps0 = None if prices is None else mult
    if theta is None:
        theta = SCALING_THETA
        if cap.sum() >= AMPLE * n_v:
            eps0 = 1  # ample places: one phase at the final eps (see AMPLE)
    run_auction(state, max_weight=int(wm.max()), theta=theta, eps0=eps0)
    added = 0
    while True:
        m = np.flatnonzero(state.role_of >= 0)
        chosen = state.eid[m, state.col_of[m]]
        u = state.profit()
        bad = certify(vol, role, wm, chosen, u, state.price[:n_r], cap)
        if not len(bad):
            break
        if active[bad].any():
            raise RuntimeError("auction: an active edge violates the certificate")
        added += len(bad)
        active[bad] = True
        # Rebuild the candidate matrix with the new edges; keep prices and placements.
        idx = np.flatnonzero(active)
        av = vol[idx]
        deg = np.bincount(av, minlength=n_v)
        col = np.arange(len(idx)) - (np.cumsum(deg) - deg)[av]
        mat = np.full((n_v, int(deg.max())), -1, dtype=np.int64)
        mat[av, col] = idx
        old_e = np.where(state.role_of >= 0, state.eid[np.arange(n_v), state.col_of], -1)
        rows, wts, eid = _pad(mat, role, wm, n_r, tie)
        state.rows, state.wts, state.eid = rows, wts, eid
        state.build_csc()
        has = old_e >= 0
        state.col_of[has] = np.argmax(eid[has] == old_e[has, None], axis=1)
        again = np.unique(vol[bad])
        # (Scaling eps down again from the largest violation instead was tried: a
        # unit-capacity 10k city then ran out of its round budget.)
        state.release(again)
        state.flatten_bids()
        run_phase(state, 1, np.flatnonzero(state.role_of == -1))
    return FastResult(
        chosen=np.sort(chosen), volunteer_profit=u, need_price=state.price[:n_r].copy(),
        volunteers=vols, needs=needs, mult=mult, rounds=state.rounds, added_edges=added,
    )

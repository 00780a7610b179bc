"""Each volunteer's ``k`` best edges, without a sort of them all.

:func:`top_k_mask` picks them (pinned edges always, on top); :func:`keep_top_k` keeps
them in a problem; :func:`floors` gives each volunteer's k-th best weight after a
pruning, below which a later edge can never enter its ``k`` best.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ._exceptions import InvalidInputError
from ._numbering import compact_ids, tie_key
from ._problem import MatchProblem

__all__ = ["floors", "keep_top_k", "top_k_mask"]

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]

#: Weight bins of :func:`top_k_mask` (only the boundary bin is ranked exactly).
_TOP_K_BINS = 64


def floors(
    left: I64, weight: F64, pinned: NDArray[np.bool_] | None, n_left: int, k: int
) -> F64:
    """Per volunteer, the least weight of its unpinned edges where it has ``k`` of them
    (after pruning to its ``k`` best), else -inf."""
    if pinned is not None and pinned.any():
        left, weight = left[~pinned], weight[~pinned]
    least = np.full(n_left, np.inf)
    np.minimum.at(least, left, weight)
    least[np.bincount(left, minlength=n_left) < k] = -np.inf
    return least


def top_k_mask(
    edge_left: I64,
    weight: F64,
    k: int,
    *,
    n_left: int,
    pinned: NDArray[np.bool_] | None = None,
    edge_right: I64 | None = None,
) -> NDArray[np.bool_]:
    """Edges among their volunteer's ``k`` best by weight; pinned edges always, on top.

    Ties in weight are broken by a fixed pseudo-random key of the (volunteer, need) pair
    (:func:`matchkit._numbering.tie_key`), then by the lower need index (``edge_right``;
    without it, by the edge that comes first): where weights tie, volunteers do not all
    keep the same needs. Pinned edges are kept and do not count towards ``k``. The edges
    may come in any order.

    No full sort: weights are binned (a monotone map, so a bin holds a weight range),
    each volunteer's counts per bin give the bin where its ``k``-th best edge falls,
    edges in better bins are kept, worse ones dropped, and only the edges of that one
    boundary bin are ranked exactly.

    Examples
    --------
    >>> import numpy as np
    >>> top_k_mask(np.array([0, 0, 0, 1]), np.array([0.2, 0.9, 0.5, 0.1]), 2, n_left=2).tolist()
    [False, True, True, True]
    """
    n = edge_left.size
    right = np.arange(n) if edge_right is None else edge_right
    pin = None if pinned is None else np.asarray(pinned, dtype=bool)
    # The unpinned edges' positions; None for every edge (no index array of them all).
    free = np.flatnonzero(~pin) if pin is not None and pin.any() else None
    free_left = edge_left if free is None else edge_left[free]
    deg = np.bincount(free_left, minlength=n_left).astype(np.int32)
    over = deg.take(free_left) > k
    if free is None:
        keep = ~over
        rest = np.flatnonzero(over)
    else:
        assert pin is not None
        keep = pin.copy()
        keep[free[~over]] = True
        rest = free[over]
    if rest.size == 0:
        return keep
    # Bin 0 holds the heaviest weights. The map is monotone (equal weights share a bin).
    w = np.asarray(weight[rest], dtype=np.float64)  # (a copy: worked on in place below)
    lo, hi = float(w.min()), float(w.max())
    # The position of w in [lo, hi] as a fraction in [0, 1], by monotone steps only.
    # Halves keep the differences finite for any finite weights; a spread so small that
    # halving loses it cannot overflow unhalved.
    # (in place in the gathered weights: the same steps as ``(w * 0.5 - lo * 0.5) / span``
    # without a temporary per step)
    span = hi * 0.5 - lo * 0.5
    frac = w
    if span > 0:
        frac *= 0.5
        frac -= lo * 0.5
        frac /= span
    elif hi > lo:
        frac -= lo
        frac /= hi - lo
    else:
        frac[:] = 0.0
    # (clipped as floats, then truncated: the same bins as truncating first, and numpy's
    # float minimum is several times faster than its int64 one)
    frac *= _TOP_K_BINS - 1e-6
    np.minimum(frac, _TOP_K_BINS - 1, out=frac)
    b = frac.astype(np.int32)
    np.subtract(_TOP_K_BINS - 1, b, out=b)
    # Number the volunteers concerned 0..m-1, so the bin table is m x bins, not n_left.
    owners, who = compact_ids(edge_left[rest], n_left)
    m = owners.size
    counts = np.bincount(who * _TOP_K_BINS + b, minlength=m * _TOP_K_BINS)
    cum = np.cumsum(counts.reshape(m, _TOP_K_BINS), axis=1)
    # The bin where each volunteer's k-th best edge falls (each has more than k edges).
    boundary = np.argmax(cum >= k, axis=1)
    before = np.where(boundary > 0, cum[np.arange(m), np.maximum(boundary - 1, 0)], 0)
    bb = boundary[who]
    keep[rest[b < bb]] = True
    edge = np.flatnonzero(b == bb)
    if edge.size:
        sub = rest[edge]
        tie = tie_key(edge_left[sub], right[sub]) if edge_right is not None else right[sub]
        order = np.lexsort((right[sub], tie, -weight[sub], edge_left[sub]))
        owner = who[edge][order]
        first = np.searchsorted(owner, owner, side="left")
        rank = np.arange(order.size) - first
        keep[sub[order[rank < (k - before[owner])]]] = True
    return keep


def keep_top_k(problem: MatchProblem, k: int) -> MatchProblem:
    """A new problem with each volunteer's ``k`` best unpinned edges plus every pinned edge.

    Examples
    --------
    >>> import numpy as np, matchkit as mk
    >>> p = mk.MatchProblem.from_dense(np.array([[0.1, 0.9, 0.5]]))
    >>> keep_top_k(p, 1).edge_right.tolist()
    [1]
    """
    if k < 1:
        raise InvalidInputError(f"k must be an integer >= 1; got {k!r}")
    mask = top_k_mask(
        problem.edge_left,
        problem.weight,
        k,
        n_left=problem.n_left,
        pinned=problem.pinned,
        edge_right=problem.edge_right,
    )
    return problem.subset(mask)

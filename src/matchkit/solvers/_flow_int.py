"""Integer reduction of a MatchProblem for the flow method.

The flow method solves on integers so that its answer is exact. This module turns a
``MatchProblem`` into the free part of the problem (pinned edges removed, capacities
reduced by the pins, edges that cannot be used dropped) with int64 weights:

* integer-valued weights are kept as they are (``scale=1``), so the answer is exact;
* other weights are rounded to multiples of ``1/scale``: ``W = round(w * scale)``.
  The answer is optimal for the rounded weights, and its true weight is within
  ``(k_opt + k) / (2 * scale)`` of the float optimum, where ``k`` and ``k_opt`` are the
  numbers of free pairs chosen by it and by a float optimum (each at most
  ``min(sum of free volunteer capacity, sum of free need capacity)``). The automatic
  scale is a power of two that puts the largest ``|w|`` in ``[2**19, 2**20]`` when it is
  at most 1, and is 2**20 for larger weights, lowered as far as the exact range needs;
* ``objective="weight"``: edges with rounded weight ``<= 0`` are dropped (leaving a
  volunteer unmatched is worth 0, so they are never worth choosing);
* ``objective="cardinality"``: every usable edge stays. The weights are shifted first,
  ``W = round((w - min(w)) * scale)``, so only their range counts, and every edge gets
  ``W - min(W) + 1 + B`` with ``B = K * (max(W) - min(W) + 1)`` and ``K`` an upper bound on
  the number of chosen pairs. One more pair then always outweighs any difference in
  weight, and among assignments of equal size the order by weight is unchanged. The
  bonus takes about ``log2(K)`` bits of the exact range, so float weights are rounded
  more coarsely than under "weight" (a warning says so).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .._exceptions import InvalidInputError
from .._problem import MatchProblem
from .._threads import in_runs

__all__ = ["IntProblem", "integer_problem"]

IntArray = NDArray[np.int64]

# Largest integer weight the flow core accepts. Sums of up to 2**21 weights (and their
# dual prices) stay below 2**53, so they are exact in int64 and in float64 alike.
MAX_INT_WEIGHT = 2**31
#: The automatic scale puts the largest |weight| near 2**TOP_BITS (weights in [0, 1] get
#: 2**20), or keeps 2**TOP_BITS for larger weights, as far as the exact range allows.
TOP_BITS = 20
#: Largest automatic scale (2**960): weight units times the auction's multiplier stay
#: within float64. Only weights below about 1e-283 would need more.
_MAX_SCALE_EXP = 960
_OTHER_METHODS = "method='hungarian' or method='milp' (they work on the float weights)"

log = logging.getLogger("matchkit")


@dataclass(frozen=True)
class IntProblem:
    """The free part of a problem with integer weights.

    Attributes
    ----------
    kept : ndarray of int64 or None
        Positions (in the original problem) of the usable free edges, ascending; None
        when every edge is usable (no array of all positions is made: see :attr:`edges`).
    left, right : ndarray of int64
        Endpoints of those edges (volunteer and need indices of the original problem).
    weight : ndarray of int64
        Integer weight of each edge (after scaling and the objective transform), > 0.
    left_capacity, right_capacity : ndarray of int64
        Residual capacities, indexed like the original problem.
    scale : int
        Multiplier applied to the original weights before rounding.
    offset : int
        Weight added to every edge by the cardinality transform (0 for "weight").
    """

    kept: IntArray | None
    left: IntArray
    right: IntArray
    weight: IntArray
    left_capacity: IntArray
    right_capacity: IntArray
    scale: int
    offset: int

    @property
    def edges(self) -> IntArray:
        """Positions (in the original problem) of the usable free edges, ascending."""
        return np.arange(self.left.size, dtype=np.int64) if self.kept is None else self.kept

    def original(self, local: IntArray) -> IntArray:
        """Positions in the original problem of the edges at ``local`` positions here."""
        return local if self.kept is None else self.kept[local]


#: Weights scaled per slice (see :func:`integer_problem`).
_SLICE = 1 << 20


def _is_integral(w: NDArray[np.float64]) -> bool:
    head = w[:4096]  # float weights show it at once: no pass over all of them
    if not np.array_equal(head, np.round(head)):
        return False
    return bool(np.all(w == np.round(w))) and (w.size == 0 or float(np.abs(w).max()) < 2**53)


def _as_float(s: int) -> float:
    return float(s) if s < 2**1000 else math.inf


def _auto_scale(maxabs: float, integral: bool, fits: Callable[[int], bool]) -> int:
    """1 for whole numbers that fit; else the power of two that puts ``maxabs`` in
    [2**19, 2**20] when it is at most 1 (2**20 when larger), halved until it fits."""
    if integral and fits(1):
        return 1
    exp = math.frexp(maxabs)[1] if maxabs > 0 else 0  # maxabs < 2**exp
    bits = TOP_BITS - min(exp, 0)
    if bits > _MAX_SCALE_EXP:
        raise InvalidInputError(
            f"the weights are too small for the flow method to scale to integers (the "
            f"largest |weight| is {maxabs:g}); multiply them by a constant such as 1e100, "
            f"or use {_OTHER_METHODS}"
        )
    scale = 1 << bits
    while scale > 1 and not fits(scale):
        scale //= 2
    return scale


def _warn_if_count_costs_precision(scale: int, weight_scale: int, n_pairs: int) -> None:
    # Under "cardinality" the pair count takes log2(n_pairs) bits of the exact range.
    if scale < weight_scale:
        log.warning(
            "flow: objective='cardinality' rounds the float weights to multiples of 1/%d "
            "(the pair count uses the rest of the exact integer range; "
            "objective='weight' would round to 1/%d), so the total weight may fall short "
            "of the optimum by up to %.3g; for an exact answer on float weights use %s",
            scale, weight_scale, n_pairs / scale, _OTHER_METHODS,
        )


def _largest_fit(limit: int, largest: Callable[[int], float]) -> int:
    """The largest scale (0 if none) whose weights fit ``limit``."""
    fit = 1
    if largest(1) > limit:
        return 0
    while fit < 2**_MAX_SCALE_EXP and largest(fit * 2) <= limit:
        fit *= 2
    lo, hi = fit, fit * 2  # largest(lo) fits, largest(hi) does not
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if largest(mid) <= limit else (lo, mid)
    return lo


def _too_large(
    magnitude: float,
    scale: int,
    limit: int,
    largest: Callable[[int], float],
    objective: str,
) -> str:
    what = "weights up to" if objective == "weight" else "a weight range of"
    fit = _largest_fit(limit, largest)
    if fit:
        return (
            f"{what} {magnitude:g} times scale={scale} exceed the exact integer range of "
            f"the flow method ({limit} for this problem size); use scale={fit} or smaller"
        )
    return (
        f"{what} {magnitude:g} exceed the exact integer range of the flow method "
        f"({limit} for this problem size) even at scale=1, the smallest scale; use "
        f"{_OTHER_METHODS}, or divide the weights by a constant (flow then rounds them)"
    )


def _cardinality_too_large(
    needed: int, scale: int, limit: int, largest: Callable[[int], float]
) -> str:
    head = (
        f"objective='cardinality' needs integer weights up to {needed} (the weight range "
        f"at scale={scale} plus a bonus per pair larger than that range times the number "
        f"of pairs), beyond the exact range of the flow method ({limit} for this problem "
        "size)"
    )
    fit = _largest_fit(limit, largest) if scale > 1 else 0
    if fit:
        return f"{head}; use scale={fit} or smaller"
    return (
        f"{head}, even at scale=1, the smallest scale; use {_OTHER_METHODS}, or divide "
        "the weights by a constant (flow then rounds them)"
    )


def integer_problem(problem: MatchProblem, *, objective: str, scale: int | None) -> IntProblem:
    """Reduce ``problem`` to its free part with positive int64 weights.

    Parameters
    ----------
    problem : MatchProblem
        The problem to reduce.
    objective : {"weight", "cardinality"}
        What the solver maximises (see the module docstring).
    scale : int or None
        Multiplier for float weights. ``None``: 1 when every weight is a whole number
        that fits, otherwise the power of two that puts the largest ``|weight|`` (for
        "cardinality": the weight range) in ``[2**19, 2**20]`` when it is at most 1, or
        2**20 when larger, halved until the integers fit the exact range.

    Raises
    ------
    InvalidInputError
        If the scaled weights (or, for "cardinality", the transformed weights) do not
        fit the exact integer range; the message names a ``scale`` that fits, or the
        methods that take such weights when none does.

    Examples
    --------
    >>> import matchkit as mk
    >>> p = mk.MatchProblem.from_edges([0, 0, 1], [0, 1, 1], [2.5, -1.0, 4.0],
    ...                                n_left=2, n_right=2)
    >>> ip = integer_problem(p, objective="weight", scale=None)
    >>> ip.edges.tolist(), ip.weight.tolist(), ip.scale
    ([0, 2], [2621440, 4194304], 1048576)
    >>> every = integer_problem(mk.MatchProblem.from_edges([0, 1], [0, 0], [3.0, 2.0],
    ...                         n_left=2, n_right=1), objective="weight", scale=None)
    >>> every.kept is None, every.edges.tolist(), every.original(np.array([1])).tolist()
    (True, [0, 1], [1])

    Small weights keep the same relative resolution:

    >>> tiny = mk.MatchProblem.from_edges([0, 1], [0, 0], [3e-7, 1e-7], n_left=2, n_right=1)
    >>> t = integer_problem(tiny, objective="weight", scale=None)
    >>> t.weight.tolist(), t.scale == 2**41
    ([659707, 219902], True)
    """
    # Without pins (a first round), no mask of every edge is made unless a side without
    # room has edges: None stands for "every edge is usable".
    pins = bool(problem.pinned.any())
    if pins:
        lcap, rcap = problem.residual_capacities()
    else:
        lcap, rcap = problem.left_capacity.copy(), problem.right_capacity.copy()
    usable = ~problem.pinned if pins else None
    if problem.n_edges and not ((lcap > 0).all() and (rcap > 0).all()):
        # Sides without room usually have no edges at all (needs held back, volunteers
        # out of offers): the edge counts tell, without a pass over every edge.
        deg_l, deg_r = problem._degrees
        if ((lcap <= 0) & (deg_l > 0)).any() or ((rcap <= 0) & (deg_r > 0)).any():
            room = (lcap > 0)[problem.edge_left] & (rcap > 0)[problem.edge_right]
            usable = room if usable is None else usable & room
    every = usable is None or bool(usable.all())  # then no compressed copies
    w = problem.weight if every or usable is None else problem.weight[usable]
    w_max, w_min = (float(w.max()), float(w.min())) if w.size else (0.0, 0.0)
    maxabs = max(w_max, -w_min)  # (no |w| copy)
    # (capacities clipped to the edge count first: a sum of huge ones cannot overflow)
    n_pairs = int(min(np.minimum(lcap.clip(0), w.size).sum(),
                      np.minimum(rcap.clip(0), w.size).sum(), w.size))
    # Every sum of chosen weights (and of dual prices) must stay exact: <= 2**52.
    limit = min(MAX_INT_WEIGHT, 2**52 // max(n_pairs, 1))

    # "cardinality" rounds w - min(w): only the weight range matters there.
    shift = w_min if objective == "cardinality" else 0.0
    magnitude = maxabs if objective == "weight" else w_max - w_min

    def largest(s: int) -> float:
        """Bound on the largest integer weight the solver will see at scale ``s``."""
        if objective == "weight":
            return maxabs * _as_float(s)
        # round((w - min(w)) * s) lies in [0, span - 1], span <= (w_max - w_min) * s + 2
        # (one more for the float subtraction); every edge then gets 1 + K * span more,
        # so the largest is at most (K + 1) * span.
        return (n_pairs + 1) * ((w_max - w_min) * _as_float(s) + 3)

    integral = _is_integral(w)
    if scale is None:
        scale = _auto_scale(magnitude, integral, lambda s: largest(s) <= limit)
        if objective == "cardinality" and not integral:
            alone = _auto_scale(magnitude, integral, lambda s: magnitude * s <= limit)
            _warn_if_count_costs_precision(scale, alone, n_pairs)
    if magnitude * _as_float(scale) > limit:
        raise InvalidInputError(_too_large(magnitude, scale, limit, largest, objective))
    # Scaled and rounded into the int64 result slice by slice through a small buffer (a
    # temporary of every weight would fault 150 MB in at 19 M edges), on the worker
    # threads, each over its run of slices; each tells whether its weights are all > 0.
    wi = np.empty(w.shape, dtype=np.int64)
    fscale = float(scale)

    def scale_run(start: int, stop: int) -> bool:
        buf = np.empty(min(stop - start, _SLICE), dtype=np.float64)
        positive = True
        for a in range(start, stop, _SLICE):
            part = buf[: min(stop - a, _SLICE)]
            if shift:
                np.subtract(w[a : a + part.size], shift, out=part)
                np.multiply(part, fscale, out=part)
            else:
                np.multiply(w[a : a + part.size], fscale, out=part)
            np.rint(part, out=wi[a : a + part.size], casting="unsafe")
            positive = positive and bool(wi[a : a + part.size].min() > 0)
        return positive

    all_positive = all(in_runs(scale_run, w.size, _SLICE))
    edges = None if every or usable is None else np.flatnonzero(usable)
    offset = 0
    if objective == "weight":
        if not all_positive:
            keep = wi > 0
            edges = np.flatnonzero(keep) if edges is None else edges[keep]
            wi = wi[keep]
            every = False
    elif wi.size:
        lo, hi = int(wi.min()), int(wi.max())
        span = hi - lo + 1
        big = n_pairs * span
        if big + span > limit:
            raise InvalidInputError(
                _cardinality_too_large(big + span, scale, limit, largest)
            )
        offset = 1 - lo + big
        wi = wi + offset
    return IntProblem(
        kept=edges,
        left=problem.edge_left if every else problem.edge_left[edges],
        right=problem.edge_right if every else problem.edge_right[edges],
        weight=wi,
        left_capacity=lcap,
        right_capacity=rcap,
        scale=int(scale),
        offset=int(offset),
    )


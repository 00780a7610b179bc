"""``hungarian``: scipy's ``linear_sum_assignment`` on a capacity-cloned dense matrix."""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from .._exceptions import CapacityError, InvalidInputError, check_choice
from .._numbering import compact_ids
from .._problem import Assignment, MatchProblem

__all__ = ["HungarianSolver"]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

_OBJECTIVES = ("weight", "cardinality")
_COPIES = 3  # our matrix, scipy's negated copy, and its transposed copy (worst case)
_PER_EDGE = 6  # int64/float64 arrays per usable edge while the matrix is built


class HungarianSolver:
    """Exact maximum-weight b-matching through ``scipy.optimize.linear_sum_assignment``.

    Each volunteer becomes as many rows as it has places left, each need as many columns;
    a cell holds the pair's weight, and a zero cell means "unmatched". A volunteer and a
    need that could both take the same pair twice (both with two or more places) share a
    small gadget instead of a plain cell, so a pair is never chosen twice. The dense
    matrix grows with the product of the places on both sides: use it on small and
    medium problems, and ``method="flow"`` on large sparse ones.

    Parameters
    ----------
    max_bytes : int, default 2**31 (2 GiB)
        Memory limit. The estimate, checked before the matrix is allocated, is
        ``8 * (3 * rows * columns + 6 * edges)`` bytes: the float64 matrix, the copies
        scipy may make, and the per-edge arrays used to build it. Above it,
        :class:`~matchkit.CapacityError` is raised.

    Notes
    -----
    Under ``objective="weight"`` pairs with weight <= 0 are never chosen (staying
    unmatched is as good). Under ``"cardinality"`` every edge gets the bonus
    ``M = (k_max + 1) * (w_max - w_min)`` (1 when all weights are equal) on top of its
    weight shifted by ``w_min``, which makes one more pair worth more than any weight
    difference at any magnitude; the reported objective is still the plain sum of
    weights. Weights so large that the bonus (or a gadget's, ``2 * w + 1``)
    overflows float64 are refused with an :class:`~matchkit.InvalidInputError`. Among
    equally good assignments the one scipy returns is kept; it is deterministic for a
    given problem.

    Examples
    --------
    >>> import numpy as np, matchkit as mk
    >>> from matchkit.solvers import HungarianSolver
    >>> p = mk.MatchProblem.from_dense(np.array([[4.0, 1.0], [2.0, 3.0], [5.0, 0.5]]),
    ...                                right_capacity=[2, 1])
    >>> a = HungarianSolver().solve(p)
    >>> a.pairs.tolist(), a.objective
    ([[0, 0], [1, 1], [2, 0]], 12.0)
    >>> HungarianSolver(max_bytes=10).solve(p)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    matchkit.CapacityError: the hungarian method would build a 3 x 3 matrix ...
    """

    name: ClassVar[str] = "hungarian"

    def __init__(self, *, max_bytes: int = 2**31) -> None:
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, (int, np.integer)):
            raise InvalidInputError(
                f"The 'max_bytes' parameter of HungarianSolver must be a positive int. "
                f"Got {max_bytes!r}."
            )
        if max_bytes <= 0:
            raise InvalidInputError(
                f"The 'max_bytes' parameter of HungarianSolver must be a positive int. "
                f"Got {max_bytes!r}."
            )
        self.max_bytes = int(max_bytes)

    def __repr__(self) -> str:
        return f"HungarianSolver(max_bytes={self.max_bytes})"

    def solve(self, problem: MatchProblem, *, objective: str = "weight") -> Assignment:
        """Return a maximum-weight (or maximum-cardinality) assignment of ``problem``.

        Raises
        ------
        CapacityError
            If the cloned matrix would exceed ``max_bytes``.

        Examples
        --------
        >>> import numpy as np, matchkit as mk
        >>> p = mk.MatchProblem.from_dense(np.array([[3.0, 0.5], [2.0, -1.0]]))
        >>> mk.solve(p, method="hungarian").pairs.tolist()
        [[0, 0]]
        >>> mk.solve(p, method="hungarian", objective="cardinality").pairs.tolist()
        [[0, 1], [1, 0]]
        """
        check_choice(
            "objective", objective, _OBJECTIVES, caller="HungarianSolver.solve"
        )
        left_cap, right_cap = problem.residual_capacities()
        el, er, w = problem.edge_left, problem.edge_right, problem.weight
        usable = ~problem.pinned & (left_cap[el] > 0) & (right_cap[er] > 0)
        if objective == "weight":
            usable &= w > 0
        if usable.all():  # the common case: skip the gathers
            edges = None  # every edge, in order
            el_u, er_u, value = el, er, w.astype(np.float64)
        else:
            edges = np.flatnonzero(usable)
            el_u, er_u, value = el[edges], er[edges], w[edges].astype(np.float64)
        n_usable = len(value)
        if n_usable == 0:
            return Assignment.from_edges(problem, [], method=self.name)

        vols, cl = compact_ids(el_u, problem.n_left)
        needs, cr = compact_ids(er_u, problem.n_right)
        nv, nn = len(vols), len(needs)
        rk = np.minimum(left_cap[vols], np.bincount(cl, minlength=nv))
        rc = np.minimum(right_cap[needs], np.bincount(cr, minlength=nn))
        if rk.max() >= 2 and rc.max() >= 2:
            gadget = (rk[cl] >= 2) & (rc[cr] >= 2)
        else:
            gadget = np.zeros(n_usable, dtype=bool)
        n_rows, n_cols, n_g = int(rk.sum()), int(rc.sum()), int(gadget.sum())
        shape = (n_rows + n_g, n_cols + n_g)
        need_bytes = 8 * (_COPIES * shape[0] * shape[1] + _PER_EDGE * n_usable)
        if need_bytes > self.max_bytes:
            raise CapacityError(
                f"the hungarian method would build a {shape[0]} x {shape[1]} matrix "
                f"(about {need_bytes / 2**30:.2f} GiB with scipy's copies), over its limit "
                f"max_bytes={self.max_bytes}; use method='flow' (sparse, no cloning) or "
                "pass HungarianSolver(max_bytes=...) with a higher limit"
            )

        if objective == "cardinality":
            k_max = min(n_rows, n_cols)
            lo, hi = float(value.min()), float(value.max())
            with np.errstate(over="ignore"):
                spread = hi - lo
                # (relative to the range, not "+ 1": weights of 1e-15 stay apart)
                bonus = (k_max + 1) * spread if spread > 0 else 1.0
                fits = math.isfinite(k_max * (bonus + spread))
            if not fits:
                raise InvalidInputError(
                    f"objective='cardinality' gives every pair a bonus of (k_max + 1) * "
                    f"(w_max - w_min), with k_max = {k_max} pairs and weights from {lo:g} to "
                    f"{hi:g}, and sums of k_max such values overflow float64; divide the "
                    f"weights by a constant so that (k_max + 1)**2 * (w_max - w_min) stays "
                    "below 1e308, or use method='milp'"
                )
            value = bonus + (value - lo)
        if n_g and not math.isfinite(2.0 * float(value[gadget].max()) + 1.0):
            raise InvalidInputError(
                f"weights up to {float(value[gadget].max()):g} are too large for the pairs "
                "whose volunteer and need both have two or more places: their gadget needs a "
                "bonus of 2 * weight + 1, beyond float64; divide the weights by a constant, "
                "or use method='milp'"
            )

        if n_g == 0 and n_usable == nv * nn:
            # every (volunteer, need) pair, sorted row-major: the matrix is a reshape
            compact = value.reshape(nv, nn)
            direct = np.ones(n_usable, dtype=bool)
        else:
            compact = np.zeros((nv, nn))
            direct = ~gadget
            compact[cl[direct], cr[direct]] = value[direct]
        row_owner = np.repeat(np.arange(nv), rk)
        col_owner = np.repeat(np.arange(nn), rc)
        if n_g == 0:
            matrix = compact if n_rows == nv else compact[row_owner]
            matrix = matrix if n_cols == nn else matrix[:, col_owner]
        else:
            matrix = np.zeros(shape)
            matrix[:n_rows, :n_cols] = compact[row_owner][:, col_owner]
            _add_gadgets(
                matrix, n_rows, n_cols, cl[gadget], cr[gadget], value[gadget], rk, rc
            )
        del compact

        from scipy.optimize import linear_sum_assignment  # type: ignore[import-untyped,unused-ignore]

        try:
            rows, cols = linear_sum_assignment(matrix, maximize=True)
        except ValueError as exc:  # (sums beyond float64 in scipy)
            raise InvalidInputError(
                f"scipy's linear_sum_assignment failed on this problem ({exc}), with "
                f"matrix values up to {float(np.abs(matrix).max()):g}; divide the weights "
                "by a constant, or use method='milp'"
            ) from None
        chosen = matrix[rows, cols] > 0
        rows, cols = rows[chosen], cols[chosen]
        plain = (rows < n_rows) & (cols < n_cols)
        via_gadget = (rows < n_rows) & (cols >= n_cols)
        # a plain cell belongs to exactly one direct edge: look it up by (volunteer, need)
        picked = np.concatenate(
            [
                problem.edge_index(
                    vols[row_owner[rows[plain]]], needs[col_owner[cols[plain]]]
                ),
                (np.flatnonzero(gadget) if edges is None else edges[gadget])[
                    cols[via_gadget] - n_cols
                ],
            ]
        )
        return Assignment.from_edges(
            problem, picked, method=self.name, info={"matrix_shape": shape}
        )


def _add_gadgets(
    matrix: FloatArray,
    n_rows: int,
    n_cols: int,
    gl: IntArray,
    gr: IntArray,
    gv: FloatArray,
    rk: IntArray,
    rc: IntArray,
) -> None:
    """Write the gadget of each pair whose volunteer and need both have >= 2 places.

    Gadget ``g`` of pair (v, n) adds a row ``x_g`` and a column ``y_g``: every row of
    ``v`` may take ``y_g`` (the pair's value); ``x_g`` takes either ``y_g`` (pair unused)
    or one column of ``n`` (pair used), both worth a bonus larger than any value, so
    ``x_g`` is always matched and the pair is used at most once.
    """
    n_g = len(gl)
    bonus = 2.0 * float(gv.max()) + 1.0
    row_start = np.cumsum(rk) - rk
    col_start = np.cumsum(rc) - rc
    g = np.arange(n_g)
    # rows of v -> y_g
    k = rk[gl]
    r = np.repeat(row_start[gl] - (np.cumsum(k) - k), k) + np.arange(int(k.sum()))
    matrix[r, np.repeat(n_cols + g, k)] = np.repeat(gv, k)
    # x_g -> columns of n, and x_g -> y_g
    c = rc[gr]
    cc = np.repeat(col_start[gr] - (np.cumsum(c) - c), c) + np.arange(int(c.sum()))
    matrix[np.repeat(n_rows + g, c), cc] = bonus
    matrix[n_rows + g, n_cols + g] = bonus

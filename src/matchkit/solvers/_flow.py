"""The ``flow`` method: exact maximum-weight b-matching on large sparse problems.

See ``docs/flow.md`` for how it works, the exactness bound and measured figures.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from .._exceptions import InvalidInputError, check_choice
from .._problem import Assignment, MatchProblem
from ._flow_int import integer_problem
from ._flow_lapjv import solve_lapjv

__all__ = ["FlowSolver"]

_OBJECTIVES = ("weight", "cardinality")


class FlowSolver:
    """Exact maximum-weight b-matching (capacities on both sides, unmatched allowed).

    Parameters
    ----------
    scale : int or None, default None
        Float weights are solved exactly after rounding to multiples of ``1 / scale``.
        ``None`` keeps whole-number weights as they are (exact) and otherwise picks the
        largest power of two up to 2**20 that fits the exact integer range.

    Notes
    -----
    *Objective.* ``"weight"`` maximises the total weight of the chosen edges. Leaving a
    volunteer unmatched is worth 0, so an edge with weight <= 0 (after rounding) is never
    chosen. ``"cardinality"`` maximises the number of chosen pairs first and the total
    weight among those; edges with weight <= 0 may then be chosen.

    *Exactness.* Whole-number weights are solved exactly. Other weights are rounded to
    ``W = round(w * scale)``; the result is optimal for the rounded weights, and its true
    weight is within ``(k + k_opt) / (2 * scale)`` of the true optimum, where ``k`` and
    ``k_opt`` count the free (not pinned) pairs of the result and of a true optimum.

    *Pins.* Pinned edges are always in the result and use up capacity.

    *Determinism.* The same problem gives the same assignment: every step runs in a
    fixed order over volunteer and need indices, without randomness.

    Examples
    --------
    >>> import numpy as np, matchkit as mk
    >>> w = np.array([[4.0, 1.0], [3.0, 2.0], [5.0, 0.0]])
    >>> p = mk.MatchProblem.from_dense(w, right_capacity=[2, 1])
    >>> a = FlowSolver().solve(p)
    >>> a.pairs.tolist(), a.objective
    ([[0, 0], [1, 1], [2, 0]], 11.0)
    """

    name: ClassVar[str] = "flow"

    def __init__(self, *, scale: int | None = None) -> None:
        if scale is not None:
            if isinstance(scale, bool) or not isinstance(scale, (int, np.integer)):
                raise InvalidInputError(
                    f"The 'scale' parameter of FlowSolver must be a positive int or None. "
                    f"Got {scale!r}."
                )
            if scale < 1:
                raise InvalidInputError(
                    f"The 'scale' parameter of FlowSolver must be a positive int or None. "
                    f"Got {scale!r}."
                )
            scale = int(scale)
        self.scale = scale

    def __repr__(self) -> str:
        return f"FlowSolver(scale={self.scale!r})"

    def solve(self, problem: MatchProblem, *, objective: str = "weight") -> Assignment:
        """Solve ``problem`` exactly and return the chosen pairs (pins included).

        Parameters
        ----------
        problem : MatchProblem
            The problem; volunteers are rows ("left"), needs are columns ("right").
        objective : {"weight", "cardinality"}, default "weight"
            What to maximise (see the class Notes).

        Returns
        -------
        Assignment
            ``method="flow"``, ``status="optimal"``; ``info`` holds ``scale``.

        Examples
        --------
        >>> import matchkit as mk
        >>> p = mk.MatchProblem.from_edges([0, 1], [0, 0], [1.0, -1.0], n_left=2, n_right=1,
        ...                                right_capacity=2)
        >>> FlowSolver().solve(p).pairs.tolist()
        [[0, 0]]
        >>> FlowSolver().solve(p, objective="cardinality").pairs.tolist()
        [[0, 0], [1, 0]]
        """
        check_choice("objective", objective, _OBJECTIVES, caller="FlowSolver.solve")
        ip = integer_problem(problem, objective=objective, scale=self.scale)
        local = solve_lapjv(ip.left, ip.right, ip.weight, ip.left_capacity, ip.right_capacity)
        info: dict[str, Any] = {"scale": ip.scale, "backend": "lapjv"}
        return Assignment.from_edges(
            problem, ip.edges[local], method=self.name, status="optimal", info=info
        )

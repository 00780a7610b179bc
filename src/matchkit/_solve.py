"""``matchkit.solve``: pick a method, solve a MatchProblem, return an Assignment."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._exceptions import InvalidInputError, check_choice
from ._problem import Assignment, MatchProblem

if TYPE_CHECKING:
    from .solvers import Solver

__all__ = ["solve"]

OBJECTIVES = ("weight", "cardinality")


def solve(
    problem: MatchProblem, method: str | Solver = "flow", *, objective: str = "weight"
) -> Assignment:
    """Solve a matching problem with one of the registered methods.

    Parameters
    ----------
    problem : MatchProblem
        Volunteers are rows ("left"), needs are columns ("right").
    method : str or solver instance, default "flow"
        A name from :data:`matchkit.solvers.SOLVERS` (``"flow"``, ``"hungarian"``,
        ``"stable"``, ``"milp"``) or a configured solver such as
        ``matchkit.solvers.MilpSolver(groups=...)``. Options are given to the solver
        instance; there is no keyword passthrough. The default may change between
        versions.
    objective : {"weight", "cardinality"}, default "weight"
        ``"weight"``: maximise the total weight (pairs with weight <= 0 are never
        chosen). ``"cardinality"``: maximise the number of pairs, then the weight among
        those. The stable method accepts both and ranks by utilities either way.

    Returns
    -------
    Assignment
        Chosen pairs sorted by (volunteer, need), pinned pairs included, with the sum
        of their weights as ``objective``.

    Raises
    ------
    UnknownMethodError
        If ``method`` or ``objective`` is not a known name (the message lists them).
    InvalidInputError
        If ``problem`` is not a MatchProblem, or ``method`` neither a name nor a solver.

    Notes
    -----
    Minimum-cost perfect assignment (the classic assignment problem): with costs
    ``C`` of shape (n, n), solve ``MatchProblem.from_dense(C.max() + 1 - C)`` with
    ``objective="cardinality"``. Every row is then matched when a perfect assignment
    exists, and the minimum cost is ``n * (C.max() + 1) - assignment.objective``. Use
    ``method="hungarian"`` for float costs: ``flow`` rounds them, and under
    ``"cardinality"`` coarsely (docs/solvers.md).

    Examples
    --------
    >>> import numpy as np, matchkit as mk
    >>> p = mk.MatchProblem.from_dense(np.array([[4.0, 1.0], [2.0, 3.0]]))
    >>> a = mk.solve(p, method="hungarian")
    >>> a.pairs.tolist(), a.objective
    ([[0, 0], [1, 1]], 7.0)
    >>> cost = np.array([[4, 1, 3], [2, 0, 5], [3, 2, 2]])
    >>> b = mk.solve(mk.MatchProblem.from_dense(cost.max() + 1 - cost), method="hungarian",
    ...              objective="cardinality")
    >>> int(3 * (cost.max() + 1) - b.objective)
    5
    """
    from .solvers import SOLVERS, Solver

    if not isinstance(problem, MatchProblem):
        raise InvalidInputError(
            f"solve() needs a MatchProblem; got {type(problem).__name__}. Build one with "
            "MatchProblem.from_dense, MatchProblem.from_edges or matchkit.build_problem"
        )
    check_choice("objective", objective, OBJECTIVES, caller="solve")
    if isinstance(method, str):
        check_choice("method", method, tuple(SOLVERS), caller="solve")
        solver: Solver = SOLVERS[method]()
    elif isinstance(method, Solver) and not isinstance(method, type):
        solver = method
    else:
        raise InvalidInputError(
            f"The 'method' parameter of solve must be a method name "
            f"({', '.join(map(repr, SOLVERS))}) or a solver instance such as "
            f"matchkit.solvers.MilpSolver(); got {method!r}"
        )
    return solver.solve(problem, objective=objective)

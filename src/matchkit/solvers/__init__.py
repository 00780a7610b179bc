"""Solver backends for :func:`matchkit.solve`: one signature, a registry of names.

Every backend is a class with a registry ``name`` and a ``solve`` method::

    solver.solve(problem: MatchProblem, *, objective="weight") -> Assignment

Options are keyword-only constructor arguments, validated when the solver is built
(``HungarianSolver(max_bytes=...)``, ``StableSolver(proposing="need")``,
``MilpSolver(clashes=..., groups=..., min_share=...)``). ``matchkit.solve`` takes a
registry name or such a configured instance.

Registered methods: ``"flow"`` (the default; maximum-weight b-matching on large sparse
problems, exact on whole-number weights and with float weights rounded to about 2**-20
of the largest), ``"hungarian"`` (scipy's ``linear_sum_assignment`` on a cloned dense
matrix, on the float weights as they are), ``"stable"`` (deferred acceptance; a stable, not an optimal, matching) and
``"milp"`` (HiGHS, with side constraints a flow cannot express). The default may change
between versions and should not be relied on where the method matters. Each method
imports the parts of scipy it uses on first use, so importing matchkit stays quick.

Examples
--------
>>> from matchkit.solvers import SOLVERS, get_solver
>>> list(SOLVERS)
['flow', 'hungarian', 'stable', 'milp']
>>> get_solver("stable").name
'stable'
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, ClassVar, Protocol, TypeVar, runtime_checkable

from .._exceptions import InvalidInputError, check_choice

if TYPE_CHECKING:
    from .._problem import Assignment, MatchProblem

__all__ = [
    "SOLVERS",
    "FlowSolver",
    "Group",
    "HungarianSolver",
    "MilpSolver",
    "MinCostFlowResult",
    "MinShare",
    "Solver",
    "StableSolver",
    "blocking_pairs",
    "clashes_from_slots",
    "get_solver",
    "min_cost_flow",
    "register",
    "unregister",
]


@runtime_checkable
class Solver(Protocol):
    """What every backend provides.

    Attributes
    ----------
    name : str
        The registry name (class attribute), also written to ``Assignment.method``.

    Examples
    --------
    Any class with a ``name`` and a ``solve`` method is a solver (checked structurally):

    >>> import matchkit as mk
    >>> from matchkit.solvers import FlowSolver, Solver
    >>> class Nobody:
    ...     name = "nobody"
    ...     def solve(self, problem, *, objective="weight"):
    ...         return mk.Assignment.from_edges(problem, [], method=self.name)
    >>> isinstance(Nobody(), Solver), isinstance(FlowSolver(), Solver)
    (True, True)
    >>> p = mk.MatchProblem.from_dense([[4.0, 1.0], [2.0, 3.0]])
    >>> len(mk.solve(p, method=Nobody()))
    0
    """

    name: ClassVar[str]

    def solve(self, problem: MatchProblem, *, objective: str = "weight") -> Assignment:
        """Solve ``problem``; return the chosen pairs (pinned pairs included).

        Parameters
        ----------
        problem : MatchProblem
        objective : {"weight", "cardinality"}, default "weight"
            Maximise the total weight, or the number of pairs first (then the weight).

        Returns
        -------
        Assignment
            With ``method`` set to the solver's ``name``.

        Examples
        --------
        >>> import matchkit as mk
        >>> from matchkit.solvers import get_solver
        >>> p = mk.MatchProblem.from_dense([[4.0, 1.0], [2.0, 3.0]])
        >>> a = get_solver("flow").solve(p)
        >>> a.pairs.tolist(), a.objective, a.method
        ([[0, 0], [1, 1]], 7.0, 'flow')
        """
        ...


_REGISTRY: dict[str, type[Solver]] = {}
SOLVERS: Mapping[str, type[Solver]] = MappingProxyType(_REGISTRY)
"""Read-only view of the registry: method name -> solver class. Add with :func:`register`."""

S = TypeVar("S", bound=type)


def register(cls: S, *, replace: bool = False) -> S:
    """Add a solver class to the registry under its ``name`` (usable as a decorator).

    Parameters
    ----------
    cls : type
        A class with a string class attribute ``name`` and a ``solve`` method; it must
        be constructible without arguments (its defaults are what ``solve(problem,
        method=name)`` uses).
    replace : bool, default False
        Allow replacing a solver already registered under that name.

    Returns
    -------
    type
        ``cls`` itself, so ``@register`` works.

    Raises
    ------
    InvalidInputError
        If ``cls`` has no usable ``name`` or ``solve``, or the name is taken.

    Examples
    --------
    >>> from matchkit.solvers import SOLVERS, HungarianSolver, register
    >>> class Greedy(HungarianSolver):
    ...     name = "my-greedy"
    >>> register(Greedy) is Greedy, "my-greedy" in SOLVERS
    (True, True)
    >>> unregister("my-greedy") is Greedy, "my-greedy" in SOLVERS
    (True, False)
    """
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not name:
        raise InvalidInputError(
            f"{cls!r} cannot be registered: it needs a non-empty string class attribute 'name'"
        )
    if not callable(getattr(cls, "solve", None)):
        raise InvalidInputError(
            f"{cls!r} cannot be registered: it has no solve() method"
        )
    if name in _REGISTRY and _REGISTRY[name] is not cls and not replace:
        raise InvalidInputError(
            f"a solver named {name!r} is already registered ({_REGISTRY[name]!r}); "
            "pick another name or pass replace=True"
        )
    _REGISTRY[name] = cls
    return cls


def unregister(name: str) -> type[Solver]:
    """Remove the solver registered as ``name`` from the registry and return its class.

    Raises
    ------
    UnknownMethodError
        If ``name`` is not registered.

    Examples
    --------
    >>> from matchkit.solvers import HungarianSolver, register, unregister
    >>> class Mine(HungarianSolver):
    ...     name = "mine"
    >>> unregister(register(Mine).name) is Mine
    True
    """
    check_choice("name", name, tuple(_REGISTRY), caller="unregister")
    return _REGISTRY.pop(name)


def get_solver(name: str) -> Solver:
    """A default-configured instance of the solver registered as ``name``.

    Raises
    ------
    UnknownMethodError
        If ``name`` is not registered; the message lists every registered name.

    Examples
    --------
    >>> from matchkit.solvers import get_solver
    >>> get_solver("hungarian")
    HungarianSolver(max_bytes=2147483648)
    >>> get_solver("hungarain")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    matchkit.UnknownMethodError: The 'method' parameter of get_solver must be one of ...
    """
    check_choice("method", name, tuple(_REGISTRY), caller="get_solver")
    return _REGISTRY[name]()


from .._stability import blocking_pairs
from ._flow import FlowSolver
from ._hungarian import HungarianSolver
from ._mcf import MinCostFlowResult, min_cost_flow
from ._milp import Group, MilpSolver, MinShare, clashes_from_slots
from ._stable import StableSolver

for _cls in (FlowSolver, HungarianSolver, StableSolver, MilpSolver):
    register(_cls)
del _cls

"""Exceptions and warnings raised by matchkit.

The hierarchy::

    MatchkitError(Exception)
    ├── InvalidInputError(MatchkitError, ValueError)     bad input: data, arrays, arguments
    │   ├── InvalidDatasetError                          every problem found in a dataset,
    │   │                                                each with file / row / field / value
    │   ├── InvalidProblemError                          bad MatchProblem arrays (names the position)
    │   └── UnknownMethodError                           a choice argument outside its options
    ├── InfeasibleError(MatchkitError)                   only when the caller asked for completeness
    ├── CapacityError(MatchkitError)                     a method cannot hold the problem in memory
    └── DecisionError(MatchkitError, ValueError)         an accept / reject the ledger must refuse

    MatchkitWarning(UserWarning)
    └── DataWarning                                      input kept, but something was odd

Every message says what was wrong, where, and what to do about it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "CapacityError",
    "DataWarning",
    "DecisionError",
    "InfeasibleError",
    "InvalidDatasetError",
    "InvalidInputError",
    "InvalidProblemError",
    "MatchkitError",
    "MatchkitWarning",
    "Problem",
    "UnknownMethodError",
    "check_choice",
]


class MatchkitError(Exception):
    """Root of every error matchkit raises on purpose.

    Examples
    --------
    One ``except`` clause catches every deliberate error:

    >>> import matchkit as mk
    >>> from matchkit.datasets import tiny_city
    >>> try:
    ...     mk.match(tiny_city(), as_of="2026-09-01", method="fastest")
    ... except mk.MatchkitError as e:
    ...     print(type(e).__name__)
    UnknownMethodError
    """


class InvalidInputError(MatchkitError, ValueError):
    """The input (data, arrays or an argument) is not acceptable.

    It is also a ``ValueError``, so code that catches ``ValueError`` keeps working.

    Examples
    --------
    >>> import matchkit as mk
    >>> from matchkit.datasets import tiny_city
    >>> try:
    ...     mk.match(tiny_city(), as_of="yesterday")
    ... except mk.InvalidInputError as e:
    ...     print(str(e).split(":")[0], isinstance(e, ValueError))
    The 'as_of' parameter of match must be a date True
    """


class InvalidProblemError(InvalidInputError):
    """The arrays given to build a MatchProblem are inconsistent.

    Examples
    --------
    >>> import matchkit as mk
    >>> try:
    ...     mk.MatchProblem.from_dense([[1.0, float("nan")]])
    ... except mk.InvalidProblemError as e:
    ...     print(str(e).split(";")[0])
    weights[0, 1] = nan is not finite
    """


class UnknownMethodError(InvalidInputError):
    """A choice argument (a method, a format, an audience) is not one of its options.

    The message lists every valid option.

    Examples
    --------
    >>> import matchkit as mk
    >>> p = mk.MatchProblem.from_dense([[4.0, 1.0], [2.0, 3.0]])
    >>> try:
    ...     mk.solve(p, method="fastest")
    ... except mk.UnknownMethodError as e:
    ...     print(e)
    The 'method' parameter of solve must be one of 'flow', 'hungarian', 'stable', 'milp'. Got 'fastest'.
    """


class InfeasibleError(MatchkitError):
    """A complete assignment was required and none exists.

    Examples
    --------
    Two placements into a need with room for one cannot be had:

    >>> import matchkit as mk
    >>> from matchkit.solvers import MilpSolver, MinShare
    >>> p = mk.MatchProblem.from_dense([[4.0, 1.0], [2.0, 3.0]], right_ids=["park", "zoo"])
    >>> try:
    ...     mk.solve(p, method=MilpSolver(min_share=MinShare(["zoo"], count=2)))
    ... except mk.InfeasibleError as e:
    ...     print(str(e).split(" within")[0])
    no assignment satisfies MinShare over needs ['zoo'] (count >= 2)
    """


class CapacityError(MatchkitError):
    """The chosen method cannot hold this problem (for example in memory).

    Examples
    --------
    >>> import matchkit as mk
    >>> from matchkit.solvers import HungarianSolver
    >>> p = mk.MatchProblem.from_dense([[4.0, 1.0], [2.0, 3.0]])
    >>> try:
    ...     mk.solve(p, method=HungarianSolver(max_bytes=1))
    ... except mk.CapacityError as e:
    ...     print("max_bytes=1" in str(e), "method='flow'" in str(e))
    True True
    """


class DecisionError(MatchkitError, ValueError):
    """A decision (accept, reject, withdraw) that the ledger refuses; nothing was written.

    Examples
    --------
    >>> import matchkit as mk
    >>> with mk.Ledger(":memory:") as ledger:
    ...     _ = ledger.record_round([mk.Offer(volunteer_id="v1", need_id="n1", score=0.9,
    ...                                       capacity=1, max_placements=1)], at="2026-03-01")
    ...     _ = ledger.reject("v1", "n1", at="2026-03-02")
    ...     try:
    ...         ledger.accept("v1", "n1", at="2026-03-03")
    ...     except mk.DecisionError as e:
    ...         print(e, len(ledger))
    cannot accept volunteer 'v1' / need 'n1': the volunteer rejected it; a rejection is final 3
    """


class MatchkitWarning(UserWarning):
    """Root of matchkit's warnings. matchkit never changes the global warning filters.

    Examples
    --------
    Silence (or raise) every matchkit warning with one filter:

    >>> import warnings, matchkit as mk
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", mk.MatchkitWarning)
    ...     warnings.warn("an odd value", mk.DataWarning)  # ignored: a subclass
    >>> issubclass(mk.MatchkitWarning, UserWarning)
    True
    """


class DataWarning(MatchkitWarning):
    """The input was accepted, but part of it was odd (and was reported, not silently kept).

    Examples
    --------
    >>> import warnings, matchkit as mk
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warnings.warn("a volunteer's max_distance_km of 900 looks too large", mk.DataWarning)
    >>> [w.category.__name__ for w in caught]
    ['DataWarning']
    """


@dataclass(frozen=True)
class Problem:
    """One problem found in input data.

    Attributes
    ----------
    message : str
        What is wrong and what was expected.
    source : str
        The file (or the record kind, such as ``"volunteers"``) it was found in.
    row : int or None
        The line number in the file (1-based, header is line 1) or the record index.
    field : str or None
        The field (column) concerned.
    value : Any
        The offending value, if there is one.
    record_id : str or None
        The id of the record concerned, when known.

    Examples
    --------
    >>> import matchkit as mk
    >>> try:
    ...     mk.Dataset(needs=[{"id": "n1", "organisation_id": "o1", "title": "Walk dogs",
    ...                        "remote": True, "capacity": 0, "status": "open"}])
    ... except mk.InvalidDatasetError as e:
    ...     p = e.problems[0]
    >>> p.source, p.row, p.record_id, p.field, p.value
    ('needs', 0, 'n1', 'capacity', 0)
    >>> print(p)
    needs[0] (id 'n1'), field 'capacity': Input should be greater than or equal to 1 (got 0)
    """

    message: str
    source: str = ""
    row: int | None = None
    field: str | None = None
    value: Any = None
    record_id: str | None = None

    def __str__(self) -> str:
        where = self.source or "input"
        if self.row is not None:
            where += f", line {self.row}" if _is_file(self.source) else f"[{self.row}]"
        if self.record_id is not None:
            where += f" (id {self.record_id!r})"
        if self.field:
            where += f", field {self.field!r}"
        text = f"{where}: {self.message}"
        # (``is``/``isinstance``, not ``!=``: values such as pandas' NA or an array have
        # no truth value, and a message must never raise)
        if self.value is not None and not (isinstance(self.value, str) and self.value == ""):
            text += f" (got {_short(self.value)})"
        return text


def _is_file(source: str) -> bool:
    return "." in source.rsplit("/", 1)[-1]


def _short(value: Any, limit: int = 60) -> str:
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - a value whose repr raises still gets a message
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


class InvalidDatasetError(InvalidInputError):
    """A dataset (or a file of it) failed validation.

    ``problems`` lists every problem found, not only the first one.

    Examples
    --------
    >>> import matchkit as mk
    >>> try:
    ...     mk.Dataset(needs=[{"id": "n1"}])
    ... except mk.InvalidDatasetError as e:
    ...     print(len(e.problems), sorted(p.field for p in e.problems))
    4 ['capacity', 'organisation_id', 'status', 'title']
    """

    def __init__(self, problems: Iterable[Problem], *, context: str = "dataset") -> None:
        self.problems: list[Problem] = list(problems)
        shown = self.problems[:50]
        lines = [f"{context} is not valid: {len(self.problems)} problem(s) found"]
        lines += [f"  - {p}" for p in shown]
        if len(self.problems) > len(shown):
            lines.append(f"  ... and {len(self.problems) - len(shown)} more (see .problems)")
        super().__init__("\n".join(lines))


def check_choice(name: str, value: object, options: Sequence[str], *, caller: str) -> str:
    """Return ``value`` if it is one of ``options``; raise UnknownMethodError otherwise.

    The message follows one template: the parameter, the caller, every valid option, what came.
    """
    if isinstance(value, str) and value in options:
        return value
    listed = ", ".join(repr(o) for o in options)
    raise UnknownMethodError(
        f"The {name!r} parameter of {caller} must be one of {listed}. Got {value!r}."
    )

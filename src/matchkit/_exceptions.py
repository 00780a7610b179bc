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
    """Root of every error matchkit raises on purpose."""


class InvalidInputError(MatchkitError, ValueError):
    """The input (data, arrays or an argument) is not acceptable."""


class InvalidProblemError(InvalidInputError):
    """The arrays given to build a MatchProblem are inconsistent."""


class UnknownMethodError(InvalidInputError):
    """A choice argument (a method, a format, an audience) is not one of its options."""


class InfeasibleError(MatchkitError):
    """A complete assignment was required and none exists."""


class CapacityError(MatchkitError):
    """The chosen method cannot hold this problem (for example in memory)."""


class DecisionError(MatchkitError, ValueError):
    """A decision (accept, reject, withdraw) that the ledger refuses; nothing was written."""


class MatchkitWarning(UserWarning):
    """Root of matchkit's warnings. matchkit never changes the global warning filters."""


class DataWarning(MatchkitWarning):
    """The input was accepted, but part of it was odd (and was reported, not silently kept)."""


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
        if self.value is not None and self.value != "":
            text += f" (got {_short(self.value)})"
        return text


def _is_file(source: str) -> bool:
    return "." in source.rsplit("/", 1)[-1]


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class InvalidDatasetError(InvalidInputError):
    """A dataset (or a file of it) failed validation.

    ``problems`` lists every problem found, not only the first one.
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

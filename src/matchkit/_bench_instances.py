"""Seeded benchmark instances: the one place their generators live.

``matchkit bench`` and the scripts in ``benchmarks/`` draw their instances from here, so
a table in the docs can be reproduced exactly: every generator takes its size and a seed
and uses ``np.random.default_rng(seed)`` only.

Families (the peer study's instances, same seeds):

- ``dense_costs("uniform", n)``: dense n x n integer costs U[0, 1000], seed 1.
- ``dense_costs("ties", n)``: L1 distance between 8-dim skill profiles with levels 0..4
  (costs 0..32, low rank, many ties), seed 1.
- ``read_orlib(path)``: an OR-Library ``assign`` instance (n, then n*n costs).
- ``volunteer_problem(n, scarce=...)``: n volunteers (capacity 1), n/10 roles with
  capacity U[1, 20] (U[1, 5] when scarce: about 70 % stay unmatched), about 50 candidate
  roles per volunteer, integer scores U[0, 1000], seed 2.
- ``hospital_residents(n_res, n_hosp)``: each resident ranks 10 distinct random hospitals;
  hospitals rank applicants by a random score; capacities U[1, 2 n_res / n_hosp), seed 3.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ._exceptions import InvalidInputError, check_choice
from ._problem import MatchProblem

__all__ = [
    "HospitalResidents",
    "dense_costs",
    "fingerprint",
    "hospital_residents",
    "orlib_dirs",
    "read_orlib",
    "volunteer_problem",
]

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]


def fingerprint(*arrays: np.ndarray) -> str:
    """A short sha1 of the arrays' bytes: the same instance gives the same string.

    Examples
    --------
    >>> import numpy as np
    >>> fingerprint(np.arange(3)) == fingerprint(np.arange(3))
    True
    """
    h = hashlib.sha1()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(str((a.dtype.str, a.shape)).encode())
        h.update(a.tobytes())
    return h.hexdigest()[:12]


def dense_costs(kind: str, n: int, seed: int = 1) -> I64:
    """A dense (n, n) integer cost matrix: ``"uniform"`` U[0, 1000] or ``"ties"``.

    ``"ties"`` is the L1 distance between random 8-dimensional skill profiles with
    levels 0..4: costs 0..32, many equal entries, a non-trivial optimum.

    Examples
    --------
    >>> c = dense_costs("ties", 4)
    >>> c.shape, int(c.min()) >= 0, int(c.max()) <= 32
    ((4, 4), True, True)
    """
    check_choice("kind", kind, ("uniform", "ties"), caller="dense_costs")
    rng = np.random.default_rng(seed)
    if kind == "uniform":
        return rng.integers(0, 1001, (n, n)).astype(np.int64)
    a = rng.integers(0, 5, (n, 8))
    b = rng.integers(0, 5, (n, 8))
    out = np.zeros((n, n), dtype=np.int64)
    for k in range(8):  # one pass per dimension: no (n, n, 8) temporary
        out += np.abs(a[:, None, k] - b[None, :, k])
    return out


def orlib_dirs() -> list[Path]:
    """Folders searched for OR-Library files: ``$MATCHKIT_ORLIB``, ./tests/data, the repo's.

    Examples
    --------
    >>> all(isinstance(p, Path) for p in orlib_dirs())
    True
    """
    out: list[Path] = []
    env = os.environ.get("MATCHKIT_ORLIB")
    if env:
        out.append(Path(env))
    out.append(Path.cwd() / "tests" / "data")
    repo = Path(__file__).resolve().parents[2] / "tests" / "data"  # a source checkout
    if repo not in out:
        out.append(repo)
    return out


def read_orlib(path: str | os.PathLike[str]) -> I64:
    """Read an OR-Library ``assign`` file: n, then the n*n costs row by row.

    Raises
    ------
    InvalidInputError
        If the file does not hold n and then exactly n*n integers.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "assign2.txt"
    >>> _ = p.write_text("2\\n 1 2\\n 3 4\\n")
    >>> read_orlib(p).tolist()
    [[1, 2], [3, 4]]
    """
    tokens = Path(path).read_text().split()
    try:
        values = np.array([int(t) for t in tokens], dtype=np.int64)
    except ValueError as err:
        raise InvalidInputError(f"{path}: not an OR-Library assign file ({err})") from None
    if values.size == 0 or values.size != 1 + int(values[0]) ** 2:
        raise InvalidInputError(
            f"{path}: expected n and then n*n costs; got {values.size} numbers"
        )
    n = int(values[0])
    return values[1:].reshape(n, n)


def volunteer_problem(
    n_volunteers: int, *, scarce: bool = False, seed: int = 2, degree: int = 50
) -> MatchProblem:
    """The volunteer -> role family as a MatchProblem (integer weights, capacity 1 rows).

    Examples
    --------
    >>> p = volunteer_problem(100)
    >>> p.n_left, p.n_right, bool((p.weight == p.weight.round()).all())
    (100, 10, True)
    """
    rng = np.random.default_rng(seed)
    n_roles = max(1, n_volunteers // 10)
    cap = rng.integers(1, 6 if scarce else 21, n_roles)
    left = np.repeat(np.arange(n_volunteers, dtype=np.int64), degree)
    right = rng.integers(0, n_roles, len(left))
    score = rng.integers(0, 1001, len(left)).astype(np.float64)
    key = left * n_roles + right
    _, first = np.unique(key, return_index=True)  # drop duplicates, keep the first draw
    return MatchProblem.from_edges(
        left[first],
        right[first],
        score[first],
        n_left=n_volunteers,
        n_right=n_roles,
        left_capacity=1,
        right_capacity=cap,
    )


@dataclass(frozen=True)
class HospitalResidents:
    """A hospital/residents instance as edge arrays (residents are rows)."""

    left: I64
    right: I64
    resident_utility: F64
    hospital_utility: F64
    capacity: I64
    n_residents: int
    n_hospitals: int

    def problem(self) -> MatchProblem:
        """The instance as a MatchProblem (weights 1; preferences in the utilities)."""
        return MatchProblem.from_edges(
            self.left,
            self.right,
            np.ones(len(self.left)),
            n_left=self.n_residents,
            n_right=self.n_hospitals,
            right_capacity=self.capacity,
            left_utility=self.resident_utility,
            right_utility=self.hospital_utility,
        )


def hospital_residents(
    n_res: int, n_hosp: int, *, k: int = 10, seed: int = 3, scarce: bool = False
) -> HospitalResidents:
    """Each resident ranks ``k`` distinct random hospitals; hospitals rank by a random score.

    Capacities are U[1, 2 n_res / n_hosp) (places for about everyone), or U[1, 5] when
    ``scarce``.

    Examples
    --------
    >>> hr = hospital_residents(50, 10, k=3)
    >>> len(hr.left), hr.n_hospitals
    (150, 10)
    """
    if k > n_hosp:
        raise InvalidInputError(f"k={k} exceeds the number of hospitals ({n_hosp})")
    rng = np.random.default_rng(seed)
    draw = rng.integers(0, n_hosp, (n_res, 3 * k))
    order = np.argsort(draw, axis=1, kind="stable")
    sorted_draw = np.take_along_axis(draw, order, axis=1)
    dup_sorted = np.zeros(draw.shape, dtype=bool)
    dup_sorted[:, 1:] = sorted_draw[:, 1:] == sorted_draw[:, :-1]
    dup = np.empty_like(dup_sorted)
    np.put_along_axis(dup, order, dup_sorted, axis=1)
    keep = np.argsort(dup, axis=1, kind="stable")[:, :k]  # first k distinct, draw order
    pick = np.take_along_axis(draw, keep, axis=1)
    srt = np.sort(pick, axis=1)
    if (srt[:, 1:] == srt[:, :-1]).any():
        raise InvalidInputError("too few distinct hospitals drawn; use more hospitals or a smaller k")
    left = np.repeat(np.arange(n_res, dtype=np.int64), k)
    right = pick.reshape(-1).astype(np.int64)
    res_u = np.tile(np.arange(k, 0, -1), n_res).astype(np.float64)  # list order
    hosp_u = rng.permutation(len(left)).astype(np.float64)  # distinct scores
    caps = rng.integers(1, 6 if scarce else max(2, 2 * n_res // n_hosp), n_hosp)
    return HospitalResidents(left, right, res_u, hosp_u, caps.astype(np.int64), n_res, n_hosp)

"""Compact numbering of the ids that occur in an index array (no sort)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["compact_ids"]

IntArray = NDArray[np.int64]


def compact_ids(index: IntArray, n: int | None = None) -> tuple[IntArray, IntArray]:
    """The distinct values of ``index`` (ascending) and each entry's number among them.

    The same as ``np.unique(index, return_inverse=True)`` for non-negative integers below
    ``n`` (default: one more than the largest), in two linear passes instead of a sort.

    Examples
    --------
    >>> ids, pos = compact_ids(np.array([7, 2, 7, 5]))
    >>> ids.tolist(), pos.tolist()
    ([2, 5, 7], [2, 0, 2, 1])
    """
    index = np.asarray(index)
    if n is None:
        n = int(index.max()) + 1 if index.size else 0
    present = np.zeros(n, dtype=bool)
    present[index] = True
    number = np.cumsum(present, dtype=np.int64) - 1
    return np.flatnonzero(present).astype(np.int64), number[index]

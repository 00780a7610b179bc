"""Integer index helpers: compact numbering of ids, membership in a sorted key array."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["compact_ids", "group_order", "in_sorted"]

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


def in_sorted(keys: IntArray, sorted_keys: IntArray) -> NDArray[np.bool_]:
    """For each of ``keys``, whether it occurs in the ascending array ``sorted_keys``.

    Examples
    --------
    >>> in_sorted(np.array([3, 4, 9]), np.array([1, 3, 9])).tolist()
    [True, False, True]
    """
    keys = np.asarray(keys)
    if sorted_keys.size == 0:
        return np.zeros(keys.shape, dtype=bool)
    at = np.minimum(np.searchsorted(sorted_keys, keys), sorted_keys.size - 1)
    return sorted_keys[at] == keys  # type: ignore[no-any-return]


def group_order(keys: IntArray) -> IntArray:
    """``np.argsort(keys, kind="stable")`` for integer keys, faster where they are small.

    numpy sorts 16-bit integers stably by radix: six times faster on a million keys than
    int64 (a city's needs number thousands), so keys within ``0 .. 65535`` are sorted as
    such; others as they are. Already sorted keys are not sorted again.

    Examples
    --------
    >>> group_order(np.array([2, 0, 2, 1])).tolist()
    [1, 3, 0, 2]
    """
    keys = np.asarray(keys)
    if keys.size < 2 or not (keys[1:] < keys[:-1]).any():
        return np.arange(keys.size, dtype=np.int64)
    if keys.dtype.kind in "iu" and keys.min() >= 0 and keys.max() < 1 << 16:
        keys = keys.astype(np.uint16)
    return np.argsort(keys, kind="stable").astype(np.int64, copy=False)

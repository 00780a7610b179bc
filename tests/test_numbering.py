"""The integer index helpers against their numpy definitions."""

from __future__ import annotations

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st

from matchkit._numbering import compact_ids, group_order, in_sorted


@given(
    st.one_of(
        st.lists(st.integers(-3, 70_000), max_size=60),
        st.lists(st.integers(0, 5), min_size=20, max_size=200),  # many equal keys
        st.lists(st.sampled_from([0, 7, 65_535, 65_536]), max_size=80),  # the 16-bit edge
    ),
    st.sampled_from([np.int64, np.int32, np.uint32]),
    st.booleans(),
)
@example([65_536, 0, 65_535, 7, 0], np.int64, False)
@example([3, 1, 3, 1, 2, 1], np.int64, False)
def test_group_order_is_the_stable_argsort(raw: list[int], dtype: type, sort_first: bool) -> None:
    keys = np.array(raw, dtype=np.int64)
    if dtype is np.uint32:
        keys = np.abs(keys)
    keys = keys.astype(dtype)
    if sort_first:
        keys.sort()
    assert group_order(keys).tolist() == np.argsort(keys, kind="stable").tolist()


@given(st.lists(st.integers(0, 50), max_size=40))
def test_compact_ids_is_unique_with_inverse(raw: list[int]) -> None:
    index = np.array(raw, dtype=np.int64)
    ids, pos = compact_ids(index)
    want_ids, want_pos = np.unique(index, return_inverse=True)
    assert ids.tolist() == want_ids.tolist() and pos.tolist() == want_pos.tolist()


@given(st.lists(st.integers(0, 30), max_size=20), st.sets(st.integers(0, 30), max_size=20))
def test_in_sorted_is_membership(keys: list[int], pool: set[int]) -> None:
    sorted_keys = np.array(sorted(pool), dtype=np.int64)
    got = in_sorted(np.array(keys, dtype=np.int64), sorted_keys).tolist()
    assert got == [k in pool for k in keys]

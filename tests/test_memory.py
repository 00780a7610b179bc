"""The huge-page switch around heavy steps: restored afterwards, nested and threaded."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from matchkit import _memory
from matchkit._memory import no_hugepage_advice

multiarray = getattr(getattr(np, "_core", None) or np.core, "multiarray")  # noqa: B009
if not hasattr(multiarray, "_get_madvise_hugepage"):
    pytest.skip("this numpy has no huge-page switch", allow_module_level=True)


@pytest.fixture(autouse=True)
def _advice_on(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("NUMPY_MADVISE_HUGEPAGE", raising=False)
    before = multiarray._set_madvise_hugepage(True)
    yield
    multiarray._set_madvise_hugepage(before)


def test_off_inside_and_restored_after() -> None:
    with no_hugepage_advice():
        assert multiarray._get_madvise_hugepage() is False
        with no_hugepage_advice():
            assert multiarray._get_madvise_hugepage() is False
        assert multiarray._get_madvise_hugepage() is False  # the outer block still runs
    assert multiarray._get_madvise_hugepage() is True


def test_restored_after_an_error() -> None:
    with pytest.raises(ValueError, match="boom"), no_hugepage_advice():
        raise ValueError("boom")
    assert multiarray._get_madvise_hugepage() is True


def test_overlapping_threads_restore_it_once_the_last_leaves() -> None:
    inside = threading.Barrier(2)
    leave_first = threading.Event()
    seen: list[bool] = []

    def first() -> None:
        with no_hugepage_advice():
            inside.wait()
        leave_first.set()

    def second() -> None:
        with no_hugepage_advice():
            inside.wait()
            leave_first.wait()
            seen.append(multiarray._get_madvise_hugepage())  # the first has left

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == [False]
    assert multiarray._get_madvise_hugepage() is True


def test_the_users_choice_in_the_environment_is_left_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NUMPY_MADVISE_HUGEPAGE", "1")
    with no_hugepage_advice():
        assert multiarray._get_madvise_hugepage() is True


def test_heavy_steps_run_without_it() -> None:
    import matchkit as mk

    seen: list[bool] = []
    real = _memory._switch

    def spy():  # type: ignore[no-untyped-def]
        switch = real()
        seen.append(switch is not None)
        return switch

    ds = mk.datasets.tiny_city()
    _memory._switch = spy
    try:
        mk.match(ds, as_of="2026-06-01")
    finally:
        _memory._switch = real
    assert seen and all(seen)
    assert multiarray._get_madvise_hugepage() is True


def test_collection_paused_inside_and_resumed_after() -> None:
    import gc

    from matchkit._memory import collection_paused

    assert gc.isenabled()
    with collection_paused():
        assert not gc.isenabled()
        with collection_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ValueError, match="boom"), collection_paused():
        raise ValueError("boom")
    assert gc.isenabled()


def test_collection_left_off_when_the_application_turned_it_off() -> None:
    import gc

    from matchkit._memory import collection_paused

    gc.disable()
    try:
        with collection_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def _collections_during(fn: Any) -> tuple[Any, list[int]]:
    """fn() and the generations of the collections that ran while it did."""
    import gc

    walked: list[int] = []

    def note(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            walked.append(info["generation"])

    gc.callbacks.append(note)
    try:
        return fn(), walked
    finally:
        gc.callbacks.remove(note)


def _in_oldest_generation(dataset: Any) -> bool:
    import gc

    oldest = {id(o) for o in gc.get_objects(generation=2)}
    records = [dataset.volunteers[0], dataset.needs[-1], dataset.organisations[0]]
    return all(id(r) in oldest for r in records) and gc.get_count()[0] < 100


def test_a_generated_city_joins_the_oldest_generation_unwalked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A generated dataset's objects are filed with the oldest ones: the young
    collections that follow do not walk them (nor collect anything first)."""
    import gc

    monkeypatch.setattr(_memory, "MANY_YOUNG", 1000)  # (a small city has fewer)

    from matchkit.datasets import synthetic_city

    city, walked = _collections_during(lambda: synthetic_city(300, 30, seed=1))
    assert gc.isenabled()
    assert walked == []  # collection paused while it was made, none at the end
    assert _in_oldest_generation(city)


def test_a_loaded_dataset_joins_the_oldest_generation_unwalked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gc

    monkeypatch.setattr(_memory, "MANY_YOUNG", 1000)

    import matchkit as mk
    from matchkit.datasets import synthetic_city

    mk.save_dataset(synthetic_city(3000, 300, seed=2), tmp_path)
    loaded, walked = _collections_during(lambda: mk.load_dataset(tmp_path))
    assert gc.isenabled()
    assert walked == []  # 3,000 records and more: collections would have run
    assert _in_oldest_generation(loaded)
    assert loaded == synthetic_city(3000, 300, seed=2)
    # A failed load raises as before, with the collector on again.
    (tmp_path / "needs.csv").write_text("id\nn1\n", encoding="utf-8")
    with pytest.raises(mk.InvalidDatasetError):
        mk.load_dataset(tmp_path)
    assert gc.isenabled()


def test_a_dataset_of_dicts_joins_the_oldest_generation_unwalked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import gc

    import matchkit as mk
    from matchkit.datasets import synthetic_city

    monkeypatch.setattr(_memory, "MANY_YOUNG", 1000)
    records = synthetic_city(2000, 200, seed=3).to_records()
    made, walked = _collections_during(lambda: mk.Dataset.from_records(**records))
    assert walked == [] and gc.isenabled()
    assert _in_oldest_generation(made)


def test_few_young_objects_are_left_to_the_collector() -> None:
    """Below MANY_YOUNG nothing moves: frequent small calls must not keep the young
    collections from running (garbage cycles would then wait for a full collection)."""
    import gc

    from matchkit._memory import MANY_YOUNG, collection_paused, keep_as_old

    gc.collect()
    with collection_paused():
        young = [[i] for i in range(1000)]
        assert gc.get_count()[0] < MANY_YOUNG
        assert keep_as_old() is False
        assert gc.get_count()[0] >= 1000  # still young, for the next young collection
        assert keep_as_old(at_least=1000) is True
        assert gc.get_count()[0] < 10
    del young


def test_keep_as_old_leaves_the_applications_frozen_objects_alone() -> None:
    import gc

    from matchkit._memory import keep_as_old

    mine = [[i] for i in range(10)]
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        assert keep_as_old(at_least=0) is False
        assert gc.get_freeze_count() == frozen  # nothing thawed
    finally:
        gc.unfreeze()
    assert keep_as_old(at_least=0) is True
    assert gc.get_freeze_count() == 0
    assert gc.is_tracked(mine[0])


def test_match_leaves_the_collector_on() -> None:
    import gc

    import matchkit as mk

    mk.match(mk.datasets.tiny_city(), as_of="2026-06-01")
    assert gc.isenabled()


def _resident_bytes() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")  # pragma: no cover


def test_free_heap_pages_go_back_to_the_system() -> None:
    if _memory._malloc_trim() is None:
        pytest.skip("no glibc malloc_trim here")
    # 20,000 arrays of 16 kB live in the C heap (below the mmap threshold); one more
    # holds the heap's top, so freeing the others leaves them inside the heap.
    blocks = [np.ones(2048) for _ in range(20_000)]
    top = np.ones(2048)
    del blocks
    before = _resident_bytes()
    _memory.release_free_memory()
    assert before - _resident_bytes() > 100 * 2**20  # of the 320 MB freed
    assert float(top.sum()) == 2048.0  # live arrays are untouched


def test_release_is_a_no_op_without_glibc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_memory, "_malloc_trim", lambda: None)
    _memory.release_free_memory()


def test_one_heap_is_asked_for_unless_the_environment_chose(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert _memory.share_the_main_heap() is False  # glibc read the user's choice
    monkeypatch.delenv("MALLOC_ARENA_MAX")
    glibc = _memory._malloc_trim() is not None
    assert _memory.share_the_main_heap() is glibc
    monkeypatch.setattr(_memory.sys, "platform", "darwin")
    assert _memory.share_the_main_heap() is False


def test_the_command_line_asks_for_one_heap(monkeypatch: pytest.MonkeyPatch) -> None:
    from matchkit import cli

    calls: list[bool] = []
    monkeypatch.setattr(_memory, "share_the_main_heap", lambda: calls.append(True) or True)
    assert cli.main(["schema"]) == 0 and calls == [True]

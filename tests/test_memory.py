"""The huge-page switch around heavy steps: restored afterwards, nested and threaded."""

from __future__ import annotations

import threading

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


def test_match_leaves_the_collector_on() -> None:
    import gc

    import matchkit as mk

    mk.match(mk.datasets.tiny_city(), as_of="2026-06-01")
    assert gc.isenabled()

"""Worker threads: runs of slices and a step beside another."""

from __future__ import annotations

import threading
from itertools import pairwise

import pytest

import matchkit as mk
from matchkit._threads import in_runs, meanwhile


@pytest.mark.parametrize("threads", ["1", "2", "3"])
def test_runs_cover_every_slice_once_in_order(monkeypatch: pytest.MonkeyPatch, threads: str) -> None:
    monkeypatch.setenv("MATCHKIT_THREADS", threads)
    for n, step in [(0, 4), (1, 4), (10, 4), (12, 4), (1000, 7)]:
        runs = in_runs(lambda lo, hi: (lo, hi), n, step)
        assert runs[0][0] == 0 and runs[-1][1] == n
        assert all(a[1] == b[0] for a, b in pairwise(runs))
        assert all(lo % step == 0 for lo, _ in runs)


@pytest.mark.parametrize("threads", ["1", "2"])
def test_meanwhile_gives_the_result_or_the_error(monkeypatch: pytest.MonkeyPatch, threads: str) -> None:
    monkeypatch.setenv("MATCHKIT_THREADS", threads)
    where: list[str] = []

    def work(x: int) -> int:
        where.append(threading.current_thread().name)
        return x * 2

    got = meanwhile(work, 21)
    assert got() == 42 and got() == 42  # (asked twice: ran once)
    assert where == (["MainThread"] if threads == "1" else ["matchkit-meanwhile"])

    def fail() -> None:
        raise mk.InvalidInputError("bad")

    with pytest.raises(mk.InvalidInputError, match="bad"):  # (at once with one thread)
        pending = meanwhile(fail)
        pending()

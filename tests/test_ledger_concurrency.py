"""Several real processes decide on one ledger file at the same moment.

Nothing may be lost (every decision a process saw succeed is in the file) and no need or
volunteer may end over capacity, however the processes interleave.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import random
import time
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from matchkit import DecisionError, InvalidInputError, Ledger, Offer

N_PROCS = 6
N_PRIVATE = 25
HOT_CAPACITY = 3
MULTI_MAX = 2


def _offer(v: str, n: str, cap: int = 1, maxp: int = 1) -> Offer:
    return Offer(
        volunteer_id=v, need_id=n, score=0.5, capacity=cap, max_placements=maxp
    )


def _child(path: str, proc: int, barrier: Any, results: Any) -> None:
    """One process: its own pairs, plus pairs every process fights over, in a shuffled order."""
    ops: list[tuple[str, str, str]] = [
        ("accept", f"p{proc}-v{j}", f"p{proc}-n{j}") for j in range(N_PRIVATE)
    ]
    ops += [
        ("accept", f"h{proc}", "hot"),  # six volunteers, three places
        ("accept", "s", "shared"),  # everyone accepts the same pair
        (
            "accept" if proc % 2 == 0 else "reject",
            "c",
            "contested",
        ),  # half accept, half reject
        ("accept", "m", f"m{proc}"),  # one volunteer who takes at most two placements
    ]
    rng = random.Random(proc)
    rng.shuffle(ops)
    out = []
    with Ledger(path, timeout=60) as ledger:
        barrier.wait()
        for verb, v, n in ops:
            time.sleep(rng.random() * 0.004)  # let the others in between our decisions
            try:
                event = getattr(ledger, verb)(v, n)
                out.append((verb, v, n, "ok", event.seq))
            except DecisionError as err:
                out.append((verb, v, n, "refused", str(err)))
    results.put((proc, out))


@pytest.fixture
def ledger_file(tmp_path: Path) -> str:
    path = tmp_path / "shared.sqlite"
    offers = [
        _offer(f"p{p}-v{j}", f"p{p}-n{j}")
        for p in range(N_PROCS)
        for j in range(N_PRIVATE)
    ]
    offers += [_offer(f"h{p}", "hot", cap=HOT_CAPACITY) for p in range(N_PROCS)]
    offers += [_offer("s", "shared"), _offer("c", "contested")]
    offers += [
        _offer("m", f"m{p}", cap=N_PROCS, maxp=MULTI_MAX) for p in range(N_PROCS)
    ]
    with Ledger(path) as ledger:
        ledger.record_round(offers)
    return str(path)


def _run(path: str) -> dict[int, list[tuple[Any, ...]]]:
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(N_PROCS)
    results = ctx.Queue()
    procs = [
        ctx.Process(target=_child, args=(path, p, barrier, results))
        for p in range(N_PROCS)
    ]
    for p in procs:
        p.start()
    collected = dict(results.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    return collected


def test_processes_deciding_at_once_lose_nothing_and_never_overfill(
    ledger_file: str,
) -> None:
    collected = _run(ledger_file)
    outcomes = [r for rows in collected.values() for r in rows]

    with Ledger(ledger_file) as ledger:
        state = ledger.state()
        decisions = [
            e for e in ledger.events() if e.kind.value in ("accepted", "rejected")
        ]
        assert ledger.integrity_check() == "ok"

    # every decision a process saw committed is in the file, under the seq it was given
    by_seq = {e.seq: e for e in decisions}
    for verb, v, n, result, detail in outcomes:
        if result == "ok":
            e = by_seq[detail]
            assert (e.kind.value, e.volunteer_id, e.need_id) == (verb + "ed", v, n)

    # private pairs: all accepted, nothing lost
    private = {
        (f"p{p}-v{j}", f"p{p}-n{j}") for p in range(N_PROCS) for j in range(N_PRIVATE)
    }
    assert private <= state.placements

    # the last places: exactly the capacity, and the winners are the processes told "ok"
    hot = {(v, n) for v, n in state.placements if n == "hot"}
    hot_ok = {(v, n) for verb, v, n, r, _ in outcomes if n == "hot" and r == "ok"}
    assert len(hot) == HOT_CAPACITY and hot == hot_ok
    refusals = [d for _, _, n, r, d in outcomes if n == "hot" and r == "refused"]
    assert len(refusals) == N_PROCS - HOT_CAPACITY
    assert all("the need is full (3 of 3 places taken" in d for d in refusals)

    # the same pair accepted by everyone: one event, every process told "ok"
    assert sum(1 for e in decisions if e.need_id == "shared") == 1
    assert all(r == "ok" for _, _, n, r, _ in outcomes if n == "shared")

    # accept against reject on one pair: one decision wins, the other side is refused
    contested = [e for e in decisions if e.need_id == "contested"]
    assert len(contested) == 1
    winner = contested[0].kind.value[:-2]  # "accept" or "reject"
    for verb, _, n, result, _ in outcomes:
        if n == "contested":
            assert result == ("ok" if verb == winner else "refused")

    # one volunteer, six needs, at most two placements
    assert sum(1 for v, _ in state.placements if v == "m") == MULTI_MAX
    assert Counter(r for _, v, _, r, _ in outcomes if v == "m") == {
        "ok": MULTI_MAX,
        "refused": N_PROCS - MULTI_MAX,
    }

    # and no need or volunteer over capacity anywhere
    for need, k in state.placements_per_need.items():
        assert k <= state.capacity[need]
    for vol, k in state.placements_per_volunteer.items():
        assert k <= state.max_placements[vol]


def _rounds_child(path: str, proc: int, barrier: Any, results: Any) -> None:
    barrier.wait()  # everyone opens the file that does not exist yet, at once
    with Ledger(path, timeout=60) as ledger:
        rnd = ledger.record_round(
            [_offer(f"r{proc}-v{j}", f"r{proc}-n{j}") for j in range(20)]
        )
        for j in range(0, 20, 2):
            ledger.accept(f"r{proc}-v{j}", f"r{proc}-n{j}")
    results.put((proc, rnd))


def test_processes_creating_one_file_and_recording_rounds_at_once(
    tmp_path: Path,
) -> None:
    path = str(tmp_path / "fresh.sqlite")
    n = 4
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(n), ctx.Queue()
    procs = [
        ctx.Process(target=_rounds_child, args=(path, p, barrier, results))
        for p in range(n)
    ]
    for p in procs:
        p.start()
    rounds = dict(results.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    assert sorted(rounds.values()) == list(range(1, n + 1))
    with Ledger(path) as ledger:
        state = ledger.state()
        assert ledger.integrity_check() == "ok"
    assert [(r.number, r.n_offers) for r in state.rounds] == [
        (k, 20) for k in range(1, n + 1)
    ]
    for proc, rnd in rounds.items():
        assert state.round_counts[rnd] == {"offered": 20, "accepted": 10}
        assert {
            (f"r{proc}-v{j}", f"r{proc}-n{j}") for j in range(0, 20, 2)
        } <= state.placements


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_ledger_object_copied_into_a_forked_process_keeps_what_the_copy_wrote(
    tmp_path: Path,
) -> None:
    """A web server that preloads the app (and its Ledger) then forks its workers: the
    parent closing its connection must not lose what a worker wrote through its copy."""
    path = tmp_path / "forked.sqlite"
    ledger = Ledger(path)
    ledger.record_round([_offer("v1", "n1"), _offer("v2", "n2")], at="2026-09-01")
    read_end, write_end = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # (fork with threads about)
        pid = os.fork()
    if pid == 0:  # the worker: waits until the parent has closed its own connection
        code = 1
        try:
            os.close(write_end)
            os.read(read_end, 1)
            ledger.accept("v1", "n1", at="2026-09-02")
            with ledger.batch():
                ledger.reject("v2", "n2", at="2026-09-02")
            code = 0  # (and ends without closing, as a worker process often does)
        finally:
            os._exit(code)
    os.close(read_end)
    ledger.close()
    os.write(write_end, b"x")
    os.close(write_end)
    _both_decisions_kept(pid, path)


def _both_decisions_kept(pid: int, path: Path) -> None:
    """The forked worker ``pid`` ended well, and the file holds the parent's acceptance and
    the worker's rejection, intact."""
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    with Ledger(path) as again:
        state = again.state(as_of="2026-09-03")
        assert again.integrity_check() == "ok"
    assert state.placements == {("v1", "n1")} and state.rejected == {("v2", "n2")}


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_worker_s_decisions_survive_the_parent_closing_its_ledger_later(
    tmp_path: Path,
) -> None:
    """The worker decides while the parent's ledger is still open, then again once the
    parent has closed it: the parent, taking itself for the last user, removed the log
    the worker was writing to, and the worker's second decision was lost."""
    path = tmp_path / "forked.sqlite"
    ledger = Ledger(path)
    ledger.record_round([_offer("v1", "n1"), _offer("v2", "n2")], at="2026-09-01")
    worker_read, parent_write = os.pipe()
    parent_read, worker_write = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # (fork with threads about)
        pid = os.fork()
    if pid == 0:
        code = 1
        try:
            ledger.accept("v1", "n1", at="2026-09-02")
            os.write(worker_write, b"x")
            os.read(worker_read, 1)  # (the parent has closed its ledger)
            ledger.reject("v2", "n2", at="2026-09-02")
            code = 0
        finally:
            os._exit(code)
    os.read(parent_read, 1)
    assert ledger.state(as_of="2026-09-03").placements == {("v1", "n1")}  # (opened again)
    ledger.close()
    os.write(parent_write, b"x")
    _both_decisions_kept(pid, path)


def _decide_sent(ledger: Ledger, results: Any) -> None:
    """A worker that was sent the Ledger object itself (pickled)."""
    event = ledger.accept("v1", "n1", at="2026-09-02")
    ledger.close()
    results.put(event.seq)


def test_a_ledger_sent_to_a_spawned_process_opens_its_own_connection(tmp_path: Path) -> None:
    import pickle

    path = tmp_path / "sent.sqlite"
    with Ledger(path, timeout=12) as ledger:
        ledger.record_round([_offer("v1", "n1")], at="2026-09-01")
        copy = pickle.loads(pickle.dumps(ledger))
        assert (copy.path, copy._store.timeout) == (str(path), 12)
        copy.close()
        ctx = mp.get_context("spawn")
        results = ctx.Queue()
        worker = ctx.Process(target=_decide_sent, args=(ledger, results))
        worker.start()
        assert results.get(timeout=120) == 3
        worker.join(timeout=60)
        assert worker.exitcode == 0
        assert ledger.state(as_of="2026-09-03").placements == {("v1", "n1")}
    with pytest.raises(InvalidInputError, match=r"in-memory ledger .* cannot be sent"):
        pickle.dumps(Ledger(":memory:"))


def test_a_ledger_opened_by_a_relative_path_is_opened_again_at_the_same_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sent to another process, or opened again after a fork, once the working folder has
    changed: the relative path named another file, and a new empty ledger was made there."""
    import pickle

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(tmp_path)
    with Ledger("matches.sqlite") as ledger:
        ledger.record_round([_offer("v1", "n1")], at="2026-09-01")
        monkeypatch.chdir(elsewhere)
        with pickle.loads(pickle.dumps(ledger)) as copy:
            assert len(copy) == 2
        if hasattr(os, "fork"):  # (the connection is closed for the fork, then reopened)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                pid = os.fork()
            if pid == 0:
                os._exit(0)
            os.waitpid(pid, 0)
            assert ledger.accept("v1", "n1", at="2026-09-02").seq == 3
        assert ledger.path == "matches.sqlite"
    assert list(elsewhere.iterdir()) == []

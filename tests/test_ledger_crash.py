"""A process writing decisions is killed (SIGKILL) at random moments, many times.

After every kill the ledger must open, replay, pass ``PRAGMA integrity_check``, hold every
decision the killed process reported as committed, and hold each round whole or not at all.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from matchkit import Ledger

pytestmark = pytest.mark.skipif(
    not hasattr(signal, "SIGKILL"), reason="needs POSIX SIGKILL"
)

N_KILLS = 20

# The child writes rounds and decisions in a loop and prints a line after each commit.
CHILD = r"""
import sys
from matchkit import Ledger

path, life = sys.argv[1], sys.argv[2]
ledger = Ledger(path)
print("ready", flush=True)
i = 0
while True:
    need = f"L{life}-n{i}"
    size = 200 if i % 2 == 0 else 10  # every other round is big: a long transaction to land in
    vols = [f"L{life}-v{i}-{j}" for j in range(size)]
    print(f"begin {size}", flush=True)
    rnd = ledger.record_round(
        [{"volunteer_id": v, "need_id": need, "score": 0.5, "capacity": size,
          "max_placements": 1} for v in vols]
    )
    print(f"round {rnd} {size}", flush=True)
    for j, v in enumerate(vols[:8]):
        if j % 4 == 0:
            ledger.reject(v, need)
            print(f"rejected {v} {need}", flush=True)
        else:
            ledger.accept(v, need)
            print(f"accepted {v} {need}", flush=True)
            if j % 4 == 1:
                ledger.withdraw(v, need, by="volunteer")
                print(f"withdrawn {v} {need}", flush=True)
    i += 1
"""


def _check(path: Path, reported: list[str]) -> None:
    """Open the ledger after a kill and check it against what the children reported."""
    with Ledger(path) as ledger:
        assert ledger.integrity_check() == "ok"
        state = ledger.state()  # replays every event: raises if the log is inconsistent
        events = list(ledger.events())
    decisions = {(e.kind.value, e.volunteer_id, e.need_id) for e in events}
    offered_per_round = Counter(e.round for e in events if e.kind.value == "offered")
    for r in state.rounds:  # a round is whole or absent, never half-written
        assert offered_per_round[r.number] == r.n_offers
    for line in reported:
        kind, *rest = line.split()
        if kind == "begin":
            continue
        if kind == "round":
            rnd, size = int(rest[0]), int(rest[1])
            assert offered_per_round[rnd] == size, f"reported round {rnd} is missing"
        else:
            assert (kind, rest[0], rest[1]) in decisions, (
                f"reported {line!r} is missing"
            )


def test_killed_writer_leaves_every_committed_decision(tmp_path: Path) -> None:
    path = tmp_path / "crash.sqlite"
    rng = random.Random(20260301)
    all_reported: list[str] = []
    deadline = time.monotonic() + 120
    for life in range(N_KILLS):
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(path), str(life)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None
        first = child.stdout.readline()
        if first != "ready\n":
            child.kill()
            pytest.fail(f"child did not start: {first!r} {child.communicate()[1]}")
        time.sleep(rng.uniform(0.02, 0.2))
        os.kill(child.pid, signal.SIGKILL)
        out, err = child.communicate(timeout=30)
        assert child.returncode == -signal.SIGKILL, f"child ended on its own: {err}"
        reported = [ln for ln in out.splitlines(keepends=True) if ln.endswith("\n")]
        reported = [ln.strip() for ln in reported if ln.strip()]
        all_reported += reported
        _check(path, all_reported)  # what earlier lives committed is still there too
        assert time.monotonic() < deadline, "the crash test is taking too long"
    assert sum(ln.startswith("round") for ln in all_reported) >= 1
    assert sum(ln.startswith("accepted") for ln in all_reported) >= 1

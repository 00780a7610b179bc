"""Ledger timings: a 100k-offer round, replaying the state, single decisions, JSONL export.

Seeded instance: ``n_offers`` offers spread over ``n_volunteers`` volunteers and
``n_needs`` needs, then ``n_decisions`` accepts/rejects, each its own durable transaction.
Run: ``python benchmarks/bench_ledger.py [--offers 100000]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

from matchkit import DecisionError, Ledger, Offer


class Clock:
    """Wall and CPU seconds of a block (the CPU figure is steadier on a busy machine)."""

    def __enter__(self) -> Clock:  # noqa: PYI034
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu

    def __str__(self) -> str:
        return f"{self.wall:.2f} s wall, {self.cpu:.2f} s CPU"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--offers", type=int, default=100_000)
    ap.add_argument("--volunteers", type=int, default=100_000)
    ap.add_argument("--needs", type=int, default=10_000)
    ap.add_argument("--decisions", type=int, default=300)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()

    rng = np.random.default_rng(args.seed)
    vol = rng.choice(
        args.volunteers, size=args.offers, replace=args.offers > args.volunteers
    )
    need = rng.integers(0, args.needs, size=args.offers)
    pairs = sorted(set(zip(vol.tolist(), need.tolist())))
    score = rng.random(len(pairs))
    offers = [
        Offer(
            volunteer_id=f"v{v}",
            need_id=f"n{n}",
            score=float(s),
            capacity=10,
            max_placements=3,
        )
        for (v, n), s in zip(pairs, score)
    ]
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.sqlite"
        with Ledger(path) as ledger:
            with Clock() as c:
                ledger.record_round(offers, at="2026-03-02")
            print(f"record_round: {len(offers):,} offers in {c}")

            with Clock() as c:
                state = ledger.state(as_of="2026-03-03")
            print(
                f"state(): {state.n_events:,} events replayed in {c} "
                f"({len(state.open_offers):,} open offers)"
            )

            picks = rng.choice(
                len(pairs), size=min(args.decisions, len(pairs)), replace=False
            )
            t = time.perf_counter()
            refused = 0
            for k, i in enumerate(picks.tolist()):
                v, n = f"v{pairs[i][0]}", f"n{pairs[i][1]}"
                try:
                    if k % 3:
                        ledger.accept(v, n, at="2026-03-04")
                    else:
                        ledger.reject(v, n, at="2026-03-04")
                except DecisionError:
                    refused += 1
            dt = time.perf_counter() - t
            print(
                f"decisions: {len(picks)} in {dt:.2f} s = {1000 * dt / len(picks):.1f} ms each "
                f"(durable commit each; {refused} refused over capacity)"
            )

            with Clock() as c:
                state = ledger.state(as_of="2026-03-05")
            print(f"state() again, {len(picks)} events later (incremental): {c}")

            with Ledger(path) as fresh, Clock() as c:
                fresh.state(as_of="2026-03-05")
            print(f"state() of a freshly opened ledger (full replay): {c}")

            more = [
                Offer(
                    volunteer_id=f"w{i}",
                    need_id=f"n{i % args.needs}",
                    score=0.5,
                    capacity=10,
                    max_placements=3,
                )
                for i in range(1000)
            ]
            with Clock() as c:
                ledger.record_round(more, at="2026-03-05")
            print(
                f"record_round: 1,000 more offers on a {state.n_events:,}-event log in {c}"
            )

            with Clock() as c:
                n_expired = ledger.expire("2026-03-20")
            print(f"expire(): {n_expired:,} offers in {c}")

            with Clock() as c:
                state = ledger.state(as_of="2026-03-21")
            print(f"state() after: {state.n_events:,} events in {c}")

            out = Path(tmp) / "events.jsonl"
            with Clock() as c:
                n = ledger.export_jsonl(out)
            print(
                f"export_jsonl: {n:,} events in {c}, {out.stat().st_size / 1e6:.1f} MB"
            )
            with Clock() as c:
                again = Ledger.replay(out, as_of="2026-03-21")
            print(f"Ledger.replay(JSONL): {c}; same state: {again == state}")
        print(f"file: {path.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()

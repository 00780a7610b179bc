"""Warm re-planning after rejections against a cold solve of the same state.

Round 1 proposes on a synthetic city; 10 % of its offers are then rejected. The same
ledger state is re-planned three times, in one process, on copies of the ledger file:

- warm: the service that ran round 1 goes on: its ledger is still open (it has read
  every event already) and ``match(ds, ledger=ledger, previous=round1)`` reuses round 1's
  scored pairs and policy checks, and re-plans only the free capacity;
- warm, reopened: the same, but the ledger is opened again first, so all its events are
  read again (a re-plan in a new process that kept round 1's result);
- cold: a new process: ``match(ds, ledger=copy)`` on a freshly opened copy scores every
  pair again and re-plans from scratch.

All three must make the same offers (checked). Printed: seconds of each, and the ratios.

    python benchmarks/bench_replan.py            # 10k x 1k and 100k x 10k
    python benchmarks/bench_replan.py --quick    # 10k x 1k only
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path

import numpy as np

import matchkit as mk
from matchkit.datasets import DEFAULT_AS_OF, synthetic_city


def _copy_ledger(src: Path, dst: Path) -> None:
    """A consistent copy of a ledger file that is still open (SQLite's online backup)."""
    with closing(sqlite3.connect(src)) as a, closing(sqlite3.connect(dst)) as b:
        a.backup(b)


def run(
    n_volunteers: int,
    n_needs: int,
    seed: int = 3,
    reject_share: float = 0.10,
    top_k: int | None = None,
) -> dict[str, float]:
    ds = synthetic_city(n_volunteers, n_needs, seed=seed)
    at = f"{DEFAULT_AS_OF}T07:00:00+00:00"
    times: dict[str, float] = {}
    # What is compared, kept from each re-plan; the results themselves are dropped at
    # once, so that no measurement runs beside another's 18 M-edge problem (a service
    # holds its previous round only, and a cold start a new process's memory).
    pairs: dict[str, list[tuple[str, str]]] = {}
    objective: dict[str, float] = {}
    backend = ""

    def keep(name: str, result: mk.MatchResult) -> None:
        nonlocal backend
        pairs[name] = sorted((p.volunteer_id, p.need_id) for p in result.new_proposals)
        objective[name] = result.assignment.objective
        backend = str(result.assignment.info.get("backend", ""))
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "round1.sqlite"
        with mk.Ledger(base) as ledger:
            t = time.perf_counter()
            first = mk.match(ds, ledger=ledger, as_of=DEFAULT_AS_OF, top_k=top_k)
            t_first = time.perf_counter() - t
            rng = np.random.default_rng(seed)
            offers = first.new_proposals
            pick = rng.choice(len(offers), size=round(reject_share * len(offers)), replace=False)
            with ledger.batch():
                for i in sorted(pick.tolist()):
                    ledger.reject(offers[i].volunteer_id, offers[i].need_id, at=f"{DEFAULT_AS_OF}T06:00:00+00:00")
            copies = {name: Path(tmp) / f"{name}.sqlite" for name in ("cold", "reopened")}
            for path in copies.values():
                _copy_ledger(base, path)
            for name in ("cold", "reopened"):
                with mk.Ledger(copies[name]) as other:
                    t = time.perf_counter()
                    result = mk.match(
                        ds,
                        ledger=other,
                        as_of=DEFAULT_AS_OF,
                        previous=first if name == "reopened" else None,
                        at=at,
                        top_k=top_k,
                    )
                    times[name] = time.perf_counter() - t
                    keep(name, result)
                    del result
            t = time.perf_counter()
            result = mk.match(
                ds, ledger=ledger, as_of=DEFAULT_AS_OF, previous=first, at=at, top_k=top_k
            )
            times["warm"] = time.perf_counter() - t
            keep("warm", result)
            del result
        assert pairs["warm"] == pairs["cold"] == pairs["reopened"], "the re-plans differ"
        for name in ("warm", "reopened"):
            assert abs(objective[name] - objective["cold"]) < 1e-6
    warm_pairs = pairs["warm"]
    return {
        "volunteers": n_volunteers,
        "needs": n_needs,
        "edges": first.problem.n_edges,
        "round1_offers": len(offers),
        "rejected": len(pick),
        "replanned_offers": len(warm_pairs),
        "first_s": t_first,
        "cold_s": times["cold"],
        "warm_s": times["warm"],
        "reopened_s": times["reopened"],
        "ratio": times["warm"] / times["cold"],
        "reopened_ratio": times["reopened"] / times["cold"],
        "backend": backend,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10k x 1k only")
    parser.add_argument("--only-large", action="store_true", help="100k x 10k only")
    parser.add_argument("--top-k", type=int, default=None, help="keep each volunteer's k best pairs")
    args = parser.parse_args(argv)
    sizes = [(10_000, 1_000)] if args.quick else [(10_000, 1_000), (100_000, 10_000)]
    if args.only_large:
        sizes = [(100_000, 10_000)]
    if args.top_k:
        print(f"(top_k={args.top_k}: each volunteer's {args.top_k} best pairs)")
    print(
        "| city | pairs | round-1 offers | rejected | re-planned offers | flow backend "
        "| cold (s) | warm (s) | warm / cold | warm, reopened (s) | reopened / cold |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for nv, nn in sizes:
        r = run(nv, nn, top_k=args.top_k)
        print(
            f"| {nv:,} x {nn:,} | {r['edges']:,} | {r['round1_offers']:,} | {r['rejected']:,} | "
            f"{r['replanned_offers']:,} | {r['backend']} | {r['cold_s']:.2f} | {r['warm_s']:.2f} | {r['ratio']:.2f}x "
            f"| {r['reopened_s']:.2f} | {r['reopened_ratio']:.2f}x |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

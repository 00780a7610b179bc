"""Warm re-planning after rejections against a cold solve of the same state.

Round 1 proposes on a synthetic city; 10 % of its offers are then rejected. The same
ledger state is re-planned twice, on two copies of the ledger file, in one process:

- warm: ``match(ds, ledger=copy_a, previous=round1)`` reuses round 1's scored pairs and
  re-plans only the free capacity;
- cold: ``match(ds, ledger=copy_b)`` scores every pair again and re-plans from scratch.

Both must make the same offers (checked). Printed: seconds of each, and the ratio.

    python benchmarks/bench_replan.py            # 10k x 1k and 100k x 10k
    python benchmarks/bench_replan.py --quick    # 10k x 1k only
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import matchkit as mk
from matchkit.datasets import DEFAULT_AS_OF, synthetic_city


def run(
    n_volunteers: int,
    n_needs: int,
    seed: int = 3,
    reject_share: float = 0.10,
    top_k: int | None = None,
) -> dict[str, float]:
    ds = synthetic_city(n_volunteers, n_needs, seed=seed)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "round1.sqlite"
        with mk.Ledger(base) as ledger:
            t = time.perf_counter()
            first = mk.match(ds, ledger=ledger, as_of=DEFAULT_AS_OF, top_k=top_k)
            t_first = time.perf_counter() - t
            rng = np.random.default_rng(seed)
            offers = first.new_proposals
            pick = rng.choice(len(offers), size=round(reject_share * len(offers)), replace=False)
            for i in sorted(pick.tolist()):
                ledger.reject(offers[i].volunteer_id, offers[i].need_id, at=f"{DEFAULT_AS_OF}T06:00:00+00:00")
        copies = {}
        for name in ("warm", "cold"):
            copies[name] = Path(tmp) / f"{name}.sqlite"
            shutil.copy(base, copies[name])
        at = f"{DEFAULT_AS_OF}T07:00:00+00:00"
        times = {}
        results = {}
        for name in ("cold", "warm"):
            with mk.Ledger(copies[name]) as ledger:
                t = time.perf_counter()
                results[name] = mk.match(
                    ds,
                    ledger=ledger,
                    as_of=DEFAULT_AS_OF,
                    previous=first if name == "warm" else None,
                    at=at,
                    top_k=top_k,
                )
                times[name] = time.perf_counter() - t
        warm_pairs = sorted((p.volunteer_id, p.need_id) for p in results["warm"].new_proposals)
        cold_pairs = sorted((p.volunteer_id, p.need_id) for p in results["cold"].new_proposals)
        assert warm_pairs == cold_pairs, "warm and cold re-plans differ"
        assert abs(results["warm"].assignment.objective - results["cold"].assignment.objective) < 1e-6
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
        "ratio": times["warm"] / times["cold"],
        "backend": str(results["warm"].assignment.info.get("backend", "")),
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
    print("| city | pairs | round-1 offers | rejected | re-planned offers | flow backend | cold (s) | warm (s) | warm / cold |")
    print("|---|---|---|---|---|---|---|---|---|")
    for nv, nn in sizes:
        r = run(nv, nn, top_k=args.top_k)
        print(
            f"| {nv:,} x {nn:,} | {r['edges']:,} | {r['round1_offers']:,} | {r['rejected']:,} | "
            f"{r['replanned_offers']:,} | {r['backend']} | {r['cold_s']:.2f} | {r['warm_s']:.2f} | {r['ratio']:.2f}x |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

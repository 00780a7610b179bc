"""How long matchkit.datasets.synthetic_city takes, at 10k x 1k and 100k x 10k.

Run: ``python benchmarks/bench_city.py`` (``--quick`` for the small size only).

For each size it prints the best of ``--repeat`` generations, and for comparison the
time to validate the same records from scratch (``Dataset.from_records(to_records())``),
which is what building the city through pydantic validation would cost.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import matchkit as mk
from matchkit.datasets import synthetic_city

SIZES = ((10_000, 1_000), (100_000, 10_000))


def best_of(repeat: int, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(*args, **kwargs)
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="only the 10k x 1k city")
    args = parser.parse_args()
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cpus, "
          f"python {platform.python_version()}, matchkit {mk.__version__}")
    print(f"{'volunteers':>10} {'needs':>7} {'orgs':>5} {'generate s':>11} {'validate s':>11} {'ratio':>6}")
    for n_v, n_n in SIZES[:1] if args.quick else SIZES:
        repeat = args.repeat if n_v <= 10_000 else max(1, args.repeat - 1)
        t_gen, city = best_of(repeat, synthetic_city, n_v, n_n, seed=args.seed)
        records = city.to_records()
        t_val, again = best_of(1, mk.Dataset.from_records, **records)
        assert again == city, "re-validated city differs from the generated one"
        print(f"{n_v:>10,} {n_n:>7,} {len(city.organisations):>5,} {t_gen:>11.2f} {t_val:>11.2f} "
              f"{t_val / t_gen:>6.1f}")


if __name__ == "__main__":
    main()

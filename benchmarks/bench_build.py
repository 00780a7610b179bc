"""Benchmark build_problem: candidate pairs scored per second, build time, peak memory.

Instances are ``matchkit.datasets.synthetic_city`` (seeded). The larger city keeps the
density of the smaller one: its radius grows with the square root of its size.

Run::

    python benchmarks/bench_build.py                 # 10k x 1k and 100k x 10k
    python benchmarks/bench_build.py --sizes 10k     # only the small one
    python benchmarks/bench_build.py --top-k 50      # also with top_k

Targets: at least 10 million candidate pairs scored per second on one core; 100k x 10k
built in at most 5 s with at most 2 GB peak on a 2-core machine. The rate is that of
the build's own step per chunk of candidates (``score_chunk``: the rules, the scores,
the key and utilities it keeps) run chunk after chunk on one thread, against the
candidates it is given. The per-stage figures run on one thread; ``build_problem`` scores chunks on worker threads
(``MATCHKIT_THREADS``, default: the CPUs, at most 4). The timings are wall-clock
(``perf_counter``) and CPU time of this process (``process_time``). Peak memory is measured by ``tracemalloc`` in a
separate run (numpy reports its buffers to it) and by the process's peak RSS.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import resource
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

import matchkit as mk
from matchkit._build import _threads, score_chunk
from matchkit._candidates import candidate_chunks
from matchkit._encode import encode, popcount
from matchkit._memory import heavy_step
from matchkit._rules_filter import filter_pairs
from matchkit._scoring import components, utilities
from matchkit.datasets import DEFAULT_AS_OF, synthetic_city

SIZES = {"10k": (10_000, 1_000, 12.0), "100k": (100_000, 10_000, 12.0 * math.sqrt(10))}
SEED = 7


def timed(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    """Run ``fn`` as build_problem runs its stages (huge-page advice off, collection
    paused); return (result, wall seconds, cpu seconds)."""
    gc.collect()
    with heavy_step():
        w, c = time.perf_counter(), time.process_time()
        out = fn()
        return out, time.perf_counter() - w, time.process_time() - c


def peak_traced(fn: Callable[[], Any]) -> float:
    gc.collect()
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**30


def bare_kernel(enc: Any, v: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Three components and a weighted sum, nothing else: the reference kernel of the target."""
    inter = popcount(enc.v_interests[v, 0] & enc.n_causes[n, 0]).astype(np.float64)
    d = np.sqrt(
        ((enc.v_xyz[v, 0] - enc.n_xyz[n, 0]) ** 2)
        + ((enc.v_xyz[v, 1] - enc.n_xyz[n, 1]) ** 2)
    )
    sched = popcount(enc.v_availability[v] & enc.n_slots[n]).astype(np.float64)
    return 0.4 * inter + 0.3 * d + 0.3 * sched


def bench(label: str, nv: int, nn: int, radius: float, top_k: int | None) -> None:
    day = DEFAULT_AS_OF
    ds, gw, _ = timed(lambda: synthetic_city(nv, nn, seed=SEED, radius_km=radius))
    print(
        f"\n== {label}: synthetic_city({nv}, {nn}, seed={SEED}, radius_km={radius:.1f}) "
        f"generated in {gw:.1f} s"
    )

    enc, ew, ec = timed(lambda: encode(ds))
    chunks, cw, cc = timed(lambda: list(candidate_chunks(enc, day)))
    n_cand = sum(c.v.size for c in chunks)
    n_local = sum(c.v.size for c in chunks if not c.remote)
    weights = mk.Weights()
    # The rate: the build's own work per chunk (rules, scores, the key and the two
    # utilities it keeps), chunk after chunk on this thread, every result kept as the
    # build keeps them.
    scored, _, rc = timed(
        lambda ch=chunks: [score_chunk(enc, c, day, weights) for c in ch]
    )
    scored.clear()
    # The same split in two stages, for where the time goes (each stage keeps its
    # results, the rules' for the scores).
    kept, fw, fc = timed(
        lambda ch=chunks: [filter_pairs(enc, c.v, c.n, day, skip=c.checked) for c in ch]
    )
    n_edges = sum(k[0].size for k in kept)
    _, sw, sc = timed(
        lambda ke=kept: [utilities(components(enc, *k), weights) for k in ke]
    )
    # The reference kernel on the same chunks of candidates as the pipeline (on all
    # 30 M at once its temporaries alone would not fit in cache-sized pieces).
    _, _, bc = timed(lambda ch=chunks: [bare_kernel(enc, c.v, c.n) for c in ch])
    chunks.clear()
    kept.clear()

    print(f"encode            {ew:6.2f} s wall {ec:6.2f} s cpu")
    print(
        f"blocking          {cw:6.2f} s wall {cc:6.2f} s cpu  -> {n_cand:,} candidate pairs "
        f"({n_local:,} in person, {n_cand - n_local:,} remote)"
    )
    print(
        f"hard rules        {fw:6.2f} s wall {fc:6.2f} s cpu  -> {n_edges:,} acceptable "
        f"({n_edges / nv:.1f} per volunteer)"
    )
    print(f"scoring           {sw:6.2f} s wall {sc:6.2f} s cpu")
    rate = n_cand / max(rc, 1e-9)
    rate_all = n_cand / max(cc + rc, 1e-9)
    bare = n_cand / max(bc, 1e-9)
    print(
        f"candidate pairs scored per cpu-second (rules + scoring, the build's chunk "
        f"step on one thread, {rc:.2f} s cpu): {rate / 1e6:6.1f} M/s "
        f"(target 10 M/s: x{rate / 10e6:.2f})"
    )
    print(
        f"  ... including blocking:                               {rate_all / 1e6:6.1f} M/s"
    )
    print(
        f"  bare 3-component kernel on the same pairs:            {bare / 1e6:6.1f} M/s "
        f"(full / bare = {rate / bare:.2f})"
    )

    for k in (None, top_k) if top_k else (None,):
        rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
        p, pw, pc = timed(lambda k=k: mk.build_problem(ds, as_of=day, top_k=k))
        rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
        n_e = p.n_edges
        del p
        peak = peak_traced(lambda k=k: mk.build_problem(ds, as_of=day, top_k=k))
        tag = "build_problem" + (f"(top_k={k})" if k else "")
        print(
            f"{tag:28s} {pw:6.2f} s wall {pc:6.2f} s cpu, {n_e:,} edges; peak traced "
            f"{peak:.2f} GB, process peak RSS {rss1:.2f} GB (was {rss0:.2f} GB before)"
        )
        if label == "100k":
            print(
                f"  targets: time <= 5 s: x{5 / max(pw, 1e-9):.2f} (wall, scoring on "
                f"{_threads()} thread(s)), x{5 / max(pc, 1e-9):.2f} (cpu), "
                f"peak <= 2 GB: x{2 / max(peak, 1e-9):.2f}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", nargs="+", choices=sorted(SIZES), default=["10k", "100k"]
    )
    parser.add_argument("--top-k", type=int, default=None)
    args = parser.parse_args()
    load = os.getloadavg()
    print(
        f"matchkit {mk.__version__}, numpy {np.__version__}, {os.cpu_count()} cpus, "
        f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}"
    )
    for label in args.sizes:
        nv, nn, radius = SIZES[label]
        bench(label, nv, nn, radius, args.top_k)


if __name__ == "__main__":
    main()

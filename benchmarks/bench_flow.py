"""Benchmark: matchkit's flow method against OR-Tools SimpleMinCostFlow.

The volunteer family: V volunteers (capacity 1), R roles with capacity U[1, 20], about
50 candidate roles per volunteer (duplicates dropped), integer score U[0, 1000], seed 2.
The scarce variant gives roles capacity U[1, 5], so about 70% of volunteers stay
unmatched. Both solvers run in this one process on the same seeded instances; their
objectives must be equal. Times are the best of ``--repeat`` runs; "peak" is the growth
of the peak resident memory (VmHWM, reset before each solve where Linux allows it).

Run::

    python benchmarks/bench_flow.py                 # 10k and 100k, both families
    python benchmarks/bench_flow.py --sizes 10000   # only 10k
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import matchkit as mk
from matchkit._bench_instances import volunteer_problem
from matchkit.solvers._flow import FlowSolver


def volunteer_family(n_volunteers: int, *, scarce: bool, seed: int = 2) -> mk.MatchProblem:
    """The seeded volunteer -> role instance described in the module docstring."""
    return volunteer_problem(n_volunteers, scarce=scarce, seed=seed)


def ortools_objective(p: mk.MatchProblem) -> float:
    """Maximum total score by OR-Tools' SimpleMinCostFlow.

    The network of the peer study: s -> volunteer (capacity 1), volunteer -> role (cost
    1000 - score), role -> t (capacity c), bypass s -> t (cost 1000), supply V.
    """
    from ortools.graph.python import min_cost_flow

    smcf = min_cost_flow.SimpleMinCostFlow()
    nl, nr = p.n_left, p.n_right
    s, t = nl + nr, nl + nr + 1
    top = int(p.weight.max())
    tails = np.concatenate([np.full(nl, s), p.edge_left, nl + np.arange(nr), [s]])
    heads = np.concatenate([np.arange(nl), nl + p.edge_right, np.full(nr, t), [t]])
    supply = int(p.left_capacity.sum())
    caps = np.concatenate([p.left_capacity, np.ones(p.n_edges, np.int64),
                           p.right_capacity, [supply]])
    costs = np.concatenate([np.zeros(nl, np.int64), top - p.weight.astype(np.int64),
                            np.zeros(nr, np.int64), [top]])
    smcf.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    smcf.set_node_supply(s, supply)
    smcf.set_node_supply(t, -supply)
    status = smcf.solve()
    if status != smcf.OPTIMAL:
        raise RuntimeError(f"OR-Tools status {status}")
    return float(top * supply - smcf.optimal_cost())


def _vmhwm_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _reset_peak() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def measure(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """Best time (s), peak memory growth (MB) and the last result of ``fn()``."""
    best, peak, out = float("inf"), 0.0, None
    for _ in range(repeat):
        gc.collect()
        _reset_peak()
        before = _rss_mb()
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
        peak = max(peak, _vmhwm_mb() - before)
    return best, peak, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--families", nargs="+", default=["plain", "scarce"])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-ortools", action="store_true")
    ap.add_argument("--backend", default="auto", help="FlowSolver backend (auto, lapjv, ...)")
    args = ap.parse_args()
    solver = FlowSolver(backend=args.backend)
    print(f"{'instance':<28}{'flow s':>9}{'peak MB':>9}{'ortools s':>11}{'peak MB':>9}"
          f"{'time ratio':>12}  objective")
    for n in args.sizes:
        for fam in args.families:
            p = volunteer_family(n, scarce=fam == "scarce")
            label = f"{fam} {n // 1000}k/{p.n_right // 1000}k/{p.n_edges / 1e3:.0f}k"
            rep = args.repeat if n <= 20_000 else max(1, args.repeat - 2)
            t_f, m_f, a = measure(lambda p=p: solver.solve(p), rep)
            line = f"{label:<28}{t_f:>9.3f}{m_f:>9.0f}"
            if not args.no_ortools:
                t_o, m_o, obj = measure(lambda p=p: ortools_objective(p), rep)
                if obj != a.objective:
                    raise SystemExit(f"{label}: objectives differ: flow {a.objective}, "
                                     f"ortools {obj}")
                line += f"{t_o:>11.3f}{m_o:>9.0f}{t_f / t_o:>11.2f}x"
            extra = {k: v for k, v in a.info.items() if not isinstance(v, np.ndarray)}
            print(f"{line}  {a.objective:.0f}  {extra}", flush=True)


if __name__ == "__main__":
    main()

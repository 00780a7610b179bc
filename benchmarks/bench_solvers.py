"""Benchmarks: matchkit's hungarian, stable and milp methods against their peers.

Run ``python benchmarks/bench_solvers.py`` (``--quick`` for small sizes, ``--only
hungarian,stable,milp`` to pick families). Every family uses seeded instances
(``np.random.default_rng(seed)``), runs matchkit and the peers in this one process on
the same instance, checks that they agree, and prints times (best of ``--repeat``) and
peak-memory growth, with ratios. Peers that are not installed are skipped:
``pip install lap matching`` for the full table. Nothing here is an assertion about
time; a disagreement between solvers is an error.
"""

from __future__ import annotations

import argparse
import platform
import sys
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy
from scipy.optimize import linear_sum_assignment

import matchkit as mk
from matchkit._bench_instances import dense_costs, hospital_residents
from matchkit._bench_measure import measure as measure_run
from matchkit.solvers import (
    Group,
    HungarianSolver,
    MilpSolver,
    MinShare,
    StableSolver,
    blocking_pairs,
    clashes_from_slots,
)


# -- measuring -------------------------------------------------------------------------
def measure(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """(best seconds, peak memory growth in MB, last result) of ``fn``, every run kept."""
    m = measure_run(fn, repeat, single_above=float("inf"))
    return m.seconds, m.delta_mb, m.result


def row(cells: list[Any]) -> None:
    print("| " + " | ".join(str(c) for c in cells) + " |", flush=True)


def fmt_t(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


# -- hungarian -------------------------------------------------------------------------
def bench_hungarian(sizes: list[int], repeat: int) -> None:
    print("\n## hungarian: min-cost perfect assignment on dense n x n costs")
    print(
        "build = MatchProblem.from_dense(C.max()+1-C) (n*n edges, validated, sorted);"
    )
    print("solve = solve(method=HungarianSolver(), objective='cardinality').")
    print("Ratios = matchkit solve / peer (the build is shown apart).\n")
    try:
        import lap  # type: ignore[import-not-found]
    except ImportError:
        lap = None
    head = ["costs", "n", "mk build", "mk solve", "scipy LSA", "lap.lapjv"]
    head += ["solve/scipy", "solve/lap", "Δpeak solve / scipy", "agree"]
    row(head)
    row(["---"] * len(head))
    for kind in ("uniform", "ties"):
        for n in sizes:
            cost = dense_costs(kind, n, seed=1)
            top = int(cost.max()) + 1
            t_b, _, p = measure(
                lambda c=cost, t=top: mk.MatchProblem.from_dense(t - c), 1
            )
            solver = HungarianSolver(max_bytes=2**34)
            t_mk, m_mk, a = measure(
                lambda p=p, s=solver: mk.solve(p, method=s, objective="cardinality"),
                repeat,
            )
            v_mk = n * top - a.objective

            def theirs(cost: np.ndarray = cost) -> float:
                r, c = linear_sum_assignment(cost)
                return float(cost[r, c].sum())

            t_sp, m_sp, v_sp = measure(theirs, repeat)
            agree = v_mk == v_sp
            lap_cells = ["–", "–"]
            if lap is not None:
                fcost = cost.astype(np.float64)
                t_lap, _, v_lap = measure(lambda f=fcost: lap.lapjv(f)[0], repeat)
                agree &= abs(v_lap - v_sp) < 1e-6
                lap_cells = [fmt_t(t_lap), f"{t_mk / t_lap:.1f}x"]
            if not agree:
                raise SystemExit(
                    f"hungarian disagrees on {kind} n={n}: {v_mk} vs {v_sp}"
                )
            row(
                [kind, n, fmt_t(t_b), fmt_t(t_mk), fmt_t(t_sp), lap_cells[0]]
                + [
                    f"{t_mk / t_sp:.2f}x",
                    lap_cells[1],
                    f"{m_mk:.0f} / {m_sp:.0f} MB",
                    "yes",
                ]
            )
            del p, a


# -- stable ----------------------------------------------------------------------------
def _matching_game(left, right, res_u, hosp_u, caps):
    from matching.games import HospitalResident  # type: ignore[import-not-found]

    res_prefs: dict[str, list[str]] = {}
    order = np.lexsort((-res_u, left))
    for i, j in zip(left[order].tolist(), right[order].tolist()):
        res_prefs.setdefault(f"r{i}", []).append(f"h{j}")
    hosp_prefs: dict[str, list[str]] = {f"h{j}": [] for j in range(len(caps))}
    order = np.lexsort((-hosp_u, right))
    for i, j in zip(left[order].tolist(), right[order].tolist()):
        hosp_prefs[f"h{j}"].append(f"r{i}")
    capacities = {f"h{j}": int(c) for j, c in enumerate(caps)}
    return HospitalResident.create_from_dictionaries(res_prefs, hosp_prefs, capacities)


def _in_big_thread(fn: Callable[[], Any]) -> Any:
    """Run fn in a thread with a 1 GiB stack and a high recursion limit (matching needs it)."""
    out: dict[str, Any] = {}
    old_limit = sys.getrecursionlimit()
    old_stack = threading.stack_size(1 << 30)
    sys.setrecursionlimit(10**7)
    try:
        t = threading.Thread(target=lambda: out.setdefault("v", fn()))
        t.start()
        t.join()
    finally:
        threading.stack_size(old_stack)
        sys.setrecursionlimit(old_limit)
    return out["v"]


def bench_stable(
    sizes: list[tuple[int, int]],
    big: list[tuple[int, int, bool]],
    repeat: int,
    skip_matching: bool = False,
) -> None:
    print(
        "\n## stable: hospital/residents, resident-optimal (each resident ranks 10 hospitals)"
    )
    print(
        "Both timings include building the input from arrays. Ratio = matching / matchkit.\n"
    )
    try:
        import matching  # type: ignore[import-not-found]  # noqa: F401

        have_matching = not skip_matching
    except ImportError:
        have_matching = False
    row(
        [
            "residents / hospitals",
            "proposals",
            "matchkit build+solve",
            "matching build",
            "matching solve",
            "ratio",
            "Δpeak mk / matching",
            "agree",
        ]
    )
    row(["---"] * 8)
    for n_res, n_hosp, scarce in [(r, h, False) for r, h in sizes] + big:
        hr = hospital_residents(n_res, n_hosp, k=10, seed=3, scarce=scarce)
        left, right = hr.left, hr.right
        res_u, hosp_u, caps = hr.resident_utility, hr.hospital_utility, hr.capacity

        def ours(
            left=left,
            right=right,
            res_u=res_u,
            hosp_u=hosp_u,
            caps=caps,
            n_res=n_res,
            n_hosp=n_hosp,
        ):
            p = mk.MatchProblem.from_edges(
                left,
                right,
                np.ones(len(left)),
                n_left=n_res,
                n_right=n_hosp,
                right_capacity=caps,
                left_utility=res_u,
                right_utility=hosp_u,
            )
            return p, mk.solve(p, method=StableSolver())

        t_mk, m_mk, (p, a) = measure(ours, repeat)
        assert len(blocking_pairs(p, a)) == 0
        label = f"{n_res:,} / {n_hosp:,}" + (" (scarce)" if scarce else "")
        cells = [label, f"{a.info['proposals']:,}", fmt_t(t_mk)]
        if have_matching and not scarce and (n_res, n_hosp) in sizes:
            t_b, m_b, game = measure(
                lambda a=(left, right, res_u, hosp_u, caps): _in_big_thread(lambda: _matching_game(*a)), 1
            )
            t_s, _, sol = measure(
                lambda g=game: _in_big_thread(lambda: g.solve(optimal="resident")), 1
            )
            theirs = sorted(
                (int(r.name[1:]), int(h.name[1:])) for h, rs in sol.items() for r in rs
            )
            agree = theirs == sorted(map(tuple, a.pairs.tolist()))
            if not agree:
                raise SystemExit(f"stable disagrees with matching at {n_res} residents")
            cells += [
                fmt_t(t_b),
                fmt_t(t_s),
                f"{(t_b + t_s) / t_mk:.0f}x",
                f"{m_mk:.0f} / {m_b:.0f} MB",
                "yes",
            ]
        else:
            cells += ["–", "–", "–", f"{m_mk:.0f} MB", "0 blocking pairs"]
        row(cells)


# -- milp ------------------------------------------------------------------------------
def bench_milp(sizes: list[tuple[int, int]], repeat: int) -> None:
    print("\n## milp: side constraints (clashes from slots, groups, a district floor)")
    print("Volunteers take up to 2 needs; ~20 candidate needs each; integer scores.")
    print("Sides: clashes between needs sharing a slot (each need ~1.7 of 21 slots),")
    print(
        "pairs of friends (10% of volunteers), 10% of needs get >= 10% of placements.\n"
    )
    row(
        [
            "volunteers / needs",
            "edges",
            "flow",
            "milp (none)",
            "milp (sides)",
            "objective flow / sides",
            "cost of the side constraints",
        ]
    )
    row(["---"] * 7)
    for n_v, n_n in sizes:
        rng = np.random.default_rng(5)
        k = 20
        left = np.repeat(np.arange(n_v), k)
        right = np.argsort(rng.random((n_v, n_n)), axis=1)[:, :k].reshape(-1)
        w = rng.integers(1, 101, len(left)).astype(np.float64)
        p = mk.MatchProblem.from_edges(
            left,
            right,
            w,
            n_left=n_v,
            n_right=n_n,
            left_capacity=rng.integers(1, 3, n_v),
            right_capacity=rng.integers(1, 6, n_n),
        )
        slots = rng.random((n_n, 21)) < 0.08
        clashes = clashes_from_slots(slots)
        groups = [Group([2 * g, 2 * g + 1]) for g in range(n_v // 20)]
        district = MinShare(list(range(n_n // 10)), share=0.1, name="district-0")
        sides = MilpSolver(clashes=clashes, groups=groups, min_share=district)
        t_f, _, a_f = measure(lambda p=p: mk.solve(p, method="flow"), repeat)
        t_0, _, a_0 = measure(lambda p=p: mk.solve(p, method="milp"), repeat)
        t_s, _, a_s = measure(lambda p=p, s=sides: mk.solve(p, method=s), 1)
        if a_0.objective != a_f.objective:
            raise SystemExit(
                f"milp without side constraints disagrees with flow at {n_v}"
            )
        row(
            [
                f"{n_v:,} / {n_n:,}",
                f"{p.n_edges:,}",
                fmt_t(t_f),
                fmt_t(t_0),
                fmt_t(t_s),
                f"{a_f.objective:,.0f} / {a_s.objective:,.0f}",
                f"{100 * (1 - a_s.objective / a_f.objective):.2f}%",
            ]
        )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes only")
    ap.add_argument("--only", default="hungarian,stable,milp")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--skip-matching",
        action="store_true",
        help="time matchkit's stable method alone",
    )
    args = ap.parse_args(argv)
    only = set(args.only.split(","))
    print(f"# matchkit {mk.__version__} solver benchmarks")
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__},"
        f" {platform.machine()}, {__import__('os').cpu_count()} cores"
    )
    if "hungarian" in only:
        bench_hungarian(
            [300, 1000] if args.quick else [500, 1000, 2000, 4000], args.repeat
        )
    if "stable" in only:
        if args.quick:
            bench_stable(
                [(1_000, 100)],
                [(20_000, 2_000, False)],
                args.repeat,
                args.skip_matching,
            )
        else:
            bench_stable(
                [(1_000, 100), (5_000, 500), (20_000, 2_000)],
                [(100_000, 10_000, False), (100_000, 10_000, True)],
                args.repeat,
                args.skip_matching,
            )
    if "milp" in only:
        bench_milp(
            [(500, 50)] if args.quick else [(1_000, 100), (5_000, 500)], args.repeat
        )


if __name__ == "__main__":
    main()

"""Timings of the openness layer on seeded synthetic cities.

Metrics, explanations, diagnostics, the HTML report and the exports, per city size.
Run: ``python benchmarks/bench_openness.py``.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import matchkit as mk
from matchkit._metrics import round_metrics
from matchkit.datasets import DEFAULT_AS_OF, synthetic_city

DIAGNOSED = ("no_acceptable_volunteer", "candidates_elsewhere")


def timed(fn: Callable[[], Any]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def one_city(n_volunteers: int, n_needs: int, seed: int = 7) -> str:
    ds = synthetic_city(n_volunteers=n_volunteers, n_needs=n_needs, seed=seed)
    t0 = time.perf_counter()
    result = mk.match(ds, as_of=DEFAULT_AS_OF, shortlist=2)
    t_match = time.perf_counter() - t0
    p = result.problem
    chosen = p.edge_index(
        [ds.index_of("volunteers", x.volunteer_id) for x in result.proposals],
        [ds.index_of("needs", x.need_id) for x in result.proposals],
    )
    empty = np.zeros(0, dtype=np.int64)
    open_needs = np.array([n.status is mk.NeedStatus.OPEN for n in ds.needs])
    t_metrics = timed(
        lambda: round_metrics(
            ds, p, chosen=chosen, placements=(empty, empty), reserved=(empty, empty),
            proposals=result.proposals, open_needs=open_needs,
        )
    )  # fmt: skip
    pairs = [(x.volunteer_id, x.need_id) for x in result.proposals[:200]]
    t_explain = timed(lambda: [result.explain(v, n, lang="ru") for v, n in pairs]) / len(pairs)
    needs = [k for k, r in result.unfilled.items() if r.code in DIAGNOSED]
    t_need = timed(lambda: [result.why_unfilled(k) for k in needs]) / max(len(needs), 1)
    vols = list(result.unmatched)[:300]
    t_vol = timed(lambda: [result.why_unmatched(v) for v in vols]) / max(len(vols), 1)
    with tempfile.TemporaryDirectory() as d:
        t_html = timed(lambda: result.to_html(Path(d) / "r.html"))
        t_csv = timed(lambda: result.to_csv(Path(d) / "csv"))
    t_nx = timed(result.to_networkx)
    return (
        f"{n_volunteers} volunteers x {n_needs} needs ({p.n_edges} acceptable pairs, "
        f"{len(result.unmatched)} unmatched, {len(result.unfilled)} unfilled): match {t_match:.2f} s, "
        f"round_metrics {1000 * t_metrics:.0f} ms, explain {1000 * t_explain:.1f} ms/pair, "
        f"why_unfilled {1000 * t_need:.1f} ms/need, why_unmatched {1000 * t_vol:.1f} ms/volunteer, "
        f"to_html {t_html:.2f} s, to_csv {t_csv:.2f} s, to_networkx {t_nx:.2f} s"
    )


def main() -> None:
    for n_v, n_n in ((2_000, 200), (5_000, 500)):
        print(one_city(n_v, n_n))


if __name__ == "__main__":
    main()

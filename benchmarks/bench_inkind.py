"""Benchmark: in-kind matching (match_inkind) against a plain max flow in networkx.

A seeded city (seed 5): R requests and O offers over the six kinds, one unit per kind,
quantities 1..200 (offers 50..2000), lead times 0..30 days, one or two windows per offer in
a 120-day year segment, half the offers local (radius 3..15 km) and half city-wide, requests
needed 0..120 days after ``as_of``. matchkit builds the transportation network, solves it with
``matchkit.solvers.min_cost_flow`` and returns allocations, late pairs with their latest dates, and reasons. The reference is
networkx's ``maximum_flow_value`` on the transportation network (source -> request ->
offer -> sink) of the same fitting pairs, built with numpy here. The covered totals must be
equal. Times are the best of ``--repeat`` runs, in one process.

Run::

    python benchmarks/bench_inkind.py
    python benchmarks/bench_inkind.py --sizes 1000x100
"""

from __future__ import annotations

import argparse
import time
from datetime import date, timedelta
from typing import Any

import numpy as np

import matchkit as mk

KINDS = [k.value for k in mk.InkindKind]
UNIT = {
    "printing": "sheets",
    "transport": "seats",
    "food": "portions",
    "venue": "halls",
    "equipment": "items",
    "other": "pieces",
}
AS_OF = date(2027, 3, 1)


def city(
    n_requests: int, n_offers: int, seed: int = 5
) -> tuple[list[Any], list[Any], list[Any]]:
    rng = np.random.default_rng(seed)
    orgs = [
        mk.Organisation(id=f"g{i}", name=f"Giver {i}", kind="business", registered=True)
        for i in range(max(1, n_offers // 5))
    ]
    orgs += [
        mk.Organisation(id=f"c{i}", name=f"CSO {i}", kind="cso", registered=True)
        for i in range(max(1, n_requests // 10))
    ]
    n_g, n_c = max(1, n_offers // 5), max(1, n_requests // 10)
    offers = []
    for j in range(n_offers):
        kind = KINDS[rng.integers(len(KINDS))]
        wins = []
        for _ in range(rng.integers(1, 3)):
            s = int(rng.integers(-30, 90))
            wins.append(
                f"{AS_OF + timedelta(days=s)}/{AS_OF + timedelta(days=s + int(rng.integers(5, 60)))}"
            )
        local = rng.random() < 0.5
        offers.append(
            mk.InkindOffer(
                id=f"of{j}",
                organisation_id=f"g{rng.integers(n_g)}",
                kind=kind,
                item="goods",
                quantity=int(rng.integers(50, 2001)),
                unit=UNIT[kind],
                lead_time_days=int(rng.integers(0, 31)),
                windows=wins,
                area={
                    "lat": 55.79 + rng.normal(0, 0.05),
                    "lon": 49.12 + rng.normal(0, 0.08),
                }
                if local
                else None,
                radius_km=float(rng.uniform(3, 15)) if local else None,
                contact_role="manager",
            )
        )
    requests = []
    for i in range(n_requests):
        kind = KINDS[rng.integers(len(KINDS))]
        requests.append(
            mk.InkindRequest(
                id=f"rq{i}",
                organisation_id=f"c{rng.integers(n_c)}",
                kind=kind,
                quantity=int(rng.integers(1, 201)),
                unit=UNIT[kind],
                needed_by=AS_OF + timedelta(days=int(rng.integers(0, 121))),
                place={
                    "lat": 55.79 + rng.normal(0, 0.05),
                    "lon": 49.12 + rng.normal(0, 0.08),
                },
                purpose="event",
            )
        )
    return offers, requests, orgs


def reference(offers: list[Any], requests: list[Any]) -> tuple[int, float]:
    import networkx as nx

    t0 = time.perf_counter()
    day = AS_OF.toordinal()
    rk = np.array([KINDS.index(r.kind.value) for r in requests])
    ok_ = np.array([KINDS.index(o.kind.value) for o in offers])
    need = np.array([r.needed_by.toordinal() for r in requests])
    lead = np.array([o.lead_time_days for o in offers])
    in_win = np.array(
        [any(w.start <= AS_OF <= w.end for w in o.windows) for o in offers]
    )
    rl = np.radians([[r.place.lat, r.place.lon] for r in requests])
    has_area = np.array([o.area is not None for o in offers])
    ol = np.radians(
        [[o.area.lat, o.area.lon] if o.area else [0.0, 0.0] for o in offers]
    )
    rad = np.array([o.radius_km or 0.0 for o in offers])
    a = (
        np.sin((ol[None, :, 0] - rl[:, None, 0]) / 2) ** 2
        + np.cos(rl[:, None, 0])
        * np.cos(ol[None, :, 0])
        * np.sin((ol[None, :, 1] - rl[:, None, 1]) / 2) ** 2
    )
    dist = 2 * 6371.0088 * np.arcsin(np.sqrt(np.clip(a, 0, 1)))
    fit = (
        (rk[:, None] == ok_[None, :])
        & in_win[None, :]
        & (day + lead[None, :] <= need[:, None])
        & (~has_area[None, :] | (dist <= rad[None, :] + 1e-9))
    )
    g = nx.DiGraph()
    for r in requests:
        g.add_edge("s", r.id, capacity=r.quantity)
    for o in offers:
        g.add_edge(o.id, "t", capacity=o.quantity)
    for i, j in zip(*np.nonzero(fit)):
        g.add_edge(requests[i].id, offers[j].id)
    value = nx.maximum_flow_value(g, "s", "t")
    return int(value), time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["1000x100", "5000x500"])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(
        f"{'requests x offers':>18} {'asked':>8} {'covered':>9} {'matchkit s':>11} {'networkx s':>11} {'ratio':>6}"
    )
    for size in args.sizes:
        n_r, n_o = (int(x) for x in size.split("x"))
        offers, requests, orgs = city(n_r, n_o)
        best = float("inf")
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            res = mk.match_inkind(offers, requests, orgs, as_of=AS_OF)
            best = min(best, time.perf_counter() - t0)
        covered = sum(a.quantity for a in res.allocations)
        value, t_ref = reference(offers, requests)
        assert covered == value, f"matchkit covered {covered}, max flow says {value}"
        units = sum(r.quantity for r in requests)
        print(
            f"{size:>18} {units:>8} {covered:>9} {best:>11.3f} {t_ref:>11.3f} {t_ref / best:>5.1f}x"
            f"   late pairs: {len(res.late)}"
        )


if __name__ == "__main__":
    main()

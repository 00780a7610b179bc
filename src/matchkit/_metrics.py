"""Round metrics: how well one round fills needs and serves volunteers (see docs/metrics.md).

All numbers are computed with array operations over needs, volunteers and edges:

* **fill rate** = places filled (accepted placements + proposals + open offers that
  hold a place, capped by capacity) / capacity, over open needs: overall, per
  organisation, per district and per volunteer pool (the pool's share of filled places
  and the share of its volunteers offered or placed);
* **districts** are cells of a square grid of ``DISTRICT_KM`` km (on a local
  equirectangular projection centred on the in-person needs): ``C`` is the centre cell,
  ``N1E2`` one cell north and two east; remote needs form the district ``remote``;
* **Gini** of the district fill rates (0: every district filled alike; 1: all in one);
* **small organisations**: those with at most ``SMALL_ORGANISATION_PLACES`` open places;
* **blocking pairs** of the proposal set (proposals, open offers and placements), by
  :func:`matchkit.solvers.blocking_pairs` on the pairs not excluded by the ledger;
* **churn**: the share of the previous round's proposals that are neither proposed
  again, still open, nor accepted now;
* **offers per volunteer** (primary and alternatives, among volunteers with any);
* distance and score summaries with histograms.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from ._dataset import Dataset
from ._problem import MatchProblem, components_at
from ._proposals import Proposal
from ._rules import EARTH_RADIUS_KM
from ._stability import blocking_positions

__all__ = [
    "DISTANCE_BINS_KM",
    "DISTRICT_KM",
    "SCORE_BINS",
    "SMALL_ORGANISATION_PLACES",
    "DatasetFacts",
    "blocking_count",
    "churn",
    "dataset_facts",
    "gini",
    "need_districts",
    "previous_pairs",
    "round_metrics",
]

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]

#: Side of a district cell, in kilometres.
DISTRICT_KM = 3.0
#: An organisation with at most this many open places counts as small.
SMALL_ORGANISATION_PLACES = 5
#: Bin edges of the distance histogram (km); the last bin is open-ended.
DISTANCE_BINS_KM: tuple[float, ...] = (0, 1, 2, 3, 5, 7, 10, 15, 20, 30)
#: Bin edges of the score histogram.
SCORE_BINS: tuple[float, ...] = tuple(round(0.1 * k, 1) for k in range(11))


def _summary(x: F64) -> dict[str, float | None]:
    if x.size == 0:
        return {"mean": None, "median": None, "p90": None}
    return {
        "mean": float(x.mean()),
        "median": float(np.median(x)),
        "p90": float(np.percentile(x, 90)),
    }


def gini(x: Iterable[float]) -> float | None:
    """Gini coefficient of non-negative values (None for no values, 0 if all are zero).

    Examples
    --------
    >>> gini([0.5, 0.5, 0.5]), round(gini([0.0, 0.0, 1.0]), 3), round(gini([1, 2, 3, 4]), 3)
    (0.0, 0.667, 0.25)
    """
    a = np.sort(np.asarray(list(x), dtype=np.float64))
    n = a.size
    if n == 0:
        return None
    total = a.sum()
    if total <= 0:
        return 0.0
    ranks = np.arange(1, n + 1)
    g = float((2.0 * (ranks * a).sum()) / (n * total) - (n + 1.0) / n)
    return min(max(g, 0.0), 1.0)  # round-off can step just outside


def need_districts(dataset: Dataset, *, cell_km: float = DISTRICT_KM) -> list[str]:
    """The district label of every need (dataset order): a grid cell, or ``remote``.

    The grid is centred on the mean position of the in-person needs; cells are
    ``cell_km`` wide. ``C`` is the centre cell; ``N2W1`` is two cells north, one west.

    Examples
    --------
    >>> from matchkit.datasets import tiny_city
    >>> need_districts(tiny_city())
    ['E1', 'C', 'remote', 'S1', 'S1', 'C']
    """
    needs = dataset.needs
    placed = np.array(
        [n.location is not None and not n.remote for n in needs], dtype=bool
    )
    lat = np.array(
        [n.location.lat if n.location is not None else np.nan for n in needs],
        dtype=np.float64,
    )
    lon = np.array(
        [n.location.lon if n.location is not None else np.nan for n in needs],
        dtype=np.float64,
    )
    out = ["remote"] * len(needs)
    if not placed.any():
        return out
    lat0, lon0 = float(lat[placed].mean()), float(lon[placed].mean())
    km_per_deg = np.pi * EARTH_RADIUS_KM / 180.0
    y = (lat - lat0) * km_per_deg
    x = (lon - lon0) * km_per_deg * np.cos(np.radians(lat0))
    row = np.where(placed, np.floor(np.nan_to_num(y) / cell_km + 0.5), 0).astype(
        np.int64
    )
    col = np.where(placed, np.floor(np.nan_to_num(x) / cell_km + 0.5), 0).astype(
        np.int64
    )
    for j in np.flatnonzero(placed).tolist():
        r, c = int(row[j]), int(col[j])
        label = ("N" if r > 0 else "S") + str(abs(r)) if r else ""
        label += ("E" if c > 0 else "W") + str(abs(c)) if c else ""
        out[j] = label or "C"
    return out


def _rate_by(
    labels: Sequence[str], filled: I64, cap: I64, mask: NDArray[np.bool_]
) -> dict[str, float]:
    """Fill rate per label over the needs in ``mask``, labels sorted."""
    keys = sorted({labels[j] for j in np.flatnonzero(mask).tolist()})
    if not keys:
        return {}
    code = {k: i for i, k in enumerate(keys)}
    idx = np.array([code.get(label, -1) for label in labels], dtype=np.int64)
    sel = mask & (idx >= 0)
    num = np.bincount(idx[sel], weights=filled[sel], minlength=len(keys))
    den = np.bincount(idx[sel], weights=cap[sel], minlength=len(keys))
    return {k: float(num[i] / den[i]) for i, k in enumerate(keys) if den[i] > 0}


def _sum_by(
    labels: Sequence[str], values: I64, mask: NDArray[np.bool_]
) -> dict[str, float]:
    """Sum of ``values`` per label over the items in ``mask``."""
    keys = sorted({labels[j] for j in np.flatnonzero(mask).tolist()})
    code = {k: i for i, k in enumerate(keys)}
    idx = np.array([code.get(label, -1) for label in labels], dtype=np.int64)
    sel = mask & (idx >= 0)
    total = np.bincount(idx[sel], weights=values[sel], minlength=len(keys))
    return {k: float(total[i]) for i, k in enumerate(keys)}


def _histogram(
    x: F64, edges: Sequence[float], open_end: bool
) -> dict[str, list[float]]:
    e = np.asarray(edges, dtype=np.float64)
    if open_end:
        e = np.append(e, np.inf)
    counts, _ = np.histogram(x, bins=e)
    return {"edges": [float(v) for v in edges], "counts": counts.astype(int).tolist()}


def churn(
    previous: Iterable[tuple[str, str]], current: Iterable[tuple[str, str]]
) -> dict[str, Any]:
    """How many of the previous round's proposals are gone now.

    ``previous``: the previous round's proposed pairs; ``current``: this round's
    proposals (new and still open) and accepted placements. ``rate`` is None when there
    was nothing before.

    Examples
    --------
    >>> churn([("v1", "n1"), ("v2", "n1")], [("v1", "n1"), ("v3", "n2")])
    {'previous': 2, 'kept': 1, 'rate': 0.5}
    """
    prev = set(previous)
    kept = len(prev & set(current))
    return {
        "previous": len(prev),
        "kept": kept,
        "rate": (1.0 - kept / len(prev)) if prev else None,
    }


def blocking_count(
    problem: MatchProblem,
    held: I64,
    excluded_edge: NDArray[np.bool_] | None,
    on_offer: I64 | None = None,
    *,
    used: tuple[I64, I64] | None = None,
    need_ok: NDArray[np.bool_] | None = None,
) -> int:
    """Blocking pairs of the set of held edges (unique positions), among pairs that may
    still be proposed: not excluded, not on offer already (``on_offer``: positions of
    shortlist alternatives, which their volunteers may take as they are), and not to a
    need that no round may offer now (``need_ok`` False: held back by a policy check, or
    not open in the ledger). ``used``: places in use per volunteer and per need, also
    those held off the edges (see :func:`blocking_positions`)."""
    pos = blocking_positions(problem, held, used=used)
    if excluded_edge is not None:
        pos = pos[~excluded_edge[pos]]  # held edges never block, excluded or not
    if on_offer is not None and on_offer.size:
        pos = pos[~np.isin(pos, on_offer)]
    if need_ok is not None:
        pos = pos[need_ok[problem.edge_right[pos]]]
    return int(pos.size)


class DatasetFacts(NamedTuple):
    """What the metrics read from the dataset alone (a warm round takes them over)."""

    org_of: list[str]
    """Each need's organisation."""
    districts: list[str]
    """Each need's district (:func:`need_districts`)."""
    district_km: float
    pools: list[str]
    """Each volunteer's pool, ``(none)`` where unset."""


def dataset_facts(dataset: Dataset, district_km: float = DISTRICT_KM) -> DatasetFacts:
    """The dataset's own inputs to :func:`round_metrics`."""
    return DatasetFacts(
        [n.organisation_id for n in dataset.needs],
        need_districts(dataset, cell_km=district_km),
        district_km,
        [v.pool or "(none)" for v in dataset.volunteers],
    )


def round_metrics(
    dataset: Dataset,
    problem: MatchProblem,
    *,
    chosen: I64,
    placements: tuple[I64, I64],
    reserved: tuple[I64, I64],
    proposals: Sequence[Proposal],
    open_needs: NDArray[np.bool_],
    excluded_edge: NDArray[np.bool_] | None = None,
    previous_pairs: Iterable[tuple[str, str]] | None = None,
    placement_pairs: Sequence[tuple[str, str]] = (),
    held: I64 | None = None,
    vindex: Mapping[str, int] | None = None,
    facts: DatasetFacts | None = None,
    district_km: float = DISTRICT_KM,
    small_places: int = SMALL_ORGANISATION_PLACES,
    blocking: int | None = None,
    placed_per_need: I64 | None = None,
) -> dict[str, Any]:
    """The numbers of one round (see the module notes and docs/metrics.md).

    ``placed_per_need`` counts each need's placements, also those of volunteers who have
    left the dataset (they still take the place); by default those of ``placements``.
    ``held`` (edge positions of the placements and of the offers that hold a place),
    ``vindex`` (volunteer id -> index), ``facts`` (:func:`dataset_facts`) and
    ``blocking`` (:func:`blocking_count` of the held and chosen edges) are found here
    when the caller has not got them.

    Examples
    --------
    >>> import matchkit as mk
    >>> from matchkit.datasets import tiny_city
    >>> m = mk.match(tiny_city(), as_of="2026-09-01").metrics
    >>> m["fill_rate"], m["fill_rate_by_district"], m["blocking_pairs"]
    (0.8571428571428571, {'C': 1.0, 'E1': 1.0, 'remote': 0.6666666666666666}, 0)
    """
    n_v, n_n = problem.n_left, problem.n_right
    placed_l, placed_r = placements
    resv_l, resv_r = reserved
    cap = problem.right_capacity
    open_cap = int(cap[open_needs].sum())
    chosen_l, chosen_r = problem.edge_left[chosen], problem.edge_right[chosen]
    placed_n = (
        np.bincount(placed_r, minlength=n_n) if placed_per_need is None else placed_per_need
    )
    filled = np.minimum(
        placed_n + np.bincount(chosen_r, minlength=n_n) + np.bincount(resv_r, minlength=n_n),
        cap,
    )
    placed_only = np.minimum(placed_n, cap)
    offered_v = (
        np.bincount(chosen_l, minlength=n_v) + np.bincount(resv_l, minlength=n_v)
    ) > 0
    served_v = offered_v | (np.bincount(placed_l, minlength=n_v) > 0)
    new = [p for p in proposals if p.status == "new"]
    scores = np.array([p.score for p in new], dtype=np.float64)
    if "distance_km" in problem.components and chosen.size:
        d = np.asarray(components_at(problem, chosen)["distance_km"], dtype=np.float64)
        d = d[np.isfinite(d)]
    else:
        d = np.zeros(0)

    if facts is None or facts.district_km != district_km:
        facts = dataset_facts(dataset, district_km)
    org_of, districts, pools = facts.org_of, facts.districts, facts.pools
    by_district = _rate_by(districts, filled, cap, open_needs)
    org_places = _sum_by(org_of, cap, open_needs)  # open places per organisation
    small = {o for o, places in org_places.items() if places <= small_places}
    small_mask = open_needs & np.array([o in small for o in org_of], dtype=bool)
    small_cap = int(cap[small_mask].sum())
    small_rates = np.array(
        list(_rate_by(org_of, filled, cap, small_mask).values()), dtype=np.float64
    )

    holder_l = np.concatenate([placed_l, chosen_l, resv_l])
    pool_keys = sorted(set(pools))
    pcode = {k: i for i, k in enumerate(pool_keys)}
    pidx = np.array([pcode[p] for p in pools], dtype=np.int64)
    n_pool = np.bincount(pidx, minlength=len(pool_keys))
    served_pool = np.bincount(pidx[served_v], minlength=len(pool_keys))
    held_pool = (
        np.bincount(pidx[holder_l], minlength=len(pool_keys))
        if holder_l.size
        else np.zeros(len(pool_keys))
    )
    total_held = max(int(holder_l.size), 1)

    if vindex is None:
        vindex = {v: i for i, v in enumerate(problem.left_ids)}
    # Offers (a proposal and its alternatives) per volunteer, counted in one pass.
    at = np.fromiter(
        (vindex.get(p.volunteer_id, -1) for p in proposals), dtype=np.int64, count=len(proposals)
    )
    size = np.fromiter(
        (1 + len(p.alternatives) for p in proposals), dtype=np.int64, count=len(proposals)
    )
    known = at >= 0
    n_offers = np.bincount(at[known], weights=size[known], minlength=n_v).astype(np.int64)
    with_offers = n_offers[n_offers > 0]

    if blocking is None:
        if held is None:
            held = np.concatenate(
                [_positions(problem, placed_l, placed_r), _positions(problem, resv_l, resv_r)]
            )
        blocking = blocking_count(problem, np.unique(np.concatenate([chosen, held])), excluded_edge)
    return {
        "n_volunteers": n_v,
        "n_needs": n_n,
        "n_open_needs": int(open_needs.sum()),
        "open_capacity": open_cap,
        "n_acceptable_pairs": problem.n_edges,
        "n_new_proposals": len(new),
        "n_alternatives": int(sum(len(p.alternatives) for p in new)),
        "n_open_offers": int(sum(1 for p in proposals if p.status == "open")),
        "n_placements": int(placed_l.size),
        "fill_rate": float(filled[open_needs].sum() / open_cap) if open_cap else None,
        "placement_rate": float(placed_only[open_needs].sum() / open_cap)
        if open_cap
        else None,
        "fill_rate_by_organisation": _rate_by(org_of, filled, cap, open_needs),
        "fill_rate_by_district": by_district,
        "district_km": float(district_km),
        "gini_fill_by_district": gini(by_district.values()),
        "pools": {
            k: {
                "volunteers": int(n_pool[i]),
                "offered_or_placed": int(served_pool[i]),
                "share_offered_or_placed": float(served_pool[i] / n_pool[i])
                if n_pool[i]
                else None,
                "share_of_filled_places": float(held_pool[i] / total_held)
                if holder_l.size
                else None,
            }
            for i, k in enumerate(pool_keys)
        },
        "share_volunteers_offered": float(offered_v.mean()) if n_v else None,
        "small_organisations": {
            "max_places": small_places,
            "n": len(small),
            "fill_rate": float(filled[small_mask].sum() / small_cap)
            if small_cap
            else None,
            "share_with_a_place_filled": float((small_rates > 0).mean())
            if small_rates.size
            else None,
        },
        "score": {
            **_summary(scores),
            "histogram": _histogram(scores, SCORE_BINS, open_end=False),
        },
        "distance_km": {
            **_summary(d),
            "histogram": _histogram(d, DISTANCE_BINS_KM, open_end=True),
        },
        "blocking_pairs": blocking,
        "offers_per_volunteer": {
            "mean": float(with_offers.mean()) if with_offers.size else None,
            "max": int(with_offers.max()) if with_offers.size else 0,
            "counts": {
                int(k): int(c)
                for k, c in zip(*np.unique(with_offers, return_counts=True))
            },
        },
        "churn": (
            churn(
                previous_pairs,
                [(p.volunteer_id, p.need_id) for p in proposals] + list(placement_pairs),
            )
            if previous_pairs is not None
            else None
        ),
    }


def _positions(problem: MatchProblem, li: I64, ri: I64) -> I64:
    if li.size == 0:
        return np.zeros(0, dtype=np.int64)
    pos = problem.edge_index(li, ri)
    return np.asarray(pos[pos >= 0], dtype=np.int64)


def previous_pairs(
    previous: Any = None, ledger: Any = None, current_round: int | None = None
) -> list[tuple[str, str]] | None:
    """The previous round's proposed pairs: from a previous result, else from the ledger.

    From the ledger: the primary offers (not shortlist alternatives) recorded in round
    ``current_round - 1``. None when neither tells.
    """
    if previous is not None:
        return [(p.volunteer_id, p.need_id) for p in previous.proposals]
    if ledger is None or current_round is None or current_round <= 1:
        return None
    pairs: list[tuple[str, str]] = ledger._primary_offers(current_round - 1)
    return pairs

"""Round metrics: how well this round fills needs and serves volunteers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._dataset import Dataset
from ._problem import MatchProblem
from ._proposals import Proposal

__all__ = ["round_metrics"]

I64 = NDArray[np.int64]


def _summary(x: NDArray[np.float64]) -> dict[str, float | None]:
    if x.size == 0:
        return {"mean": None, "median": None, "p90": None}
    return {
        "mean": float(x.mean()),
        "median": float(np.median(x)),
        "p90": float(np.percentile(x, 90)),
    }


def round_metrics(
    dataset: Dataset,
    problem: MatchProblem,
    *,
    chosen: I64,
    placements: tuple[I64, I64],
    reserved: tuple[I64, I64],
    proposals: Sequence[Proposal],
    open_needs: NDArray[np.bool_],
) -> dict[str, Any]:
    """The headline numbers of one round (see docs/metrics.md)."""
    n_v, n_n = problem.n_left, problem.n_right
    placed_l, placed_r = placements
    resv_l, resv_r = reserved
    cap = problem.right_capacity
    open_cap = int(cap[open_needs].sum())
    chosen_r = problem.edge_right[chosen]
    filled = np.minimum(
        np.bincount(placed_r, minlength=n_n)
        + np.bincount(chosen_r, minlength=n_n)
        + np.bincount(resv_r, minlength=n_n),
        cap,
    )
    placed_only = np.minimum(np.bincount(placed_r, minlength=n_n), cap)
    offered_v = (
        np.bincount(problem.edge_left[chosen], minlength=n_v) + np.bincount(resv_l, minlength=n_v)
    ) > 0
    new = [p for p in proposals if p.status == "new"]
    scores = np.array([p.score for p in new], dtype=np.float64)
    dist = problem.components.get("distance_km")
    if dist is not None and chosen.size:
        d = np.asarray(dist, dtype=np.float64)[chosen]
        d = d[np.isfinite(d)]
    else:
        d = np.zeros(0)
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
        "placement_rate": float(placed_only[open_needs].sum() / open_cap) if open_cap else None,
        "share_volunteers_offered": float(offered_v.mean()) if n_v else None,
        "score": _summary(scores),
        "distance_km": _summary(d),
    }

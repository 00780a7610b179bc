"""The scored pairs of a round: built, or reused from the previous round.

With ``top_k``, each volunteer keeps their ``k`` best pairs *among those still open to
them*: pairs already decided (rejected, withdrawn, expired, accepted) are kept in the
problem, so explanations can name them, but do not take one of the ``k`` places.
A volunteer who turns offers down therefore still has ``k`` pairs to be offered.

A warm re-plan (``match(previous=...)``) reuses the previous round's pairs. Without
``top_k`` they are reused as they are. With ``top_k``, only the volunteers whose decided
pairs changed since have their rows scored again; the result is the problem a cold
build would give (tested).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._build import build_encoded
from ._dataset import Dataset
from ._encode import Encoded, encode
from ._problem import MatchProblem
from ._scoring import LazyComponents
from ._weights import Weights

__all__ = ["decided_keys", "round_problem"]

I64 = NDArray[np.int64]


def decided_keys(dataset: Dataset, pairs: Any) -> I64:
    """Sorted keys ``volunteer * n_needs + need`` of the (volunteer id, need id) pairs
    that name a volunteer and a need of ``dataset`` (others are left out).

    Examples
    --------
    >>> import matchkit as mk
    >>> ds = mk.datasets.tiny_city()
    >>> decided_keys(ds, [("v2", "n1"), ("nobody", "n1"), ("v1", "n2")]).tolist()
    [1, 6]
    """
    vi = {v.id: i for i, v in enumerate(dataset.volunteers)}
    ni = {n.id: j for j, n in enumerate(dataset.needs)}
    n_needs = max(len(dataset.needs), 1)
    keys = [vi[v] * n_needs + ni[n] for v, n in pairs if v in vi and n in ni]
    return np.unique(np.asarray(keys, dtype=np.int64))


def round_problem(
    dataset: Dataset,
    weights: Weights,
    day: date,
    top_k: int | None,
    decided: I64,
    previous: tuple[MatchProblem, I64] | None,
) -> MatchProblem:
    """The round's problem; ``previous`` is (problem, its decided keys) when reusable."""
    if previous is None:
        return build_encoded(encode(dataset), weights, day, top_k, protect=decided)
    problem, before = previous
    if top_k is None:
        return problem
    changed = np.setxor1d(before, decided)
    if changed.size == 0:
        return problem
    n_needs = max(problem.n_right, 1)
    redo = np.zeros(problem.n_left, dtype=bool)
    redo[changed // n_needs] = True
    enc = _encoded(problem, dataset)
    part = build_encoded(enc, weights, day, top_k, protect=decided, volunteers=redo)
    keep = ~redo[problem.edge_left]
    left = np.concatenate([problem.edge_left[keep], part.edge_left])
    right = np.concatenate([problem.edge_right[keep], part.edge_right])
    return MatchProblem.from_edges(
        left,
        right,
        np.concatenate([problem.weight[keep], part.weight]),
        n_left=problem.n_left,
        n_right=problem.n_right,
        left_capacity=problem.left_capacity,
        right_capacity=problem.right_capacity,
        left_utility=np.concatenate([problem.volunteer_utility[keep], part.volunteer_utility]),
        right_utility=np.concatenate([problem.need_utility[keep], part.need_utility]),
        left_ids=problem.left_ids,
        right_ids=problem.right_ids,
        components=LazyComponents(enc, left, right),
    )


def _encoded(problem: MatchProblem, dataset: Dataset) -> Encoded:
    comps = problem.components
    if isinstance(comps, LazyComponents):
        return comps.encoded
    return encode(dataset)

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
    keep = np.flatnonzero(~redo[problem.edge_left])
    # Both edge lists are sorted by (volunteer, need) and share no volunteer: merge them
    # by position instead of sorting again.
    key_a = problem.edge_left[keep] * n_needs + problem.edge_right[keep]
    key_b = part.edge_left * n_needs + part.edge_right
    n_a, n_b = key_a.size, key_b.size
    at_a = np.arange(n_a) + np.searchsorted(key_b, key_a)
    at_b = np.arange(n_b) + np.searchsorted(key_a, key_b)

    def merged(a: NDArray[Any], b: NDArray[Any]) -> NDArray[Any]:
        out = np.empty(n_a + n_b, dtype=a.dtype)
        out[at_a] = a[keep]
        out[at_b] = b
        return out

    left = merged(problem.edge_left, part.edge_left)
    right = merged(problem.edge_right, part.edge_right)
    return MatchProblem(
        edge_left=left,
        edge_right=right,
        weight=merged(problem.weight, part.weight),
        volunteer_utility=merged(problem.volunteer_utility, part.volunteer_utility),
        need_utility=merged(problem.need_utility, part.need_utility),
        left_capacity=problem.left_capacity,
        right_capacity=problem.right_capacity,
        left_ids=problem.left_ids,
        right_ids=problem.right_ids,
        pinned=np.zeros(n_a + n_b, dtype=bool),
        components=LazyComponents(enc, left, right),
    )


def _encoded(problem: MatchProblem, dataset: Dataset) -> Encoded:
    comps = problem.components
    if isinstance(comps, LazyComponents):
        return comps.encoded
    return encode(dataset)

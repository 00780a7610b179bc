"""The scored pairs of a round: built, or reused from the previous round.

With ``top_k``, each volunteer keeps their ``k`` best pairs *among those still open to
them*: pairs already decided (rejected, withdrawn, accepted; an expired offer may be
made again, so it is not decided) are kept in the problem, so explanations can name
them, but do not take one of the ``k`` places. A volunteer who turns offers down
therefore still has ``k`` pairs to be offered.

A warm re-plan (``match(previous=...)``) reuses the previous round's pairs. Without
``top_k`` they are reused as they are. With ``top_k``, each round also keeps a *reserve*:
every volunteer's next ``RESERVE`` best undecided pairs. Only volunteers whose decided
pairs changed are looked at again: most take their next best pairs from the reserve;
those whose reserve ran out (or who have a pair that is no longer decided, as when the
previous round came from another ledger) have their row scored again. Either way the
result is the problem a cold build would give (tested, over chains of rounds that use
the reserve up, and in the stateful test of the consent loop).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._build import build_encoded, lazy_problem
from ._dataset import Dataset
from ._encode import Encoded, encode
from ._numbering import in_sorted
from ._problem import MatchProblem
from ._scoring import LazyComponents
from ._top_k import top_k_mask
from ._weights import Weights

__all__ = ["RESERVE", "Reserve", "decided_keys", "round_problem"]

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


#: Undecided pairs kept per volunteer beyond ``top_k``, outside the problem: a warm
#: re-plan after a few decisions takes the next best from here instead of scoring the
#: volunteer's row again.
RESERVE = 8


@dataclass(frozen=True)
class Reserve:
    """Each volunteer's next best undecided pairs beyond the problem's ``top_k``.

    ``edges`` is a problem of the same ids holding them; ``complete[v]`` says that the
    problem and the reserve together hold every undecided acceptable pair of ``v``.
    """

    edges: MatchProblem
    complete: NDArray[np.bool_]


def round_problem(
    dataset: Dataset,
    weights: Weights,
    day: date,
    top_k: int | None,
    decided: I64,
    previous: tuple[MatchProblem, I64, Reserve | None] | None,
    *,
    keep_reserve: bool = True,
) -> tuple[MatchProblem, Reserve | None]:
    """The round's problem and, with ``top_k`` and ``keep_reserve``, its reserve.

    ``previous`` is (problem, its decided keys, its reserve) when reusable; a warm round
    keeps a reserve when the previous one had one. Without a ledger nothing is ever
    decided, so ``match`` asks for a reserve only with one.
    """
    if previous is None:
        enc = encode(dataset)
        if top_k is None or not keep_reserve:
            return build_encoded(enc, weights, day, top_k, protect=decided), None
        return _split(
            build_encoded(enc, weights, day, top_k + RESERVE, protect=decided), top_k, decided
        )
    problem, before, reserve = previous
    if top_k is None:
        return problem, None
    changed = np.setxor1d(before, decided)
    if changed.size == 0:
        return problem, reserve
    n_needs = max(problem.n_right, 1)
    affected = np.zeros(problem.n_left, dtype=bool)
    affected[changed // n_needs] = True
    enc = _encoded(problem, dataset)
    if reserve is None:
        resolved, redo = np.zeros(problem.n_left, dtype=bool), affected
    else:
        resolved = _resolvable(problem, reserve, affected, before, decided, top_k)
        redo = affected & ~resolved

    # Unchanged volunteers keep their rows; resolved ones re-rank what is known of them;
    # the others are scored again.
    parts_p: list[dict[str, NDArray[Any]]] = []
    parts_r: list[dict[str, NDArray[Any]]] = []
    complete = (
        reserve.complete.copy() if reserve is not None else np.zeros(problem.n_left, dtype=bool)
    )
    if resolved.any():
        assert reserve is not None
        known = _concat(
            [_rows(problem, resolved[problem.edge_left]),
             _rows(reserve.edges, resolved[reserve.edges.edge_left])]
        )
        pin = in_sorted(known["left"] * n_needs + known["right"], decided)
        mask = top_k_mask(
            known["left"], known["weight"], top_k, n_left=problem.n_left, pinned=pin,
            edge_right=known["right"],
        )
        parts_p.append(_take(known, mask))
        parts_r.append(_take(known, ~mask))
    if redo.any():
        part = build_encoded(
            enc, weights, day, top_k + RESERVE, protect=decided, volunteers=redo
        )
        sub_p, sub_r = _split(part, top_k, decided)
        parts_p.append(_rows(sub_p, np.ones(sub_p.n_edges, dtype=bool)))
        parts_r.append(_rows(sub_r.edges, np.ones(sub_r.edges.n_edges, dtype=bool)))
        complete[redo] = sub_r.complete[redo]
    new_p = _merged(_rows(problem, ~affected[problem.edge_left]), _sorted(_concat(parts_p)), n_needs)
    out = _problem(new_p, enc)
    if reserve is None:
        return out, None
    new_r = _merged(
        _rows(reserve.edges, ~affected[reserve.edges.edge_left]), _sorted(_concat(parts_r)), n_needs
    )
    return out, Reserve(_problem(new_r, enc), complete)


_COLUMNS = ("left", "right", "weight", "vu", "nu")


def _split(big: MatchProblem, k: int, decided: I64) -> tuple[MatchProblem, Reserve]:
    """A problem built with ``k + RESERVE`` -> the problem with ``k`` and the reserve."""
    n_needs = max(big.n_right, 1)
    pin = in_sorted(big.edge_left * n_needs + big.edge_right, decided)
    mask = top_k_mask(
        big.edge_left, big.weight, k, n_left=big.n_left, pinned=pin, edge_right=big.edge_right
    )
    undecided = np.bincount(big.edge_left[~pin], minlength=big.n_left)
    return big.subset(mask), Reserve(big.subset(~mask), undecided < k + RESERVE)


def _resolvable(
    problem: MatchProblem,
    reserve: Reserve,
    affected: NDArray[np.bool_],
    before: I64,
    decided: I64,
    k: int,
) -> NDArray[np.bool_]:
    """Affected volunteers whose new top ``k`` lies among the pairs known of them.

    The pairs not known of a volunteer rank below every known pair that was undecided
    before. So the known pairs suffice when all of them are known (``complete``), or when
    at least ``k`` known pairs are undecided both before and now. A newly decided pair
    must be known too (it is kept in the problem): otherwise the row is scored again.
    So is the row of a volunteer with a pair that is no longer decided (decisions only
    add pairs within one ledger, but ``previous=`` may come from a round on another
    ledger): that pair may rank below pairs that are not known, and keeping it among the
    known ones would break the first sentence for the next round.
    """
    n_needs = max(problem.n_right, 1)
    n_left = problem.n_left
    sure = np.zeros(n_left, dtype=np.int64)
    known_keys = []
    for edges in (problem, reserve.edges):
        pos = np.flatnonzero(affected[edges.edge_left])
        key = edges.edge_left[pos] * n_needs + edges.edge_right[pos]
        known_keys.append(key)
        open_both = ~in_sorted(key, before) & ~in_sorted(key, decided)
        sure += np.bincount(edges.edge_left[pos[open_both]], minlength=n_left)
    newly = np.setdiff1d(decided, before)
    unknown = newly[~in_sorted(newly, np.sort(np.concatenate(known_keys)))]
    lost = np.zeros(n_left, dtype=bool)
    lost[unknown // n_needs] = True
    lost[np.setdiff1d(before, decided) // n_needs] = True
    return affected & (reserve.complete | (sure >= k)) & ~lost


def _rows(p: MatchProblem, mask: NDArray[np.bool_]) -> dict[str, NDArray[Any]]:
    pos = np.flatnonzero(mask)
    return {
        "left": p.edge_left[pos],
        "right": p.edge_right[pos],
        "weight": p.weight[pos],
        "vu": p.volunteer_utility[pos],
        "nu": p.need_utility[pos],
    }


def _take(cols: dict[str, NDArray[Any]], mask: NDArray[np.bool_]) -> dict[str, NDArray[Any]]:
    return {k: v[mask] for k, v in cols.items()}


def _concat(parts: list[dict[str, NDArray[Any]]]) -> dict[str, NDArray[Any]]:
    if not parts:
        return {
            "left": np.zeros(0, dtype=np.int64),
            "right": np.zeros(0, dtype=np.int64),
            "weight": np.zeros(0),
            "vu": np.zeros(0),
            "nu": np.zeros(0),
        }
    return {k: np.concatenate([p[k] for p in parts]) for k in _COLUMNS}


def _sorted(cols: dict[str, NDArray[Any]]) -> dict[str, NDArray[Any]]:
    order = np.lexsort((cols["right"], cols["left"]))
    return {k: v[order] for k, v in cols.items()}


def _merged(
    a: dict[str, NDArray[Any]], b: dict[str, NDArray[Any]], n_needs: int
) -> dict[str, NDArray[Any]]:
    """Merge two edge lists sorted by (volunteer, need) that share no edge, by position
    (no second sort of the large one)."""
    key_a = a["left"] * n_needs + a["right"]
    key_b = b["left"] * n_needs + b["right"]
    n_a, n_b = key_a.size, key_b.size
    at_a = np.arange(n_a) + np.searchsorted(key_b, key_a)
    at_b = np.arange(n_b) + np.searchsorted(key_a, key_b)
    out = {}
    for k in _COLUMNS:
        col = np.empty(n_a + n_b, dtype=np.result_type(a[k], b[k]))
        col[at_a] = a[k]
        col[at_b] = b[k]
        out[k] = col
    return out


def _problem(cols: dict[str, NDArray[Any]], enc: Encoded) -> MatchProblem:
    return lazy_problem(enc, cols["left"], cols["right"], cols["weight"], cols["vu"], cols["nu"])


def _encoded(problem: MatchProblem, dataset: Dataset) -> Encoded:
    comps = problem.components
    if isinstance(comps, LazyComponents):
        return comps.encoded
    return encode(dataset)

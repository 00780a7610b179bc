"""What explanations, diagnostics and reports read from one round, computed once per result.

A :class:`RoundView` holds the encoded dataset (for re-running the hard rules), the
weights the round was scored with, and who holds each need's places (accepted
placements and the primary proposals, new or still open), as arrays.
Views are cached per ``MatchResult`` (weakly: a result that is dropped frees its view).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from ._encode import Encoded, encode
from ._exceptions import InvalidInputError
from ._memory import as_heavy_step
from ._numbering import group_order
from ._round_ledger import pair_indices
from ._weights import Weights

if TYPE_CHECKING:
    from ._proposals import MatchResult

__all__ = ["RoundView", "round_view"]

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class RoundView:
    """Arrays about one round (volunteers and needs in dataset order).

    Attributes
    ----------
    enc : Encoded
        The whole dataset, encoded.
    day : date
        The round's ``as_of``.
    weights : Weights
    vindex, nindex : dict of id to position
    holder_edge : int64 array
        Problem edge positions that hold a place: accepted placements and primary
        proposals (new or open). Alternatives do not hold a place.
    offered_v : bool array, shape (n_volunteers,)
        Has a proposal (new or open) this round.
    placed_v : int64 array, shape (n_volunteers,)
        Accepted placements per volunteer.
    excluded_edge : bool array, shape (n_edges,)
        Pairs the ledger excludes for good (rejected, withdrawn by the volunteer).
    blocked_n : bool array, shape (n_needs,)
        Needs a policy check keeps from matching.
    """

    enc: Encoded
    day: date
    weights: Weights
    vindex: dict[str, int]
    nindex: dict[str, int]
    holder_edge: I64
    offered_v: NDArray[np.bool_]
    placed_v: I64
    excluded_edge: NDArray[np.bool_]
    blocked_n: NDArray[np.bool_]
    v_start: I64
    problem: Any  # its edges by need are grouped on first use
    holder_by_need: I64
    h_start: I64
    proposals_of: dict[str, list[Any]]
    placements: frozenset[tuple[str, str]]

    def edges_of_volunteer(self, volunteer_index: int) -> I64:
        """Edge positions of one volunteer (edges are sorted by volunteer)."""
        a, b = (
            int(self.v_start[volunteer_index]),
            int(self.v_start[volunteer_index + 1]),
        )
        return np.arange(a, b, dtype=np.int64)

    def edges_of_need(self, need_index: int) -> I64:
        """Edge positions of one need, by volunteer (grouped when a need is first asked
        about: a second at 19 M edges)."""
        need_order: I64
        need_order, n_start = self.problem._by_need
        a, b = int(n_start[need_index]), int(n_start[need_index + 1])
        return need_order[a:b]

    def holders_of(self, need_index: int, problem: Any = None) -> I64:
        """Edge positions holding the need's places."""
        a, b = int(self.h_start[need_index]), int(self.h_start[need_index + 1])
        return self.holder_by_need[a:b]


_CACHE: weakref.WeakKeyDictionary[Any, RoundView] = weakref.WeakKeyDictionary()


def _edge_positions(
    problem: Any, pairs: Any, vindex: dict[str, int], nindex: dict[str, int]
) -> I64:
    pos = problem.edge_index(*pair_indices(pairs, vindex, nindex))
    return np.asarray(pos[pos >= 0], dtype=np.int64)


def _encoded(result: MatchResult) -> Encoded:
    """The encoded dataset: the one the problem's components are computed from when it
    covers the result's whole dataset (no second encoding of 110k records), else anew."""
    comps = result.problem.components
    enc = getattr(comps, "encoded", None)
    ds = result.dataset
    if (
        isinstance(enc, Encoded)
        and enc.volunteer_ids == tuple(v.id for v in ds.volunteers)
        and enc.need_ids == tuple(n.id for n in ds.needs)
    ):
        return enc
    return encode(ds)


def round_view(result: MatchResult) -> RoundView:
    """The (cached) :class:`RoundView` of a result."""
    view = _CACHE.get(result)
    if view is None:
        view = _CACHE[result] = _built_view(result)
    return view


@as_heavy_step  # (77k proposals and pairs made at once: collection paused)
def _built_view(result: MatchResult) -> RoundView:
    problem = result.problem
    vindex = {v: i for i, v in enumerate(problem.left_ids)}
    nindex = {n: j for j, n in enumerate(problem.right_ids)}
    raw = result.context.get("weights")
    weights = raw if isinstance(raw, Weights) else Weights.model_validate(raw or {})
    primary = [(p.volunteer_id, p.need_id) for p in result.proposals]
    holder = np.union1d(
        _edge_positions(problem, primary, vindex, nindex),
        _edge_positions(problem, result.placements, vindex, nindex),
    ).astype(np.int64)
    offered = np.zeros(problem.n_left, dtype=bool)
    offered[[vindex[v] for v, _ in primary if v in vindex]] = True
    placed = np.bincount(
        np.asarray(
            [vindex[v] for v, _ in result.placements if v in vindex], dtype=np.int64
        ),
        minlength=problem.n_left,
    )
    excluded = np.zeros(problem.n_edges, dtype=bool)
    excluded[
        _edge_positions(problem, result.context.get("excluded", ()), vindex, nindex)
    ] = True
    blocked = np.zeros(problem.n_right, dtype=bool)
    for nid in result.context.get("blocked", {}):
        if nid in nindex:
            blocked[nindex[nid]] = True
    v_start = problem._left_start
    by_need = holder[group_order(problem.edge_right[holder])]
    bounds = np.arange(problem.n_right + 1)
    proposals_of: dict[str, list[Any]] = {}
    for p in result.proposals:
        proposals_of.setdefault(p.volunteer_id, []).append(p)
    view = RoundView(
        v_start=v_start,
        problem=problem,
        holder_by_need=by_need,
        h_start=np.searchsorted(problem.edge_right[by_need], bounds).astype(np.int64),
        proposals_of=proposals_of,
        placements=frozenset(result.placements),
        enc=_encoded(result),
        day=result.as_of,
        weights=weights,
        vindex=vindex,
        nindex=nindex,
        holder_edge=holder,
        offered_v=offered,
        placed_v=placed.astype(np.int64),
        excluded_edge=excluded,
        blocked_n=blocked,
    )
    return view


def volunteer_index(view: RoundView, volunteer_id: str, caller: str) -> int:
    """Position of a volunteer, or an error saying the id is unknown."""
    i = view.vindex.get(volunteer_id)
    if i is None:
        raise InvalidInputError(
            f"{caller}: the dataset has no volunteer with id {volunteer_id!r}; "
            "pass one of result.dataset.volunteer_ids"
        )
    return i


def need_index(view: RoundView, need_id: str, caller: str) -> int:
    """Position of a need, or an error saying the id is unknown."""
    j = view.nindex.get(need_id)
    if j is None:
        raise InvalidInputError(
            f"{caller}: the dataset has no need with id {need_id!r}; "
            "pass one of result.dataset.need_ids"
        )
    return j

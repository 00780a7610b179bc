"""``stable``: deferred acceptance with capacities on both sides (many-to-many)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from .._exceptions import check_choice
from .._problem import Assignment, MatchProblem
from .._stability import _group_start, preference_orders

__all__ = ["StableSolver"]

IntArray = NDArray[np.int64]

_OBJECTIVES = ("weight", "cardinality")


class StableSolver:
    """Stable matching by deferred acceptance (Gale-Shapley), capacities on both sides.

    A volunteer with capacity ``k`` holds up to ``k`` needs, a need with capacity ``c``
    up to ``c`` volunteers. Preferences come from ``volunteer_utility`` (volunteers'
    side) and ``need_utility`` (needs' side); only edges are acceptable, whatever their
    utility. Ties are broken by the other side's index, ascending (see
    :func:`matchkit.solvers.blocking_pairs` for the rule and the stability definition).

    Parameters
    ----------
    proposing : {"volunteer", "need"}, default "volunteer"
        Which side proposes. Volunteer-proposing gives the volunteer-optimal stable
        matching (every volunteer gets the best set of needs any stable matching gives
        them); need-proposing gives the need-optimal one.

    Notes
    -----
    Pinned (accepted) pairs are kept, consume capacity, and are left out of the
    preference comparisons: the matching is stable among the remaining places.

    The result is *stable*, not weight-optimal (``Assignment.status == "stable"``). The
    ``objective`` argument is accepted for the common signature and changes nothing:
    every stable matching places the same volunteers and fills the same places (the
    "rural hospitals" theorem), so there is no cardinality to choose.

    The algorithm runs in rounds: every volunteer with a free place proposes to its next
    needs at once, every need keeps its best proposals up to capacity. Each round is a
    handful of vectorised passes, so a million proposals take seconds.

    Examples
    --------
    >>> import numpy as np, matchkit as mk
    >>> from matchkit.solvers import StableSolver
    >>> vol = np.array([[1.0, 2.0], [2.0, 1.0]])     # volunteer 0 prefers need 1
    >>> need = np.array([[2.0, 2.0], [1.0, 1.0]])    # both needs prefer volunteer 0
    >>> p = mk.MatchProblem.from_edges([0, 0, 1, 1], [0, 1, 0, 1], [1.0] * 4,
    ...     n_left=2, n_right=2, left_utility=vol.ravel(), right_utility=need.ravel())
    >>> StableSolver().solve(p).pairs.tolist()
    [[0, 1], [1, 0]]
    >>> StableSolver(proposing="need").solve(p).pairs.tolist()
    [[0, 1], [1, 0]]
    """

    name: ClassVar[str] = "stable"

    def __init__(self, *, proposing: str = "volunteer") -> None:
        self.proposing = check_choice(
            "proposing", proposing, ("volunteer", "need"), caller="StableSolver"
        )

    def __repr__(self) -> str:
        return f"StableSolver(proposing={self.proposing!r})"

    def solve(self, problem: MatchProblem, *, objective: str = "weight") -> Assignment:
        """Return the proposing side's optimal stable assignment of ``problem``.

        Examples
        --------
        >>> import numpy as np, matchkit as mk
        >>> p = mk.MatchProblem.from_dense(np.array([[3.0, 1.0], [2.0, 1.0]]))
        >>> mk.solve(p, method="stable").pairs.tolist()
        [[0, 0], [1, 1]]
        """
        check_choice("objective", objective, _OBJECTIVES, caller="StableSolver.solve")
        left_cap, right_cap = problem.residual_capacities()
        free = ~problem.pinned
        vol_order, need_order = preference_orders(problem)
        vol_order = vol_order[free[vol_order]]
        need_order = need_order[free[need_order]]
        if self.proposing == "volunteer":
            held, stats = deferred_acceptance(
                problem.edge_left,
                problem.edge_right,
                vol_order,
                need_order,
                left_cap,
                right_cap,
            )
        else:
            held, stats = deferred_acceptance(
                problem.edge_right,
                problem.edge_left,
                need_order,
                vol_order,
                right_cap,
                left_cap,
            )
        return Assignment.from_edges(
            problem,
            held,
            method=self.name,
            status="stable",
            info={"proposing": self.proposing, **stats},
        )


def deferred_acceptance(
    proposer: IntArray,
    receiver: IntArray,
    p_order: IntArray,
    r_order: IntArray,
    proposer_cap: IntArray,
    receiver_cap: IntArray,
) -> tuple[IntArray, dict[str, int]]:
    """Proposer-optimal many-to-many deferred acceptance over edge arrays.

    Edge ``e`` joins ``proposer[e]`` and ``receiver[e]``. ``p_order`` lists the edges
    that take part grouped by proposer, each proposer's from first to last choice;
    ``r_order`` lists the same edges grouped by receiver in the receiver's order.
    Returns the positions of the held edges (unsorted) and counts of proposals and
    rounds.
    """
    n_p = len(proposer_cap)
    n_r = len(receiver_cap)
    empty = np.zeros(0, dtype=np.int64)
    if len(p_order) == 0:
        return empty, {"proposals": 0, "rounds": 0}
    counts = np.bincount(proposer[p_order], minlength=n_p)
    end = np.cumsum(counts)
    ptr = end - counts
    # one integer key per edge orders it by (receiver, receiver's preference)
    r_key = np.zeros(len(proposer), dtype=np.int64)
    r_key[r_order] = np.arange(len(r_order))

    held_count = np.zeros(n_p, dtype=np.int64)
    held = empty
    touched = np.zeros(n_r, dtype=bool)
    pending = np.flatnonzero((proposer_cap > 0) & (counts > 0))
    proposals = rounds = 0
    while len(pending):
        n_new = np.minimum(
            proposer_cap[pending] - held_count[pending], end[pending] - ptr[pending]
        )
        go = n_new > 0
        pending, n_new = pending[go], n_new[go]
        if len(pending) == 0:
            break
        total = int(n_new.sum())
        proposals += total
        rounds += 1
        # positions ptr[p] .. ptr[p] + n_new[p] - 1 of every pending proposer p
        first = np.cumsum(n_new) - n_new
        pos = np.arange(total) - np.repeat(first - ptr[pending], n_new)
        new = p_order[pos]
        ptr[pending] += n_new
        held_count[pending] += n_new

        r_new = receiver[new]
        touched[r_new] = True
        in_touched = touched[receiver[held]]
        touched[r_new] = False
        pool = np.concatenate([held[in_touched], new])
        pool = pool[np.argsort(r_key[pool], kind="stable")]
        r_pool = receiver[pool]
        place = np.arange(len(pool)) - _group_start(r_pool)
        keep = place < receiver_cap[r_pool]
        rejected = pool[~keep]
        held = np.concatenate([held[~in_touched], pool[keep]])
        if len(rejected) == 0:
            break
        losers, lost = np.unique(proposer[rejected], return_counts=True)
        held_count[losers] -= lost
        pending = losers[ptr[losers] < end[losers]]
    return held, {"proposals": proposals, "rounds": rounds}

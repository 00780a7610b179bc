"""The ``flow`` method: exact maximum-weight b-matching on large sparse problems.

See ``docs/flow.md`` for how it works, the exactness bound and measured figures.
"""

from __future__ import annotations

import logging
import sys
from importlib import import_module
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike

from .._exceptions import InvalidInputError, check_choice
from .._memory import no_hugepage_advice
from .._problem import Assignment, MatchProblem
from .._threads import meanwhile, worker_threads
from ._flow_fast import solve_fast, work_budget
from ._flow_int import IntProblem, integer_problem
from ._flow_lapjv import solve_lapjv
from ._flow_lp import solve_lp
from ._flow_ortools import ortools_installed
from ._flow_pricing import MAX_SHARE as _PRICING_MAX_SHARE
from ._flow_pricing import MIN_EDGES as _PRICING_MIN_EDGES
from ._flow_pricing import REPAIR_MIN as _PRICING_REPAIR_MIN
from ._flow_pricing import Exact, solve_priced

__all__ = ["FlowSolver"]

_OBJECTIVES = ("weight", "cardinality")
_BACKENDS = ("auto", "auction", "lp", "lapjv", "ortools")
#: Below this many free edges the cloning reduction is quick; above it the LP is used.
_SMALL = 20_000
#: Round budget of the auction's second try (every edge a candidate), in multiples of
#: its default budget.
_RETRY_ROUNDS = 4
#: Above this many free edges the LP takes minutes: a warning says what to do.
_SLOW_LP = 2_000_000
#: From this many edges, scipy's graph routines that a repair needs are imported on
#: another core while OR-Tools solves the first subgraph (a 100k city's first solve, on
#: 1 M of its 20 M edges, takes 1.0-1.5 s). Below, the first solve may end before the
#: import (0.25 s of Python), which would then take turns with the main thread's own
#: Python: a repair imports them itself.
_AHEAD_EDGES = 5_000_000

log = logging.getLogger("matchkit")


class FlowSolver:
    """Exact maximum-weight b-matching (capacities on both sides, unmatched allowed).

    Parameters
    ----------
    scale : int or None, default None
        Float weights are solved exactly after rounding to multiples of ``1 / scale``.
        ``None`` keeps whole-number weights as they are (exact) and otherwise picks a
        power of two by the weights' size: the one that puts the largest |weight| between
        2**19 and 2**20 when it is at most 1 (so weights of 1e-7 keep 20 bits), and 2**20
        above, lowered only where the exact integer range demands (docs/flow.md).

    Notes
    -----
    *Objective.* ``"weight"`` maximises the total weight of the chosen edges. Leaving a
    volunteer unmatched is worth 0, so an edge with weight <= 0 (after rounding) is never
    chosen. ``"cardinality"`` maximises the number of chosen pairs first and the total
    weight among those; edges with weight <= 0 may then be chosen.

    *Exactness.* Whole-number weights are solved exactly. Other weights are rounded to
    ``W = round(w * scale)``; the result is optimal for the rounded weights, and its true
    weight is within ``(k + k_opt) / (2 * scale)`` of the true optimum, where ``k`` and
    ``k_opt`` count the free (not pinned) pairs of the result and of a true optimum.

    *Pins.* Pinned edges are always in the result and use up capacity.

    *Backends.* ``"auto"`` runs the certified auction when exactly one side has capacity
    1 everywhere; otherwise, or when the auction cannot certify its answer within its
    round budget, an exact reduction: for small problems the sparse full matching with
    capacities cloned (``"lapjv"``), for larger ones the b-matching linear program solved
    by HiGHS' dual simplex (``"lp"``; its vertices are integral, no capacity is cloned).
    When OR-Tools is installed (``pip install "matchkit[ortools]"``), ``"auto"`` uses its
    min-cost flow (``"ortools"``) instead of the LP: the same optimum, reached 15x faster
    on a 10k-volunteer city and in seconds where the LP takes minutes (100k volunteers
    with capacities on both sides). Among several optimal assignments the two may pick
    different ones; ``info["backend"]`` says which ran.

    *Determinism.* The same problem gives the same assignment: every step runs in a
    fixed order over volunteer and need indices, without randomness.

    Examples
    --------
    >>> import numpy as np, matchkit as mk
    >>> w = np.array([[4.0, 1.0], [3.0, 2.0], [5.0, 0.0]])
    >>> p = mk.MatchProblem.from_dense(w, right_capacity=[2, 1])
    >>> a = FlowSolver().solve(p)
    >>> a.pairs.tolist(), a.objective
    ([[0, 0], [1, 1], [2, 0]], 11.0)
    """

    name: ClassVar[str] = "flow"

    def __init__(
        self, *, scale: int | None = None, backend: str = "auto", candidates: int = 8
    ) -> None:
        if scale is not None:
            if isinstance(scale, bool) or not isinstance(scale, (int, np.integer)):
                raise InvalidInputError(
                    f"The 'scale' parameter of FlowSolver must be a positive int or None. "
                    f"Got {scale!r}."
                )
            if scale < 1:
                raise InvalidInputError(
                    f"The 'scale' parameter of FlowSolver must be a positive int or None. "
                    f"Got {scale!r}."
                )
            scale = int(scale)
        self.scale = scale
        self.backend = check_choice("backend", backend, _BACKENDS, caller="FlowSolver")
        if (
            isinstance(candidates, bool)
            or not isinstance(candidates, (int, np.integer))
            or candidates < 1
        ):
            raise InvalidInputError(
                f"The 'candidates' parameter of FlowSolver must be a positive int. "
                f"Got {candidates!r}."
            )
        self.candidates = int(candidates)

    def __repr__(self) -> str:
        return (
            f"FlowSolver(scale={self.scale!r}, backend={self.backend!r}, "
            f"candidates={self.candidates!r})"
        )

    def solve(self, problem: MatchProblem, *, objective: str = "weight") -> Assignment:
        """Solve ``problem`` exactly and return the chosen pairs (pins included).

        Parameters
        ----------
        problem : MatchProblem
            The problem; volunteers are rows ("left"), needs are columns ("right").
        objective : {"weight", "cardinality"}, default "weight"
            What to maximise (see the class Notes).

        Returns
        -------
        Assignment
            ``method="flow"``, ``status="optimal"``; ``info`` holds ``scale``.

        Examples
        --------
        >>> import matchkit as mk
        >>> p = mk.MatchProblem.from_edges([0, 1], [0, 0], [1.0, -1.0], n_left=2, n_right=1,
        ...                                right_capacity=2)
        >>> FlowSolver().solve(p).pairs.tolist()
        [[0, 0]]
        >>> FlowSolver().solve(p, objective="cardinality").pairs.tolist()
        [[0, 0], [1, 0]]
        """
        return self._solve(problem, objective=objective)

    def _solve(
        self,
        problem: MatchProblem,
        *,
        objective: str = "weight",
        need_price: ArrayLike | None = None,
    ) -> Assignment:
        """``solve`` with a warm start: ``need_price`` (weight units, one per need) seeds
        the auction's prices, e.g. the ``info["need_price"]`` of an earlier solve. It is
        used when volunteers are the bidding side (every volunteer has capacity 1)."""
        # numpy's huge-page advice stalls page faults in the large arrays built here
        # (see ``matchkit._memory``); the backends are libraries, no user code runs inside.
        with no_hugepage_advice():
            return self._run(problem, objective, need_price)

    def _run(
        self, problem: MatchProblem, objective: str, need_price: ArrayLike | None
    ) -> Assignment:
        check_choice("objective", objective, _OBJECTIVES, caller="FlowSolver.solve")
        ip = integer_problem(problem, objective=objective, scale=self.scale)
        info: dict[str, Any] = {"scale": ip.scale}
        backend = self.backend
        # Capacity 1 at every volunteer (need) that has an edge.
        if ip.kept is None:  # every edge: the problem's edge counts (often known) tell
            deg_l, deg_r = problem._degrees
            unit_left = not ((ip.left_capacity != 1) & (deg_l > 0)).any()
            unit_right = not ((ip.right_capacity != 1) & (deg_r > 0)).any()
        else:  # (a table of flags read at every edge kept)
            unit_left = not np.take(ip.left_capacity != 1, ip.left).any()
            unit_right = not np.take(ip.right_capacity != 1, ip.right).any()
        exact = "lp" if (len(ip.left) > _SMALL and objective == "weight") else "lapjv"
        if len(ip.left) > _SMALL and ortools_installed():
            exact = "ortools"  # the optional accelerated path: same optimum, much faster
        if backend == "auto":
            # Capacity 1 on both sides is a plain sparse assignment: LAPJVsp needs no
            # cloning there and beats the auction's long repair chains.
            if unit_left != unit_right:
                backend = "auction"
            else:
                backend = "lapjv" if (unit_left and unit_right) else exact
        if backend == "auction" and not (unit_left or unit_right):
            raise InvalidInputError(
                "FlowSolver(backend='auction') needs capacity 1 on one side (every "
                "volunteer, or every need); use backend='auto' or 'lapjv'"
            )
        local: np.ndarray | None = None
        if backend == "auction" and len(ip.left):
            local = self._auction(
                ip, unit_left, need_price, objective, problem, info, retry=exact == "lp"
            )
        if local is None and backend == "auction" and exact != "lapjv":
            backend = exact  # the auction gave up: OR-Tools or the LP, then the cloning
        if (
            local is None
            and self.backend == "auto"
            and backend in ("ortools", "lp")
            and len(ip.left) >= _PRICING_MIN_EDGES
        ):
            local = self._priced(ip, backend, objective, problem, info)
        if (
            local is None
            and backend == "lp"
            and len(ip.left) > _SLOW_LP
            and self.backend == "auto"
        ):
            # (Only now: priced, the LP solves such a problem in seconds, e.g. a 30k city's
            # 2.9 M pairs in 5 s.)
            why = (
                "the auction could not certify an answer"
                if unit_left or unit_right
                else "capacities on both sides"
            )
            log.warning(
                "flow: solving %d pairs through the LP (%s); this can take a minute or "
                "more. Install OR-Tools (pip install 'matchkit[ortools]') to solve it in "
                "seconds, or shrink the problem with top_k.",
                len(ip.left),
                why,
            )
        if local is None and backend == "lp":
            local = solve_lp(
                ip.left, ip.right, ip.weight, ip.left_capacity, ip.right_capacity
            )
            if local is None:
                info["fallback"] = "lp: no integral optimum from HiGHS"
        if local is None and backend == "ortools":
            from ._flow_ortools import solve_ortools

            local = solve_ortools(
                ip.left, ip.right, ip.weight, ip.left_capacity, ip.right_capacity
            )
        if local is None:
            local = solve_lapjv(
                ip.left, ip.right, ip.weight, ip.left_capacity, ip.right_capacity
            )
            if "fallback" in info:
                backend = "lapjv"
        info["backend"] = backend
        return Assignment.from_edges(
            problem, ip.original(local), method=self.name, status="optimal", info=info
        )

    def _priced(
        self,
        ip: IntProblem,
        backend: str,
        objective: str,
        problem: MatchProblem,
        info: dict[str, Any],
    ) -> np.ndarray | None:
        # Large problems: the backend solves a subgraph and prices prove the answer
        # optimal on every edge (``_flow_pricing``); None: solve every edge instead.
        exact: Exact = solve_lp
        if backend == "ortools":
            from ._flow_ortools import solve_ortools

            exact = solve_ortools
            if (
                worker_threads() > 1
                and len(ip.left) >= _AHEAD_EDGES
                and "scipy.sparse.csgraph" not in sys.modules
            ):
                # A repair's shortest paths (``_flow_repair``) need scipy's graph routines,
                # 0.25 s to import: loaded on another core while OR-Tools, which imports no
                # scipy, solves the first subgraph. (The LP imports scipy itself.)
                meanwhile(import_module, "scipy.sparse.csgraph")
        res = solve_priced(
            ip.left, ip.right, ip.weight, ip.left_capacity, ip.right_capacity, exact, info,
            max_share=_PRICING_MAX_SHARE[backend], repair_min=_PRICING_REPAIR_MIN[backend],
        )
        if res is None:
            return None
        local, u, p = res
        info["certified"] = True
        if objective == "weight":
            info["need_price"] = p / float(ip.scale)
            info["volunteer_profit"] = u / float(ip.scale)
        return local

    def _auction(
        self,
        ip: IntProblem,
        unit_left: bool,
        need_price: ArrayLike | None,
        objective: str,
        problem: MatchProblem,
        info: dict[str, Any],
        *,
        retry: bool = False,
    ) -> np.ndarray | None:
        # The auction's bidders are the side with capacity 1 (volunteers if possible).
        bid, obj = (ip.left, ip.right) if unit_left else (ip.right, ip.left)
        obj_cap = ip.right_capacity if unit_left else ip.left_capacity
        prices = None
        if need_price is not None and unit_left:
            npr = np.asarray(need_price, dtype=np.float64).reshape(-1)
            if npr.shape != (problem.n_right,):
                raise InvalidInputError(
                    f"need_price must have one value per need, shape ({problem.n_right},); "
                    f"got shape {npr.shape}"
                )
            prices = np.maximum(npr, 0.0) * ip.scale  # in units of the integer weights
        try:
            res = solve_fast(bid, obj, ip.weight, obj_cap, k=self.candidates, prices=prices)
        except (RuntimeError, AssertionError) as exc:  # no certificate: exact fallback
            info["fallback"] = str(exc) or type(exc).__name__
            counts = np.bincount(bid)
            degree, n_bidders = int(counts.max()), int(np.count_nonzero(counts))
            # (The auction pads each bidder's list to ``degree``: only where that stays
            # within a few times the edges.)
            padded = n_bidders * degree
            if not retry or degree <= self.candidates or padded > max(4 * len(bid), 2**22):
                return None
            # Where volunteers want the same few needs (a city), pruned candidate lists
            # keep being repaired round after round. With every edge as a candidate the
            # auction still beats the LP by far (10k x 1k city: 1.4 s against 5.6 s; 100k
            # with top_k=50: 12 s against 215 s); with OR-Tools installed it is used instead.
            try:
                res = solve_fast(
                    bid, obj, ip.weight, obj_cap, k=degree, prices=prices,
                    max_rounds=_RETRY_ROUNDS * (3000 + n_bidders // 10),
                    max_work=_RETRY_ROUNDS * work_budget(len(bid)),
                )
            except (RuntimeError, AssertionError) as again:
                info["fallback"] += f"; with every edge as a candidate: {again}"
                return None
            info["retried_with_every_edge"] = True
            del info["fallback"]
        info["certified"] = True
        info["rounds"] = res.rounds
        info["added_edges"] = res.added_edges
        if objective == "weight":
            unit = float(res.mult * ip.scale)
            price = np.zeros(problem.n_right if unit_left else problem.n_left)
            price[res.needs] = res.need_price / unit
            profit = np.zeros(problem.n_left if unit_left else problem.n_right)
            profit[res.volunteers] = res.volunteer_profit / unit
            if unit_left:
                info["need_price"], info["volunteer_profit"] = price, profit
            else:
                info["need_price"], info["volunteer_profit"] = profit, price
        return res.chosen

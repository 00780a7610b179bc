"""``milp``: scipy.optimize.milp (HiGHS) with side constraints a flow cannot express."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._exceptions import (
    InfeasibleError,
    InvalidInputError,
    MatchkitError,
    check_choice,
)
from .._problem import Assignment, MatchProblem

__all__ = ["Group", "MilpSolver", "MinShare", "clashes_from_slots"]

IntArray = NDArray[np.int64]
Ref = str | int
_OBJECTIVES = ("weight", "cardinality")
#: The objective is scaled by a power of two (exactly) so that its largest |coefficient|
#: lies in [2**(TOP_BITS-1), 2**TOP_BITS): HiGHS' tolerances are absolute (a gap of 1e-6
#: ends the search), so weights of 1e-7 came back unmatched, and it takes 1e20 as infinite.
TOP_BITS = 20
#: Above this many edges without a ``time_limit``, a warning says the solve can take
#: minutes (random problems, capacity 5 per need: 30 k edges 0.9 s, 0.18 M 15 s, 0.9 M
#: more than 5 minutes).
SLOW_EDGES = 200_000

log = logging.getLogger("matchkit")


def _refs(values: Iterable[Any], what: str) -> tuple[Ref, ...]:
    out: list[Ref] = []
    for k, v in enumerate(values):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (str, int, np.integer)):
            raise InvalidInputError(
                f"{what}[{k}] = {v!r} must be an id (str) or an index (int)"
            )
        out.append(v if isinstance(v, str) else int(v))
    if len(set(out)) != len(out):
        dup = next(v for v in out if out.count(v) > 1)
        raise InvalidInputError(f"{what} lists {dup!r} more than once")
    return tuple(out)


@dataclass(frozen=True)
class Group:
    """Volunteers placed together (friends, a family): all at the same needs, or none.

    For every need, either every member takes it or no member does. A need that some
    member cannot take (no edge) is therefore closed to the whole group.

    Parameters
    ----------
    volunteers : sequence of str or int
        Volunteer ids (or row indices); at least two, no repeats.
    name : str, optional
        Shown in error messages (default: the member list).

    Examples
    --------
    >>> from matchkit.solvers import Group
    >>> Group(["v1", "v2"], name="the Ivanovs")
    Group(volunteers=('v1', 'v2'), name='the Ivanovs')
    """

    volunteers: tuple[Ref, ...]
    name: str | None = None

    def __init__(self, volunteers: Iterable[Ref], name: str | None = None) -> None:
        members = _refs(volunteers, "Group.volunteers")
        if len(members) < 2:
            raise InvalidInputError(
                f"a Group needs at least two volunteers; got {list(members)!r}"
            )
        object.__setattr__(self, "volunteers", members)
        object.__setattr__(self, "name", name)

    @property
    def label(self) -> str:
        return (
            repr(self.name) if self.name else f"of volunteers {list(self.volunteers)!r}"
        )


@dataclass(frozen=True)
class MinShare:
    """A floor on the placements into a set of needs (an organisation, a district).

    Parameters
    ----------
    needs : sequence of str or int
        Need ids (or column indices) of the set.
    count : int, optional
        At least this many placements into the set.
    share : float in (0, 1], optional
        At least this fraction of all placements (pinned ones included) go to the set.
        Give ``count``, ``share`` or both.
    name : str, optional
        Shown in error messages, e.g. the organisation or district id.

    Examples
    --------
    >>> from matchkit.solvers import MinShare
    >>> MinShare(["n1", "n2"], share=0.25, name="district 3").share
    0.25
    """

    needs: tuple[Ref, ...]
    count: int | None = None
    share: float | None = None
    name: str | None = None

    def __init__(
        self,
        needs: Iterable[Ref],
        *,
        count: int | None = None,
        share: float | None = None,
        name: str | None = None,
    ) -> None:
        members = _refs(needs, "MinShare.needs")
        if not members:
            raise InvalidInputError(
                "MinShare.needs is empty; give the needs of the set"
            )
        if count is None and share is None:
            raise InvalidInputError("MinShare needs count=..., share=... or both")
        if count is not None and (
            isinstance(count, bool)
            or not isinstance(count, (int, np.integer))
            or count < 0
        ):
            raise InvalidInputError(
                f"MinShare count must be an int >= 0; got {count!r}"
            )
        if share is not None and not (
            isinstance(share, (int, float)) and 0 < share <= 1
        ):
            raise InvalidInputError(f"MinShare share must be in (0, 1]; got {share!r}")
        object.__setattr__(self, "needs", members)
        object.__setattr__(self, "count", None if count is None else int(count))
        object.__setattr__(self, "share", None if share is None else float(share))
        object.__setattr__(self, "name", name)

    @property
    def label(self) -> str:
        return repr(self.name) if self.name else f"over needs {list(self.needs)!r}"


def clashes_from_slots(slots: Sequence[Iterable[str]] | ArrayLike) -> IntArray:
    """Pairs of needs whose time slots overlap: the clashes for :class:`MilpSolver`.

    Parameters
    ----------
    slots : sequence of sets of str, or bool array of shape (n_needs, n_slots)
        The slots of each need, in need (column) order. A need without slots is
        flexible and clashes with nothing.

    Returns
    -------
    ndarray of shape (m, 2), int64
        Need index pairs ``(a, b)`` with ``a < b``, sorted.

    Examples
    --------
    >>> from matchkit.solvers import clashes_from_slots
    >>> clashes_from_slots([{"mon-morning"}, {"mon-morning", "tue-evening"},
    ...                     {"tue-evening"}, set()]).tolist()
    [[0, 1], [1, 2]]
    """
    arr = (
        np.asarray(slots, dtype=object) if not isinstance(slots, np.ndarray) else slots
    )
    if isinstance(arr, np.ndarray) and arr.ndim == 2 and arr.dtype.kind == "b":
        table = arr
    else:
        sets = [set(s) for s in slots]  # type: ignore[union-attr, arg-type]
        names = sorted(set().union(*sets)) if sets else []
        col = {s: i for i, s in enumerate(names)}
        table = np.zeros((len(sets), len(names)), dtype=bool)
        rows = np.repeat(np.arange(len(sets)), [len(s) for s in sets])
        table[rows, [col[s] for t in sets for s in sorted(t)]] = True
    t = table.astype(np.float32)
    overlap = (t @ t.T) > 0
    a, b = np.nonzero(np.triu(overlap, k=1))
    return np.stack([a, b], axis=1).astype(np.int64)


class MilpSolver:
    """Exact assignment with side constraints, through ``scipy.optimize.milp`` (HiGHS).

    One binary variable per edge; capacities on both sides; pinned pairs fixed to 1.
    Without side constraints it reaches the same objective as ``hungarian`` (slower). The
    objective is scaled by a power of two (exactly) so that the largest |weight| is near
    2**20: HiGHS' tolerances are absolute, and this keeps the answer exact at any
    magnitude, up to differences of about 1e-12 of the largest weight.

    Parameters
    ----------
    clashes : array-like of shape (m, 2), optional
        Pairs of needs (ids or column indices) that a volunteer cannot both take, for
        example because their slots overlap (see :func:`clashes_from_slots`). Only
        volunteers with two or more places are affected.
    groups : sequence of Group (or of volunteer-id lists), optional
        Volunteers placed together at the same needs, or not at all.
    min_share : MinShare or sequence of MinShare, optional
        Floors on the placements into sets of needs.
    time_limit : float, optional
        Seconds HiGHS may spend. When it stops early with a feasible assignment, the
        assignment's status is ``"feasible"`` instead of ``"optimal"``.

    Raises
    ------
    InvalidInputError
        At construction, for malformed constraints; at solve time, for ids the problem
        does not have.

    Notes
    -----
    Under ``objective="weight"`` an edge with weight <= 0 is never chosen (as in every
    method); only a :class:`MinShare` can then make a problem infeasible, since leaving
    everyone unmatched satisfies clashes and groups (unless pinned pairs break them).
    An infeasible problem raises :class:`~matchkit.InfeasibleError` naming the
    constraint. ``"cardinality"`` is solved lexicographically: most pairs first, then
    the best weight among those. Among equally good assignments the one HiGHS returns is
    kept; it is deterministic for a given problem and scipy version.

    Examples
    --------
    >>> import numpy as np, matchkit as mk
    >>> from matchkit.solvers import Group, MilpSolver
    >>> w = np.array([[5.0, 1.0], [2.0, 5.0]])
    >>> p = mk.MatchProblem.from_dense(w, right_capacity=2, left_ids=["ann", "bob"])
    >>> mk.solve(p, method="milp").pairs.tolist()
    [[0, 0], [1, 1]]
    >>> together = MilpSolver(groups=[Group(["ann", "bob"])])
    >>> a = mk.solve(p, method=together)
    >>> a.pairs.tolist(), a.objective
    ([[0, 0], [1, 0]], 7.0)
    """

    name: ClassVar[str] = "milp"

    def __init__(
        self,
        *,
        clashes: ArrayLike | None = None,
        groups: Sequence[Group | Sequence[Ref]] = (),
        min_share: MinShare | Sequence[MinShare] = (),
        time_limit: float | None = None,
    ) -> None:
        if clashes is None:
            self.clashes: NDArray[Any] = np.zeros((0, 2), dtype=np.int64)
        else:
            arr = np.asarray(clashes)
            if arr.size == 0:
                arr = np.zeros((0, 2), dtype=np.int64)
            if arr.ndim != 2 or arr.shape[1] != 2:
                raise InvalidInputError(
                    f"clashes must be pairs of needs, shape (m, 2); got shape {arr.shape}"
                )
            if arr.dtype.kind not in "iuUO":
                raise InvalidInputError(
                    f"clashes must hold need ids (str) or indices (int); got dtype {arr.dtype}"
                )
            same = arr[:, 0] == arr[:, 1]
            if same.any():
                i = int(np.flatnonzero(same)[0])
                raise InvalidInputError(
                    f"clashes[{i}] pairs need {arr[i, 0].item()!r} with itself; a clash joins two needs"
                )
            self.clashes = arr
        self.groups: tuple[Group, ...] = tuple(
            g if isinstance(g, Group) else Group(g) for g in groups
        )
        shares = [min_share] if isinstance(min_share, MinShare) else list(min_share)
        for k, m in enumerate(shares):
            if not isinstance(m, MinShare):
                raise InvalidInputError(f"min_share[{k}] must be a MinShare; got {m!r}")
        self.min_share: tuple[MinShare, ...] = tuple(shares)
        if time_limit is not None and not (
            isinstance(time_limit, (int, float))
            and not isinstance(time_limit, bool)
            and time_limit > 0
        ):
            raise InvalidInputError(
                f"The 'time_limit' parameter of MilpSolver must be a positive number of "
                f"seconds or None. Got {time_limit!r}."
            )
        self.time_limit = None if time_limit is None else float(time_limit)

    def __repr__(self) -> str:
        return (
            f"MilpSolver(clashes={len(self.clashes)} pairs, groups={len(self.groups)}, "
            f"min_share={len(self.min_share)}, time_limit={self.time_limit})"
        )

    def solve(self, problem: MatchProblem, *, objective: str = "weight") -> Assignment:
        """Return an optimal assignment of ``problem`` under the side constraints.

        Parameters
        ----------
        problem : MatchProblem
        objective : {"weight", "cardinality"}, default "weight"

        Returns
        -------
        Assignment
            ``status`` is ``"optimal"``, or ``"feasible"`` when ``time_limit`` stopped
            HiGHS early.

        Raises
        ------
        InfeasibleError
            If no assignment satisfies the side constraints; the message names them.

        Examples
        --------
        Ann can take both needs, but they clash, so she keeps the better one:

        >>> import numpy as np, matchkit as mk
        >>> from matchkit.solvers import MilpSolver
        >>> p = mk.MatchProblem.from_dense(np.array([[5.0, 4.0]]), left_capacity=2,
        ...                                left_ids=["ann"], right_ids=["park", "zoo"])
        >>> a = MilpSolver(clashes=[("park", "zoo")]).solve(p)
        >>> a.id_pairs(p), a.objective, a.status
        ([('ann', 'park')], 5.0, 'optimal')
        """
        check_choice("objective", objective, _OBJECTIVES, caller="MilpSolver.solve")
        if problem.n_edges > SLOW_EDGES and self.time_limit is None:
            log.warning(
                "milp: %d pairs for HiGHS' branch and bound; this can take many minutes "
                "(0.18 M pairs took 15 s, 0.9 M more than 5 minutes). Without side "
                "conditions use method='flow' (exact, seconds); with them, shrink the "
                "problem with top_k or give MilpSolver(time_limit=...).",
                problem.n_edges,
            )
        model = _Model(problem, objective)
        model.add_clashes(self.clashes)
        for g in self.groups:
            model.add_group(g)
        for m in self.min_share:
            model.add_min_share(m)
        x, status = model.run(self.time_limit)
        if x is None and status == "time_limit":
            raise MatchkitError(
                f"HiGHS found no feasible assignment within time_limit={self.time_limit} s; "
                "raise the time limit or relax the side constraints"
            )
        if x is None and status != "infeasible":
            raise MatchkitError(
                f"HiGHS stopped without an assignment ({model.message}); the problem is "
                "feasible, so this is a numerical failure: try method='flow' or "
                "method='hungarian', or rescale the weights"
            )
        if x is None:
            raise InfeasibleError(model.diagnose(self.time_limit))
        chosen = np.flatnonzero(x > 0.5)
        return Assignment.from_edges(problem, chosen, method=self.name, status=status)


#: scipy.optimize.milp's status codes when it returns no solution: 1 a time (or
#: iteration) limit, 2 infeasible; others (3 unbounded, 4 other) are failures.
_NO_ANSWER = {1: "time_limit", 2: "infeasible"}


def _scaled(c: NDArray[np.float64]) -> NDArray[np.float64]:
    """``c`` times the power of two that puts its largest |value| in
    [2**(TOP_BITS-1), 2**TOP_BITS); exact (only the exponents change)."""
    top = float(np.abs(c).max()) if c.size else 0.0
    if top == 0.0:
        return c
    return np.ldexp(c, TOP_BITS - math.frexp(top)[1])


class _Model:
    """The MILP of one problem: bounds, constraint rows, and the labels of side rows."""

    def __init__(self, problem: MatchProblem, objective: str) -> None:
        import scipy.sparse as sp  # type: ignore[import-untyped,unused-ignore]
        self.p = problem
        self.objective = objective
        n = problem.n_edges
        self.lb = problem.pinned.astype(np.float64)
        usable = (
            np.ones(n, dtype=bool) if objective == "cardinality" else problem.weight > 0
        )
        self.ub = (usable | problem.pinned).astype(np.float64)
        eidx = np.arange(n)
        self.base = [
            (
                sp.csr_array(
                    (np.ones(n), (problem.edge_left, eidx)), shape=(problem.n_left, n)
                ),
                np.zeros(problem.n_left),
                problem.left_capacity.astype(np.float64),
            ),
            (
                sp.csr_array(
                    (np.ones(n), (problem.edge_right, eidx)), shape=(problem.n_right, n)
                ),
                np.zeros(problem.n_right),
                problem.right_capacity.astype(np.float64),
            ),
        ]
        self.side: list[tuple[str, Any, Any, Any]] = []  # (label, A, lo, hi)
        self.message = ""  # HiGHS' message when it stops without an answer
        self.left_pos = {x: i for i, x in enumerate(problem.left_ids)}
        self.right_pos = {x: i for i, x in enumerate(problem.right_ids)}

    def _index(self, refs: Iterable[Ref], side: str, what: str) -> IntArray:
        _ids, pos, n = (
            (self.p.left_ids, self.left_pos, self.p.n_left)
            if side == "volunteer"
            else (self.p.right_ids, self.right_pos, self.p.n_right)
        )
        out = []
        for r in refs:
            if isinstance(r, str):
                if r not in pos:
                    raise InvalidInputError(
                        f"{what}: no {side} with id {r!r} in this problem"
                    )
                out.append(pos[r])
            else:
                if not 0 <= int(r) < n:
                    raise InvalidInputError(
                        f"{what}: {side} index {r} is out of range 0..{n - 1}"
                    )
                out.append(int(r))
        return np.asarray(out, dtype=np.int64)

    def _pair(self, e: int) -> str:
        p = self.p
        return f"({p.left_ids[p.edge_left[e]]!r}, {p.right_ids[p.edge_right[e]]!r})"

    def add_clashes(self, clashes: NDArray[Any]) -> None:
        import scipy.sparse as sp  # type: ignore[import-untyped,unused-ignore]
        if len(clashes) == 0:
            return
        p = self.p
        a = self._index(clashes[:, 0].tolist(), "need", "clashes")
        b = self._index(clashes[:, 1].tolist(), "need", "clashes")
        by_need, start = p._by_need
        deg = np.diff(start)[a]
        k = int(deg.sum())
        ea = by_need[np.repeat(start[a] - (np.cumsum(deg) - deg), deg) + np.arange(k)]
        eb = p.edge_index(p.edge_left[ea], np.repeat(b, deg))
        ok = eb >= 0
        ea, eb = ea[ok], eb[ok]
        live = (
            (self.ub[ea] > 0)
            & (self.ub[eb] > 0)
            & (p.left_capacity[p.edge_left[ea]] >= 2)
        )
        ea, eb = ea[live], eb[live]
        both = p.pinned[ea] & p.pinned[eb]
        if both.any():
            i = int(np.flatnonzero(both)[0])
            raise InfeasibleError(
                f"clash: accepted pairs {self._pair(int(ea[i]))} and {self._pair(int(eb[i]))} "
                "overlap in time; withdraw one of them or drop that clash"
            )
        m = len(ea)
        rows = np.repeat(np.arange(m), 2)
        cols = np.stack([ea, eb], axis=1).reshape(-1)
        A = sp.csr_array((np.ones(2 * m), (rows, cols)), shape=(m, p.n_edges))
        self.side.append(("the clashes", A, np.zeros(m), np.ones(m)))

    def add_group(self, g: Group) -> None:
        import scipy.sparse as sp  # type: ignore[import-untyped,unused-ignore]
        p = self.p
        members = self._index(g.volunteers, "volunteer", f"Group {g.label}")
        mine = np.isin(p.edge_left, members) & (self.ub > 0)
        needs = np.unique(p.edge_right[mine])
        m = len(members)
        # table[s, j]: edge of member s at need j (or -1)
        table = p.edge_index(np.repeat(members, len(needs)), np.tile(needs, m)).reshape(
            m, len(needs)
        )
        usable = (table >= 0) & (self.ub[np.maximum(table, 0)] > 0)
        full = usable.all(axis=0)
        closed = table[:, ~full]
        closed = closed[closed >= 0]
        if p.pinned[closed].any():
            e = int(closed[p.pinned[closed]][0])
            raise InfeasibleError(
                f"Group {g.label}: accepted pair {self._pair(e)} cannot be joined by every "
                "member (some member has no acceptable pair at that need); withdraw the "
                "placement or change the group"
            )
        self.ub[closed] = 0.0
        t = table[:, full]
        if t.shape[1] == 0:
            return
        first = np.repeat(t[0:1], m - 1, axis=0).reshape(-1)
        rest = t[1:].reshape(-1)
        k = len(rest)
        A = sp.csr_array(
            (
                np.concatenate([np.ones(k), -np.ones(k)]),
                (np.tile(np.arange(k), 2), np.concatenate([first, rest])),
            ),
            shape=(k, p.n_edges),
        )
        self.side.append((f"Group {g.label}", A, np.zeros(k), np.zeros(k)))

    def add_min_share(self, m: MinShare) -> None:
        import scipy.sparse as sp  # type: ignore[import-untyped,unused-ignore]
        p = self.p
        needs = self._index(m.needs, "need", f"MinShare {m.label}")
        inside = np.isin(p.edge_right, needs).astype(np.float64)
        if m.count is not None:
            self.side.append(
                (
                    f"MinShare {m.label} (count >= {m.count})",
                    sp.csr_array(inside[None, :]),
                    np.array([float(m.count)]),
                    np.array([np.inf]),
                )
            )
        if m.share is not None:
            row = inside - m.share
            self.side.append(
                (
                    f"MinShare {m.label} (share >= {m.share:g})",
                    sp.csr_array(row[None, :]),
                    np.array([0.0]),
                    np.array([np.inf]),
                )
            )

    def _solve(
        self,
        c: NDArray[np.float64],
        extra: list[tuple[Any, Any, Any]],
        time_limit: float | None,
    ) -> tuple[Any, int]:
        import scipy.sparse as sp  # type: ignore[import-untyped,unused-ignore]
        from scipy.optimize import Bounds, LinearConstraint, milp  # type: ignore[import-untyped,unused-ignore]
        rows = self.base + extra
        A = sp.vstack([r[0] for r in rows], format="csr")
        lo = np.concatenate([r[1] for r in rows])
        hi = np.concatenate([r[2] for r in rows])
        options: dict[str, Any] = {"mip_rel_gap": 0.0}
        if time_limit is not None:
            options["time_limit"] = time_limit
        res = milp(
            _scaled(c),
            integrality=np.ones(len(c)),
            bounds=Bounds(self.lb, self.ub),
            constraints=LinearConstraint(A, lo, hi),
            options=options,
        )
        if res.x is None:
            self.message = f"status {res.status}: {res.message}"
        return res.x, int(res.status)

    def run(self, time_limit: float | None) -> tuple[Any, str]:
        import scipy.sparse as sp  # type: ignore[import-untyped,unused-ignore]
        n = self.p.n_edges
        if n == 0:
            extra = [(A, lo, hi) for _, A, lo, hi in self.side]
            if any(np.any(lo > 0) for _, lo, _ in extra):
                return None, "infeasible"
            return np.zeros(0), "optimal"
        extra = [(A, lo, hi) for _, A, lo, hi in self.side]
        if self.objective == "cardinality":
            x, status = self._solve(-np.ones(n), extra, time_limit)
            if x is None:
                return None, _NO_ANSWER.get(status, "failed")
            k = float(np.round(x).sum())
            extra = extra + [
                (sp.csr_array(np.ones((1, n))), np.array([k]), np.array([k]))
            ]
        x, status = self._solve(-self.p.weight, extra, time_limit)
        if x is None:
            return None, _NO_ANSWER.get(status, "failed")
        return np.round(x), "optimal" if status == 0 else "feasible"

    def diagnose(self, time_limit: float | None) -> str:
        """Name the side constraint(s) that make the problem infeasible."""
        if not self.side:
            return "the problem has no feasible assignment (unexpected: check the pins)"
        culprits = []
        for label, A, lo, hi in self.side:
            x, status = (
                (None, 2)
                if self.p.n_edges == 0
                else self._solve(np.zeros(self.p.n_edges), [(A, lo, hi)], time_limit)
            )
            if x is None and status == 2:  # (infeasible; 1 is a time limit)
                culprits.append(label)
        if culprits:
            return (
                f"no assignment satisfies {culprits[0]}"
                + (f" (nor {', '.join(culprits[1:])})" if len(culprits) > 1 else "")
                + " within the capacities, acceptable pairs and pins; lower the floor or "
                "widen the set of needs"
            )
        if time_limit is not None:
            return (
                f"no feasible assignment found within time_limit={time_limit} s; each side "
                "constraint alone is feasible, so raise the time limit"
            )
        labels = ", ".join(label for label, *_ in self.side)
        return (
            f"the side constraints cannot all hold together ({labels}), although each "
            "holds alone; relax one of them"
        )

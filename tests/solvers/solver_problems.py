"""Problem builders shared by the solver tests: hypothesis strategies and seeded instances."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import matchkit as mk


def _feasible_pins(left, right, cand, lcap, rcap):
    """Keep the candidate pins, in order, while both capacities allow (a tiny loop)."""
    used_l = np.zeros(len(lcap), dtype=np.int64)
    used_r = np.zeros(len(rcap), dtype=np.int64)
    pins = np.zeros(len(left), dtype=bool)
    for e in np.flatnonzero(cand):
        a, b = left[e], right[e]
        if used_l[a] < lcap[a] and used_r[b] < rcap[b]:
            used_l[a] += 1
            used_r[b] += 1
            pins[e] = True
    return pins


SMALL_WEIGHTS = st.integers(-3, 12)
SMALL_UTILITIES = st.integers(0, 4)


@st.composite
def problems(
    draw,
    *,
    max_left: int = 6,
    max_right: int = 5,
    max_capacity: int = 3,
    weights=SMALL_WEIGHTS,
    utilities=SMALL_UTILITIES,
    pins: bool = True,
    max_edges: int | None = None,
):
    """Small MatchProblems with integer weights, tied utilities, capacities 0.., pins."""
    n_left = draw(st.integers(0, max_left))
    n_right = draw(st.integers(0, max_right))
    cells = n_left * n_right
    mask = np.array(
        draw(st.lists(st.booleans(), min_size=cells, max_size=cells)), dtype=bool
    )
    if max_edges is not None and mask.sum() > max_edges:
        mask[np.flatnonzero(mask)[max_edges:]] = False
    left, right = np.divmod(np.flatnonzero(mask), max(n_right, 1))
    n_edges = len(left)
    w = draw(st.lists(weights, min_size=n_edges, max_size=n_edges))
    lu = draw(st.lists(utilities, min_size=n_edges, max_size=n_edges))
    ru = draw(st.lists(utilities, min_size=n_edges, max_size=n_edges))
    lcap = np.array(
        draw(st.lists(st.integers(0, max_capacity), min_size=n_left, max_size=n_left)),
        dtype=np.int64,
    )
    rcap = np.array(
        draw(
            st.lists(st.integers(0, max_capacity), min_size=n_right, max_size=n_right)
        ),
        dtype=np.int64,
    )
    pinned = np.zeros(n_edges, dtype=bool)
    if pins and n_edges:
        cand = np.array(
            draw(st.lists(st.booleans(), min_size=n_edges, max_size=n_edges)),
            dtype=bool,
        )
        cand &= np.array(
            draw(st.lists(st.booleans(), min_size=n_edges, max_size=n_edges))
        )
        pinned = _feasible_pins(left, right, cand, lcap, rcap)
    return mk.MatchProblem.from_edges(
        left,
        right,
        np.asarray(w, dtype=np.float64),
        n_left=n_left,
        n_right=n_right,
        left_capacity=lcap,
        right_capacity=rcap,
        left_utility=np.asarray(lu, dtype=np.float64),
        right_utility=np.asarray(ru, dtype=np.float64),
        pinned=pinned,
    )


def random_problem(
    seed: int,
    *,
    n_left: int = 40,
    n_right: int = 12,
    density: float = 0.3,
    max_left_capacity: int = 3,
    max_right_capacity: int = 5,
    pin_fraction: float = 0.05,
) -> mk.MatchProblem:
    """A seeded random problem with integer weights in -20..100 and some pins."""
    rng = np.random.default_rng(seed)
    mask = rng.random((n_left, n_right)) < density
    left, right = np.nonzero(mask)
    w = rng.integers(-20, 101, len(left)).astype(np.float64)
    lcap = rng.integers(0, max_left_capacity + 1, n_left)
    rcap = rng.integers(0, max_right_capacity + 1, n_right)
    pinned = _feasible_pins(
        left, right, rng.random(len(left)) < pin_fraction, lcap, rcap
    )
    return mk.MatchProblem.from_edges(
        left,
        right,
        w,
        n_left=n_left,
        n_right=n_right,
        left_capacity=lcap,
        right_capacity=rcap,
        left_utility=rng.integers(0, 10, len(left)).astype(np.float64),
        right_utility=rng.integers(0, 10, len(left)).astype(np.float64),
        pinned=pinned,
    )


def brute_force(
    problem: mk.MatchProblem, objective: str = "weight"
) -> tuple[int, float]:
    """(pairs, weight) of the best assignment by enumerating every subset of free edges.

    Under "weight" the best is the highest weight; under "cardinality" the most pairs,
    then the highest weight. Vectorised over all 2**k subsets (k <= 14).
    """
    free = np.flatnonzero(~problem.pinned)
    k = len(free)
    assert k <= 14, "brute force is for tiny instances"
    lcap, rcap = problem.residual_capacities()
    subsets = ((np.arange(2**k)[:, None] >> np.arange(k)) & 1).astype(np.int64)
    inc_l = np.zeros((k, problem.n_left), dtype=np.int64)
    inc_l[np.arange(k), problem.edge_left[free]] = 1
    inc_r = np.zeros((k, problem.n_right), dtype=np.int64)
    inc_r[np.arange(k), problem.edge_right[free]] = 1
    ok = ((subsets @ inc_l) <= lcap).all(axis=1) & ((subsets @ inc_r) <= rcap).all(
        axis=1
    )
    base = float(problem.weight[problem.pinned].sum())
    n_pins = int(problem.pinned.sum())
    weight = subsets[ok] @ problem.weight[free] + base
    count = subsets[ok].sum(axis=1) + n_pins
    if objective == "weight":
        return -1, float(weight.max())
    best = count.max()
    return int(best), float(weight[count == best].max())


def network_simplex_best(left, right, weight, lcap, rcap, allowed=None) -> np.ndarray:
    """The heaviest feasible set of the allowed edges (integer weights; only positive ones
    are worth taking), by networkx's network simplex on s -> volunteer -> need -> t with
    a bypass arc s -> t so anyone may stay unmatched: an exact solver independent of
    matchkit's. Returns a mask over the edges."""
    import networkx as nx

    left, right = np.asarray(left), np.asarray(right)
    weight = np.asarray(weight)
    ok = np.ones(len(weight), bool) if allowed is None else np.asarray(allowed, bool)
    g = nx.DiGraph()
    total = int(np.sum(lcap))
    g.add_node("s", demand=-total)
    g.add_node("t", demand=total)
    g.add_edge("s", "t", capacity=total, weight=0)
    for i, c in enumerate(np.asarray(lcap).tolist()):
        g.add_edge("s", ("v", i), capacity=int(c), weight=0)
    for j, c in enumerate(np.asarray(rcap).tolist()):
        g.add_edge(("n", j), "t", capacity=int(c), weight=0)
    use = np.flatnonzero(ok & (weight > 0))
    for i, j, x in zip(left[use].tolist(), right[use].tolist(), weight[use].tolist(), strict=True):
        g.add_edge(("v", i), ("n", j), capacity=1, weight=-int(x))
    flow = nx.network_simplex(g)[1]
    best = np.zeros(len(weight), bool)
    best[use] = [flow[("v", i)][("n", j)] == 1 for i, j in zip(left[use].tolist(), right[use].tolist(), strict=True)]
    return best

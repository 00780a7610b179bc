"""Equal optima across flow, hungarian, milp, networkx and min_cost_flow on seeded instances."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from solver_problems import network_simplex_best, random_problem

import matchkit as mk
from matchkit._checks import check_assignment
from matchkit.solvers import min_cost_flow

SEEDS = range(8)
SHAPES = {
    "one-to-one": {
        "n_left": 30,
        "n_right": 30,
        "max_left_capacity": 1,
        "max_right_capacity": 1,
    },
    "many-to-one": {
        "n_left": 60,
        "n_right": 10,
        "max_left_capacity": 1,
        "max_right_capacity": 6,
    },
    "many-to-many": {
        "n_left": 40,
        "n_right": 12,
        "max_left_capacity": 3,
        "max_right_capacity": 5,
    },
}
METHODS = ["flow", "hungarian", "milp"]


def _free_part(p: mk.MatchProblem):
    """Free edges worth taking under "weight", residual capacities, and the pinned weight."""
    lcap, rcap = p.residual_capacities()
    keep = ~p.pinned & (p.weight > 0)
    return keep, lcap, rcap, float(p.weight[p.pinned].sum())


def networkx_optimum(p: mk.MatchProblem) -> float:
    """Maximum weight by networkx's network simplex (:func:`network_simplex_best`)."""
    keep, lcap, rcap, pinned = _free_part(p)
    best = network_simplex_best(p.edge_left, p.edge_right, p.weight, lcap, rcap, keep)
    return pinned + float(p.weight[best].sum())


def mcf_optimum(p: mk.MatchProblem) -> float:
    """The same network solved by matchkit's own general min_cost_flow."""
    keep, lcap, rcap, pinned = _free_part(p)
    nl, nr = p.n_left, p.n_right
    s, t = nl + nr, nl + nr + 1
    total = int(lcap.sum())
    tail = np.concatenate([[s], np.full(nl, s), p.edge_left[keep], nl + np.arange(nr)])
    head = np.concatenate([[t], np.arange(nl), nl + p.edge_right[keep], np.full(nr, t)])
    cap = np.concatenate([[total], lcap, np.ones(int(keep.sum()), np.int64), rcap])
    cost = np.concatenate([[0], np.zeros(nl), -p.weight[keep], np.zeros(nr)]).astype(
        np.int64
    )
    supply = np.zeros(nl + nr + 2, np.int64)
    supply[s], supply[t] = total, -total
    return pinned - min_cost_flow(tail, head, cap, cost, supply).cost


REFERENCES = {"networkx": networkx_optimum, "min_cost_flow": mcf_optimum}


@functools.cache
def reference_optimum(seed: int, shape: str, reference: str) -> float:
    return REFERENCES[reference](random_problem(seed, **SHAPES[shape]))


@pytest.mark.parametrize("reference", list(REFERENCES))
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("seed", SEEDS)
def test_weight_optimum_agrees(
    seed: int, shape: str, method: str, reference: str
) -> None:
    p = random_problem(seed, **SHAPES[shape])
    a = mk.solve(p, method=method)
    check_assignment(p, a)
    assert a.objective == reference_optimum(seed, shape, reference)


@pytest.mark.parametrize("method", ["hungarian", "milp"])
@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("seed", SEEDS)
def test_cardinality_optimum_agrees_with_flow(
    seed: int, shape: str, method: str
) -> None:
    p = random_problem(seed, **SHAPES[shape])
    ref = mk.solve(p, method="flow", objective="cardinality")
    a = mk.solve(p, method=method, objective="cardinality")
    check_assignment(p, a)
    assert (len(a), a.objective) == (len(ref), ref.objective)

"""OR-Library assignment instances (Beasley): published minimum costs through the public API.

A minimum-cost perfect assignment is solved as documented in ``matchkit.solve``: weights
``C.max() + 1 - C`` (all positive) and ``objective="cardinality"``, so every row is
matched and the minimum cost is ``n * (C.max() + 1) - objective``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import matchkit as mk
from matchkit._checks import check_assignment

DATA = Path(__file__).resolve().parents[1] / "data"
OPTIMA = {"assign100": 305, "assign500": 991, "assign600": 1176, "assign700": 1362}


def read_orlib(name: str) -> np.ndarray:
    tokens = np.array((DATA / f"{name}.txt").read_text().split(), dtype=np.int64)
    n = int(tokens[0])
    assert len(tokens) == 1 + n * n, f"{name}: expected {n * n} costs"
    return tokens[1:].reshape(n, n)


def _cases():
    for name in OPTIMA:
        for method in ("flow", "hungarian", "milp"):
            if method == "milp" and name != "assign100":
                continue  # 250k+ binaries: correct but slow for the suite
            yield pytest.param(name, method, id=f"{name}-{method}")


@pytest.mark.parametrize(("name", "method"), list(_cases()))
def test_published_optimum(name: str, method: str) -> None:
    cost = read_orlib(name)
    n = len(cost)
    top = int(cost.max()) + 1
    p = mk.MatchProblem.from_dense((top - cost).astype(np.float64))
    a = mk.solve(p, method=method, objective="cardinality")
    check_assignment(p, a)
    assert len(a) == n
    assert n * top - a.objective == OPTIMA[name]
    assert int(cost[a.pairs[:, 0], a.pairs[:, 1]].sum()) == OPTIMA[name]


def test_weight_objective_gives_the_same_perfect_assignment_here() -> None:
    # with all weights positive and n x n unit capacities, maximum weight is perfect too
    cost = read_orlib("assign100")
    p = mk.MatchProblem.from_dense((1000 - cost).astype(np.float64))
    a = mk.solve(p, method="hungarian")
    assert len(a) == 100
    assert 100 * 1000 - a.objective == OPTIMA["assign100"]

"""matchkit as a plain solver: matrices in, pairs out, no volunteers needed.

Run ``python examples/standalone_solver.py`` (``--n 300`` for a smaller matrix). It shows:

1. maximum-weight matching on a score matrix (rows = volunteers, columns = needs), where
   anyone may stay unmatched;
2. capacities on both sides (a need takes up to k volunteers, a volunteer up to m needs)
   and forbidden pairs (``allowed=``, never an infinite cost);
3. the classic minimum-cost perfect assignment on a cost matrix, checked against
   ``scipy.optimize.linear_sum_assignment``;
4. a sparse problem from an edge list, and the stable method on the same pairs.
"""

from __future__ import annotations

import argparse

import numpy as np
from scipy.optimize import linear_sum_assignment

import matchkit as mk


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="size of the square cost matrix")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)

    # 1. A small score matrix: 3 volunteers x 2 needs; higher is better.
    scores = np.array([[0.9, 0.4], [0.8, 0.7], [0.1, 0.6]])
    a = mk.solve(mk.MatchProblem.from_dense(scores))
    print("1. one-to-one:", a.pairs.tolist(), "total", round(a.objective, 2))

    # 2. Capacities: need 0 takes two volunteers; volunteer 1 may take both needs.
    #    Volunteer 0 may not do need 0 (forbidden pair).
    allowed = np.array([[False, True], [True, True], [True, True]])
    p = mk.MatchProblem.from_dense(scores, left_capacity=[1, 2, 1], right_capacity=[2, 1],
                                   allowed=allowed)
    for method in ("flow", "hungarian", "milp"):
        b = mk.solve(p, method=method)
        print(f"2. capacities, {method:<9}:", b.pairs.tolist(), "total", round(b.objective, 2))

    # 3. Minimum-cost perfect assignment on an n x n cost matrix. Turn costs into
    #    weights top - cost and ask for the most pairs first (objective="cardinality").
    n = args.n
    cost = rng.integers(0, 1001, (n, n))
    top = int(cost.max()) + 1
    c = mk.solve(mk.MatchProblem.from_dense(top - cost), method="hungarian", objective="cardinality")
    ours = n * top - c.objective
    r, col = linear_sum_assignment(cost)
    theirs = cost[r, col].sum()
    print(f"3. min-cost perfect assignment, n={n}: matchkit {ours:.0f}, scipy {theirs}, "
          f"{'equal' if ours == theirs and len(c) == n else 'DIFFERENT'}")
    if ours != theirs or len(c) != n:
        return 1

    # 4. A sparse problem: 10 candidate needs per volunteer, needs with 1..5 places.
    n_v, n_n, k = 5 * n, n // 2, 10
    left = np.repeat(np.arange(n_v), k)
    right = np.argsort(rng.random((n_v, n_n)), axis=1)[:, :k].reshape(-1)
    weight = rng.random(len(left))
    sparse = mk.MatchProblem.from_edges(left, right, weight, n_left=n_v, n_right=n_n,
                                        right_capacity=rng.integers(1, 6, n_n))
    best = mk.solve(sparse)
    stable = mk.solve(sparse, method="stable")
    print(f"4. sparse {n_v} x {n_n}, {sparse.n_edges} edges: flow placed {len(best)} "
          f"(total {best.objective:.1f}); stable placed {len(stable)} (total {stable.objective:.1f}, "
          f"{len(mk.solvers.blocking_pairs(sparse, stable))} blocking pairs)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""matchkit.solvers.min_cost_flow: the NETGEN instance's published optimum, small cases."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import matchkit as mk
from matchkit.solvers import min_cost_flow

DATA = Path(__file__).resolve().parents[1] / "data"


def read_dimacs(path: Path):
    """(tail, head, capacity, cost, supply) of a DIMACS min-cost-flow file (0-based)."""
    n = 0
    supplies: list[tuple[int, int]] = []
    arcs: list[list[int]] = []
    for line in path.read_text().splitlines():
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "p":
            n = int(parts[2])
        elif parts[0] == "n":
            supplies.append((int(parts[1]) - 1, int(parts[2])))
        elif parts[0] == "a":
            arcs.append([int(x) for x in parts[1:6]])
    a = np.array(arcs, dtype=np.int64)
    assert (a[:, 2] == 0).all(), "lower bounds are not used here"
    supply = np.zeros(n, dtype=np.int64)
    for node, s in supplies:
        supply[node] = s
    return a[:, 0] - 1, a[:, 1] - 1, a[:, 3], a[:, 4], supply


def test_netgen_2_published_optimum() -> None:
    tail, head, cap, cost, supply = read_dimacs(DATA / "netgen-2.min")
    assert (len(supply), len(tail)) == (400, 1416)
    res = min_cost_flow(tail, head, cap, cost, supply)
    assert res.cost == 6749969302
    # the flow itself is feasible: capacities and conservation
    assert ((res.flow >= 0) & (res.flow <= cap)).all()
    net = np.bincount(tail, res.flow, len(supply)) - np.bincount(
        head, res.flow, len(supply)
    )
    assert np.array_equal(net.astype(np.int64), supply)
    assert int((res.flow * cost).sum()) == res.cost


@st.composite
def networks(draw):
    n = draw(st.integers(2, 6))
    m = draw(st.integers(0, 12))
    tail = draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m))
    head = draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m))
    cap = draw(st.lists(st.integers(0, 5), min_size=m, max_size=m))
    cost = draw(st.lists(st.integers(-4, 9), min_size=m, max_size=m))
    supply = draw(st.lists(st.integers(-4, 4), min_size=n - 1, max_size=n - 1))
    return tail, head, cap, cost, supply + [-sum(supply)]


def _networkx(tail, head, cap, cost, supply):
    g = nx.MultiDiGraph()
    for v, s in enumerate(supply):
        g.add_node(v, demand=-s)
    for u, v, c, w in zip(tail, head, cap, cost):
        if (
            u != v
        ):  # networkx refuses self-loops in network_simplex's sense; costless here
            g.add_edge(u, v, capacity=c, weight=w)
    return nx.network_simplex(g)[0]


@given(net=networks())
def test_agrees_with_networkx_on_small_networks(net) -> None:
    tail, head, cap, cost, supply = net
    # self-loops only matter with negative cost (saturated, net flow 0): keep them out
    keep = [i for i in range(len(tail)) if tail[i] != head[i]]
    tail, head, cap, cost = ([x[i] for i in keep] for x in (tail, head, cap, cost))
    try:
        ref = _networkx(tail, head, cap, cost, supply)
    except nx.NetworkXUnfeasible:
        with pytest.raises(mk.InfeasibleError, match="units of supply cannot reach"):
            min_cost_flow(tail, head, cap, cost, supply)
        return
    assert min_cost_flow(tail, head, cap, cost, supply).cost == ref


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"supply": [1, 0]}, "must sum to 0"),
        ({"capacity": [-1]}, r"capacity\[0\] = -1 is negative"),
        ({"head": [5]}, r"head\[0\] = 5 is not a node"),
        ({"cost": [1.5]}, "cost must hold integers"),
        ({"capacity": [1, 2]}, "must have 1 entries"),
    ],
)
def test_bad_input_is_refused(kwargs, message: str) -> None:
    args = {"tail": [0], "head": [1], "capacity": [1], "cost": [1], "supply": [1, -1]}
    args.update(kwargs)
    with pytest.raises(mk.InvalidInputError, match=message):
        min_cost_flow(**args)


# ---------------------------------------------------------------------------------------
# The supported range: exact inside, refused with the range outside
# ---------------------------------------------------------------------------------------


@given(net=networks(), top=st.sampled_from([2**40, 2**48 - 1]), seed=st.integers(0, 2**31))
def test_agrees_with_networkx_on_costs_near_the_range_limit(net, top: int, seed: int) -> None:
    tail, head, cap, cost, supply = net
    keep = [i for i in range(len(tail)) if tail[i] != head[i]]
    tail, head, cap = ([x[i] for i in keep] for x in (tail, head, cap))
    # |cost| * (n_nodes + 2) <= 2**51 holds for up to 6 nodes at |cost| < 2**48
    rng = np.random.default_rng(seed)
    cost = [int(c) for c in rng.integers(-top, top, len(keep), endpoint=True)]
    try:
        ref = _networkx(tail, head, cap, cost, supply)
    except nx.NetworkXUnfeasible:
        return
    assert min_cost_flow(tail, head, cap, cost, supply).cost == ref


def test_total_cost_is_exact_beyond_int64() -> None:
    units = 2**20
    r = min_cost_flow(tail=[0, 1], head=[1, 2], capacity=[units, units], cost=[2**48, 2**48],
                      supply=[units, 0, -units])
    assert r.flow.tolist() == [units, units] and r.cost == 2 * units * 2**48  # 2**69


@pytest.mark.parametrize(
    "kwargs",
    [
        # 2**53: its float64 shortest paths made no progress (a RuntimeError)
        {"tail": [0, 1, 0, 2], "head": [1, 3, 2, 3], "capacity": [1, 1, 1, 1],
         "cost": [2**53 + 2, 0, 2**53 + 1, 0], "supply": [1, 0, 0, -1]},
        # 2**62: the total overflowed int64 (-2**63, with only a RuntimeWarning)
        {"tail": [0, 1], "head": [1, 2], "capacity": [5, 5], "cost": [2**62, 2**62],
         "supply": [3, 0, -3]},
    ],
)
def test_costs_beyond_the_exact_range_are_refused(kwargs) -> None:
    with pytest.raises(mk.InvalidInputError, match=r"\|cost\| \* \(n_nodes \+ 2\) must be at "
                       r"most 2\*\*51, so \|cost\| <= \d+ with \d nodes"):
        min_cost_flow(**kwargs)


def test_big_m_capacity_on_a_negative_cost_arc_is_named() -> None:
    with pytest.raises(mk.InvalidInputError) as err:
        min_cost_flow(tail=[0, 1, 1], head=[1, 2, 0], capacity=[2**31] * 3, cost=[-1, 1, 2],
                      supply=[3, 0, -3])
    msg = str(err.value)
    assert "negative cost" in msg and "arc 0 alone has 2147483648" in msg
    assert "total supply is 3" in msg and "total supply 2147483648" not in msg
    # The same network with a capacity bounding the flow: solved.
    r = min_cost_flow(tail=[0, 1, 1], head=[1, 2, 0], capacity=[3, 2**31, 2**31],
                      cost=[-1, 1, 2], supply=[3, 0, -3])
    assert r.cost == 0


def test_huge_capacities_on_arcs_with_cost_at_least_zero_are_fine() -> None:
    # Parallel "uncapacitated" arcs: their summed capacity overflowed int64.
    r = min_cost_flow(tail=[0, 0, 1], head=[1, 1, 2], capacity=[2**62, 2**62, 2**62],
                      cost=[1, 1, 1], supply=[5, 0, -5])
    assert r.cost == 10 and r.flow.tolist() == [5, 0, 5]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"capacity": np.array([2**63], dtype=np.uint64)}, r"capacity\[0\] = .* does not fit"),
        ({"cost": [1e20]}, r"cost\[0\] = .* does not fit a 64-bit integer"),
        ({"cost": [2.0**63]}, r"cost\[0\] = .* does not fit a 64-bit integer"),
        ({"supply": [2**31, -(2**31)]}, "total supply 2147483648 exceeds"),
    ],
)
def test_values_beyond_int64_or_int32_are_refused(kwargs, message: str) -> None:
    args = {"tail": [0], "head": [1], "capacity": [1], "cost": [1], "supply": [1, -1]}
    args.update(kwargs)
    with pytest.raises(mk.InvalidInputError, match=message):
        min_cost_flow(**args)

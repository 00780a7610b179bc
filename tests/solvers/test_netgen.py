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

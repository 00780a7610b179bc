"""Repair: an optimum of one subgraph made optimal on the next, when few edges break it.

Pricing (``_flow_pricing``) solves a subgraph, prices it, and checks every edge against
the prices. When only a handful of edges break the proof, the next subgraph's optimum
is the last one changed along a handful of paths; solving that subgraph afresh costs as
much as the first solve. Here the change is found by successive shortest paths from the
prices at hand instead (Ahuja, Magnanti and Orlin, *Network Flows*, 1993, section 9.7):

The b-matching is a circulation: source -> volunteer (capacity ``max_placements``),
volunteer -> need (capacity 1, cost ``-W``), need -> sink (capacity), sink -> source.
The prices are node potentials (``u`` at the volunteers, ``-p`` at the needs, 0 at the
source and sink), and the answer is optimal exactly when no residual arc has a negative
reduced cost. Each edge that breaks the proof is such an arc. It is saturated, and its
flow is sent back from its need to its volunteer along a shortest path of reduced costs
(one scipy ``dijkstra``, bounded by the edge's own reduced weight, which its reverse arc
costs); the potentials then rise by the distances, so every residual arc keeps a
reduced cost of 0 or more. The result is an optimum of the subgraph; the caller still
proves it with :func:`~matchkit.solvers._flow_pricing.least_prices`.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["MAX_BROKEN", "repair"]

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

#: Above this many breaking edges the subgraph is solved afresh. (One path costs a
#: shortest-path search over the subgraph; a fresh solve of a 100k city's last subgraph
#: costs as much as about this many.)
MAX_BROKEN = 16

#: Weights and prices at or above this are not repaired. The searches run in float64:
#: a path's length is exact while it stays below ``2**52`` (each search is bounded by
#: the broken edge's reduced weight, checked against ``EXACT``), and the potentials,
#: which rise by at most that much per search, stay far from int64's limit.
MAX_MAGNITUDE = 2**50
EXACT = 2**52


def repair(
    left: IntArray,
    right: IntArray,
    weight: IntArray,
    chosen: BoolArray,
    u: IntArray,
    p: IntArray,
    left_capacity: IntArray,
    right_capacity: IntArray,
    *,
    max_broken: int = MAX_BROKEN,
) -> BoolArray | None:
    """A maximum-weight b-matching of these edges, from ``chosen`` and its prices.

    ``chosen`` (a mask over the edges) must fit the capacities, and the prices ``u`` (per
    volunteer) and ``p`` (per need) must certify it except at a few unchosen edges: both
    ``>= 0``, ``u = 0`` where a volunteer has free capacity and ``p = 0`` where a need has
    free places, ``u_i + p_j <= W_ij`` on chosen edges. The unchosen edges with
    ``u_i + p_j < W_ij`` break the proof. Returns the mask of an optimum, or None when
    more than ``max_broken`` edges break the proof, the prices do not fit, or weights or
    prices reach ``MAX_MAGNITUDE`` (then solve afresh).

    Examples
    --------
    >>> import numpy as np
    >>> left, right = np.array([0, 0, 1]), np.array([0, 1, 0])
    >>> w = np.array([5, 4, 3])
    >>> one = np.array([1, 1])
    >>> chosen = np.array([True, False, False])  # optimal without the last two edges
    >>> u, p = np.array([5, 0]), np.array([0, 0])
    >>> repair(left, right, w, chosen, u, p, one, one).tolist()
    [False, True, True]
    """
    n_l, n_r = len(left_capacity), len(right_capacity)
    m = len(left)
    x = np.asarray(chosen, dtype=bool).copy()
    load_l = np.bincount(left[x], minlength=n_l)
    load_r = np.bincount(right[x], minlength=n_r)
    if _too_large(weight, u, p):
        return None
    reduced = weight - u[left] - p[right]
    if (
        (u < 0).any()
        or (p < 0).any()
        or (load_l > left_capacity).any()
        or (load_r > right_capacity).any()
        or (u[load_l < left_capacity] != 0).any()
        or (p[load_r < right_capacity] != 0).any()
        or (reduced[x] < 0).any()
    ):
        return None
    pending = np.flatnonzero(~x & (reduced > 0))
    if pending.size > max_broken:
        return None
    if pending.size == 0:
        return x
    net = _Network(left, right, weight, x, load_l, load_r, left_capacity, right_capacity, u, p)
    waiting = np.zeros(m, dtype=bool)
    waiting[pending] = True
    for e in pending.tolist():
        waiting[e] = False
        if not net.send_back(e, waiting):
            return None
    return net.x


def _too_large(*values: IntArray) -> bool:
    """Whether any value is too large in magnitude for exact searches."""
    return any(v.size and int(np.abs(v).max()) >= MAX_MAGNITUDE for v in values)


class _Network:
    """The residual network of a b-matching: every arc in both directions, a fixed
    structure (sorted by tail) whose lengths are recomputed from the flows and
    potentials before each search (infinite where an arc has no residual capacity)."""

    def __init__(
        self,
        left: IntArray,
        right: IntArray,
        weight: IntArray,
        x: BoolArray,
        load_l: IntArray,
        load_r: IntArray,
        left_capacity: IntArray,
        right_capacity: IntArray,
        u: IntArray,
        p: IntArray,
    ) -> None:
        n_l, n_r = len(left_capacity), len(right_capacity)
        m = len(left)
        self.n_l, self.n_r = n_l, n_r
        self.s, self.t = n_l + n_r, n_l + n_r + 1
        n_nodes = n_l + n_r + 2
        self.x, self.load_l, self.load_r = x, load_l, load_r
        self.cap_l = np.asarray(left_capacity, dtype=np.int64)
        self.cap_r = np.asarray(right_capacity, dtype=np.int64)
        self.flow_back = int(load_l.sum())  # (on the arc sink -> source)
        need = n_l + right
        vol, nd = np.arange(n_l), n_l + np.arange(n_r)
        s = np.full(n_l, self.s)
        t = np.full(n_r, self.t)
        # Arcs, in blocks: edge forward, edge backward, source -> volunteer, back,
        # need -> sink, back, sink -> source, back.
        tail = np.concatenate([left, need, s, vol, nd, t, [self.t, self.s]])
        head = np.concatenate([need, left, vol, s, t, nd, [self.s, self.t]])
        cost = np.concatenate(
            [-weight, weight, np.zeros(2 * (n_l + n_r) + 2, dtype=np.int64)]
        ).astype(np.int64)
        order = np.argsort(tail, kind="stable")
        self.tail, self.head, self.cost = tail[order], head[order], cost[order]
        self.indptr = np.searchsorted(self.tail, np.arange(n_nodes + 1))
        # Position in the sorted arcs of each block's arcs.
        where = np.empty(order.size, dtype=np.int64)
        where[order] = np.arange(order.size)
        cuts = np.cumsum([0, m, m, n_l, n_l, n_r, n_r, 1, 1])
        self.block = [where[a:b] for a, b in itertools.pairwise(cuts)]
        self.pi = np.concatenate([u, -p, [0, 0]]).astype(np.int64)
        # The edge of each (volunteer, need), for the paths' arcs.
        key = left.astype(np.int64) * n_r + right
        self.by_key = np.argsort(key, kind="stable")
        self.keys_sorted = key[self.by_key]
        self.weight = weight

    def lengths(self, waiting: BoolArray) -> NDArray[np.float64]:
        """Reduced costs of the residual arcs (infinite elsewhere, and at the forward
        arcs of the breaking edges not yet sent back)."""
        room = np.empty(self.tail.size, dtype=bool)
        b = self.block
        room[b[0]] = ~self.x & ~waiting
        room[b[1]] = self.x
        room[b[2]] = self.load_l < self.cap_l
        room[b[3]] = self.load_l > 0
        room[b[4]] = self.load_r < self.cap_r
        room[b[5]] = self.load_r > 0
        room[b[6]] = True
        room[b[7]] = self.flow_back > 0
        out: NDArray[np.float64] = (
            self.cost + self.pi[self.tail] - self.pi[self.head]
        ).astype(np.float64)
        out[~room] = np.inf
        return out

    def send_back(self, e: int, waiting: BoolArray) -> bool:
        """Edge ``e`` into the answer, if it breaks the proof, and its flow back from its
        need to its volunteer along a shortest path; the potentials rise by the
        distances, bounded at the path's length. False if no path was found (which the
        edge's own reverse arc rules out), or the lengths would not be exact."""
        from scipy.sparse import csr_array  # type: ignore[import-untyped,unused-ignore]
        from scipy.sparse.csgraph import dijkstra  # type: ignore[import-untyped,unused-ignore]

        i = int(self.tail[self.block[0][e]])
        j = int(self.head[self.block[0][e]])
        gain = -(self.cost[self.block[0][e]] + self.pi[i] - self.pi[j])
        if gain <= 0:
            return True  # (the prices have moved: it no longer breaks the proof)
        if gain >= EXACT:
            return False  # (distances this long would not be exact in float64)
        self.x[e] = True
        lengths = self.lengths(waiting)
        if lengths.min() < 0:
            return False  # (never: the potentials keep them >= 0; scipy would misbehave)
        graph = csr_array((lengths, self.head, self.indptr), shape=(self.t + 1, self.t + 1))
        # Its own reverse arc costs ``gain``, so the path to ``i`` is no longer.
        dist, pred = dijkstra(
            graph, directed=True, indices=j, return_predecessors=True, limit=float(gain) + 0.5
        )
        to_i = dist[i]
        if not np.isfinite(to_i):
            return False
        path = [i]
        while path[-1] != j:
            if pred[path[-1]] < 0 or len(path) > self.t + 1:
                return False  # (never: the predecessors form a tree rooted at the need)
            path.append(int(pred[path[-1]]))
        path.reverse()
        for a, b in itertools.pairwise(path):
            self._push(a, b, waiting)
        rise = np.minimum(dist, to_i)
        self.pi += rise.astype(np.int64)
        return True

    def _push(self, a: int, b: int, waiting: BoolArray) -> None:
        """One unit of flow along the residual arc ``a -> b``."""
        n_l, s, t = self.n_l, self.s, self.t
        if (a, b) == (t, s):
            self.flow_back += 1
        elif (a, b) == (s, t):
            self.flow_back -= 1
        elif a == s:
            self.load_l[b] += 1
        elif b == s:
            self.load_l[a] -= 1
        elif b == t:
            self.load_r[a - n_l] += 1
        elif a == t:
            self.load_r[b - n_l] -= 1
        elif a < n_l:
            self.x[self._edge(a, b - n_l, False, waiting)] = True
        else:
            self.x[self._edge(b, a - n_l, True, waiting)] = False

    def _edge(self, v: int, n: int, chosen: bool, waiting: BoolArray) -> Any:
        """The edge of the shortest residual arc between volunteer ``v`` and need ``n``:
        among parallel edges, the heaviest unchosen one or the lightest chosen one."""
        key = v * self.n_r + n
        lo, hi = np.searchsorted(self.keys_sorted, [key, key + 1])
        cand = self.by_key[lo:hi]
        cand = cand[self.x[cand] == chosen]
        if not chosen:
            cand = cand[~waiting[cand]]
        w = self.weight[cand]
        return cand[np.argmin(w) if chosen else np.argmax(w)]

"""build_problem: a Dataset -> the MatchProblem every solver consumes.

Pipeline (no dense volunteers x needs matrix, no per-pair Python loop)::

    encode (columnar arrays) -> candidate_chunks (blocking) -> filter_pairs (rules 1-6)
    -> components (score per edge) -> utilities -> [top_k, as chunks arrive] -> sort
    -> weights

The components themselves are not stored: ``MatchProblem.components`` recomputes them
for the edges a round explains (see :class:`matchkit._scoring.LazyComponents`).
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date, datetime
from threading import Lock
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._candidates import candidate_chunks
from ._dataset import Dataset
from ._encode import Encoded, encode
from ._exceptions import InvalidInputError
from ._memory import as_heavy_step, release_free_memory
from ._models import parse_iso_date
from ._numbering import in_sorted
from ._problem import MatchProblem
from ._rules_filter import filter_pairs
from ._scoring import LazyComponents, components, utilities, weight_of
from ._threads import worker_threads
from ._top_k import floors, keep_top_k, top_k_mask
from ._weights import Weights

__all__ = [
    "build_encoded",
    "build_problem",
    "keep_top_k",
    "lazy_problem",
    "resolve_as_of",
    "resolve_weights",
    "score_chunk",
    "top_k_mask",
]

#: With ``top_k``, the buffered edges are pruned to each volunteer's best ``top_k`` once
#: those added since the last pruning exceed ``n_volunteers * top_k + PRUNE_SLACK``.
PRUNE_SLACK = 1 << 21
#: Candidate pairs per chunk (bounds the memory of the scoring pass).
CHUNK_SIZE = 1 << 20
#: Edges per volunteer range of the final sort (see :func:`_assemble`).
BUCKET_EDGES = 1 << 19
#: Keep the scored chunks' keys as uint32 where they fit (see build_encoded).
COMPACT_KEYS = True

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]


def resolve_as_of(as_of: Any, caller: str) -> date:
    """``as_of`` as a date: today when None; a datetime gives its date.

    Text must be a day written ``YYYY-MM-DD``: a date and time in text is refused with the
    day to write, as its day may depend on the UTC offset it is read with.
    """
    if as_of is None:
        return date.today()
    if isinstance(as_of, datetime):
        return as_of.date()
    if isinstance(as_of, date):
        return as_of
    if isinstance(as_of, str):
        try:
            return parse_iso_date(as_of)
        except ValueError as err:
            raise InvalidInputError(
                f"The 'as_of' parameter of {caller} must be a date: {err}"
            ) from None
    raise InvalidInputError(
        f"The 'as_of' parameter of {caller} must be a date (or a day written YYYY-MM-DD, "
        f"such as '2026-03-01'). Got {as_of!r}."
    )


def resolve_weights(weights: Any) -> Weights:
    """``weights`` as a Weights: the defaults for None; a dict is validated."""
    if weights is None:
        return Weights()
    if isinstance(weights, Weights):
        return weights
    if isinstance(weights, dict):
        return Weights.model_validate(weights)
    raise InvalidInputError(
        f"The 'weights' parameter of build_problem must be a matchkit.Weights (or a dict of its "
        f"fields). Got {type(weights).__name__}."
    )


def build_problem(
    dataset: Dataset,
    *,
    weights: Weights | None = None,
    as_of: date | None = None,
    top_k: int | None = None,
) -> MatchProblem:
    """Score every acceptable volunteer-need pair of a dataset into a MatchProblem.

    A pair outside the hard rules (docs/scoring.md, rules 1-6) is never an edge. Rule 7
    (placements already accepted, needs already full, rejected pairs) is applied to the
    problem with :meth:`MatchProblem.with_decisions`.

    Parameters
    ----------
    dataset : Dataset
    weights : Weights, optional
        How the components combine (default ``Weights()``).
    as_of : date, optional
        The date ages and end dates are judged at (default: today).
    top_k : int, optional
        Keep only each volunteer's ``top_k`` best edges by weight (ties: by a fixed
        pseudo-random key of the pair, so that volunteers do not all keep the same needs
        where weights tie). Other acceptable pairs are dropped; a need can lose
        all its edges this way. Default: keep every acceptable pair.

    Returns
    -------
    MatchProblem
        Left = volunteers, right = needs, both in dataset order with their ids;
        ``left_capacity`` = ``max_placements``, ``right_capacity`` = ``capacity``;
        ``components`` holds every score component per edge (see docs/scoring.md).

    Raises
    ------
    InvalidInputError
        If an argument is of the wrong kind or ``top_k`` < 1.

    Examples
    --------
    >>> import datetime, matchkit as mk
    >>> ds = mk.Dataset(
    ...     volunteers=[{"id": "v1", "home": {"lat": 55.79, "lon": 49.12}, "interests": ["parks"]},
    ...                 {"id": "v2", "remote_ok": False}],
    ...     organisations=[{"id": "o1", "name": "Park", "kind": "cso", "registered": True}],
    ...     needs=[{"id": "n1", "organisation_id": "o1", "title": "Plant", "capacity": 2,
    ...             "status": "open", "location": {"lat": 55.80, "lon": 49.12},
    ...             "causes": ["parks"]}],
    ... )
    >>> p = mk.build_problem(ds, as_of=datetime.date(2026, 5, 1))
    >>> p.n_edges, p.left_ids[int(p.edge_left[0])], round(float(p.components["distance_km"][0]), 2)
    (1, 'v1', 1.11)
    >>> round(float(p.components["interest"][0]), 2), round(float(p.weight[0]), 3)
    (1.0, 0.758)
    """
    if not isinstance(dataset, Dataset):
        raise InvalidInputError(
            f"build_problem expects a matchkit.Dataset; got {type(dataset).__name__}. "
            "Build one with matchkit.Dataset(volunteers=..., organisations=..., needs=...)."
        )
    w = resolve_weights(weights)
    day = resolve_as_of(as_of, "build_problem")
    if top_k is not None and (
        isinstance(top_k, bool) or not isinstance(top_k, (int, np.integer)) or top_k < 1
    ):
        raise InvalidInputError(
            f"The 'top_k' parameter of build_problem must be None or an integer >= 1. Got {top_k!r}."
        )

    return build_encoded(encode(dataset), w, day, None if top_k is None else int(top_k))


@as_heavy_step
def build_encoded(
    enc: Encoded,
    w: Weights,
    day: date,
    top_k: int | None,
    *,
    protect: I64 | None = None,
    volunteers: NDArray[np.bool_] | None = None,
) -> MatchProblem:
    """:func:`build_problem` on an encoded dataset, with two options for rounds.

    ``protect`` holds sorted pair keys ``volunteer * n_needs + need``: with ``top_k``,
    these pairs (decided ones) are kept and do not count towards a volunteer's ``k``.
    ``volunteers`` (a mask) scores only those volunteers' pairs.
    """
    n_needs = max(enc.n_needs, 1)
    acc = _Accumulator(enc.n_volunteers, n_needs, top_k, w.volunteer_side)
    guard = protect is not None and protect.size > 0 and top_k is not None

    # Kept keys as uint32 where every key fits (a 100k x 10k city's do): the scored
    # chunks wait for the end, and a third of them is keys (76 MB less at 19 M edges,
    # fresh memory each).
    narrow = COMPACT_KEYS and enc.n_volunteers * n_needs < 2**32

    def score(chunk: Any) -> dict[str, NDArray[Any]] | None:
        cols = score_chunk(enc, chunk, day, w, protect if guard else None)
        if cols is not None and top_k is None:
            # Sorted on the worker, so the end merges sorted runs (see _assemble).
            order, key = _argsort_keys(cols["_key"], with_keys=True)
            cols["_key"] = key.astype(np.uint32) if narrow else key
            cols["_vu"], cols["_nu"] = cols["_vu"][order], cols["_nu"][order]
        return cols

    # numpy releases the GIL inside its loops, so chunks are scored on worker threads
    # while the main thread generates the next candidates. Results are taken in chunk
    # order, so the problem is the same whatever the number of threads.
    workers = worker_threads()
    chunks = candidate_chunks(enc, day, chunk_size=CHUNK_SIZE, volunteers=volunteers)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        if workers == 1:
            for chunk in chunks:
                acc.add(score(chunk))
        else:
            pending: deque[Future[dict[str, NDArray[Any]] | None]] = deque()
            for chunk in chunks:
                pending.append(pool.submit(score, chunk))
                while len(pending) > workers:
                    acc.add(pending.popleft().result())
            while pending:
                acc.add(pending.popleft().result())
        # The chunks' temporaries are free now, but the threads' heap arenas keep them.
        release_free_memory()
        need_degree = None
        if top_k is None:
            parts, acc.parts = acc.parts, []
            left, right, weight, vu, nu, need_degree = _assemble(
                parts, enc.n_volunteers, n_needs, w.volunteer_side, pool
            )
            del parts
        else:
            left, right, weight, vu, nu = _pruned_edges(
                acc.result(), n_needs, w.volunteer_side, pool, workers
            )
    release_free_memory()
    return lazy_problem(enc, left, right, weight, vu, nu, need_degree)


def _assemble(
    parts: list[dict[str, NDArray[Any]]],
    n_left: int,
    n_needs: int,
    volunteer_side: float,
    pool: ThreadPoolExecutor,
) -> tuple[I64, I64, F64, F64, F64, I64]:
    """Chunks sorted each by key -> every edge in key order: (left, right, weight,
    volunteer utility, need utility), and the edges per need, as :func:`lazy_problem`
    takes them.

    The keys are cut into volunteer ranges of about ``BUCKET_EDGES`` edges; each range
    is gathered from the chunks, sorted and written into its own slice of the result on
    the pool's threads. Against one sort of every key and gathers over every edge, this
    makes no arrays of every edge besides the result (each would be fresh memory,
    faulted in page by page), sorts on every thread, and gathers within a range that
    stays in cache. (100k city, 19 M edges: 1.4-1.7 s for the sort, gathers and weights
    after scoring, now 0.38-0.49 s; the build from 5.2-6.2 s to 3.6-4.0 s.)
    """
    keys = [p["_key"] for p in parts]
    n = sum(int(k.size) for k in keys)
    n_buckets = max(1, -(-n // BUCKET_EDGES))
    # Volunteer boundaries as keys (volunteer * n_needs + need), evenly spread, in the
    # keys' own type (a search would otherwise convert every key).
    bounds = np.arange(n_buckets + 1, dtype=np.int64) * n_left // n_buckets * n_needs
    bounds = bounds.astype(keys[0].dtype if keys else np.int64)
    cuts = [np.searchsorted(k, bounds).tolist() for k in keys]
    sizes = [sum(c[b + 1] - c[b] for c in cuts) for b in range(n_buckets)]
    ends = np.cumsum(sizes, dtype=np.int64).tolist()
    left = np.empty(n, dtype=np.int64)
    right = np.empty(n, dtype=np.int64)
    vu, nu, weight = (np.empty(n, dtype=np.float64) for _ in range(3))
    # Edges per need, counted range by range while its needs are in cache (a count over
    # every edge afterwards took 0.04-0.07 s at 19 M edges).
    per_need = np.zeros(n_needs, dtype=np.int64)
    adding = Lock()

    def one(b: int) -> None:
        z = ends[b]
        a = z - sizes[b]
        if z == a:
            return
        pieces = [(p, c[b], c[b + 1]) for p, c in zip(parts, cuts) if c[b + 1] > c[b]]
        order, key = _argsort_keys(
            np.concatenate([p["_key"][i:j] for p, i, j in pieces], dtype=np.int64),
            with_keys=True,
        )
        np.divmod(key, n_needs, out=(left[a:z], right[a:z]))
        del key
        counts = np.bincount(right[a:z], minlength=n_needs)
        with adding:
            np.add(per_need, counts, out=per_need)
        for name, out in (("_vu", vu), ("_nu", nu)):
            col = np.concatenate([p[name][i:j] for p, i, j in pieces])
            # (positions from the sort, in range; "raise" would buffer the output)
            np.take(col, order, out=out[a:z], mode="clip")
        weight_of(vu[a:z], nu[a:z], volunteer_side, out=weight[a:z])

    for _ in pool.map(one, range(n_buckets)):
        pass
    return left, right, weight, vu, nu, per_need


def _pruned_edges(
    cols: dict[str, NDArray[Any]],
    n_needs: int,
    volunteer_side: float,
    pool: ThreadPoolExecutor,
    workers: int,
) -> tuple[I64, I64, F64, F64, F64]:
    """The edges kept by ``top_k`` pruning (in chunk order) -> in key order, as
    :func:`_assemble` gives them."""
    cols.pop("_pin", None)
    cols.pop("_w", None)  # (computed again below, in the final order)
    order, key = _argsort_keys(cols.pop("_key"), with_keys=True)
    # Volunteer and need of each edge in one pass, the need in place of the key.
    left = np.empty_like(key)
    np.divmod(key, n_needs, out=(left, key))
    right = key
    # Gathers are random access, bound by memory latency: one column per thread,
    # ``workers`` columns at a time (peak memory: that many extra columns).
    names = list(cols)
    for a in range(0, len(names), workers):
        batch = names[a : a + workers]
        for k, col in zip(batch, pool.map(lambda k, o=order: cols[k][o], batch)):
            cols[k] = col
    del order
    weight = weight_of(cols["_vu"], cols["_nu"], volunteer_side)
    return left, right, weight, cols["_vu"], cols["_nu"]


def score_chunk(
    enc: Encoded, chunk: Any, day: date, w: Weights, protect: I64 | None = None
) -> dict[str, NDArray[Any]] | None:
    """One chunk of candidates through the hard rules and the scores: the acceptable
    pairs as keys ``volunteer * n_needs + need`` (``_key``) with their utilities
    (``_vu``, ``_nu``), and with ``protect`` (sorted keys) whether each is one (``_pin``);
    None when no pair is acceptable."""
    v, n, d = filter_pairs(enc, chunk.v, chunk.n, day, skip=chunk.checked)
    if v.size == 0:
        return None
    vu, nu = utilities(components(enc, v, n, d), w)
    # One key column (volunteer * n_needs + need) instead of two index columns: the
    # final sort yields the sorted keys, and the indices follow from them without
    # gathering two more columns in a random order. The weight is not kept: it is
    # computed again from the utilities in the final order (the same bits), which
    # saves a column in memory (150 MB at 19 M edges) and a gather.
    key = v * max(enc.n_needs, 1) + n
    cols: dict[str, NDArray[Any]] = {"_key": key, "_vu": vu, "_nu": nu}
    if protect is not None:
        cols["_pin"] = in_sorted(key, protect)
    return cols


def lazy_problem(
    enc: Encoded,
    left: I64,
    right: I64,
    weight: F64,
    volunteer_utility: F64,
    need_utility: F64,
    need_degree: I64 | None = None,
) -> MatchProblem:
    """The problem of ``enc``'s volunteers and needs on these edges (sorted by volunteer,
    then need), with no pins and components recomputed when read. ``need_degree``, the
    edges per need if known, is kept with the problem's edge counts."""
    problem = MatchProblem(
        edge_left=left,
        edge_right=right,
        weight=weight,
        volunteer_utility=volunteer_utility,
        need_utility=need_utility,
        left_capacity=enc.v_max_placements,
        right_capacity=enc.n_capacity,
        left_ids=enc.volunteer_ids,
        right_ids=enc.need_ids,
        pinned=np.zeros(left.size, dtype=bool),
        components=LazyComponents(enc, left, right),
    )
    if need_degree is not None and need_degree.size == enc.n_needs:
        # (the volunteers' counts come from binary searches: cheap)
        problem.__dict__["_degrees"] = (np.diff(problem._left_start), need_degree)
    return problem


def _argsort_keys(key: I64, *, with_keys: bool = False) -> Any:
    """``np.argsort(key)`` for non-negative distinct keys, faster where they fit.

    Each key is packed with its position into one int64 (key in the high bits), so a
    plain sort (much faster than an argsort) yields the positions in key order. With
    ``with_keys``, returns ``(order, key[order])``; the sorted keys come out of the
    packed values without a gather. ``key`` may be overwritten then.

    Examples
    --------
    >>> _argsort_keys(np.array([30, 10, 20])).tolist()
    [1, 2, 0]
    >>> [a.tolist() for a in _argsort_keys(np.array([30, 10, 20]), with_keys=True)]
    [[1, 2, 0], [10, 20, 30]]
    """
    n = key.size
    if n < 2:
        order = np.arange(n, dtype=np.int64)
        return (order, key.copy()) if with_keys else order
    bits = int(n - 1).bit_length()
    if int(key.max()).bit_length() + bits > 62:
        order = np.argsort(key)
        return (order, key[order]) if with_keys else order
    packed = key << bits
    packed |= np.arange(n, dtype=np.int64)
    packed.sort()
    if with_keys:
        np.right_shift(packed, bits, out=key)
        packed &= (1 << bits) - 1
        return packed, key
    packed &= (1 << bits) - 1
    return packed


class _Accumulator:
    """Collects scored edges chunk by chunk; with ``top_k``, prunes as it goes.

    Pruning keeps each volunteer's ``top_k`` best edges seen so far. An edge outside the
    top k of a subset is outside the top k of the whole (the order is total: weight,
    then the need's position), so pruning early gives exactly the result of pruning at
    the end, with memory bounded by about ``n_volunteers * top_k`` plus one chunk.

    After a pruning, each volunteer that kept ``top_k`` edges has a floor, the weight of
    the worst of them: a later edge below it is beaten by all ``top_k`` (an edge at the
    floor may still win on the need's position), so it is dropped as it arrives.
    """

    def __init__(
        self, n_left: int, n_needs: int, top_k: int | None, volunteer_side: float
    ) -> None:
        self.n_left = n_left
        self.volunteer_side = volunteer_side
        self.n_needs = n_needs
        self.top_k = top_k
        self.parts: list[dict[str, NDArray[Any]]] = []
        self.pending = 0
        # Pruned when the edges added since the last pruning exceed this: memory stays
        # within about twice ``n_volunteers * top_k``, and pruning early sets the floors.
        self.growth = 0 if top_k is None else n_left * top_k + PRUNE_SLACK
        self.kept = 0
        self.floor: F64 | None = None

    def add(self, cols: dict[str, NDArray[Any]] | None) -> None:
        if cols is None:
            return
        if self.top_k is not None:
            # (the weight, kept while pruning needs it; the same bits as the final one)
            cols["_w"] = weight_of(cols["_vu"], cols["_nu"], self.volunteer_side)
            if self.floor is not None:
                ok = cols["_w"] >= self.floor[cols["_key"] // self.n_needs]
                if "_pin" in cols:
                    ok |= cols["_pin"]
                if not ok.all():
                    at = np.flatnonzero(ok)
                    cols = {k: c[at] for k, c in cols.items()}
        self.parts.append(cols)
        self.pending += cols["_key"].size
        if self.top_k is not None and self.pending - self.kept > self.growth:
            merged = self._merge()
            self.parts = [merged]
            self.pending = self.kept = merged["_key"].size

    def _merge(self) -> dict[str, NDArray[Any]]:
        # Column by column, dropping each column's parts once merged (peak: one column).
        parts, self.parts = self.parts, []
        cols = {k: np.concatenate([p.pop(k) for p in parts]) for k in list(parts[0])}
        if self.top_k is not None:
            left, right = np.divmod(cols["_key"], self.n_needs)
            keep = top_k_mask(
                left,
                cols["_w"],
                self.top_k,
                n_left=self.n_left,
                pinned=cols.get("_pin"),
                edge_right=right,
            )
            for k in list(cols):
                cols[k] = cols[k][keep]
            self.floor = floors(left[keep], cols["_w"], cols.get("_pin"), self.n_left, self.top_k)
        return cols

    def result(self) -> dict[str, NDArray[Any]]:
        if not self.parts:
            empty: dict[str, NDArray[Any]] = {"_key": np.zeros(0, dtype=np.int64)}
            empty.update({k: np.zeros(0, dtype=np.float64) for k in ("_vu", "_nu")})
            return empty
        return self._merge()

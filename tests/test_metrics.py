"""Round metrics against plain-Python recomputations from the result's proposals."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import date

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import matchkit as mk
from matchkit._metrics import churn, gini, need_districts, previous_pairs
from matchkit.datasets import DEFAULT_AS_OF, synthetic_city, tiny_city
from matchkit.solvers import blocking_pairs


@pytest.fixture(scope="module")
def city() -> mk.MatchResult:
    return mk.match(
        synthetic_city(n_volunteers=300, n_needs=40, seed=4),
        as_of=DEFAULT_AS_OF,
        shortlist=2,
    )


def filled_by_loop(result: mk.MatchResult) -> dict[str, int]:
    """Places held per need: placements, new and open proposals with their alternatives."""
    held: Counter[str] = Counter(n for _, n in result.placements)
    for p in result.proposals:
        held[p.need_id] += 1
        held.update(a.need_id for a in p.alternatives)
    return {n.id: min(held[n.id], n.capacity) for n in result.dataset.needs}


def open_need_ids(result: mk.MatchResult) -> list[str]:
    blocked = set(result.context.get("blocked", {}))
    return [
        n.id
        for n in result.dataset.needs
        if n.status is mk.NeedStatus.OPEN
        and n.id not in blocked
        and (n.end_date is None or n.end_date >= result.as_of)
    ]


def test_fill_rates_match_a_loop(city: mk.MatchResult) -> None:
    ds, m = city.dataset, city.metrics
    filled = filled_by_loop(city)
    live = open_need_ids(city)
    cap = {n.id: n.capacity for n in ds.needs}
    assert m["fill_rate"] == pytest.approx(
        sum(filled[n] for n in live) / sum(cap[n] for n in live)
    )
    num: dict[str, float] = defaultdict(float)
    den: dict[str, float] = defaultdict(float)
    for n in live:
        org = ds.need(n).organisation_id
        num[org] += filled[n]
        den[org] += cap[n]
    assert m["fill_rate_by_organisation"] == pytest.approx(
        {o: num[o] / den[o] for o in den}
    )
    labels = dict(zip(ds.need_ids, need_districts(ds)))
    num, den = defaultdict(float), defaultdict(float)
    for n in live:
        num[labels[n]] += filled[n]
        den[labels[n]] += cap[n]
    assert m["fill_rate_by_district"] == pytest.approx(
        {d: num[d] / den[d] for d in den}
    )
    assert m["gini_fill_by_district"] == pytest.approx(
        gini(num[d] / den[d] for d in den)
    )


def test_pools_and_offers_match_a_loop(city: mk.MatchResult) -> None:
    ds, m = city.dataset, city.metrics
    pool = {v.id: v.pool or "(none)" for v in ds.volunteers}
    offers: Counter[str] = Counter()
    for p in city.proposals:
        offers[p.volunteer_id] += 1 + len(p.alternatives)
    served = {v for v in offers} | {v for v, _ in city.placements}
    for name, row in m["pools"].items():
        members = [v for v, p in pool.items() if p == name]
        assert row["volunteers"] == len(members)
        assert row["offered_or_placed"] == sum(v in served for v in members)
    assert sum(
        row["share_of_filled_places"] for row in m["pools"].values()
    ) == pytest.approx(1.0)
    per = list(offers.values())
    assert m["offers_per_volunteer"]["mean"] == pytest.approx(sum(per) / len(per))
    assert m["offers_per_volunteer"]["counts"] == dict(Counter(per))
    assert m["share_volunteers_offered"] == pytest.approx(
        len(offers) / len(ds.volunteers)
    )


def test_histograms_count_every_proposal(city: mk.MatchResult) -> None:
    m = city.metrics
    new = [p for p in city.proposals if p.status == "new"]
    assert sum(m["score"]["histogram"]["counts"]) == len(new)
    finite = [
        p.components["distance_km"]
        for p in new
        if not math.isnan(p.components["distance_km"])
    ]
    assert sum(m["distance_km"]["histogram"]["counts"]) == len(finite)
    assert m["distance_km"]["median"] == pytest.approx(float(np.median(finite)))


def test_small_organisations_match_a_loop(city: mk.MatchResult) -> None:
    ds, m = city.dataset, city.metrics
    filled, live = filled_by_loop(city), open_need_ids(city)
    places: Counter[str] = Counter()
    got: Counter[str] = Counter()
    for n in live:
        org = ds.need(n).organisation_id
        places[org] += ds.need(n).capacity
        got[org] += filled[n]
    small = [
        o for o, c in places.items() if c <= m["small_organisations"]["max_places"]
    ]
    s = m["small_organisations"]
    assert s["n"] == len(small)
    if small:
        assert s["fill_rate"] == pytest.approx(
            sum(got[o] for o in small) / sum(places[o] for o in small)
        )
        assert s["share_with_a_place_filled"] == pytest.approx(
            sum(got[o] > 0 for o in small) / len(small)
        )


def naive_blocking(result: mk.MatchResult) -> int:
    """Blocking pairs by the definition, one edge at a time (weak: strict preference):
    of the primary proposals, among pairs not on offer as alternatives."""
    p = result.problem

    def at(v: str, n: str) -> tuple[int, int]:
        return (result.dataset.index_of("volunteers", v), result.dataset.index_of("needs", n))

    chosen = {at(x.volunteer_id, x.need_id) for x in result.proposals}
    on_offer = {at(x.volunteer_id, a.need_id) for x in result.proposals for a in x.alternatives}
    vu, nu = {}, {}
    for e in range(p.n_edges):
        key = (int(p.edge_left[e]), int(p.edge_right[e]))
        vu[key], nu[key] = float(p.volunteer_utility[e]), float(p.need_utility[e])
    count = 0
    for (v, n), mine_u in vu.items():
        if (v, n) in chosen or (v, n) in on_offer:
            continue
        mine = [vu[c] for c in chosen if c[0] == v]
        theirs = [nu[c] for c in chosen if c[1] == n]
        v_wants = len(mine) < p.left_capacity[v] or mine_u > min(mine)
        n_wants = len(theirs) < p.right_capacity[n] or nu[(v, n)] > min(theirs)
        count += v_wants and n_wants
    return count


@pytest.mark.parametrize("shortlist", [0, 2])
@pytest.mark.parametrize("method", ["flow", "stable", "hungarian"])
def test_blocking_pairs_of_the_proposal_set(method: str, shortlist: int) -> None:
    result = mk.match(
        synthetic_city(n_volunteers=80, n_needs=20 if shortlist else 12, seed=9),
        as_of=DEFAULT_AS_OF,
        method=method,
        shortlist=shortlist,
    )
    if shortlist:
        assert any(p.alternatives for p in result.proposals)
    assert result.metrics["blocking_pairs"] == naive_blocking(result)
    if method == "stable":
        assert result.metrics["blocking_pairs"] == 0


def test_blocking_pairs_agree_with_the_solver_helper() -> None:
    result = mk.match(tiny_city(), as_of=date(2026, 9, 1))
    asg = mk.Assignment.from_edges(result.problem, result.assignment.edges, method="x")
    assert result.metrics["blocking_pairs"] == len(blocking_pairs(result.problem, asg))


def test_churn_with_a_ledger_counts_rejected_offers() -> None:
    ds = synthetic_city(n_volunteers=200, n_needs=30, seed=2)
    ledger = mk.Ledger(":memory:")
    r1 = mk.match(ds, ledger=ledger, as_of="2026-09-01")
    assert r1.metrics["churn"] is None
    firsts = r1.proposals
    for p in firsts[:10]:
        ledger.accept(p.volunteer_id, p.need_id, at="2026-09-02")
    for p in firsts[10:25]:
        ledger.reject(p.volunteer_id, p.need_id, at="2026-09-02")
    r2 = mk.match(ds, ledger=ledger, as_of="2026-09-03")
    c = r2.metrics["churn"]
    assert c["previous"] == len(firsts)
    assert c["kept"] == len(firsts) - 15
    assert c["rate"] == pytest.approx(15 / len(firsts))


def test_previous_pairs_from_the_ledger_are_the_previous_rounds_proposals() -> None:
    # shortlists: the alternatives are offered too, but are not the round's proposals
    ds = synthetic_city(n_volunteers=200, n_needs=30, seed=2)
    ledger = mk.Ledger(":memory:")
    r1 = mk.match(ds, ledger=ledger, as_of="2026-09-01", shortlist=2)
    assert any(p.alternatives for p in r1.proposals)
    want = [(p.volunteer_id, p.need_id) for p in r1.proposals]
    assert previous_pairs(ledger=ledger, current_round=2) == want
    assert previous_pairs(r1) == want
    assert previous_pairs(ledger=ledger, current_round=1) is None


def test_churn_against_a_previous_result_on_the_same_day_is_zero() -> None:
    ds = tiny_city()
    r1 = mk.match(ds, as_of="2026-09-01")
    r2 = mk.match(ds, as_of="2026-09-01", previous=r1)
    assert r2.metrics["churn"] == {
        "previous": len(r1.proposals),
        "kept": len(r1.proposals),
        "rate": 0.0,
    }


@pytest.mark.parametrize(
    ("values", "want"),
    [
        ([], None),
        ([0.0, 0.0], 0.0),
        ([0.3, 0.3, 0.3], 0.0),
        ([0.0, 0.0, 0.0, 1.0], 0.75),
        ([1.0, 2.0, 3.0, 4.0], 0.25),
    ],
)
def test_gini_known_values(values: list[float], want: float | None) -> None:
    got = gini(values)
    assert got == (None if want is None else pytest.approx(want))


@given(st.lists(st.floats(0, 1), min_size=1, max_size=30))
def test_gini_is_the_mean_absolute_difference_over_twice_the_mean(
    values: list[float],
) -> None:
    g = gini(values)
    mean = sum(values) / len(values)
    assert g is not None and 0.0 <= g <= 1.0 + 1e-12
    if mean > 0:
        mad = sum(abs(a - b) for a in values for b in values) / len(values) ** 2
        assert g == pytest.approx(mad / (2 * mean), abs=1e-9)
    assert gini(values[::-1]) == pytest.approx(g)


def test_districts_of_the_tiny_city() -> None:
    assert need_districts(tiny_city()) == ["E1", "C", "remote", "S1", "S1", "C"]
    assert need_districts(tiny_city(), cell_km=100) == [
        "C",
        "C",
        "remote",
        "C",
        "C",
        "C",
    ]


@given(st.floats(0.5, 20))
def test_needs_at_one_place_share_a_district(cell: float) -> None:
    ds = synthetic_city(n_volunteers=5, n_needs=40, seed=1)
    labels = need_districts(ds, cell_km=cell)
    where: dict[tuple[float, float], set[str]] = defaultdict(set)
    for n, label in zip(ds.needs, labels):
        if n.remote or n.location is None:
            assert label == "remote"
        else:
            where[(n.location.lat, n.location.lon)].add(label)
    assert all(len(s) == 1 for s in where.values())


def test_churn_helper() -> None:
    assert churn([], [("v", "n")]) == {"previous": 0, "kept": 0, "rate": None}


def test_round_metrics_counts_the_blocking_pairs_when_not_given() -> None:
    from matchkit._metrics import round_metrics

    result = mk.match(synthetic_city(n_volunteers=80, n_needs=12, seed=9), as_of=DEFAULT_AS_OF)
    p = result.problem
    chosen = np.sort(p.edge_index(
        [result.dataset.index_of("volunteers", x.volunteer_id) for x in result.proposals],
        [result.dataset.index_of("needs", x.need_id) for x in result.proposals],
    ))
    none = np.zeros(0, dtype=np.int64)
    m = round_metrics(
        result.dataset, p, chosen=chosen, placements=(none, none), reserved=(none, none),
        proposals=result.proposals, open_needs=np.ones(p.n_right, dtype=bool),
    )
    assert m["blocking_pairs"] == result.metrics["blocking_pairs"] == naive_blocking(result)


def test_a_round_without_decisions_counts_as_the_one_before(tmp_path) -> None:
    """New alternatives hold places (fill rate) and stay out of the blocking set in the
    round that makes them exactly as they do once open: with no decision in between,
    the next round reports the same numbers."""
    ds = synthetic_city(n_volunteers=120, n_needs=20, seed=5)
    ledger = mk.Ledger(tmp_path / "l.sqlite")
    first = mk.match(ds, ledger=ledger, shortlist=2, as_of=DEFAULT_AS_OF)
    assert first.metrics["n_alternatives"] > 0
    second = mk.match(ds, ledger=ledger, shortlist=2, as_of=DEFAULT_AS_OF)
    assert second.metrics["n_new_proposals"] == 0 and second.metrics["n_open_offers"] > 0
    for key in ("fill_rate", "blocking_pairs", "fill_rate_by_district"):
        assert second.metrics[key] == pytest.approx(first.metrics[key]), key
    assert first.metrics["fill_rate"] == pytest.approx(
        sum(filled_by_loop(first)[n] for n in open_need_ids(first))
        / sum(ds.need(n).capacity for n in open_need_ids(first))
    )

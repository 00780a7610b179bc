"""With top_k, decided pairs never take a volunteer's places; warm re-plans equal cold ones."""

from __future__ import annotations

import numpy as np
import pytest

import matchkit as mk
from matchkit.datasets import DEFAULT_AS_OF, synthetic_city

AT = f"{DEFAULT_AS_OF}T"


def _two_needs() -> mk.Dataset:
    return mk.Dataset(
        volunteers=[{"id": "v1", "remote_ok": True, "interests": ["parks"]}],
        organisations=[
            {"id": "o1", "name": "Parks", "kind": "cso", "registered": True},
            {"id": "vc", "name": "Centre", "kind": "volunteer_centre", "registered": True},
        ],
        needs=[
            {"id": "best", "organisation_id": "o1", "title": "Plant trees", "capacity": 1,
             "status": "open", "remote": True, "causes": ["parks"], "vetted_by": "vc"},
            {"id": "next", "organisation_id": "o1", "title": "Sort seeds", "capacity": 1,
             "status": "open", "remote": True, "causes": ["food"], "vetted_by": "vc"},
        ],
    )


@pytest.mark.parametrize("warm", [False, True])
def test_after_a_rejection_the_next_best_pair_is_offered(warm: bool) -> None:
    ds = _two_needs()
    ledger = mk.Ledger(":memory:")
    first = mk.match(ds, ledger=ledger, as_of=DEFAULT_AS_OF, top_k=1)
    assert [(p.volunteer_id, p.need_id) for p in first.new_proposals] == [("v1", "best")]
    ledger.reject("v1", "best", at=AT + "06:00:00+00:00")
    second = mk.match(
        ds, ledger=ledger, as_of=DEFAULT_AS_OF, top_k=1, at=AT + "07:00:00+00:00",
        previous=first if warm else None,
    )
    assert [(p.volunteer_id, p.need_id) for p in second.new_proposals] == [("v1", "next")]
    # The rejected pair stays in the problem (for explanations) but is never offered.
    assert second.problem.edge_index([0], [0]).tolist() != [-1]


def _decide(ledger: mk.Ledger, result: mk.MatchResult, seed: int) -> None:
    rng = np.random.default_rng(seed)
    with ledger.batch():
        for p in result.new_proposals:
            draw = rng.random()
            if draw < 0.3:
                ledger.reject(p.volunteer_id, p.need_id, at=AT + "06:00:00+00:00")
            elif draw < 0.5:
                ledger.accept(p.volunteer_id, p.need_id, at=AT + "06:00:00+00:00")


@pytest.mark.parametrize(("top_k", "seed"), [(1, 1), (3, 2), (8, 3)])
def test_a_warm_re_plan_builds_the_problem_a_cold_one_does(top_k: int, seed: int) -> None:
    ds = synthetic_city(400, 50, seed=seed)
    rounds = {}
    for name in ("warm", "cold"):
        ledger = mk.Ledger(":memory:")
        first = mk.match(ds, ledger=ledger, as_of=DEFAULT_AS_OF, top_k=top_k, shortlist=1)
        _decide(ledger, first, seed)
        rounds[name] = mk.match(
            ds, ledger=ledger, as_of=DEFAULT_AS_OF, top_k=top_k, shortlist=1,
            at=AT + "07:00:00+00:00", previous=first if name == "warm" else None,
        )
    warm, cold = rounds["warm"].problem, rounds["cold"].problem
    for name in ("edge_left", "edge_right", "weight", "volunteer_utility", "need_utility"):
        np.testing.assert_array_equal(getattr(warm, name), getattr(cold, name))
    for k in ("interest", "distance_km"):
        np.testing.assert_array_equal(warm.components[k], cold.components[k])
    assert [(p.volunteer_id, p.need_id) for p in rounds["warm"].new_proposals] == [
        (p.volunteer_id, p.need_id) for p in rounds["cold"].new_proposals
    ]
    # Every proposal, the open ones a warm round takes over from round 1 included, is
    # the one a cold round builds: needs, alternatives, scores, components, status, round.
    # (Compared by repr: a remote pair's distance_km is NaN, which equals nothing.)
    assert repr(rounds["warm"].proposals) == repr(rounds["cold"].proposals)
    assert any(p.status == "open" for p in rounds["warm"].proposals)


def test_decided_pairs_do_not_count_towards_k() -> None:
    ds = synthetic_city(300, 40, seed=9)
    ledger = mk.Ledger(":memory:")
    first = mk.match(ds, ledger=ledger, as_of=DEFAULT_AS_OF, top_k=2)
    _decide(ledger, first, 9)
    second = mk.match(ds, ledger=ledger, as_of=DEFAULT_AS_OF, top_k=2, at=AT + "07:00:00+00:00")
    p = second.problem
    excluded = set(second.context["excluded"]) | set(second.placements)
    vid = {i: v for i, v in enumerate(p.left_ids)}
    nid = {j: n for j, n in enumerate(p.right_ids)}
    live = np.array(
        [(vid[int(a)], nid[int(b)]) not in excluded for a, b in zip(p.edge_left, p.edge_right)]
    )
    full = mk.build_problem(ds, as_of=DEFAULT_AS_OF)
    degree = np.bincount(full.edge_left, minlength=full.n_left)
    live_degree = np.bincount(p.edge_left[live], minlength=p.n_left)
    # Each volunteer keeps min(2, live pairs available) live pairs.
    decided_v = np.bincount(p.edge_left[~live], minlength=p.n_left)
    available = degree - decided_v
    np.testing.assert_array_equal(live_degree, np.minimum(2, available))


def _reject_all_new(ledger: mk.Ledger, result: mk.MatchResult, at: str) -> None:
    with ledger.batch():
        for p in result.new_proposals:
            ledger.reject(p.volunteer_id, p.need_id, at=at)
            for a in p.alternatives:
                ledger.reject(p.volunteer_id, a.need_id, at=at)


@pytest.mark.parametrize("reserve", [0, 1, 3, 8])
def test_warm_rounds_in_a_chain_equal_cold_ones_while_the_reserve_runs_out(
    reserve: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every round rejects every new offer and alternative, so each volunteer uses up
    their reserve of next best pairs at some round and is scored again; each warm round
    (from the previous warm one) must build exactly the cold problem and make the same
    offers. Both ways of re-planning a volunteer must run."""
    from matchkit import _round_problem

    monkeypatch.setattr(_round_problem, "RESERVE", reserve)
    rescored = []
    real = _round_problem.build_encoded

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        if kwargs.get("volunteers") is not None:
            rescored.append(int(kwargs["volunteers"].sum()))
        return real(*args, **kwargs)

    monkeypatch.setattr(_round_problem, "build_encoded", counting)
    ds = synthetic_city(300, 40, seed=5)
    ledgers = {"warm": mk.Ledger(":memory:"), "cold": mk.Ledger(":memory:")}
    last: dict[str, mk.MatchResult] = {}
    for rnd in range(4):
        at = AT + f"0{rnd + 1}:00:00+00:00"
        for name, ledger in ledgers.items():
            last[name] = mk.match(
                ds, ledger=ledger, as_of=DEFAULT_AS_OF, top_k=3, shortlist=1, at=at,
                previous=last.get("warm") if name == "warm" else None,
            )
        warm, cold = last["warm"].problem, last["cold"].problem
        for field in ("edge_left", "edge_right", "weight", "volunteer_utility", "need_utility"):
            np.testing.assert_array_equal(getattr(warm, field), getattr(cold, field))
        assert [(p.volunteer_id, p.need_id) for p in last["warm"].new_proposals] == [
            (p.volunteer_id, p.need_id) for p in last["cold"].new_proposals
        ]
        assert repr(last["warm"].proposals) == repr(last["cold"].proposals)
        for name, ledger in ledgers.items():
            _reject_all_new(ledger, last[name], AT + f"0{rnd + 1}:30:00+00:00")
    if reserve <= 1:
        assert rescored, "no volunteer was ever scored again"
    if reserve == 8:  # 4 rounds reject at most 8 pairs of anyone: the reserve suffices
        assert rescored == [], "a volunteer was scored again though their reserve sufficed"


def test_a_placement_the_need_withdrew_is_re_ranked_warm_as_cold() -> None:
    """A withdrawn placement leaves the decided pairs: it competes for the top k again,
    and may rank below pairs the warm round never scored; warm must still equal cold."""
    ds = synthetic_city(300, 40, seed=6)
    ledgers = {"warm": mk.Ledger(":memory:"), "cold": mk.Ledger(":memory:")}
    first = {n: mk.match(ds, ledger=led, as_of=DEFAULT_AS_OF, top_k=2, at=AT + "01:00:00+00:00")
             for n, led in ledgers.items()}
    offers = first["warm"].new_proposals[:40]
    for led in ledgers.values():
        with led.batch():
            for p in offers:
                led.accept(p.volunteer_id, p.need_id, at=AT + "02:00:00+00:00")
    second = {
        n: mk.match(ds, ledger=led, as_of=DEFAULT_AS_OF, top_k=2, at=AT + "03:00:00+00:00",
                    previous=first[n] if n == "warm" else None)
        for n, led in ledgers.items()
    }
    for led in ledgers.values():
        with led.batch():
            for p in offers[:20]:
                led.withdraw(p.volunteer_id, p.need_id, by="need", at=AT + "04:00:00+00:00")
    third = {
        n: mk.match(ds, ledger=led, as_of=DEFAULT_AS_OF, top_k=2, at=AT + "05:00:00+00:00",
                    previous=second[n] if n == "warm" else None)
        for n, led in ledgers.items()
    }
    for result in (second, third):
        warm, cold = result["warm"].problem, result["cold"].problem
        for field in ("edge_left", "edge_right", "weight"):
            np.testing.assert_array_equal(getattr(warm, field), getattr(cold, field))


@pytest.mark.parametrize("seed", range(6))
def test_warm_problems_equal_cold_ones_when_decided_pairs_come_and_go(seed: int) -> None:
    """round_problem on random sequences of decided sets that grow and shrink (a round
    whose ``previous=`` came from another ledger) with a small reserve: every warm
    problem equals the cold one. A pair that leaves the decided set may rank below pairs
    the reserve never held; its volunteer must then be scored again."""
    from matchkit import _round_problem as rp
    from matchkit._build import resolve_weights
    from matchkit._ledger_state import parse_time

    rng = np.random.default_rng(seed)
    ds = synthetic_city(200, 30, seed=seed)
    day = parse_time(DEFAULT_AS_OF).date()
    w = resolve_weights(None)
    full = mk.build_problem(ds, as_of=day)
    keys = full.edge_left * full.n_right + full.edge_right
    busy = np.flatnonzero(np.bincount(full.edge_left, minlength=full.n_left) >= 6)
    pool = keys[np.isin(full.edge_left, busy[:20])]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(rp, "RESERVE", 2)
        decided = np.zeros(0, dtype=np.int64)
        problem, reserve = rp.round_problem(ds, w, day, 1, decided, None)
        for _ in range(6):
            grow = rng.choice(pool, size=6, replace=False)
            keep = decided[rng.random(decided.size) < 0.6]  # some pairs leave
            new = np.unique(np.concatenate([keep, grow]))
            problem, reserve = rp.round_problem(
                ds, w, day, 1, new, (problem, decided, reserve)
            )
            cold, _ = rp.round_problem(ds, w, day, 1, new, None)
            for field in ("edge_left", "edge_right", "weight", "volunteer_utility"):
                np.testing.assert_array_equal(getattr(problem, field), getattr(cold, field))
            decided = new


def test_match_refuses_a_bad_top_k() -> None:
    ds = synthetic_city(50, 10, seed=1)
    for bad in (0, -3, 2.5, True):
        with pytest.raises(mk.InvalidInputError, match="top_k"):
            mk.match(ds, as_of=DEFAULT_AS_OF, top_k=bad)  # type: ignore[arg-type]


def test_a_weak_pair_that_is_no_longer_decided_does_not_stand_in_for_unscored_ones() -> None:
    """k=1, a reserve of 2. A weak pair (7th best) of each busy volunteer is decided, then
    no longer (as when ``previous=`` came from another ledger), then their 3 best are
    decided. Kept among the known pairs, the weak pair would be taken for the best one
    left, though the 4th to 6th best were never scored in; cold picks the 4th best."""
    from matchkit import _round_problem as rp
    from matchkit._build import resolve_weights
    from matchkit._ledger_state import parse_time

    ds = synthetic_city(300, 40, seed=5)
    day = parse_time(DEFAULT_AS_OF).date()
    w = resolve_weights(None)
    full = mk.build_problem(ds, as_of=day)
    nn = full.n_right
    deg = np.bincount(full.edge_left, minlength=full.n_left)
    weak, best = [], []
    for v in np.flatnonzero(deg >= 8)[:10].tolist():
        rows = np.flatnonzero(full.edge_left == v)
        order = rows[np.lexsort((full.edge_right[rows], -full.weight[rows]))]
        weak.append(v * nn + int(full.edge_right[order[6]]))
        best += [v * nn + int(full.edge_right[e]) for e in order[:3]]
    assert weak
    d0, d1, d2 = np.sort(weak), np.zeros(0, dtype=np.int64), np.sort(best)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(rp, "RESERVE", 2)
        p0, r0 = rp.round_problem(ds, w, day, 1, d0, None)
        p1, r1 = rp.round_problem(ds, w, day, 1, d1, (p0, d0, r0))
        p2, _ = rp.round_problem(ds, w, day, 1, d2, (p1, d1, r1))
        cold, _ = rp.round_problem(ds, w, day, 1, d2, None)
    for field in ("edge_left", "edge_right", "weight"):
        np.testing.assert_array_equal(getattr(p2, field), getattr(cold, field))


def _one_volunteer(causes: list[list[str]], max_placements: int = 1) -> mk.Dataset:
    return mk.Dataset(
        volunteers=[{"id": "v1", "remote_ok": True, "interests": ["parks", "food", "art"],
                     "max_placements": max_placements}],
        organisations=[
            {"id": "o1", "name": "Parks", "kind": "cso", "registered": True},
            {"id": "vc", "name": "Centre", "kind": "volunteer_centre", "registered": True},
        ],
        needs=[{"id": f"n{i + 1}", "organisation_id": "o1", "title": f"Task {i}", "capacity": 1,
                "status": "open", "remote": True, "causes": c, "vetted_by": "vc"}
               for i, c in enumerate(causes)],
    )


def test_an_open_offer_that_enters_the_top_k_gets_its_components_warm_as_cold() -> None:
    """An offer made under a larger k is open but outside a round with a smaller k (no
    components); a rejection brings it into the top k. The warm round must not take
    over the earlier proposal without components."""
    ds = _one_volunteer([["parks", "food", "art"], ["parks", "food"], ["parks"], ["sport"]], 3)
    out = {}
    for name in ("warm", "cold"):
        ledger = mk.Ledger(":memory:")
        mk.match(ds, ledger=ledger, as_of=DEFAULT_AS_OF, top_k=3, at=AT + "00:30:00+00:00")
        second = mk.match(ds, ledger=ledger, as_of=DEFAULT_AS_OF, top_k=2, at=AT + "01:00:00+00:00")
        assert [len(p.components) > 0 for p in second.proposals].count(False) == 1
        ledger.reject("v1", "n1", at=AT + "02:00:00+00:00")
        out[name] = mk.match(
            ds, ledger=ledger, as_of=DEFAULT_AS_OF, top_k=2, at=AT + "03:00:00+00:00",
            previous=second if name == "warm" else None,
        )
    assert repr(out["warm"].proposals) == repr(out["cold"].proposals)
    assert all(p.components for p in out["warm"].proposals)


def test_a_previous_round_from_another_ledger_does_not_lend_its_scores() -> None:
    """Both ledgers have a round 1 offering (v1, n1), at different scores: the open offer
    is reported with the score its own ledger recorded."""
    ds = _one_volunteer([["parks"]])
    r1 = mk.match(ds, ledger=mk.Ledger(":memory:"), as_of=DEFAULT_AS_OF, at=AT + "01:00:00+00:00")
    res = {}
    for name in ("warm", "cold"):
        other = mk.Ledger(":memory:")
        other.record_round(
            [mk.Offer(volunteer_id="v1", need_id="n1", score=0.5, capacity=1, max_placements=1)],
            at=AT + "00:30:00+00:00",
        )
        res[name] = mk.match(ds, ledger=other, as_of=DEFAULT_AS_OF, at=AT + "02:00:00+00:00",
                             previous=r1 if name == "warm" else None)
    assert [p.score for p in res["warm"].proposals] == [p.score for p in res["cold"].proposals] == [0.5]
    assert repr(res["warm"].proposals) == repr(res["cold"].proposals)

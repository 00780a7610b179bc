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

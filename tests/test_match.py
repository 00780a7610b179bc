"""match(): one round on known cities, the ledger's rules, shortlists, budgets, reasons."""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import matchkit as mk
from matchkit._problem import components_at
from matchkit.datasets import (
    DEFAULT_AS_OF,
    TINY_CITY_ACCEPTABLE,
    synthetic_city,
    tiny_city,
)


def _pairs(result: mk.MatchResult) -> set[tuple[str, str]]:
    return {(p.volunteer_id, p.need_id) for p in result.proposals}


def test_tiny_city_reaches_its_documented_best_round() -> None:
    result = mk.match(tiny_city(), as_of=DEFAULT_AS_OF, method="milp")
    # Only the documented acceptable pairs can be proposed.
    assert _pairs(result) <= set(TINY_CITY_ACCEPTABLE)
    assert result.unmatched["v6"].code == "no_acceptable_need"
    assert result.unfilled["n4"].code == "not_open"
    assert result.unfilled["n5"].code == "ended"
    assert "idea" in str(result.unfilled["n4"])


@pytest.mark.parametrize("method", ["flow", "hungarian", "milp"])
def test_optimising_methods_agree_on_the_round_objective(method: str) -> None:
    ds = synthetic_city(300, 30, seed=5)
    ref = mk.match(ds, as_of=DEFAULT_AS_OF, method="flow")
    other = mk.match(ds, as_of=DEFAULT_AS_OF, method=method)
    assert other.assignment.objective == pytest.approx(ref.assignment.objective, rel=1e-9, abs=1e-6)


def test_stable_method_leaves_no_blocking_pair_in_the_round() -> None:
    ds = synthetic_city(300, 30, seed=6)
    result = mk.match(ds, as_of=DEFAULT_AS_OF, method="stable")
    from matchkit._stability import blocking_pairs

    assert len(blocking_pairs(result.free_problem, result.assignment)) == 0


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), k=st.integers(1, 3))
def test_shortlists_can_never_overfill_a_need(seed: int, k: int) -> None:
    ds = synthetic_city(120, 12, seed=seed)
    result = mk.match(ds, as_of=DEFAULT_AS_OF, shortlist=k)
    held: Counter[str] = Counter()
    for p in result.proposals:
        held[p.need_id] += 1
        assert len(p.alternatives) <= k
        assert p.need_id not in {a.need_id for a in p.alternatives}
        for a in p.alternatives:
            held[a.need_id] += 1
            assert mk.why_not(ds, p.volunteer_id, a.need_id, as_of=DEFAULT_AS_OF) == []
    # Even if every offer and every alternative were accepted, no need would overflow.
    for need in ds.needs:
        assert held[need.id] <= need.capacity


def test_offer_budget_caps_open_offers_per_volunteer() -> None:
    ds = synthetic_city(200, 20, seed=2)
    with mk.Ledger(":memory:") as ledger:
        r1 = mk.match(ds, ledger=ledger, as_of=DEFAULT_AS_OF, shortlist=3,
                      budget=mk.OfferBudget(max_open=2, max_per_week=2))
        for p in r1.new_proposals:
            assert 1 + len(p.alternatives) <= 2
        state = ledger.state(as_of=DEFAULT_AS_OF)
        assert max(Counter(v for v, _ in state.open_offers).values()) <= 2
        # Nothing answered: the next round the same day offers nobody anything new.
        r2 = mk.match(ds, ledger=ledger, as_of=DEFAULT_AS_OF, at=f"{DEFAULT_AS_OF}T08:00:00+00:00",
                      shortlist=3, budget=mk.OfferBudget(max_open=2, max_per_week=2))
        assert r2.new_proposals == []
        assert {p.volunteer_id for p in r2.proposals} == {p.volunteer_id for p in r1.new_proposals}
        assert all(p.status == "open" for p in r2.proposals)


def test_weekly_budget_counts_offers_of_the_last_seven_days() -> None:
    ds = synthetic_city(60, 40, seed=4)  # plenty of places: only the budget holds offers back
    budget = mk.OfferBudget(max_open=5, max_per_week=1)
    with mk.Ledger(":memory:") as ledger:
        r1 = mk.match(ds, ledger=ledger, as_of=DEFAULT_AS_OF, budget=budget)
        offered = {p.volunteer_id for p in r1.new_proposals}
        for p in r1.new_proposals:
            ledger.reject(p.volunteer_id, p.need_id, at=f"{DEFAULT_AS_OF}T10:00:00+00:00")
        day3 = DEFAULT_AS_OF + timedelta(days=3)
        r2 = mk.match(ds, ledger=ledger, as_of=day3, budget=budget)
        assert not offered & {p.volunteer_id for p in r2.new_proposals}
        assert all(r2.unmatched[v].code in {"offer_budget", "all_declined"} for v in offered)
        assert any(r2.unmatched[v].code == "offer_budget" for v in offered)
        day8 = DEFAULT_AS_OF + timedelta(days=8)
        r3 = mk.match(ds, ledger=ledger, as_of=day8, budget=budget)
        assert offered & {p.volunteer_id for p in r3.new_proposals}


def _replan_warm_and_cold(
    ds: mk.Dataset, every: int, top_k: int | None = None
) -> tuple[mk.MatchResult, ...]:
    """Round 1 on two ledgers, every ``every``-th offer rejected on both, then a warm
    re-plan (ledger open, ``previous=``) and a cold one: (first warm, first cold, warm,
    cold)."""
    with mk.Ledger(":memory:") as warm, mk.Ledger(":memory:") as cold:
        first_w = mk.match(ds, ledger=warm, as_of=DEFAULT_AS_OF, top_k=top_k)
        first_c = mk.match(ds, ledger=cold, as_of=DEFAULT_AS_OF, top_k=top_k)
        for p in first_w.new_proposals[::every]:
            for ledger in (warm, cold):
                ledger.reject(p.volunteer_id, p.need_id, at=f"{DEFAULT_AS_OF}T05:00:00+00:00")
        at = f"{DEFAULT_AS_OF}T06:00:00+00:00"
        w = mk.match(ds, ledger=warm, as_of=DEFAULT_AS_OF, previous=first_w, at=at, top_k=top_k)
        c = mk.match(ds, ledger=cold, as_of=DEFAULT_AS_OF, at=at, top_k=top_k)
    return first_w, first_c, w, c


@pytest.mark.parametrize(("top_k", "every"), [(None, 7), (1, 3), (2, 3)])
def test_warm_replan_equals_cold_replan(top_k: int | None, every: int) -> None:
    ds = synthetic_city(400, 40, seed=8)
    # night work open to minors (no adult min_age): a policy check holds these needs back
    ds = ds.replace(
        needs=[n.model_copy(update={"night_work": True}) if i % 4 == 0 else n
               for i, n in enumerate(ds.needs)]
    )
    assert mk.policy_blocks(ds, as_of=DEFAULT_AS_OF)
    first_w, first_c, w, c = _replan_warm_and_cold(ds, every, top_k)
    if top_k is None:
        assert w.problem is first_w.problem  # scores reused
    else:  # the rejecting volunteers' pairs were ranked again: a new problem
        assert w.problem is not first_w.problem
    assert c.problem is not first_c.problem
    assert _pairs(w) == _pairs(c)
    assert w.assignment.objective == pytest.approx(c.assignment.objective)
    # the reasons and numbers that warm rounds count from the previous round's arrays
    assert w.context["held_back"] is not None  # some needs are held back by policy checks
    assert _reasons(w.unmatched) == _reasons(c.unmatched)
    assert _reasons(w.unfilled) == _reasons(c.unfilled)
    for key in ("blocking_pairs", "fill_rate", "n_open_offers", "offers_per_volunteer"):
        assert w.metrics[key] == c.metrics[key], key


def test_proposals_are_whole_dataclass_instances_however_they_are_made() -> None:
    # New proposals and the open offers a cold round rebuilds are made without
    # Proposal's own __init__: each must still have every field, in order, and equal
    # what Proposal(...) makes of them.
    first_w, _, w, c = _replan_warm_and_cold(synthetic_city(400, 40, seed=8), 7, None)
    names = [f.name for f in dataclasses.fields(mk.Proposal)]
    statuses = Counter()
    for result in (first_w, w, c):
        for p in result.proposals:
            assert list(vars(p)) == names
            assert p == mk.Proposal(**{k: getattr(p, k) for k in names})
            statuses[p.status] += 1
    assert statuses["new"] and statuses["open"]


def _reasons(reasons: dict[str, mk.Reason]) -> dict[str, tuple[str, str, dict[str, object]]]:
    return {k: (r.code, r.message, dict(r.details)) for k, r in reasons.items()}


@pytest.mark.parametrize("backend", ["lp", "ortools"])
def test_warm_replan_equals_cold_replan_when_the_solve_prices(
    backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The flow method's pricing (a subgraph solved, then proven on all pairs) on every
    # solve of the round, from a small start so that rounds add pairs: warm and cold
    # still make the same offers, because the subgraphs depend on the problem alone.
    from matchkit.solvers import _flow, _flow_pricing
    from matchkit.solvers._flow_ortools import ortools_installed

    if backend == "ortools" and not ortools_installed():
        pytest.skip("OR-Tools is not installed")
    if backend == "lp":
        monkeypatch.setattr(_flow, "ortools_installed", lambda: False)
    monkeypatch.setattr(_flow, "_PRICING_MIN_EDGES", 0)
    monkeypatch.setattr(_flow, "_SMALL", 0)
    monkeypatch.setattr(_flow, "_PRICING_MAX_SHARE", {"lp": 1.0, "ortools": 1.0})
    monkeypatch.setattr(_flow_pricing, "PER_VOLUNTEER", 1)
    monkeypatch.setattr(_flow_pricing, "PER_PLACE", 1)
    first_w, _, w, c = _replan_warm_and_cold(synthetic_city(600, 60, seed=4), 5)
    assert first_w.assignment.info["pricing_rounds"] >= 2
    assert w.assignment.info["pricing_rounds"] >= 1
    assert _pairs(w) == _pairs(c)
    assert w.assignment.objective == pytest.approx(c.assignment.objective)


def test_previous_result_of_another_day_is_not_reused() -> None:
    ds = synthetic_city(100, 10, seed=1)
    first = mk.match(ds, as_of=DEFAULT_AS_OF)
    later = mk.match(ds, as_of=DEFAULT_AS_OF + timedelta(days=1), previous=first)
    assert later.problem is not first.problem


def test_policy_blocked_needs_are_skipped_and_reported() -> None:
    ds = mk.Dataset(
        volunteers=[{"id": "v1", "remote_ok": True}],
        organisations=[{"id": "o1", "name": "Club", "kind": "cso", "registered": True,
                        "vets_causes": ["sport"]}],
        needs=[{"id": "n1", "organisation_id": "o1", "title": "Collect money", "remote": True,
                "capacity": 1, "status": "open", "vetted_by": "o1", "causes": ["sport"],
                "handles_money": True}],
    )
    result = mk.match(ds, as_of=DEFAULT_AS_OF)
    assert result.proposals == []
    assert result.unfilled["n1"].code == "policy"
    unchecked = mk.match(ds, as_of=DEFAULT_AS_OF, policies=False)
    assert _pairs(unchecked) == {("v1", "n1")}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({"shortlist": -1}, r"'shortlist' parameter of match must be an integer >= 0", id="shortlist"),
        pytest.param({"as_of": "yesterday"}, r"'as_of' parameter of match must be a date", id="as_of"),
        pytest.param({"as_of": "2027-02-29"}, r"must be a date: '2027-02-29' is not a day: 2027 has no 29 February", id="as_of_no_such_day"),
        pytest.param({"method": "hungarain"}, r"'method' parameter of match must be one of 'flow'.*Got 'hungarain'", id="method"),
        # (checked also without a ledger, where it would not be used)
        pytest.param({"ttl_days": 0}, r"'ttl_days' parameter of match must be a number of days above 0", id="ttl_days"),
        pytest.param({"ttl_days": float("nan")}, r"'ttl_days' parameter of match", id="ttl_days_nan"),
        pytest.param({"ttl_days": 10**9}, r"at most 3660", id="ttl_days_huge"),
    ],
)
def test_bad_arguments_are_named(kwargs: dict, message: str) -> None:
    with pytest.raises(mk.InvalidInputError, match=message):
        mk.match(tiny_city(), **kwargs)


def test_match_refuses_something_that_is_not_a_dataset() -> None:
    with pytest.raises(mk.InvalidInputError, match=r"match expects a matchkit.Dataset; got dict"):
        mk.match({"volunteers": []})  # type: ignore[arg-type]


def test_accepted_placement_stays_even_when_the_need_closes() -> None:
    ds = tiny_city()
    with mk.Ledger(":memory:") as ledger:
        r1 = mk.match(ds, ledger=ledger, as_of=DEFAULT_AS_OF)
        p = r1.new_proposals[0]
        ledger.accept(p.volunteer_id, p.need_id, at=f"{DEFAULT_AS_OF}T09:00:00+00:00")
        closed = ds.replace(needs=[n.model_copy(update={"status": "closed"}) if n.id == p.need_id else n
                                   for n in ds.needs])
        r2 = mk.match(closed, ledger=ledger, as_of=DEFAULT_AS_OF + timedelta(days=1))
        assert (p.volunteer_id, p.need_id) in r2.placements
        assert (p.volunteer_id, p.need_id) not in _pairs(r2)


def test_one_new_proposal_per_round_when_asked() -> None:
    ds = synthetic_city(300, 30, seed=9)
    several = {v.id for v in ds.volunteers if v.max_placements > 1}
    free = mk.match(ds, as_of=DEFAULT_AS_OF)
    capped = mk.match(ds, as_of=DEFAULT_AS_OF, budget=mk.OfferBudget(max_new_per_round=1))
    assert max(Counter(p.volunteer_id for p in capped.proposals).values()) == 1
    assert max(Counter(p.volunteer_id for p in free.proposals if p.volunteer_id in several).values()) > 1


def test_an_alternative_left_open_after_its_group_is_accepted_is_not_offered_again() -> None:
    """A volunteer with two places accepts one offer of a group and leaves its
    alternative open: the next round must neither offer that pair again (the ledger
    would refuse it) nor fail."""
    vetted = {"status": "open", "remote": True, "capacity": 1, "vetted_by": "vc",
              "organisation_id": "o1"}
    ds = mk.Dataset(
        volunteers=[{"id": "v1", "remote_ok": True, "max_placements": 2, "interests": ["a"]}],
        organisations=[
            {"id": "o1", "name": "Org", "kind": "cso", "registered": True},
            {"id": "vc", "name": "Centre", "kind": "volunteer_centre", "registered": True},
        ],
        needs=[
            {"id": "n1", "title": "One", "causes": ["a"], **vetted},
            {"id": "n2", "title": "Two", "causes": ["a", "b"], **vetted},
            {"id": "n3", "title": "Three", "causes": ["c"], **vetted},
        ],
    )
    ledger = mk.Ledger(":memory:")
    first = mk.match(ds, ledger=ledger, as_of="2026-09-01", shortlist=1)
    with_alt = [p for p in first.new_proposals if p.alternatives]
    without = [p for p in first.new_proposals if not p.alternatives]
    assert len(with_alt) == 1 and len(without) == 1
    ledger.accept("v1", with_alt[0].need_id, at="2026-09-01T06:00:00+00:00")
    ledger.reject("v1", without[0].need_id, at="2026-09-01T06:00:00+00:00")
    second = mk.match(ds, ledger=ledger, as_of="2026-09-01", shortlist=1,
                      at="2026-09-01T07:00:00+00:00")
    alternative = with_alt[0].alternatives[0].need_id
    assert ("v1", alternative) in ledger.state(as_of="2026-09-01T08:00:00+00:00").open_offers
    assert not second.new_proposals


def test_a_volunteer_whose_needs_all_wait_for_vetting_is_told_so() -> None:
    ds = mk.Dataset(
        volunteers=[{"id": "v1", "remote_ok": True}],
        organisations=[{"id": "o1", "name": "Org", "kind": "cso", "registered": True}],
        needs=[{"id": "n1", "organisation_id": "o1", "title": "One", "capacity": 1,
                "status": "open", "remote": True}],  # open, but nobody vetted it
    )
    result = mk.match(ds, as_of="2026-09-01")
    assert result.unmatched["v1"].code == "held_back"
    assert "held back by policy" in result.unmatched["v1"].message
    assert result.unfilled["n1"].code == "policy"
    assert result.why_unmatched("v1").details["held_back_by_policy"] == 1


_ORG = [{"id": "o1", "name": "Org", "kind": "volunteer_centre", "registered": True}]


def _need(nid: str, capacity: int = 1) -> dict[str, object]:
    return {"id": nid, "organisation_id": "o1", "title": nid, "remote": True,
            "capacity": capacity, "status": "open", "vetted_by": "o1"}


def _people(*ids: str) -> list[dict[str, object]]:
    return [{"id": v} for v in ids]


def test_a_placement_at_a_need_that_left_the_dataset_still_uses_the_volunteer() -> None:
    ledger = mk.Ledger(":memory:")
    mk.match(mk.Dataset(volunteers=_people("v1"), organisations=_ORG, needs=[_need("n1")]),
             ledger=ledger, as_of="2026-09-01")
    ledger.accept("v1", "n1", at="2026-09-02")
    later = mk.Dataset(volunteers=_people("v1"), organisations=_ORG, needs=[_need("n2")])
    result = mk.match(later, ledger=ledger, as_of="2026-09-03")  # (it used to offer n2)
    assert result.new_proposals == [] and result.unmatched["v1"].code == "placed"


def test_a_placement_of_a_volunteer_who_left_stays_and_their_open_offer_ends() -> None:
    # n1 has 3 places: v1 placed, v2 and v3 hold offers. v1 and v2 leave the dataset:
    # v1's placement still counts (placements are never withdrawn), v2's offer is
    # withdrawn by the centre (nobody is left to answer it), v3's stays; the newcomer v4
    # gets the place v2's offer held.
    ledger = mk.Ledger(":memory:")
    mk.match(mk.Dataset(volunteers=_people("v1", "v2", "v3"), organisations=_ORG,
                        needs=[_need("n1", 3)]), ledger=ledger, as_of="2026-09-01")
    ledger.accept("v1", "n1", at="2026-09-02")
    later = mk.Dataset(volunteers=_people("v3", "v4"), organisations=_ORG, needs=[_need("n1", 3)])
    result = mk.match(later, ledger=ledger, as_of="2026-09-03")
    assert [(p.volunteer_id, p.need_id) for p in result.new_proposals] == [("v4", "n1")]
    assert {(p.volunteer_id, p.status) for p in result.proposals} == {("v3", "open"), ("v4", "new")}
    state = ledger.state(as_of="2026-09-03T12:00:00+00:00")
    assert dict(state.withdrawn) == {("v2", "n1"): "centre"}
    assert ("v1", "n1") in state.placements
    with pytest.raises(mk.DecisionError, match="withdrawn by the"):
        ledger.accept("v2", "n1", at="2026-09-04")
    ledger.accept("v3", "n1", at="2026-09-04")


def test_open_offers_on_a_need_that_left_the_dataset_end_and_the_round_is_whole(
    tmp_path: Path,
) -> None:
    ledger = mk.Ledger(":memory:")
    first = mk.match(mk.Dataset(volunteers=_people("a", "b"), organisations=_ORG,
                                needs=[_need("n1"), _need("n2")]), ledger=ledger, as_of="2026-09-01")
    assert {p.need_id for p in first.proposals} == {"n1", "n2"}
    b_need = next(p.need_id for p in first.proposals if p.volunteer_id == "b")
    kept = "n1" if b_need == "n2" else "n2"
    later = mk.Dataset(volunteers=_people("a", "b"), organisations=_ORG, needs=[_need(kept)])
    result = mk.match(later, ledger=ledger, as_of="2026-09-03")
    assert all(p.need_id == kept for p in result.proposals)  # nothing on the gone need
    assert "b" in result.unmatched and not any(p.volunteer_id == "b" for p in result.proposals)
    result.why_unmatched("b")
    result.to_json()
    result.to_csv(tmp_path / "out")
    with pytest.raises(mk.DecisionError, match="withdrawn by the"):
        ledger.accept("b", b_need, at="2026-09-04")
    # The pair may come back with its need (the centre's withdrawal is not final).
    back = mk.match(mk.Dataset(volunteers=_people("b"), organisations=_ORG, needs=[_need(b_need)]),
                    ledger=ledger, as_of="2026-09-05")
    assert [(p.volunteer_id, p.need_id) for p in back.new_proposals] == [("b", b_need)]


def test_open_offers_on_a_need_a_policy_check_now_holds_back_end() -> None:
    orgs = [{"id": "cso1", "name": "Park Friends", "kind": "cso", "registered": True,
             "vets_causes": ["env"]},
            {"id": "edu", "name": "Edu", "kind": "cso", "registered": True,
             "vets_causes": ["education"]}]

    def ds(vetted_by: str) -> mk.Dataset:
        return mk.Dataset(volunteers=_people("v0", "v1"), organisations=orgs, needs=[
            {"id": "a", "organisation_id": "cso1", "title": "A", "remote": True, "capacity": 2,
             "status": "open", "causes": ["env"], "vetted_by": vetted_by}])

    ledger = mk.Ledger(":memory:")
    assert len(mk.match(ds("cso1"), ledger=ledger, as_of="2026-06-01").proposals) == 2
    held = mk.match(ds("edu"), ledger=ledger, as_of="2026-06-02")  # the vetting is void now
    assert held.proposals == [] and held.unfilled["a"].code == "policy"
    state = ledger.state(as_of="2026-06-02T12:00:00+00:00")
    assert dict(state.withdrawn) == {("v0", "a"): "centre", ("v1", "a"): "centre"}
    with pytest.raises(mk.DecisionError, match="withdrawn by the"):
        ledger.accept("v0", "a", at="2026-06-02T13:00:00Z")
    again = mk.match(ds("cso1"), ledger=ledger, as_of="2026-06-03")  # vetted properly again
    assert len(again.new_proposals) == 2
    # Without policy checks the user has chosen to match it anyway: nothing is withdrawn.
    other = mk.Ledger(":memory:")
    mk.match(ds("cso1"), ledger=other, as_of="2026-06-01")
    assert len(mk.match(ds("edu"), ledger=other, as_of="2026-06-02", policies=False).proposals) == 2


def test_a_need_the_ledger_closed_is_not_offered() -> None:
    ds = mk.Dataset(volunteers=_people("v1"), organisations=_ORG, needs=[_need("n1")])
    ledger = mk.Ledger(":memory:")
    ledger.record_need_transition("n1", "closed", by="o1", reason="done", from_status="open",
                                  at="2026-09-01")
    result = mk.match(ds, ledger=ledger, as_of="2026-09-02")  # (it used to crash recording)
    assert result.proposals == [] and result.unfilled["n1"].code == "not_open"


def test_a_lowered_capacity_withdraws_the_newest_offers_beyond_it() -> None:
    # n1 (4 places): v1 and v2 accept, v3 and v4 wait. The capacity drops to 3: one open
    # offer is withdrawn by the need (never a placement), and at most 3 can ever be placed.
    vols = _people("v1", "v2", "v3", "v4")
    ledger = mk.Ledger(":memory:")
    mk.match(mk.Dataset(volunteers=vols, organisations=_ORG, needs=[_need("n1", 4)]),
             ledger=ledger, as_of="2026-09-01")
    for v in ("v1", "v2"):
        ledger.accept(v, "n1", at="2026-09-02")
    result = mk.match(mk.Dataset(volunteers=vols, organisations=_ORG, needs=[_need("n1", 3)]),
                      ledger=ledger, as_of="2026-09-03")
    state = ledger.state(as_of="2026-09-03T12:00:00+00:00")
    assert sorted(state.placements) == [("v1", "n1"), ("v2", "n1")]  # kept
    assert len(state.open_offers) == 1 and len(state.withdrawn) == 1
    assert [p.status for p in result.proposals] == ["open"]
    (left,) = state.open_offers
    ledger.accept(*left, at="2026-09-04")
    gone = next(iter(state.withdrawn))
    with pytest.raises(mk.DecisionError, match="withdrawn by the need"):
        ledger.accept(*gone, at="2026-09-04")


def test_a_lowered_max_placements_withdraws_the_volunteers_newest_offers() -> None:
    ledger = mk.Ledger(":memory:")
    needs = [_need("n1"), _need("n2"), _need("n3")]
    v1 = {"id": "v1", "max_placements": 3}
    mk.match(mk.Dataset(volunteers=[v1], organisations=_ORG, needs=needs), ledger=ledger,
             as_of="2026-09-01", budget=mk.OfferBudget(max_open=3, max_per_week=3))
    ledger.accept("v1", "n1", at="2026-09-02")
    fewer = mk.Dataset(volunteers=[{**v1, "max_placements": 1}], organisations=_ORG, needs=needs)
    mk.match(fewer, ledger=ledger, as_of="2026-09-03")
    state = ledger.state(as_of="2026-09-03T12:00:00+00:00")
    assert list(state.placements) == [("v1", "n1")]
    assert not state.open_offers  # both other offers withdrawn: one placement is the most
    # By the centre: the volunteer declined nothing, so a higher limit brings them back.
    assert set(state.withdrawn.values()) == {"centre"} and not state.excluded
    more = mk.match(mk.Dataset(volunteers=[v1], organisations=_ORG, needs=needs),
                    ledger=ledger, as_of="2026-09-10", budget=mk.OfferBudget(max_open=3, max_per_week=3))
    assert sorted(p.need_id for p in more.new_proposals) == ["n2", "n3"]


@pytest.mark.parametrize(("by", "again"), [("organisation", True), ("need", True), ("volunteer", False)])
def test_a_pair_withdrawn_by_the_need_side_may_be_offered_again(by: str, again: bool) -> None:
    ds = mk.Dataset(volunteers=_people("v1"), organisations=_ORG, needs=[_need("n1")])
    ledger = mk.Ledger(":memory:")
    mk.match(ds, ledger=ledger, as_of="2026-09-01")
    ledger.withdraw("v1", "n1", by=by, at="2026-09-02")
    result = mk.match(ds, ledger=ledger, as_of="2026-09-03")
    assert [(p.volunteer_id, p.need_id) for p in result.new_proposals] == ([("v1", "n1")] if again else [])


def test_an_open_alternative_left_after_its_group_was_accepted_counts_towards_max_open() -> None:
    needs = [_need(f"n{i}") for i in range(1, 7)]
    ds = mk.Dataset(volunteers=[{"id": "v1", "max_placements": 3}], organisations=_ORG, needs=needs)
    budget = mk.OfferBudget(max_open=2, max_per_week=10, max_new_per_round=1)
    ledger = mk.Ledger(":memory:")
    first = mk.match(ds, ledger=ledger, as_of="2026-09-01", shortlist=1, budget=budget)
    assert len(first.proposals[0].alternatives) == 1
    ledger.accept("v1", first.proposals[0].need_id, at="2026-09-02")
    mk.match(ds, ledger=ledger, as_of="2026-09-03", shortlist=1, budget=budget)
    held = [p for p in ledger.state(as_of="2026-09-03T12:00:00+00:00").open_offers if p[0] == "v1"]
    assert len(held) <= budget.max_open


@pytest.mark.parametrize("change", [{"status": "closed"}, {"end_date": "2026-09-02"}])
def test_open_offers_of_a_need_that_closed_or_ended_are_withdrawn(change: dict[str, str]) -> None:
    vols = _people("v1")
    ledger = mk.Ledger(":memory:")
    mk.match(mk.Dataset(volunteers=vols, organisations=_ORG, needs=[_need("n1", 2)]),
             ledger=ledger, as_of="2026-09-01")
    later = mk.Dataset(volunteers=vols, organisations=_ORG, needs=[{**_need("n1", 2), **change}])
    result = mk.match(later, ledger=ledger, as_of="2026-09-03")
    assert result.proposals == []
    with pytest.raises(mk.DecisionError, match="withdrawn by the need"):
        ledger.accept("v1", "n1", at="2026-09-04")


def test_a_lowered_capacity_also_withdraws_alternatives_left_open_by_a_taken_group() -> None:
    # Round 1: v1 gets n1 with n2 as its alternative, v2 gets n2 (2 places). v1 takes n1,
    # so its n2 alternative holds no place but stays open. n2 drops to 1 place: the ledger
    # still knows 2, so v1 could withdraw n1 and take n2 beside v2. The alternative goes.
    vols = _people("v1", "v2")
    ledger = mk.Ledger(":memory:")
    first = mk.match(mk.Dataset(volunteers=vols, organisations=_ORG,
                                needs=[_need("n1", 1), _need("n2", 2)]),
                     ledger=ledger, as_of="2026-09-01", shortlist=1)
    assert [(p.volunteer_id, p.need_id, [a.need_id for a in p.alternatives])
            for p in first.proposals] == [("v1", "n1", ["n2"]), ("v2", "n2", [])]
    ledger.accept("v1", "n1", at="2026-09-02")
    mk.match(mk.Dataset(volunteers=vols, organisations=_ORG, needs=[_need("n1", 1), _need("n2", 1)]),
             ledger=ledger, as_of="2026-09-03", shortlist=1)
    state = ledger.state(as_of="2026-09-03T12:00:00+00:00")
    assert dict(state.withdrawn) == {("v1", "n2"): "need"}
    assert ("v2", "n2") in state.open_offers  # the place it holds fits
    ledger.withdraw("v1", "n1", by="volunteer", at="2026-09-04")
    with pytest.raises(mk.DecisionError, match="withdrawn by the need"):
        ledger.accept("v1", "n2", at="2026-09-04")
    ledger.accept("v2", "n2", at="2026-09-04")


def test_a_group_cut_by_its_need_still_counts_against_a_lowered_max_placements() -> None:
    # v1 holds two offer groups: n1 (with the alternative n2) and n3. n2 closes and v1's
    # limit drops to 1: the n1 group keeps its primary, so one whole group must go too.
    from datetime import datetime, timezone

    from matchkit._round_ledger import LedgerView, withdraw_beyond_limits

    ledger = mk.Ledger(":memory:")
    offer = {"score": 1.0, "capacity": 1, "max_placements": 2}
    ledger.record_round([
        mk.Offer(volunteer_id="v1", need_id="n1", rank=0, extra={"group": "n1"}, **offer),
        mk.Offer(volunteer_id="v1", need_id="n2", rank=1, shortlist=True, extra={"group": "n1"}, **offer),
        mk.Offer(volunteer_id="v1", need_id="n3", rank=0, extra={"group": "n3"}, **offer),
    ], at="2026-09-01")
    at = datetime(2026, 9, 2, tzinfo=timezone.utc)
    ended = withdraw_beyond_limits(ledger, LedgerView(ledger, at), {"n2": 0}, {"v1": 1}, at)
    after = LedgerView(ledger, at)
    assert ended == 2 and after.pending_groups["v1"] == 1
    assert ledger.state(as_of=at).withdrawn[("v1", "n2")] == "need"


def test_reported_components_read_as_the_float32_values_they_are() -> None:
    """Components are kept as float32; proposals give them to the 7 significant digits
    float32 holds (0.2, not 0.20000000298023224), within float32 rounding of the problem's."""
    import numpy as np

    result = mk.match(synthetic_city(n_volunteers=300, n_needs=40, seed=4),
                      as_of=DEFAULT_AS_OF, shortlist=1)
    p = result.problem
    vindex = {v: i for i, v in enumerate(p.left_ids)}
    nindex = {n: j for j, n in enumerate(p.right_ids)}
    seen = 0
    for prop in result.proposals:
        e = int(p.edge_index(np.array([vindex[prop.volunteer_id]]), np.array([nindex[prop.need_id]]))[0])
        stored = {k: float(v[0]) for k, v in components_at(p, [e]).items()}
        for k, x in prop.components.items():
            if k not in stored or math.isnan(x):
                continue
            assert len(repr(x).lstrip("-0.").replace(".", "").rstrip("0")) <= 7 or x == stored[k], (k, x)
            assert abs(x - stored[k]) <= 1e-6 * max(1.0, abs(stored[k])), (k, x, stored[k])
            seen += 1
    assert seen > 100
    schedule = {prop.components["schedule"] for prop in result.proposals}
    assert schedule & {0.2, 0.4, 0.6, 0.8}  # (fifths of five slots, as written)


def test_a_placed_volunteer_who_declined_the_rest_has_declined_all() -> None:
    """Their own placement is no need left to offer them: the round's reason is
    all_declined (not outcompeted), as the diagnosis says."""
    ds = mk.Dataset(volunteers=[{"id": "v", "max_placements": 2}], organisations=_ORG,
                    needs=[_need("n0"), _need("n1")])
    ledger = mk.Ledger(":memory:")
    mk.match(ds, ledger=ledger, as_of="2026-09-01",
             budget=mk.OfferBudget(max_open=2, max_per_week=2))
    ledger.accept("v", "n0", at="2026-09-02")
    ledger.reject("v", "n1", at="2026-09-02")
    result = mk.match(ds, ledger=ledger, as_of="2026-09-03")
    reason = result.unmatched["v"]
    assert reason.code == "all_declined" and reason.details["acceptable_needs"] == 1
    assert result.why_unmatched("v").code == "all_declined"


def test_round_reasons_agree_with_the_diagnoses_over_rounds_with_a_ledger() -> None:
    import random

    ds = synthetic_city(n_volunteers=150, n_needs=20, seed=5)
    ledger = mk.Ledger(":memory:")
    rng = random.Random(3)
    for day in range(1, 5):
        result = mk.match(ds, ledger=ledger, as_of=f"2026-09-0{2 * day - 1}")
        codes = {vid: result.why_unmatched(vid).code for vid in result.unmatched}
        assert codes == {vid: r.code for vid, r in result.unmatched.items()}, day
        for p in result.new_proposals:
            answer = rng.random()
            when = f"2026-09-0{2 * day - 1}T18:00:00Z"
            if answer < 0.5:
                ledger.accept(p.volunteer_id, p.need_id, at=when)
            elif answer < 0.8:
                ledger.reject(p.volunteer_id, p.need_id, at=when)


def test_a_round_for_tomorrow_in_utc_is_recorded_now_so_answers_can_follow() -> None:
    """A centre east of UTC passes its own date, which after its midnight is tomorrow in
    UTC. The round was recorded at 00:00 UTC of that date, hours ahead, and an answer
    given now was refused as coming "before the offer was made"."""
    import datetime as dt

    import matchkit as mk
    from matchkit.datasets import tiny_city

    now = dt.datetime.now(dt.timezone.utc)
    tomorrow = now.date() + dt.timedelta(days=1)
    ds = tiny_city()
    ds = ds.replace(needs=[n.model_copy(update={"end_date": None}) for n in ds.needs])
    ledger = mk.Ledger(":memory:")
    r = mk.match(ds, as_of=tomorrow, ledger=ledger)
    assert r.proposals
    p = r.proposals[0]
    ledger.accept(p.volunteer_id, p.need_id)  # (now)
    (rnd,) = ledger.state().rounds
    assert now <= rnd.at <= dt.datetime.now(dt.timezone.utc)
    later = mk.match(ds, ledger=ledger)  # a round of today (UTC), after it
    assert later.round is not None
    # A day further ahead is a planned round: recorded at its 00:00 UTC.
    ahead = now.date() + dt.timedelta(days=3)
    planned = mk.Ledger(":memory:")
    mk.match(ds, as_of=ahead, ledger=planned)
    (rnd,) = planned.state(as_of=ahead + dt.timedelta(days=1)).rounds
    assert rnd.at == dt.datetime.combine(ahead, dt.time(0), tzinfo=dt.timezone.utc)

"""Property tests for the rules of "consult early, ask early" not covered elsewhere.

The lifecycle under any sequence of moves (and its ledger record), the vetting and in-kind
policy rules on any dataset, the rule configuration, match() skipping blocked needs,
initiatives, letters and advice on any market, and loaders round-tripping offers and
requests. The definitions are written out here, independently of the implementation.
"""

from __future__ import annotations

import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import matchkit as mk
from matchkit._letters import ahead_text, days_text, format_date
from matchkit.testing import (
    AS_OF,
    CAUSES,
    datasets,
    inkind_offers,
    inkind_requests,
    needs,
)

CENTRE = mk.OrganisationKind.VOLUNTEER_CENTRE
GIVERS = {mk.OrganisationKind.PUBLIC_BODY, mk.OrganisationKind.BUSINESS}
NEED_CODES = {code for code, (_, kind, _) in mk.POLICIES.items() if kind == "need"}
VETTING_CODES = {
    "not-vetted",
    "vetter-lacks-expertise",
    "unregistered-not-vetted-by-registered",
    "no-possible-vetter",
}


def covers(org: mk.Organisation, need: mk.Need) -> bool:
    """The expertise rule: a volunteer centre vets anything; others need every cause covered."""
    return org.kind is CENTRE or (
        bool(org.vets_causes) and set(need.causes) <= set(org.vets_causes)
    )


def may_vet(org: mk.Organisation, need: mk.Need, owner: mk.Organisation) -> bool:
    return covers(org, need) and (owner.registered or org.registered)


def live(need: mk.Need) -> bool:
    """Needs the policy checks look at: not closed and not over at AS_OF."""
    return need.status is not mk.NeedStatus.CLOSED and not (
        need.end_date is not None and need.end_date < AS_OF
    )


# -- 1. the lifecycle ----------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(
    datasets(
        min_volunteers=1,
        max_volunteers=2,
        min_needs=1,
        max_needs=2,
        max_organisations=3,
    ),
    st.data(),
)
def test_any_sequence_of_moves_follows_the_lifecycle_and_the_ledger_records_it(
    ds: mk.Dataset, data: Any
) -> None:
    ledger = mk.Ledger(":memory:")
    centre = mk.Organisation(
        id="vc", name="Volunteer centre", kind=CENTRE, registered=True
    )
    ds = ds.replace(
        organisations=(*ds.organisations, centre)
    )  # someone may vet any idea
    idea = {
        "id": "idea1",
        "organisation_id": data.draw(st.sampled_from(ds.organisation_ids)),
        "title": "Repair café",
        "causes": data.draw(st.lists(st.sampled_from(CAUSES), unique=True, max_size=2)),
        "remote": True,
        "capacity": 2,
    }
    proposer = data.draw(st.sampled_from(ds.volunteer_ids))
    ds = mk.propose_idea(ds, idea, by=proposer, ledger=ledger, at="2027-01-01")
    expected = [
        (
            None,
            "idea",
            proposer,
            "a volunteer's own initiative",
            datetime(2027, 1, 1, tzinfo=timezone.utc),
        )
    ]
    actors = [*ds.organisation_ids, *ds.volunteer_ids]
    moves = data.draw(
        st.lists(
            st.tuples(
                st.sampled_from(["vet", "open", "close"]), st.sampled_from(actors)
            ),
            min_size=2,
            max_size=8,
        )
    )
    for step, (move, by) in enumerate(moves, start=2):
        need = ds.need("idea1")
        owner = ds.organisation(need.organisation_id)
        status = need.status
        if move == "vet" and by not in ds.organisation_ids:
            continue  # vetting names an organisation; a volunteer id is a different error
        may_act = {owner.id, need.vetted_by} | {
            o.id for o in ds.organisations if o.kind is CENTRE
        }
        if move == "vet":
            to, ok = (  # (a vetted need may be vetted again)
                "vetted",
                status in (mk.NeedStatus.IDEA, mk.NeedStatus.VETTED)
                and may_vet(ds.organisation(by), need, owner),
            )
        elif move == "open":
            to, ok = "open", status is mk.NeedStatus.VETTED and by in may_act
        else:
            may_close = may_act | (
                {need.proposed_by} if status is mk.NeedStatus.IDEA else set()
            )
            to, ok = "closed", status is not mk.NeedStatus.CLOSED and by in may_close
        at = datetime(2027, 1, step, tzinfo=timezone.utc)
        fn = {"vet": mk.vet_need, "open": mk.open_need, "close": mk.close_need}[move]
        before = len(ledger)
        if ok:
            ds = fn(ds, "idea1", by=by, reason=f"step {step}", ledger=ledger, at=at)
            expected.append((status.value, to, by, f"step {step}", at))
            assert ds.need("idea1").status.value == to
            if to == "vetted":
                assert ds.need("idea1").vetted_by == by
        else:
            with pytest.raises(mk.DecisionError):
                fn(ds, "idea1", by=by, reason=f"step {step}", ledger=ledger, at=at)
            assert len(ledger) == before, "a refused move writes nothing"
    events = [e for e in ledger.events() if e.need_id == "idea1"]
    assert [
        (e.payload["from"], e.payload["to"], e.payload["by"], e.payload["reason"], e.at)
        for e in events
    ] == expected
    assert ledger.state().need_status["idea1"] is ds.need("idea1").status
    # nothing is matched before it is vetted and opened
    final = ds.need("idea1")
    if final.status is not mk.NeedStatus.OPEN:
        assert all(
            p.need_id != "idea1"
            for p in mk.match(ds, as_of=AS_OF, policies=False).proposals
        )


@settings(max_examples=40, deadline=None)
@given(
    datasets(min_volunteers=1, max_volunteers=2, min_needs=1, max_needs=1), st.data()
)
def test_an_initiative_enters_only_as_an_idea_and_is_never_matched_unvetted(
    ds: mk.Dataset, data: Any
) -> None:
    need = data.draw(needs(organisation_ids=ds.organisation_ids, ids=st.just("init")))
    fields = need.model_dump(exclude={"proposed_by"})
    by = data.draw(st.sampled_from(ds.volunteer_ids))
    if need.status is not mk.NeedStatus.IDEA or need.vetted_by is not None:
        with pytest.raises(
            mk.DecisionError, match="enters as an 'idea' without a vetter"
        ):
            mk.propose_idea(ds, fields, by=by)
        return
    new = mk.propose_idea(ds, fields, by=by)
    got = new.need("init")
    assert (got.status, got.proposed_by, got.vetted_by) == (
        mk.NeedStatus.IDEA,
        by,
        None,
    )
    for actor in new.organisation_ids:
        with pytest.raises(mk.DecisionError):
            mk.open_need(new, "init", by=actor, reason="skip vetting")
    assert all(p.need_id != "init" for p in mk.match(new, as_of=AS_OF).proposals)


# -- 2. policy checks ------------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(datasets(max_volunteers=1, max_needs=5, max_organisations=4))
def test_vetting_rules_fire_exactly_when_their_definition_holds(ds: mk.Dataset) -> None:
    found = {
        (f.code, f.record_id)
        for f in mk.check_policies(ds, as_of=AS_OF)
        if f.kind == "need"
    }
    for need in ds.needs:
        if not live(need):
            assert not {c for c, rid in found if rid == need.id}, (
                "closed or over needs are not checked"
            )
            continue
        owner = ds.organisation(need.organisation_id)
        expected: dict[str, bool] = {}
        if need.status is mk.NeedStatus.IDEA:
            expected["no-possible-vetter"] = not any(
                may_vet(o, need, owner) for o in ds.organisations
            )
        elif need.vetted_by is None:
            expected["not-vetted"] = True
        else:
            vetter = ds.organisation(need.vetted_by)
            expected["vetter-lacks-expertise"] = not covers(vetter, need)
            expected["unregistered-not-vetted-by-registered"] = (
                not owner.registered and not vetter.registered
            )
        for code in VETTING_CODES:
            assert ((code, need.id) in found) is expected.get(code, False), (code, need)


@settings(max_examples=60, deadline=None)
@given(datasets(max_volunteers=0, max_needs=2, inkind=True))
def test_in_kind_rules_fire_exactly_when_their_definition_holds(ds: mk.Dataset) -> None:
    found = {(f.code, f.kind, f.record_id) for f in mk.check_policies(ds, as_of=AS_OF)}
    for o in ds.offers:
        giver = ds.organisation(o.organisation_id).kind in GIVERS
        over = bool(o.windows) and max(w.end for w in o.windows) < AS_OF
        assert (("offer-not-from-giver", "offer", o.id) in found) is not giver
        assert (("offer-windows-over", "offer", o.id) in found) is over
    for r in ds.requests:
        from_giver = ds.organisation(r.organisation_id).kind in GIVERS
        assert (("request-not-from-cso", "request", r.id) in found) is from_giver
        assert (("request-past", "request", r.id) in found) is (r.needed_by < AS_OF)
        need = None if r.need_id is None or r.needed_by < AS_OF else ds.need(r.need_id)
        gone = need is not None and (
            need.status is mk.NeedStatus.CLOSED
            or (need.end_date is not None and need.end_date < AS_OF)
        )
        unvetted = need is not None and not gone and (
            need.status is mk.NeedStatus.IDEA
            or need.vetted_by is None
            or not may_vet(
                ds.organisation(need.vetted_by), need, ds.organisation(need.organisation_id)
            )
        )
        after = need is not None and not gone and need.end_date is not None and (
            r.needed_by > need.end_date
        )
        assert (("request-after-need-ends", "request", r.id) in found) is after
        assert (("request-need-closed", "request", r.id) in found) is gone
        assert (("request-need-not-vetted", "request", r.id) in found) is unvetted
    assert {
        f.code
        for f in mk.check_policies(ds, as_of=AS_OF)
        if f.kind != "need" and f.severity == "error"
    } <= {"request-need-closed", "request-need-not-vetted"}


@settings(max_examples=40, deadline=None)
@given(
    datasets(max_volunteers=1, max_needs=4, inkind=True),
    st.sets(st.sampled_from(sorted(mk.POLICIES))),
    st.dictionaries(
        st.sampled_from(sorted(mk.POLICIES)),
        st.sampled_from(["error", "warning", "info"]),
        max_size=4,
    ),
)
def test_rules_are_on_by_default_and_configurable(
    ds: mk.Dataset, disabled: set[str], severity: dict[str, str]
) -> None:
    default = mk.check_policies(ds, as_of=AS_OF)
    assert all(f.severity == mk.POLICIES[f.code][0] for f in default)
    configured = mk.check_policies(
        ds, as_of=AS_OF, rules=mk.PolicyRules(disabled=disabled, severity=severity)
    )
    expected = [
        (f.code, severity.get(f.code, f.severity), f.kind, f.record_id, f.message)
        for f in default
        if f.code not in disabled
    ]
    assert [
        (f.code, f.severity, f.kind, f.record_id, f.message) for f in configured
    ] == expected


@settings(max_examples=40, deadline=None)
@given(datasets(max_volunteers=5, max_needs=5))
def test_match_skips_blocked_needs_and_says_why(ds: mk.Dataset) -> None:
    blocked = mk.policy_blocks(ds, as_of=AS_OF)
    errors = {
        f.record_id
        for f in mk.check_policies(ds, as_of=AS_OF)
        if f.severity == "error" and f.kind == "need"
    }
    assert set(blocked) == errors
    result = mk.match(ds, as_of=AS_OF)
    assert not {p.need_id for p in result.proposals} & set(blocked)
    for nid, why in blocked.items():
        need = ds.need(nid)
        if need.status is mk.NeedStatus.OPEN and live(need):
            assert result.unfilled[nid].code == "policy"
            assert why in result.unfilled[nid].message
    assert not [
        r
        for r in mk.match(ds, as_of=AS_OF, policies=False).unfilled.values()
        if r.code == "policy"
    ]


# -- 3-4. in-kind matching, letters and advice -------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(
    datasets(max_volunteers=0, max_needs=2, inkind=True, max_offers=5, max_requests=5),
    st.randoms(),
)
def test_the_covered_total_and_late_pairs_do_not_depend_on_input_order(
    ds: mk.Dataset, rnd: Any
) -> None:
    res = mk.match_inkind(ds.offers, ds.requests, ds.organisations, as_of=AS_OF)
    offers, requests = list(ds.offers), list(ds.requests)
    rnd.shuffle(offers)
    rnd.shuffle(requests)
    again = mk.match_inkind(offers, requests, ds.organisations, as_of=AS_OF)
    assert sum(a.quantity for a in again.allocations) == sum(
        a.quantity for a in res.allocations
    )
    assert again.late == res.late
    fully = {r.id for r in ds.requests if r.id not in res.reasons}
    if sum(a.quantity for a in res.allocations) == sum(r.quantity for r in ds.requests):
        assert fully == {r.id for r in ds.requests if r.id not in again.reasons}


@settings(max_examples=60, deadline=None)
@given(
    datasets(max_volunteers=0, max_needs=2, inkind=True, max_offers=5, max_requests=5),
    st.sampled_from(["en", "ru"]),
)
def test_every_letter_says_what_how_much_when_where_for_whom_to_whom(
    ds: mk.Dataset, lang: str
) -> None:
    res = mk.match_inkind(ds.offers, ds.requests, ds.organisations, as_of=AS_OF)
    letters = mk.draft_letters(res, ds, lang=lang)
    assert [(x.request_id, x.offer_id) for x in letters] == [
        (a.request_id, a.offer_id) for a in res.allocations
    ]
    assert len({x.filename for x in letters}) == len(letters)
    for letter, alloc in zip(letters, res.allocations):
        offer, req = ds.offer(alloc.offer_id), ds.request(alloc.request_id)
        giver, asker = (
            ds.organisation(offer.organisation_id),
            ds.organisation(req.organisation_id),
        )
        assert letter.lang == lang
        assert letter.to == f"{offer.contact_role}, {giver.name}"  # the right role
        body = letter.body
        assert offer.item in body  # what, in the giver's words
        assert f"{alloc.quantity} {offer.unit}" in body  # how much, in the giver's unit
        assert format_date(req.needed_by, lang) in body  # when
        assert (
            req.address or f"{req.place.lat:.5f}, {req.place.lon:.5f}"
        ) in body  # where
        assert req.purpose in body and asker.name in body  # for whom
        if offer.conditions:
            assert offer.conditions in body
        if offer.lead_time_days:
            assert days_text(offer.lead_time_days, lang) in body
        ahead = (req.needed_by - AS_OF).days
        assert (
            ahead >= offer.lead_time_days and ahead_text(ahead, lang) in body
        )  # early enough
        assert (
            str(req.quantity) in body.split(f"{alloc.quantity} {offer.unit}", 1)[1]
        ) or alloc.quantity == req.quantity


@settings(max_examples=60, deadline=None)
@given(
    datasets(max_volunteers=0, max_needs=2, inkind=True, max_offers=5, max_requests=5),
    st.sampled_from(["en", "ru"]),
)
def test_every_late_pair_gets_advice_with_its_latest_send_date(
    ds: mk.Dataset, lang: str
) -> None:
    res = mk.match_inkind(ds.offers, ds.requests, ds.organisations, as_of=AS_OF)
    advice = mk.ask_earlier(res, ds, lang=lang)
    assert [(a.request_id, a.offer_id, a.latest_send) for a in advice] == [
        (x.request_id, x.offer_id, x.latest_send) for x in res.late
    ]
    for a, x in zip(advice, res.late):
        offer, req = ds.offer(x.offer_id), ds.request(x.request_id)
        assert x.latest_send < AS_OF
        assert x.latest_send + timedelta(days=offer.lead_time_days) <= req.needed_by
        assert offer.takes_requests_on(x.latest_send)
        assert format_date(x.latest_send, lang) in a.text and offer.item in a.text
        assert days_text(x.days_late, lang) in a.text


# -- 5. loaders ------------------------------------------------------------------------------
@settings(max_examples=30, deadline=None)
@given(
    datasets(max_volunteers=2, max_needs=3, inkind=True),
    st.sampled_from(["csv", "json", "jsonl"]),
)
def test_offers_and_requests_round_trip_in_every_format(
    ds: mk.Dataset, fmt: str
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        mk.save_dataset(ds, Path(tmp), format=fmt)
        again = mk.load_dataset(Path(tmp))
    assert again == ds
    assert again.to_records() == ds.to_records()


@settings(max_examples=20, deadline=None)
@given(st.lists(inkind_offers(), max_size=3, unique_by=lambda o: o.id),
       st.lists(inkind_requests(), max_size=3, unique_by=lambda r: r.id))  # fmt: skip
def test_the_strategies_build_valid_records(
    offers: list[mk.InkindOffer], requests: list[mk.InkindRequest]
) -> None:
    orgs = [
        mk.Organisation(id=f"o{i}", name=f"O{i}", kind="cso", registered=True)
        for i in range(3)
    ]
    ds = mk.Dataset(organisations=orgs, offers=offers, requests=requests)
    assert mk.Dataset.from_records(**ds.to_records()) == ds

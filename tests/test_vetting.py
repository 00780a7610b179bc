"""Vetting: who may vet what, and the need lifecycle idea -> vetted -> open -> closed."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

import matchkit as mk

CAUSES = ["animals", "elderly", "environment", "education"]
KINDS = ["cso", "public_body", "business", "volunteer_centre"]


@st.composite
def organisations(draw: st.DrawFn, oid: str) -> mk.Organisation:
    return mk.Organisation(
        id=oid,
        name=oid.upper(),
        kind=draw(st.sampled_from(KINDS)),
        registered=draw(st.booleans()),
        vets_causes=draw(st.lists(st.sampled_from(CAUSES), unique=True, max_size=3)),
    )


@st.composite
def worlds(draw: st.DrawFn) -> mk.Dataset:
    orgs = [draw(organisations(f"o{i}")) for i in range(draw(st.integers(1, 5)))]
    need = mk.Need(
        id="n1",
        organisation_id=draw(st.sampled_from([o.id for o in orgs])),
        title="Help",
        causes=draw(st.lists(st.sampled_from(CAUSES), unique=True, max_size=3)),
        remote=True,
        capacity=2,
        status="idea",
    )
    return mk.Dataset(volunteers=[{"id": "v1"}], organisations=orgs, needs=[need])


def world(
    status: str = "idea", *, owner_registered: bool = True, **need: object
) -> mk.Dataset:
    return mk.Dataset(
        volunteers=[{"id": "v1"}, {"id": "v2"}],
        organisations=[
            {
                "id": "club",
                "name": "Dog club",
                "kind": "cso",
                "registered": owner_registered,
            },
            {
                "id": "zoo",
                "name": "Zoo union",
                "kind": "cso",
                "registered": True,
                "vets_causes": ["animals", "environment"],
            },
            {
                "id": "zoo2",
                "name": "Informal zoo",
                "kind": "cso",
                "registered": False,
                "vets_causes": ["animals"],
            },
            {
                "id": "vc",
                "name": "Volunteer centre",
                "kind": "volunteer_centre",
                "registered": True,
            },
            {"id": "shop", "name": "Shop", "kind": "business", "registered": True},
        ],
        needs=[
            {
                "id": "n1",
                "organisation_id": "club",
                "title": "Walk dogs",
                "causes": ["animals"],
                "remote": True,
                "capacity": 2,
                "status": status,
                **need,
            }
        ],
    )


@given(worlds(), st.data())
def test_vet_need_succeeds_exactly_when_the_organisation_may_vet(
    ds: mk.Dataset, data
) -> None:
    by = data.draw(st.sampled_from(ds.organisation_ids))
    org, need = ds.organisation(by), ds.need("n1")
    owner = ds.organisation(need.organisation_id)
    covers = org.kind is mk.OrganisationKind.VOLUNTEER_CENTRE or (
        bool(org.vets_causes) and set(need.causes) <= set(org.vets_causes)
    )
    allowed = covers and (owner.registered or org.registered)
    assert mk.can_vet(org, need, owner=owner) is allowed
    assert (mk.why_not_vetter(org, need, owner=owner) is None) is allowed
    assert (by in mk.vetters_for(ds, "n1")) is allowed
    if allowed:
        new = mk.vet_need(ds, "n1", by=by, reason="checked with the city")
        assert new.need("n1").status is mk.NeedStatus.VETTED
        assert new.need("n1").vetted_by == by
        assert ds.need("n1").status is mk.NeedStatus.IDEA  # immutable
    else:
        with pytest.raises(mk.DecisionError, match=r"cannot be vetted by"):
            mk.vet_need(ds, "n1", by=by, reason="checked")


@given(worlds())
def test_every_vetted_need_passes_the_policy_on_its_vetter(ds: mk.Dataset) -> None:
    for by in mk.vetters_for(ds, "n1"):
        new = mk.vet_need(ds, "n1", by=by, reason="ok")
        codes = {f.code for f in mk.check_policies(new, as_of="2027-01-01")}
        assert not codes & {
            "vetter-lacks-expertise",
            "unregistered-not-vetted-by-registered",
            "not-vetted",
        }


@pytest.mark.parametrize(
    ("by", "owner_registered", "message"),
    [
        ("shop", True, r"'shop' declares no vetting expertise"),
        (
            "zoo2",
            False,
            r"'club' is not registered, so a registered organisation must vet it",
        ),
        ("nobody", True, r"vetting organisation 'nobody' is not an organisation"),
    ],
)
def test_refused_vetting_says_why_and_who_could(
    by: str, owner_registered: bool, message: str
) -> None:
    ds = world(owner_registered=owner_registered)
    with pytest.raises(mk.DecisionError, match=message):
        mk.vet_need(ds, "n1", by=by, reason="looked at it")


def test_refusal_names_the_organisations_that_could_vet() -> None:
    with pytest.raises(
        mk.DecisionError, match=r"it may be vetted by 'zoo', 'zoo2', 'vc'"
    ):
        mk.vet_need(world(), "n1", by="shop", reason="x")


def test_a_cause_outside_the_expertise_is_refused() -> None:
    ds = world(causes=["animals", "elderly"])
    with pytest.raises(
        mk.DecisionError, match=r"no expertise to vet cause\(s\) 'elderly'"
    ):
        mk.vet_need(ds, "n1", by="zoo", reason="x")
    assert mk.vetters_for(ds, "n1") == ("vc",)


STATUSES = ["idea", "vetted", "open", "closed"]
ALLOWED = {
    ("idea", "vetted"),
    ("vetted", "vetted"),  # (a new vetting)
    ("vetted", "open"),
    ("idea", "closed"),
    ("vetted", "closed"),
    ("open", "closed"),
}


@pytest.mark.parametrize("start", STATUSES)
@pytest.mark.parametrize("to", ["vetted", "open", "closed"])
def test_only_forward_moves_are_allowed(start: str, to: str) -> None:
    ds = world(start, vetted_by=None if start == "idea" else "zoo")
    move = {"vetted": mk.vet_need, "open": mk.open_need, "closed": mk.close_need}[to]
    by = "zoo" if to == "vetted" else "club"
    if (start, to) in ALLOWED:
        assert move(ds, "n1", by=by, reason="r").need("n1").status.value == to
    else:
        with pytest.raises(
            mk.DecisionError, match=rf"is '{start}'; it cannot move to '{to}'"
        ):
            move(ds, "n1", by=by, reason="r")


@pytest.mark.parametrize(
    ("move", "by", "allowed"),
    [
        ("open", "club", True),
        ("open", "zoo", True),
        ("open", "vc", True),
        ("open", "shop", False),
        ("close", "shop", False),
        ("close", "vc", True),
    ],
)
def test_who_may_open_or_close(move: str, by: str, allowed: bool) -> None:
    ds = world("vetted", vetted_by="zoo")
    fn = mk.open_need if move == "open" else mk.close_need
    if allowed:
        fn(ds, "n1", by=by, reason="dates fixed")
    else:
        with pytest.raises(mk.DecisionError, match=rf"'{by}' may not {move} need 'n1'"):
            fn(ds, "n1", by=by, reason="dates fixed")


def test_transitions_are_recorded_in_the_ledger() -> None:
    ledger = mk.Ledger(":memory:")
    ds = mk.propose_idea(
        world(),
        {
            "id": "n2",
            "organisation_id": "vc",
            "title": "Repair café",
            "causes": ["environment"],
            "remote": True,
            "capacity": 4,
        },
        by="v2",
        ledger=ledger,
        at="2027-02-01",
    )
    ds = mk.vet_need(
        ds,
        "n2",
        by="zoo",
        reason="the district has no repair café",
        ledger=ledger,
        at="2027-02-03",
    )
    ds = mk.open_need(
        ds, "n2", by="vc", reason="room booked", ledger=ledger, at="2027-02-04"
    )
    ds = mk.close_need(
        ds, "n2", by="vc", reason="season over", ledger=ledger, at="2027-06-01"
    )
    events = [e for e in ledger.events() if e.need_id == "n2"]
    assert [(e.payload["from"], e.payload["to"], e.payload["by"]) for e in events] == [
        (None, "idea", "v2"),
        ("idea", "vetted", "zoo"),
        ("vetted", "open", "vc"),
        ("open", "closed", "vc"),
    ]
    assert events[1].payload["reason"] == "the district has no repair café"
    assert events[1].at == datetime(2027, 2, 3, tzinfo=timezone.utc)
    assert ledger.state().need_status["n2"] is mk.NeedStatus.CLOSED


def test_a_refused_move_writes_nothing() -> None:
    ledger = mk.Ledger(":memory:")
    with pytest.raises(mk.DecisionError, match="cannot be vetted"):
        mk.vet_need(world(), "n1", by="shop", reason="x", ledger=ledger)
    assert len(ledger) == 0


def test_the_ledger_must_agree_with_the_dataset() -> None:
    ledger = mk.Ledger(":memory:")
    ds = world()
    mk.vet_need(ds, "n1", by="zoo", reason="ok", ledger=ledger)
    with pytest.raises(mk.DecisionError, match="the ledger says it is 'vetted'"):
        mk.vet_need(
            ds, "n1", by="vc", reason="again, from a stale dataset", ledger=ledger
        )


def test_an_initiative_enters_as_an_idea_only() -> None:
    ds = world()
    with pytest.raises(mk.DecisionError, match="enters as an 'idea' without a vetter"):
        mk.propose_idea(
            ds,
            {
                "id": "n3",
                "organisation_id": "vc",
                "title": "X",
                "remote": True,
                "capacity": 1,
                "status": "open",
            },
            by="v1",
        )
    with pytest.raises(mk.DecisionError, match="'v404' is not a volunteer"):
        mk.propose_idea(
            ds,
            {
                "id": "n3",
                "organisation_id": "vc",
                "title": "X",
                "remote": True,
                "capacity": 1,
            },
            by="v404",
        )
    new = mk.propose_idea(
        ds,
        {
            "id": "n3",
            "organisation_id": "vc",
            "title": "X",
            "remote": True,
            "capacity": 1,
        },
        by="v1",
    )
    assert new.need("n3").proposed_by == "v1" and len(ds.needs) == 1
    # the volunteer may drop their own idea, not someone else's need
    assert (
        mk.close_need(new, "n3", by="v1", reason="changed my mind")
        .need("n3")
        .status.value
        == "closed"
    )
    with pytest.raises(mk.DecisionError, match="'v1' may not close need 'n1'"):
        mk.close_need(new, "n1", by="v1", reason="x")


def test_unknown_need_and_empty_reason() -> None:
    with pytest.raises(mk.InvalidInputError, match="no need with id 'n404'"):
        mk.vet_need(world(), "n404", by="zoo", reason="x")
    with pytest.raises(mk.InvalidInputError, match="reason must say why"):
        mk.vet_need(world(), "n1", by="zoo", reason="  ")


def test_proposed_by_must_name_a_volunteer() -> None:
    with pytest.raises(
        mk.InvalidDatasetError, match="volunteer 'ghost' does not exist"
    ):
        world(proposed_by="ghost")

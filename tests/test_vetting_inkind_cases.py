"""Vetting, policy checks and in-kind matching on records they have not seen: cases at the
edges of each rule (closed and unvetted needs, boundary dates, bad input)."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import matchkit as mk
from matchkit.cli import main
from matchkit.testing import AS_OF, datasets

ORGS = [
    {"id": "shop", "name": "Bakery", "kind": "business", "registered": True},
    {"id": "cso", "name": "Park friends", "kind": "cso", "registered": True,
     "vets_causes": ["environment"]},
]  # fmt: skip


def _need(nid: str, status: str, **more: object) -> dict[str, object]:
    need: dict[str, object] = {
        "id": nid, "organisation_id": "cso", "title": nid, "causes": ["environment"],
        "remote": True, "capacity": 3, "status": status,
    }  # fmt: skip
    if status in ("vetted", "open", "closed"):
        need["vetted_by"] = "cso"
    need.update(more)
    return need


NEEDS = [
    _need("live", "open", end_date="2027-05-20"),
    _need("gone", "closed"),
    _need("idea", "idea"),
    _need("ended", "open", end_date="2027-04-30"),
    _need("kids", "open", causes=["children", "environment"]),  # cso may not vet it
]
OFFER = {
    "id": "of1", "organisation_id": "shop", "kind": "food", "item": "sandwiches",
    "quantity": 50, "unit": "portions", "lead_time_days": 3, "contact_role": "manager",
}  # fmt: skip


def _request(rid: str, need_id: str | None) -> dict[str, object]:
    return {
        "id": rid, "organisation_id": "cso", "kind": "food", "quantity": 20,
        "unit": "portions", "needed_by": "2027-05-10", "place": {"lat": 55.8, "lon": 49.1},
        "purpose": "lunch", "need_id": need_id,
    }  # fmt: skip


REQUESTS = [
    _request("r_live", "live"),
    _request("r_gone", "gone"),
    _request("r_idea", "idea"),
    _request("r_ended", "ended"),
    _request("r_kids", "kids"),
]


def _dataset() -> mk.Dataset:
    return mk.Dataset(organisations=ORGS, needs=NEEDS, offers=[OFFER], requests=REQUESTS)


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_requests_of_closed_over_or_unvetted_needs_take_nothing(lang: str) -> None:
    ds = _dataset()
    res = mk.match_inkind(
        ds.offers, ds.requests, ds.organisations, as_of="2027-05-01", lang=lang,
        needs=ds.needs,
    )  # fmt: skip
    # The one live request is covered in full; the others ask no giver for anything.
    assert [(a.request_id, a.quantity) for a in res.allocations] == [("r_live", 20)]
    assert res.late == ()
    assert sorted(res.reasons) == ["r_ended", "r_gone", "r_idea", "r_kids"]
    if lang == "en":
        assert res.reasons["r_gone"] == "not matched: the need 'gone' it supports is closed"
        assert "ended on 2027-04-30" in res.reasons["r_ended"]
        assert "idea nobody has vetted" in res.reasons["r_idea"]
        assert "not vetted by an organisation that may vet it" in res.reasons["r_kids"]
    else:
        assert "закрыта" in res.reasons["r_gone"]
        assert "завершилась 2027-04-30" in res.reasons["r_ended"]
        assert "идея" in res.reasons["r_idea"]
        assert "не проверила организация" in res.reasons["r_kids"]


def test_without_needs_need_id_is_not_checked() -> None:
    ds = _dataset()
    res = mk.match_inkind(ds.offers, ds.requests, ds.organisations, as_of="2027-05-01")
    assert res.given("of1") == 50


def test_unknown_need_id_is_named() -> None:
    with pytest.raises(mk.InvalidDatasetError) as err:
        mk.match_inkind(
            [OFFER], [_request("r1", "nope")], ORGS, as_of="2027-05-01", needs=NEEDS
        )
    (p,) = err.value.problems
    assert (p.source, p.row, p.field, p.record_id) == ("requests", 0, "need_id", "r1")
    assert "'nope' does not exist" in p.message


def test_policy_flags_requests_of_closed_over_or_unvetted_needs() -> None:
    found = mk.check_policies(_dataset(), as_of="2027-05-01")
    got = {(f.record_id, f.code, f.severity) for f in found if f.kind == "request"}
    assert got == {
        ("r_gone", "request-need-closed", "error"),
        ("r_ended", "request-need-closed", "error"),
        ("r_idea", "request-need-not-vetted", "error"),
        ("r_kids", "request-need-not-vetted", "error"),
    }
    # Once the requests are past, they are history: request-past says so, nothing more.
    later = mk.check_policies(_dataset(), as_of="2027-05-11")
    assert {f.code for f in later if f.kind == "request"} == {"request-past"}


def test_inkind_command_writes_no_letter_for_a_closed_need(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mk.save_dataset(_dataset(), tmp_path / "data")
    out = tmp_path / "letters"
    code = main(["inkind", str(tmp_path / "data"), "--as-of", "2027-05-01", "-o", str(out)])
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == ["r_live__of1.en.txt"]
    assert "r_gone: not matched: the need 'gone' it supports is closed" in capsys.readouterr().out


def test_match_inkind_reads_a_datetime_as_its_day() -> None:
    from datetime import date, datetime, timedelta, timezone

    moscow = timezone(timedelta(hours=3))
    ds = _dataset()
    for when in (datetime(2027, 5, 7, 23, 30), datetime(2027, 5, 7, 0, 5, tzinfo=moscow)):
        res = mk.match_inkind(ds.offers, ds.requests, ds.organisations, as_of=when)
        assert res.as_of == date(2027, 5, 7) and type(res.as_of) is date
        # (7 May + 3 days' notice is still before 10 May: the last day to send)
        assert {a.send_by for a in res.allocations} == {date(2027, 5, 7)}
    # the same day as check_policies and match read it
    assert mk.check_policies(ds, as_of=datetime(2027, 5, 7, 23, 30)) == mk.check_policies(
        ds, as_of="2027-05-07"
    )


@pytest.mark.parametrize(
    ("need", "error", "field"),
    [
        ({"organisation_id": "cso", "title": "Repair café"}, mk.InvalidDatasetError, "id"),
        ({"id": "n9", "organisation_id": "cso", "title": ""}, mk.InvalidDatasetError, "title"),
        ({"id": "n9", "organisation_id": "ghost", "title": "T"}, mk.InvalidDatasetError,
         "organisation_id"),
        ({"id": "live", "organisation_id": "cso", "title": "T"}, mk.InvalidDatasetError, "id"),
        ({"id": "n9", "organisation_id": "cso", "title": "T", "status": "bogus"},
         mk.DecisionError, None),
    ],
)  # fmt: skip
def test_propose_idea_names_the_bad_field(
    need: dict[str, object], error: type[Exception], field: str | None
) -> None:
    ds = mk.Dataset(volunteers=[{"id": "v1"}], organisations=ORGS, needs=NEEDS)
    ledger = mk.Ledger(":memory:")
    with pytest.raises(error) as err:
        mk.propose_idea(ds, {"remote": True, "capacity": 2, **need}, by="v1", ledger=ledger)
    if field is not None:
        assert isinstance(err.value, mk.InvalidDatasetError)
        assert [p.field for p in err.value.problems] == [field]
    else:
        assert "got status 'bogus'" in str(err.value)
    assert ledger.state().need_status == {}  # nothing written


def test_inkind_command_removes_letters_an_earlier_run_left(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "letters"
    before = mk.Dataset(
        organisations=ORGS, needs=[_need("gone", "open")], offers=[OFFER],
        requests=[_request("r_gone", "gone")],
    )  # fmt: skip
    mk.save_dataset(before, tmp_path / "before")
    assert main(["inkind", str(tmp_path / "before"), "--as-of", "2027-05-01", "-o", str(out)]) == 0
    (out / "r_gone__of1.ru.txt").write_text("другой язык")
    (out / "notes.txt").write_text("mine")
    (out / "meeting__notes.en.txt").write_text("mine too")  # (named like a letter)
    # The need has closed since: its letter must not stay in the folder to be sent.
    mk.save_dataset(_dataset(), tmp_path / "after")
    capsys.readouterr()
    assert main(["inkind", str(tmp_path / "after"), "--as-of", "2027-05-01", "-o", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "meeting__notes.en.txt", "notes.txt", "r_gone__of1.ru.txt", "r_live__of1.en.txt",
    ]  # fmt: skip
    assert "removed 1 file(s) of an earlier run that no longer apply: r_gone__of1.en.txt" in (
        capsys.readouterr().out
    )


def _money_need(**more: object) -> mk.Dataset:
    need = _need("fund", "open", handles_money=True, account_route="the foundation's bank account")
    need.update(more)
    return mk.Dataset(organisations=ORGS, needs=[need])


def test_policy_rules_read_a_lone_string_as_one_code_or_marker() -> None:
    ds = _money_need(asks_donation=True)
    # one word, not its letters: 'e' and 'n' are in every route
    assert mk.check_policies(ds, as_of="2027-05-01", rules={"personal_route_markers": "personal"}) == [
        f for f in mk.check_policies(ds, as_of="2027-05-01") if f.code != "money-route-looks-personal"
    ]
    assert mk.PolicyRules(personal_route_markers="personal").personal_route_markers == ("personal",)
    assert not [
        f for f in mk.check_policies(ds, as_of="2027-05-01", rules={"disabled": "asks-donation"})
        if f.code == "asks-donation"
    ]


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ({"adult_age": "18"}, "adult_age must be a whole number of years, 0..120; got '18'"),
        ({"min_volunteer_age": True}, "min_volunteer_age must be a whole number"),
        ({"background_check_min_age": -1}, "background_check_min_age must be a whole number"),
        ({"background_check": " "}, "background_check must name the check"),
        ({"personal_route_markers": ("personal", "")}, "personal_route_markers must be non-empty"),
    ],
)
def test_policy_rules_refuse_thresholds_that_would_crash_or_match_everything(
    rules: dict[str, object], message: str
) -> None:
    ds = _money_need(night_work=True, min_age=18)
    with pytest.raises(mk.InvalidInputError, match=message):
        mk.check_policies(ds, as_of="2027-05-01", rules=rules)


@pytest.mark.parametrize(
    ("route", "personal"),
    [
        ("р/с 4070 3810 1234 5678 9012, БИК 044525225", False),  # a bank account, 20 digits
        ("account 4070-3810-1234-5678-9012", False),
        ("40703810123456789012", False),
        ("card 4276 1234 5678 9012", True),
        ("перевод на 4276-1234-5678-9012", True),
        ("2200123456789012345", True),  # 19 digits
    ],
)
def test_only_card_numbers_make_a_route_look_personal(route: str, personal: bool) -> None:
    found = mk.check_policies(_money_need(account_route=route), as_of="2027-05-01")
    assert ("money-route-looks-personal" in {f.code for f in found}) is personal


#: An unregistered club's need, vetted for "environment" by eco; vc is a volunteer centre.
_VETTING_ORGS = [
    {"id": "club", "name": "Club", "kind": "cso", "registered": False},
    {"id": "eco", "name": "Eco", "kind": "cso", "registered": True,
     "vets_causes": ["environment"]},
    {"id": "vc", "name": "Centre", "kind": "volunteer_centre", "registered": True},
]  # fmt: skip
_TREES = {"id": "n1", "organisation_id": "club", "title": "Trees", "remote": True,
          "capacity": 2, "causes": ["environment"], "status": "idea"}  # fmt: skip


def test_a_need_changed_since_its_vetting_is_not_opened() -> None:
    orgs = _VETTING_ORGS
    ds = mk.vet_need(
        mk.Dataset(organisations=orgs, needs=[_TREES]), "n1", by="eco", reason="checked"
    )
    # since then, the need also works with children: eco has no expertise for that
    changed = ds.replace(needs=[ds.need("n1").model_copy(update={"causes": ("children", "environment")})])
    ledger = mk.Ledger(":memory:")
    with pytest.raises(mk.DecisionError, match=r"vetting by 'eco' does not hold .* 'children'.* have 'vc' check it"):
        mk.open_need(changed, "n1", by="club", reason="dates fixed", ledger=ledger)
    assert len(ledger) == 0
    assert mk.open_need(ds, "n1", by="club", reason="dates fixed").need("n1").status.value == "open"
    # the vetter and the club both unregistered: the same as the policy check says
    unreg = ds.replace(organisations=[dict(o, registered=False) for o in orgs[:2]] + orgs[2:])
    assert "unregistered-not-vetted-by-registered" in {f.code for f in mk.check_policies(unreg, as_of="2027-01-01")}
    with pytest.raises(mk.DecisionError, match="is not registered"):
        mk.open_need(unreg, "n1", by="club", reason="dates fixed")


@settings(max_examples=60, deadline=None)
@given(datasets(max_volunteers=0, max_needs=3, inkind=True, max_requests=5))
def test_requests_held_back_are_as_if_left_out(ds: mk.Dataset) -> None:
    day = AS_OF

    def waits(r: mk.InkindRequest) -> bool:
        if r.need_id is None:
            return False
        n = ds.need(r.need_id)
        over = n.end_date is not None and n.end_date < day
        vetted = n.vetted_by is not None and mk.can_vet(
            ds.organisation(n.vetted_by), n, owner=ds.organisation(n.organisation_id)
        )
        return n.status in (mk.NeedStatus.CLOSED, mk.NeedStatus.IDEA) or over or not vetted

    held = {r.id for r in ds.requests if waits(r)}
    got = mk.match_inkind(ds.offers, ds.requests, ds.organisations, as_of=day, needs=ds.needs)
    rest = [r for r in ds.requests if r.id not in held]
    alone = mk.match_inkind(ds.offers, rest, ds.organisations, as_of=day)
    assert not {a.request_id for a in got.allocations} & held
    assert not {x.request_id for x in got.late} & held
    assert held <= set(got.reasons)
    assert got.late == alone.late
    assert sum(a.quantity for a in got.allocations) == sum(a.quantity for a in alone.allocations)
    assert {k: v for k, v in got.reasons.items() if k not in held} == dict(alone.reasons)


@settings(max_examples=60, deadline=None)
@given(
    datasets(max_volunteers=0, max_needs=0, inkind=True, max_offers=4, max_requests=5),
    st.randoms(use_true_random=False),
)
def test_the_allocation_does_not_depend_on_the_order_of_the_records(
    ds: mk.Dataset, rnd: random.Random
) -> None:
    offers, requests = list(ds.offers), list(ds.requests)
    rnd.shuffle(offers)
    rnd.shuffle(requests)
    first = mk.match_inkind(ds.offers, ds.requests, ds.organisations, as_of=AS_OF)
    again = mk.match_inkind(offers, requests, ds.organisations, as_of=AS_OF)
    assert again.allocations == first.allocations
    assert dict(again.reasons) == dict(first.reasons)


def test_requests_competing_for_one_offer_get_the_same_units_in_any_order() -> None:
    reqs = [dict(_request(rid, None), quantity=q) for rid, q in (("a", 30), ("b", 30), ("c", 5))]
    got = set()
    for order in itertools.permutations(reqs):
        res = mk.match_inkind([OFFER], order, ORGS, as_of="2027-05-01")
        got.add(res.allocations)
    assert len(got) == 1


def test_a_reason_names_the_same_offer_among_equals_in_any_order() -> None:
    slow = [dict(OFFER, id=oid, lead_time_days=20) for oid in ("of2", "of1")]
    late = _request("r1", None)  # needed 9 days after as_of: too late for both
    texts = {
        mk.match_inkind(offers, [late], ORGS, as_of="2027-05-01").reasons["r1"]
        for offers in (slow, slow[::-1])
    }
    assert texts == {
        "too late for 2 fitting offers: the last day to ask was 2027-04-20 (offer 'of1')"
    }


def test_a_request_needed_after_its_need_ends_is_a_warning() -> None:
    ds = _dataset().replace(
        requests=[dict(_request("r_late", "live"), needed_by="2027-05-21"),
                  dict(_request("r_last", "live"), needed_by="2027-05-20")]
    )  # fmt: skip
    found = [f for f in mk.check_policies(ds, as_of="2027-05-01") if f.kind == "request"]
    assert [(f.record_id, f.code, f.severity) for f in found] == [
        ("r_late", "request-after-need-ends", "warning")
    ]
    assert "move needed_by to 2027-05-20 or earlier" in found[0].message


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_synthetic_requests_are_due_while_their_need_lasts(seed: int) -> None:
    from matchkit.datasets import synthetic_city

    city = synthetic_city(5000, 500, seed=seed)
    codes = {f.code for f in mk.check_policies(city, as_of="2026-09-01") if f.kind == "request"}
    assert "request-after-need-ends" not in codes
    assert not codes & {"request-need-closed", "request-need-not-vetted"}


def test_problems_name_each_record_by_its_position_among_all_given() -> None:
    good = _request("r1", None)
    given_ = [dict(good, id="bad", quantity=0), good, dict(good), dict(good, id="r3",
              organisation_id="ghost", need_id="zz")]  # fmt: skip
    with pytest.raises(mk.InvalidDatasetError) as err:
        mk.match_inkind([OFFER], given_, ORGS, as_of="2027-05-01", needs=NEEDS)
    where = {(p.row, p.field, p.record_id) for p in err.value.problems}
    assert where == {
        (0, "quantity", "bad"),
        (2, "id", "r1"),
        (3, "organisation_id", "r3"),
        (3, "need_id", "r3"),
    }
    dup = next(p for p in err.value.problems if p.field == "id")
    assert "'r1' is also requests[1]: give each record its own id" in dup.message


def test_boundary_days_of_the_policy_checks() -> None:
    need = _need("n", "open", night_work=True, end_date="2028-02-29")
    offer = dict(OFFER, windows=["2028-01-01/2028-02-29"])
    request = dict(_request("r", "n"), needed_by="2028-02-29")
    ds = mk.Dataset(organisations=ORGS, needs=[need], offers=[offer], requests=[request])

    def codes(day: str) -> set[tuple[str, str]]:
        return {(f.code, f.record_id) for f in mk.check_policies(ds, as_of=day)}

    # on its last day a need is still checked, the window still open, the request not past
    assert codes("2028-02-29") == {("night-work-open-to-minors", "n")}
    # a day later all three are over
    assert codes("2028-03-01") == {("offer-windows-over", "of1"), ("request-past", "r")}


def test_leap_day_window_and_notice_that_ends_on_the_day() -> None:
    offer = dict(OFFER, lead_time_days=1, windows=["2028-02-29/2028-02-29"])
    request = dict(_request("r", None), needed_by="2028-03-01")
    on_time = mk.match_inkind([offer], [request], ORGS, as_of="2028-02-29")
    assert [(a.quantity, a.send_by.isoformat()) for a in on_time.allocations] == [
        (20, "2028-02-29")
    ]
    late = mk.match_inkind([offer], [request], ORGS, as_of="2028-03-01")
    assert late.allocations == ()
    assert [(x.latest_send.isoformat(), x.days_late) for x in late.late] == [("2028-02-29", 1)]
    # one day more notice than there is: never on time, said in both languages
    longer = dict(offer, lead_time_days=2)
    for lang, said in (("en", "none of which is 2 days before"), ("ru", "за 2 дня до")):
        res = mk.match_inkind([longer], [request], ORGS, as_of="2028-02-29", lang=lang)
        assert said in res.reasons["r"] and res.late == ()


def test_a_vetted_need_that_changed_is_vetted_again_and_then_opened() -> None:
    """The need took on a cause its vetter has no expertise for, so it may not open; a
    new vetting by an organisation that covers it was refused ('is vetted; it cannot
    move to vetted'), and the ledger could not record one: nothing could open it."""
    ledger = mk.Ledger(":memory:")
    ds = mk.vet_need(mk.Dataset(organisations=_VETTING_ORGS, needs=[_TREES]), "n1", by="eco",
                     reason="checked", ledger=ledger, at="2027-01-01")
    changed = ds.replace(
        needs=[ds.need("n1").model_copy(update={"causes": ("children", "environment")})]
    )
    with pytest.raises(mk.DecisionError, match="cannot be vetted by 'eco'"):
        mk.vet_need(changed, "n1", by="eco", reason="again", ledger=ledger, at="2027-01-02")
    again = mk.vet_need(changed, "n1", by="vc", reason="children's safety checked",
                        ledger=ledger, at="2027-01-02")
    assert again.need("n1").vetted_by == "vc" and again.need("n1").status.value == "vetted"
    moves = [(e.payload["from"], e.payload["to"], e.payload["by"])
             for e in ledger.events() if e.kind.value == "need_status"]
    assert moves == [("idea", "vetted", "eco"), ("vetted", "vetted", "vc")]
    # the same vetting once more writes nothing
    n = len(ledger)
    mk.vet_need(changed, "n1", by="vc", reason="children's safety checked", ledger=ledger,
                at="2027-01-03")
    assert len(ledger) == n
    opened = mk.open_need(again, "n1", by="club", reason="dates fixed", ledger=ledger,
                          at="2027-01-04")
    assert opened.need("n1").status.value == "open"
    assert ledger.state(as_of="2027-01-05").need_status["n1"].value == "open"


@pytest.mark.parametrize(
    ("update", "field"),
    [({"vetted_by": "vc"}, "vetted_by"), ({"organisation_id": "club"}, "organisation_id")],
)
def test_a_named_needs_organisation_or_vetter_left_out_is_named(
    update: dict[str, str], field: str
) -> None:
    """Given only the organisations of the offers and requests, a live request whose need
    a volunteer centre vetted was held back as 'not vetted by an organisation that may vet
    it', while check_policies on the dataset found nothing."""
    more = [
        {"id": "vc", "name": "Centre", "kind": "volunteer_centre", "registered": True},
        {"id": "club", "name": "Club", "kind": "cso", "registered": False},
    ]
    needs = [_need("other", "open"), _need("live", "open", **update)]
    requests = [_request("r_live", "live")]
    res = mk.match_inkind([OFFER], requests, ORGS + more, as_of="2027-05-01", needs=needs)
    assert res.held_back == () and res.covered("r_live") == 20
    with pytest.raises(mk.InvalidDatasetError) as err:
        mk.match_inkind([OFFER], requests, ORGS, as_of="2027-05-01", needs=needs)
    (problem,) = err.value.problems
    assert (problem.source, problem.row, problem.field, problem.record_id) == (
        "needs", 1, field, "live",
    )
    assert "is not among organisations" in problem.message

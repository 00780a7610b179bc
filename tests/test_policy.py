"""Policy checks: every rule fires exactly when its definition holds; rules are configurable."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import matchkit as mk
from matchkit.cli import main

AS_OF = "2027-03-01"
ORGS = [
    {
        "id": "club",
        "name": "Dog club",
        "kind": "cso",
        "registered": True,
        "vets_causes": ["animals"],
    },
    {"id": "informal", "name": "Neighbours", "kind": "cso", "registered": False},
    {
        "id": "informal_vet",
        "name": "Informal vets",
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
]


def dataset(**need: Any) -> mk.Dataset:
    base = {
        "id": "n1",
        "organisation_id": "club",
        "title": "Walk dogs",
        "causes": ["animals"],
        "remote": True,
        "capacity": 2,
        "status": "open",
        "vetted_by": "club",
    }
    return mk.Dataset(organisations=ORGS, needs=[{**base, **need}])


def codes(ds: mk.Dataset, **kw: Any) -> list[str]:
    return [f.code for f in mk.check_policies(ds, as_of=AS_OF, **kw)]


@pytest.mark.parametrize(
    ("need", "expected"),
    [
        ({}, []),
        ({"handles_money": True}, ["money-without-account-route"]),
        (
            {"handles_money": True, "account_route": "  "},
            ["money-without-account-route"],
        ),
        (
            {
                "handles_money": True,
                "account_route": "the club's bank account, payment page",
            },
            [],
        ),
        (
            {"handles_money": True, "account_route": "card 4276 1234 5678 9012"},
            ["money-route-looks-personal"],
        ),
        (
            {"handles_money": True, "account_route": "на личную карту координатора"},
            ["money-route-looks-personal"],
        ),
        ({"asks_donation": True}, ["asks-donation"]),
        ({"involves_minors": True, "min_age": 18}, ["minors-without-background-check"]),
        (
            {"involves_minors": True, "required_checks": ["background"], "min_age": 18},
            [],
        ),
        (
            {"involves_minors": True, "required_checks": ["background"]},
            ["background-check-below-age"],
        ),
        (
            {"required_checks": ["background"], "min_age": 16},
            ["background-check-below-age"],
        ),
        ({"night_work": True}, ["night-work-open-to-minors"]),
        ({"night_work": True, "min_age": 17}, ["night-work-open-to-minors"]),
        ({"night_work": True, "min_age": 18}, []),
        ({"min_age": 12}, ["min-age-below-floor"]),
        ({"min_age": 14}, []),
        ({"vetted_by": None}, ["not-vetted"]),
        ({"status": "vetted", "vetted_by": None}, ["not-vetted"]),
        ({"vetted_by": "shop"}, ["vetter-lacks-expertise"]),
        ({"causes": ["animals", "elderly"]}, ["vetter-lacks-expertise"]),
        (
            {"organisation_id": "informal", "vetted_by": "informal_vet"},
            ["unregistered-not-vetted-by-registered"],
        ),
        ({"organisation_id": "informal", "vetted_by": "vc"}, []),
        ({"status": "idea", "vetted_by": None}, []),
        (
            {"status": "idea", "vetted_by": None, "causes": ["space"]},
            [],
        ),  # the centre may vet
        ({"status": "closed", "handles_money": True}, []),
        ({"end_date": "2027-02-01", "handles_money": True}, []),
        (
            {"end_date": "2027-03-01", "handles_money": True},
            ["money-without-account-route"],
        ),
        (
            {"status": "idea", "vetted_by": None, "handles_money": True},
            ["money-without-account-route"],
        ),
    ],
)
def test_rule_table(need: dict[str, Any], expected: list[str]) -> None:
    assert codes(dataset(**need)) == expected


def test_an_idea_nobody_can_vet_is_flagged() -> None:
    ds = mk.Dataset(
        organisations=[
            {"id": "club", "name": "Dog club", "kind": "cso", "registered": True}
        ],
        needs=[
            {
                "id": "n1",
                "organisation_id": "club",
                "title": "Walk dogs",
                "causes": ["animals"],
                "remote": True,
                "capacity": 2,
                "status": "idea",
            }
        ],
    )
    (finding,) = mk.check_policies(ds, as_of=AS_OF)
    assert (finding.code, finding.severity, finding.kind, finding.record_id) == (
        "no-possible-vetter",
        "warning",
        "need",
        "n1",
    )
    assert "add a volunteer centre" in finding.message


CAUSES = ["animals", "education", "elderly"]
organisations = st.lists(
    st.fixed_dictionaries(
        {
            "kind": st.sampled_from(["cso", "public_body", "business", "volunteer_centre"]),
            "registered": st.booleans(),
            "vets_causes": st.lists(st.sampled_from(CAUSES), unique=True),
        }
    ),
    min_size=1,
    max_size=8,
)


ideas = st.lists(
    st.tuples(st.integers(0, 7), st.lists(st.sampled_from(CAUSES), unique=True)),
    min_size=1,
    max_size=6,
)


@given(organisations, ideas)
def test_who_may_vet_an_idea_is_what_can_vet_says(orgs: list[dict[str, Any]], ideas) -> None:
    # The index of organisations by the causes they vet gives the same vetters, in the
    # same order, as asking can_vet of every organisation.
    from matchkit._vetting import VetterIndex

    ds = mk.Dataset(
        organisations=[{"id": f"o{i}", "name": f"O{i}", **o} for i, o in enumerate(orgs)],
        needs=[
            {"id": f"n{k}", "organisation_id": f"o{owner % len(orgs)}", "title": "Help",
             "causes": causes, "remote": True, "capacity": 1, "status": "idea"}
            for k, (owner, causes) in enumerate(ideas)
        ],
    )
    vetters = VetterIndex(ds)
    for need in ds.needs:
        owner = ds.organisation(need.organisation_id)
        expected = tuple(o.id for o in ds.organisations if mk.can_vet(o, need, owner=owner))
        assert vetters(need) == expected
        assert vetters(need) == expected  # and again, from what it has kept


needs = st.fixed_dictionaries(
    {
        "handles_money": st.booleans(),
        "account_route": st.sampled_from(
            [None, "organisation bank account", "личный счёт"]
        ),
        "asks_donation": st.booleans(),
        "involves_minors": st.booleans(),
        "night_work": st.booleans(),
        "min_age": st.one_of(st.none(), st.integers(0, 30)),
        "required_checks": st.lists(
            st.sampled_from(["background", "medical"]), unique=True
        ),
    }
)


@given(needs, st.integers(14, 21), st.integers(10, 16))
def test_each_rule_fires_exactly_when_its_definition_holds(
    need: dict[str, Any], check_age: int, floor: int
) -> None:
    rules = mk.PolicyRules(background_check_min_age=check_age, min_volunteer_age=floor)
    got = set(codes(dataset(**need), rules=rules))
    age = need["min_age"]
    checked = "background" in need["required_checks"]
    route = need["account_route"]
    expected = {
        "money-without-account-route": need["handles_money"] and not route,
        "money-route-looks-personal": route == "личный счёт",
        "asks-donation": need["asks_donation"],
        "minors-without-background-check": need["involves_minors"] and not checked,
        "background-check-below-age": checked and (age is None or age < check_age),
        "night-work-open-to-minors": need["night_work"] and (age is None or age < 18),
        "min-age-below-floor": age is not None and age < floor,
    }
    assert got == {code for code, fires in expected.items() if fires}


@given(needs)
def test_policy_blocks_are_exactly_the_needs_with_errors(need: dict[str, Any]) -> None:
    ds = dataset(**need)
    errors = [f for f in mk.check_policies(ds, as_of=AS_OF) if f.severity == "error"]
    blocks = mk.policy_blocks(ds, as_of=AS_OF)
    assert set(blocks) == {f.record_id for f in errors}
    for f in errors:
        assert f.message in blocks[f.record_id]


def test_rules_turn_off_and_change_severity() -> None:
    ds = dataset(vetted_by=None, asks_donation=True)
    assert codes(ds) == ["asks-donation", "not-vetted"]
    assert codes(ds, rules={"disabled": {"asks-donation"}}) == ["not-vetted"]
    relaxed = mk.check_policies(
        ds, as_of=AS_OF, rules=mk.PolicyRules(severity={"not-vetted": "info"})
    )
    assert [(f.code, f.severity) for f in relaxed] == [
        ("asks-donation", "warning"),
        ("not-vetted", "info"),
    ]
    assert (
        mk.policy_blocks(ds, as_of=AS_OF, rules={"severity": {"not-vetted": "info"}})
        == {}
    )


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ({"disabled": {"no-such-rule"}}, r"unknown policy code\(s\) 'no-such-rule'"),
        (
            {"severity": {"asks-donation": "fatal"}},
            r"severity of 'asks-donation' must be one of",
        ),
        ({"colour": "red"}, r"rules: .*colour"),
    ],
)
def test_bad_rules_are_refused(rules: dict[str, Any], message: str) -> None:
    with pytest.raises(mk.InvalidInputError, match=message):
        mk.check_policies(dataset(), rules=rules)


def test_in_kind_records_are_checked() -> None:
    ds = mk.Dataset(
        organisations=ORGS,
        offers=[
            {
                "id": "of1",
                "organisation_id": "club",
                "kind": "food",
                "item": "tea",
                "quantity": 5,
                "unit": "cups",
                "contact_role": "chair",
                "windows": ["2026-01-01/2026-12-31"],
            }
        ],
        requests=[
            {
                "id": "rq1",
                "organisation_id": "shop",
                "kind": "food",
                "quantity": 5,
                "unit": "cups",
                "needed_by": "2027-02-01",
                "place": {"lat": 55.8, "lon": 49.1},
                "purpose": "staff party",
            }
        ],
    )
    got = [
        (f.kind, f.record_id, f.code, f.severity)
        for f in mk.check_policies(ds, as_of=AS_OF)
    ]
    assert got == [
        ("offer", "of1", "offer-not-from-giver", "warning"),
        ("offer", "of1", "offer-windows-over", "info"),
        ("request", "rq1", "request-not-from-cso", "warning"),
        ("request", "rq1", "request-past", "info"),
    ]


def test_findings_print_the_record_and_what_to_do() -> None:
    (finding,) = mk.check_policies(dataset(handles_money=True), as_of=AS_OF)
    assert str(finding).startswith(
        "error: need 'n1': handles money but states no account_route"
    )
    assert str(finding).endswith("[money-without-account-route]")


def test_every_code_is_documented_in_the_module() -> None:
    import matchkit._policy as policy

    for code in mk.POLICIES:
        assert f"``{code}``" in (policy.__doc__ or ""), code


@pytest.mark.parametrize(
    ("need", "exit_code"),
    [({}, 0), ({"vetted_by": None}, 1), ({"asks_donation": True}, 0)],
)
def test_cli_check(tmp_path, capsys, need: dict[str, Any], exit_code: int) -> None:
    mk.save_dataset(dataset(**need), tmp_path / "d", format="csv")
    assert main(["check", str(tmp_path / "d"), "--as-of", AS_OF]) == exit_code
    out = capsys.readouterr().out
    assert f"{exit_code} error(s)" in out if exit_code else "0 error(s)" in out


def test_cli_check_can_disable_a_rule(tmp_path, capsys) -> None:
    mk.save_dataset(dataset(vetted_by=None), tmp_path / "d", format="json")
    assert (
        main(
            ["check", str(tmp_path / "d"), "--as-of", AS_OF, "--disable", "not-vetted"]
        )
        == 0
    )
    assert main(["check", str(tmp_path / "d"), "--disable", "nope"]) == 1
    assert "unknown policy code(s) 'nope'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("as_of", "message"),
    [("2027-02-29", "2027 has no 29 February"), ("01/02/2027", "write it as YYYY-MM-DD")],
)
def test_a_bad_as_of_says_why_it_is_not_a_day(as_of: str, message: str) -> None:
    from matchkit.datasets import tiny_city

    with pytest.raises(mk.InvalidInputError, match=f"'as_of' parameter of check_policies.*{message}"):
        mk.check_policies(tiny_city(), as_of=as_of)


def test_as_of_may_be_a_datetime_as_elsewhere() -> None:
    """check_policies reads as_of as match does (one resolver): a datetime is its day
    (it was compared with dates and raised TypeError)."""
    from datetime import date, datetime

    from matchkit.datasets import tiny_city

    ds = tiny_city()
    assert mk.check_policies(ds, as_of=datetime(2026, 9, 1, 12)) == mk.check_policies(
        ds, as_of=date(2026, 9, 1)
    )


@pytest.mark.parametrize(
    "route",
    [
        "4111 1111 1111 1111 12/26",
        "4111-1111-1111-1111 12/2026",
        "4111111111111111 12/26",
        "card 4111 1111 1111 1111 123 12/26",  # security code, then expiry
        "4111-1111-1111-1111-123 12/2026",
        "4111111111111111 123 1/27",
        "карта 2200 1234 5678 9012 345 12/26",  # a 19-digit card, then expiry
        "2200123456789012345 12 / 2026",
        "2200-1234-5678-9012-345 123",  # a 19-digit card, then its code
    ],
)
def test_a_card_followed_by_its_code_or_expiry_looks_personal(route: str) -> None:
    # The code and the expiry month were counted as digits of the number, which then had
    # more than 19 digits and passed for a bank account.
    assert codes(dataset(handles_money=True, account_route=route)) == [
        "money-route-looks-personal"
    ]


@pytest.mark.parametrize(
    "route",
    [
        "р/с 4070 3810 1234 5678 9012, БИК 044525225",
        "4070-3810-1234-5678-9012 12/26",  # a 20-digit account and a date
        "40703810123456789012 01/2027",
        "40702 810 0 0000 1234567",
        "4070 3810 1234 5678 9012 13/26",  # 13 is no month
        "phone +7 912 345-67-89 or 8 800 555 35 35",
        "account 4070 3810 1234 5678 9012, call 8 912 345 67 89 12/26",
    ],
)
def test_bank_accounts_and_phones_with_dates_are_no_card(route: str) -> None:
    assert codes(dataset(handles_money=True, account_route=route)) == []

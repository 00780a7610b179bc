"""The report's policy and in-kind sections: counts, skipped needs, covered and late requests."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import matchkit as mk
from matchkit._report_inkind import policy_and_inkind_summary
from matchkit.datasets import DEFAULT_AS_OF, synthetic_city, tiny_city
from matchkit.testing import datasets

AS_OF = "2026-09-01"
PLACE = {"lat": 55.7887, "lon": 49.1221}


def city_with_inkind() -> mk.Dataset:
    """tiny_city, one need handling money without a route, a giver's offer and three requests."""
    ds = tiny_city()
    needs = [
        n.model_copy(update={"handles_money": True}) if n.id == "n6" else n
        for n in ds.needs
    ]
    offers = [
        {"id": "bread", "organisation_id": "o4", "kind": "food", "item": "sandwiches <fresh>",
         "quantity": 50, "unit": "portions", "lead_time_days": 3, "contact_role": "manager"},
        {"id": "hall", "organisation_id": "o5", "kind": "venue", "item": "a conference hall",
         "quantity": 8, "unit": "hours", "lead_time_days": 20, "contact_role": "director",
         "windows": ["2026-08-01/2026-08-20"]},
    ]  # fmt: skip
    requests = [
        {"id": "lunch", "organisation_id": "o2", "kind": "food", "quantity": 30, "unit": "portions",
         "needed_by": "2026-09-20", "place": PLACE, "purpose": "lunch for volunteers"},
        {"id": "tea", "organisation_id": "o2", "kind": "food", "quantity": 40, "unit": "portions",
         "needed_by": "2026-09-02", "place": PLACE, "purpose": "tea"},
        {"id": "meeting", "organisation_id": "o3", "kind": "venue", "quantity": 4, "unit": "hours",
         "needed_by": "2026-09-05", "place": PLACE, "purpose": "a public meeting"},
    ]  # fmt: skip
    return ds.replace(needs=needs, offers=offers, requests=requests)


@pytest.fixture(scope="module")
def result() -> mk.MatchResult:
    return mk.match(city_with_inkind(), as_of=AS_OF)


def cells(html: str, section: str) -> list[list[str]]:
    body = re.search(rf'<section id="{section}">(.*?)</section>', html, re.DOTALL)
    assert body, f"no section {section}"
    rows = re.findall(r"<tr>(.*?)</tr>", body.group(1), re.DOTALL)
    return [re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r, re.DOTALL) for r in rows]


def test_policy_counts_are_the_findings_by_code_and_severity(
    result: mk.MatchResult,
) -> None:
    findings = mk.check_policies(result.dataset, as_of=AS_OF)
    expected = Counter((f.code, f.severity) for f in findings)
    from matchkit._report import render_html

    table = cells(render_html(result), "policy")
    shown = {(row[0], row[1]): int(row[3]) for row in table[1:] if len(row) == 4}
    assert shown == dict(expected)


def test_skipped_needs_are_listed_with_their_rule(result: mk.MatchResult) -> None:
    assert result.unfilled["n6"].code == "policy"
    tab = policy_and_inkind_summary(result)
    assert tab.skipped == [
        ("Festival tea stall", "Riverside Bakery", "money-without-account-route")
    ]
    md = result.to_markdown()
    assert (
        "| Festival tea stall | Riverside Bakery | money-without-account-route |" in md
    )


def test_no_need_is_listed_as_skipped_when_policies_are_off() -> None:
    r = mk.match(city_with_inkind(), as_of=AS_OF, policies=False)
    tab = policy_and_inkind_summary(r)
    assert tab.skipped == [] and tab.n_skipped == 0
    assert tab.findings  # the findings are still shown


def test_inkind_summary_and_late_requests(result: mk.MatchResult) -> None:
    ds = result.dataset
    res = mk.match_inkind(ds.offers, ds.requests, ds.organisations, as_of=AS_OF)
    tab = policy_and_inkind_summary(result)
    summary = dict(tab.inkind or [])
    assert summary["Requests"] == "3" and summary["Offers"] == "2"
    assert summary["Requests fully covered"] == "1"  # lunch; tea (2 days) is too late
    assert (
        summary["Units asked / covered"]
        == f"74 / {sum(a.quantity for a in res.allocations)}"
        == "74 / 30"
    )
    late = {row[0]: row for row in tab.late}
    assert set(late) == {"tea", "meeting"}
    assert (
        late["tea"][4] == "2026-08-30" and late["tea"][6] == 2
    )  # 3 days before 2 September
    assert (
        late["meeting"][4] == "2026-08-16"
    )  # inside the window, 20 days before 5 September
    assert summary["Requests not fully covered, too late for some offer"] == "2"


def test_html_escapes_and_russian_headings(result: mk.MatchResult) -> None:
    from matchkit._report import render_html

    page = render_html(result, lang="ru")
    assert "Проверка правил" in page and "Помощь вещами и услугами" in page
    assert "сведения" in page or "ошибка" in page
    en = render_html(result)
    assert "sandwiches <fresh>" not in en and "sandwiches &lt;fresh&gt;" in en
    assert "Requests that came too late" in en


def test_russian_late_rows_name_the_kind_in_russian(result: mk.MatchResult) -> None:
    what = {row[0]: row[2] for row in policy_and_inkind_summary(result, "ru").late}
    assert what == {"tea": "питание: 40 portions", "meeting": "помещение: 4 hours"}
    assert policy_and_inkind_summary(result).late[0][2] in ("food: 40 portions", "venue: 4 hours")


def test_without_offers_or_requests_there_is_no_inkind_section() -> None:
    from matchkit._report import render_html, render_markdown

    r = mk.match(tiny_city(), as_of=AS_OF)
    assert 'id="inkind"' not in render_html(r) and 'id="policy"' in render_html(r)
    assert "## In-kind help" not in render_markdown(r)


def test_a_synthetic_city_report_shows_both_sections() -> None:
    city = synthetic_city(600, 120, seed=2)
    r = mk.match(city, as_of=DEFAULT_AS_OF)
    md = r.to_markdown()
    assert "## Policy findings" in md and "## In-kind help" in md
    tab = policy_and_inkind_summary(r)
    assert tab.n_skipped == len(r.context["blocked"])
    res = mk.match_inkind(
        city.offers, city.requests, city.organisations, as_of=DEFAULT_AS_OF
    )
    for row in tab.late:
        pairs = [x for x in res.late if x.request_id == row[0]]
        assert row[4] == max(x.latest_send for x in pairs).isoformat()


@settings(max_examples=25, deadline=None)
@given(
    datasets(max_volunteers=3, max_needs=4, inkind=True), st.sampled_from(["en", "ru"])
)
def test_any_dataset_renders_and_counts_add_up(ds: mk.Dataset, lang: str) -> None:
    r = mk.match(ds, as_of=DEFAULT_AS_OF)
    tab = policy_and_inkind_summary(r, lang)
    assert sum(row[3] for row in tab.findings) == len(
        mk.check_policies(ds, as_of=DEFAULT_AS_OF)
    )
    assert {row[0] for row in tab.skipped} <= {n.title for n in ds.needs}
    assert tab.n_skipped == len(mk.policy_blocks(ds, as_of=DEFAULT_AS_OF))
    assert (tab.inkind is None) == (not ds.offers and not ds.requests)
    r.to_markdown(lang=lang)


def test_cli_report_shows_both_sections(tmp_path, capsys) -> None:
    from matchkit.cli import main

    mk.save_dataset(synthetic_city(200, 60, seed=5), tmp_path / "city", format="jsonl")
    out = tmp_path / "report.md"
    rc = main(
        [
            "report",
            str(tmp_path / "city"),
            "--as-of",
            AS_OF,
            "-o",
            str(out),
            "--lang",
            "ru",
        ]
    )
    assert rc == 0 and "wrote" in capsys.readouterr().out
    text = out.read_text(encoding="utf-8")
    assert "## Проверка правил" in text and "## Помощь вещами и услугами" in text


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_requests_held_back_are_counted_and_take_nothing(lang: str) -> None:
    ds = city_with_inkind()
    idea = next(n for n in ds.needs if n.status is mk.NeedStatus.IDEA)
    # lunch now supports an idea nobody has vetted: it is held back (tea is too late)
    requests = [
        r.model_copy(update={"need_id": idea.id}) if r.id == "lunch" else r
        for r in ds.requests
    ]
    r = mk.match(ds.replace(requests=requests), as_of=AS_OF)
    summary = dict(policy_and_inkind_summary(r, lang).inkind or [])
    held = "Requests held back (their need is closed, over or not vetted)"
    if lang == "ru":
        held = "Запросов отложено (задача закрыта, завершилась или не проверена)"
        assert summary["Запросов покрыто полностью"] == "0"
    else:
        assert summary["Requests fully covered"] == "0"
    assert summary[held] == "1"

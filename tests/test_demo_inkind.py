"""The demo's in-kind step: letters in English and Russian, ask-earlier advice, one summary line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import matchkit as mk
from matchkit import _demo
from matchkit._demo import run_demo
from matchkit.datasets import DEFAULT_AS_OF, tiny_city


def test_the_demo_writes_a_letter_per_allocation_in_both_languages(
    tmp_path: Path,
) -> None:
    lines: list[str] = []
    (tmp_path / "letters").mkdir()
    (tmp_path / "letters" / "stale__letter.en.txt").write_text(
        "from an earlier run", encoding="utf-8"
    )
    run = run_demo(
        tmp_path, n_volunteers=300, n_needs=80, n_rounds=1, seed=3, say=lines.append
    )
    ds = mk.load_dataset(tmp_path / "data")
    assert ds.offers and ds.requests  # the saved city carries its in-kind records
    res = mk.match_inkind(
        ds.offers, ds.requests, ds.organisations, as_of=DEFAULT_AS_OF, needs=ds.needs
    )
    folder = run.files["letters"]
    names = {p.name for p in folder.iterdir()}
    expected = {
        f"{a.request_id}__{a.offer_id}.{lang}.txt"
        for a in res.allocations
        for lang in ("en", "ru")
    }
    advice = {f"ask-earlier.{lang}.txt" for lang in ("en", "ru")} if res.late else set()
    assert res.allocations and names == expected | advice
    first = res.allocations[0]
    ru = (folder / f"{first.request_id}__{first.offer_id}.ru.txt").read_text(
        encoding="utf-8"
    )
    assert ru.startswith("Кому: ") and str(first.quantity) in ru
    summary = [line for line in lines if line.startswith("in-kind: ")]
    assert len(summary) == 1
    fully = len({a.request_id for a in res.allocations} - set(res.reasons))
    units = sum(a.quantity for a in res.allocations)
    assert re.search(
        rf"\b{fully} of {len(ds.requests)} request\(s\) fully covered", summary[0]
    )
    assert f"{units} of {sum(r.quantity for r in ds.requests)} units" in summary[0]
    assert f"{len(res.allocations)} letter(s)" in summary[0]
    late = {x.request_id for x in res.late} & set(res.reasons)
    assert f"{len(late)} late request(s)" in summary[0]


def small_city_with_a_closed_need(*_: object, **__: object) -> mk.Dataset:
    """The tiny city, its tea stall (n6) closed, with food asked for it and for the seniors (n2)."""
    ds = tiny_city()
    needs = [
        n.model_copy(update={"status": "closed"}) if n.id == "n6" else n for n in ds.needs
    ]
    request = {
        "organisation_id": "o2", "kind": "food", "quantity": 20, "unit": "portions",
        "needed_by": "2026-10-01", "place": {"lat": 55.79, "lon": 49.12}, "purpose": "lunch",
    }  # fmt: skip
    return ds.replace(
        needs=needs,
        offers=[
            {"id": "bread", "organisation_id": "o4", "kind": "food", "item": "sandwiches",
             "quantity": 100, "unit": "portions", "lead_time_days": 3, "contact_role": "manager"}
        ],
        requests=[
            {**request, "id": "for-closed", "need_id": "n6"},
            {**request, "id": "for-open", "need_id": "n2"},
        ],
    )  # fmt: skip


def test_the_demo_writes_no_letter_for_a_request_whose_need_is_closed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_demo, "synthetic_city", small_city_with_a_closed_need)
    lines: list[str] = []
    run = run_demo(tmp_path, n_rounds=1, say=lines.append)
    names = sorted(p.name for p in run.files["letters"].iterdir())
    assert names == ["for-open__bread.en.txt", "for-open__bread.ru.txt"]
    (summary,) = [line for line in lines if line.startswith("in-kind: ")]
    assert "1 of 2 request(s) fully covered" in summary
    assert "1 held back (their need is closed, over or not vetted)" in summary

"""The demo's in-kind step: letters in English and Russian, ask-earlier advice, one summary line."""

from __future__ import annotations

import re
from pathlib import Path

import matchkit as mk
from matchkit._demo import run_demo
from matchkit.datasets import DEFAULT_AS_OF


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
    res = mk.match_inkind(ds.offers, ds.requests, ds.organisations, as_of=DEFAULT_AS_OF)
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

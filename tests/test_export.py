"""Exports: CSV and JSON round-trip what the result holds; the networkx graph mirrors the problem."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import networkx as nx
import pytest

import matchkit as mk
from matchkit._export import DIAGNOSTIC_COLUMNS, PROPOSAL_COLUMNS, proposal_rows
from matchkit.datasets import DEFAULT_AS_OF, synthetic_city, tiny_city


@pytest.fixture(scope="module")
def city() -> mk.MatchResult:
    return mk.match(
        synthetic_city(n_volunteers=150, n_needs=20, seed=6),
        as_of=DEFAULT_AS_OF,
        shortlist=2,
    )


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_csv_files_hold_every_offer_reason_and_diagnosis(
    city: mk.MatchResult, tmp_path: Path
) -> None:
    paths = city.to_csv(tmp_path / "out")
    assert [p.name for p in paths] == [
        "proposals.csv",
        "reasons.csv",
        "diagnostics.csv",
    ]
    props = read_csv(paths[0])
    assert list(props[0]) == list(PROPOSAL_COLUMNS)
    assert len(props) == sum(1 + len(p.alternatives) for p in city.proposals)
    want = proposal_rows(city)
    for got, row in zip(props, want):
        assert (got["volunteer_id"], got["need_id"], int(got["rank"])) == (
            row["volunteer_id"],
            row["need_id"],
            row["rank"],
        )
        assert float(got["score"]) == pytest.approx(row["score"])
        assert (got["distance_km"] == "") == (row["distance_km"] is None)
    reasons = read_csv(paths[1])
    assert len(reasons) == len(city.unmatched) + len(city.unfilled)
    assert {r["id"]: r["code"] for r in reasons if r["subject"] == "need"} == {
        k: v.code for k, v in city.unfilled.items()
    }
    diags = read_csv(paths[2])
    assert list(diags[0]) == list(DIAGNOSTIC_COLUMNS)
    by_id = {(d["subject"], d["id"]): d for d in diags}
    nid = next(
        n
        for n, r in city.unfilled.items()
        if r.code in ("no_acceptable_volunteer", "candidates_elsewhere")
    )
    assert json.loads(by_id[("need", nid)]["excluded_by"]) == dict(
        city.why_unfilled(nid).excluded_by
    )
    cfs = json.loads(by_id[("need", nid)]["counterfactuals"])
    assert [c["more"] for c in cfs] == [
        c.more for c in city.why_unfilled(nid).counterfactuals
    ]


def test_csv_in_russian_keeps_cyrillic(tmp_path: Path) -> None:
    result = mk.match(tiny_city(), as_of="2026-09-01")
    paths = result.to_csv(tmp_path, lang="ru")
    text = paths[2].read_text(encoding="utf-8")
    assert "ни одна из 4 открытых задач" in text


def test_json_document(city: mk.MatchResult, tmp_path: Path) -> None:
    doc = city.to_json(tmp_path / "round.json")
    on_disk = json.loads((tmp_path / "round.json").read_text(encoding="utf-8"))
    assert on_disk == doc
    assert doc["as_of"] == DEFAULT_AS_OF.isoformat()
    assert len(doc["proposals"]) == sum(1 + len(p.alternatives) for p in city.proposals)
    assert doc["metrics"]["fill_rate"] == pytest.approx(city.metrics["fill_rate"])
    no_distance = {p["need_id"] for p in doc["proposals"] if p["distance_km"] is None}
    assert no_distance and all(
        city.dataset.need(n).remote for n in no_distance
    )  # NaN became null
    assert {d["id"] for d in doc["diagnostics"]} == set(city.unmatched) | set(
        city.unfilled
    )


def test_without_diagnostics_the_other_files_are_the_same_and_no_stale_file_stays(
    city: mk.MatchResult, tmp_path: Path
) -> None:
    full = city.to_csv(tmp_path / "full")
    (tmp_path / "lean").mkdir()
    (tmp_path / "lean" / "diagnostics.csv").write_text("from an older round\n", encoding="utf-8")
    lean = city.to_csv(tmp_path / "lean", diagnostics=False)
    assert [p.name for p in lean] == ["proposals.csv", "reasons.csv"]
    assert not (tmp_path / "lean" / "diagnostics.csv").exists()
    for a, b in zip(full, lean):
        assert a.read_bytes() == b.read_bytes()
    doc = city.to_json(diagnostics=False)
    assert doc["diagnostics"] == [] and doc["reasons"] == city.to_json()["reasons"]


def test_json_without_a_path_writes_nothing(tmp_path: Path) -> None:
    doc = mk.match(tiny_city(), as_of="2026-09-01").to_json()
    json.dumps(doc, allow_nan=False)  # strictly valid JSON
    assert not list(tmp_path.iterdir())


def test_networkx_graph_mirrors_the_problem(city: mk.MatchResult) -> None:
    g = city.to_networkx()
    p = city.problem
    assert g.number_of_nodes() == p.n_left + p.n_right
    assert g.number_of_edges() == p.n_edges
    volunteers = {n for n, d in g.nodes(data=True) if d["bipartite"] == 0}
    assert nx.is_bipartite(g) and len(volunteers) == p.n_left
    for e in range(0, p.n_edges, 17):
        a, b = (
            f"volunteer:{p.left_ids[int(p.edge_left[e])]}",
            f"need:{p.right_ids[int(p.edge_right[e])]}",
        )
        assert g.edges[a, b]["weight"] == pytest.approx(float(p.weight[e]))
    proposed = {(u, v) for u, v, s in g.edges(data="status") if s == "proposed"}
    want = {
        (f"volunteer:{x.volunteer_id}", f"need:{x.need_id}") for x in city.proposals
    }
    assert {tuple(sorted(e)) for e in proposed} == {tuple(sorted(e)) for e in want}
    alts = sum(1 for *_, s in g.edges(data="status") if s == "alternative")
    assert alts == sum(len(x.alternatives) for x in city.proposals)
    caps = {
        d["id"]: d["capacity"] for _, d in g.nodes(data=True) if d["kind"] == "need"
    }
    assert caps == {n.id: n.capacity for n in city.dataset.needs}


def test_placements_and_open_offers_are_marked() -> None:
    ds = tiny_city()
    ledger = mk.Ledger(":memory:")
    first = mk.match(ds, ledger=ledger, as_of="2026-09-01")
    ledger.accept("v4", "n3", at="2026-09-01T10:00")
    result = mk.match(ds, ledger=ledger, as_of="2026-09-01")
    g = result.to_networkx()
    assert g.edges["volunteer:v4", "need:n3"]["status"] == "placed"
    still_open = [p for p in result.proposals if p.status == "open"]
    assert len(still_open) == len(first.proposals) - 1
    for p in still_open:
        assert (
            g.edges[f"volunteer:{p.volunteer_id}", f"need:{p.need_id}"]["status"]
            == "open"
        )


@pytest.mark.parametrize(
    "call", [lambda r, d: r.to_csv(d, lang="xx"), lambda r, d: r.to_json(lang="xx")]
)
def test_unknown_language(tmp_path: Path, call: object) -> None:
    result = mk.match(tiny_city(), as_of="2026-09-01")
    with pytest.raises(mk.UnknownMethodError, match="'lang' parameter"):
        call(result, tmp_path)  # type: ignore[operator]


def test_an_error_while_diagnosing_leaves_the_older_files_and_no_temporary_one(
    city: mk.MatchResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from matchkit import _export

    out = tmp_path / "round"
    city.to_csv(out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert sorted(before) == ["diagnostics.csv", "proposals.csv", "reasons.csv"]
    (out / "proposals.csv").write_text("an older round\n", encoding="utf-8")
    real = _export.iter_need_rows

    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("diagnosis failed")

    monkeypatch.setattr(_export, "iter_need_rows", broken)
    assert city.unfilled  # (the needs are diagnosed after the volunteers' rows are written)
    with pytest.raises(RuntimeError, match="diagnosis failed"):
        city.to_csv(out)
    assert sorted(p.name for p in out.iterdir()) == sorted(before)
    assert (out / "proposals.csv").read_text(encoding="utf-8") == "an older round\n"
    assert (out / "diagnostics.csv").read_bytes() == before["diagnostics.csv"]
    monkeypatch.setattr(_export, "iter_need_rows", real)
    city.to_csv(out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_the_diagnoses_written_are_diagnostics_rows(city: mk.MatchResult, tmp_path: Path) -> None:
    from matchkit._export import diagnostics_rows

    city.to_csv(tmp_path)
    written = read_csv(tmp_path / "diagnostics.csv")
    rows = diagnostics_rows(city)
    assert len(written) == len(rows) > 0
    for got, row in zip(written, rows):
        assert got["id"] == row["id"] and got["text"] == row["text"]
        assert json.loads(got["excluded_by"]) == row["excluded_by"]

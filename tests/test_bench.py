"""matchkit bench: instances are seeded, contenders agree, results are written and checked."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from matchkit import InvalidInputError
from matchkit._bench import FAMILIES, _agree, make_instance, run_bench
from matchkit._bench_instances import (
    dense_costs,
    fingerprint,
    hospital_residents,
    read_orlib,
    volunteer_problem,
)
from matchkit._bench_measure import measure, run_child
from matchkit._bench_peers import CONTENDERS, available
from matchkit._bench_report import markdown
from matchkit.cli import main as cli

DATA = Path(__file__).parent / "data"
TINY = {"assignment": dense_costs("ties", 30), "bmatching": volunteer_problem(150, scarce=True),
        "stable": hospital_residents(120, 15)}


@pytest.mark.parametrize(("family", "size"), [("dense-uniform", 20), ("dense-ties", 20), ("volunteer", 100),
                                              ("volunteer-scarce", 100), ("stable", (100, 40))])
def test_instances_are_seeded(family: str, size: object) -> None:
    a, b = make_instance(family, size), make_instance(family, size)
    arrays = (lambda x: [x]) if isinstance(a, np.ndarray) else (
        lambda x: [x.edge_left, x.edge_right, x.weight] if hasattr(x, "edge_left") else [x.left, x.right, x.capacity])
    assert fingerprint(*arrays(a)) == fingerprint(*arrays(b))


def test_ties_family_is_the_l1_skill_distance() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.integers(0, 5, (6, 8)), rng.integers(0, 5, (6, 8))
    assert (dense_costs("ties", 6) == np.abs(a[:, None, :] - b[None, :, :]).sum(axis=2)).all()


def test_orlib_reader_reaches_the_published_optimum() -> None:
    cost = read_orlib(DATA / "assign100.txt")
    from scipy.optimize import linear_sum_assignment

    r, c = linear_sum_assignment(cost)
    assert cost.shape == (100, 100) and cost[r, c].sum() == 305


def test_orlib_reader_names_a_bad_file(tmp_path: Path) -> None:
    bad = tmp_path / "assign3.txt"
    bad.write_text("3\n1 2 3\n")
    with pytest.raises(InvalidInputError, match=r"assign3.txt: expected n and then n\*n costs; got 4 numbers"):
        read_orlib(bad)


@pytest.mark.parametrize("contender", CONTENDERS, ids=lambda c: f"{c.kind}:{c.name}")
def test_contender_agrees_with_the_reference(contender: object) -> None:
    if not available(contender.requires):  # type: ignore[attr-defined]
        pytest.importorskip(contender.requires)  # type: ignore[attr-defined]
    inst = TINY[contender.kind]  # type: ignore[attr-defined]
    ref = next(c for c in CONTENDERS if c.kind == contender.kind and c.reference)  # type: ignore[attr-defined]
    got, want = contender.run(inst), ref.run(inst)  # type: ignore[attr-defined]
    assert got.value == pytest.approx(want.value)
    if contender.kind == "stable":  # type: ignore[attr-defined]
        assert got.pairs == want.pairs


def test_disagreement_is_flagged() -> None:
    rows = [
        {"solver": "a", "status": "ok", "reference": True, "value": 10.0, "seconds": 1.0, "delta_mb": 4.0,
         "instance_sha": "s", "pairs_sha": "p"},
        {"solver": "b", "status": "ok", "reference": False, "value": 11.0, "seconds": 2.0, "delta_mb": 8.0,
         "instance_sha": "s", "pairs_sha": "p"},
        {"solver": "c", "status": "skipped", "reference": False},
    ]
    _agree("bmatching", rows)
    assert [r.get("agrees") for r in rows] == [True, False, None]
    assert rows[1]["time_ratio"] == 2.0 and rows[1]["mem_ratio"] == 2.0


def test_run_bench_writes_json_and_markdown(tmp_path: Path) -> None:
    lines: list[str] = []
    doc = run_bench(quick=True, families=["orlib", "stable"], out=tmp_path, orlib=str(DATA), say=lines.append)
    saved = json.loads((tmp_path / "bench.json").read_text())
    assert saved["disagreements"] == [] and saved["machine"]["cores"] >= 1
    ok = [r for r in doc["results"] if r["status"] == "ok"]
    assert {r["solver"] for r in ok} >= {"matchkit flow", "matchkit hungarian", "matchkit stable"}
    assert all(r["agrees"] for r in ok)
    assert all(r["value"] == 305 for r in ok if r["family"] == "orlib")
    md = (tmp_path / "bench.md").read_text()
    assert "| assign100 | matchkit flow (ref) |" in md and "## stable" in md
    assert len(lines) == len(doc["results"])


def test_a_city_round_is_checked_against_ortools_on_its_own_pairs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from matchkit import _bench_peers

    pytest.importorskip("ortools")
    doc = run_bench(quick=True, families=["city"], out=tmp_path)
    (row,) = doc["results"]
    assert row["peer"]["status"] == "ok" and row["peer"]["agrees"] and row["agrees"]
    assert "agrees |" in (tmp_path / "bench.md").read_text()
    # A peer answer worth less than the round's is a disagreement, named as such.
    real = _bench_peers._ortools_mcf

    def short(p):  # drops one chosen pair
        out = real(p)
        return _bench_peers.Outcome(out.value - 1.0, out.pairs, out.info)

    monkeypatch.setattr(_bench_peers, "_ortools_mcf", short)
    doc = run_bench(quick=True, families=["city"])
    assert doc["results"][0]["peer"]["agrees"] is False
    assert doc["disagreements"] == ["city 2,000 x 200: matchkit match"]


def test_the_city_check_is_skipped_above_its_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    from matchkit import _bench_peers

    monkeypatch.setattr(_bench_peers, "CITY_PEER_MAX_PAIRS", 10)
    (row,) = run_bench(quick=True, families=["city"])["results"]
    assert row["peer"]["status"] == "skipped" and row["agrees"]


def test_markdown_marks_a_missed_target() -> None:
    row = {"family": "city", "instance": "100,000 x 10,000", "solver": "matchkit match", "status": "ok",
           "seconds": 30.0, "peak_mb": 900.0, "delta_mb": 800.0, "value": 1.0, "runs": 1,
           "stages": dict.fromkeys(("generate", "build", "solve", "propose", "write"), 6.0),
           "info": {"edges": 10, "proposals": 5}}
    doc = {"machine": {"cpu": "x", "cores": 2, "memory_gb": 1, "os": "y", "python": "3", "packages": {}},
           "started": "now", "repeat": 1, "families": {"city": "about"}, "results": [row]}
    assert "**not met**" in markdown(doc)


def test_unknown_family_is_named() -> None:
    with pytest.raises(InvalidInputError, match="unknown benchmark family 'cty'; choose from dense-uniform"):
        run_bench(families=["cty"])


def test_child_process_measures_the_same_instance() -> None:
    req = {"family": "orlib", "size": "assign100", "solver": "scipy LSA", "repeat": 1, "orlib": str(DATA)}
    answer = run_child(req, timeout=120)
    assert answer["status"] == "ok" and answer["value"] == 305
    assert answer["instance_sha"] == fingerprint(read_orlib(DATA / "assign100.txt"))


def test_child_failure_is_reported() -> None:
    answer = run_child({"family": "orlib", "size": "assign9", "solver": "scipy LSA", "repeat": 1,
                        "orlib": str(DATA)}, timeout=120)
    assert answer["status"] == "error" and "assign9.txt not found" in answer["error"]


def test_measure_keeps_the_best_time() -> None:
    m = measure(lambda: 3, repeat=3)
    assert m.result == 3 and m.runs == 3 and m.seconds >= 0


def test_every_family_has_quick_sizes() -> None:
    assert all(f.quick and f.sizes for f in FAMILIES.values())


def test_cli_bench(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["bench", "--list"]) == 0
    assert "volunteer-scarce" in capsys.readouterr().out
    assert cli(["bench", "--quick", "--family", "orlib", "--orlib", str(DATA), "--out", str(tmp_path)]) == 0
    assert "wrote" in capsys.readouterr().out and (tmp_path / "bench.md").is_file()
    assert cli(["bench", "--family", "nope"]) == 2
    a_file = tmp_path / "bench.md"  # a file where the folder should be: refused at once
    assert cli(["bench", "--quick", "--family", "orlib", "--out", str(a_file / "x")]) == 2
    assert "is not a folder" in capsys.readouterr().err


def test_child_past_its_time_limit_is_stopped() -> None:
    # A city that takes far longer than the limit on any machine (15 s or more here), so
    # the child is stopped whatever the machine's speed; the test still takes about 2 s.
    answer = run_child({"family": "city", "size": [100_000, 10_000], "solver": "matchkit match", "repeat": 1},
                       timeout=2)
    assert answer["status"] == "timeout" and answer["error"].startswith("stopped after 2 s")
    assert set(answer["partial_stages"]) <= {"generate", "build", "solve", "write"}


def test_a_city_round_reports_its_system_time_per_stage() -> None:
    import sys

    from matchkit._bench_report import system_text

    (row,) = run_bench(quick=True, families=["city"])["results"]
    stages = row["stages_system"]
    if sys.platform == "win32":  # (no resource module)
        assert stages == {} and system_text(row) == ""
        return
    assert set(stages) == {"generate", "build", "solve", "propose", "write"}
    assert all(v >= 0 for v in stages.values()) and row["page_faults"] > 0
    assert system_text(row).startswith(f"{sum(stages.values()):.2f} s (build {stages['build']:.2f} s), ")
    assert system_text({"stages_system": {}}) == ""


def test_the_city_from_csv_files_loads_them_and_finds_the_same_round(tmp_path: Path) -> None:
    doc = run_bench(quick=True, families=["city", "city-csv"], out=tmp_path)
    generated, loaded = doc["results"]
    assert loaded["family"] == "city-csv" and loaded["status"] == "ok" and loaded["agrees"]
    assert list(loaded["stages"]) == ["load", "build", "solve", "propose", "write"]
    assert loaded["value"] == generated["value"]
    assert loaded["info"]["proposals"] == generated["info"]["proposals"]
    md = (tmp_path / "bench.md").read_text()
    assert "## city-csv" in md and "| load | build |" in md and "| generate | build |" in md

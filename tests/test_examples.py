"""Every script in examples/ runs as a newcomer would run it: a fresh process, small sizes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

# script -> (arguments for a small run, text the output must contain)
CASES = {
    "quickstart.py": (["--volunteers", "300", "--needs", "30", "--out", "{out}"],
                      ["proposals", "to the volunteer:\n    We suggest", "to the organisation:\n    ", "why "]),
    "consent_loop.py": (["--volunteers", "300", "--needs", "30", "--rounds", "2"],
                        ["round  day", "no rejected pair came back"]),
    "standalone_solver.py": (["--n", "120"], ["1. one-to-one: [[0, 0], [1, 1]] total 1.6", "equal", "0 blocking pairs"]),
    "notebook_batch.py": (["--volunteers", "300", "--needs", "30", "--out", "{out}"],
                          ["proposals for 300 volunteers", "report.html"]),
    "nyc_service.py": (["--volunteers", "300"], ["595 needs", "round date 2011-", "proposals for 300 volunteers"]),
}
# what a run given --out must have written there
WRITTEN = {
    "quickstart.py": ["data/volunteers.csv", "results"],
    "notebook_batch.py": ["report.html", "report.md", "proposals-plain.csv", "csv"],
}


def _run(script: str, args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        check=False, capture_output=True, text=True, cwd=cwd, timeout=120, env=env,
    )


def test_every_example_is_covered() -> None:
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted(CASES)


@pytest.mark.parametrize("script", sorted(CASES))
def test_example_runs(script: str, tmp_path: Path) -> None:
    args, expected = CASES[script]
    out = tmp_path / "out"
    done = _run(script, [a.replace("{out}", str(out)) for a in args], cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    for text in expected:
        assert text in done.stdout, f"{text!r} not in the output of {script}:\n{done.stdout[-2000:]}"
    # nothing is written into the working folder; with --out, only into that folder
    assert [p.name for p in tmp_path.iterdir()] == (["out"] if script in WRITTEN else [])
    for name in WRITTEN.get(script, []):
        assert (out / name).exists(), f"{script} did not write {name}"


def test_notebook_batch_without_pandas(tmp_path: Path) -> None:
    """With pandas missing the batch falls back to the plain CSV reader and still writes."""
    blocker = tmp_path / "block"
    blocker.mkdir()
    (blocker / "pandas.py").write_text("raise ImportError('pandas is blocked for this test')\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(blocker), os.environ.get("PYTHONPATH", "")]))
    out = tmp_path / "out"
    done = _run("notebook_batch.py", ["--volunteers", "100", "--needs", "10", "--out", str(out)],
                cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "pandas is not installed" in done.stdout
    assert "DataFrame" not in done.stdout
    assert (out / "report.html").is_file() and (out / "proposals-plain.csv").is_file()


def test_nyc_example_names_a_missing_file(tmp_path: Path) -> None:
    done = _run("nyc_service.py", [str(tmp_path / "missing.csv")], cwd=tmp_path)
    assert done.returncode == 2
    assert "missing.csv: no such file" in done.stderr


def test_notebook_batch_reads_any_dataset_folder_and_names_a_bad_one(tmp_path: Path) -> None:
    """--data takes what load_dataset takes: a JSON folder, a .json document, in-kind files;
    a missing folder or invalid data is a message, never a traceback."""
    import matchkit as mk

    city = mk.datasets.synthetic_city(100, 10, seed=3)
    assert city.offers and city.requests
    mk.save_dataset(city, tmp_path / "json", format="json")
    mk.save_dataset(city, tmp_path / "csv")
    done = _run("notebook_batch.py", ["--data", str(tmp_path / "json")], cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "proposals for 100 volunteers" in done.stdout
    done = _run("notebook_batch.py", ["--data", str(tmp_path / "csv")], cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"requests: DataFrame of {len(city.requests)} rows" in done.stdout  # not dropped
    done = _run("notebook_batch.py", ["--data", str(tmp_path / "missing")], cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "missing: no such folder" in done.stderr
    (tmp_path / "csv" / "needs.csv").write_text("id,title\n", encoding="utf-8")
    done = _run("notebook_batch.py", ["--data", str(tmp_path / "csv")], cwd=tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "needs DataFrame" in done.stderr and "required column is missing" in done.stderr

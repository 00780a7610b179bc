"""Progress lines: only on a terminal (or when forced), never before the delay."""

from __future__ import annotations

import contextlib
import io

import pytest

from matchkit._progress import Progress, enabled_for, step, track


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("env", "stream", "expected"),
    [(None, io.StringIO(), False), (None, _Tty(), True), ("0", _Tty(), False), ("1", io.StringIO(), True)],
)
def test_enabled_for(monkeypatch: pytest.MonkeyPatch, env: str | None, stream: io.StringIO, expected: bool) -> None:
    if env is None:
        monkeypatch.delenv("MATCHKIT_PROGRESS", raising=False)
    else:
        monkeypatch.setenv("MATCHKIT_PROGRESS", env)
    assert enabled_for(stream) is expected


def test_silent_when_not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MATCHKIT_PROGRESS", raising=False)
    out = io.StringIO()
    with Progress(5, "x", stream=out, delay=0) as bar:
        for _ in range(5):
            bar.update()
    with step("y", stream=out, delay=0):
        pass
    assert out.getvalue() == ""


def test_nothing_before_the_delay() -> None:
    out = _Tty()
    with Progress(3, "quick", stream=out, delay=60) as bar:
        bar.update()
    assert out.getvalue() == ""


def test_counter_line_and_final_newline() -> None:
    out = _Tty()
    with Progress(4, "solving", stream=out, delay=0) as bar:
        bar.update(2, note="half")
    text = out.getvalue()
    assert text.endswith("\n")
    last = text.rstrip("\n").split("\r")[-1]
    assert last.startswith("solving: 2/4 (50%)") and "left" in last and last.rstrip().endswith("half")


def test_unknown_total_shows_count() -> None:
    bar = Progress(None, "reading", stream=_Tty(), delay=0)
    bar.update(7)
    assert bar.text().startswith("reading: 7 done, ")
    bar.close()


@pytest.mark.parametrize(("fail", "word"), [(False, "done in"), (True, "failed after")])
def test_step_says_how_it_ended(fail: bool, word: str) -> None:
    out = _Tty()
    raises = pytest.raises(RuntimeError, match="boom") if fail else contextlib.nullcontext()
    with raises, step("building", stream=out, delay=0):
        if fail:
            raise RuntimeError("boom")
    assert out.getvalue().rstrip("\n").split("\r")[-1].startswith(f"building: {word} ")


def test_track_yields_everything() -> None:
    out = _Tty()
    assert list(track(iter(range(4)), "rounds", stream=out, delay=0)) == [0, 1, 2, 3]
    assert "rounds: 4 done" in out.getvalue()


@pytest.mark.parametrize("command", ["match", "report"])
def test_the_command_line_shows_its_long_steps_on_stderr(
    tmp_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    import matchkit as mk
    from matchkit import _progress
    from matchkit.cli import main

    mk.save_dataset(mk.datasets.tiny_city(), tmp_path / "city")
    out = tmp_path / ("report.md" if command == "report" else "proposals.csv")
    argv = [command, str(tmp_path / "city"), "--as-of", "2026-09-01", "-o", str(out)]
    monkeypatch.setattr(_progress, "DELAY", 0.0)  # every step counts as long
    monkeypatch.setenv("MATCHKIT_PROGRESS", "1")
    assert main(argv) == 0
    # (each line redrawn after "\r", ended by "\n")
    ended = [line.split("\r")[-1] for line in capsys.readouterr().err.split("\n")[:-1]]
    assert [line.split(": done in ")[0] for line in ended] == [
        f"loading {tmp_path / 'city'}",
        "matching 6 volunteers and 6 needs",
        f"writing {out}",
    ]
    # Not a terminal (as here without the override): nothing on stderr.
    monkeypatch.delenv("MATCHKIT_PROGRESS")
    assert main(argv) == 0
    assert capsys.readouterr().err == ""


def test_match_logs_what_it_did(caplog: pytest.LogCaptureFixture) -> None:
    import matchkit as mk

    with caplog.at_level("INFO", logger="matchkit"):
        result = mk.match(mk.datasets.tiny_city(), as_of="2026-09-01")
    (record,) = [r for r in caplog.records if r.getMessage().startswith("match: ")]
    text = record.getMessage()
    assert "6 volunteers x 6 needs" in text
    assert f"{len(result.new_proposals)} new proposals" in text


@pytest.mark.parametrize("level", ["INFO", "WARNING"])
def test_a_solver_with_no_info_still_matches_and_logs(
    caplog: pytest.LogCaptureFixture, level: str
) -> None:
    import matchkit as mk
    from matchkit.solvers import FlowSolver, Solver

    class Bare(Solver):  # a user's solver that says nothing about itself
        name = "bare"

        def solve(self, problem, *, objective="weight"):
            a = FlowSolver().solve(problem, objective=objective)
            return mk.Assignment(pairs=a.pairs, edges=a.edges, objective=a.objective,
                                 method="bare", status="optimal", info=None)

    with caplog.at_level(level, logger="matchkit"):
        result = mk.match(mk.datasets.tiny_city(), as_of="2026-09-01", method=Bare())
    assert result.new_proposals
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("match: ")]
    assert [("bare solved them" in m) for m in lines] == ([True] if level == "INFO" else [])


def test_a_warning_during_a_step_gets_a_line_of_its_own(capsys: pytest.CaptureFixture[str]) -> None:
    import logging
    import time

    from matchkit._progress import LineSafeHandler

    log = logging.getLogger("matchkit.progress-test")
    handler = LineSafeHandler()
    log.addHandler(handler)
    log.propagate = False
    try:
        with step("matching", enabled=True, delay=0):
            time.sleep(0.3)  # (the step's thread draws its line meanwhile)
            log.warning("solving every edge")
    finally:
        log.removeHandler(handler)
    shown = [line.split("\r")[-1] for line in capsys.readouterr().err.split("\n")]
    assert "solving every edge" in shown  # not glued to the progress line
    assert shown[-2].startswith("matching: done in") and shown[-1] == ""

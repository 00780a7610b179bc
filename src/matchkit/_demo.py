"""The demo: a synthetic city matched end to end over several rounds of offers and answers.

It generates a seeded city, saves it as CSV, loads it back and validates it, checks the
policies, then runs rounds on an embedded SQLite ledger: each round proposes (with a
shortlist), simulated volunteers accept or reject, and the next round re-plans around
their answers. It writes the proposals and a report, matches the city's in-kind requests
to offers and drafts the request letters (English and Russian) with "ask earlier" advice,
and returns what it did as text lines (the command line prints them; the library itself
never prints).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from datetime import time as dtime
from pathlib import Path
from typing import Any

from ._exceptions import DecisionError, InvalidInputError
from ._inkind import match_inkind
from ._io import load_dataset, save_dataset
from ._ledger import Ledger
from ._letters import Letter, ask_earlier, draft_letters
from ._match import match
from ._policy import check_policies
from ._proposals import MatchResult
from ._simulate import simulate_answers
from .datasets import DEFAULT_AS_OF, synthetic_city

__all__ = ["MARKER", "DemoRun", "check_demo_folder", "run_demo"]

#: The file that marks a folder as the demo's own: it may replace what it wrote there.
MARKER = ".matchkit-demo"
#: What the demo writes in its folder.
_WRITTEN = {"data", "letters", "results", "report.html", "matches.sqlite", "matches.sqlite-wal",
            "matches.sqlite-shm", "matches.sqlite-journal"}
#: Files a file manager leaves in any folder it shows (macOS Finder, Windows Explorer).
_VIEW_FILES = {".DS_Store", "Thumbs.db", "desktop.ini"}


@dataclass
class DemoRun:
    """What the demo did: per-round figures, the last result and where files went."""

    rounds: list[dict[str, Any]] = field(default_factory=list)
    result: MatchResult | None = None
    files: dict[str, Path] = field(default_factory=dict)


def _percent(rate: float | None) -> str:
    """A rate as a percentage with one decimal, ``n/a`` when there is none.

    Examples
    --------
    >>> _percent(0.6169), _percent(None)
    ('61.7%', 'n/a')
    """
    return "n/a" if rate is None else f"{rate:.1%}"


def check_demo_folder(out: str | Path) -> None:
    """Refuse a folder that holds files an earlier demo did not write.

    The demo replaces ``data/``, ``matches.sqlite`` and the letters in its folder: in a
    folder of one's own (``--out .`` in a project that keeps its ledger as
    ``matches.sqlite`` and its data in ``data/``) it would delete them. A new or empty
    folder, or one an earlier demo wrote (it holds the file :data:`MARKER`), is fine. The
    files a file manager leaves in a folder it showed (``.DS_Store``, ``Thumbs.db``,
    ``desktop.ini``) do not count.

    Raises
    ------
    InvalidInputError
        Naming the folder, a few of its files and what to do.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = (Path(tmp) / "matches.sqlite").write_bytes(b"")
    ...     try:
    ...         check_demo_folder(tmp)
    ...     except ValueError as err:
    ...         print(str(err).replace(tmp, "DIR"))
    --out DIR: the folder holds matches.sqlite, which the demo did not write; the demo replaces data/, matches.sqlite, letters/, results/ and report.html in its folder: give a new or empty folder
    """
    folder = Path(out)
    if not folder.is_dir():
        return
    names = sorted(p.name for p in folder.iterdir() if p.name not in _VIEW_FILES)
    if not names or MARKER in names:
        return
    if folder.resolve().name == "matchkit-demo" and set(names) <= _WRITTEN:
        return  # the default folder of a demo run before the marker was written
    shown = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
    raise InvalidInputError(
        f"--out {out}: the folder holds {shown}, which the demo did not write; the demo "
        "replaces data/, matches.sqlite, letters/, results/ and report.html in its folder: "
        "give a new or empty folder"
    )


def run_demo(
    out: str | Path = "matchkit-demo",
    *,
    n_volunteers: int = 5000,
    n_needs: int = 500,
    n_rounds: int = 4,
    seed: int = 7,
    start: date = DEFAULT_AS_OF,
    shortlist: int = 2,
    say: Callable[[str], None] = lambda line: None,
) -> DemoRun:
    """Run the demo into folder ``out`` and report each step through ``say``.

    Examples
    --------
    >>> import tempfile, matchkit as mk
    >>> from matchkit._demo import run_demo
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     run = run_demo(tmp, n_volunteers=300, n_needs=30, n_rounds=2)
    >>> [r["round"] for r in run.rounds]
    [1, 2]
    """
    out = Path(out)  # (``matchkit demo`` refuses a folder of one's own: check_demo_folder)
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text(
        "This folder was written by `matchkit demo`; a later demo run replaces its files.\n",
        encoding="utf-8",
    )
    run = DemoRun()
    t0 = time.perf_counter()

    ds = synthetic_city(n_volunteers, n_needs, seed=seed)
    data_dir = out / "data"
    save_dataset(ds, data_dir, format="csv")
    loaded = load_dataset(data_dir)
    if loaded != ds:
        raise AssertionError("the city read back from CSV differs from the one written")
    say(
        f"city: {len(ds.volunteers)} volunteers, {len(ds.organisations)} organisations, "
        f"{len(ds.needs)} needs (seed {seed}); saved to {data_dir} as CSV, loaded back "
        f"and validated in {time.perf_counter() - t0:.1f} s"
    )
    findings = check_policies(loaded, as_of=start)
    by_severity = Counter(f.severity for f in findings)
    # in the words and order of `matchkit check`: errors, warnings, notes
    counts = [(by_severity[s], word) for s, word in (("error", "error"), ("warning", "warning"), ("info", "note"))]
    say(
        "policy checks: "
        + (", ".join(f"{n} {word}(s)" for n, word in counts if n) or "no findings")
        + " (needs with errors are not matched)"
    )

    ledger_path = out / "matches.sqlite"
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(ledger_path) + suffix).unlink(missing_ok=True)
    say(f"ledger: {ledger_path} (SQLite)")
    say("round  day         offers  (alt)  accepted  rejected  no answer  placed  placement rate  fill rate")
    with Ledger(ledger_path) as ledger:
        result = None
        for r in range(n_rounds):
            day = start + timedelta(days=7 * r)
            t = time.perf_counter()
            result = match(loaded, ledger=ledger, shortlist=shortlist, as_of=day)
            answers = simulate_answers(result, seed=seed * 1000 + r)
            when = datetime.combine(day + timedelta(days=2), dtime(12, 0), tzinfo=timezone.utc)
            acc = rej = refused = 0
            answered = set()
            with ledger.batch():  # a round of answers, committed at once
                for a in answers:
                    answered.add(a.volunteer_id)
                    try:
                        if a.decision == "accept":
                            ledger.accept(a.volunteer_id, a.need_id, at=when)
                            acc += 1
                        else:
                            ledger.reject(a.volunteer_id, a.need_id, at=when)
                            rej += 1
                    except DecisionError:
                        refused += 1  # e.g. the last place went to someone quicker
            state = ledger.state(as_of=when)
            new = result.new_proposals
            n_alt = sum(len(p.alternatives) for p in new)
            silent = len({p.volunteer_id for p in result.proposals} - answered)
            cap = result.metrics["open_capacity"] or 1
            placed = len(state.placements)
            row = {
                "round": result.round,
                "day": day.isoformat(),
                "offers": len(new),
                "alternatives": n_alt,
                "accepted": acc,
                "rejected": rej,
                "refused": refused,
                "no_answer": silent,
                "placements": placed,
                "fill_rate": result.metrics["fill_rate"],
                "placement_rate": placed / cap,
                "seconds": time.perf_counter() - t,
            }
            run.rounds.append(row)
            say(
                f"{row['round']:>5}  {row['day']}  {len(new):>6}  {n_alt:>5}  {acc:>8}  {rej:>8}"
                f"  {silent:>9}  {placed:>6}  {placed / cap:>14.1%}  {_percent(row['fill_rate']):>9}"
            )
        run.result = result
    say(
        "placement rate: placements after the round's answers / open places; fill rate: "
        "the round's plan (placements and offers) / open places, as in the report "
        "(docs/metrics.md)"
    )

    # -- in-kind help: ask public bodies and businesses early, in their terms ------------
    t = time.perf_counter()
    # with the needs, so a request for a closed, over or unvetted need gets no letter
    inkind = match_inkind(
        loaded.offers,
        loaded.requests,
        loaded.organisations,
        as_of=start,
        needs=loaded.needs,
    )
    letters_dir = out / "letters"
    letters_dir.mkdir(exist_ok=True)
    for old in letters_dir.glob("*.txt"):  # letters of an earlier run
        old.unlink()
    for lang in ("en", "ru"):
        letters = draft_letters(inkind, loaded, lang=lang)
        for letter, name in zip(letters, Letter.filenames(letters)):  # (distinct, any case)
            (letters_dir / name).write_text(str(letter), encoding="utf-8")
        advice = ask_earlier(inkind, loaded, lang=lang)
        if advice:
            text = "\n\n".join(a.text for a in advice) + "\n"
            (letters_dir / f"ask-earlier.{lang}.txt").write_text(text, encoding="utf-8")
    run.files["letters"] = letters_dir
    covered = {a.request_id for a in inkind.allocations} - set(inkind.reasons)
    late = {x.request_id for x in inkind.late} & set(inkind.reasons)
    held = (
        f"{len(inkind.held_back)} held back (their need is closed, over or not vetted); "
        if inkind.held_back
        else ""
    )
    say(
        f"in-kind: as of {start.isoformat()} (the first round's day), {len(covered)} of {len(loaded.requests)} request(s) fully covered by "
        f"{len(loaded.offers)} offer(s), {sum(a.quantity for a in inkind.allocations)} of "
        f"{sum(r.quantity for r in loaded.requests)} units; {len(inkind.allocations)} letter(s) "
        f"in en and ru; {held}{len(late)} late request(s) with the last day to ask "
        f"(ask-earlier.*.txt); in {letters_dir} in {time.perf_counter() - t:.2f} s"
    )
    return run

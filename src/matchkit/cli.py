"""The ``matchkit`` command line: a thin layer over the library (no logic of its own).

Exit codes: 0 success, 1 invalid input (every problem is listed on stderr), 2 usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["main"]

Handler = Callable[[argparse.Namespace], int]


def _cmd_schema(args: argparse.Namespace) -> int:
    from ._schema import json_schema

    json.dump(json_schema(), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from ._exceptions import InvalidDatasetError
    from ._io import load_dataset

    try:
        ds = load_dataset(args.path, format=args.format)
    except InvalidDatasetError as err:
        sys.stderr.write(f"{err}\n")
        return 1
    extra = "".join(
        f", {len(items)} {kind}"
        for kind, items in ds
        if kind not in ("volunteers", "organisations", "needs")
    )
    print(
        f"{args.path}: valid (schema v1): {len(ds.volunteers)} volunteers, "
        f"{len(ds.organisations)} organisations, {len(ds.needs)} needs{extra}"
    )
    return 0


def _cmd_import_nyc(args: argparse.Namespace) -> int:
    from ._exceptions import InvalidDatasetError, InvalidInputError
    from ._io import save_dataset
    from ._nyc import import_nyc_service

    try:
        result = import_nyc_service(
            args.csv,
            on_sentinel=args.on_sentinel,
            capacity_cap=args.capacity_cap,
            on_blank_category=args.on_blank_category,
            on_missing_place=args.on_missing_place,
        )
        written = save_dataset(result.dataset, args.output, format=args.format)
    except (InvalidDatasetError, InvalidInputError) as err:
        sys.stderr.write(f"{err}\n")
        return 1
    print(result.summary())
    if args.verbose:
        for problem in result.report:
            print(f"  {problem}")
    print("wrote " + ", ".join(str(p) for p in written))
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from ._exceptions import InvalidDatasetError, InvalidInputError
    from ._io import load_dataset
    from ._policy import check_policies

    try:
        ds = load_dataset(args.path)
        findings = check_policies(
            ds, as_of=args.as_of, rules={"disabled": frozenset(args.disable)}
        )
    except (InvalidDatasetError, InvalidInputError) as err:
        sys.stderr.write(f"{err}\n")
        return 1
    for finding in findings:
        print(finding)
    counts = {
        s: sum(f.severity == s for f in findings) for s in ("error", "warning", "info")
    }
    print(
        f"{args.path}: {counts['error']} error(s), {counts['warning']} warning(s), "
        f"{counts['info']} note(s)"
    )
    return 1 if counts["error"] else 0


def _cmd_inkind(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ._exceptions import InvalidDatasetError, InvalidInputError
    from ._inkind import match_inkind
    from ._io import load_dataset
    from ._letters import ask_earlier, draft_letters

    try:
        ds = load_dataset(args.path)
        result = match_inkind(
            ds.offers, ds.requests, ds.organisations, as_of=args.as_of
        )
        letters = draft_letters(result, ds, lang=args.lang)
        advice = ask_earlier(result, ds, lang=args.lang)
    except (InvalidDatasetError, InvalidInputError) as err:
        sys.stderr.write(f"{err}\n")
        return 1
    if not ds.offers or not ds.requests:
        missing = " and ".join(k for k in ("offers", "requests") if not getattr(ds, k))
        sys.stderr.write(
            f"{args.path} holds no {missing}: add {missing} files (CSV, JSON or JSONL; "
            "see docs/vetting-and-inkind.md) to match in-kind help\n"
        )
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    for letter in letters:
        (out / letter.filename).write_text(str(letter), encoding="utf-8")
    if advice:
        text = "\n\n".join(a.text for a in advice) + "\n"
        (out / f"ask-earlier.{args.lang}.txt").write_text(text, encoding="utf-8")
    late = f"{len(advice)} too late (see ask-earlier.{args.lang}.txt)" if advice else "none too late"
    print(
        f"{len(ds.requests)} request(s), {len(ds.offers)} offer(s) as of "
        f"{result.as_of.isoformat()}: {len(letters)} letter(s), {late}"
    )
    for request_id, why in result.reasons.items():
        print(f"  {request_id}: {why}")
    print(f"wrote {out}")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    import shutil
    import tempfile
    from pathlib import Path

    from ._exceptions import InvalidDatasetError, InvalidInputError, MatchkitError
    from ._io import load_dataset
    from ._ledger import Ledger
    from ._match import match

    try:
        ds = load_dataset(args.path)
        with tempfile.TemporaryDirectory() as tmp:
            ledger = None
            if args.ledger is not None:
                if not Path(args.ledger).is_file():
                    raise InvalidInputError(f"--ledger {args.ledger}: no such file")
                if args.record:
                    ledger = Ledger(args.ledger)
                else:  # plan on a copy: the report never writes to the ledger
                    copy = Path(tmp) / "ledger.sqlite"
                    shutil.copyfile(args.ledger, copy)
                    ledger = Ledger(copy)
            try:
                result = match(ds, method=args.method, ledger=ledger, shortlist=args.shortlist,
                               as_of=args.as_of)
                out = Path(args.output)
                if out.suffix.lower() in (".md", ".markdown"):
                    out.write_text(result.to_markdown(ledger=ledger, lang=args.lang), encoding="utf-8")
                else:
                    result.to_html(out, ledger=ledger, lang=args.lang)
            finally:
                if ledger is not None:
                    ledger.close()
    except (InvalidDatasetError, InvalidInputError, MatchkitError, OSError) as err:
        sys.stderr.write(f"{err}\n")
        return 1
    m = result.metrics
    fill = m.get("fill_rate")
    print(
        f"{len(result.new_proposals)} proposal(s), {len(result.unmatched)} volunteer(s) without an "
        f"offer, {len(result.unfilled)} need(s) with free places; fill rate "
        f"{'n/a' if fill is None else f'{100 * fill:.1f}%'}"
    )
    print(f"wrote {out}")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from ._demo import run_demo

    def say(line: str) -> None:
        print(line, flush=True)

    run = run_demo(
        args.out,
        n_volunteers=args.volunteers,
        n_needs=args.needs,
        n_rounds=args.rounds,
        seed=args.seed,
        shortlist=args.shortlist,
        say=say,
    )
    result = run.result
    if result is not None:
        out = Path(args.out)
        files = result.to_csv(out / "results")
        html = result.to_html(out / "report.html", ledger=None)
        say(f"wrote {len(files)} CSV file(s) to {out / 'results'} and the report {html}")
        for line in _demo_explanations(result):
            say(line)
    return 0


def _demo_explanations(result: Any) -> list[str]:
    """A few explanations from the last round: a proposal, an unmatched volunteer, a need."""
    lines: list[str] = []
    new = result.new_proposals or result.proposals
    if new:
        p = max(new, key=lambda q: q.score)
        lines.append("")
        lines.append(f"why {p.volunteer_id} was offered {p.need_id} (to the volunteer, en):")
        lines.append("  " + result.explain(p.volunteer_id, p.need_id, audience="volunteer", lang="en").replace("\n", "\n  "))
        lines.append(f"the same, to the organisation (ru):")
        lines.append("  " + result.explain(p.volunteer_id, p.need_id, audience="organisation", lang="ru").replace("\n", "\n  "))
    for vid, reason in list(result.unmatched.items())[:1]:
        lines.append("")
        lines.append(f"why {vid} got no offer: {reason}")
    for nid, reason in sorted(result.unfilled.items(), key=lambda kv: -kv[1].details.get("free_places", 0))[:1]:
        lines.append("")
        lines.append(f"why {nid} keeps free places:")
        lines.append("  " + str(result.why_unfilled(nid)).replace("\n", "\n  "))
    return lines


def _cmd_match(args: argparse.Namespace) -> int:
    from ._exceptions import InvalidDatasetError, MatchkitError
    from ._io import load_dataset
    from ._ledger import Ledger
    from ._match import match

    try:
        ds = load_dataset(args.data)
    except InvalidDatasetError as err:
        print(err, file=sys.stderr)
        return 1
    ledger = Ledger(args.ledger) if args.ledger else None
    try:
        result = match(
            ds,
            method=args.method,
            ledger=ledger,
            shortlist=args.shortlist,
            as_of=args.as_of,
            top_k=args.top_k,
        )
    except MatchkitError as err:
        print(f"matchkit: {err}", file=sys.stderr)
        return 1
    finally:
        if ledger is not None:
            ledger.close()
    out = Path(args.output)
    if out.suffix.lower() == ".json":
        result.to_json(out)
        written = [out]
    elif out.suffix.lower() == ".csv":
        from ._export import proposal_rows, _write_csv_file

        rows = proposal_rows(result)
        written = [_write_csv_file(out, list(rows[0]) if rows else ["volunteer_id", "need_id"], rows)]
    else:
        written = result.to_csv(out)
    m = result.metrics
    fill = m.get("fill_rate")
    print(
        f"{len(result.new_proposals)} new proposal(s)"
        + (f" in round {result.round}" if result.round else "")
        + f", {len(result.unmatched)} volunteer(s) without an offer, "
        f"{len(result.unfilled)} need(s) with free places"
        + (f", fill rate {fill:.1%}" if fill is not None else "")
        + f"; wrote {', '.join(str(w) for w in written)}"
    )
    return 0


def _open_ledger(path: str) -> Any:
    """Open an existing ledger file (the commands that decide or read never create one)."""
    from ._exceptions import InvalidInputError
    from ._ledger import Ledger

    if not Path(path).is_file():
        raise InvalidInputError(f"--ledger {path}: no such file (a ledger is created by a round of offers)")
    return Ledger(path)


def _cmd_decide(args: argparse.Namespace) -> int:
    from ._exceptions import DecisionError, MatchkitError

    verb, (vid, nid) = next(
        (v, pair) for v in ("accept", "reject", "withdraw") if (pair := getattr(args, v)) is not None
    )
    try:
        with _open_ledger(args.ledger) as ledger:
            n_before = len(ledger)
            if verb == "withdraw":
                event = ledger.withdraw(vid, nid, by=args.by, reason=args.reason, at=args.at)
            elif verb == "reject":
                event = ledger.reject(vid, nid, reason=args.reason, at=args.at)
            else:
                event = ledger.accept(vid, nid, at=args.at)
            written = len(ledger) > n_before
    except MatchkitError as err:
        refused = "refused: " if isinstance(err, DecisionError) else ""
        sys.stderr.write(f"matchkit decide: {refused}{err}\n")
        return 1
    what = f"{event.kind.value} {vid} / {nid} (round {event.round}, event {event.seq})"
    print(what if written else f"already {what}; nothing written")
    return 0


def _cmd_status(args: argparse.Namespace) -> int:
    from ._exceptions import MatchkitError

    try:
        with _open_ledger(args.ledger) as ledger:
            state = ledger.state(as_of=args.as_of)
    except MatchkitError as err:
        sys.stderr.write(f"matchkit status: {err}\n")
        return 1
    if args.json:
        doc = {
            "as_of": state.as_of.isoformat(),
            "placements": sorted(list(p) for p in state.placements),
            "open_offers": [
                {"volunteer_id": o.volunteer_id, "need_id": o.need_id, "round": o.round,
                 "expires_at": o.expires_at.isoformat(), "score": o.score, "shortlist": o.shortlist}
                for _, o in sorted(state.open_offers.items())
            ],
            "excluded": sorted(list(p) for p in state.excluded),
            "need_status": {k: v.value for k, v in sorted(state.need_status.items())},
            "rounds": [
                {"round": r.number, "at": r.at.isoformat(), **dict(state.round_counts.get(r.number, {}))}
                for r in state.rounds
            ],
        }
        json.dump(doc, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    limit = args.limit

    def section(title: str, rows: list[str]) -> None:
        print(f"{title}: {len(rows)}")
        for row in rows[:limit]:
            print(f"  {row}")
        if len(rows) > limit:
            print(f"  ... and {len(rows) - limit} more (--limit N shows more)")

    print(f"ledger {args.ledger} as of {state.as_of:%Y-%m-%d %H:%M} UTC: {state.n_events} events")
    section("placements", [f"{v} -> {n}" for v, n in sorted(state.placements)])
    section("open offers", [
        f"{o.volunteer_id} -> {o.need_id} (round {o.round}, expires {o.expires_at:%Y-%m-%d %H:%M}"
        f"{', shortlist' if o.shortlist else ''})" for _, o in sorted(state.open_offers.items())
    ])
    section("exclusions (never offered again)", [
        f"{v} -> {n} ({'rejected' if (v, n) in state.rejected else 'volunteer withdrew'})"
        for v, n in sorted(state.excluded)
    ])
    if state.need_status:
        section("need statuses", [f"{k}: {v.value}" for k, v in sorted(state.need_status.items())])
    kinds = ("offered", "accepted", "rejected", "expired", "withdrawn")
    print("rounds:")
    print("  round  date        " + "  ".join(f"{k:>9}" for k in kinds))
    for r in state.rounds:
        counts = state.round_counts.get(r.number, {})
        print(f"  {r.number:>5}  {r.at:%Y-%m-%d}  " + "  ".join(f"{counts.get(k, 0):>9}" for k in kinds))
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    from ._bench import FAMILIES, run_bench
    from ._exceptions import MatchkitError
    from ._progress import Progress

    if args.list:
        for fam in FAMILIES.values():
            print(f"{fam.name:<17} {fam.about}")
        return 0
    bar = Progress(None, "bench", delay=0.0)

    def say(line: str) -> None:
        if bar.enabled and bar._drawn:
            sys.stderr.write("\r\033[K")
        print(line, flush=True)
        bar.update(note=line.split("  ")[0][:40])

    try:
        doc = run_bench(quick=args.quick, families=args.family or None, out=args.out,
                        isolate=args.isolate, repeat=args.repeat, timeout=args.timeout,
                        max_memory_gb=args.max_memory, limits=not args.no_limits,
                        orlib=args.orlib, say=say)
    except MatchkitError as err:
        sys.stderr.write(f"matchkit bench: {err}\n")
        return 2
    finally:
        bar.close()
    print(f"done in {doc['seconds']:.0f} s" + (f"; wrote {', '.join(doc['written'])}" if "written" in doc else ""))
    if doc["disagreements"]:
        sys.stderr.write("solvers disagree: " + "; ".join(doc["disagreements"]) + "\n")
        return 1
    return 0


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="matchkit",
        description="Match volunteers with the needs of organisations, openly and by consent.",
    )
    parser.add_argument(
        "--version", action="store_true", help="print the version and exit"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("schema", help="print the JSON Schema of data schema v1")
    p.set_defaults(handler=_cmd_schema)

    p = sub.add_parser(
        "validate",
        help="check a dataset folder (or .json document); list every problem",
        description="Exit 0 with a one-line summary when valid; exit 1 listing every problem "
        "(file, line, field, value, what was expected) on stderr.",
    )
    p.add_argument(
        "path", metavar="DIR", help="folder with volunteers, organisations, needs files"
    )
    p.add_argument(
        "--format",
        choices=("csv", "json", "jsonl"),
        default=None,
        help="read only files of this format",
    )
    p.set_defaults(handler=_cmd_validate)

    p = sub.add_parser(
        "import-nyc",
        help="import an NYC Service Volunteer Opportunities CSV as a dataset",
        description="Opportunities become needs, organisations are derived; every row changed "
        "or skipped is reported.",
    )
    p.add_argument("csv", metavar="CSV", help="the NYC Open Data CSV file")
    p.add_argument(
        "-o", "--output", required=True, metavar="DIR", help="folder to write"
    )
    p.add_argument("--format", choices=("csv", "json", "jsonl"), default="csv")
    p.add_argument(
        "--on-sentinel",
        choices=("cap", "skip"),
        default="cap",
        help="what to do with vol_requests 9999 (default: cap)",
    )
    p.add_argument(
        "--capacity-cap",
        type=int,
        default=100,
        help="capacity given to a sentinel row (default: 100)",
    )
    p.add_argument(
        "--on-blank-category", choices=("keep", "tag", "skip"), default="keep"
    )
    p.add_argument("--on-missing-place", choices=("skip", "remote"), default="skip")
    p.add_argument(
        "-v", "--verbose", action="store_true", help="print every report line"
    )
    p.set_defaults(handler=_cmd_import_nyc)

    p = sub.add_parser(
        "check",
        help="check a dataset against the policies (vetting, money, minors, donations)",
        description="Print every policy finding; exit 1 if any is an error.",
    )
    p.add_argument("path", metavar="DIR", help="dataset folder (or .json document)")
    p.add_argument(
        "--as-of",
        default=None,
        metavar="DATE",
        help="day of the check (default: today)",
    )
    p.add_argument(
        "--disable",
        action="append",
        default=[],
        metavar="CODE",
        help="skip a rule (repeatable), such as --disable asks-donation",
    )
    p.set_defaults(handler=_cmd_check)

    p = sub.add_parser(
        "inkind",
        help="match in-kind requests to offers; write request letters and ask-earlier advice",
        description="Reads offers and requests from the dataset folder, matches them as of "
        "DATE, and writes one letter per matched request and the advice for late ones.",
    )
    p.add_argument(
        "path", metavar="DIR", help="dataset folder with offers and requests files"
    )
    p.add_argument(
        "--as-of", required=True, metavar="DATE", help="the day the letters are sent"
    )
    p.add_argument("--lang", choices=("en", "ru"), default="en")
    p.add_argument(
        "-o", "--output", required=True, metavar="LETTERS_DIR", help="folder to write"
    )
    p.set_defaults(handler=_cmd_inkind)

    p = sub.add_parser(
        "report",
        help="run a round on a dataset and write its report (HTML, or Markdown for .md)",
        description="Loads DIR, plans one round (honouring --ledger, which is only read unless "
        "--record is given) and writes one self-contained HTML page with charts, or Markdown "
        "when the output ends in .md.",
    )
    p.add_argument("path", metavar="DIR", help="dataset folder (or .json document)")
    p.add_argument("--ledger", default=None, metavar="FILE", help="the SQLite ledger of earlier rounds")
    p.add_argument("--record", action="store_true", help="record this round's offers in the ledger")
    p.add_argument("--as-of", default=None, metavar="DATE", help="day of the round (default: today)")
    p.add_argument("--method", default="flow", help="solver: flow, hungarian, stable or milp")
    p.add_argument("--shortlist", type=int, default=0, help="alternatives per proposal")
    p.add_argument("--lang", choices=("en", "ru"), default="en")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="report.html or report.md")
    p.set_defaults(handler=_cmd_report)


    p = sub.add_parser(
        "demo",
        help="run the demo: a synthetic city matched end to end over rounds of offers",
        description="Generate a seeded city, save and reload it, check policies, then run "
        "rounds of offers on an embedded SQLite ledger with simulated volunteers who accept "
        "or reject; print per-round figures and write results and a report.",
    )
    p.add_argument("--out", default="matchkit-demo", help="output folder (default: matchkit-demo)")
    p.add_argument("--volunteers", type=int, default=5000, help="volunteers in the city (default 5000)")
    p.add_argument("--needs", type=int, default=500, help="needs in the city (default 500)")
    p.add_argument("--rounds", type=int, default=4, help="rounds of offers (default 4)")
    p.add_argument("--shortlist", type=int, default=2, help="alternatives per offer (default 2)")
    p.add_argument("--seed", type=int, default=7, help="seed of the city and the answers (default 7)")
    p.set_defaults(handler=_cmd_demo)

    for name, helptext in (
        ("match", "match a dataset folder and write proposals (CSV or JSON)"),
        ("propose", "like match, usually with --ledger: record this round's offers"),
    ):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("data", help="dataset folder (volunteers, organisations, needs) or .json file")
        p.add_argument("-o", "--output", default="proposals.csv",
                       help="proposals.csv, result.json, or a folder for all CSV exports")
        p.add_argument("--ledger", help="SQLite ledger file: honour and record decisions")
        p.add_argument("--method", default="flow", help="flow, hungarian, stable or milp")
        p.add_argument("--shortlist", type=int, default=0, help="alternatives per proposal")
        p.add_argument("--as-of", dest="as_of", default=None, help="the round's date (YYYY-MM-DD)")
        p.add_argument("--top-k", dest="top_k", type=int, default=None,
                       help="keep each volunteer's k best pairs")
        p.set_defaults(handler=_cmd_match)

    p = sub.add_parser(
        "decide",
        help="record a volunteer's answer in a ledger: --accept, --reject or --withdraw V N",
        description="Record one decision. A refused decision (unknown ids, an expired or "
        "withdrawn offer, a full need, rejecting a placement...) writes nothing and exits 1.",
    )
    p.add_argument("--ledger", required=True, metavar="FILE", help="the SQLite ledger")
    act = p.add_mutually_exclusive_group(required=True)
    for verb in ("accept", "reject", "withdraw"):
        act.add_argument(f"--{verb}", nargs=2, metavar=("VOLUNTEER", "NEED"), help=f"{verb} the pair")
    p.add_argument("--by", choices=("volunteer", "need", "organisation"), default="volunteer",
                   help="who withdraws (with --withdraw; default: volunteer)")
    p.add_argument("--reason", default=None, help="why (kept in the ledger)")
    p.add_argument("--at", default=None, metavar="TIME", help="when (ISO 8601; default: now)")
    p.set_defaults(handler=_cmd_decide)

    p = sub.add_parser(
        "status",
        help="print a ledger's placements, open offers, exclusions and per-round counts",
    )
    p.add_argument("--ledger", required=True, metavar="FILE", help="the SQLite ledger")
    p.add_argument("--as-of", default=None, metavar="TIME", help="judge expiry at (default: now)")
    p.add_argument("--limit", type=int, default=20, help="rows shown per section (default 20)")
    p.add_argument("--json", action="store_true", help="print the whole state as JSON")
    p.set_defaults(handler=_cmd_status)

    p = sub.add_parser(
        "bench",
        help="benchmark the solvers and the whole pipeline against the installed peers",
        description="Seeded instance families run against every installed peer (OR-Tools, "
        "scipy, networkx, matching, lap); objectives are checked to agree; time and peak "
        "memory are reported as ratios; results go to bench.json and bench.md. Exit 1 if "
        "solvers disagree.",
    )
    p.add_argument("--quick", action="store_true", help="small sizes only (about a minute)")
    p.add_argument("--family", action="append", default=[], metavar="NAME",
                   help="run only this family (repeatable; --list shows them)")
    p.add_argument("--out", default=None, metavar="DIR", help="write bench.json and bench.md here")
    p.add_argument("--isolate", action="store_true",
                   help="one fresh process per (instance, solver): clean memory figures")
    p.add_argument("--repeat", type=int, default=None, help="runs per measurement (default 3; 1 with --quick)")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds per run with --isolate (default 300)")
    p.add_argument("--max-memory", type=float, default=None, metavar="GB",
                   help="address-space limit per run with --isolate")
    p.add_argument("--no-limits", action="store_true", help="also run peers far beyond their size limits")
    p.add_argument("--orlib", default=None, metavar="DIR", help="folder with the OR-Library assign*.txt files")
    p.add_argument("--list", action="store_true", help="list the families and exit")
    p.set_defaults(handler=_cmd_bench)

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.version:
        from . import __version__

        print(f"matchkit {__version__}")
        return 0
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        return handler(args)
    except BrokenPipeError:
        # The reader (such as `| head`) stopped early: not an error of ours.
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0

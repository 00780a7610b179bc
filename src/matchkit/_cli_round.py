"""Commands that plan a round of offers: ``report``, ``demo``, ``match`` and ``propose``.

``match``/``propose`` and ``report`` declare their shared round options (``--ledger``,
``--as-of``, ``--method``, ``--shortlist``) through one helper, :func:`_add_round_options`;
each command keeps its own wording of their help.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from ._progress import step

__all__ = ["iso_day", "register", "solver_name", "whole_number"]


# -- option values, checked when the command line is read (before any data is loaded) ---------
def iso_day(text: str) -> str:
    """An ``--as-of`` value: a day written ``YYYY-MM-DD``, returned as written (stripped).

    Examples
    --------
    >>> iso_day(" 2026-09-01")
    '2026-09-01'
    >>> try:
    ...     iso_day("01/09/2026")
    ... except argparse.ArgumentTypeError as err:
    ...     print(err)
    '01/09/2026' is not an ISO 8601 date; write it as YYYY-MM-DD, such as 2011-02-24
    """
    from ._models import parse_iso_date

    try:
        parse_iso_date(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    return text.strip()


def whole_number(minimum: int) -> Callable[[str], int]:
    """An option type: a whole number of at least ``minimum``.

    Examples
    --------
    >>> whole_number(0)("2")
    2
    >>> for text in ("-1", "two"):
    ...     try:
    ...         whole_number(0)(text)
    ...     except argparse.ArgumentTypeError as err:
    ...         print(err)
    -1 is below 0; give a whole number of at least 0
    'two' is not a whole number; give a whole number of at least 0
    """

    def read(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a whole number; give a whole number of at least {minimum}"
            ) from None
        if value < minimum:
            raise argparse.ArgumentTypeError(
                f"{value} is below {minimum}; give a whole number of at least {minimum}"
            )
        return value

    return read


def solver_name(text: str) -> str:
    """A ``--method`` value: the name of a registered solver.

    Examples
    --------
    >>> solver_name("stable")
    'stable'
    >>> try:
    ...     solver_name("Flow")
    ... except argparse.ArgumentTypeError as err:
    ...     print(err)
    'Flow' is not a method; choose one of flow, hungarian, stable, milp (in lower case)
    """
    from .solvers import SOLVERS

    if text not in SOLVERS:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a method; choose one of {', '.join(SOLVERS)} (in lower case)"
        )
    return text


# The round options as every round-planning command parses them: flag -> dest, type, default.
# Their values are checked as the command line is read, so a typo in one is refused before
# the data is loaded and named by its option (exit 2), not by the library's parameter.
_ROUND_OPTIONS: dict[str, dict[str, Any]] = {
    "--ledger": {"default": None},
    "--as-of": {"dest": "as_of", "type": iso_day, "default": None},
    "--method": {"type": solver_name, "default": "flow"},
    "--shortlist": {"type": whole_number(0), "default": 0},
}
# How each command words them in its --help: (metavar, help); metavar None is argparse's own.
_ROUND_TEXTS: dict[str, dict[str, tuple[str | None, str]]] = {
    "report": {
        "--ledger": ("FILE", "the SQLite ledger of earlier rounds"),
        "--as-of": ("DATE", "day of the round (default: today)"),
        "--method": (None, "solver: flow, hungarian, stable or milp"),
        "--shortlist": (None, "alternatives per proposal"),
    },
    "match": {
        "--ledger": (
            None, "SQLite ledger file: honour and record decisions (a new ledger's folder must exist)"
        ),
        "--as-of": ("DATE", "the round's date, YYYY-MM-DD (default: today)"),
        "--method": (None, "flow, hungarian, stable or milp"),
        "--shortlist": (None, "alternatives per proposal"),
    },
}


def _add_round_options(
    p: argparse.ArgumentParser, wording: Literal["report", "match"], *flags: str
) -> None:
    """Declare the round options ``flags`` on ``p``, in that order, with ``wording``'s help."""
    for flag in flags:
        metavar, help_text = _ROUND_TEXTS[wording][flag]
        p.add_argument(flag, **_ROUND_OPTIONS[flag], metavar=metavar, help=help_text)


# What each command writes, by the suffix of its -o name (lower case).
_REPORT_SUFFIXES = {".html": "html", ".htm": "html", ".md": "markdown", ".markdown": "markdown"}
_MATCH_SUFFIXES = {".csv": "csv", ".json": "json"}


def _report_output(raw: str) -> tuple[Path, str]:
    """Where ``report`` writes and how: ``(path, "html" or "markdown")``, checked before any work.

    A name without a suffix is an HTML file; a suffix other than .html, .htm, .md and
    .markdown is refused.

    Examples
    --------
    >>> _report_output("report.md")
    (PosixPath('report.md'), 'markdown')
    >>> try:
    ...     _report_output("report.txt")
    ... except ValueError as err:
    ...     print(err)
    -o report.txt: a report is written as .html (a web page) or .md (Markdown); give a name ending in one of them
    """
    from ._exceptions import InvalidInputError
    from .cli import check_output

    suffix = Path(raw).suffix.lower()
    if suffix and suffix not in _REPORT_SUFFIXES:
        raise InvalidInputError(
            f"-o {raw}: a report is written as .html (a web page) or .md (Markdown); "
            "give a name ending in one of them"
        )
    return check_output("-o", raw, example="report.html"), _REPORT_SUFFIXES.get(suffix, "html")


def _match_output(raw: str) -> tuple[Path, str]:
    """Where ``match``/``propose`` write and how: ``(path, "csv", "json" or "folder")``.

    A name ending in .csv or .json is that file; a name without a suffix, an existing
    folder or a name ending in "/" is a folder for all CSV exports. Any other suffix is
    refused (it used to become a folder silently). The path is checked before any work.

    Examples
    --------
    >>> [_match_output(raw)[1] for raw in ("p.CSV", "round.json", "exports", "round.2026-09/")]
    ['csv', 'json', 'folder', 'folder']
    >>> try:
    ...     _match_output("out.xlsx")
    ... except ValueError as err:
    ...     print(err)
    -o out.xlsx: '.xlsx' is not written here; give a name ending in .csv (the proposals) or .json (the whole round), or a folder name without a suffix (all CSV files; end it with / if it has a dot)
    """
    from ._exceptions import InvalidInputError
    from .cli import check_output

    path = Path(raw)
    suffix = path.suffix.lower()
    if raw.endswith(("/", os.sep)) or path.is_dir():
        kind = "folder"
    elif suffix in _MATCH_SUFFIXES:
        kind = _MATCH_SUFFIXES[suffix]
    elif not suffix:
        kind = "folder"
    else:
        raise InvalidInputError(
            f"-o {raw}: {suffix!r} is not written here; give a name ending in .csv (the "
            "proposals) or .json (the whole round), or a folder name without a suffix (all "
            "CSV files; end it with / if it has a dot)"
        )
    return check_output("-o", raw, folder=kind == "folder", example="proposals.csv"), kind


def _without_offer(result: Any) -> str:
    """How many volunteers got nothing this round, apart from those placed and full.

    ``result.unmatched`` also holds volunteers whose accepted placements use all their
    places (reason ``placed``): they are counted apart, not as "without an offer".

    Examples
    --------
    >>> import matchkit as mk
    >>> _without_offer(mk.match(mk.datasets.tiny_city(), as_of="2026-09-01"))
    '1 volunteer(s) without an offer'
    """
    placed = sum(reason.code == "placed" for reason in result.unmatched.values())
    text = f"{len(result.unmatched) - placed} volunteer(s) without an offer"
    return text + (f" ({placed} placed, with no place left)" if placed else "")


def _nothing_open(result: Any) -> str | None:
    """A warning when no need is open on the round's day and some have ended, else None.

    Needs over at ``as_of`` (an ``end_date`` before it) are the common case: data of an
    earlier year, such as the NYC Service snapshot, matched on today's date.

    Examples
    --------
    >>> import matchkit as mk
    >>> need = {"organisation_id": "o1", "title": "T", "remote": True, "capacity": 1,
    ...         "status": "open", "vetted_by": "o1", "end_date": "2011-12-31"}
    >>> ds = mk.Dataset.from_records(
    ...     organisations=[{"id": "o1", "name": "O", "kind": "volunteer_centre", "registered": True}],
    ...     needs=[{**need, "id": "n1"}, {**need, "id": "n2", "status": "idea"}])
    >>> print(_nothing_open(mk.match(ds, as_of="2026-09-01")))
    warning: no need is open on 2026-09-01: 1 ended before it, 1 are not open (status idea, vetted or closed); give --as-of a day inside the needs' dates
    >>> print(_nothing_open(mk.match(ds, as_of="2011-06-01")))
    None
    """
    if result.metrics.get("n_open_needs") or not result.unfilled:
        return None
    codes = [reason.code for reason in result.unfilled.values()]
    ended, closed = codes.count("ended"), codes.count("not_open")
    if not ended:
        return None
    closed_text = f", {closed} are not open (status idea, vetted or closed)" if closed else ""
    return (
        f"warning: no need is open on {result.as_of.isoformat()}: {ended} ended before it"
        f"{closed_text}; give --as-of a day inside the needs' dates"
    )


def _held_back(result: Any, data: str, as_of: str | None) -> str | None:
    """A warning when policy checks held open needs back this round, else None.

    ``result.unfilled`` gives such a need the reason code ``policy``.

    Examples
    --------
    >>> import matchkit as mk
    >>> from matchkit.datasets import tiny_city
    >>> print(_held_back(mk.match(tiny_city(), as_of="2026-09-01"), "city", "2026-09-01"))
    None
    """
    import shlex

    n = sum(reason.code == "policy" for reason in result.unfilled.values())
    if not n:
        return None
    check = f"matchkit check {shlex.quote(data)}" + (f" --as-of {shlex.quote(as_of)}" if as_of else "")
    return f"warning: {n} open need(s) held back by policy checks (see `{check}`)"


def _cmd_report(args: argparse.Namespace) -> int:
    import tempfile

    from ._exceptions import InvalidDatasetError, InvalidInputError, MatchkitError
    from ._io import load_dataset
    from ._ledger import Ledger
    from ._match import match
    from .cli import write_error

    if args.record and args.ledger is None:
        sys.stderr.write(
            "matchkit report: --record needs --ledger FILE, the ledger to record this round's "
            "offers in\n"
        )
        return 2
    try:
        out, kind = _report_output(args.output)
        if args.ledger is not None and not Path(args.ledger).is_file():
            raise InvalidInputError(
                f"--ledger {args.ledger}: no such file; a ledger is made by a round of offers "
                f"(matchkit propose DIR --ledger {args.ledger})"
            )
        with step(f"loading {args.path}"):
            ds = load_dataset(args.path)
        with tempfile.TemporaryDirectory() as tmp:
            ledger = None
            if args.ledger is not None:
                if args.record:
                    ledger = Ledger(args.ledger)
                else:  # plan on a copy: the report never writes to the ledger
                    copy = Path(tmp) / "ledger.sqlite"
                    _copy_ledger(args.ledger, copy)
                    ledger = Ledger(copy)
            try:
                with step(f"matching {len(ds.volunteers)} volunteers and {len(ds.needs)} needs"):
                    result = match(ds, method=args.method, ledger=ledger, shortlist=args.shortlist,
                                   as_of=args.as_of)
                with step(f"writing {out}"):
                    try:
                        out.parent.mkdir(parents=True, exist_ok=True)
                        if kind == "markdown":
                            text = result.to_markdown(ledger=ledger, lang=args.lang)
                            out.write_text(text, encoding="utf-8")
                        else:
                            result.to_html(out, ledger=ledger, lang=args.lang)
                    except OSError as err:
                        raise InvalidInputError(write_error("-o", args.output, err)) from None
            finally:
                if ledger is not None:
                    ledger.close()
    except (InvalidDatasetError, InvalidInputError, MatchkitError, OSError) as err:
        sys.stderr.write(f"{err}\n")
        return 1
    for warning in (_nothing_open(result), _held_back(result, args.path, args.as_of)):
        if warning:
            sys.stderr.write(f"matchkit report: {warning}\n")
    m = result.metrics
    fill = m.get("fill_rate")
    print(
        f"{len(result.new_proposals)} proposal(s), {_without_offer(result)}, "
        f"{len(result.unfilled)} need(s) with free places; fill rate "
        f"{'n/a' if fill is None else f'{100 * fill:.1f}%'}"
    )
    print(f"wrote {out}")
    return 0


def _copy_ledger(path: str, copy: Path) -> None:
    """Copy the ledger at ``path`` to ``copy``, a new file, for a report to plan on.

    A backup copies a ledger in use whole: its latest commits may still be in the log
    beside the file (``-wal``). Making one opens the ledger for writing, which a ledger
    this process may only read cannot be (a read-only disk or folder, another user's
    file): its file and log are copied instead, as they are.

    Examples
    --------
    >>> import tempfile
    >>> import matchkit as mk
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     with mk.Ledger(Path(tmp) / "l.sqlite") as led:
    ...         _ = mk.match(mk.datasets.tiny_city(), as_of="2026-09-01", ledger=led)
    ...         _copy_ledger(str(Path(tmp) / "l.sqlite"), Path(tmp) / "copy.sqlite")
    ...     with mk.Ledger(Path(tmp) / "copy.sqlite") as copied:
    ...         len(copied.state(as_of="2026-09-02").rounds)
    1
    """
    import shutil

    from ._exceptions import InvalidInputError
    from ._ledger import Ledger

    try:
        with Ledger(path) as source:
            source.backup(copy)
        return
    except InvalidInputError as err:
        refused = err
    try:  # a ledger that cannot be opened for writing here
        shutil.copyfile(path, copy)
        if os.path.isfile(f"{path}-wal"):
            shutil.copyfile(f"{path}-wal", f"{copy}-wal")
        Ledger(copy).close()  # (a file that is no ledger is told by its own name)
    except (InvalidInputError, OSError):
        raise refused from None


def _cmd_demo(args: argparse.Namespace) -> int:
    from ._demo import check_demo_folder, run_demo
    from ._exceptions import InvalidInputError
    from .cli import check_output

    def say(line: str) -> None:
        print(line, flush=True)

    try:
        check_output("--out", args.out, folder=True)
        check_demo_folder(args.out)
    except InvalidInputError as err:
        print(f"matchkit demo: {err}", file=sys.stderr)
        return 1
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
        say(
            f"wrote {len(files)} CSV file(s) to {out / 'results'} and the report {html} "
            f"(round {result.round}, as of {result.as_of.isoformat()})"
        )
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
        lines.append("the same, to the organisation (ru):")
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

    name = f"matchkit {getattr(args, 'command', None) or 'match'}"
    # The output and the ledger's folder are checked first: a round recorded in the ledger
    # is never left without its file.
    try:
        out, kind = _match_output(args.output)
        if kind != "folder":
            _not_an_input(args.output, out, args.data)
        if args.ledger:
            _check_ledger_folder(args.ledger)
    except MatchkitError as err:
        print(f"{name}: {err}", file=sys.stderr)
        return 1
    # Each long step shows its elapsed time on stderr (a terminal only; see _progress).
    try:
        with step(f"loading {args.data}"):
            ds = load_dataset(args.data)
    except InvalidDatasetError as err:
        print(err, file=sys.stderr)
        return 1
    try:
        ledger = Ledger(args.ledger) if args.ledger else None
    except (MatchkitError, OSError) as err:
        print(f"matchkit: {err}", file=sys.stderr)
        return 1
    try:
        with step(f"matching {len(ds.volunteers)} volunteers and {len(ds.needs)} needs"):
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
    try:
        with step(f"writing {out}"):
            written = _write_round(result, out, kind, diagnostics=args.diagnostics)
    except OSError as err:
        from .cli import write_error

        recorded = f"; round {result.round} is recorded in {args.ledger}" if result.round else ""
        print(f"{name}: {write_error('-o', args.output, err)}{recorded}", file=sys.stderr)
        return 1
    for warning in (_nothing_open(result), _held_back(result, args.data, args.as_of)):
        if warning:
            print(f"{name}: {warning}", file=sys.stderr)
    m = result.metrics
    fill = m.get("fill_rate")
    print(
        f"{len(result.new_proposals)} new proposal(s)"
        + (f" in round {result.round}" if result.round else "")
        + f", {_without_offer(result)}, "
        f"{len(result.unfilled)} need(s) with free places"
        + (f", fill rate {fill:.1%}" if fill is not None else "")
        + f"; wrote {', '.join(str(w) for w in written)}"
    )
    return 0


def _not_an_input(raw: str, out: Path, data: str) -> None:
    """Refuse an output file that is a file of the dataset being matched (``-o data/needs.csv``
    wrote the proposals over the needs).

    Examples
    --------
    >>> try:
    ...     _not_an_input("city/needs.csv", Path("city/needs.csv"), "city")
    ... except ValueError as err:
    ...     print(err)
    -o city/needs.csv: is a file of the dataset city, which this round reads; give the output another name, such as proposals.csv
    >>> _not_an_input("proposals.csv", Path("proposals.csv"), "city")
    """
    from ._exceptions import InvalidInputError
    from ._io_csv import FORMATS, KINDS, OPTIONAL_KINDS

    source = Path(data)
    inputs = [source] if source.suffix.lower() == ".json" else [
        source / f"{k}.{ext}" for k in (*KINDS, *OPTIONAL_KINDS) for ext in FORMATS
    ]
    target = os.path.normcase(os.path.abspath(out))
    if any(os.path.normcase(os.path.abspath(p)) == target for p in inputs) or (
        out.exists() and any(p.exists() and os.path.samefile(p, out) for p in inputs)
    ):
        raise InvalidInputError(
            f"-o {raw}: is a file of the dataset {data}, which this round reads; give the "
            "output another name, such as proposals.csv"
        )


def _check_ledger_folder(raw: str) -> None:
    """Refuse a new ledger in a folder that does not exist (a typo there would start an
    empty ledger that knows no earlier decision); an existing ledger is opened as it is."""
    from ._exceptions import InvalidInputError

    folder = Path(raw).parent
    if not Path(raw).exists() and not folder.is_dir():
        raise InvalidInputError(
            f"--ledger {raw}: the folder {str(folder)!r} does not exist; create it first, or "
            "give the path of an existing ledger"
        )


def _write_round(result: Any, out: Path, kind: str, *, diagnostics: bool = True) -> list[Path]:
    """Write a round as ``kind`` ("csv", "json" or "folder"), creating missing folders;
    ``diagnostics=False`` leaves the full diagnoses out of a folder or JSON file."""
    if kind == "folder":
        return list(result.to_csv(out, diagnostics=diagnostics))
    out.parent.mkdir(parents=True, exist_ok=True)
    if kind == "json":
        result.to_json(out, diagnostics=diagnostics)
        return [out]
    from ._export import write_proposals_csv

    # (the header is the full column list also when there is no proposal)
    return [write_proposals_csv(result, out)]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``report``, ``demo``, ``match`` and ``propose`` subcommands.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        The subparsers of the ``matchkit`` parser.

    Examples
    --------
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="matchkit")
    >>> register(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["propose", "city", "--ledger", "l.sqlite", "--shortlist", "2"])
    >>> args.handler.__name__, args.ledger, args.shortlist, args.as_of, args.method
    ('_cmd_match', 'l.sqlite', 2, None, 'flow')
    >>> args = parser.parse_args(["report", "city", "--as-of", "2026-03-01", "-o", "r.md"])
    >>> args.handler.__name__, args.ledger, args.shortlist, args.as_of, args.record
    ('_cmd_report', None, 0, '2026-03-01', False)
    """
    p = sub.add_parser(
        "report",
        help="run a round on a dataset and write its report (HTML, or Markdown for .md)",
        description="Loads DIR, plans one round (honouring --ledger, which is only read unless "
        "--record is given) and writes one self-contained HTML page with charts, or Markdown "
        "when the output ends in .md.",
    )
    p.add_argument("path", metavar="DIR", help="dataset folder (or .json document)")
    _add_round_options(p, "report", "--ledger")
    p.add_argument("--record", action="store_true", help="record this round's offers in the ledger")
    _add_round_options(p, "report", "--as-of", "--method", "--shortlist")
    p.add_argument("--lang", choices=("en", "ru"), default="en",
                   help="language of the report (default: en)")
    p.add_argument("-o", "--output", required=True, metavar="FILE",
                   help="report.html (a web page) or report.md (Markdown); missing folders "
                   "are created")
    p.set_defaults(handler=_cmd_report)

    p = sub.add_parser(
        "demo",
        help="run the demo: a synthetic city matched end to end over rounds of offers",
        description="Generate a seeded city, save and reload it, check policies, then run "
        "rounds of offers on an embedded SQLite ledger with simulated volunteers who accept "
        "or reject; print per-round figures and write results and a report.",
    )
    p.add_argument("--out", default="matchkit-demo",
                   help="output folder, created if missing (default: matchkit-demo)")
    p.add_argument("--volunteers", type=whole_number(0), default=5000,
                   help="volunteers in the city (default 5000)")
    p.add_argument("--needs", type=whole_number(0), default=500, help="needs in the city (default 500)")
    p.add_argument("--rounds", type=whole_number(1), default=4, help="rounds of offers (default 4)")
    p.add_argument("--shortlist", type=whole_number(0), default=2,
                   help="alternatives per offer (default 2)")
    p.add_argument("--seed", type=int, default=7, help="seed of the city and the answers (default 7)")
    p.set_defaults(handler=_cmd_demo)

    for name, helptext in (
        ("match", "match a dataset folder and write proposals (CSV or JSON)"),
        ("propose", "like match, usually with --ledger: record this round's offers"),
    ):
        p = sub.add_parser(
            name, help=helptext,
            description=helptext[0].upper() + helptext[1:] + ". The output path is checked "
            "before the round is planned (and recorded): a path that cannot be written is "
            "refused and nothing is recorded.",
        )
        p.add_argument("data", help="dataset folder (volunteers, organisations, needs) or .json file")
        p.add_argument("-o", "--output", default="proposals.csv",
                       help="FILE.csv (the proposals), FILE.json (the whole round) or a folder "
                       "without a suffix (or ending in /) for all CSV exports; other "
                       "suffixes are refused; missing folders are created "
                       "(default: proposals.csv)")
        _add_round_options(p, "match", "--ledger", "--method", "--shortlist", "--as-of")
        p.add_argument("--top-k", dest="top_k", type=whole_number(1), default=None,
                       help="keep each volunteer's k best pairs")
        p.add_argument("--no-diagnostics", dest="diagnostics", action="store_false",
                       help="with a folder or .json output, leave out the full diagnoses "
                       "(diagnostics.csv): they check every unmatched volunteer and unfilled "
                       "need against every open need again, about 20 s for a round of 100k "
                       "volunteers; reasons.csv still gives everyone's reason")
        p.set_defaults(handler=_cmd_match)

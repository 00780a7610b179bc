"""Ledger commands of the command line: ``decide`` and ``status``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ._ledger_state import WITHDRAWN_BY

__all__ = ["register"]


def _open_ledger(path: str, *, read_only: bool = False) -> Any:
    """Open an existing ledger file (the commands that decide or read never create one);
    ``read_only`` for a command that only reads (it then never changes the file)."""
    from ._exceptions import InvalidInputError
    from ._ledger import Ledger

    if not Path(path).is_file():
        raise InvalidInputError(f"--ledger {path}: no such file (a ledger is created by a round of offers)")
    if Path(path).stat().st_size == 0:  # (SQLite would make it a new, empty ledger)
        raise InvalidInputError(
            f"--ledger {path}: the file is empty, not a ledger (a ledger is created by a round "
            "of offers: matchkit propose DIR --ledger FILE)"
        )
    return Ledger(path, read_only=read_only)


def _shown(id_: str) -> str:
    """An id as printed on its own line: as it is, or quoted with escapes where it holds a
    line break or another character that does not print (it could pass for other rows).

    Examples
    --------
    >>> _shown("v17"), _shown("Ёлка 1")
    ('v17', 'Ёлка 1')
    >>> print(_shown("v1\\n  v2 -> n1"))
    'v1\\n  v2 -> n1'
    """
    return id_ if id_.isprintable() else repr(id_)


def _cmd_decide(args: argparse.Namespace) -> int:
    from ._exceptions import DecisionError, MatchkitError

    verb, (vid, nid) = next(
        (v, pair) for v in ("accept", "reject", "withdraw") if (pair := getattr(args, v)) is not None
    )
    misplaced = [
        option for option, given, verbs in (
            ("--by", args.by is not None, ("withdraw",)),
            ("--reason", args.reason is not None, ("reject", "withdraw")),
        ) if given and verb not in verbs
    ]
    if misplaced:  # (it would not be recorded: say so rather than drop it)
        sys.stderr.write(
            f"matchkit decide: {' and '.join(misplaced)} cannot go with --{verb} (--by goes "
            "with --withdraw, --reason with --reject or --withdraw); nothing written\n"
        )
        return 1
    try:
        with _open_ledger(args.ledger) as ledger:
            last_before = len(ledger)  # (the log only grows: its last seq)
            if verb == "withdraw":
                event = ledger.withdraw(
                    vid, nid, by=args.by or "volunteer", reason=args.reason, at=args.at
                )
            elif verb == "reject":
                event = ledger.reject(vid, nid, reason=args.reason, at=args.at)
            else:
                event = ledger.accept(vid, nid, at=args.at)
            # (by the event itself: another process may write meanwhile)
            written = event.seq > last_before
    except MatchkitError as err:
        refused = "refused: " if isinstance(err, DecisionError) else ""
        hint = ""
        if isinstance(err, DecisionError) and args.at is None and "expired at" in str(err):
            # (a round dated with --as-of expires a week after that day, which may be past)
            hint = (
                "; the answer was dated now: if it was given while the offer was open, "
                "give that time with --at (e.g. --at 2026-09-02T10:00)"
            )
        sys.stderr.write(f"matchkit decide: {refused}{err}{hint}\n")
        return 1
    what = (f"{event.kind.value} {_shown(vid)} / {_shown(nid)} (round {event.round}, "
            f"event {event.seq})")
    print(what if written else f"already {what}; nothing written")
    return 0


def _cmd_status(args: argparse.Namespace) -> int:
    from ._exceptions import MatchkitError

    try:
        with _open_ledger(args.ledger, read_only=True) as ledger:
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
    section("placements", [f"{_shown(v)} -> {_shown(n)}" for v, n in sorted(state.placements)])
    section("open offers", [
        f"{_shown(o.volunteer_id)} -> {_shown(o.need_id)} (round {o.round}, "
        f"expires {o.expires_at:%Y-%m-%d %H:%M}"
        f"{', shortlist' if o.shortlist else ''})" for _, o in sorted(state.open_offers.items())
    ])
    section("exclusions (never offered again)", [
        f"{_shown(v)} -> {_shown(n)} "
        f"({'rejected' if (v, n) in state.rejected else 'volunteer withdrew'})"
        for v, n in sorted(state.excluded)
    ])
    if state.need_status:
        section("need statuses",
                [f"{_shown(k)}: {v.value}" for k, v in sorted(state.need_status.items())])
    kinds = ("offered", "accepted", "rejected", "expired", "withdrawn")
    print("rounds:")
    print("  round  date        " + "  ".join(f"{k:>9}" for k in kinds))
    for r in state.rounds:
        counts = state.round_counts.get(r.number, {})
        print(f"  {r.number:>5}  {r.at:%Y-%m-%d}  " + "  ".join(f"{counts.get(k, 0):>9}" for k in kinds))
    return 0


def _row_count(text: str) -> int:
    """``--limit``: a whole number of rows, 0 or more.

    Examples
    --------
    >>> _row_count("5")
    5
    >>> _row_count("-1")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: must be a whole number of rows, 0 or more; got '-1'
    """
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(
            f"must be a whole number of rows, 0 or more; got {text!r}"
        )
    return value


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``decide`` and ``status`` subcommands.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        The subparsers of the ``matchkit`` parser.

    Examples
    --------
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="matchkit")
    >>> register(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["decide", "--ledger", "l.sqlite", "--reject", "v1", "n1"])
    >>> args.handler.__name__, args.reject, args.by
    ('_cmd_decide', ['v1', 'n1'], None)
    """
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
    p.add_argument("--by", choices=WITHDRAWN_BY, default=None,
                   help="who withdraws (with --withdraw; default: volunteer; 'centre': the "
                   "volunteer centre, not final, as for a need or organisation)")
    p.add_argument("--reason", default=None, help="why (kept in the ledger)")
    p.add_argument("--at", default=None, metavar="TIME", help="when (ISO 8601; default: now)")
    p.set_defaults(handler=_cmd_decide)

    p = sub.add_parser(
        "status",
        help="print a ledger's placements, open offers, exclusions and per-round counts",
    )
    p.add_argument("--ledger", required=True, metavar="FILE", help="the SQLite ledger")
    p.add_argument("--as-of", default=None, metavar="TIME", help="judge expiry at (default: now)")
    p.add_argument("--limit", type=_row_count, default=20,
                   help="rows shown per section (default 20; 0 shows the counts only)")
    p.add_argument("--json", action="store_true", help="print the whole state as JSON")
    p.set_defaults(handler=_cmd_status)

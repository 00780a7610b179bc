"""The ``inkind`` command: match in-kind requests to offers and write the letters."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._inkind import InkindResult

__all__ = ["register"]


def _cmd_inkind(args: argparse.Namespace) -> int:
    from ._exceptions import InvalidDatasetError, InvalidInputError
    from ._inkind import match_inkind
    from ._io import load_dataset
    from ._letters import Letter, ask_earlier, draft_letters
    from .cli import check_output

    try:
        check_output("-o", args.output, folder=True)  # (before any work)
        ds = load_dataset(args.path)
        result = match_inkind(
            ds.offers,
            ds.requests,
            ds.organisations,
            as_of=args.as_of,
            lang=args.lang,
            needs=ds.needs,
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
    names = Letter.filenames(letters)
    for letter, name in zip(letters, names):
        (out / name).write_text(str(letter), encoding="utf-8")
    advice_name = f"ask-earlier.{args.lang}.txt"
    if advice:
        text = "\n\n".join(a.text for a in advice) + "\n"
        (out / advice_name).write_text(text, encoding="utf-8")
    from ._letters import _clean

    ours = ({_clean(r.id) for r in ds.requests}, {_clean(o.id) for o in ds.offers})
    stale = _stale(out, set(names) | ({advice_name} if advice else set()), args.lang, ours)
    print(
        f"{len(ds.requests)} request(s), {len(ds.offers)} offer(s) as of "
        f"{result.as_of.isoformat()}: {len(letters)} letter(s), {_late_text(result, args.lang)}"
    )
    for request_id, why in result.reasons.items():
        print(f"  {request_id}: {why}")
    if stale:
        print(
            f"removed {len(stale)} file(s) of an earlier run that no longer apply: "
            + ", ".join(stale)
        )
    print(f"wrote {out}")
    return 0


def _stale(
    out: Path, written: set[str], lang: str, ids: tuple[set[str], set[str]]
) -> list[str]:
    """Remove the letters and advice in ``lang`` that an earlier run left in ``out`` and
    this run did not write (a request now covered elsewhere, withdrawn or held back), so
    that the folder holds only letters to send. Returns their names, sorted.

    A letter is known by its name, ``<request>__<offer>[~hash][-copy].<lang>.txt``, with
    a request and an offer of the dataset (``ids``: their ids as file names write them):
    any other file stays, also one named like ``meeting__notes.en.txt``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> d = Path(tempfile.mkdtemp())
    >>> for name in ("r1__of1.en.txt", "r2__of1~0a1b2c3d4e-2.en.txt", "r2__of1.ru.txt",
    ...              "notes.en.txt", "meeting__notes.en.txt", "ask-earlier.en.txt"):
    ...     _ = (d / name).write_text("text")
    >>> _stale(d, {"r1__of1.en.txt"}, "en", ({"r1", "r2"}, {"of1"}))
    ['ask-earlier.en.txt', 'r2__of1~0a1b2c3d4e-2.en.txt']
    >>> sorted(p.name for p in d.iterdir())
    ['meeting__notes.en.txt', 'notes.en.txt', 'r1__of1.en.txt', 'r2__of1.ru.txt']
    """
    suffix = f".{lang}.txt"
    requests, offers = ids
    gone = []
    for path in out.iterdir():
        name = path.name
        if name in written or not name.endswith(suffix) or not path.is_file():
            continue
        req, sep, rest = name[: -len(suffix)].partition("__")
        off = re.sub(r"(~[0-9a-f]+)?(-\d+)?$", "", rest)
        letter = bool(sep) and req in requests and off in offers
        if letter or name == f"ask-earlier{suffix}":
            path.unlink()
            gone.append(name)
    return sorted(gone)


def _late_text(result: InkindResult, lang: str) -> str:
    """Late requests counted as the report and the demo count them: not fully covered."""
    if not result.late:
        return "none too late"
    short = {x.request_id for x in result.late} & set(result.reasons)
    return (
        f"{len(short)} request(s) not fully covered came too late for some offer; "
        f"advice on {len(result.late)} late (request, offer) pair(s) in ask-earlier.{lang}.txt"
    )


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``inkind`` subcommand.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        The subparsers of the ``matchkit`` parser.

    Examples
    --------
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="matchkit")
    >>> register(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["inkind", "city", "--as-of", "2026-03-01", "-o", "letters"])
    >>> args.handler.__name__, args.lang
    ('_cmd_inkind', 'en')
    """
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
        "-o", "--output", required=True, metavar="LETTERS_DIR",
        help="folder to write, created if missing"
    )
    p.set_defaults(handler=_cmd_inkind)

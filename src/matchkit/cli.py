"""The ``matchkit`` command line: a thin layer over the library (no logic of its own).

Exit codes: 0 success, 1 invalid input (every problem is listed on stderr), 2 usage error.

Each group of subcommands lives in its own module with a ``register(sub)`` function:
``_cli_data`` (schema, validate, import-nyc, check), ``_cli_inkind`` (inkind),
``_cli_round`` (report, demo, match, propose), ``_cli_ledger`` (decide, status) and
``_cli_bench`` (bench). They are registered here in that order, the order of ``--help``.

Output paths (``-o``, ``--out``) are checked by :func:`check_output` before any work, so a
path that cannot be written is refused in one line and nothing is done or recorded.
Missing folders on the way to an output are created when it is written.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from . import _cli_bench, _cli_data, _cli_inkind, _cli_ledger, _cli_round

__all__ = ["check_output", "main"]

Handler = Callable[[argparse.Namespace], int]


def check_output(option: str, path: str, *, folder: bool = False, example: str = "") -> Path:
    """Check, before any work, that ``path`` can be written; return it as a ``Path``.

    ``folder`` says whether ``path`` names a folder to write files into or a file.
    Folders missing on the way are fine (the command creates them when it writes);
    nothing is created here.

    Parameters
    ----------
    option : str
        The option as the user typed it (``-o``, ``--out``), for the message.
    path : str
        The path as the user typed it.
    folder : bool, default False
        ``path`` names a folder, not a file.
    example : str, optional
        A file name to suggest when ``path`` is a folder but a file is needed.

    Raises
    ------
    InvalidInputError
        One line naming the option, the path and what to do when ``path`` is a folder where
        a file is needed or the other way round, a device such as ``/dev/null``, lies
        below a file, or lies in a folder this user may not write to.

    Examples
    --------
    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as d:
    ...     print(check_output("-o", os.path.join(d, "new", "proposals.csv")).name)
    ...     try:
    ...         check_output("-o", d, example="report.html")
    ...     except ValueError as err:
    ...         print(str(err).replace(d, "DIR"))
    proposals.csv
    -o DIR: is a folder; give a file name, such as DIR/report.html
    """
    from ._exceptions import InvalidInputError

    out = Path(path)

    def refuse(problem: str) -> InvalidInputError:
        return InvalidInputError(f"{option} {path}: {problem}")

    if out.is_dir():
        if not folder:
            hint = f", such as {out / example}" if example else ""
            raise refuse(f"is a folder; give a file name{hint}")
        where = out
    elif out.exists():
        what = "a file" if out.is_file() else "a device or a pipe"
        if folder:
            raise refuse(f"is {what}, not a folder; give the name of a folder to write into")
        if not out.is_file():
            raise refuse("is not a regular file (a device or a pipe); give a file name")
        where = out.parent
    else:
        where = out.parent
        while not where.exists() and where != where.parent:  # folders to be created
            where = where.parent
        if not where.is_dir():
            raise refuse(f"{str(where)!r} is not a folder, so nothing can be written below it; choose another place")
    if not os.access(where, os.W_OK | os.X_OK):
        raise refuse(f"this user may not write in the folder {str(where)!r}; choose another place")
    return out


def write_error(option: str, path: str | os.PathLike[str], err: OSError) -> str:
    """The one-line message for an output that could not be written after all.

    It names the path as given, never the temporary file the writer moves into place.

    Examples
    --------
    >>> write_error("-o", "p.csv", OSError(28, "No space left on device", "p.csv.tmp"))
    '-o p.csv: cannot write it: No space left on device'
    """
    return f"{option} {os.fspath(path)}: cannot write it: {err.strerror or type(err).__name__}"


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="matchkit",
        description="Match volunteers with the needs of organisations, openly and by consent.",
    )
    parser.add_argument(
        "--version", action="store_true", help="print the version and exit"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in (_cli_data, _cli_inkind, _cli_round, _cli_ledger, _cli_bench):
        module.register(sub)
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
    from ._memory import share_the_main_heap
    from ._progress import install_log_handler

    install_log_handler()
    share_the_main_heap()  # (this process runs matchkit alone)
    try:
        return handler(args)
    except BrokenPipeError:
        # The reader (such as `| head`) stopped early: not an error of ours.
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0

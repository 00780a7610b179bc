"""The ``matchkit`` command line: a thin layer over the library (no logic of its own).

Exit codes: 0 success, 1 invalid input (every problem is listed on stderr), 2 usage error.

Each group of subcommands lives in its own module with a ``register(sub)`` function:
``_cli_data`` (schema, validate, import-nyc, check), ``_cli_inkind`` (inkind),
``_cli_round`` (report, demo, match, propose), ``_cli_ledger`` (decide, status) and
``_cli_bench`` (bench). They are registered here in that order, the order of ``--help``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from . import _cli_bench, _cli_data, _cli_inkind, _cli_ledger, _cli_round

__all__ = ["main"]

Handler = Callable[[argparse.Namespace], int]


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

"""The ``bench`` command: solvers and the whole pipeline against the installed peers."""

from __future__ import annotations

import argparse
import sys

__all__ = ["register"]


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
        if args.out is not None:  # (before a run of minutes, not after it)
            from .cli import check_output

            check_output("--out", args.out, folder=True)
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


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``bench`` subcommand.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        The subparsers of the ``matchkit`` parser.

    Examples
    --------
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="matchkit")
    >>> register(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["bench", "--quick", "--family", "orlib"])
    >>> args.handler.__name__, args.family, args.timeout
    ('_cmd_bench', ['orlib'], 300.0)
    """
    p = sub.add_parser(
        "bench",
        help="benchmark the solvers and the whole pipeline against the installed peers",
        description="Seeded instance families run against every installed peer (OR-Tools, "
        "scipy, networkx, matching, lap); objectives are checked to agree; time and peak "
        "memory are reported as ratios; results go to bench.json and bench.md. Exit 1 if "
        "solvers disagree.",
    )
    p.add_argument("--quick", action="store_true", help="small sizes only (a few seconds)")
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

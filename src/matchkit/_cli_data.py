"""Dataset commands of the command line: ``schema``, ``validate``, ``import-nyc``, ``check``."""

from __future__ import annotations

import argparse
import json
import sys

from ._cli_round import iso_day

__all__ = ["register"]


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
    from .cli import check_output, write_error

    try:
        check_output("-o", args.output, folder=True)
        if not args.replace:
            _check_no_dataset("-o", args.output)
        result = import_nyc_service(
            args.csv,
            on_sentinel=args.on_sentinel,
            capacity_cap=args.capacity_cap,
            on_blank_category=args.on_blank_category,
            on_missing_place=args.on_missing_place,
            on_missing_end_date=args.on_missing_end_date,
            vetting_organisation=args.vetting_organisation,
        )
        try:
            written = save_dataset(result.dataset, args.output, format=args.format)
        except OSError as err:
            raise InvalidInputError(write_error("-o", args.output, err)) from None
    except (InvalidDatasetError, InvalidInputError) as err:
        sys.stderr.write(f"{err}\n")
        return 1
    print(result.summary())
    if args.verbose:
        for problem in result.report:
            print(f"  {problem}")
    print("wrote " + ", ".join(str(p) for p in written))
    return 0


def _check_no_dataset(option: str, folder: str) -> None:
    """Refuse a folder that already holds dataset files: writing a new dataset there would
    replace them (an import has no volunteers, so volunteers.csv would become empty).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> d = tempfile.mkdtemp()
    >>> _ = (Path(d) / "volunteers.csv").write_text("id\\nv1\\n")
    >>> try:
    ...     _check_no_dataset("-o", d)
    ... except ValueError as err:
    ...     print(str(err).replace(d, "DIR"))
    -o DIR: the folder already holds volunteers.csv, which the import would replace; give a new folder (and merge the two datasets yourself), or add --replace
    """
    from pathlib import Path

    from ._exceptions import InvalidInputError
    from ._io_csv import FORMATS, KINDS, OPTIONAL_KINDS

    path = Path(folder)
    if not path.is_dir():
        return
    held = sorted(
        f"{kind}.{ext}"
        for kind in (*KINDS, *OPTIONAL_KINDS)
        for ext in FORMATS
        if (path / f"{kind}.{ext}").is_file()
    )
    if held:
        raise InvalidInputError(
            f"{option} {folder}: the folder already holds {', '.join(held)}, which the import "
            "would replace; give a new folder (and merge the two datasets yourself), or add "
            "--replace"
        )


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


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``schema``, ``validate``, ``import-nyc`` and ``check`` subcommands.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        The subparsers of the ``matchkit`` parser.

    Examples
    --------
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="matchkit")
    >>> register(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["check", "city", "--disable", "asks-donation"])
    >>> args.handler.__name__, args.disable
    ('_cmd_check', ['asks-donation'])
    """
    p = sub.add_parser(
        "schema",
        help="print the JSON Schema of data schema v1",
        description="Print the JSON Schema (draft 2020-12) of a whole-dataset document of schema "
        "v1 on stdout, for apps in other languages: matchkit schema > matchkit-schema-v1.json",
    )
    p.set_defaults(handler=_cmd_schema)

    p = sub.add_parser(
        "validate",
        help="check a dataset folder (or .json document); list every problem",
        description="Exit 0 with a one-line summary when valid; exit 1 listing every problem "
        "(file, line, field, value, what was expected) on stderr.",
    )
    p.add_argument(
        "path", metavar="DIR",
        help="folder with volunteers, organisations, needs files (or a .json document)",
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
        "-o", "--output", required=True, metavar="DIR",
        help="folder to write, created if missing",
    )
    p.add_argument("--format", choices=("csv", "json", "jsonl"), default="csv",
                   help="format of the files written (default: csv)")
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
        "--on-blank-category", choices=("keep", "tag", "skip"), default="keep",
        help="a row without a category: keep the need without causes, tag it "
        "'uncategorised', or skip it (default: keep)",
    )
    p.add_argument(
        "--on-missing-place", choices=("skip", "remote"), default="skip",
        help="a row without any place: skip it, or keep it as a remote need (default: skip)",
    )
    p.add_argument(
        "--on-missing-end-date", choices=("skip", "keep"), default="skip",
        help="a row without a readable end date: skip it, or keep a need that never ends "
        "(default: skip; either way it is reported)",
    )
    vetting = p.add_mutually_exclusive_group()
    vetting.add_argument(
        "--vetting-organisation", metavar="ID", default="nyc-service",
        help="id of the organisation added as NYC Service, which vetted every listing "
        "(default: nyc-service; choose another if the file uses it)",
    )
    vetting.add_argument(
        "--no-vetting-organisation", dest="vetting_organisation", action="store_const",
        const=None, help="add no vetting organisation; needs are left unvetted",
    )
    p.add_argument(
        "--replace", action="store_true",
        help="replace the dataset files the output folder already holds (refused otherwise)",
    )
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
        type=iso_day,
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

"""Loading and saving datasets: CSV, JSON and JSON Lines files, and pandas DataFrames.

This is the only module (with the NYC importer) that touches files. Loading reads every
file, collects every problem (file, line, field, value, what was expected) and either
returns a whole :class:`Dataset` or raises one :class:`InvalidDatasetError`; nothing is ever
half-loaded. Saving writes temporaries and renames them into place, so a failure leaves
the folder as it was.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from datetime import time as dtime
from difflib import get_close_matches
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from ._dataset import (
    ID_FIELDS,
    REFERENCES,
    Dataset,
    as_id,
    failed_fields,
    of_validated_records,
    problems_from_validation_error,
    reference_problems,
)
from ._exceptions import InvalidDatasetError, Problem, check_choice
from ._io_columns import read_valid_rows
from ._io_csv import (
    FORMATS,
    MODELS,
    OPTIONAL_KINDS,
    Parsed,
    cell_records,
    cells_from_record,
    check_header,
    columns,
    field_names,
    is_blank,
    read_csv_table,
    record_from_cells,
    wrong_separator,
)
from ._io_json import FileProblem, parse_document, parse_json_array, parse_jsonl
from ._io_json_columns import read_valid_records
from ._io_json_types import check_json_types
from ._io_save import save_dataset
from ._memory import makes_lasting_objects

__all__ = [
    "dataset_from_frames",
    "dataset_to_frames",
    "load_dataset",
    "read_text",
    "save_dataset",
]

_REFERENCE_FIELDS = {(r.kind, r.field) for r in REFERENCES}
_REFERRING = {r.kind for r in REFERENCES}
_PANDAS_HINT = (
    "pandas is needed for DataFrames; install it with: pip install 'matchkit[pandas]'"
)


# -- reading files ----------------------------------------------------------------------------
def read_text(path: Path, source: str) -> str:
    try:
        data = path.read_bytes()
    except OSError as err:
        raise FileProblem(
            Problem(
                f"cannot be read: {err.strerror or err}; check the path and permissions",
                source=source,
            )
        ) from None
    if data.startswith(
        b"\xef\xbb\xbf"
    ):  # a byte-order mark, as some spreadsheets write
        data = data[3:]
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):  # .xlsx/.ods (zip), .xls
        raise FileProblem(
            Problem(
                "is a spreadsheet workbook (Excel or LibreOffice), not text; save it from the "
                "spreadsheet as 'CSV UTF-8', or read it with pandas.read_excel and "
                "matchkit.dataset_from_frames",
                source=source,
                row=1,
            )
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # a spreadsheet's "Unicode Text"
        raise FileProblem(
            Problem(
                "is UTF-16 text (its first bytes are a UTF-16 byte-order mark), not UTF-8; save "
                "the file as UTF-8 (in a spreadsheet choose 'CSV UTF-8')",
                source=source,
                row=1,
            )
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        start = err.start
        line = data.count(b"\n", 0, start) + 1
        col = start - (data.rfind(b"\n", 0, start) + 1) + 1
        raise FileProblem(
            Problem(
                f"is not UTF-8 text: byte 0x{data[start]:02x} at line {line}, column {col} "
                "cannot be decoded; save the file as UTF-8 (in a spreadsheet choose "
                "'CSV UTF-8')",
                source=source,
                row=line,
            )
        ) from None


def _from_json_items(
    items: list[tuple[int, Any]],
    model: type[BaseModel],
    source: str,
    problems: list[Problem],
) -> Parsed:
    out = Parsed(source, table=False)
    # (all valid: validated field by field, see _io_json_columns; else one by one)
    out.models = read_valid_records(model, [value for _, value in items])
    if out.models is not None:
        out.lines = [line for line, _ in items]
        return out
    for line, value in items:
        if not isinstance(value, dict):
            got = type(value).__name__ if value is not None else "null"
            problems.append(
                Problem(
                    f'a record must be a JSON object such as {{"id": "v1", ...}}, found a '
                    f"{'JSON array' if isinstance(value, list) else got}",
                    source=source,
                    row=line,
                )
            )
            continue
        bad = check_json_types(model, value, source, line, problems)
        out.lines.append(line)
        out.raw.append(None)
        out.records.append({k: v for k, v in value.items() if k not in bad} if bad else value)
        out.bad.append(bad)
    return out


def _find_files(
    folder: Path, fmt: str | None
) -> tuple[dict[str, tuple[Path, str]], list[Problem]]:
    found: dict[str, tuple[Path, str]] = {}
    problems: list[Problem] = []
    formats = FORMATS if fmt is None else (fmt,)
    for kind in MODELS:
        hits = [
            (folder / f"{kind}.{ext}", ext)
            for ext in formats
            if (folder / f"{kind}.{ext}").is_file()
        ]
        if not hits and kind in OPTIONAL_KINDS:
            continue
        if len(hits) > 1:
            names = " and ".join(p.name for p, _ in hits)
            problems.append(
                Problem(
                    f"the folder holds {names}, two formats of the same {kind}; keep one of them "
                    "(or choose with format=...)",
                    source=str(folder),
                    field=kind,
                )
            )
        elif not hits:
            wanted = " or ".join(f"{kind}.{ext}" for ext in formats)
            near = sorted(
                p.name
                for p in folder.iterdir()
                if p.name.lower() in {f"{kind}.{ext}" for ext in formats}
            )
            hint = (
                f"; rename {near[0]} to {near[0].lower()} (names are lower case)"
                if near
                else ""
            )
            other = [f"{kind}.{ext}" for ext in FORMATS if ext != fmt and (folder / f"{kind}.{ext}").is_file()]
            if fmt is not None and other and not near:
                hint = f"; the folder holds {other[0]}: read it without format={fmt!r} (--format {fmt})"
            problems.append(
                Problem(
                    f"{wanted} is missing; every dataset folder holds volunteers, organisations "
                    "and needs (a file with no records is fine: a CSV header line, [] in JSON, "
                    f"an empty .jsonl file){hint}",
                    source=str(folder),
                    field=kind,
                )
            )
        else:
            found[kind] = hits[0]
    return found, problems


# (a record's objects last: collection paused while they are read, see _memory)
@makes_lasting_objects
def load_dataset(path: str | os.PathLike[str], *, format: str | None = None) -> Dataset:
    """Load a dataset from a folder of files, or from one JSON dataset document.

    A folder holds ``volunteers``, ``organisations`` and ``needs``, each as ``.csv``,
    ``.json`` (an array of records) or ``.jsonl`` (one record per line). A single ``.json``
    file holding ``{"volunteers": [...], "organisations": [...], "needs": [...]}`` (the
    document :func:`matchkit.json_schema` describes) is loaded as well. docs/schema.md
    describes the columns and fields.

    Parameters
    ----------
    path : str or path-like
        The folder, or the ``.json`` dataset document.
    format : {"csv", "json", "jsonl"}, optional
        Read only files of this format. By default the format of each kind is found from the
        file names (and two formats of the same kind are an error).

    Returns
    -------
    Dataset

    Raises
    ------
    InvalidDatasetError
        Listing every problem in every file (``.problems``: ``source`` is the file,
        ``row`` the line, ``field`` the column or field name as written in the file),
        followed by the problems between records (duplicate ids, organisations that do
        not exist). Nothing is returned half-loaded.

    Examples
    --------
    >>> import matchkit as mk, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> ds = mk.Dataset.from_records(
    ...     volunteers=[{"id": "v1", "home": {"lat": 55.79, "lon": 49.12}}],
    ...     organisations=[{"id": "o1", "name": "Food bank", "kind": "cso", "registered": True}],
    ...     needs=[{"id": "n1", "organisation_id": "o1", "title": "Sort donations",
    ...             "remote": True, "capacity": 2, "status": "open"}])
    >>> _ = mk.save_dataset(ds, folder)
    >>> mk.load_dataset(folder) == ds
    True
    """
    if format is not None:
        check_choice("format", format, FORMATS, caller="load_dataset")
    root = Path(path)
    problems: list[Problem] = []
    parsed: dict[str, Parsed] = {}
    if root.is_file():
        if root.suffix.lower() != ".json" or format not in (None, "json"):
            what = (
                f"is a .json dataset document, read as JSON: load it without format={format!r} "
                f"(--format {format})"
                if root.suffix.lower() == ".json"
                else "is a file; give a folder holding volunteers, organisations and needs "
                "files, or a .json dataset document"
            )
            raise InvalidDatasetError(
                [
                    Problem(
                        what,
                        source=str(root),
                    )
                ],
                context=f"dataset {str(root)!r}",
            )
        try:
            doc = parse_document(read_text(root, str(root)), str(root), tuple(MODELS))
        except FileProblem as fp:
            raise InvalidDatasetError(
                [fp.problem], context=f"dataset {str(root)!r}"
            ) from None
        for kind in MODELS:
            parsed[kind] = _from_json_items(
                doc.get(kind, []), MODELS[kind], str(root), problems
            )
    elif root.is_dir():
        found, problems = _find_files(root, format)
        for kind, (file, ext) in found.items():
            source = str(file)
            try:
                text = read_text(file, source)
                if ext == "csv":
                    parsed[kind] = _read_csv(text, MODELS[kind], kind, source, problems)
                elif ext == "json":
                    parsed[kind] = _from_json_items(
                        parse_json_array(text, source), MODELS[kind], source, problems
                    )
                else:
                    unread: set[str] = set()
                    items = parse_jsonl(text, source, problems, unread)
                    parsed[kind] = _from_json_items(items, MODELS[kind], source, problems)
                    parsed[kind].unread_ids = unread
            except FileProblem as fp:
                problems.append(fp.problem)
    else:
        problems.append(
            Problem(
                "does not exist; give a dataset folder or a .json dataset document",
                source=str(root),
            )
        )
    return _build(parsed, problems, context=f"dataset {str(root)!r}")


def _read_csv(
    text: str, model: type[BaseModel], kind: str, source: str, problems: list[Problem]
) -> Parsed:
    """A CSV table's records: validated column by column when the table reads cleanly
    and every row is valid (:mod:`._io_columns`), else cell by cell, which words each
    problem."""
    part = read_csv_table(text, model, kind, source, problems)
    if part.clean:
        part.models = read_valid_rows(model, part.header, part.rows)
    if part.models is None:
        cell_records(part, model, problems)
    part.rows = []
    return part


def _build(
    parsed: Mapping[str, Parsed], problems: list[Problem], *, context: str
) -> Dataset:
    """Validate the records of each kind, then the dataset; one error listing everything.

    The checks between records (ids given twice, ids named that no record has) see every
    record, valid or not, so one run lists every problem.
    """
    models: dict[str, list[BaseModel]] = {}
    # kind -> index among the valid records -> (source, line, id)
    where: dict[str, list[tuple[str, int | None, str]]] = {}
    # kind -> id -> every (source, line) it is given at, valid record or not
    given_at: dict[str, dict[str, list[tuple[str, int | None]]]] = {}
    # every record's references to check: (kind, source, line, id, values, fields to skip)
    refs: list[tuple[str, str, int | None, str | None, Mapping[str, Any], set[str]]] = []
    for kind, part in parsed.items():
        model = MODELS[kind]
        names = field_names(model) if part.table else None
        models[kind], where[kind], given_at[kind] = [], [], {}
        refers = kind in _REFERRING
        if part.models is not None:  # (validated already: valid records only)
            _add_valid(kind, part, models, where, given_at, refs if refers else None)
            continue
        for line, record, raw, bad in zip(part.lines, part.records, part.raw, part.bad):
            rid = as_id(record.get("id"))
            if rid:
                given_at[kind].setdefault(rid, []).append((part.source, line))
            try:
                item = model.model_validate(record)
            except ValidationError as err:
                for p in problems_from_validation_error(
                    err, source=part.source, row=line, record_id=rid, field_names=names
                ):
                    p = _explain(p, model, part.table, raw)
                    if not _already_reported(p, bad, model):
                        problems.append(p)
                item, bad = None, bad | failed_fields(err)
            if refers:  # the fields as given when the record is invalid
                values = record if item is None or bad else item.__dict__
                refs.append((kind, part.source, line, rid, values, bad))
            if item is None or bad:
                continue
            models[kind].append(item)
            where[kind].append((part.source, line, str(getattr(item, "id", ""))))
    problems += _duplicates(given_at)
    order = {part.source: i for i, part in enumerate(parsed.values())}
    problems.sort(key=lambda p: (order.get(p.source, -1), p.row or 0))
    known = {
        # A kind that could not be read whole: "does not exist" would be a guess.
        kind: set(given_at[kind]) | parsed[kind].unread_ids if parsed[kind].complete else None
        for kind in parsed
    }
    for kind, source, line, rid, values, skip in refs:
        problems += reference_problems(
            kind, values, known, source=source, row=line, record_id=rid, skip=skip
        )
    try:
        parts: dict[str, Any] = {kind: tuple(items) for kind, items in models.items()}
        dataset = of_validated_records(**parts)  # (each validated above)
    except InvalidDatasetError as err:
        dataset = None
        # (never empty-handed: should a problem the records' checks left out be the
        # only one, it is reported as the dataset found it)
        problems += _relocate(err.problems, where) or ([] if problems else err.problems)
    if problems:
        raise InvalidDatasetError(problems, context=context)
    assert dataset is not None
    return dataset


def _add_valid(
    kind: str,
    part: Parsed,
    models: dict[str, list[BaseModel]],
    where: dict[str, list[tuple[str, int | None, str]]],
    given_at: dict[str, dict[str, list[tuple[str, int | None]]]],
    refs: list[tuple[str, str, int | None, str | None, Mapping[str, Any], set[str]]] | None,
) -> None:
    """:func:`_build`'s loop for records validated already (all valid)."""
    assert part.models is not None
    source, ids = part.source, given_at[kind]
    rids = [as_id(getattr(item, "id", None)) for item in part.models]
    for line, rid in zip(part.lines, rids):
        if rid:
            ids.setdefault(rid, []).append((source, line))
    if refs is not None:
        no_fields: set[str] = set()
        refs += [
            (kind, source, line, rid, item.__dict__, no_fields)
            for line, rid, item in zip(part.lines, rids, part.models)
        ]
    where[kind] += [
        (source, line, str(getattr(item, "id", ""))) for line, item in zip(part.lines, part.models)
    ]
    models[kind].extend(part.models)


def _already_reported(p: Problem, bad: set[str], model: type[BaseModel]) -> bool:
    """A model complaint that follows from a cell the table reader already reported."""
    if not bad:
        return False
    # (a place's problem is named by both its columns: "place_lat/place_lon")
    names = field_names(model)
    fields = {
        c.field
        for c in columns(model)
        if p.field in (c.name, c.field, names.get(c.field))
    }
    if fields & bad:
        return True
    return p.field == "remote" and "location" in bad


def _explain(
    p: Problem, model: type[BaseModel], table: bool, raw: Mapping[str, Any] | None
) -> Problem:
    """Add what a field expects, the cell as written, and a field for record-wide rules."""
    by_name = {c.name: c for c in columns(model)} if table else {}
    by_field = {c.field: c for c in columns(model)}
    fld, value, msg = p.field, p.value, p.message
    if fld is None:  # a rule over several fields (Need._coherent)
        if "must be remote" in msg:
            fld = "remote"
        elif "end_date" in msg:
            fld = "end_date"
    col = by_name.get(fld or "") if table else by_field.get((fld or "").split(".")[0])
    if col is not None and "should" in msg and not col.expected.startswith("one of"):
        expected = col.expected
        if not table and col.kind == "set":
            expected = "a JSON array of " + expected.split(" such as ")[0].replace(
                "';'-separated ", ""
            )
        elif not table and col.kind in ("lat", "lon"):
            expected = 'a place {"lat": ..., "lon": ...} in degrees'
        elif not table and col.kind == "bool":
            expected = "true or false, without quotes"
        msg = f"{msg}; expected {expected}"
    if not table and fld and msg.startswith("is not a field of schema v1"):
        close = get_close_matches(fld.lower(), list(model.model_fields), n=1)
        if close:
            msg = f"is not a field of schema v1; did you mean {close[0]!r}?"
    if table and raw is not None and fld is not None and fld in raw:
        value = raw[fld]
        msg += _separator_hint(msg, value)
    return Problem(
        msg, source=p.source, row=p.row, field=fld, value=value, record_id=p.record_id
    )


_COMMA_NUMBER = re.compile(r"[+-]?[0-9]+(?:,[0-9]+)+(?:\.[0-9]*)?")


def _separator_hint(message: str, cell: Any) -> str:
    """What to do with a number written with a comma (a decimal comma or thousands), or "".

    Examples
    --------
    >>> _separator_hint("Input should be a valid number", "55,79")
    "; write numbers with '.' as the decimal point and without thousands separators"
    >>> _separator_hint("Input should be a valid number", "55.79x")
    ''
    """
    if "valid number" not in message and "valid integer" not in message:
        return ""
    if not isinstance(cell, str) or not _COMMA_NUMBER.fullmatch(cell.strip()):
        return ""
    return "; write numbers with '.' as the decimal point and without thousands separators"


def _duplicates(
    given_at: Mapping[str, Mapping[str, list[tuple[str, int | None]]]],
) -> list[Problem]:
    """Ids given more than once, counting records that are invalid for other reasons."""
    out = []
    for kind, ids in given_at.items():
        for rid, places in ids.items():
            if len(places) < 2:
                continue
            first_source, first_line = places[0]
            for source, line in places[1:]:
                first = f"line {first_line}" + (
                    f" of {first_source}" if source != first_source else ""
                )
                out.append(
                    Problem(
                        f"duplicate id: ids must be unique among {kind}; {rid!r} appears "
                        f"{len(places)} times, first at {first}; give each record its own id",
                        source=source,
                        row=line,
                        field="id",
                        record_id=rid,
                    )
                )
    return out


def _relocate(
    found: Iterable[Problem],
    where: Mapping[str, Sequence[tuple[str, int | None, str]]],
) -> list[Problem]:
    """Point dataset-level problems (kind, index) back at their file and line.

    Duplicate ids and references are left out: they were checked over every record,
    valid or not, with their files and lines.
    """
    out = []
    for p in found:
        kind = p.source
        if p.field == "id" and p.message.startswith("duplicate id"):
            continue
        if (kind, p.field) in _REFERENCE_FIELDS:
            continue
        if kind not in where or p.row is None or p.row >= len(where[kind]):
            out.append(p)
            continue
        source, line, _ = where[kind][p.row]
        out.append(
            Problem(
                p.message,
                source=source,
                row=line,
                field=p.field,
                value=p.value,
                record_id=p.record_id,
            )
        )
    return out


# -- DataFrames -------------------------------------------------------------------------------
_UNNAMED = re.compile(r"(Unnamed: \d+(_level_\d+)?)?")  # pandas' name for a header cell left empty


def _without_empty_unnamed(frame: Any) -> Any:
    """``frame`` without its columns that have no name and no value, as the CSV reader.

    ``pd.read_csv`` names the empty trailing columns of a spreadsheet's export
    ``Unnamed: 5``, ``Unnamed: 6``; holding nothing, they are no data to lose.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"id": ["o1"], "Unnamed: 1": [float("nan")], "Unnamed: 2": ["x"]})
    >>> list(_without_empty_unnamed(frame).columns)
    ['id', 'Unnamed: 2']
    """
    empty = [
        c for c in frame.columns
        if _UNNAMED.fullmatch(str(c)) and all(_blank_cell(v) for v in frame[c].tolist())
    ]
    return frame.drop(columns=empty) if empty else frame


def _frame_cell(value: Any, is_id: bool = False) -> Any:
    """A DataFrame cell as the CSV rules read it.

    A blank cell (NaN, pandas.NA, None) is "not given": None, as problems show it. A
    timestamp at midnight without a time zone is its day: ``pd.read_excel`` and
    ``read_csv(parse_dates=...)`` give date columns as timestamps. One with a time of day
    stays as it is, and is refused where a day is expected. An id (``is_id``) that is a
    whole float is that whole number: pandas stores a column of numeric ids with a blank
    cell as floats, so the id 1 would read as '1.0'.

    Examples
    --------
    >>> import pandas as pd
    >>> _frame_cell(pd.Timestamp("1990-05-01")), _frame_cell(pd.NaT), _frame_cell("x")
    (datetime.date(1990, 5, 1), None, 'x')
    >>> _frame_cell(pd.Timestamp("1990-05-01 13:30"))
    Timestamp('1990-05-01 13:30:00')
    >>> _frame_cell(1.0, is_id=True), _frame_cell(1.5, is_id=True), _frame_cell(1.0)
    (1, 1.5, 1.0)
    """
    if is_blank(value):
        return None
    if is_id and isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, datetime) and value.tzinfo is None and value.time() == dtime():
        return value.date()
    return value


def _blank_cell(value: Any) -> bool:
    """A cell of a frame that gives nothing: blank text, None, NaN or an empty list."""
    if isinstance(value, (list, tuple)):
        return not value
    return is_blank(value)


def _pandas() -> Any:
    try:
        import pandas  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        raise ImportError(_PANDAS_HINT) from None
    return pandas


@makes_lasting_objects
def dataset_from_frames(
    volunteers: Any = None,
    organisations: Any = None,
    needs: Any = None,
    **extensions: Any,
) -> Dataset:
    """Build a dataset from pandas DataFrames shaped like the CSV files.

    Columns are the CSV columns (docs/schema.md): sets as ``;``-separated text or as lists,
    places as two number columns, booleans as booleans or true/false text, NaN/None for
    "not given". A row whose cells are all empty is ignored, as in a CSV file. A missing
    frame means no records of that kind.

    Raises
    ------
    ImportError
        If pandas is not installed (``pip install 'matchkit[pandas]'``).
    InvalidDatasetError
        With every problem; ``source`` is ``"volunteers DataFrame"`` (and so on) and ``row``
        the position of the row (0-based).

    Examples
    --------
    >>> import pandas as pd, matchkit as mk
    >>> orgs = pd.DataFrame({"id": ["o1"], "name": ["Food bank"], "kind": ["cso"],
    ...                      "registered": [True]})
    >>> needs = pd.DataFrame({"id": ["n1"], "organisation_id": ["o1"], "title": ["Sorting"],
    ...                       "location_lat": [55.79], "location_lon": [49.12],
    ...                       "capacity": [3], "status": ["open"], "slots": ["sat-morning"]})
    >>> mk.dataset_from_frames(organisations=orgs, needs=needs).need("n1").slots
    ('sat-morning',)
    """
    pd = _pandas()
    problems: list[Problem] = []
    parsed: dict[str, Parsed] = {}
    unknown = sorted(set(extensions) - set(OPTIONAL_KINDS))
    if unknown:
        raise TypeError(
            f"dataset_from_frames got unexpected frames {unknown}; the kinds are "
            + ", ".join(MODELS)
        )
    frames = {
        "volunteers": volunteers,
        "organisations": organisations,
        "needs": needs,
        **extensions,
    }
    for kind, frame in frames.items():
        source = f"{kind} DataFrame"
        out = Parsed(source, table=True)
        parsed[kind] = out
        if frame is None:
            continue
        if not isinstance(frame, pd.DataFrame):
            problems.append(
                Problem(
                    f"expected a pandas DataFrame, got {type(frame).__name__}",
                    source=source,
                )
            )
            continue
        frame = _without_empty_unnamed(frame)
        header = [str(c) for c in frame.columns]
        wrong = wrong_separator(header, MODELS[kind], source, row=None)
        if wrong is not None:  # read_csv without sep=";" (or "\t"): one run-together column
            problems.append(wrong)
            out.complete = False
            continue
        skip = check_header(header, MODELS[kind], kind, source, problems)
        required = {c.field for c in columns(MODELS[kind]) if c.required}
        out.complete = not (required & skip)
        for pos, values in enumerate(frame.itertuples(index=False, name=None)):
            if all(_blank_cell(v) for v in values):
                continue  # as in a CSV file: such rows (an export's trailing NaN rows) are no records
            cells = {h: _frame_cell(v, h in ID_FIELDS) for h, v in zip(header, values) if h not in skip}
            record, bad = record_from_cells(
                MODELS[kind], cells, source=source, row=pos, problems=problems
            )
            bad |= skip
            out.lines.append(pos)
            out.raw.append(cells)
            out.records.append(record)
            out.bad.append(bad)
    return _build(parsed, problems, context="DataFrames")


def dataset_to_frames(dataset: Dataset) -> dict[str, Any]:
    """One pandas DataFrame per kind, with the CSV columns (sets ``;``-joined, places as two
    float columns, ``None`` where a value is not given).

    ``dataset_from_frames(**dataset_to_frames(ds)) == ds``.

    Raises
    ------
    ImportError
        If pandas is not installed (``pip install 'matchkit[pandas]'``).

    Examples
    --------
    >>> import matchkit as mk
    >>> ds = mk.Dataset.from_records(volunteers=[{"id": "v1", "home": {"lat": 55.8, "lon": 49.1}}])
    >>> frames = mk.dataset_to_frames(ds)
    >>> frames["volunteers"][["id", "home_lat", "home_lon"]].to_dict("records")
    [{'id': 'v1', 'home_lat': 55.8, 'home_lon': 49.1}]
    """
    pd = _pandas()
    frames = {}
    for kind, items in dataset:
        model = MODELS[kind]
        names = [c.name for c in columns(model)]
        rows = [
            list(cells_from_record(model, m, source=kind, native=True).values())
            for m in items
        ]
        frame = pd.DataFrame(rows, columns=names)
        for col in columns(model):
            if col.kind in ("lat", "lon"):
                frame[col.name] = frame[col.name].astype("float64")
        frames[kind] = frame
    return frames


# matchkit/__init__.py shows these functions as matchkit.X, which hides them from doctest's
# module scan; list them so `pytest --doctest-modules` on this file runs their examples.
__test__ = {
    "load_dataset": load_dataset,
    "dataset_from_frames": dataset_from_frames,
    "dataset_to_frames": dataset_to_frames,
}

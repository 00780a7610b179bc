"""Loading and saving datasets: CSV, JSON and JSON Lines files, and pandas DataFrames.

This is the only module (with the NYC importer) that touches files. Loading reads every
file, collects every problem (file, line, field, value, what was expected) and either
returns a whole :class:`Dataset` or raises one :class:`InvalidDatasetError`; nothing is ever
half-loaded. Saving writes temporaries and renames them into place, so a failure leaves
the folder as it was.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import os
import tempfile
import typing
from collections.abc import Iterable, Mapping, Sequence
from difflib import get_close_matches
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from ._dataset import Dataset, problems_from_validation_error
from ._exceptions import InvalidDatasetError, InvalidInputError, Problem, check_choice
from ._io_csv import cells_from_record, columns, field_names, record_from_cells
from ._io_json import FileProblem, parse_document, parse_json_array, parse_jsonl

__all__ = ["dataset_from_frames", "dataset_to_frames", "load_dataset", "save_dataset"]

FORMATS = ("csv", "json", "jsonl")


def _dataset_kinds() -> dict[str, type[BaseModel]]:
    """Every kind a Dataset holds (its init fields ``tuple[Model, ...]``), in order."""
    hints = typing.get_type_hints(Dataset)
    out: dict[str, type[BaseModel]] = {}
    for f in dataclasses.fields(Dataset):
        args = typing.get_args(hints[f.name])
        if f.init and typing.get_origin(hints[f.name]) is tuple and args and isinstance(args[0], type) and issubclass(args[0], BaseModel):
            out[f.name] = args[0]
    return out


MODELS: dict[str, type[BaseModel]] = _dataset_kinds()
#: Kinds every dataset folder holds; the others (extensions of v1) are read when present.
KINDS = ("volunteers", "organisations", "needs")
OPTIONAL_KINDS = tuple(k for k in MODELS if k not in KINDS)
_PANDAS_HINT = "pandas is needed for DataFrames; install it with: pip install 'matchkit[pandas]'"


class _Parsed:
    """Records of one kind as read from one source, with where each came from."""

    def __init__(self, source: str, *, table: bool) -> None:
        self.source = source
        self.table = table  # field names are column names (CSV, DataFrame)
        self.lines: list[int | None] = []
        self.records: list[Any] = []
        self.raw: list[Mapping[str, Any] | None] = []  # the cells as written (tables)
        self.bad: list[set[str]] = []  # fields already reported by the table reader


# -- reading files ----------------------------------------------------------------------------
def read_text(path: Path, source: str) -> str:
    try:
        data = path.read_bytes()
    except OSError as err:
        raise FileProblem(
            Problem(f"cannot be read: {err.strerror or err}; check the path and permissions", source=source)
        ) from None
    if data.startswith(b"\xef\xbb\xbf"):  # a byte-order mark, as some spreadsheets write
        data = data[3:]
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


def _read_csv(text: str, kind: str, source: str, problems: list[Problem]) -> _Parsed:
    model = MODELS[kind]
    out = _Parsed(source, table=True)
    if not text.strip():
        raise FileProblem(
            Problem(
                "the file is empty; the first line must be the header (at least: "
                + ", ".join(c.name for c in columns(model) if c.required)
                + "), one record per line after it",
                source=source,
                row=1,
            )
        )
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except csv.Error as err:
        raise FileProblem(
            Problem(f"the header cannot be read as CSV: {err}", source=source, row=1)
        ) from None
    header = [h.strip() for h in header]
    skip = _check_header(header, model, source, problems)
    n_cols = len(header)
    previous = reader.line_num
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as err:
            problems.append(
                Problem(
                    f"this row cannot be read as CSV: {err}; check its quotes",
                    source=source,
                    row=previous + 1,
                )
            )
            break
        line, previous = previous + 1, reader.line_num
        if not any(cell.strip() for cell in row):
            continue  # blank lines and rows of empty cells are not records
        if len(row) != n_cols:
            what = (
                "a cell probably holds an unquoted ','; put such a cell in double quotes"
                if len(row) > n_cols
                else "add the missing cells (an empty cell is fine: it means 'not given')"
            )
            problems.append(
                Problem(
                    f"the row has {len(row)} cells but the header has {n_cols} columns; {what}",
                    source=source,
                    row=line,
                    record_id=_cell_id(header, row),
                )
            )
            continue
        cells = {h: c for h, c in zip(header, row) if h not in skip}
        out.lines.append(line)
        record, bad = record_from_cells(model, cells, source=source, row=line, problems=problems)
        bad |= skip
        out.raw.append(cells)
        out.records.append(record)
        out.bad.append(bad)
    return out


def _cell_id(header: list[str], row: list[str]) -> str | None:
    if "id" in header and header.index("id") < len(row):
        return row[header.index("id")].strip() or None
    return None


def _check_header(
    header: list[str], model: type[BaseModel], source: str, problems: list[Problem]
) -> set[str]:
    """Report header problems; return the names to leave out of the rows.

    The returned set holds the unknown or repeated columns and the fields of missing required
    columns, so the rows are still checked (every problem is found) without repeating the
    header's problem once per row.
    """
    known = {c.name: c for c in columns(model)}
    skip: set[str] = set()
    seen: set[str] = set()
    for i, name in enumerate(header, start=1):
        if not name:
            problems.append(
                Problem(
                    f"column {i} of the header has no name; name it or remove the column",
                    source=source,
                    row=1,
                )
            )
            skip.add(name)
        elif name in seen:
            problems.append(
                Problem("the column appears twice in the header; keep one", source=source, row=1, field=name)
            )
            skip.add(name)
        elif name not in known:
            close = get_close_matches(name, list(known), n=1)
            hint = f"did you mean {close[0]!r}?" if close else "remove it or check its spelling"
            if ";" in name and "," not in name:
                hint = "the file seems to use ';' between cells; matchkit CSV files use ','"
            problems.append(
                Problem(
                    f"is not a column of {_kind_of(model)} (schema v1); {hint}",
                    source=source,
                    row=1,
                    field=name,
                )
            )
            skip.add(name)
        seen.add(name)
    for col in known.values():
        if col.required and col.name not in seen:
            problems.append(
                Problem(
                    f"the required column is missing from the header; add a {col.name!r} column "
                    f"holding {col.expected}",
                    source=source,
                    row=1,
                    field=col.name,
                )
            )
            skip.add(col.field)
    return skip


def _kind_of(model: type[BaseModel]) -> str:
    return next(k for k, m in MODELS.items() if m is model)


def _from_json_items(items: list[tuple[int, Any]], source: str, problems: list[Problem]) -> _Parsed:
    out = _Parsed(source, table=False)
    for line, value in items:
        if not isinstance(value, dict):
            got = type(value).__name__ if value is not None else "null"
            problems.append(
                Problem(
                    f"a record must be a JSON object such as {{\"id\": \"v1\", ...}}, found a "
                    f"{'JSON array' if isinstance(value, list) else got}",
                    source=source,
                    row=line,
                )
            )
            continue
        out.lines.append(line)
        out.raw.append(None)
        out.records.append(value)
        out.bad.append(set())
    return out


def _find_files(folder: Path, fmt: str | None) -> tuple[dict[str, tuple[Path, str]], list[Problem]]:
    found: dict[str, tuple[Path, str]] = {}
    problems: list[Problem] = []
    formats = FORMATS if fmt is None else (fmt,)
    for kind in MODELS:
        hits = [(folder / f"{kind}.{ext}", ext) for ext in formats if (folder / f"{kind}.{ext}").is_file()]
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
            problems.append(
                Problem(
                    f"{wanted} is missing; every dataset folder holds volunteers, organisations "
                    "and needs (a file with no records is fine: a CSV header line, [] in JSON, "
                    "an empty .jsonl file)",
                    source=str(folder),
                    field=kind,
                )
            )
        else:
            found[kind] = hits[0]
    return found, problems


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
    parsed: dict[str, _Parsed] = {}
    if root.is_file():
        if root.suffix.lower() != ".json" or format not in (None, "json"):
            raise InvalidDatasetError(
                [
                    Problem(
                        "is a file; give a folder holding volunteers, organisations and needs "
                        "files, or a .json dataset document",
                        source=str(root),
                    )
                ],
                context=f"dataset {str(root)!r}",
            )
        try:
            doc = parse_document(read_text(root, str(root)), str(root), tuple(MODELS))
        except FileProblem as fp:
            raise InvalidDatasetError([fp.problem], context=f"dataset {str(root)!r}") from None
        for kind in MODELS:
            parsed[kind] = _from_json_items(doc.get(kind, []), str(root), problems)
    elif root.is_dir():
        found, problems = _find_files(root, format)
        for kind, (file, ext) in found.items():
            source = str(file)
            try:
                text = read_text(file, source)
                if ext == "csv":
                    parsed[kind] = _read_csv(text, kind, source, problems)
                elif ext == "json":
                    parsed[kind] = _from_json_items(parse_json_array(text, source), source, problems)
                else:
                    parsed[kind] = _from_json_items(parse_jsonl(text, source, problems), source, problems)
            except FileProblem as fp:
                problems.append(fp.problem)
    else:
        problems.append(
            Problem("does not exist; give a dataset folder or a .json dataset document", source=str(root))
        )
    return _build(parsed, problems, context=f"dataset {str(root)!r}")


def _build(parsed: Mapping[str, _Parsed], problems: list[Problem], *, context: str) -> Dataset:
    """Validate the records of each kind, then the dataset; one error listing everything."""
    models: dict[str, list[BaseModel]] = {}
    # kind -> index among the valid records -> (source, line, id)
    where: dict[str, list[tuple[str, int | None, str]]] = {}
    bad_ids: dict[str, set[str]] = {k: set() for k in MODELS}
    for kind, part in parsed.items():
        model = MODELS[kind]
        names = field_names(model) if part.table else None
        models[kind], where[kind] = [], []
        for line, record, raw, bad in zip(part.lines, part.records, part.raw, part.bad):
            rid = record.get("id")
            rid = str(rid).strip() if rid is not None and str(rid).strip() else None
            try:
                item = model.model_validate(record)
            except ValidationError as err:
                for p in problems_from_validation_error(
                    err, source=part.source, row=line, record_id=rid, field_names=names
                ):
                    p = _explain(p, model, part.table, raw)
                    if not _already_reported(p, bad, model):
                        problems.append(p)
                item = None
            if item is None or bad:
                if rid:
                    bad_ids[kind].add(rid)
                continue
            models[kind].append(item)
            where[kind].append((part.source, line, str(getattr(item, "id", ""))))
    order = {part.source: i for i, part in enumerate(parsed.values())}
    problems.sort(key=lambda p: (order.get(p.source, -1), p.row or 0))
    try:
        dataset = Dataset(**{kind: tuple(items) for kind, items in models.items()})
    except InvalidDatasetError as err:
        dataset = None
        problems += _relocate(err.problems, where, bad_ids)
    if problems:
        raise InvalidDatasetError(problems, context=context)
    assert dataset is not None
    return dataset


def _already_reported(p: Problem, bad: set[str], model: type[BaseModel]) -> bool:
    """A model complaint that follows from a cell the table reader already reported."""
    if not bad:
        return False
    fields = {c.field for c in columns(model) if c.name == p.field or c.field == p.field}
    if fields & bad:
        return True
    return p.field == "remote" and "location" in bad


def _explain(p: Problem, model: type[BaseModel], table: bool, raw: Mapping[str, Any] | None) -> Problem:
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
            expected = "a JSON array of " + expected.split(" such as ")[0].replace("';'-separated ", "")
        elif not table and col.kind in ("lat", "lon"):
            expected = 'a place {"lat": ..., "lon": ...} in degrees'
        msg = f"{msg}; expected {expected}"
    if table and raw is not None and fld in raw:
        value = raw[fld]
    return Problem(msg, source=p.source, row=p.row, field=fld, value=value, record_id=p.record_id)


def _relocate(
    found: Iterable[Problem],
    where: Mapping[str, Sequence[tuple[str, int | None, str]]],
    bad_ids: Mapping[str, set[str]],
) -> list[Problem]:
    """Point dataset-level problems (kind, index) back at their file and line."""
    out = []
    for p in found:
        kind = p.source
        if p.field in ("organisation_id", "vetted_by"):
            parts = p.message.split("'")
            if len(parts) > 2 and parts[1] in bad_ids.get("organisations", set()):
                continue  # that organisation's own record is invalid and already reported
        if kind not in where or p.row is None or p.row >= len(where[kind]):
            out.append(p)
            continue
        source, line, _ = where[kind][p.row]
        msg = p.message
        if p.field == "id" and p.record_id is not None:
            first = next(w for w in where[kind] if w[2] == p.record_id)
            if first[1] is not None and (first[0], first[1]) != (source, line):
                msg += f"; first at line {first[1]}" if first[0] == source else ""
        out.append(
            Problem(msg, source=source, row=line, field=p.field, value=p.value, record_id=p.record_id)
        )
    return out


# -- saving -----------------------------------------------------------------------------------
def _serialise(dataset: Dataset, fmt: str) -> dict[str, bytes]:
    """The three files' bytes, built in memory so a refusal happens before any file is touched."""
    import json

    out: dict[str, bytes] = {}
    for kind, items in dataset:
        model = MODELS[kind]
        source = f"{kind}.{fmt}"
        if fmt == "csv":
            buf = io.StringIO(newline="")
            writer = csv.writer(buf, lineterminator="\n")
            writer.writerow([c.name for c in columns(model)])
            for item in items:
                writer.writerow(list(cells_from_record(model, item, source=source).values()))
            text = buf.getvalue()
        else:
            records = [m.model_dump(mode="json", exclude_none=True) for m in items]
            if fmt == "json":
                text = json.dumps(records, ensure_ascii=False, indent=1, allow_nan=False) + "\n"
            else:
                text = "".join(
                    json.dumps(r, ensure_ascii=False, allow_nan=False) + "\n" for r in records
                )
        try:
            out[f"{kind}.{fmt}"] = text.encode("utf-8")
        except UnicodeEncodeError as err:
            culprit = next(
                (m.id for m in items if _unencodable(m)), "?"  # type: ignore[attr-defined]
            )
            raise InvalidInputError(
                f"{source}: record {culprit!r} holds text that cannot be written as UTF-8 "
                f"({err.reason}: {err.object[err.start:err.end]!r}); correct that text"
            ) from None
    return out


def _unencodable(item: BaseModel) -> bool:
    try:
        item.model_dump_json().encode("utf-8")
        repr(item).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def save_dataset(
    dataset: Dataset, path: str | os.PathLike[str], *, format: str = "csv"
) -> tuple[Path, ...]:
    """Write a dataset as three files in a folder: volunteers, organisations and needs.

    CSV columns follow the schema order (docs/schema.md), sets are ``;``-joined, places are
    two columns. ``load_dataset(path)`` gives back an equal dataset in every format.

    Parameters
    ----------
    dataset : Dataset
    path : str or path-like
        The folder; created if it does not exist. Files of the same name are replaced.
    format : {"csv", "json", "jsonl"}
        ``"json"`` writes an array of records per file, ``"jsonl"`` one record per line.

    Returns
    -------
    tuple of Path
        The three files written.

    Raises
    ------
    InvalidInputError
        Before anything is written: a tag holds ``;`` (CSV only; such a tag could not be
        read back as one tag: rename it or save as JSON), the folder already holds the same
        kind in another format (loading would then be ambiguous), or ``path`` is a file.
    OSError
        If writing fails; the folder is then left as it was (the files are written as
        temporaries and renamed into place, and renamed back on failure).

    Examples
    --------
    >>> import matchkit as mk, tempfile
    >>> ds = mk.Dataset.from_records(volunteers=[{"id": "v1", "skills": ["first_aid", "driving"]}])
    >>> [p.name for p in mk.save_dataset(ds, tempfile.mkdtemp(), format="jsonl")]
    ['volunteers.jsonl', 'organisations.jsonl', 'needs.jsonl']
    """
    check_choice("format", format, FORMATS, caller="save_dataset")
    if not isinstance(dataset, Dataset):
        raise InvalidInputError(
            f"save_dataset needs a matchkit.Dataset, got {type(dataset).__name__}; build one "
            "with matchkit.Dataset.from_records(...)"
        )
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise InvalidInputError(f"{str(folder)!r} is a file; save_dataset writes into a folder")
    clashes = [
        folder / f"{kind}.{ext}"
        for kind in MODELS
        for ext in FORMATS
        if ext != format and (folder / f"{kind}.{ext}").exists()
    ]
    if clashes:
        raise InvalidInputError(
            f"{str(folder)!r} already holds {', '.join(p.name for p in clashes)}; saving as "
            f"{format} next to it would leave two formats of the same records; remove those "
            "files, save into another folder, or save with the same format"
        )
    contents = _serialise(dataset, format)
    # An extension kind this dataset does not hold must not survive from an earlier save.
    stale = [f"{k}.{format}" for k in OPTIONAL_KINDS if f"{k}.{format}" not in contents]
    folder.mkdir(parents=True, exist_ok=True)
    return _write_all(folder, contents, stale=[n for n in stale if (folder / n).exists()])


def _write_all(
    folder: Path, contents: Mapping[str, bytes], *, stale: Sequence[str] = ()
) -> tuple[Path, ...]:
    """Write every file or none: temporaries first, then renames, undone on failure.

    ``stale`` files are removed as part of the same swap (and restored on failure).
    """
    temps: dict[str, Path] = {}
    backups: dict[str, Path] = {}
    moved: list[str] = []
    try:
        for name in stale:
            fd, bak = tempfile.mkstemp(prefix=f".{name}.", suffix=".bak", dir=folder)
            os.close(fd)
            os.replace(folder / name, bak)
            backups[name] = Path(bak)
        for name, data in contents.items():
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
            temps[name] = Path(tmp)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        for name in contents:
            final = folder / name
            if final.exists():
                fd, bak = tempfile.mkstemp(prefix=f".{name}.", suffix=".bak", dir=folder)
                os.close(fd)
                os.replace(final, bak)
                backups[name] = Path(bak)
            os.replace(temps.pop(name), final)
            moved.append(name)
    except BaseException:
        for name in reversed(moved):
            _quiet_unlink(folder / name)
        for name, bak in backups.items():
            try:
                os.replace(bak, folder / name)
            except OSError:
                pass
        for tmp in temps.values():
            _quiet_unlink(tmp)
        raise
    for bak in backups.values():
        _quiet_unlink(bak)
    return tuple(folder / name for name in contents)


def _quiet_unlink(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass


# -- DataFrames -------------------------------------------------------------------------------
def _pandas() -> Any:
    try:
        import pandas
    except ImportError:
        raise ImportError(_PANDAS_HINT) from None
    return pandas


def dataset_from_frames(
    volunteers: Any = None, organisations: Any = None, needs: Any = None, **extensions: Any
) -> Dataset:
    """Build a dataset from pandas DataFrames shaped like the CSV files.

    Columns are the CSV columns (docs/schema.md): sets as ``;``-separated text or as lists,
    places as two number columns, booleans as booleans or true/false text, NaN/None for
    "not given". A missing frame means no records of that kind.

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
    parsed: dict[str, _Parsed] = {}
    unknown = sorted(set(extensions) - set(OPTIONAL_KINDS))
    if unknown:
        raise TypeError(
            f"dataset_from_frames got unexpected frames {unknown}; the kinds are "
            + ", ".join(MODELS)
        )
    frames = {"volunteers": volunteers, "organisations": organisations, "needs": needs, **extensions}
    for kind, frame in frames.items():
        source = f"{kind} DataFrame"
        out = _Parsed(source, table=True)
        parsed[kind] = out
        if frame is None:
            continue
        if not isinstance(frame, pd.DataFrame):
            problems.append(Problem(f"expected a pandas DataFrame, got {type(frame).__name__}", source=source))
            continue
        header = [str(c) for c in frame.columns]
        skip = _check_header(header, MODELS[kind], source, problems)
        for pos, values in enumerate(frame.itertuples(index=False, name=None)):
            cells = {h: v for h, v in zip(header, values) if h not in skip}
            record, bad = record_from_cells(MODELS[kind], cells, source=source, row=pos, problems=problems)
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
        rows = [list(cells_from_record(model, m, source=kind, native=True).values()) for m in items]
        frame = pd.DataFrame(rows, columns=names)
        for col in columns(model):
            if col.kind in ("lat", "lon"):
                frame[col.name] = frame[col.name].astype("float64")
        frames[kind] = frame
    return frames

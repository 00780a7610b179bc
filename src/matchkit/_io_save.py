"""Saving a dataset: three files written as temporaries and renamed into place.

A failure (a value the format cannot hold, a full disk, a rename refused) leaves the folder
as it was: everything is serialised in memory first, then written to temporary files, then
renamed over the old files, which are kept aside and put back if any step fails.
"""

from __future__ import annotations

import csv
import io
import json
import os
import secrets
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from pydantic import BaseModel

from ._dataset import Dataset
from ._exceptions import InvalidInputError, check_choice
from ._io_csv import FORMATS, MODELS, OPTIONAL_KINDS, cells_from_record, columns

__all__ = ["save_dataset"]


def _serialise(dataset: Dataset, fmt: str) -> dict[str, bytes]:
    """The three files' bytes, built in memory so a refusal happens before any file is touched."""
    out: dict[str, bytes] = {}
    for kind, items in dataset:
        model = MODELS[kind]
        source = f"{kind}.{fmt}"
        if fmt == "csv":
            buf = io.StringIO(newline="")
            writer = csv.writer(
                buf, lineterminator="\r\n"
            )  # RFC 4180; a bare CR in a cell gets quoted
            writer.writerow([c.name for c in columns(model)])
            for item in items:
                writer.writerow(
                    list(cells_from_record(model, item, source=source).values())
                )
            text = buf.getvalue()
        else:
            records = [m.model_dump(mode="json", exclude_none=True) for m in items]
            if fmt == "json":
                text = (
                    json.dumps(records, ensure_ascii=False, indent=1, allow_nan=False)
                    + "\n"
                )
            else:
                text = "".join(
                    json.dumps(r, ensure_ascii=False, allow_nan=False) + "\n"
                    for r in records
                )
        try:
            out[f"{kind}.{fmt}"] = text.encode("utf-8")
        except UnicodeEncodeError as err:
            culprit = next(
                (getattr(m, "id", "?") for m in items if _unencodable(m)), "?"
            )
            raise InvalidInputError(
                f"{source}: record {culprit!r} holds text that cannot be written as UTF-8 "
                f"({err.reason}: {err.object[err.start : err.end]!r}); correct that text"
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
        The files written: volunteers, organisations and needs, then offers and requests
        when the dataset holds any.

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
        raise InvalidInputError(
            f"{str(folder)!r} is a file; save_dataset writes into a folder"
        )
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
    return _write_all(
        folder, contents, stale=[n for n in stale if (folder / n).exists()]
    )


def _write_all(
    folder: Path, contents: Mapping[str, bytes], *, stale: Sequence[str] = ()
) -> tuple[Path, ...]:
    """Write every file or none: temporaries first, then renames, undone on failure.

    ``stale`` files are removed as part of the same swap (and restored on failure).
    """
    temps: dict[str, Path] = {}  # written, not yet renamed into place
    spare: list[Path] = []  # every backup name reserved, used or not
    backups: dict[str, Path] = {}  # old files moved aside
    moved: list[str] = []  # new files renamed into place

    def set_aside(name: str) -> None:
        fd, bak = tempfile.mkstemp(prefix=f".{name}.", suffix=".bak", dir=folder)
        os.close(fd)
        spare.append(Path(bak))
        os.replace(folder / name, bak)
        backups[name] = Path(bak)

    try:
        for name, data in contents.items():
            fd, tmp = _new_file(folder, name, like=folder / name)
            temps[name] = tmp
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        for name in stale:
            set_aside(name)
        for name in contents:
            if (folder / name).exists():
                set_aside(name)
            os.replace(temps[name], folder / name)
            del temps[name]
            moved.append(name)
    except BaseException:
        for name in reversed(moved):
            _quiet_unlink(folder / name)
        for name, backup in backups.items():
            try:
                os.replace(backup, folder / name)
            except OSError:  # pragma: no cover - the disk failed twice
                pass
        for path in [*temps.values(), *spare]:
            _quiet_unlink(path)
        raise
    for path in spare:
        _quiet_unlink(path)
    return tuple(folder / name for name in contents)


def _new_file(folder: Path, name: str, *, like: Path) -> tuple[int, Path]:
    """Create a temporary file for ``name`` in ``folder``; return its descriptor and path.

    Its permissions are those of the file it replaces (``like``), or else those any new
    file gets (0o666 less the umask). ``tempfile.mkstemp`` makes files only their owner may
    read (0o600), and renamed into place they kept that mode: a dataset saved for
    colleagues or a web server could be read by nobody else.

    Examples
    --------
    >>> import stat, tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> fd, tmp = _new_file(folder, "needs.csv", like=folder / "needs.csv")
    >>> os.close(fd)
    >>> mask = os.umask(0); _ = os.umask(mask)
    >>> stat.S_IMODE(tmp.stat().st_mode) == 0o666 & ~mask
    True
    """
    try:
        mode = like.stat().st_mode & 0o7777
    except OSError:
        mode = None
    for _ in range(100):
        path = folder / f".{name}.{secrets.token_hex(4)}.tmp"
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        except FileExistsError:  # pragma: no cover - 32 random bits taken
            continue
        if mode is not None:
            try:
                os.chmod(path, mode)
            except OSError:  # pragma: no cover - a file system without modes
                pass
        return fd, path
    raise FileExistsError(f"no free temporary name for {name} in {folder}")  # pragma: no cover


def _quiet_unlink(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass


# matchkit/__init__.py shows save_dataset as matchkit.save_dataset, which hides it from
# doctest's module scan; list it so `pytest --doctest-modules` on this file runs its example.
__test__ = {"save_dataset": save_dataset}

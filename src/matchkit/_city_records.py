"""How the synthetic city turns its arrays into records.

Set-valued fields drawn as boolean matrices become bitmasks, then the tuples the models
store (one tuple per distinct mask, shared); day offsets become dates; ids are numbered
to one width; and records are built from columns of every field without validation
(:func:`build_records`: they are valid by construction, and ``tests/test_datasets.py``
validates them again).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._models import Place

__all__ = ["build_records", "dates", "id_format", "ids", "pack", "places", "tuples"]

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


def pack(bits: BoolArray) -> IntArray:
    """Boolean matrix (n, k) -> int64 bitmask per row (bit j = column j)."""
    weights = np.left_shift(np.int64(1), np.arange(bits.shape[1], dtype=np.int64))
    return (bits.astype(np.int64) * weights).sum(axis=1) if bits.shape[1] else np.zeros(len(bits), np.int64)


def tuples(masks: IntArray, vocab: Sequence[str]) -> list[tuple[str, ...]]:
    """Bitmasks -> tuples of vocabulary entries in vocabulary order (one tuple per mask value).

    Each distinct mask is put together a byte at a time from tables of the 256 tuples
    of each byte's eight entries (the 21 weekly slots of 100k volunteers take about
    90k distinct masks: entry by entry, that was 0.2 s).
    """
    uniq, inverse = np.unique(masks, return_inverse=True)
    bytes_ = [
        [tuple(v for j, v in enumerate(vocab[b : b + 8]) if (x >> j) & 1) for x in range(256)]
        for b in range(0, len(vocab), 8)
    ]
    table = []
    for m in uniq.tolist():
        t: tuple[str, ...] = ()
        for part in bytes_:
            t += part[m & 255]
            m >>= 8
        table.append(t)
    return [table[i] for i in inverse.reshape(-1).tolist()]


def dates(as_of: date, offset_days: IntArray) -> list[date]:
    """The dates ``offset_days`` days after ``as_of``."""
    day = np.datetime64(as_of.isoformat(), "D") + offset_days.astype("timedelta64[D]")
    return day.astype(object).tolist()  # type: ignore[no-any-return]


def id_format(prefix: str, n: int) -> Callable[[int], str]:
    """The id of record ``i`` of ``n``: ``prefix`` and ``i`` zero-padded to one width."""
    return f"{prefix}{{:0{len(str(max(n - 1, 0)))}d}}".format


def ids(prefix: str, n: int) -> list[str]:
    """The ids of ``n`` records (:func:`id_format`)."""
    return list(map(id_format(prefix, n), range(n)))


_STATE = ("__dict__", "__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__")


def build_records(model: type[Any], columns: Mapping[str, Sequence[Any]], n: int) -> list[Any]:
    """``n`` models from columns holding every field (valid by construction).

    Same result as ``model.model_construct`` with all fields given, several times
    faster; the first record is built both ways and compared, and any difference (a
    pydantic release storing more state) falls back to ``model_construct``.
    """
    keys = list(model.model_fields)
    if n == 0:
        return []
    for k in keys:  # fields this generator does not know (schema extensions) get defaults
        if k not in columns:
            columns = {**columns, k: [model.model_fields[k].get_default(call_default_factory=True)] * n}
    rows = zip(*(columns[k] for k in keys))
    first = dict(zip(keys, next(rows)))
    reference = model.model_construct(**first)
    new, setattr_ = object.__new__, object.__setattr__

    def fast(values: dict[str, Any]) -> Any:
        obj = new(model)
        setattr_(obj, "__dict__", values)
        setattr_(obj, "__pydantic_fields_set__", set(keys))
        setattr_(obj, "__pydantic_extra__", None)
        setattr_(obj, "__pydantic_private__", None)
        return obj

    probe = fast(dict(first))
    same = all(getattr(probe, a, None) == getattr(reference, a, None) for a in _STATE)
    if not same or model.__pydantic_post_init__ or any(f.alias for f in model.model_fields.values()):
        return [reference] + [model.model_construct(**dict(zip(keys, row))) for row in rows]
    return [probe] + [fast(dict(zip(keys, row))) for row in rows]


def places(lat: list[float], lon: list[float], keep: list[bool]) -> list[Place | None]:
    """A place per position where ``keep`` is true, else None."""
    kept = {"lat": [a for a, k in zip(lat, keep) if k], "lon": [b for b, k in zip(lon, keep) if k]}
    built = iter(build_records(Place, kept, sum(keep)))
    return [next(built) if k else None for k in keep]

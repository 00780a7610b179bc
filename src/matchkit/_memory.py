"""Large temporary arrays without huge-page stalls.

On Linux, numpy asks the kernel for transparent huge pages on every large array
(``madvise(MADV_HUGEPAGE)``). Where the kernel's THP ``defrag`` setting is ``madvise``
(a common default), a page fault in such an array may stall on synchronous memory
compaction (numpy issue #31590). Building a problem allocates and frees many arrays of a
few megabytes, chunk after chunk; on a 2-core machine with ``defrag=madvise`` the
100k x 10k city's build spent 4-7 s of system time in these stalls, against 1.3-1.9 s
without the advice (numpy >= 1.26, Linux 6.x).

:func:`no_hugepage_advice` switches the advice off while matchkit's heavy steps run and
restores it afterwards. It changes nothing when the user chose already: when the
environment variable ``NUMPY_MADVISE_HUGEPAGE`` is set, or where numpy has no such switch.
Only speed is affected, never a result.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, TypeVar

import numpy as np

__all__ = ["no_hugepage_advice", "without_hugepage_advice"]

_lock = threading.Lock()
_depth = 0
_saved: bool | None = None

F = TypeVar("F", bound=Callable[..., Any])


def _switch() -> Callable[[bool], bool] | None:
    if os.environ.get("NUMPY_MADVISE_HUGEPAGE") is not None:
        return None
    core = getattr(np, "_core", None) or getattr(np, "core", None)
    multiarray = getattr(core, "multiarray", None)
    fn = getattr(multiarray, "_set_madvise_hugepage", None)
    return fn if callable(fn) else None


@contextmanager
def no_hugepage_advice() -> Iterator[None]:
    """Switch numpy's huge-page advice off inside the block (nested and threaded use is safe).

    The first block to enter switches it off and the last to leave restores it.

    Examples
    --------
    >>> with no_hugepage_advice():
    ...     a = np.zeros(1 << 20)
    >>> float(a.sum())
    0.0
    """
    global _depth, _saved
    switch = _switch()
    if switch is None:
        yield
        return
    with _lock:
        if _depth == 0:
            _saved = bool(switch(False))
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _saved is not None:
                switch(_saved)
                _saved = None


def without_hugepage_advice(fn: F) -> F:
    """Decorator form of :func:`no_hugepage_advice`."""

    @wraps(fn)
    def inner(*args: Any, **kwargs: Any) -> Any:
        with no_hugepage_advice():
            return fn(*args, **kwargs)

    return inner  # type: ignore[return-value]

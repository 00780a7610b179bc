"""Heavy steps without memory-management stalls: huge-page advice and garbage collection.

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

:func:`collection_paused` does the same for Python's cyclic garbage collector. A round
at 100k volunteers allocates hundreds of thousands of small objects (proposals, reasons,
ledger records), and each full collection walks every live object, the dataset's
records included: 0.4-1 s of a warm re-plan that takes 1.4-4 s without them. Inside
the block automatic collections are paused (``gc.disable``); objects are still freed by
reference counting as they go out of use, and the few reference cycles made meanwhile
are collected by the next collection after the block. Freezing the old objects instead
(``gc.freeze``) was tried: the collections of the new objects alone still cost most of it.
It changes nothing when the collector is already off. The switch is process-wide: other
threads' collections wait too while a block runs. So the blocks hold only matchkit's own
work (building, the ledger, proposals, reasons, metrics), never a solver (which may be
the user's) or other user code.

:func:`keep_as_old` is for a block that made a large set of lasting objects (a
dataset): it files them with the collector's oldest objects at once. Otherwise the next
two automatic collections each walk all of them on the way there: 0.16 s and 0.13 s for
a 100k-volunteer city's 0.75 M objects, in the middle of the next step.
:func:`makes_lasting_objects` runs a function that returns such a set (generating,
loading or validating a dataset) with collection paused and files its objects so when it
returns. Loading a 100k city's CSV files spent 2.6 s of its 5.4 s in collections that
found nothing to free, each walking every record read so far; a ``Dataset`` of its
records as dicts, 0.6 s of 2.0 s. Below :data:`MANY_YOUNG` new objects, nothing is filed.

:func:`release_free_memory` hands memory that is free inside the C heap back to the
system (glibc's ``malloc_trim``) after a step that made and dropped many arrays.

:func:`share_the_main_heap` makes every thread allocate from glibc's main heap, for a
process that runs matchkit alone (the command line, a benchmark's child process).
"""

from __future__ import annotations

import ctypes
import functools
import gc
import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, TypeVar

import numpy as np

__all__ = [
    "MANY_YOUNG",
    "as_heavy_step",
    "collection_paused",
    "heavy_step",
    "keep_as_old",
    "makes_lasting_objects",
    "no_hugepage_advice",
    "release_free_memory",
    "share_the_main_heap",
]

_lock = threading.Lock()
_depth = 0
_saved: bool | None = None
_gc_depth = 0
_gc_paused = False

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


@contextmanager
def collection_paused() -> Iterator[None]:
    """Pause automatic garbage collection inside the block (nested and threaded use is safe).

    The first block to enter pauses it and the last to leave resumes it.

    Examples
    --------
    >>> import gc
    >>> with collection_paused():
    ...     rows = [{"n": i} for i in range(3)]
    >>> gc.isenabled()
    True
    """
    global _gc_depth, _gc_paused
    with _lock:
        if _gc_depth == 0:
            _gc_paused = gc.isenabled()
            if _gc_paused:
                gc.disable()
        _gc_depth += 1
    try:
        yield
    finally:
        with _lock:
            _gc_depth -= 1
            if _gc_depth == 0 and _gc_paused:
                if not gc.isenabled():  # as the first block left it
                    gc.enable()
                _gc_paused = False


#: :func:`keep_as_old` acts only on at least this many young objects (a collection of
#: them all would take tens of milliseconds); fewer are left to the collector.
MANY_YOUNG = 100_000


def keep_as_old(*, at_least: int | None = None) -> bool:
    """File every object the garbage collector tracks with its oldest generation, without
    a collection, when the young ones are many; returns whether it did.

    Call it when the objects made since the last collection are lasting ones (a dataset
    just built with collection paused): collections of the young generations then no
    longer walk them. Objects that are garbage already wait for the next full
    collection instead. ``gc.freeze()`` and ``gc.unfreeze()`` together move the objects
    without looking at them. Nothing is done below ``at_least`` young objects (default
    :data:`MANY_YOUNG`): frequent small calls would otherwise keep the young collections
    from ever running. Nor when the application has frozen objects (an unfreeze would
    thaw them too).

    Examples
    --------
    >>> import gc
    >>> with collection_paused():
    ...     rows = [{"n": [i]} for i in range(1000)]
    ...     keep_as_old()  # (fewer than MANY_YOUNG young objects)
    ...     keep_as_old(at_least=1000) and gc.get_count()[0] < 10
    False
    True
    """
    least = MANY_YOUNG if at_least is None else at_least
    if gc.get_count()[0] < least or gc.get_freeze_count():
        return False
    gc.freeze()
    gc.unfreeze()
    return True


def makes_lasting_objects(fn: F) -> F:
    """Decorator: run ``fn`` with collection paused (:func:`collection_paused`) and, when
    it returns, file what it made with the oldest objects (:func:`keep_as_old`, when they
    are many). For a function whose result is many objects that last (a dataset); when it
    raises, its leftovers are collected as usual."""

    @wraps(fn)
    def inner(*args: Any, **kwargs: Any) -> Any:
        with collection_paused():
            out = fn(*args, **kwargs)
            keep_as_old()
        return out

    return inner  # type: ignore[return-value]


@contextmanager
def heavy_step() -> Iterator[None]:
    """:func:`no_hugepage_advice` and :func:`collection_paused` together."""
    with no_hugepage_advice(), collection_paused():
        yield


def as_heavy_step(fn: F) -> F:
    """Decorator: run ``fn`` inside :func:`heavy_step`."""

    @wraps(fn)
    def inner(*args: Any, **kwargs: Any) -> Any:
        with heavy_step():
            return fn(*args, **kwargs)

    return inner  # type: ignore[return-value]


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None where the C library has none (checked once)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None)
        fn = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_size_t]
    fn.restype = ctypes.c_int
    return fn


#: glibc's ``mallopt`` parameter for the most heaps ("arenas") threads may use.
_M_ARENA_MAX = -8


def share_the_main_heap() -> bool:
    """Let every thread allocate from glibc's main heap (``mallopt(M_ARENA_MAX, 1)``).

    By default glibc gives threads heaps of their own. The build's worker threads score
    chunks into arrays of a few megabytes; freed in a thread's heap, their pages go back
    to the kernel and the next chunk faults them in again, which is slow where memory is
    (a 2-core virtual machine: the 100k x 10k city's build spent 1.2-2.1 s of system time,
    and 0.7-1.3 s with one heap; its time went from 3.6-4.1 s to 3.5-3.6 s, each over
    several runs). The main heap keeps such pages for reuse.

    It is process-wide, so only the command line and the benchmark's child processes call
    it, before any work; a library user can get the same with the environment variable
    ``MALLOC_ARENA_MAX=1``. Nothing is done when that variable is set (glibc has read
    it), or without glibc. Only speed and memory are affected, never a result. Returns
    whether it was set.

    Examples
    --------
    >>> isinstance(share_the_main_heap(), bool)
    True
    """
    if not sys.platform.startswith("linux") or "MALLOC_ARENA_MAX" in os.environ:
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_ARENA_MAX, 1))


def release_free_memory() -> None:
    """Hand memory that is free inside the C heap back to the system (glibc only).

    numpy arrays below glibc's mmap threshold (which grows up to 32 MB as large blocks
    are freed) live in the heap, and the worker threads' arenas keep them once freed: a
    100k build left about 0.4-0.7 GB resident that nothing used. ``malloc_trim(0)`` returns
    those pages; it changes no value and costs milliseconds. Elsewhere it does nothing.

    Examples
    --------
    >>> release_free_memory()
    """
    fn = _malloc_trim()
    if fn is not None:
        fn(0)

"""How many worker threads matchkit's vectorised steps use.

numpy releases the interpreter lock inside its loops, so slices of one large array
operation can run on several threads at once. The build scores chunks of candidates and
sorts volunteer ranges this way; passes over every edge (the flow method's integer
weights and pricing, the count of blocking pairs) take runs of slices through
:func:`in_runs`; :func:`meanwhile` runs one such step beside the Python of another.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from ._exceptions import InvalidInputError

__all__ = ["in_runs", "meanwhile", "worker_threads"]

T = TypeVar("T")


def worker_threads() -> int:
    """Worker threads: ``MATCHKIT_THREADS``, else the CPUs (at most 4); 1 = no threads.

    Examples
    --------
    >>> worker_threads() >= 1
    True
    """
    raw = os.environ.get("MATCHKIT_THREADS", "").strip()
    if raw:
        try:
            return max(1, int(raw))
        except ValueError:
            raise InvalidInputError(
                f"MATCHKIT_THREADS must be a whole number of threads (1 = no threads); "
                f"got {raw!r}"
            ) from None
    return max(1, min(4, os.cpu_count() or 1))


def in_runs(fn: Callable[[int, int], T], n: int, step: int) -> list[T]:
    """``fn(lo, hi)`` over ``0 .. n`` cut into one run of whole ``step``-slices per worker
    thread (:func:`worker_threads`, at most one per slice); the results in run order.

    ``fn`` must be safe to run on several threads at once: each run writes its own part
    of any shared output.

    Examples
    --------
    >>> in_runs(lambda lo, hi: (lo, hi), 10, 4)[-1][1]
    10
    >>> sum(hi - lo for lo, hi in in_runs(lambda lo, hi: (lo, hi), 10, 4))
    10
    """
    n_slices = -(-n // step) if n > 0 else 1
    parts = max(1, min(worker_threads(), n_slices))
    bounds = [min(n, n_slices * i // parts * step) for i in range(parts + 1)]
    bounds[-1] = n
    if parts == 1:
        return [fn(0, n)]
    with ThreadPoolExecutor(max_workers=parts) as pool:
        return list(pool.map(fn, bounds[:-1], bounds[1:]))


def meanwhile(fn: Callable[..., T], *args: Any) -> Callable[[], T]:
    """Start ``fn(*args)`` on a thread of its own; the function returned waits for it and
    gives its result, or raises its error. With one worker thread (:func:`worker_threads`)
    ``fn`` runs at once, on the caller's thread.

    For vectorised work beside Python work: numpy's loops release the interpreter lock.

    Examples
    --------
    >>> total = meanwhile(sum, range(10))
    >>> total()
    45
    """
    if worker_threads() == 1:
        value = fn(*args)
        return lambda: value
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = fn(*args)
        except BaseException as exc:  # (handed to the caller)  # noqa: BLE001
            box["error"] = exc

    thread = threading.Thread(target=run, name="matchkit-meanwhile", daemon=True)
    thread.start()

    def result() -> T:
        thread.join()
        if "error" in box:
            raise box["error"]
        return box["value"]  # type: ignore[no-any-return]

    return result

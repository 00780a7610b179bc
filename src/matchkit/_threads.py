"""How many worker threads matchkit's vectorised steps use.

numpy releases the interpreter lock inside its loops, so slices of one large array
operation can run on several threads at once: the build scores chunks of candidates this
way, and the flow method's pricing checks slices of the edges.
"""

from __future__ import annotations

import os

from ._exceptions import InvalidInputError

__all__ = ["worker_threads"]


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

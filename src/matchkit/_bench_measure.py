"""Time and peak memory of one call, in this process or in a fresh child process.

Peak memory is the kernel's high-water mark of resident memory (``VmHWM``), reset just
before the call through ``/proc/self/clear_refs`` where Linux allows it; "delta" is that
peak minus the resident memory before the call. Elsewhere ``tracemalloc`` gives the
Python allocations' peak instead (numpy arrays included).
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Measured", "measure", "run_child", "system_time"]

MB = 2**20


def _status(field: str) -> int | None:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _reset_peak() -> int | None:
    """Reset the peak-RSS mark; return the current RSS in bytes (None where impossible)."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        return None
    return _status("VmRSS")


def system_time() -> tuple[float, int] | None:
    """This process's kernel CPU time (s) and minor page faults so far, all threads
    (None where the platform has no ``resource`` module)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return None
    use = resource.getrusage(resource.RUSAGE_SELF)
    return use.ru_stime, use.ru_minflt


@dataclass(frozen=True)
class Measured:
    """Best time of the runs, peak memory of the first, and the last result."""

    seconds: float
    delta_mb: float
    peak_mb: float
    runs: int
    result: Any


def measure(fn: Callable[[], Any], repeat: int = 1, *, single_above: float = 10.0) -> Measured:
    """Run ``fn`` up to ``repeat`` times (once if a run takes over ``single_above`` s).

    Examples
    --------
    >>> m = measure(lambda: sum(range(1000)), repeat=2)
    >>> m.result, m.runs, m.seconds >= 0
    (499500, 2, True)
    """
    best = float("inf")
    delta = peak = float("nan")
    result: Any = None
    runs = 0
    for k in range(max(1, repeat)):
        gc.collect()
        before = _reset_peak()
        if before is None and k == 0:
            tracemalloc.start()
        t0 = time.perf_counter()
        result = fn()
        took = time.perf_counter() - t0
        best = min(best, took)
        runs += 1
        if k == 0:
            if before is None:
                peak = delta = tracemalloc.get_traced_memory()[1] / MB
                tracemalloc.stop()
            else:
                hwm = _status("VmHWM") or before
                delta, peak = (hwm - before) / MB, hwm / MB
        if took > single_above:
            break
    return Measured(best, delta, peak, runs, result)


def _limit_memory(max_bytes: int | None) -> Callable[[], None]:
    def apply() -> None:  # runs in the child before exec
        import resource

        if max_bytes:
            resource.setrlimit(resource.RLIMIT_AS, (max_bytes, max_bytes))
        _die_with_parent()

    return apply


def _die_with_parent() -> None:
    """Linux: the child gets SIGTERM when the benchmark process dies (no orphans)."""
    try:
        import ctypes
        import signal

        ctypes.CDLL(None).prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _stages(out: str) -> dict[str, float]:
    """The ``{"stage": ..., "seconds": ...}`` lines a child wrote before it stopped."""
    stages: dict[str, float] = {}
    for ln in out.splitlines():
        if ln.startswith('{"stage"'):
            rec = json.loads(ln)
            stages[rec["stage"]] = rec["seconds"]
    return stages


def _finished(stages: dict[str, float]) -> str:
    done = ", ".join(f"{k} {v:.1f} s" for k, v in stages.items())
    return f" (stage times until then: {done})" if done else ""


def run_child(
    request: dict[str, Any], *, timeout: float | None, max_bytes: int | None = None
) -> dict[str, Any]:
    """Run one measurement in a fresh Python process; return its JSON answer.

    The child runs ``matchkit._bench.child_main`` with ``request`` on stdin. A child
    that runs past ``timeout`` seconds is killed (``status="timeout"``); one that fails
    (for example out of the ``max_bytes`` address-space limit) gives ``status="error"``
    with the last line it wrote to stderr.
    """
    code = "import sys; from matchkit._bench import child_main; sys.exit(child_main())"
    env = dict(os.environ, MATCHKIT_PROGRESS="0")
    try:
        done = subprocess.run(
            [sys.executable, "-c", code],
            check=False,
            input=json.dumps(request),
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            preexec_fn=_limit_memory(max_bytes) if os.name == "posix" else None,
        )
    except subprocess.TimeoutExpired as stopped:
        out = stopped.stdout.decode() if isinstance(stopped.stdout, bytes) else (stopped.stdout or "")
        stages = _stages(out)
        return {"status": "timeout", "error": f"stopped after {timeout:.0f} s" + _finished(stages),
                "partial_stages": stages}
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{") and not ln.startswith('{"stage"')]
    if done.returncode != 0 or not lines:
        err = [ln for ln in done.stderr.strip().splitlines() if ln.strip()]
        why = err[-1] if err else f"exit code {done.returncode}"
        stages = _stages(done.stdout)
        return {"status": "error", "error": why[:300] + _finished(stages), "partial_stages": stages}
    answer: dict[str, Any] = json.loads(lines[-1])
    return answer

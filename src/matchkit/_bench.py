"""``matchkit bench``: named, seeded instance families run against every installed peer.

Each (instance, solver) run is measured in this process, or with ``isolate=True`` in a
fresh child process (clean memory figures, a time limit and an optional memory limit).
Values are recomputed from the returned pairs and checked against the reference
(matchkit's default method): a disagreement is reported and makes the run fail. Results
go to ``bench.json`` and ``bench.md`` (one Markdown table per family, with the machine).
The library never prints: lines go to the ``say`` callback, and the same lines to the
``matchkit`` logger at DEBUG level.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import platform
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from ._bench_instances import (
    dense_costs,
    fingerprint,
    hospital_residents,
    orlib_dirs,
    read_orlib,
    volunteer_problem,
)
from ._bench_measure import measure, run_child, system_time
from ._bench_peers import CONTENDERS, Contender, available, city_peer
from ._bench_report import markdown, peer_text, system_text
from ._exceptions import InvalidInputError

__all__ = ["FAMILIES", "Family", "child_main", "machine", "run_bench"]

log = logging.getLogger("matchkit")

ORLIB_OPTIMA = {"assign100": 305, "assign500": 991, "assign600": 1176, "assign700": 1362}


@dataclass(frozen=True)
class Family:
    """A named family: its kind, the sizes of the full run and of ``--quick``."""

    name: str
    kind: str
    sizes: tuple[Any, ...]
    quick: tuple[Any, ...]
    about: str


FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        Family("dense-uniform", "assignment", (500, 1000, 2000, 4000), (200,),
               "min-cost perfect assignment, dense n x n costs U[0, 1000], seed 1"),
        Family("dense-ties", "assignment", (500, 1000, 2000, 4000), (200,),
               "the same on tie-heavy costs: L1 distance of 8-dim skill profiles (0..32)"),
        Family("orlib", "assignment", ("assign100", "assign500", "assign600", "assign700"),
               ("assign100",), "OR-Library assignment instances with published optima"),
        Family("volunteer", "bmatching", (1_000, 10_000, 100_000), (1_000,),
               "V volunteers, V/10 roles with capacity U[1, 20], ~50 candidates each, "
               "scores U[0, 1000], seed 2; unmatched allowed, maximum total score"),
        Family("volunteer-scarce", "bmatching", (1_000, 10_000, 100_000), (1_000,),
               "the same with role capacity U[1, 5]: about 70 % stay unmatched"),
        Family("stable", "stable", ((1_000, 100), (5_000, 500), (20_000, 2_000)), ((1_000, 100),),
               "hospital/residents, resident-optimal; each resident ranks 10 hospitals, seed 3"),
        Family("city", "city", ((10_000, 1_000), (100_000, 10_000)), ((2_000, 200),),
               "synthetic city end to end with matchkit.match (default method): generate, "
               "build, solve, propose, write proposals.csv and reasons.csv"),
        Family("city-csv", "city", ((10_000, 1_000), (100_000, 10_000)), ((2_000, 200),),
               "the same city saved as CSV files first (not timed), then end to end: "
               "load_dataset, build, solve, propose, write"),
    )
}


def machine() -> dict[str, Any]:
    """The machine and the versions of everything measured.

    Examples
    --------
    >>> m = machine()
    >>> m["cores"] >= 1 and "numpy" in m["packages"]
    True
    """
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), cpu)
    except OSError:
        pass
    mem = None
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):
        pass
    from importlib.metadata import PackageNotFoundError, version

    packages = {}
    for name in ("matchkit", "numpy", "scipy", "networkx", "ortools", "lap", "matching"):
        try:
            packages[name] = version(name)
        except PackageNotFoundError:
            pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count() or 1,
        "memory_gb": round(mem, 1) if mem else None,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "packages": packages,
    }


def _label(family: str, size: Any) -> str:
    if family == "orlib":
        return str(size)
    if isinstance(size, (tuple, list)):
        return " x ".join(f"{s:,}" for s in size)
    return f"n={size:,}" if family.startswith("dense") else f"{size:,}"


def _size_of(size: Any) -> int:
    if isinstance(size, str):
        return int("".join(c for c in size if c.isdigit()) or 0)
    if isinstance(size, (tuple, list)):
        return int(size[0])
    return int(size)


def make_instance(family: str, size: Any, orlib: str | None = None) -> Any:
    """The seeded instance of ``family`` at ``size`` (cost matrix, problem or arrays)."""
    if family in ("dense-uniform", "dense-ties"):
        return dense_costs("uniform" if family == "dense-uniform" else "ties", int(size))
    if family == "orlib":
        dirs = [Path(orlib)] if orlib else orlib_dirs()
        for d in dirs:
            if (d / f"{size}.txt").is_file():
                return read_orlib(d / f"{size}.txt")
        raise FileNotFoundError(f"{size}.txt not found in {', '.join(map(str, dirs))} (--orlib DIR)")
    if family in ("volunteer", "volunteer-scarce"):
        return volunteer_problem(int(size), scarce=family == "volunteer-scarce")
    if family == "stable":
        return hospital_residents(int(size[0]), int(size[1]))
    raise InvalidInputError(f"no instance generator for family {family!r}")


def _instance_sha(inst: Any) -> str:
    if isinstance(inst, np.ndarray):
        return fingerprint(inst)
    if hasattr(inst, "edge_left"):
        return fingerprint(inst.edge_left, inst.edge_right, inst.weight, inst.right_capacity)
    return fingerprint(inst.left, inst.right, inst.hospital_utility, inst.capacity)


def _contender(kind: str, name: str) -> Contender:
    for c in CONTENDERS:
        if c.kind == kind and c.name == name:
            return c
    raise InvalidInputError(f"no contender {name!r} for {kind} instances")


_WARM: set[tuple[str, str]] = set()
_TINY = {"assignment": ("dense-uniform", 12), "bmatching": ("volunteer", 60), "stable": ("stable", (60, 60))}


def _warm(c: Contender) -> None:
    """Run ``c`` once on a tiny instance, unmeasured: imports and first-call costs
    (loading OR-Tools, scipy's graph routines...) stay out of the timings."""
    if (c.kind, c.name) in _WARM:
        return
    _WARM.add((c.kind, c.name))
    family, size = _TINY[c.kind]
    try:
        c.run(make_instance(family, size))
    except Exception as err:  # noqa: BLE001 - the measured run reports the error
        log.debug("warm-up of %s failed: %s", c.name, err)


def _measure_solver(family: str, size: Any, name: str, repeat: int, orlib: str | None) -> dict[str, Any]:
    inst = make_instance(family, size, orlib)
    c = _contender(FAMILIES[family].kind, name)
    _warm(c)
    try:
        m = measure(lambda: c.run(inst), repeat)
    except Exception as err:  # noqa: BLE001 - a peer failing is a result, not a crash
        return {"status": "error", "error": f"{type(err).__name__}: {err}"[:300],
                "instance_sha": _instance_sha(inst)}
    out = m.result
    return {
        "status": "ok", "seconds": m.seconds, "delta_mb": m.delta_mb, "peak_mb": m.peak_mb,
        "runs": m.runs, "value": out.value, "pairs_sha": out.pairs, "info": out.info,
        "instance_sha": _instance_sha(inst),
    }


class _StageClock:
    """Times the build (round_problem) and solve inside match() by wrapping the names it
    calls; ``system`` gets their kernel CPU time where the platform tells it."""

    def __init__(self, on_stage: Callable[[str, float], None] | None = None) -> None:
        self.seconds = {"build": 0.0, "solve": 0.0}
        self.system = {"build": 0.0, "solve": 0.0}
        self.on_stage = on_stage

    def __enter__(self) -> _StageClock:  # noqa: PYI034
        from . import _match

        self._saved = (getattr(_match, "round_problem"), getattr(_match, "solve"))  # noqa: B009

        def timed(key: str, fn: Callable[..., Any]) -> Callable[..., Any]:
            def wrapper(*a: Any, **k: Any) -> Any:
                t0, s0 = time.perf_counter(), system_time()
                try:
                    return fn(*a, **k)
                finally:
                    self.seconds[key] += time.perf_counter() - t0
                    s1 = system_time()
                    if s0 is not None and s1 is not None:
                        self.system[key] += s1[0] - s0[0]
                    if self.on_stage is not None:
                        self.on_stage(key, self.seconds[key])

            return wrapper

        setattr(_match, "round_problem", timed("build", self._saved[0]))  # noqa: B010
        setattr(_match, "solve", timed("solve", self._saved[1]))  # noqa: B010
        return self

    def __exit__(self, *exc: object) -> None:
        from . import _match

        setattr(_match, "round_problem", self._saved[0])  # noqa: B010
        setattr(_match, "solve", self._saved[1])  # noqa: B010


def _write_results(result: Any, folder: Path) -> None:
    """proposals.csv and reasons.csv. The full per-entity diagnoses (diagnostics.csv)
    are an analysis export, not part of a round, and are left out."""
    result.to_csv(folder, diagnostics=False)


def _measure_city(
    size: Any,
    repeat: int,
    on_stage: Callable[[str, float], None] | None = None,
    *,
    limits: bool = True,
    from_files: bool = False,
) -> dict[str, Any]:
    """End to end: generate, build, solve, propose (the rest of match), write CSV files;
    then, outside the measured time and memory, the peer check (:func:`city_peer`).
    With ``from_files``, the city is saved as CSV files first (not measured), and the
    first stage is loading them (``load``, not ``generate``).

    ``on_stage(name, seconds)`` is called as each stage ends (a child process reports
    them as it goes, so a run stopped by its time limit still tells where it was)."""
    stage = on_stage or (lambda name, seconds: None)
    from ._bench_measure import _reset_peak, _status
    from ._io import load_dataset
    from ._io_save import save_dataset
    from ._match import match
    from .datasets import DEFAULT_AS_OF, synthetic_city

    n_v, n_n = int(size[0]), int(size[1])
    with tempfile.TemporaryDirectory() as folder:
        if from_files:
            save_dataset(synthetic_city(n_v, n_n, seed=0), folder)
            gc.collect()
        first = "load" if from_files else "generate"
        before = _reset_peak()
        sys0 = system_time()
        t0 = time.perf_counter()
        ds = load_dataset(folder) if from_files else synthetic_city(n_v, n_n, seed=0)
        t_gen = time.perf_counter() - t0
    sys1 = system_time()
    stage(first, t_gen)
    with _StageClock(stage) as clock:
        t1 = time.perf_counter()
        result = match(ds, as_of=DEFAULT_AS_OF)
        t_match = time.perf_counter() - t1
    sys2 = system_time()
    with tempfile.TemporaryDirectory() as tmp:
        t2 = time.perf_counter()
        _write_results(result, Path(tmp))
        t_write = time.perf_counter() - t2
    stage("write", t_write)
    total = time.perf_counter() - t0
    sys3 = system_time()
    hwm = _status("VmHWM")
    peer = city_peer(result, limits=limits)
    stages = {
        first: t_gen,
        "build": clock.seconds["build"],
        "solve": clock.seconds["solve"],
        "propose": t_match - clock.seconds["build"] - clock.seconds["solve"],
        "write": t_write,
    }
    # Kernel time per stage: mostly page faults, whose cost varies with the machine
    # (a virtual machine's host may have taken freed memory back).
    system: dict[str, float] = {}
    faults = None
    if sys0 is not None and sys1 is not None and sys2 is not None and sys3 is not None:
        system = {
            first: sys1[0] - sys0[0],
            "build": clock.system["build"],
            "solve": clock.system["solve"],
            "propose": max(sys2[0] - sys1[0] - clock.system["build"] - clock.system["solve"], 0.0),
            "write": sys3[0] - sys2[0],
        }
        faults = sys3[1] - sys0[1]
    return {
        "status": "ok", "seconds": total, "stages": stages, "stages_system": system,
        "page_faults": faults, "runs": 1,
        "delta_mb": (hwm - before) / 2**20 if hwm and before else float("nan"),
        "peak_mb": hwm / 2**20 if hwm else float("nan"),
        "value": float(result.metrics["objective"]), "pairs_sha": "",
        "info": {"edges": result.problem.n_edges, "proposals": len(result.proposals),
                 "fill_rate": result.metrics.get("fill_rate"),
                 "backend": str(result.assignment.info.get("backend", result.method))},
        "instance_sha": "", "peer": peer,
    }


def _city_in_process(
    size: Any, repeat: int, limits: bool = True, from_files: bool = False
) -> dict[str, Any]:
    stages: dict[str, float] = {}
    try:
        return _measure_city(size, repeat, stages.__setitem__, limits=limits, from_files=from_files)
    except Exception as err:  # noqa: BLE001 - reported as the row's result
        done = ", ".join(f"{k} {v:.1f} s" for k, v in stages.items())
        return {"status": "error", "error": f"{type(err).__name__}: {err}"[:300]
                + (f" (stage times until then: {done})" if done else ""), "partial_stages": stages}


def child_main() -> int:
    """Entry of a child process: read a request on stdin, write one JSON line."""
    import sys

    from ._memory import share_the_main_heap

    share_the_main_heap()  # as the command line does
    req = json.loads(sys.stdin.read())
    size = tuple(req["size"]) if isinstance(req["size"], list) else req["size"]
    if FAMILIES[req["family"]].kind == "city":

        def report(name: str, seconds: float) -> None:
            sys.stdout.write(json.dumps({"stage": name, "seconds": seconds}) + "\n")
            sys.stdout.flush()

        out = _measure_city(size, req["repeat"], report, limits=req.get("limits", True),
                            from_files=req["family"] == "city-csv")
    else:
        out = _measure_solver(req["family"], size, req["solver"], req["repeat"], req.get("orlib"))
    sys.stdout.write(json.dumps(out, default=float) + "\n")
    return 0


def _agree(kind: str, rows: list[dict[str, Any]]) -> None:
    """Mark each ok row with ``agrees`` and the ratios against the reference row."""
    ok = [r for r in rows if r["status"] == "ok"]
    if kind == "city":  # no peer row: the round's pairs solved again (see city_peer)
        for r in ok:
            peer = r.get("peer") or {}
            r["agrees"] = bool(peer.get("agrees", True)) if peer.get("status") == "ok" else True
        return
    if not ok:
        return
    ref = next((r for r in ok if r.get("reference")), ok[0])
    shas = {r["instance_sha"] for r in ok}
    for r in ok:
        if kind == "stable":
            same = r["pairs_sha"] == ref["pairs_sha"]
        else:
            same = abs(r["value"] - ref["value"]) <= 1e-9 * max(1.0, abs(ref["value"]))
        r["agrees"] = bool(same and len(shas) == 1)
        r["time_ratio"] = r["seconds"] / ref["seconds"] if ref["seconds"] > 0 else None
        r["mem_ratio"] = max(r["delta_mb"], 1.0) / max(ref["delta_mb"], 1.0)
        r["reference_solver"] = ref["solver"]


def run_bench(
    *,
    quick: bool = False,
    families: Sequence[str] | None = None,
    out: str | os.PathLike[str] | None = None,
    isolate: bool = False,
    repeat: int | None = None,
    timeout: float = 300.0,
    max_memory_gb: float | None = None,
    limits: bool = True,
    orlib: str | None = None,
    say: Callable[[str], None] = lambda line: None,
) -> dict[str, Any]:
    """Run the benchmark; return (and with ``out``, write) the results.

    Parameters
    ----------
    quick : bool
        The small size of each family only (about a minute in all).
    families : sequence of str, optional
        Names from :data:`FAMILIES` (default: all).
    out : path, optional
        Folder for ``bench.json`` and ``bench.md``.
    isolate : bool
        One fresh child process per (instance, solver): clean memory figures, and
        ``timeout`` / ``max_memory_gb`` apply.
    repeat : int, optional
        Runs per measurement, best time kept (default 1 with ``quick``, else 3); a run
        over 10 s is not repeated.
    limits : bool
        Skip peers on sizes where they take minutes (see ``Contender.max_size``).
    orlib : str, optional
        Folder with the OR-Library files (default: ``$MATCHKIT_ORLIB``, ./tests/data).

    Examples
    --------
    >>> res = run_bench(quick=True, families=["orlib"])
    >>> all(r["agrees"] for r in res["results"] if r["status"] == "ok")
    True
    """
    names = list(families) if families else list(FAMILIES)
    unknown = [n for n in names if n not in FAMILIES]
    if unknown:
        raise InvalidInputError(
            f"unknown benchmark family {unknown[0]!r}; choose from {', '.join(FAMILIES)}"
        )
    rep = repeat if repeat is not None else (1 if quick else 3)
    max_bytes = int(max_memory_gb * 2**30) if max_memory_gb else None
    doc: dict[str, Any] = {
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(), "quick": quick, "isolate": isolate, "repeat": rep,
        "families": {n: FAMILIES[n].about for n in names}, "results": [],
    }
    t_all = time.perf_counter()
    for name in names:
        fam = FAMILIES[name]
        for size in fam.quick if quick else fam.sizes:
            label = _label(name, size)
            if fam.kind == "city":
                plan: list[Contender | None] = [None]
            else:
                plan = [c for c in CONTENDERS if c.kind == fam.kind]
            rows: list[dict[str, Any]] = []
            for c in plan:
                solver = "matchkit match" if c is None else c.name
                row: dict[str, Any] = {"family": name, "instance": label, "size": size,
                                       "solver": solver, "reference": c is None or c.reference}
                if c is not None and not available(c.requires):
                    row.update(status="skipped", error=f"{c.requires} not installed")
                elif c is not None and limits and c.max_size and _size_of(size) > c.max_size:
                    row.update(status="skipped", error=f"above its size limit ({c.max_size:,})")
                elif c is not None and quick and c.slow:
                    row.update(status="skipped", error="slow: left out of --quick")
                elif isolate:
                    req = {"family": name, "size": size, "solver": solver, "repeat": rep, "orlib": orlib,
                           "limits": limits}
                    row.update(run_child(req, timeout=timeout, max_bytes=max_bytes))
                elif c is None:
                    row.update(_city_in_process(size, rep, limits, name == "city-csv"))
                else:
                    try:
                        row.update(_measure_solver(name, size, solver, rep, orlib))
                    except FileNotFoundError as err:
                        row.update(status="skipped", error=str(err))
                rows.append(row)
                say(_line(row))
                log.debug("bench %s", row)
            if name == "orlib":
                for r in rows:
                    if r["status"] == "ok":
                        r["optimum"] = ORLIB_OPTIMA.get(str(size))
            _agree(fam.kind, rows)
            if name == "orlib":
                for r in rows:
                    if r["status"] == "ok" and r.get("optimum") is not None:
                        r["agrees"] = r["agrees"] and r["value"] == r["optimum"]
            doc["results"].extend(rows)
    doc["seconds"] = time.perf_counter() - t_all
    doc["disagreements"] = [
        f"{r['family']} {r['instance']}: {r['solver']}"
        for r in doc["results"] if r["status"] == "ok" and not r.get("agrees", True)
    ]
    if out is not None:
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "bench.json").write_text(json.dumps(doc, indent=1, default=float) + "\n")
        (folder / "bench.md").write_text(markdown(doc), encoding="utf-8")
        doc["written"] = [str(folder / "bench.json"), str(folder / "bench.md")]
    return doc


def _line(row: dict[str, Any]) -> str:
    head = f"{row['family']:<17} {row['instance']:<16} {row['solver']:<24}"
    if row["status"] != "ok":
        return f"{head} {row['status']}: {row.get('error', '')}"
    extra = ""
    if "stages" in row:
        extra = "  " + ", ".join(f"{k} {v:.2f} s" for k, v in row["stages"].items())
        if row.get("info", {}).get("backend"):
            extra += f" (flow backend: {row['info']['backend']})"
        if row.get("peer"):
            extra += f"; OR-Tools on its pairs {peer_text(row['peer'], strong='')}"
        if row.get("stages_system"):
            extra += f"; system time {system_text(row)}"
    # (the kernel's peak and current sizes are counted a little apart: a growth of about
    # nothing may read as a fraction of a MB below zero)
    grew = max(row["delta_mb"], 0.0)
    return f"{head} {row['seconds']:>9.3f} s {grew:>8.0f} MB  value {row['value']:,.6g}{extra}"

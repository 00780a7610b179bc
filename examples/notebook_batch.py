# %% [markdown]
# # A batch run from a notebook
#
# Read the three CSV files of a dataset into pandas DataFrames, match one round, look at
# the proposals as a DataFrame and write a report (HTML and Markdown) and CSV exports.
# Open this file in Jupyter (jupytext) or VS Code and run it cell by cell, or run it as
# a script: ``python examples/notebook_batch.py [--data DIR] [--out DIR]``. Without
# ``--data`` it writes a small synthetic city first. Without pandas it falls back to the
# plain CSV reader (``matchkit.load_dataset``) and the csv module.

# %% Parameters and imports
from __future__ import annotations

import argparse
import csv
import sys
import tempfile
from pathlib import Path
from typing import Any

import matchkit as mk
from matchkit.datasets import DEFAULT_AS_OF

try:
    import pandas as pd
except ImportError:  # the batch still runs, on plain CSV
    pd = None


def parameters(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="match a dataset folder in batch and write a report")
    parser.add_argument("--data", default=None,
                        help="dataset folder (CSV files are read with pandas; JSON through matchkit)")
    parser.add_argument("--out", default=None, help="output folder (default: a temporary one)")
    parser.add_argument("--volunteers", type=int, default=1000, help="size of the sample city")
    parser.add_argument("--needs", type=int, default=100)
    parser.add_argument("--as-of", default=DEFAULT_AS_OF.isoformat(), help="the round's date")
    parser.add_argument("--no-pandas", action="store_true", help="use the plain CSV path")
    # parse_known_args: a notebook kernel passes its own arguments
    return parser.parse_known_args(argv)[0]


# %% 1. A dataset folder (a sample city when none is given)
def sample_folder(folder: Path, n_volunteers: int, n_needs: int) -> Path:
    city = mk.datasets.synthetic_city(n_volunteers, n_needs, seed=11)
    mk.save_dataset(city, folder, format="csv")
    return folder


# %% 2. Read the CSV files into DataFrames, then into a validated Dataset
KINDS = ("volunteers", "organisations", "needs", "offers", "requests")  # the last two: in-kind help


def read(folder: Path, use_pandas: bool) -> tuple[mk.Dataset, dict[str, Any]]:
    files = {kind: folder / f"{kind}.csv" for kind in KINDS if (folder / f"{kind}.csv").is_file()}
    if not use_pandas:
        return mk.load_dataset(folder), {}
    if not {"volunteers", "organisations", "needs"} <= set(files):
        # JSON or JSON Lines files, or a .json document: matchkit reads them, pandas gets the frames
        ds = mk.load_dataset(folder)
        return ds, mk.dataset_to_frames(ds)
    # keep_default_na=False: an empty cell stays "" (matchkit reads it as "not given")
    frames = {kind: pd.read_csv(path, dtype=str, keep_default_na=False) for kind, path in files.items()}
    return mk.dataset_from_frames(**frames), frames


# %% 3. Match one round
def run(ds: mk.Dataset, as_of: str) -> mk.MatchResult:
    return mk.match(ds, as_of=as_of, shortlist=2)


# %% 4. Proposals as a table, by organisation
def summarise(result: mk.MatchResult, ds: mk.Dataset, use_pandas: bool) -> str:
    rows = [{"volunteer_id": p.volunteer_id, "need_id": p.need_id,
             "organisation_id": ds.need(p.need_id).organisation_id, "score": round(p.score, 3),
             "alternatives": len(p.alternatives)} for p in result.proposals]
    if use_pandas:
        table = pd.DataFrame(rows, columns=["volunteer_id", "need_id", "organisation_id", "score", "alternatives"])
        by_org = (table.groupby("organisation_id")
                  .agg(proposals=("need_id", "size"), mean_score=("score", "mean"))
                  .sort_values("proposals", ascending=False))
        return by_org.head(5).to_string()
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["organisation_id"]] = counts.get(r["organisation_id"], 0) + 1
    top = sorted(counts.items(), key=lambda kv: -kv[1])[:5]
    return "organisation_id  proposals\n" + "\n".join(f"{o:<16} {n}" for o, n in top)


# %% 5. Write the report and the exports
def write(result: mk.MatchResult, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    html = result.to_html(out / "report.html")
    md = out / "report.md"
    md.write_text(result.to_markdown(), encoding="utf-8")
    files = [Path(html), md, *map(Path, result.to_csv(out / "csv"))]
    with open(out / "proposals-plain.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["volunteer_id", "need_id", "score"])
        w.writerows((p.volunteer_id, p.need_id, f"{p.score:.4f}") for p in result.proposals)
    return [*files, out / "proposals-plain.csv"]


# %% Run the whole batch (in a notebook: main(["--out", "batch-out"]))
def main(argv: list[str] | None = None) -> int:
    args = parameters(argv)
    use_pandas = pd is not None and not args.no_pandas
    if pd is None:
        print("pandas is not installed: reading the CSV files with matchkit.load_dataset instead")
    if args.data and not Path(args.data).exists():
        print(f"--data {args.data}: no such folder; give a dataset folder (volunteers, "
              "organisations and needs files) or a .json dataset document", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(args.out) if args.out else Path(tmp) / "out"
        folder = Path(args.data) if args.data else sample_folder(Path(tmp) / "data", args.volunteers, args.needs)
        try:
            ds, frames = read(folder, use_pandas)
        except mk.InvalidDatasetError as err:  # every problem, with its file, line and field
            print(err, file=sys.stderr)
            return 1
        for kind, frame in frames.items():
            print(f"{kind}: DataFrame of {frame.shape[0]} rows x {frame.shape[1]} columns")
        result = run(ds, args.as_of)
        print(f"{len(result.proposals)} proposals for {len(ds.volunteers)} volunteers and "
              f"{len(ds.needs)} needs (fill rate {result.metrics.get('fill_rate') or 0:.1%})")
        print(summarise(result, ds, use_pandas))
        written = write(result, out)
        print(f"wrote {len(written)} files to {out}: "
              + ", ".join(str(p.relative_to(out)) for p in written[:4]) + ", ..."
              + ("" if args.out else " (temporary; use --out DIR)"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

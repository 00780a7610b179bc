"""Run the whole benchmark: the same as ``matchkit bench`` (all arguments are passed on).

    python benchmarks/run_all.py --quick                  # about a minute
    python benchmarks/run_all.py --isolate --out results  # the full table, fresh process per run

See benchmarks/README.md for how the table in README.md and RESULTS.md is made.
"""

from __future__ import annotations

import sys

from matchkit.cli import main

if __name__ == "__main__":
    raise SystemExit(main(["bench", *sys.argv[1:]]))

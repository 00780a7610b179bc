"""Quickstart: load a dataset, match one round, and read the explanations.

Run ``python examples/quickstart.py`` (``--volunteers 500 --needs 50`` for a smaller
city, ``--out DIR`` to keep the files). It generates a seeded synthetic city, saves it as
the three CSV files of schema v1 (volunteers.csv, organisations.csv, needs.csv), loads
that folder back as you would load your own data, matches one round, and prints why each
of a few volunteers got their proposal, why someone got nothing and why a need keeps
free places.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import matchkit as mk
from matchkit.datasets import DEFAULT_AS_OF


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--volunteers", type=int, default=2000)
    parser.add_argument("--needs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", default=None, help="folder for the files (default: a temporary one)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(args.out) if args.out else Path(tmp)

        # 1. Data: here a seeded synthetic city, written as CSV; your own data is a
        #    folder with the same three files (see docs/schema.md).
        city = mk.datasets.synthetic_city(args.volunteers, args.needs, seed=args.seed)
        mk.save_dataset(city, out / "data", format="csv")
        ds = mk.load_dataset(out / "data")
        print(f"loaded {len(ds.volunteers)} volunteers, {len(ds.organisations)} organisations, "
              f"{len(ds.needs)} needs from {out / 'data'}")

        # 2. One round of proposals. as_of fixes "today" (ages, end dates): the city was
        #    generated around DEFAULT_AS_OF. shortlist=2 offers up to two alternatives.
        result = mk.match(ds, as_of=DEFAULT_AS_OF, shortlist=2)
        fill = result.metrics.get("fill_rate")
        print(f"{len(result.proposals)} proposals, {len(result.unmatched)} volunteers without "
              f"an offer, {len(result.unfilled)} needs with free places"
              + (f", fill rate {fill:.1%}" if fill is not None else ""))

        # 3. Why: every proposal carries its reasons, for the volunteer or the organisation.
        best = sorted(result.proposals, key=lambda p: -p.score)[:2]
        for p in best:
            print(f"\n{p.volunteer_id} -> {p.need_id} (score {p.score:.2f}, "
                  f"{len(p.alternatives)} alternative(s))")
            for audience in ("volunteer", "organisation"):
                text = result.explain(p.volunteer_id, p.need_id, audience=audience)
                print(f"  to the {audience}:\n    " + text.replace("\n", "\n    "))

        # 4. Why not: unmatched volunteers and unfilled needs carry a reason too.
        for vid, reason in list(result.unmatched.items())[:1]:
            print(f"\nwhy {vid} got no offer: {reason}")
        for nid in list(result.unfilled)[:1]:
            print(f"\nwhy {nid} keeps free places:\n  " + str(result.why_unfilled(nid)).replace("\n", "\n  "))

        files = result.to_csv(out / "results")
        print(f"\nwrote {len(files)} CSV file(s) to {out / 'results'}"
              + ("" if args.out else " (a temporary folder, removed on exit; use --out DIR)"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

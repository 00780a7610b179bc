"""Real needs, synthetic volunteers: the NYC Service opportunities matched end to end.

Run ``python examples/nyc_service.py [CSV]`` (``--volunteers 500`` for a small run).
CSV is an NYC Service Volunteer Opportunities export (NYC Open Data ``bquu-z2ht``); by
default the copy in this repository's tests/data is used. The script

1. imports the opportunities as needs and derives their organisations, printing what
   was changed or skipped and why (``mk.import_nyc_service``);
2. generates volunteers around New York with the NYC Service categories as their
   interests (``mk.datasets.synthetic_city(center=NYC_CENTER, causes=NYC_CAUSES)``);
3. picks a round date inside the data's date range (the listings end in 2011-2012, so
   with today's date every need would be over) and matches one round.
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

import numpy as np

import matchkit as mk
from matchkit.datasets import NYC_CAUSES, NYC_CENTER

SAMPLE = Path(__file__).resolve().parent.parent / "tests" / "data" / "nyc-service-sample.csv"


def busiest_day(needs: tuple[mk.Need, ...]) -> date:
    """The day on which the most needs are running (start <= day <= end)."""
    starts = np.array([(n.start_date or date.min).toordinal() for n in needs])
    ends = np.array([(n.end_date or date.max).toordinal() for n in needs])
    lo, hi = int(starts[starts > 1].min()), int(ends[ends < date.max.toordinal()].max())
    days = np.arange(lo, hi + 1)
    running = ((starts[None, :] <= days[:, None]) & (ends[None, :] >= days[:, None])).sum(axis=1)
    return date.fromordinal(int(days[int(np.argmax(running))]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", nargs="?", default=str(SAMPLE), help="the NYC Service CSV file")
    parser.add_argument("--volunteers", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args(argv)
    if not Path(args.csv).is_file():
        parser.error(f"{args.csv}: no such file (give the NYC Service CSV as the first argument)")

    # 1. Needs and organisations from the real table.
    imported = mk.import_nyc_service(args.csv)
    print(imported.summary())
    nyc = imported.dataset

    # 2. The round's date, and volunteers generated around New York on that date.
    as_of = busiest_day(nyc.needs)
    live = {n.id for n in nyc.needs if n.end_date is None or n.end_date >= as_of}
    print(f"\nround date {as_of}: {len(live)} of {len(nyc.needs)} needs not over yet")
    city = mk.datasets.synthetic_city(
        args.volunteers, 0, seed=args.seed, center=NYC_CENTER, radius_km=15,
        causes=NYC_CAUSES, languages={"en": 0.95, "es": 0.25, "zh": 0.06}, as_of=as_of,
    )

    # NYC Service approved every listing before publishing it: the import records it as
    # the vetting volunteer centre (vetted_by "nyc-service"), so the needs pass the policy
    # check that holds back unvetted needs.
    ds = mk.Dataset(volunteers=city.volunteers, organisations=nyc.organisations, needs=nyc.needs)

    # 3. One round.
    result = mk.match(ds, as_of=as_of)
    placed = sum(1 for _ in result.proposals)
    # result.unfilled also lists the needs that are over on the round date: count the others.
    free = sum(1 for need_id in result.unfilled if need_id in live)
    print(f"{placed} proposals for {len(ds.volunteers)} volunteers; "
          f"{free} of the {len(live)} needs not over keep free places; "
          f"fill rate {result.metrics.get('fill_rate') or 0:.1%}")
    by_cause: dict[str, int] = {}
    for p in result.proposals:
        for c in ds.need(p.need_id).causes:
            by_cause[c] = by_cause.get(c, 0) + 1
    for cause, count in sorted(by_cause.items(), key=lambda kv: -kv[1]):
        print(f"  {cause:<28} {count:>5} proposals")
    if result.proposals:
        p = max(result.proposals, key=lambda q: q.score)
        print(f"\nbest proposal, {p.volunteer_id} -> {p.need_id}:\n  "
              + result.explain(p.volunteer_id, p.need_id).replace("\n", "\n  "))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The consent loop: offers, answers, re-planning, with a ledger that remembers.

Run ``python examples/consent_loop.py`` (``--volunteers 400 --needs 40 --rounds 3`` for a
small run, ``--out DIR`` to keep the ledger). Every proposal is only an offer. Each round:

1. ``mk.match(ds, ledger=ledger, ...)`` plans on the free places only: accepted
   placements stay locked, rejected pairs never come back, open offers keep their place;
   the round's offers are recorded in the ledger (a SQLite file);
2. volunteers answer (here simulated with ``mk.simulate_answers``; in an app they click
   accept or decline) and each answer goes to ``ledger.accept`` / ``ledger.reject``;
3. the next round re-plans around those answers.

The script checks the promises as it goes: nobody is placed without saying yes, a
rejected pair is never offered again, an acceptance is never revoked.
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import datetime, time, timedelta, timezone
from pathlib import Path

import matchkit as mk
from matchkit.datasets import DEFAULT_AS_OF


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--volunteers", type=int, default=2000)
    parser.add_argument("--needs", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--out", default=None, help="folder for the ledger (default: a temporary one)")
    args = parser.parse_args(argv)

    ds = mk.datasets.synthetic_city(args.volunteers, args.needs, seed=args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.out) if args.out else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "ledger.sqlite"
        path.unlink(missing_ok=True)
        rejected: set[tuple[str, str]] = set()
        accepted: set[tuple[str, str]] = set()
        print("round  day         new offers  accepted  rejected  placements  placement rate")
        with mk.Ledger(path) as ledger:
            for r in range(args.rounds):
                day = DEFAULT_AS_OF + timedelta(days=7 * r)
                result = mk.match(ds, ledger=ledger, shortlist=1, as_of=day)

                offered = {(p.volunteer_id, p.need_id) for p in result.new_proposals}
                offered |= {(p.volunteer_id, a.need_id) for p in result.new_proposals for a in p.alternatives}
                assert not offered & rejected, "a rejected pair was offered again"

                # Two days later the volunteers answer (about 15 % never do: their
                # offers expire after a week and the places are re-planned).
                when = datetime.combine(day + timedelta(days=2), time(12), tzinfo=timezone.utc)
                n_acc = n_rej = 0
                for answer in mk.simulate_answers(result, seed=r):
                    pair = (answer.volunteer_id, answer.need_id)
                    try:
                        if answer.decision == "accept":
                            ledger.accept(*pair, at=when)
                            accepted.add(pair)
                            n_acc += 1
                        else:
                            ledger.reject(*pair, at=when, reason="not for me")
                            rejected.add(pair)
                            n_rej += 1
                    except mk.DecisionError as err:
                        # e.g. the last place went to someone who answered first
                        print(f"       refused: {err}")

                state = ledger.state(as_of=when)
                assert accepted <= set(state.placements), "an acceptance was revoked"
                assert set(state.placements) <= accepted, "someone was placed without saying yes"
                cap = result.metrics.get("open_capacity") or 1
                print(f"{r + 1:>5}  {day}  {len(result.new_proposals):>10}  {n_acc:>8}  {n_rej:>8}"
                      f"  {len(state.placements):>10}  {len(state.placements) / cap:>14.1%}")

            print("(placement rate: placements after the round's answers / open places; the "
                  "fill rate of result.metrics also counts the places that offers hold)")

            # The last plan, explained for one volunteer who is still waiting.
            placed_v = {v for v, _ in state.placements}
            waiting = next((v for v in result.unmatched if v not in placed_v), None)
            if waiting is not None:
                print(f"\nwhy {waiting} has no offer this round: {result.unmatched[waiting]}")
            print(f"\nledger: {len(ledger)} events in {path}"
                  + ("" if args.out else " (temporary; use --out DIR to keep it)"))
            print("every placement was accepted by its volunteer; no rejected pair came back")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Why a volunteer got no proposal and why a need keeps free places (one round).

The round-level reasons are cheap and computed for everyone; the detailed diagnostics
(which rules bind, by how many volunteers, what would change it) are computed on demand
by the explanation layer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from ._dataset import Dataset
from ._models import NeedStatus
from ._problem import MatchProblem
from ._proposals import Reason

__all__ = ["unfilled_reasons", "unmatched_reasons"]

I64 = NDArray[np.int64]


def unmatched_reasons(
    problem: MatchProblem,
    *,
    offered: I64,
    placed: I64,
    degree: I64,
    live_degree: I64,
    budget_bound: NDArray[np.bool_],
    open_offers: I64,
    open_degree: I64 | None = None,
) -> dict[str, Reason]:
    """A reason for every volunteer with no new or open offer this round.

    ``open_degree`` counts each volunteer's undecided acceptable needs that no policy
    check holds back; where it is 0 but ``live_degree`` is not, the reason is
    ``held_back``.
    """
    idx = np.flatnonzero(offered == 0)
    cap = problem.left_capacity[idx]
    n_placed, n_degree, n_live = placed[idx], degree[idx], live_degree[idx]
    no_open = (
        open_degree[idx] == 0 if open_degree is not None else np.zeros(idx.size, dtype=bool)
    )
    # The first rule that applies, in this order, picks the reason (one code per volunteer).
    code = np.select(
        [n_placed >= cap, n_degree == 0, n_live == 0, no_open, budget_bound[idx]],
        [0, 1, 2, 3, 4],
        default=5,
    )
    # The number each message shows; messages are shared between equal numbers.
    shown = np.choose(code, [n_placed, n_degree, n_degree, n_live, open_offers[idx], n_live])
    ids = problem.left_ids
    messages: dict[tuple[int, int], str] = {}
    out: dict[str, Reason] = {}
    for i, c, k, p, m in zip(
        idx.tolist(), code.tolist(), shown.tolist(), n_placed.tolist(), cap.tolist()
    ):
        text = messages.get((c, k))
        if text is None:
            text = messages[(c, k)] = _unmatched_text(c, k)
        if c == 0:
            details: dict[str, int] = {"placements": p, "max_placements": m}
        elif c == 4:
            details = {"open_offers": k}
        else:
            details = {"acceptable_needs": k}
        out[ids[i]] = Reason(_UNMATCHED_CODES[c], text, details)
    return out


_UNMATCHED_CODES = (
    "placed",
    "no_acceptable_need",
    "all_declined",
    "held_back",
    "offer_budget",
    "outcompeted",
)


def _unmatched_text(code: int, k: int) -> str:
    """The message of an unmatched reason (``k`` is the number it shows)."""
    if code == 0:
        return f"already placed: {k} accepted placement(s), the most they asked for"
    if code == 1:
        return (
            "no open need is acceptable under the hard rules (causes they exclude, skills, "
            "languages, checks, age, distance, schedule); see why_not() for a given need"
        )
    if code == 2:
        return (
            f"they rejected or left every acceptable need ({k}); "
            "nothing is proposed again to them"
        )
    if code == 3:
        return (
            f"their {k} acceptable need(s) are held back by policy "
            "checks (for example, not vetted yet) or recorded in the ledger as no longer "
            "open; they are offered once that is fixed"
        )
    if code == 4:
        if k == 0:  # (no open offer, so the weekly limit binds)
            return (
                "the weekly limit of offers is reached; new offers come once a week has "
                "passed since the earlier ones"
            )
        return (
            f"their offer budget is used up ({k} open offer(s) awaiting their answer, or "
            "the weekly limit reached); new offers come once they answer or the week is over"
        )
    return (
        f"their {k} acceptable need(s) were not offered to them this round: the places "
        "went to others or were already taken, or a pair adds nothing to the round's total "
        "(a score of 0; why_unmatched() says which, need by need, with their score against "
        "the lowest of those who hold a place)"
    )


_STATUS_TEXT = {
    NeedStatus.IDEA: (
        "it is still an idea: an organisation whose expertise covers its causes must vet it "
        "before anyone is asked to help (vet_need)"
    ),
    NeedStatus.VETTED: "it is vetted but not opened yet; open it to match volunteers (open_need)",
    NeedStatus.CLOSED: "it is closed",
}


def unfilled_reasons(
    dataset: Dataset,
    problem: MatchProblem,
    *,
    free_places: I64,
    placed: I64,
    degree: I64,
    statuses: Sequence[NeedStatus],
    ended: NDArray[np.bool_],
    blocked: Mapping[str, str],
) -> dict[str, Reason]:
    """A reason for every need with free places left after this round."""
    out: dict[str, Reason] = {}
    for j in np.flatnonzero(free_places > 0).tolist():
        nid = problem.right_ids[j]
        free = int(free_places[j])
        base = {"free_places": free, "placements": int(placed[j])}
        status = statuses[j]
        if status is not NeedStatus.OPEN:
            out[nid] = Reason("not_open", _STATUS_TEXT[status], {**base, "status": status.value})
        elif ended[j]:
            end = dataset.needs[j].end_date
            out[nid] = Reason(
                "ended",
                f"it ended on {end.isoformat() if end else '?'}; extend end_date to match it again",
                base,
            )
        elif nid in blocked:
            out[nid] = Reason(
                "policy",
                f"a policy check keeps it from matching: {blocked[nid]}",
                base,
            )
        elif degree[j] == 0:
            out[nid] = Reason(
                "no_acceptable_volunteer",
                f"no volunteer among the round's pairs meets its hard rules (with top_k, "
                f"among the pairs each volunteer kept); {free} place(s) stay free "
                "(why_unfilled runs the rules against every volunteer and says what would "
                "change it)",
                {**base, "acceptable_volunteers": 0},
            )
        else:
            out[nid] = Reason(
                "candidates_elsewhere",
                f"{int(degree[j])} volunteer(s) could take it, but they are placed, awaiting "
                "answers, declined it, at their offer limit or given other needs by the "
                "round's plan, or a pair adds nothing to its total (a score of 0); "
                f"{free} place(s) stay free (why_unfilled counts each)",
                {**base, "acceptable_volunteers": int(degree[j])},
            )
    return out

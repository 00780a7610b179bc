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
    out: dict[str, Reason] = {}
    for i in np.flatnonzero(offered == 0).tolist():
        vid = problem.left_ids[i]
        cap = int(problem.left_capacity[i])
        if placed[i] >= cap:
            out[vid] = Reason(
                "placed",
                f"already placed: {int(placed[i])} accepted placement(s), the most they asked for",
                {"placements": int(placed[i]), "max_placements": cap},
            )
        elif degree[i] == 0:
            out[vid] = Reason(
                "no_acceptable_need",
                "no open need is acceptable under the hard rules (causes they exclude, skills, "
                "languages, checks, age, distance, schedule); see why_not() for a given need",
                {"acceptable_needs": 0},
            )
        elif live_degree[i] == 0:
            out[vid] = Reason(
                "all_declined",
                f"they rejected or left every acceptable need ({int(degree[i])}); "
                "nothing is proposed again to them",
                {"acceptable_needs": int(degree[i])},
            )
        elif open_degree is not None and open_degree[i] == 0:
            out[vid] = Reason(
                "held_back",
                f"their {int(live_degree[i])} acceptable need(s) are held back by policy "
                "checks (for example, not vetted yet); they are offered once that is fixed",
                {"acceptable_needs": int(live_degree[i])},
            )
        elif budget_bound[i]:
            out[vid] = Reason(
                "offer_budget",
                f"their offer budget is used up ({int(open_offers[i])} open offer(s) or the "
                "weekly limit reached); new offers wait until they answer",
                {"open_offers": int(open_offers[i])},
            )
        else:
            out[vid] = Reason(
                "outcompeted",
                f"their {int(live_degree[i])} acceptable need(s) went to volunteers who fit "
                "them better, or have no free place left",
                {"acceptable_needs": int(live_degree[i])},
            )
    return out


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
                f"no volunteer meets its hard rules; {free} place(s) stay free "
                "(explain the need to see which rules bind and what would change it)",
                {**base, "acceptable_volunteers": 0},
            )
        else:
            out[nid] = Reason(
                "candidates_elsewhere",
                f"{int(degree[j])} volunteer(s) could take it, but they are placed, awaiting "
                f"answers, declined it, or fit better elsewhere; {free} place(s) stay free",
                {**base, "acceptable_volunteers": int(degree[j])},
            )
    return out

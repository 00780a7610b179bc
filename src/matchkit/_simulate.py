"""Simulated volunteers who answer offers: a seeded acceptance model for demos and studies.

Each volunteer with offers answers with probability ``respond``. One who answers looks at
the proposal and its alternatives, picks the one they like best (their own utility plus a
little noise), and accepts it with a probability that grows with that utility
(a logistic curve); the other offers of the group are declined. One who does not answer
lets the offers expire. The same seed gives the same answers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._exceptions import InvalidInputError
from ._proposals import MatchResult

__all__ = ["Answer", "simulate_answers"]


@dataclass(frozen=True)
class Answer:
    """A simulated volunteer's answer to one offer: ``"accept"`` or ``"reject"``.

    Examples
    --------
    >>> import matchkit as mk
    >>> result = mk.match(mk.datasets.tiny_city(), as_of="2026-09-01", shortlist=1)
    >>> answers = mk.simulate_answers(result, seed=0)
    >>> answers[0]
    Answer(volunteer_id='v1', need_id='n6', decision='accept')
    >>> [(a.need_id, a.decision) for a in answers if a.volunteer_id == "v2"]
    [('n1', 'reject'), ('n2', 'accept')]
    """

    volunteer_id: str
    need_id: str
    decision: str


def simulate_answers(
    result: MatchResult,
    *,
    seed: int = 0,
    respond: float = 0.85,
    midpoint: float = 0.4,
    steepness: float = 8.0,
    noise: float = 0.05,
    include_open: bool = True,
) -> list[Answer]:
    """Seeded answers of simulated volunteers to a round's offers.

    Parameters
    ----------
    result : MatchResult
        The round whose proposals are answered.
    seed : int
        Same seed, same answers.
    respond : float, default 0.85
        Probability that a volunteer answers at all (else the offers expire).
    midpoint, steepness : float
        P(accept) = 1 / (1 + exp(-steepness * (utility - midpoint))), where utility is the
        volunteer-side utility of the option they like best.
    noise : float
        Standard deviation of the taste noise added when choosing among options.
    include_open : bool, default True
        Also answer offers still open from earlier rounds.

    Examples
    --------
    >>> import matchkit as mk
    >>> result = mk.match(mk.datasets.tiny_city(), as_of="2026-06-01", shortlist=1)
    >>> answers = mk.simulate_answers(result, seed=1)
    >>> answers == mk.simulate_answers(result, seed=1)
    True
    >>> {a.decision for a in answers} <= {"accept", "reject"}
    True
    """
    for name, value in (("respond", respond), ("noise", noise)):
        if not 0.0 <= value <= 1.0:
            raise InvalidInputError(f"{name} must be between 0 and 1; got {value!r}")
    rng = np.random.default_rng(seed)
    out: list[Answer] = []
    for p in result.proposals:
        if p.status == "open" and not include_open:
            continue
        options = [(p.need_id, p.volunteer_utility if np.isfinite(p.volunteer_utility) else p.score)]
        options += [
            (a.need_id, float(a.components.get("volunteer_utility", a.score))) for a in p.alternatives
        ]
        if rng.random() >= respond:
            continue
        utilities = np.array([u for _, u in options], dtype=np.float64)
        pick = int(np.argmax(utilities + rng.normal(0.0, noise, size=utilities.size)))
        p_accept = 1.0 / (1.0 + np.exp(-steepness * (utilities[pick] - midpoint)))
        accepted = rng.random() < p_accept
        for k, (need_id, _) in enumerate(options):
            decision = "accept" if (accepted and k == pick) else "reject"
            out.append(Answer(p.volunteer_id, need_id, decision))
    return out

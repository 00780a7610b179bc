"""Proposals and the round's result: what matchkit offers, and why others got nothing.

These are the plain, immutable records ``match()`` returns. A ``Proposal`` is an *offer*:
the volunteer may accept it, pick one of its ``alternatives`` instead, or reject it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ._dataset import Dataset
from ._problem import Assignment, MatchProblem

__all__ = ["Alternative", "MatchResult", "OfferBudget", "Proposal", "Reason"]


class OfferBudget(BaseModel):
    """How many offers one volunteer may have, so nobody is flooded.

    Parameters
    ----------
    max_open : int, default 4
        Open (undecided) offers a volunteer may hold at once, alternatives included.
    max_per_week : int, default 8
        New offers a volunteer may receive in any 7 days, alternatives included.
    max_new_per_round : int, optional
        New proposals (not counting their alternatives) a volunteer receives in one round.
        With 1, a volunteer who asked for several placements gets them over successive
        rounds, one decision at a time. Default: as many as their free placements.

    Examples
    --------
    >>> import matchkit as mk
    >>> mk.OfferBudget(max_open=2).max_open
    2
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_open: int = Field(4, ge=1)
    max_per_week: int = Field(8, ge=1)
    max_new_per_round: int | None = Field(None, ge=1)


@dataclass(frozen=True)
class Reason:
    """Why a volunteer got no proposal, or why a need keeps free places.

    ``code`` is stable (for programs); ``message`` is plain English (for people);
    ``details`` holds the numbers behind it.
    """

    code: str
    message: str
    details: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Alternative:
    """Another acceptable need offered alongside a proposal (from the shortlist)."""

    need_id: str
    score: float
    components: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Proposal:
    """One offer to one volunteer.

    Attributes
    ----------
    volunteer_id, need_id : str
    score : float
        The pair's weight in [0, 1] (higher is better).
    components : mapping of str to float
        The score components (interest, distance, schedule, ...; see docs/scoring.md).
    alternatives : tuple of Alternative
        Other acceptable needs the volunteer may choose instead; offering them cannot
        overfill any need.
    status : str
        ``"new"`` (made this round) or ``"open"`` (an earlier offer still awaiting answer).
    round : int or None
        The ledger round that made it (None without a ledger).
    """

    volunteer_id: str
    need_id: str
    score: float
    components: Mapping[str, float] = field(default_factory=dict)
    alternatives: tuple[Alternative, ...] = ()
    status: str = "new"
    round: int | None = None

    @property
    def volunteer_utility(self) -> float:
        return float(self.components.get("volunteer_utility", float("nan")))

    @property
    def need_utility(self) -> float:
        return float(self.components.get("need_utility", float("nan")))


@dataclass(frozen=True, eq=False)
class MatchResult:
    """The outcome of one matching round.

    Attributes
    ----------
    proposals : list of Proposal
        This round's new offers, then earlier offers still open.
    unmatched : dict of volunteer_id to Reason
        Every volunteer without a new or open proposal, and why.
    unfilled : dict of need_id to Reason
        Every need with free places left, and why.
    placements : list of (volunteer_id, need_id)
        Accepted placements (from the ledger); they are never taken back.
    metrics : dict
        Fill rate, mean score, distances and more (see docs/metrics.md).
    problem : MatchProblem
        Every acceptable pair of the dataset, scored (before the ledger is applied).
    assignment : Assignment
        The solver's answer on this round's free capacity.
    """

    dataset: Dataset
    as_of: date
    method: str
    proposals: list[Proposal]
    unmatched: dict[str, Reason]
    unfilled: dict[str, Reason]
    placements: list[tuple[str, str]]
    metrics: dict[str, Any]
    problem: MatchProblem
    assignment: Assignment
    round: int | None = None
    free_problem: MatchProblem | None = field(default=None, repr=False)
    context: Mapping[str, Any] = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        return (
            f"MatchResult(n_proposals={len(self.proposals)}, n_unmatched={len(self.unmatched)}, "
            f"n_unfilled={len(self.unfilled)}, method={self.method!r}, "
            f"as_of={self.as_of.isoformat()!r}, round={self.round})"
        )

    def proposal_for(self, volunteer_id: str) -> list[Proposal]:
        """Every proposal (new or open) made to one volunteer."""
        return [p for p in self.proposals if p.volunteer_id == volunteer_id]

    @property
    def new_proposals(self) -> list[Proposal]:
        """Only the offers made in this round."""
        return [p for p in self.proposals if p.status == "new"]

    # -- openness: explanations, diagnostics, report and exports (delegates) ------------

    def explain(self, volunteer_id: str, need_id: str, *, audience: str = "volunteer", lang: str = "en") -> str:
        """Why this pair was proposed or not, in words (see :func:`matchkit.explain`)."""
        from ._explain import explain

        return explain(self, volunteer_id, need_id, audience=audience, lang=lang)

    def explanation(
        self, volunteer_id: str, need_id: str, *, audience: str = "volunteer", lang: str = "en"
    ) -> Any:
        """The structured explanation of a pair (see :func:`matchkit.explanation`)."""
        from ._explain import explanation

        return explanation(self, volunteer_id, need_id, audience=audience, lang=lang)

    def why_unmatched(self, volunteer_id: str, *, lang: str = "en") -> Any:
        """Why a volunteer got no proposal (see :func:`matchkit.why_unmatched`)."""
        from ._diagnostics import why_unmatched

        return why_unmatched(self, volunteer_id, lang=lang)

    def why_unfilled(self, need_id: str, *, lang: str = "en") -> Any:
        """Why a need keeps free places (see :func:`matchkit.why_unfilled`)."""
        from ._diagnostics import why_unfilled

        return why_unfilled(self, need_id, lang=lang)

    def to_html(self, path: Any, *, ledger: Any = None, lang: str = "en") -> Any:
        """Write the round's report as one self-contained HTML file (see docs/metrics.md)."""
        from ._report import write_html

        return write_html(self, path, ledger=ledger, lang=lang)

    def to_markdown(self, *, ledger: Any = None, lang: str = "en") -> str:
        """The round's report as Markdown (for notebooks)."""
        from ._report import render_markdown

        return render_markdown(self, ledger=ledger, lang=lang)

    def to_csv(self, directory: Any, *, lang: str = "en", diagnostics: bool = True) -> Any:
        """Write proposals, reasons and diagnostics as CSV files into ``directory``.

        ``diagnostics=False`` skips the full diagnoses (``diagnostics.csv``), which cost
        about a millisecond per unmatched volunteer or unfilled need.
        """
        from ._export import write_csv

        return write_csv(self, directory, lang=lang, diagnostics=diagnostics)

    def to_json(self, path: Any = None, *, lang: str = "en", diagnostics: bool = True) -> Any:
        """Proposals, reasons, diagnostics and metrics as JSON (written when ``path`` is given)."""
        from ._export import write_json

        return write_json(self, path, lang=lang, diagnostics=diagnostics)

    def to_networkx(self) -> Any:
        """The match graph as a ``networkx.Graph`` (see :func:`matchkit.to_networkx`)."""
        from ._export import to_networkx

        return to_networkx(self)

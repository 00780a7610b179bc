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

    Examples
    --------
    >>> import matchkit as mk
    >>> from matchkit.datasets import tiny_city
    >>> reason = mk.match(tiny_city(), as_of="2026-09-01").unfilled["n5"]
    >>> reason.code, dict(reason.details)
    ('ended', {'free_places': 20, 'placements': 0})
    >>> print(reason)
    it ended on 2026-08-31; extend end_date to match it again
    """

    code: str
    message: str
    details: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Alternative:
    """Another acceptable need offered alongside a proposal (from the shortlist).

    Attributes
    ----------
    need_id : str
    score : float
        The pair's weight in [0, 1] (higher is better).
    components : mapping of str to float
        The score components, as in :class:`Proposal`.

    Examples
    --------
    With room for four at n1, v1 moves there and n6 frees up for v5 to choose instead:

    >>> import matchkit as mk
    >>> from matchkit.datasets import tiny_city
    >>> city = tiny_city()
    >>> roomy = city.replace(needs=[n.model_copy(update={"capacity": 4}) if n.id == "n1"
    ...                             else n for n in city.needs])
    >>> r = mk.match(roomy, as_of="2026-09-01", shortlist=1)
    >>> [(a.need_id, round(a.score, 2)) for a in r.proposal_for("v5")[0].alternatives]
    [('n6', 0.66)]
    """

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

    Examples
    --------
    >>> import matchkit as mk
    >>> from matchkit.datasets import tiny_city
    >>> p = mk.match(tiny_city(), as_of="2026-09-01").proposal_for("v4")[0]
    >>> p.need_id, p.status, round(p.score, 2), p.components["skills"]
    ('n3', 'new', 0.94, 1.0)
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

    Examples
    --------
    >>> import matchkit as mk
    >>> from matchkit.datasets import tiny_city
    >>> r = mk.match(tiny_city(), as_of="2026-09-01")
    >>> r
    MatchResult(n_proposals=6, n_unmatched=1, n_unfilled=3, method='flow', as_of='2026-09-01', round=None)
    >>> sorted(r.unmatched), sorted(r.unfilled), round(r.metrics["fill_rate"], 3)
    (['v6'], ['n3', 'n4', 'n5'], 0.857)
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
        """Every proposal (new or open) made to one volunteer.

        Parameters
        ----------
        volunteer_id : str

        Returns
        -------
        list of Proposal
            In the order of :attr:`proposals`; empty when the volunteer has none.

        Examples
        --------
        >>> import matchkit as mk
        >>> from matchkit.datasets import tiny_city
        >>> r = mk.match(tiny_city(), as_of="2026-09-01")
        >>> [p.need_id for p in r.proposal_for("v2")], r.proposal_for("v6")
        (['n1', 'n2'], [])
        """
        return [p for p in self.proposals if p.volunteer_id == volunteer_id]

    @property
    def new_proposals(self) -> list[Proposal]:
        """Only the offers made in this round."""
        return [p for p in self.proposals if p.status == "new"]

    # -- openness: explanations, diagnostics, report and exports (delegates) ------------

    def explain(self, volunteer_id: str, need_id: str, *, audience: str = "volunteer", lang: str = "en") -> str:
        """Why this pair was proposed or not, in words (see :func:`matchkit.explain`).

        Parameters
        ----------
        volunteer_id, need_id : str
        audience : {"volunteer", "organisation"}
            Who reads it; the organisation's text never gives the volunteer's age or distance.
        lang : {"en", "ru"}

        Returns
        -------
        str

        Examples
        --------
        >>> import matchkit as mk
        >>> from matchkit.datasets import tiny_city
        >>> r = mk.match(tiny_city(), as_of="2026-09-01")
        >>> print(r.explain("v1", "n6").splitlines()[0])
        We suggest "Festival tea stall" with Riverside Bakery.
        >>> print(r.explain("v6", "n2"))
        "Deliver groceries to seniors" with Kazan Volunteer Centre is not open to you:
        - the need is for ages 18 and over, and we do not know your birth date
        """
        from ._explain import explain

        return explain(self, volunteer_id, need_id, audience=audience, lang=lang)

    def explanation(
        self, volunteer_id: str, need_id: str, *, audience: str = "volunteer", lang: str = "en"
    ) -> Any:
        """The structured explanation of a pair (see :func:`matchkit.explanation`).

        Parameters
        ----------
        volunteer_id, need_id : str
        audience : {"volunteer", "organisation"}
        lang : {"en", "ru"}

        Returns
        -------
        Explanation

        Examples
        --------
        >>> import matchkit as mk
        >>> from matchkit.datasets import tiny_city
        >>> e = mk.match(tiny_city(), as_of="2026-09-01").explanation("v1", "n6")
        >>> e.status, e.rank, e.n_options, [n for n, _ in e.other_options]
        ('proposed', 2, 2, ['n1'])
        """
        from ._explain import explanation

        return explanation(self, volunteer_id, need_id, audience=audience, lang=lang)

    def why_unmatched(self, volunteer_id: str, *, lang: str = "en") -> Any:
        """Why a volunteer got no proposal (see :func:`matchkit.why_unmatched`).

        Parameters
        ----------
        volunteer_id : str
        lang : {"en", "ru"}

        Returns
        -------
        Diagnosis
            With ``code="offered"`` when the volunteer has a proposal.

        Examples
        --------
        >>> import matchkit as mk
        >>> from matchkit.datasets import tiny_city
        >>> r = mk.match(tiny_city(), as_of="2026-09-01")
        >>> d = r.why_unmatched("v6")
        >>> d.code, d.considered, dict(d.only_rule), r.why_unmatched("v1").code
        ('no_acceptable_need', 4, {'age_unknown': 1}, 'offered')
        """
        from ._diagnostics import why_unmatched

        return why_unmatched(self, volunteer_id, lang=lang)

    def why_unfilled(self, need_id: str, *, lang: str = "en") -> Any:
        """Why a need keeps free places (see :func:`matchkit.why_unfilled`).

        Parameters
        ----------
        need_id : str
        lang : {"en", "ru"}

        Returns
        -------
        Diagnosis
            With ``code="filled"`` when the need has no free place.

        Examples
        --------
        >>> import matchkit as mk
        >>> from matchkit.datasets import tiny_city
        >>> r = mk.match(tiny_city(), as_of="2026-09-01")
        >>> [r.why_unfilled(n).code for n in ("n1", "n3", "n4", "n5")]
        ['filled', 'candidates_elsewhere', 'not_open', 'ended']
        """
        from ._diagnostics import why_unfilled

        return why_unfilled(self, need_id, lang=lang)

    def to_html(self, path: Any, *, ledger: Any = None, lang: str = "en") -> Any:
        """Write the round's report as one self-contained HTML file (see docs/metrics.md).

        Parameters
        ----------
        path : str or path-like
            The file to write.
        ledger : Ledger, optional
            Adds the ledger's history (placements, decisions) to the report.
        lang : {"en", "ru"}

        Returns
        -------
        pathlib.Path
            The file written.

        Examples
        --------
        >>> import pathlib, tempfile, matchkit as mk
        >>> from matchkit.datasets import tiny_city
        >>> r = mk.match(tiny_city(), as_of="2026-09-01")
        >>> with tempfile.TemporaryDirectory() as d:
        ...     out = r.to_html(pathlib.Path(d) / "round.html")
        ...     out.name, out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
        ('round.html', True)
        """
        from ._report import write_html

        return write_html(self, path, ledger=ledger, lang=lang)

    def to_markdown(self, *, ledger: Any = None, lang: str = "en") -> str:
        """The round's report as Markdown (for notebooks).

        Parameters
        ----------
        ledger : Ledger, optional
            Adds the ledger's history (placements, decisions) to the report.
        lang : {"en", "ru"}

        Returns
        -------
        str

        Examples
        --------
        >>> import matchkit as mk
        >>> from matchkit.datasets import tiny_city
        >>> lines = mk.match(tiny_city(), as_of="2026-09-01").to_markdown().splitlines()
        >>> lines[0], [x for x in lines if x.startswith("| Fill rate |")]
        ('# Matching round report', ['| Fill rate | 85.7% |'])
        """
        from ._report import render_markdown

        return render_markdown(self, ledger=ledger, lang=lang)

    def to_csv(self, directory: Any, *, lang: str = "en", diagnostics: bool = True) -> Any:
        """Write proposals, reasons and diagnostics as CSV files into ``directory``.

        ``diagnostics=False`` skips the full diagnoses (``diagnostics.csv``), which cost
        about a millisecond per unmatched volunteer or unfilled need.

        Parameters
        ----------
        directory : str or path-like
            The folder to write into.
        lang : {"en", "ru"}
        diagnostics : bool, default True

        Returns
        -------
        list of pathlib.Path
            The files written.

        Examples
        --------
        >>> import tempfile, matchkit as mk
        >>> from matchkit.datasets import tiny_city
        >>> r = mk.match(tiny_city(), as_of="2026-09-01")
        >>> with tempfile.TemporaryDirectory() as d:
        ...     [p.name for p in r.to_csv(d)]
        ['proposals.csv', 'reasons.csv', 'diagnostics.csv']
        """
        from ._export import write_csv

        return write_csv(self, directory, lang=lang, diagnostics=diagnostics)

    def to_json(self, path: Any = None, *, lang: str = "en", diagnostics: bool = True) -> Any:
        """Proposals, reasons, diagnostics and metrics as JSON (written when ``path`` is given).

        Parameters
        ----------
        path : str or path-like, optional
            The file to write; without it nothing is written.
        lang : {"en", "ru"}
        diagnostics : bool, default True
            False leaves out the full diagnoses.

        Returns
        -------
        dict
            The JSON document (also when it is written).

        Examples
        --------
        >>> import matchkit as mk
        >>> from matchkit.datasets import tiny_city
        >>> doc = mk.match(tiny_city(), as_of="2026-09-01").to_json()
        >>> len(doc["proposals"]), [(x["id"], x["code"]) for x in doc["reasons"]][:2]
        (6, [('v6', 'no_acceptable_need'), ('n3', 'candidates_elsewhere')])
        """
        from ._export import write_json

        return write_json(self, path, lang=lang, diagnostics=diagnostics)

    def to_networkx(self) -> Any:
        """The match graph as a ``networkx.Graph``.

        Nodes are ``"volunteer:<id>"`` and ``"need:<id>"``; every acceptable pair is an
        edge with its ``weight``, utilities and ``status`` (``"proposed"``, or ``""``
        when not offered).

        Returns
        -------
        networkx.Graph

        Examples
        --------
        >>> import matchkit as mk
        >>> from matchkit.datasets import tiny_city
        >>> g = mk.match(tiny_city(), as_of="2026-09-01").to_networkx()
        >>> g.number_of_nodes(), g.number_of_edges(), g.edges["volunteer:v1", "need:n6"]["status"]
        (12, 8, 'proposed')
        """
        from ._export import to_networkx

        return to_networkx(self)


# matchkit/__init__ renames the module of public classes to "matchkit"; list them so that
# ``pytest --doctest-modules`` on this file still finds the examples of their methods.
__test__ = {"MatchResult": MatchResult}

"""Explain one volunteer-need pair to its reader: why it was (or was not) proposed.

:func:`explanation` builds the structured form (:class:`Explanation`): each score
component with its share of the score, the hard rules checked, and how the pair
compares with the volunteer's other options (for the volunteer) or with the need's
other candidates (for the organisation). :func:`explain` returns its text.

Two readers, two texts (``docs/explanations.md``):

* ``audience="volunteer"`` speaks about the cause, the place and the time, and never
  mentions another volunteer: only this volunteer's own data and the needs (public
  records of organisations) appear in it;
* ``audience="organisation"`` speaks about skills, checks and coverage of the need's
  times. It never gives the volunteer's exact age, birth date or distance from home
  (which would locate their home): only that the rule is met; nor the volunteer's other
  options (other organisations' needs that fit them, and their scores).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from . import _explain_texts as T
from ._exceptions import InvalidInputError, check_choice
from ._roundview import RoundView, need_index, round_view, volunteer_index
from ._rules import (
    RULES,
    ages_at,
    need_rule_failures,
    pair_distances_km,
    pair_rule_failures,
    slots_covered,
    volunteer_rule_failures,
)
from ._scoring import combine
from ._scoring import components as score_components
from ._texts import AUDIENCES, check_lang
from ._weights import NEED_COMPONENTS, VOLUNTEER_COMPONENTS

if TYPE_CHECKING:
    from ._proposals import MatchResult

__all__ = ["Contribution", "Explanation", "RuleCheck", "explain", "explanation"]

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]


@dataclass(frozen=True)
class Contribution:
    """One score component of a pair and what it adds to the score.

    Attributes
    ----------
    component : str
        ``interest``, ``distance``, ``schedule``, ``preferred`` (volunteer side) or
        ``skills``, ``coverage``, ``language`` (need side).
    side : str
        ``"volunteer"`` or ``"need"``.
    value : float
        The component, in [0, 1].
    share : float
        Its weight in the score: ``volunteer_side * w / sum(w of its side)`` (or
        ``1 - volunteer_side`` on the need side). Shares of all components sum to 1.
    points : float
        ``share * value``: what it adds to the score. Points sum to the score.
    neutral : bool
        True when there was nothing to compare and the component is the neutral 0.5
        (``docs/scoring.md``): interests or causes empty, no preferred organisation, no
        desired skill. Texts list such components apart, not as reasons.

    Examples
    --------
    >>> import math, matchkit as mk
    >>> from matchkit.datasets import tiny_city
    >>> e = mk.match(tiny_city(), as_of="2026-09-01").explanation("v1", "n6")
    >>> [(c.component, c.side, round(c.points, 3)) for c in e.contributions[:2]]
    [('coverage', 'need', 0.175), ('skills', 'need', 0.125)]
    >>> math.isclose(sum(c.points for c in e.contributions), e.score)
    True
    >>> [c.component for c in e.contributions if c.neutral]
    ['skills', 'preferred']
    """

    component: str
    side: str
    value: float
    share: float
    points: float
    neutral: bool = False


@dataclass(frozen=True)
class RuleCheck:
    """One hard rule checked for the pair: ``passed`` and a sentence for the reader.

    Attributes
    ----------
    rule : str
        The rule's code, such as ``"languages"``, ``"age"`` or ``"distance"``.
    passed : bool
    text : str
        The sentence for the reader (in the explanation's language and audience).

    Examples
    --------
    >>> import matchkit as mk
    >>> from matchkit.datasets import tiny_city
    >>> e = mk.match(tiny_city(), as_of="2026-09-01").explanation("v6", "n2")
    >>> [(c.rule, c.text) for c in e.rules if not c.passed]
    [('age_unknown', 'the need is for ages 18 and over, and we do not know your birth date')]
    """

    rule: str
    passed: bool
    text: str


@dataclass(frozen=True)
class Explanation:
    """Why one volunteer-need pair was proposed (or not), for one reader.

    Attributes
    ----------
    volunteer_id, need_id, audience, lang : str
    status : str
        ``"proposed"`` (the pair is a proposal), ``"alternative"`` (offered as a
        shortlist alternative), ``"placed"`` (accepted earlier), ``"declined"`` (the
        volunteer rejected or left it), ``"held_back"`` (acceptable, but the need takes
        no offers: a policy check holds it back, or the ledger records it as no longer
        open), ``"not_offered"`` (acceptable, not offered this round) or
        ``"not_acceptable"`` (a hard rule excludes it).
    acceptable : bool
        All hard rules (1-6) hold.
    score, volunteer_utility, need_utility : float or None
        None when the pair is not acceptable.
    contributions : tuple of Contribution
        Largest points first; empty when not acceptable.
    rules : tuple of RuleCheck
        The rules that apply to this need, passed or not.
    rank, n_options : int
        Volunteer audience only: the need's rank (1 = best) among the volunteer's
        acceptable needs that can still be offered to them (not declined, not held
        back), by score, and how many there are (rank 0 when the pair is not among
        them, and for an organisation: the volunteer's other options are not theirs to
        see).
    other_options : tuple of (need_id, score)
        Volunteer audience only: the volunteer's best other acceptable needs (at most
        three).
    candidate_rank, n_candidates : int
        Organisation audience only: the volunteer's rank among the need's acceptable
        volunteers by score, and how many there are (0 otherwise). Counts, never ids.
    text : str
        The explanation in words.

    Examples
    --------
    >>> import matchkit as mk
    >>> from matchkit.datasets import tiny_city
    >>> e = mk.match(tiny_city(), as_of="2026-09-01").explanation("v1", "n6")
    >>> e.status, e.acceptable, round(e.score, 2), e.rank, e.n_options
    ('proposed', True, 0.53, 2, 2)
    >>> print(str(e).splitlines()[0])
    We suggest "Festival tea stall" with Riverside Bakery.
    """

    volunteer_id: str
    need_id: str
    audience: str
    lang: str
    status: str
    acceptable: bool
    score: float | None
    volunteer_utility: float | None
    need_utility: float | None
    contributions: tuple[Contribution, ...]
    rules: tuple[RuleCheck, ...]
    rank: int
    n_options: int
    other_options: tuple[tuple[str, float], ...]
    candidate_rank: int = 0
    n_candidates: int = 0
    facts: Mapping[str, Any] = field(default_factory=dict)
    text: str = ""

    def __str__(self) -> str:
        return self.text


def round_of(result: Any, caller: str) -> RoundView:
    """The round view of ``result``, or an error saying a MatchResult is expected."""
    from ._proposals import MatchResult

    if not isinstance(result, MatchResult):
        raise InvalidInputError(
            f"{caller} needs the MatchResult of matchkit.match(); got "
            f"{type(result).__name__}"
        )
    return round_view(result)


def index_of(view: RoundView, kind: str, item_id: Any, caller: str) -> int:
    """Position of a volunteer (``kind="volunteer"``) or need id, or an error naming it;
    an id of the other kind is said to be one (the two ids swapped)."""
    try:
        hash(item_id)
    except TypeError:
        raise InvalidInputError(
            f"{caller}: a {kind} id is a string; got {type(item_id).__name__} {item_id!r}"
        ) from None
    other, index = ("need", view.nindex) if kind == "volunteer" else ("volunteer", view.vindex)
    if item_id in (view.vindex if kind == "volunteer" else view.nindex) or item_id not in index:
        find = volunteer_index if kind == "volunteer" else need_index
        return find(view, item_id, caller)
    raise InvalidInputError(
        f"{caller}: {item_id!r} is a {other} id, not a {kind} id; pass the volunteer id "
        "first, then the need id"
        if caller in ("explain", "explanation")
        else f"{caller}: {item_id!r} is a {other} id; pass a {kind} id"
    )


def _status(
    result: MatchResult, view: RoundView, vid: str, nid: str, pos: int, held: str
) -> str:
    if (vid, nid) in view.placements:
        return "placed"
    for p in view.proposals_of.get(vid, ()):
        if p.need_id == nid:
            return "proposed"
        if any(a.need_id == nid for a in p.alternatives):
            return "alternative"
    if pos >= 0 and view.excluded_edge[pos]:
        return "declined"
    return "held_back" if held else "not_offered"


def _held_back(result: MatchResult, view: RoundView) -> NDArray[np.bool_]:
    """Needs no offer can go to this round: held back by a policy check, or recorded in
    the ledger as no longer open (whatever the dataset says)."""
    from ._diagnostics import ledger_closed

    return view.blocked_n | ledger_closed(result, view)


def _held_why(result: MatchResult, view: RoundView, ni: int) -> str:
    """``"policy"``, ``"closed"`` (by the ledger) or ``""``: why need ``ni`` is held back."""
    if view.blocked_n[ni]:
        return "policy"
    return "closed" if _held_back(result, view)[ni] else ""


def _facts(result: MatchResult, view: RoundView, vi: int, ni: int) -> dict[str, Any]:
    """Everything the texts may cite about the pair (filtered per audience later)."""
    ds = result.dataset
    v, n = ds.volunteers[vi], ds.needs[ni]
    a = np.array([vi], dtype=np.int64)
    b = np.array([ni], dtype=np.int64)
    enc = view.enc
    avail = set(v.availability)
    return {
        "title": n.title,
        "organisation": ds.organisation(n.organisation_id).name,
        "volunteer_name": v.name or v.id,
        "remote": n.remote,
        "distance_km": float(pair_distances_km(enc, a, b)[0]),
        "max_distance_km": float(v.max_distance_km),
        "causes": list(n.causes),
        "interests": list(v.interests),
        "matched_causes": sorted(set(n.causes) & set(v.interests)),
        "slots": list(n.slots),
        "free_slots": [s for s in n.slots if s in avail],
        "covered": int(slots_covered(enc, a, b)[0]),
        "required_overlap": int(enc.n_required_overlap[ni]),
        "required_skills": list(n.required_skills),
        "desired_skills": list(n.desired_skills),
        "has_desired": sorted(set(n.desired_skills) & set(v.skills)),
        "missing_skills": sorted(set(n.required_skills) - set(v.skills)),
        "languages": list(n.languages),
        "missing_languages": sorted(set(n.languages) - set(v.languages)),
        "extra_languages": max(len(v.languages) - len(n.languages), 0),
        "checks": list(n.required_checks),
        "missing_checks": sorted(set(n.required_checks) - set(v.checks)),
        "min_age": n.min_age,
        "age": int(ages_at(enc, view.day)[vi]),
        "preferred": n.organisation_id in set(v.preferred_organisations),
        "status_value": n.status.value,
        "end_date": n.end_date,
    }


def _applies(rule: str, f: Mapping[str, Any]) -> bool:
    """Rules worth mentioning for this need when they pass."""
    if rule in ("not_open", "ended", "no_place", "age_unknown"):
        return False
    if rule == "skills":
        return bool(f["required_skills"])
    if rule == "languages":
        return bool(f["languages"])
    if rule == "checks":
        return bool(f["checks"])
    if rule == "age":
        return f["min_age"] is not None
    if rule == "remote_not_ok":
        return bool(f["remote"])
    if rule == "distance":
        return not f["remote"]
    if rule == "schedule":
        return bool(f["required_overlap"] > 0)
    return True


def _neutral(result: MatchResult, vi: int, ni: int) -> set[str]:
    """Components with nothing to compare, which are the neutral 0.5."""
    v, n = result.dataset.volunteers[vi], result.dataset.needs[ni]
    out = set()
    if not v.interests or not n.causes:
        out.add("interest")
    if not v.preferred_organisations:
        out.add("preferred")
    if not n.desired_skills:
        out.add("skills")
    return out


def _contributions(
    view: RoundView, vi: int, ni: int, dist: float, neutral: set[str]
) -> tuple[list[Contribution], float, float, float]:
    a = np.array([vi], dtype=np.int64)
    b = np.array([ni], dtype=np.int64)
    comps = score_components(view.enc, a, b, np.array([dist]))
    vu, nu, w = combine(comps, view.weights)
    wts = view.weights
    s = wts.volunteer_side
    out = []
    for side, names, total, part in (
        ("volunteer", VOLUNTEER_COMPONENTS, wts.volunteer_total, s),
        ("need", NEED_COMPONENTS, wts.need_total, 1.0 - s),
    ):
        for k in names:
            share = part * getattr(wts, k) / total
            value = float(comps[k][0])
            out.append(
                Contribution(k, side, value, share, share * value, k in neutral)
            )
    out.sort(key=lambda c: (-c.points, c.component))
    return out, float(vu[0]), float(nu[0]), float(w[0])


#: Score components from the volunteer's private record (their causes, their home, the
#: organisations they prefer): an organisation sees only their sum.
PRIVATE_COMPONENTS = ("interest", "distance", "preferred")


def _private_folded(contribs: list[Contribution]) -> list[Contribution]:
    """``contribs`` with the :data:`PRIVATE_COMPONENTS` replaced by one contribution,
    ``own_preferences``: their points and shares summed, its value the share-weighted mean
    (so the points still add up to the score)."""
    private = [c for c in contribs if c.component in PRIVATE_COMPONENTS]
    if not private:
        return contribs
    share = sum(c.share for c in private)
    points = sum(c.points for c in private)
    folded = Contribution(
        "own_preferences", "volunteer", points / share if share else 0.0, share, points,
        all(c.neutral for c in private),
    )
    out = [c for c in contribs if c.component not in PRIVATE_COMPONENTS] + [folded]
    out.sort(key=lambda c: (-c.points, c.component))
    return out


def _pruned(result: MatchResult) -> bool:
    """The round kept only each volunteer's ``top_k`` best pairs: the problem's edges are
    not all the acceptable pairs."""
    key = result.context.get("key")
    return isinstance(key, tuple) and len(key) == 4 and key[3] is not None


def _scores(view: RoundView, vis: I64, nis: I64) -> F64:
    """The weight (fit score) of acceptable pairs, as the build scores them."""
    comps = score_components(view.enc, vis, nis, pair_distances_km(view.enc, vis, nis))
    return np.asarray(combine(comps, view.weights)[2], dtype=np.float64)


def _needs_of(result: MatchResult, view: RoundView, vi: int) -> tuple[I64, F64]:
    """The volunteer's acceptable needs they have not declined or left, with scores.

    From the problem's edges; after ``top_k`` pruning, from the rules (the edges then
    hold only the volunteer's best pairs)."""
    p = result.problem
    if not _pruned(result):
        e = view.edges_of_volunteer(vi)
        e = e[~view.excluded_edge[e]]
        return p.edge_right[e], np.asarray(p.weight[e], dtype=np.float64)
    from ._diagnostics import declined_by

    fails = pair_free_failures(volunteer_rule_failures(view.enc, vi, view.day))
    needs = np.flatnonzero(fails & ~declined_by(result, view, p.left_ids[vi]))
    return needs, _scores(view, np.full(needs.size, vi, dtype=np.int64), needs)


def _volunteers_of(result: MatchResult, view: RoundView, ni: int) -> tuple[I64, F64]:
    """The need's acceptable volunteers, with scores (from the rules after pruning)."""
    p = result.problem
    if not _pruned(result):
        e = view.edges_of_need(ni)
        return p.edge_left[e], np.asarray(p.weight[e], dtype=np.float64)
    vols = np.flatnonzero(pair_free_failures(need_rule_failures(view.enc, ni, view.day)))
    return vols, _scores(view, vols, np.full(vols.size, ni, dtype=np.int64))


def pair_free_failures(fails: Mapping[str, NDArray[np.bool_]]) -> NDArray[np.bool_]:
    """True where no rule fails."""
    bad = np.zeros(next(iter(fails.values())).shape, dtype=bool)
    for mask in fails.values():
        bad |= mask
    return ~bad


def _options(
    result: MatchResult, view: RoundView, vi: int, ni: int
) -> tuple[int, int, list[tuple[str, float]], int]:
    """Rank of need ``ni`` among the volunteer's live acceptable needs, their count, the best others.

    Live: not declined or left by the volunteer, and open to offers this round (not held
    back by a policy check, nor closed in the ledger); also how many are held back. The
    best others leave out the volunteer's own placements."""
    p = result.problem
    needs, w = _needs_of(result, view, vi)
    held = _held_back(result, view)[needs]
    n_held = int(held.sum())
    needs, w = needs[~held], w[~held]
    order = np.lexsort((needs, -w))
    needs, w = needs[order], w[order]
    hit = np.flatnonzero(needs == ni)
    rank = int(hit[0]) + 1 if hit.size else 0
    # (their own placements count among the needs that fit them, but are no other option)
    vid = p.left_ids[vi]
    others = [
        (p.right_ids[int(j)], float(x))
        for j, x in zip(needs, w)
        if j != ni and (vid, p.right_ids[int(j)]) not in view.placements
    ][:3]
    return rank, int(needs.size), others, n_held


def _candidates(
    result: MatchResult, view: RoundView, vi: int, ni: int
) -> tuple[int, int]:
    vols, w = _volunteers_of(result, view, ni)
    vols = vols[np.lexsort((vols, -w))]
    hit = np.flatnonzero(vols == vi)
    return (int(hit[0]) + 1 if hit.size else 0), int(vols.size)


def explanation(
    result: MatchResult,
    volunteer_id: str,
    need_id: str,
    *,
    audience: str = "volunteer",
    lang: str = "en",
) -> Explanation:
    """The structured explanation of one pair for one reader.

    Parameters
    ----------
    result : MatchResult
    volunteer_id, need_id : str
    audience : {"volunteer", "organisation"}
        Who reads it: the volunteer (cause, place, time) or the need's organisation
        (skills, checks, coverage).
    lang : {"en", "ru"}

    Returns
    -------
    Explanation

    Raises
    ------
    InvalidInputError
        If either id is not in the result's dataset.
    UnknownMethodError
        If ``audience`` or ``lang`` is not one of the listed values.

    Examples
    --------
    >>> import matchkit as mk
    >>> from matchkit.datasets import tiny_city
    >>> r = mk.match(tiny_city(), as_of="2026-09-01")
    >>> e = r.explanation("v4", "n3")
    >>> e.status, e.acceptable, round(sum(c.points for c in e.contributions), 6) == round(e.score, 6)
    ('proposed', True, True)
    >>> r.explanation("v6", "n1").status
    'not_acceptable'
    """
    check_choice("audience", audience, AUDIENCES, caller="explain")
    check_lang(lang, "explain")
    view = round_of(result, "explain")
    vi = index_of(view, "volunteer", volunteer_id, "explain")
    ni = index_of(view, "need", need_id, "explain")
    p = result.problem
    pos = int(p.edge_index(np.array([vi]), np.array([ni]))[0])
    fails = pair_rule_failures(view.enc, np.array([vi]), np.array([ni]), view.day)
    failed = [r for r in RULES if bool(fails[r][0])]
    f = _facts(result, view, vi, ni)
    f["held_back"] = _held_why(result, view, ni)
    f["full"] = bool(view.placed_v[vi] >= p.left_capacity[vi])
    acceptable = not failed
    status = (
        _status(result, view, volunteer_id, need_id, pos, f["held_back"])
        if acceptable
        else "not_acceptable"
    )
    checks = tuple(
        RuleCheck(
            r, r not in failed, T.rule_text(r, r not in failed, f, audience, lang)
        )
        for r in RULES
        if r in failed or _applies(r, f)
    )
    contribs: list[Contribution] = []
    vu = nu = w = None
    if acceptable:
        contribs, vu, nu, w = _contributions(
            view, vi, ni, f["distance_km"], _neutral(result, vi, ni)
        )
    # The volunteer's other options (other organisations' needs, with scores) are
    # theirs alone; an organisation learns the volunteer's rank among its candidates.
    # Nor does it see the parts of the score that come from the volunteer's private
    # preferences one by one (closeness would give the distance from home): their sum.
    if audience != "volunteer":
        contribs = _private_folded(contribs)
    if audience == "volunteer":
        rank, n_options, others, f["held_options"] = _options(result, view, vi, ni)
        c_rank, n_cand = 0, 0
    else:
        rank, n_options, others = 0, 0, []
        c_rank, n_cand = _candidates(result, view, vi, ni)
    titles = {nid: result.dataset.need(nid).title for nid, _ in others}
    exp = Explanation(
        volunteer_id=volunteer_id,
        need_id=need_id,
        audience=audience,
        lang=lang,
        status=status,
        acceptable=acceptable,
        score=w,
        volunteer_utility=vu,
        need_utility=nu,
        contributions=tuple(contribs),
        rules=checks,
        rank=rank,
        n_options=n_options,
        other_options=tuple(others),
        candidate_rank=c_rank,
        n_candidates=n_cand,
        facts=T.public_facts(f, audience),
    )
    text = T.render(exp, f, titles)
    return Explanation(**{**exp.__dict__, "text": text})


def explain(
    result: MatchResult,
    volunteer_id: str,
    need_id: str,
    *,
    audience: str = "volunteer",
    lang: str = "en",
) -> str:
    """Why a volunteer-need pair was proposed, or not, in words for its reader.

    See :func:`explanation` for the parameters and the structured form.

    Examples
    --------
    >>> import matchkit as mk
    >>> from matchkit.datasets import tiny_city
    >>> r = mk.match(tiny_city(), as_of="2026-09-01")
    >>> print(r.explain("v4", "n3").splitlines()[0])
    We suggest "Online reading tutor" with Kazan Volunteer Centre.
    >>> print(r.explain("v4", "n3", lang="ru").splitlines()[0])
    Мы предлагаем вам задачу «Online reading tutor» в организации «Kazan Volunteer Centre».
    """
    return explanation(result, volunteer_id, need_id, audience=audience, lang=lang).text

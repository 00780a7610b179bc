"""Why a volunteer got nothing and why a need keeps free places: counts and counterfactuals.

Everything here is computed from the hard rules, vectorised over all volunteers (for a
need) or all needs (for a volunteer), never guessed:

* ``excluded_by[rule]``: how many the rule excludes (a pair may fail several rules);
* ``only_rule[rule]``: how many the rule alone excludes (every other rule holds), the
  binding rules;
* counterfactuals: the rules re-run with one parameter relaxed (a wider travel radius,
  one required check, skill or language dropped, no minimum age, no fixed times, remote
  work), counting how many *more* become acceptable;
* for a volunteer who had acceptable needs: which of them went to others, and the margin
  between their score and the lowest score among those who hold the need's places.

Texts speak to the volunteer (``why_unmatched``) or to the need's organisation
(``why_unfilled``); a volunteer's text never names or describes another volunteer.
"""

from __future__ import annotations

import dataclasses
import math
import weakref
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from . import _diagnostics_texts as T
from ._encode import Encoded
from ._explain import index_of, round_of
from ._roundview import RoundView
from ._rules import (
    RULES,
    need_rule_failures,
    pair_rule_failures,
    volunteer_rule_failures,
)
from ._texts import check_lang

if TYPE_CHECKING:
    from ._proposals import MatchResult

__all__ = [
    "Competition",
    "Counterfactual",
    "Diagnosis",
    "why_unfilled",
    "why_unmatched",
]

B = NDArray[np.bool_]
I64 = NDArray[np.int64]
#: Rules about the need's own state, reported apart from the rules that compare a pair.
_STATE_RULES = ("not_open", "ended")
#: Travel radii (km) tried for every need besides the one that would fill it.
STANDARD_RADII_KM = (15.0,)
#: The radius that would fill a need is rounded up to a multiple of this (km): told to the
#: organisation, an exact one would give one volunteer's distance from the need's place.
RADIUS_STEP_KM = 5.0


@dataclass(frozen=True)
class Counterfactual:
    """One relaxed parameter and what it would change, recomputed by the rules.

    Attributes
    ----------
    change : str
        ``"radius"``, ``"drop_check"``, ``"drop_skill"``, ``"drop_language"``,
        ``"drop_min_age"``, ``"no_fixed_times"``, ``"remote"`` (a need done remotely) or
        ``"accept_remote"`` (a volunteer who would work remotely).
    value : str or float or None
        The radius in km, or the tag dropped.
    more : int
        How many more volunteers (for a need) or needs (for a volunteer) would be
        acceptable. For ``"remote"`` it is net of the volunteers who take no remote work
        and would drop out; a change that gains none in all is not listed. Volunteers
        who declined or left the need (never acceptable again) and those placed in it
        are not counted, nor, for a volunteer, needs they declined or are placed in.
    free : int
        For a need: how many of those volunteers have no offer and no full set of
        placements this round (they could take it now; for ``"remote"``, net of those
        who would drop out, from 0 to ``more``). For a volunteer: equals ``more``.
    text : str

    Examples
    --------
    >>> import matchkit as mk
    >>> from matchkit.datasets import tiny_city
    >>> r = mk.match(tiny_city(), as_of="2026-09-01", method="stable")
    >>> c = r.why_unfilled("n6").counterfactuals[0]
    >>> c.change, c.more, c.free, c.text
    ('no_fixed_times', 1, 0, 'without fixed times, 1 more volunteer qualifies')
    """

    change: str
    value: Any
    more: int
    free: int
    text: str


@dataclass(frozen=True)
class Competition:
    """An acceptable need that went to others: the volunteer's score against theirs.

    ``weakest_score`` is the lowest score among those who hold the need's places
    (accepted placements and primary proposals); ``margin = your_score - weakest_score``
    (negative: they fit better). With the ``stable`` method scores are the need's side of
    the fit (``need_utility``), which is what a need ranks volunteers by. ``full`` is
    True when accepted placements and open offers from earlier rounds held every place
    before this round's plan was made; then nothing was compared, and
    ``weakest_score`` and ``margin`` are None (as when nobody else holds a place).

    Examples
    --------
    With the ``stable`` method v3 loses the dog walks to two volunteers the need ranks
    at least as high:

    >>> import matchkit as mk
    >>> from matchkit.datasets import tiny_city
    >>> r = mk.match(tiny_city(), as_of="2026-09-01", method="stable")
    >>> c = r.why_unmatched("v3").competition[0]
    >>> c.need_id, c.your_score, c.weakest_score, c.margin, c.holders, c.full
    ('n1', 0.5, 0.5, 0.0, 2, False)
    """

    need_id: str
    your_score: float
    weakest_score: float | None
    margin: float | None
    holders: int
    full: bool
    text: str


@dataclass(frozen=True)
class Diagnosis:
    """Why a volunteer has no proposal, or why a need keeps free places.

    Attributes
    ----------
    subject : str
        ``"volunteer"`` or ``"need"``.
    id : str
    code : str
        ``offered`` / ``filled`` (nothing to explain), or the reason code
        (``no_acceptable_need``, ``outcompeted``, ``placed``, ``all_declined``,
        ``offer_budget``; ``no_acceptable_volunteer``, ``candidates_elsewhere``,
        ``not_open``, ``ended``, ``policy``). For a volunteer it is recomputed from the
        rules and the ledger's decisions, with their own placements and declined needs
        set apart (``docs/explanations.md``); for a need, ``no_acceptable_volunteer``
        becomes ``candidates_elsewhere`` when the rules find volunteers the round left
        out (``top_k``).
    lang : str
    text : str
    considered : int
        Open needs (for a volunteer) or volunteers (for a need) the rules were run on.
    excluded_by, only_rule : mapping of rule code to int
        How many each rule excludes, and how many it alone excludes.
    counterfactuals : tuple of Counterfactual
    competition : tuple of Competition
    details : mapping
        The numbers behind the text.

    Examples
    --------
    >>> import matchkit as mk
    >>> from matchkit.datasets import tiny_city
    >>> d = mk.match(tiny_city(), as_of="2026-09-01").why_unmatched("v6")
    >>> d.subject, d.code, d.considered, dict(d.only_rule)
    ('volunteer', 'no_acceptable_need', 4, {'age_unknown': 1})
    >>> print(d.text.splitlines()[0])
    This round none of the 4 open needs fits all the conditions.
    """

    subject: str
    id: str
    code: str
    lang: str
    text: str
    considered: int = 0
    excluded_by: Mapping[str, int] = field(default_factory=dict)
    only_rule: Mapping[str, int] = field(default_factory=dict)
    counterfactuals: tuple[Counterfactual, ...] = ()
    competition: tuple[Competition, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.text


def _tally(
    fails: Mapping[str, B], among: B
) -> tuple[dict[str, int], dict[str, int], B]:
    """Per-rule counts among ``among``; also the mask of pairs failing no pair rule."""
    codes = [r for r in RULES if r not in _STATE_RULES]
    stack = (
        np.stack([fails[r] & among for r in codes])
        if codes
        else np.zeros((0, among.size), bool)
    )
    n_fail = stack.sum(axis=0)
    by = {r: int(stack[k].sum()) for k, r in enumerate(codes) if stack[k].any()}
    only = {r: int((stack[k] & (n_fail == 1)).sum()) for k, r in enumerate(codes)}
    only = {r: c for r, c in only.items() if c}
    return by, only, among & (n_fail == 0)


def _acceptable(fails: Mapping[str, B]) -> B:
    bad = np.zeros(next(iter(fails.values())).shape, dtype=bool)
    for mask in fails.values():
        bad |= mask
    return ~bad


def _with_need_row(enc: Encoded, j: int, **rows: Any) -> Encoded:
    """A copy of ``enc`` with need ``j`` changed (``name=value`` per array)."""
    changes: dict[str, Any] = {}
    for name, value in rows.items():
        arr = getattr(enc, name).copy()
        arr[j] = value
        changes[name] = arr
    return dataclasses.replace(enc, _cache={}, **changes)


def _clear_tag(enc: Encoded, name: str, kind: str, j: int, tag: str) -> Encoded:
    bits = getattr(enc, name)[j].copy()
    code = enc.vocab[kind].index(tag)
    bits[code >> 6] &= ~np.uint64(1 << (code & 63))
    return _with_need_row(enc, j, **{name: bits})


# -- decisions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Decided:
    """The round's decided pairs by id, and the room each need had for this round's plan.

    ``placed`` holds accepted placements, ``gone`` the pairs that are never acceptable
    again (rule 7: the volunteer rejected or withdrew from them), each indexed both ways.
    """

    placed_by_v: Mapping[str, tuple[str, ...]]
    placed_by_n: Mapping[str, tuple[str, ...]]
    gone_by_v: Mapping[str, tuple[str, ...]]
    gone_by_n: Mapping[str, tuple[str, ...]]
    room: I64
    closed: B
    #: volunteers offered each need as a shortlist alternative (it holds no place)
    alternative_by_n: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


_DECIDED: weakref.WeakKeyDictionary[Any, _Decided] = weakref.WeakKeyDictionary()


def _by_side(pairs: Iterable[tuple[str, str]]) -> tuple[dict[str, tuple[str, ...]], ...]:
    by_v: dict[str, list[str]] = {}
    by_n: dict[str, list[str]] = {}
    for v, n in pairs:
        by_v.setdefault(v, []).append(n)
        by_n.setdefault(n, []).append(v)
    return (
        {k: tuple(x) for k, x in by_v.items()},
        {k: tuple(x) for k, x in by_n.items()},
    )


def _room(result: MatchResult, view: RoundView) -> I64:
    """Places of each need that this round's plan could give: its capacity less the
    places that accepted placements and open offers from earlier rounds hold."""
    if result.free_problem is not None:
        return np.asarray(result.free_problem.right_capacity, dtype=np.int64)
    p = result.problem
    held = [n for _, n in result.placements]
    for prop in result.proposals:
        if prop.status != "new":
            held.append(prop.need_id)
            held += [a.need_id for a in prop.alternatives]
    js = np.asarray([view.nindex[n] for n in held if n in view.nindex], dtype=np.int64)
    return np.asarray(p.right_capacity, dtype=np.int64) - np.bincount(
        js, minlength=p.n_right
    )


def _decided(result: MatchResult, view: RoundView) -> _Decided:
    """The (cached) :class:`_Decided` of a result."""
    d = _DECIDED.get(result)
    if d is None:
        placed_v, placed_n = _by_side(result.placements)
        gone_v, gone_n = _by_side(result.context.get("excluded", ()))
        # Needs the ledger has recorded as not open, whatever the dataset says: the
        # round's list of them (full ones too, which ``unfilled`` leaves out) and its
        # unfilled needs of code "not_open".
        listed = {nid for nid, r in result.unfilled.items() if r.code == "not_open"}
        listed |= result.context.get("closed", frozenset())
        closed = _mask(listed, view.nindex, view.enc.n_needs)
        _, alt_n = _by_side(
            (p.volunteer_id, a.need_id) for p in result.proposals for a in p.alternatives
        )
        d = _DECIDED[result] = _Decided(
            placed_v, placed_n, gone_v, gone_n, _room(result, view), closed, alt_n
        )
    return d


def declined_by(result: MatchResult, view: RoundView, volunteer_id: str) -> B:
    """Needs the volunteer declined or left (never offered to them again)."""
    gone = _decided(result, view).gone_by_v.get(volunteer_id, ())
    return _mask(gone, view.nindex, view.enc.n_needs)


def ledger_closed(result: MatchResult, view: RoundView) -> B:
    """Needs the ledger records as no longer open (not offered, whatever the dataset says)."""
    return _decided(result, view).closed


def _mask(ids: Iterable[str], index: Mapping[str, int], size: int) -> B:
    out = np.zeros(size, dtype=bool)
    out[[index[x] for x in ids if x in index]] = True
    return out


# -- needs -------------------------------------------------------------------------------


def _need_relaxations(
    result: MatchResult,
    view: RoundView,
    j: int,
    fails: Mapping[str, B],
    free_places: int,
) -> list[tuple[str, Any, Encoded, Any, tuple[str, ...]]]:
    """(change, value, encoding, radius, rules it changes) to try for need ``j``.

    The rules listed are the only ones the change can turn: those that read the need's
    field it changes (or, for a radius, the distance rule)."""
    enc, n = view.enc, result.dataset.needs[j]
    tries: list[tuple[str, Any, Encoded, Any, tuple[str, ...]]] = []
    only_distance = fails["distance"] & (_count_fails(fails) == 1)
    if only_distance.any():
        from ._rules import need_distances_km

        d = np.sort(need_distances_km(enc, j)[only_distance])
        far = float(d[min(free_places, d.size) - 1])
        fill = math.ceil(far / RADIUS_STEP_KM) * RADIUS_STEP_KM
        for radius in sorted({fill, *STANDARD_RADII_KM}):
            radii = np.maximum(enc.v_max_km, radius)
            tries.append(("radius", radius, enc, radii, ("distance",)))
    for code, tags, column, vocab in (
        ("drop_check", n.required_checks, "n_required_checks", "checks"),
        ("drop_skill", n.required_skills, "n_required_skills", "skills"),
        ("drop_language", n.languages, "n_languages", "languages"),
    ):
        for tag in tags:
            enc2 = _clear_tag(enc, column, vocab, j, tag)
            tries.append((code, tag, enc2, None, (vocab,)))
    if n.min_age is not None:
        enc2 = _with_need_row(enc, j, n_min_age=-1)
        tries.append(("drop_min_age", n.min_age, enc2, None, ("age_unknown", "age")))
    if enc.n_required_overlap[j] > 0:
        enc2 = _with_need_row(enc, j, n_required_overlap=0)
        tries.append(("no_fixed_times", None, enc2, None, ("schedule",)))
    if not n.remote:
        enc2 = _with_need_row(enc, j, n_remote=True)
        tries.append(("remote", None, enc2, None, ("remote_not_ok", "no_place", "distance")))
    return tries


def _relaxed_ok(
    view: RoundView,
    v: I64,
    n: I64,
    fails: Mapping[str, B],
    enc2: Encoded,
    radius: Any,
    changed: tuple[str, ...],
) -> B:
    """Which pairs ``(v[k], n[k])`` are acceptable with one parameter relaxed (``enc2``,
    ``radius``). Only pairs failing no rule but the ``changed`` ones can turn: the rules
    are re-run for them alone."""
    kept = np.zeros(v.size, dtype=bool)
    for rule, mask in fails.items():
        if rule not in changed:
            kept |= mask
    maybe = np.flatnonzero(~kept)
    ok2 = np.zeros(v.size, dtype=bool)
    if maybe.size:
        again = pair_rule_failures(enc2, v[maybe], n[maybe], view.day, max_distance_km=radius)
        ok2[maybe] = _acceptable(again)
    return ok2


def _count_fails(fails: Mapping[str, B]) -> NDArray[np.int64]:
    out: NDArray[np.int64] = np.stack(list(fails.values())).sum(axis=0, dtype=np.int64)
    return out


def need_without_rules(
    result: MatchResult,
    j: int,
    need_id: str,
    lang: str,
    organisation_ids: Container[str] | None = None,
) -> Diagnosis | None:
    """The diagnosis of need ``j`` that needs no rule run (it is filled, not open, ended,
    or held back by a policy check), else None. ``organisation_ids`` may pass the
    dataset's organisation ids (as a set, for many needs)."""
    n = result.dataset.needs[j]
    reason = result.unfilled.get(need_id)
    if reason is None:
        return Diagnosis("need", need_id, "filled", lang, T.need_filled(n, lang))
    if reason.code not in ("not_open", "ended", "policy"):
        return None
    vetter = n.vetted_by or ""
    known = result.dataset.organisation_ids if organisation_ids is None else organisation_ids
    if vetter in known:
        vetter = result.dataset.organisation(vetter).name
    text = T.need_state(
        reason.code,
        n,
        result.context.get("blocked", {}).get(need_id, ""),
        lang,
        vetter,
    )
    return Diagnosis("need", need_id, reason.code, lang, text, details=dict(reason.details))


def why_unfilled(result: MatchResult, need_id: str, *, lang: str = "en") -> Diagnosis:
    """Why a need keeps free places: binding rules, counts, and computed counterfactuals.

    Parameters
    ----------
    result : MatchResult
    need_id : str
    lang : {"en", "ru"}

    Returns
    -------
    Diagnosis
        ``excluded_by`` and ``only_rule`` count volunteers; ``counterfactuals`` say how
        many more volunteers would qualify with one condition relaxed, each recomputed by
        the hard rules (see the module notes). Addressed to the need's organisation.

    Examples
    --------
    >>> import matchkit as mk
    >>> from matchkit.datasets import tiny_city
    >>> r = mk.match(tiny_city(), as_of="2026-09-01")
    >>> d = r.why_unfilled("n3")
    >>> d.code, d.excluded_by["languages"], d.details["holding"]
    ('candidates_elsewhere', 3, 2)
    >>> print(d.text.splitlines()[0])
    2 volunteers meet the conditions of "Online reading tutor", but 1 place stays free:
    """
    check_lang(lang, "why_unfilled")
    view = round_of(result, "why_unfilled")
    j = index_of(view, "need", need_id, "why_unfilled")
    told = need_without_rules(result, j, need_id, lang)
    if told is not None:
        return told
    n = result.dataset.needs[j]
    reason = result.unfilled[need_id]
    free = int(reason.details.get("free_places", 0))
    enc = view.enc
    fails = need_rule_failures(enc, j, view.day)
    everyone = np.ones(enc.n_volunteers, dtype=bool)
    by, only, ok = _tally(fails, everyone)
    everyone_i = np.arange(enc.n_volunteers, dtype=np.int64)
    at_j = np.full(enc.n_volunteers, j, dtype=np.int64)
    cap_v = result.problem.left_capacity
    could_take = ~view.offered_v & (view.placed_v < cap_v)
    decided = _decided(result, view)
    declined = _mask(decided.gone_by_n.get(need_id, ()), view.vindex, enc.n_volunteers)
    placed_here = _mask(
        decided.placed_by_n.get(need_id, ()), view.vindex, enc.n_volunteers
    )
    # Relaxing a condition brings in nobody who declined or left the need (rule 7: never
    # acceptable again) nor anyone already placed in it.
    reachable = ~declined & ~placed_here
    cfs = []
    for change, value, enc2, radius, changed in _need_relaxations(
        result, view, j, fails, max(free, 1)
    ):
        ok2 = _relaxed_ok(view, everyone_i, at_j, fails, enc2, radius, changed)
        # Net of those who would drop out: a need done remotely loses the volunteers
        # who take no remote work (every other relaxation only adds).
        k = int((ok2 & reachable).sum()) - int((ok & reachable).sum())
        if k > 0:
            k_free = int((ok2 & reachable & could_take).sum()) - int(
                (ok & reachable & could_take).sum()
            )
            k_free = min(max(k_free, 0), k)
            cfs.append(
                Counterfactual(
                    change,
                    value,
                    k,
                    k_free,
                    T.counterfactual(change, value, k, k_free, lang),
                )
            )
    cfs.sort(key=lambda c: (-c.more, c.change, str(c.value)))
    details: dict[str, Any] = dict(reason.details)
    if ok.any():
        p = result.problem
        e = view.edges_of_need(j)
        in_problem = np.zeros(enc.n_volunteers, dtype=bool)
        in_problem[p.edge_left[e]] = True
        holding = np.zeros(enc.n_volunteers, dtype=bool)
        holding[p.edge_left[view.holders_of(j, p)]] = True
        rest = ok & ~holding & ~declined
        alternative = _mask(
            decided.alternative_by_n.get(need_id, ()), view.vindex, enc.n_volunteers
        )
        details.update(
            acceptable=int(ok.sum()),
            holding=int(holding.sum()),
            declined=int((ok & declined).sum()),
            fully_placed=int((rest & (view.placed_v >= cap_v)).sum()),
            alternative=int((rest & (view.placed_v < cap_v) & alternative).sum()),
            offered_elsewhere=int(
                (rest & (view.placed_v < cap_v) & view.offered_v & ~alternative).sum()
            ),
            without_offer=int((rest & could_take).sum()),
            not_scored=int((ok & ~in_problem).sum()),
        )
    # After top_k pruning a need may have no pair in the problem although volunteers meet
    # its conditions: the rules, not the round's code, say whether anyone does.
    code = reason.code
    if code == "no_acceptable_volunteer" and ok.any():
        code = "candidates_elsewhere"
    text = T.need_text(code, n, free, int(enc.n_volunteers), by, only, cfs, details, lang)
    return Diagnosis(
        "need",
        need_id,
        code,
        lang,
        text,
        int(enc.n_volunteers),
        by,
        only,
        tuple(cfs),
        (),
        details,
    )


# -- volunteers --------------------------------------------------------------------------


def _competition(
    result: MatchResult, view: RoundView, i: int, keep: B, lang: str
) -> list[Competition]:
    """The volunteer's acceptable needs ``keep`` (best first), each against its holders."""
    p = result.problem
    stable = result.method == "stable"
    measure = p.need_utility if stable else p.weight
    mine = view.edges_of_volunteer(i)
    mine = mine[~view.excluded_edge[mine] & keep[p.edge_right[mine]]]
    mine = mine[np.argsort(-measure[mine], kind="stable")]
    js = p.edge_right[mine]
    # Holders of each need, without volunteer i, and the weakest of them: one pass over
    # the holder lists of the needs concerned (segments of ``holder_by_need``).
    lo, hi = view.h_start[js], view.h_start[js + 1]
    held_edges, owner = _segments(lo, hi - lo)
    others = p.edge_left[view.holder_by_need[held_edges]] != i
    seg = owner[others]
    held_n = np.bincount(seg, minlength=js.size)
    weakest_all = np.full(js.size, np.inf)
    np.minimum.at(weakest_all, seg, measure[view.holder_by_need[held_edges[others]]])
    # Full: earlier placements and open offers held every place before this round's
    # plan was made, so no plan could have given one to this volunteer.
    room = _decided(result, view).room[js]
    out = []
    needs = result.dataset.needs
    for e, j, n_held, low, left in zip(
        mine.tolist(), js.tolist(), held_n.tolist(), weakest_all.tolist(), room.tolist()
    ):
        full = left <= 0
        score = float(measure[e])
        weakest = None if full or n_held == 0 else low
        margin = None if weakest is None else score - weakest
        out.append(
            Competition(
                p.right_ids[j],
                score,
                weakest,
                margin,
                int(n_held),
                full,
                T.competition(
                    needs[j].title, score, weakest, margin, full, stable, lang
                ),
            )
        )
    return out


def _segments(start: I64, length: I64) -> tuple[I64, I64]:
    """Positions of the ranges ``[start, start + length)``, concatenated, and their range."""
    total = int(length.sum())
    owner = np.repeat(np.arange(length.size), length)
    offset = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(length) - length, length)
    return start[owner] + offset, owner


def without_rules(
    result: MatchResult, view: RoundView, volunteer_id: str, lang: str
) -> Diagnosis | None:
    """The diagnosis of a volunteer that needs no rule run (they have an offer, are
    placed as often as they asked, or are out of offers), else None."""
    mine = view.proposals_of.get(volunteer_id, [])
    if mine:
        ds = result.dataset
        groups = [
            (ds.need(p.need_id).title, [ds.need(a.need_id).title for a in p.alternatives])
            for p in mine
        ]
        return Diagnosis(
            "volunteer", volunteer_id, "offered", lang, T.offered(groups, lang)
        )
    reason = result.unmatched.get(volunteer_id)
    if reason is not None and reason.code in ("placed", "offer_budget"):
        state = dict(reason.details)
        budget: Any = result.context.get("budget")
        # (room for more open offers: the weekly limit is what binds)
        if (
            reason.code == "offer_budget"
            and budget is not None
            and int(state.get("open_offers", 0)) < budget.max_open
        ):
            state["weekly_limit"] = int(budget.max_per_week)
        return Diagnosis(
            "volunteer",
            volunteer_id,
            reason.code,
            lang,
            T.volunteer_state(reason.code, state, lang),
            details=state,
        )
    return None


def why_unmatched(
    result: MatchResult, volunteer_id: str, *, lang: str = "en"
) -> Diagnosis:
    """Why a volunteer has no proposal this round, addressed to the volunteer.

    The volunteer's own placements and the needs they declined or left are set apart
    (the text opens with them). Then either no other open need is acceptable (which
    rules excluded how many needs, which rule alone stands in the way, and what a wider
    radius or remote work would open), or acceptable needs went to others (which needs,
    with the margin between the volunteer's score and the lowest score among those who
    got each), or their places were already taken before this round.

    Parameters
    ----------
    result : MatchResult
    volunteer_id : str
    lang : {"en", "ru"}

    Returns
    -------
    Diagnosis
        ``excluded_by`` and ``only_rule`` count needs. The text never names another
        volunteer; ``competition`` holds scores only.

    Examples
    --------
    >>> import matchkit as mk
    >>> from matchkit.datasets import tiny_city
    >>> r = mk.match(tiny_city(), as_of="2026-09-01")
    >>> d = r.why_unmatched("v6")
    >>> d.code, d.considered, d.excluded_by["age_unknown"]
    ('no_acceptable_need', 4, 4)
    >>> print(r.why_unmatched("v6", lang="ru").text.splitlines()[0])
    В этом раунде ни одна из 4 открытых задач не подходит под все условия.
    """
    check_lang(lang, "why_unmatched")
    view = round_of(result, "why_unmatched")
    i = index_of(view, "volunteer", volunteer_id, "why_unmatched")
    told = without_rules(result, view, volunteer_id, lang)
    if told is not None:
        return told
    return judged(
        result, view, volunteer_id, volunteer_rule_failures(view.enc, i, view.day), lang
    )


def judged(
    result: MatchResult,
    view: RoundView,
    volunteer_id: str,
    fails: Mapping[str, B],
    lang: str,
) -> Diagnosis:
    """The diagnosis of a volunteer from their rule failures against every need (a
    pair rule's mask matters on the needs open this round only)."""
    enc, i = view.enc, view.vindex[volunteer_id]
    decided = _decided(result, view)
    open_now = ~fails["not_open"] & ~fails["ended"] & ~decided.closed
    live = open_now & ~view.blocked_n
    # The volunteer's own placements and the needs they declined or left are set apart:
    # neither can be offered to them again, so neither went to others.
    own = _mask(decided.placed_by_v.get(volunteer_id, ()), view.nindex, enc.n_needs)
    declined = _mask(decided.gone_by_v.get(volunteer_id, ()), view.nindex, enc.n_needs)
    settled = own | declined
    rest = live & ~settled
    by, only, ok = _tally(fails, rest)
    details: dict[str, Any] = {
        "open_needs": int(rest.sum()),
        "acceptable_needs": int(ok.sum()),
        "placements": int(view.placed_v[i]),
        "declined": int((live & declined).sum()),
        # (needs that fit them, offered once the policy check passes)
        "held_back_by_policy": int(
            (open_now & view.blocked_n & ~settled & _acceptable(fails)).sum()
        ),
    }
    comp: list[Competition] = []
    cfs: list[Counterfactual] = []
    if ok.any():
        code = "outcompeted"
        comp = _competition(result, view, i, ok, lang)
    else:
        declined_fit = live & declined & _acceptable(fails)
        code = "all_declined" if declined_fit.any() else "no_acceptable_need"
        cfs = _volunteer_relaxations(view, i, fails, rest, lang)
    text = T.volunteer_text(code, int(rest.sum()), by, only, cfs, comp, details, lang)
    return Diagnosis(
        "volunteer",
        volunteer_id,
        code,
        lang,
        text,
        int(rest.sum()),
        by,
        only,
        tuple(cfs),
        tuple(comp),
        details,
    )


def _volunteer_relaxations(
    view: RoundView, i: int, fails: Mapping[str, B], live: B, lang: str
) -> list[Counterfactual]:
    enc = view.enc
    out = []
    at_i = np.full(enc.n_needs, i, dtype=np.int64)
    every_j = np.arange(enc.n_needs, dtype=np.int64)
    only_distance = live & fails["distance"] & (_count_fails(fails) == 1)
    if only_distance.any():
        from ._rules import volunteer_distances_km

        d = np.sort(volunteer_distances_km(enc, i)[only_distance])
        radii = sorted(
            {
                math.ceil(float(d[0]) * 10) / 10,
                math.ceil(float(d[min(2, d.size - 1)]) * 10) / 10,
            }
        )
        for radius in radii:
            ok2 = live & _relaxed_ok(view, at_i, every_j, fails, enc, radius, ("distance",))
            k = int(ok2.sum())
            out.append(
                Counterfactual(
                    "radius",
                    radius,
                    k,
                    k,
                    T.counterfactual("radius", radius, k, k, lang, "volunteer"),
                )
            )
    if (live & fails["remote_not_ok"]).any():
        flipped = enc.v_remote_ok.copy()
        flipped[i] = True
        enc2 = dataclasses.replace(enc, _cache={}, v_remote_ok=flipped)
        ok2 = live & _relaxed_ok(view, at_i, every_j, fails, enc2, None, ("remote_not_ok",))
        k = int(ok2.sum())
        if k:
            out.append(
                Counterfactual(
                    "accept_remote",
                    None,
                    k,
                    k,
                    T.counterfactual("accept_remote", None, k, k, lang, "volunteer"),
                )
            )
    return out

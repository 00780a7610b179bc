"""Vetting: who may check a need, and the need lifecycle ``idea -> vetted -> open -> closed``.

A need is matched only once an organisation with the expertise has checked that the help is
really needed and legal. The rules, in one place:

* **Who may vet** (:func:`can_vet`): a volunteer centre, or an organisation whose
  ``vets_causes`` cover *every* cause of the need. An organisation that declares no vetting
  expertise (empty ``vets_causes``) vets nothing, not even a need without causes. When the
  need's own organisation is not registered, the vetting organisation must be registered.
  A registered organisation whose ``vets_causes`` cover its own need may vet it.
* **A volunteer's own initiative** (:func:`propose_idea`) enters as an ``idea`` with
  ``proposed_by`` naming the volunteer, hosted by an organisation (often a volunteer centre),
  and waits for such a vetting organisation (:func:`vetters_for` lists them).
* **Moves** are validated: idea -> vetted (by a vetting organisation), vetted -> open (by
  the need's organisation, its vetter or a volunteer centre), and any status but closed ->
  closed (the same people, or for an idea also the volunteer who proposed it: an idea found
  not to be needed is closed, not vetted). Nothing moves backwards.

Each move returns a *new* :class:`~matchkit.Dataset`; with a ledger, the move is also
recorded there (who, when, why) through ``Ledger.record_need_transition``. If the ledger
refuses, the error propagates and no dataset is returned.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from ._dataset import Dataset
from ._exceptions import DecisionError, InvalidInputError
from ._models import Need, NeedStatus, Organisation, OrganisationKind

if TYPE_CHECKING:
    from ._ledger import Ledger

__all__ = [
    "can_vet",
    "close_need",
    "open_need",
    "propose_idea",
    "vet_need",
    "vetters_for",
    "why_not_vetter",
]

TimeLike = datetime | date | str | None


def why_not_vetter(
    org: Organisation, need: Need, *, owner: Organisation | None = None
) -> str | None:
    """Why ``org`` may not vet ``need`` (``None`` when it may). See :func:`can_vet`.

    Examples
    --------
    >>> import matchkit as mk
    >>> zoo = mk.Organisation(id="zoo", name="Zoo", kind="cso", registered=True,
    ...                       vets_causes=["animals"])
    >>> need = mk.Need(id="n1", organisation_id="x", title="Walk dogs", causes=["animals", "elderly"],
    ...                remote=True, capacity=1, status="idea")
    >>> mk.why_not_vetter(zoo, need)
    "organisation 'zoo' has no expertise to vet cause(s) 'elderly' (it vets: 'animals')"
    """
    if _lacks_expertise(org, need):
        if not org.vets_causes:
            return (
                f"organisation {org.id!r} declares no vetting expertise (vets_causes is empty); "
                "ask a volunteer centre or an organisation that vets these causes"
            )
        missing = sorted(set(need.causes) - set(org.vets_causes))
        return (
            f"organisation {org.id!r} has no expertise to vet cause(s) "
            f"{', '.join(repr(c) for c in missing)} (it vets: "
            f"{', '.join(repr(c) for c in org.vets_causes)})"
        )
    if owner is not None and _unregistered_both(org, owner):
        return (
            f"the need's organisation {owner.id!r} is not registered, so a registered "
            f"organisation must vet it; {org.id!r} is not registered either"
        )
    return None


def can_vet(
    org: Organisation, need: Need, *, owner: Organisation | None = None
) -> bool:
    """Whether ``org`` may vet ``need``.

    A volunteer centre may vet any need; any other organisation only a need whose causes
    its ``vets_causes`` all cover (and it must declare some). With ``owner`` (the need's own
    organisation) given and not registered, ``org`` must be registered.

    Examples
    --------
    >>> import matchkit as mk
    >>> centre = mk.Organisation(id="vc", name="Volunteer centre", kind="volunteer_centre",
    ...                          registered=True)
    >>> need = mk.Need(id="n1", organisation_id="x", title="Tutor", causes=["education"],
    ...                remote=True, capacity=1, status="idea")
    >>> mk.can_vet(centre, need)
    True
    """
    # why_not_vetter's conditions without its messages: policy checks ask this for every
    # organisation and every kind of need (210k times in a 100k city).
    return not _lacks_expertise(org, need) and not (
        owner is not None and _unregistered_both(org, owner)
    )


def _lacks_expertise(org: Organisation, need: Need) -> bool:
    """Not a volunteer centre, and its ``vets_causes`` are empty or miss a need's cause."""
    return org.kind is not OrganisationKind.VOLUNTEER_CENTRE and (
        not org.vets_causes or not set(need.causes).issubset(org.vets_causes)
    )


def _unregistered_both(org: Organisation, owner: Organisation) -> bool:
    """The need's organisation (``owner``) is not registered, and neither is ``org``."""
    return not owner.registered and not org.registered


def vetting_problem(need: Need, organisations: Mapping[str, Organisation]) -> str | None:
    """Why ``need`` has not been vetted by an organisation that may vet it as it is now
    (``None`` when it has): an idea, no ``vetted_by``, or a vetter that may not vet it.

    ``organisations`` maps ids to organisations (the need's own and its vetter's).

    Examples
    --------
    >>> import matchkit as mk
    >>> zoo = mk.Organisation(id="zoo", name="Zoo", kind="cso", registered=True,
    ...                       vets_causes=["animals"])
    >>> need = mk.Need(id="n1", organisation_id="zoo", title="Walk dogs", causes=["animals"],
    ...                remote=True, capacity=1, status="open", vetted_by="zoo")
    >>> vetting_problem(need, {"zoo": zoo}) is None
    True
    >>> vetting_problem(need.model_copy(update={"causes": ("animals", "elderly")}), {"zoo": zoo})
    "organisation 'zoo' has no expertise to vet cause(s) 'elderly' (it vets: 'animals')"
    """
    if need.status is NeedStatus.IDEA:
        return "it is an idea nobody has vetted yet"
    if need.vetted_by is None:
        return "it names no vetting organisation (vetted_by)"
    vetter = organisations.get(need.vetted_by)
    if vetter is None:
        return f"its vetter {need.vetted_by!r} is not among the organisations"
    return why_not_vetter(vetter, need, owner=organisations.get(need.organisation_id))


def _find(dataset: Dataset, need_id: str) -> Need:
    if not isinstance(dataset, Dataset):
        raise InvalidInputError(
            f"expected a matchkit.Dataset; got {type(dataset).__name__}"
        )
    try:
        return dataset.need(need_id)
    except KeyError:
        raise InvalidInputError(
            f"no need with id {need_id!r} in this dataset; check the id"
        ) from None


def _org(dataset: Dataset, org_id: str, role: str) -> Organisation:
    try:
        return dataset.organisation(org_id)
    except KeyError:
        raise DecisionError(
            f"{role} {org_id!r} is not an organisation of this dataset; add it or check the id"
        ) from None


class VetterIndex:
    """Who may vet a need, as :func:`can_vet` decides, in dataset order: once per kind of
    need (its causes, whether its organisation is registered), from the organisations
    indexed by the causes they vet. Policy checks ask it of every need: asking ``can_vet``
    of every organisation took 210k calls and 0.13 s in a 100k city.

    Examples
    --------
    >>> import matchkit as mk
    >>> ds = mk.Dataset(
    ...     organisations=[{"id": "o1", "name": "Park friends", "kind": "cso", "registered": False},
    ...                    {"id": "eco", "name": "Eco union", "kind": "cso", "registered": True,
    ...                     "vets_causes": ["environment"]}],
    ...     needs=[{"id": "n1", "organisation_id": "o1", "title": "Plant trees",
    ...             "causes": ["environment"], "remote": True, "capacity": 5, "status": "idea"}])
    >>> VetterIndex(ds)(ds.needs[0])
    ('eco',)
    """

    def __init__(self, ds: Dataset) -> None:
        self.ds = ds
        orgs = ds.organisations
        self.ids = [o.id for o in orgs]
        self.registered = [o.registered for o in orgs]
        # A volunteer centre may vet any need; another organisation needs vets_causes
        # covering every cause of the need (any need when it has no causes).
        self.centres = {i for i, o in enumerate(orgs) if o.kind is OrganisationKind.VOLUNTEER_CENTRE}
        self.experts = {i for i, o in enumerate(orgs) if i not in self.centres and o.vets_causes}
        self.by_cause: dict[str, set[int]] = defaultdict(set)
        for i in self.experts:
            for c in orgs[i].vets_causes:
                self.by_cause[c].add(i)
        self.known: dict[tuple[tuple[str, ...], bool], tuple[str, ...]] = {}

    def __call__(self, need: Need) -> tuple[str, ...]:
        owner = self.ds.organisation(need.organisation_id)
        key = (need.causes, owner.registered)
        who = self.known.get(key)
        if who is None:
            causes = set(need.causes)
            able = (
                set.intersection(*(self.by_cause.get(c, set()) for c in causes))
                if causes
                else self.experts
            )
            # (an unregistered need's vetter must be registered)
            who = tuple(
                self.ids[i]
                for i in sorted(able | self.centres)
                if owner.registered or self.registered[i]
            )
            self.known[key] = who
        return who


def vetters_for(dataset: Dataset, need_id: str) -> tuple[str, ...]:
    """Ids of the organisations of ``dataset`` that may vet the need (in dataset order).

    Examples
    --------
    >>> import matchkit as mk
    >>> ds = mk.Dataset(
    ...     organisations=[{"id": "o1", "name": "Park friends", "kind": "cso", "registered": False},
    ...                    {"id": "eco", "name": "Eco union", "kind": "cso", "registered": True,
    ...                     "vets_causes": ["environment"]}],
    ...     needs=[{"id": "n1", "organisation_id": "o1", "title": "Plant trees",
    ...             "causes": ["environment"], "remote": True, "capacity": 5, "status": "idea"}])
    >>> mk.vetters_for(ds, "n1")
    ('eco',)
    """
    return VetterIndex(dataset)(_find(dataset, need_id))


def _move(
    dataset: Dataset,
    need: Need,
    to: NeedStatus,
    changes: dict[str, Any],
    *,
    by: str,
    reason: str,
    ledger: Ledger | None,
    at: TimeLike,
) -> Dataset:
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidInputError(
            "reason must say why the need moves (a non-empty string)"
        )
    from ._ledger_state import NEED_TRANSITIONS  # the one table of lifecycle moves

    again = to is NeedStatus.VETTED and need.status is NeedStatus.VETTED  # (a new vetting)
    if to not in NEED_TRANSITIONS[need.status] and not again:
        allowed = sorted(s.value for s in NEED_TRANSITIONS[need.status]) or [
            "none (closed is final)"
        ]
        raise DecisionError(
            f"need {need.id!r} is {need.status.value!r}; it cannot move to {to.value!r}. "
            f"Allowed next: {', '.join(allowed)} (lifecycle idea -> vetted -> open -> closed)"
        )
    fields = need.model_dump()
    fields.update(changes, status=to)
    new_need = Need.model_validate(fields)
    i = dataset.index_of("needs", need.id)
    needs = dataset.needs[:i] + (new_need,) + dataset.needs[i + 1 :]
    new = dataset.replace(needs=needs)
    if ledger is not None:
        ledger.record_need_transition(
            need.id, to, by=by, reason=reason, at=at, from_status=need.status
        )
    return new


def vet_need(
    dataset: Dataset,
    need_id: str,
    *,
    by: str,
    reason: str,
    ledger: Ledger | None = None,
    at: TimeLike = None,
) -> Dataset:
    """Record that organisation ``by`` vetted an ``idea``: a new dataset where it is ``vetted``.

    A ``vetted`` need may be vetted again, by the same or another organisation (its
    causes changed since, so its vetter no longer covers them): the ledger records the
    new vetting, ``vetted -> vetted``.

    Parameters
    ----------
    dataset : Dataset
    need_id : str
    by : str
        Id of the vetting organisation (see :func:`can_vet`); becomes the need's ``vetted_by``.
    reason : str
        What was checked (is the help really needed, is it legal).
    ledger : Ledger, optional
        Where the transition is recorded (who, when, why).
    at : datetime, date or ISO string, optional
        When it happened (default: now).

    Returns
    -------
    Dataset
        A new dataset; the given one is unchanged.

    Raises
    ------
    DecisionError
        If ``by`` may not vet this need (the message says why and who could), or the need is
        neither an ``idea`` nor ``vetted``.

    Examples
    --------
    >>> import matchkit as mk
    >>> ds = mk.Dataset(
    ...     organisations=[{"id": "o1", "name": "Park friends", "kind": "cso", "registered": False},
    ...                    {"id": "eco", "name": "Eco union", "kind": "cso", "registered": True,
    ...                     "vets_causes": ["environment"]}],
    ...     needs=[{"id": "n1", "organisation_id": "o1", "title": "Plant trees",
    ...             "causes": ["environment"], "remote": True, "capacity": 5, "status": "idea"}])
    >>> ledger = mk.Ledger(":memory:")
    >>> ds2 = mk.vet_need(ds, "n1", by="eco", reason="the park plan asks for 40 trees",
    ...                   ledger=ledger, at="2027-03-01")
    >>> ds2.need("n1").status.value, ds2.need("n1").vetted_by, ds.need("n1").status.value
    ('vetted', 'eco', 'idea')
    >>> ds3 = mk.open_need(ds2, "n1", by="o1", reason="dates fixed", ledger=ledger)
    >>> ledger.state().need_status["n1"].value
    'open'
    """
    need = _find(dataset, need_id)
    vetter = _org(dataset, by, "vetting organisation")
    owner = dataset.organisation(need.organisation_id)
    why = why_not_vetter(vetter, need, owner=owner)
    if why is not None and need.status in (NeedStatus.IDEA, NeedStatus.VETTED):
        others = vetters_for(dataset, need_id)
        hint = (
            f"; it may be vetted by {', '.join(repr(o) for o in others)}"
            if others
            else "; no organisation of this dataset may vet it: add a volunteer centre or an "
            "organisation whose vets_causes cover its causes"
        )
        raise DecisionError(f"need {need.id!r} cannot be vetted by {by!r}: {why}{hint}")
    return _move(
        dataset,
        need,
        NeedStatus.VETTED,
        {"vetted_by": vetter.id},
        by=vetter.id,
        reason=reason,
        ledger=ledger,
        at=at,
    )


def _check_actor(
    dataset: Dataset, need: Need, by: str, verb: str, *, volunteer_ok: bool
) -> None:
    allowed = {need.organisation_id}
    if need.vetted_by is not None:
        allowed.add(need.vetted_by)
    allowed |= {
        o.id
        for o in dataset.organisations
        if o.kind is OrganisationKind.VOLUNTEER_CENTRE
    }
    if volunteer_ok and need.proposed_by is not None:
        allowed.add(need.proposed_by)
    if by not in allowed:
        raise DecisionError(
            f"{by!r} may not {verb} need {need.id!r}; its organisation {need.organisation_id!r}"
            + (f", its vetter {need.vetted_by!r}" if need.vetted_by else "")
            + " or a volunteer centre may"
        )


def open_need(
    dataset: Dataset,
    need_id: str,
    *,
    by: str,
    reason: str,
    ledger: Ledger | None = None,
    at: TimeLike = None,
) -> Dataset:
    """Open a ``vetted`` need for matching: a new dataset where it is ``open``.

    ``by`` is the need's organisation, its vetter or a volunteer centre. The vetting must
    hold for the need as it is now: a need whose ``vetted_by`` may not vet it (its causes
    changed since it was vetted, say) is refused, as the policy checks would hold it back.
    Parameters, ledger and errors as in :func:`vet_need`.

    Examples
    --------
    >>> import matchkit as mk
    >>> ds = mk.Dataset(
    ...     organisations=[{"id": "vc", "name": "Centre", "kind": "volunteer_centre",
    ...                     "registered": True}],
    ...     needs=[{"id": "n1", "organisation_id": "vc", "title": "Tutor", "remote": True,
    ...             "capacity": 1, "status": "vetted", "vetted_by": "vc"}])
    >>> mk.open_need(ds, "n1", by="vc", reason="tutor timetable ready").need("n1").status.value
    'open'
    """
    need = _find(dataset, need_id)
    if need.status is NeedStatus.VETTED and need.vetted_by is None:
        raise DecisionError(
            f"need {need.id!r} is 'vetted' but names no vetting organisation (vetted_by); "
            "vet it with vet_need first"
        )
    _check_actor(dataset, need, by, "open", volunteer_ok=False)
    if need.status is NeedStatus.VETTED and need.vetted_by is not None:
        _check_vetting_holds(dataset, need)
    return _move(
        dataset, need, NeedStatus.OPEN, {}, by=by, reason=reason, ledger=ledger, at=at
    )


def _check_vetting_holds(dataset: Dataset, need: Need) -> None:
    """Refuse to open a need its vetter may not vet as it is now (say its causes changed
    since, or the vetter lost its expertise): the policy checks would hold it back."""
    vetter = _org(dataset, need.vetted_by or "", "vetting organisation")
    why = why_not_vetter(vetter, need, owner=dataset.organisation(need.organisation_id))
    if why is None:
        return
    others = vetters_for(dataset, need.id)
    who = (
        f"have {', '.join(repr(o) for o in others)} check it and name it in vetted_by"
        if others
        else "add a volunteer centre or an organisation whose vets_causes cover its causes"
    )
    raise DecisionError(
        f"need {need.id!r} cannot be opened: its vetting by {vetter.id!r} does not hold for "
        f"the need as it is now ({why}); {who}, or close it"
    )


def close_need(
    dataset: Dataset,
    need_id: str,
    *,
    by: str,
    reason: str,
    ledger: Ledger | None = None,
    at: TimeLike = None,
) -> Dataset:
    """Close a need (from any status but ``closed``): a new dataset where it is ``closed``.

    ``by`` is the need's organisation, its vetter or a volunteer centre; for a volunteer's
    initiative also the volunteer who proposed it. An idea found not to be needed is closed.

    Examples
    --------
    >>> import matchkit as mk
    >>> ds = mk.Dataset(
    ...     organisations=[{"id": "vc", "name": "Centre", "kind": "volunteer_centre",
    ...                     "registered": True}],
    ...     needs=[{"id": "n1", "organisation_id": "vc", "title": "Plant trees", "remote": True,
    ...             "capacity": 1, "status": "idea"}])
    >>> mk.close_need(ds, "n1", by="vc", reason="the park has enough trees").need("n1").status.value
    'closed'
    """
    need = _find(dataset, need_id)
    _check_actor(
        dataset, need, by, "close", volunteer_ok=need.status is NeedStatus.IDEA
    )
    return _move(
        dataset, need, NeedStatus.CLOSED, {}, by=by, reason=reason, ledger=ledger, at=at
    )


def propose_idea(
    dataset: Dataset,
    need: Need | Mapping[str, Any],
    *,
    by: str,
    reason: str = "a volunteer's own initiative",
    ledger: Ledger | None = None,
    at: TimeLike = None,
) -> Dataset:
    """Add a volunteer's own initiative as an ``idea``: a new dataset holding it.

    The need gets ``status="idea"``, ``proposed_by=by`` and no ``vetted_by``; its
    ``organisation_id`` names the organisation that hosts it (often a volunteer centre). It is
    matched only after a vetting organisation (:func:`vetters_for`) vetted it and it was opened.

    Raises
    ------
    DecisionError
        If ``by`` is not a volunteer of the dataset, or the need claims a status other than
        ``idea`` or a vetter.
    InvalidDatasetError
        If the need is not valid or does not fit the dataset (a missing field, an id in use,
        an unknown organisation), naming each problem's field.

    Examples
    --------
    >>> import matchkit as mk
    >>> ds = mk.Dataset(
    ...     volunteers=[{"id": "v1"}],
    ...     organisations=[{"id": "vc", "name": "Centre", "kind": "volunteer_centre",
    ...                     "registered": True}])
    >>> ds2 = mk.propose_idea(ds, {"id": "n9", "organisation_id": "vc",
    ...                            "title": "Repair café", "remote": True, "capacity": 3}, by="v1")
    >>> n = ds2.need("n9"); n.status.value, n.proposed_by, mk.vetters_for(ds2, "n9")
    ('idea', 'v1', ('vc',))
    """
    if by not in dataset.volunteer_ids:
        raise DecisionError(
            f"{by!r} is not a volunteer of this dataset; an initiative is proposed by a volunteer"
        )
    fields = need.model_dump() if isinstance(need, Need) else dict(need)
    status = fields.get("status", NeedStatus.IDEA)
    if status not in (None, NeedStatus.IDEA) or fields.get("vetted_by"):
        shown = status.value if isinstance(status, NeedStatus) else status
        raise DecisionError(
            f"a volunteer's initiative enters as an 'idea' without a vetter; got status "
            f"{shown!r} and vetted_by {fields.get('vetted_by')!r}: leave both out"
        )
    fields.update(status=NeedStatus.IDEA, proposed_by=by, vetted_by=None)
    # (validated with the dataset, so a bad field is named as in any other need)
    new = dataset.replace(needs=dataset.needs + (fields,))
    if ledger is not None:
        ledger.record_need_transition(
            new.needs[-1].id, NeedStatus.IDEA, by=by, reason=reason, at=at
        )
    return new


# The package shows public names as ``matchkit.X``; doctest would then skip them here.
__test__ = {_n: globals()[_n] for _n in __all__ if callable(globals()[_n])}

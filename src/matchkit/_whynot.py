"""why_not: every hard rule that keeps one volunteer and one need apart, in plain words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from ._build import resolve_as_of
from ._dataset import Dataset
from ._encode import encode
from ._exceptions import InvalidInputError
from ._models import Need, Volunteer
from ._rules import RULES, ages_at, pair_distances_km, pair_rule_failures, slots_covered
from ._texts import one_line

__all__ = ["Exclusion", "why_not"]


@dataclass(frozen=True)
class Exclusion:
    """One hard rule that excludes a pair.

    Attributes
    ----------
    rule : str
        The stable rule code (a key of ``matchkit._rules.RULES``), e.g. ``"distance"``.
    message : str
        What is wrong, in plain words, with the figures involved.
    volunteer_id, need_id : str
        The pair.

    Examples
    --------
    >>> import matchkit as mk
    >>> from matchkit.datasets import tiny_city
    >>> e = mk.why_not(tiny_city(), "v3", "n6", as_of="2026-09-01")[0]
    >>> e.rule, e.volunteer_id, e.need_id
    ('age', 'v3', 'n6')
    >>> print(e)
    age: the need requires age 18 or over; the volunteer is 15 on 2026-09-01
    """

    rule: str
    message: str
    volunteer_id: str
    need_id: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.message}"


def _quote(items: list[str] | tuple[str, ...]) -> str:
    return ", ".join(repr(x) for x in items)


def _km(x: float) -> str:
    return f"{x:.3f}".rstrip("0").rstrip(".") + " km"


def _message(
    code: str,
    v: Volunteer,
    n: Need,
    ds: Dataset,
    day: date,
    age: int,
    d: float,
    covered: int,
    required: int,
) -> str:
    if code == "not_open":
        return f"the need's status is {n.status.value!r}; only open needs are matched"
    if code == "ended":
        assert n.end_date is not None
        return f"the need ended on {n.end_date.isoformat()}, before {day.isoformat()}"
    if code == "excluded_organisation":
        org = ds.organisation(n.organisation_id)
        return f"the volunteer excluded the organisation {org.id!r} ({one_line(org.name)})"
    if code == "excluded_cause":
        both = sorted(set(v.excluded_causes) & set(n.causes))
        return (
            f"the volunteer excluded the cause(s) {_quote(both)}, which the need serves"
        )
    if code == "skills":
        return f"the volunteer lacks the required skill(s) {_quote(sorted(set(n.required_skills) - set(v.skills)))}"
    if code == "languages":
        return f"the volunteer does not speak the required language(s) {_quote(sorted(set(n.languages) - set(v.languages)))}"
    if code == "checks":
        return f"the volunteer lacks the required check(s) {_quote(sorted(set(n.required_checks) - set(v.checks)))}"
    if code == "age_unknown":
        return f"the need requires age {n.min_age} or over and the volunteer's birth date is unknown"
    if code == "age" and age < 0:
        return (
            f"the need requires age {n.min_age} or over; the volunteer's birth date "
            f"{v.birth_date} is after {day.isoformat()}"
        )
    if code == "age":
        return f"the need requires age {n.min_age} or over; the volunteer is {age} on {day.isoformat()}"
    if code == "remote_not_ok":
        return "the need is remote and the volunteer does not accept remote work"
    if code == "no_place":
        return "the need is in person and the volunteer has no home place to measure the distance from"
    if code == "distance":
        return (
            f"the need is {_km(d)} away, farther than the volunteer's travel radius of "
            f"{_km(v.max_distance_km)}"
        )
    if code == "schedule":
        free = [s for s in n.slots if s in set(v.availability)]
        return (
            f"the volunteer covers {covered} of the need's {len(n.slots)} slot(s)"
            + (f" ({_quote(free)})" if free else "")
            + f"; at least {required} needed"
        )
    return RULES[code]  # pragma: no cover - every code has a message above


def _index(dataset: Dataset, kind: str, item_id: str) -> int:
    """Position of an id, or an error saying the id is unknown (or of the other kind: the
    two ids swapped) and what to pass."""
    try:
        return dataset.index_of(kind, item_id)
    except (KeyError, TypeError):
        pass
    other = "needs" if kind == "volunteers" else "volunteers"
    try:
        dataset.index_of(other, item_id)
    except (KeyError, TypeError):
        raise InvalidInputError(
            f"why_not: the dataset has no {kind[:-1]} with id {item_id!r}; "
            f"pass one of dataset.{kind[:-1]}_ids"
        ) from None
    raise InvalidInputError(
        f"why_not: {item_id!r} is a {other[:-1]} id, not a {kind[:-1]} id; pass the "
        "volunteer id first, then the need id"
    )


def why_not(
    dataset: Dataset, volunteer_id: str, need_id: str, *, as_of: date | None = None
) -> list[Exclusion]:
    """Every hard rule that excludes the pair (volunteer, need); empty if it is acceptable.

    Checks the hard rules 1-6 (docs/scoring.md) at ``as_of`` (default: today), in the order of
    ``matchkit._rules.RULES``. Rule 7 (placements already accepted, full needs, rejected
    pairs) depends on the decisions recorded so far and is not judged here.

    Parameters
    ----------
    dataset : Dataset
    volunteer_id, need_id : str
    as_of : date, optional

    Returns
    -------
    list of Exclusion
        One per failed rule: ``rule`` (a stable code) and ``message``; ``str()`` reads
        ``"rule: message"``.

    Raises
    ------
    InvalidInputError
        If the dataset has no volunteer or need with that id (the message names it),
        or ``dataset`` is not a Dataset.

    Examples
    --------
    >>> import datetime, matchkit as mk
    >>> ds = mk.Dataset(
    ...     volunteers=[{"id": "v1", "home": {"lat": 55.79, "lon": 49.12}, "skills": ["cooking"]}],
    ...     organisations=[{"id": "o1", "name": "Park", "kind": "cso", "registered": True}],
    ...     needs=[{"id": "n1", "organisation_id": "o1", "title": "Plant", "capacity": 2,
    ...             "status": "open", "location": {"lat": 55.99, "lon": 49.12},
    ...             "required_skills": ["gardening"], "min_age": 18}],
    ... )
    >>> for e in mk.why_not(ds, "v1", "n1", as_of=datetime.date(2026, 5, 1)):
    ...     print(e)
    skills: the volunteer lacks the required skill(s) 'gardening'
    age_unknown: the need requires age 18 or over and the volunteer's birth date is unknown
    distance: the need is 22.239 km away, farther than the volunteer's travel radius of 10 km
    """
    if not isinstance(dataset, Dataset):
        hint = " (pass result.dataset)" if hasattr(dataset, "dataset") else ""
        raise InvalidInputError(
            f"why_not expects a matchkit.Dataset; got {type(dataset).__name__}{hint}"
        )
    day = resolve_as_of(as_of, "why_not")
    vi = _index(dataset, "volunteers", volunteer_id)
    ni = _index(dataset, "needs", need_id)
    enc = encode(dataset, volunteers=[vi], needs=[ni])
    zero = np.zeros(1, dtype=np.int64)
    fails = pair_rule_failures(enc, zero, zero, day)
    v, n = dataset.volunteers[vi], dataset.needs[ni]
    age = int(ages_at(enc, day)[0])
    d = float(pair_distances_km(enc, zero, zero)[0])
    covered = int(slots_covered(enc, zero, zero)[0])
    required = int(enc.n_required_overlap[0])
    return [
        Exclusion(
            code,
            _message(code, v, n, dataset, day, age, d, covered, required),
            v.id,
            n.id,
        )
        for code, mask in fails.items()
        if bool(mask[0])
    ]

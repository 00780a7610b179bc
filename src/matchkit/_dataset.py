"""Dataset: volunteers, organisations and needs, checked together.

A ``Dataset`` is immutable. Building one checks every record (schema v1) and then the
records against each other: ids unique per kind, every need's ``organisation_id`` and
``vetted_by`` naming an organisation that exists. A failure lists every problem found.
"""

from __future__ import annotations

import functools
import types
import typing
from collections import Counter
from collections.abc import (
    Callable,
    Collection,
    Container,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from operator import attrgetter
from typing import Any, NamedTuple, TypeVar, Union

from pydantic import BaseModel, ValidationError

from ._exceptions import InvalidDatasetError, Problem
from ._inkind_models import InkindOffer, InkindRequest
from ._memory import makes_lasting_objects
from ._models import WHITESPACE, Need, Organisation, Volunteer, _none_if_blank

__all__ = [
    "ID_FIELDS",
    "REFERENCES",
    "Dataset",
    "Reference",
    "as_id",
    "failed_fields",
    "of_validated_records",
    "problems_from_validation_error",
    "reference_problems",
]

M = TypeVar("M", bound=BaseModel)


def problems_from_validation_error(
    err: ValidationError,
    *,
    source: str,
    row: int | None,
    record_id: str | None = None,
    field_names: Mapping[str, str] | None = None,
) -> list[Problem]:
    """Turn one pydantic ``ValidationError`` into matchkit ``Problem`` s (one per error).

    ``field_names`` maps a model path (``"home.lat"``) to the name the user wrote
    (``"home_lat"`` in CSV), so messages speak the file's language.
    """
    out = []
    for e in err.errors(include_url=False):
        path = ".".join(str(p) for p in e["loc"])
        if field_names:
            path = field_names.get(path, path)
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "missing":
            msg = "is required but missing; add it"
        elif e["type"] == "extra_forbidden":
            msg = "is not a field of schema v1; remove it or check its spelling"
        value = e.get("input")
        if isinstance(value, (dict, list)) and e["type"] != "extra_forbidden":
            value = None
        out.append(
            Problem(msg, source=source, row=row, field=path or None, value=value, record_id=record_id)
        )
    return out


@functools.cache
def _typed_fields(kind: type[BaseModel]) -> tuple[tuple[str, tuple[type, ...]], ...]:
    """Fields of ``kind`` whose validated values have a checkable scalar type.

    Enums, dates, times and numbers: ``None`` allowed where the field is optional.
    """
    def plain(a: Any) -> Any:
        return typing.get_args(a)[0] if typing.get_origin(a) is typing.Annotated else a

    out = []
    for name, info in kind.model_fields.items():
        ann = plain(info.annotation)
        union = typing.get_origin(ann) in (Union, types.UnionType)
        args = tuple(plain(a) for a in typing.get_args(ann)) if union else (ann,)
        scalar = tuple(
            a for a in args
            if isinstance(a, type) and (issubclass(a, (Enum, date, int, float)) or a is type(None))
        )
        if scalar and len(scalar) == len(args):
            out.append((name, scalar))
    return tuple(out)


@functools.cache
def _optional_text_fields(kind: type[BaseModel]) -> tuple[str, ...]:
    """Fields of ``kind`` where blank text means "not given" (``OptionalText``)."""
    return tuple(
        name
        for name, info in kind.model_fields.items()
        if any(getattr(m, "func", None) is _none_if_blank for m in info.metadata)
    )


@functools.cache
def _quick_checks(
    kind: type[BaseModel],
) -> tuple[Callable[[Any], tuple[Any, ...]], tuple[frozenset[type], ...], Callable[[Any], tuple[Any, ...]]]:
    """For :func:`_unvalidated`: a getter of the typed fields' values, each field's types
    (exact), and a getter of the optional text fields' values (tuples, read in C)."""

    def getter(names: Sequence[str]) -> Callable[[Any], tuple[Any, ...]]:
        if not names:
            return lambda item: ()
        get = attrgetter(*names)
        return (lambda item: (get(item),)) if len(names) == 1 else get

    typed = _typed_fields(kind)
    exact = tuple(frozenset(allowed) for _, allowed in typed)
    return getter([n for n, _ in typed]), exact, getter(_optional_text_fields(kind))


def _unvalidated(item: BaseModel) -> bool:
    """True when a record's scalar fields do not have their validated types.

    pydantic's ``model_copy(update=...)`` does not validate the update, so
    ``need.model_copy(update={"status": "closed"})`` holds the string ``"closed"``, not
    ``NeedStatus.CLOSED``, and ``update={"pool": ""}`` keeps the empty text that
    validation reads as "not given". Such records are validated again (validated records
    pass untouched: their values' exact types are checked in one C-level pass, about a
    microsecond a record). Only types are checked: an update of the right type but out
    of range (a negative capacity) is not caught here.
    """
    typed_values, exact, text_values = _quick_checks(type(item))
    if not all(map(frozenset.__contains__, exact, map(type, typed_values(item)))):
        # (a subclass of an allowed type passes, as isinstance says; a bool is no number)
        for name, allowed in _typed_fields(type(item)):
            value = getattr(item, name)
            if not isinstance(value, allowed) or (
                isinstance(value, bool) and bool not in allowed and int in allowed
            ):
                return True
    texts = text_values(item)
    if "" in texts:
        return True
    try:  # (whitespace alone is blank too; None and "" are left out by the filter)
        return any(map(str.isspace, filter(None, texts)))
    except TypeError:  # a value that is not text
        return True


class _Rejected(NamedTuple):
    """A record that failed validation: still checked against the others."""

    position: int
    record_id: str | None
    values: Mapping[str, Any]
    failed: frozenset[str]  # fields whose own value is wrong


#: Set while :func:`of_validated_records` builds a dataset: its records need no type check.
_VALIDATED: ContextVar[bool] = ContextVar("matchkit_records_validated", default=False)


def of_validated_records(**parts: Any) -> Dataset:
    """``Dataset(**parts)`` for records that were validated as they were made (a loader's,
    which validated each; the synthetic city's, typed as they are built): the check of
    each record's value types (about a microsecond a record) is skipped, the checks
    between records run as always.

    Examples
    --------
    >>> from matchkit.datasets import tiny_city
    >>> ds = tiny_city()
    >>> of_validated_records(volunteers=ds.volunteers, organisations=ds.organisations,
    ...                      needs=ds.needs) == ds
    True
    """
    token = _VALIDATED.set(True)
    try:
        return Dataset(**parts)
    finally:
        _VALIDATED.reset(token)


def _coerce(
    kind: type[M],
    items: Iterable[Any],
    source: str,
    problems: list[Problem],
    rejected: list[_Rejected],
) -> tuple[tuple[M, ...], tuple[int, ...]]:
    """The valid records of one kind and their positions in ``items``.

    The problems of invalid records go to ``problems``; the records themselves go to
    ``rejected``, so the checks between records still see them.
    """
    out: list[M] = []
    positions: list[int] = []
    checked = _VALIDATED.get()
    for i, item in enumerate(items):
        if isinstance(item, kind):
            if checked or not _unvalidated(item):
                out.append(item)
                positions.append(i)
                continue
            item = {name: getattr(item, name) for name in type(item).model_fields}
        rid = item.get("id") if isinstance(item, Mapping) else None
        try:
            out.append(kind.model_validate(item))
            positions.append(i)
        except ValidationError as err:
            record_id = str(rid) if rid is not None else None
            problems += problems_from_validation_error(
                err, source=source, row=i, record_id=record_id
            )
            if isinstance(item, Mapping):
                rejected.append(
                    _Rejected(i, as_id(rid), item, failed_fields(err))
                )
    return tuple(out), tuple(positions)


def failed_fields(err: ValidationError) -> frozenset[str]:
    """The fields (top-level names) whose own value a validation error refuses."""
    return frozenset(str(e["loc"][0]) for e in err.errors(include_url=False) if e["loc"])


def as_id(value: Any) -> str | None:
    r"""An id as validation reads it (text, stripped as the models strip it; a number as
    its text), or None.

    Examples
    --------
    >>> as_id(" o1\u00a0"), as_id("o1\x1c"), as_id(7), as_id(" "), as_id(True)
    ('o1', 'o1\x1c', '7', None, None)
    """
    if isinstance(value, str):
        return value.strip(WHITESPACE) or None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


class Reference(NamedTuple):
    """A field of one kind that holds the id of a record of another kind."""

    kind: str
    field: str
    target: str
    missing: str  # the message when the id is not there; ``{!r}`` is the id


_MISSING_ORGANISATION = (
    "organisation {!r} does not exist; add it to organisations or correct the id"
)
#: Every reference between records that a dataset checks.
REFERENCES: tuple[Reference, ...] = (
    Reference("needs", "organisation_id", "organisations", _MISSING_ORGANISATION),
    Reference(
        "needs",
        "vetted_by",
        "organisations",
        "vetting organisation {!r} does not exist; add it to organisations or correct the id",
    ),
    Reference(
        "needs",
        "proposed_by",
        "volunteers",
        "volunteer {!r} does not exist; add them to volunteers or correct the id",
    ),
    Reference("offers", "organisation_id", "organisations", _MISSING_ORGANISATION),
    Reference("requests", "organisation_id", "organisations", _MISSING_ORGANISATION),
    Reference(
        "requests",
        "need_id",
        "needs",
        "need {!r} does not exist; add it to needs or correct the id",
    ),
)
#: Fields that hold an id: a record's own and every reference to another record.
ID_FIELDS = frozenset({"id", *(r.field for r in REFERENCES)})


_REFERENCES_OF: dict[str, tuple[Reference, ...]] = {
    kind: tuple(r for r in REFERENCES if r.kind == kind)
    for kind in dict.fromkeys(r.kind for r in REFERENCES)
}
_REFERENCE_NUMBER = {(r.kind, r.field): n for n, r in enumerate(REFERENCES)}


def reference_problems(
    kind: str,
    values: Mapping[str, Any],
    known: Mapping[str, Container[str] | None],
    *,
    source: str,
    row: int | None,
    record_id: str | None,
    skip: Container[str] = frozenset(),
) -> list[Problem]:
    """The ids a record of ``kind`` names that no record of their kind has.

    ``values`` are the record's fields (a validated record's, or the fields as given when
    the record is invalid itself); ``known`` maps each kind to its ids, every record's
    (valid or not), or to None when that kind could not be read (a missing id would then
    be a guess). Fields in ``skip`` are reported already (their value is wrong).
    """
    out = []
    for ref in _REFERENCES_OF.get(kind, ()):
        if ref.field in skip:
            continue
        ids = known.get(ref.target)
        value = as_id(values.get(ref.field))
        if ids is None or value is None or value in ids:
            continue
        out.append(
            Problem(
                ref.missing.format(value),
                source=source,
                row=row,
                field=ref.field,
                record_id=record_id,
            )
        )
    return out


def _duplicates(kind: str, given: Sequence[tuple[int, str]]) -> list[Problem]:
    """A problem at each record whose id an earlier record of ``kind`` has."""
    counts = Counter(rid for _, rid in given)
    seen: set[str] = set()
    out = []
    for i, rid in given:
        if counts[rid] > 1 and rid in seen:
            out.append(
                Problem(
                    f"duplicate id: ids must be unique among {kind}; "
                    f"{rid!r} appears {counts[rid]} times",
                    source=kind,
                    row=i,
                    field="id",
                    record_id=rid,
                )
            )
        seen.add(rid)
    return out


#: Each kind a dataset holds and its model, in the order of the dataset's fields.
_KINDS: dict[str, type[BaseModel]] = {
    "volunteers": Volunteer,
    "organisations": Organisation,
    "needs": Need,
    "offers": InkindOffer,
    "requests": InkindRequest,
}


_KIND_ORDER = {kind: n for n, kind in enumerate(_KINDS)}


def _ids(items: Sequence[Any]) -> tuple[str, ...]:
    return tuple(item.id for item in items)


@dataclass(frozen=True, eq=True)
class Dataset:
    """Volunteers, organisations and needs, validated together.

    Parameters
    ----------
    volunteers, organisations, needs : sequences of models or of plain dicts
        Dicts are validated as schema v1 records.
    offers, requests : sequences of InkindOffer, InkindRequest (or dicts), optional
        In-kind offers and requests (a schema v1 extension; empty by default).

    Raises
    ------
    InvalidDatasetError
        With every problem found (``.problems``), each naming the kind, the index, the id and
        the field.

    Examples
    --------
    >>> import matchkit as mk
    >>> ds = mk.Dataset(
    ...     volunteers=[{"id": "v1", "skills": ["first_aid"]}],
    ...     organisations=[{"id": "o1", "name": "Food bank", "kind": "cso", "registered": True}],
    ...     needs=[{"id": "n1", "organisation_id": "o1", "title": "Sort donations",
    ...             "remote": True, "capacity": 2, "status": "open"}],
    ... )
    >>> len(ds.volunteers), ds.need("n1").capacity
    (1, 2)
    """

    volunteers: tuple[Volunteer, ...] = ()
    organisations: tuple[Organisation, ...] = ()
    needs: tuple[Need, ...] = ()
    offers: tuple[InkindOffer, ...] = ()
    requests: tuple[InkindRequest, ...] = ()
    _index: dict[str, dict[str, int]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    # (records validated from dicts last: see _memory)
    @makes_lasting_objects
    def __post_init__(self) -> None:
        problems: list[Problem] = []
        rejected: dict[str, list[_Rejected]] = {}
        positions: dict[str, tuple[int, ...]] = {}
        ids: dict[str, tuple[str, ...]] = {}
        for kind, model in _KINDS.items():
            rejected[kind] = []
            items, positions[kind] = _coerce(
                model, getattr(self, kind), kind, problems, rejected[kind]
            )
            object.__setattr__(self, kind, items)
            ids[kind] = _ids(items)
        # Each kind's id -> position: with fewer entries than records, some id repeats.
        index = {kind: dict(zip(ids[kind], range(len(ids[kind])))) for kind in _KINDS}
        problems += self._cross_check(index, ids, positions, rejected)
        if problems:
            raise InvalidDatasetError(problems)
        object.__setattr__(self, "_index", index)

    def _cross_check(
        self,
        index: Mapping[str, Mapping[str, int]],
        ids: Mapping[str, Sequence[str]],
        positions: Mapping[str, Sequence[int]],
        rejected: Mapping[str, Sequence[_Rejected]],
    ) -> list[Problem]:
        """Ids given twice, and ids named that no record has; invalid records count too.

        ``row`` is the position among the records given (valid or not).
        """
        problems: list[Problem] = []
        known: dict[str, Collection[str]] = {}
        for kind in _KINDS:
            given = list(zip(positions[kind], ids[kind]))
            more = [(r.position, r.record_id) for r in rejected[kind] if r.record_id]
            known[kind] = index[kind]
            if more:
                given = sorted(given + more)
                known[kind] = {rid for _, rid in given}
            if len(known[kind]) < len(given):
                problems += _duplicates(kind, given)
        found: list[tuple[int, int, Problem]] = []  # (position, reference, problem)
        for n, ref in enumerate(REFERENCES):
            targets = known[ref.target]
            for i, item in zip(positions[ref.kind], getattr(self, ref.kind)):
                value = getattr(item, ref.field)
                if value is not None and value not in targets:
                    problem = Problem(ref.missing.format(value), source=ref.kind, row=i,
                                      field=ref.field, record_id=item.id)
                    found.append((i, n, problem))
        for kind in _REFERENCES_OF:
            for r in rejected[kind]:
                found += [
                    (r.position, _REFERENCE_NUMBER[kind, p.field or ""], p)
                    for p in reference_problems(kind, r.values, known, source=kind,
                                                row=r.position, record_id=r.record_id,
                                                skip=r.failed)
                ]
        # Kind by kind, then record by record, as the records were given.
        found.sort(key=lambda f: (_KIND_ORDER[f[2].source], f[0], f[1]))
        return problems + [p for *_, p in found]

    # -- lookups -----------------------------------------------------------------------
    def volunteer(self, volunteer_id: str) -> Volunteer:
        """The volunteer with this id (KeyError naming it if there is none).

        Parameters
        ----------
        volunteer_id : str

        Returns
        -------
        Volunteer

        Raises
        ------
        KeyError
            If no volunteer has this id.

        Examples
        --------
        >>> from matchkit.datasets import tiny_city
        >>> city = tiny_city()
        >>> city.volunteer("v2").name, city.volunteer("v2").max_placements
        ('Rustam', 2)
        >>> try:
        ...     city.volunteer("v9")
        ... except KeyError as e:
        ...     print(e)
        "no volunteer with id 'v9' in this dataset"
        """
        return self.volunteers[self._lookup("volunteers", volunteer_id)]

    def organisation(self, organisation_id: str) -> Organisation:
        """The organisation with this id (KeyError naming it if there is none).

        Parameters
        ----------
        organisation_id : str

        Returns
        -------
        Organisation

        Raises
        ------
        KeyError
            If no organisation has this id.

        Examples
        --------
        >>> from matchkit.datasets import tiny_city
        >>> o = tiny_city().organisation("o3")
        >>> o.name, o.kind.value, o.registered
        ('Green Courtyards', 'cso', False)
        """
        return self.organisations[self._lookup("organisations", organisation_id)]

    def need(self, need_id: str) -> Need:
        """The need with this id (KeyError naming it if there is none).

        Parameters
        ----------
        need_id : str

        Returns
        -------
        Need

        Raises
        ------
        KeyError
            If no need has this id.

        Examples
        --------
        >>> from matchkit.datasets import tiny_city
        >>> n = tiny_city().need("n6")
        >>> n.title, n.organisation_id, n.capacity, n.slots
        ('Festival tea stall', 'o4', 1, ('sat-afternoon',))
        """
        return self.needs[self._lookup("needs", need_id)]

    def offer(self, offer_id: str) -> InkindOffer:
        """The in-kind offer with this id (KeyError naming it if there is none).

        Parameters
        ----------
        offer_id : str

        Returns
        -------
        InkindOffer

        Raises
        ------
        KeyError
            If no offer has this id.

        Examples
        --------
        >>> from matchkit.datasets import synthetic_city
        >>> city = synthetic_city(50, 10, seed=1)
        >>> last = city.offers[-1]
        >>> city.offer(last.id) == last
        True
        """
        return self.offers[self._lookup("offers", offer_id)]

    def request(self, request_id: str) -> InkindRequest:
        """The in-kind request with this id (KeyError naming it if there is none).

        Parameters
        ----------
        request_id : str

        Returns
        -------
        InkindRequest

        Raises
        ------
        KeyError
            If no request has this id.

        Examples
        --------
        >>> from matchkit.datasets import synthetic_city
        >>> city = synthetic_city(50, 10, seed=1)
        >>> last = city.requests[-1]
        >>> city.request(last.id) == last
        True
        """
        return self.requests[self._lookup("requests", request_id)]

    def index_of(self, kind: str, item_id: str) -> int:
        """Position of an id within ``volunteers``, ``organisations`` or ``needs``.

        Parameters
        ----------
        kind : {"volunteers", "organisations", "needs", "offers", "requests"}
        item_id : str

        Returns
        -------
        int
            The index into ``getattr(self, kind)``.

        Raises
        ------
        KeyError
            If no record of that kind has this id.

        Examples
        --------
        >>> from matchkit.datasets import tiny_city
        >>> city = tiny_city()
        >>> i = city.index_of("needs", "n6")
        >>> i, city.needs[i].id
        (5, 'n6')
        """
        return self._lookup(kind, item_id)

    def _lookup(self, kind: str, item_id: str) -> int:
        try:
            return self._index[kind][item_id]
        except KeyError:
            raise KeyError(f"no {kind[:-1]} with id {item_id!r} in this dataset") from None

    @property
    def volunteer_ids(self) -> tuple[str, ...]:
        return _ids(self.volunteers)

    @property
    def need_ids(self) -> tuple[str, ...]:
        return _ids(self.needs)

    @property
    def organisation_ids(self) -> tuple[str, ...]:
        return _ids(self.organisations)

    def __iter__(self) -> Iterator[tuple[str, tuple[BaseModel, ...]]]:
        yield "volunteers", self.volunteers
        yield "organisations", self.organisations
        yield "needs", self.needs
        # The in-kind extension: present only when the dataset holds any, so a dataset
        # without offers or requests reads, writes and iterates exactly as before.
        if self.offers:
            yield "offers", self.offers
        if self.requests:
            yield "requests", self.requests

    def __repr__(self) -> str:
        extra = ""
        if self.offers or self.requests:
            extra = f", n_offers={len(self.offers)}, n_requests={len(self.requests)}"
        return (
            f"Dataset(n_volunteers={len(self.volunteers)}, "
            f"n_organisations={len(self.organisations)}, n_needs={len(self.needs)}{extra})"
        )

    # -- records -----------------------------------------------------------------------
    @classmethod
    def from_records(
        cls,
        volunteers: Iterable[Mapping[str, Any]] = (),
        organisations: Iterable[Mapping[str, Any]] = (),
        needs: Iterable[Mapping[str, Any]] = (),
        offers: Iterable[Mapping[str, Any]] = (),
        requests: Iterable[Mapping[str, Any]] = (),
    ) -> Dataset:
        """Build a dataset from plain dicts (JSON-shaped records of schema v1).

        Examples
        --------
        >>> import matchkit as mk
        >>> ds = mk.Dataset.from_records(
        ...     organisations=[{"id": "o1", "name": "Park friends", "kind": "cso",
        ...                     "registered": True}])
        >>> ds.to_records()["organisations"][0]["kind"]
        'cso'
        """
        return cls(
            volunteers=tuple(volunteers),
            organisations=tuple(organisations),
            needs=tuple(needs),
            offers=tuple(offers),
            requests=tuple(requests),
        )

    def to_records(self) -> dict[str, list[dict[str, Any]]]:
        """Plain JSON-ready dicts, one list per kind (dates as ISO strings, sets as lists).

        Fields left unset (None) are omitted. ``offers`` and ``requests`` appear only when
        the dataset holds any. :meth:`from_records` reads the result back.

        Returns
        -------
        dict of str to list of dict

        Examples
        --------
        >>> import matchkit as mk
        >>> from matchkit.datasets import tiny_city
        >>> records = tiny_city().to_records()
        >>> sorted(records), records["volunteers"][0]["birth_date"]
        (['needs', 'organisations', 'volunteers'], '2008-09-01')
        >>> mk.Dataset.from_records(**records) == tiny_city()
        True
        """
        return {
            kind: [m.model_dump(mode="json", exclude_none=True) for m in items]
            for kind, items in self
        }

    def replace(self, **changes: Any) -> Dataset:
        """A new dataset with some kinds replaced (validated again).

        Parameters
        ----------
        **changes
            ``volunteers``, ``organisations``, ``needs``, ``offers`` or ``requests``: the
            new records (models or dicts) of that kind.

        Returns
        -------
        Dataset
            The original is unchanged.

        Raises
        ------
        InvalidDatasetError
            If the new records are invalid, or no longer agree with the rest.

        Examples
        --------
        >>> from matchkit.datasets import tiny_city
        >>> city = tiny_city()
        >>> smaller = city.replace(needs=[n for n in city.needs if n.status.value == "open"])
        >>> len(city.needs), len(smaller.needs), len(smaller.volunteers)
        (6, 5, 6)
        """
        parts: dict[str, Any] = {
            "volunteers": self.volunteers,
            "organisations": self.organisations,
            "needs": self.needs,
            "offers": self.offers,
            "requests": self.requests,
        }
        parts.update(changes)
        return Dataset(**parts)


# matchkit/__init__ renames the module of public classes to "matchkit"; list them so that
# ``pytest --doctest-modules`` on this file still finds the examples of their methods.
__test__ = {"Dataset": Dataset}

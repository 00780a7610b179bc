"""In-kind help: offers from public bodies and businesses, requests from CSOs, matched early.

The records are :class:`InkindOffer` and :class:`InkindRequest` (see ``_inkind_models``).
:func:`match_inkind` matches requests to offers. A request and an offer are compatible when,
on the sending date ``as_of``:

1. they have the same ``kind`` and the same ``unit`` (compared without case);
2. the request's place is inside the offer's service area (or the offer serves the whole city);
3. ``as_of`` lies inside one of the offer's windows (an offer without windows takes requests
   any day), and
4. the request still arrives ``lead_time_days`` before it is needed:
   ``as_of + lead_time_days <= needed_by``.

How a quantity is covered: as a transportation problem, solved exactly with the solver
layer's min-cost flow (:func:`matchkit.solvers.min_cost_flow`). Each request is a source of
``quantity`` units, each offer a sink of at most ``quantity`` units, and every compatible pair
an arc; a unit left uncovered costs 1, so the result covers the most units possible. A request
may therefore be covered by several offers (one letter to each); state things that cannot be
split as whole items (``1`` hall, ``1`` bus). A ``MatchProblem`` is not used here: its edges
carry one unit each, so quantities would need one vertex per unit (a print run of 2,000 sheets
would be 2,000 vertices), while the flow network has one arc per compatible pair.

For every request that is too late for an offer it would otherwise fit, the result gives the
latest date the request could have been sent, so the organisation learns to ask earlier.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._exceptions import InvalidDatasetError, InvalidInputError, Problem, check_choice
from ._inkind_models import DateWindow, InkindKind, InkindOffer, InkindRequest
from ._models import Need, NeedStatus, Organisation, _iso_date
from ._rules import great_circle_km
from ._texts import count, one_line, ru_verb

__all__ = [
    "Allocation",
    "DateWindow",
    "InkindKind",
    "InkindOffer",
    "InkindRequest",
    "InkindResult",
    "LateRequest",
    "match_inkind",
]

_NEVER = np.iinfo(np.int64).min // 4
_SHOWN = 3  # offers named per reason before "and N more"

#: The languages of reasons (and of letters and advice).
LANGUAGES = ("en", "ru")
KIND_RU = {
    "printing": "печать",
    "transport": "транспорт",
    "food": "питание",
    "venue": "помещение",
    "equipment": "оборудование",
    "other": "помощь",
}
# Why a request is not fully covered, in each language; the fields are filled in by _say.
_REASONS = {
    "en": {
        "no_offer": "no offer of {kind} in {unit!r}",
        "units": "; offers of {kind} use: {units}",
        "outside": "outside the service area of every {kind} offer",
        "opens": "offer {offer!r} takes requests from {start}; send it between then and {end}",
        "more_later": "and {more} opening later",
        "too_late": "too late for {fitting}: the last day to ask was {day} (offer {offer!r})",
        "never": "offer {offer!r} takes requests only in {windows}, none of which is "
        "{days} before {needed}",
        "no_day": "offer {offer!r} needs {notice}, more days than there are before {needed}",
        "more_never": "and {more} whose windows never fit",
        "covered": "covered {got} of {quantity} {unit}: {held}",
        "held_one": "the one fitting offer holds {only}{units} {unit}",
        "held_all": "the {n} fitting offers hold {only}{units} {unit} in all",
        "only": "only ",
        "others": ", and other requests take {others} of them",
        "none": "no fitting offer",
        "need_closed": "not matched: the need {need!r} it supports is closed",
        "need_over": "not matched: the need {need!r} it supports ended on {end}",
        "need_idea": "not matched: the need {need!r} it supports is an idea nobody has "
        "vetted yet; have an organisation with the expertise vet it first",
        "need_unvetted": "not matched: the need {need!r} it supports is not vetted by an "
        "organisation that may vet it (see check_policies)",
    },
    "ru": {
        "no_offer": "нет предложений вида «{kind}» в единицах «{unit}»",
        "units": "; предложения этого вида используют: {units}",
        "outside": "вне зоны обслуживания всех предложений вида «{kind}»",
        "opens": "предложение «{offer}» принимает заявки с {start}; отправьте запрос в срок "
        "с {start} по {end}",
        "more_later": "и {more} с приёмом заявок позже",
        "too_late": "слишком поздно для {fitting}: последний день для запроса — {day} "
        "(предложение «{offer}»)",
        "never": "предложение «{offer}» принимает заявки только в периоды {windows}, и ни "
        "один из них не приходится за {days} до {needed}",
        "no_day": "предложение «{offer}» просит обращаться за {days}, а до {needed} "
        "столько дней нет",
        "more_never": "и {more} с неподходящими периодами приёма заявок",
        "covered": "покрыто {got} из {quantity} {unit}: {held}",
        "held_one": "единственное подходящее предложение даёт {only}{units} {unit}",
        "held_all": "подходящие предложения ({n}) дают в сумме {only}{units} {unit}",
        "only": "только ",
        "others": ", и {others} из них забирают другие запросы",
        "none": "нет подходящего предложения",
        "need_closed": "не подобрано: задача «{need}», для которой сделан запрос, закрыта",
        "need_over": "не подобрано: задача «{need}», для которой сделан запрос, "
        "завершилась {end}",
        "need_idea": "не подобрано: задача «{need}», для которой сделан запрос, — пока "
        "идея, которую никто не проверил; сначала её должна проверить организация с "
        "нужной экспертизой",
        "need_unvetted": "не подобрано: задачу «{need}», для которой сделан запрос, не "
        "проверила организация, которой это позволено (см. check_policies)",
    },
}


def _more_text(n: int, lang: str) -> str:
    """``n`` more offers: ``1 more offer``, ``ещё 4 предложения``."""
    if lang == "ru":
        return f"ещё {count(n, 'offer', 'ru')}"
    return f"{n} more offer" if n == 1 else f"{n} more offers"


def _fitting_text(n: int, lang: str) -> str:
    """``n`` fitting offers after "for" (in Russian after «для», so in the genitive)."""
    if lang == "ru":
        return f"{n} {ru_verb(n, 'подходящего предложения', 'подходящих предложений')}"
    return f"{n} fitting offer" if n == 1 else f"{n} fitting offers"


def days_text(n: int, lang: str) -> str:
    """``n`` days with the right plural form: ``1 day``, ``3 дня``, ``11 дней``, ``21 день``.

    Examples
    --------
    >>> [days_text(n, "ru") for n in (1, 3, 5, 11, 21, 104)]
    ['1 день', '3 дня', '5 дней', '11 дней', '21 день', '104 дня']
    """
    return count(n, "day", lang)


def _say(lang: str, key: str, **fields: Any) -> str:
    """One reason in ``lang``; a ``kind`` field is named in that language.

    Every text field goes in on one line (see :func:`matchkit._texts.one_line`): a unit or
    an id pasted from a spreadsheet with a line break or a tab cannot split the reason.

    Examples
    --------
    >>> _say("en", "no_offer", kind="printing", unit="A4\\tsheets")
    "no offer of printing in 'A4 sheets'"
    >>> _say("ru", "covered", got=1, quantity=2, unit="A4\\r\\nлиста", held="…")
    'покрыто 1 из 2 A4 листа: …'
    """
    if lang == "ru" and "kind" in fields:
        fields["kind"] = KIND_RU[fields["kind"]]
    flat = {k: one_line(v) if isinstance(v, str) else v for k, v in fields.items()}
    return _REASONS[lang][key].format(**flat)


@dataclass(frozen=True)
class Allocation:
    """Part (or all) of a request that one offer covers.

    ``unit`` is the offer's ``unit`` as written (a record value, like the ids; letters and
    reasons show it on one line). ``send_by`` is the last day the request can still be sent
    to this offer.

    Examples
    --------
    >>> import matchkit as mk
    >>> from matchkit.datasets import synthetic_city
    >>> city = synthetic_city(100, 20, seed=5)
    >>> res = mk.match_inkind(city.offers, city.requests, city.organisations, as_of="2026-09-01")
    >>> a = res.allocations[1]
    >>> a.request_id, a.offer_id, a.quantity, a.unit, a.send_by.isoformat()
    ('rq4', 'of0', 300, 'sheets', '2026-11-27')
    """

    request_id: str
    offer_id: str
    quantity: int
    unit: str
    send_by: date


@dataclass(frozen=True)
class LateRequest:
    """A request that came too late for an offer it would otherwise fit.

    ``latest_send`` is the last day it could have been sent: inside one of the offer's windows
    and ``lead_time_days`` before ``needed_by``.

    Examples
    --------
    >>> import matchkit as mk
    >>> from matchkit.datasets import synthetic_city
    >>> city = synthetic_city(50, 10, seed=1)
    >>> res = mk.match_inkind(city.offers, city.requests, city.organisations, as_of="2026-09-01")
    >>> late = res.late[0]
    >>> late.request_id, late.offer_id, late.latest_send.isoformat(), late.days_late
    ('rq2', 'of1', '2026-08-05', 27)
    """

    request_id: str
    offer_id: str
    latest_send: date
    needed_by: date
    lead_time_days: int
    as_of: date

    @property
    def days_late(self) -> int:
        """How many days after ``latest_send`` it was sent."""
        return (self.as_of - self.latest_send).days


@dataclass(frozen=True)
class InkindResult:
    """What :func:`match_inkind` found.

    Attributes
    ----------
    allocations : tuple of Allocation
        Sorted by request id, then offer id.
    late : tuple of LateRequest
        Every (request, offer) pair that fits except that the request came too late.
    reasons : mapping of str to str
        InkindRequest id to why it is not fully covered (only requests not fully covered),
        in the language ``match_inkind`` was given. Each is one line: the units and ids it
        names read a line break, a tab or another control character as one space.
    as_of : date
        The sending date.
    held_back : tuple of str
        Ids of the requests not matched because their need is closed, over or not vetted
        (given ``needs``), in the order given; ``reasons`` says why.

    Examples
    --------
    >>> import matchkit as mk
    >>> from matchkit.datasets import synthetic_city
    >>> city = synthetic_city(100, 20, seed=5)
    >>> res = mk.match_inkind(city.offers, city.requests, city.organisations, as_of="2026-09-01")
    >>> [(a.request_id, a.offer_id, a.quantity) for a in res.allocations]
    [('rq1', 'of0', 200), ('rq4', 'of0', 300)]
    >>> print(res.reasons["rq1"])
    covered 200 of 300 sheets: the one fitting offer holds 500 sheets, and other requests take 300 of them
    """

    allocations: tuple[Allocation, ...]
    late: tuple[LateRequest, ...]
    reasons: Mapping[str, str]
    as_of: date
    held_back: tuple[str, ...] = ()

    def covered(self, request_id: str) -> int:
        """Units of a request that offers cover.

        Examples
        --------
        >>> import matchkit as mk
        >>> from matchkit.datasets import synthetic_city
        >>> city = synthetic_city(100, 20, seed=5)
        >>> res = mk.match_inkind(city.offers, city.requests, city.organisations,
        ...                       as_of="2026-09-01")
        >>> res.covered("rq1"), city.request("rq1").quantity, res.covered("rq2")
        (200, 300, 0)
        """
        return sum(a.quantity for a in self.allocations if a.request_id == request_id)

    def given(self, offer_id: str) -> int:
        """Units of an offer that requests use.

        Examples
        --------
        >>> import matchkit as mk
        >>> from matchkit.datasets import synthetic_city
        >>> city = synthetic_city(100, 20, seed=5)
        >>> res = mk.match_inkind(city.offers, city.requests, city.organisations,
        ...                       as_of="2026-09-01")
        >>> res.given("of0"), city.offer("of0").quantity, res.given("of1")
        (500, 500, 0)
        """
        return sum(a.quantity for a in self.allocations if a.offer_id == offer_id)


def _coerce(
    kind: type[Any],
    items: Iterable[Any],
    source: str,
    problems: list[Problem],
    rows: list[int] | None = None,
) -> list[Any]:
    """The valid records of ``items``; the problems of the others go to ``problems``, and
    the position of each valid one among ``items`` to ``rows`` (when given)."""
    from pydantic import ValidationError

    from ._dataset import problems_from_validation_error  # the shared error mapping

    out = []
    for i, item in enumerate(items):
        if isinstance(item, kind):
            out.append(item)
            if rows is not None:
                rows.append(i)
            continue
        try:
            out.append(kind.model_validate(item))
            if rows is not None:
                rows.append(i)
        except ValidationError as err:
            rid = item.get("id") if isinstance(item, Mapping) else None
            problems += problems_from_validation_error(
                err, source=source, row=i, record_id=None if rid is None else str(rid)
            )
    return out


def _unit_key(unit: str) -> str:
    return " ".join(unit.casefold().split())


@dataclass(frozen=True)
class _Timing:
    """Per (request, offer) pair of one group: the latest and earliest send dates (ordinals)."""

    latest: NDArray[
        np.int64
    ]  # last day in a window and lead_time before needed_by; _NEVER if none
    now_ok: NDArray[np.bool_]  # as_of itself is such a day
    earliest: NDArray[np.int64]  # first such day on or after as_of; _NEVER if none


def _timing(
    reqs: Sequence[InkindRequest], offs: Sequence[InkindOffer], as_of: int
) -> _Timing:
    need = np.array([r.needed_by.toordinal() for r in reqs], dtype=np.int64)
    lead = np.array([o.lead_time_days for o in offs], dtype=np.int64)
    deadline = need[:, None] - lead[None, :]  # (R, O): last day to send
    w_off, w_start, w_end = [], [], []
    for j, o in enumerate(offs):
        spans = [(w.start.toordinal(), w.end.toordinal()) for w in o.windows] or [
            (date.min.toordinal(), date.max.toordinal())
        ]
        for s, e in spans:
            w_off.append(j)
            w_start.append(s)
            w_end.append(e)
    wo = np.array(w_off, dtype=np.int64)
    ws = np.array(w_start, dtype=np.int64)
    we = np.array(w_end, dtype=np.int64)
    d = deadline[:, wo]  # (R, W)
    last = np.minimum(we[None, :], d)
    ok = last >= np.maximum(ws, 1)[None, :]
    latest_w = np.where(ok, last, _NEVER)
    first = np.maximum(ws[None, :], as_of)
    open_later = ok & (last >= as_of)
    earliest_w = np.where(open_later, first, np.iinfo(np.int64).max)
    now_w = open_later & (ws[None, :] <= as_of)
    starts = np.flatnonzero(np.r_[True, wo[1:] != wo[:-1]])
    latest = np.maximum.reduceat(latest_w, starts, axis=1)
    earliest = np.minimum.reduceat(earliest_w, starts, axis=1)
    earliest = np.where(earliest == np.iinfo(np.int64).max, _NEVER, earliest)
    now_ok = np.logical_or.reduceat(now_w, starts, axis=1)
    return _Timing(latest=latest, now_ok=now_ok, earliest=earliest)


def _in_area(
    reqs: Sequence[InkindRequest], offs: Sequence[InkindOffer]
) -> NDArray[np.bool_]:
    out = np.ones((len(reqs), len(offs)), dtype=bool)
    local = [j for j, o in enumerate(offs) if o.area is not None]
    if not local:
        return out
    rlat = np.array([r.place.lat for r in reqs])
    rlon = np.array([r.place.lon for r in reqs])
    olat = np.array([offs[j].area.lat for j in local])  # type: ignore[union-attr]
    olon = np.array([offs[j].area.lon for j in local])  # type: ignore[union-attr]
    rad = np.array([offs[j].radius_km for j in local], dtype=np.float64)
    dist = great_circle_km(rlat[:, None], rlon[:, None], olat[None, :], olon[None, :])
    out[:, local] = dist <= rad[None, :] + 1e-9
    return out


def _check_inputs(
    offers: Iterable[Any],
    requests: Iterable[Any],
    organisations: Iterable[Any],
    needs: Iterable[Any] | None = None,
) -> tuple[
    list[InkindOffer], list[InkindRequest], dict[str, Organisation], dict[str, Need] | None
]:
    problems: list[Problem] = []
    # (problems name a record by its position among all given, valid or not)
    off_rows: list[int] = []
    req_rows: list[int] = []
    offs: list[InkindOffer] = _coerce(InkindOffer, offers, "offers", problems, off_rows)
    reqs: list[InkindRequest] = _coerce(
        InkindRequest, requests, "requests", problems, req_rows
    )
    orgs: list[Organisation] = _coerce(
        Organisation, organisations, "organisations", problems
    )
    org_ids = {o.id: o for o in orgs}
    need_ids: dict[str, Need] | None = None
    if needs is not None:
        need_rows: list[int] = []
        valid = _coerce(Need, needs, "needs", problems, need_rows)
        need_ids = {n.id: n for n in valid}
        named = {r.need_id for r in reqs}
        problems += _need_organisations(
            [(n, row) for n, row in zip(valid, need_rows) if n.id in named], org_ids
        )
        for i, req in enumerate(reqs):
            if req.need_id is not None and req.need_id not in need_ids:
                problems.append(
                    Problem(
                        f"need {req.need_id!r} does not exist; add it to needs or correct "
                        "the id",
                        source="requests",
                        row=req_rows[i],
                        field="need_id",
                        record_id=req.id,
                    )
                )
    kinds: tuple[tuple[str, Sequence[InkindOffer | InkindRequest], list[int]], ...] = (
        ("offers", offs, off_rows),
        ("requests", reqs, req_rows),
    )
    for source, items, rows in kinds:
        first: dict[str, int] = {}
        for item, row in zip(items, rows):
            if item.id in first:
                problems.append(
                    Problem(
                        f"duplicate id: ids must be unique among {source}; {item.id!r} is "
                        f"also {source}[{first[item.id]}]: give each record its own id",
                        source=source,
                        row=row,
                        field="id",
                        record_id=item.id,
                    )
                )
            first.setdefault(item.id, row)
            if item.organisation_id not in org_ids:
                problems.append(
                    Problem(
                        f"organisation {item.organisation_id!r} does not exist; add it to "
                        "organisations or correct the id",
                        source=source,
                        row=row,
                        field="organisation_id",
                        record_id=item.id,
                    )
                )
    if problems:
        raise InvalidDatasetError(problems, context="in-kind input")
    return offs, reqs, org_ids, need_ids


def _need_organisations(
    needs: Sequence[tuple[Need, int]], orgs: Mapping[str, Organisation]
) -> list[Problem]:
    """The needs' organisations and vetters missing from ``orgs`` (``needs`` holds the
    needs some request names, with their rows): whether a request waits for its need's
    vetting depends on both, so neither may be guessed."""
    out = []
    for need, row in needs:
        for column, org_id, role in (
            ("organisation_id", need.organisation_id, "the need's organisation"),
            ("vetted_by", need.vetted_by, "the need's vetter"),
        ):
            if org_id is not None and org_id not in orgs:
                out.append(
                    Problem(
                        f"organisation {org_id!r} ({role}) is not among organisations; "
                        "pass every organisation the needs name (dataset.organisations), "
                        "or correct the id",
                        source="needs",
                        row=row,
                        field=column,
                        record_id=need.id,
                    )
                )
    return out


def _held_back(
    reqs: Sequence[InkindRequest],
    needs: Mapping[str, Need],
    orgs: Mapping[str, Organisation],
    day: date,
    lang: str,
) -> dict[int, str]:
    """Requests whose need is closed, over or not vetted by an organisation that may vet
    it: request index -> why."""
    from ._vetting import vetting_problem

    out: dict[int, str] = {}
    for i, r in enumerate(reqs):
        need = needs.get(r.need_id) if r.need_id is not None else None
        if need is None:
            continue
        if need.status is NeedStatus.CLOSED:
            out[i] = _say(lang, "need_closed", need=need.id)
        elif need.end_date is not None and need.end_date < day:
            out[i] = _say(lang, "need_over", need=need.id, end=need.end_date.isoformat())
        elif need.status is NeedStatus.IDEA:
            out[i] = _say(lang, "need_idea", need=need.id)
        elif vetting_problem(need, orgs) is not None:
            out[i] = _say(lang, "need_unvetted", need=need.id)
    return out


def match_inkind(
    offers: Iterable[InkindOffer | Mapping[str, Any]],
    requests: Iterable[InkindRequest | Mapping[str, Any]],
    organisations: Iterable[Organisation | Mapping[str, Any]],
    *,
    as_of: date | str,
    lang: str = "en",
    needs: Iterable[Need | Mapping[str, Any]] | None = None,
) -> InkindResult:
    """Match in-kind requests to offers, covering as many units as possible.

    Parameters
    ----------
    offers, requests : iterables of InkindOffer, InkindRequest (or dicts of their fields)
    organisations : iterable of Organisation (or dicts)
        Every offer's and request's ``organisation_id`` must be among them.
    as_of : date, datetime or YYYY-MM-DD string
        The day the requests would be sent (a datetime gives its date).
    lang : {"en", "ru"}
        The language of the reasons.
    needs : iterable of Need (or dicts), optional
        The needs the requests support (``need_id`` must name one of them). A request whose
        need is closed, over (``end_date`` before ``as_of``) or not vetted (an idea, no
        ``vetted_by``, or a vetter that may not vet it, see :func:`matchkit.can_vet`) is
        not matched, and its reason says so. The organisation and the vetter of each need
        a request names must be among ``organisations``. Without ``needs``, ``need_id`` is
        not checked: pass ``dataset.needs``.

    Returns
    -------
    InkindResult
        Allocations (never more than an offer or a request holds, only between compatible
        pairs), late pairs with the latest date that would have worked, and the reason each
        request not fully covered was not.

    Raises
    ------
    InvalidDatasetError
        Listing every invalid record, duplicate id, unknown organisation and unknown need,
        and each organisation or vetter of a named need missing from ``organisations``.

    Examples
    --------
    >>> import matchkit as mk
    >>> orgs = [{"id": "shop", "name": "Bakery", "kind": "business", "registered": True},
    ...         {"id": "cso", "name": "Park friends", "kind": "cso", "registered": True}]
    >>> offers = [{"id": "bread", "organisation_id": "shop", "kind": "food",
    ...            "item": "sandwiches", "quantity": 50, "unit": "portions",
    ...            "lead_time_days": 3, "contact_role": "manager"}]
    >>> requests = [{"id": "lunch", "organisation_id": "cso", "kind": "food", "quantity": 30,
    ...              "unit": "portions", "needed_by": "2027-05-10",
    ...              "place": {"lat": 55.8, "lon": 49.1}, "purpose": "lunch for volunteers"},
    ...             {"id": "late", "organisation_id": "cso", "kind": "food", "quantity": 10,
    ...              "unit": "portions", "needed_by": "2027-05-02",
    ...              "place": {"lat": 55.8, "lon": 49.1}, "purpose": "tea"}]
    >>> res = mk.match_inkind(offers, requests, orgs, as_of="2027-05-01")
    >>> [(a.request_id, a.quantity) for a in res.allocations]
    [('lunch', 30)]
    >>> res.late[0].latest_send.isoformat()
    '2027-04-29'
    >>> print(mk.match_inkind(offers, requests, orgs, as_of="2027-05-01", lang="ru").reasons["late"])
    слишком поздно для 1 подходящего предложения: последний день для запроса — 2027-04-29 (предложение «bread»)

    A request for a need that is closed takes nothing from the offers:

    >>> needs = [{"id": "fair", "organisation_id": "cso", "title": "Fair", "remote": True,
    ...           "capacity": 5, "status": "closed"}]
    >>> requests[0]["need_id"] = "fair"
    >>> res = mk.match_inkind(offers, requests, orgs, as_of="2027-05-01", needs=needs)
    >>> res.allocations, res.held_back, res.reasons["lunch"]
    ((), ('lunch',), "not matched: the need 'fair' it supports is closed")
    """
    check_choice("lang", lang, LANGUAGES, caller="match_inkind")
    if isinstance(as_of, datetime):  # (its day, as match and check_policies read it)
        as_of = as_of.date()
    try:
        day = _iso_date(as_of)
    except ValueError as err:
        raise InvalidInputError(f"as_of of match_inkind: {err}") from None
    if not isinstance(day, date):
        raise InvalidInputError(
            f"as_of of match_inkind must be a date (YYYY-MM-DD); got {as_of!r}"
        )
    offs, reqs, orgs, need_ids = _check_inputs(offers, requests, organisations, needs)
    today = day.toordinal()
    waiting = _held_back(reqs, need_ids, orgs, day, lang) if need_ids is not None else {}

    reasons: dict[str, list[str]] = {reqs[i].id: [why] for i, why in waiting.items()}
    groups: dict[tuple[str, str], tuple[list[int], list[int]]] = {}
    for i, r in enumerate(reqs):
        if i in waiting:  # (asks for nothing: no units, no letter, no advice)
            continue
        groups.setdefault((r.kind.value, _unit_key(r.unit)), ([], []))[0].append(i)
    # (offers in order of id: the offer a reason names among equals is the same whatever
    # the order of the file)
    for j in sorted(range(len(offs)), key=lambda j: offs[j].id):
        o = offs[j]
        groups.setdefault((o.kind.value, _unit_key(o.unit)), ([], []))[1].append(j)

    late: list[LateRequest] = []
    # Per request: its group's latest-send matrix and its row there; per offer: its column.
    latest_of: list[NDArray[np.int64]] = []
    req_group = np.full(len(reqs), -1, dtype=np.int64)
    req_row = np.zeros(len(reqs), dtype=np.int64)
    off_col = np.zeros(len(offs), dtype=np.int64)
    fits: set[str] = set()
    # The transportation network, built group by group with numpy (pairs as index arrays).
    arc_req: list[NDArray[np.int64]] = []
    arc_off: list[NDArray[np.int64]] = []
    for (kind, unit), (ri, oj) in sorted(groups.items()):
        if not oj:
            # (on one line before they are told apart: "A4\tsheets" and "A4 sheets" read alike)
            units = ", ".join(
                sorted({one_line(o.unit) for o in offs if o.kind.value == kind})
            )
            hint = _say(lang, "units", kind=kind, units=units) if units else ""
            for i in ri:
                reasons.setdefault(reqs[i].id, []).append(
                    _say(lang, "no_offer", kind=kind, unit=reqs[i].unit) + hint
                )
            continue
        if not ri:
            continue
        greqs = [reqs[i] for i in ri]
        goffs = [offs[j] for j in oj]
        area = _in_area(greqs, goffs)
        t = _timing(greqs, goffs, today)
        feasible = area & t.now_ok
        is_late = area & (t.latest != _NEVER) & (t.latest < today)
        for a, b in zip(*np.nonzero(is_late)):
            late.append(
                LateRequest(
                    greqs[a].id,
                    goffs[b].id,
                    date.fromordinal(int(t.latest[a, b])),
                    greqs[a].needed_by,
                    goffs[b].lead_time_days,
                    day,
                )
            )
        req_group[ri] = len(latest_of)
        req_row[ri] = np.arange(len(ri))
        off_col[oj] = np.arange(len(oj))
        latest_of.append(t.latest)
        fits.update(greqs[a].id for a in np.flatnonzero(feasible.any(axis=1)))
        _explain_group(greqs, goffs, area, t, feasible, today, reasons, lang)

        pr, po = np.nonzero(feasible)
        arc_req.append(np.asarray(ri, dtype=np.int64)[pr])
        arc_off.append(np.asarray(oj, dtype=np.int64)[po])

    allocations: list[Allocation] = []
    pairs_r = np.concatenate(arc_req) if arc_req else np.zeros(0, dtype=np.int64)
    pairs_o = np.concatenate(arc_off) if arc_off else np.zeros(0, dtype=np.int64)
    flow = np.zeros(0, dtype=np.int64)
    if len(pairs_r):
        flow = _transport(pairs_r, pairs_o, reqs, offs)
        for k in np.flatnonzero(flow > 0):
            i, j = int(pairs_r[k]), int(pairs_o[k])
            last = latest_of[int(req_group[i])][req_row[i], off_col[j]]
            allocations.append(
                Allocation(
                    reqs[i].id,
                    offs[j].id,
                    int(flow[k]),
                    offs[j].unit,
                    date.fromordinal(int(last)),
                )
            )
    allocations.sort(key=lambda a: (a.request_id, a.offer_id))
    covered: dict[str, int] = {}
    for a in allocations:
        covered[a.request_id] = covered.get(a.request_id, 0) + a.quantity
    fitting = _fitting_units(pairs_r, pairs_o, flow, offs, len(reqs))
    final: dict[str, str] = {}
    for i, r in enumerate(reqs):
        got = covered.get(r.id, 0)
        if got >= r.quantity:
            continue
        why = list(reasons.get(r.id, []))
        if got or r.id in fits:
            n, held, others = (int(x[i]) for x in fitting)
            why.append(_short_text(r, got, n, held, others, lang))
        final[r.id] = "; ".join(why) or _say(lang, "none")
    late.sort(key=lambda x: (x.request_id, x.offer_id))
    held_back = tuple(reqs[i].id for i in sorted(waiting))
    return InkindResult(tuple(allocations), tuple(late), final, day, held_back)


def _fitting_units(
    pairs_r: NDArray[np.int64],
    pairs_o: NDArray[np.int64],
    flow: NDArray[np.int64],
    offs: Sequence[InkindOffer],
    n_r: int,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Per request: its fitting offers, the units they hold, and the units other requests
    take from them."""
    qo = np.array([o.quantity for o in offs], dtype=np.int64)
    given = np.zeros(len(offs), dtype=np.int64)
    np.add.at(given, pairs_o, flow)
    n_fit = np.bincount(pairs_r, minlength=n_r).astype(np.int64)
    held = np.zeros(n_r, dtype=np.int64)
    np.add.at(held, pairs_r, qo[pairs_o])
    others = np.zeros(n_r, dtype=np.int64)
    np.add.at(others, pairs_r, given[pairs_o] - flow)
    return n_fit, held, others


def _short_text(
    r: InkindRequest, got: int, n: int, held: int, others: int, lang: str
) -> str:
    """Why a request that fits some offers is not fully covered: too little, or taken."""
    only = _say(lang, "only") if held < r.quantity else ""
    key = "held_one" if n == 1 else "held_all"
    why = _say(lang, key, n=n, only=only, units=held, unit=r.unit)
    if others:
        why += _say(lang, "others", others=others)
    return _say(lang, "covered", got=got, quantity=r.quantity, unit=r.unit, held=why)


def _transport(
    pairs_r: NDArray[np.int64],
    pairs_o: NDArray[np.int64],
    reqs: Sequence[InkindRequest],
    offs: Sequence[InkindOffer],
) -> NDArray[np.int64]:
    """Units sent along each compatible pair (see :func:`_flow`), the same whatever the
    order of the records: the network is built with the requests in order of
    ``(needed_by, id)`` and the offers in order of id, so which of several requests
    competing for an offer gets it does not depend on the order of the files."""
    by_r = sorted(range(len(reqs)), key=lambda i: (reqs[i].needed_by, reqs[i].id))
    by_o = sorted(range(len(offs)), key=lambda j: offs[j].id)
    rank_r = np.empty(len(reqs), dtype=np.int64)
    rank_r[by_r] = np.arange(len(reqs))
    rank_o = np.empty(len(offs), dtype=np.int64)
    rank_o[by_o] = np.arange(len(offs))
    cr, co = rank_r[pairs_r], rank_o[pairs_o]
    arcs = np.lexsort((co, cr))
    flow = np.empty(len(pairs_r), dtype=np.int64)
    flow[arcs] = _flow(
        cr[arcs], co[arcs], [reqs[i] for i in by_r], [offs[j] for j in by_o]
    )
    return flow


def _flow(
    pairs_r: NDArray[np.int64],
    pairs_o: NDArray[np.int64],
    reqs: Sequence[InkindRequest],
    offs: Sequence[InkindOffer],
) -> NDArray[np.int64]:
    """Units sent along each compatible pair: the most units coverable (min-cost flow).

    Nodes: requests ``0..R-1``, offers ``R..R+O-1``, one sink ``R+O``. Arcs: each pair
    (capacity: what the request sends, cost 0), each offer to the sink (its quantity, cost
    0), each request straight to the sink (what it sends, cost 1: units left uncovered).
    A request sends its quantity, or what its fitting offers hold in all if that is less.
    """
    from .solvers import min_cost_flow

    n_r, n_o = len(reqs), len(offs)
    qo = np.array([o.quantity for o in offs], dtype=np.int64)
    # A request sends at most what its fitting offers hold in all (none without any): a
    # large request no offer fits, or one far beyond its offers, does not count to the
    # solver's limit.
    reach = np.zeros(n_r, dtype=np.int64)
    np.add.at(reach, pairs_r, qo[pairs_o])
    qr = np.minimum(np.array([r.quantity for r in reqs], dtype=np.int64), reach)
    if int(qr.sum()) > np.iinfo(np.int32).max:
        raise InvalidDatasetError(
            [
                Problem(
                    f"the requests that fit some offer ask for {int(qr.sum())} units in all "
                    "(counting each at most what its fitting offers hold); in-kind matching "
                    "handles at most 2**31 - 1: split the requests into batches",
                    source="requests",
                )
            ],
            context="in-kind input",
        )
    sink = n_r + n_o
    r_all = np.arange(n_r, dtype=np.int64)
    tail = np.concatenate([pairs_r, n_r + np.arange(n_o), r_all])
    head = np.concatenate([n_r + pairs_o, np.full(n_o, sink), np.full(n_r, sink)])
    cap = np.concatenate([qr[pairs_r], qo, qr])
    cost = np.concatenate(
        [np.zeros(len(pairs_r) + n_o, dtype=np.int64), np.ones(n_r, np.int64)]
    )
    supply = np.concatenate([qr, np.zeros(n_o, dtype=np.int64), [-int(qr.sum())]])
    result = min_cost_flow(tail, head, cap, cost, supply)
    return result.flow[: len(pairs_r)]


def _explain_group(
    greqs: Sequence[InkindRequest],
    goffs: Sequence[InkindOffer],
    area: NDArray[np.bool_],
    t: _Timing,
    feasible: NDArray[np.bool_],
    today: int,
    reasons: dict[str, list[str]],
    lang: str,
) -> None:
    """Why each request of a group has no fitting offer (a loop per request, not per pair)."""
    for a, r in enumerate(greqs):
        if feasible[a].any():
            continue
        if not area[a].any():
            reasons.setdefault(r.id, []).append(
                _say(lang, "outside", kind=r.kind.value)
            )
            continue
        inside = np.flatnonzero(area[a])
        why = reasons.setdefault(r.id, [])
        why += _opens_later(goffs, inside, t, a, today, lang)
        past = inside[(t.latest[a, inside] != _NEVER) & (t.latest[a, inside] < today)]
        if len(past):
            best = past[np.argmax(t.latest[a, past])]
            why.append(
                _say(
                    lang,
                    "too_late",
                    fitting=_fitting_text(len(past), lang),
                    day=_iso(t.latest[a, best]),
                    offer=goffs[best].id,
                )
            )
        why += _never_fit(r, goffs, inside[t.latest[a, inside] == _NEVER], lang)


def _iso(ordinal: Any) -> str:
    return date.fromordinal(int(ordinal)).isoformat()


def _opens_later(
    goffs: Sequence[InkindOffer],
    inside: NDArray[np.int64],
    t: _Timing,
    a: int,
    today: int,
    lang: str,
) -> list[str]:
    """The offers that take requests from a later day, soonest first."""
    later = inside[(t.earliest[a, inside] != _NEVER) & (t.earliest[a, inside] > today)]
    later = later[np.argsort(t.earliest[a, later], kind="stable")]
    out = [
        _say(
            lang,
            "opens",
            offer=goffs[b].id,
            start=_iso(t.earliest[a, b]),
            end=_iso(t.latest[a, b]),
        )
        for b in later[:_SHOWN]
    ]
    if len(later) > _SHOWN:
        out.append(_say(lang, "more_later", more=_more_text(len(later) - _SHOWN, lang)))
    return out


def _never_fit(
    r: InkindRequest,
    goffs: Sequence[InkindOffer],
    never: NDArray[np.int64],
    lang: str,
) -> list[str]:
    """The offers on which no day is both open for requests and early enough."""
    out = []
    for b in never[:_SHOWN]:
        o = goffs[b]
        lead, needed = o.lead_time_days, r.needed_by.isoformat()
        if o.windows:
            wins = ", ".join(str(w) for w in o.windows)
            days = days_text(lead, lang)
            out.append(
                _say(lang, "never", offer=o.id, windows=wins, days=days, needed=needed)
            )
        else:  # the notice reaches back before the first day of the calendar
            notice = f"{lead} day's notice" if lead == 1 else f"{lead} days' notice"
            days = days_text(lead, lang)
            out.append(
                _say(
                    lang, "no_day", offer=o.id, notice=notice, days=days, needed=needed
                )
            )
    if len(never) > _SHOWN:
        out.append(_say(lang, "more_never", more=_more_text(len(never) - _SHOWN, lang)))
    return out


# The package shows public names as ``matchkit.X``; doctest would then skip them here.
__test__ = {
    "Allocation": Allocation,
    "InkindResult": InkindResult,
    "LateRequest": LateRequest,
    "match_inkind": match_inkind,
}

"""The ledger's rules: offers checked at the edge and against the state, decisions checked.

``coerce_offers`` validates a round's offers one by one (each problem names the offer's
position and pair); ``check_offers`` refuses the offers the state forbids; ``offered_pair``,
``require_open``, ``require_not_before`` and ``require_other_group`` refuse decisions on
pairs that cannot take them.
Every refusal is a ``DecisionError`` raised before anything is written.
"""

from __future__ import annotations

import json
import math
import numbers
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from ._exceptions import DecisionError, InvalidInputError
from ._ledger_state import (
    RESERVED_OFFER_KEYS,
    LedgerState,
    PairRecord,
    RoundInfo,
    format_time,
)
from ._ledger_store import Store
from ._models import Id, NeedStatus

__all__ = [
    "Offer",
    "check_offers",
    "coerce_offers",
    "decision_ids",
    "group_of",
    "need_id_text",
    "offered_pair",
    "pair_text",
    "require_in_time_order",
    "require_not_before",
    "require_open",
    "require_other_group",
]


#: The longest an offer may stay open, in days (ten years).
MAX_TTL_DAYS = 3660


def check_ttl_days(ttl_days: Any, caller: str) -> float:
    """``ttl_days`` if it is a number of days in ``(0, MAX_TTL_DAYS]``, else a clear error.

    Examples
    --------
    >>> check_ttl_days(7, "match")
    7
    >>> check_ttl_days(0, "match")
    Traceback (most recent call last):
    ...
    matchkit.InvalidInputError: The 'ttl_days' parameter of match must be a number of days above 0 and at most 3660 (how long each offer stays open); got 0
    """
    if (
        isinstance(ttl_days, bool)
        or not isinstance(ttl_days, (int, float))
        or not math.isfinite(ttl_days)
        or not 0 < ttl_days <= MAX_TTL_DAYS
    ):
        raise InvalidInputError(
            f"The 'ttl_days' parameter of {caller} must be a number of days above 0 and at "
            f"most {MAX_TTL_DAYS} (how long each offer stays open); got {ttl_days!r}"
        )
    return ttl_days


def pair_text(volunteer_id: str, need_id: str) -> str:
    return f"volunteer {volunteer_id!r} / need {need_id!r}"


def _whole_number_as_text(value: Any) -> Any:
    """A whole number (not a bool) as its digits, as the data loader reads ids."""
    if type(value) is str:  # (the usual case, checked first: it runs for every offer)
        return value
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return str(int(value))
    return value


class Offer(BaseModel):
    """One proposal of a round, as the ledger records it.

    Attributes
    ----------
    volunteer_id, need_id : str
        The pair offered (a whole number is read as its digits, as the data loader does).
    score : float
        The pair's score (higher is better).
    capacity : int
        The need's capacity when offered; accepting beyond it is refused.
    max_placements : int
        The volunteer's ``max_placements`` when offered; accepting beyond it is refused.
    rank : int or None
        Position in the volunteer's shortlist (0 = the solver's choice), if any.
    shortlist : bool
        True for an alternative offered so the volunteer can choose.
    extra : dict
        Anything else to keep with the offer (JSON values), such as score components.

    Examples
    --------
    >>> Offer(volunteer_id="v1", need_id="n1", score=0.8, capacity=2, max_placements=1).need_id
    'n1'
    """

    model_config = ConfigDict(frozen=True, extra="forbid", from_attributes=True)

    volunteer_id: Annotated[Id, BeforeValidator(_whole_number_as_text)]
    need_id: Annotated[Id, BeforeValidator(_whole_number_as_text)]
    score: float = Field(allow_inf_nan=False)
    capacity: int = Field(ge=1)
    max_placements: int = Field(ge=1)
    rank: int | None = Field(None, ge=0)
    shortlist: bool = False
    extra: dict[str, Any] = Field(default_factory=dict)


def coerce_offers(
    offers: Iterable[Any],
    capacity: Mapping[str, int],
    max_placements: Mapping[str, int],
) -> list[Offer]:
    if isinstance(offers, (str, bytes, Mapping)) or not isinstance(offers, Iterable):
        raise InvalidInputError(
            "offers must be an iterable of offers (a list, [] for a round without "
            f"offers), not a single value; got {type(offers).__name__}"
        )
    out: list[Offer] = []
    seen: dict[tuple[str, str], int] = {}
    for i, item in enumerate(offers):
        if isinstance(item, Offer):
            offer = item
        else:
            if isinstance(item, Mapping):
                data = dict(item)
            else:
                data = {
                    k: getattr(item, k) for k in Offer.model_fields if hasattr(item, k)
                }
            vid = _whole_number_as_text(data.get("volunteer_id"))
            nid = _whole_number_as_text(data.get("need_id"))
            if isinstance(vid, str):
                vid = vid.strip()
            if isinstance(nid, str):
                nid = nid.strip()
            if "capacity" not in data and isinstance(nid, str) and nid in capacity:
                data["capacity"] = capacity[nid]
            if (
                "max_placements" not in data
                and isinstance(vid, str)
                and vid in max_placements
            ):
                data["max_placements"] = max_placements[vid]
            try:
                offer = Offer.model_validate(data)
            except ValidationError as err:
                first = err.errors(include_url=False)[0]
                field = ".".join(str(p) for p in first["loc"])
                hint = ""
                if (
                    field in ("capacity", "max_placements")
                    and first["type"] == "missing"
                ):
                    hint = f"; give it in the offer or in record_round({field}={{...}})"
                raise InvalidInputError(
                    f"offer {i} ({vid!r}, {nid!r}): field {field!r} {first['msg'].lower()}{hint}"
                ) from None
        clash = RESERVED_OFFER_KEYS & offer.extra.keys()
        if clash:
            raise InvalidInputError(
                f"offer {i} ({offer.volunteer_id!r}, {offer.need_id!r}): extra must not "
                f"use the reserved keys {sorted(clash)}"
            )
        pair = (offer.volunteer_id, offer.need_id)
        if pair in seen:
            raise InvalidInputError(
                f"offers {seen[pair]} and {i} are the same pair ({pair[0]!r}, {pair[1]!r}); "
                "a round offers a pair at most once"
            )
        seen[pair] = i
        out.append(offer)
    try:
        json.dumps([o.extra for o in out], allow_nan=False)
    except (TypeError, ValueError) as err:
        raise InvalidInputError(f"an offer's extra is not JSON: {err}") from None
    return out


def check_offers(state: LedgerState, batch: list[Offer]) -> None:
    """Refuse (DecisionError) any offer of a round that the state forbids."""
    placed_need = state.placements_per_need
    placed_vol = state.placements_per_volunteer
    for i, o in enumerate(batch):
        pair = (o.volunteer_id, o.need_id)
        where = f"offer {i} ({pair_text(*pair)})"
        if pair in state.rejected:
            raise DecisionError(
                f"{where}: the volunteer rejected this pair; a rejection is final"
            )
        if pair in state.excluded:
            raise DecisionError(
                f"{where}: the volunteer withdrew from this pair; it is not offered again"
            )
        if pair in state.placements:
            raise DecisionError(
                f"{where}: already an accepted placement; it stays as it is"
            )
        if pair in state.open_offers:
            raise DecisionError(
                f"{where}: already has an open offer (round {state.open_offers[pair].round}); "
                "open offers stay as they are"
            )
        status = state.need_status.get(o.need_id)
        if status is not None and status is not NeedStatus.OPEN:
            raise DecisionError(
                f"{where}: the need is {status.value!r}; only open needs are offered"
            )
        if placed_need.get(o.need_id, 0) >= o.capacity:
            raise DecisionError(
                f"{where}: the need is full ({o.capacity} accepted placements)"
            )
        if placed_vol.get(o.volunteer_id, 0) >= o.max_placements:
            raise DecisionError(
                f"{where}: the volunteer is at max_placements ({o.max_placements} accepted)"
            )


def require_in_time_order(rounds: Iterable[RoundInfo], when: datetime, caller: str) -> None:
    """Refuse a round dated on a day (UTC) before the latest round recorded: the log's
    rounds, their offers and expiries follow one another in time (a round in the past of
    the ledger would withdraw and expire offers before they were made). A round on the
    latest round's day is taken at any time of it: ``match(as_of=day)`` records at 00:00
    UTC, also after a round made earlier that day at the time it ran.

    Examples
    --------
    >>> from matchkit._ledger_state import parse_time
    >>> r1 = RoundInfo(1, parse_time("2026-09-10T15:00:00Z"), 4, 7.0)
    >>> require_in_time_order([r1], parse_time("2026-09-10"), "match")
    >>> require_in_time_order([r1], parse_time("2026-09-09T23:00:00Z"), "match")
    Traceback (most recent call last):
    ...
    matchkit.InvalidInputError: match: cannot record a round at 2026-09-09T23:00:00.000000Z, before the day of the ledger's round 1 (2026-09-10T15:00:00.000000Z); rounds are recorded in time order: give a day on or after it (as_of, or at)
    """
    latest = max(rounds, key=lambda r: r.at, default=None)
    if latest is not None and format_time(when)[:10] < format_time(latest.at)[:10]:
        raise InvalidInputError(
            f"{caller}: cannot record a round at {format_time(when)}, before the day of the "
            f"ledger's round {latest.number} ({format_time(latest.at)}); rounds are recorded "
            "in time order: give a day on or after it (as_of, or at)"
        )


def decision_ids(volunteer_id: Any, need_id: Any, verb: str) -> tuple[str, str]:
    """The pair's ids as the ledger keeps them: text without spaces around it (as offers
    record them); a whole number, as the data loader reads ids, is its digits.

    Examples
    --------
    >>> decision_ids(17, " n3 ", "accept")
    ('17', 'n3')
    >>> decision_ids(True, "n3", "accept")
    Traceback (most recent call last):
    ...
    matchkit.DecisionError: cannot accept: volunteer_id must be a non-empty string (or a whole number), got True
    """
    out = []
    for name, value in (("volunteer_id", volunteer_id), ("need_id", need_id)):
        text = _whole_number_as_text(value)
        if not isinstance(text, str) or not text.strip():
            raise DecisionError(
                f"cannot {verb}: {name} must be a non-empty string (or a whole number), "
                f"got {value!r}"
            )
        out.append(text.strip())
    return out[0], out[1]


def need_id_text(need_id: Any, caller: str) -> str:
    """A need id as the ledger keeps it (see :func:`decision_ids`), or InvalidInputError.

    Examples
    --------
    >>> need_id_text(7, "Ledger.record_need_transition")
    '7'
    >>> need_id_text(None, "Ledger.record_need_transition")
    Traceback (most recent call last):
    ...
    matchkit.InvalidInputError: Ledger.record_need_transition: need_id must be a non-empty string (or a whole number), got None
    """
    text = _whole_number_as_text(need_id)
    if not isinstance(text, str) or not text.strip():
        raise InvalidInputError(
            f"{caller}: need_id must be a non-empty string (or a whole number), got {need_id!r}"
        )
    return text.strip()


def offered_pair(
    store: Store, volunteer_id: str, need_id: str, verb: str
) -> PairRecord:
    """The pair's record, or a DecisionError naming the unknown id or the unoffered pair."""
    for name, value in (("volunteer_id", volunteer_id), ("need_id", need_id)):
        if not isinstance(value, str) or not value:
            raise DecisionError(
                f"cannot {verb}: {name} must be a non-empty string, got {value!r}"
            )
    rec = store.pair(volunteer_id, need_id)
    if rec is not None:
        return rec
    unknown = [
        f"{kind} {value!r}{_near_id(store, col, value)}"
        for kind, col, value in (
            ("volunteer", "volunteer_id", volunteer_id),
            ("need", "need_id", need_id),
        )
        if not store.known(col, value)
    ]
    if unknown:
        raise DecisionError(
            f"cannot {verb} {pair_text(volunteer_id, need_id)}: unknown "
            f"{' and '.join(unknown)} (never offered in this ledger); check the ids"
        )
    raise DecisionError(
        f"cannot {verb} {pair_text(volunteer_id, need_id)}: this pair was never offered; "
        "only offers can be decided"
    )


def _near_id(store: Store, column: str, value: str) -> str:
    """A hint naming the known id that ``value`` differs from only in spaces around it or
    in its Unicode form (an accent typed as its own character, as some keyboards and
    systems write it), which look the same when printed; "" if there is none.

    Examples
    --------
    >>> from matchkit import Ledger, Offer
    >>> ledger = Ledger(":memory:")
    >>> _ = ledger.record_round([Offer(volunteer_id="Zo\u00eb", need_id="n1", score=1.0,
    ...                                capacity=1, max_placements=1)], at="2026-03-01")
    >>> print(_near_id(ledger._store, "volunteer_id", "Zoe\u0308 "))
     (did you mean 'Zo\\xeb'? the same letters, written 'Zoe\\u0308 ')
    """
    variants = {value.strip()}
    for form in ("NFC", "NFD"):
        variants.add(unicodedata.normalize(form, value.strip()))
    for known in sorted(variants - {value}):
        if store.known(column, known):
            return f" (did you mean {known!a}? the same letters, written {value!a})"
    return ""


def require_not_before(
    rec: PairRecord, volunteer_id: str, need_id: str, when: datetime, verb: str
) -> None:
    """Refuse a decision dated before the offer it decides."""
    if format_time(when) < rec.offered_at:
        raise DecisionError(
            f"cannot {verb} {pair_text(volunteer_id, need_id)} at {format_time(when)}: "
            f"before the offer was made ({rec.offered_at})"
        )


def require_open(
    rec: PairRecord,
    volunteer_id: str,
    need_id: str,
    when: datetime,
    verb: str,
) -> None:
    """Refuse a decision on an offer that is not open at ``when``."""
    pair = pair_text(volunteer_id, need_id)
    if rec.status == "rejected":
        raise DecisionError(
            f"cannot {verb} {pair}: the volunteer rejected it; a rejection is final"
        )
    if rec.status == "expired":
        raise DecisionError(
            f"cannot {verb} {pair}: the offer expired at {rec.expires_at}; "
            "a later round may offer it again"
        )
    if rec.status == "withdrawn":
        raise DecisionError(
            f"cannot {verb} {pair}: the offer was withdrawn by the "
            + ("volunteer centre (its data changed)" if rec.by == "centre" else str(rec.by))
        )
    if rec.status == "accepted":
        raise DecisionError(
            f"cannot {verb} {pair}: it is already an accepted placement"
        )
    require_not_before(rec, volunteer_id, need_id, when, verb)
    if rec.expires_at <= format_time(when):
        raise DecisionError(
            f"cannot {verb} {pair} at {format_time(when)}: the offer expired at "
            f"{rec.expires_at}; a later round may offer it again"
        )


def group_of(extra: Mapping[str, Any] | None, need_id: str) -> str:
    """The proposal an offer came with, from the offer's ``extra`` (or payload): its
    ``group`` (the lead need), else the offer's own need."""
    return str(extra["group"]) if extra and "group" in extra else need_id


def require_other_group(
    store: Store,
    rec: PairRecord,
    volunteer_id: str,
    need_id: str,
    placed: Iterable[tuple[str, str]],
    verb: str,
) -> None:
    """Refuse a second acceptance within one proposal (``placed``: the volunteer's
    placements): its alternatives are offered instead of it, never in addition. A
    proposal is its round's offers of one group: the same lead need offered again in a
    later round is another proposal."""
    group = group_of(rec.extra, need_id)
    for v, n in placed:
        other = store.pair(v, n)
        if other is None or other.round != rec.round:
            continue
        if group_of(other.extra, n) == group:
            raise DecisionError(
                f"cannot {verb} {pair_text(volunteer_id, need_id)}: the volunteer already "
                f"accepted {n!r}, offered with it as one proposal and its alternatives "
                f"(group {group!r}), of which they choose one; withdraw {n!r} first to "
                "take this one instead"
            )


# matchkit/__init__ renames the module of public classes to "matchkit"; list them so that
# ``pytest --doctest-modules`` on this file still finds their examples.
__test__ = {"Offer": Offer}

"""In-kind offers and requests of the synthetic city (see :func:`matchkit.datasets.synthetic_city`).

Drawn from their own random stream after the volunteers, organisations and needs exist, so
switching them off or scaling them never moves anything else of a city. Offers come from
public bodies and businesses; requests from CSOs (and, less often, volunteer centres). Every
kind of help has one unit that both sides use, its own round quantities, lead times, items in
the giver's words, roles to write to and purposes. Records are validated as they are built
(a few thousand at most).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._city_records import ids
from ._inkind_models import InkindOffer, InkindRequest
from ._models import Need, NeedStatus, Organisation, OrganisationKind

__all__ = ["INKIND_KINDS", "OFFERS_PER_GIVER", "REQUESTS_PER_NEED", "generate_inkind"]

Rng = np.random.Generator

#: How many offers each public body or business makes on average (times the scale).
OFFERS_PER_GIVER = 1.5
#: How many in-kind requests there are per need of the city (times the scale).
REQUESTS_PER_NEED = 0.3
#: Share of requests made so late that no offer of their kind can still be asked in time.
LATE_SHARE = 0.08


@dataclass(frozen=True)
class _Kind:
    unit: str
    items: tuple[str, ...]
    offer_qty: tuple[int, ...]  # round amounts a giver offers in total
    request_qty: tuple[int, ...]  # round amounts a CSO asks for
    lead: tuple[int, int]  # days of notice, both ends included (within 0..30)
    roles_public: tuple[str, ...]
    roles_business: tuple[str, ...]
    purposes: tuple[str, ...]  # "{cause}" is the requester's main cause
    conditions: tuple[str, ...]


KINDS: dict[str, _Kind] = {
    "printing": _Kind(
        "sheets",
        ("A4 colour leaflets", "A3 posters", "black-and-white flyers"),
        (500, 1000, 2000, 3000, 5000),
        (100, 200, 300, 500, 1000, 1500),
        (5, 14),
        ("head of the press office", "information policy department"),
        ("marketing manager", "print shop manager"),
        ("leaflets for a {cause} event", "posters inviting volunteers to {cause} work"),
        ("our logo on the back page", "artwork delivered as a print-ready PDF"),
    ),
    "transport": _Kind(
        "trips",
        (
            "a minibus with driver (18 seats)",
            "a city bus with driver",
            "a van for goods",
        ),
        (2, 4, 6, 10, 12),
        (1, 1, 2, 3),
        (10, 30),
        ("transport department", "head of the municipal car pool"),
        ("logistics manager", "fleet manager"),
        (
            "a trip for volunteers to a {cause} event",
            "moving donated goods for {cause} work",
        ),
        ("within the city limits only", "the driver's working hours: 9:00-18:00"),
    ),
    "food": _Kind(
        "portions",
        ("lunch boxes", "sandwiches and tea", "hot meals"),
        (50, 100, 200, 300, 600),
        (20, 30, 50, 80, 100, 150, 200),
        (1, 7),
        ("school catering service", "social nutrition department"),
        ("restaurant manager", "owner", "CSR manager"),
        (
            "lunch for volunteers at a {cause} event",
            "food for the people a {cause} project serves",
        ),
        ("collected by the requester", "no alcohol at the event"),
    ),
    "venue": _Kind(
        "hours",
        ("a conference hall (80 seats)", "a meeting room (20 seats)", "a school gym"),
        (8, 16, 24, 40, 80),
        (2, 3, 4, 6, 8, 12),
        (7, 30),
        ("head of the culture and leisure department", "school director"),
        ("events manager", "office manager"),
        ("a training session for {cause} volunteers", "a public meeting on {cause}"),
        ("weekdays after 18:00 and weekends", "the room left as it was found"),
    ),
    "equipment": _Kind(
        "items",
        ("folding tables", "tents", "laptops for a day", "sound system sets"),
        (5, 10, 20, 30, 50),
        (1, 2, 4, 5, 10, 20),
        (3, 14),
        ("municipal property department", "civil defence department"),
        ("warehouse manager", "CSR manager"),
        ("equipment for a {cause} event", "a stand at a {cause} fair"),
        ("returned clean within three days", "picked up and returned by the requester"),
    ),
    "other": _Kind(
        "hours",
        ("legal advice", "poster design", "event photography"),
        (5, 10, 20, 40),
        (2, 3, 4, 6, 10),
        (0, 14),
        ("legal department", "public relations department"),
        ("head of the legal team", "creative director"),
        (
            "professional help for a {cause} project",
            "photos of a {cause} event for a report",
        ),
        ("credit to the company in publications",),
    ),
}
INKIND_KINDS = tuple(KINDS)
#: P(kind of an offer | the giver is a public body / a business), in INKIND_KINDS order.
OFFER_KIND_SHARE = {
    OrganisationKind.PUBLIC_BODY: (0.20, 0.30, 0.05, 0.30, 0.10, 0.05),
    OrganisationKind.BUSINESS: (0.25, 0.10, 0.30, 0.10, 0.15, 0.10),
}
#: How often CSOs ask for each kind, in INKIND_KINDS order.
REQUEST_KIND_SHARE = (0.30, 0.15, 0.25, 0.15, 0.10, 0.05)
#: P(0, 1, 2 windows): public bodies follow budget planning cycles more often.
WINDOW_COUNT_SHARE = {
    OrganisationKind.PUBLIC_BODY: (0.3, 0.5, 0.2),
    OrganisationKind.BUSINESS: (0.6, 0.3, 0.1),
}
STREETS = (
    "Bauman St",
    "Pushkin St",
    "Tukay St",
    "Gorky St",
    "Karl Marx St",
    "Kremlyovskaya St",
)


def _pick(rng: Rng, items: Sequence[Any]) -> Any:
    return items[int(rng.integers(0, len(items)))]


def _windows(rng: Rng, count: int, as_of: date) -> list[dict[str, date]]:
    """0-2 windows: the first one current, past or coming; the second the next cycle."""
    out: list[dict[str, date]] = []
    start = as_of + timedelta(days=int(rng.integers(-90, 46)))
    for _ in range(count):
        end = start + timedelta(days=int(_pick(rng, (30, 45, 60, 91))) - 1)
        out.append({"start": start, "end": end})
        start = end + timedelta(days=int(rng.integers(60, 181)))
    return out


def generate_inkind(
    rng: Rng,
    *,
    scale: float,
    as_of: date,
    organisations: Sequence[Organisation],
    org_place: NDArray[np.float64],
    needs: Sequence[Need],
    main_cause: Sequence[str],
    radius_km: float,
    jitter_km: NDArray[np.float64],
) -> tuple[list[InkindOffer], list[InkindRequest]]:
    """Offers and requests of one city.

    ``org_place`` is (n_orgs, 2) lat/lon of each organisation's district centre,
    ``jitter_km`` the spread of that district, ``main_cause`` each organisation's main cause.
    """
    if scale <= 0 or not organisations:
        return [], []
    kinds = [o.kind for o in organisations]
    givers = np.array(
        [i for i, k in enumerate(kinds) if k in OFFER_KIND_SHARE], dtype=np.int64
    )
    offers = _offers(
        rng, scale, as_of, organisations, givers, org_place, jitter_km, radius_km
    )
    requests = _requests(
        rng,
        scale,
        as_of,
        organisations,
        offers,
        org_place,
        jitter_km,
        needs,
        main_cause,
    )
    return offers, requests


def _near(rng: Rng, place: NDArray[np.float64], spread_km: float) -> dict[str, float]:
    lat, lon = float(place[0]), float(place[1])
    dy, dx = rng.standard_normal(2) * spread_km
    lat = min(89.9, max(-89.9, lat + dy / 110.574))
    lon = lon + dx / (111.320 * max(np.cos(np.radians(lat)), 0.01))
    lon = (lon + 180.0) % 360.0 - 180.0
    return {"lat": round(lat, 6), "lon": round(lon, 6)}


def _offers(
    rng: Rng,
    scale: float,
    as_of: date,
    orgs: Sequence[Organisation],
    givers: NDArray[np.int64],
    org_place: NDArray[np.float64],
    jitter_km: NDArray[np.float64],
    radius_km: float,
) -> list[InkindOffer]:
    n = round(scale * OFFERS_PER_GIVER * len(givers))
    if not len(givers) or n == 0:
        return []
    # every giver makes at least one offer when there are enough; the rest go at random
    first = rng.permutation(givers)[: min(n, len(givers))]
    who = np.concatenate([first, rng.choice(givers, size=n - len(first))])
    offer_ids = ids("of", n)
    out = []
    for i, g in enumerate(who.tolist()):
        org = orgs[g]
        k = INKIND_KINDS[
            int(rng.choice(len(INKIND_KINDS), p=OFFER_KIND_SHARE[org.kind]))
        ]
        spec = KINDS[k]
        public = org.kind is OrganisationKind.PUBLIC_BODY
        n_windows = int(rng.choice(3, p=WINDOW_COUNT_SHARE[org.kind]))
        local = rng.random() < 0.5
        record: dict[str, Any] = {
            "id": offer_ids[i],
            "organisation_id": org.id,
            "kind": k,
            "item": _pick(rng, spec.items),
            "quantity": int(_pick(rng, spec.offer_qty)),
            "unit": spec.unit,
            "lead_time_days": int(rng.integers(spec.lead[0], spec.lead[1] + 1)),
            "windows": _windows(rng, n_windows, as_of),
            "contact_role": _pick(
                rng, spec.roles_public if public else spec.roles_business
            ),
            "conditions": _pick(rng, spec.conditions) if rng.random() < 0.4 else None,
        }
        if local:  # serves its part of the city: 20-60 % of the city's radius around it
            record["area"] = _near(rng, org_place[g], float(jitter_km[g]))
            record["radius_km"] = round(radius_km * float(rng.uniform(0.2, 0.6)), 1)
        out.append(InkindOffer.model_validate(record))
    return out


def _requests(
    rng: Rng,
    scale: float,
    as_of: date,
    orgs: Sequence[Organisation],
    offers: Sequence[InkindOffer],
    org_place: NDArray[np.float64],
    jitter_km: NDArray[np.float64],
    needs: Sequence[Need],
    main_cause: Sequence[str],
) -> list[InkindRequest]:
    n = round(scale * REQUESTS_PER_NEED * len(needs))
    weight = np.array(
        [1.0 if o.kind is OrganisationKind.CSO else 0.25 if o.kind is OrganisationKind.VOLUNTEER_CENTRE else 0.0
         for o in orgs]
    )  # fmt: skip
    if n == 0 or weight.sum() == 0:
        return []
    horizon = as_of + timedelta(days=120)
    # needs a request may support: the requester's own, still to come or going on
    supported: dict[str, list[Need]] = {}
    for need in needs:
        live = need.status in (NeedStatus.OPEN, NeedStatus.VETTED)
        if live and (need.end_date is None or need.end_date >= as_of):
            supported.setdefault(need.organisation_id, []).append(need)
    # the shortest notice any offer of a kind needs: a request due sooner is late for all
    min_lead: dict[str, int] = {}
    for o in offers:
        min_lead[o.kind.value] = min(min_lead.get(o.kind.value, 31), o.lead_time_days)
    late_kinds = sorted(k for k, d in min_lead.items() if d >= 1)

    who = rng.choice(len(orgs), size=n, p=weight / weight.sum())
    request_ids = ids("rq", n)
    out = []
    for i, g in enumerate(who.tolist()):
        org = orgs[g]
        late = bool(late_kinds) and rng.random() < LATE_SHARE
        if late:
            k = _pick(rng, late_kinds)
            due = as_of + timedelta(days=int(rng.integers(0, min_lead[k])))
        else:
            k = INKIND_KINDS[int(rng.choice(len(INKIND_KINDS), p=REQUEST_KIND_SHARE))]
            due = as_of + timedelta(days=int(rng.integers(0, 121)))
        spec = KINDS[k]
        record: dict[str, Any] = {
            "id": request_ids[i],
            "organisation_id": org.id,
            "kind": k,
            "quantity": int(_pick(rng, spec.request_qty)),
            "unit": spec.unit,
            "purpose": _pick(rng, spec.purposes).format(
                cause=main_cause[g].replace("_", " ")
            ),
        }
        own = supported.get(org.id, [])
        event: Need | None = _pick(rng, own) if own and rng.random() < 0.4 else None
        place = None
        if event is not None:
            record["need_id"] = event.id
            start = event.start_date
            if not late and start is not None and as_of <= start <= horizon:
                due = start  # the event's day
            if event.end_date is not None and due > event.end_date:
                due = event.end_date  # (help for an event comes before it is over)
            if event.location is not None:
                place = {"lat": event.location.lat, "lon": event.location.lon}
        record["needed_by"] = due
        record["place"] = place or _near(rng, org_place[g], float(jitter_km[g]))
        if rng.random() < 0.5:
            record["item"] = _pick(rng, spec.items)
        if rng.random() < 0.5:
            record["address"] = f"{_pick(rng, STREETS)} {int(rng.integers(1, 120))}"
        out.append(InkindRequest.model_validate(record))
    return out

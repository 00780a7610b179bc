"""The synthetic city behind :func:`matchkit.datasets.synthetic_city` (vectorised internals).

Everything random is drawn from one ``np.random.Generator`` in a fixed order, so a seed
gives the same city on every machine. Set-valued fields are drawn as boolean matrices
over a sorted vocabulary; :mod:`._city_records` turns the arrays into records (valid by
construction, built without validation; ``tests/test_datasets.py`` validates them
again).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._city_records import build_records, dates, id_format, ids, pack, places, tuples
from ._dataset import Dataset, of_validated_records
from ._memory import makes_lasting_objects
from ._models import (
    SLOTS,
    Need,
    NeedStatus,
    Organisation,
    OrganisationKind,
    Volunteer,
)

__all__ = ["CityConfig", "generate_city"]

Rng = np.random.Generator
FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

KM_PER_DEG_LAT = 110.574
KM_PER_DEG_LON = 111.320

# -- personas: 0 pupil (14-17), 1 student (18-24), 2 worker (25-59), 3 retiree (60-80) --
PERSONA_SHARE = np.array([0.09, 0.30, 0.43, 0.18])
AGE_RANGE = np.array([[14, 17], [18, 24], [25, 59], [60, 80]])
#: availability probability by persona: weekday morning/afternoon/evening, weekend m/a/e
AVAILABILITY = np.array(
    [
        [0.02, 0.35, 0.30, 0.45, 0.50, 0.25],
        [0.12, 0.30, 0.45, 0.40, 0.50, 0.35],
        [0.04, 0.05, 0.40, 0.40, 0.45, 0.25],
        [0.55, 0.45, 0.10, 0.30, 0.30, 0.10],
    ]
)
REMOTE_OK = np.array([0.65, 0.75, 0.60, 0.35])
DISTANCE_FACTOR = np.array([0.6, 1.0, 1.1, 0.7])

#: skill -> probability by persona (pupil, student, worker, retiree)
SKILLS: dict[str, tuple[float, float, float, float]] = {
    "cooking": (0.08, 0.10, 0.20, 0.35),
    "driving_licence": (0.0, 0.15, 0.55, 0.35),
    "first_aid": (0.08, 0.15, 0.15, 0.12),
    "it": (0.06, 0.15, 0.10, 0.02),
    "legal": (0.0, 0.01, 0.03, 0.03),
    "medical": (0.0, 0.04, 0.04, 0.05),
    "photography": (0.06, 0.10, 0.07, 0.04),
    "psychology": (0.0, 0.03, 0.03, 0.02),
    "sign_language": (0.003, 0.005, 0.005, 0.005),
    "social_media": (0.20, 0.20, 0.08, 0.01),
    "teaching": (0.01, 0.05, 0.05, 0.10),
    "translation": (0.01, 0.06, 0.04, 0.02),
}
CHECKS: dict[str, tuple[float, float, float, float]] = {
    "background": (0.01, 0.10, 0.25, 0.20),
    "medical": (0.02, 0.10, 0.15, 0.15),
}
#: skills a need of this cause typically asks for (causes not listed use any skill)
CAUSE_SKILLS: dict[str, tuple[str, ...]] = {
    "children": ("teaching", "psychology", "first_aid"),
    "elderly": ("cooking", "driving_licence", "medical"),
    "animals": ("driving_licence", "photography"),
    "environment": ("driving_licence", "photography"),
    "health": ("medical", "first_aid", "psychology"),
    "education": ("teaching", "it", "translation"),
    "culture": ("photography", "translation", "social_media"),
    "sport": ("first_aid", "photography"),
    "disaster_relief": ("first_aid", "driving_licence", "medical"),
    "homeless": ("cooking", "medical"),
    "disability": ("sign_language", "driving_licence", "psychology"),
    "veterans": ("psychology", "legal", "driving_licence"),
}
#: causes whose needs often require a background check / a medical check
BACKGROUND_CAUSES = frozenset({"children", "disability", "elderly", "helping_neighbors_in_need"})
MEDICAL_CAUSES = frozenset({"health", "children", "homeless"})

#: pools: name, P(pool | persona), cause tilts, skill tilts
POOLS = ("university-a", "university-b", "city-centre", "district-centre", "silver-centre", "online", "corporate")
POOL_GIVEN_PERSONA = np.array(
    [
        [0.05, 0.02, 0.25, 0.35, 0.00, 0.33, 0.00],
        [0.45, 0.25, 0.08, 0.05, 0.00, 0.17, 0.00],
        [0.02, 0.02, 0.25, 0.15, 0.00, 0.36, 0.20],
        [0.00, 0.00, 0.20, 0.30, 0.40, 0.10, 0.00],
    ]
)
NO_POOL = 0.05
POOL_CAUSE_TILT: dict[str, dict[str, float]] = {
    "university-a": {"education": 2.5, "environment": 1.8, "animals": 1.4, "culture": 1.4},
    "university-b": {"health": 3.0, "disaster_relief": 2.0, "disability": 1.5},
    "district-centre": {"homeless": 2.0, "elderly": 1.5, "helping_neighbors_in_need": 2.0},
    "silver-centre": {"elderly": 2.5, "culture": 2.0, "veterans": 2.5},
    "corporate": {"environment": 1.8, "children": 1.5, "strengthening_communities": 1.5},
}
POOL_SKILL_BOOST: dict[str, dict[str, float]] = {
    "university-b": {"medical": 0.30, "first_aid": 0.45, "psychology": 0.10},
    "university-a": {"teaching": 0.15, "translation": 0.12, "it": 0.20},
}

FIRST_NAMES = (
    "Aigul", "Alexei", "Alina", "Amir", "Anna", "Artur", "Bulat", "Daria", "Dmitry", "Elena",
    "Emil", "Farida", "Gulnara", "Ilnur", "Ilya", "Irina", "Kamila", "Karina", "Lilia", "Marat",
    "Maria", "Nikita", "Olga", "Pavel", "Radik", "Regina", "Rustam", "Sofia", "Timur", "Zarina",
)  # fmt: skip
INITIALS = tuple("ABGDEZIKLMNOPRSTFKhSh")

#: need capacity profile "city": (value, weight); 61 % ask 1-5, 3 % ask 75 or more
CAPACITY_CITY = (
    (1, 20), (2, 15), (3, 10), (4, 6), (5, 10), (6, 2), (8, 2), (10, 10), (12, 2), (15, 5),
    (20, 6), (25, 3), (30, 2.5), (40, 1), (50, 2.5), (75, 0.5), (100, 1.2), (150, 0.4),
    (200, 0.4), (300, 0.2), (500, 0.2), (1000, 0.1),
)  # fmt: skip
#: need capacity profile "nyc": the vol_requests counts of the NYC Service Volunteer
#: Opportunities table (663 rows; the two 9999 sentinels left out)
CAPACITY_NYC = (
    (1, 91), (2, 58), (3, 25), (4, 17), (5, 62), (6, 10), (7, 1), (8, 9), (10, 59), (12, 7),
    (14, 1), (15, 38), (17, 1), (18, 1), (20, 71), (22, 3), (25, 22), (30, 23), (32, 1),
    (34, 1), (35, 2), (36, 1), (40, 8), (50, 33), (60, 1), (70, 3), (75, 2), (85, 1), (90, 1),
    (99, 46), (100, 35), (120, 1), (150, 2), (200, 4), (250, 3), (300, 2), (400, 1), (500, 9),
    (600, 1), (1000, 4), (2011, 1), (2700, 1),
)  # fmt: skip
CAPACITY_PROFILES = {"city": CAPACITY_CITY, "nyc": CAPACITY_NYC}

STATUS_SHARE = ((NeedStatus.OPEN, 0.75), (NeedStatus.IDEA, 0.08), (NeedStatus.VETTED, 0.07), (NeedStatus.CLOSED, 0.10))
KIND_SHARE = (
    (OrganisationKind.CSO, 0.60),
    (OrganisationKind.PUBLIC_BODY, 0.15),
    (OrganisationKind.BUSINESS, 0.15),
    (OrganisationKind.VOLUNTEER_CENTRE, 0.10),
)
KIND_SUFFIX = {
    OrganisationKind.CSO: "Society",
    OrganisationKind.PUBLIC_BODY: "Department",
    OrganisationKind.BUSINESS: "Company",
    OrganisationKind.VOLUNTEER_CENTRE: "Volunteer Centre",
}


@dataclass(frozen=True)
class CityConfig:
    """Checked parameters of one city (see ``synthetic_city`` for their meaning)."""

    n_volunteers: int
    n_needs: int
    seed: int
    center: tuple[float, float]
    radius_km: float
    n_organisations: int
    n_districts: int
    causes: tuple[str, ...]  # sorted: bit order
    cause_weight: FloatArray  # popularity, aligned with ``causes``
    languages: tuple[str, ...]  # sorted: bit order
    language_prob: FloatArray  # aligned with ``languages``
    primary_language: str
    as_of: date
    capacity: tuple[tuple[int, float], ...]
    inkind: float = 1.0  # scale of the in-kind offers and requests (0: none)


# -- small vectorised helpers ------------------------------------------------------------
def _label(tag: str) -> str:
    return tag.replace("_", " ").capitalize()


def _top_k(rng: Rng, log_weight: FloatArray, k: IntArray) -> BoolArray:
    """Per row, pick ``k[i]`` columns without replacement, with probability ~ weight (Gumbel top-k)."""
    n, m = log_weight.shape
    keys = log_weight + rng.gumbel(size=(n, m))
    # Each entry's rank in its row (stable, heaviest first): one sort, then its inverse.
    order = np.argsort(-keys, axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(m)[None, :], axis=1)
    return ranks < np.minimum(k, m)[:, None]


def _choice(rng: Rng, items: Sequence[tuple[Any, float]], size: int) -> IntArray:
    p = np.array([w for _, w in items], dtype=np.float64)
    return rng.choice(len(items), size=size, p=p / p.sum())


def _districts(rng: Rng, cfg: CityConfig) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """District centres (x, y in km from the city centre), spread (km) and weight.

    District 0 is the dense centre; the others sit at 25-85 % of the radius, spread wider
    and weigh less the farther out they are.
    """
    k = cfg.n_districts
    r = np.concatenate([[0.0], cfg.radius_km * rng.uniform(0.25, 0.85, size=k - 1)])
    angle = 2 * np.pi * (np.arange(k) / max(k - 1, 1) + rng.uniform(-0.08, 0.08, size=k))
    spread = cfg.radius_km * (0.06 + 0.08 * r / cfg.radius_km) * rng.uniform(0.8, 1.2, size=k)
    weight = np.exp(-2.0 * r / cfg.radius_km) * rng.lognormal(0.0, 0.35, size=k)
    weight[0] = max(weight[0], 1.5 * weight[1:].max(initial=0.0))
    return r * np.cos(angle), r * np.sin(angle), spread, weight / weight.sum()


def _to_lat_lon(cfg: CityConfig, x: FloatArray, y: FloatArray) -> tuple[list[float], list[float]]:
    lat0, lon0 = cfg.center
    lat = np.clip(lat0 + y / KM_PER_DEG_LAT, -89.9, 89.9)
    lon = lon0 + x / (KM_PER_DEG_LON * max(np.cos(np.radians(lat0)), 0.01))
    lon = (lon + 180.0) % 360.0 - 180.0
    return np.round(lat, 6).tolist(), np.round(lon, 6).tolist()


def _points(rng: Rng, dist: tuple[FloatArray, ...], which: IntArray) -> tuple[FloatArray, FloatArray]:
    cx, cy, spread, _ = dist
    return (
        cx[which] + spread[which] * rng.standard_normal(len(which)),
        cy[which] + spread[which] * rng.standard_normal(len(which)),
    )


# -- the three kinds ---------------------------------------------------------------------
@dataclass(frozen=True)
class _Orgs:
    models: list[Organisation]
    district: IntArray
    main_causes: BoolArray  # (n_orgs, n_causes)
    vets: BoolArray  # (n_orgs, n_causes)
    centre: BoolArray  # volunteer centres
    popularity: FloatArray


def _organisations(rng: Rng, cfg: CityConfig, dist: tuple[FloatArray, ...]) -> _Orgs:
    n, c = cfg.n_organisations, len(cfg.causes)
    kinds_all = [k for k, _ in KIND_SHARE]
    kind = _choice(rng, KIND_SHARE, n)
    if n:
        kind[0] = kinds_all.index(OrganisationKind.VOLUNTEER_CENTRE)  # every city has one
    registered = rng.random(n) < np.array([0.8, 1.0, 1.0, 0.95])[kind]
    if n:
        registered[0] = True
    need_weight = dist[3] * np.exp(-np.hypot(dist[0], dist[1]) / cfg.radius_km)
    district = rng.choice(len(need_weight), size=n, p=need_weight / need_weight.sum())
    log_w = np.log(cfg.cause_weight)[None, :].repeat(n, axis=0)
    main = _top_k(rng, log_w, rng.choice([1, 2], size=n, p=[0.6, 0.4]))
    # who vets: volunteer centres (3-6 causes), most public bodies (their causes + 1),
    # a quarter of the registered CSOs (their own causes); businesses never vet
    centre = kind == kinds_all.index(OrganisationKind.VOLUNTEER_CENTRE)
    public = kind == kinds_all.index(OrganisationKind.PUBLIC_BODY)
    cso = kind == kinds_all.index(OrganisationKind.CSO)
    vets = np.zeros((n, c), dtype=bool)
    vets[centre] = _top_k(rng, log_w[centre], rng.integers(3, 7, size=int(centre.sum())))
    extra = _top_k(rng, log_w, np.ones(n, dtype=np.int64))
    vets |= (public & (rng.random(n) < 0.7))[:, None] & (main | extra)
    vets |= (cso & (rng.random(n) < 0.25))[:, None] & main
    vets &= registered[:, None]
    for j in np.flatnonzero(~vets[centre].any(axis=0)).tolist() if n else []:
        vets[int(rng.choice(np.flatnonzero(centre))), j] = True  # some centre vets each cause
    popularity = rng.lognormal(0.0, 1.0, size=n)
    vet_tags = tuples(pack(vets), cfg.causes)
    first = np.argmax(main, axis=1).tolist() if n else []
    columns = {
        "id": ids("o", n),
        "name": [f"{_label(cfg.causes[f])} {KIND_SUFFIX[kinds_all[k]]} {i}" for i, (f, k) in enumerate(zip(first, kind.tolist()))],
        "kind": [kinds_all[k] for k in kind.tolist()],
        "registered": registered.tolist(),
        "vets_causes": vet_tags,
    }
    models: list[Organisation] = build_records(Organisation, columns, n)
    return _Orgs(models, district, main, vets, centre, popularity)


def _volunteers(rng: Rng, cfg: CityConfig, dist: tuple[FloatArray, ...], orgs: _Orgs) -> list[Volunteer]:
    n, causes = cfg.n_volunteers, cfg.causes
    persona = rng.choice(4, size=n, p=PERSONA_SHARE)
    lo, hi = AGE_RANGE[persona, 0], AGE_RANGE[persona, 1]
    # ages: uniform within a persona, except fewer of the oldest workers and retirees
    age = lo + np.floor((hi - lo + 1) * rng.random(n) ** np.where(persona >= 2, 1.3, 1.0))
    age_days = (age * 365.25 + rng.integers(0, 365, size=n)).astype(np.int64)
    birth = dates(cfg.as_of, -age_days)
    known_birth = rng.random(n) >= 0.02

    # homes: a district by density, a scatter of 8 % over the whole disc (the outskirts)
    district = rng.choice(len(dist[3]), size=n, p=dist[3])
    x, y = _points(rng, dist, district)
    scatter = rng.random(n) < 0.08
    r = cfg.radius_km * np.sqrt(rng.random(n))
    a = 2 * np.pi * rng.random(n)
    x = np.where(scatter, r * np.cos(a), x)
    y = np.where(scatter, r * np.sin(a), y)
    lat, lon = _to_lat_lon(cfg, x, y)
    has_home = rng.random(n) >= 0.03

    # pools: where they came from depends on who they are
    pool_p = POOL_GIVEN_PERSONA[persona]
    pool = (pool_p.cumsum(axis=1) < rng.random(n)[:, None]).sum(axis=1)
    pool = np.minimum(pool, len(POOLS) - 1)
    no_pool = rng.random(n) < NO_POOL

    # interests: 1-4 causes by popularity, tilted by the pool
    log_w = np.log(cfg.cause_weight)[None, :].repeat(n, axis=0)
    for p, tilt in POOL_CAUSE_TILT.items():
        rows = (pool == POOLS.index(p)) & ~no_pool
        for cause, factor in tilt.items():
            if cause in causes:
                log_w[rows, causes.index(cause)] += np.log(factor)
    interests = _top_k(rng, log_w, rng.choice([1, 2, 3, 4], size=n, p=[0.35, 0.35, 0.2, 0.1]))
    # 8 % exclude one cause they are not interested in
    excl_w = np.where(interests, -np.inf, -log_w)
    excluded = _top_k(rng, excl_w, (rng.random(n) < 0.08).astype(np.int64)) & ~interests

    def tagged(table: Mapping[str, tuple[float, ...]], boost: Mapping[str, Mapping[str, float]]) -> BoolArray:
        names = sorted(table)
        prob = np.array([table[s] for s in names]).T[persona]  # (n, k)
        for p, extra in boost.items():
            rows = (pool == POOLS.index(p)) & ~no_pool & (persona > 0)
            for s, v in extra.items():
                prob[rows, names.index(s)] = np.maximum(prob[rows, names.index(s)], v)
        return rng.random(prob.shape) < prob

    skills = tagged(SKILLS, POOL_SKILL_BOOST)
    checks = tagged(CHECKS, {"university-b": {"medical": 0.6}})

    lang_p = np.repeat(cfg.language_prob[None, :], n, axis=0)
    secondary = np.array([code != cfg.primary_language for code in cfg.languages])
    lang_p[:, secondary] *= np.array([1.5, 1.5, 1.0, 0.5])[persona][:, None]
    langs = rng.random(lang_p.shape) < np.minimum(lang_p, 1.0)
    langs[~langs.any(axis=1), cfg.languages.index(cfg.primary_language)] = True

    # weekly availability: persona pattern x how active the person is; 2 % left it blank
    pattern = AVAILABILITY[persona]  # (n, 6)
    weekend = np.array([d >= 5 for d in range(7) for _ in range(3)])
    part = np.tile(np.arange(3), 7)
    prob = pattern[:, part + 3 * weekend] * (0.3 + 1.4 * rng.beta(2.0, 2.0, size=n))[:, None]
    avail = rng.random((n, 21)) < np.minimum(prob, 0.95)
    avail[rng.random(n) < 0.02] = False

    remote_p = np.where((pool == POOLS.index("online")) & ~no_pool, 0.92, REMOTE_OK[persona])
    remote_ok = rng.random(n) < remote_p
    max_km = np.clip(rng.lognormal(np.log(6.0), 0.5, size=n) * DISTANCE_FACTOR[persona], 2.0, 25.0)
    max_km = np.round(max_km * 2.0) / 2.0
    max_place = rng.choice([1, 2, 3], size=n, p=[0.8, 0.15, 0.05])

    # organisations: 5 % exclude 1-2 (businesses more likely), 15 % prefer 1-2 (popular ones)
    excl_orgs: list[tuple[str, ...]] = [()] * n
    pref_orgs: list[tuple[str, ...]] = [()] * n
    if orgs.models:
        org_ids = [o.id for o in orgs.models]
        biz = np.where([o.kind is OrganisationKind.BUSINESS for o in orgs.models], 4.0, 1.0)
        ex = rng.choice(len(org_ids), size=(n, 2), p=biz / biz.sum())
        pr = rng.choice(len(org_ids), size=(n, 2), p=orgs.popularity / orgs.popularity.sum())
        n_ex = np.where(rng.random(n) < 0.05, rng.integers(1, 3, size=n), 0)
        n_pr = np.where(rng.random(n) < 0.15, rng.integers(1, 3, size=n), 0)
        for i in np.flatnonzero(n_ex + n_pr).tolist():
            e = {org_ids[j] for j in ex[i, : n_ex[i]].tolist()}
            excl_orgs[i] = tuple(sorted(e))
            pref_orgs[i] = tuple(sorted({org_ids[j] for j in pr[i, : n_pr[i]].tolist()} - e))

    first = rng.integers(0, len(FIRST_NAMES), size=n).tolist()
    last = rng.integers(0, len(INITIALS), size=n).tolist()
    columns: dict[str, list[Any]] = {
        "interests": tuples(pack(interests), causes),
        "excluded_causes": tuples(pack(excluded), causes),
        "skills": tuples(pack(skills), sorted(SKILLS)),
        "checks": tuples(pack(checks), sorted(CHECKS)),
        "languages": tuples(pack(langs), cfg.languages),
        "availability": tuples(pack(avail), SLOTS),
    }
    pool_names = [None if np_ else POOLS[p] for p, np_ in zip(pool.tolist(), no_pool.tolist())]
    vol_ids = ids("v", n)
    columns.update(
        id=vol_ids,
        name=[f"{FIRST_NAMES[a]} {INITIALS[b]}." for a, b in zip(first, last)],
        birth_date=[b if k else None for b, k in zip(birth, known_birth.tolist())],
        home=places(lat, lon, has_home.tolist()),
        max_distance_km=max_km.tolist(),
        remote_ok=remote_ok.tolist(),
        max_placements=max_place.tolist(),
        excluded_organisations=excl_orgs,
        preferred_organisations=pref_orgs,
        pool=pool_names,
    )
    return build_records(Volunteer, columns, n)


TITLES: dict[str, tuple[str, ...]] = {
    "children": ("Homework club helper", "Summer camp mentor", "Children's hospital play time"),
    "elderly": ("Visit lonely elderly people", "Deliver groceries to seniors", "Phone a senior"),
    "animals": ("Walk dogs at the shelter", "Clean cat enclosures", "Animal shelter open day"),
    "environment": ("Park clean-up", "Tree care in the courtyard", "Recycling point helper"),
    "health": ("Blood donation day helper", "Hospital wayfinding volunteer", "Health fair helper"),
    "education": ("Reading tutor", "Computer class for beginners", "Language club host"),
    "culture": ("Museum night guide", "Festival steward", "Library event helper"),
    "sport": ("Marathon water station", "Sports day steward", "Youth football coach assistant"),
    "disaster_relief": ("Flood relief packing", "Emergency shelter shift", "Search party support"),
    "homeless": ("Soup kitchen shift", "Warm clothes sorting", "Night bus outreach"),
    "disability": ("Accessible tour companion", "Wheelchair sports helper", "Inclusive theatre usher"),
    "veterans": ("Veterans' memory project", "Visit a veteran", "Memorial care day"),
}
#: how much each skill is asked for by needs, before the cause's typical skills are boosted
SKILL_DEMAND = {"driving_licence": 3.0, "first_aid": 3.0, "medical": 2.0, "teaching": 2.0, "cooking": 2.0,
                "it": 1.5, "sign_language": 0.3}  # fmt: skip
ADULT_SKILLS = ("driving_licence", "legal", "medical")
#: how much each skill is asked for by remote needs (skills not listed: rarely)
ONLINE_SKILL_DEMAND = {"it": 3.0, "translation": 2.5, "social_media": 2.5, "teaching": 2.0,
                       "psychology": 1.5, "legal": 1.0, "photography": 0.5}  # fmt: skip


def _need_slots(rng: Rng, n: int) -> BoolArray:
    """Slot sets from templates: flexible, weekend event, weekday evenings, weekday daytime, one slot."""
    template = rng.choice(5, size=n, p=[0.15, 0.30, 0.20, 0.20, 0.15])
    day = np.repeat(np.arange(7), 3)
    part = np.tile(np.arange(3), 7)
    wkend, wkday = day >= 5, day < 5
    prob = np.zeros((5, 21))
    prob[1] = np.where(wkend, np.array([0.55, 0.6, 0.15])[part], 0.0)
    prob[2] = np.where(wkday & (part == 2), 0.4, 0.0)
    prob[3] = np.where(wkday & (part < 2), 0.45, 0.0)
    p = prob[template]
    slots = rng.random((n, 21)) < p
    allowed = np.where(template[:, None] == 4, True, p > 0)
    empty = ~slots.any(axis=1) & (template > 0)
    one = _top_k(rng, np.where(allowed, 0.0, -np.inf), np.ones(n, dtype=np.int64))
    slots[empty] = one[empty]
    return slots


def _need_dates(rng: Rng, n: int, closed: BoolArray) -> tuple[IntArray, IntArray, BoolArray, BoolArray]:
    """Start and end offsets in days from ``as_of``; one-off events and ongoing needs."""
    onetime = rng.random(n) < 0.25
    start = np.where(onetime, rng.integers(-45, 121, size=n), -rng.integers(0, 541, size=n))
    end = np.where(onetime, start + rng.choice([0, 0, 0, 1, 2], size=n), rng.integers(-60, 541, size=n))
    end = np.maximum(end, start)
    has_start = onetime | (rng.random(n) >= 0.1)
    has_end = onetime | (rng.random(n) < 0.45)
    past = closed & (rng.random(n) < 0.7)
    end = np.where(past, -rng.integers(1, 91, size=n), end)
    start = np.minimum(start, end)
    return start, end, has_start, has_end | past


def _needs(rng: Rng, cfg: CityConfig, dist: tuple[FloatArray, ...], orgs: _Orgs) -> list[Need]:
    n, causes = cfg.n_needs, cfg.causes
    if n == 0:
        return []
    ones = np.ones(n, dtype=np.int64)
    org = rng.choice(cfg.n_organisations, size=n, p=orgs.popularity / orgs.popularity.sum())
    log_pop = np.log(cfg.cause_weight)[None, :]
    main = orgs.main_causes[org]
    first = _top_k(rng, np.where(main, log_pop, -np.inf), ones)
    second = _top_k(rng, np.where(first, -np.inf, log_pop + 2.0 * main), (rng.random(n) < 0.25).astype(np.int64))
    cause_bits = first | second

    status_all = [s for s, _ in STATUS_SHARE]
    status = _choice(rng, STATUS_SHARE, n)
    u = rng.random(n)
    has_location = u >= 0.12  # 12 % remote without a place
    remote = u < 0.15  # 3 % remote with the organisation's address
    x, y = _points(rng, dist, orgs.district[org])
    lat, lon = _to_lat_lon(cfg, x, y)
    values = np.array([v for v, _ in cfg.capacity])
    weights = np.array([w for _, w in cfg.capacity], dtype=np.float64)
    capacity = values[rng.choice(len(values), size=n, p=weights / weights.sum())]

    skill_names = sorted(SKILLS)
    typical = np.array([[s in CAUSE_SKILLS.get(cause, ()) for s in skill_names] for cause in causes])
    demand = np.log([SKILL_DEMAND.get(s, 1.0) for s in skill_names])[None, :]
    skill_w = demand + np.log(4.0) * ((cause_bits.astype(np.int64) @ typical.astype(np.int64)) > 0)
    # Online volunteering is mostly skilled work (IT, translation, social media, teaching,
    # psychology, legal advice), so remote needs ask for a skill far more often.
    online = np.log([ONLINE_SKILL_DEMAND.get(s, 0.05) for s in skill_names])[None, :]
    skill_w = np.where(remote[:, None], online + 0.5 * skill_w, skill_w)
    n_required = np.where(
        remote,
        rng.choice([0, 1, 2], size=n, p=[0.2, 0.6, 0.2]),
        rng.choice([0, 1, 2], size=n, p=[0.65, 0.28, 0.07]),
    )
    required = _top_k(rng, skill_w, n_required)
    desired = _top_k(rng, np.where(required, -np.inf, skill_w), rng.choice([0, 1, 2], size=n, p=[0.45, 0.4, 0.15]))
    desired &= ~required

    def in_causes(tags: frozenset[str] | set[str]) -> BoolArray:
        return cause_bits[:, [cause in tags for cause in causes]].any(axis=1)  # type: ignore[return-value]

    background = rng.random(n) < np.where(in_causes(BACKGROUND_CAUSES), 0.3, 0.04)
    medical = rng.random(n) < np.where(in_causes(MEDICAL_CAUSES), 0.35, 0.03)
    # work with minors needs the background check, mostly from 18; night work is adults only
    minors = rng.random(n) < np.where(in_causes({"children"}), 0.6, np.where(in_causes({"education"}), 0.3, 0.0))
    background |= minors
    night = rng.random(n) < np.where(in_causes({"homeless", "disaster_relief", "health"}), 0.15, 0.01)
    checks = np.stack([background, medical], axis=1)  # sorted: background, medical
    handles_money = rng.random(n) < 0.05
    min_age = np.array([0, 14, 16, 18])[rng.choice(4, size=n, p=[0.55, 0.1, 0.1, 0.25])]
    adult = required[:, [s in ADULT_SKILLS for s in skill_names]].any(axis=1) | handles_money | night
    adult |= background & (rng.random(n) < 0.6)
    min_age = np.where(adult, 18, min_age)

    lang_u = rng.random(n)
    primary = cfg.languages.index(cfg.primary_language)
    second_p = np.where(np.arange(len(cfg.languages)) == primary, 0.0, cfg.language_prob)
    langs = np.zeros((n, len(cfg.languages)), dtype=bool)
    langs[lang_u < 0.65, primary] = True
    if second_p.sum() > 0:
        other = rng.choice(len(cfg.languages), size=n, p=second_p / second_p.sum())
        rows = np.flatnonzero(lang_u >= 0.9)
        langs[rows, other[rows]] = True

    slots = _need_slots(rng, n)
    n_slots = slots.sum(axis=1)
    overlap = rng.choice(4, size=n, p=[0.80, 0.12, 0.05, 0.03])
    min_overlap = np.where(overlap == 3, n_slots + 1, overlap + 1)
    start, end, has_start, has_end = _need_dates(rng, n, status == status_all.index(NeedStatus.CLOSED))

    # vetted_by: an organisation that vets every cause of the need, or a volunteer centre
    # that vets one of them (not the need's own organisation when there is another)
    vetted = status != status_all.index(NeedStatus.IDEA)
    need_mask, org_mask = pack(cause_bits), pack(orgs.vets)
    groups, group_of = np.unique(need_mask, return_inverse=True)
    group_of = group_of.reshape(-1)
    vetter = np.zeros(n, dtype=np.int64)
    u = rng.random((5, n))
    for g, mask in enumerate(groups.tolist()):
        cand = np.flatnonzero(((org_mask & mask) == mask) | (orgs.centre & ((org_mask & mask) != 0)))
        rows = np.flatnonzero(group_of == g)
        pick = cand[np.floor(u[0, rows] * len(cand)).astype(np.int64)]
        for t in range(1, 5):
            redraw = cand[np.floor(u[t, rows] * len(cand)).astype(np.int64)]
            pick = np.where((pick == org[rows]) & (len(cand) > 1), redraw, pick)
        vetter[rows] = pick
    title_pick = rng.integers(0, 3, size=n).tolist()
    columns: dict[str, list[Any]] = {
        "causes": tuples(pack(cause_bits), causes),
        "required_skills": tuples(pack(required), skill_names),
        "desired_skills": tuples(pack(desired), skill_names),
        "required_checks": tuples(pack(checks), sorted(CHECKS)),
        "languages": tuples(pack(langs), cfg.languages),
        "slots": tuples(pack(slots), SLOTS),
    }
    org_ids = [o.id for o in orgs.models]
    titles = [
        TITLES.get(c, (f"Help with {_label(c).lower()}", f"{_label(c)} event", f"{_label(c)} support"))
        for c in causes
    ]
    columns.update(
        id=ids("n", n),
        organisation_id=[org_ids[i] for i in org.tolist()],
        title=[titles[c][t] for c, t in zip(np.argmax(first, axis=1).tolist(), title_pick)],
        location=places(lat, lon, has_location.tolist()),
        remote=remote.tolist(),
        min_overlap=min_overlap.tolist(),
        capacity=capacity.tolist(),
        min_age=[a or None for a in min_age.tolist()],
        status=[status_all[s] for s in status.tolist()],
        vetted_by=[org_ids[v] if k else None for v, k in zip(vetter.tolist(), vetted.tolist())],
        handles_money=handles_money.tolist(),
        start_date=[d if k else None for d, k in zip(dates(cfg.as_of, start), has_start.tolist())],
        end_date=[d if k else None for d, k in zip(dates(cfg.as_of, end), has_end.tolist())],
    )
    # schema extensions (policy fields), filled when the installed models have them;
    # a third of the money-handling ideas have not said yet where the money goes
    idea = status == status_all.index(NeedStatus.IDEA)
    route = handles_money & ~(idea & (rng.random(n) < 0.3))
    routes = ("organisation's bank account", "payment page of the organisation")
    route_pick = rng.integers(0, len(routes), size=n).tolist()
    proposer = rng.integers(0, max(cfg.n_volunteers, 1), size=n).tolist()
    proposed = (idea & (rng.random(n) < 0.3) & (cfg.n_volunteers > 0)).tolist()
    vol_id = id_format("v", cfg.n_volunteers)  # (only the proposers' are needed)
    extensions = {
        "account_route": [routes[k] if r else None for k, r in zip(route_pick, route.tolist())],
        "asks_donation": (rng.random(n) < 0.01).tolist(),
        "involves_minors": minors.tolist(),
        "night_work": night.tolist(),
        "proposed_by": [vol_id(v) if p else None for v, p in zip(proposer, proposed)],
    }
    columns.update({k: v for k, v in extensions.items() if k in Need.model_fields})
    return build_records(Need, columns, n)


def _inkind(
    rng: Rng, cfg: CityConfig, dist: tuple[FloatArray, ...], orgs: _Orgs, needs: list[Need]
) -> tuple[list[Any], list[Any]]:
    """In-kind offers and requests (``_city_inkind``), placed in their organisations' districts."""
    if cfg.inkind <= 0 or not orgs.models:
        return [], []
    from ._city_inkind import generate_inkind

    lat, lon = _to_lat_lon(cfg, dist[0][orgs.district], dist[1][orgs.district])
    main = np.argmax(orgs.main_causes, axis=1).tolist()
    return generate_inkind(
        rng,
        scale=cfg.inkind,
        as_of=cfg.as_of,
        organisations=orgs.models,
        org_place=np.column_stack([lat, lon]),
        needs=needs,
        main_cause=[cfg.causes[c] for c in main],
        radius_km=cfg.radius_km,
        jitter_km=dist[2][orgs.district],
    )


# Hundreds of thousands of small objects that last: collecting only pauses, and at the
# end they join the oldest generation without being walked (see _memory).
@makes_lasting_objects
def generate_city(cfg: CityConfig) -> Dataset:
    """Draw a whole city from ``cfg`` (parameters already checked)."""
    # one independent stream per part, so adding needs does not move the volunteers; the
    # in-kind stream is the fifth child, so the first four are those of a city without it
    streams = np.random.SeedSequence(cfg.seed).spawn(5)
    r_city, r_orgs, r_vols, r_needs, r_inkind = (np.random.default_rng(s) for s in streams)
    dist = _districts(r_city, cfg)
    orgs = _organisations(r_orgs, cfg, dist)
    volunteers = _volunteers(r_vols, cfg, dist, orgs)
    needs = _needs(r_needs, cfg, dist, orgs)
    offers, requests = _inkind(r_inkind, cfg, dist, orgs, needs)
    return of_validated_records(  # (typed as they are built)
        volunteers=tuple(volunteers),
        organisations=tuple(orgs.models),
        needs=tuple(needs),
        offers=tuple(offers),
        requests=tuple(requests),
    )

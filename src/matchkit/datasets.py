"""Datasets for examples, tests and benchmarks: a seeded synthetic city and a tiny hand-made one.

>>> from matchkit import datasets
>>> city = datasets.synthetic_city(n_volunteers=200, n_needs=20, seed=1)
>>> len(city.volunteers), len(city.needs)
(200, 20)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date

import numpy as np

from ._city import CAPACITY_PROFILES, CityConfig, generate_city
from ._dataset import Dataset
from ._exceptions import InvalidInputError, check_choice

__all__ = [
    "DEFAULT_AS_OF",
    "DEFAULT_CAUSES",
    "DEFAULT_LANGUAGES",
    "KAZAN_CENTER",
    "NYC_CAUSES",
    "NYC_CENTER",
    "TINY_CITY_ACCEPTABLE",
    "synthetic_city",
    "tiny_city",
]

#: The reference date of every generated city: ages, start and end dates are drawn
#: relative to it, never to today, so a seed gives the same city on any day. Match with
#: ``as_of=DEFAULT_AS_OF`` to reproduce a run exactly.
DEFAULT_AS_OF = date(2026, 9, 1)
#: Kazan (lat, lon): the default city centre.
KAZAN_CENTER = (55.7887, 49.1221)
#: New York City Hall (lat, lon), for cities generated around the NYC Service data.
NYC_CENTER = (40.7128, -74.0060)
#: The twelve default causes, most popular first (popularity ~ 1 / rank, Zipf-like).
DEFAULT_CAUSES = (
    "children", "elderly", "animals", "environment", "health", "education",
    "culture", "sport", "disaster_relief", "homeless", "disability", "veterans",
)  # fmt: skip
#: The NYC Service categories as cause tags, with the number of opportunities in each
#: (NYC Service Volunteer Opportunities table; 48 rows without a category left out).
NYC_CAUSES: Mapping[str, float] = {
    "strengthening_communities": 307,
    "helping_neighbors_in_need": 119,
    "education": 92,
    "health": 52,
    "environment": 32,
    "emergency_preparedness": 15,
}
#: Share of volunteers speaking each language in the default (Kazan) city. Illustrative
#: figures: nearly everyone speaks Russian, many Tatar, a quarter English. The most
#: common language is the city's primary one: most needs ask for it.
DEFAULT_LANGUAGES: Mapping[str, float] = {
    "ru": 0.985, "tt": 0.30, "en": 0.25, "de": 0.03, "fr": 0.02, "tr": 0.02, "uz": 0.02,
    "zh": 0.01, "ar": 0.01,
}  # fmt: skip


def _fail(name: str, expected: str, got: object) -> InvalidInputError:
    return InvalidInputError(f"The {name!r} parameter of synthetic_city must be {expected}. Got {got!r}.")


def _count(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise _fail(name, "an integer >= 0", value)
    return int(value)


def _weights(name: str, value: Sequence[str] | Mapping[str, float], zipf: bool) -> dict[str, float]:
    if isinstance(value, str):
        raise _fail(name, "a list of tags or a mapping of tag to weight, not a string", value)
    if isinstance(value, Mapping):
        items = {str(k).strip(): float(v) for k, v in value.items()}
    else:
        tags = [str(t).strip() for t in value]
        if len(set(tags)) != len(tags):
            raise _fail(name, "a list without duplicates", list(value))
        items = {t: (1.0 / (r + 1) if zipf else 1.0) for r, t in enumerate(tags)}
    if not items:
        raise _fail(name, "non-empty", value)
    for tag, w in items.items():
        if not tag:
            raise _fail(name, "made of non-empty tags", value)
        if not math.isfinite(w) or w <= 0 or (not zipf and w > 1):
            expected = "weights > 0" if zipf else "shares in (0, 1]"
            raise InvalidInputError(
                f"The {name!r} parameter of synthetic_city must hold {expected}; {tag!r} has {w!r}."
            )
    return items


def synthetic_city(
    n_volunteers: int = 2000,
    n_needs: int = 200,
    seed: int = 0,
    *,
    center: tuple[float, float] = KAZAN_CENTER,
    radius_km: float | None = None,
    n_organisations: int | None = None,
    n_districts: int = 9,
    causes: Sequence[str] | Mapping[str, float] = DEFAULT_CAUSES,
    languages: Mapping[str, float] = DEFAULT_LANGUAGES,
    capacity_profile: str = "city",
    as_of: date = DEFAULT_AS_OF,
    inkind: bool | float = True,
) -> Dataset:
    """Generate a realistic, seeded city of volunteers, organisations, needs and in-kind help.

    The same arguments give the same dataset on every machine and every day. The city:

    - **Places.** ``n_districts`` districts: a dense centre and sparser ones farther out;
      8 % of volunteers live scattered over the whole disc of ``radius_km``. 3 % of
      volunteers give no home. Needs sit in their organisation's district, which leans
      to the centre. 12 % of needs are remote without a place, 3 % remote with one.
    - **People.** Pupils 14-17 (9 %), students 18-24 (30 %), workers 25-59 (43 %) and
      retirees 60-80 (18 %). Each persona has its own weekly availability over the 21
      slots (workers: weekday evenings and weekends; retirees: weekday daytime; pupils:
      afternoons and weekends); 2 % left it blank. Birth dates are drawn relative to
      ``as_of`` (2 % unknown). Skills and checks follow persona rarities (a driving
      licence: 55 % of workers, none of the minors; sign language: 0.5 %); the
      ``pool`` they came from (two universities, a city and a district centre, a
      seniors' centre, an online channel, a corporate programme; 5 % none) tilts their
      causes and skills. Travel limits 2-25 km (median about 5.5), ``remote_ok`` for
      about two thirds, ``max_placements`` 1 (80 %), 2 or 3. 8 % exclude a cause, 5 %
      exclude organisations (businesses more often), 15 % prefer some.
    - **Causes.** Interests (1-4 per volunteer) follow the popularity of ``causes``:
      a list is taken as most popular first with weights 1, 1/2, 1/3, ... (Zipf); a
      mapping gives the weights.
    - **Organisations** (default ``max(1, n_needs // 4)``): CSOs 60 % (a fifth not
      registered), public bodies, businesses, volunteer centres (``o0`` is always one).
      Volunteer centres, most public bodies and a quarter of registered CSOs vet causes;
      every cause has at least one vetter.
    - **Needs.** Status open 75 %, idea 8 %, vetted 7 %, closed 10 %; every need past
      ``idea`` carries ``vetted_by``, an organisation vetting one of its causes (another
      one than its own when possible). Capacities are heavy-tailed (see Notes). One
      need in three requires skills, some require checks (background for children,
      the elderly and disability; medical for health), ``min_age`` 14, 16 or 18 (18 when
      they require driving, medical or legal skills or handle money, 5 % do), most
      require the primary language. Slots come from templates (weekend events, weekday
      evenings, weekday daytime, a single slot, or none = flexible); 3 % set
      ``min_overlap`` above their number of slots. A quarter are one-off events around
      ``as_of``, the rest ongoing; some are already over at ``as_of``.
    - **Policy fields.** Most children's needs work with minors (``involves_minors``,
      with the background check); some night work (homeless, disaster relief, health;
      18+); money-handling needs name an ``account_route`` of the organisation, except
      a third of the money-handling ideas; 1 % ask for donations; 30 % of ideas are
      ``proposed_by`` a volunteer. Needs past ``idea`` pass the vetting rules of
      :func:`matchkit.check_policies`; ideas and a few warnings are left for it to find.
    - **In-kind help** (``inkind``). Public bodies and businesses make about 1.5 offers
      each (every giver at least one): printing (``sheets``), transport (``trips``), food
      (``portions``), a venue (``hours``), equipment (``items``) or other help
      (``hours``), one unit per kind, round quantities, the giver's own words for the item,
      a kind-specific lead time between 0 and 30 days (transport and venues need the most
      notice), 0-2 windows when they take requests (public bodies follow planning cycles
      more often; a window may be over, current or still to come), half of them a local
      service area (a place and ``radius_km``) and half city-wide, a contact role and
      sometimes conditions. CSOs (and, less often, volunteer centres) make 0.3 requests
      per need: the unit of their kind, a place in their district (or the need's), a
      purpose, ``needed_by`` 0-120 days after ``as_of`` (a supported event's start date
      when there is one), an address and their own words half of the time, and a
      ``need_id`` for 40 % of those whose organisation has a live need. About 8 % are
      made too late for every offer of their kind (due before the shortest notice).
      ``matchkit.check_policies`` finds no in-kind warnings on them.

    Parameters
    ----------
    n_volunteers, n_needs : int
        How many of each (>= 0).
    seed : int
        Seed of ``np.random.default_rng``; the only source of randomness.
    center : (float, float)
        City centre as (lat, lon); default Kazan. :data:`NYC_CENTER` for New York.
    radius_km : float, optional
        Radius of the city (> 0). Default: 12 km up to 10k volunteers, then growing with
        the square root of ``n_volunteers`` (constant density: about 38 km at 100k, the
        size of a large metropolitan area), so a bigger city is not a denser one.
    n_organisations : int, optional
        Default ``max(1, n_needs // 4)``; at least 1 when there are needs.
    n_districts : int
        Number of districts including the centre (>= 1).
    causes : sequence of str or mapping of str to float
        Cause tags, most popular first, or tag -> popularity weight (:data:`NYC_CAUSES`).
    languages : mapping of str to float
        ISO 639-1 code -> share of volunteers speaking it, in (0, 1]. The most common
        one is the primary language that most needs require.
    capacity_profile : {"city", "nyc"}
        Distribution of need capacities (see Notes).
    as_of : datetime.date
        Reference date; default :data:`DEFAULT_AS_OF`, a fixed date.
    inkind : bool or float, default True
        In-kind offers and requests: ``False`` (or 0) for none, ``True`` for the amounts
        above, a number >= 0 to scale them (``2.0``: twice as many offers and requests).
        They come from a random stream of their own: volunteers, organisations and needs
        are the same whatever this is.

    Returns
    -------
    Dataset
        Ids ``v0..``, ``o0..``, ``n0..``, offers ``of0..`` and requests ``rq0..``
        (zero-padded to one width per kind).

    Raises
    ------
    InvalidInputError
        If a parameter is out of range, naming it and what it must be.

    Notes
    -----
    In the NYC Service Volunteer Opportunities table (NYC Open Data, 665 rows), the
    column ``vol_requests`` holds how many volunteers each opportunity asks for.
    Leaving out two 9999 sentinels, the 663 asks run from 1 to 2,700: median 10, mean
    49; 38 % ask for 1-5 people, 50 % for at most 10, 4.4 % for more than 100; round
    numbers dominate (1, 5, 10, 20, 50, 99, 100, 500). ``capacity_profile="nyc"``
    redraws exactly those figures. The default ``"city"`` profile keeps the shape
    (round numbers, a long tail up to 1,000) but leans to the small asks of everyday
    local needs: 61 % ask for 1-5 people, median 4, mean about 14, 3 % for 75 or more.
    With the default ten volunteers per need, the seats of the open needs roughly
    equal the number of volunteers.

    Records are built valid by construction, without re-validation (fast: 100,000
    volunteers in a few seconds); ``Dataset.from_records(city.to_records())`` gives an
    equal dataset.

    Examples
    --------
    >>> from matchkit.datasets import synthetic_city, NYC_CAUSES, NYC_CENTER
    >>> city = synthetic_city(n_volunteers=500, n_needs=50, seed=7)
    >>> city == synthetic_city(n_volunteers=500, n_needs=50, seed=7)
    True
    >>> sorted({n.status.value for n in city.needs})
    ['closed', 'idea', 'open', 'vetted']
    >>> len(city.offers) > 0 and len(city.requests) > 0
    True
    >>> bare = synthetic_city(n_volunteers=500, n_needs=50, seed=7, inkind=False)
    >>> bare.offers, bare.needs == city.needs
    ((), True)
    >>> ny = synthetic_city(100, 10, seed=1, center=NYC_CENTER, radius_km=20,
    ...                     causes=NYC_CAUSES, languages={"en": 0.97, "es": 0.25})
    >>> set(ny.needs[0].causes) <= set(NYC_CAUSES)
    True
    """
    n_v, n_n = _count("n_volunteers", n_volunteers), _count("n_needs", n_needs)
    seed = _count("seed", seed)
    try:
        lat, lon = (float(c) for c in center)
    except (TypeError, ValueError):
        raise _fail("center", "a (lat, lon) pair of numbers", center) from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise _fail("center", "a (lat, lon) pair with lat in -90..90 and lon in -180..180", center)
    if radius_km is None:
        # Constant density: 12 km for up to 10k volunteers, growing like a real metro area.
        radius_km = 12.0 * math.sqrt(max(n_volunteers, 10_000) / 10_000) if isinstance(n_volunteers, int) else 12.0
    if not isinstance(radius_km, (int, float)) or not (0 < radius_km <= 2000):
        raise _fail("radius_km", "a number of kilometres in (0, 2000]", radius_km)
    n_orgs = max(1, n_n // 4) if n_organisations is None else _count("n_organisations", n_organisations)
    if n_n and not n_orgs:
        raise _fail("n_organisations", ">= 1 when there are needs to post", n_organisations)
    n_dist = _count("n_districts", n_districts)
    if n_dist < 1:
        raise _fail("n_districts", "an integer >= 1", n_districts)
    cause_w = _weights("causes", causes, zipf=True)
    if len(cause_w) > 62:
        raise _fail("causes", "at most 62 tags", f"{len(cause_w)} tags")
    lang_w = _weights("languages", languages, zipf=False)
    for code in lang_w:
        if len(code) != 2 or not code.isascii() or not code.isalpha() or code != code.lower():
            raise _fail("languages", "keyed by lower-case ISO 639-1 codes such as 'ru', 'en'", code)
    check_choice("capacity_profile", capacity_profile, tuple(CAPACITY_PROFILES), caller="synthetic_city")
    if not isinstance(as_of, date):
        raise _fail("as_of", "a datetime.date", as_of)
    if isinstance(inkind, bool):
        scale = 1.0 if inkind else 0.0
    elif isinstance(inkind, (int, float, np.integer, np.floating)) and math.isfinite(inkind) and 0 <= inkind <= 100:
        scale = float(inkind)
    else:
        raise _fail("inkind", "True, False or a scale in [0, 100]", inkind)
    cause_tags = tuple(sorted(cause_w))
    lang_codes = tuple(sorted(lang_w))
    cfg = CityConfig(
        n_volunteers=n_v,
        n_needs=n_n,
        seed=seed,
        center=(lat, lon),
        radius_km=float(radius_km),
        n_organisations=n_orgs,
        n_districts=n_dist,
        causes=cause_tags,
        cause_weight=np.array([cause_w[c] for c in cause_tags]),
        languages=lang_codes,
        language_prob=np.array([lang_w[c] for c in lang_codes]),
        primary_language=max(lang_codes, key=lambda c: (lang_w[c], c)),
        as_of=as_of,
        capacity=CAPACITY_PROFILES[capacity_profile],
        inkind=scale,
    )
    return generate_city(cfg)


#: The acceptable (volunteer_id, need_id) pairs of :func:`tiny_city` at :data:`DEFAULT_AS_OF`.
TINY_CITY_ACCEPTABLE: frozenset[tuple[str, str]] = frozenset(
    {("v1", "n1"), ("v1", "n6"), ("v2", "n1"), ("v2", "n2"), ("v3", "n1"), ("v4", "n3"), ("v5", "n3"), ("v5", "n6")}
)

_C, _E1, _E2 = {"lat": 55.7887, "lon": 49.1221}, {"lat": 55.7887, "lon": 49.1381}, {"lat": 55.7887, "lon": 49.1541}
_N2, _S3 = {"lat": 55.8068, "lon": 49.1221}, {"lat": 55.7616, "lon": 49.1221}


def tiny_city() -> Dataset:
    """Six volunteers, five organisations, six needs in Kazan, with known answers.

    Made by hand for docs and examples; every hard rule decides at least one pair. Ages,
    dates and "over" are at :data:`DEFAULT_AS_OF` (2026-09-01); distances are from the
    centre (55.7887, 49.1221).

    ====  ==========================  =======================================================
    id    need (organisation)          what decides it
    ====  ==========================  =======================================================
    n1    Walk dogs at the shelter     2 km east, Sat/Sun mornings, capacity 2, age 14+,
          (o2, a CSO)                  ends on 2026-09-01 (still on at ``as_of``)
    n2    Deliver groceries to         centre, Tue/Thu evenings, capacity 1, needs a
          seniors (o1, the centre)     driving licence and a background check, age 18+
    n3    Online reading tutor (o1)    remote, no place, no slots (flexible), English,
                                       background check, age 18+, capacity 3
    n4    Plant trees in the           an ``idea`` of an unregistered group: never matched
          courtyard (o3)               until vetted
    n5    Riverside clean-up (o4)      open but ended 2026-08-31: over, never matched
    n6    Festival tea stall (o4)      centre, Sat afternoon, age 18+, capacity 1
    ====  ==========================  =======================================================

    Volunteers: **v1** Aigul turns 18 on ``as_of`` itself, lives 1 km east (travels 5 km),
    Saturdays, no English: n1 and n6. **v2** Rustam, 46, driver with a background check,
    at most 2 placements, not remote: n1 and n2. **v3** Emil, 15, lives 2 km north and
    travels 3 km (n1 is 2.8 km away): n1 only. **v4** Olga, 67, gave no home, remote,
    English, checked: n3 only. **v5** Daria, 27, lives in the centre (0 km from n6),
    English, checked, excludes o2: n3 and n6. **v6** Timur gave no birth date (so no need
    with a minimum age is open to him) and excludes the cause animals: nothing.

    These eight pairs are :data:`TINY_CITY_ACCEPTABLE`. The most placements possible is
    6, in exactly one way: v2 -> n1 and n2, v3 -> n1, v1 -> n6, v4 -> n3, v5 -> n3.
    n3 keeps one seat unfilled; v6 stays unmatched.

    Returns
    -------
    Dataset

    Examples
    --------
    >>> from matchkit.datasets import tiny_city, TINY_CITY_ACCEPTABLE
    >>> city = tiny_city()
    >>> len(city.volunteers), len(city.organisations), len(city.needs)
    (6, 5, 6)
    >>> sorted(n for v, n in TINY_CITY_ACCEPTABLE if v == "v1")
    ['n1', 'n6']
    """
    everyone = {"languages": ["ru"], "remote_ok": True}
    volunteers = [
        {**everyone, "id": "v1", "name": "Aigul", "birth_date": "2008-09-01", "home": _E1,
         "max_distance_km": 5, "interests": ["animals", "children"], "languages": ["ru", "tt"],
         "availability": ["sat-morning", "sat-afternoon"], "pool": "university-a"},
        {**everyone, "id": "v2", "name": "Rustam", "birth_date": "1980-03-15", "home": _C,
         "remote_ok": False, "skills": ["driving_licence", "first_aid"], "checks": ["background"],
         "languages": ["ru", "tt"], "availability": ["tue-evening", "thu-evening", "sat-morning"],
         "max_placements": 2, "interests": ["elderly"], "pool": "city-centre"},
        {**everyone, "id": "v3", "name": "Emil", "birth_date": "2011-05-10", "home": _N2,
         "max_distance_km": 3, "languages": ["en", "ru"], "availability": ["sun-morning"],
         "interests": ["animals"], "pool": "district-centre"},
        {**everyone, "id": "v4", "name": "Olga", "birth_date": "1958-11-20", "languages": ["en", "ru"],
         "checks": ["background"], "interests": ["children", "education"], "skills": ["teaching"],
         "availability": ["mon-morning"], "pool": "silver-centre"},
        {**everyone, "id": "v5", "name": "Daria", "birth_date": "1999-01-30", "home": _C,
         "languages": ["en", "ru"], "checks": ["background"], "excluded_organisations": ["o2"],
         "availability": ["sat-morning", "sat-afternoon"], "skills": ["teaching"], "pool": "online"},
        {**everyone, "id": "v6", "name": "Timur", "home": _C, "remote_ok": False,
         "skills": ["driving_licence"], "checks": ["background"], "excluded_causes": ["animals"],
         "availability": ["tue-evening", "sat-morning"]},
    ]  # fmt: skip
    organisations = [
        {"id": "o1", "name": "Kazan Volunteer Centre", "kind": "volunteer_centre", "registered": True,
         "vets_causes": ["animals", "culture", "environment"]},
        {"id": "o2", "name": "Paws Shelter", "kind": "cso", "registered": True, "vets_causes": ["animals"]},
        {"id": "o3", "name": "Green Courtyards", "kind": "cso", "registered": False},
        {"id": "o4", "name": "Riverside Bakery", "kind": "business", "registered": True},
        {"id": "o5", "name": "Social Protection Department", "kind": "public_body", "registered": True,
         "vets_causes": ["children", "education", "elderly"]},
    ]  # fmt: skip
    open_ = {"status": "open", "languages": ["ru"]}
    needs = [
        {**open_, "id": "n1", "organisation_id": "o2", "title": "Walk dogs at the shelter",
         "causes": ["animals"], "location": _E2, "slots": ["sat-morning", "sun-morning"],
         "capacity": 2, "min_age": 14, "vetted_by": "o1", "end_date": "2026-09-01"},
        {**open_, "id": "n2", "organisation_id": "o1", "title": "Deliver groceries to seniors",
         "causes": ["elderly"], "location": _C, "slots": ["tue-evening", "thu-evening"],
         "required_skills": ["driving_licence"], "required_checks": ["background"],
         "capacity": 1, "min_age": 18, "vetted_by": "o5"},
        {**open_, "id": "n3", "organisation_id": "o1", "title": "Online reading tutor",
         "causes": ["children", "education"], "remote": True, "languages": ["en"],
         "required_checks": ["background"], "capacity": 3, "min_age": 18, "vetted_by": "o5",
         "desired_skills": ["teaching"]},
        {"id": "n4", "organisation_id": "o3", "title": "Plant trees in the courtyard",
         "causes": ["environment"], "location": _S3, "capacity": 10, "status": "idea"},
        {**open_, "id": "n5", "organisation_id": "o4", "title": "Riverside clean-up",
         "causes": ["environment"], "location": _S3, "slots": ["sat-morning"], "capacity": 20,
         "vetted_by": "o1", "start_date": "2026-08-29", "end_date": "2026-08-31"},
        {**open_, "id": "n6", "organisation_id": "o4", "title": "Festival tea stall",
         "causes": ["culture"], "location": _C, "slots": ["sat-afternoon"], "capacity": 1,
         "min_age": 18, "vetted_by": "o1"},
    ]  # fmt: skip
    return Dataset.from_records(volunteers=volunteers, organisations=organisations, needs=needs)

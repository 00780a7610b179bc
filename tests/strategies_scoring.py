"""Scoring test cases: the shared ``matchkit.testing.datasets()`` plus two edge cases.

The shared strategy already gives remote and placeless needs, volunteers without a home,
empty slot sets, birthdays on ``as_of`` and places across the antimeridian and near a
pole. On top of it, this draws ``as_of`` around 29 February, gives some volunteers a
29 February birth date, and sets some volunteers' radius to exactly their great-circle
distance to a need (the "at most" boundary).
"""

from __future__ import annotations

from datetime import date

import numpy as np
from hypothesis import strategies as st

from matchkit import Dataset
from matchkit._rules import great_circle_km
from matchkit.testing import AS_OF, datasets

AS_OF_DATES = [AS_OF, date(2025, 2, 28), date(2025, 3, 1), date(2024, 2, 29), date(2024, 2, 28)]
_LEAP_BIRTHS = st.sampled_from([date(2008, 2, 29), date(2000, 2, 29), date(2012, 2, 29)])


@st.composite
def scoring_cases(draw: st.DrawFn, max_volunteers: int = 5, max_needs: int = 4) -> tuple[Dataset, date]:
    """(dataset, as_of) with leap-day births and radii exactly at a pair's distance."""
    as_of = draw(st.sampled_from(AS_OF_DATES))
    ds = draw(datasets(max_volunteers=max_volunteers, max_needs=max_needs, as_of=as_of))
    vols = list(ds.volunteers)
    if not vols:
        return ds, as_of
    index = st.integers(0, len(vols) - 1)
    for i in draw(st.lists(index, max_size=2)):
        vols[i] = vols[i].model_copy(update={"birth_date": draw(_LEAP_BIRTHS)})
    if ds.needs:
        pairs = st.tuples(index, st.integers(0, len(ds.needs) - 1))
        for i, j in draw(st.lists(pairs, max_size=3)):
            home, loc = vols[i].home, ds.needs[j].location
            if home is not None and loc is not None:
                d = float(great_circle_km(home.lat, home.lon, loc.lat, loc.lon))
                vols[i] = vols[i].model_copy(update={"max_distance_km": d})
    return ds.replace(volunteers=tuple(vols)), as_of


def dense_pairs(n_v: int, n_n: int) -> tuple[np.ndarray, np.ndarray]:
    """Every (volunteer, need) index pair, volunteers as rows."""
    v, n = np.meshgrid(np.arange(n_v), np.arange(n_n), indexing="ij")
    return v.reshape(-1).astype(np.int64), n.reshape(-1).astype(np.int64)

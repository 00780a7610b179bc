"""Weights and the score components (the full equality with the reference is in test_build)."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

import matchkit as mk
from matchkit._encode import encode
from matchkit._rules import pair_distances_km
from matchkit._scoring import COMPONENTS, NEUTRAL, combine, components
from matchkit._weights import NEED_COMPONENTS, VOLUNTEER_COMPONENTS
from reference_rules import components as reference_components
from reference_rules import utilities as reference_utilities

DAY = date(2026, 5, 1)
ORG = {"id": "o1", "name": "Park friends", "kind": "cso", "registered": True}
HOME = {"lat": 55.79, "lon": 49.12}


def score(volunteer: dict, need: dict) -> dict[str, float]:
    base = {
        "id": "n1",
        "organisation_id": "o1",
        "title": "t",
        "capacity": 1,
        "status": "open",
    }
    ds = mk.Dataset(
        volunteers=[{"id": "v1", **volunteer}],
        organisations=[ORG, {**ORG, "id": "o2"}],
        needs=[{**base, **need}],
    )
    enc = encode(ds)
    zero = np.zeros(1, dtype=np.int64)
    got = {
        k: float(x[0])
        for k, x in components(
            enc, zero, zero, pair_distances_km(enc, zero, zero)
        ).items()
    }
    want = reference_components(ds.volunteers[0], ds.needs[0])
    for k in COMPONENTS:
        assert (math.isnan(got[k]) and math.isnan(want[k])) or got[k] == pytest.approx(
            want[k]
        ), k
    return got


def test_defaults_are_documented_and_valid():
    w = mk.Weights()
    assert (w.interest, w.distance, w.schedule, w.preferred) == (0.4, 0.3, 0.2, 0.1)
    assert (w.skills, w.coverage, w.language, w.volunteer_side) == (
        0.5,
        0.35,
        0.15,
        0.5,
    )
    assert VOLUNTEER_COMPONENTS + NEED_COMPONENTS + ("distance_km",) == COMPONENTS


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"interest": -0.1}, "greater than or equal to 0"),
        ({"skills": float("nan")}, "finite"),
        ({"distance": float("inf")}, "finite"),
        ({"volunteer_side": 1.5}, "less than or equal to 1"),
        (
            {"interest": 0, "distance": 0, "schedule": 0, "preferred": 0},
            "volunteer side weights",
        ),
        ({"skills": 0, "coverage": 0, "language": 0}, "need side weights"),
        ({"intrest": 1.0}, "Extra inputs are not permitted"),
    ],
)
def test_weights_are_validated(kwargs, match):
    with pytest.raises(ValidationError, match=match):
        mk.Weights(**kwargs)


@pytest.mark.parametrize(
    ("volunteer", "need", "name", "value"),
    [
        (
            {"interests": ["parks"]},
            {"remote": True, "causes": ["parks", "food"]},
            "interest",
            1.0,
        ),
        (
            {"interests": ["parks", "kids"]},
            {"remote": True, "causes": ["food", "kids", "x"]},
            "interest",
            0.5,
        ),
        (
            {"interests": ["parks"]},
            {"remote": True, "causes": ["food"]},
            "interest",
            0.0,
        ),
        ({}, {"remote": True, "causes": ["food"]}, "interest", NEUTRAL),
        ({"home": HOME}, {"location": HOME}, "distance", 1.0),
        ({"home": HOME, "max_distance_km": 0}, {"location": HOME}, "distance", 1.0),
        ({"remote_ok": True}, {"remote": True}, "distance", 1.0),
        (
            {"availability": ["mon-morning"]},
            {"remote": True, "slots": ["mon-morning", "sat-morning"]},
            "schedule",
            0.5,
        ),
        (
            {"availability": ["mon-morning"]},
            {"remote": True, "slots": []},
            "schedule",
            1.0,
        ),
        (
            {"availability": ["mon-morning"]},
            {"remote": True, "slots": ["mon-morning", "sat-morning"]},
            "coverage",
            0.5,
        ),
        ({}, {"remote": True, "slots": []}, "coverage", 1.0),
        ({"preferred_organisations": ["o1"]}, {"remote": True}, "preferred", 1.0),
        ({"preferred_organisations": ["o2"]}, {"remote": True}, "preferred", 0.0),
        ({}, {"remote": True}, "preferred", NEUTRAL),
        (
            {"skills": ["it", "cook"]},
            {"remote": True, "desired_skills": ["it", "drive"]},
            "skills",
            0.5,
        ),
        ({}, {"remote": True}, "skills", NEUTRAL),
        (
            {"languages": ["en", "ru", "tt", "de"]},
            {"remote": True, "languages": ["ru"]},
            "language",
            1.0,
        ),
        (
            {"languages": ["en", "ru"]},
            {"remote": True, "languages": ["ru"]},
            "language",
            0.5,
        ),
        ({"languages": ["ru"]}, {"remote": True, "languages": ["ru"]}, "language", 0.0),
    ],
)
def test_components(volunteer, need, name, value):
    assert score(volunteer, need)[name] == pytest.approx(value)


def test_distance_component_falls_linearly_inside_the_radius():
    far = {"lat": 55.79 + 0.045, "lon": 49.12}  # about 5 km north
    got = score({"home": HOME, "max_distance_km": 10}, {"location": far})
    assert got["distance_km"] == pytest.approx(5.0, rel=0.01)
    assert got["distance"] == pytest.approx(1 - got["distance_km"] / 10)


def test_remote_needs_have_no_distance():
    got = score({"home": HOME}, {"remote": True, "location": HOME})
    assert math.isnan(got["distance_km"]) and got["distance"] == 1.0


unit = st.floats(0, 1)


@given(
    st.lists(st.tuples(*[unit] * 7), min_size=1, max_size=5),
    st.builds(
        mk.Weights,
        interest=st.floats(0, 5),
        distance=st.floats(0.01, 5),
        skills=st.floats(0.01, 5),
        coverage=st.floats(0, 5),
        volunteer_side=unit,
    ),
)
def test_combine_is_a_weighted_mean(rows, weights):
    cols = np.array(rows)
    comps = {
        k: cols[:, i] for i, k in enumerate(VOLUNTEER_COMPONENTS + NEED_COMPONENTS)
    }
    vu, nu, w = combine(comps, weights)
    for r, row in enumerate(rows):
        c = dict(zip(VOLUNTEER_COMPONENTS + NEED_COMPONENTS, row))
        want = reference_utilities(c, weights)
        assert (vu[r], nu[r], w[r]) == pytest.approx(want, abs=1e-12)
    assert np.all((w >= 0) & (w <= 1))


def test_volunteer_side_moves_the_weight():
    comps = {k: np.array([1.0]) for k in VOLUNTEER_COMPONENTS}
    comps.update({k: np.array([0.0]) for k in NEED_COMPONENTS})
    assert combine(comps, mk.Weights(volunteer_side=1.0))[2].tolist() == [1.0]
    assert combine(comps, mk.Weights(volunteer_side=0.0))[2].tolist() == [0.0]
    assert combine(comps, mk.Weights(volunteer_side=0.25))[2].tolist() == [0.25]


@given(
    st.lists(st.tuples(st.integers(0, 200), st.integers(0, 200)), max_size=40),
    st.sampled_from([NEUTRAL, 1.0]),
)
def test_ratios_of_counts_are_exact_quotients_from_the_table_or_not(pairs, empty):
    """Small counts are divided through a table, larger ones by numpy: either way each
    value has the bits of num / den, and ``empty`` where den is 0."""
    from matchkit._scoring import _TABLE_MAX, _ratio

    num = np.array([min(a, b) for a, b in pairs], dtype=np.int64)
    den = np.array([b for _, b in pairs], dtype=np.int64)
    want = [a / b if b else empty for a, b in zip(num.tolist(), den.tolist())]
    assert _ratio(num, den, empty).tolist() == want
    small = den <= _TABLE_MAX
    assert _ratio(num[small], den[small], empty).tolist() == [w for w, s in zip(want, small) if s]

"""build_problem: the edge set and every utility equal the scalar reference."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import matchkit as mk
from matchkit import _build, _candidates
from matchkit._build import keep_top_k, top_k_mask
from matchkit._candidates import candidate_chunks
from matchkit._encode import encode
from matchkit._numbering import tie_key
from matchkit._rules import great_circle_km
from matchkit._rules_filter import filter_pairs
from matchkit._scoring import COMPONENTS
from reference_rules import edges as reference_edges
from strategies_scoring import edge_rich_cases

DAY = date(2026, 5, 1)
ORG = {"id": "o1", "name": "Park friends", "kind": "cso", "registered": True}


def need(nid: str = "n1", **kw: object) -> dict[str, object]:
    rec: dict[str, object] = {
        "id": nid,
        "organisation_id": "o1",
        "title": "Plant trees",
        "capacity": 2,
        "status": "open",
    }
    rec.update(kw)
    return rec


def edge_dict(p: mk.MatchProblem) -> dict[tuple[int, int], dict[str, float]]:
    out = {}
    for e, (a, b) in enumerate(zip(p.edge_left.tolist(), p.edge_right.tolist())):
        row = {k: float(v[e]) for k, v in p.components.items()}
        row.update(
            volunteer_utility=float(p.volunteer_utility[e]),
            need_utility=float(p.need_utility[e]),
            weight=float(p.weight[e]),
        )
        out[(a, b)] = row
    return out


def assert_same(got: dict, want: dict) -> None:
    assert set(got) == set(want)
    for pair, row in want.items():
        for k, x in row.items():
            y = got[pair][k]
            # Components are stored as float32, utilities and the weight as float64.
            tol = 1e-6 if k in COMPONENTS else 1e-9
            if math.isnan(x):
                assert math.isnan(y), (pair, k)
            else:
                assert y == pytest.approx(x, rel=tol, abs=tol), (pair, k, y, x)


weights_strategy = st.builds(
    mk.Weights,
    interest=st.floats(0, 3),
    distance=st.floats(0, 3),
    schedule=st.floats(0, 3),
    preferred=st.floats(0.01, 3),
    skills=st.floats(0.01, 3),
    coverage=st.floats(0, 3),
    language=st.floats(0, 3),
    volunteer_side=st.floats(0, 1),
)


@given(edge_rich_cases(), weights_strategy, st.integers(1, 3))
def test_build_problem_equals_the_scalar_reference(case, weights, k):
    ds, day = case
    p = mk.build_problem(ds, weights=weights, as_of=day)
    # The edge set and every component and utility equal the scalar reference.
    assert_same(edge_dict(p), reference_edges(ds, day, weights))
    # Plain arrays in dataset order, sorted unique edges, scores in [0, 1].
    assert p.left_ids == ds.volunteer_ids and p.right_ids == ds.need_ids
    assert p.left_capacity.tolist() == [v.max_placements for v in ds.volunteers]
    assert p.right_capacity.tolist() == [n.capacity for n in ds.needs]
    key = p.edge_left * max(p.n_right, 1) + p.edge_right
    assert np.all(np.diff(key) > 0)
    for arr in (p.weight, p.volunteer_utility, p.need_utility):
        assert np.all((arr >= 0) & (arr <= 1))
    assert set(p.components) == set(COMPONENTS) and not p.pinned.any()
    # Tiny chunks give the same candidates, each pair once.
    enc = encode(ds)
    big = {
        (a, b)
        for c in candidate_chunks(enc, day)
        for a, b in zip(c.v.tolist(), c.n.tolist())
    }
    small = [
        (a, b)
        for c in candidate_chunks(enc, day, chunk_size=k)
        for a, b in zip(c.v.tolist(), c.n.tolist())
    ]
    assert len(small) == len(set(small)) and set(small) == big
    # A subset of volunteers, looked up from the needs' side or from the volunteers'
    # side (the path for few volunteers), gives the same acceptable pairs as the full
    # build restricted to them, each pair once.
    if enc.n_volunteers:
        mask = np.zeros(enc.n_volunteers, dtype=bool)
        mask[:: max(1, k % 3 + 1)] = True
        wanted = {(a, b) for a, b in zip(p.edge_left.tolist(), p.edge_right.tolist()) if mask[a]}
        for few in (0, 10**9):  # 0: always from the volunteers' side; 10**9: never
            with pytest.MonkeyPatch.context() as mp:
                mp.setattr(_candidates, "FEW_VOLUNTEERS", few)
                pairs = [
                    (a, b)
                    for c in candidate_chunks(enc, day, chunk_size=k, volunteers=mask)
                    for a, b in zip(*filter_pairs(enc, c.v, c.n, day, skip=c.checked)[:2])
                ]
            assert len(pairs) == len(set(pairs))
            assert set(pairs) == wanted
    # top_k keeps min(k, degree) edges per volunteer, never worse than a dropped one.
    q = mk.build_problem(ds, weights=weights, as_of=day, top_k=k)
    deg = np.bincount(p.edge_left, minlength=p.n_left)
    assert (
        np.bincount(q.edge_left, minlength=q.n_left).tolist()
        == np.minimum(deg, k).tolist()
    )
    kept = set(zip(q.edge_left.tolist(), q.edge_right.tolist()))
    for e, pair in enumerate(zip(p.edge_left.tolist(), p.edge_right.tolist())):
        if pair not in kept:
            assert q.weight[q.edge_left == pair[0]].min() >= p.weight[e]
    # Pruning while streaming tiny chunks gives exactly the top k of the whole.
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_build, "CHUNK_SIZE", k)
        mp.setattr(_build, "PRUNE_SLACK", -(10**9))  # prune after every chunk
        r = mk.build_problem(ds, weights=weights, as_of=day, top_k=k)
    assert (
        r.edge_left.tolist() == q.edge_left.tolist()
        and r.edge_right.tolist() == q.edge_right.tolist()
    )
    assert r.weight.tolist() == q.weight.tolist()
    top = keep_top_k(p, k)
    assert (
        top.edge_right.tolist() == q.edge_right.tolist()
        and top.edge_left.tolist() == q.edge_left.tolist()
    )


def test_distance_exactly_at_the_limit_is_acceptable():
    home, loc = {"lat": 55.7901, "lon": 49.1234}, {"lat": 55.8312, "lon": 49.0517}
    d = float(great_circle_km(home["lat"], home["lon"], loc["lat"], loc["lon"]))
    vols = [
        {"id": "at", "home": home, "max_distance_km": d},
        {"id": "below", "home": home, "max_distance_km": float(np.nextafter(d, 0))},
    ]
    ds = mk.Dataset(volunteers=vols, organisations=[ORG], needs=[need(location=loc)])
    p = mk.build_problem(ds, as_of=DAY)
    assert [p.left_ids[i] for i in p.edge_left] == ["at"]
    assert p.components["distance"][0] == 0.0
    assert p.components["distance_km"][0] == np.float32(d)
    assert mk.why_not(ds, "at", "n1", as_of=DAY) == []
    assert [e.rule for e in mk.why_not(ds, "below", "n1", as_of=DAY)] == ["distance"]


@pytest.mark.parametrize(
    ("birth", "as_of", "acceptable"),
    [
        ("2008-05-01", "2026-05-01", True),  # 18th birthday on as_of counts
        ("2008-05-02", "2026-05-01", False),  # the day before the 18th birthday
        ("2008-02-29", "2026-02-28", False),  # leap-day birth, common year: not yet
        ("2008-02-29", "2026-03-01", True),  # ... turns 18 on 1 March
        ("2004-02-29", "2022-02-28", False),
        ("2000-02-29", "2018-03-01", True),
    ],
)
@pytest.mark.parametrize("remote", [True, False])
def test_birthday_on_as_of(birth, as_of, acceptable, remote):
    place = {"lat": 55.79, "lon": 49.12}
    ds = mk.Dataset(
        volunteers=[{"id": "v1", "birth_date": birth, "home": place}],
        organisations=[ORG],
        needs=[need(remote=remote, location=place, min_age=18)],
    )
    p = mk.build_problem(ds, as_of=date.fromisoformat(as_of))
    assert (p.n_edges == 1) is acceptable


def test_no_place_remote_and_empty_slots():
    loc = {"lat": 55.79, "lon": 49.12}
    ds = mk.Dataset(
        volunteers=[
            {"id": "homeless", "remote_ok": True, "availability": []},
            {"id": "home", "home": loc, "remote_ok": False, "availability": []},
        ],
        organisations=[ORG],
        needs=[
            need("inperson", location=loc),
            need("online", remote=True),
            need("slotted", remote=True, slots=["sat-morning"], min_overlap=1),
        ],
    )
    p = mk.build_problem(ds, as_of=DAY)
    got = sorted(
        (p.left_ids[a], p.right_ids[b]) for a, b in zip(p.edge_left, p.edge_right)
    )
    assert got == [("home", "inperson"), ("homeless", "online")]
    online = int(np.flatnonzero(np.asarray(p.right_ids)[p.edge_right] == "online")[0])
    assert np.isnan(p.components["distance_km"][online])
    assert p.components["distance"][online] == 1.0
    assert p.components["coverage"][online] == 1.0  # no slots: flexible


@pytest.mark.parametrize(
    ("home", "place", "radius"),
    [
        (
            {"lat": 10.0, "lon": 179.99},
            {"lat": 10.0, "lon": -179.99},
            5.0,
        ),  # antimeridian
        (
            {"lat": 89.99, "lon": 0.0},
            {"lat": 89.99, "lon": 180.0},
            3.0,
        ),  # across the pole
        (
            {"lat": -33.9, "lon": 18.4},
            {"lat": 55.75, "lon": 37.62},
            20_000.0,
        ),  # half the Earth
        (
            {"lat": 0.0, "lon": 0.0},
            {"lat": 0.0, "lon": 0.0},
            0.0,
        ),  # same place, radius 0
    ],
)
def test_blocking_never_loses_a_pair(home, place, radius):
    d = float(great_circle_km(home["lat"], home["lon"], place["lat"], place["lon"]))
    assert d <= radius
    vols = [{"id": "v1", "home": home, "max_distance_km": radius}]
    # Volunteers with other radii make several grid classes.
    vols += [
        {"id": f"w{i}", "home": home, "max_distance_km": r}
        for i, r in enumerate((0.1, 7.0, 300.0))
    ]
    ds = mk.Dataset(volunteers=vols, organisations=[ORG], needs=[need(location=place)])
    p = mk.build_problem(ds, as_of=DAY)
    assert "v1" in {p.left_ids[i] for i in p.edge_left}


def test_more_than_64_tags_use_several_words():
    tags = [f"s{i:03d}" for i in range(150)]
    ds = mk.Dataset(
        volunteers=[
            {"id": "all", "skills": tags},
            {"id": "most", "skills": tags[:140]},
            {"id": "some", "skills": [tags[0], tags[70], tags[149]]},
        ],
        organisations=[ORG],
        needs=[
            need(
                "n1",
                remote=True,
                required_skills=[tags[0], tags[70], tags[149]],
                desired_skills=tags[1:140],
            )
        ],
    )
    enc = encode(ds)
    assert enc.v_skills.shape[1] == 3
    p = mk.build_problem(ds, as_of=DAY)
    assert [p.left_ids[i] for i in p.edge_left] == ["all", "some"]
    assert p.components["skills"].tolist() == pytest.approx([1.0, 1 / 139])


def test_top_k_keeps_each_volunteers_best():
    rng = np.random.default_rng(3)
    w = rng.random((6, 9))
    p = mk.MatchProblem.from_dense(w)
    q = keep_top_k(p, 3)
    for i in range(6):
        kept = sorted(q.edge_right[q.edge_left == i].tolist())
        assert kept == sorted(np.argsort(-w[i])[:3].tolist())


def test_top_k_never_drops_pinned_edges_and_breaks_ties_by_need_order():
    left = np.array([0, 0, 0, 0])
    weight = np.array([0.5, 0.5, 0.1, 0.9])
    assert top_k_mask(left, weight, 1, n_left=1).tolist() == [False, False, False, True]
    pinned = np.array([False, False, True, False])
    assert top_k_mask(left, weight, 2, n_left=1, pinned=pinned).tolist() == [
        True,
        False,
        True,
        True,
    ]
    assert top_k_mask(np.array([0, 0]), np.array([0.5, 0.5]), 1, n_left=1).tolist() == [
        True,
        False,
    ]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"top_k": 0}, "top_k"),
        ({"top_k": 2.5}, "top_k"),
        ({"as_of": "yesterday"}, "as_of"),
        ({"weights": 3}, "weights"),
    ],
)
def test_bad_arguments(kwargs, match):
    ds = mk.Dataset(organisations=[ORG])
    with pytest.raises(mk.InvalidInputError, match=match):
        mk.build_problem(ds, **kwargs)


def test_not_a_dataset():
    with pytest.raises(mk.InvalidInputError, match="expects a matchkit.Dataset"):
        mk.build_problem([])


def test_as_of_defaults_to_today_and_accepts_iso_strings():
    ds = mk.Dataset(
        volunteers=[{"id": "v1"}],
        organisations=[ORG],
        needs=[need(remote=True, end_date=date.today().isoformat())],
    )
    assert mk.build_problem(ds).n_edges == 1
    assert mk.build_problem(ds, as_of="2999-01-01").n_edges == 0


def test_empty_dataset():
    p = mk.build_problem(mk.Dataset())
    assert (p.n_left, p.n_right, p.n_edges) == (0, 0, 0)


@pytest.mark.parametrize("top_k", [None, 3])
def test_the_number_of_scoring_threads_does_not_change_the_problem(
    monkeypatch: pytest.MonkeyPatch, top_k: int | None
) -> None:
    from matchkit.datasets import DEFAULT_AS_OF, synthetic_city

    ds = synthetic_city(400, 50, seed=21)
    monkeypatch.setattr(_build, "CHUNK_SIZE", 500)  # many chunks in flight
    monkeypatch.setattr(_build, "PRUNE_SLACK", 0)  # prune as often as possible
    built = {}
    for threads in ("1", "3"):
        monkeypatch.setenv("MATCHKIT_THREADS", threads)
        built[threads] = mk.build_problem(ds, as_of=DEFAULT_AS_OF, top_k=top_k)
    one, three = built["1"], built["3"]
    assert one.n_edges > (1000 if top_k is None else 700)
    for name in ("edge_left", "edge_right", "weight", "volunteer_utility", "need_utility"):
        np.testing.assert_array_equal(getattr(one, name), getattr(three, name))


@pytest.mark.parametrize("bucket", [1, 37, 1000])
def test_sorting_by_volunteer_ranges_gives_one_sort_of_every_edge(
    monkeypatch: pytest.MonkeyPatch, bucket: int
) -> None:
    """The build sorts each chunk, then volunteer ranges of about BUCKET_EDGES edges on
    their own: ranges of one edge (more ranges than volunteers, many empty), of a few
    dozen, and a few ranges give the problem of one chunk sorted at once."""
    from matchkit.datasets import DEFAULT_AS_OF, synthetic_city

    ds = synthetic_city(400, 50, seed=21)
    monkeypatch.setenv("MATCHKIT_THREADS", "2")
    monkeypatch.setattr(_build, "CHUNK_SIZE", 1 << 30)
    monkeypatch.setattr(_build, "BUCKET_EDGES", 1 << 30)
    whole = mk.build_problem(ds, as_of=DEFAULT_AS_OF)
    monkeypatch.setattr(_build, "CHUNK_SIZE", 300)
    monkeypatch.setattr(_build, "BUCKET_EDGES", bucket)
    cut = mk.build_problem(ds, as_of=DEFAULT_AS_OF)
    assert whole.n_edges > 1000
    for name in ("edge_left", "edge_right", "weight", "volunteer_utility", "need_utility"):
        np.testing.assert_array_equal(getattr(whole, name), getattr(cut, name))
    # The edges per need, counted range by range, are those of every edge.
    for p in (whole, cut):
        assert "_degrees" in p.__dict__  # (counted by the build, not afterwards)
        per_volunteer, per_need = p._degrees
        np.testing.assert_array_equal(per_need, np.bincount(p.edge_right, minlength=p.n_right))
        np.testing.assert_array_equal(per_volunteer, np.bincount(p.edge_left, minlength=p.n_left))


@pytest.mark.parametrize("bucket", [37, 1 << 30])
def test_compact_keys_give_the_same_problem(monkeypatch: pytest.MonkeyPatch, bucket: int) -> None:
    """Scored chunks keep their keys as uint32 where they fit: the problem is the same."""
    from matchkit.datasets import DEFAULT_AS_OF, synthetic_city

    ds = synthetic_city(1200, 120, seed=22)  # (keys beyond 16 bits)
    monkeypatch.setattr(_build, "CHUNK_SIZE", 3000)
    monkeypatch.setattr(_build, "BUCKET_EDGES", bucket)
    built = {}
    for compact in (False, True):
        monkeypatch.setattr(_build, "COMPACT_KEYS", compact)
        built[compact] = mk.build_problem(ds, as_of=DEFAULT_AS_OF)
    assert built[True].n_edges > 1000
    for name in ("edge_left", "edge_right", "weight", "volunteer_utility", "need_utility"):
        a, b = getattr(built[False], name), getattr(built[True], name)
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)


def test_a_bad_thread_count_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MATCHKIT_THREADS", "many")
    with pytest.raises(mk.InvalidInputError, match="MATCHKIT_THREADS"):
        mk.build_problem(mk.datasets.tiny_city(), as_of=date(2026, 9, 1))


@given(
    st.lists(
        st.tuples(
            st.integers(0, 5),  # volunteer
            st.integers(0, 7),  # need
            st.sampled_from([0.0, 0.25, 0.5, 1.0, -3.0, 1e6, 0.1 + 0.2, 5e-324, 1.7e308, -1.7e308]),
            st.booleans(),  # pinned
        ),
        max_size=60,
        unique_by=lambda e: (e[0], e[1]),
    ),
    st.integers(1, 6),
    st.booleans(),
)
def test_top_k_mask_equals_a_per_volunteer_sort(edges, k, with_right) -> None:
    left = np.array([e[0] for e in edges], dtype=np.int64)
    right = np.array([e[1] for e in edges], dtype=np.int64)
    weight = np.array([e[2] for e in edges], dtype=np.float64)
    pinned = np.array([e[3] for e in edges], dtype=bool)
    got = top_k_mask(
        left, weight, k, n_left=6, pinned=pinned, edge_right=right if with_right else None
    )
    expected = pinned.copy()
    # ties: the pair's tie key, then the need (with the needs), else the position
    ties = (
        [(int(t), int(r)) for t, r in zip(tie_key(left, right), right)]
        if with_right
        else [(i,) for i in range(len(edges))]
    )
    for vol in range(6):
        mine = [i for i in range(len(edges)) if left[i] == vol and not pinned[i]]
        for i in sorted(mine, key=lambda i: (-weight[i], ties[i]))[:k]:
            expected[i] = True
    assert got.tolist() == expected.tolist()


@pytest.mark.parametrize("k", [1, 3])
def test_pruning_while_streaming_keeps_protected_pairs_and_the_same_top_k(
    monkeypatch: pytest.MonkeyPatch, k: int
) -> None:
    """Pruned after every small chunk, with the floors it leaves dropping later edges as
    they arrive, the build keeps every protected pair and exactly the top ``k`` of the
    rest that one pruning at the end keeps."""
    from matchkit._build import build_encoded
    from matchkit._encode import encode
    from matchkit.datasets import DEFAULT_AS_OF, synthetic_city

    ds = synthetic_city(300, 40, seed=5)
    full = mk.build_problem(ds, as_of=DEFAULT_AS_OF)
    keys = full.edge_left * full.n_right + full.edge_right
    protect = np.sort(keys[::7])
    built = {}
    monkeypatch.setenv("MATCHKIT_THREADS", "1")
    for name, chunk, slack in (("streaming", 64, -(10**9)), ("at the end", 1 << 20, 10**9)):
        monkeypatch.setattr(_build, "CHUNK_SIZE", chunk)
        monkeypatch.setattr(_build, "PRUNE_SLACK", slack)
        built[name] = build_encoded(
            encode(ds), mk.Weights(), DEFAULT_AS_OF, k, protect=protect
        )
    a, b = built["streaming"], built["at the end"]
    for col in ("edge_left", "edge_right", "weight", "volunteer_utility", "need_utility"):
        np.testing.assert_array_equal(getattr(a, col), getattr(b, col))
    got = a.edge_left * a.n_right + a.edge_right
    assert np.isin(protect, got).all()
    assert a.n_edges < full.n_edges


def test_an_edge_at_a_floor_still_wins_on_its_need(monkeypatch: pytest.MonkeyPatch) -> None:
    """A floor drops later edges below it; one equal to it may still rank first (a tie
    goes to the pair with the lower tie key: need 5 before need 3 for volunteer 0), and a
    pinned one is always kept."""
    key = tie_key(np.array([0, 0]), np.array([5, 3]))
    assert key[0] < key[1]
    monkeypatch.setattr(_build, "PRUNE_SLACK", -(10**9))  # prune after every part
    acc = _build._Accumulator(n_left=2, n_needs=10, top_k=1, volunteer_side=0.5)

    def part(keys, w, pin=None):
        cols = {"_key": np.array(keys), "_vu": np.array(w, float), "_nu": np.array(w, float)}
        if pin is not None:
            cols["_pin"] = np.array(pin)
        return cols

    acc.add(part([3, 12], [0.5, 0.5], [False, False]))  # volunteer 0: need 3; 1: need 2
    acc.add(part([5, 7, 11], [0.5, 0.25, 0.25], [False, True, False]))
    got = acc.result()
    assert sorted(got["_key"].tolist()) == [5, 7, 12]


def test_top_k_on_tied_weights_spreads_volunteers_over_the_needs() -> None:
    """Data with few attributes: every pair has one weight. With ties going to the need
    that comes first, every volunteer kept the same 10 needs and 90 % of the places
    stayed empty."""
    ds = mk.Dataset(
        volunteers=[{"id": f"v{i}", "remote_ok": True} for i in range(2000)],
        organisations=[ORG],
        needs=[{"id": f"n{j}", "organisation_id": ORG["id"], "title": "Help", "capacity": 5,
                "status": "open", "remote": True} for j in range(100)],
    )  # fmt: skip
    p = mk.build_problem(ds, as_of=DAY, top_k=10)
    assert p.n_edges == 20_000
    per_need = np.bincount(p.edge_right, minlength=100)
    assert per_need.min() >= 100  # (200 each on average)
    r = mk.match(ds, as_of=DAY, top_k=10, policies=False)
    assert len(r.proposals) == 500 and r.metrics["fill_rate"] == 1.0

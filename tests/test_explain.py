"""explain / explanation: contributions add up, rules agree with why_not, texts fit their reader."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import matchkit as mk
from matchkit._texts import count, count_of, km, ordinal, plural, ru_verb, slot_label
from matchkit.datasets import (
    DEFAULT_AS_OF,
    TINY_CITY_ACCEPTABLE,
    synthetic_city,
    tiny_city,
)
from matchkit.testing import AS_OF, datasets

DAY = date(2026, 9, 1)
AUDIENCES = ("volunteer", "organisation")
LANGS = ("en", "ru")


@pytest.fixture(scope="module")
def tiny() -> mk.MatchResult:
    return mk.match(tiny_city(), as_of=DAY, shortlist=2)


@pytest.fixture(scope="module")
def city() -> mk.MatchResult:
    return mk.match(
        synthetic_city(n_volunteers=300, n_needs=40, seed=21),
        as_of=DEFAULT_AS_OF,
        shortlist=2,
    )


@pytest.mark.parametrize("pair", sorted(TINY_CITY_ACCEPTABLE))
@pytest.mark.parametrize("audience", AUDIENCES)
@pytest.mark.parametrize("lang", LANGS)
def test_contributions_add_up_to_the_score(
    tiny: mk.MatchResult, pair: tuple[str, str], audience: str, lang: str
) -> None:
    e = tiny.explanation(*pair, audience=audience, lang=lang)
    p = tiny.problem
    pos = int(
        p.edge_index(
            [tiny.dataset.index_of("volunteers", pair[0])],
            [tiny.dataset.index_of("needs", pair[1])],
        )[0]
    )
    assert e.acceptable and pos >= 0
    assert e.score == pytest.approx(float(p.weight[pos]))
    assert sum(c.points for c in e.contributions) == pytest.approx(e.score)
    assert sum(c.share for c in e.contributions) == pytest.approx(1.0)
    assert e.volunteer_utility == pytest.approx(float(p.volunteer_utility[pos]))
    assert all(r.passed for r in e.rules)
    assert e.text.count("\n") >= 3


def test_status_follows_the_round(tiny: mk.MatchResult) -> None:
    for prop in tiny.proposals:
        assert tiny.explanation(prop.volunteer_id, prop.need_id).status == "proposed"
        for alt in prop.alternatives:
            assert (
                tiny.explanation(prop.volunteer_id, alt.need_id).status == "alternative"
            )


@pytest.mark.parametrize(
    "pair", [("v6", "n1"), ("v1", "n3"), ("v3", "n6"), ("v2", "n5"), ("v1", "n4")]
)
def test_failed_rules_are_those_of_why_not(
    tiny: mk.MatchResult, pair: tuple[str, str]
) -> None:
    e = tiny.explanation(*pair)
    want = {x.rule for x in mk.why_not(tiny.dataset, *pair, as_of=DAY)}
    assert not e.acceptable and e.status == "not_acceptable" and e.score is None
    assert {r.rule for r in e.rules if not r.passed} == want
    assert len(e.text.splitlines()) == 1 + len(want)


def test_options_are_ranked_by_score(tiny: mk.MatchResult) -> None:
    e = tiny.explanation("v1", "n6")
    assert (e.rank, e.n_options) == (2, 2)
    assert [n for n, _ in e.other_options] == ["n1"]
    assert "Walk dogs at the shelter" in e.text


@pytest.mark.parametrize(
    ("lang", "audience", "first"),
    [
        (
            "en",
            "volunteer",
            'We suggest "Deliver groceries to seniors" with Kazan Volunteer Centre.',
        ),
        (
            "ru",
            "volunteer",
            (
                "Мы предлагаем вам задачу «Deliver groceries to seniors» в организации "
                "«Kazan Volunteer Centre»."
            ),
        ),
        ("en", "organisation", 'We suggest Rustam for "Deliver groceries to seniors".'),
        (
            "ru",
            "organisation",
            "Мы предлагаем для задачи «Deliver groceries to seniors» волонтёра Rustam.",
        ),
    ],
)
def test_first_line(tiny: mk.MatchResult, lang: str, audience: str, first: str) -> None:
    assert (
        tiny.explain("v2", "n2", audience=audience, lang=lang).splitlines()[0] == first
    )


def test_volunteer_text_speaks_of_cause_place_and_time(tiny: mk.MatchResult) -> None:
    text = tiny.explain("v2", "n2")
    assert (
        "elderly" in text
        and "0 km from your home" in text
        and "Tuesday evening" in text
    )
    ru = tiny.explain("v2", "n2", lang="ru")
    assert "пожилые люди" in ru and "во вторник вечером" in ru and "0 км" in ru


def test_organisation_text_speaks_of_skills_checks_coverage_but_not_age_or_distance(
    tiny: mk.MatchResult,
) -> None:
    e = tiny.explanation("v2", "n2", audience="organisation")
    assert (
        "driving licence" in e.text
        and "background check" in e.text
        and "Coverage" in e.text
    )
    assert " km" not in e.text and "46" not in e.text  # no distance from home, no age
    assert (
        "age" not in e.facts
        and "distance_km" not in e.facts
        and "interests" not in e.facts
    )
    assert (e.candidate_rank, e.n_candidates) == (1, 1)


def test_volunteer_never_learns_about_other_volunteers(city: mk.MatchResult) -> None:
    ds = city.dataset
    names = {v.id: v.name for v in ds.volunteers if v.name}
    pools = {v.pool for v in ds.volunteers if v.pool}
    p = city.problem
    for e_pos in range(0, p.n_edges, max(p.n_edges // 60, 1)):
        vid = p.left_ids[int(p.edge_left[e_pos])]
        nid = p.right_ids[int(p.edge_right[e_pos])]
        for lang in LANGS:
            e = city.explanation(vid, nid, lang=lang)
            blob = e.text + repr(e.facts) + repr(e.other_options)
            assert not re.search(r"\bv\d{4}\b", blob)
            assert not any(n in blob for u, n in names.items() if u != vid)
            assert not any(pool in blob for pool in pools)
            assert (e.candidate_rank, e.n_candidates) == (0, 0)


@given(
    # (freely drawn datasets have almost no acceptable pair; matchable ones have many)
    st.booleans().flatmap(
        lambda m: datasets(min_volunteers=2, max_volunteers=6, min_needs=1, max_needs=4, matchable=m)
    ),
    st.sampled_from(LANGS),
    st.data(),
)
def test_privacy_and_sums_on_any_dataset(
    ds: mk.Dataset, lang: str, data: st.DataObject
) -> None:
    # give everyone a distinctive name, so a leak cannot hide in ordinary words (ids are v0, v1, ...)
    vols = [
        v.model_copy(update={"name": f"Person{k}Q"})
        for k, v in enumerate(ds.volunteers)
    ]
    ds = ds.replace(volunteers=vols)
    result = mk.match(ds, as_of=AS_OF, policies=False)
    k = data.draw(st.integers(0, len(vols) - 1))
    j = data.draw(st.integers(0, len(ds.needs) - 1))
    vid, nid = vols[k].id, ds.needs[j].id
    e = result.explanation(vid, nid, lang=lang)
    d = result.why_unmatched(vid, lang=lang)
    blob = (
        e.text
        + repr(e.facts)
        + repr(e.other_options)
        + d.text
        + repr(d.competition)
        + repr(d.details)
    )
    assert not re.search(r"\bv\d+\b|Person\d+Q", blob)
    assert e.acceptable == (not mk.why_not(ds, vid, nid, as_of=AS_OF))
    if e.acceptable:
        assert sum(c.points for c in e.contributions) == pytest.approx(e.score)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda r: r.explain("v1", "nope"), "no need with id 'nope'"),
        (lambda r: r.explain("nobody", "n1"), "no volunteer with id 'nobody'"),
        (
            lambda r: r.explain("v1", "n1", audience="press"),
            "'audience' parameter of explain",
        ),
        (lambda r: r.explain("v1", "n1", lang="fr"), "'lang' parameter of explain"),
    ],
)
def test_bad_arguments(tiny: mk.MatchResult, call: object, match: str) -> None:
    with pytest.raises(mk.MatchkitError, match=match):
        call(tiny)  # type: ignore[operator]


# -- the phrase helpers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "want"),
    [
        (0, "0 волонтёров"),
        (1, "1 волонтёр"),
        (2, "2 волонтёра"),
        (4, "4 волонтёра"),
        (5, "5 волонтёров"),
        (11, "11 волонтёров"),
        (12, "12 волонтёров"),
        (14, "14 волонтёров"),
        (21, "21 волонтёр"),
        (22, "22 волонтёра"),
        (25, "25 волонтёров"),
        (101, "101 волонтёр"),
        (111, "111 волонтёров"),
        (1000, "1000 волонтёров"),
    ],
)
def test_russian_plural_of_volunteers(n: int, want: str) -> None:
    assert count(n, "volunteer", "ru") == want


@pytest.mark.parametrize(
    ("n", "want"),
    [
        (1, "подойдёт"),
        (2, "подойдут"),
        (11, "подойдут"),
        (21, "подойдёт"),
        (31, "подойдёт"),
        (111, "подойдут"),
    ],
)
def test_russian_verb_agrees_with_the_number(n: int, want: str) -> None:
    assert ru_verb(n, "подойдёт", "подойдут") == want


@pytest.mark.parametrize(
    ("k", "m", "lang", "want"),
    [
        (1, 1, "ru", "1 из 1 смены"),
        (2, 5, "ru", "2 из 5 смен"),
        (3, 21, "ru", "3 из 21 смены"),
        (1, 11, "ru", "1 из 11 смен"),
        (1, 1, "en", "1 of 1 weekly time"),
        (2, 3, "en", "2 of 3 weekly times"),
    ],
)
def test_k_of_m(k: int, m: int, lang: str, want: str) -> None:
    assert count_of(k, m, "slot", lang) == want


@given(st.integers(0, 10**6))
def test_plural_picks_one_of_the_three_russian_forms(n: int) -> None:
    form = plural(n, ("a", "b", "c"), "ru")
    last, last2 = n % 10, n % 100
    assert form == (
        "c"
        if 11 <= last2 <= 14
        else "a"
        if last == 1
        else "b"
        if 2 <= last <= 4
        else "c"
    )


@pytest.mark.parametrize(
    ("x", "lang", "want"),
    [
        (1.26, "en", "1.3 km"),
        (1.26, "ru", "1,3 км"),
        (15.0, "en", "15 km"),
        (0.04, "ru", "0,04 км"),
    ],
)
def test_kilometres(x: float, lang: str, want: str) -> None:
    assert km(x, lang) == want


@pytest.mark.parametrize(
    ("n", "want"),
    [
        (1, "1st"),
        (2, "2nd"),
        (3, "3rd"),
        (4, "4th"),
        (11, "11th"),
        (12, "12th"),
        (13, "13th"),
        (21, "21st"),
        (22, "22nd"),
        (111, "111th"),
    ],
)
def test_english_ordinals(n: int, want: str) -> None:
    assert ordinal(n, "en") == want


@pytest.mark.parametrize("slot", mk.SLOTS)
def test_every_slot_has_words(slot: str) -> None:
    en, ru = slot_label(slot, "en"), slot_label(slot, "ru")
    assert en.split()[-1] in ("morning", "afternoon", "evening")
    assert ru.split()[-1] in ("утром", "днём", "вечером") and ru.startswith(
        ("в ", "во ")
    )


def test_statuses_after_decisions_in_the_ledger() -> None:
    ds = tiny_city()
    ledger = mk.Ledger(":memory:")
    mk.match(ds, ledger=ledger, as_of=DAY)
    ledger.accept("v4", "n3", at="2026-09-01T10:00")
    ledger.reject("v2", "n2", at="2026-09-01T10:00")
    result = mk.match(ds, ledger=ledger, as_of=DAY, at="2026-09-01T12:00")
    assert result.explanation("v4", "n3").status == "placed"
    declined = result.explanation("v2", "n2", lang="ru")
    assert declined.status == "declined" and "отказались" in declined.text
    assert (
        declined.rank == 0
    )  # a declined need is no longer among the volunteer's options
    other = result.explanation("v2", "n1")
    assert other.n_options == 1 and other.other_options == ()


# -- the organisation's view ---------------------------------------------------------------


@pytest.mark.parametrize("pair", sorted(TINY_CITY_ACCEPTABLE))
@pytest.mark.parametrize("lang", LANGS)
def test_an_organisation_does_not_see_the_volunteers_other_options(
    tiny: mk.MatchResult, pair: tuple[str, str], lang: str
) -> None:
    # other organisations' needs with scores (and how many fit) would tell where the
    # volunteer lives and what they care about: docs/explanations.md, Privacy
    e = tiny.explanation(*pair, audience="organisation", lang=lang)
    assert (e.rank, e.n_options, e.other_options) == (0, 0, ())
    assert e.candidate_rank >= 1
    others = {n.title for n in tiny.dataset.needs if n.id != pair[1]}
    assert not any(t in e.text for t in others)
    assert "option" not in e.text and "вариант" not in e.text
    mine = tiny.explanation(*pair, lang=lang)
    assert mine.rank >= 1 and mine.n_options >= 1


def test_russian_organisation_texts_use_no_gendered_words_for_the_volunteer() -> None:
    ds = tiny_city()
    ledger = mk.Ledger(":memory:")
    mk.match(ds, ledger=ledger, as_of=DAY)
    ledger.reject("v2", "n2", at="2026-09-01T10:00")
    result = mk.match(ds, ledger=ledger, as_of=DAY, at="2026-09-01T12:00")
    statuses = set()
    for v in ds.volunteer_ids:
        for n in ds.need_ids:
            e = result.explanation(v, n, audience="organisation", lang="ru")
            statuses.add(e.status)
            words = set(re.findall(r"\w+", e.text.lower()))
            assert not words & {"его", "ему", "он", "отказался", "выбрал", "свободен"}, e.text
    assert {"declined", "not_offered", "proposed", "not_acceptable"} <= statuses
    declined = result.explain("v2", "n2", audience="organisation", lang="ru")
    assert declined.splitlines()[0] == (
        "Задача «Deliver groceries to seniors» отклонена волонтёром Rustam; "
        "мы её больше не предлагаем."
    )


# -- neutral components ----------------------------------------------------------------------


def test_neutral_components_are_not_given_as_reasons(tiny: mk.MatchResult) -> None:
    # n2 desires no skill and v2 prefers no organisation: both components are 0.5
    e = tiny.explanation("v2", "n2")
    neutral = {c.component for c in e.contributions if c.neutral}
    assert neutral == {"skills", "preferred"}
    line = next(x for x in e.text.splitlines() if x.startswith("Fit score"))
    made, rest = line.split(" Neutral (nothing to compare): ")
    assert "desired skills" not in made and "preferred organisation" not in made
    assert "desired skills +0.12" in rest and "preferred organisation +0.03" in rest
    ru = tiny.explain("v2", "n2", lang="ru")
    assert "Нейтрально (не с чем сравнить): желательные навыки +0,12" in ru
    assert "Из чего она сложилась: интересы и тематика +0,20" in ru


def test_neutral_means_nothing_to_compare(
    tiny: mk.MatchResult, city: mk.MatchResult
) -> None:
    # (docs/scoring.md: 0.5 when there is nothing to compare; a real 0.5 is not neutral)
    kinds = set()
    for result in (tiny, city):
        ds, p = result.dataset, result.problem
        for e_pos in range(0, p.n_edges, max(p.n_edges // 80, 1)):
            v = ds.volunteers[int(p.edge_left[e_pos])]
            n = ds.needs[int(p.edge_right[e_pos])]
            e = result.explanation(v.id, n.id)
            want = {
                "interest": not v.interests or not n.causes,
                "preferred": not v.preferred_organisations,
                "skills": not n.desired_skills,
            }
            for c in e.contributions:
                assert c.neutral == want.get(c.component, False), (v.id, n.id, c)
                if c.neutral:
                    assert c.value == 0.5
                    kinds.add(c.component)
    assert kinds == {"interest", "preferred", "skills"}


@given(
    datasets(min_volunteers=2, max_volunteers=6, min_needs=1, max_needs=4, matchable=True),
    st.sampled_from(LANGS),
    st.data(),
)
def test_an_organisation_sees_the_private_parts_of_the_score_only_summed(
    ds: mk.Dataset, lang: str, data: st.DataObject
) -> None:
    """Closeness alone would give the distance from home, shared causes the volunteer's
    interests: for an organisation they are one 'own preferences' contribution, their sum;
    the volunteer still sees each."""
    from matchkit._explain import PRIVATE_COMPONENTS
    from matchkit._texts import component_label

    result = mk.match(ds, as_of=AS_OF, policies=False)
    p = result.problem
    assume(p.n_edges > 0)
    e = data.draw(st.integers(0, p.n_edges - 1))  # (an acceptable pair)
    vid, nid = p.left_ids[int(p.edge_left[e])], p.right_ids[int(p.edge_right[e])]
    mine = result.explanation(vid, nid, lang=lang)
    theirs = result.explanation(vid, nid, audience="organisation", lang=lang)
    assert mine.acceptable
    names = {c.component for c in theirs.contributions}
    assert not names & set(PRIVATE_COMPONENTS) and "own_preferences" in names
    assert sum(c.points for c in theirs.contributions) == pytest.approx(theirs.score)
    folded = next(c for c in theirs.contributions if c.component == "own_preferences")
    assert folded.points == pytest.approx(
        sum(c.points for c in mine.contributions if c.component in PRIVATE_COMPONENTS)
    )
    assert not any(component_label(k, lang) + " +" in theirs.text for k in PRIVATE_COMPONENTS)
    assert {c.component for c in mine.contributions} >= set(PRIVATE_COMPONENTS)

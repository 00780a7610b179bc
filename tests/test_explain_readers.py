"""Explanations read as their readers read them: the words, the figures and what they promise.

Each test here builds a small dataset where one claim of a text can be checked by hand
(or by running the round again with the change the text suggests).
"""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Any

import pytest

import matchkit as mk
from matchkit._city import CHECKS, SKILLS
from matchkit._texts import tag_label
from matchkit.datasets import DEFAULT_CAUSES, DEFAULT_LANGUAGES, NYC_CAUSES, tiny_city

DAY = date(2026, 9, 1)
HOME = {"lat": 55.79, "lon": 49.12}
LATIN = re.compile(r"[A-Za-z]{2,}")


def org(oid: str = "o1", **kw: Any) -> dict[str, Any]:
    return {"id": oid, "name": "Приют", "kind": "cso", "registered": True,
            "vets_causes": ["animals", "education"], **kw}  # fmt: skip


def need(nid: str, **kw: Any) -> dict[str, Any]:
    base = {"id": nid, "organisation_id": "o1", "title": "Задача " + nid, "capacity": 1,
            "status": "open", "vetted_by": "o1", "location": HOME}  # fmt: skip
    return {**base, **kw}


def vol(vid: str, **kw: Any) -> dict[str, Any]:
    return {"id": vid, "name": "Саша " + vid, "home": HOME, **kw}


# -- tags --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "tags"),
    [
        ("causes", (*DEFAULT_CAUSES, *NYC_CAUSES)),
        ("skills", tuple(SKILLS)),
        ("languages", tuple(DEFAULT_LANGUAGES)),
        ("checks", tuple(CHECKS)),
    ],
)
def test_every_tag_of_the_bundled_cities_reads_in_russian(
    kind: str, tags: tuple[str, ...]
) -> None:
    for tag in tags:
        assert not LATIN.search(tag_label(tag, "ru", kind)), (kind, tag)


def test_a_tag_reads_by_the_set_it_comes_from() -> None:
    ds = mk.Dataset(
        volunteers=[vol("v1", skills=["it", "medical"], languages=["it", "ru"],
                        checks=["medical"])],
        organisations=[org()],
        needs=[need("n1", required_skills=["it", "medical"], languages=["it"],
                    required_checks=["medical"])],
    )  # fmt: skip
    r = mk.match(ds, as_of=DAY)
    ru = r.explain("v1", "n1", lang="ru")
    assert "у вас есть нужные навыки (информационные технологии и медицина)" in ru
    assert "у вас есть нужные языки (итальянский)" in ru
    assert "у вас есть нужные документы (медицинская книжка)" in ru
    en = r.explain("v1", "n1", audience="organisation")
    assert "they have the required skills (IT and medicine)" in en
    assert "they speak the required languages (Italian)" in en


# -- need statuses -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "word"), [("idea", "идея"), ("vetted", "проверена")]
)
def test_a_need_not_open_gives_its_status_in_russian(status: str, word: str) -> None:
    ds = mk.Dataset(
        volunteers=[vol("v1")],
        organisations=[org()],
        needs=[need("n1", status=status, vetted_by=None if status == "idea" else "o1")],
    )
    r = mk.match(ds, as_of=DAY)
    assert f"(статус: {word})" in r.why_unfilled("n1", lang="ru").text
    assert f"задача не открыта (статус: {word})" in r.explain("v1", "n1", lang="ru")
    assert f"(status: {status})" in r.why_unfilled("n1").text


# -- needs that take no offers -----------------------------------------------------------


def held_back_city() -> mk.Dataset:
    """v1 fits n1 (vetted) and n2 (open, but nobody vetted it: a policy check holds it)."""
    return mk.Dataset(
        volunteers=[vol("v1", interests=["animals"])],
        organisations=[org()],
        needs=[need("n1", causes=["animals"], location={"lat": 55.80, "lon": 49.12}),
               need("n2", causes=["animals"], vetted_by=None)],
    )  # fmt: skip


def test_a_need_held_back_by_a_policy_check_is_no_option() -> None:
    r = mk.match(held_back_city(), as_of=DAY)
    assert "n2" in r.context["blocked"]
    e = r.explanation("v1", "n1")
    assert (e.status, e.rank, e.n_options, e.other_options) == ("proposed", 1, 1, ())
    assert "It is the only need that fits you and can be offered now." in e.text
    held = r.explanation("v1", "n2", lang="ru")
    assert held.status == "held_back" and held.rank == 0
    assert held.text.startswith(
        "Задача «Задача n2» в организации «Приют» вам подходит, но пока не "
        "предлагается: её задерживает проверка правил."
    )
    org_text = r.explain("v1", "n2", audience="organisation")
    assert "a policy check holds the need back" in org_text


def test_a_need_the_ledger_closed_is_no_option() -> None:
    ds = held_back_city()
    ds = ds.replace(needs=[n.model_copy(update={"vetted_by": "o1"}) for n in ds.needs])
    ledger = mk.Ledger(":memory:")
    mk.close_need(ds, "n2", by="o1", reason="enough help", ledger=ledger)
    r = mk.match(ds, as_of=DAY, ledger=ledger)
    e = r.explanation("v1", "n1")
    assert (e.rank, e.n_options, e.other_options) == (1, 1, ())
    closed = r.explanation("v1", "n2")
    assert closed.status == "held_back"
    assert "is no longer open, so it is not offered" in closed.text


@pytest.mark.parametrize(
    ("update", "orgs", "words"),
    [
        ({"handles_money": True}, [], "деньги должны идти на собственный счёт организации"),
        ({"involves_minors": True, "min_age": 18}, [],
         "не требует справки об отсутствии судимости"),
        ({"night_work": True}, [], "поднимите минимальный возраст до 18 лет"),
        ({"vetted_by": None}, [], "её никто не проверил"),
        ({"vetted_by": "o2"}, [org("o2", name="Клуб", vets_causes=["sport"])],
         "задачу проверила организация «Клуб», но её экспертиза не покрывает"),
        ({"organisation_id": "o2", "vetted_by": "o2"},
         [org("o2", name="Клуб", registered=False)],
         "организация задачи не зарегистрирована"),
    ],
)  # fmt: skip
def test_a_policy_check_reads_in_russian(
    update: dict[str, Any], orgs: list[dict[str, Any]], words: str
) -> None:
    ds = mk.Dataset(
        volunteers=[vol("v1")],
        organisations=[org(), *orgs],
        needs=[need("n1", causes=["animals"], **update)],
    )
    r = mk.match(ds, as_of=DAY)
    assert r.unfilled["n1"].code == "policy"
    ru = r.why_unfilled("n1", lang="ru").text
    assert words in ru
    assert not LATIN.search(ru.replace("Задача n1", "")), ru
    assert r.context["blocked"]["n1"] in r.why_unfilled("n1").text


# -- why_unmatched -----------------------------------------------------------------------


@pytest.mark.parametrize("method", ["flow", "hungarian", "milp"])
def test_a_need_nobody_took_did_not_go_to_others(method: str) -> None:
    # Only the need's languages count, and the volunteer speaks none beyond those
    # required: the pair scores 0, adds nothing to the total, and is not proposed.
    weights = mk.Weights(interest=0, distance=0, schedule=0, preferred=1, skills=0,
                         coverage=0, language=1, volunteer_side=0)  # fmt: skip
    ds = mk.Dataset(volunteers=[vol("v1")], organisations=[org()], needs=[need("n1")])
    r = mk.match(ds, as_of=DAY, method=method, weights=weights)
    assert not r.proposals and r.unfilled["n1"].details["free_places"] == 1
    d = r.why_unmatched("v1")
    assert d.competition[0].weakest_score is None
    assert (
        d.text.splitlines()[0]
        == "1 need fits you, but this round it was not offered to you:"
    )
    assert "your score is 0" in d.text
    ru = r.why_unmatched("v1", lang="ru").text
    assert (
        ru.splitlines()[0]
        == "Вам подходит 1 задача, но в этом раунде она вам не предложена:"
    )
    assert "достались другим" not in ru and "ваша оценка — 0" in ru


def test_one_or_no_record_reads_as_such() -> None:
    no_home = mk.Dataset(
        volunteers=[vol("v1", home=None, remote_ok=False)],
        organisations=[org()],
        needs=[need("n1")],
    )
    r = mk.match(no_home, as_of=DAY)
    assert r.why_unmatched("v1").text.splitlines()[:2] == [
        "The only open need this round does not fit all the conditions.",
        "What excluded it:",
    ]
    assert r.why_unmatched("v1", lang="ru").text.splitlines()[:2] == [
        "Единственная открытая задача этого раунда не подходит под все условия.",
        "Что исключило задачу:",
    ]
    assert r.why_unfilled("n1").text.splitlines()[:2] == [
        'The only volunteer does not meet all the conditions of "Задача n1"; 1 place stays free.',
        "Why not:",
    ]
    assert r.why_unfilled("n1", lang="ru").text.startswith(
        "Единственный волонтёр не подходит под все условия задачи «Задача n1»; свободно 1 место."
    )
    empty = mk.match(no_home.replace(volunteers=[]), as_of=DAY)
    assert (
        empty.why_unfilled("n1").text
        == "There are no volunteers this round; 1 place stays free."
    )
    assert (
        empty.why_unfilled("n1", lang="ru").text
        == "В этом раунде нет волонтёров; свободно 1 место."
    )


# -- figures -----------------------------------------------------------------------------


def north_of_home(km_away: float) -> dict[str, float]:
    return {
        "lat": HOME["lat"] + km_away / 6371.0088 * 180 / math.pi,
        "lon": HOME["lon"],
    }


@pytest.mark.parametrize(
    ("km_away", "en", "ru"),
    [
        (10.04, "it is 10.04 km from your home, farther than your 10 km",
         "до неё 10,04 км от дома — дальше ваших 10 км"),
        (9.97, "it is 9.97 km from your home, within your 10 km",
         "до неё 9,97 км от дома — в пределах ваших 10 км"),
        (10.0004, "it is 10.0004 km from your home, farther than your 10 km",
         "до неё 10,0004 км от дома — дальше ваших 10 км"),
    ],
)  # fmt: skip
def test_a_distance_near_the_radius_is_not_rounded_onto_it(
    km_away: float, en: str, ru: str
) -> None:
    ds = mk.Dataset(
        volunteers=[vol("v1", max_distance_km=10)],
        organisations=[org()],
        needs=[need("n1", location=north_of_home(km_away))],
    )
    r = mk.match(ds, as_of=DAY)
    assert en in r.explain("v1", "n1")
    assert ru in r.explain("v1", "n1", lang="ru")


def test_a_volunteer_with_two_offers_is_told_each_and_its_alternatives() -> None:
    ds = mk.Dataset(
        volunteers=[vol("v1", max_placements=2)],
        organisations=[org()],
        needs=[need(f"n{k}") for k in range(1, 5)],
    )
    r = mk.match(ds, as_of=DAY, shortlist=1)
    groups = [(p.need_id, [a.need_id for a in p.alternatives]) for p in r.proposals]
    assert [len(alts) for _, alts in groups] == [1, 1]
    (a, (b,)), (c, (d,)) = groups
    assert r.why_unmatched("v1").text == (
        f'You have 2 offers this round: "Задача {a}" (or instead "Задача {b}"); '
        f'"Задача {c}" (or instead "Задача {d}").'
    )
    assert r.why_unmatched("v1", lang="ru").text == (
        f"В этом раунде у вас 2 предложения: «Задача {a}» (или вместо неё «Задача {b}»); "
        f"«Задача {c}» (или вместо неё «Задача {d}»)."
    )
    one = mk.match(ds.replace(needs=ds.needs[:1]), as_of=DAY)
    assert one.why_unmatched("v1").text == 'You have an offer this round: "Задача n1".'


def test_a_volunteer_at_the_weekly_limit_is_not_told_of_offers_waiting() -> None:
    ds = mk.Dataset(
        volunteers=[vol("v1")],
        organisations=[org()],
        needs=[need(f"n{k}") for k in range(1, 4)],
    )
    ledger = mk.Ledger(":memory:")
    budget = mk.OfferBudget(max_open=1, max_per_week=1)
    first = mk.match(ds, as_of=DAY, ledger=ledger, budget=budget, at="2026-09-01")
    ledger.reject("v1", first.proposals[0].need_id, at="2026-09-02")
    r = mk.match(ds, as_of="2026-09-02", ledger=ledger, budget=budget, at="2026-09-02")
    reason = r.unmatched["v1"]
    assert reason.code == "offer_budget" and reason.details["open_offers"] == 0
    assert (
        "weekly limit" in reason.message and "until they answer" not in reason.message
    )
    d = r.why_unmatched("v1")
    assert d.text == (
        "You have had as many offers in the past 7 days as the weekly limit allows (1); "
        "new offers come once a week has passed since them."
    )
    assert "недельный лимит (1)" in r.why_unmatched("v1", lang="ru").text


@pytest.mark.parametrize(
    ("n", "en", "ru"),
    [
        (1, "You have 1 offer waiting for your answer; new offers come once you answer it.",
         "У вас есть 1 предложение, которое ждёт ответа; новые придут, когда вы на него ответите."),
        (3, "You have 3 offers waiting for your answer; new offers come once you answer them.",
         "У вас есть 3 предложения, которые ждут ответа; новые придут, когда вы на них ответите."),
        (21, "You have 21 offers waiting for your answer; new offers come once you answer them.",
         "У вас есть 21 предложение, которое ждёт ответа; новые придут, когда вы на них ответите."),
    ],
)  # fmt: skip
def test_offers_waiting_agree_with_their_number(n: int, en: str, ru: str) -> None:
    from matchkit._diagnostics_texts import volunteer_state

    assert volunteer_state("offer_budget", {"open_offers": n}, "en") == en
    assert volunteer_state("offer_budget", {"open_offers": n}, "ru") == ru


# -- errors ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny() -> mk.MatchResult:
    return mk.match(tiny_city(), as_of=DAY)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda r: r.explain("n1", "v1"), "'n1' is a need id, not a volunteer id; pass the volunteer id first"),
        (lambda r: r.explanation("v1", "v2"), "'v2' is a volunteer id, not a need id"),
        (lambda r: r.why_unmatched("n1"), "'n1' is a need id; pass a volunteer id"),
        (lambda r: r.why_unfilled("v1"), "'v1' is a volunteer id; pass a need id"),
        (lambda r: r.explanation(["v1"], "n1"), "a volunteer id is a string; got list"),
        (lambda r: mk.explain(r.dataset, "v1", "n1"), "explain needs the MatchResult of matchkit.match"),
        (lambda r: mk.why_unmatched(None, "v1"), "why_unmatched needs the MatchResult"),
        (lambda r: mk.why_unfilled(r.problem, "n1"), "why_unfilled needs the MatchResult"),
        (lambda r: mk.why_not(r, "v1", "n1"), r"got MatchResult \(pass result.dataset\)"),
        (lambda r: mk.why_not(r.dataset, "n1", "v1"), "'n1' is a need id, not a volunteer id"),
    ],
)  # fmt: skip
def test_bad_arguments_say_what_to_pass(
    tiny: mk.MatchResult, call: Any, match: str
) -> None:
    with pytest.raises(mk.InvalidInputError, match=match):
        call(tiny)


def test_the_stable_method_compares_the_needs_ratings_and_says_so() -> None:
    # n1 desires cooking, which only v2 has: the need rates v2 higher (need_utility).
    ds = mk.Dataset(
        volunteers=[vol("v1"), vol("v2", skills=["cooking"])],
        organisations=[org()],
        needs=[need("n1", desired_skills=["cooking"])],
    )
    r = mk.match(ds, as_of=DAY, method="stable")
    assert [p.volunteer_id for p in r.proposals] == ["v2"]
    c = r.why_unmatched("v1").competition[0]
    p = r.problem
    want = [float(p.need_utility[e]) for e in range(p.n_edges)]
    assert (c.your_score, c.weakest_score) == (want[0], want[1])
    # The fit score of the pair is another figure: the text does not call this one that.
    assert r.explanation("v1", "n1").score != c.your_score
    en, ru = r.why_unmatched("v1").text, r.why_unmatched("v1", lang="ru").text
    assert f"the need rates you {c.your_score:.2f} and those who got it from" in en
    assert "your score" not in en
    assert "задача оценивает вас в" in ru and "ваша оценка" not in ru


def test_a_tie_under_the_stable_method_claims_no_preference() -> None:
    r = mk.match(tiny_city(), as_of=DAY, method="stable")
    c = r.why_unmatched("v3").competition[0]
    assert c.margin == 0
    ru = r.why_unmatched("v3", lang="ru").text
    assert "предпочли" not in ru  # (v3 has no other need: they preferred none)
    assert "задача оценивает вас в 0,50, не ниже, чем получивших место (от 0,50)" in ru


# -- why_unfilled ------------------------------------------------------------------------


def test_a_need_offered_as_an_alternative_is_said_to_be() -> None:
    ds = mk.Dataset(
        volunteers=[vol("v1", interests=["animals"])],
        organisations=[org()],
        needs=[need("n1", causes=["animals"]), need("n2")],
    )
    r = mk.match(ds, as_of=DAY, shortlist=1)
    (p,) = r.proposals
    assert (p.need_id, [a.need_id for a in p.alternatives]) == ("n1", ["n2"])
    d = r.why_unfilled("n2")
    assert (d.details["alternative"], d.details["offered_elsewhere"]) == (1, 0)
    assert "- have it as an alternative to another offer: 1 volunteer" in d.text
    ru = r.why_unfilled("n2", lang="ru").text
    assert "- получили её как запасной вариант к другому предложению: 1 волонтёр" in ru


# -- a volunteer placed as often as they asked -------------------------------------------


def test_a_placed_volunteer_is_told_why_another_need_is_not_offered() -> None:
    ledger = mk.Ledger(":memory:")
    first = mk.match(tiny_city(), as_of=DAY, ledger=ledger, at="2026-09-01")
    assert ("v1", "n6") in {(p.volunteer_id, p.need_id) for p in first.proposals}
    ledger.accept("v1", "n6", at="2026-09-01T10:00")
    r = mk.match(tiny_city(), as_of=DAY, ledger=ledger, at="2026-09-01T11:00")
    e = r.explanation("v1", "n1")
    assert e.status == "not_offered" and e.other_options == ()  # (n6 is theirs already)
    assert e.text.splitlines()[0] == (
        '"Walk dogs at the shelter" with Paws Shelter fits your conditions, but you are '
        "already placed as many times as you asked for, so it is not offered to you."
    )
    assert "Your other options" not in e.text
    assert "вы уже участвуете в задачах столько раз, сколько хотели" in r.explain(
        "v1", "n1", lang="ru"
    )
    # The organisation is not told where else they are placed.
    org_text = r.explain("v1", "n1", audience="organisation")
    assert org_text.splitlines()[0] == (
        'Aigul meets the conditions of "Walk dogs at the shelter" but was not offered it '
        "this round."
    )


# -- top_k -------------------------------------------------------------------------------


def test_ranks_count_every_acceptable_pair_when_the_round_kept_the_top_k() -> None:
    # With top_k=1 each volunteer keeps one pair; v1 still fits n1 and n6, and n1 still
    # has three volunteers who meet its conditions (v1, v2, v3).
    full = mk.match(tiny_city(), as_of=DAY)
    pruned = mk.match(tiny_city(), as_of=DAY, top_k=1)
    for v, n in [("v1", "n1"), ("v2", "n1"), ("v1", "n6"), ("v5", "n6")]:
        a, b = full.explanation(v, n), pruned.explanation(v, n)
        assert (b.rank, b.n_options) == (a.rank, a.n_options), (v, n)
        assert [x for x, _ in b.other_options] == [x for x, _ in a.other_options]
        a, b = (r.explanation(v, n, audience="organisation") for r in (full, pruned))
        assert (b.candidate_rank, b.n_candidates) == (a.candidate_rank, a.n_candidates)
    e = pruned.explanation("v1", "n1")
    assert "It is the only need that fits you." not in e.text
    org_text = pruned.explain("v1", "n1", audience="organisation")
    assert (
        "Among the 3 volunteers who meet your conditions, they rank 1st by score."
        in org_text
    )


def test_the_rounds_reason_does_not_say_others_fit_better_when_nobody_took_the_need() -> (
    None
):
    weights = mk.Weights(interest=0, distance=0, schedule=0, preferred=1, skills=0,
                         coverage=0, language=1, volunteer_side=0)  # fmt: skip
    ds = mk.Dataset(volunteers=[vol("v1")], organisations=[org()], needs=[need("n1")])
    reason = mk.match(ds, as_of=DAY, weights=weights).unmatched["v1"]
    assert reason.code == "outcompeted"
    assert "fit them better" not in reason.message
    assert reason.message.startswith(
        "their 1 acceptable need(s) were not offered to them"
    )
    # (nobody holds its one place: it did not go to others, nor was it taken before)
    assert "or a pair adds nothing to the round's total (a score of 0;" in reason.message
    need_reason = mk.match(ds, as_of=DAY, weights=weights).unfilled["n1"]
    assert need_reason.code == "candidates_elsewhere"
    assert "fit better elsewhere" not in need_reason.message  # (v1 has no other need)
    assert "or a pair adds nothing to its total (a score of 0)" in need_reason.message


def test_coverage_of_no_slot_shows_no_empty_brackets() -> None:
    ds = mk.Dataset(
        volunteers=[vol("v1", availability=["mon-morning"])],
        organisations=[org()],
        needs=[need("n1", slots=["sat-morning", "sun-morning"], min_overlap=0)],
    )
    r = mk.match(ds, as_of=DAY)
    assert "Coverage: can come at 0 of 2 weekly times.\n" in r.explain(
        "v1", "n1", audience="organisation"
    )
    assert "Покрытие времени: 0 из 2 смен.\n" in r.explain(
        "v1", "n1", audience="organisation", lang="ru"
    )


def test_a_tie_is_told_as_a_tie() -> None:
    ds = mk.Dataset(
        volunteers=[vol("v1"), vol("v2")], organisations=[org()], needs=[need("n1")]
    )
    r = mk.match(ds, as_of=DAY)
    (loser,) = r.unmatched
    c = r.why_unmatched(loser).competition[0]
    assert c.margin == 0
    en, ru = r.why_unmatched(loser).text, r.why_unmatched(loser, lang="ru").text
    assert "ties with the lowest of those who got it" in en
    assert "so that more places are filled" not in en  # (one place, and it is filled)
    assert "равна самой низкой у получивших место" in ru


@pytest.mark.parametrize(
    ("other_km", "en", "ru"),
    [
        # (1.5e-7 apart: equal for the plan, which gave the place to either)
        (1.00001, "your score 0.66 ties with the lowest of those who got it;",
         "ваша оценка 0,66 равна самой низкой у получивших место;"),
        (1.001, "your score 0.65998; those who got it scored from 0.66000 (0.00002 higher)",
         "ваша оценка 0,65998, у получивших место — от 0,66000 (на 0,00002 выше)"),
    ],
)  # fmt: skip
def test_scores_that_read_the_same_are_told_apart_or_as_a_tie(
    other_km: float, en: str, ru: str
) -> None:
    """Two volunteers 1 km and a few metres more from one place: 'your score 0.66 is above
    the lowest of those who got it (0.66)', and '0.66 ... from 0.66 (0.00 higher)'."""
    ds = mk.Dataset(
        volunteers=[vol("v1", home=north_of_home(-1.0)),
                    vol("v2", home=north_of_home(-other_km))],
        organisations=[org()],
        needs=[need("n1")],
    )  # fmt: skip
    r = mk.match(ds, as_of=DAY)
    (loser,) = r.unmatched
    assert en in r.why_unmatched(loser).text
    assert ru in r.why_unmatched(loser, lang="ru").text


def test_a_need_pruned_by_top_k_is_not_said_to_have_nobody() -> None:
    # top_k=1: v1 keeps n1 and v5 keeps n3, so no pair of n6 is left, yet both fit it.
    r = mk.match(tiny_city(), as_of=DAY, top_k=1)
    assert r.unfilled["n6"].code == "no_acceptable_volunteer"
    assert "no volunteer meets its hard rules;" not in r.unfilled["n6"].message
    d = r.why_unfilled("n6")
    assert (d.code, d.details["acceptable"], d.details["not_scored"]) == (
        "candidates_elsewhere",
        2,
        2,
    )
    assert d.text.startswith('2 volunteers meet the conditions of "Festival tea stall"')
    assert (
        "- were not among the volunteer's best options (top_k): 2 volunteers" in d.text
    )
    ru = r.why_unfilled("n6", lang="ru").text
    assert ru.startswith("Условиям задачи «Festival tea stall» подходят 2 волонтёра")
    assert "top_k" not in ru


def test_the_radius_told_to_an_organisation_gives_no_volunteers_distance() -> None:
    ds = mk.Dataset(
        volunteers=[vol("v1", max_distance_km=10, home=north_of_home(-17.34))],
        organisations=[org()],
        needs=[need("n1")],
    )
    d = mk.match(ds, as_of=DAY).why_unfilled("n1")
    radii = [c.value for c in d.counterfactuals if c.change == "radius"]
    assert radii == [20.0]  # (17.34 km away: rounded up to a multiple of 5 km)
    assert (
        "with a travel radius of at least 20 km, 1 more volunteer qualifies" in d.text
    )
    assert "17,4" not in mk.match(ds, as_of=DAY).why_unfilled("n1", lang="ru").text


def test_a_full_need_the_ledger_closed_is_no_option() -> None:
    """The ledger closed n2 after v2 took its one place. The round leaves it out of
    ``unfilled`` (it has no free place), which was how explanations found ledger-closed
    needs: v1 was told n2 was another option."""
    ds = mk.Dataset(
        volunteers=[vol("v1", interests=["animals"]), vol("v2", interests=["animals"])],
        organisations=[org()],
        needs=[need("n1", causes=["animals"], location={"lat": 55.80, "lon": 49.12}),
               need("n2", causes=["animals"])],
    )  # fmt: skip
    ledger = mk.Ledger(":memory:")
    first = mk.match(ds.replace(volunteers=ds.volunteers[1:]), as_of=DAY, ledger=ledger)
    offer = next(p for p in first.proposals if p.volunteer_id == "v2")
    ledger.accept("v2", offer.need_id, at="2026-09-01T06:00:00+00:00")
    taken = offer.need_id
    mk.close_need(ds, taken, by="o1", reason="enough help", ledger=ledger)
    r = mk.match(ds, as_of=DAY, ledger=ledger, at="2026-09-01T12:00:00+00:00")
    other = "n1" if taken == "n2" else "n2"
    assert taken not in r.unfilled
    e = r.explanation("v1", other)
    assert (e.rank, e.n_options, e.other_options) == (1, 1, ())
    assert r.explanation("v1", taken).status == "held_back"


def test_a_volunteer_whose_only_need_is_held_back_is_not_told_none_is_open() -> None:
    """v1's one fitting need is open but nobody vetted it: the text said "There is no open
    need this round." and then "1 more need that fits you is held back"."""
    ds = mk.Dataset(
        volunteers=[vol("v1", interests=["animals"])],
        organisations=[org()],
        needs=[need("n2", causes=["animals"], vetted_by=None)],
    )
    r = mk.match(ds, as_of=DAY)
    assert r.why_unmatched("v1").text == (
        "1 need that fits you is held back by a policy check and not offered yet."
    )
    assert r.why_unmatched("v1", lang="ru").text == (
        "1 задача, которая вам подходит, ждёт проверки правил и пока не предлагается."
    )
    # with another open need that does not fit, both lines stay
    ds = ds.replace(needs=[*ds.needs, mk.Need.model_validate(
        need("n3", causes=["animals"], min_age=18))])
    text = mk.match(ds, as_of=DAY).why_unmatched("v1").text
    assert "The only open need this round does not fit" in text
    assert "1 more need that fits you is held back" in text


def test_the_only_volunteer_s_reasons_are_headed_in_the_singular() -> None:
    ds = mk.Dataset(
        volunteers=[{"id": "v1", "home": HOME}],
        organisations=[org()],
        needs=[need("n2", causes=["animals"], min_age=18)],
    )
    r = mk.match(ds, as_of=DAY)
    assert "\nWhy not:\n" in r.why_unfilled("n2").text
    ru = r.why_unfilled("n2", lang="ru").text
    assert "\nПочему не подходит:\n" in ru and "Почему они" not in ru

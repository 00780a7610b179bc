"""The fast path of the hard rules: keep the acceptable pairs among candidates.

:func:`filter_pairs` keeps exactly the pairs for which
:func:`matchkit._rules.pair_rule_failures` finds no failure, without saying which rule
failed. It runs the cheap, selective rules first and compacts the pairs as it goes,
skips the rules that no need of the dataset can fail, and tests some rules together:

* the three tag rules (skills, languages, checks) fail a pair when the need requires
  a tag the volunteer lacks. Where the vocabularies of the rules being tested hold 64
  tags or fewer in all, every volunteer's and every need's tags are packed into one
  word, and one test covers them all;
* the two age rules become one comparison: each volunteer gets one number, the age
  where it is 0 or more and -1 otherwise (birth date unknown, or after ``as_of``: no
  age yet); the pair fails where that number is below the need's minimum age (-1 for
  none).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date
from functools import partial

import numpy as np
from numpy.typing import NDArray

from ._encode import Encoded
from ._rules import (
    _PAIR_RULES,
    Rule,
    _Ctx,
    _distance_fail,
    day_cached,
    pair_distances_km,
)

__all__ = ["filter_pairs"]

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]
B = NDArray[np.bool_]

#: Rule groups, in the order they run. The schedule alone fails about half the
#: candidates of a city, so it runs alone on all of them.
GROUPS: tuple[tuple[str, ...], ...] = (
    ("schedule",),
    ("age_unknown", "age", "skills", "languages", "checks"),
    (
        "excluded_cause",
        "excluded_organisation",
        "not_open",
        "ended",
        "remote_not_ok",
        "no_place",
    ),
)
#: Tag rule -> (vocabulary, volunteer bitsets, need bitsets) in :class:`Encoded`.
TAG_RULES: dict[str, tuple[str, str, str]] = {
    "skills": ("skills", "v_skills", "n_required_skills"),
    "languages": ("languages", "v_languages", "n_languages"),
    "checks": ("checks", "v_checks", "n_required_checks"),
}


def filter_pairs(
    enc: Encoded,
    v: I64,
    n: I64,
    as_of: date,
    *,
    skip: Collection[str] = (),
) -> tuple[I64, I64, F64]:
    """Keep the acceptable pairs ``(v[i], n[i])``.

    Rules whose code is in ``skip`` are not evaluated: the caller guarantees them (the
    blocking step does for ``not_open``, ``ended``, ``remote_not_ok`` and ``no_place``).

    Returns
    -------
    v, n : int64 arrays
        The acceptable pairs, in their input order.
    distance_km : float64 array
        Their great-circle distance; NaN where a place is unknown and for remote needs
        (whose distance is never checked nor scored).

    Examples
    --------
    >>> import datetime, numpy as np, matchkit as mk
    >>> from matchkit._encode import encode
    >>> ds = mk.Dataset(
    ...     volunteers=[{"id": "v1", "skills": ["first-aid"], "remote_ok": True},
    ...                 {"id": "v2", "remote_ok": True}],
    ...     organisations=[{"id": "o1", "name": "Park", "kind": "cso", "registered": True}],
    ...     needs=[{"id": "n1", "organisation_id": "o1", "title": "Aid", "capacity": 2,
    ...             "status": "open", "remote": True, "required_skills": ["first-aid"]}],
    ... )
    >>> v, n, _ = filter_pairs(encode(ds), np.array([0, 1]), np.array([0, 0]),
    ...                        datetime.date(2026, 5, 1))
    >>> v.tolist(), n.tolist()
    ([0], [0])
    """
    ctx = _Ctx(enc, as_of)
    able = enc._cache.get("rules_that_can_fail")
    if able is None:  # (once per encoded dataset: a build filters chunk by chunk)
        able = enc._cache["rules_that_can_fail"] = [c for c in _PAIR_RULES if _can_fail(enc, c)]
    active = [code for code in able if code not in skip]
    # Cheap, selective rules first; each pass compacts the pairs.
    for group in GROUPS:
        codes = [c for c in group if c in active]
        if not codes or v.size == 0:
            continue
        tests = _tests(enc, codes)
        bad = tests[0](ctx, v, n)
        for test in tests[1:]:
            bad |= test(ctx, v, n)
        if bad.any():
            keep = np.flatnonzero(~bad)
            v, n = v[keep], n[keep]
    d = _in_person_distances_km(enc, v, n)
    if "distance" not in skip:
        bad = _distance_fail(ctx, v, n, d)
        if bad.any():
            keep = np.flatnonzero(~bad)
            v, n, d = v[keep], n[keep], d[keep]
    return v, n, d


def _in_person_distances_km(enc: Encoded, v: I64, n: I64) -> F64:
    """:func:`pair_distances_km` of the pairs with an in-person need, NaN for the rest
    (a chunk of remote candidates computes none)."""
    remote = enc.n_remote[n]
    if not remote.any():
        return pair_distances_km(enc, v, n)
    d = np.full(v.size, np.nan)
    in_person = np.flatnonzero(~remote)
    if in_person.size:
        d[in_person] = pair_distances_km(enc, v[in_person], n[in_person])
    return d


def _tests(enc: Encoded, codes: Sequence[str]) -> list[Rule]:
    """The tests that cover the rules ``codes``: the rules themselves, or one test for
    several where they can be tested together."""
    tags = tuple(c for c in codes if c in TAG_RULES)
    packed = len(tags) > 1 and sum(len(enc.vocab[TAG_RULES[c][0]]) for c in tags) <= 64
    both_ages = "age" in codes and "age_unknown" in codes
    tests: list[Rule] = []
    for code in codes:
        if both_ages and code in ("age", "age_unknown"):
            if code == "age":
                tests.append(_too_young)
        elif packed and code in TAG_RULES:
            if code == tags[0]:
                tests.append(partial(_lacks_a_tag, rules=tags))
        else:
            tests.append(_PAIR_RULES[code])
    return tests


def _lacks_a_tag(c: _Ctx, v: I64, n: I64, *, rules: tuple[str, ...]) -> B:
    """The tag rules ``rules`` together (their vocabularies fit one word)."""
    lacks, required = _packed_tags(c.enc, rules)
    return (required[n] & lacks[v]) != 0  # type: ignore[no-any-return]


def _packed_tags(
    enc: Encoded, rules: tuple[str, ...]
) -> tuple[NDArray[np.uint64], NDArray[np.uint64]]:
    """Per volunteer the tags it lacks, per need the tags it requires, of the vocabularies
    of ``rules`` side by side in one word (computed once per encoded dataset)."""
    name = "packed_tags:" + ",".join(rules)
    hit = enc._cache.get(name)
    if hit is not None:
        return hit  # type: ignore[no-any-return]
    has = np.zeros(enc.n_volunteers, dtype=np.uint64)
    required = np.zeros(enc.n_needs, dtype=np.uint64)
    shift = 0
    for code in rules:
        vocab, v_bits, n_bits = TAG_RULES[code]
        if not enc.vocab[vocab]:
            continue  # (nothing to require)
        has |= getattr(enc, v_bits)[:, 0] << np.uint64(shift)
        required |= getattr(enc, n_bits)[:, 0] << np.uint64(shift)
        shift += len(enc.vocab[vocab])
    out = (~has, required)
    enc._cache[name] = out
    return out


def _too_young(c: _Ctx, v: I64, n: I64) -> B:
    """The rules ``age_unknown`` and ``age`` together."""
    key = day_cached(c.enc, "age_key", c.as_of_ordinal, lambda: _age_key(c))
    return key[v] < c.enc.n_min_age[n]  # type: ignore[no-any-return]


def _age_key(c: _Ctx) -> I64:
    """Per volunteer: the age where it is 0 or more, -1 where the birth date is unknown
    or after ``as_of``."""
    return np.maximum(c.ages, -1)


def _can_fail(enc: Encoded, code: str) -> bool:
    """False when no need in the dataset can fail this rule (the rule is then skipped)."""
    if code == "excluded_organisation":
        return enc.v_excluded_org_keys.size > 0
    if code == "excluded_cause":
        return bool(enc.v_excluded_causes.any() and enc.n_causes.any())
    if code == "skills":
        return bool(enc.n_required_skills.any())
    if code == "languages":
        return bool(enc.n_languages.any())
    if code == "checks":
        return bool(enc.n_required_checks.any())
    if code in ("age", "age_unknown"):
        return bool((enc.n_min_age >= 0).any())
    if code == "schedule":
        return bool((enc.n_required_overlap > 0).any())
    return True

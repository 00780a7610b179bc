"""Policy checks run before matching: is the help legal, safe and really vetted?

:func:`check_policies` returns a list of :class:`PolicyFinding`, each naming the record it
concerns, how serious it is, and what to do. Every rule is on by default; a
:class:`PolicyRules` turns rules off, changes their severity or their thresholds. A need with
an ``error`` finding should not be matched (:func:`policy_blocks` gives those needs and why).

Rules on needs that are not closed and not over (``end_date`` before ``as_of``), including
ideas, so problems surface while the need is still being discussed:

``money-without-account-route`` (error)
    ``handles_money`` is set but ``account_route`` (how money reaches the organisation's own
    account) is not. Money must never go to a volunteer's personal account.
``money-route-looks-personal`` (warning)
    ``account_route`` holds a card number (16-19 digits, also when its security code or
    expiry date follows it) or words such as "personal", "private", "volunteer"
    (``PolicyRules.personal_route_markers``).
``asks-donation`` (warning)
    ``asks_donation``: volunteers give their time; asking them to donate is flagged.
``minors-without-background-check`` (error)
    ``involves_minors`` (the volunteers work with people under 18) without the background
    check (``PolicyRules.background_check``) among ``required_checks``.
``background-check-below-age`` (warning)
    The need requires the background check but is open to volunteers younger than
    ``PolicyRules.background_check_min_age`` (18 by default; set it to the age from which
    your jurisdiction issues the check) or to any age (no ``min_age``).
``night-work-open-to-minors`` (error)
    ``night_work`` (between 22:00 and 06:00) while ``min_age`` is unset or below
    ``PolicyRules.adult_age`` (18).
``min-age-below-floor`` (warning)
    ``min_age`` is set below ``PolicyRules.min_volunteer_age`` (14): younger children take
    part only with a parent or guardian; confirm that the need arranges this.

Rules on vetting (needs ``vetted`` or ``open``; ideas get ``no-possible-vetter``):

``not-vetted`` (error)
    No ``vetted_by``: a need is matched only after an organisation with the expertise checked
    it. Vet it with :func:`matchkit.vet_need`.
``vetter-lacks-expertise`` (error)
    ``vetted_by`` names an organisation that may not vet it (:func:`matchkit.can_vet`).
``unregistered-not-vetted-by-registered`` (error)
    The need's organisation is not registered and its vetter is not registered either.
``no-possible-vetter`` (warning)
    An idea that no organisation of the dataset may vet.

Rules on in-kind records: ``offer-not-from-giver`` (warning, an offer from an organisation
that is neither a public body nor a business), ``request-not-from-cso`` (warning, a request
from a public body or a business), ``offer-windows-over`` (info, every window ended before
``as_of``), ``request-past`` (info, ``needed_by`` before ``as_of``),
``request-need-closed`` (error, the need named by ``need_id`` is closed or over) and
``request-need-not-vetted`` (error, that need is not vetted by an organisation that may
vet it: an idea, no ``vetted_by``, or a vetter without the expertise) and
``request-after-need-ends`` (warning, ``needed_by`` after that need's ``end_date``).
:func:`matchkit.match_inkind` given the needs does not match such requests.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from numbers import Integral
from typing import Any

from ._build import resolve_as_of
from ._dataset import Dataset
from ._exceptions import InvalidInputError
from ._inkind_models import InkindRequest
from ._models import Need, NeedStatus, Organisation, OrganisationKind
from ._vetting import VetterIndex, vetting_problem, why_not_vetter

__all__ = [
    "POLICIES",
    "PolicyFinding",
    "PolicyRules",
    "check_policies",
    "policy_blocks",
]

SEVERITIES = ("error", "warning", "info")

#: Every rule: code -> (default severity, record kind, one-line summary).
POLICIES: Mapping[str, tuple[str, str, str]] = {
    "money-without-account-route": (
        "error",
        "need",
        "money needs the organisation's account route",
    ),
    "money-route-looks-personal": (
        "warning",
        "need",
        "the account route looks personal",
    ),
    "asks-donation": ("warning", "need", "the need asks volunteers to donate"),
    "minors-without-background-check": (
        "error",
        "need",
        "work with minors without a background check",
    ),
    "background-check-below-age": (
        "warning",
        "need",
        "background check required below the age it is issued",
    ),
    "night-work-open-to-minors": ("error", "need", "night work open to minors"),
    "min-age-below-floor": (
        "warning",
        "need",
        "min_age below the youngest volunteering age",
    ),
    "not-vetted": ("error", "need", "a vetted or open need without vetted_by"),
    "vetter-lacks-expertise": (
        "error",
        "need",
        "vetted by an organisation that may not vet it",
    ),
    "unregistered-not-vetted-by-registered": (
        "error",
        "need",
        "unregistered organisation's need not vetted by a registered one",
    ),
    "no-possible-vetter": (
        "warning",
        "need",
        "no organisation of the dataset may vet this idea",
    ),
    "offer-not-from-giver": (
        "warning",
        "offer",
        "offer not from a public body or business",
    ),
    "request-not-from-cso": (
        "warning",
        "request",
        "request from a public body or business",
    ),
    "offer-windows-over": ("info", "offer", "every window of the offer is over"),
    "request-past": ("info", "request", "the request's needed_by date has passed"),
    "request-need-closed": (
        "error",
        "request",
        "the need the request supports is closed or over",
    ),
    "request-need-not-vetted": (
        "error",
        "request",
        "the need the request supports is not vetted by one that may",
    ),
    "request-after-need-ends": (
        "warning",
        "request",
        "the request is needed after its need ends",
    ),
}

# A number as people write it: digit groups joined by single spaces or dashes.
_NUMBER = re.compile(r"\d+(?:[ -]\d+)*")
# The year of a card's expiry date, right after its month: "/26" or "/2026".
_EXPIRY_YEAR = re.compile(r" ?/ ?(?:\d{2}|\d{4})(?!\d)")


def _holds_card(text: str) -> bool:
    """Whether ``text`` holds a payment card number.

    A card number is 16-19 digits, maybe grouped by single spaces or dashes, that are not
    part of a longer number: an organisation's 20-digit bank account written in groups of
    four is no card. A card's expiry month (the ``12`` of ``12/26``) and a three-digit
    security code written right after the number are not part of it.

    Examples
    --------
    >>> _holds_card("4111 1111 1111 1111 123 12/26"), _holds_card("4070 3810 1234 5678 9012")
    (True, False)
    """
    for number in _NUMBER.finditer(text):
        groups = re.split(r"[ -]", number.group())
        forms = [groups]
        month = groups[-1]
        if (
            len(groups) > 1
            and len(month) <= 2
            and 1 <= int(month) <= 12
            and _EXPIRY_YEAR.match(text, number.end())
        ):
            forms.append(groups[:-1])
        forms += [g[:-1] for g in list(forms) if len(g) > 1 and len(g[-1]) == 3]
        if any(16 <= sum(map(len, g)) <= 19 for g in forms):
            return True
    return False


@dataclass(frozen=True)
class PolicyFinding:
    """One finding of :func:`check_policies`.

    Attributes
    ----------
    code : str
        The rule (a key of :data:`POLICIES`).
    severity : {"error", "warning", "info"}
    kind : {"need", "offer", "request"}
        The kind of record concerned.
    record_id : str
        Its id.
    message : str
        What is wrong and what to do.

    Examples
    --------
    >>> import matchkit as mk
    >>> from matchkit.datasets import tiny_city
    >>> city = tiny_city()
    >>> night = city.replace(needs=[n.model_copy(update={"night_work": True}) if n.id == "n1"
    ...                             else n for n in city.needs])
    >>> f = mk.check_policies(night, as_of="2026-09-01")[0]
    >>> f.code, f.severity, f.kind, f.record_id
    ('night-work-open-to-minors', 'error', 'need', 'n1')
    """

    code: str
    severity: str
    kind: str
    record_id: str
    message: str

    def __str__(self) -> str:
        return f"{self.severity}: {self.kind} {self.record_id!r}: {self.message} [{self.code}]"


@dataclass(frozen=True)
class PolicyRules:
    """Which rules run, how serious each is, and their thresholds.

    Parameters
    ----------
    disabled : frozenset of str
        Codes of rules to skip (a single string is one code).
    severity : mapping of str to str
        Severity overrides, such as ``{"not-vetted": "warning"}``.
    adult_age, min_volunteer_age, background_check_min_age : int
        18, 14 and 18 by default (see the module notes).
    background_check : str
        The name of the check in ``required_checks`` (``"background"``).
    personal_route_markers : tuple of str
        Words (matched without case) that make an account route look personal (a single
        string is one word; blank words are refused).

    Raises
    ------
    InvalidInputError
        An unknown code or severity, an age that is not a whole number of years 0..120, a
        blank ``background_check`` or a blank marker.

    Examples
    --------
    >>> import matchkit as mk
    >>> rules = mk.PolicyRules(disabled={"asks-donation"}, severity={"not-vetted": "warning"})
    >>> rules.severity_of("not-vetted"), rules.enabled("asks-donation")
    ('warning', False)
    """

    disabled: frozenset[str] = frozenset()
    severity: Mapping[str, str] = field(default_factory=dict)
    adult_age: int = 18
    min_volunteer_age: int = 14
    background_check: str = "background"
    background_check_min_age: int = 18
    personal_route_markers: tuple[str, ...] = (
        "personal",
        "private",
        "volunteer",
        "my card",
        "личн",
        "частн",
        "волонт",
    )

    def __post_init__(self) -> None:
        # (a lone string is one code or one marker, not its letters)
        disabled = (self.disabled,) if isinstance(self.disabled, str) else self.disabled
        object.__setattr__(self, "disabled", frozenset(disabled))
        object.__setattr__(self, "severity", dict(self.severity))
        markers = self.personal_route_markers
        markers = (markers,) if isinstance(markers, str) else tuple(markers)
        if not all(isinstance(m, str) and m.strip() for m in markers):
            raise InvalidInputError(
                f"personal_route_markers must be non-empty words, such as ('personal',); got "
                f"{self.personal_route_markers!r} (a blank marker would match every route)"
            )
        object.__setattr__(self, "personal_route_markers", markers)
        for name in ("adult_age", "min_volunteer_age", "background_check_min_age"):
            age = getattr(self, name)
            if isinstance(age, bool) or not isinstance(age, Integral) or not 0 <= int(age) <= 120:
                raise InvalidInputError(
                    f"{name} must be a whole number of years, 0..120; got {age!r}"
                )
            object.__setattr__(self, name, int(age))
        if not isinstance(self.background_check, str) or not self.background_check.strip():
            raise InvalidInputError(
                "background_check must name the check as needs list it in required_checks "
                f"(such as 'background'); got {self.background_check!r}"
            )
        unknown = sorted((set(self.disabled) | set(self.severity)) - set(POLICIES))
        if unknown:
            raise InvalidInputError(
                f"unknown policy code(s) {', '.join(repr(c) for c in unknown)}; the codes are: "
                f"{', '.join(POLICIES)}"
            )
        for code, sev in self.severity.items():
            if sev not in SEVERITIES:
                raise InvalidInputError(
                    f"severity of {code!r} must be one of {', '.join(map(repr, SEVERITIES))}; "
                    f"got {sev!r}"
                )

    def enabled(self, code: str) -> bool:
        """Whether the rule ``code`` runs.

        Parameters
        ----------
        code : str
            A key of :data:`POLICIES`.

        Returns
        -------
        bool

        Examples
        --------
        >>> import matchkit as mk
        >>> rules = mk.PolicyRules(disabled={"asks-donation"})
        >>> rules.enabled("asks-donation"), rules.enabled("not-vetted")
        (False, True)
        """
        return code not in self.disabled

    def severity_of(self, code: str) -> str:
        """The severity a finding of rule ``code`` gets.

        Parameters
        ----------
        code : str
            A key of :data:`POLICIES`.

        Returns
        -------
        {"error", "warning", "info"}
            The override if there is one, else the rule's default.

        Examples
        --------
        >>> import matchkit as mk
        >>> rules = mk.PolicyRules(severity={"not-vetted": "warning"})
        >>> rules.severity_of("not-vetted"), rules.severity_of("night-work-open-to-minors")
        ('warning', 'error')
        """
        return self.severity.get(code, POLICIES[code][0])


def _rules(rules: PolicyRules | Mapping[str, Any] | None) -> PolicyRules:
    if rules is None:
        return PolicyRules()
    if isinstance(rules, PolicyRules):
        return rules
    if isinstance(rules, Mapping):
        try:
            return PolicyRules(**rules)
        except TypeError as err:
            raise InvalidInputError(f"rules: {err}; see matchkit.PolicyRules") from None
    raise InvalidInputError(
        f"rules must be a PolicyRules or a mapping; got {type(rules).__name__}"
    )


def _need_content(need: Need, r: PolicyRules) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    route = (need.account_route or "").strip()
    if need.handles_money and not route:
        out.append(
            (
                "money-without-account-route",
                (
                    "handles money but states no account_route; money must go to the "
                    "organisation's own account, never to a volunteer's: set account_route to "
                    "how it reaches the organisation (its bank account or payment page)"
                ),
            )
        )
    if route:
        low = route.casefold()
        marker = next(
            (m for m in r.personal_route_markers if m.casefold() in low), None
        )
        if _holds_card(route) or marker:
            what = f"the word {marker!r}" if marker else "a card number"
            out.append(
                (
                    "money-route-looks-personal",
                    (
                        f"account_route {route!r} holds {what}; it looks like a personal "
                        "account. Use the organisation's own account or payment page"
                    ),
                )
            )
    if need.asks_donation:
        out.append(
            (
                "asks-donation",
                (
                    "asks volunteers to donate; volunteers give their time. Remove the request "
                    "for donations or publish it as a fundraising campaign of the organisation"
                ),
            )
        )
    check = r.background_check
    floor = need.min_age
    if need.involves_minors and check not in need.required_checks:
        out.append(
            (
                "minors-without-background-check",
                (
                    f"works with minors but does not require the {check!r} check; add "
                    f"{check!r} to required_checks"
                ),
            )
        )
    if check in need.required_checks and (
        floor is None or floor < r.background_check_min_age
    ):
        age = "any age (no min_age)" if floor is None else f"age {floor}"
        out.append(
            (
                "background-check-below-age",
                (
                    f"requires the {check!r} check, issued from age {r.background_check_min_age}, "
                    f"but is open to volunteers of {age}; set min_age to "
                    f"{r.background_check_min_age} or say how younger volunteers are checked"
                ),
            )
        )
    if need.night_work and (floor is None or floor < r.adult_age):
        age = "any age (no min_age)" if floor is None else f"age {floor}"
        out.append(
            (
                "night-work-open-to-minors",
                (
                    f"has night work (22:00-06:00) but is open to volunteers of {age}; minors do "
                    f"not work at night: set min_age to {r.adult_age}"
                ),
            )
        )
    if floor is not None and floor < r.min_volunteer_age:
        out.append(
            (
                "min-age-below-floor",
                (
                    f"min_age {floor} is below {r.min_volunteer_age}; children that young take "
                    "part only with a parent or guardian: confirm this or raise min_age"
                ),
            )
        )
    return out


def _need_vetting(ds: Dataset, need: Need, vetters: VetterIndex) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    owner = ds.organisation(need.organisation_id)
    if need.status is NeedStatus.IDEA:
        if not vetters(need):
            out.append(
                (
                    "no-possible-vetter",
                    (
                        "no organisation of this dataset may vet this idea; add a volunteer "
                        "centre or an organisation whose vets_causes cover "
                        f"{', '.join(repr(c) for c in need.causes) or 'its causes'}"
                    ),
                )
            )
        return out
    if need.vetted_by is None:
        who = vetters(need)
        hint = f" ({', '.join(repr(o) for o in who[:5])} may)" if who else ""
        out.append(
            (
                "not-vetted",
                (
                    f"is {need.status.value!r} but nobody vetted it (no vetted_by); have an "
                    f"organisation with the expertise vet it{hint} with vet_need, or set vetted_by"
                ),
            )
        )
        return out
    vetter = ds.organisation(need.vetted_by)
    why = why_not_vetter(vetter, need)
    if why is not None:
        out.append(("vetter-lacks-expertise", f"vetted by {vetter.id!r}, but {why}"))
    if not owner.registered and not vetter.registered:
        out.append(
            (
                "unregistered-not-vetted-by-registered",
                (
                    f"its organisation {owner.id!r} is not registered and neither is its vetter "
                    f"{vetter.id!r}; have a registered organisation vet it"
                ),
            )
        )
    return out


def check_policies(
    dataset: Dataset,
    *,
    as_of: date | str | None = None,
    rules: PolicyRules | Mapping[str, Any] | None = None,
) -> list[PolicyFinding]:
    """Check a dataset against the policies; every rule is on by default.

    Parameters
    ----------
    dataset : Dataset
    as_of : date or YYYY-MM-DD string, optional
        The day of the check (default: today). Needs that are over are skipped.
    rules : PolicyRules or mapping, optional
        Rules to skip, severities and thresholds (see :class:`PolicyRules`).

    Returns
    -------
    list of PolicyFinding
        Needs first, then offers, then requests, each in dataset order.

    Examples
    --------
    >>> import matchkit as mk
    >>> ds = mk.Dataset(
    ...     organisations=[{"id": "o1", "name": "Shelter", "kind": "cso", "registered": True,
    ...                     "vets_causes": ["animals"]}],
    ...     needs=[{"id": "n1", "organisation_id": "o1", "title": "Collect money for food",
    ...             "causes": ["animals"], "remote": True, "capacity": 2, "status": "open",
    ...             "vetted_by": "o1", "handles_money": True}])
    >>> [(f.code, f.severity, f.record_id) for f in mk.check_policies(ds, as_of="2027-01-01")]
    [('money-without-account-route', 'error', 'n1')]
    """
    if not isinstance(dataset, Dataset):
        raise InvalidInputError(
            f"check_policies needs a matchkit.Dataset; got {type(dataset).__name__}"
        )
    r = _rules(rules)
    day = resolve_as_of(as_of, "check_policies")
    found: list[PolicyFinding] = []
    vetters = VetterIndex(dataset)

    def add(kind: str, rid: str, items: list[tuple[str, str]]) -> None:
        for code, msg in items:
            if r.enabled(code):
                found.append(PolicyFinding(code, r.severity_of(code), kind, rid, msg))

    for need in dataset.needs:
        if need.status is NeedStatus.CLOSED or (
            need.end_date is not None and need.end_date < day
        ):
            continue
        add(
            "need",
            need.id,
            _need_content(need, r) + _need_vetting(dataset, need, vetters),
        )
    givers = {OrganisationKind.PUBLIC_BODY, OrganisationKind.BUSINESS}
    for offer in dataset.offers:
        kind = dataset.organisation(offer.organisation_id).kind
        items = []
        if kind not in givers:
            items.append(
                (
                    "offer-not-from-giver",
                    (
                        f"comes from {offer.organisation_id!r}, a {kind.value}; in-kind offers "
                        "are expected from public bodies and businesses: check the "
                        "organisation's kind"
                    ),
                )
            )
        if offer.windows and max(w.end for w in offer.windows) < day:
            items.append(
                (
                    "offer-windows-over",
                    (
                        f"every window ended before {day.isoformat()}; ask the giver for its "
                        "next planning cycle and add it to windows"
                    ),
                )
            )
        add("offer", offer.id, items)
    orgs = {o.id: o for o in dataset.organisations} if dataset.requests else {}
    for req in dataset.requests:
        kind = dataset.organisation(req.organisation_id).kind
        items = []
        if kind in givers:
            items.append(
                (
                    "request-not-from-cso",
                    (
                        f"comes from {req.organisation_id!r}, a {kind.value}; requests are "
                        "expected from CSOs and volunteer centres: check the organisation's kind"
                    ),
                )
            )
        if req.needed_by >= day:  # (a past request is history: request-past says so)
            items += _request_need(dataset, req, day, orgs)
        if req.needed_by < day:
            items.append(
                (
                    "request-past",
                    (
                        f"needed_by {req.needed_by.isoformat()} is before {day.isoformat()}; "
                        "close it or move the date"
                    ),
                )
            )
        add("request", req.id, items)
    return found


def _request_need(
    ds: Dataset, req: InkindRequest, day: date, orgs: Mapping[str, Organisation]
) -> list[tuple[str, str]]:
    """The request's need is closed, over or not vetted (no giver should be asked for it),
    or ends before the request is needed."""
    need_id, needed_by = req.need_id, req.needed_by
    if need_id is None:
        return []
    need = ds.need(need_id)
    if need.status is NeedStatus.CLOSED or (need.end_date is not None and need.end_date < day):
        state = (
            "is closed"
            if need.status is NeedStatus.CLOSED
            else f"ended on {need.end_date.isoformat()}"  # type: ignore[union-attr]
        )
        return [
            (
                "request-need-closed",
                (
                    f"supports need {need_id!r}, which {state}; withdraw the request, or "
                    "correct need_id if it is for another need"
                ),
            )
        ]
    out: list[tuple[str, str]] = []
    if need.end_date is not None and needed_by > need.end_date:
        out.append(
            (
                "request-after-need-ends",
                (
                    f"needed_by {needed_by.isoformat()} is after need {need_id!r} ends "
                    f"({need.end_date.isoformat()}): the help would come when the need is "
                    f"over; move needed_by to {need.end_date.isoformat()} or earlier, or "
                    "correct need_id"
                ),
            )
        )
    why = vetting_problem(need, orgs)
    if why is not None:
        return out + [
            (
                "request-need-not-vetted",
                (
                    f"supports need {need_id!r}, which is not vetted by an organisation that "
                    f"may vet it ({why}); givers are asked only for vetted needs: have an "
                    "organisation with the expertise vet it (vet_need) before sending the "
                    "request"
                ),
            )
        ]
    return out


def policy_blocks(
    dataset: Dataset,
    *,
    as_of: date | str | None = None,
    rules: PolicyRules | Mapping[str, Any] | None = None,
) -> dict[str, str]:
    """Needs that an ``error`` finding keeps from matching: need id -> why (all its errors).

    This is what ``match()`` reports in ``unfilled`` for such needs.

    Examples
    --------
    >>> import matchkit as mk
    >>> ds = mk.Dataset(
    ...     organisations=[{"id": "o1", "name": "Club", "kind": "cso", "registered": True}],
    ...     needs=[{"id": "n1", "organisation_id": "o1", "title": "Night patrol", "remote": True,
    ...             "capacity": 2, "status": "open", "vetted_by": "o1", "night_work": True}])
    >>> sorted(mk.policy_blocks(ds, as_of="2027-01-01"))
    ['n1']
    """
    out: dict[str, list[str]] = {}
    for f in check_policies(dataset, as_of=as_of, rules=rules):
        if f.severity == "error" and f.kind == "need":
            out.setdefault(f.record_id, []).append(f"policy {f.code}: {f.message}")
    return {k: "; ".join(v) for k, v in out.items()}


# The package shows public names as ``matchkit.X``; doctest would then skip them here.
__test__ = {_n: globals()[_n] for _n in __all__ if callable(globals()[_n])}

"""Weights: how the score components of a pair combine into its two utilities and its weight.

Each component is a number in [0, 1] computed per acceptable pair (see
``docs/scoring.md``). The volunteer side (``interest``, ``distance``, ``schedule``,
``preferred``) is averaged into ``volunteer_utility``, the need side (``skills``,
``coverage``, ``language``) into ``need_utility``, each as a weighted mean, so both stay
in [0, 1]. The solver's ``weight`` mixes the two::

    weight = volunteer_side * volunteer_utility + (1 - volunteer_side) * need_utility
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["NEED_COMPONENTS", "VOLUNTEER_COMPONENTS", "Weights"]

#: Components averaged into ``volunteer_utility`` (how much the volunteer would want it).
VOLUNTEER_COMPONENTS: tuple[str, ...] = (
    "interest",
    "distance",
    "schedule",
    "preferred",
)
#: Components averaged into ``need_utility`` (how well the volunteer fits the need).
NEED_COMPONENTS: tuple[str, ...] = ("skills", "coverage", "language")


class Weights(BaseModel):
    """Relative importance of each score component, and the balance between the two sides.

    Every component weight is a finite number >= 0; within each side at least one must be
    positive (a side whose weights are all zero has no utility). Only ratios within a side
    matter: ``Weights(interest=2, distance=2, schedule=2, preferred=2)`` scores like the
    defaults of the volunteer side with equal weights.

    Parameters
    ----------
    interest : float, default 0.4
        The volunteer's interests against the need's causes.
    distance : float, default 0.3
        How far inside the volunteer's travel radius the need is (remote needs score 1).
    schedule : float, default 0.2
        How well the need's weekly slots match the volunteer's availability.
    preferred : float, default 0.1
        The need's organisation is one of the volunteer's preferred organisations.
    skills : float, default 0.5
        Share of the need's desired skills the volunteer has.
    coverage : float, default 0.35
        Share of the need's slots the volunteer can cover.
    language : float, default 0.15
        Languages the volunteer speaks beyond those the need requires.
    volunteer_side : float in [0, 1], default 0.5
        Share of the volunteer's utility in the weight the optimising solvers maximise.

    Examples
    --------
    >>> import matchkit as mk
    >>> w = mk.Weights(distance=0.6)
    >>> round(w.volunteer_total, 2), w.volunteer_side
    (1.3, 0.5)
    >>> try:
    ...     mk.Weights(interest=-1)
    ... except ValueError as err:
    ...     print(err.errors()[0]["loc"], err.errors()[0]["msg"])
    ('interest',) Input should be greater than or equal to 0
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    interest: float = Field(default=0.4, ge=0.0, description="interests against causes")
    distance: float = Field(
        default=0.3, ge=0.0, description="closeness within the travel radius"
    )
    schedule: float = Field(
        default=0.2, ge=0.0, description="weekly slots against availability"
    )
    preferred: float = Field(default=0.1, ge=0.0, description="preferred organisation")
    skills: float = Field(
        default=0.5, ge=0.0, description="desired skills the volunteer has"
    )
    coverage: float = Field(
        default=0.35, ge=0.0, description="share of the need's slots covered"
    )
    language: float = Field(
        default=0.15, ge=0.0, description="languages beyond those required"
    )
    volunteer_side: float = Field(
        default=0.5,
        ge=0.0,
        le=1.0,
        description="share of volunteer_utility in the weight",
    )

    @model_validator(mode="after")
    def _not_all_zero(self) -> Weights:
        for side, names in (
            ("volunteer", VOLUNTEER_COMPONENTS),
            ("need", NEED_COMPONENTS),
        ):
            if not any(getattr(self, n) > 0 for n in names):
                raise ValueError(
                    f"the {side} side weights ({', '.join(names)}) are all zero; give at "
                    "least one of them a positive weight"
                )
        return self

    @property
    def volunteer_total(self) -> float:
        """Sum of the volunteer-side component weights."""
        return float(sum(getattr(self, n) for n in VOLUNTEER_COMPONENTS))

    @property
    def need_total(self) -> float:
        """Sum of the need-side component weights."""
        return float(sum(getattr(self, n) for n in NEED_COMPONENTS))

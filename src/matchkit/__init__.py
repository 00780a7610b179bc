"""matchkit: match volunteers with the needs of organisations, openly and by consent.

The public API is exactly the names in ``__all__`` (plus the public submodules
``matchkit.solvers``, ``matchkit.datasets`` and ``matchkit.testing``).
"""

from __future__ import annotations

from ._dataset import Dataset
from ._exceptions import (
    CapacityError,
    DataWarning,
    DecisionError,
    InfeasibleError,
    InvalidDatasetError,
    InvalidInputError,
    InvalidProblemError,
    MatchkitError,
    MatchkitWarning,
    Problem,
    UnknownMethodError,
)
from ._inkind import (
    Allocation,
    DateWindow,
    InkindKind,
    InkindOffer,
    InkindRequest,
    InkindResult,
    LateRequest,
    match_inkind,
)
from ._letters import Advice, Letter, ask_earlier, draft_letters
from ._io import dataset_from_frames, dataset_to_frames, load_dataset, save_dataset
from ._ledger import Ledger, Offer
from ._ledger_state import EventKind, LedgerEvent, LedgerState, OpenOffer, RoundInfo
from ._models import (
    SCHEMA_VERSION,
    SLOTS,
    Need,
    NeedStatus,
    Organisation,
    OrganisationKind,
    Place,
    Volunteer,
)
from ._nyc import NycImport, import_nyc_service
from ._policy import POLICIES, PolicyFinding, PolicyRules, check_policies, policy_blocks
from ._build import build_problem
from ._problem import Assignment, MatchProblem
from ._proposals import Alternative, MatchResult, OfferBudget, Proposal, Reason
from ._match import match
from ._simulate import Answer, simulate_answers
from ._schema import json_schema
from ._weights import Weights
from ._whynot import Exclusion, why_not
from ._explain import Contribution, Explanation, RuleCheck, explain, explanation
from ._diagnostics import Competition, Counterfactual, Diagnosis, why_unfilled, why_unmatched
from ._vetting import (
    can_vet,
    close_need,
    open_need,
    propose_idea,
    vet_need,
    vetters_for,
    why_not_vetter,
)
from ._solve import solve
from . import datasets  # public submodule: mk.datasets.synthetic_city(...)

__version__ = "0.1.0"

__all__ = [
    "Answer",
    "simulate_answers",
    "Alternative",
    "MatchResult",
    "OfferBudget",
    "Proposal",
    "Reason",
    "match",
    "Exclusion",
    "Weights",
    "build_problem",
    "why_not",
    "Competition",
    "Contribution",
    "Counterfactual",
    "Diagnosis",
    "Explanation",
    "RuleCheck",
    "explain",
    "explanation",
    "why_unfilled",
    "why_unmatched",
    "SCHEMA_VERSION",
    "SLOTS",
    "Assignment",
    "CapacityError",
    "DataWarning",
    "Dataset",
    "DecisionError",
    "EventKind",
    "InfeasibleError",
    "InvalidDatasetError",
    "InvalidInputError",
    "InvalidProblemError",
    "Ledger",
    "LedgerEvent",
    "LedgerState",
    "MatchProblem",
    "MatchkitError",
    "MatchkitWarning",
    "Need",
    "NeedStatus",
    "NycImport",
    "Offer",
    "OpenOffer",
    "Organisation",
    "OrganisationKind",
    "Place",
    "Problem",
    "RoundInfo",
    "UnknownMethodError",
    "Volunteer",
    "__version__",
    "dataset_from_frames",
    "dataset_to_frames",
    "import_nyc_service",
    "json_schema",
    "solve",
    "load_dataset",
    "save_dataset",
    "POLICIES",
    "Allocation",
    "DateWindow",
    "InkindKind",
    "InkindOffer",
    "InkindRequest",
    "InkindResult",
    "LateRequest",
    "PolicyFinding",
    "PolicyRules",
    "can_vet",
    "check_policies",
    "close_need",
    "match_inkind",
    "open_need",
    "policy_blocks",
    "propose_idea",
    "vet_need",
    "vetters_for",
    "why_not_vetter",
    "Advice",
    "Letter",
    "ask_earlier",
    "draft_letters",
]

# Show public names as matchkit.X rather than matchkit._module.X in reprs and docs.
for _name in __all__:
    _obj = globals()[_name]
    if getattr(_obj, "__module__", "").startswith("matchkit._"):
        try:
            _obj.__module__ = "matchkit"
        except (AttributeError, TypeError):
            pass
del _name, _obj

#: Public submodules loaded on first use (``matchkit.testing`` needs hypothesis).
_LAZY_SUBMODULES = ("solvers", "testing")


def __getattr__(name: str) -> object:
    """``mk.solvers`` and ``mk.testing`` without importing them first."""
    if name in _LAZY_SUBMODULES:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

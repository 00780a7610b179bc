"""Every name in each public ``__all__`` resolves, and private modules stay private."""

from __future__ import annotations

import importlib

import pytest

PUBLIC_MODULES = ["matchkit", "matchkit.solvers", "matchkit.datasets", "matchkit.testing"]


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_all_names_resolve(module_name: str) -> None:
    module = pytest.importorskip(module_name) if module_name != "matchkit" else importlib.import_module(module_name)
    names = getattr(module, "__all__", None)
    assert names, f"{module_name} has no __all__"
    assert len(names) == len(set(names)), "duplicate names in __all__"
    for name in names:
        assert hasattr(module, name), f"{module_name}.__all__ lists {name!r}, which is not defined"


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_star_import(module_name: str) -> None:
    pytest.importorskip(module_name)
    namespace: dict[str, object] = {}
    exec(f"from {module_name} import *", namespace)  # noqa: S102 - the point of the test
    module = importlib.import_module(module_name)
    assert set(module.__all__) <= set(namespace)


def test_public_names_show_the_package() -> None:
    import matchkit as mk

    assert repr(mk.Dataset).startswith("<class 'matchkit.Dataset'")
    assert mk.MatchProblem.__module__ == "matchkit"

"""Every name in each public ``__all__`` resolves, and private modules stay private;
every public function, class and method shows a runnable example."""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys

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


def _undocumented(module_name: str) -> list[str]:
    """Public functions, classes and their public methods whose docstring has no example."""
    module = importlib.import_module(module_name)
    missing = []
    for name in module.__all__:
        obj = getattr(module, name)
        if not (inspect.isfunction(obj) or inspect.isclass(obj)):
            continue  # (constants)
        if ">>>" not in (inspect.getdoc(obj) or ""):
            missing.append(name)
        if inspect.isclass(obj):
            for attr, member in vars(obj).items():
                fn = getattr(member, "__func__", member)  # (class and static methods)
                public = not attr.startswith("_") and inspect.isfunction(fn)
                if public and ">>>" not in (inspect.getdoc(fn) or ""):
                    missing.append(f"{name}.{attr}")
    return missing


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_every_public_function_has_an_example(module_name: str) -> None:
    # (the examples themselves run under pytest --doctest-modules)
    pytest.importorskip(module_name)
    assert _undocumented(module_name) == []


def test_an_undocumented_function_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    from matchkit import datasets

    def bare() -> None:
        """No example here."""

    monkeypatch.setattr(datasets, "bare", bare, raising=False)
    monkeypatch.setattr(datasets, "__all__", [*datasets.__all__, "bare"])
    assert _undocumented("matchkit.datasets") == ["bare"]


def test_public_submodules_are_attributes_of_the_package() -> None:
    """``mk.solvers`` and ``mk.testing`` work right after ``import matchkit as mk``, as the
    docs use them (a fresh interpreter: here the test run has imported them already)."""
    code = (
        "import matchkit as mk, sys\n"
        "assert 'matchkit.testing' not in sys.modules\n"
        "print(mk.solvers.blocking_pairs.__name__, mk.testing.datasets.__name__, "
        "mk.datasets.tiny_city.__name__)\n"
        "try:\n    mk.no_such_name\nexcept AttributeError as e:\n    print(e)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out == [
        "blocking_pairs datasets tiny_city",
        "module 'matchkit' has no attribute 'no_such_name'",
    ]

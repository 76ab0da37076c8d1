"""Each package's ``__all__`` is exactly what it exports publicly (httpx's habit)."""

from __future__ import annotations

import importlib
import types

import pytest


@pytest.mark.parametrize("name", ["nemokit", "mockserver", "conformance"])
def test_all_matches_public_names(name: str) -> None:
    module = importlib.import_module(name)
    public = {
        attr
        for attr, value in vars(module).items()
        if not attr.startswith("_")
        and not (isinstance(value, types.ModuleType) and attr != "contract")
        and attr != "annotations"
    }
    exported = set(module.__all__) - {"__version__"}
    assert public == exported, (
        f"{name}: exported but missing {exported - public}, "
        f"public but not in __all__ {public - exported}"
    )


@pytest.mark.parametrize("name", ["nemokit", "mockserver", "conformance"])
def test_all_names_resolve(name: str) -> None:
    module = importlib.import_module(name)
    for attr in module.__all__:
        assert hasattr(module, attr), f"{name}.{attr} is in __all__ but does not exist"

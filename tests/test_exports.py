"""Each package's ``__all__`` is exactly what it exports publicly (httpx's habit)."""

from __future__ import annotations

import importlib
import types

import pytest


@pytest.mark.parametrize("name", ["nemokit", "mockserver", "conformance"])
def test_all_matches_public_names(name: str) -> None:
    module = importlib.import_module(name)
    # dir(), not vars(): conformance exports lazily (PEP 562) and lists its names in __dir__.
    public = {
        attr
        for attr in dir(module)
        if not attr.startswith("_")
        and not (isinstance(vars(module).get(attr), types.ModuleType) and attr != "contract")
        and attr not in {"annotations", "TYPE_CHECKING", "Any", "importlib"}
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


def test_the_plugin_package_imports_nothing_heavy() -> None:
    # pytest loads conformance.plugin in every run where nemokit is installed.
    import subprocess
    import sys

    code = (
        "import sys, conformance.plugin; "
        "heavy = ('hypothesis', 'respx', 'starlette', 'mockserver'); "
        "heavy = [m for m in heavy if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""

"""The mock's layers import only downward, and of nemokit only the contract and the clock seam.

Read from the source with ``ast`` (no import runs), every import counted, also those inside
functions and under ``TYPE_CHECKING``. The order is the one ``mockserver/__init__.py`` documents:

    http -> state -> agent -> ground (mockserver/_config.py, _media.py, _envelopes.py)
    openapi -> nothing of the mock

``mockserver/__init__.py`` is the facade and may import every layer. Of nemokit the mock may use
``nemokit.contract`` (the contract's data, as DESIGN says) and one seam more, ``nemokit._clock``:
the ``Clock`` protocol and ``VirtualClock``, so that the mock and a client in the same test share
one virtual clock (``MockServer(clock=...)``, ``play_turn(clock=...)``). It never imports
``conformance``.
"""

from __future__ import annotations

import ast
import pathlib
from collections.abc import Iterator

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent / "mockserver"
LAYERS = ("http", "state", "agent", "openapi")
#: What each layer may import of the mock (itself included).
ALLOWED: dict[str, frozenset[str]] = {
    "http": frozenset({"http", "state", "agent", "openapi", "ground"}),
    "state": frozenset({"state", "agent", "ground"}),
    "agent": frozenset({"agent", "ground"}),
    "openapi": frozenset({"openapi"}),
    "ground": frozenset({"ground"}),
}
#: The only nemokit modules the mock may import, and why.
NEMOKIT_SEAMS = {
    "nemokit.contract": "the contract's data: paths, codes, limits, field names",
    "nemokit._clock": "the Clock protocol and VirtualClock, shared with a client under test",
}


def module_name(path: pathlib.Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


#: The modules at the root of the package, below every layer.
GROUND = frozenset(p.stem for p in ROOT.glob("_*.py") if p.name != "__init__.py")


def layer_of(module: str) -> str:
    """The layer of ``module`` (or of a name imported from it): its subpackage, ``ground`` for a
    root module, ``facade`` for ``mockserver`` itself and the names it re-exports."""
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in LAYERS:
        return parts[1]
    return "ground" if len(parts) > 1 and parts[1] in GROUND else "facade"


def imports_of(source: str, module: str, *, is_package: bool) -> Iterator[str]:
    """Every module ``source`` (the text of ``module``) imports, as absolute names."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            # ``from pkg import name`` may name a submodule: count it as pkg.name (for a class
            # or function that is a name inside pkg, so it lands in pkg's layer all the same).
            yield from (f"{base}.{alias.name}" for alias in node.names)


def violations(source: str, module: str, *, is_package: bool = False) -> list[str]:
    """What ``module`` imports that its layer may not."""
    layer = layer_of(module)
    found = []
    for target in imports_of(source, module, is_package=is_package):
        top = target.split(".")[0]
        if top == "mockserver":
            if layer != "facade" and layer_of(target) not in ALLOWED[layer]:
                found.append(f"{module} ({layer}) imports {target} ({layer_of(target)})")
        elif top == "conformance":
            found.append(f"{module} imports {target}: the mock never imports conformance")
        elif top == "nemokit":
            seam = ".".join(target.split(".")[:2])
            if seam not in NEMOKIT_SEAMS:
                found.append(f"{module} imports {target}: of nemokit only {sorted(NEMOKIT_SEAMS)}")
    return found


def sources() -> list[pathlib.Path]:
    return sorted(ROOT.rglob("*.py"))


def test_the_layers_are_the_subpackages_there_are() -> None:
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")}
    assert packages == set(LAYERS)
    assert len(sources()) >= 35  # the scan below reads every module, not an empty list


@pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(ROOT.parent)))
def test_each_module_imports_only_downward(path: pathlib.Path) -> None:
    module = module_name(path)
    source = path.read_text(encoding="utf-8")
    assert violations(source, module, is_package=path.name == "__init__.py") == []


def test_no_module_of_the_mock_imports_another_in_a_circle() -> None:
    graph: dict[str, set[str]] = {}
    for path in sources():
        module = module_name(path)
        source = path.read_text(encoding="utf-8")
        targets = imports_of(source, module, is_package=path.name == "__init__.py")
        known = {module_name(p) for p in sources()}
        # A name imported from a package (``from ..state import MockState``) is an edge to the
        # package's __init__; a module imported by name is an edge to the module.
        graph[module] = {t if t in known else t.rpartition(".")[0] for t in targets} & known
        graph[module].discard(module)
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, f"import circle: {' -> '.join((*path, module))}"
        if module in done:
            return
        for target in sorted(graph[module]):
            visit(target, (*path, module))
        done.add(module)

    for module in sorted(graph):
        visit(module, ())
    assert "mockserver.http._app" in graph["mockserver.http"]  # the graph has edges to walk


@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        ("mockserver.state._state", "from ..http._errors import ok", "imports mockserver.http"),
        ("mockserver.agent._plan", "from ..state import MockState", "imports mockserver.state"),
        ("mockserver.openapi._paths", "from .._config import MockConfig", "mockserver._config"),
        ("mockserver._config", "from .agent import plan_turn", "imports mockserver.agent"),
        ("mockserver.agent._plan", "from .. import MockConfig", "(facade)"),
        ("mockserver.http._app", "from nemokit._core import Core", "of nemokit only"),
        ("mockserver.http._app", "import conformance.plugin", "never imports conformance"),
        ("mockserver.state._state", "if 1:\n    from mockserver.http import Served", "http"),
    ],
)
def test_the_check_catches_an_upward_import(module: str, source: str, expected: str) -> None:
    found = violations(source, module)
    assert len(found) == 1, found
    assert expected in found[0]


def test_the_check_lets_a_downward_import_pass() -> None:
    source = (
        "from ..state import MockState\nfrom nemokit import contract\nfrom .._media import sniff"
    )
    assert violations(source, "mockserver.http._served") == []

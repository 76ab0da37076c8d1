"""The layers of ``conformance`` and the client's independence, read from the source (AST).

``conformance``'s subpackages import only downward: ``suite`` over ``drivers`` (and ``proxy``,
beside it) over ``cassettes`` (``skills``, the skill checker, beside ``suite``: it uses only the
mock); ``plugin``, ``pytest_suite`` and ``__init__`` sit on top (see each subpackage's
``__init__`` docstring). Every import counts, including those inside functions and under
``TYPE_CHECKING``: a lazy upward import is still a cycle for the reader. And the client
(``nemokit`` outside ``nemokit/cli``) never imports ``mockserver`` or ``conformance``.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Lower number, lower layer: a module may import its own layer and the ones below.
LAYERS = {"cassettes": 0, "drivers": 1, "proxy": 1, "suite": 2, "skills": 2}
TOP = 3  # conformance/__init__.py, plugin.py, pytest_suite.py


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(source: str, name: str, is_package: bool) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) of every import in ``source`` (the module ``name``)."""
    package = name if is_package else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            yield node.lineno, target
            # ``from . import x`` / ``from conformance import suite`` name modules too.
            for alias in node.names:
                yield node.lineno, f"{target}.{alias.name}"


def layer_of(module: str) -> int | None:
    """The conformance layer ``module`` belongs to, or None if it is not conformance's."""
    parts = module.split(".")
    if parts[0] != "conformance":
        return None
    if len(parts) > 1 and parts[1] in LAYERS:
        return LAYERS[parts[1]]
    return TOP


def upward_imports(source: str, name: str, is_package: bool) -> list[str]:
    own = layer_of(name)
    assert own is not None
    return [
        f"{name}:{line} imports {target}"
        for line, target in imported_modules(source, name, is_package)
        if (layer := layer_of(target)) is not None and layer > own
    ]


def conformance_modules() -> list[Path]:
    return sorted((ROOT / "conformance").rglob("*.py"))


def test_the_checker_sees_an_upward_import() -> None:
    # A cassettes module reaching up into the suite, relatively and absolutely, lazily.
    source = (
        "def f():\n"
        "    from ..suite._rules import RULES\n"
        "    import conformance.drivers._driver\n"
        "from ._cassette import Cassette\n"
    )
    found = upward_imports(source, "conformance.cassettes._bad", is_package=False)
    assert found == [
        "conformance.cassettes._bad:2 imports conformance.suite._rules",
        "conformance.cassettes._bad:2 imports conformance.suite._rules.RULES",
        "conformance.cassettes._bad:3 imports conformance.drivers._driver",
    ]
    assert upward_imports("from . import _protocol\n", "conformance.drivers", True) == []


def test_every_conformance_module_is_in_a_layer() -> None:
    for path in conformance_modules():
        parts = path.relative_to(ROOT / "conformance").parts
        assert len(parts) == 1 or parts[0] in LAYERS, f"{path} is outside the documented layers"


@pytest.mark.parametrize("subpackage", sorted(LAYERS))
def test_conformance_subpackages_import_only_downward(subpackage: str) -> None:
    paths = sorted((ROOT / "conformance" / subpackage).glob("*.py"))
    assert len(paths) > 1, f"conformance/{subpackage} has no modules"
    problems = []
    for path in paths:
        name = module_name(path)
        problems += upward_imports(path.read_text(), name, path.name == "__init__.py")
    assert problems == []


def test_the_layers_are_used_as_documented() -> None:
    # Guards the test against passing vacuously: the downward edges it allows really exist.
    edges = set()
    for path in conformance_modules():
        name = module_name(path)
        own = layer_of(name)
        for _, target in imported_modules(path.read_text(), name, path.name == "__init__.py"):
            layer = layer_of(target)
            if layer is not None and layer != own:
                edges.add((own, layer))
    assert {(2, 1), (2, 0), (1, 0), (TOP, 2), (TOP, 1), (TOP, 0)} <= edges


def test_the_client_never_imports_the_mock_or_conformance() -> None:
    problems = []
    for path in sorted((ROOT / "nemokit").rglob("*.py")):
        if path.relative_to(ROOT / "nemokit").parts[0] == "cli":
            continue
        name = module_name(path)
        for line, target in imported_modules(path.read_text(), name, path.name == "__init__.py"):
            if target.split(".")[0] in ("mockserver", "conformance"):
                problems.append(f"{name}:{line} imports {target}")
    assert problems == []


def test_the_cli_loads_conformance_and_the_mock_only_when_a_command_runs() -> None:
    code = (
        "import sys, nemokit, nemokit.cli; "
        "print(','.join(m for m in sys.modules if m.split('.')[0] in "
        "('conformance', 'mockserver')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""

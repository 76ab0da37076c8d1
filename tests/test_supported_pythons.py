"""The Pythons the kit claims: pyproject, the README and noxfile.py agree, and nox finds them.

noxfile.py runs the README's two commands under each supported Python; interpreters that pyenv
installed but does not select are linked where nox looks. That linking is checked here on a
fake pyenv tree (small shell scripts stand in for interpreters), so no real Python is needed.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import pathlib
import re
import sys
import types

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _supported_in_noxfile() -> tuple[str, ...]:
    tree = ast.parse((ROOT / "noxfile.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if not isinstance(node, ast.Assign):
            continue
        target = node.targets[0]
        if isinstance(target, ast.Name) and target.id == "SUPPORTED":
            value = ast.literal_eval(node.value)
            assert isinstance(value, tuple)
            return tuple(str(version) for version in value)
    raise AssertionError("noxfile.py has no SUPPORTED")


SUPPORTED = _supported_in_noxfile()


def _minor(version: str) -> int:
    major, minor = version.split(".")
    assert major == "3"
    return int(minor)


def test_the_supported_versions_are_consecutive() -> None:
    minors = [_minor(version) for version in SUPPORTED]
    assert minors == list(range(minors[0], minors[0] + len(minors)))


def test_pyproject_claims_exactly_the_supported_versions() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    classifiers = re.findall(r'"Programming Language :: Python :: (3\.\d+)"', pyproject)
    assert tuple(classifiers) == SUPPORTED
    floor = re.search(r'^requires-python = ">=(3\.\d+)"$', pyproject, re.M)
    assert floor is not None
    assert floor.group(1) == SUPPORTED[0]
    # mypy and ruff judge the code as the oldest supported Python would run it.
    assert f'python_version = "{SUPPORTED[0]}"' in pyproject
    assert f'target-version = "py{SUPPORTED[0].replace(".", "")}"' in pyproject


def test_the_readme_states_the_supported_versions() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"Python {SUPPORTED[0]} to {SUPPORTED[-1]}" in readme


def test_this_python_is_one_of_them() -> None:
    assert f"{sys.version_info[0]}.{sys.version_info[1]}" in SUPPORTED


# --- finding pyenv's interpreters ---------------------------------------------------------------


def _fake_python(path: pathlib.Path, works: bool = True) -> pathlib.Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\nexit {0 if works else 1}\n", encoding="utf-8")
    path.chmod(0o755)
    return path


def _load_noxfile(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    """Import a copy of noxfile.py from ``tmp_path``, so that its links land there."""
    nox = pytest.importorskip("nox", reason="nox is in the dev extra: pip install -e '.[dev]'")
    # Each import registers the session again; give each test an empty registry of its own.
    monkeypatch.setattr(nox.registry, "_REGISTRY", {})
    copy = tmp_path / "noxfile.py"
    copy.write_text((ROOT / "noxfile.py").read_text(encoding="utf-8"), encoding="utf-8")
    spec = importlib.util.spec_from_file_location("noxfile_under_test", copy)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(os.name != "posix", reason="the fake interpreters are shell scripts")
def test_pyenv_interpreters_are_linked_where_nox_looks(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pyenv = tmp_path / "pyenv"
    _fake_python(pyenv / "versions/3.10.2/bin/python3.10")
    newest = _fake_python(pyenv / "versions/3.10.13/bin/python3.10")  # 13 > 2, not as text
    _fake_python(pyenv / "versions/3.12.1/bin/python3.12", works=False)  # a broken install
    on_path = tmp_path / "bin"
    _fake_python(on_path / "python3.11")  # already reachable: left alone
    monkeypatch.setenv("PYENV_ROOT", str(pyenv))
    monkeypatch.setenv("PATH", str(on_path))

    noxfile = _load_noxfile(tmp_path, monkeypatch)

    links = tmp_path / ".nox" / ".interpreters"
    assert sorted(link.name for link in links.iterdir()) == ["python3.10"]
    assert (links / "python3.10").resolve() == newest.resolve()
    assert os.environ["PATH"].split(os.pathsep) == [str(links), str(on_path)]
    assert noxfile.SUPPORTED == SUPPORTED


@pytest.mark.skipif(os.name != "posix", reason="the fake interpreters are shell scripts")
def test_without_pyenv_nothing_is_linked(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "no-pyenv-here"))
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))

    _load_noxfile(tmp_path, monkeypatch)

    assert not (tmp_path / ".nox").exists()
    assert os.environ["PATH"] == str(tmp_path / "bin")

"""The documentation's offline examples run as written (a README that lies is a defect)."""

from __future__ import annotations

import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _offline_examples() -> list[tuple[str, str]]:
    # Examples that build their own in-process mock need nothing else to run; the others show
    # the real API or a user's own client and are exercised elsewhere (docs/conformance.md's
    # adapter runs in tests/conformance/test_conformance_doc.py).
    found = []
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        for number, block in enumerate(re.findall(r"```python\n(.*?)```", text, re.S)):
            if "MockServer(" in block and "StreamingTransport(" in block:
                found.append((f"{path.name}#{number}", block))
    return found


EXAMPLES = _offline_examples()


def test_the_readme_has_an_offline_example() -> None:
    assert any(name.startswith("README.md") for name, _ in EXAMPLES)


@pytest.mark.parametrize(("name", "code"), EXAMPLES, ids=[name for name, _ in EXAMPLES])
def test_offline_example_runs(
    name: str, code: str, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    exec(compile(code, name, "exec"), {"__name__": "__doc_example__"})


def test_the_readme_shows_the_two_setup_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert 'python -m pip install -e ".[dev]"' in readme
    assert "\npytest\n" in readme

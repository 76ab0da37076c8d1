"""docs/skill-check.md stays true: its example report is what the checker says about its example
document, and its rule table names every rule."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conformance.skills import Rule, check_path, render_text

DOC = Path(__file__).parents[2] / "docs" / "skill-check.md"


def _section(name: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    match = re.search(rf"<!-- {name} -->\n(.*?)<!-- end {name} -->", text, re.S)
    assert match, f"docs/skill-check.md has no {name} section"
    return match.group(1)


def test_the_example_report_is_what_the_checker_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = re.fullmatch(r"````markdown\n(.*)````\n", _section("example document"), re.S)
    report = re.fullmatch(r"```text\n(.*)```\n", _section("example report"), re.S)
    assert document
    assert report
    (tmp_path / "SKILL.md").write_text(document.group(1), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert render_text(check_path(Path("SKILL.md"))) + "\n" == report.group(1)


def test_the_rule_table_names_every_rule() -> None:
    text = DOC.read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `([a-z-]+)` \|", text, re.M))
    assert listed == {rule.value for rule in Rule}

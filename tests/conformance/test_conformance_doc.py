"""docs/conformance.md stays true: its rules table is the rules, and its example adapter runs.

Run this file as a script to print the rules table to paste into the doc.
"""

from __future__ import annotations

import re
import sys
import types
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from conformance.suite._rules import RULES
from conformance.suite._suite import run_suite
from nemokit import contract

DOC = Path(__file__).parents[2] / "docs" / "conformance.md"


def rules_table() -> str:
    """The doc's rules table, generated from ``RULES``."""
    rows = ["| id | rule | the contract says |", "|---|---|---|"]
    rows += [f"| {r.id} | {r.title} | {r.contract.replace('|', chr(92) + '|')} |" for r in RULES]
    return "\n".join(rows)


def doc_section(start: str, end: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    match = re.search(re.escape(start) + r"\n(.*?)\n" + re.escape(end), text, re.S)
    assert match, f"docs/conformance.md has no {start!r} … {end!r} section"
    return match.group(1)


def test_the_rules_table_lists_every_rule_with_its_contract_sentence() -> None:
    table = doc_section("<!-- rules table -->", "<!-- end rules table -->")
    listed = re.findall(r"^\| ([A-Z]\d+) \|", table, re.M)
    assert listed == [r.id for r in RULES], "run: python tests/conformance/test_conformance_doc.py"
    assert table == rules_table(), "run: python tests/conformance/test_conformance_doc.py"


# --- the example adapter, with a tiny stand-in for the hypothetical acme_nemo client ----------


class NemoClient:
    """Enough of a client for the adapter to drive: a token, the headers, a credits call for
    every message (so it keeps the header rules and breaks routing, T3)."""

    def __init__(
        self, http: httpx.Client, *, sleep: Any, token: str | None, client_id_file: Path
    ) -> None:
        self.http, self.sleep, self.token, self.id_file = http, sleep, token, client_id_file

    def _headers(self) -> dict[str, str]:
        return {
            contract.HEADER_SKILL_SOURCE: contract.DEFAULT_SKILL_SOURCE,
            contract.HEADER_SKILL_VERSION: "1.0.0",
            contract.HEADER_SKILL_PLATFORM: "unknown",
        }

    def _auth(self) -> dict[str, str]:
        if self.token is None:
            if not self.id_file.exists():
                self.id_file.write_text(uuid.uuid4().hex)
            headers = {**self._headers(), contract.HEADER_CLIENT_ID: self.id_file.read_text()}
            body = self.http.post("/api/auth/anonymous-token", headers=headers).json()
            self.token = body["data"]["token"]
        return {**self._headers(), "Authorization": f"Bearer {self.token}"}

    def say(self, text: str) -> list[tuple[str, str]]:
        response = self.http.get("/api/credits/balance/simple", headers=self._auth())
        return [("credits", f"status {response.status_code}")]

    def upload(self, files: list[str], text: str) -> list[tuple[str, str]]:
        return [("uploaded", ", ".join(Path(f).name for f in files))]

    def close(self) -> None:
        self.http.close()


@pytest.fixture
def example_factory(monkeypatch: pytest.MonkeyPatch) -> Any:
    acme = types.ModuleType("acme_nemo")
    acme.NemoClient = NemoClient  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "acme_nemo", acme)
    code = doc_section("<!-- example: adapter -->\n```python", "```")
    module = types.ModuleType("my_adapter")
    exec(compile(code, str(DOC), "exec"), module.__dict__)
    return module.factory


@pytest.mark.slow
def test_the_example_adapter_runs_through_the_suite(example_factory: Any) -> None:
    suite = run_suite(example_factory, rules=["H1", "H2", "H3", "H4", "T3"], profile="ci")
    status = {r.rule.id: r.status for r in suite.results}
    # It keeps the header rules; it routes nothing, which T3 names with a replay recipe.
    assert status == {
        "H1": "passed",
        "H2": "passed",
        "H3": "passed",
        "H4": "passed",
        "T3": "failed",
    }
    t3 = suite.result("T3")
    assert t3.violations[0].rule == "T3"
    assert t3.replay is not None
    assert "--rule T3 --replay" in t3.replay


if __name__ == "__main__":
    print(rules_table())

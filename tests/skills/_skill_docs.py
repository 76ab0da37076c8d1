"""Helpers for the skill checker's tests: documents written inline, checked in process."""

from __future__ import annotations

from conformance.skills import Report

#: Attribution headers as a curl fragment, so a fixture line is clean unless it drops them.
ATTR = '-H "X-Skill-Source: t" -H "X-Skill-Version: 1.0.0" -H "X-Skill-Platform: unknown"'
AUTH = '-H "Authorization: Bearer $TOKEN"'
FRONT = "---\nname: t\nversion: 1.0.0\n---\n"


def bash(*commands: str) -> str:
    return "```bash\n" + "\n".join(commands) + "\n```\n"


def found(report: Report) -> set[tuple[int, str, str]]:
    return {(f.line, f.severity.value, f.rule.value) for f in report.findings}

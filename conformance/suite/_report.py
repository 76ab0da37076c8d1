"""The suite's results as a table (rich), as JSON and as JUnit XML (one testcase per rule and
backend). Each shows what exercised a rule (its coverage line), and a rule that nothing
exercised as ``not exercised`` with the reason (in JUnit: a skipped testcase)."""

from __future__ import annotations

import json
import os
import pathlib
import xml.etree.ElementTree as ET
from typing import Any

from rich.console import Console
from rich.table import Table

from ._suite import NOT_EXERCISED, RuleResult, SuiteResult

__all__ = ["coverage_line", "junit_xml", "print_table", "suite_json", "write_junit"]

_STYLE = {"passed": "green", "failed": "bold red", "error": "bold yellow", NOT_EXERCISED: "yellow"}
#: How many names a coverage line lists before it says how many more.
_COVERAGE_NAMES = 6


def coverage_line(result: RuleResult) -> str:
    """``exercised by: stream_cut, retry_429`` (what ran the rule's subject), or why nothing did."""
    if result.status == NOT_EXERCISED:
        return f"not exercised: {result.reason or 'its subject never occurred'}"
    if not result.coverage:
        return ""
    kind = "cassettes" if result.backend == "cassettes" else "variants"
    names = list(result.coverage[:_COVERAGE_NAMES])
    more = len(result.coverage) - len(names)
    return f"exercised by {kind}: {', '.join(names)}" + (f" (+{more} more)" if more else "")


def _detail(result: RuleResult) -> str:
    if result.status == "error":
        return result.error or ""
    if result.status == "failed":
        lines = [str(v) for v in result.violations[:3]]
        if result.scenario is not None:
            lines.append(f"minimal scenario: {result.scenario.to_json()}")
        if result.replay:
            lines.append(f"replay: {result.replay}")
        return "\n".join(lines)
    return coverage_line(result) if result.status == NOT_EXERCISED else ""


def print_table(suite: SuiteResult, console: Console | None = None) -> None:
    """Print one row per rule and backend, then a summary line."""
    console = console if console is not None else Console()
    table = Table(title=f"Nemo contract conformance: {suite.target} ({suite.profile})")
    for column in ("rule", "backend", "result", "examples", "what it checks / what broke"):
        table.add_column(column, overflow="fold")
    for r in suite.results:
        style = _STYLE.get(r.status, "")
        detail = _detail(r) or r.rule.contract
        if r.status != NOT_EXERCISED and (line := coverage_line(r)):
            detail += "\n" + line
        table.add_row(r.rule.id, r.backend, f"[{style}]{r.status}[/]", str(r.examples), detail)
    console.print(table)
    failed, idle = len(suite.failed), len(suite.not_exercised)
    passed = len(suite.results) - failed - idle
    summary = f"{passed} passed, {failed} failed or errored, {idle} not exercised"
    console.print(f"[{'green' if suite.ok else 'bold red'}]{summary}[/]")


def junit_xml(suite: SuiteResult) -> str:
    """JUnit XML: a testsuite per backend, a testcase per rule; failures carry the replay."""
    root = ET.Element("testsuites", name="nemo-conformance")
    for backend in dict.fromkeys(r.backend for r in suite.results):
        results = [r for r in suite.results if r.backend == backend]
        node = ET.SubElement(
            root,
            "testsuite",
            name=f"conformance.{backend}",
            tests=str(len(results)),
            failures=str(sum(r.status == "failed" for r in results)),
            errors=str(sum(r.status == "error" for r in results)),
            skipped=str(sum(r.status == NOT_EXERCISED for r in results)),
            time=f"{sum(r.seconds for r in results):.3f}",
        )
        for r in results:
            case = ET.SubElement(
                node,
                "testcase",
                classname=f"conformance.{backend}",
                name=f"{r.rule.id} {r.rule.title}",
                time=f"{r.seconds:.3f}",
            )
            if r.status in ("failed", "error"):
                message = str(r.violations[0]) if r.violations else (r.error or r.status)
                tag = "failure" if r.status == "failed" else "error"
                ET.SubElement(case, tag, message=message).text = _detail(r)
            elif r.status == NOT_EXERCISED:
                ET.SubElement(case, "skipped", message=coverage_line(r))
            elif r.coverage:
                ET.SubElement(case, "system-out").text = coverage_line(r)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def suite_json(suite: SuiteResult) -> str:
    """The results as JSON: per rule and backend its status, coverage and what broke."""
    return json.dumps(
        {
            "target": suite.target,
            "profile": suite.profile,
            "ok": suite.ok,
            "results": [_result_json(r) for r in suite.results],
        },
        ensure_ascii=False,
        indent=2,
    )


def _result_json(r: RuleResult) -> dict[str, Any]:
    out: dict[str, Any] = {
        "rule": r.rule.id,
        "title": r.rule.title,
        "backend": r.backend,
        "status": r.status,
        "examples": r.examples,
        "seconds": round(r.seconds, 3),
        "exercised_by": list(r.coverage),
        "coverage": coverage_line(r),
    }
    if r.reason:
        out["reason"] = r.reason
    if r.violations:
        out["violations"] = [str(v) for v in r.violations]
    if r.scenario is not None:
        out["scenario"] = json.loads(r.scenario.to_json())
    if r.replay:
        out["replay"] = r.replay
    if r.error:
        out["error"] = r.error
    return out


def write_junit(suite: SuiteResult, path: str | os.PathLike[str]) -> pathlib.Path:
    """Write :func:`junit_xml` to ``path`` (UTF-8) and return the path."""
    target = pathlib.Path(path)
    target.write_text(junit_xml(suite), encoding="utf-8")
    return target

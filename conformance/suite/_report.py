"""The suite's results as a table (rich) and as JUnit XML (one testcase per rule and backend)."""

from __future__ import annotations

import os
import pathlib
import xml.etree.ElementTree as ET

from rich.console import Console
from rich.table import Table

from ._suite import RuleResult, SuiteResult

__all__ = ["junit_xml", "print_table", "write_junit"]

_STYLE = {"passed": "green", "failed": "bold red", "error": "bold yellow"}


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
    return ""


def print_table(suite: SuiteResult, console: Console | None = None) -> None:
    """Print one row per rule and backend, then a summary line."""
    console = console if console is not None else Console()
    table = Table(title=f"Nemo contract conformance: {suite.target} ({suite.profile})")
    for column in ("rule", "backend", "result", "examples", "what it checks / what broke"):
        table.add_column(column, overflow="fold")
    for r in suite.results:
        style = _STYLE.get(r.status, "")
        detail = _detail(r) or r.rule.contract
        table.add_row(r.rule.id, r.backend, f"[{style}]{r.status}[/]", str(r.examples), detail)
    console.print(table)
    failed = len(suite.failed)
    summary = f"{len(suite.results) - failed} passed, {failed} failed or errored"
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
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def write_junit(suite: SuiteResult, path: str | os.PathLike[str]) -> pathlib.Path:
    """Write :func:`junit_xml` to ``path`` (UTF-8) and return the path."""
    target = pathlib.Path(path)
    target.write_text(junit_xml(suite), encoding="utf-8")
    return target

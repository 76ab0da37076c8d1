"""A report as text for a terminal, as the JSON the issue specifies, and as JUnit XML.

JSON: ``{"document", "guide", "findings": [{"line", "severity", "rule", "message"}]}``.
JUnit: one ``testcase`` per call (failed when the call has an error finding), and one for the
document's own findings (numbers, tables, front matter), so a CI page shows both.
"""

from __future__ import annotations

import json
from xml.etree import ElementTree as ET

from ._model import Finding, Report, Severity

__all__ = ["render_json", "render_junit", "render_text"]


def render_text(report: Report) -> str:
    lines = [
        f"{report.document}: resembles guide {report.guide}; judged against guide "
        f"{report.target}; {len(report.calls)} calls"
    ]
    width = max((len(str(f.line)) for f in report.findings), default=1)
    for finding in report.findings:
        lines.append(
            f"  {finding.line:>{width}}  {finding.severity.value:<7}  {finding.rule.value}: "
            f"{finding.message}"
        )
    counts = {s: sum(f.severity is s for f in report.findings) for s in Severity}
    lines.append(
        f"{counts[Severity.ERROR]} error(s), {counts[Severity.WARNING]} warning(s), "
        f"{counts[Severity.NOTE]} note(s)"
    )
    return "\n".join(lines)


def render_json(report: Report) -> str:
    return json.dumps(report.to_dict(), ensure_ascii=False, indent=2)


def render_junit(report: Report) -> str:
    suite = ET.Element("testsuite", name=f"skill check {report.document}")
    in_calls: set[int] = set()
    failures = 0
    for checked in report.calls:
        in_calls.update(id(f) for f in checked.findings)
        name = f"line {checked.call.line}: {checked.call.method} {checked.call.url}"
        failures += _case(suite, name, checked.findings)
    rest = [f for f in report.findings if id(f) not in in_calls]
    failures += _case(suite, "document", rest)
    suite.set("tests", str(len(report.calls) + 1))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    ET.indent(suite)
    return ET.tostring(suite, encoding="unicode", xml_declaration=True)


def _case(suite: ET.Element, name: str, findings: list[Finding]) -> int:
    case = ET.SubElement(suite, "testcase", classname="skill", name=name)
    errors = [f for f in findings if f.severity is Severity.ERROR]
    text = "\n".join(f"{f.line}: {f.severity.value} {f.rule.value}: {f.message}" for f in findings)
    if errors:
        failure = ET.SubElement(case, "failure", message=errors[0].message)
        failure.text = text
        return 1
    if text:
        ET.SubElement(case, "system-out").text = text
    return 0

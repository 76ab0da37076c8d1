"""``check_document``: read, extract, bind, run, judge; one :class:`Report` per document."""

from __future__ import annotations

import re
from pathlib import Path

from nemokit import contract, history

from ._bind import Bindings
from ._document import Document, parse_document, read_document
from ._extract import Assign, extract
from ._judge import judge_call
from ._model import Call, CheckedCall, Finding, Report, Rule, Severity
from ._numbers import judge_numbers
from ._resemble import resemble
from ._run import API_HOSTS, SIBLING_DOMAINS, Runner, classify_path
from ._tables import judge_tables

__all__ = ["check_document", "check_path", "check_text"]

#: The X-Skill-Platform values the contract names (besides the value of $SKILL_SOURCE).
_PLATFORMS = frozenset({"clawhub", "cursor", "unknown"})
#: Notes of one kind beyond this many are summed up in one.
_MAX_NOTES_PER_RULE = 50


def check_path(path: Path, *, guide: str = history.CURRENT_GUIDE) -> Report:
    """Check the document at ``path`` (``SkillDocumentError`` if it is not a document)."""
    return check_document(read_document(path), guide=guide)


def check_text(
    text: str, name: str = "<document>", *, guide: str = history.CURRENT_GUIDE
) -> Report:
    return check_document(parse_document(text, name), guide=guide)


def check_document(document: Document, *, guide: str = history.CURRENT_GUIDE) -> Report:
    history.guide_index(guide)  # an unknown version is a ValueError naming the known ones
    extraction = extract(document)
    findings = list(document.findings) + list(extraction.findings)
    for item in extraction.unchecked:
        findings.append(
            Finding(item.line, Severity.NOTE, Rule.NOT_CHECKED, f"{item.text}: {item.reason}")
        )
    version = document.version or "1.0.0"
    bindings = Bindings.initial(document.skill_name or contract.DEFAULT_SKILL_SOURCE, version)
    calls: list[CheckedCall] = []
    used: list[history.DeprecatedForm] = []
    made_render = False  # whether one of the document's own exports was accepted
    with Runner(bindings) as runner:
        runner.bootstrap()
        for step in extraction.steps:
            if isinstance(step, Assign):
                _assign(step, bindings)
                continue
            outcome = runner.bind(step)
            if not outcome.not_run and step.source != "link" and _runs_on(outcome.host):
                runner.send(step, outcome)
            judged = judge_call(step, outcome, guide)
            follows = _render_step(outcome.method, outcome.path)
            if follows == "submit" and outcome.status is not None and not outcome.message:
                made_render = True
            elif follows == "follow-up" and not made_render:
                judged = [_needs_render(f) for f in judged]
            judged += _version_header(step, outcome.headers, document.version)
            used += history.deprecated_forms_of(
                outcome.method, outcome.path, outcome.query, outcome.headers, outcome.body
            )
            calls.append(CheckedCall(step, outcome.status, judged))
            findings += judged
    for name in sorted(bindings.unbound):
        line = _first_line(document, name)
        findings.append(
            Finding(
                line,
                Severity.NOTE,
                Rule.UNBOUND,
                f"{name} is never set; a reader has to guess its value",
            )
        )
    findings += judge_numbers(document.lines, document.body_start)
    findings += judge_tables(document.lines, document.body_start)
    if not calls:
        findings.append(
            Finding(1, Severity.NOTE, Rule.DOCUMENT, "the document instructs no API call")
        )
    text = "\n".join(document.lines)
    resembles = resemble(text, used, has_calls=bool(calls))
    return Report(document.name, resembles, guide, _ordered(findings), calls)


def _render_step(method: str, path: str) -> str | None:
    """``submit`` for an export, ``follow-up`` for a poll, cancel or download of one."""
    current = history.current_path_of(method, path) or path
    endpoint = classify_path(method, current)
    if endpoint == "render":
        return "submit"
    if endpoint in ("render_status", "render_cancel", "download"):
        return "follow-up"
    return None


def _needs_render(finding: Finding) -> Finding:
    """A poll of a render the document never made fails for that reason, not its own."""
    if finding.rule is not Rule.CALL_FAILS:
        return finding
    return Finding(
        finding.line,
        Severity.NOTE,
        Rule.CALL_FAILS,
        "not judged on its own: it needs a render, and no export call of the document succeeded",
    )


def _runs_on(host: str) -> bool:
    return host in API_HOSTS or host.endswith(SIBLING_DOMAINS)


def _assign(step: Assign, bindings: Bindings) -> None:
    value = step.value
    if value.startswith(("'", '"')) and value.endswith(value[0]) and len(value) >= 2:
        value = value[1:-1]
    bindings.variables[step.name] = bindings.expand(
        value, lambda marker: step.generated.get(marker, "x")
    )


def _version_header(call: Call, headers: dict[str, str], version: str | None) -> list[Finding]:
    """What a curl call writes literally in its attribution headers: the version must be the
    front matter's, the platform one the contract names (or ``$SKILL_SOURCE``)."""
    if not call.literal:
        return []
    findings = []
    stated = call.header(contract.HEADER_SKILL_VERSION)
    if (
        version is not None
        and stated is not None
        and not _variable(stated)
        and stated.strip() != version
    ):
        findings.append(
            Finding(
                call.line,
                Severity.WARNING,
                Rule.ATTRIBUTION,
                f"{contract.HEADER_SKILL_VERSION}: {stated} differs from the front matter's "
                f"version {version}",
            )
        )
    platform = call.header(contract.HEADER_SKILL_PLATFORM)
    if platform is not None and not _variable(platform) and platform.strip() not in _PLATFORMS:
        findings.append(
            Finding(
                call.line,
                Severity.WARNING,
                Rule.ATTRIBUTION,
                f"{contract.HEADER_SKILL_PLATFORM}: {platform} is not clawhub, cursor or unknown "
                "(nor $SKILL_SOURCE)",
            )
        )
    return findings


def _variable(value: str) -> bool:
    return "$" in value or "<" in value or "{" in value


def _first_line(document: Document, name: str) -> int:
    pattern = re.compile(re.escape(name) + r"\b")
    return next(
        (i + 1 for i, line in enumerate(document.lines) if pattern.search(line)),
        1,
    )


def _ordered(findings: list[Finding]) -> list[Finding]:
    rank = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.NOTE: 2}
    unique = list(dict.fromkeys(findings))
    kept: list[Finding] = []
    counts: dict[Rule, int] = {}
    dropped: dict[Rule, int] = {}
    for finding in unique:
        if finding.severity is Severity.NOTE:
            counts[finding.rule] = counts.get(finding.rule, 0) + 1
            if counts[finding.rule] > _MAX_NOTES_PER_RULE:
                dropped[finding.rule] = dropped.get(finding.rule, 0) + 1
                continue
        kept.append(finding)
    for rule, count in dropped.items():
        kept.append(Finding(1, Severity.NOTE, rule, f"{count} more {rule.value} notes not shown"))
    return sorted(kept, key=lambda f: (f.line, rank[f.severity], f.rule.value))

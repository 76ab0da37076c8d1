"""The routing and GUI-translation tables against the contract's.

A routing table is a Markdown table whose header names what the user says; each row's first cell
is classified by the intent its words name (export, credits, state, upload, everything else), and
its action cell must send the four named intents to their own workflow and the rest to SSE. A
translation table's header names what the backend says; each row must do what the contract does
with that GUI instruction.
"""

from __future__ import annotations

import re

from ._model import Finding, Rule, Severity

__all__ = ["judge_tables"]

_INTENTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("export", re.compile(r"export|导出|download|send me the video", re.I)),
    ("credits", re.compile(r"credit|积分|balance|余额", re.I)),
    ("state", re.compile(r"status|状态|show tracks|\bstate\b", re.I)),
    ("upload", re.compile(r"upload|上传|sends? (?:a )?file", re.I)),
    ("sse", re.compile(r"everything else|anything else|other|default|\*", re.I)),
)
_GUI: tuple[tuple[str, re.Pattern[str], re.Pattern[str], str], ...] = (
    (
        "click",
        re.compile(r"click|点击", re.I),
        re.compile(r"api|execut|run|call", re.I),
        "execute it through the API",
    ),
    (
        "open",
        re.compile(r"\bopen|打开", re.I),
        re.compile(r"state|query|fetch", re.I),
        "query the session state",
    ),
    (
        "drag",
        re.compile(r"drag|drop|拖拽", re.I),
        re.compile(r"sse|edit|message", re.I),
        "send the edit through SSE",
    ),
    (
        "preview",
        re.compile(r"preview", re.I),
        re.compile(r"summar|track|state", re.I),
        "show the track summary",
    ),
    (
        "export",
        re.compile(r"export|导出", re.I),
        re.compile(r"export|render", re.I),
        "run the export workflow",
    ),
    (
        "billing",
        re.compile(r"billing|account", re.I),
        re.compile(r"credit|balance", re.I),
        "check credits",
    ),
)


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _tables(
    lines: list[str], start: int
) -> list[tuple[int, list[str], list[tuple[int, list[str]]]]]:
    """Each table: its header line number, header cells and rows (number, cells)."""
    tables = []
    index = start
    while index < len(lines):
        if (
            lines[index].count("|") >= 2
            and index + 1 < len(lines)
            and re.fullmatch(r"\s*\|?[\s:|-]*-[\s:|-]*", lines[index + 1])
        ):
            header, rows = _cells(lines[index]), []
            row = index + 2
            while row < len(lines) and lines[row].count("|") >= 1 and lines[row].strip():
                rows.append((row + 1, _cells(lines[row])))
                row += 1
            tables.append((index + 1, header, rows))
            index = row
        else:
            index += 1
    return tables


def judge_tables(lines: list[str], start: int) -> list[Finding]:
    findings: list[Finding] = []
    for line, header, rows in _tables(lines, start):
        first = header[0].lower() if header else ""
        if "user" in first and "say" in first:
            findings += _routing(line, rows)
        elif "backend" in first and "say" in first:
            findings += _gui(line, rows)
    return findings


def _routing(line: int, rows: list[tuple[int, list[str]]]) -> list[Finding]:
    findings, seen = [], set()
    for number, cells in rows:
        if len(cells) < 2:
            continue
        intent = next((name for name, pattern in _INTENTS if pattern.search(cells[0])), None)
        if intent is None:
            continue
        seen.add(intent)
        action = " ".join(cells[1:2]).lower()
        via_sse = "sse" in action or "run_sse" in action
        if intent != "sse" and via_sse:
            findings.append(
                Finding(
                    number,
                    Severity.WARNING,
                    Rule.ROUTING_TABLE,
                    f"routes {intent} through SSE; the contract handles {intent} itself and "
                    "never sends it to the backend as a message",
                )
            )
        elif intent == "sse" and not via_sse and "message" not in action:
            findings.append(
                Finding(
                    number,
                    Severity.WARNING,
                    Rule.ROUTING_TABLE,
                    "everything else should go to SSE as a message",
                )
            )
    missing = [i for i, _ in _INTENTS if i not in seen]
    if missing:
        findings.append(
            Finding(
                line,
                Severity.WARNING,
                Rule.ROUTING_TABLE,
                f"the routing table has no row for: {', '.join(missing)}",
            )
        )
    return findings


def _gui(line: int, rows: list[tuple[int, list[str]]]) -> list[Finding]:
    findings, seen = [], set()
    for number, cells in rows:
        if len(cells) < 2:
            continue
        for name, says, does, expected in _GUI:
            if says.search(cells[0]) and name not in seen:
                seen.add(name)
                action = " ".join(cells[1:])
                # "Execute §3.5": a reference to the document's own section, not checkable here
                if not does.search(action) and "§" not in action:
                    findings.append(
                        Finding(
                            number,
                            Severity.WARNING,
                            Rule.GUI_TABLE,
                            f"{cells[0]!s:.40}: the contract says {expected}",
                        )
                    )
                break
    missing = [name for name, _, _, _ in _GUI if name not in seen]
    if missing:
        findings.append(
            Finding(
                line,
                Severity.NOTE,
                Rule.GUI_TABLE,
                f"the translation table has no row for: {', '.join(missing)}",
            )
        )
    return findings

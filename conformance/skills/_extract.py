"""Everything a document instructs, in document order: calls, assignments, what is not checked.

Fenced code blocks are read as shell (``bash``/``sh``/``console``..., or unlabelled blocks whose
lines start with ``curl``, an assignment or ``export``); inline code that starts with ``curl`` too.
Other lines are read for prose and table calls and for browser links (:mod:`._prose`). Only
``curl`` is interpreted: any other command, and any ``$(...)`` that is not a curl command, is
reported as not checked (a ``$(...)`` gets a stand-in value a reader would have: a UUID, a
timestamp).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ._bind import slot_of
from ._curl import parse_curl
from ._document import Document
from ._model import Call, Finding, Rule, Severity, Unchecked
from ._prose import calls_in_line, document_headers, links_in_line
from ._shell import KEYWORDS, ShellLine, logical_lines, marker_index, split_line

__all__ = ["MAX_STEPS", "Assign", "Extraction", "extract"]

#: Calls and assignments read from one document (a skill has a few dozen).
MAX_STEPS = 1000
#: Prose is read up to this many characters a line.
_LINE_CAP = 4000
_FENCE = re.compile(r"^\s{0,3}(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`\s]*)")
_SHELL_LANGS = frozenset(
    {"bash", "sh", "shell", "console", "zsh", "curl", "shell-session", "terminal"}
)
_ASSIGNMENT = re.compile(r"(?P<name>[A-Za-z_]\w*)=(?P<value>.*)", re.S)
_INLINE_CURL = re.compile(r"`(curl\s[^`]+)`")
_JQ_PATH = re.compile(r"^\.(?P<path>[A-Za-z_][\w.]*)")
#: What a reader puts in for common ``$(...)`` generators.
_GENERATED = (
    (re.compile(r"uuid|random", re.I), "5eed0000-0000-4000-8000-00000000cafe"),
    (re.compile(r"\bdate\b", re.I), "1767225600"),
)


@dataclass(frozen=True, slots=True)
class Assign:
    """``NAME=value`` in the document's shell (``value`` may hold ``$(...)`` markers)."""

    line: int
    name: str
    value: str
    generated: dict[str, str] = field(default_factory=dict)


Step = Call | Assign


@dataclass(slots=True)
class Extraction:
    steps: list[Step] = field(default_factory=list)
    unchecked: list[Unchecked] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    #: Header names the document says go on every request.
    every_request: list[str] = field(default_factory=list)


def extract(document: Document) -> Extraction:
    out = Extraction(every_request=document_headers(document.lines, document.body_start))
    lines = document.lines
    index = document.body_start
    while index < len(lines):
        if len(out.steps) >= MAX_STEPS:
            out.findings.append(
                Finding(
                    index + 1,
                    Severity.NOTE,
                    Rule.NOT_CHECKED,
                    f"the document instructs more than {MAX_STEPS} calls; lines {index + 1}-"
                    f"{len(lines)} were not read",
                )
            )
            break
        fence = _FENCE.match(lines[index])
        if fence is None:
            _prose_line(index + 1, lines[index].strip()[:_LINE_CAP], out)
            index += 1
            continue
        marker, info = fence["fence"], fence["info"].lower()
        block: list[tuple[int, str]] = []
        index += 1
        while index < len(lines) and not lines[index].lstrip().startswith(marker):
            block.append((index + 1, lines[index]))
            index += 1
        if index >= len(lines):
            out.findings.append(
                Finding(
                    block[0][0] - 1 if block else len(lines),
                    Severity.NOTE,
                    Rule.DOCUMENT,
                    "a code block is not closed; it runs to the end of the document",
                )
            )
        index += 1
        _code_block(info, block, out)
    for call in out.steps:
        if isinstance(call, Call):  # the run adds them to prose calls only (curl is literal)
            call.assumed_headers = list(out.every_request)
    return out


def _prose_line(number: int, text: str, out: Extraction) -> None:
    inline = _INLINE_CURL.findall(text)
    for command in inline:
        _shell_line(split_line(number, command), out, labelled=True)
    if not inline:
        out.steps.extend(calls_in_line(number, text))
    out.steps.extend(links_in_line(number, text))


def _code_block(info: str, block: list[tuple[int, str]], out: Extraction) -> None:
    labelled = info in _SHELL_LANGS
    if not labelled and info:
        if any("/api/" in text or "run_sse" in text for _, text in block):
            out.unchecked.append(
                Unchecked(block[0][0] - 1, f"a {info} block", "only curl commands are interpreted")
            )
        return
    for number, text in logical_lines(block):
        first = text.split(None, 1)[0] if text.split() else ""
        if not labelled and not (
            first == "curl" or first == "export" or _ASSIGNMENT.match(first) or "$(" in text
        ):
            out.steps.extend(links_in_line(number, text))
            continue
        _shell_line(split_line(number, text), out, labelled=True)


def _shell_line(shell: ShellLine, out: Extraction, *, labelled: bool) -> None:
    out.findings.extend(shell.findings)
    generated: dict[str, str] = {}
    subst_calls: dict[int, Call] = {}
    for position, inner in enumerate(shell.substitutions):
        call = _substituted_call(shell.line, inner, out)
        if call is not None:
            subst_calls[position] = call
            out.steps.append(call)
        else:
            value = next((v for p, v in _GENERATED if p.search(inner)), "x")
            generated[f"__nemokit_subst_{position}__"] = value
            out.unchecked.append(
                Unchecked(shell.line, f"$({inner})", "a command substitution is not run")
            )
    for command in shell.commands:
        words = command.words
        while words and words[0] in KEYWORDS:
            words = [] if words[0] in ("for", "case") else words[1:]
        if words and words[0] in ("export", "readonly", "local", "declare"):
            words = [w for w in words[1:] if "=" in w]  # `export NAME` alone changes nothing
        assignments = []
        while words and (match := _ASSIGNMENT.fullmatch(words[0])):
            assignments.append(match)
            words = words[1:]
        for match in assignments:
            name, value = match["name"], match["value"]
            marker = marker_index(value)
            if marker is not None and marker in subst_calls:
                subst_calls[marker].assigns.setdefault(name, "")
                continue
            if marker is not None and slot_of(name) is not None:
                # A value computed by a command that is not run (`$(echo $r | jq ...)`): the
                # reader has it from the response; the run keeps carrying it.
                continue
            out.steps.append(Assign(shell.line, name, value, generated))
        if not words:
            continue
        if words[0] == "curl":
            call = parse_curl(words, shell.line, shell.text)
            call.generated = generated
            out.steps.append(call)
        elif labelled:
            out.unchecked.append(
                Unchecked(shell.line, " ".join(words)[:80], f"`{words[0]}` is not curl")
            )
    for call in subst_calls.values():
        jq = call.assigns.pop("*", None)
        for name in call.assigns:
            call.assigns[name] = jq or _guess_path(name)


def _substituted_call(line: int, inner: str, out: Extraction) -> Call | None:
    """The curl call inside ``$(curl ... | jq -r .data.token)``, if it is one."""
    if not inner.startswith("curl"):
        return None
    shell = split_line(line, inner)
    out.findings.extend(shell.findings)
    if not shell.commands or shell.commands[0].words[:1] != ["curl"]:
        return None
    call = parse_curl(shell.commands[0].words, line, inner)
    for command in shell.commands[1:]:
        words = command.words
        path = next((m["path"] for w in words if (m := _JQ_PATH.match(w))), None)
        if words and words[0] == "jq" and path:
            call.assigns["*"] = path
        elif words:
            out.unchecked.append(Unchecked(line, " ".join(words)[:80], f"`{words[0]}` is not curl"))
    return call


def _guess_path(name: str) -> str:
    slot = slot_of(name) or name.lower()
    return {"token": "data.token", "sid": "data.session_id", "render_id": "data.id"}.get(
        slot, f"data.{slot}"
    )

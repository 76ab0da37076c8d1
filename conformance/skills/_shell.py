"""Shell text in a skill document, read as text: never given to a shell.

A code block's lines are joined at backslash continuations, command substitutions ``$(...)`` are
cut out and replaced by a marker, and each logical line is split with :mod:`shlex` into commands
at ``;``, ``&&``, ``||``, ``|`` and ``&``. The checker then interprets only commands named
``curl`` (see :mod:`._curl`); everything else is reported as not checked.

What is cheap to see and makes a line fail as written is reported here: an unbalanced quote, a
background ``&`` where a sequence was meant, a variable inside single quotes (a shell does not
expand it, so the literal text ``$TOKEN`` is sent).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

from ._model import Finding, Rule, Severity

__all__ = [
    "KEYWORDS",
    "Command",
    "ShellLine",
    "logical_lines",
    "open_quote",
    "split_line",
    "substitution_marker",
]

_OPERATORS = frozenset({";", "&&", "||", "|", "&", ";;"})
_REDIRECTS = frozenset({">", ">>", "<", "<<", "&>", ">&", "2>", "<<<"})
_MARKER = "__nemokit_subst_{}__"
_MARKER_RE = re.compile(r"__nemokit_subst_(\d+)__")
_VARIABLE = re.compile(r"\$\{?([A-Za-z_]\w*)")
#: A quoted string spans at most this many lines before it counts as unbalanced.
_MAX_QUOTED_LINES = 200
#: Shell words that only shape control flow: skipped before a command, ignored alone.
KEYWORDS = frozenset(
    {
        "if",
        "then",
        "else",
        "elif",
        "fi",
        "do",
        "done",
        "while",
        "until",
        "!",
        "for",
        "case",
        "esac",
        "{",
        "}",
    }
)
#: A line longer than this is not a command a person wrote; it is reported, not tokenised.
MAX_LINE = 16 * 1024


def substitution_marker(index: int) -> str:
    return _MARKER.format(index)


def marker_index(text: str) -> int | None:
    match = _MARKER_RE.fullmatch(text)
    return int(match.group(1)) if match else None


@dataclass(slots=True)
class Command:
    """One simple command: its words, and the operator that ended it (``None`` at line end)."""

    words: list[str]
    ended_by: str | None = None


@dataclass(slots=True)
class ShellLine:
    """A logical line: its first physical line number, its text, what it runs."""

    line: int
    text: str
    commands: list[Command] = field(default_factory=list)
    #: The ``$(...)`` substitutions cut out of the text, by marker index.
    substitutions: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def logical_lines(numbered: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Join what a shell joins: backslash continuations, and lines inside an open quote (a JSON
    body over several lines); drop blank lines, comments and ``$ `` prompts."""
    joined: list[tuple[int, str]] = []
    pending: tuple[int, str, str] | None = None  # first line, text so far, separator
    for number, raw in numbered:
        text = raw.rstrip()
        if pending is not None:
            start, before, separator = pending
            text, number = before + separator + (text.lstrip() if separator == " " else text), start
            pending = None
        if text.endswith("\\") and not text.endswith("\\\\"):
            pending = (number, text[:-1].rstrip(), " ")
            continue
        if open_quote(text) and text.count("\n") < _MAX_QUOTED_LINES:
            pending = (number, text, "\n")
            continue
        stripped = text.strip()
        if stripped.startswith("$ "):
            stripped = stripped[2:]
        if stripped and not stripped.startswith("#"):
            joined.append((number, stripped))
    if pending is not None and pending[1].strip():
        joined.append((pending[0], pending[1].strip()))
    return joined


def open_quote(text: str) -> str:
    """The quote character left open at the end of ``text`` ("" when none is)."""
    quote = ""
    index = 0
    while index < len(text):
        char = text[index]
        if quote == "'":
            if char == "'":
                quote = ""
        elif char == "\\":
            index += 1
        elif char == quote:
            quote = ""
        elif char in "'\"" and not quote:
            quote = char
        elif char == "#" and not quote and (index == 0 or text[index - 1] in " \t"):
            break  # a comment: quotes in it do not count
        index += 1
    return quote


def split_line(number: int, text: str) -> ShellLine:
    """Tokenise one logical line (see the module docstring)."""
    shell = ShellLine(number, text)
    if len(text) > MAX_LINE:
        shell.findings.append(
            Finding(number, Severity.NOTE, Rule.NOT_CHECKED, f"a {len(text)}-character line")
        )
        return shell
    cut = _cut_substitutions(text, shell.substitutions)
    if cut is None:
        shell.findings.append(
            Finding(
                number,
                Severity.ERROR,
                Rule.SHELL,
                "an unclosed '$(': the command cannot run as written",
            )
        )
        return shell
    quoted = single_quoted_variable(cut)
    if quoted is not None:
        shell.findings.append(
            Finding(
                number,
                Severity.WARNING,
                Rule.SHELL,
                f"${quoted} is inside single quotes: a shell sends it literally instead of its "
                "value (use double quotes)",
            )
        )
    lexer = shlex.shlex(cut, posix=True, punctuation_chars=";&|<>")
    lexer.whitespace_split = True
    lexer.commenters = ""
    try:
        tokens = list(lexer)
    except ValueError:
        shell.findings.append(
            Finding(
                number,
                Severity.ERROR,
                Rule.SHELL,
                "an unbalanced quote: the command cannot run as written",
            )
        )
        return shell
    shell.commands = _commands(tokens)
    for index, command in enumerate(shell.commands):
        if command.ended_by == "&":
            follows = "the next command starts" if index + 1 < len(shell.commands) else "it runs"
            shell.findings.append(
                Finding(
                    number,
                    Severity.WARNING,
                    Rule.SHELL,
                    f"a background '&': {follows} before this one ends (an unquoted '&' in a "
                    "URL does this too; quote the URL or use '&&' for a sequence)",
                )
            )
            break
    return shell


def single_quoted_variable(text: str) -> str | None:
    """The first ``$NAME`` that sits inside single quotes (where a shell does not expand it)."""
    quote = ""
    index = 0
    while index < len(text):
        char = text[index]
        if quote == "'":
            if char == "'":
                quote = ""
            elif char == "$" and (match := _VARIABLE.match(text, index)):
                return match.group(1)
        elif char == "\\":
            index += 1
        elif char == quote:
            quote = ""
        elif char in "'\"" and not quote:
            quote = char
        index += 1
    return None


def _commands(tokens: list[str]) -> list[Command]:
    commands: list[Command] = []
    words: list[str] = []
    skip_next = False
    for token in tokens:
        if skip_next:
            skip_next = False
            continue
        if token in _OPERATORS:
            commands.append(Command(words, token))
            words = []
        elif token in _REDIRECTS or (set(token) <= set("<>&") and token):
            skip_next = True
            if words and words[-1].isdigit():
                words.pop()  # the fd of "2>/dev/null"
        else:
            words.append(token)
    if words:
        commands.append(Command(words))
    return [c for c in commands if c.words]


def _cut_substitutions(text: str, found: list[str]) -> str | None:
    """``text`` with each outermost ``$(...)`` replaced by a marker (``None`` if one is unclosed).

    Quotes inside the substitution are skipped over so that a ``)`` in a JSON string does not
    close it.
    """
    out: list[str] = []
    index = 0
    while True:
        start = text.find("$(", index)
        if start < 0:
            out.append(text[index:])
            return "".join(out)
        end = _closing(text, start + 2)
        if end is None:
            return None
        out.append(text[index:start])
        out.append(substitution_marker(len(found)))
        found.append(text[start + 2 : end].strip())
        index = end + 1


def _closing(text: str, index: int) -> int | None:
    depth, quote = 1, ""
    while index < len(text):
        char = text[index]
        if quote:
            if char == quote:
                quote = ""
            elif char == "\\" and quote == '"':
                index += 1
        elif char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    return None

"""Reading a skill document: Markdown with YAML front matter, or plain text like the guide.

The document is untrusted. It is read once, with a size cap, and refused with a sentence when it
is not text. The front matter is read by a bounded reader of ``key: value`` lines (nested one
level, as ``metadata:`` blocks are), not by a YAML library: the checker needs a few keys (name,
version, the skill's source), and a bounded reader cannot be made to build deep structures or
aliases. Anything it cannot read becomes a finding, never an exception.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ._model import Finding, Rule, Severity

__all__ = ["MAX_BYTES", "Document", "SkillDocumentError", "parse_document", "read_document"]

#: The largest document read (a skill document is a few kilobytes; the guide is 6 KB).
MAX_BYTES = 2 * 1024 * 1024
#: The front matter is short; a block longer than this is not front matter.
_MAX_FRONT_LINES = 400
_KEY_VALUE = re.compile(r"(?P<indent> *)(?P<key>[A-Za-z0-9_.\-]+)\s*:(?:\s+(?P<value>.*))?\s*$")


class SkillDocumentError(Exception):
    """The document cannot be checked at all (missing, too large, not text)."""


@dataclass(slots=True)
class Document:
    """The document's lines (1-based numbering kept), its front matter and what reading found."""

    name: str
    lines: list[str]
    front: dict[str, str] = field(default_factory=dict)
    body_start: int = 0  # index of the first line after the front matter
    findings: list[Finding] = field(default_factory=list)

    @property
    def version(self) -> str | None:
        return self.front.get("version") or self.front.get("metadata.version")

    @property
    def skill_name(self) -> str | None:
        return self.front.get("name")


def read_document(path: Path) -> Document:
    """Read ``path`` as a skill document, or raise :class:`SkillDocumentError` saying why not."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise SkillDocumentError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise SkillDocumentError(f"{path}: is a directory, not a document") from None
    except OSError as exc:
        raise SkillDocumentError(f"{path}: cannot be read ({exc.strerror})") from None
    if len(raw) > MAX_BYTES:
        raise SkillDocumentError(
            f"{path}: larger than {MAX_BYTES // (1024 * 1024)} MB; a skill document is a few "
            "kilobytes, so this is not one"
        )
    return parse_document(decode(raw, str(path)), str(path))


def decode(raw: bytes, name: str) -> str:
    """The document's text; binary or non-UTF-8 content is refused with its offset."""
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise SkillDocumentError(f"{name}: binary content (a NUL byte at offset {nul}), not text")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SkillDocumentError(
            f"{name}: not UTF-8 text (an invalid byte at offset {exc.start})"
        ) from None
    return text.removeprefix("\ufeff")


def parse_document(text: str, name: str = "<document>") -> Document:
    lines = text.splitlines()
    document = Document(name, lines)
    if lines and lines[0].strip() == "---":
        _read_front_matter(document)
    return document


def _read_front_matter(document: Document) -> None:
    lines = document.lines
    end = next(
        (
            i
            for i in range(1, min(len(lines), _MAX_FRONT_LINES + 1))
            if lines[i].strip() in ("---", "...")
        ),
        None,
    )
    if end is None:
        document.findings.append(
            Finding(
                1,
                Severity.WARNING,
                Rule.FRONT_MATTER,
                f"the front matter opened on line 1 is not closed by '---' within "
                f"{_MAX_FRONT_LINES} lines; the document is read without it",
            )
        )
        return
    document.body_start = end + 1
    parent: str | None = None
    unread: int | None = None
    for index in range(1, end):
        line = lines[index]
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _KEY_VALUE.fullmatch(line)
        if match is None:
            if not line.startswith((" ", "\t", "-")) and unread is None:
                unread = index + 1
            continue
        key, value, indent = match["key"], _unquote(match["value"] or ""), len(match["indent"])
        if indent == 0:
            parent = key if not value else None
            if value:
                document.front[key] = value
        elif parent is not None and value:
            document.front.setdefault(f"{parent}.{key}", value)
    if unread is not None:
        document.findings.append(
            Finding(
                unread,
                Severity.NOTE,
                Rule.FRONT_MATTER,
                "a front matter line is not 'key: value' and was not read",
            )
        )


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value

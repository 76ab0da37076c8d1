"""The skill checker: agent skill documents judged against the contract and its history.

``check_path(path)`` reads a SKILL.md (front matter and Markdown, or plain text like the guide),
extracts every HTTP call it instructs (curl commands, parsed and never run by a shell; calls in
prose and tables), binds the variables a reader binds, runs the calls in order against an
embedded mock that also serves the documented earlier forms, and judges each call and the
document's own numbers and tables. ``nemokit skill check`` is its command line.
"""

from __future__ import annotations

from ._check import check_document, check_path, check_text
from ._document import Document, SkillDocumentError, parse_document, read_document
from ._model import Call, CheckedCall, Finding, Report, Rule, Severity
from ._report import render_json, render_junit, render_text

__all__ = [
    "Call",
    "CheckedCall",
    "Document",
    "Finding",
    "Report",
    "Rule",
    "Severity",
    "SkillDocumentError",
    "check_document",
    "check_path",
    "check_text",
    "parse_document",
    "read_document",
    "render_json",
    "render_junit",
    "render_text",
]

"""The values the skill checker passes between its steps: calls, findings, the report."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

__all__ = ["Call", "CheckedCall", "Finding", "FormField", "Report", "Rule", "Severity", "Unchecked"]


class Severity(str, enum.Enum):
    """``error``: the call fails against the current contract, or a security rule is broken;
    ``warning``: a deprecated form or a number that differs from the contract; ``note``: the
    rest (what was not checked, what a reader has to guess)."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


class Rule(str, enum.Enum):
    """The finding kinds; the value is the rule id in reports."""

    UNKNOWN_ENDPOINT = "unknown-endpoint"
    UNKNOWN_HOST = "unknown-host"
    DEPRECATED = "deprecated-form"
    ATTRIBUTION = "attribution-headers"
    CLIENT_ID = "client-id"
    TOKEN_IN_URL = "token-in-url"
    BODY_SHAPE = "body-shape"
    CALL_FAILS = "call-fails"
    NUMBER = "number"
    ACCEPTED_FORMATS = "accepted-formats"
    ERROR_CODES = "error-codes"
    ROUTING_TABLE = "routing-table"
    GUI_TABLE = "gui-table"
    SHELL = "shell"
    NOT_CHECKED = "not-checked"
    UNBOUND = "unbound-variable"
    FRONT_MATTER = "front-matter"
    DOCUMENT = "document"


@dataclass(frozen=True, slots=True)
class Finding:
    line: int
    severity: Severity
    rule: Rule
    message: str

    def to_dict(self) -> dict[str, object]:
        return {
            "line": self.line,
            "severity": self.severity.value,
            "rule": self.rule.value,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class FormField:
    """A ``-F name=value`` part; ``filename`` is set for ``name=@path`` (never read)."""

    name: str
    value: str
    filename: str | None = None


@dataclass(slots=True)
class Call:
    """One HTTP call the document instructs, as written (variables not yet bound)."""

    line: int
    method: str
    url: str
    source: str  # "curl" | "prose" | "table"
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: str | None = None
    form: list[FormField] = field(default_factory=list)
    max_time: float | None = None
    #: Headers the document says go on every request (prose and tables only).
    assumed_headers: list[str] = field(default_factory=list)
    #: Where a response value goes: variable name → dotted path in the response (``data.token``).
    assigns: dict[str, str] = field(default_factory=dict)
    #: Stand-in values of the ``$(...)`` substitutions on the call's line, by marker.
    generated: dict[str, str] = field(default_factory=dict)
    text: str = ""

    @property
    def literal(self) -> bool:
        """A curl command states every header; prose leaves some to the document's rules."""
        return self.source == "curl"

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)


@dataclass(frozen=True, slots=True)
class Unchecked:
    """Something the document tells a reader to run that the checker does not interpret."""

    line: int
    text: str
    reason: str


@dataclass(frozen=True, slots=True)
class CheckedCall:
    """A call, the mock's HTTP status (``None``: not run) and the findings about it."""

    call: Call
    status: int | None
    findings: list[Finding]


@dataclass(slots=True)
class Report:
    """What ``nemokit skill check`` says about one document."""

    document: str
    guide: str  # the guide version the document most resembles
    target: str  # the guide version it was judged against
    findings: list[Finding]
    calls: list[CheckedCall] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(f.severity is Severity.ERROR for f in self.findings)

    def to_dict(self) -> dict[str, object]:
        return {
            "document": self.document,
            "guide": self.guide,
            "findings": [f.to_dict() for f in self.findings],
        }

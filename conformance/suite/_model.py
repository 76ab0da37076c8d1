"""The suite's values: a scenario (what happens), an observation (what was seen), a violation.

A :class:`Scenario` is frozen and JSON-serialisable so that a failure prints a one-line replay
recipe (``nemokit conformance --rule R1 --replay '<json>'``). It holds the server's contract
variant, the user's steps, the fault schedule and the token mode.

An :class:`Observation` is what the rules judge: the requests the server received (the mock's
journal or the replay router's log), what the client showed, what it logged, what escaped it,
and, on the live mock, what the mock's agent did in each turn (its texts and tool names).
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from conformance.drivers._protocol import Shown, Step

__all__ = [
    "FAULT_KINDS",
    "REQUEST_KINDS",
    "SETTING_FAULTS",
    "Fault",
    "Observation",
    "Request",
    "Scenario",
    "ServerVariant",
    "TurnRecord",
    "Violation",
]

#: The request kinds a fault can target, and the mock path (glob) each stands for.
REQUEST_KINDS: Mapping[str, tuple[str, str]] = {
    "token": ("POST", "/api/auth/anonymous-token"),
    "session": ("POST", "/api/tasks/me/with-session/nemo_agent"),
    "run_sse": ("POST", "/run_sse"),
    "credits": ("GET", "/api/credits/balance/simple"),
    "state": ("GET", "/api/state/nemo_agent/me/*/latest"),
    "upload": ("POST", "/api/upload-video/nemo_agent/me/*"),
    "render": ("POST", "/api/render/proxy/lambda"),
    "render_status": ("GET", "/api/render/proxy/lambda/*"),
}

#: What a fault does: an HTTP status, a contract code, a dropped connection, a cut or stalled
#: stream, a render that ends ``failed``, or a ``long`` turn (``run_sse`` only: the turn keeps
#: making progress for 20 minutes, past the client's 15-minute limit), or a ``slow_render``
#: (the agent works ten times slower: a render outlasts the client's 10 polls).
#: ``render_failed``, ``long`` and ``slow_render`` are mock settings for the whole run, not
#: per-request rules.
FAULT_KINDS = ("status", "code", "drop", "cut", "stall", "render_failed", "long", "slow_render")
#: The fault kinds that are mock settings rather than per-request fault rules.
SETTING_FAULTS = ("render_failed", "long", "slow_render")


@dataclass(frozen=True, slots=True)
class ServerVariant:
    """Which contract variant the mock speaks and how its agent behaves (``MockConfig`` fields)."""

    error_style: str = "code_200"
    dialect: str = "adk"
    heartbeat_form: str = "json"
    heartbeat_interval: float = 20.0
    silent_rate: float = 0.0
    partial_text: bool = False
    noise_rate: float = 0.0
    seed: int = 0
    #: How ``/run_sse`` lays out its lines (``MockConfig.sse_framing``: lf, crlf, cr,
    #: multiline, ids, chunked); the events are the same under each.
    sse_framing: str = "lf"


@dataclass(frozen=True, slots=True)
class Fault:
    """One fault: requests of ``target`` kind get ``kind`` (``times`` times)."""

    target: str
    kind: str
    status: int | None = None
    code: int | None = None
    retry_after: float | None = None
    cut_after: int | None = None
    times: int = 1


@dataclass(frozen=True, slots=True)
class Scenario:
    """A whole run: server variant, user steps, fault schedule and token mode."""

    server: ServerVariant = field(default_factory=ServerVariant)
    steps: tuple[Step, ...] = ()
    faults: tuple[Fault, ...] = ()
    token_mode: Literal["anonymous", "user"] = "anonymous"

    def to_json(self) -> str:
        """One line of JSON (the replay recipe's argument)."""
        return json.dumps(_compact(asdict(self)), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | Mapping[str, Any]) -> Scenario:
        """The scenario in ``text``; a bad one raises ``ValueError`` naming what was wrong."""
        try:
            data = json.loads(text) if isinstance(text, str) else dict(text)
        except ValueError as exc:
            raise ValueError(f"scenario is not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise ValueError("a scenario must be a JSON object")
        try:
            return _scenario(data)
        except (TypeError, KeyError) as exc:
            raise ValueError(f"bad scenario: {exc}") from None


def _compact(value: Any) -> Any:
    """Drop ``None`` fields so the replay recipe stays short."""
    if isinstance(value, dict):
        return {k: _compact(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_compact(v) for v in value]
    return value


def _scenario(data: dict[str, Any]) -> Scenario:
    unknown = set(data) - {"server", "steps", "faults", "token_mode"}
    if unknown:
        raise ValueError(f"unknown scenario field(s): {sorted(unknown)}")
    steps = tuple(
        Step(
            op=s.get("op", "say"),
            text=s.get("text", ""),
            files=tuple(s.get("files", ())),
            seconds=s.get("seconds"),
        )
        for s in data.get("steps", ())
    )
    for step in steps:
        if step.op not in ("say", "upload", "restart", "wait"):
            raise ValueError(f"unknown step op {step.op!r}: use say, upload, restart or wait")
    faults = tuple(Fault(**f) for f in data.get("faults", ()))
    for fault in faults:
        if fault.target not in REQUEST_KINDS or fault.kind not in FAULT_KINDS:
            raise ValueError(f"bad fault {fault}: target in {sorted(REQUEST_KINDS)}")
    mode = data.get("token_mode", "anonymous")
    if mode not in ("anonymous", "user"):
        raise ValueError(f"token_mode must be anonymous or user, got {mode!r}")
    return Scenario(ServerVariant(**data.get("server", {})), steps, faults, mode)


@dataclass(frozen=True, slots=True)
class Request:
    """One request the server received (journal entry or replay log entry).

    ``time`` is virtual; ``status``/``code`` are the answer's (``None`` when unknown);
    ``fault`` names the fault applied; ``error`` says how the exchange broke, if it did.
    """

    seq: int
    time: float
    method: str
    path: str
    query: str
    headers: tuple[tuple[str, str], ...]
    body: Any = None
    status: int | None = None
    code: int | None = None
    fault: str | None = None
    error: str | None = None
    #: The index of the user step during which it arrived (-1: before any step).
    step: int = -1

    @property
    def message(self) -> str | None:
        """The text of a ``/run_sse`` message (either key spelling), else ``None``."""
        body = self.body if isinstance(self.body, dict) else {}
        new = body.get("new_message", body.get("newMessage"))
        parts = new.get("parts") if isinstance(new, dict) else None
        texts = [p["text"] for p in parts or () if isinstance(p, dict) and "text" in p]
        return " ".join(str(t) for t in texts) if texts else None

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or ``None``."""
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)

    @property
    def kind(self) -> str | None:
        """The request kind (``token``, ``run_sse``, …) or ``None`` for anything else."""
        return request_kind(self.method, self.path)

    def describe(self) -> str:
        """``#3 POST /run_sse at 30s`` (never a header, so never a token)."""
        return f"#{self.seq} {self.method} {self.path} at {self.time:g}s"


def request_kind(method: str, path: str) -> str | None:
    """The kind of a request by method and path (see :data:`REQUEST_KINDS`)."""
    for kind, (m, pattern) in REQUEST_KINDS.items():
        if m == method.upper() and fnmatch.fnmatchcase(path, pattern):
            if kind == "render_status" and path.endswith("/cancel"):
                continue
            return kind
    return None


@dataclass(frozen=True, slots=True)
class TurnRecord:
    """What the mock's agent did in one ``/run_sse`` turn (live backends only)."""

    message: str
    start: float
    end: float
    texts: tuple[str, ...]
    noise: tuple[str, ...]
    tools: tuple[str, ...]
    silent: bool
    changed: bool
    kind: str = "text"
    #: When the edit landed in the session (absolute virtual time).
    applied_at: float = 0.0
    #: When the first whole (non-partial) reply text was sent, and the first partial chunk.
    first_text_at: float | None = None
    first_partial_at: float | None = None


@dataclass(frozen=True, slots=True)
class Observation:
    """Everything a rule may judge about one run."""

    requests: tuple[Request, ...] = ()
    shown: tuple[Shown, ...] = ()
    logs: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    turns: tuple[TurnRecord, ...] = ()
    #: Secret values the run used (API tokens), for the secret rules to look for.
    secrets: tuple[str, ...] = ()
    #: Virtual time each step started and ended, by step index.
    step_times: tuple[tuple[float, float], ...] = ()
    #: ``mock``, ``live`` or ``cassettes``.
    backend: str = "mock"

    def of_kind(self, kind: str) -> list[Request]:
        return [r for r in self.requests if r.kind == kind]


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule: which, and a message naming the request(s) or view(s) that broke it."""

    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.message}"

"""Frozen values read from response data, defensively.

Each value has a ``from_data`` classmethod that takes the decoded ``data`` of a response and
tolerates every variant the contract lists (two upload shapes, two render-status shapes, progress
as 0–100 or 0–1). A missing *required* field raises :class:`MissingField`, which the response
reader turns into an :class:`~nemokit.UnexpectedResponse` carrying the request and body; a missing
optional field is never an error.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from . import contract

__all__ = [
    "Credits",
    "MissingField",
    "RenderJob",
    "SavedSession",
    "SessionInfo",
    "SessionState",
    "TokenInfo",
    "UploadedFile",
    "uploaded_files_from",
]


class MissingField(ValueError):
    """Response data lacks a field the client cannot do without, or has it in the wrong type."""


def _mapping(data: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise MissingField(f"{what}: expected a JSON object, got {type(data).__name__}")
    return data


def _required_str(data: Mapping[str, Any], key: str, what: str) -> str:
    value = data.get(key)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)  # an id sent as a number (a 19-digit session id would lose nothing)
    if not isinstance(value, str) or not value:
        raise MissingField(f"{what}: missing or empty field {key!r}")
    return value


def _optional_str(data: Mapping[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = data.get(key)
        if isinstance(value, str) and value:
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _int(value: Any) -> int | None:
    number = _number(value)
    return int(number) if number is not None else None


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """An anonymous token and its account. ``token`` is a secret and never shown in the repr."""

    token: str = field(repr=False)
    user_id: str
    expires_at: str
    credits: int

    @classmethod
    def from_data(cls, data: Any) -> TokenInfo:
        what = "anonymous token"
        data = _mapping(data, what)
        return cls(
            token=_required_str(data, "token", what),
            user_id=_required_str(data, "user_id", what),
            expires_at=_optional_str(data, "expires_at", "expiresAt") or "",
            credits=_int(data.get("credits")) or 0,
        )


@dataclass(frozen=True, slots=True)
class SavedSession:
    """What a client needs to pick a session up again in another process (the CLI keeps it
    in a 0600 file between commands). ``token`` is set only for an anonymous token the client
    fetched itself (a user's own token stays where the user keeps it); it is never in the repr.
    """

    token: str | None = field(default=None, repr=False)
    user_id: str | None = None
    session_id: str | None = None
    task_id: str | None = None


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """A new editing session (``session_id`` is a 19-digit string)."""

    session_id: str
    task_id: str
    user_id: str

    @classmethod
    def from_data(cls, data: Any) -> SessionInfo:
        what = "new session"
        data = _mapping(data, what)
        return cls(
            session_id=_required_str(data, "session_id", what),
            task_id=_optional_str(data, "task_id", "taskId") or "",
            user_id=_optional_str(data, "user_id", "userId") or "",
        )


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """One file the API accepted; ``url`` is its CDN URL (``cdn_url`` or ``url`` on the wire)."""

    filename: str
    file_type: str
    url: str
    duration: float | None = None
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    hash: str | None = None

    @classmethod
    def from_data(cls, data: Any) -> UploadedFile:
        what = "uploaded file"
        data = _mapping(data, what)
        url = _optional_str(data, "cdn_url", "url", "cdnUrl")
        if url is None:
            raise MissingField(f"{what}: neither 'cdn_url' nor 'url' is present")
        filename = _optional_str(data, "filename", "name") or url.rsplit("/", 1)[-1]
        file_type = _optional_str(data, "file_type", "fileType", "type")
        return cls(
            filename=filename,
            file_type=file_type or contract.file_type_of(filename) or "unknown",
            url=url,
            duration=_number(data.get("duration")),
            width=_int(data.get("width")),
            height=_int(data.get("height")),
            fps=_number(data.get("fps")),
            hash=_optional_str(data, "hash"),
        )


def uploaded_files_from(data: Any) -> list[UploadedFile]:
    """The files of an upload result: ``files`` (mock default) or ``uploaded_files`` (variant)."""
    data = _mapping(data, "upload result")
    for key in ("files", "uploaded_files"):
        items = data.get(key)
        if isinstance(items, list):
            return [UploadedFile.from_data(item) for item in items]
    raise MissingField("upload result: neither 'files' nor 'uploaded_files' is a list")


@dataclass(frozen=True, slots=True)
class Credits:
    """The balance: ``frozen`` is held by work in progress; ``total = available + frozen``."""

    available: int
    frozen: int
    total: int

    @classmethod
    def from_data(cls, data: Any) -> Credits:
        data = _mapping(data, "credits")
        available = _int(data.get("available"))
        if available is None:
            raise MissingField("credits: missing or non-numeric field 'available'")
        frozen = _int(data.get("frozen")) or 0
        total = _int(data.get("total"))
        return cls(
            available=available, frozen=frozen, total=available + frozen if total is None else total
        )


@dataclass(frozen=True, slots=True)
class SessionState:
    """A session's latest state; :attr:`draft` is the timeline (``t``/``tt``/``sg``/``d``/``m``)."""

    session_id: str
    task_id: str | None
    task_name: str | None
    state: dict[str, Any]

    @property
    def draft(self) -> dict[str, Any]:
        """The draft, ``{}`` when absent (a draft sent as a JSON string is decoded)."""
        draft = self.state.get("draft")
        if isinstance(draft, str):
            try:
                draft = json.loads(draft)
            except ValueError:
                return {}
        return dict(draft) if isinstance(draft, Mapping) else {}

    @classmethod
    def from_data(cls, data: Any, session_id: str = "") -> SessionState:
        data = _mapping(data, "session state")
        state = data.get("state")
        return cls(
            session_id=_optional_str(data, "session_id", "sessionId") or session_id,
            task_id=_optional_str(data, "task_id", "taskId"),
            task_name=_optional_str(data, "task_name", "taskName"),
            state=dict(state) if isinstance(state, Mapping) else {},
        )


_STATUS_ALIASES = {
    "queued": contract.RenderStatus.PENDING,
    "running": contract.RenderStatus.PROCESSING,
    "in_progress": contract.RenderStatus.PROCESSING,
    "done": contract.RenderStatus.COMPLETED,
    "success": contract.RenderStatus.COMPLETED,
    "succeeded": contract.RenderStatus.COMPLETED,
    "error": contract.RenderStatus.FAILED,
    "canceled": contract.RenderStatus.CANCELLED,
}


_RUNNING = (contract.RenderStatus.PENDING, contract.RenderStatus.PROCESSING)


def _status(value: Any) -> contract.RenderStatus | None:
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    try:
        return contract.RenderStatus(text)
    except ValueError:
        return _STATUS_ALIASES.get(text)


def _percent(value: Any, status: contract.RenderStatus) -> float:
    """Progress as 0–100. A fraction (0 < p < 1, or a float 1.0) is scaled; an integer 1 stays
    1 %, unless the job is done."""
    number = _number(value)
    if status is contract.RenderStatus.COMPLETED:
        return 100.0
    if number is None:
        return 0.0
    if number < 1 or (number == 1 and isinstance(value, float)):
        number *= 100
    return min(max(number, 0.0), 100.0)


@dataclass(frozen=True, slots=True)
class RenderJob:
    """An export job. ``raw`` is the whole response body (for fields the contract leaves open)."""

    id: str
    status: contract.RenderStatus
    progress: float
    output_url: str | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @property
    def done(self) -> bool:
        """Whether the job reached a terminal status (completed, failed or cancelled)."""
        return self.status not in _RUNNING

    @classmethod
    def from_data(cls, body: Any, render_id: str = "") -> RenderJob:
        """Read a render body in either shape: ``data.status`` or ``status``, ``data.outputUrl``
        or ``output.url``; ``render_id`` fills in an id the body leaves out."""
        body = _mapping(body, "render job")
        data = body.get("data") if isinstance(body.get("data"), Mapping) else {}
        output = body.get("output") if isinstance(body.get("output"), Mapping) else {}
        status = _status(data.get("status")) or _status(body.get("status"))
        if status is None:
            raise MissingField(
                f"render job: no known status in 'data.status' or 'status' (got "
                f"{data.get('status', body.get('status'))!r})"
            )
        progress = data.get("progress", body.get("progress"))
        return cls(
            id=_optional_str(data, "id") or _optional_str(body, "taskId", "id") or render_id,
            status=status,
            progress=_percent(progress, status),
            output_url=_optional_str(data, "outputUrl", "output_url")
            or _optional_str(output, "url")
            or _optional_str(body, "outputUrl", "output_url"),
            raw=dict(body),
        )

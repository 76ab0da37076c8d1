"""One decoded SSE item → the typed events of a ``/run_sse`` turn, in either dialect.

The sources disagree on the shape of the stream's JSON (``docs/contract.md``), so :func:`interpret`
reads both the ADK dialect (``{"content": {"parts": [...]}, "author", ...}``) and the simple one
(``{"type": "text", "content": ...}``), and all three heartbeat forms. It never raises: whatever
it cannot read comes out as :class:`UnknownEvent` carrying the raw data, so nothing is lost and a
malformed event never ends a turn that charged credits.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, TypeAlias

from ._sse import SSEComment, SSEEvent
from .contract import HeartbeatForm

__all__ = [
    "Heartbeat",
    "StreamError",
    "TextEvent",
    "ToolCall",
    "ToolResult",
    "TurnEvent",
    "UnknownEvent",
    "interpret",
    "is_visible",
]


@dataclass(frozen=True, slots=True)
class TextEvent:
    """Text from the agent. ``partial`` marks a streaming chunk (ADK ``partial: true``)."""

    text: str
    partial: bool = False
    author: str | None = None


@dataclass(frozen=True, slots=True)
class ToolCall:
    """The agent calling a tool (handled internally, never shown)."""

    name: str
    args: dict[str, Any]
    id: str | None = None


@dataclass(frozen=True, slots=True)
class ToolResult:
    """A tool's result (handled internally, never shown)."""

    name: str
    result: Any
    id: str | None = None


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """Keep-alive: ``form`` says which of the three wire forms it took."""

    form: HeartbeatForm


@dataclass(frozen=True, slots=True)
class StreamError:
    """An error reported inside the stream (after it started)."""

    message: str


@dataclass(frozen=True, slots=True)
class UnknownEvent:
    """Data this client cannot read, kept verbatim for logs and cassettes."""

    raw: str


TurnEvent: TypeAlias = TextEvent | ToolCall | ToolResult | Heartbeat | StreamError | UnknownEvent

#: When an event says there was an error but not what it was.
_UNSPECIFIED_ERROR = "the agent reported an error without a message"
_SYSTEM_ERROR_PREFIX = "Error:"
#: Keys that mark a JSON object as an ADK event even when it carries nothing to show.
_ADK_KEYS = frozenset({"content", "author", "invocationId", "error", "errorCode", "errorMessage"})


class _Malformed(Exception):
    """A known shape with a value of the wrong type; caught inside this module only."""


def interpret(item: SSEEvent | SSEComment) -> list[TurnEvent]:
    """The turn events carried by one decoded SSE item, in order; never raises.

    An ADK event that is well formed but has nothing to report (only ``actions``, say) gives
    ``[]``; data that matches no known shape gives ``[UnknownEvent(raw)]``.
    """
    if isinstance(item, SSEComment):
        return [Heartbeat(HeartbeatForm.COMMENT)]
    if not item.data.strip():
        return [Heartbeat(HeartbeatForm.EMPTY_DATA)]
    value = _parse_json(item.data)
    try:
        if isinstance(value, dict) and isinstance(value.get("type"), str):
            return _simple(value)
        if isinstance(value, dict) and not _ADK_KEYS.isdisjoint(value):
            return _adk(value, item.data)
    except _Malformed:
        pass
    return [UnknownEvent(item.data)]


def is_visible(event: TurnEvent) -> bool:
    """Whether the user should see this event (only the agent's text)."""
    return isinstance(event, TextEvent)


def _parse_json(data: str) -> Any:
    try:
        return json.loads(data)
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        return None


# --- the simple dialect -----------------------------------------------------------------------


def _simple(obj: dict[str, Any]) -> list[TurnEvent]:
    kind = obj["type"]
    if kind == "heartbeat":
        return [Heartbeat(HeartbeatForm.JSON)]
    if kind == "text":
        partial = obj.get("partial") is True
        return [TextEvent(_str(obj.get("content")), partial, _opt_str(obj.get("author")))]
    if kind == "tool_call":
        return [ToolCall(_str(obj.get("name")), _args(obj.get("args")), _opt_str(obj.get("id")))]
    if kind == "tool_result":
        return [ToolResult(_str(obj.get("name")), obj.get("result"), _opt_str(obj.get("id")))]
    if kind == "error":
        return [StreamError(_error_text(obj) or _UNSPECIFIED_ERROR)]
    raise _Malformed(kind)


# --- the ADK dialect --------------------------------------------------------------------------


def _adk(obj: dict[str, Any], raw: str) -> list[TurnEvent]:
    content = obj.get("content")
    parts = _dict(content).get("parts") if content is not None else None
    events: list[TurnEvent] = []
    malformed = False
    if parts is not None:
        if not isinstance(parts, list):
            raise _Malformed("parts")
        author = _opt_str(obj.get("author"))
        partial = obj.get("partial") is True
        for part in parts:
            try:
                events += _adk_part(part, author, partial)
            except _Malformed:
                malformed = True  # keep the good parts; the raw event follows below
    error = _adk_error(obj)
    if error is not None:
        events.append(error)
    if malformed:
        events.append(UnknownEvent(raw))
    return events


def _adk_part(part: Any, author: str | None, partial: bool) -> list[TurnEvent]:
    part = _dict(part)
    if part.get("thought") is True:
        return []  # the model's reasoning, not its reply
    events: list[TurnEvent] = []
    if part.get("text") is not None:
        events.append(_adk_text(_str(part["text"]), author, partial))
    if part.get("functionCall") is not None:
        call = _dict(part["functionCall"])
        name, args = _str(call.get("name")), _args(call.get("args"))
        events.append(ToolCall(name, args, _opt_str(call.get("id"))))
    if part.get("functionResponse") is not None:
        resp = _dict(part["functionResponse"])
        name = _str(resp.get("name"))
        events.append(ToolResult(name, resp.get("response"), _opt_str(resp.get("id"))))
    return events  # parts of other kinds (inlineData, executableCode...) carry nothing for us


def _adk_text(text: str, author: str | None, partial: bool) -> TurnEvent:
    stripped = text.lstrip()
    if author == "system" and stripped.startswith(_SYSTEM_ERROR_PREFIX):
        message = stripped[len(_SYSTEM_ERROR_PREFIX) :].strip()
        return StreamError(message or _UNSPECIFIED_ERROR)
    return TextEvent(text, partial, author)


def _adk_error(obj: dict[str, Any]) -> StreamError | None:
    """``{"error": ...}`` (the ADK server's own) or ``errorCode``/``errorMessage`` (a model's)."""
    if obj.get("error"):  # null, "", {} and false say "no error"
        return StreamError(_error_text(obj) or _UNSPECIFIED_ERROR)
    message, code = obj.get("errorMessage"), obj.get("errorCode")
    message = message.strip() if isinstance(message, str) else ""
    code = str(code) if isinstance(code, (str, int)) and not isinstance(code, bool) else ""
    if message and code:
        return StreamError(f"{message} ({code})")
    if message or code:
        return StreamError(message or code)
    return None


# --- defensive readers ------------------------------------------------------------------------


def _error_text(obj: dict[str, Any], nested: bool = False) -> str | None:
    """The first usable message among the fields servers put errors in.

    ``{"error": {"message": ...}}`` is read one level deep, no further.
    """
    for key in ("message", "error", "content", "detail"):
        value = obj.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
        if key == "error" and isinstance(value, dict) and not nested:
            text = _error_text(value, nested=True)
            if text:
                return text
    return None


def _dict(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Malformed(type(value).__name__)
    return value


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise _Malformed(type(value).__name__)
    return value


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _args(value: Any) -> dict[str, Any]:
    return {} if value is None else _dict(value)

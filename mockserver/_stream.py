"""Plays a :class:`~mockserver._agent.TurnScript` as ``/run_sse`` bytes, in virtual time.

:func:`play_turn` is an async generator of SSE frames. It waits on the shared clock (never on
real time) until each item is due at ``start + item.at``, sends heartbeats every
``config.heartbeat_interval`` seconds while it waits, and returns when the script's duration is
reached: the connection then closes, with no "done" event (the contract's end of a turn).

Choices (the contract leaves them open):

- **Time origin.** Items are due relative to ``start`` (when the turn began, as the state
  recorded it), not to when this generator started. A client that arrives late gets the items
  already due at once, each exactly once, and then the rest on time; heartbeats are counted from
  whichever is later, ``start`` or the moment the stream opened.
- **ADK dialect**: ``{"content": {"parts": [...], "role": "model"}, "author": "nemo_agent",
  "invocationId", "id", "timestamp"}`` with ``"partial": true`` on partial chunks. Event ids are
  derived from the invocation id and the event's number (deterministic); ``timestamp`` is
  ``config.epoch`` plus the virtual time, in seconds. A mid-stream error is ``{"error": text}``,
  or, when the item's payload has ``"form": "system"``, an event with ``author: "system"`` and
  the text ``Error: …`` (the contract's other error form).
- **Simple dialect**: ``{"type": "text", "content"}``, ``{"type": "tool_call", "name", "args"}``,
  ``{"type": "tool_result", "name", "result"}`` (tool events also carry the call's ``id``); an
  error is ``{"type": "error", "error": text}`` (no published shape; it carries the ``error``
  key so both readings work). Partial chunks are
  ``{"type": "text", "content": chunk, "partial": true}`` and **only the chunks** are sent: the
  simple dialect has no "final event repeats the chunks" convention, so sending both would make
  a literal client show the reply twice. Joined, the chunks are exactly the reply.
- **Heartbeats** are ``data: {"type": "heartbeat"}``, an empty ``data:`` or the comment
  ``: ping``, per ``config.heartbeat_form``; the same form in both dialects.
- ``cut_after=K`` raises :class:`StreamCut` after K data events (heartbeats not counted); if the
  script has K events or fewer, the cut comes where the stream would have closed normally, so the
  fault always shows as a broken stream.
- ``stall=True`` sends only heartbeats for :data:`STALL_LIMIT` (20 virtual minutes, longer than
  the client's 15-minute limit) and then closes.
- JSON is one line, ``ensure_ascii=False``, UTF-8.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from typing import Any

from nemokit import contract
from nemokit._clock import Clock

from ._agent import ScriptItem, TurnScript
from ._config import MockConfig

__all__ = ["STALL_LIMIT", "StreamCut", "encode_event", "heartbeat_frame", "play_turn"]

#: How long a stalled stream sends heartbeats before closing (virtual seconds).
STALL_LIMIT = 20 * 60.0

_HEARTBEATS = {
    contract.HeartbeatForm.JSON: b'data: {"type": "heartbeat"}\n\n',
    contract.HeartbeatForm.EMPTY_DATA: b"data:\n\n",
    contract.HeartbeatForm.COMMENT: b": ping\n\n",
}


class StreamCut(Exception):
    """Raised by :func:`play_turn` to break the connection mid-stream (a fault)."""


def heartbeat_frame(form: contract.HeartbeatForm) -> bytes:
    """The bytes of one heartbeat in ``form``."""
    return _HEARTBEATS[contract.HeartbeatForm(form)]


async def play_turn(
    script: TurnScript,
    *,
    start: float,
    clock: Clock,
    config: MockConfig,
    invocation_id: str,
    cut_after: int | None = None,
    stall: bool = False,
) -> AsyncIterator[bytes]:
    """Yield the turn's SSE frames as they fall due on ``clock`` (see the module docstring)."""
    beat = _Heartbeats(clock, config, max(start, clock.now()))
    if stall:
        async for frame in beat.until(beat.last + STALL_LIMIT):
            yield frame
        return
    sent, previous = 0, None
    for number, item in enumerate(script.items):
        if cut_after is not None and sent >= cut_after:
            raise StreamCut(f"stream cut after {sent} events")
        async for frame in beat.until(start + item.at):
            yield frame
        payload = _payload(item, previous, config, invocation_id, number, clock.now())
        previous = item
        if payload is not None:
            yield _frame(payload)
            sent += 1
    if cut_after is not None and sent >= cut_after:
        raise StreamCut(f"stream cut after {sent} events")
    async for frame in beat.until(start + script.duration):
        yield frame
    if cut_after is not None:
        raise StreamCut(f"stream cut after {sent} events (the end of the script)")


class _Heartbeats:
    """Waits on the clock until a deadline, producing a heartbeat every ``interval``."""

    def __init__(self, clock: Clock, config: MockConfig, origin: float) -> None:
        self.clock = clock
        self.interval = config.heartbeat_interval
        self.frame = heartbeat_frame(config.heartbeat_form)
        self.last = origin

    async def until(self, deadline: float) -> AsyncIterator[bytes]:
        while self.last + self.interval < deadline:
            await self._sleep_until(self.last + self.interval)
            self.last += self.interval
            yield self.frame
        await self._sleep_until(deadline)

    async def _sleep_until(self, when: float) -> None:
        # Re-read the clock: others sharing it may have moved it while we were suspended.
        while (left := when - self.clock.now()) > 0:
            await self.clock.asleep(left)


def _frame(payload: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(payload, ensure_ascii=False).encode() + b"\n\n"


def _payload(
    item: ScriptItem,
    previous: ScriptItem | None,
    config: MockConfig,
    invocation_id: str,
    number: int,
    now: float,
) -> dict[str, Any] | None:
    """The JSON of one item, or ``None`` when the dialect leaves it out."""
    if config.dialect == contract.EventDialect.SIMPLE:
        if item.kind == "text" and previous is not None and previous.kind == "partial":
            return None  # the chunks already said it (see the module docstring)
        return _simple(item)
    event_id = hashlib.sha256(f"{invocation_id}/{number}".encode()).hexdigest()[:16]
    return encode_event(
        item, invocation_id=invocation_id, event_id=event_id, timestamp=config.epoch + now
    )


def encode_event(
    item: ScriptItem, *, invocation_id: str, event_id: str, timestamp: float
) -> dict[str, Any]:
    """One script item as an ADK event (the default dialect)."""
    payload = item.payload
    if item.kind == "error":
        text = str(payload.get("text", "error"))
        if payload.get("form") != "system":
            return {"error": text}
        parts: list[dict[str, Any]] = [{"text": f"Error: {text}"}]
        author = "system"
    else:
        parts, author = [_adk_part(item)], contract.APP_NAME
    event: dict[str, Any] = {
        "content": {"parts": parts, "role": "model"},
        "author": author,
        "invocationId": invocation_id,
        "id": event_id,
        "timestamp": round(timestamp, 3),
    }
    if item.kind == "partial":
        event["partial"] = True
    return event


def _adk_part(item: ScriptItem) -> dict[str, Any]:
    payload = item.payload
    if item.kind == "tool_call":
        call = {"id": payload.get("id"), "name": payload.get("name"), "args": payload.get("args")}
        return {"functionCall": call}
    if item.kind == "tool_result":
        response = payload.get("response")
        return {
            "functionResponse": {
                "id": payload.get("id"),
                "name": payload.get("name"),
                "response": response,
            }
        }
    return {"text": str(payload.get("text", ""))}


def _simple(item: ScriptItem) -> dict[str, Any]:
    payload = item.payload
    if item.kind == "tool_call":
        return {
            "type": "tool_call",
            "name": payload.get("name"),
            "args": payload.get("args"),
            "id": payload.get("id"),
        }
    if item.kind == "tool_result":
        return {
            "type": "tool_result",
            "name": payload.get("name"),
            "result": payload.get("response"),
            "id": payload.get("id"),
        }
    if item.kind == "error":
        return {"type": "error", "error": str(payload.get("text", "error"))}
    event: dict[str, Any] = {"type": "text", "content": str(payload.get("text", ""))}
    if item.kind == "partial":
        event["partial"] = True
    return event

"""Plays a :class:`~mockserver.agent.TurnScript` as ``/run_sse`` bytes, in virtual time.

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
- JSON is one line, ``ensure_ascii=False``, UTF-8, except in the ``multiline`` framing.
- **Framing** (``config.sse_framing``, the WHATWG edge cases a robust reader must survive; the
  events decode the same under every one): ``lf`` (``data: <json>\n\n``), ``crlf`` and ``cr``
  (every line ends ``\r\n`` or a bare ``\r``), ``multiline`` (the JSON pretty-printed across
  several ``data:`` lines, which the reader joins with ``\n``: JSON whitespace), ``ids`` (an
  ``id:`` line on each event, then a comment line and a blank line right after it: the
  httpx-sse #35 trap, where a reader dispatches an empty event because an id is set) and
  ``chunked`` (CRLF lines sent in odd-sized pieces, cut between the ``\r`` and the ``\n`` of
  every CRLF and inside the first multi-byte UTF-8 character of each frame). Heartbeats use the
  same line endings and pieces.
- ``config.slow_turn_seconds`` > 0 makes a **long turn**: before the script plays, the turn
  works that long, sending a tool call/result pair every :data:`LONG_PROGRESS_EVERY` seconds
  between heartbeats (never stalled), then the script's items (all due by then) and the close.
  The session's state follows the script's own times, so the edit lands before the stream says
  so; a client that keeps to the 15-minute limit has stopped reading long before.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import AsyncIterator
from typing import Any

from nemokit import contract
from nemokit._clock import Clock

from .._config import SSE_FRAMINGS, MockConfig
from ._plan import ScriptItem, TurnScript

__all__ = [
    "LONG_PROGRESS_EVERY",
    "STALL_LIMIT",
    "StreamCut",
    "encode_event",
    "frame_event",
    "frame_heartbeat",
    "heartbeat_frame",
    "play_turn",
    "split_frame",
]

#: How long a stalled stream sends heartbeats before closing (virtual seconds).
STALL_LIMIT = 20 * 60.0
#: How often a long turn shows progress (a tool call and its result), in virtual seconds.
LONG_PROGRESS_EVERY = 4 * 60.0

_HEARTBEATS = {
    contract.HeartbeatForm.JSON: b'data: {"type": "heartbeat"}\n\n',
    contract.HeartbeatForm.EMPTY_DATA: b"data:\n\n",
    contract.HeartbeatForm.COMMENT: b": ping\n\n",
}


class StreamCut(Exception):
    """Raised by :func:`play_turn` to break the connection mid-stream (a fault)."""


def heartbeat_frame(form: contract.HeartbeatForm) -> bytes:
    """The bytes of one heartbeat in ``form`` (the ``lf`` framing)."""
    return _HEARTBEATS[contract.HeartbeatForm(form)]


_EOL = {"lf": b"\n", "crlf": b"\r\n", "cr": b"\r", "multiline": b"\n", "ids": b"\n"}
_EOL["chunked"] = b"\r\n"  # so that there is a CRLF to split
#: The sizes of the pieces a ``chunked`` frame is cut into, in turn (odd on purpose).
_PIECES = (5, 41, 17, 97, 3)


def _eol(framing: str) -> bytes:
    if framing not in SSE_FRAMINGS:
        raise ValueError(f"sse_framing must be one of {', '.join(SSE_FRAMINGS)}, got {framing!r}")
    return _EOL[framing]


def frame_event(payload: Any, framing: str = "lf", *, event_id: str | None = None) -> list[bytes]:
    """The sends that carry one event's JSON in ``framing`` (see the module docstring)."""
    eol = _eol(framing)
    indent = 1 if framing == "multiline" else None
    text = json.dumps(payload, ensure_ascii=False, indent=indent)
    lines = [f"data: {line}" for line in text.split("\n")]
    if framing == "ids" and event_id is not None:
        lines.insert(0, f"id: {event_id}")
    frame = eol.join(line.encode() for line in lines) + eol + eol
    if framing == "ids":  # the trap: a comment and a blank line while an id is in force
        return [frame, b": keep-alive" + eol + eol]
    return split_frame(frame) if framing == "chunked" else [frame]


def frame_heartbeat(form: contract.HeartbeatForm | str, framing: str = "lf") -> list[bytes]:
    """The sends that carry one heartbeat in ``form`` and ``framing``."""
    eol = _eol(framing)
    frame = heartbeat_frame(contract.HeartbeatForm(form)).replace(b"\n", eol)
    return split_frame(frame) if framing == "chunked" else [frame]


def split_frame(frame: bytes) -> list[bytes]:
    """``frame`` cut into odd-sized pieces, always between the two bytes of a CRLF and inside
    the first multi-byte UTF-8 character; joined, the pieces are ``frame``."""
    cuts = {i for i in range(1, len(frame)) if frame[i - 1 : i + 1] == b"\r\n"}
    lead = next((i for i, byte in enumerate(frame) if byte >= 0xC0), None)
    if lead is not None and lead + 1 < len(frame):
        cuts.add(lead + 1)
    at, turn = 0, 0
    while (at := at + _PIECES[turn % len(_PIECES)]) < len(frame):
        cuts.add(at)
        turn += 1
    bounds = [0, *sorted(cuts), len(frame)]
    return [frame[a:b] for a, b in itertools.pairwise(bounds) if b > a]


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
    if config.slow_turn_seconds > 0:
        async for frame in _long_work(beat, start, config, invocation_id):
            yield frame
    sent, previous = 0, None
    for number, item in enumerate(script.items):
        if cut_after is not None and sent >= cut_after:
            raise StreamCut(f"stream cut after {sent} events")
        async for frame in beat.until(start + item.at):
            yield frame
        payload = _payload(item, previous, config, invocation_id, number, clock.now())
        previous = item
        if payload is not None:
            for frame in frame_event(payload, config.sse_framing, event_id=str(number)):
                yield frame
            sent += 1
    if cut_after is not None and sent >= cut_after:
        raise StreamCut(f"stream cut after {sent} events")
    async for frame in beat.until(start + script.duration):
        yield frame
    if cut_after is not None:
        raise StreamCut(f"stream cut after {sent} events (the end of the script)")


async def _long_work(
    beat: _Heartbeats, start: float, config: MockConfig, invocation_id: str
) -> AsyncIterator[bytes]:
    """A tool call and its result every :data:`LONG_PROGRESS_EVERY` seconds, with heartbeats
    between, until ``start + config.slow_turn_seconds``."""
    end, step = start + config.slow_turn_seconds, 1
    while (at := start + step * LONG_PROGRESS_EVERY) < end:
        async for frame in beat.until(at):
            yield frame
        call = {"id": f"progress_{step}", "name": "analyze_footage", "args": {"pass": step}}
        result = {**call, "response": {"status": "working", "pass": step}}
        for number, item in enumerate(
            (
                ScriptItem(at - start, "tool_call", call),
                ScriptItem(at - start, "tool_result", result),
            )
        ):
            payload = _payload(item, None, config, invocation_id, 10_000 + 2 * step + number, at)
            for frame in frame_event(payload, config.sse_framing, event_id=f"p{step}.{number}"):
                yield frame
        step += 1
    async for frame in beat.until(end):
        yield frame


class _Heartbeats:
    """Waits on the clock until a deadline, producing a heartbeat every ``interval``."""

    def __init__(self, clock: Clock, config: MockConfig, origin: float) -> None:
        self.clock = clock
        self.interval = config.heartbeat_interval
        self.frames = frame_heartbeat(config.heartbeat_form, config.sse_framing)
        self.last = origin

    async def until(self, deadline: float) -> AsyncIterator[bytes]:
        while self.last + self.interval < deadline:
            await self._sleep_until(self.last + self.interval)
            self.last += self.interval
            for frame in self.frames:
                yield frame
        await self._sleep_until(deadline)

    async def _sleep_until(self, when: float) -> None:
        # Re-read the clock: others sharing it may have moved it while we were suspended.
        while (left := when - self.clock.now()) > 0:
            await self.clock.asleep(left)


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

"""Keeps what a streamed (``text/event-stream``) response sent in its journal entry.

The bytes are read as they are sent, whatever the framing (LF, CRLF, CR, split anywhere, an
event across several ``data:`` lines), by :class:`_Reader`: the WHATWG line rules, kept to what
a journal needs (``data`` and comment lines). It is the mock's own on purpose, not the client's
decoder: a test instrument must not share the code it is used to check. Each item is noted with
the virtual time it left: ``{"time", "kind", ...}`` where ``kind`` is

- ``heartbeat`` with its ``form`` (``json``, ``empty`` or ``comment``);
- ``text``, ``partial`` (a chunk), ``tool_call``, ``tool_result`` or ``error``, with ``data``
  (the event's JSON) and, for text, ``text``; ``event`` for anything else;
- ``comment`` for another comment line (the ``ids`` framing's keep-alive);
- ``stall`` when a fault made the turn send only heartbeats, ``cut`` when the stream broke
  (a fault, or the client left), ``end`` when it closed normally.

Both dialects are read: ADK (``content.parts`` with ``text``, ``functionCall``,
``functionResponse``; ``partial: true``) and simple (``{"type": ...}``).
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

from nemokit._clock import Clock

from ..state import EVENTS_CAP, JournalEntry

__all__ = ["Comment", "Data", "StreamLog", "classify"]

#: How much of one event's text a journal entry keeps, in characters.
TEXT_CAP = 2000
#: Chunks up to this size that were whole events are remembered with what they were read as
#: (heartbeats, mostly), at most this many of them.
_FRAME_BYTES, _FRAMES_CAP = 256, 64
_FRAMES: dict[bytes, tuple[dict[str, Any], ...]] = {}


@dataclass(frozen=True, slots=True)
class Data:
    """An event's data (its ``data:`` lines joined with ``\n``)."""

    data: str


@dataclass(frozen=True, slots=True)
class Comment:
    """A comment line, without its ``:`` and one leading space."""

    text: str


Item: TypeAlias = Data | Comment


class _Reader:
    """Bytes in any chunks → events and comments (WHATWG line rules; other fields ignored)."""

    def __init__(self) -> None:
        self._text = codecs.getincrementaldecoder("utf-8")("replace")
        self._line: list[str] = []
        self._data: list[str] = []
        self._after_cr = False

    @property
    def clean(self) -> bool:
        """Between events: no line, event data or UTF-8 sequence is waiting for more bytes."""
        return not (self._line or self._data or self._after_cr) and not self._text.getstate()[0]

    def feed(self, chunk: bytes, *, final: bool = False) -> list[Item]:
        items: list[Item] = []
        text = self._text.decode(chunk, final)
        start = 0
        for at, char in enumerate(text):
            if char not in "\r\n":
                continue
            if char == "\n" and self._after_cr and at == start:  # the LF of a CRLF
                self._after_cr = False
                start = at + 1
                continue
            self._line.append(text[start:at])
            self._process("".join(self._line), items)
            self._line = []
            self._after_cr = char == "\r"
            start = at + 1
        if start < len(text):
            self._after_cr = False
            self._line.append(text[start:])
        if final and self._line:
            self._process("".join(self._line), items)
            self._line = []
        return items

    def _process(self, line: str, items: list[Item]) -> None:
        if not line:
            if self._data:
                items.append(Data("\n".join(self._data)))
                self._data = []
        elif line.startswith(":"):
            text = line[1:]
            items.append(Comment(text[1:] if text.startswith(" ") else text))
        else:
            name, _, value = line.partition(":")
            if name == "data":
                self._data.append(value[1:] if value.startswith(" ") else value)


class StreamLog:
    """Feeds a streamed response's bytes to a decoder and notes each item in ``entry``."""

    def __init__(self, entry: JournalEntry, clock: Clock) -> None:
        self.entry, self.clock = entry, clock
        self.decoder: _Reader | None = None  # made when a stream starts: most answers are JSON
        self.ended = False

    @property
    def streaming(self) -> bool:
        return self.decoder is not None

    def start(self) -> None:
        self.decoder = _Reader()

    def feed(self, chunk: bytes) -> None:
        decoder = self.decoder
        if decoder is None or not chunk:
            return
        # A heartbeat is the same few bytes every time, many thousands a second across the
        # streams of a busy mock: a small chunk seen before, arriving at an event's boundary,
        # is noted from what it was read as then instead of being decoded again.
        known = _FRAMES.get(chunk) if decoder.clean else None
        if known is None:
            clean = decoder.clean
            items = [classify(item) for item in decoder.feed(chunk)]
            if clean and decoder.clean and _worth_keeping(chunk, items):
                _FRAMES[chunk] = tuple(items)
            self._note(items)
        else:
            self._note(known)

    def end(self) -> None:
        if self.decoder is not None:
            self._note([classify(item) for item in self.decoder.feed(b"", final=True)])
        self.mark("end")

    def broke(self) -> None:
        """The exchange is over: a stream that did not close normally was cut."""
        if self.decoder is not None and not self.ended:
            self.mark("cut", reason=self.entry.error or "the stream broke off")

    def mark(self, kind: str, **extra: Any) -> None:
        """Note an event that is not in the bytes (the end, a cut, a stall)."""
        if kind in ("end", "cut"):
            if self.ended:
                return
            self.ended = True
        self.entry.add_event({"time": self.clock.now(), "kind": kind, **extra})

    def _note(self, items: Sequence[dict[str, Any]]) -> None:
        entry = self.entry
        if len(entry.events) >= EVENTS_CAP:  # past the cap events are only counted
            entry.events_dropped += len(items)
            return
        now = self.clock.now()
        for item in items:
            entry.add_event({"time": now, **item})


def _worth_keeping(chunk: bytes, items: list[dict[str, Any]]) -> bool:
    """Whether to remember how ``chunk`` was read: a small one of heartbeats and keep-alive
    comments only (their notes hold no event data to share between entries)."""
    return (
        len(items) > 0
        and len(chunk) <= _FRAME_BYTES
        and len(_FRAMES) < _FRAMES_CAP
        and all(item["kind"] in ("heartbeat", "comment") for item in items)
    )


def classify(item: Item) -> dict[str, Any]:
    """What one SSE item is, as the dashboard's timeline shows it."""
    if isinstance(item, Comment):
        if item.text == "ping":
            return {"kind": "heartbeat", "form": "comment"}
        return {"kind": "comment", "text": item.text[:TEXT_CAP]}
    if item.data == "":
        return {"kind": "heartbeat", "form": "empty"}
    try:
        data = json.loads(item.data)
    except ValueError:
        return {"kind": "event", "text": item.data[:TEXT_CAP]}
    if not isinstance(data, dict):
        return {"kind": "event", "data": data}
    if data.get("type") == "heartbeat":
        return {"kind": "heartbeat", "form": "json"}
    return {**_kind_of(data), "data": data}


def _kind_of(data: dict[str, Any]) -> dict[str, Any]:
    if "error" in data:
        return {"kind": "error", "text": str(data["error"])[:TEXT_CAP]}
    kind = data.get("type")
    if isinstance(kind, str):  # the simple dialect
        if kind == "text":
            text = str(data.get("content", ""))[:TEXT_CAP]
            return {"kind": "partial" if data.get("partial") else "text", "text": text}
        if kind in ("tool_call", "tool_result"):
            return {"kind": kind, "name": data.get("name")}
        return {"kind": "event"}
    content = data.get("content")
    parts = content.get("parts") if isinstance(content, dict) else None
    for part in parts if isinstance(parts, list) else []:
        if not isinstance(part, dict):
            continue
        if "functionCall" in part:
            return {"kind": "tool_call", "name": _name(part["functionCall"])}
        if "functionResponse" in part:
            return {"kind": "tool_result", "name": _name(part["functionResponse"])}
        if "text" in part:
            text = str(part["text"])[:TEXT_CAP]
            if data.get("author") == "system" and text.startswith("Error"):
                return {"kind": "error", "text": text}
            return {"kind": "partial" if data.get("partial") else "text", "text": text}
    return {"kind": "event"}


def _name(call: Any) -> Any:
    return call.get("name") if isinstance(call, dict) else None

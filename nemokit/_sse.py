"""An incremental Server-Sent Events decoder: bytes in, events and comments out.

It follows the WHATWG "event stream interpretation" rules
(https://html.spec.whatwg.org/multipage/server-sent-events.html) exactly, with two additions the
API needs:

- Comment lines are surfaced as :class:`SSEComment` instead of being ignored, because one
  heartbeat form is the comment ``: ping`` and a caller must see it as activity.
- At the end of the stream (:meth:`SSEDecoder.flush`) a final line without a line break is still
  processed as a line (so a trailing ``: ping`` or ``retry:`` counts); an event without its
  terminating blank line is discarded, as the spec says.

There is no I/O here (h11's habit): the caller feeds whatever chunks the transport gives, split
anywhere, and gets the same items as if the stream had come in one piece.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeAlias

__all__ = ["SSEComment", "SSEDecoder", "SSEEvent", "SSEItem", "decode_all"]


@dataclass(frozen=True, slots=True)
class SSEEvent:
    """One dispatched event.

    ``id`` is the last event ID in force when the event was dispatched (``None`` when it is the
    empty string: none was sent, or ``id`` with no value reset it). ``retry`` is the reconnection
    time in milliseconds in force at dispatch, ``None`` if the stream never set a valid one.
    """

    event: str = "message"
    data: str = ""
    id: str | None = None
    retry: int | None = None


@dataclass(frozen=True, slots=True)
class SSEComment:
    """A comment line (``: ping`` gives ``text="ping"``; one leading space is stripped)."""

    text: str


SSEItem: TypeAlias = SSEEvent | SSEComment


class SSEDecoder:
    """Turns the bytes of one event stream, in chunks of any size, into events and comments.

    Linear in the input: a chunk is decoded and split once; a line that spans chunks is kept as a
    list of pieces and joined once when its line break arrives.
    """

    def __init__(self) -> None:
        self._last_event_id = ""
        self._retry: int | None = None
        self._reset_stream()

    @property
    def last_event_id(self) -> str | None:
        """The event source's last event ID (``None`` for the empty string)."""
        return self._last_event_id or None

    @property
    def retry(self) -> int | None:
        """The reconnection time in milliseconds set by the stream, if any."""
        return self._retry

    def feed(self, chunk: bytes) -> list[SSEItem]:
        """Decode one chunk; return the items completed by it, in stream order."""
        return self._feed_text(self._text.decode(chunk, False))

    def flush(self) -> list[SSEItem]:
        """End the stream: process a final unterminated line, drop an undispatched event.

        The decoder is then ready for another stream (a reconnection): ``last_event_id`` and
        ``retry`` carry over, as they do for an ``EventSource``.
        """
        items = self._feed_text(self._text.decode(b"", True))
        last_line = "".join(self._partial)
        if last_line:  # an empty one is no line at all: it must not dispatch the pending event
            self._process_line(last_line, items)
        self._reset_stream()
        return items

    # --- internals ----------------------------------------------------------------------------

    def _reset_stream(self) -> None:
        # utf-8-sig strips one BOM at the very start only, even when it is split across chunks,
        # and "replace" gives U+FFFD for invalid bytes, as the spec's "UTF-8 decode" does.
        self._text = codecs.getincrementaldecoder("utf-8-sig")("replace")
        self._partial: list[str] = []  # pieces of the line not yet terminated
        self._skip_lf = False  # the previous text ended with CR: a leading LF is its CRLF
        self._data: list[str] = []  # the data buffer, one entry per data line
        self._event_type = ""
        self._id_buffer = ""  # per the spec, a new stream's last event ID buffer starts empty

    def _feed_text(self, text: str) -> list[SSEItem]:
        items: list[SSEItem] = []
        if not text:
            return items
        if self._skip_lf and text[0] == "\n":
            text = text[1:]
        self._skip_lf = text.endswith("\r")
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        if len(lines) == 1:
            self._partial.append(lines[0])
            return items
        self._partial.append(lines[0])
        lines[0] = "".join(self._partial)
        self._partial = [lines.pop()]
        for line in lines:
            self._process_line(line, items)
        return items

    def _process_line(self, line: str, items: list[SSEItem]) -> None:
        if not line:
            self._dispatch(items)
        elif line[0] == ":":
            items.append(SSEComment(_strip_space(line[1:])))
        else:
            name, colon, value = line.partition(":")
            self._process_field(name, _strip_space(value) if colon else "")

    def _process_field(self, name: str, value: str) -> None:
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event_type = value
        elif name == "id" and "\0" not in value:
            self._id_buffer = value
        elif name == "retry" and value.isascii() and value.isdigit():
            self._retry = int(value)
        # Any other field name is ignored, as the spec says.

    def _dispatch(self, items: list[SSEItem]) -> None:
        self._last_event_id = self._id_buffer
        if not self._data:
            # An empty data buffer dispatches nothing: a blank line after a comment is not an
            # event, whatever id is in force (httpx-sse issue #35).
            self._event_type = ""
            return
        event = SSEEvent(
            event=self._event_type or "message",
            data="\n".join(self._data),
            id=self._last_event_id or None,
            retry=self._retry,
        )
        self._data = []
        self._event_type = ""
        items.append(event)


def _strip_space(value: str) -> str:
    return value[1:] if value[:1] == " " else value


def decode_all(chunks: Iterable[bytes]) -> list[SSEItem]:
    """Decode a whole stream given as chunks, flushing at the end."""
    decoder = SSEDecoder()
    items: list[SSEItem] = []
    for chunk in chunks:
        items.extend(decoder.feed(chunk))
    items.extend(decoder.flush())
    return items

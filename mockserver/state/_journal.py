"""The request journal: every API request as received, stamped with virtual time.

An entry is created when a request arrives and filled in as it proceeds (its body as the app
read it, the response status and contract code, the ``/run_sse`` message, a fault applied). It
keeps the headers exactly as received, in order and with duplicates, because conformance checks
them (the journal is a test instrument: it does hold the mock's tokens as they were sent).

The journal is bounded: past ``cap`` entries the oldest are dropped and counted in ``dropped``.
A streamed response keeps what it sent as ``events`` (at most :data:`EVENTS_CAP`, the rest
counted in ``events_dropped``), each stamped with the virtual time it was sent, so a turn's
timeline can be shown after the fact (``mockserver.http._stream_log`` fills it in).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

__all__ = ["BODY_TEXT_CAP", "EVENTS_CAP", "Journal", "JournalEntry"]

#: How much of a non-JSON, non-multipart body an entry keeps, in characters.
BODY_TEXT_CAP = 64 * 1024
#: How many events of one streamed response an entry keeps (a stalled turn sends ~60 heartbeats).
EVENTS_CAP = 500


@dataclass(slots=True)
class JournalEntry:
    """One request. ``time`` is the virtual time it arrived; the rest fills in as it proceeds.

    ``raw_headers`` are the header pairs as received (bytes); ``headers`` gives them as text,
    decoded when first read rather than on every request.
    """

    seq: int
    time: float
    method: str
    path: str
    query: str
    raw_headers: list[tuple[bytes, bytes]] = field(repr=False)
    client: str | None
    body: Any = field(default=None, repr=False)
    body_kind: str = "none"  # none | json | text | multipart | truncated
    status: int | None = None
    code: int | None = None
    message: str | None = None
    fault: str | None = None
    error: str | None = None
    completed: bool = False
    #: The documented earlier form(s) the request used: "<what>; documented until guide X;
    #: now: <current form>" (several joined by " | "); ``None`` for a current request.
    deprecated: str | None = None
    #: What a streamed response sent, in order: ``{"time", "kind", ...}`` (see ``_stream_log``).
    events: list[dict[str, Any]] = field(default_factory=list, repr=False)
    events_dropped: int = 0
    _decoded: list[tuple[str, str]] | None = field(default=None, repr=False, compare=False)

    @property
    def headers(self) -> list[tuple[str, str]]:
        """The headers as received, in order and with duplicates, as (name, value) text."""
        if self._decoded is None:
            self._decoded = [
                (k.decode("latin-1"), v.decode("latin-1")) for k, v in self.raw_headers
            ]
        return self._decoded

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or ``None``."""
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "time": self.time,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": [[k, v] for k, v in self.headers],
            "client": self.client,
            "body": self.body,
            "body_kind": self.body_kind,
            "status": self.status,
            "code": self.code,
            "message": self.message,
            "fault": self.fault,
            "error": self.error,
            "completed": self.completed,
            "deprecated": self.deprecated,
            "events": list(self.events),
            "events_dropped": self.events_dropped,
        }

    def add_event(self, event: dict[str, Any]) -> None:
        """Keep one event of the streamed response (past :data:`EVENTS_CAP`, only count it)."""
        if len(self.events) < EVENTS_CAP:
            self.events.append(event)
        else:
            self.events_dropped += 1


def _raw_pairs(
    headers: Sequence[tuple[bytes, bytes]] | Sequence[tuple[str, str]],
) -> list[tuple[bytes, bytes]]:
    if not headers or isinstance(headers[0][0], bytes):
        return list(cast("Sequence[tuple[bytes, bytes]]", headers))  # one C-level copy
    return [(str(k).encode("latin-1"), str(v).encode("latin-1")) for k, v in headers]


class Journal:
    """A bounded, thread-safe list of :class:`JournalEntry`, oldest first."""

    def __init__(self, cap: int = 10_000) -> None:
        if cap < 1:
            raise ValueError(f"journal cap must be at least 1, got {cap}")
        self._entries: deque[JournalEntry] = deque(maxlen=cap)
        self._lock = threading.Lock()
        self._seq = 0
        self.dropped = 0

    def __repr__(self) -> str:
        return f"Journal(entries={len(self)}, dropped={self.dropped})"

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    @property
    def cap(self) -> int:
        return self._entries.maxlen or 0

    def record(
        self,
        *,
        time: float,
        method: str,
        path: str,
        query: str,
        headers: Sequence[tuple[bytes, bytes]] | Sequence[tuple[str, str]],
        client: str | None,
    ) -> JournalEntry:
        """A new entry for a request that has just arrived.

        ``headers`` as received: the ASGI scope's bytes pairs (kept as they are; decoded when
        read), or text pairs (encoded as latin-1, as HTTP headers are).
        """
        raw = _raw_pairs(headers)
        with self._lock:
            self._seq += 1
            entry = JournalEntry(self._seq, time, method, path, query, raw, client)
            if len(self._entries) == self._entries.maxlen:
                self.dropped += 1
            self._entries.append(entry)
            return entry

    def entries(
        self, *, since: float | None = None, path: str | None = None, after: int | None = None
    ) -> list[JournalEntry]:
        """Entries that arrived at or after virtual time ``since`` (and on ``path``); with
        ``after``, only those whose ``seq`` is greater (a cursor: ``seq`` only grows)."""
        with self._lock:
            found = list(self._entries)
        if after is not None:
            found = [e for e in found if e.seq > after]
        if since is not None:
            found = [e for e in found if e.time >= since]
        if path is not None:
            found = [e for e in found if e.path == path]
        return found

    def get(self, seq: int) -> JournalEntry | None:
        """The entry numbered ``seq``, or ``None`` (never recorded, or dropped)."""
        with self._lock:
            return next((e for e in self._entries if e.seq == seq), None)

    def last(self) -> JournalEntry | None:
        with self._lock:
            return self._entries[-1] if self._entries else None

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.dropped = 0

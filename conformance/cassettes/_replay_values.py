"""What a replay router is told and what it reports: record modes, misses, stats and its log.

:class:`RecordMode` (VCR.py's four modes, parsed loudly), :class:`CassetteMiss` (a request the
cassette has no answer for, naming the nearest recorded one), :class:`ReplayStats` and
:class:`LogEntry` (one answered request, its secrets replaced only when first read).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Literal

import httpx

from nemokit._errors import ConfigurationError

from ._cassette import CassetteError, RecordedRequest
from ._match import live_request


class RecordMode(str, enum.Enum):
    """When to record and when to replay (VCR.py's four modes).

    ========================  ====================================================================
    ``none``                  replay only; a request not in the cassette is a :class:`CassetteMiss`
    ``once``                  no cassette file yet: record everything; else exactly like ``none``
    ``new_episodes``          replay what matches; send misses to the real transport and append
    ``all``                   send everything to the real transport; the saved cassette holds only
                              this run (VCR.py keeps the old ones too; a fresh file is what makes
                              re-recording deterministic)
    ========================  ====================================================================
    """

    NONE = "none"
    ONCE = "once"
    NEW_EPISODES = "new_episodes"
    ALL = "all"

    @classmethod
    def parse(cls, value: str | RecordMode) -> RecordMode:
        """The mode named by ``value``; anything else is a ConfigurationError naming the choices."""
        try:
            return cls(value.lower() if isinstance(value, str) else value)
        except ValueError:
            allowed = ", ".join(mode.value for mode in cls)
            raise ConfigurationError(
                f"unknown record mode {value!r}: use one of {allowed}"
            ) from None


class CassetteMiss(CassetteError):
    """A request the cassette has no (more) answer for.

    ``request`` is the request as matched (secrets as ``<TOKEN>``), ``nearest`` the index of the
    closest recorded interaction (or ``None``), ``differences`` what differed from it.
    """

    def __init__(
        self,
        request: RecordedRequest,
        *,
        file: str,
        nearest: int | None,
        nearest_request: RecordedRequest | None,
        differences: tuple[str, ...],
    ) -> None:
        if nearest_request is None:
            detail = "the cassette holds no interactions"
        else:
            detail = (
                f"nearest recorded: interactions[{nearest}] {nearest_request.describe()}; "
                + "; ".join(differences)
            )
        super().__init__(f"no recorded answer for {request.describe()} ({detail})", file=file)
        self.request = request
        self.nearest = nearest
        self.differences = differences


@dataclass(slots=True)
class ReplayStats:
    """Counters of a router's work (``comparisons``: recorded interactions examined to answer)."""

    requests: int = 0
    replayed: int = 0
    recorded: int = 0
    misses: int = 0
    comparisons: int = 0


@dataclass(frozen=True, slots=True)
class _Sent:
    """What a request carried, kept as sent (immutable pieces) until the log is read."""

    method: str
    url: httpx.URL
    headers: list[tuple[bytes, bytes]]
    content: bytes

    def capture(self) -> RecordedRequest:
        request = httpx.Request(self.method, self.url, headers=self.headers, content=self.content)
        return live_request(request)


class LogEntry:
    """One request the router answered: what came (secrets as ``<TOKEN>``), and from where.

    ``index`` is the cassette interaction that answered (``None`` for a live or missed request),
    ``source`` is ``"cassette"``, ``"live"`` or ``"miss"``, ``at`` the clock's time.

    ``request`` is captured (and its secrets replaced) when first read, not when the request is
    answered: replay does not need the headers to match, so a test that never reads the log
    does not pay for redacting them.
    """

    __slots__ = ("_at", "_index", "_request", "_sent", "_source")

    def __init__(
        self,
        request: RecordedRequest | _Sent,
        index: int | None,
        source: Literal["cassette", "live", "miss"],
        at: float,
    ) -> None:
        self._request: RecordedRequest | None = None
        self._sent: _Sent | None = None
        if isinstance(request, _Sent):
            self._sent = request
        else:
            self._request = request
        self._index, self._source, self._at = index, source, at

    @property
    def request(self) -> RecordedRequest:
        if self._request is None:
            assert self._sent is not None
            self._request, self._sent = self._sent.capture(), None
        return self._request

    @property
    def index(self) -> int | None:
        return self._index

    @property
    def source(self) -> Literal["cassette", "live", "miss"]:
        return self._source

    @property
    def at(self) -> float:
        return self._at

    def _fields(self) -> tuple[RecordedRequest, int | None, str, float]:
        return (self.request, self._index, self._source, self._at)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LogEntry) and self._fields() == other._fields()

    __hash__ = None  # type: ignore[assignment]  # like the dataclass it was: holds dicts

    def __repr__(self) -> str:
        return (
            f"LogEntry(request={self.request!r}, index={self._index!r}, "
            f"source={self._source!r}, at={self._at!r})"
        )


def _sent(request: httpx.Request) -> _Sent:
    # The headers are copied (an auth flow may change them before sending the request again).
    return _Sent(request.method, request.url, request.headers.raw, request.content)

"""Replay: a respx router that answers from a cassette, in constant time per request.

``build_router(cassette)`` gives a :class:`CassetteRouter` (a ``respx.MockRouter``); plug it into
any client with ``httpx.MockTransport(router.handler)`` (or ``router.async_handler`` when the
real transport of a recording mode is async). Nothing is monkeypatched.

Matching
    A request's key is (method, path, query, body fingerprint), computed after the same secret
    detection as recording but writing every secret and every placeholder as its bare kind
    (``<TOKEN>``): a request recorded with ``Bearer <TOKEN_1>`` matches a live one with any
    token, and a body that held a claim token matches any claim token. Headers and the host are
    not part of the key, so a cassette recorded against the real API replays for a client
    pointed anywhere. The index maps each key to a queue of interactions in recorded order:
    one dictionary probe per request whatever the cassette's size (``router.stats.comparisons``
    counts the recorded interactions examined, so a test can assert that). Identical requests
    (render polls) get their recorded answers in order: pending, processing, completed.

Repeats
    As in VCR.py (``allow_playback_repeats=False``), an interaction is played once: a request
    whose recorded answers are used up is a miss. With ``allow_playback_repeats=True`` the last
    answer repeats.

Misses
    A miss raises :class:`CassetteMiss` from the handler. It is deliberately *not* an
    ``httpx.TransportError``: a client that survives network errors (retry, disconnect recovery)
    must not swallow a test's mistake, so the miss escapes the client and fails the test. It is
    also kept in ``router.misses`` for a fixture to check at teardown. Its message names the
    nearest recorded request (same method and path first) and what differed, with secrets
    already replaced.

Streams
    SSE responses replay as streams of their recorded blocks: instantly (``timing="instant"``),
    at recorded pace (``"recorded"``) or scaled (a float multiplies the recorded gaps: ``0.001``
    is a thousand times faster), waiting on ``clock`` (``sleep`` or ``asleep``, so a
    ``VirtualClock`` makes it instant in real time). A recorded ``cut`` ends the stream with
    ``httpx.RemoteProtocolError``, as a real cut does.

Record modes (VCR.py's): see :class:`RecordMode`.
"""

from __future__ import annotations

import enum
import inspect
import json
import os
import pathlib
import re
from collections import deque
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from typing import Any, Literal, TypeAlias

import httpx
import respx

from nemokit import contract
from nemokit._clock import Clock, SystemClock
from nemokit._errors import ConfigurationError

from ._cassette import (
    BinaryBody,
    Cassette,
    CassetteError,
    JsonBody,
    MultipartBody,
    RecordedRequest,
    RecordedResponse,
    TextBody,
    load_cassette,
)
from ._record import (
    AsyncRecordingTransport,
    BodySink,
    Recorder,
    RecordingTransport,
    capture_body,
    capture_request,
)
from ._redact import Redactor

__all__ = [
    "LOG_CAP",
    "CassetteMiss",
    "CassetteRouter",
    "LogEntry",
    "RecordMode",
    "ReplayStats",
    "build_router",
    "request_key",
]

#: How many entries ``router.log`` keeps by default (the most recent; like the mock's journal).
LOG_CAP = 10_000

Key: TypeAlias = tuple[str, str, tuple[tuple[str, tuple[str, ...]], ...], str]
Timing: TypeAlias = Literal["instant", "recorded"] | float


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


# --- the index ----------------------------------------------------------------------------------

_MATCHING = Redactor.for_matching()
#: The prefixes of the secrets the matching redactor finds by pattern (tokens, claim tokens,
#: user ids); ``test_replay_fast_path`` checks this against ``KINDS``.
_SECRET_PREFIXES = (contract.TOKEN_PREFIX, contract.CLAIM_TOKEN_PREFIX, contract.USER_ID_PREFIX)
#: Render ids are made by the client (wall time and a random suffix in nemokit's ``Core``), so
#: they legitimately differ between a recording and its replay: matched as one kind, like secrets.
_RENDER_ID = re.compile(r"(?<![A-Za-z0-9_])render_[A-Za-z0-9_\-]+")


#: Text without any of these is its own generic form: every secret pattern of the matching
#: redactor starts with one of the prefixes, every placeholder with "<", a render id "render_".
_MARKERS = re.compile("|".join(re.escape(marker) for marker in (*_SECRET_PREFIXES, "<", "render_")))


def _generic(text: str) -> str:
    """``text`` as the index sees it: secrets, placeholders and render ids as bare kinds."""
    if _MARKERS.search(text) is None:
        return text  # the common path: nothing to replace, and no regex substitution run
    return _RENDER_ID.sub("<RENDER_ID>", _MATCHING.text(text))


def request_key(request: RecordedRequest) -> Key:
    """The index key of a recorded or live request, placeholders and secrets as bare kinds."""
    query = tuple(
        sorted(
            (_MATCHING.text(k), tuple(_MATCHING.text(v) for v in vs))
            for k, vs in request.query.items()
        )
    )
    return (request.method.upper(), _generic(request.path), query, _fingerprint(request))


def _fingerprint(request: RecordedRequest) -> str:
    body = request.body
    if isinstance(body, JsonBody):
        text = json.dumps(_MATCHING.json(body.value), sort_keys=True, separators=(",", ":"))
        return "json:" + _RENDER_ID.sub("<RENDER_ID>", text)
    if isinstance(body, TextBody):
        return "text:" + _generic(body.text)
    if isinstance(body, BinaryBody):
        return f"binary:{body.size}:{body.sha256}"
    if isinstance(body, MultipartBody):
        parts = [(_MATCHING.text(p.name), p.filename and _MATCHING.text(p.filename),
                  p.content_type, p.size, p.sha256) for p in body.parts]  # fmt: skip
        return "multipart:" + json.dumps(parts)
    return ""


def _matched(request: httpx.Request) -> RecordedRequest:
    """The parts of a live request that make its key, redacted exactly as ``live_request`` does.

    Headers are not part of the key, so they are left out (redacting them was most of the cost
    of a replayed request); the query is parsed only when there is one.
    """
    query: dict[str, list[str]] = {}
    if request.url.query:
        for key, value in request.url.params.multi_items():
            query.setdefault(_MATCHING.text(key), []).append(_MATCHING.text(value))
    content, body = request.content, None
    if content:
        sink = BodySink()
        sink.feed(content)
        body = capture_body(sink, request.headers.get("content-type"), _MATCHING)
    # The path is left as sent: request_key redacts it (``_generic``), and redacting is idempotent.
    return RecordedRequest(request.method.upper(), request.url.path, query, body=body)


def _sent(request: httpx.Request) -> _Sent:
    # The headers are copied (an auth flow may change them before sending the request again).
    return _Sent(request.method, request.url, request.headers.raw, request.content)


def live_request(request: httpx.Request) -> RecordedRequest:
    """A live request as the index sees it (its body must have been read)."""
    sink = BodySink()
    sink.feed(request.content)
    return capture_request(request, sink, Redactor.for_matching())


# --- what differed ------------------------------------------------------------------------------

_MAX_DIFFS = 5


def differences(recorded: RecordedRequest, live: RecordedRequest) -> tuple[str, ...]:
    """What differs between two requests, as short phrases (values are already redacted)."""
    a, b = request_key(recorded), request_key(live)
    found: list[str] = []
    if a[0] != b[0]:
        found.append(f"method {a[0]} recorded, {b[0]} sent")
    if a[1] != b[1]:
        found.append(f"path {a[1]} recorded, {b[1]} sent")
    recorded_query, live_query = dict(a[2]), dict(b[2])
    for name in sorted(recorded_query.keys() | live_query.keys()):
        if recorded_query.get(name) != live_query.get(name):
            found.append(f"query key {name!r}: {_show(recorded_query.get(name))} recorded, "
                         f"{_show(live_query.get(name))} sent")  # fmt: skip
    if a[3] != b[3]:
        found.extend(_body_differences(recorded, live))
    return tuple(found[:_MAX_DIFFS]) or (
        "the same request: all its recorded answers were already played "
        "(allow_playback_repeats=False)",
    )


def _body_differences(recorded: RecordedRequest, live: RecordedRequest) -> list[str]:
    if isinstance(recorded.body, JsonBody) and isinstance(live.body, JsonBody):
        paths: list[str] = []
        _json_diff(_MATCHING.json(recorded.body.value), _MATCHING.json(live.body.value), "", paths)
        return [f"body key {path}" for path in paths] or ["body"]
    kinds = (_kind(recorded.body), _kind(live.body))
    if kinds[0] != kinds[1]:
        return [f"body: {kinds[0]} recorded, {kinds[1]} sent"]
    return [f"body ({kinds[0]}) differs"]


def _json_diff(a: Any, b: Any, path: str, out: list[str]) -> None:
    if len(out) >= _MAX_DIFFS:
        return
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(a.keys() | b.keys()):
            where = f"{path}.{key}" if path else key
            if key not in a or key not in b:
                out.append(f"{where} {'only sent' if key in b else 'only recorded'}")
            else:
                _json_diff(a[key], b[key], where, out)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _json_diff(x, y, f"{path}[{i}]", out)
    elif a != b:
        out.append(f"{path or '(whole body)'}: {_show(a)} recorded, {_show(b)} sent")


def _show(value: Any, limit: int = 40) -> str:
    text = "absent" if value is None else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _kind(body: object) -> str:
    return type(body).__name__.removesuffix("Body").lower() if body is not None else "no body"


def _nearest(keys: list[Key], live: Key) -> int | None:
    """The closest recorded request: same method and path first, then fewest differing parts."""

    def distance(i: int) -> tuple[bool, int, int]:
        other = keys[i]
        query_a, query_b = dict(other[2]), dict(live[2])
        query = sum(query_a.get(k) != query_b.get(k) for k in query_a.keys() | query_b.keys())
        return (other[:2] != live[:2], query + (other[3] != live[3]), i)

    return min(range(len(keys)), key=distance) if keys else None


# --- streams ------------------------------------------------------------------------------------


class _ReplayStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """Recorded blocks played back, each after its recorded gap times ``scale`` on ``clock``."""

    def __init__(
        self,
        blocks: list[tuple[float, bytes]],
        *,
        cut: bool,
        request: httpx.Request,
        clock: Clock,
        scale: float,
    ) -> None:
        self._blocks, self._cut, self._request = blocks, cut, request
        self._clock, self._scale = clock, scale

    def _gaps(self) -> Iterator[tuple[float, bytes]]:
        previous = 0.0
        for t, data in self._blocks:
            yield max(t - previous, 0.0) * self._scale, data
            previous = t

    def __iter__(self) -> Iterator[bytes]:
        for wait, data in self._gaps():
            if wait > 0:
                self._clock.sleep(wait)
            yield data
        self._end()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for wait, data in self._gaps():
            if wait > 0:
                await self._clock.asleep(wait)
            yield data
        self._end()

    def _end(self) -> None:
        if self._cut:
            raise httpx.RemoteProtocolError(
                "peer closed connection without sending complete message body "
                "(the recorded stream was cut here)",
                request=self._request,
            )


def _body_bytes(response: RecordedResponse) -> tuple[bytes, dict[str, str]]:
    body, extra = response.body, {}
    if isinstance(body, JsonBody):
        data = json.dumps(body.value, ensure_ascii=False, separators=(",", ":")).encode()
    elif isinstance(body, TextBody):
        data = body.text.encode()
    elif isinstance(body, BinaryBody) and body.data is not None:
        data = body.data
    elif isinstance(body, BinaryBody):
        data = b""  # too big to keep: say so instead of inventing bytes
        extra["x-cassette-body-omitted"] = f"{body.size} bytes, sha256 {body.sha256}"
    else:
        data = b""
    return data, extra


def replay_response(
    recorded: RecordedResponse, request: httpx.Request, *, clock: Clock, scale: float
) -> httpx.Response:
    """An ``httpx.Response`` for ``request`` that plays ``recorded`` back."""
    headers = dict(recorded.headers)
    if recorded.events is not None:
        blocks = [(event.t, event.raw.encode()) for event in recorded.events]
    else:
        data, extra = _body_bytes(recorded)
        headers.update(extra)
        if not recorded.cut:
            return httpx.Response(recorded.status, headers=headers, content=data, request=request)
        blocks = [(0.0, data)]
    stream = _ReplayStream(blocks, cut=recorded.cut, request=request, clock=clock, scale=scale)
    return httpx.Response(recorded.status, headers=headers, stream=stream, request=request)


def _scale(timing: Timing) -> float:
    if timing == "instant":
        return 0.0
    if timing == "recorded":
        return 1.0
    if isinstance(timing, (int, float)) and not isinstance(timing, bool) and timing >= 0:
        return float(timing)
    raise ConfigurationError(
        f"unknown timing {timing!r}: use 'instant', 'recorded' or a scale >= 0 (0.5: twice as fast)"
    )


# --- the router ---------------------------------------------------------------------------------


class CassetteRouter(respx.MockRouter):
    """A ``respx.MockRouter`` answering from a cassette (built by :func:`build_router`).

    ``stats``, ``log`` and ``misses`` say what happened; ``cassette`` is the cassette as it now
    stands (with anything recorded); :meth:`save` writes it when something was recorded.

    ``log`` keeps the last ``log_cap`` entries (:data:`LOG_CAP` by default; ``stats.requests``
    counts them all): a router replaying for a long-lived process must not grow without end.
    """

    def __init__(
        self,
        playable: Cassette,
        *,
        source: str,
        mode: RecordMode,
        recorder: Recorder | None = None,
        real: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None,
        clock: Clock | None = None,
        scale: float = 0.0,
        allow_playback_repeats: bool = False,
        log_cap: int = LOG_CAP,
    ) -> None:
        if log_cap < 1:
            raise ConfigurationError(f"log_cap must be at least 1, got {log_cap}")
        super().__init__(assert_all_called=False, assert_all_mocked=True)
        self.source, self.mode = source, mode
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.scale, self.allow_playback_repeats = scale, allow_playback_repeats
        self.stats = ReplayStats()
        self.log: deque[LogEntry] = deque(maxlen=log_cap)
        self.misses: list[CassetteMiss] = []
        self._playable, self._recorder, self._real = playable, recorder, real
        self._keys = [request_key(i.request) for i in playable.interactions]
        self._index: dict[Key, deque[int]] = {}
        for position, key in enumerate(self._keys):
            self._index.setdefault(key, deque()).append(position)
        self._last: dict[Key, int] = {}
        # Each plain (not streamed) recorded response built once, on its first play, and
        # copied for every play after: encoding the body and the headers is not redone.
        self._plain: dict[int, httpx.Response] = {}
        self.route(name="cassette").mock(side_effect=self._answer)

    @property
    def cassette(self) -> Cassette:
        """The cassette as it now stands: what was played, plus anything recorded."""
        return self._recorder.cassette if self._recorder is not None else self._playable

    def save(self, path: str | os.PathLike[str] | None = None) -> pathlib.Path | None:
        """Write the cassette if anything was recorded (atomically); its path, else ``None``."""
        if self._recorder is None or not self._recorder.recorded:
            return None
        return self._recorder.save(path)

    def handler(self, request: httpx.Request) -> httpx.Response:
        """Answer ``request`` (the transport's handler: ``httpx.MockTransport(router.handler)``).

        Called straight rather than through respx's route resolution, which inspects the side
        effect's signature and records a call per request (unbounded) for nothing here.
        """
        request.read()
        response = self._answer(request)
        if not isinstance(response, httpx.Response):
            if inspect.iscoroutine(response):
                response.close()  # never awaited: close it rather than leak a warning
            raise ConfigurationError(
                "this router records through an async transport: use router.async_handler"
            )
        return response

    async def async_handler(self, request: httpx.Request) -> httpx.Response:
        """Answer ``request`` for an async client (``MockTransport(router.async_handler)``)."""
        await request.aread()
        response = self._answer(request)
        if inspect.isawaitable(response):
            response = await response
        assert isinstance(response, httpx.Response)
        return response

    def _answer(self, request: httpx.Request) -> Any:
        key = request_key(_matched(request))
        self.stats.requests += 1
        position = self._take(key)
        if position is not None:
            self.stats.replayed += 1
            self.log.append(LogEntry(_sent(request), position, "cassette", self.clock.now()))
            return self._replay(position, request)
        if self._recorder is not None and self._real is not None:
            self.stats.recorded += 1
            self.log.append(LogEntry(_sent(request), None, "live", self.clock.now()))
            return self._send_live(self._recorder, self._real, request)
        live = live_request(request)
        miss = self._miss(live, key)
        self.stats.misses += 1
        self.misses.append(miss)
        self.log.append(LogEntry(live, None, "miss", self.clock.now()))
        raise miss

    def _replay(self, position: int, request: httpx.Request) -> httpx.Response:
        """Play interaction ``position`` back for ``request``."""
        template = self._plain.get(position)
        if template is None:
            recorded = self._playable.interactions[position].response
            if recorded.events is not None or recorded.cut:
                return replay_response(recorded, request, clock=self.clock, scale=self.scale)
            data, extra = _body_bytes(recorded)
            headers = {**recorded.headers, **extra}
            template = self._plain[position] = httpx.Response(
                recorded.status, headers=headers, content=data
            )
        # As respx clones a route's fixed response: the same (immutable) bytes, copied headers.
        response = httpx.Response(
            template.status_code, headers=template.headers, stream=template.stream, request=request
        )
        response.read()
        return response

    def _take(self, key: Key) -> int | None:
        """The next recorded answer for ``key``: one dictionary probe, one candidate examined."""
        queue = self._index.get(key)
        if queue:
            self.stats.comparisons += 1
            position = self._last[key] = queue.popleft()
            return position
        if self.allow_playback_repeats and key in self._last:
            self.stats.comparisons += 1
            return self._last[key]
        return None

    def _miss(self, live: RecordedRequest, key: Key) -> CassetteMiss:
        nearest = _nearest(self._keys, key)
        recorded = self._playable.interactions[nearest].request if nearest is not None else None
        return CassetteMiss(
            live,
            file=self.source,
            nearest=nearest,
            nearest_request=recorded,
            differences=differences(recorded, live) if recorded is not None else (),
        )

    @staticmethod
    def _send_live(
        recorder: Recorder,
        real: httpx.BaseTransport | httpx.AsyncBaseTransport,
        request: httpx.Request,
    ) -> Any:
        # A sync real transport answers at once; an async one gives a coroutine, which respx
        # awaits when the router is used through ``router.async_handler``.
        if isinstance(real, httpx.BaseTransport):
            return RecordingTransport(real, recorder).handle_request(request)
        return AsyncRecordingTransport(real, recorder).handle_async_request(request)


def build_router(
    cassette: Cassette | str | os.PathLike[str],
    *,
    mode: RecordMode | str = RecordMode.NONE,
    real: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None,
    timing: Timing = "instant",
    clock: Clock | None = None,
    redactor: Redactor | None = None,
    allow_playback_repeats: bool = False,
    log_cap: int = LOG_CAP,
) -> CassetteRouter:
    """A router that replays ``cassette`` (a path or a loaded :class:`Cassette`).

    ``real`` is the transport that record modes send to (the mock, or the real API); ``clock``
    paces recorded timing and stamps the log and new recordings; ``redactor`` cleans what is
    recorded (by default a new one that continues the cassette's placeholder numbers);
    ``log_cap`` bounds ``router.log`` (the most recent entries are kept).
    """
    mode, scale = RecordMode.parse(mode), _scale(timing)
    loaded, path, source = _open(cassette, mode)
    if mode is RecordMode.NONE or (mode is RecordMode.ONCE and loaded is not None):
        if loaded is None:
            raise CassetteError("no such cassette (record mode 'none' only replays)", file=source)
        return CassetteRouter(loaded, source=source, mode=mode, clock=clock, scale=scale,
                              allow_playback_repeats=allow_playback_repeats,
                              log_cap=log_cap)  # fmt: skip
    if real is None:
        raise ConfigurationError(f"record mode {mode.value!r} needs a real transport (real=...)")
    fresh = Cassette(recorded_with=_version())
    playable = loaded if mode is RecordMode.NEW_EPISODES and loaded is not None else fresh
    base = playable if mode is RecordMode.NEW_EPISODES else _metadata_only(loaded, fresh)
    recorder = Recorder(base, path=path, clock=clock, redactor=redactor)
    return CassetteRouter(
        playable, source=source, mode=mode, recorder=recorder, real=real, clock=clock,
        scale=scale, allow_playback_repeats=allow_playback_repeats, log_cap=log_cap,
    )  # fmt: skip


def _open(
    cassette: Cassette | str | os.PathLike[str], mode: RecordMode
) -> tuple[Cassette | None, pathlib.Path | None, str]:
    if isinstance(cassette, Cassette):
        return cassette, None, "<memory>"
    path = pathlib.Path(cassette)
    if mode is RecordMode.ALL and not path.exists():
        return None, path, str(path)
    exists = path.exists() or mode is RecordMode.NONE
    return (load_cassette(path) if exists else None), path, str(path)


def _metadata_only(loaded: Cassette | None, fresh: Cassette) -> Cassette:
    if loaded is None:
        return fresh
    return replace(loaded, interactions=(), recorded_with=fresh.recorded_with)


def _version() -> str:
    from nemokit import __version__

    return __version__

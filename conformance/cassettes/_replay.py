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

Secrets
    By default the client receives the placeholders as they are on disk (``<TOKEN_1>``). With
    ``secrets=LiveSecrets()`` it receives realistic per-run values in their place
    (``nmv_usr_…``, ``clm_…``; see :mod:`._replay_secrets`), so a rule can look for them.

Record modes (VCR.py's): see :class:`RecordMode`.

This module holds the router; the key and miss diffing are in :mod:`._match`, the playback of
responses in :mod:`._playback`, and the modes, misses, stats and log entries in
:mod:`._replay_values`. Their names are importable from here.
"""

from __future__ import annotations

import inspect
import os
import pathlib
from collections import deque
from dataclasses import replace
from typing import Any

import httpx
import respx

from nemokit._clock import Clock, SystemClock
from nemokit._errors import ConfigurationError

from ._cassette import Cassette, CassetteError, RecordedRequest, load_cassette
from ._match import _MATCHING as _MATCHING
from ._match import _RENDER_ID as _RENDER_ID
from ._match import _SECRET_PREFIXES as _SECRET_PREFIXES
from ._match import Key, _nearest, differences, live_request, request_key
from ._match import _generic as _generic
from ._match import _matched as _matched
from ._playback import Timing, _body_bytes, _scale, replay_response
from ._record import AsyncRecordingTransport, Recorder, RecordingTransport
from ._redact import Redactor
from ._replay_secrets import LiveSecrets
from ._replay_values import CassetteMiss, LogEntry, RecordMode, ReplayStats, _sent

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
        secrets: LiveSecrets | None = None,
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
        self.secrets = secrets
        self._keys = [request_key(i.request) for i in playable.interactions]
        self._index: dict[Key, deque[int]] = {}
        for position, key in enumerate(self._keys):
            self._index.setdefault(key, deque()).append(position)
        self._last: dict[Key, int] = {}
        # Each plain (not streamed) recorded response built once, on its first play, and
        # copied for every play after: encoding the body and the headers is not redone.
        self._plain: dict[int, httpx.Response] = {}
        # Nothing to replay, everything recorded (mode ``all``, or a first recording): a
        # request's key is never looked up, so it is not worked out either.
        self._live_only = not self._keys and recorder is not None and real is not None
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

    def log_live(self, request: httpx.Request) -> None:
        """Note in :attr:`log` that ``request`` went to the real transport."""
        self.log.append(LogEntry(_sent(request), None, "live", self.clock.now()))

    def _answer(self, request: httpx.Request) -> Any:
        self.stats.requests += 1
        # With nothing to replay (``_live_only``) a request's key is never needed.
        key = None if self._live_only else request_key(_matched(request))
        position = None if key is None else self._take(key)
        if position is not None:
            self.stats.replayed += 1
            self.log.append(LogEntry(_sent(request), position, "cassette", self.clock.now()))
            return self._replay(position, request)
        if self._recorder is not None and self._real is not None:
            self.stats.recorded += 1
            self.log_live(request)
            return self._send_live(self._recorder, self._real, request)
        assert key is not None  # live-only routers have a recorder and a real transport
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
            if self.secrets is not None:
                data = self.secrets.fill(data)
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
    secrets: LiveSecrets | None = None,
) -> CassetteRouter:
    """A router that replays ``cassette`` (a path or a loaded :class:`Cassette`).

    ``real`` is the transport that record modes send to (the mock, or the real API); ``clock``
    paces recorded timing and stamps the log and new recordings; ``redactor`` cleans what is
    recorded (by default a new one that continues the cassette's placeholder numbers);
    ``log_cap`` bounds ``router.log`` (the most recent entries are kept); ``secrets`` hands out
    realistic per-run values for the token placeholders (replay only).
    """
    mode, scale = RecordMode.parse(mode), _scale(timing)
    loaded, path, source = _open(cassette, mode)
    if mode is RecordMode.NONE or (mode is RecordMode.ONCE and loaded is not None):
        if loaded is None:
            raise CassetteError("no such cassette (record mode 'none' only replays)", file=source)
        return CassetteRouter(loaded, source=source, mode=mode, clock=clock, scale=scale,
                              allow_playback_repeats=allow_playback_repeats,
                              log_cap=log_cap, secrets=secrets)  # fmt: skip
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

"""Playing a recorded response back: plain bodies as bytes, streams block by block on a clock.

SSE responses replay as their recorded blocks, instantly, at recorded pace or scaled (``timing``),
waiting on ``clock``; a recorded ``cut`` ends the stream with ``httpx.RemoteProtocolError``. A
binary body too big to have been kept is answered empty with an ``x-cassette-body-omitted``
header rather than with invented bytes.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Literal, TypeAlias

import httpx

from nemokit._clock import Clock
from nemokit._errors import ConfigurationError

from ._cassette import BinaryBody, JsonBody, RecordedResponse, TextBody

Timing: TypeAlias = Literal["instant", "recorded"] | float


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

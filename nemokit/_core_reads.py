"""The I/O steps of :class:`~nemokit._core.Core`'s flows and the readers of what comes back.

:func:`send`, :func:`read_chunk` and :func:`drain` are flow steps (they yield ``Send``, ``Read``
and ``Close``) that turn a transport failure into a :class:`NemoConnectionError` naming the host;
the rest read one kind of response into a value or an error. None of them holds state.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

import httpx

from . import contract
from ._errors import APIError, NemoConnectionError, UnexpectedResponse
from ._flow import Close, Flow, Read, Send
from ._models import MissingField, RenderJob
from ._responses import error_in, read_value

__all__ = [
    "ERROR_BODY_LIMIT",
    "claim_token_of",
    "connection_error",
    "drain",
    "is_json",
    "not_a_stream",
    "read_cancel",
    "read_chunk",
    "send",
]

#: How much of a refused stream's body is read to find out why (an error body is small).
ERROR_BODY_LIMIT = 1024 * 1024


def send(request: httpx.Request, stream: bool = False) -> Flow[httpx.Response]:
    """Send ``request``; a transport failure becomes a :class:`NemoConnectionError`."""
    try:
        response: httpx.Response = yield Send(request, stream=stream)
    except httpx.TransportError as exc:
        raise connection_error(exc, request) from exc
    return response


def read_chunk(response: httpx.Response) -> Flow[bytes]:
    """The next chunk of a streamed body (empty at the end)."""
    try:
        chunk: bytes = yield Read(response)
    except httpx.TransportError as exc:
        raise connection_error(exc, response.request) from exc
    return chunk


def drain(response: httpx.Response) -> Flow[httpx.Response]:
    """Read a refused streaming response's body, close it, and return it as a read one."""
    body = bytearray()
    try:
        while len(body) < ERROR_BODY_LIMIT and (chunk := (yield from read_chunk(response))):
            body += chunk
    except GeneratorExit:
        raise
    except BaseException:
        yield Close(response)
        raise
    yield Close(response)
    return httpx.Response(
        response.status_code,
        headers=response.headers,
        content=bytes(body),
        request=response.request,
    )


def claim_token_of(data: Any) -> str:
    """The claim token of a ``/claim-token`` answer's ``data``."""
    token = data.get("claim_token") if isinstance(data, Mapping) else None
    if not isinstance(token, str) or not token:
        raise MissingField("claim token: missing field 'claim_token'")
    return token


def read_cancel(response: httpx.Response, render_id: str) -> RenderJob:
    """A cancel answer; a body without a status reads as ``cancelled``."""
    error = error_in(response, kind="render")
    if error is not None:
        raise error
    try:
        return read_value(response, partial(RenderJob.from_data, render_id=render_id), "render")
    except UnexpectedResponse:
        status = contract.RenderStatus.CANCELLED
        return RenderJob(id=render_id, status=status, progress=0.0, output_url=None, raw={})


def is_json(response: httpx.Response) -> bool:
    """Whether the response says it is JSON (a refused stream does)."""
    return "json" in response.headers.get("Content-Type", "").lower()


def not_a_stream(response: httpx.Response) -> APIError:
    """The error for an answer that should have been a stream and is neither that nor an error."""
    kind = response.headers.get("Content-Type", "no content type")
    return UnexpectedResponse(
        f"expected a stream, got HTTP {response.status_code} with {kind}",
        code=response.status_code,
        status_code=response.status_code,
        request=response.request,
    )


def connection_error(exc: httpx.TransportError, request: httpx.Request) -> NemoConnectionError:
    """A transport failure as the client reports it: what failed and where (no token)."""
    what = type(exc).__name__
    detail = f": {exc}" if str(exc) else ""
    message = (
        f"could not reach {request.url.scheme}://{request.url.netloc.decode()} ({what}{detail})"
    )
    return NemoConnectionError(message, request=request)

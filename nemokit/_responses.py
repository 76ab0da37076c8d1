"""Reading responses into data, or into the error they describe (no I/O).

The variants a robust client survives (``docs/contract.md``):

- the ``{"code", "message", "data"}`` envelope, where a non-zero ``code`` is an error on *any*
  HTTP status;
- the render envelope ``{"success": true, "data"}`` / ``{"success": false, "error"}``;
- the HTTP-status form of business errors (401/404/403/415/413), with or without a JSON body;
- bare HTTP 400/402/429 (``Retry-After`` in seconds or as an HTTP date) and 5xx;
- bodies that are not JSON, or JSON of a shape the contract does not describe
  (:class:`~nemokit.UnexpectedResponse`).

Errors carry the code, the message, the HTTP status, the redacted request and the body; anything
that looks like a token is removed from the message and the body first. The last few readers are
for single answers: a claim token, a cancel, and a ``/run_sse`` answer that is not a stream.
"""

from __future__ import annotations

import email.utils
import json
import math
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from functools import partial
from typing import Any, Literal, TypeGuard, TypeVar

import httpx

from . import contract
from ._errors import APIError, UnexpectedResponse, error_for
from ._models import MissingField, RenderJob

__all__ = [
    "Kind",
    "claim_token_of",
    "error_in",
    "is_json",
    "not_a_stream",
    "parse_retry_after",
    "read_cancel",
    "read_data",
    "read_value",
    "redact_text",
]

T = TypeVar("T")

#: ``envelope``: the code envelope; ``render``: the render envelope (data is the whole body);
#: ``raw``: any 2xx (a download), errors only.
Kind = Literal["envelope", "render", "raw"]

_STATUS_TO_CODE = {status: code for code, status in contract.CODE_HTTP_STATUS.items()}
_BARE_STATUSES = (
    contract.Code.CLIENT_ID_MISSING,
    contract.Code.PLAN_LIMIT,
    contract.Code.RATE_LIMITED,
)
_SECRET = re.compile(
    rf"(?:{re.escape(contract.TOKEN_PREFIX)}|{re.escape(contract.CLAIM_TOKEN_PREFIX)})[\w.\-~+/=]+"
)
_SNIPPET = 200


def redact_text(text: str) -> str:
    """``text`` with anything shaped like a token replaced."""
    return _SECRET.sub("[redacted]", text)


def _redact(value: Any) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {key: _redact(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_redact(item) for item in value]
    return value


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (seconds or an HTTP date); ``None`` if absent
    or unreadable. ``now`` is the reference for a date (the current UTC time by default)."""
    if value is None or not value.strip():
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        pass
    else:
        return max(seconds, 0.0) if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    reference = now if now is not None else datetime.now(timezone.utc)
    return max((when - reference).total_seconds(), 0.0)


def _server_now(response: httpx.Response) -> datetime | None:
    # The server's own Date is the right reference for its Retry-After date (no clock skew).
    date = response.headers.get("Date")
    if not date:
        return None
    try:
        return email.utils.parsedate_to_datetime(date)
    except (TypeError, ValueError, IndexError):
        return None


def _decode(response: httpx.Response) -> tuple[Any, bool]:
    content = response.content
    if not content.strip():
        return None, False
    try:
        return json.loads(content), True
    except (ValueError, UnicodeDecodeError):
        return None, False


def _snippet(response: httpx.Response) -> str:
    text = response.content[:_SNIPPET].decode("utf-8", "replace").strip()
    return redact_text(text) + ("…" if len(response.content) > _SNIPPET else "")


def _message(body: Any, response: httpx.Response) -> str:
    if isinstance(body, dict):
        for key in ("message", "error", "detail", "msg"):
            value = body.get(key)
            if isinstance(value, dict):
                value = value.get("message")
            if isinstance(value, str) and value.strip():
                return redact_text(value.strip())
    status = f"HTTP {response.status_code} {response.reason_phrase}".strip()
    snippet = _snippet(response)
    return f"{status}: {snippet}" if snippet and body is None else status


def _is_code(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _bare(status: int, kind: Kind) -> tuple[type[APIError], int]:
    """The class and code for an error known only by its HTTP status."""
    if kind == "envelope" and status in _STATUS_TO_CODE:
        code = _STATUS_TO_CODE[status]
    elif status == 401:
        code = contract.Code.TOKEN_INVALID
    elif status in _BARE_STATUSES or status >= 500:
        code = status
    elif 200 <= status < 300:
        return APIError, -1  # a render refusal on a 2xx: no code of its own
    else:
        # Outside the code envelope (renders, downloads) a 404 or 409 is about the job or the
        # file, not the session: a plain APIError rather than a guess.
        return (UnexpectedResponse if kind == "envelope" else APIError), status
    return error_for(code), code


def _build(
    cls: type[APIError], message: str, code: int, response: httpx.Response, body: Any
) -> APIError:
    retry_after = parse_retry_after(
        response.headers.get(contract.HEADER_RETRY_AFTER), _server_now(response)
    )
    return cls(
        message,
        code=code,
        status_code=response.status_code,
        request=response.request if _has_request(response) else None,
        body=_redact(body),
        retry_after=retry_after,
    )


def _has_request(response: httpx.Response) -> bool:
    try:
        response.request  # noqa: B018 (the property raises when no request is attached)
    except RuntimeError:
        return False
    return True


def error_in(response: httpx.Response, kind: Kind = "envelope") -> APIError | None:
    """The error ``response`` describes, or ``None`` for a success. The body must be read."""
    body, _ = _decode(response)
    return _error(response, body, kind)


def _error(response: httpx.Response, body: Any, kind: Kind) -> APIError | None:
    status = response.status_code
    if isinstance(body, dict):
        code = body.get("code")
        if _is_code(code) and code != contract.Code.SUCCESS:
            return _build(error_for(code), _message(body, response), code, response, body)
        if body.get("success") is False:
            cls, code = _bare(status, "render")
            return _build(cls, _message(body, response), code, response, body)
    if 200 <= status < 300:
        return None
    cls, code = _bare(status, kind)
    return _build(cls, _message(body, response), code, response, body)


def read_data(response: httpx.Response, kind: Kind = "envelope") -> Any:
    """The ``data`` of an envelope (``kind="envelope"``), the whole body of a render response
    (``kind="render"``), or ``None`` (``kind="raw"``); raises the error the response describes."""
    body, decoded = _decode(response)
    error = _error(response, body, kind)
    if error is not None:
        raise error
    if kind == "raw":
        return None
    if not decoded:
        kind_text = response.headers.get("Content-Type", "no content type")
        raise _unexpected(
            f"expected a JSON body, got {kind_text}: {_snippet(response)!r}", response, None
        )
    if kind == "envelope":
        if not isinstance(body, dict) or not _is_code(body.get("code")):
            raise _unexpected(_shape("a {code, message, data} envelope", body), response, body)
        return body.get("data")
    if not isinstance(body, dict) or not (body.get("success") is True or "data" in body):
        raise _unexpected(_shape('a {"success": true, "data"} render body', body), response, body)
    return body


def _shape(expected: str, body: Any) -> str:
    got = (
        f"an object with keys {sorted(body)[:8]}" if isinstance(body, dict) else type(body).__name__
    )
    return f"expected {expected}, got {got}"


def _unexpected(message: str, response: httpx.Response, body: Any) -> UnexpectedResponse:
    error = _build(UnexpectedResponse, message, response.status_code, response, body)
    assert isinstance(error, UnexpectedResponse)
    return error


def read_value(response: httpx.Response, parse: Callable[[Any], T], kind: Kind = "envelope") -> T:
    """``parse(read_data(response, kind))``; data the parser cannot read is an
    :class:`~nemokit.UnexpectedResponse` naming the missing field."""
    data = read_data(response, kind)
    try:
        return parse(data)
    except MissingField as exc:
        raise _unexpected(str(exc), response, data) from None


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

"""What every mock endpoint reads from a request: the server, the journal entry, the account
of the bearer token, and a JSON body (read incrementally and capped, never trusted).

Each reader refuses bad input with a clear ``ApiError`` naming what was wrong (400, 413, 415,
or 1001 for a token), never a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from starlette.requests import Request

from nemokit import contract

from .._envelopes import ApiError, bad_request
from ..state import Account, JournalEntry, MockState, redact_value
from ._served import Served

__all__ = [
    "JSON_BODY_LIMIT",
    "account_of",
    "bearer_account",
    "client_ip",
    "entry_of",
    "mock_of",
    "read_json",
    "read_object",
    "require_account",
    "take",
]

#: The largest JSON body any endpoint reads, in bytes.
JSON_BODY_LIMIT = 1024 * 1024
_MISSING = object()


def mock_of(request: Request) -> Served:
    """The mock this app serves (``app.state.mock``, set when the app is built)."""
    server: Served = request.app.state.mock
    return server


def entry_of(request: Request) -> JournalEntry | None:
    entry: JournalEntry | None = request.scope.get("mock.entry")
    return entry


def require_account(request: Request) -> Account:
    """The caller's account from ``Authorization: Bearer``; 1001 otherwise."""
    return account_of(mock_of(request).state, request.scope["headers"])


_AUTHORIZATION = contract.HEADER_AUTHORIZATION.lower().encode("latin-1")


def account_of(state: MockState, headers: Iterable[tuple[bytes, bytes]]) -> Account:
    """The account of the first ``Authorization: Bearer`` among the ASGI ``headers``; 1001.

    Read from the scope's bytes (as Starlette's ``Headers.get`` would: the first match, as
    latin-1) without building a ``Request`` header view.
    """
    for name, value in headers:
        if name == _AUTHORIZATION:
            return bearer_account(state, value)
    return bearer_account(state, b"")


def bearer_account(state: MockState, authorization: bytes) -> Account:
    """The account of an ``Authorization`` header's value (``Bearer <token>``); 1001."""
    scheme, _, token = authorization.decode("latin-1").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(
            contract.Code.TOKEN_INVALID, "missing bearer token (Authorization: Bearer …)"
        )
    return state.authenticate(token.strip())


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


async def read_json(request: Request, *, limit: int = JSON_BODY_LIMIT) -> Any:
    """The JSON body, read chunk by chunk and refused (413) past ``limit`` bytes."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media.startswith("multipart/"):
        raise bad_request(f"expected a JSON body (application/json), got {media}", status=415)
    length = request.headers.get("content-length")
    if length is not None and not length.isdigit():
        raise bad_request(f"Content-Length must be a number of bytes, got {length[:40]!r}")
    if length is not None and int(length) > limit:
        raise bad_request(f"the body is {length} bytes; a JSON body may have {limit}", status=413)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise bad_request(f"the JSON body is over {limit} bytes", status=413)
    if not body.strip():
        raise bad_request("the body is empty; expected a JSON object")
    try:
        data = json.loads(bytes(body), parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise bad_request(f"malformed JSON body: {exc}") from None
    _require_unicode(data)
    entry = entry_of(request)
    if entry is not None:
        # A shared mock's journal never holds a token, not even while the request runs.
        redact = mock_of(request).config.redact_journal
        entry.body, entry.body_kind = (redact_value(data) if redact else data), "json"
    return data


def _require_unicode(data: Any) -> None:
    """400 for a ``\\ud800``-style escape: Python parses a lone surrogate into a ``str`` that
    no UTF-8 response, hash or log line can encode later (it used to be a 500 there)."""
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise bad_request(
            "the JSON body has an unpaired surrogate escape (such as \\ud800); "
            "strings must be valid Unicode"
        ) from None
    except RecursionError:
        raise bad_request("malformed JSON body: nested too deeply") from None


async def read_object(request: Request) -> dict[str, Any]:
    data = await read_json(request)
    if not isinstance(data, dict):
        raise bad_request(f"the body must be a JSON object, got {type(data).__name__}")
    return data


def take(
    body: Mapping[str, Any], *names: str, kind: type | tuple[type, ...] = str, required: bool = True
) -> Any:
    """The one of ``names`` present in ``body`` (snake or camel case), type-checked.

    Either spelling is accepted (the contract's robust-server rule); both at once are refused
    with a 400 naming them, since the two could disagree and the document says so
    (``not: {required: [a, b]}``).
    """
    present = [n for n in names if n in body]
    if len(present) > 1:
        raise bad_request(f"send {' or '.join(present)}, not both")
    value = body[present[0]] if present else _MISSING
    if value is _MISSING or value is None:
        if required:
            raise bad_request(f"{names[0]} is required")
        return None
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        expected = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise bad_request(
            f"{names[0]} must be {_JSON_NAMES.get(expected, expected)}, "
            f"got {json.dumps(value)[:60]}"
        )
    if isinstance(value, str) and required and not value.strip():
        raise bad_request(f"{names[0]} must not be empty")
    return value


_JSON_NAMES = {"str": "a string", "dict": "an object", "list": "an array", "bool": "true or false"}


def client_ip(request: Request) -> str:
    """The address the per-IP token limit counts: the socket's peer.

    The first ``X-Forwarded-For`` hop only when the mock was told to trust it
    (``trust_forwarded``, ``nemokit mock --trust-forwarded``, for a mock behind a proxy that sets
    it): otherwise any caller could name a new address on every request and dodge the limit.
    """
    if mock_of(request).config.trust_forwarded:
        forwarded = request.headers.get("x-forwarded-for", "").split(",")[0].strip()
        if forwarded:
            return forwarded[:64]
    return request.client.host if request.client else "unknown"

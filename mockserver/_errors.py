"""The mock's responses: the contract's envelopes, and its errors in the configured style.

Endpoints *raise* :class:`ApiError`; the app renders it. Two body families exist:

- most endpoints: ``{"code": <n>, "message": <text>, "data": null}``;
- render endpoints (``/api/render/...``): ``{"success": false, "error": <text>, "code": <n>}``.
  The contract gives render errors no code; the mock adds one so that a client can still tell
  1001 from 1002 there (a robust client reads ``success``/``error`` and may ignore ``code``).

The HTTP status of a *business* code (1001, 1002, 2001, 4001, 4002) follows the configured
:class:`~nemokit.contract.ErrorStyle`: 200 by default, ``contract.CODE_HTTP_STATUS`` in the
``http_status`` style. Every other code is an HTTP status (400, 402, 404, 405, 409, 413, 415,
429, 500) and is sent as that status in both styles, with the same number as ``code``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.responses import JSONResponse, Response

from nemokit import contract

__all__ = [
    "ApiError",
    "bad_request",
    "error_body",
    "error_response",
    "error_status",
    "is_render_path",
    "json_bytes",
    "json_response",
    "ok",
    "ok_body",
    "render_ok",
]

_RENDER_PREFIX = "/api/render/"


class ApiError(Exception):
    """A refusal that the mock answers with a contract error.

    ``code`` is a contract code (1001…4002) or an HTTP status; ``status`` overrides the status
    that the error style would pick; ``headers`` are added to the response (``Retry-After``,
    ``Allow``); ``extra`` adds fields to the error body.
    """

    def __init__(
        self,
        code: int,
        message: str,
        *,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = int(code)
        self.message = message
        self.status = status
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})

    def __repr__(self) -> str:
        return f"ApiError(code={self.code}, message={self.message!r})"


def bad_request(message: str, *, status: int = 400) -> ApiError:
    """Bad input (malformed JSON, a missing or mistyped field): HTTP 400 in every style."""
    return ApiError(status, message, status=status)


def is_render_path(path: str) -> bool:
    """True for the render endpoints, which use the ``success``/``error`` body."""
    return path.startswith(_RENDER_PREFIX)


def error_status(code: int, style: contract.ErrorStyle) -> int:
    """The HTTP status of ``code`` in ``style``."""
    if code in contract.CODE_HTTP_STATUS:
        if style is contract.ErrorStyle.HTTP_STATUS:
            return contract.CODE_HTTP_STATUS[code]
        return 200
    return code if 400 <= code <= 599 else 400


def error_body(error: ApiError, *, render: bool) -> dict[str, Any]:
    """The JSON body of ``error`` in the envelope family of its endpoint."""
    if render:
        return {"success": False, "error": error.message, "code": error.code, **error.extra}
    return {"code": error.code, "message": error.message, "data": None, **error.extra}


def error_response(error: ApiError, *, style: contract.ErrorStyle, path: str) -> JSONResponse:
    """``error`` as a response, its status from ``style`` unless the error fixed one."""
    status = error.status if error.status is not None else error_status(error.code, style)
    body = error_body(error, render=is_render_path(path))
    return JSONResponse(body, status_code=status, headers=error.headers or None)


def json_bytes(content: Any) -> bytes:
    """``content`` rendered exactly as Starlette's ``JSONResponse`` renders it (compact UTF-8)."""
    return json.dumps(
        content, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
    ).encode("utf-8")


def json_response(body: bytes) -> Response:
    """A 200 ``application/json`` response of bytes rendered already (by :func:`json_bytes`)."""
    return Response(body, media_type="application/json")


_SUCCESS = int(contract.Code.SUCCESS)


def ok_body(data: Any) -> bytes:
    """The bytes of the success envelope ``{"code": 0, "message": "success", "data": data}``."""
    return json_bytes({"code": _SUCCESS, "message": "success", "data": data})


def ok(data: Any) -> Response:
    """The success envelope ``{"code": 0, "message": "success", "data": data}``."""
    return json_response(ok_body(data))


def render_ok(data: Mapping[str, Any], **top: Any) -> JSONResponse:
    """The render endpoints' success body ``{"success": true, **top, "data": data}``."""
    return JSONResponse({"success": True, **top, "data": dict(data)})

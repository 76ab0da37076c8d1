"""The mock's responses: the contract's envelopes, and its errors in the configured style.

Endpoints *raise* :class:`~mockserver._envelopes.ApiError` (defined below the layers, so that the
state can raise it too); the app renders it here. Two body families exist:

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

from collections.abc import Mapping
from typing import Any

from starlette.responses import JSONResponse, Response

from nemokit import contract

from .._envelopes import ApiError, bad_request, json_bytes, ok_body

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


def json_response(body: bytes) -> Response:
    """A 200 ``application/json`` response of bytes rendered already (by :func:`json_bytes`)."""
    return Response(body, media_type="application/json")


def ok(data: Any) -> Response:
    """The success envelope ``{"code": 0, "message": "success", "data": data}``."""
    return json_response(ok_body(data))


def render_ok(data: Mapping[str, Any], **top: Any) -> JSONResponse:
    """The render endpoints' success body ``{"success": true, **top, "data": data}``."""
    return JSONResponse({"success": True, **top, "data": dict(data)})

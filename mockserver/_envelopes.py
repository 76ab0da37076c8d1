"""The contract's bodies as values, below every layer: the refusal and the success envelope.

:class:`ApiError` is a refusal that the mock answers with a contract error; the state raises it
and the HTTP layer (:mod:`mockserver.http`) renders it as a response in the configured style.
:func:`ok_body` is the success envelope's bytes, which the state caches for ``/latest``. Nothing
here knows Starlette; this module imports only ``nemokit.contract``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from nemokit import contract

__all__ = ["ApiError", "bad_request", "json_bytes", "ok_body"]


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


def json_bytes(content: Any) -> bytes:
    """``content`` rendered exactly as Starlette's ``JSONResponse`` renders it (compact UTF-8)."""
    return json.dumps(
        content, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
    ).encode("utf-8")


_SUCCESS = int(contract.Code.SUCCESS)


def ok_body(data: Any) -> bytes:
    """The bytes of the success envelope ``{"code": 0, "message": "success", "data": data}``."""
    return json_bytes({"code": _SUCCESS, "message": "success", "data": data})

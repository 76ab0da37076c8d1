"""The OpenAPI 3.1 document of the Nemo API as the mock serves it (``GET /openapi.json``).

It describes the contract's endpoints only, never ``/__admin/``: bodies, both envelopes, every
variant the contract lists (both upload shapes, the three render status shapes, the two SSE
dialects and the three heartbeat forms), the bearer scheme, the attribution headers and every
error code. Business errors arrive as HTTP 200 with a non-zero ``code`` by default, so each
``200`` of an enveloped endpoint is ``oneOf`` success or error; the ``http_status`` style's
statuses are listed as responses of their own.

The SSE stream is ``text/event-stream``; OpenAPI 3.1 has no schema for a sequence of events, so
the media type carries ``x-event-schema`` (each ``data:`` line's JSON, ``oneOf`` the events of
both dialects and the JSON heartbeat) and the other two heartbeat forms are described in words.

This module assembles the document; its pieces are built in :mod:`._schemas` (with
:mod:`._events` and the shared blocks of :mod:`._common`) and
:mod:`._paths`.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

from nemokit import contract

from ._paths import _parameters, _paths, _responses
from ._schemas import _schemas

__all__ = ["openapi_document"]


@functools.lru_cache(maxsize=1)
def _document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Nemo AI video-editing API (as served by nemokit's mock)",
            "version": "1",
            "description": "The contract in nemokit's docs/contract.md. Business errors "
            "are HTTP 200 with a non-zero code by default; see ErrorCode.",
        },
        "servers": [{"url": contract.DEFAULT_API_URL}],
        "security": [{"bearerAuth": []}],
        "paths": _paths(),
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": f"{contract.TOKEN_PREFIX}…",
                }
            },
            "parameters": _parameters(),
            "responses": _responses(),
            "schemas": _schemas(),
        },
    }


def openapi_document() -> dict[str, Any]:
    """The document (a fresh copy each call, so a caller may change it)."""
    return copy.deepcopy(_document())

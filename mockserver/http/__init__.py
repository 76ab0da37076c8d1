"""The mock over HTTP: the Starlette app and ``MockServer``, the ASGI layer every request passes
(journal, faults, the hot path for the two most polled GETs, a JSON 500 instead of a traceback),
the endpoints, the admin API, the contract's error responses, and the in-process transports that
stream. Endpoints take what they use (the state) or the small :class:`Served` Protocol, never the
server class. It may import :mod:`mockserver.state`, :mod:`mockserver.agent`,
:mod:`mockserver.openapi`, the mock's ground modules (``mockserver._config``, ``_media``,
``_envelopes``), ``nemokit.contract`` and the clock seam ``nemokit._clock``.
"""

from __future__ import annotations

from ._app import MockServer, create_app
from ._errors import error_response
from ._requests_in import JSON_BODY_LIMIT
from ._served import Served
from ._transport import AsyncStreamingTransport, StreamingTransport

__all__ = [
    "JSON_BODY_LIMIT",
    "AsyncStreamingTransport",
    "MockServer",
    "Served",
    "StreamingTransport",
    "create_app",
    "error_response",
]

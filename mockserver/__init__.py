"""mockserver: a stateful Starlette mock of the whole Nemo API, in virtual time.

``MockServer`` bundles the app with its state, request journal, fault rules and clock;
``create_app`` gives just the ASGI app. ``nemokit mock`` serves it under uvicorn.

Its layers, each importing only those below it (``tests/test_layers_mockserver.py`` keeps this):

- :mod:`mockserver.http`: the app, the ASGI layer, the endpoints, the in-process transports;
- :mod:`mockserver.state`: ``MockState``, its records, render jobs, the journal, the faults;
- :mod:`mockserver.agent`: planning a turn and playing it as SSE;
- :mod:`mockserver.openapi`: the OpenAPI document;
- the ground modules every layer may use: ``_config`` (``MockConfig``), ``_media`` (a tiny
  MP4, sniffing uploads) and ``_envelopes`` (``ApiError``, the success envelope's bytes).

Of nemokit the mock imports only the contract's data (``nemokit.contract``) and the clock seam
(``nemokit._clock``), so that the mock and a client can share one virtual clock.
"""

from __future__ import annotations

from ._config import MockConfig
from ._envelopes import ApiError
from ._media import sniff, tiny_mp4
from .agent import ScriptItem, StreamCut, TurnScript, plan_turn, play_turn
from .http import AsyncStreamingTransport, MockServer, StreamingTransport, create_app
from .openapi import openapi_document
from .state import (
    DroppedConnection,
    FaultRule,
    Faults,
    Journal,
    JournalEntry,
    RenderJob,
    new_render_job,
)

__all__ = [
    "ApiError",
    "AsyncStreamingTransport",
    "DroppedConnection",
    "FaultRule",
    "Faults",
    "Journal",
    "JournalEntry",
    "MockConfig",
    "MockServer",
    "RenderJob",
    "ScriptItem",
    "StreamCut",
    "StreamingTransport",
    "TurnScript",
    "create_app",
    "new_render_job",
    "openapi_document",
    "plan_turn",
    "play_turn",
    "sniff",
    "tiny_mp4",
]

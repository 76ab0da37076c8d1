"""mockserver: a stateful Starlette mock of the whole Nemo API, in virtual time.

``MockServer`` bundles the app with its state, request journal, fault rules and clock;
``create_app`` gives just the ASGI app. ``nemokit mock`` serves it under uvicorn.
"""

from __future__ import annotations

from ._agent import ScriptItem, TurnScript, plan_turn
from ._app import MockServer, create_app
from ._config import MockConfig
from ._errors import ApiError
from ._faults import DroppedConnection, FaultRule, Faults
from ._journal import Journal, JournalEntry
from ._media import sniff, tiny_mp4
from ._openapi import openapi_document
from ._render import RenderJob, new_render_job
from ._stream import StreamCut, play_turn
from ._transport import AsyncStreamingTransport, StreamingTransport

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

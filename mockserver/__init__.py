"""mockserver: a stateful Starlette mock of the whole Nemo API, in virtual time.

``MockServer`` bundles the app with its state, request journal, fault rules and clock;
``create_app`` gives just the ASGI app. ``nemokit mock`` serves it under uvicorn.
"""

from __future__ import annotations

from ._app import MockServer, create_app
from ._config import MockConfig
from ._errors import ApiError
from ._faults import DroppedConnection, FaultRule, Faults
from ._journal import Journal, JournalEntry

__all__ = [
    "ApiError",
    "DroppedConnection",
    "FaultRule",
    "Faults",
    "Journal",
    "JournalEntry",
    "MockConfig",
    "MockServer",
    "create_app",
]

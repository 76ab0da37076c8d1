"""The mock's state: :class:`MockState` (accounts, tokens, sessions, credits, turns, uploads,
what a session shows and the render jobs by id, as one class behind one lock), the plain records
it keeps, the render jobs whose status is derived from the clock, the request journal and the
fault rules. Nothing here knows HTTP. It may import :mod:`mockserver.agent` (a turn keeps the
agent's ``TurnScript``), the mock's ground modules (``mockserver._config``, ``_media``,
``_envelopes``), ``nemokit.contract`` and the clock seam ``nemokit._clock``; never
:mod:`mockserver.http` or :mod:`mockserver.openapi`.
"""

from __future__ import annotations

from ._faults import DroppedConnection, FaultRule, Faults
from ._journal import BODY_TEXT_CAP, EVENTS_CAP, Journal, JournalEntry
from ._records import Account, Credits, IssuedToken, Session, Turn, empty_draft
from ._redact import redact_headers, redact_text, redact_value
from ._render import RenderJob, new_render_job
from ._state import MockState

__all__ = [
    "BODY_TEXT_CAP",
    "EVENTS_CAP",
    "Account",
    "Credits",
    "DroppedConnection",
    "FaultRule",
    "Faults",
    "IssuedToken",
    "Journal",
    "JournalEntry",
    "MockState",
    "RenderJob",
    "Session",
    "Turn",
    "empty_draft",
    "new_render_job",
    "redact_headers",
    "redact_text",
    "redact_value",
]

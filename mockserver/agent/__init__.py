"""The mock's agent: it plans a turn from a message, the draft and the uploads (what the message
asks for, the edits on the draft, how the reply is worded) as a timed ``TurnScript``, and plays a
script as SSE bytes in either dialect with heartbeats, in virtual time. It keeps no state and
knows no HTTP. It may import the mock's ground modules (``mockserver._config``),
``nemokit.contract`` and the clock seam ``nemokit._clock``; nothing else of the mock.
"""

from __future__ import annotations

from ._plan import ItemKind, ScriptItem, TurnScript, plan_turn, track_summary
from ._stream import (
    LONG_PROGRESS_EVERY,
    STALL_LIMIT,
    StreamCut,
    encode_event,
    frame_event,
    frame_heartbeat,
    heartbeat_frame,
    play_turn,
    split_frame,
)

__all__ = [
    "LONG_PROGRESS_EVERY",
    "STALL_LIMIT",
    "ItemKind",
    "ScriptItem",
    "StreamCut",
    "TurnScript",
    "encode_event",
    "frame_event",
    "frame_heartbeat",
    "heartbeat_frame",
    "plan_turn",
    "play_turn",
    "split_frame",
    "track_summary",
]

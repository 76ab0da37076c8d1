"""nemokit: a client for the Nemo AI video-editing API, built to be tested offline.

The client is a sans-IO core (``nemokit._flow`` flows that yield requests, waits and views) with
two thin drivers: :class:`Nemo` (sync) and :class:`AsyncNemo` (async), both over httpx and both
taking ``transport=`` and ``clock=``. ``nemokit.contract`` holds the API contract's data.
"""

from __future__ import annotations

from . import contract
from ._async_client import AsyncNemo
from ._client import Nemo
from ._clock import Clock, ScaledClock, SystemClock, VirtualClock
from ._config import Config
from ._conversation import AsyncConversation, Conversation, problem_for
from ._core import Core
from ._draft import Segment, Timeline, Track, diff_drafts, diff_state
from ._errors import (
    APIError,
    ClientIdMissing,
    ConfigurationError,
    FileTooLarge,
    LocalFileTooLarge,
    LocalUnsupportedFileType,
    NemoConnectionError,
    NemoError,
    OutOfCredits,
    PlanLimit,
    RateLimited,
    RenderError,
    RenderFailed,
    RenderTimedOut,
    ServerError,
    SessionNotFound,
    TokenInvalid,
    TurnError,
    TurnLost,
    TurnStalled,
    TurnTimedOut,
    UnexpectedResponse,
    UnsupportedFileType,
    UploadRejected,
)
from ._events import (
    Heartbeat,
    StreamError,
    TextEvent,
    ToolCall,
    ToolResult,
    TurnEvent,
    UnknownEvent,
    interpret,
    is_visible,
)
from ._export import ExportPolicy, ExportResult, export
from ._models import Credits, RenderJob, SessionInfo, SessionState, TokenInfo, UploadedFile
from ._routing import Action, Route, route
from ._sse import SSEComment, SSEDecoder, SSEEvent, decode_all
from ._translate import GuiAction, GuiKind, Translation, translate
from ._turn import TurnOutcome, TurnPolicy, TurnResult, run_turn
from ._views import (
    Changes,
    CreditsView,
    Notice,
    Problem,
    Progress,
    ProjectLink,
    Reply,
    Tracks,
    Uploaded,
    VideoReady,
    View,
)

__version__ = "0.1.0"

__all__ = [
    "APIError",
    "Action",
    "AsyncConversation",
    "AsyncNemo",
    "Changes",
    "ClientIdMissing",
    "Clock",
    "Config",
    "ConfigurationError",
    "Conversation",
    "Core",
    "Credits",
    "CreditsView",
    "ExportPolicy",
    "ExportResult",
    "FileTooLarge",
    "GuiAction",
    "GuiKind",
    "Heartbeat",
    "LocalFileTooLarge",
    "LocalUnsupportedFileType",
    "Nemo",
    "NemoConnectionError",
    "NemoError",
    "Notice",
    "OutOfCredits",
    "PlanLimit",
    "Problem",
    "Progress",
    "ProjectLink",
    "RateLimited",
    "RenderError",
    "RenderFailed",
    "RenderJob",
    "RenderTimedOut",
    "Reply",
    "Route",
    "SSEComment",
    "SSEDecoder",
    "SSEEvent",
    "ScaledClock",
    "Segment",
    "ServerError",
    "SessionInfo",
    "SessionNotFound",
    "SessionState",
    "StreamError",
    "SystemClock",
    "TextEvent",
    "Timeline",
    "TokenInfo",
    "TokenInvalid",
    "ToolCall",
    "ToolResult",
    "Track",
    "Tracks",
    "Translation",
    "TurnError",
    "TurnEvent",
    "TurnLost",
    "TurnOutcome",
    "TurnPolicy",
    "TurnResult",
    "TurnStalled",
    "TurnTimedOut",
    "UnexpectedResponse",
    "UnknownEvent",
    "UnsupportedFileType",
    "UploadRejected",
    "Uploaded",
    "UploadedFile",
    "VideoReady",
    "View",
    "VirtualClock",
    "__version__",
    "contract",
    "decode_all",
    "diff_drafts",
    "diff_state",
    "export",
    "interpret",
    "is_visible",
    "problem_for",
    "route",
    "run_turn",
    "translate",
]

"""nemokit: a client for the Nemo AI video-editing API, built to be tested offline.

The client is a sans-IO core (``nemokit._flow`` flows that yield requests, waits and views) with
two thin drivers: :class:`Nemo` (sync) and :class:`AsyncNemo` (async), both over httpx and both
taking ``transport=`` and ``clock=``. ``nemokit.contract`` holds the API contract's data.
"""

from __future__ import annotations

from . import contract
from ._clock import Clock, ScaledClock, SystemClock, VirtualClock
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
    "Changes",
    "ClientIdMissing",
    "Clock",
    "ConfigurationError",
    "CreditsView",
    "FileTooLarge",
    "LocalFileTooLarge",
    "LocalUnsupportedFileType",
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
    "RenderTimedOut",
    "Reply",
    "ScaledClock",
    "ServerError",
    "SessionNotFound",
    "SystemClock",
    "TokenInvalid",
    "Tracks",
    "TurnError",
    "TurnLost",
    "TurnStalled",
    "TurnTimedOut",
    "UnexpectedResponse",
    "UnsupportedFileType",
    "UploadRejected",
    "Uploaded",
    "VideoReady",
    "View",
    "VirtualClock",
    "__version__",
    "contract",
]

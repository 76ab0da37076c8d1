"""The Nemo API contract as data: paths, codes, header names, accepted types, limits and waits.

This module is the single home of the contract's *data*; ``docs/contract.md`` states the
contract in words. Its *behaviour* is written three times on purpose: the client implements it,
the mock imitates it and the conformance suite states it as properties, so that a mistake in one
is caught by another. ``mockserver`` and ``conformance`` import this module and nothing else of
the client.

Where the sources disagree, the constants name the mock's default and the variants that a robust
client must tolerate.
"""

from __future__ import annotations

import enum
from typing import Final

__all__ = [
    "ACCEPTED_EXTENSIONS",
    "ADMIN_PREFIX",
    "APP_NAME",
    "CLAIM_PATH",
    "CLAIM_TOKEN_PREFIX",
    "CLAIM_TOKEN_TTL",
    "CLIENT_ID_MAX_LENGTH",
    "CODE_HTTP_STATUS",
    "DEFAULT_API_URL",
    "DEFAULT_SKILL_SOURCE",
    "DEFAULT_WEB_URL",
    "EDIT_TURN_COST",
    "ENV_API_URL",
    "ENV_CLIENT_ID",
    "ENV_SKILL_SOURCE",
    "ENV_TOKEN",
    "ENV_WEB_URL",
    "GENERATION_COST",
    "HEADER_AUTHORIZATION",
    "HEADER_CLIENT_ID",
    "HEADER_RETRY_AFTER",
    "HEADER_SKILL_PLATFORM",
    "HEADER_SKILL_SOURCE",
    "HEADER_SKILL_VERSION",
    "INITIAL_CREDITS",
    "MAX_RENDER_POLLS",
    "MAX_UPLOAD_BYTES",
    "NOISE_PHRASE",
    "PATH_ANONYMOUS_TOKEN",
    "PATH_CLAIM_TOKEN",
    "PATH_CREDITS",
    "PATH_DOWNLOAD",
    "PATH_RENDER",
    "PATH_RENDER_CANCEL",
    "PATH_RENDER_STATUS",
    "PATH_RUN_SSE",
    "PATH_SESSION",
    "PATH_STATE",
    "PATH_UPLOAD",
    "RATE_LIMIT_WAIT",
    "RECOVERY_FIRST_WAIT",
    "RECOVERY_MAX_FETCHES",
    "RECOVERY_NEXT_WAIT",
    "REGISTER_PATH",
    "RENDER_POLL_INTERVAL",
    "SEGMENT_FIELDS",
    "SESSION_ID_DIGITS",
    "SSE_FRAMINGS",
    "STALL_AFTER",
    "STILL_WORKING_EVERY",
    "STILL_WORKING_TEXT",
    "TEXT_TURN_COST",
    "TOKEN_LIMIT_PER_IP",
    "TOKEN_PREFIX",
    "TOKEN_TTL",
    "TURN_LIMIT",
    "USER_ID_PREFIX",
    "Code",
    "ErrorStyle",
    "EventDialect",
    "HeartbeatForm",
    "RenderStatus",
    "TrackType",
    "file_type_of",
]

# --- where things are -------------------------------------------------------------------------

DEFAULT_API_URL: Final = "https://mega-api-prod.nemovideo.ai"
DEFAULT_WEB_URL: Final = "https://nemovideo.com"
DEFAULT_SKILL_SOURCE: Final = "ai-video-editor-link"
APP_NAME: Final = "nemo_agent"

ENV_TOKEN: Final = "NEMO_TOKEN"
ENV_API_URL: Final = "NEMO_API_URL"
ENV_WEB_URL: Final = "NEMO_WEB_URL"
ENV_CLIENT_ID: Final = "NEMO_CLIENT_ID"
ENV_SKILL_SOURCE: Final = "SKILL_SOURCE"

#: Path templates; ``{sid}`` is a session id, ``{id}`` a render id.
PATH_ANONYMOUS_TOKEN: Final = "/api/auth/anonymous-token"
PATH_SESSION: Final = "/api/tasks/me/with-session/nemo_agent"
PATH_CLAIM_TOKEN: Final = "/api/auth/claim-token"
PATH_RUN_SSE: Final = "/run_sse"
PATH_UPLOAD: Final = "/api/upload-video/nemo_agent/me/{sid}"
PATH_CREDITS: Final = "/api/credits/balance/simple"
PATH_STATE: Final = "/api/state/nemo_agent/me/{sid}/latest"
PATH_RENDER: Final = "/api/render/proxy/lambda"
PATH_RENDER_STATUS: Final = "/api/render/proxy/lambda/{id}"
PATH_RENDER_CANCEL: Final = "/api/render/proxy/lambda/{id}/cancel"
PATH_DOWNLOAD: Final = "/api/render/proxy/{id}/download"
#: The mock's control API (WireMock's convention); never part of the contract itself.
ADMIN_PREFIX: Final = "/__admin"

#: Web-app links, relative to ``NEMO_WEB_URL``.
REGISTER_PATH: Final = "/register?bind={user_id}"
CLAIM_PATH: Final = "/workspace/claim?ct={claim_token}"

# --- headers ----------------------------------------------------------------------------------

HEADER_AUTHORIZATION: Final = "Authorization"
HEADER_CLIENT_ID: Final = "X-Client-Id"
HEADER_SKILL_SOURCE: Final = "X-Skill-Source"
HEADER_SKILL_VERSION: Final = "X-Skill-Version"
HEADER_SKILL_PLATFORM: Final = "X-Skill-Platform"
HEADER_RETRY_AFTER: Final = "Retry-After"
CLIENT_ID_MAX_LENGTH: Final = 64

# --- ids --------------------------------------------------------------------------------------

TOKEN_PREFIX: Final = "nmv_usr_"
USER_ID_PREFIX: Final = "anon_"
CLAIM_TOKEN_PREFIX: Final = "clm_"
SESSION_ID_DIGITS: Final = 19


class Code(enum.IntEnum):
    """Business codes of the ``{"code", "message", "data"}`` envelope, and the bare HTTP statuses
    that the contract gives a meaning of their own."""

    SUCCESS = 0
    TOKEN_INVALID = 1001
    SESSION_NOT_FOUND = 1002
    OUT_OF_CREDITS = 2001
    UNSUPPORTED_FILE_TYPE = 4001
    FILE_TOO_LARGE = 4002
    # HTTP statuses with a contract meaning (no business code of their own).
    CLIENT_ID_MISSING = 400
    PLAN_LIMIT = 402
    RATE_LIMITED = 429


#: The "HTTP status form" of business errors (a mock option; the default is HTTP 200 + code).
CODE_HTTP_STATUS: Final[dict[int, int]] = {
    Code.TOKEN_INVALID: 401,
    Code.SESSION_NOT_FOUND: 404,
    Code.OUT_OF_CREDITS: 403,
    Code.UNSUPPORTED_FILE_TYPE: 415,
    Code.FILE_TOO_LARGE: 413,
}


class ErrorStyle(str, enum.Enum):
    """How a server reports a business error. Mock default: ``code_200``."""

    CODE_200 = "code_200"
    HTTP_STATUS = "http_status"


class EventDialect(str, enum.Enum):
    """The JSON shape of ``/run_sse`` events. Mock default: ``adk``; a client must read both."""

    ADK = "adk"
    SIMPLE = "simple"


class HeartbeatForm(str, enum.Enum):
    """The three forms a heartbeat may take on the wire (the real one is unknown)."""

    JSON = "json"  # data: {"type": "heartbeat"}
    EMPTY_DATA = "empty"  # data:
    COMMENT = "comment"  # : ping


#: How ``/run_sse`` lays its lines out (the WHATWG edge cases a reader must survive): plain LF,
#: CRLF, bare CR, JSON spread over several ``data:`` lines, ``id:`` lines followed by comments
#: (httpx-sse issue #35), and chunks split inside a CRLF or a UTF-8 character. Mock default: lf.
SSE_FRAMINGS: Final = ("lf", "crlf", "cr", "multiline", "ids", "chunked")


class RenderStatus(str, enum.Enum):
    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"  # the mock's status after /cancel; a client treats it as terminal


class TrackType(enum.IntEnum):
    VIDEO = 0
    AUDIO = 1
    TEXT = 7


#: Segment fields are not published; these are the mock's documented choice. A client reads them
#: when present and never fails when they are absent. Times are in milliseconds, volume in 0..1.
SEGMENT_FIELDS: Final = ("id", "start", "duration", "source", "text", "volume", "transition")

# --- files ------------------------------------------------------------------------------------

#: Accepted upload extensions and the ``file_type`` the API reports for each.
ACCEPTED_EXTENSIONS: Final[dict[str, str]] = {
    "mp4": "video",
    "mov": "video",
    "avi": "video",
    "webm": "video",
    "mkv": "video",
    "jpg": "image",
    "png": "image",
    "gif": "image",
    "webp": "image",
    "mp3": "audio",
    "wav": "audio",
    "m4a": "audio",
    "aac": "audio",
}
MAX_UPLOAD_BYTES: Final = 500 * 1024 * 1024


def file_type_of(filename: str) -> str | None:
    """``video``/``image``/``audio`` for an accepted file name, ``None`` for anything else."""
    _, dot, ext = filename.rpartition(".")
    return ACCEPTED_EXTENSIONS.get(ext.lower()) if dot else None


# --- accounts and credits ---------------------------------------------------------------------

TOKEN_TTL: Final = 7 * 24 * 3600.0
CLAIM_TOKEN_TTL: Final = 604800
TOKEN_LIMIT_PER_IP: Final = 10
INITIAL_CREDITS: Final = 100
#: The mock's per-turn charges ("generation about 100, an editing session about 50").
GENERATION_COST: Final = 100
EDIT_TURN_COST: Final = 10
TEXT_TURN_COST: Final = 1

# --- waits (seconds, virtual in tests) --------------------------------------------------------

RATE_LIMIT_WAIT: Final = 30.0
RENDER_POLL_INTERVAL: Final = 30.0
MAX_RENDER_POLLS: Final = 10
STILL_WORKING_EVERY: Final = 120.0
STALL_AFTER: Final = 600.0
TURN_LIMIT: Final = 900.0
RECOVERY_FIRST_WAIT: Final = 30.0
RECOVERY_NEXT_WAIT: Final = 60.0
RECOVERY_MAX_FETCHES: Final = 5

# --- what the user sees -----------------------------------------------------------------------

STILL_WORKING_TEXT: Final = "⏳ Still working..."
#: A trailing message after normal output that is noise and is dropped.
NOISE_PHRASE: Final = "I encountered a temporary issue"

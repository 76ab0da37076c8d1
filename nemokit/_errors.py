"""The exception tree. Every error the client raises is a :class:`NemoError`::

    NemoError
    ├── ConfigurationError        bad arguments, environment or local input (before any request)
    │   └── UploadRejected        a file refused locally, before sending
    │       ├── LocalUnsupportedFileType   (the 4001 rule, checked on the client)
    │       └── LocalFileTooLarge          (the 4002 rule, checked on the client)
    ├── NemoConnectionError       the network failed (wraps an httpx.TransportError)
    ├── APIError                  the server said no; carries code, message, request, status
    │   ├── TokenInvalid          1001  token expired or invalid
    │   ├── SessionNotFound       1002  session not found
    │   ├── OutOfCredits          2001  out of credits (``register_url`` for anonymous users)
    │   ├── UnsupportedFileType   4001  unsupported file type
    │   ├── FileTooLarge          4002  file too large
    │   ├── ClientIdMissing       HTTP 400  ``X-Client-Id`` missing
    │   ├── PlanLimit             HTTP 402  free plan export blocked (never retried)
    │   ├── RateLimited           HTTP 429  rate limited (``retry_after``)
    │   ├── ServerError           HTTP 5xx
    │   └── UnexpectedResponse    a body the contract does not describe
    ├── TurnError                 a ``/run_sse`` turn did not end normally
    │   ├── TurnStalled           10 minutes of nothing but heartbeats
    │   ├── TurnTimedOut          the 15-minute limit
    │   └── TurnLost              the stream broke and recovery saw no change
    └── RenderError               an export did not produce a video
        ├── RenderFailed          the job ended ``failed`` (or ``cancelled``)
        └── RenderTimedOut        still not done after the allowed polls

``request`` on an :class:`APIError` is a copy of the request with ``Authorization`` and
``X-Client-Id`` redacted: an exception never carries a token.
"""

from __future__ import annotations

from typing import Any

import httpx

from . import contract

__all__ = [
    "APIError",
    "ClientIdMissing",
    "ConfigurationError",
    "FileTooLarge",
    "LocalFileTooLarge",
    "LocalUnsupportedFileType",
    "NemoConnectionError",
    "NemoError",
    "OutOfCredits",
    "PlanLimit",
    "RateLimited",
    "RenderError",
    "RenderFailed",
    "RenderTimedOut",
    "ServerError",
    "SessionNotFound",
    "TokenInvalid",
    "TurnError",
    "TurnLost",
    "TurnStalled",
    "TurnTimedOut",
    "UnexpectedResponse",
    "UnsupportedFileType",
    "UploadRejected",
    "error_for",
    "redact_request",
]

_SECRET_HEADERS = (contract.HEADER_AUTHORIZATION, contract.HEADER_CLIENT_ID)
REDACTED = "[redacted]"


def redact_request(request: httpx.Request) -> httpx.Request:
    """A copy of ``request`` (method, URL, headers) with secret headers replaced; no body."""
    headers = httpx.Headers(request.headers)
    for name in _SECRET_HEADERS:
        if name in headers:
            headers[name] = REDACTED
    return httpx.Request(request.method, request.url, headers=headers)


class NemoError(Exception):
    """Base of every nemokit error."""


class ConfigurationError(NemoError, ValueError):
    """Bad arguments, environment or local input, found before any request was sent."""


class UploadRejected(ConfigurationError):
    """A file the client refuses to send, naming the file and the rule."""

    def __init__(self, message: str, *, filename: str) -> None:
        super().__init__(message)
        self.filename = filename


class LocalUnsupportedFileType(UploadRejected):
    code = contract.Code.UNSUPPORTED_FILE_TYPE


class LocalFileTooLarge(UploadRejected):
    code = contract.Code.FILE_TOO_LARGE


class NemoConnectionError(NemoError):
    """The network failed; ``__cause__`` is the ``httpx.TransportError``."""

    def __init__(self, message: str, *, request: httpx.Request | None = None) -> None:
        super().__init__(message)
        self.request = redact_request(request) if request is not None else None


class APIError(NemoError):
    """The server answered with an error.

    ``code`` is the business code (or the HTTP status for errors that have no code),
    ``status_code`` the HTTP status, ``body`` the decoded JSON body (or ``None``).
    """

    code: int = -1

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        status_code: int = 200,
        request: httpx.Request | None = None,
        body: Any = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.status_code = status_code
        self.request = redact_request(request) if request is not None else None
        self.body = body
        self.retry_after = retry_after

    def __str__(self) -> str:
        where = f" ({self.request.method} {self.request.url.path})" if self.request else ""
        return f"[{self.code}] {self.message}{where}"

    def __repr__(self) -> str:
        name = type(self).__name__
        return f"{name}(code={self.code}, status={self.status_code}, {self.message!r})"


class TokenInvalid(APIError):
    code = contract.Code.TOKEN_INVALID


class SessionNotFound(APIError):
    code = contract.Code.SESSION_NOT_FOUND


class OutOfCredits(APIError):
    code = contract.Code.OUT_OF_CREDITS

    #: The registration link for anonymous users (set by the client, which knows the user id).
    register_url: str | None = None


class UnsupportedFileType(APIError):
    code = contract.Code.UNSUPPORTED_FILE_TYPE


class FileTooLarge(APIError):
    code = contract.Code.FILE_TOO_LARGE


class ClientIdMissing(APIError):
    code = contract.Code.CLIENT_ID_MISSING


class PlanLimit(APIError):
    code = contract.Code.PLAN_LIMIT


class RateLimited(APIError):
    code = contract.Code.RATE_LIMITED


class ServerError(APIError):
    code = 500


class UnexpectedResponse(APIError):
    code = -1


_BY_CODE: dict[int, type[APIError]] = {
    contract.Code.TOKEN_INVALID: TokenInvalid,
    contract.Code.SESSION_NOT_FOUND: SessionNotFound,
    contract.Code.OUT_OF_CREDITS: OutOfCredits,
    contract.Code.UNSUPPORTED_FILE_TYPE: UnsupportedFileType,
    contract.Code.FILE_TOO_LARGE: FileTooLarge,
    contract.Code.CLIENT_ID_MISSING: ClientIdMissing,
    contract.Code.PLAN_LIMIT: PlanLimit,
    contract.Code.RATE_LIMITED: RateLimited,
}


def error_for(code: int) -> type[APIError]:
    """The exception class for a business code or HTTP status (5xx → ServerError)."""
    if code in _BY_CODE:
        return _BY_CODE[code]
    if 500 <= code < 600:
        return ServerError
    return UnexpectedResponse if code != 401 else TokenInvalid


class TurnError(NemoError):
    """A ``/run_sse`` turn did not end normally. The message was *not* re-sent."""


class TurnStalled(TurnError):
    pass


class TurnTimedOut(TurnError):
    pass


class TurnLost(TurnError):
    pass


class RenderError(NemoError):
    def __init__(self, message: str, *, render_id: str | None = None) -> None:
        super().__init__(message)
        self.render_id = render_id


class RenderFailed(RenderError):
    pass


class RenderTimedOut(RenderError):
    pass

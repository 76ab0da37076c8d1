"""Errors as sentences: what happened and what the user can do about it.

Every error the client can meet (API codes, local file checks, the network, a turn or a render
that did not finish) maps to one :class:`~nemokit._views.Problem`. The conversation shows them
and the export workflow reports with them, so both live here, below both. A server may echo a
token back in a message, so every sentence is scrubbed before it leaves this module.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import httpx

from . import contract
from ._errors import (
    APIError,
    ClientIdMissing,
    ConfigurationError,
    FileTooLarge,
    LocalFileTooLarge,
    LocalUnsupportedFileType,
    NemoConnectionError,
    OutOfCredits,
    PlanLimit,
    RateLimited,
    RenderFailed,
    RenderTimedOut,
    ServerError,
    SessionNotFound,
    TokenInvalid,
    TurnError,
    TurnLost,
    TurnStalled,
    TurnTimedOut,
    UnsupportedFileType,
)
from ._views import Problem

if TYPE_CHECKING:
    from ._core import Core

__all__ = ["problem_for", "scrub"]

_SECRET = re.compile(
    rf"(?:{re.escape(contract.TOKEN_PREFIX)}|{re.escape(contract.CLAIM_TOKEN_PREFIX)})[^\s\"'&,;]*"
    r"|Bearer\s+\S+",
)


def scrub(text: str) -> str:
    """``text`` with anything that looks like a token replaced (a server may echo one back)."""
    return _SECRET.sub("[redacted]", text)


def problem_for(error: BaseException, core: Core | None = None) -> Problem:
    """The sentence a user needs for ``error``: what happened and what to do about it.

    ``core`` adds what only the client knows: whether the token is anonymous (2001 → the
    registration link, 1001 → renewable) and the web and API addresses. The text never contains
    a token, even when the server's message does.
    """
    problem = _problem(error, core)
    return Problem(
        scrub(problem.text),
        code=problem.code,
        link=problem.link,
        retryable=problem.retryable,
        details=tuple(scrub(d) for d in problem.details),
    )


def _problem(error: BaseException, core: Core | None) -> Problem:
    if isinstance(error, APIError):
        return _api_problem(error, core)
    if isinstance(error, (LocalUnsupportedFileType, LocalFileTooLarge)):
        return _file_problem(error.code, error.filename)
    if isinstance(error, ConfigurationError):
        return Problem(f"{_sentence(str(error))} Fix that and try again.")
    if isinstance(error, (NemoConnectionError, httpx.TransportError)):
        where = core.config.api_url if core is not None else "the Nemo API"
        return Problem(
            f"Could not reach {where}. Check your internet connection (or NEMO_API_URL) "
            "and try again.",
            retryable=True,
        )
    if isinstance(error, TurnError):
        return _turn_problem(error)
    if isinstance(error, RenderTimedOut):
        return Problem(
            f"The video is still rendering; check again later with render id {error.render_id}.",
            retryable=True,
        )
    if isinstance(error, RenderFailed):
        return Problem("The render failed. Try exporting again.", retryable=True)
    if isinstance(error, OSError):
        name = f" {error.filename}" if error.filename else ""
        return Problem(f"Could not use the file{name}: {error.strerror or error}.")
    return Problem(
        f"Something went wrong ({type(error).__name__}: {error}). Try again; if it keeps "
        "happening, report it with the steps that led here.",
        retryable=True,
    )


def _api_problem(error: APIError, core: Core | None) -> Problem:
    code = error.code
    if isinstance(error, OutOfCredits):
        return _credits_problem(error, core)
    if isinstance(error, (UnsupportedFileType, FileTooLarge)):
        return _file_problem(code, None)
    if isinstance(error, TokenInvalid):
        if core is not None and core.token_source in ("env", "argument"):
            return Problem(
                "Your NEMO_TOKEN is invalid or expired. Set a valid token, or unset NEMO_TOKEN "
                "to use a free anonymous one.",
                code=code,
            )
        return Problem(
            "The access token expired and could not be renewed. Try again.",
            code=code,
            retryable=True,
        )
    if isinstance(error, SessionNotFound):
        return Problem(
            "The editing session was lost and could not be recreated. Try again.",
            code=code,
            retryable=True,
        )
    if isinstance(error, PlanLimit):
        return Problem(
            "Export is blocked by your plan's limits (HTTP 402): this is a subscription tier "
            f"limit, not a credit issue. Upgrade your plan at {_web_url(core)} to export.",
            code=code,
        )
    if isinstance(error, RateLimited):
        return Problem(
            "The service is busy right now (rate limited). Wait a minute and try again.",
            code=code,
            retryable=True,
        )
    if isinstance(error, ClientIdMissing):
        return Problem(
            "The request had no client id (HTTP 400). Set NEMO_CLIENT_ID to any id of up to "
            f"{contract.CLIENT_ID_MAX_LENGTH} characters, or try again.",
            code=code,
            retryable=True,
        )
    if isinstance(error, ServerError):
        return Problem(
            f"The service had a problem (HTTP {error.status_code}). Try again in a moment.",
            code=code,
            retryable=True,
        )
    return Problem(
        f"The service answered unexpectedly: {error.message}. Try again; if it keeps "
        "happening, report it.",
        code=code,
        retryable=True,
    )


def _credits_problem(error: OutOfCredits, core: Core | None) -> Problem:
    code = contract.Code.OUT_OF_CREDITS
    link = error.register_url
    if link is None and core is not None and core.token_source == "anonymous":
        link = core.register_url()
    if link:
        return Problem(
            f"You're out of credits. Register for free to get more and keep your work: {link}",
            code=code,
            link=link,
        )
    return Problem(
        f"You're out of credits. Top up your account at {_web_url(core)} and try again.",
        code=code,
        link=_web_url(core),
    )


def _file_problem(code: int, filename: str | None) -> Problem:
    name = f" ({filename})" if filename else ""
    if code == contract.Code.UNSUPPORTED_FILE_TYPE:
        accepted = tuple(contract.ACCEPTED_EXTENSIONS)
        return Problem(
            f"That file type isn't supported{name}. Accepted formats: {', '.join(accepted)}.",
            code=code,
            details=accepted,
        )
    limit = contract.MAX_UPLOAD_BYTES // (1024 * 1024)
    return Problem(
        f"That file is too large{name}: the limit is {limit} MB. Compress or trim it and "
        "upload it again.",
        code=code,
    )


def _turn_problem(error: TurnError) -> Problem:
    not_resent = "Your message was not sent again (that would repeat the work and the charge)."
    if isinstance(error, TurnStalled):
        what = "The editor stopped responding (only heartbeats for 10 minutes)."
    elif isinstance(error, TurnTimedOut):
        what = "The edit took longer than the 15-minute limit."
    elif isinstance(error, TurnLost):
        what = "The connection dropped and the edit did not show up in the project."
    else:
        what = f"The edit did not finish normally ({error})."
    return Problem(
        f'{what} {not_resent} Say "status" to see the timeline, then ask again if needed.',
        retryable=True,
    )


def _sentence(text: str) -> str:
    text = text.strip() or "Something in the request was not right"
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def _web_url(core: Core | None) -> str:
    return core.config.web_url if core is not None else contract.DEFAULT_WEB_URL

"""The API's routes (all but upload, in ``_upload``): each reads, validates, asks the state.

Helpers at the top read what every endpoint needs: the server, the journal entry of the request,
the bearer token's account and a JSON body (read incrementally and capped, never trusted).
Choices beyond the contract:

- ``/run_sse`` with an ``app_name`` other than ``nemo_agent`` is HTTP 400.
- Render ids are 1–128 characters of letters, digits, ``_``, ``-`` and ``.`` (they go in URLs).
- A second export while one is active in the session, or an id another user took: HTTP 409
  (``{"success": false, "error", "code": 409}``, with ``activeId`` for the first case).
- ``/download`` needs no token (like a CDN link); before completion it is HTTP 409.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from nemokit import contract

from ._agent import TurnScript, plan_turn
from ._errors import ApiError, bad_request, json_response, ok
from ._media import tiny_mp4
from ._render import RenderJob, new_render_job
from ._state import Account, iso_time
from ._stream import play_turn

if TYPE_CHECKING:
    from ._app import MockServer
    from ._journal import JournalEntry

__all__ = [
    "JSON_BODY_LIMIT",
    "account_of",
    "credits_body",
    "mock_of",
    "read_json",
    "require_account",
    "state_body",
    "take",
]

#: The largest JSON body any endpoint reads, in bytes.
JSON_BODY_LIMIT = 1024 * 1024
_RENDER_ID = re.compile(r"[A-Za-z0-9_.\-]{1,128}")
_ATTRIBUTION = (
    contract.HEADER_SKILL_SOURCE,
    contract.HEADER_SKILL_VERSION,
    contract.HEADER_SKILL_PLATFORM,
)
_MISSING = object()


# --- helpers --------------------------------------------------------------------------------


def mock_of(request: Request) -> MockServer:
    server: MockServer = request.app.state.mock
    return server


def entry_of(request: Request) -> JournalEntry | None:
    entry: JournalEntry | None = request.scope.get("mock.entry")
    return entry


def require_account(request: Request) -> Account:
    """The caller's account from ``Authorization: Bearer``; 1001 otherwise."""
    return account_of(mock_of(request), request.scope["headers"])


_AUTHORIZATION = contract.HEADER_AUTHORIZATION.lower().encode("latin-1")


def account_of(server: MockServer, headers: Iterable[tuple[bytes, bytes]]) -> Account:
    """The account of the first ``Authorization: Bearer`` among the ASGI ``headers``; 1001.

    Read from the scope's bytes (as Starlette's ``Headers.get`` would: the first match, as
    latin-1) without building a ``Request`` header view.
    """
    value = next((v for k, v in headers if k == _AUTHORIZATION), b"").decode("latin-1")
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(
            contract.Code.TOKEN_INVALID, "missing bearer token (Authorization: Bearer …)"
        )
    return server.state.authenticate(token.strip())


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


async def read_json(request: Request, *, limit: int = JSON_BODY_LIMIT) -> Any:
    """The JSON body, read chunk by chunk and refused (413) past ``limit`` bytes."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media.startswith("multipart/"):
        raise bad_request(f"expected a JSON body (application/json), got {media}", status=415)
    length = request.headers.get("content-length")
    if length is not None and not length.isdigit():
        raise bad_request(f"Content-Length must be a number of bytes, got {length[:40]!r}")
    if length is not None and int(length) > limit:
        raise bad_request(f"the body is {length} bytes; a JSON body may have {limit}", status=413)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise bad_request(f"the JSON body is over {limit} bytes", status=413)
    if not body.strip():
        raise bad_request("the body is empty; expected a JSON object")
    try:
        data = json.loads(bytes(body), parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise bad_request(f"malformed JSON body: {exc}") from None
    _require_unicode(data)
    entry = entry_of(request)
    if entry is not None:
        entry.body, entry.body_kind = data, "json"
    return data


def _require_unicode(data: Any) -> None:
    """400 for a ``\\ud800``-style escape: Python parses a lone surrogate into a ``str`` that
    no UTF-8 response, hash or log line can encode later (it used to be a 500 there)."""
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise bad_request(
            "the JSON body has an unpaired surrogate escape (such as \\ud800); "
            "strings must be valid Unicode"
        ) from None
    except RecursionError:
        raise bad_request("malformed JSON body: nested too deeply") from None


async def read_object(request: Request) -> dict[str, Any]:
    data = await read_json(request)
    if not isinstance(data, dict):
        raise bad_request(f"the body must be a JSON object, got {type(data).__name__}")
    return data


def take(
    body: Mapping[str, Any], *names: str, kind: type | tuple[type, ...] = str, required: bool = True
) -> Any:
    """The first of ``names`` present in ``body`` (snake or camel case), type-checked."""
    value = next((body[n] for n in names if n in body), _MISSING)
    if value is _MISSING or value is None:
        if required:
            raise bad_request(f"{names[0]} is required")
        return None
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        expected = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise bad_request(
            f"{names[0]} must be {_JSON_NAMES.get(expected, expected)}, "
            f"got {json.dumps(value)[:60]}"
        )
    if isinstance(value, str) and required and not value.strip():
        raise bad_request(f"{names[0]} must not be empty")
    return value


_JSON_NAMES = {"str": "a string", "dict": "an object", "list": "an array", "bool": "true or false"}


def client_ip(request: Request) -> str:
    """The first ``X-Forwarded-For`` hop, else the socket's peer (tests vary it this way)."""
    forwarded = request.headers.get("x-forwarded-for", "").split(",")[0].strip()
    if forwarded:
        return forwarded
    return request.client.host if request.client else "unknown"


# --- accounts and sessions ------------------------------------------------------------------


async def anonymous_token(request: Request) -> Response:
    client_id = request.headers.get(contract.HEADER_CLIENT_ID)
    if client_id is None or not client_id.strip():
        raise ApiError(contract.Code.CLIENT_ID_MISSING, "the X-Client-Id header is required")
    if len(client_id) > contract.CLIENT_ID_MAX_LENGTH:
        raise ApiError(
            contract.Code.CLIENT_ID_MISSING,
            f"X-Client-Id is {len(client_id)} characters; at most "
            f"{contract.CLIENT_ID_MAX_LENGTH} are allowed",
        )
    server = mock_of(request)
    issued = server.state.issue_token(client_id, client_ip(request))
    return ok(
        {
            "token": issued.token,
            "user_id": issued.account.user_id,
            "expires_at": iso_time(server.config, issued.expires_at),
            "credits": server.state.credits(issued.account).available,
        }
    )


async def create_session(request: Request) -> Response:
    account = require_account(request)
    body = await read_object(request)
    task_name = take(body, "task_name", "taskName")
    language = take(body, "language", required=False)
    if len(task_name) > 256 or (language is not None and len(language) > 35):
        raise bad_request("task_name may have 256 characters and language 35")
    session = mock_of(request).state.create_session(account, task_name, language)
    return ok(
        {"task_id": session.task_id, "session_id": session.session_id, "user_id": account.user_id}
    )


async def claim_token(request: Request) -> Response:
    account = require_account(request)
    body = await read_object(request)
    task_id = take(body, "task_id", "taskId")
    state = mock_of(request).state
    session = state.session_of(account, take(body, "session_id", "sessionId"))
    if task_id != session.task_id:
        raise ApiError(
            contract.Code.SESSION_NOT_FOUND,
            f"task {task_id[:64]} is not the task of session {session.session_id}",
        )
    return ok({"claim_token": state.claim_token(session), "expires_in": contract.CLAIM_TOKEN_TTL})


def credits_body(server: MockServer, account: Account) -> bytes:
    """The credits answer's bytes."""
    return server.state.credits_body(account)


def state_body(server: MockServer, account: Account, session_id: str) -> bytes:
    """The state answer's bytes (cached by the state until something it shows changes)."""
    state = server.state
    return state.state_body(state.session_of(account, session_id))


async def credits(request: Request) -> Response:
    return json_response(credits_body(mock_of(request), require_account(request)))


async def session_state(request: Request) -> Response:
    account = require_account(request)
    return json_response(state_body(mock_of(request), account, request.path_params["sid"]))


async def openapi(request: Request) -> Response:
    from ._openapi import openapi_document

    return JSONResponse(openapi_document())


# --- renders --------------------------------------------------------------------------------


def _render_id(value: str) -> str:
    if not _RENDER_ID.fullmatch(value):
        raise bad_request("render id must be 1-128 letters, digits, '_', '-' or '.'")
    return value


async def submit_render(request: Request) -> Response:
    account = require_account(request)
    missing = [h for h in _ATTRIBUTION if not request.headers.get(h, "").strip()]
    if missing:
        message = f"export blocked: missing attribution header(s) {', '.join(missing)}"
        raise ApiError(402, message, status=402, extra={"message": message, "data": None})
    body = await read_object(request)
    render_id = _render_id(take(body, "id"))
    draft = take(body, "draft", kind=dict)
    output = take(body, "output", kind=dict, required=False) or {"format": "mp4", "quality": "high"}
    server = mock_of(request)
    session = server.state.session_of(account, take(body, "sessionId", "session_id"))
    now, config = server.clock.now(), server.config

    def make() -> RenderJob:
        return new_render_job(
            render_id,
            session.session_id,
            account.user_id,
            draft,
            output,
            now=now,
            seed=config.seed,
            config=config,
        )

    job, _ = server.state.submit_render(account, session, render_id, make)
    return JSONResponse(job.submitted(now))


def render_view(request: Request, job: RenderJob) -> Response:
    """A job's status in the configured shape: ``both`` (default), ``nested`` or ``flat``.

    ``config.render_status_shape`` picks the variant; ``nested`` is only
    ``{"success", "data"}``, ``flat`` only the top-level ``taskId/status/progress/output``.
    """
    server = mock_of(request)
    body = job.describe(server.clock.now(), str(request.base_url))
    shape = server.config.render_status_shape
    if shape == "nested":
        return JSONResponse({"success": True, "data": body["data"]})
    if shape == "flat":
        return JSONResponse({k: v for k, v in body.items() if k != "data"})
    return JSONResponse(body)


async def render_status(request: Request) -> Response:
    account = require_account(request)
    job = mock_of(request).state.render_of(account, _render_id(request.path_params["id"]))
    return render_view(request, job)


async def cancel_render(request: Request) -> Response:
    account = require_account(request)
    server = mock_of(request)
    job = server.state.cancel_render(account, _render_id(request.path_params["id"]))
    return JSONResponse(job.submitted(server.clock.now()))


async def download(request: Request) -> Response:
    server = mock_of(request)
    render_id = _render_id(request.path_params["id"])
    job = server.state.render_for_download(render_id)
    if job is None:
        raise ApiError(404, f"render {render_id} not found", status=404)
    status, progress = job.status_at(server.clock.now())
    if status is not contract.RenderStatus.COMPLETED:
        raise ApiError(
            409,
            f"render {render_id} is {status.value} ({progress:g}%); "
            "download it once it is completed",
            status=409,
        )
    return Response(
        tiny_mp4(),
        media_type="video/mp4",
        headers={"Content-Disposition": f'attachment; filename="{render_id}.mp4"'},
    )


# --- the agent ------------------------------------------------------------------------------


def _message_of(body: Mapping[str, Any]) -> tuple[str, bool | None]:
    app_name = take(body, "app_name", "appName", required=False)
    if app_name is not None and app_name != contract.APP_NAME:
        raise bad_request(
            f"unknown app_name {app_name[:40]!r}; this server runs {contract.APP_NAME!r}"
        )
    take(body, "user_id", "userId", required=False)
    new_message = take(body, "new_message", "newMessage", kind=dict)
    take(new_message, "role", required=False)
    take(body, "role", required=False)
    parts = take(new_message, "parts", kind=list)
    texts = [p["text"] for p in parts if isinstance(p, dict) and isinstance(p.get("text"), str)]
    if not texts or not "".join(texts).strip():
        raise bad_request("new_message.parts has no text part with a message")
    return "\n".join(texts), take(body, "streaming", kind=bool, required=False)


async def run_sse(request: Request) -> Response:
    account = require_account(request)
    body = await read_object(request)
    session_id = take(body, "session_id", "sessionId")
    message, streaming = _message_of(body)
    entry = entry_of(request)
    if entry is not None:
        entry.message = message
    server = mock_of(request)
    session = server.state.session_of(account, session_id)
    config = server.config
    if streaming is not None:
        config = config.replace(partial_text=streaming)

    def plan(text: str, draft: dict[str, Any], media: Any, index: int) -> TurnScript:
        return plan_turn(text, draft, media, seed=config.seed, turn_index=index, config=config)

    turn = server.state.start_turn(account, session, message, plan)
    fault = request.scope.get("mock.fault")
    events = play_turn(
        turn.script,
        start=turn.start,
        clock=server.clock,
        config=config,
        invocation_id=turn.invocation_id,
        cut_after=getattr(fault, "cut_after", None),
        stall=bool(getattr(fault, "stall", False)),
    )
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(events, media_type="text/event-stream", headers=headers)

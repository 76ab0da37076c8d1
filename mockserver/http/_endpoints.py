"""The API's routes for accounts, sessions, credits, state and the agent; each reads, validates,
asks the state.

The request readers every endpoint uses are in :mod:`._requests_in`, the render endpoints in
:mod:`._render_endpoints` and upload in :mod:`._upload`. Choices beyond the contract:

- ``/run_sse`` with an ``app_name`` other than ``nemo_agent`` is HTTP 400.
- Render ids, a second export and ``/download``: see :mod:`._render_endpoints`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from nemokit import contract

from ..agent import TurnScript, plan_turn, play_turn
from ..state import Account, MockState
from ..state._state import iso_time
from ._errors import ApiError, bad_request, json_response, ok
from ._requests_in import client_ip, entry_of, mock_of, read_object, require_account, take

__all__ = [
    "anonymous_token",
    "claim_token",
    "create_session",
    "credits",
    "credits_body",
    "openapi",
    "run_sse",
    "session_state",
    "state_body",
]


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


def credits_body(state: MockState, account: Account) -> bytes:
    """The credits answer's bytes."""
    return state.credits_body(account)


def state_body(state: MockState, account: Account, session_id: str) -> bytes:
    """The state answer's bytes (cached by the state until something it shows changes)."""
    return state.state_body(state.session_of(account, session_id))


async def credits(request: Request) -> Response:
    return json_response(credits_body(mock_of(request).state, require_account(request)))


async def session_state(request: Request) -> Response:
    account = require_account(request)
    return json_response(state_body(mock_of(request).state, account, request.path_params["sid"]))


async def openapi(request: Request) -> Response:
    from ..openapi import openapi_document

    return JSONResponse(openapi_document())


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

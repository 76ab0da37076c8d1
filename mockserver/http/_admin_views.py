"""The dashboard's read-only views under ``/__admin/view/``: the journal and sessions, masked.

=============================================  =================================================
``GET /__admin/view/requests?after=SEQ``        journal summaries with ``seq`` > SEQ (a cursor)
``GET /__admin/view/requests/{seq}``            one entry whole: headers, body, events, fault
``GET /__admin/view/config``                    the config and each setting's allowed values
``GET /__admin/view/sessions``                  every session, with its counts
``GET /__admin/view/sessions/{id}``             its draft, uploads, turns, renders and credits
=============================================  =================================================

Unlike ``/__admin/requests`` (a test instrument that keeps tokens as sent), these answers never
carry a secret: the values of ``Authorization``, ``X-API-Key``, ``Cookie`` and a ``token=``
query parameter are masked, and every occurrence of such a value anywhere else in the answer
(a body, an event) is replaced too, on the server: the raw token never reaches a browser.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from nemokit import contract

from .._config import MockConfig, config_dict, setting_choices
from ..state import JournalEntry, MockState, Session
from ._requests_in import mock_of

__all__ = ["MASK", "masked_json", "view_routes_table"]

#: What a secret is replaced with.
MASK = "•••masked•••"
_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "x-api-key", "cookie"})
_SCHEME = re.compile(r"^(Bearer|Basic|Token)\s+", re.IGNORECASE)
#: Shorter values are not worth hunting for elsewhere (they would mask ordinary words).
_MIN_SECRET = 8
_SESSION_IN_PATH = re.compile(r"/(\d{6,})(?:/|$)")


def _secrets_of(entry: JournalEntry) -> set[str]:
    found: set[str] = set()
    for name, value in entry.headers:
        if name.lower() in _SECRET_HEADERS:
            found.add(value)
            found.add(_SCHEME.sub("", value))
    for name, value in parse_qsl(entry.query, keep_blank_values=True):
        if "token" in name.lower() or "key" in name.lower():
            found.add(value)
    return {s for s in found if len(s) >= _MIN_SECRET}


def masked_json(data: Any, secrets: set[str]) -> Response:
    """``data`` as a JSON response with every secret replaced by :data:`MASK`."""
    text = json.dumps(data, ensure_ascii=False)
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(json.dumps(secret, ensure_ascii=False)[1:-1], MASK)
    return Response(text, media_type="application/json")


def _masked_header(name: str, value: str) -> str:
    if name.lower() not in _SECRET_HEADERS:
        return value
    scheme = _SCHEME.match(value)
    rest = value[scheme.end() :] if scheme else value
    return f"{scheme.group(0) if scheme else ''}{MASK} ({len(rest)} characters)"


def _session_of(entry: JournalEntry) -> str | None:
    found = _SESSION_IN_PATH.search(entry.path)
    if found:
        return found.group(1)
    body = entry.body
    if isinstance(body, dict):
        for key in ("session_id", "sessionId"):
            if isinstance(body.get(key), str):
                return str(body[key])
    return None


class _Clients:
    """Whose request is it: the client id of the account its token (or session) belongs to.

    Only the token request carries ``X-Client-Id``; the dashboard filters the others by client
    too. Looked up once per token within one answer.
    """

    def __init__(self, state: MockState) -> None:
        self.state = state
        self.by_token: dict[str, str | None] = {}
        self.by_session: dict[str, str] | None = None

    def of(self, entry: JournalEntry, session: str | None) -> str | None:
        named = entry.header("x-client-id")
        if named is not None:
            return named
        auth = entry.header("authorization")
        if auth:
            token = _SCHEME.sub("", auth)
            if token not in self.by_token:
                account = self.state.holder_of(token)
                self.by_token[token] = account.client_id if account is not None else None
            if self.by_token[token] is not None:
                return self.by_token[token]
        if session is None:
            return None
        if self.by_session is None:
            self.by_session = {}
            for known in self.state.sessions():
                account = self.state.account(known.user_id)
                if account is not None:
                    self.by_session[known.session_id] = account.client_id
        return self.by_session.get(session)


def _summary(entry: JournalEntry, clients: _Clients) -> dict[str, Any]:
    session = _session_of(entry)
    client_id = clients.of(entry, session)
    return {
        "seq": entry.seq,
        "time": entry.time,
        "method": entry.method,
        "path": entry.path,
        "status": entry.status,
        "code": entry.code,
        "fault": entry.fault,
        "error": entry.error,
        "completed": entry.completed,
        "deprecated": entry.deprecated,
        "client_id": client_id,
        "session": session,
        "events": len(entry.events),
    }


def _detail(entry: JournalEntry, clients: _Clients) -> dict[str, Any]:
    query = [
        [k, MASK if ("token" in k.lower() or "key" in k.lower()) else v]
        for k, v in parse_qsl(entry.query, keep_blank_values=True)
    ]
    return {
        **_summary(entry, clients),
        "query": query,
        "headers": [[k, _masked_header(k, v)] for k, v in entry.headers],
        "client": entry.client,
        "body": entry.body,
        "body_kind": entry.body_kind,
        "message": entry.message,
        "events": entry.events,
        "events_dropped": entry.events_dropped,
    }


def _error(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def view_requests(request: Request) -> Response:
    journal = mock_of(request).journal
    after = request.query_params.get("after", "0")
    if not after.isdigit():
        return _error(f"after must be a request number (seq), got {after!r}")
    found = journal.entries(after=int(after))
    clients = _Clients(mock_of(request).state)
    secrets = set().union(*(_secrets_of(e) for e in found)) if found else set()
    body = {
        "requests": [_summary(e, clients) for e in found],
        "last": found[-1].seq if found else int(after),
        "now": mock_of(request).clock.now(),
    }
    return masked_json(body, secrets)


async def view_request(request: Request) -> Response:
    seq = request.path_params["seq"]
    entry = mock_of(request).journal.get(int(seq)) if seq.isdigit() else None
    if entry is None:
        return _error(f"no request {seq} in the journal", 404)
    return masked_json(_detail(entry, _Clients(mock_of(request).state)), _secrets_of(entry))


def _session_summary(state: MockState, session: Session, renders: int) -> dict[str, Any]:
    return {
        "session_id": session.session_id,
        "user_id": session.user_id,
        "task_name": session.task_name,
        "created_at": session.created_at,
        "uploads": len(session.uploads),
        "turns": len(session.turns),
        "renders": renders,
    }


async def view_sessions(request: Request) -> Response:
    state = mock_of(request).state
    renders = state.renders()
    rows = [
        _session_summary(state, s, sum(r.session_id == s.session_id for r in renders))
        for s in state.sessions()
    ]
    return JSONResponse({"sessions": rows, "now": state.now()})


async def view_session(request: Request) -> Response:
    state = mock_of(request).state
    wanted = request.path_params["id"]
    session = next((s for s in state.sessions() if s.session_id == wanted), None)
    if session is None:
        return _error(f"no session {wanted}", 404)
    now = state.now()
    base = str(request.base_url).rstrip("/")
    renders = [r for r in state.renders() if r.session_id == session.session_id]
    account = state.account(session.user_id)
    body = {
        **_session_summary(state, session, len(renders)),
        "now": now,
        "draft": state.draft(session),
        "track_types": {str(t.value): t.name.lower() for t in contract.TrackType},
        "upload_list": list(session.uploads),
        "turn_list": [
            {
                "index": t.index,
                "start": t.start,
                "end": t.end,
                "message": t.message,
                "kind": t.script.kind,
            }
            for t in session.turns
        ],
        "render_list": [
            {"id": r.id, "created_at": r.created_at, **r.describe(now, base)["data"]}
            for r in renders
        ],
        "credits": state.credits(account).as_dict() if account is not None else None,
    }
    return JSONResponse(body)


async def view_config(request: Request) -> Response:
    config: MockConfig = mock_of(request).config
    return JSONResponse({"config": config_dict(config), "choices": setting_choices()})


def view_routes_table() -> list[tuple[str, Any, list[str]]]:
    """``(path under /__admin, endpoint, methods)`` of the views."""
    return [
        ("/view/requests", view_requests, ["GET"]),
        ("/view/requests/{seq}", view_request, ["GET"]),
        ("/view/config", view_config, ["GET"]),
        ("/view/sessions", view_sessions, ["GET"]),
        ("/view/sessions/{id}", view_session, ["GET"]),
    ]

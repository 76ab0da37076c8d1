"""The mock as an ASGI app: routes, error rendering, and the journal/fault/safety middleware.

:class:`MockServer` bundles the app with its state, journal, faults, clock and config;
``create_app(config, clock=...)`` returns ``MockServer(...).app`` (``app.state.mock`` is the
server). Around every request one middleware, outermost:

- journals it (headers as received, the body as read up to a cap, the status and contract code);
- applies the first matching fault rule (``_faults``);
- turns any exception raised before the response started into a JSON 500 naming the request,
  so a bug never shows a traceback or hangs a client; after the response started (a stream
  cut or dropped on purpose) the exception is re-raised so the server breaks the connection.

Unknown paths answer 404 and wrong methods 405 (with ``Allow``), each naming what was asked.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nemokit import contract
from nemokit._clock import Clock, VirtualClock

from . import _endpoints as ep
from ._admin import admin_routes
from ._config import MockConfig
from ._errors import ApiError, error_body, error_response, is_render_path
from ._faults import DroppedConnection, FaultRule, Faults
from ._journal import BODY_TEXT_CAP, Journal, JournalEntry
from ._state import MockState
from ._upload import upload

__all__ = ["MockServer", "create_app"]

log = logging.getLogger("mockserver")


class MockServer:
    """One mock: ``.app``, ``.state``, ``.journal``, ``.faults``, ``.clock`` and ``.config``.

    ``clock`` defaults to a :class:`VirtualClock` (time moves only when advanced or slept on).
    """

    def __init__(
        self,
        config: MockConfig | None = None,
        clock: Clock | None = None,
        *,
        journal_cap: int = 10_000,
    ) -> None:
        self._config = config if config is not None else MockConfig()
        self.clock: Clock = clock if clock is not None else VirtualClock()
        self.state = MockState(self.clock, lambda: self._config)
        self.journal = Journal(journal_cap)
        self.faults = Faults()
        self.app = _build_app(self)

    def __repr__(self) -> str:
        return f"MockServer(clock={self.clock!r}, journal={len(self.journal)})"

    @property
    def config(self) -> MockConfig:
        return self._config

    def configure(self, **changes: Any) -> MockConfig:
        """Change settings (validated by ``MockConfig.replace``); returns the new config."""
        for name, value in changes.items():
            current = getattr(self._config, name, None)
            if isinstance(current, bool) and not isinstance(value, bool):
                raise ValueError(f"{name} must be true or false, got {value!r}")
            if isinstance(current, dict) and not isinstance(value, dict):
                raise ValueError(f"{name} must be an object, got {value!r}")
        self._config = self._config.replace(**changes)
        return self._config

    def reset(self) -> None:
        """Forget accounts, sessions, renders, the journal and the faults (clock/config stay)."""
        self.state.reset()
        self.journal.clear()
        self.faults.clear()


def create_app(config: MockConfig | None = None, *, clock: Clock | None = None) -> Starlette:
    """The mock's ASGI app; ``app.state.mock`` is its :class:`MockServer`."""
    return MockServer(config, clock).app


def _routes() -> list[Any]:
    # Starlette tries routes in order: the two most polled endpoints first (their paths overlap
    # no other route, so only the order of the overlapping render routes below matters).
    table: list[tuple[str, Any, list[str]]] = [
        (contract.PATH_CREDITS, ep.credits, ["GET"]),
        (contract.PATH_STATE, ep.session_state, ["GET"]),
        (contract.PATH_ANONYMOUS_TOKEN, ep.anonymous_token, ["POST"]),
        (contract.PATH_SESSION, ep.create_session, ["POST"]),
        (contract.PATH_CLAIM_TOKEN, ep.claim_token, ["POST"]),
        (contract.PATH_RUN_SSE, ep.run_sse, ["POST"]),
        (contract.PATH_UPLOAD, upload, ["POST"]),
        (contract.PATH_RENDER, ep.submit_render, ["POST"]),
        (contract.PATH_RENDER_STATUS, ep.render_status, ["GET"]),
        (contract.PATH_RENDER_CANCEL, ep.cancel_render, ["POST"]),
        (contract.PATH_DOWNLOAD, ep.download, ["GET"]),
        ("/openapi.json", ep.openapi, ["GET"]),
    ]
    return [Route(path, fn, methods=methods) for path, fn, methods in table] + admin_routes()


def _build_app(server: MockServer) -> Starlette:
    app = Starlette(
        routes=_routes(),
        exception_handlers={ApiError: _api_error, HTTPException: _http_error},
    )
    app.state.mock = server
    app.add_middleware(_Instrument, server=server)
    return app


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc, style=ep.mock_of(request).config.error_style, path=request.url.path)


def _not_found(method: str, path: str) -> ApiError:
    return ApiError(404, f"no such endpoint: {method} {path}", status=404)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    method, path = request.method, request.url.path
    if exc.status_code == 404:
        error = _not_found(method, path)
    elif exc.status_code == 405:
        allowed = (exc.headers or {}).get("Allow", "")
        error = ApiError(
            405,
            f"method {method} is not allowed on {path}; allowed: {allowed}",
            status=405,
            headers={"Allow": allowed},
        )
    else:
        error = ApiError(exc.status_code, f"{exc.detail} ({method} {path})", status=exc.status_code)
    return error_response(error, style=ep.mock_of(request).config.error_style, path=path)


class _Instrument:
    """Journal, faults and the last line of defence, around the whole app."""

    def __init__(self, app: ASGIApp, server: MockServer) -> None:
        self.app, self.server = app, server

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        admin = path == contract.ADMIN_PREFIX or path.startswith(contract.ADMIN_PREFIX + "/")
        if admin and self.server.config.admin:
            await self._safely(scope, receive, send, None)
            return
        entry = self.server.journal.record(
            time=self.server.clock.now(),
            method=scope["method"],
            path=path,
            query=scope.get("query_string", b"").decode("latin-1"),
            headers=scope["headers"],  # copied as they are; decoded when the journal is read
            client=(scope.get("client") or (None,))[0],
        )
        scope["mock.entry"] = entry
        captured = bytearray()

        async def tee() -> Message:
            message = await receive()
            if message["type"] == "http.request" and len(captured) < BODY_TEXT_CAP:
                captured.extend(message.get("body", b"")[: BODY_TEXT_CAP - len(captured)])
            return message

        try:
            if admin:  # switched off: look like any unknown path
                error = _not_found(scope["method"], path)
                await self._respond(error, scope, tee, send, entry)
            else:
                await self._safely(scope, tee, send, entry)
            if entry.body_kind == "none" and not captured:
                await _drain_small_body(scope, tee)
        finally:
            _finish_body(entry, captured)
            entry.completed = True

    async def _respond(
        self,
        error: ApiError,
        scope: Scope,
        receive: Receive,
        send: Send,
        entry: JournalEntry | None,
    ) -> None:
        style = self.server.config.error_style
        await error_response(error, style=style, path=scope["path"])(
            scope, receive, _watch(send, entry)
        )

    async def _fault(self, scope: Scope, receive: Receive, send: Send, entry: JournalEntry) -> bool:
        """Apply a matching fault; True when it answered the request itself."""
        rule = self.server.faults.take(scope["method"], scope["path"])
        if rule is None:
            return False
        entry.fault = rule.id
        if rule.delay:
            await self.server.clock.asleep(rule.delay)
        if rule.drop or rule.answers:
            # The endpoint never runs, so read the (small) body here: the journal must show what
            # a refused request carried, e.g. the render id of a submit that a fault answered.
            await _drain_small_body(scope, receive)
        if rule.drop:
            await _drop(send, entry)
        if not rule.answers:
            scope["mock.fault"] = rule
            return False
        await _fault_response(rule, self.server.config, scope)(scope, receive, _watch(send, entry))
        return True

    async def _safely(
        self, scope: Scope, receive: Receive, send: Send, entry: JournalEntry | None
    ) -> None:
        started = False
        watched: Send
        if entry is None:  # the admin API: nothing to note

            async def admin_send(message: Message) -> None:
                nonlocal started
                started = started or message["type"] == "http.response.start"
                await send(message)

            watched = admin_send

        else:
            # The response has started once the watcher (or a dropping fault) noted a status.
            watched = _watch(send, entry)
        try:
            if entry is None:
                await self.app(scope, receive, watched)
            elif not (
                self.server.faults.active and await self._fault(scope, receive, watched, entry)
            ):
                target = _hot_target(scope)
                if target is None:
                    await self.app(scope, receive, watched)
                else:
                    await self._hot(target, scope, receive, send, entry)
        except ClientDisconnect:
            if entry is not None:
                entry.error = "the client disconnected"
        except Exception as exc:
            if entry is not None:
                entry.error = f"{type(exc).__name__}: {exc}"
                started = entry.status is not None
            if started:
                raise
            log.exception("mock failed on %s %s", scope["method"], scope["path"])
            message = (
                f"the mock failed on {scope['method']} {scope['path']}: {type(exc).__name__}: {exc}"
            )
            body = {"code": 500, "message": message, "data": None}
            await JSONResponse(body, status_code=500)(scope, receive, watched)

    async def _hot(
        self, target: str, scope: Scope, receive: Receive, send: Send, entry: JournalEntry
    ) -> None:
        """Credits or a session's state, answered without Starlette's routing and wrappers.

        The same functions as the routed endpoints make the bytes; errors render as the
        app's ``ApiError`` handler renders them. Anything else raised goes to ``_safely``.
        """
        server = self.server
        try:
            account = ep.account_of(server, scope["headers"])
            if target == _CREDITS:
                body = ep.credits_body(server, account)
            else:
                body = ep.state_body(server, account, target)
        except ApiError as exc:
            await self._respond(exc, scope, receive, send, entry)
            return
        # What the send watcher would note from these bytes (a success envelope, code 0), noted
        # directly; the status also marks the response as started for ``_safely``.
        entry.status, entry.code = 200, 0
        length = str(len(body)).encode("latin-1")
        headers = [(b"content-length", length), (b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})


#: What :func:`_hot_target` answers for the credits path (a state's target is its session id,
#: never empty).
_CREDITS = ""
_STATE_HEAD, _, _STATE_TAIL = contract.PATH_STATE.partition("{sid}")


def _hot_target(scope: Scope) -> str | None:
    """The two most polled GETs, found by an exact match before Starlette's linear routing.

    ``_CREDITS`` for credits, the session id for a state (one path segment, as Starlette's
    ``{sid}`` matches), ``None`` for anything else, which Starlette routes (HEAD, a root path).
    """
    if scope["method"] != "GET" or scope.get("root_path"):
        return None
    path: str = scope["path"]
    if path == contract.PATH_CREDITS:
        return _CREDITS
    if path.startswith(_STATE_HEAD) and path.endswith(_STATE_TAIL):
        sid = path[len(_STATE_HEAD) : len(path) - len(_STATE_TAIL)]
        if sid and "/" not in sid:
            return sid
    return None


def _fault_response(rule: FaultRule, config: MockConfig, scope: Scope) -> Response:
    headers = {}
    if rule.retry_after is not None:
        headers[contract.HEADER_RETRY_AFTER] = f"{rule.retry_after:g}"
    if rule.code is not None:
        message = rule.message or f"injected fault: code {rule.code}"
        error = ApiError(rule.code, message, headers=headers)
        return error_response(error, style=config.error_style, path=scope["path"])
    assert rule.status is not None
    if rule.body is not None:
        return JSONResponse(rule.body, status_code=rule.status, headers=headers)
    error = ApiError(rule.status, rule.message or f"injected fault: HTTP {rule.status}")
    body = error_body(error, render=is_render_path(scope["path"]))
    return JSONResponse(body, status_code=rule.status, headers=headers)


async def _drop(send: Send, entry: JournalEntry) -> None:
    entry.status = 200
    entry.error = "connection dropped by a fault"
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": b'{"code": 0, "data": {', "more_body": True})
    raise DroppedConnection("connection dropped on purpose by a fault rule")


def _watch(send: Send, entry: JournalEntry | None) -> Send:
    """``send`` that notes the status and the contract code of a small JSON response."""
    if entry is None:
        return send
    json_body = False

    async def watched(message: Message) -> None:
        nonlocal json_body
        if message["type"] == "http.response.start":
            entry.status = message["status"]
            kind = next(
                (v for k, v in message.get("headers", ()) if k.lower() == b"content-type"), b""
            )
            json_body = kind.startswith(b"application/json")
        elif json_body and not message.get("more_body", False):
            entry.code = _code_of(message.get("body", b""))
        await send(message)

    return watched


#: How the mock's own JSON bodies start (Starlette's compact rendering): the contract code read
#: from the first bytes, without decoding a body that may hold a whole draft.
_CODE_PREFIX = re.compile(rb'\{"code":(-?[0-9]{1,9})[,}]')
_SUCCESS_PREFIX = re.compile(rb'\{"success":true[,}]')


def _code_of(body: bytes) -> int | None:
    """The contract code of a JSON body: ``code`` when an integer, else 0 for ``success: true``."""
    # The shortcut holds only when the key appears once (a later duplicate would win in a full
    # parse); anything else (a fault rule's own body, other spacing) is parsed whole.
    if body.endswith(b"}"):
        found = _CODE_PREFIX.match(body)
        if found is not None and body.count(b'"code"') == 1:
            return int(found.group(1))
        if _SUCCESS_PREFIX.match(body) and b'"code"' not in body and body.count(b'"success"') == 1:
            return 0
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    if isinstance(data.get("code"), int):
        return int(data["code"])
    return 0 if data.get("success") is True else None


async def _drain_small_body(scope: Scope, receive: Receive) -> None:
    """Read a small body that the endpoint ignored, so that the journal shows it.

    Only a declared ``Content-Length`` up to the journal's cap is read: never an open-ended body.
    """
    length = b""
    for name, value in scope["headers"]:  # the last one wins, as in a dict of the headers
        if name == b"content-length":
            length = value
    if not length.isdigit() or not 0 < int(length) <= BODY_TEXT_CAP:
        return
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finish_body(entry: JournalEntry, captured: bytearray) -> None:
    """Fill the body from the raw bytes when no endpoint recorded a parsed one."""
    if entry.body_kind != "none" or not captured:
        return
    text = bytes(captured).decode("utf-8", "replace")
    try:
        entry.body, entry.body_kind = json.loads(text, parse_constant=_no_constant), "json"
    except (ValueError, RecursionError):
        full = len(captured) < BODY_TEXT_CAP
        entry.body, entry.body_kind = text, "text" if full else "truncated"

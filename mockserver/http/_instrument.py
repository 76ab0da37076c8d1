"""The ASGI layer around the whole mock: journal, faults, the hot path and the last defence.

Around every request, outermost, :class:`Instrument`:

- journals it (headers as received, the body as read up to a cap, the status and contract code;
  the noting itself is in :mod:`._watch`);
- applies the first matching fault rule (``_faults``);
- answers GET credits and GET state by an exact path match (:mod:`._hot`);
- turns any exception raised before the response started into a JSON 500 naming the request,
  so a bug never shows a traceback or hangs a client; after the response started (a stream
  cut or dropped on purpose) the exception is re-raised so the server breaks the connection.
"""

from __future__ import annotations

import logging

from starlette.requests import ClientDisconnect
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nemokit import contract

from .._config import MockConfig
from ..state import (
    BODY_TEXT_CAP,
    DroppedConnection,
    FaultRule,
    JournalEntry,
    redact_headers,
    redact_text,
    redact_value,
)
from ._errors import ApiError, error_body, error_response, is_render_path
from ._hot import hot_body, hot_request, send_hot
from ._legacy import adapt, flag
from ._served import Served
from ._stream_log import StreamLog
from ._watch import declares_small_body, drain_small_body, finish_body, watch

__all__ = ["Instrument", "not_found"]

#: The dashboard page and its scripts and stylesheet (no data in them).
_DASHBOARD_FILES = contract.ADMIN_PREFIX + "/ui"

log = logging.getLogger("mockserver")


def not_found(method: str, path: str) -> ApiError:
    """The 404 of a path the mock does not serve."""
    return ApiError(404, f"no such endpoint: {method} {path}", status=404)


class Instrument:
    """Journal, faults and the last line of defence, around the whole app."""

    def __init__(self, app: ASGIApp, server: Served) -> None:
        self.app, self.server = app, server

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # While faults are installed every request takes the routed path, where they apply.
        hot = None if self.server.faults.active else hot_request(scope)
        if hot is not None:
            await self._hot(*hot, scope, receive, send)
            return
        path: str = scope["path"]
        admin = path == contract.ADMIN_PREFIX or path.startswith(contract.ADMIN_PREFIX + "/")
        if admin and self.server.config.admin:
            # The dashboard's static files hold no data, and a browser loading the page sends no
            # header: they stay open; every call the page makes carries the token.
            page = path == _DASHBOARD_FILES or path.startswith(_DASHBOARD_FILES + "/")
            static = page and scope["method"] in ("GET", "HEAD")
            refusal = None if static else self.server.admin_guard.refusal(scope["headers"])
            if refusal is not None:
                await _admin_refused(refusal, scope, receive, send)
                return
            await self._safely(scope, receive, send, None)
            return
        entry = self._journal(scope)
        scope, legacy_response = adapt(self.server.config.guide, scope, self.server.state)
        scope["mock.entry"] = entry
        stream = scope["mock.stream"] = StreamLog(entry, self.server.clock)
        captured = bytearray()

        async def tee() -> Message:
            message = await receive()
            if message["type"] == "http.request" and len(captured) < BODY_TEXT_CAP:
                captured.extend(message.get("body", b"")[: BODY_TEXT_CAP - len(captured)])
            return message

        try:
            if admin:  # switched off: look like any unknown path
                error = not_found(scope["method"], path)
                await self._respond(error, scope, tee, send, entry)
            elif legacy_response is not None:
                await legacy_response(scope, tee, watch(send, entry))
            else:
                await self._safely(scope, tee, send, entry)
            if entry.body_kind == "none" and not captured and declares_small_body(scope):
                await drain_small_body(scope, tee)
        finally:
            stream.broke()
            finish_body(entry, captured)
            flag(entry)
            self._seal(entry)

    def _journal(self, scope: Scope) -> JournalEntry:
        """The request's new journal entry."""
        headers = scope["headers"]
        return self.server.journal.record(
            time=self.server.clock.now(),
            method=scope["method"],
            path=scope["path"],
            query=scope.get("query_string", b"").decode("latin-1"),
            # copied as they are (decoded when the journal is read), or without credentials
            headers=redact_headers(headers) if self.server.config.redact_journal else headers,
            client=(scope.get("client") or (None,))[0],
        )

    def _seal(self, entry: JournalEntry) -> None:
        """The request is over: its entry is complete (and without credentials if configured)."""
        if self.server.config.redact_journal:
            entry.query = redact_text(entry.query)
            entry.body = redact_value(entry.body)
            entry.message = None if entry.message is None else redact_text(entry.message)
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
            scope, receive, watch(send, entry)
        )

    async def _fault(self, scope: Scope, receive: Receive, send: Send, entry: JournalEntry) -> bool:
        """Apply a matching fault; True when it answered the request itself."""
        rule = self.server.faults.take(scope["method"], scope["path"])
        if rule is None:
            return False
        entry.fault = rule.id
        if rule.stall:
            scope["mock.stream"].mark("stall")
        if rule.delay:
            await self.server.clock.asleep(rule.delay)
        if rule.drop or rule.answers:
            # The endpoint never runs, so read the (small) body here: the journal must show what
            # a refused request carried, e.g. the render id of a submit that a fault answered.
            await drain_small_body(scope, receive)
        if rule.drop:
            await _drop(send, entry)
        if not rule.answers:
            scope["mock.fault"] = rule
            return False
        await _fault_response(rule, self.server.config, scope)(scope, receive, watch(send, entry))
        return True

    async def _safely(
        self, scope: Scope, receive: Receive, send: Send, entry: JournalEntry | None
    ) -> None:
        """Run the app with a JSON 500 as the last defence."""
        started = False
        watched: Send
        if entry is None:  # the admin API: nothing to note

            async def admin_send(message: Message) -> None:
                nonlocal started
                started = started or message["type"] == "http.response.start"
                await send(message)

            watched = admin_send
        else:  # the response has started once the watcher (or a dropping fault) noted a status
            watched = watch(send, entry, scope.get("mock.stream"))
        try:
            if entry is None or not (
                self.server.faults.active and await self._fault(scope, receive, watched, entry)
            ):
                await self.app(scope, receive, watched)
        except ClientDisconnect:
            if entry is not None:
                entry.error = "the client disconnected"
        except Exception as exc:
            if entry is not None:
                started = entry.status is not None
            await self._failed(exc, started, scope, receive, send, entry)

    async def _failed(
        self, exc: Exception, started: bool, scope: Scope, receive: Receive, send: Send,
        entry: JournalEntry | None,
    ) -> None:  # fmt: skip
        """After ``exc``: re-raised if the response had started (the server breaks the
        connection), else a JSON 500 naming the request, noted in the journal as any answer."""
        if entry is not None:
            entry.error = f"{type(exc).__name__}: {exc}"
        if started:
            raise exc
        log.exception("mock failed on %s %s", scope["method"], scope["path"], exc_info=exc)
        message = (
            f"the mock failed on {scope['method']} {scope['path']}: {type(exc).__name__}: {exc}"
        )
        body = {"code": 500, "message": message, "data": None}
        watched = send if entry is None else watch(send, entry, scope.get("mock.stream"))
        await JSONResponse(body, status_code=500)(scope, receive, watched)

    async def _hot(
        self, target: str, authorization: bytes, scope: Scope, receive: Receive, send: Send
    ) -> None:
        """Credits or a session's state (see :mod:`._hot`): journaled, answered, sealed.

        Errors render as the app's ``ApiError`` handler renders them, anything else raised as
        :meth:`_safely` does. The answer notes its own status, without a send watcher.
        """
        entry = self._journal(scope)
        try:
            try:
                body = hot_body(self.server.state, target, authorization)
            except ApiError as error:
                await self._respond(error, scope, receive, send, entry)
            else:
                await send_hot(body, send, entry)
        except Exception as exc:
            await self._failed(exc, entry.status is not None, scope, receive, send, entry)
        finally:
            self._seal(entry)


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


async def _admin_refused(reason: str, scope: Scope, receive: Receive, send: Send) -> None:
    """401 for an admin request without the admin token (the body is never read)."""
    headers = {"WWW-Authenticate": 'Bearer realm="nemo-mock-admin"'}
    await JSONResponse({"error": reason}, status_code=401, headers=headers)(scope, receive, send)


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

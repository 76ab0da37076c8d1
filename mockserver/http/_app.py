"""The mock as an ASGI app: the server object, its routes and its error rendering.

:class:`MockServer` bundles the app with its state, journal, faults, clock and config;
``create_app(config, clock=...)`` returns ``MockServer(...).app`` (``app.state.mock`` is the
server). One middleware wraps the whole app, outermost: :class:`~._instrument.Instrument`
(journal, faults, the hot path of :mod:`._hot`, and a JSON 500 instead of a traceback).

Unknown paths answer 404 and wrong methods 405 (with ``Allow``), each naming what was asked.
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp

from nemokit import contract
from nemokit._clock import Clock, VirtualClock

from .._config import MockConfig
from ..state import Faults, Journal, MockState
from . import _endpoints as ep
from . import _render_endpoints as render
from ._admin import admin_routes
from ._admin_auth import AdminGuard
from ._errors import ApiError, error_response
from ._instrument import Instrument
from ._instrument import not_found as _not_found
from ._requests_in import mock_of
from ._upload import upload

__all__ = ["MockServer", "create_app"]


class MockServer:
    """One mock: ``.app``, ``.state``, ``.journal``, ``.faults``, ``.clock`` and ``.config``.

    ``clock`` defaults to a :class:`VirtualClock` (time moves only when advanced or slept on).
    ``admin_token``, when given, is required as ``Authorization: Bearer`` on every ``/__admin``
    path (kept outside the config, so ``GET /__admin/config`` never shows it).
    """

    def __init__(
        self,
        config: MockConfig | None = None,
        clock: Clock | None = None,
        *,
        journal_cap: int = 10_000,
        admin_token: str | None = None,
    ) -> None:
        self.admin_guard = AdminGuard(admin_token)
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
        (contract.PATH_RENDER, render.submit_render, ["POST"]),
        (contract.PATH_RENDER_STATUS, render.render_status, ["GET"]),
        (contract.PATH_RENDER_CANCEL, render.cancel_render, ["POST"]),
        (contract.PATH_DOWNLOAD, render.download, ["GET"]),
        ("/openapi.json", ep.openapi, ["GET"]),
    ]
    return [Route(path, fn, methods=methods) for path, fn, methods in table] + admin_routes()


class _MockApp(Starlette):
    """Starlette, with the mock's :class:`~._instrument.Instrument` as the outermost layer.

    Starlette puts its ``ServerErrorMiddleware`` around every app; here the instrument is already
    the last line of defence (a JSON 500 in the contract's envelope, noted in the journal), so
    that layer never answered anything and only cost each request a frame and a closure.
    """

    def build_middleware_stack(self) -> ASGIApp:
        outer = super().build_middleware_stack()
        if isinstance(outer, ServerErrorMiddleware) and isinstance(outer.app, Instrument):
            return outer.app
        return outer  # a Starlette that builds its stack otherwise: kept as it is


def _build_app(server: MockServer) -> Starlette:
    app = _MockApp(
        routes=_routes(),
        exception_handlers={ApiError: _api_error, HTTPException: _http_error},
    )
    app.state.mock = server
    app.add_middleware(Instrument, server=server)
    return app


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc, style=mock_of(request).config.error_style, path=request.url.path)


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
    return error_response(error, style=mock_of(request).config.error_style, path=path)

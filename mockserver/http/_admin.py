"""The control API under ``/__admin`` (WireMock's convention). Not part of the contract.

=========================================  ================================================
``POST /__admin/reset``                     forget state, journal and faults (clock and config stay)
``GET /__admin/requests?since=&path=``      the journal (``since``: virtual time, inclusive)
``DELETE /__admin/requests``                clear the journal
``GET|POST|DELETE /__admin/faults``         list / add (one rule or a list) / clear the faults
``DELETE /__admin/faults/{id}``             remove one fault
``GET /__admin/clock``                      ``{now, kind, scale}``
``POST /__admin/clock/advance``             ``{"seconds": s}`` (virtual and scaled clocks)
``POST /__admin/clock/scale``               ``{"scale": x}`` (scaled clocks only)
``GET|PATCH /__admin/config``               read / change the :class:`MockConfig`
``GET /__admin/view/...``                   masked views for the dashboard (``_admin_views``)
``GET /__admin/ui/``                        the dashboard (``_dashboard``)
=========================================  ================================================

``/__admin/requests`` also takes ``after=SEQ``: only entries numbered above SEQ (a cursor).

Answers are plain JSON; errors are ``{"error": "<text>"}`` with a 4xx status. When
``config.admin`` is false the whole prefix answers 404 like any unknown path (see ``_app``).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from nemokit import contract

from .._config import config_dict
from .._envelopes import ApiError
from ..state import FaultRule
from . import _dashboard
from ._admin_views import view_routes_table
from ._requests_in import mock_of, read_json

__all__ = ["admin_routes", "config_dict"]


def _error(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _body(request: Request) -> Any:
    try:
        return await read_json(request)
    except ApiError as exc:
        raise _AdminError(exc.message, exc.status or 400) from None


class _AdminError(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message, self.status = message, status


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _AdminError(f"{name} must be a number, got {value!r}")
    return float(value)


async def reset(request: Request) -> Response:
    mock_of(request).reset()
    return JSONResponse({"reset": True})


async def requests(request: Request) -> Response:
    journal = mock_of(request).journal
    if request.method == "DELETE":
        journal.clear()
        return JSONResponse({"cleared": True})
    since = request.query_params.get("since")
    try:
        when = float(since) if since is not None else None
    except ValueError:
        return _error(f"since must be a number (virtual seconds), got {since!r}")
    after = request.query_params.get("after")
    if after is not None and not after.isdigit():
        return _error(f"after must be a request number (seq), got {after!r}")
    found = journal.entries(
        since=when,
        path=request.query_params.get("path"),
        after=int(after) if after is not None else None,
    )
    return JSONResponse(
        {"requests": [e.to_dict() for e in found], "dropped": journal.dropped, "count": len(found)}
    )


async def faults(request: Request) -> Response:
    rules = mock_of(request).faults
    if request.method == "DELETE":
        rules.clear()
        return JSONResponse({"cleared": True})
    if request.method == "POST":
        data = await _body(request)
        items = data if isinstance(data, list) else [data]
        try:
            built = [FaultRule.from_dict(item) for item in items]
        except (ValueError, TypeError) as exc:
            return _error(str(exc))
        added = [rules.add(rule).to_dict() for rule in built]
        return JSONResponse({"faults": added}, status_code=201)
    return JSONResponse({"faults": rules.list()})


async def fault(request: Request) -> Response:
    fault_id = request.path_params["id"]
    if not mock_of(request).faults.remove(fault_id):
        return _error(f"no fault {fault_id}", 404)
    return JSONResponse({"removed": fault_id})


def _clock_view(request: Request) -> dict[str, Any]:
    clock = mock_of(request).clock
    scale = getattr(clock, "scale", None)
    return {"now": clock.now(), "kind": type(clock).__name__, "scale": scale}


async def clock(request: Request) -> Response:
    return JSONResponse(_clock_view(request))


async def advance(request: Request) -> Response:
    data = await _body(request)
    seconds = _number(data.get("seconds") if isinstance(data, dict) else None, "seconds")
    move = getattr(mock_of(request).clock, "advance", None)
    if move is None:
        return _error("this clock cannot be advanced by hand", 409)
    try:
        move(seconds)
    except ValueError as exc:
        return _error(str(exc))
    return JSONResponse(_clock_view(request))


async def scale(request: Request) -> Response:
    data = await _body(request)
    value = _number(data.get("scale") if isinstance(data, dict) else None, "scale")
    set_scale = getattr(mock_of(request).clock, "set_scale", None)
    if set_scale is None:
        return _error("only a scaled clock has a scale (start the mock with a time scale)", 409)
    try:
        set_scale(value)
    except ValueError as exc:
        return _error(str(exc))
    return JSONResponse(_clock_view(request))


async def config(request: Request) -> Response:
    server = mock_of(request)
    if request.method == "PATCH":
        data = await _body(request)
        if not isinstance(data, dict):
            return _error("PATCH /__admin/config takes a JSON object of settings")
        try:
            server.configure(**data)
        except (ValueError, TypeError) as exc:
            return _error(str(exc))
    return JSONResponse(config_dict(server.config))


def _guarded(endpoint: Any) -> Any:
    async def run(request: Request) -> Response:
        try:
            response: Response = await endpoint(request)
        except _AdminError as exc:
            return _error(exc.message, exc.status)
        return response

    return run


def admin_routes() -> list[BaseRoute]:
    """The ``/__admin`` routes (the app hides them when ``config.admin`` is false)."""
    p = contract.ADMIN_PREFIX
    table: list[tuple[str, Any, list[str]]] = [
        ("/reset", reset, ["POST"]),
        ("/requests", requests, ["GET", "DELETE"]),
        ("/faults", faults, ["GET", "POST", "DELETE"]),
        ("/faults/{id}", fault, ["DELETE"]),
        ("/clock", clock, ["GET"]),
        ("/clock/advance", advance, ["POST"]),
        ("/clock/scale", scale, ["POST"]),
        ("/config", config, ["GET", "PATCH"]),
        *view_routes_table(),
        ("/ui", _dashboard.index, ["GET"]),
        ("/ui/", _dashboard.index, ["GET"]),
        ("/ui/{name}", _dashboard.asset, ["GET"]),
    ]
    return [Route(p + path, _guarded(fn), methods=methods) for path, fn, methods in table]

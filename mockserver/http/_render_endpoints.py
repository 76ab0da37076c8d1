"""The render endpoints: submit an export, read its status, cancel it, download the file.

Choices beyond the contract:

- Render ids are 1–128 characters of letters, digits, ``_``, ``-`` and ``.`` (they go in URLs).
- A second export while one is active in the session, or an id another user took: HTTP 409
  (``{"success": false, "error", "code": 409}``, with ``activeId`` for the first case).
- ``/download`` needs no token (like a CDN link); before completion it is HTTP 409.
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from nemokit import contract

from .._media import tiny_mp4
from ..state import RenderJob, new_render_job
from ._errors import ApiError, bad_request
from ._requests_in import mock_of, read_object, require_account, take

__all__ = ["cancel_render", "download", "render_status", "render_view", "submit_render"]

_RENDER_ID = re.compile(r"[A-Za-z0-9_.\-]{1,128}")
_ATTRIBUTION = (
    contract.HEADER_SKILL_SOURCE,
    contract.HEADER_SKILL_VERSION,
    contract.HEADER_SKILL_PLATFORM,
)


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

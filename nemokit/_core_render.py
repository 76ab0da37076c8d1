"""The export flows of :class:`~nemokit._core.Core`: submit, status, cancel and download.

A mixin: ``Core`` supplies the token, the session and the retrying ``_call``/``_recover`` (declared
here for the type checker only). A failed submission is retried once with a *new* id, since a
repeated id returns the existing job.
"""

from __future__ import annotations

import logging
import os
import pathlib
from collections.abc import Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from . import _requests as rq
from ._config import Config
from ._core_reads import drain, not_a_stream, read_cancel, read_chunk, send
from ._errors import APIError, NemoError
from ._files import download_target, save_atomically
from ._flow import Flow
from ._models import RenderJob, SessionInfo
from ._responses import error_in, read_value
from ._retry import Attempt, resubmit_render

__all__ = ["RenderFlows"]

logger = logging.getLogger("nemokit")
T = TypeVar("T")


class RenderFlows:
    """Start, follow, cancel and download exports (mixed into ``Core``)."""

    config: Config

    if TYPE_CHECKING:

        def ensure_token(self) -> Flow[None]: ...
        def ensure_session(self, language: str | None = None) -> Flow[SessionInfo]: ...
        def _call(
            self,
            build: Callable[[], httpx.Request],
            read: Callable[[httpx.Response], T],
            attempt: Attempt,
        ) -> Flow[T]: ...
        def _recover(self, error: APIError, attempt: Attempt) -> Flow[Attempt]: ...
        def _auth(self) -> str: ...
        def _sid(self) -> str: ...
        def _new_render_id(self) -> str: ...

    def submit_render(
        self, draft: Mapping[str, Any], render_id: str | None = None
    ) -> Flow[RenderJob]:
        """Start an export of ``draft``. A failed submission is retried once with a *new* id
        (a repeated id returns the existing job, so only a new id is a real second try)."""
        yield from self.ensure_session()
        try:
            return (yield from self._submit(draft, render_id or self._new_render_id()))
        except NemoError as error:
            if not resubmit_render(error):
                raise
            logger.info("render submission failed (%s); retrying once with a new id", error)
        return (yield from self._submit(draft, self._new_render_id()))

    def _submit(self, draft: Mapping[str, Any], render_id: str) -> Flow[RenderJob]:
        parse = partial(RenderJob.from_data, render_id=render_id)
        return (
            yield from self._call(
                lambda: rq.submit_render(self.config, self._auth(), render_id, self._sid(), draft),
                partial(read_value, parse=parse, kind="render"),
                Attempt(),
            )
        )

    def render_status(self, render_id: str) -> Flow[RenderJob]:
        """The job's status, progress (0–100) and output URL, read from either shape."""
        yield from self.ensure_token()
        parse = partial(RenderJob.from_data, render_id=render_id)
        return (
            yield from self._call(
                lambda: rq.render_status(self.config, self._auth(), render_id),
                partial(read_value, parse=parse, kind="render"),
                Attempt(),
            )
        )

    def cancel_render(self, render_id: str) -> Flow[RenderJob]:
        """Cancel a job; a body without a status reads as ``cancelled``."""
        yield from self.ensure_token()
        return (
            yield from self._call(
                lambda: rq.cancel_render(self.config, self._auth(), render_id),
                partial(read_cancel, render_id=render_id),
                Attempt(),
            )
        )

    def download(self, url: str, dest: str | os.PathLike[str]) -> Flow[pathlib.Path]:
        """Stream ``url`` into ``dest`` (a file, or a folder to put it in). The bytes go to a
        temporary file beside it, renamed at the end: a failure leaves nothing half-written."""
        target = download_target(url, dest)
        own = rq.same_origin(self.config, url)
        if own:
            yield from self.ensure_token()
        attempt = Attempt()
        while True:
            request = rq.download(self.config, self._auth() if own else None, url)
            response = yield from send(request, stream=True)
            if response.is_success:
                return (yield from save_atomically(response, target, read_chunk))
            refused = yield from drain(response)
            error = error_in(refused, kind="raw") or not_a_stream(refused)
            attempt = yield from self._recover(error, attempt)

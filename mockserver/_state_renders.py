"""The mock's book of render jobs: submit, look up, cancel, and find one for a download.

A mixin of :class:`~mockserver._state.MockState`, which owns the lock, the clock and the
``_renders`` dict (made again on ``reset``); the jobs themselves are in :mod:`._render`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from nemokit import contract

from ._errors import ApiError
from ._records import Account, Session

if TYPE_CHECKING:
    from ._render import RenderJob

__all__ = ["RenderBook", "shown"]


def shown(value: str, limit: int = 64) -> str:
    """``value`` cut for an error message: a 300 KB id must not come back in the answer."""
    return value if len(value) <= limit else f"{value[:limit]}… ({len(value)} characters)"


class RenderBook:
    """Every render job of one mock, by render id (under the state's lock)."""

    _lock: threading.RLock
    _renders: dict[str, RenderJob]

    if TYPE_CHECKING:

        def now(self) -> float: ...

    def submit_render(
        self,
        account: Account,
        session: Session,
        render_id: str,
        make: Callable[[], RenderJob],
    ) -> tuple[RenderJob, bool]:
        """``(job, created)``: the job ``render_id`` (existing or made by ``make``).

        A repeated id returns the existing job; an id another user took, or a second active
        export in one session, is HTTP 409.
        """
        now = self.now()
        with self._lock:
            existing = self._renders.get(render_id)
            if existing is not None:
                if existing.user_id != account.user_id:
                    raise ApiError(409, f"render id {render_id} is already in use; pick another id")
                return existing, False
            for job in self._renders.values():
                if job.session_id == session.session_id and job.is_active(now):
                    raise ApiError(
                        409,
                        f"session {session.session_id} already has an active export "
                        f"({job.id}); wait for it or cancel it",
                        extra={"activeId": job.id},
                    )
            job = make()
            self._renders[render_id] = job
            return job, True

    def render_of(self, account: Account, render_id: str) -> RenderJob:
        """``account``'s render ``render_id``; another user's or an unknown one is 1002."""
        with self._lock:
            job = self._renders.get(render_id)
            if job is None or job.user_id != account.user_id:
                raise ApiError(
                    contract.Code.SESSION_NOT_FOUND, f"render {shown(render_id)} not found"
                )
            return job

    def cancel_render(self, account: Account, render_id: str) -> RenderJob:
        """Cancel an active render; a finished one is returned as it is."""
        now = self.now()
        with self._lock:
            job = self.render_of(account, render_id)
            job.cancel(now)
            return job

    def render_for_download(self, render_id: str) -> RenderJob | None:
        """Any user's render: output URLs work like a CDN link, without a token."""
        with self._lock:
            return self._renders.get(render_id)

"""What a session shows: its draft at an instant and its ``/latest`` state body, cached.

A mixin of :class:`~mockserver._state.MockState`, which owns the lock, the clock and the
``_bodies`` cache (made again on ``reset``). Drafts are replaced whole when a turn lands, never
edited in place, so a cached body can be kept with the draft object it showed.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._errors import ok_body
from ._records import Session

__all__ = ["CachedBody", "StateViews"]


@dataclass(frozen=True, slots=True)
class CachedBody:
    """A session's rendered state body and what it showed (see ``StateViews.state_body``)."""

    draft: dict[str, Any]
    key: tuple[int, int, int]
    body: bytes


def _ended(session: Session, now: float) -> int:
    return sum(1 for turn in session.turns if turn.end <= now)


class StateViews:
    """A session's draft and state as of the clock (under the state's lock)."""

    _lock: threading.RLock
    _bodies: dict[str, CachedBody]

    if TYPE_CHECKING:

        def now(self) -> float: ...

    def draft(self, session: Session) -> dict[str, Any]:
        """The session's draft now (a copy: the caller may change it)."""
        return copy.deepcopy(self._latest(session))

    def _latest(self, session: Session, now: float | None = None) -> dict[str, Any]:
        """The session's draft at ``now`` (default: now): the latest landed turn edit or
        post-production step.

        The stored object itself, shared: read it, serialise it, never change it (drafts are
        replaced whole when a turn lands, never edited in place).
        """
        if now is None:
            now = self.now()
        with self._lock:
            latest = session.base_draft
            landed = [
                (when, turn.index, draft)
                for turn in session.turns
                for when, draft in turn.draft_events()
                if when <= now
            ]
            if landed:
                latest = max(landed, key=lambda e: (e[0], e[1]))[2]
            return latest

    def state_of(self, session: Session) -> dict[str, Any]:
        """The ``/latest`` state body: the draft now and what surrounds it.

        For serialising only: the draft and the upload records in it are the stored objects,
        not copies (a deep copy per read was ~15 % of a state fetch), so nothing may change them.
        """
        now = self.now()
        with self._lock:
            return self._state_at(session, self._latest(session, now), now)

    def state_body(self, session: Session) -> bytes:
        """The ``/latest`` success body as bytes, rendered once per visible change.

        What a state shows changes only when an upload is added, a turn starts, a turn ends
        (``generated_media``) or a draft lands (a turn's edit or a post-production step), and the
        last two are derived from the clock: so the cached body is kept with the draft object it
        showed (drafts are replaced, never changed) and the counts of uploads, turns and ended
        turns at that time. The ended turns at one instant are those with ``end <= now``, a
        family nested in time, so their count tells which they are.
        """
        now = self.now()
        with self._lock:
            draft = self._latest(session, now)
            key = (len(session.uploads), len(session.turns), _ended(session, now))
            cached = self._bodies.get(session.session_id)
            if cached is not None and cached.draft is draft and cached.key == key:
                return cached.body
            body = ok_body(self._state_at(session, draft, now))
            self._bodies[session.session_id] = CachedBody(draft, key, body)
            return body

    def _state_at(self, session: Session, draft: dict[str, Any], now: float) -> dict[str, Any]:
        with self._lock:
            found = draft.get("m")
            meta: dict[str, Any] = found if isinstance(found, dict) else {}
            generated = [
                {"id": f"gen_{t.index}", "type": "video", "turn": t.index, "message": t.message}
                for t in session.turns
                if t.script.kind == "generate" and t.end <= now
            ]
            return {
                "session_id": session.session_id,
                "task_id": session.task_id,
                "task_name": session.task_name,
                "state": {
                    # A new list (uploads may be added meanwhile); the records are never changed.
                    "video_infos": list(session.uploads),
                    "draft": draft,
                    "canvas_config": {
                        "width": meta.get("width", 1920),
                        "height": meta.get("height", 1080),
                    },
                    "video_analyses": [],
                    "generated_media": generated,
                },
            }

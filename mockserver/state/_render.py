"""Render jobs whose status is derived from the clock, never advanced by a background task.

A job is planned when it is submitted (:func:`new_render_job`) and then only *read*:
:meth:`RenderJob.status_at` says where it is at any virtual time, so a 90 s render polled every
30 s costs nothing in real time and a client that never polls still finds it done.

The timeline (the contract says 30–90 s, "clips under 60 seconds are fastest"):

- ``total`` is 30–40 s for a draft under 60 s; from 60 s on it grows linearly, 40 s plus 45 s per
  four minutes of video (plus up to 5 s of seeded jitter), capped at 90 s. Times are multiplied by
  ``config.duration_scale``.
- ``pending`` for the first tenth of ``total`` (3–9 s: the job is queued for a GPU node), then
  ``processing`` with progress rising linearly from 1 to 99, then at ``created_at + total``
  ``completed`` (100) or ``failed`` (with probability ``config.render_fail_rate``, seeded by the
  seed and the render id; progress stays where it was).
- :meth:`RenderJob.cancel` makes it ``cancelled`` from then on, with progress frozen, unless it
  had already finished (then cancelling changes nothing and returns ``False``).

The output is described as H.264 MP4 at 1920x1080, or 1080x1920 when the draft is vertical
(``m.width < m.height``); its ``duration`` is the draft's ``d``; its ``size`` is the size of the
file the download route really serves (:func:`~mockserver._media.tiny_mp4`), so a client that
checks the length of what it downloaded finds it right. The output URL is the mock's own download
route on ``base_url``, so it works offline.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from nemokit import contract
from nemokit.contract import RenderStatus

from .._config import MockConfig
from .._media import tiny_mp4

__all__ = ["RenderJob", "iso_time", "new_render_job"]

_TERMINAL = frozenset({RenderStatus.COMPLETED, RenderStatus.FAILED, RenderStatus.CANCELLED})
_DEFAULT_OUTPUT = {"format": "mp4", "quality": "high"}
_FAILURE = "the render failed on the GPU node; submit it again with a new id"


def iso_time(epoch: float, virtual: float) -> str:
    """ISO 8601 UTC (milliseconds, ``Z``) of virtual time ``virtual`` on a clock started at
    ``epoch`` (Unix seconds)."""
    moment = datetime.fromtimestamp(epoch + virtual, tz=timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(slots=True)
class RenderJob:
    """One export; everything about it at a given time is derived from these fields."""

    id: str
    session_id: str
    user_id: str
    created_at: float
    draft: dict[str, Any]
    output: dict[str, Any]
    #: Virtual seconds from submission to completed/failed.
    total: float
    fails: bool
    cancelled_at: float | None = None
    #: Unix time of virtual time 0 (``config.epoch``), for ``createdAt``/``completedAt``.
    epoch: float = MockConfig().epoch

    def status_at(self, now: float) -> tuple[RenderStatus, float]:
        """``(status, progress 0–100)`` at virtual time ``now``."""
        if self.cancelled_at is not None and now >= self.cancelled_at:
            return RenderStatus.CANCELLED, self._progress(self.cancelled_at)
        if now >= self.created_at + self.total:
            if self.fails:
                return RenderStatus.FAILED, self._progress(now)
            return RenderStatus.COMPLETED, 100.0
        if now < self.created_at + self._pending_for:
            return RenderStatus.PENDING, 0.0
        return RenderStatus.PROCESSING, self._progress(now)

    def is_active(self, now: float) -> bool:
        """Still pending or processing (the one active export a session may have)."""
        return self.status_at(now)[0] not in _TERMINAL

    def cancel(self, now: float) -> bool:
        """Cancel at ``now``; ``False`` (and no change) if the job had already finished."""
        if not self.is_active(now):
            return False
        self.cancelled_at = now
        return True

    def ended_at(self, now: float) -> float | None:
        """When it reached its final status, if it has by ``now``."""
        status, _ = self.status_at(now)
        if status is RenderStatus.CANCELLED:
            return self.cancelled_at
        return self.created_at + self.total if status in _TERMINAL else None

    @property
    def size(self) -> tuple[int, int]:
        """Output width and height: 1080x1920 for a vertical draft, else 1920x1080."""
        meta = self.draft.get("m") if isinstance(self.draft, dict) else None
        meta = meta if isinstance(meta, dict) else {}
        width, height = _number(meta.get("width")), _number(meta.get("height"))
        vertical = width is not None and height is not None and width < height
        return (1080, 1920) if vertical else (1920, 1080)

    @property
    def duration(self) -> float:
        """Output duration in seconds (the draft's ``d``)."""
        d = _number(self.draft.get("d")) if isinstance(self.draft, dict) else None
        return round(max(d or 0.0, 0.0) / 1000, 3)

    def output_url(self, base_url: str) -> str:
        return base_url.rstrip("/") + contract.PATH_DOWNLOAD.format(id=quote(self.id, safe=""))

    def submitted(self, now: float) -> dict[str, Any]:
        """The body of a successful ``POST /api/render/proxy/lambda``."""
        status, progress = self.status_at(now)
        return {
            "success": True,
            "data": {"id": self.id, "status": status.value, "progress": int(progress)},
        }

    def describe(self, now: float, base_url: str) -> dict[str, Any]:
        """The status body in the mock's default shape: both shapes at once (docs/contract.md)."""
        status, progress = self.status_at(now)
        done = status is RenderStatus.COMPLETED
        url = self.output_url(base_url) if done else None
        width, height = self.size
        ended = self.ended_at(now)
        data: dict[str, Any] = {
            "id": self.id,
            "status": status.value,
            "progress": int(progress),
            "outputUrl": url,
            "createdAt": iso_time(self.epoch, self.created_at),
            "completedAt": iso_time(self.epoch, ended) if ended is not None else None,
        }
        if status is RenderStatus.FAILED:
            data["error"] = _FAILURE
        output = {
            "url": url,
            "duration": self.duration,
            "size": len(tiny_mp4()) if done else None,
            "format": self.output.get("format", "mp4"),
            "codec": "h264",
            "width": width,
            "height": height,
        }
        return {
            "success": True,
            "taskId": self.id,
            "status": status.value,
            "progress": int(progress),
            "output": output,
            "data": data,
        }

    @property
    def _pending_for(self) -> float:
        return self.total * 0.1

    def _progress(self, when: float) -> float:
        start = self.created_at + self._pending_for
        span = self.total - self._pending_for
        if when < start or span <= 0:
            return 0.0
        return min(99.0, max(1.0, (when - start) / span * 100))


def new_render_job(
    render_id: str,
    session_id: str,
    user_id: str,
    draft: dict[str, Any],
    output: dict[str, Any] | None,
    *,
    now: float,
    seed: int,
    config: MockConfig,
) -> RenderJob:
    """Plan a render submitted at ``now`` (see the module docstring for its timeline)."""
    rng = random.Random(hashlib.sha256(f"{seed}\x1f{render_id}".encode()).digest())
    draft = draft if isinstance(draft, dict) else {}
    seconds = (_number(draft.get("d")) or 0.0) / 1000
    if seconds < 60:
        total = rng.uniform(30, 40)
    else:
        total = min(90.0, 40 + (seconds - 60) / 240 * 45 + rng.uniform(0, 5))
    fails = rng.random() < config.render_fail_rate
    settings = {**_DEFAULT_OUTPUT, **(output if isinstance(output, dict) else {})}
    return RenderJob(
        render_id,
        session_id,
        user_id,
        now,
        draft,
        settings,
        total * config.duration_scale,
        fails,
        epoch=config.epoch,
    )


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if value == value and abs(value) != float("inf") else None

"""The export workflow as one flow: pre-check, submit (or resume), poll, download, project link.

Written once as a :data:`~nemokit._flow.Flow` and driven by either driver. The flow never raises
for an outcome the user should hear about: a draft with nothing in it, a failed render, a render
that is still going after the allowed polls, or an API error each become a ``Problem`` view and an
:class:`ExportResult` whose ``outcome`` says which. Only programming errors propagate.

The contract's rules it follows:

- a draft is exportable when some track has a segment; otherwise no render request is sent;
- the render is polled every ``RENDER_POLL_INTERVAL`` (30 s) at most ``MAX_RENDER_POLLS`` (10)
  times, in the flow's clock (``Sleep`` steps), never in real time in tests;
- "⏳ Rendering ~30s" once, then "⏳ N%" when progress moves, then "✅ Video ready!";
- 402 is the plan limit and is never retried; a failed submit is retried once with a new id by
  ``Core.submit_render`` (not here, so a retry can never happen twice);
- a render id handed in resumes that job: it is polled, not submitted again.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import httpx

from . import contract
from ._draft import Timeline
from ._errors import NemoError, PlanLimit
from ._flow import Flow, Show, Sleep
from ._problems import problem_for
from ._views import Problem, Progress, VideoReady

if TYPE_CHECKING:
    from ._core import Core
    from ._models import RenderJob

__all__ = ["ExportOutcome", "ExportPolicy", "ExportResult", "export"]

#: ``completed`` (a video), ``not_ready`` (nothing to export; nothing sent), ``failed`` (the job
#: ended failed or cancelled), ``timed_out`` (still rendering after the allowed polls: resume it
#: with ``render_id``), ``blocked`` (HTTP 402, the plan limit), ``error`` (any other API or
#: connection error; ``render_id`` is set when the job had been submitted).
ExportOutcome = Literal["completed", "not_ready", "failed", "timed_out", "blocked", "error"]

NOTHING_TO_EXPORT = "Nothing to export yet: upload a clip or ask for an edit first."
RENDERING_TEXT = "⏳ Rendering ~30s"
READY_TEXT = "✅ Video ready!"


@dataclass(frozen=True, slots=True)
class ExportPolicy:
    """How long an export waits: the contract's 30 s between polls and at most 10 polls."""

    poll_interval: float = contract.RENDER_POLL_INTERVAL
    max_polls: int = contract.MAX_RENDER_POLLS

    def __post_init__(self) -> None:
        if self.poll_interval < 0:
            raise ValueError(f"poll_interval must be >= 0 seconds, got {self.poll_interval}")
        if self.max_polls < 1:
            raise ValueError(f"max_polls must be at least 1, got {self.max_polls}")


@dataclass(frozen=True, slots=True)
class ExportResult:
    """How an export ended. ``path`` is the saved file when a ``dest`` was given and saved."""

    outcome: ExportOutcome
    render_id: str | None = None
    url: str | None = None
    path: str | None = None
    project_url: str | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == "completed"


def export(
    core: Core,
    *,
    dest: str | os.PathLike[str] | None = None,
    render_id: str | None = None,
    policy: ExportPolicy = ExportPolicy(),
    on_submitted: Callable[[str], None] | None = None,
) -> Flow[ExportResult]:
    """Export the session's draft to an MP4 (or resume the render ``render_id``).

    ``on_submitted(id)`` runs right after a render is accepted, so a caller can keep the id and
    resume an interrupted export instead of starting a second one. Views come out as ``Show``
    steps; the return value says how it ended.
    """
    job_id = render_id
    try:
        job: RenderJob | None = None
        if job_id is None:
            job = yield from _submit(core)
            if job is None:
                yield Show(Problem(NOTHING_TO_EXPORT))
                return ExportResult("not_ready")
            job_id = job.id
            if on_submitted is not None:
                on_submitted(job_id)
        yield Show(Progress(RENDERING_TEXT, stage="rendering"))
        job = yield from _wait(core, job_id, job, policy)
        if job is None:
            yield Show(_still_rendering(job_id))
            return ExportResult("timed_out", job_id)
        if job.status is not contract.RenderStatus.COMPLETED:
            yield Show(_render_failed(job))
            return ExportResult("failed", job.id)
        return (yield from _finish(core, job, dest))
    except (NemoError, httpx.TransportError) as exc:
        yield Show(_problem(exc, core))
        return ExportResult("blocked" if isinstance(exc, PlanLimit) else "error", job_id)


def _submit(core: Core) -> Flow[RenderJob | None]:
    """Send the render request, or ``None`` when the draft has nothing to export."""
    state = yield from core.state()
    if not Timeline.from_draft(state.draft).ready_to_export:
        return None
    return (yield from core.submit_render(state.draft))


def _wait(
    core: Core, job_id: str, job: RenderJob | None, policy: ExportPolicy
) -> Flow[RenderJob | None]:
    """Poll until the job ends; ``None`` if it is still going after ``policy.max_polls`` polls.

    A freshly submitted ``job`` is first polled one interval later. A resumed one (``job`` is
    ``None``) is polled at once: it was submitted earlier, perhaps long ago.
    """
    shown = _percent(job) if job is not None else 0
    polls = 0
    while job is None or not job.done:
        if polls == policy.max_polls:
            return None
        if job is not None:
            yield Sleep(policy.poll_interval)
        job = yield from core.render_status(job_id)
        polls += 1
        percent = _percent(job)
        if not job.done and percent != shown:
            shown = percent
            yield Show(Progress(f"⏳ {percent}%", stage="rendering", percent=percent))
    return job


def _finish(core: Core, job: RenderJob, dest: str | os.PathLike[str] | None) -> Flow[ExportResult]:
    """Download (when asked), fetch the project link (best effort) and show the video."""
    url = job.output_url
    if not url:
        yield Show(
            Problem(
                "The render finished but gave no download link. Try exporting again.",
                retryable=True,
            )
        )
        return ExportResult("failed", job.id)
    path: str | None = None
    if dest is not None:
        path = yield from _download(core, url, dest)
    project_url = yield from _project_link(core)
    yield Show(VideoReady(READY_TEXT, url=url, path=path, project_url=project_url))
    return ExportResult("completed", job.id, url=url, path=path, project_url=project_url)


def _download(core: Core, url: str, dest: str | os.PathLike[str]) -> Flow[str | None]:
    """Save the video; on failure say so and go on, since the video is still at its URL."""
    try:
        saved = yield from core.download(url, dest)
    except (NemoError, httpx.TransportError, OSError) as exc:
        reason = _problem(exc, core).text
        yield Show(
            Problem(
                f"Could not save the video to {os.fspath(dest)}: {reason} "
                f"It is still available at {url}.",
                retryable=True,
            )
        )
        return None
    return str(saved)


def _project_link(core: Core) -> Flow[str | None]:
    """The claim link that opens the project in a browser; an export finishes without it."""
    try:
        return (yield from core.claim_link())
    except (NemoError, httpx.TransportError):
        return None


def _percent(job: RenderJob) -> int:
    """The job's progress as a whole percentage (``RenderJob`` already reads it as 0–100)."""
    return int(min(max(job.progress, 0.0), 100.0))


def _still_rendering(job_id: str) -> Problem:
    return Problem(
        f"The video is still rendering; check again later with render id {job_id} "
        "(exporting with that id resumes this render instead of starting a new one).",
        retryable=True,
        details=(job_id,),
    )


def _render_failed(job: RenderJob) -> Problem:
    word = "was cancelled" if job.status is contract.RenderStatus.CANCELLED else "failed"
    return Problem(
        f"The render {word} (render id {job.id}). Try exporting again; a new render starts.",
        retryable=True,
        details=(job.id,),
    )


def _problem(exc: BaseException, core: Core) -> Problem:
    return problem_for(exc, core)

"""What the user sees, as typed values.

The client's high-level flows yield these instead of printing: the CLI renders them, the
conformance suite judges them together with the server's journal, and a program embedding nemokit
shows them however it likes. Every view has a ``text``, the sentence a plain terminal would print,
and a ``kind``, the short name that the CLI's ``--json``, the conformance suite and the driver
protocol all use for it (``reply``, ``progress``, ``video_ready``...).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

__all__ = [
    "Changes",
    "CreditsView",
    "Notice",
    "Problem",
    "Progress",
    "ProjectLink",
    "Reply",
    "Tracks",
    "Uploaded",
    "VideoReady",
    "View",
]


@dataclass(frozen=True, slots=True)
class View:
    """Base of everything shown to the user."""

    kind: ClassVar[str] = "view"

    text: str


@dataclass(frozen=True, slots=True)
class Notice(View):
    """A status line: "Setting things up...", "✅ Connected and ready"."""

    kind: ClassVar[str] = "notice"


@dataclass(frozen=True, slots=True)
class Reply(View):
    """What the agent said, translated (GUI instructions removed, content kept)."""

    kind: ClassVar[str] = "reply"


@dataclass(frozen=True, slots=True)
class Progress(View):
    """Work under way: "⏳ Still working...", "⏳ Rendering ~30s", "⏳ 50%".

    ``stage`` is ``working`` (a turn), ``rendering`` (an export) or ``uploading``;
    ``percent`` is 0–100 when known.
    """

    kind: ClassVar[str] = "progress"

    stage: str = "working"
    percent: float | None = None


@dataclass(frozen=True, slots=True)
class Changes(View):
    """A summary of what a turn changed in the draft (after a silent turn or a recovery)."""

    kind: ClassVar[str] = "changes"

    changes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Tracks(View):
    """The track summary: ``1. Video: city timelapse (0-10s) 2. BGM: ...``."""

    kind: ClassVar[str] = "tracks"

    lines: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CreditsView(View):
    """The credit balance: ``total = available + frozen`` (``frozen`` is held by work in
    progress)."""

    kind: ClassVar[str] = "credits"

    available: int = 0
    frozen: int = 0
    total: int = 0


@dataclass(frozen=True, slots=True)
class Uploaded(View):
    """Files the API accepted: their names and media types."""

    kind: ClassVar[str] = "uploaded"

    files: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class VideoReady(View):
    """ "✅ Video ready!" with the download URL, the saved file and the project link."""

    kind: ClassVar[str] = "video_ready"

    url: str = ""
    path: str | None = None
    project_url: str | None = None


@dataclass(frozen=True, slots=True)
class ProjectLink(View):
    """The browser link that opens the project (a claim link; never the API token)."""

    kind: ClassVar[str] = "project_link"

    url: str = ""


@dataclass(frozen=True, slots=True)
class Problem(View):
    """An error as a sentence that says what to do. ``code`` is the contract code or HTTP status,
    ``link`` a URL the user can follow (registration on 2001), ``retryable`` whether offering a
    retry makes sense."""

    kind: ClassVar[str] = "problem"

    code: int | None = None
    link: str | None = None
    retryable: bool = False
    details: tuple[str, ...] = field(default=())

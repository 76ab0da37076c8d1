"""The draft (the editor's timeline) as frozen values: read defensively and summarised.

The state endpoint's ``draft`` uses short keys: ``t`` tracks, ``tt`` track type (0 video, 1 audio,
7 text), ``sg`` segments, ``d`` duration in ms, ``m`` metadata. Segment fields are not published;
the mock's choice (``contract.SEGMENT_FIELDS``: ``id start duration source text volume
transition``, times in ms, volume 0..1) is read first, with a few plausible aliases after it.

A real server may send anything, so reading never raises: what cannot be read is left out, a
missing number is 0 and a missing text is ``None``. Volume is taken as the contract's 0..1 scale and
never guessed to be a percentage. The phrases for times, volumes and segments live here too, so a
summary and a diff (:mod:`._diff`) describe a segment the same way.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .contract import SEGMENT_FIELDS, TrackType

__all__ = [
    "EMPTY_SUMMARY",
    "UNKNOWN_TYPE",
    "Segment",
    "Timeline",
    "Track",
    "describe",
    "percent",
    "seconds",
    "shown_name",
    "size_of",
    "span",
]

EMPTY_SUMMARY = "The timeline is empty."

_LABELS: dict[int, str] = {
    TrackType.VIDEO: "Video",
    TrackType.AUDIO: "Audio",
    TrackType.TEXT: "Text",
}
#: ``tt`` that cannot be read: the track is kept (its segments are content) under this type.
UNKNOWN_TYPE = -1

# The mock's names first (contract.SEGMENT_FIELDS), then aliases a real server might use.
_ID, _START_KEY, _DURATION_KEY, _SOURCE_KEY, _TEXT_KEY, _VOLUME_KEY, _TRANSITION = SEGMENT_FIELDS
_START = (_START_KEY, "start_ms", "st")
_DURATION = (_DURATION_KEY, "duration_ms", "dur")
_SOURCE = (_SOURCE_KEY, "src", "name")
_TEXT = (_TEXT_KEY, "content")
_VOLUME = (_VOLUME_KEY, "vol")


# --- reading junk safely ----------------------------------------------------------------------


def _number(value: Any) -> float | None:
    """A finite number ≥ 0 (numeric strings too), else ``None``; a bool is not a number."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) and number >= 0 else None


def _first(raw: Mapping[Any, Any], keys: tuple[str, ...]) -> Any:
    return next((raw[key] for key in keys if raw.get(key) is not None), None)


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _ident(value: Any) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return _text(value)


def _transition(value: Any) -> str | None:
    # A transition may be a bare name or an object such as {"type": "fade", "duration": 500}.
    if isinstance(value, Mapping):
        value = _first(value, ("type", "name"))
    return _text(value)


def _items(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else []


def _ms(value: Any) -> int:
    number = _number(value)
    return round(number) if number is not None else 0


# --- values -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Segment:
    """One clip, sound or text on a track. Times in milliseconds, ``volume`` on a 0..1 scale."""

    id: str | None = None
    start_ms: int = 0
    duration_ms: int = 0
    source: str | None = None
    text: str | None = None
    volume: float | None = None
    transition: str | None = None

    @property
    def end_ms(self) -> int:
        return self.start_ms + self.duration_ms

    @classmethod
    def from_raw(cls, raw: Any) -> Segment | None:
        """A segment from one ``sg`` item, or ``None`` if it is not an object."""
        if not isinstance(raw, Mapping):
            return None
        start = _ms(_first(raw, _START))
        duration = _first(raw, _DURATION)
        if _number(duration) is None and _number(raw.get("end")) is not None:
            duration = max(0, _ms(raw.get("end")) - start)
        return cls(
            id=_ident(raw.get(_ID)),
            start_ms=start,
            duration_ms=_ms(duration),
            source=_text(_first(raw, _SOURCE)),
            text=_text(_first(raw, _TEXT)),
            volume=_number(_first(raw, _VOLUME)),
            transition=_transition(raw.get(_TRANSITION)),
        )


@dataclass(frozen=True, slots=True)
class Track:
    """A track: ``type`` is the ``tt`` code (``UNKNOWN_TYPE`` when unreadable)."""

    type: int
    name: str | None = None
    segments: tuple[Segment, ...] = ()

    @property
    def label(self) -> str:
        """Its name, else "Video"/"Audio"/"Text" by type ("Track" for an unknown type)."""
        return self.name or _LABELS.get(self.type, "Track")

    @property
    def noun(self) -> str:
        """What a change to it is called: an unnamed text track holds "Text overlay"s."""
        if self.type == TrackType.TEXT and self.label == "Text":
            return "Text overlay"
        return self.label

    @classmethod
    def from_raw(cls, raw: Any) -> Track | None:
        if not isinstance(raw, Mapping):
            return None
        code = raw.get("tt")
        number = _number(code)
        kind = int(number) if number is not None and number == int(number) else UNKNOWN_TYPE
        segments = (Segment.from_raw(item) for item in _items(raw.get("sg")))
        return cls(kind, _text(raw.get("name")), tuple(s for s in segments if s is not None))


@dataclass(frozen=True, slots=True)
class Timeline:
    """A draft read defensively. ``metadata`` is the ``m`` object (title, width, height, …)."""

    tracks: tuple[Track, ...] = ()
    duration_ms: int = 0
    metadata: Mapping[str, Any] = field(default_factory=dict, hash=False)

    @classmethod
    def from_draft(cls, draft: Any) -> Timeline:
        """Read a draft (an object, or its JSON text); never raises, whatever it is given."""
        if isinstance(draft, (str, bytes)):
            try:
                draft = json.loads(draft)
            except ValueError:
                return cls()
        if not isinstance(draft, Mapping):
            return cls()
        tracks = tuple(t for t in map(Track.from_raw, _items(draft.get("t"))) if t is not None)
        ends = [s.end_ms for t in tracks for s in t.segments]
        declared = _number(draft.get("d"))
        duration = round(declared) if declared else max(ends, default=0)
        meta = draft.get("m")
        metadata = (
            {k: v for k, v in meta.items() if isinstance(k, str)}
            if isinstance(meta, Mapping)
            else {}
        )
        return cls(tracks, duration, metadata)

    @property
    def ready_to_export(self) -> bool:
        """The contract's rule: some track has a segment."""
        return any(track.segments for track in self.tracks)

    @property
    def title(self) -> str | None:
        return _text(self.metadata.get("title"))

    @property
    def size(self) -> tuple[int, int] | None:
        """``(width, height)`` from the metadata, when both are there."""
        return size_of(self.metadata)

    def summary_lines(self) -> tuple[str, ...]:
        """``1. Video: city timelapse (0-10s)``, one line per track that has segments."""
        shown = [track for track in self.tracks if track.segments]
        return tuple(
            f"{n}. {t.label}: " + ", ".join(describe(s, t) for s in t.segments)
            for n, t in enumerate(shown, start=1)
        )

    def summary(self) -> str:
        """The track summary on one line, as in the contract, or "The timeline is empty."."""
        return " ".join(self.summary_lines()) or EMPTY_SUMMARY


# --- phrases (shared with the diff) ----------------------------------------------------------


def seconds(ms: int) -> str:
    """Whole seconds without decimals, otherwise one decimal: 10000 → 10, 1500 → 1.5."""
    if ms % 1000 == 0:
        return str(ms // 1000)
    text = f"{ms / 1000:.1f}"
    return text.removesuffix(".0")


def span(segment: Segment) -> str:
    """``0-10s``: where the segment sits on the timeline."""
    return f"{seconds(segment.start_ms)}-{seconds(segment.end_ms)}s"


def percent(volume: float | None) -> str:
    """A 0..1 volume as ``80%``, or "default" when the draft has none."""
    return "default" if volume is None else f"{round(volume * 100)}%"


def shown_name(segment: Segment, track: Track) -> str:
    """What the segment shows: quoted text on a text track, the source elsewhere."""
    if track.type == TrackType.TEXT:
        words = segment.text or segment.source
        return f'"{words}"' if words else "untitled"
    return segment.source or segment.text or "untitled"


def describe(segment: Segment, track: Track) -> str:
    """``city timelapse (0-10s)``; an audio segment adds its volume."""
    detail = span(segment)
    if track.type == TrackType.AUDIO and segment.volume is not None:
        detail += f", {percent(segment.volume)}"
    return f"{shown_name(segment, track)} ({detail})"


def size_of(meta: Any) -> tuple[int, int] | None:
    """``(width, height)`` from a metadata or canvas object, when both are positive."""
    if not isinstance(meta, Mapping):
        return None
    width, height = _number(meta.get("width")), _number(meta.get("height"))
    return (round(width), round(height)) if width and height else None

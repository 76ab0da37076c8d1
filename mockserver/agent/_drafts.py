"""The draft dicts the scripted agent edits: finding tracks, laying segments out, clipping to ``d``.

The draft is "The draft the mock writes" in docs/architecture.md (times in ms, segment fields
from ``contract.SEGMENT_FIELDS``). A client or a test may have put anything in the session, so
every reader here skips what is not the expected shape instead of raising.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from nemokit import contract

__all__ = [
    "clips",
    "drop_tracks",
    "find_track",
    "has_segments",
    "lay_out",
    "meta_of",
    "new_track",
    "next_id",
    "num",
    "refresh",
    "secs",
    "seed_from_media",
    "segment_end",
    "segments_of",
    "source_name",
    "track_end",
    "tracks_of",
]


def num(value: Any) -> float | None:
    """``value`` as a float when it is a finite int or float (never a bool), else ``None``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if value == value and abs(value) != float("inf") else None


def tracks_of(draft: dict[str, Any]) -> list[dict[str, Any]]:
    """The track dicts of ``draft`` (``t`` becomes a list if it was not one)."""
    tracks = draft.get("t")
    if not isinstance(tracks, list):
        tracks = draft["t"] = []
    return [t for t in tracks if isinstance(t, dict)]


def segments_of(track: dict[str, Any]) -> list[dict[str, Any]]:
    """The segment dicts of ``track`` (``sg`` becomes a list if it was not one)."""
    segments = track.get("sg")
    if not isinstance(segments, list):
        segments = track["sg"] = []
    return [s for s in segments if isinstance(s, dict)]


def has_segments(draft: dict[str, Any]) -> bool:
    """Whether any track has a segment (the contract's ready-to-export rule)."""
    return any(segments_of(t) for t in tracks_of(draft))


def find_track(draft: dict[str, Any], tt: int, name: str | None = None) -> dict[str, Any] | None:
    """The first track of type ``tt`` (and ``name``, when given), else ``None``."""
    for track in tracks_of(draft):
        if track.get("tt") == tt and (name is None or track.get("name") == name):
            return track
    return None


def new_track(draft: dict[str, Any], tt: int, name: str) -> dict[str, Any]:
    """An empty track appended to ``draft``."""
    track: dict[str, Any] = {"tt": tt, "name": name, "sg": []}
    draft.setdefault("t", []).append(track)
    return track


def drop_tracks(draft: dict[str, Any], keep: Any) -> int:
    """Keep only the tracks ``keep`` accepts; how many were dropped."""
    before = tracks_of(draft)
    draft["t"] = [t for t in before if keep(t)]
    return len(before) - len(draft["t"])


def next_id(draft: dict[str, Any]) -> str:
    """The next free ``sg_<n>`` segment id in ``draft``."""
    numbers = [
        int(str(s.get("id"))[3:])
        for t in tracks_of(draft)
        for s in segments_of(t)
        if re.fullmatch(r"sg_\d+", str(s.get("id")))
    ]
    return f"sg_{max(numbers, default=0) + 1}"


def segment_end(segment: dict[str, Any]) -> int:
    """Where the segment ends, in ms."""
    return int((num(segment.get("start")) or 0) + (num(segment.get("duration")) or 0))


def track_end(track: dict[str, Any] | None) -> int:
    """Where the track's last segment ends, in ms (0 for none)."""
    return max((segment_end(s) for s in segments_of(track)), default=0) if track else 0


def lay_out(track: dict[str, Any]) -> None:
    """Lay the track's segments end to end from 0."""
    position = 0
    for segment in segments_of(track):
        segment["start"] = position
        position += int(num(segment.get("duration")) or 0)


def refresh(draft: dict[str, Any]) -> None:
    """``d`` is the end of the video track; other tracks are clipped to it."""
    video = find_track(draft, contract.TrackType.VIDEO)
    end = track_end(video) if video else max(map(track_end, tracks_of(draft)), default=0)
    draft["d"] = end
    for track in tracks_of(draft):
        if track is video or not end:
            continue
        kept = [s for s in segments_of(track) if (num(s.get("start")) or 0) < end]
        for segment in kept:
            segment["duration"] = min(segment_end(segment), end) - int(
                num(segment.get("start")) or 0
            )
        track["sg"] = kept


def meta_of(draft: dict[str, Any]) -> dict[str, Any]:
    """The draft's ``m`` object, made with the defaults when missing."""
    meta = draft.get("m")
    if not isinstance(meta, dict):
        meta = draft["m"] = {"width": 1920, "height": 1080, "fps": 30, "volume": 1.0}
    return meta


def clips(count: int, *, the: bool = False) -> str:
    """ "1 clip", "3 clips" (or "the clip", "the 3 clips")."""
    if count == 1:
        return "the clip" if the else "1 clip"
    return f"the {count} clips" if the else f"{count} clips"


def secs(ms: float) -> str:
    """Milliseconds as seconds with at most one decimal: 1500 → ``1.5``."""
    return f"{round(ms / 1000, 1):g}"


def source_name(filename: Any) -> str:
    """A clip's name from its file name: no folder, no extension, ``_``/``-`` as spaces."""
    name = str(filename or "clip").rsplit("/", 1)[-1]
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return re.sub(r"[_\-]+", " ", stem).strip() or "clip"


def seed_from_media(media: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The video track made of the uploaded videos and images, in upload order."""
    segments: list[dict[str, Any]] = []
    meta: dict[str, Any] = {}
    for item in media:
        kind = item.get("file_type") or contract.file_type_of(str(item.get("filename", "")))
        if kind not in ("video", "image"):
            continue
        seconds = num(item.get("duration"))
        ms = (
            round(seconds * 1000)
            if seconds and seconds > 0
            else (3000 if kind == "image" else 30000)
        )
        position = sum(s["duration"] for s in segments)
        segments.append(
            {
                "id": f"sg_{len(segments) + 1}",
                "start": position,
                "duration": ms,
                "source": source_name(item.get("filename")),
            }
        )
        if not meta:
            meta = _first_meta(item)
    if not segments:
        return {}
    draft = {"t": [{"tt": 0, "name": "Video", "sg": segments}], "d": 0, "m": meta}
    refresh(draft)
    return draft


def _first_meta(item: Mapping[str, Any]) -> dict[str, Any]:
    # The guide renders at 1080p by default: the first clip sets the orientation, not the size
    # (a 16x16 test clip must not make a 16x16 project).
    width, height, fps = (num(item.get(k)) for k in ("width", "height", "fps"))
    vertical = bool(width and height and 0 < width < height)
    return {
        "width": 1080 if vertical else 1920,
        "height": 1920 if vertical else 1080,
        "fps": fps if fps and fps > 0 else 30,
        "volume": 1.0,
    }

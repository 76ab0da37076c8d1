"""What changed between two drafts, as sentences a person reads after a turn.

Tracks carry no ids, so one is matched as the n-th track of its type and label; segments match
by id when they have one, else by position. Segments are described with the same phrases as the
timeline summary (:mod:`._timeline`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ._timeline import (
    Segment,
    Timeline,
    Track,
    describe,
    percent,
    seconds,
    shown_name,
    size_of,
    span,
)

__all__ = ["diff", "diff_drafts", "diff_state"]


def _keyed_tracks(timeline: Timeline) -> dict[tuple[int, str, int], Track]:
    """Tracks have no ids: one is the n-th track of its type and label."""
    seen: dict[tuple[int, str], int] = {}
    keyed = {}
    for track in timeline.tracks:
        n = seen[track.type, track.label] = seen.get((track.type, track.label), -1) + 1
        keyed[track.type, track.label, n] = track
    return keyed


def _pairs(
    before: tuple[Segment, ...], after: tuple[Segment, ...]
) -> Iterator[tuple[Segment | None, Segment | None]]:
    """Segments matched by id when they have one, else by position among those without."""
    by_id: dict[str, list[Segment]] = {}
    for segment in before:  # a list per id: a server may repeat one
        by_id.setdefault(segment.id or "", []).append(segment)
    loose = by_id.pop("", [])
    for segment in after:
        pool = by_id.get(segment.id, []) if segment.id is not None else loose
        yield (pool.pop(0) if pool else None), segment
    yield from ((s, None) for pool in (*by_id.values(), loose) for s in pool)


def _segment_changes(old: Segment, new: Segment, track: Track) -> Iterator[str]:
    noun = track.noun
    if new.duration_ms != old.duration_ms:
        verb = "trimmed" if new.duration_ms < old.duration_ms else "extended"
        yield f"{noun} {verb}: {seconds(old.duration_ms)}s → {seconds(new.duration_ms)}s"
    elif new.start_ms != old.start_ms:
        yield f"{noun} moved: {span(old)} → {span(new)}"
    if shown_name(new, track) != shown_name(old, track):
        yield f"{noun} changed: {shown_name(old, track)} → {shown_name(new, track)}"
    if new.volume != old.volume:
        yield f"{noun} volume: {percent(old.volume)} → {percent(new.volume)}"
    yield from _transition_change(old.transition, new.transition)


def _transition_change(old: str | None, new: str | None) -> Iterator[str]:
    if old == new:
        return
    if old is None:
        yield f"Transition added: {new}"
    elif new is None:
        yield f"Transition removed: {old}"
    else:
        yield f"Transition changed: {old} → {new}"


def _track_changes(old: Track | None, new: Track) -> Iterator[str]:
    for before, after in _pairs(old.segments if old else (), new.segments):
        if before is None and after is not None:
            yield f"{new.noun} added: {describe(after, new)}"
            yield from _transition_change(None, after.transition)
        elif after is None and before is not None:
            yield f"{new.noun} removed: {describe(before, new)}"
        elif before is not None and after is not None:
            yield from _segment_changes(before, after, new)


def _meta_changes(before: Timeline, after: Timeline) -> Iterator[str]:
    yield from _size_change(before.size, after.size)
    if before.title and after.title and before.title != after.title:
        yield f'Title changed: "{before.title}" → "{after.title}"'
    if before.ready_to_export and after.ready_to_export and before.duration_ms != after.duration_ms:
        yield f"Duration: {seconds(before.duration_ms)}s → {seconds(after.duration_ms)}s"


def _size_change(old: tuple[int, int] | None, new: tuple[int, int] | None) -> Iterator[str]:
    # Only a change between two known sizes is news; a first size is part of a new draft.
    if old and new and old != new:
        yield f"Aspect ratio changed: {old[0]}x{old[1]} → {new[0]}x{new[1]}"


def _unique(lines: Iterator[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(lines))


def diff_drafts(before: Timeline | Any, after: Timeline | Any) -> tuple[str, ...]:
    """What changed from ``before`` to ``after`` as sentences (``Title added: "X" (0-3s)``).

    Either side may be a :class:`Timeline` or a raw draft (junk reads as an empty timeline).
    Tracks match by type, label and order; segments by id, else by position. No change → ``()``.
    """
    old = before if isinstance(before, Timeline) else Timeline.from_draft(before)
    new = after if isinstance(after, Timeline) else Timeline.from_draft(after)
    return _unique(_timeline_changes(old, new))


def _timeline_changes(old: Timeline, new: Timeline) -> Iterator[str]:
    old_tracks, new_tracks = _keyed_tracks(old), _keyed_tracks(new)
    for key, track in new_tracks.items():
        yield from _track_changes(old_tracks.get(key), track)
    for key, track in old_tracks.items():
        if key not in new_tracks and track.segments:
            yield f"Track removed: {track.label}"
    yield from _meta_changes(old, new)


#: The name the module map uses for the draft diff.
diff = diff_drafts


def _state_of(payload: Any) -> Mapping[Any, Any]:
    """The ``state`` object, whether given itself or inside the endpoint's ``data``."""
    if not isinstance(payload, Mapping):
        return {}
    inner = payload.get("state")
    return inner if isinstance(inner, Mapping) and "draft" not in payload else payload


def _count(value: Any) -> int:
    return len(value) if isinstance(value, (list, tuple, Mapping)) else 0


def diff_state(before: Mapping[str, Any] | None, after: Mapping[str, Any] | Any) -> tuple[str, ...]:
    """The draft diff of two ``state`` payloads plus new media (``New media: 2 generated``)."""
    old, new = _state_of(before), _state_of(after)

    def lines() -> Iterator[str]:
        yield from _timeline_changes(
            Timeline.from_draft(old.get("draft")), Timeline.from_draft(new.get("draft"))
        )
        yield from _size_change(
            size_of(old.get("canvas_config")), size_of(new.get("canvas_config"))
        )
        for key, verb in (("generated_media", "generated"), ("video_infos", "uploaded")):
            grown = _count(new.get(key)) - _count(old.get(key))
            if grown > 0:
                yield f"New media: {grown} {verb}"

    return _unique(lines())

"""The draft (the editor's timeline): its values and its diff, under the module map's name.

The values and their reading live in :mod:`._timeline`, the diff in :mod:`._diff`; the diff
needs the values, so the two are separate modules and this one gathers them for the imports
that name ``_draft``.
"""

from __future__ import annotations

from ._diff import diff, diff_drafts, diff_state
from ._timeline import EMPTY_SUMMARY, UNKNOWN_TYPE, Segment, Timeline, Track

__all__ = [
    "EMPTY_SUMMARY",
    "UNKNOWN_TYPE",
    "Segment",
    "Timeline",
    "Track",
    "diff",
    "diff_drafts",
    "diff_state",
]

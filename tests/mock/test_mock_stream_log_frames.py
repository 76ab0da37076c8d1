"""The stream log notes a repeated heartbeat from memory exactly as it would decode it.

A busy mock sends thousands of identical heartbeat chunks a second; the journal's stream log
remembers how a small chunk of heartbeats and comments was read at an event boundary and notes
it again without decoding (``mockserver/http/_stream_log.py``). Whatever the chunking, the
notes must be the ones a fresh decode of the whole stream gives.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from mockserver.http._stream_log import StreamLog
from mockserver.state import EVENTS_CAP, Journal
from nemokit._clock import VirtualClock

FRAMES = [
    b'data: {"type": "heartbeat"}\n\n',
    b'data: {"type": "heartbeat"}\r\n\r\n',
    b"data:\n\n",
    b": ping\n\n",
    b": keep-alive\n\n",
    b'data: {"type": "text", "content": "hello"}\n\n',
    'data: {"type": "text", "content": "你好"}\n\n'.encode(),
    b'data: {"content": {"parts": [{"text": "Done"}], "role": "model"}, "author": "nemo"}\n\n',
]


def _notes(chunks: list[bytes]) -> list[dict[str, Any]]:
    entry = Journal(10).record(time=0.0, method="POST", path="/run_sse", query="", headers=[],
                               client=None)  # fmt: skip
    log = StreamLog(entry, VirtualClock())
    log.start()
    for chunk in chunks:
        log.feed(chunk)
    log.end()
    return [{k: v for k, v in event.items() if k != "time"} for event in entry.events]


@st.composite
def _chunked(draw: st.DrawFn) -> tuple[bytes, list[bytes]]:
    frames = draw(st.lists(st.sampled_from(FRAMES), min_size=1, max_size=12))
    whole = b"".join(frames)
    # Some chunks are whole frames (as the mock sends them), some cut anywhere.
    cuts = sorted(set(draw(st.lists(st.integers(1, len(whole) - 1), max_size=6))))
    if draw(st.booleans()):
        return whole, frames
    return whole, [whole[a:b] for a, b in zip([0, *cuts], [*cuts, len(whole)], strict=True)]


@given(_chunked())
def test_any_chunking_notes_what_the_whole_stream_says(case: tuple[bytes, list[bytes]]) -> None:
    whole, chunks = case
    expected = _notes([whole])
    assert _notes(chunks) == expected
    assert _notes(chunks) == expected  # again, with whatever was remembered the first time


def test_past_the_cap_heartbeats_are_counted() -> None:
    entry = Journal(10).record(time=0.0, method="POST", path="/run_sse", query="", headers=[],
                               client=None)  # fmt: skip
    log = StreamLog(entry, VirtualClock())
    log.start()
    for _ in range(EVENTS_CAP + 25):
        log.feed(FRAMES[0])
    assert len(entry.events) == EVENTS_CAP
    assert entry.events_dropped == 25

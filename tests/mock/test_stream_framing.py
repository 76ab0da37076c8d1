"""The WHATWG framings of ``/run_sse`` (``MockConfig.sse_framing``): same events, other bytes.

Each framing is decoded with nemokit's own ``SSEDecoder`` + ``interpret``, fed one send at a
time, and must give exactly the events of the plain ``lf`` framing; the bytes themselves must
show the edge case the framing exists for (CRLF, bare CR, several data lines, ids followed by a
comment, a CRLF and a UTF-8 character split across sends).
"""

from __future__ import annotations

import asyncio
import itertools

import httpx
import pytest

from mockserver import ScriptItem, TurnScript, create_app, play_turn
from mockserver._config import SSE_FRAMINGS, MockConfig
from mockserver.agent import LONG_PROGRESS_EVERY, frame_event, frame_heartbeat, split_frame
from nemokit._clock import VirtualClock
from nemokit._events import Heartbeat, ToolCall, ToolResult, TurnEvent, interpret
from nemokit._sse import SSEDecoder

CALL = {"id": "call_1", "name": "add_title", "args": {"text": "城市之梦"}}
RESULT = {"id": "call_1", "name": "add_title", "response": {"status": "success"}}
ITEMS = (
    ScriptItem(25.0, "partial", {"text": "Adding a title — "}),
    ScriptItem(30.0, "tool_call", CALL),
    ScriptItem(55.0, "tool_result", RESULT),
    ScriptItem(70.0, "text", {"text": "I added the title 「城市之梦」.\nAnything else?"}),
)
SCRIPT = TurnScript(ITEMS, 90.0, 1, None, (), False, "edit")


def sends(config: MockConfig, script: TurnScript = SCRIPT) -> list[bytes]:
    """Every send of one played turn, in order."""

    async def run() -> list[bytes]:
        clock = VirtualClock()
        stream = play_turn(script, start=0.0, clock=clock, config=config, invocation_id="e-1")
        return [frame async for frame in stream]

    return asyncio.run(run())


def events(chunks: list[bytes]) -> list[TurnEvent]:
    """What nemokit reads from the sends, fed one at a time (as the transport gives them)."""
    decoder = SSEDecoder()
    items = [item for chunk in chunks for item in decoder.feed(chunk)] + decoder.flush()
    return [event for item in items for event in interpret(item)]


def config(framing: str, **changes: object) -> MockConfig:
    return MockConfig().replace(sse_framing=framing, **changes)


@pytest.mark.parametrize("dialect", ["adk", "simple"])
@pytest.mark.parametrize("form", ["json", "empty", "comment"])
@pytest.mark.parametrize("framing", SSE_FRAMINGS)
def test_every_framing_reads_as_the_same_events(framing: str, form: str, dialect: str) -> None:
    settings = {"heartbeat_form": form, "dialect": dialect}
    plain = events(sends(config("lf", **settings)))
    framed = events(sends(config(framing, **settings)))
    work = [e for e in plain if not isinstance(e, Heartbeat)]
    assert len(work) >= 3  # the events worth comparing
    assert [e for e in framed if not isinstance(e, Heartbeat)] == work
    # Heartbeats too (``ids`` adds a comment after each event, which reads as one more).
    beats = [e for e in plain if isinstance(e, Heartbeat)]
    assert [e for e in framed if isinstance(e, Heartbeat) and e.form == form][: len(beats)] == beats


def test_crlf_and_cr_end_every_line_so() -> None:
    crlf = b"".join(sends(config("crlf")))
    cr = b"".join(sends(config("cr")))
    assert b"\r\n\r\n" in crlf
    assert b"\n" not in crlf.replace(b"\r\n", b"")
    assert b"\n" not in cr
    assert b"\r\r" in cr


def test_multiline_spreads_each_event_over_several_data_lines() -> None:
    (frame,) = frame_event({"a": 1, "b": ["x", "y"]}, "multiline")
    lines = frame.decode().split("\n")
    assert sum(line.startswith("data: ") for line in lines) >= 4
    assert frame.endswith(b"\n\n")


def test_ids_put_a_comment_right_after_an_event_with_an_id() -> None:
    first, trap = frame_event({"a": 1}, "ids", event_id="7")
    assert first.startswith(b"id: 7\n")
    assert trap.startswith(b":")
    decoder = SSEDecoder()
    items = decoder.feed(first + trap)
    # The trap must not make a second (empty) event: one event, one comment.
    assert [type(i).__name__ for i in items] == ["SSEEvent", "SSEComment"]
    assert decoder.last_event_id == "7"


def test_chunked_splits_a_crlf_and_a_utf8_character_across_sends() -> None:
    chunks = sends(config("chunked"))
    assert any(a.endswith(b"\r") and b.startswith(b"\n") for a, b in itertools.pairwise(chunks))
    broken = 0
    for chunk in chunks:
        try:
            chunk.decode("utf-8")
        except UnicodeDecodeError:
            broken += 1
    assert broken >= 1  # at least one send ends or starts inside a character
    assert len(chunks) > 3 * len(ITEMS)


@pytest.mark.parametrize("size", [0, 1, 2, 7, 300])
def test_split_frame_pieces_join_to_the_frame(size: int) -> None:
    frame = ("é\r\n" * size).encode()
    pieces = split_frame(frame)
    assert b"".join(pieces) == frame
    assert all(pieces)


def test_heartbeats_follow_the_framing() -> None:
    assert frame_heartbeat("empty", "crlf") == [b"data:\r\n\r\n"]
    assert frame_heartbeat("comment", "cr") == [b": ping\r\r"]
    assert b"".join(frame_heartbeat("json", "chunked")) == b'data: {"type": "heartbeat"}\r\n\r\n'


def test_an_unknown_framing_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="sse_framing"):
        MockConfig().replace(sse_framing="crcr")
    with pytest.raises(ValueError, match="sse_framing"):
        frame_event({}, "nope")


@pytest.mark.parametrize("bad", [-1.0, float("inf"), "10", True])
def test_slow_turn_seconds_is_checked(bad: object) -> None:
    with pytest.raises(ValueError, match="slow_turn_seconds"):
        MockConfig().replace(slow_turn_seconds=bad)


def test_a_long_turn_makes_progress_every_four_minutes_then_plays_its_script() -> None:
    long = MockConfig().replace(slow_turn_seconds=20 * 60.0, heartbeat_interval=20.0)

    async def run() -> list[tuple[float, list[TurnEvent]]]:
        clock = VirtualClock()
        decoder = SSEDecoder()
        out = []
        stream = play_turn(SCRIPT, start=0.0, clock=clock, config=long, invocation_id="e-1")
        async for frame in stream:
            found = [e for i in decoder.feed(frame) for e in interpret(i)]
            out.append((clock.now(), found))
        return out

    timeline = asyncio.run(run())
    work = [t for t, found in timeline for e in found if not isinstance(e, Heartbeat)]
    progress = sorted({t for t, found in timeline for e in found if isinstance(e, ToolCall)})
    assert progress[:4] == [LONG_PROGRESS_EVERY * k for k in (1, 2, 3, 4)]
    # Never 10 minutes without a non-heartbeat event, and the script's own events only at 20.
    assert all(b - a < 600 for a, b in zip([0.0, *work], work, strict=False))
    results = [e for _, found in timeline for e in found if isinstance(e, ToolResult)]
    assert "add_title" in [r.name for r in results]
    assert max(work) == 20 * 60.0
    assert timeline[-1][0] == 20 * 60.0


def test_openapi_is_the_same_under_every_framing() -> None:
    async def fetch(framing: str) -> bytes:
        app = create_app(config(framing))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
            response = await client.get("/openapi.json")
        assert response.status_code == 200
        return response.content

    documents = {framing: asyncio.run(fetch(framing)) for framing in SSE_FRAMINGS}
    assert len(set(documents.values())) == 1

"""Playing a turn script as SSE bytes in virtual time: dialects, heartbeats, cuts and stalls."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from mockserver import ScriptItem, StreamCut, TurnScript, plan_turn, play_turn
from mockserver._config import MockConfig
from mockserver.agent import STALL_LIMIT
from nemokit import contract
from nemokit._clock import VirtualClock
from nemokit._events import Heartbeat, StreamError, TextEvent, ToolCall, ToolResult, interpret
from nemokit._sse import SSEEvent, decode_all

CALL = {"id": "call_1", "name": "add_title", "args": {"text": "标题"}}
DEFAULT = MockConfig()
RESULT = {"id": "call_1", "name": "add_title", "response": {"status": "success"}}


def script(*items: tuple[float, str, dict[str, Any]], duration: float = 60.0) -> TurnScript:
    return TurnScript(
        items=tuple(ScriptItem(at, kind, payload) for at, kind, payload in items),  # type: ignore[arg-type]
        duration=duration,
        cost=1,
        draft_after=None,
        post=(),
        silent=False,
        kind="edit",
    )


def play(
    turn: TurnScript, clock: VirtualClock, config: MockConfig = DEFAULT, **kwargs: Any
) -> list[tuple[float, bytes]]:
    """Every frame with the virtual time it was produced at."""

    async def run() -> list[tuple[float, bytes]]:
        frames = []
        async for frame in play_turn(
            turn, clock=clock, config=config, invocation_id="e-1", **{"start": 0.0, **kwargs}
        ):
            frames.append((clock.now(), frame))
        return frames

    return asyncio.run(run())


def data(frames: list[tuple[float, bytes]]) -> list[dict[str, Any]]:
    items = decode_all(frame for _, frame in frames)
    return [
        json.loads(i.data)
        for i in items
        if isinstance(i, SSEEvent) and i.data.strip() and '"heartbeat"' not in i.data
    ]


def test_items_arrive_when_due_with_heartbeats_in_between() -> None:
    clock = VirtualClock()
    frames = play(script((50, "text", {"text": "hi"})), clock)
    assert [t for t, _ in frames] == [20, 40, 50]
    assert [f for _, f in frames[:2]] == [b'data: {"type": "heartbeat"}\n\n'] * 2
    assert clock.now() == 60  # the stream lasts the script's duration, then closes


@pytest.mark.parametrize(
    ("form", "frame"),
    [
        ("json", b'data: {"type": "heartbeat"}\n\n'),
        ("empty", b"data:\n\n"),
        ("comment", b": ping\n\n"),
    ],
)
def test_heartbeat_forms(form: str, frame: bytes) -> None:
    config = MockConfig().replace(heartbeat_form=form, heartbeat_interval=15.0)
    frames = play(script(duration=61), VirtualClock(), config)
    assert [f for _, f in frames] == [frame] * 4
    assert [t for t, _ in frames] == [15, 30, 45, 60]


def test_adk_events() -> None:
    clock = VirtualClock()
    turn = script(
        (1, "tool_call", CALL),
        (2, "tool_result", RESULT),
        (3, "partial", {"text": "Do"}),
        (3.5, "text", {"text": "Done 完成"}),
    )
    frames = play(turn, clock)
    events = data(frames)
    assert events[0]["content"] == {"parts": [{"functionCall": CALL}], "role": "model"}
    assert events[1]["content"]["parts"] == [{"functionResponse": RESULT}]
    assert events[2]["partial"] is True
    assert "partial" not in events[3]
    assert events[3]["content"]["parts"] == [{"text": "Done 完成"}]
    for event in events:
        assert event["author"] == contract.APP_NAME
        assert event["invocationId"] == "e-1"
    assert len({e["id"] for e in events}) == 4
    assert events[0]["timestamp"] == MockConfig().epoch + 1
    assert any("完成".encode() in f for _, f in frames)  # ensure_ascii=False
    assert all(f.count(b"\n") == 2 for _, f in frames)  # one line of JSON per event


def test_simple_dialect_sends_only_the_chunks_of_a_partial_reply() -> None:
    config = MockConfig().replace(dialect="simple")
    turn = script(
        (1, "tool_call", CALL),
        (2, "tool_result", RESULT),
        (3, "partial", {"text": "Do"}),
        (3.2, "partial", {"text": "ne"}),
        (3.5, "text", {"text": "Done"}),
        (4, "text", {"text": "more"}),
    )
    events = data(play(turn, VirtualClock(), config))
    assert events == [
        {"type": "tool_call", "name": "add_title", "args": {"text": "标题"}, "id": "call_1"},
        {
            "type": "tool_result",
            "name": "add_title",
            "result": {"status": "success"},
            "id": "call_1",
        },
        {"type": "text", "content": "Do", "partial": True},
        {"type": "text", "content": "ne", "partial": True},
        {"type": "text", "content": "more"},
    ]


@pytest.mark.parametrize("dialect", ["adk", "simple"])
def test_errors_in_both_dialects_read_as_stream_errors(dialect: str) -> None:
    config = MockConfig().replace(dialect=dialect)
    turn = script((1, "error", {"text": "boom"}), (2, "error", {"text": "bang", "form": "system"}))
    items = decode_all(f for _, f in play(turn, VirtualClock(), config))
    events = [e for i in items for e in interpret(i)]
    errors = [e for e in events if isinstance(e, StreamError)]
    assert len(errors) == 2
    assert "boom" in errors[0].message


@pytest.mark.parametrize("dialect", ["adk", "simple"])
@pytest.mark.parametrize("form", ["json", "empty", "comment"])
def test_the_client_reads_a_whole_planned_turn(dialect: str, form: str) -> None:
    config = MockConfig(noise_rate=0, silent_rate=0).replace(dialect=dialect, heartbeat_form=form)
    media = [{"filename": "a.mp4", "file_type": "video", "duration": 30}]
    turn = plan_turn(
        "trim the pauses, add transitions", {}, media, seed=1, turn_index=0, config=config
    )
    items = decode_all(f for _, f in play(turn, VirtualClock(), config))
    events = [e for i in items for e in interpret(i)]
    kinds = [type(e) for e in events if not isinstance(e, Heartbeat)]
    assert kinds == [ToolCall, ToolResult, ToolCall, ToolResult, TextEvent]
    assert any(isinstance(e, Heartbeat) and e.form == form for e in events)
    text = next(e for e in events if isinstance(e, TextEvent))
    assert text.text == turn.items[-1].payload["text"]


def test_a_late_client_gets_what_is_due_at_once_and_nothing_twice() -> None:
    clock = VirtualClock(start=135)
    turn = script(
        (10, "text", {"text": "a"}),
        (20, "text", {"text": "b"}),
        (40, "text", {"text": "c"}),
        duration=50,
    )
    frames = play(turn, clock, start=100.0)
    texts = [e["content"]["parts"][0]["text"] for e in data(frames)]
    assert texts == ["a", "b", "c"]
    assert [t for t, _ in frames] == [135, 135, 140]
    assert clock.now() == 150


def test_cut_after_k_events_breaks_the_stream() -> None:
    clock = VirtualClock()
    turn = script((1, "tool_call", CALL), (50, "tool_result", RESULT), (55, "text", {"text": "x"}))
    frames: list[bytes] = []

    async def run() -> None:
        async for frame in play_turn(
            turn, start=0, clock=clock, config=MockConfig(), invocation_id="e", cut_after=2
        ):
            frames.append(frame)

    with pytest.raises(StreamCut):
        asyncio.run(run())
    assert len(data([(0, f) for f in frames])) == 2
    assert clock.now() == 50  # cut right after the second event, not at the end


def test_a_cut_beyond_the_last_event_comes_where_the_stream_would_close() -> None:
    clock = VirtualClock()
    with pytest.raises(StreamCut):
        play(script((1, "text", {"text": "x"}), duration=30), clock, cut_after=5)
    assert clock.now() == 30


def test_a_stall_sends_only_heartbeats_for_twenty_minutes() -> None:
    clock = VirtualClock()
    turn = plan_turn(
        "add a title", {}, [{"filename": "a.mp4"}], seed=1, turn_index=0, config=MockConfig()
    )
    frames = play(turn, clock, stall=True)
    assert {f for _, f in frames} == {b'data: {"type": "heartbeat"}\n\n'}
    assert len(frames) == int(STALL_LIMIT / 20) - 1
    assert clock.now() == STALL_LIMIT

"""Both event dialects, the heartbeat forms, and junk that must never raise."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nemokit._events import (
    Heartbeat,
    StreamError,
    TextEvent,
    ToolCall,
    ToolResult,
    TurnEvent,
    UnknownEvent,
    interpret,
    is_visible,
)
from nemokit._sse import SSEComment, SSEEvent, decode_all
from nemokit.contract import HeartbeatForm


def data(value: Any) -> list[TurnEvent]:
    """Interpret one event whose data is ``value`` as JSON (or as is, for a string)."""
    return interpret(SSEEvent(data=value if isinstance(value, str) else json.dumps(value)))


def adk(*parts: Any, **fields: Any) -> dict[str, Any]:
    envelope = {"author": "nemo_agent", "invocationId": "e-1", "id": "ev1", "timestamp": 1.5}
    return {"content": {"parts": list(parts), "role": "model"}, **envelope, **fields}


# --- heartbeats -------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["ping", "", " keep-alive "])
def test_comment_is_a_comment_heartbeat(text: str) -> None:
    assert interpret(SSEComment(text)) == [Heartbeat(HeartbeatForm.COMMENT)]


@pytest.mark.parametrize("raw", ["", " ", "\n", " \n\t "])
def test_empty_or_blank_data_is_an_empty_data_heartbeat(raw: str) -> None:
    assert interpret(SSEEvent(data=raw)) == [Heartbeat(HeartbeatForm.EMPTY_DATA)]


def test_json_heartbeat() -> None:
    assert data({"type": "heartbeat"}) == [Heartbeat(HeartbeatForm.JSON)]
    assert data({"type": "heartbeat", "ts": 3}) == [Heartbeat(HeartbeatForm.JSON)]


def test_every_heartbeat_form_off_the_wire() -> None:
    raw = b'data: {"type": "heartbeat"}\n\ndata:\n\n: ping\n\n'
    events = [event for item in decode_all([raw]) for event in interpret(item)]
    assert events == [Heartbeat(form) for form in HeartbeatForm]


# --- the ADK dialect --------------------------------------------------------------------------


def test_adk_text() -> None:
    assert data(adk({"text": "Added a title."})) == [
        TextEvent("Added a title.", partial=False, author="nemo_agent")
    ]


@pytest.mark.parametrize(("partial", "expected"), [(True, True), (False, False), ("true", False)])
def test_adk_partial_flag(partial: object, expected: bool) -> None:
    assert data(adk({"text": "Add"}, partial=partial)) == [TextEvent("Add", expected, "nemo_agent")]


def test_adk_parts_come_out_in_order() -> None:
    event = adk(
        {"text": "Let me add music."},
        {"functionCall": {"id": "c1", "name": "add_bgm", "args": {"style": "lo-fi"}}},
        {"functionResponse": {"id": "c1", "name": "add_bgm", "response": {"ok": True}}},
        {"text": "Done."},
    )
    assert data(event) == [
        TextEvent("Let me add music.", author="nemo_agent"),
        ToolCall("add_bgm", {"style": "lo-fi"}, id="c1"),
        ToolResult("add_bgm", {"ok": True}, id="c1"),
        TextEvent("Done.", author="nemo_agent"),
    ]


def test_adk_tool_call_without_id_or_args() -> None:
    assert data(adk({"functionCall": {"name": "get_state"}})) == [ToolCall("get_state", {})]


def test_adk_nulls_are_absent_fields() -> None:
    # A server that serialises without exclude_none sends every field, most of them null.
    part = {"text": "hi", "functionCall": None, "functionResponse": None, "inlineData": None}
    event = adk(part, partial=None, errorCode=None, errorMessage=None, error=None)
    assert data(event) == [TextEvent("hi", author="nemo_agent")]


def test_adk_other_part_kinds_and_thoughts_are_ignored() -> None:
    event = adk(
        {"inlineData": {"mimeType": "image/png", "data": "AAAA"}},
        {"text": "planning the cut...", "thought": True},
        {"executableCode": {"code": "print(1)"}},
        {"text": "Here you go."},
    )
    assert data(event) == [TextEvent("Here you go.", author="nemo_agent")]


@pytest.mark.parametrize(
    "event",
    [
        {"author": "nemo_agent", "invocationId": "e-1", "actions": {"stateDelta": {"x": 1}}},
        {"content": {"role": "model"}, "author": "nemo_agent"},
        {"content": {"parts": [], "role": "model"}},
        {"content": None, "author": "nemo_agent"},
    ],
    ids=["actions-only", "no-parts", "empty-parts", "null-content"],
)
def test_adk_event_with_nothing_to_report_gives_nothing(event: dict[str, Any]) -> None:
    assert data(event) == []


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"error": "quota exceeded"}, "quota exceeded"),
        ({"error": {"message": "model overloaded", "code": 503}}, "model overloaded"),
        ({"error": True}, "the agent reported an error without a message"),
        ({"errorCode": "SAFETY", "errorMessage": "blocked"}, "blocked (SAFETY)"),
        ({"errorMessage": "blocked"}, "blocked"),
        ({"errorCode": "MALFORMED_FUNCTION_CALL"}, "MALFORMED_FUNCTION_CALL"),
        ({"errorCode": 500, "author": "nemo_agent"}, "500"),
    ],
)
def test_adk_errors(event: dict[str, Any], message: str) -> None:
    assert data(event) == [StreamError(message)]


def test_adk_system_error_text() -> None:
    event = adk({"text": "Error: render node unavailable "}, author="system")
    assert data(event) == [StreamError("render node unavailable")]


def test_system_text_without_error_prefix_is_text() -> None:
    event = adk({"text": "Session resumed."}, author="system")
    assert data(event) == [TextEvent("Session resumed.", author="system")]


def test_error_prefix_from_the_agent_is_just_text() -> None:
    event = adk({"text": "Error: is a word the agent may say"})
    assert data(event) == [TextEvent("Error: is a word the agent may say", author="nemo_agent")]


def test_adk_text_then_error_in_one_event() -> None:
    assert data(adk({"text": "Partly done."}, errorMessage="timeout")) == [
        TextEvent("Partly done.", author="nemo_agent"),
        StreamError("timeout"),
    ]


def test_adk_malformed_part_keeps_the_good_parts_and_the_raw_event() -> None:
    raw = json.dumps(adk({"text": "kept"}, 42, {"functionCall": {"args": {}}}))
    assert interpret(SSEEvent(data=raw)) == [
        TextEvent("kept", author="nemo_agent"),
        UnknownEvent(raw),
    ]


# --- the simple dialect -----------------------------------------------------------------------


def test_simple_text() -> None:
    assert data({"type": "text", "content": "Trimmed the pauses."}) == [
        TextEvent("Trimmed the pauses.")
    ]


def test_simple_tool_call_and_result() -> None:
    call = {"type": "tool_call", "name": "trim", "args": {"gap": 0.5}, "id": "t1"}
    result = {"type": "tool_result", "name": "trim", "result": [1, 2]}
    assert data(call) == [ToolCall("trim", {"gap": 0.5}, id="t1")]
    assert data(result) == [ToolResult("trim", [1, 2])]
    assert data({"type": "tool_call", "name": "state"}) == [ToolCall("state", {})]


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"type": "error", "message": "backend down"}, "backend down"),
        ({"type": "error", "error": "backend down"}, "backend down"),
        ({"type": "error", "content": "backend down"}, "backend down"),
        ({"type": "error", "error": {"message": "nested"}}, "nested"),
        ({"type": "error"}, "the agent reported an error without a message"),
    ],
)
def test_simple_error(event: dict[str, Any], message: str) -> None:
    assert data(event) == [StreamError(message)]


# --- junk -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "hello",
        "{not json",
        "[1, 2]",
        "42",
        "null",
        '"a string"',
        '{"foo": 1}',
        '{"type": "video_frame"}',
        '{"type": "text"}',
        '{"type": "text", "content": 5}',
        '{"type": "tool_call", "name": 3}',
        '{"type": "tool_call", "name": "x", "args": [1]}',
        '{"content": {"parts": {"text": "not a list"}}}',
        '{"content": "text"}',
        '{"content": {"parts": [{"text": 1}]}}',
        '{"content": {"parts": [{"functionResponse": "x"}]}}',
        "[" * 100_000,
        '{"a": ' + "1" * 5000 + "}",
    ],
)
def test_unreadable_data_is_an_unknown_event(raw: str) -> None:
    assert interpret(SSEEvent(data=raw)) == [UnknownEvent(raw)]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
keys = st.sampled_from(
    ["type", "content", "parts", "text", "functionCall", "functionResponse", "name", "args",
     "response", "result", "error", "errorCode", "errorMessage", "author", "partial", "id",
     "message", "thought"]
)  # fmt: skip
# Objects built from the keys interpret looks at, nested, with values of any type.
shaped = st.recursive(
    json_values,
    lambda inner: st.dictionaries(keys, inner, max_size=5) | st.lists(inner, max_size=3),
    max_leaves=15,
)
event_types = st.sampled_from(["text", "tool_call", "tool_result", "error", "heartbeat", "x"])
simple_shaped = st.builds(
    lambda kind, rest: {**rest, "type": kind},
    event_types,
    st.dictionaries(keys, shaped, max_size=4),
)


def assert_well_formed(events: list[TurnEvent], raw: str) -> None:
    assert isinstance(events, list)
    turn_types = (TextEvent, ToolCall, ToolResult, Heartbeat, StreamError, UnknownEvent)
    assert all(isinstance(event, turn_types) for event in events)
    assert all(event.raw == raw for event in events if isinstance(event, UnknownEvent))


@given(st.text())
def test_any_text_never_raises(raw: str) -> None:
    assert_well_formed(interpret(SSEEvent(data=raw)), raw)


@given(json_values | shaped | simple_shaped)
def test_any_json_never_raises(value: Any) -> None:
    raw = json.dumps(value)
    assert_well_formed(interpret(SSEEvent(data=raw)), raw)


# --- well-formed ADK events read back exactly -------------------------------------------------

names = st.text(st.characters(codec="ascii", categories=["L"]), min_size=1, max_size=6)
text_parts = st.text(max_size=10).map(lambda t: ({"text": t}, "text"))


def call_part(name: str, args: dict[str, Any], id_: str | None) -> tuple[dict[str, Any], ToolCall]:
    return {"functionCall": {"id": id_, "name": name, "args": args}}, ToolCall(name, args, id_)


def response_part(name: str, result: Any, id_: str | None) -> tuple[dict[str, Any], ToolResult]:
    wire = {"functionResponse": {"id": id_, "name": name, "response": result}}
    return wire, ToolResult(name, result, id_)


ids = st.none() | names
call_parts = st.builds(call_part, names, st.dictionaries(names, json_values, max_size=3), ids)
response_parts = st.builds(response_part, names, json_values, ids)


@given(st.lists(text_parts | call_parts | response_parts, max_size=6), st.booleans(), names)
def test_adk_parts_read_back_in_order(
    parts: list[tuple[dict[str, Any], Any]], partial: bool, author: str
) -> None:
    event = adk(*(wire for wire, _ in parts), partial=partial, author=author)
    expected = [
        TextEvent(wire["text"], partial, author) if want == "text" else want for wire, want in parts
    ]
    assert data(event) == expected


# --- visibility -------------------------------------------------------------------------------


def test_only_text_is_visible() -> None:
    assert is_visible(TextEvent("hi"))
    assert is_visible(TextEvent("", partial=True))
    hidden: list[TurnEvent] = [
        ToolCall("f", {}),
        ToolResult("f", None),
        Heartbeat(HeartbeatForm.JSON),
        StreamError("x"),
        UnknownEvent("x"),
    ]
    assert not any(is_visible(event) for event in hidden)

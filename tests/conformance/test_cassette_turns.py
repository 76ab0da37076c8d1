"""What a recorded stream says the agent did, and which request each recorded fault met."""

from __future__ import annotations

import json

from conformance.cassettes._cassette import (
    Interaction,
    RecordedRequest,
    RecordedResponse,
    StreamEvent,
)
from conformance.suite._cassette_turns import fault_ids, recorded_turn
from nemokit import contract


def _adk(part: dict[str, object], **extra: object) -> str:
    return "data: " + json.dumps({"content": {"parts": [part], "role": "model"}, **extra}) + "\n\n"


def _simple(**event: object) -> str:
    return "data: " + json.dumps(event) + "\r\r"  # bare CR framing


def test_an_adk_turn_with_tools_partials_noise_and_every_heartbeat_form() -> None:
    events = [
        StreamEvent(20.0, ": ping\n\n"),
        StreamEvent(40.0, "data:\n\n"),
        StreamEvent(41.0, _adk({"functionCall": {"id": "1", "name": "add_title", "args": {}}})),
        StreamEvent(60.0, 'data: {"type": "heartbeat"}\n\n'),
        StreamEvent(70.0, _adk({"functionResponse": {"id": "1", "name": "add_title"}})),
        StreamEvent(71.0, _adk({"text": "Done! I added"}, partial=True)),
        StreamEvent(72.0, _adk({"text": "Done! I added a title."})),
        StreamEvent(73.0, _adk({"text": contract.NOISE_PHRASE + "."})),
    ]
    turn = recorded_turn("add a title", 100.0, events)
    assert turn.heartbeats == 3
    assert turn.tools == ("add_title",)
    assert turn.texts == ("Done! I added a title.",)  # the final event, not its chunks as well
    assert turn.noise == (contract.NOISE_PHRASE + ".",)
    assert (turn.changed, turn.silent, turn.applied_at) == (True, False, 170.0)
    assert (turn.first_partial_at, turn.first_text_at, turn.end) == (171.0, 172.0, 173.0)


def test_a_simple_dialect_reply_is_its_chunks_joined() -> None:
    events = [
        StreamEvent(1.0, _simple(type="tool_call", name="trim_pauses", args={})),
        StreamEvent(2.0, _simple(type="tool_result", name="trim_pauses", result={})),
        StreamEvent(3.0, _simple(type="text", content="Trimmed ", partial=True)),
        StreamEvent(4.0, _simple(type="text", content="the pauses.", partial=True)),
    ]
    turn = recorded_turn("trim", 0.0, events)
    assert turn.texts == ("Trimmed the pauses.",)
    assert turn.tools == ("trim_pauses",)
    assert turn.heartbeats == 0


def test_a_turn_with_a_tool_and_no_text_is_silent() -> None:
    events = [
        StreamEvent(1.0, _adk({"functionCall": {"id": "1", "name": "add_bgm"}})),
        StreamEvent(2.0, _adk({"functionResponse": {"id": "1", "name": "add_bgm"}})),
    ]
    assert recorded_turn("music", 0.0, events).silent


def _call(method: str, path: str) -> Interaction:
    return Interaction(RecordedRequest(method, path), RecordedResponse(200))


def test_faults_meet_requests_as_the_mock_takes_them() -> None:
    interactions = [
        _call("GET", "/api/credits/balance/simple"),
        _call("POST", "/run_sse"),
        _call("GET", "/api/credits/balance/simple"),
        _call("GET", "/api/credits/balance/simple"),
        _call("POST", "/run_sse"),
    ]
    faults = [
        {"method": "GET", "path": "/api/credits/*", "status": 429, "times": 2},
        {"method": "POST", "path": "/run_sse", "cut_after": 1},
    ]
    # the first matching rule with uses left, in the order added; each use spent
    assert fault_ids(interactions, faults) == {0: "fault_1", 1: "fault_2", 2: "fault_1"}

"""Sessions, state, credits, turns through /run_sse (collected whole), and isolation of users."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from _mockapi import Api, sse_body

from nemokit import contract


def _events(text: str) -> list[dict[str, Any]]:
    return [json.loads(line[5:]) for line in text.splitlines() if line.startswith("data: {")]


def test_session_ids_are_19_digit_strings_and_each_call_makes_a_new_one() -> None:
    api = Api()
    token, user = api.token()
    first = api.post(contract.PATH_SESSION, token=token, json={"task_name": "project"}).json()
    second = api.post(
        contract.PATH_SESSION, token=token, json={"task_name": "project", "language": "zh"}
    ).json()
    for body in (first, second):
        data = body["data"]
        assert re.fullmatch(r"[1-9]\d{18}", data["session_id"])
        assert data["task_id"].startswith("task_")
        assert data["user_id"] == user
    assert first["data"]["session_id"] != second["data"]["session_id"]


def test_same_seed_gives_the_same_ids() -> None:
    first, second = Api(seed=7), Api(seed=7)
    assert first.user()[1] == second.user()[1]
    assert Api(seed=8).user()[1] != first.user()[1]


def test_new_session_state_is_empty_with_every_key() -> None:
    api = Api()
    token, sid = api.user()
    data = api.state(token, sid).json()["data"]
    assert data["session_id"] == sid
    assert data["task_name"] == "project"
    assert set(data["state"]) == {
        "video_infos",
        "draft",
        "canvas_config",
        "video_analyses",
        "generated_media",
    }
    assert data["state"]["draft"]["t"] == []


def test_credits_start_at_100_with_nothing_frozen() -> None:
    api = Api()
    token, _ = api.token()
    assert api.credits(token) == {"available": 100, "frozen": 0, "total": 100}


def test_a_text_turn_streams_and_charges_its_cost() -> None:
    api = Api()
    token, sid = api.user()
    response = api.turn(token, sid, "hello, what can you do?")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    texts = [e for e in _events(response.text) if "content" in e]
    assert texts
    assert texts[0]["content"]["role"] == "model"
    assert api.credits(token) == {
        "available": 100 - contract.TEXT_TURN_COST,
        "frozen": 0,
        "total": 100 - contract.TEXT_TURN_COST,
    }
    entry = api.server.journal.entries(path=contract.PATH_RUN_SSE)[0]
    assert entry.message == "hello, what can you do?"


def test_an_edit_turn_changes_the_draft() -> None:
    api = Api(silent_rate=0.0, noise_rate=0.0)
    token, sid = api.user()
    api.upload(token, sid, ("city timelapse.mp4", b"\x00" * 1000))
    before = api.state(token, sid).json()["data"]["state"]["draft"]
    api.turn(token, sid, 'add a title "Urban Dreams" and some lo-fi music')
    after = api.state(token, sid).json()["data"]["state"]["draft"]
    assert after != before
    assert {t["tt"] for t in after["t"]} >= {0, 1, 7}


def test_camel_case_body_role_and_streaming_are_accepted() -> None:
    api = Api()
    token, sid = api.user()
    body = {
        "appName": "nemo_agent",
        "userId": "me",
        "sessionId": sid,
        "newMessage": {"role": "user", "parts": [{"text": "hi there, who are you"}]},
        "streaming": True,
    }
    response = api.post(contract.PATH_RUN_SSE, token=token, json=body)
    events = _events(response.text)
    assert any(e.get("partial") is True for e in events)


def test_turn_holds_its_cost_while_it_runs() -> None:
    api = Api(silent_rate=0.0)
    token, sid = api.user()
    account = api.server.state.authenticate(token)
    session = api.server.state.session_of(account, sid)
    from mockserver import plan_turn

    def plan(text: str, draft: dict[str, Any], media: Any, index: int) -> Any:
        return plan_turn(text, draft, media, seed=0, turn_index=index, config=api.server.config)

    turn = api.server.state.start_turn(account, session, "generate a video of the sea", plan)
    cost = turn.script.cost
    assert api.credits(token) == {"available": 100 - cost, "frozen": cost, "total": 100}
    api.clock.advance(turn.script.duration)
    assert api.credits(token) == {"available": 100 - cost, "frozen": 0, "total": 100 - cost}


def test_not_enough_credits_is_2001_before_the_stream() -> None:
    api = Api(initial_credits=5)
    token, sid = api.user()
    response = api.turn(token, sid, "generate a video of a sunset")
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["code"] == contract.Code.OUT_OF_CREDITS
    assert api.credits(token) == {"available": 5, "frozen": 0, "total": 5}
    assert api.server.state.session_of(api.server.state.authenticate(token), sid).turns == []


def test_2001_in_http_status_style_is_403() -> None:
    api = Api(initial_credits=0, error_style="http_status")
    token, sid = api.user()
    response = api.turn(token, sid, "hello")
    assert response.status_code == 403
    assert response.json()["code"] == 2001


def test_unknown_session_is_1002_before_the_stream() -> None:
    api = Api()
    token, _ = api.user()
    response = api.turn(token, "1234567890123456789", "hello")
    assert response.json()["code"] == contract.Code.SESSION_NOT_FOUND
    assert api.credits(token)["total"] == 100


@pytest.mark.parametrize(
    "path",
    [contract.PATH_STATE, contract.PATH_UPLOAD, contract.PATH_RUN_SSE, contract.PATH_CLAIM_TOKEN],
)
def test_another_users_session_is_1002(path: str) -> None:
    api = Api()
    token_a, sid_a = api.user("alice")
    token_b, _ = api.user("bob")
    if path == contract.PATH_STATE:
        response = api.state(token_b, sid_a)
    elif path == contract.PATH_UPLOAD:
        response = api.upload(token_b, sid_a, ("x.mp4", b"123"))
    elif path == contract.PATH_RUN_SSE:
        response = api.post(path, token=token_b, json=sse_body(sid_a, "trim the pauses"))
    else:
        task = api.state(token_a, sid_a).json()["data"]["task_id"]
        response = api.post(path, token=token_b, json={"task_id": task, "session_id": sid_a})
    assert response.json()["code"] == 1002
    assert api.state(token_a, sid_a).json()["data"]["state"]["video_infos"] == []


def test_a_draft_lands_even_when_nobody_reads_it() -> None:
    api = Api(silent_rate=0.0)
    token, sid = api.user()
    api.upload(token, sid, ("beach.mp4", b"\x00" * 100))
    account = api.server.state.authenticate(token)
    session = api.server.state.session_of(account, sid)
    from mockserver import plan_turn

    def plan(text: str, draft: dict[str, Any], media: Any, index: int) -> Any:
        return plan_turn(text, draft, media, seed=0, turn_index=index, config=api.server.config)

    turn = api.server.state.start_turn(account, session, "add transitions", plan)
    before = api.state(token, sid).json()["data"]["state"]["draft"]
    api.clock.advance(turn.script.duration)
    after = api.state(token, sid).json()["data"]["state"]["draft"]
    assert turn.script.draft_after is not None
    assert before != after == turn.script.draft_after


def test_generation_post_production_keeps_changing_the_draft_after_the_turn() -> None:
    api = Api(silent_rate=0.0)
    token, sid = api.user()
    api.turn(token, sid, "generate a video of a city at night")
    end = api.state(token, sid).json()["data"]["state"]
    assert end["generated_media"]
    api.clock.advance(300)
    later = api.state(token, sid).json()["data"]["state"]["draft"]
    assert later != end["draft"]
    assert {t["tt"] for t in later["t"]} >= {0, 1, 7}

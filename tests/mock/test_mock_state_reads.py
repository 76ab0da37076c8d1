"""State reads hand out the stored draft (no copy per read): nothing a reader does may change it."""

from __future__ import annotations

import copy
from typing import Any

from _mockapi import Api

from mockserver import plan_turn


def _edited(api: Api) -> tuple[str, str]:
    """A user whose session has an upload and a landed edit (a draft with tracks)."""
    token, sid = api.user()
    api.upload(token, sid, ("city timelapse.mp4", b"\x00" * 1000))
    api.turn(token, sid, 'add a title "Urban Dreams" and some lo-fi music')
    return token, sid


def test_changing_what_a_state_read_returned_does_not_change_the_mock() -> None:
    api = Api(silent_rate=0.0, noise_rate=0.0)
    token, sid = _edited(api)
    first = api.state(token, sid).json()["data"]
    kept = copy.deepcopy(first)
    assert first["state"]["draft"]["t"]
    assert first["state"]["video_infos"]
    # Everything the client got, changed in place:
    first["state"]["draft"]["t"].clear()
    first["state"]["draft"]["m"]["width"] = 1
    first["state"]["video_infos"][0]["name"] = "changed"
    first["state"]["video_infos"].append({"name": "extra"})
    assert api.state(token, sid).json()["data"] == kept


def test_changing_a_state_body_or_a_draft_read_in_process_does_not_change_the_mock() -> None:
    api = Api(silent_rate=0.0, noise_rate=0.0)
    token, sid = _edited(api)
    state = api.server.state
    session = state.session_of(state.authenticate(token), sid)
    kept = api.state(token, sid).json()["data"]
    state.draft(session)["t"].clear()  # draft() is a copy for callers that change it
    state.state_of(session)["state"]["video_infos"].append({"name": "extra"})  # a new list
    assert api.state(token, sid).json()["data"] == kept


def test_planning_a_turn_on_the_stored_draft_leaves_it_as_it_was() -> None:
    api = Api(silent_rate=0.0, noise_rate=0.0)
    token, sid = _edited(api)
    state = api.server.state
    account = state.authenticate(token)
    session = state.session_of(account, sid)
    landed = api.state(token, sid).json()["data"]["state"]["draft"]

    def plan(text: str, draft: dict[str, Any], media: Any, index: int) -> Any:
        return plan_turn(text, draft, media, seed=0, turn_index=index, config=api.server.config)

    turn = state.start_turn(account, session, "add transitions and cut the first second", plan)
    assert turn.script.draft_after is not None
    assert turn.script.draft_after != landed
    # Until the new turn lands, the draft read is the one before it, untouched by the agent.
    assert api.state(token, sid).json()["data"]["state"]["draft"] == landed

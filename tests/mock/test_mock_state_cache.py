"""The state body is rendered once per visible change and never served stale.

Each check compares what ``GET /latest`` sends (and ``MockState.state_body``) with the state
rendered afresh at the same instant, while turns land on the virtual clock, uploads arrive and
renders are submitted.
"""

from __future__ import annotations

import json
from typing import Any

from _mockapi import Api

from mockserver import plan_turn
from mockserver._envelopes import ok_body
from mockserver.state import Session, Turn
from nemokit import contract


def _fresh(api: Api, session: Session) -> bytes:
    """The state body rendered now without the cache."""
    return ok_body(api.server.state.state_of(session))


def _start(api: Api, token: str, session: Session, text: str) -> Turn:
    """A turn started at this instant, without playing its stream (so time stays put)."""
    state = api.server.state

    def plan(message: str, draft: dict[str, Any], media: Any, index: int) -> Any:
        config = api.server.config
        return plan_turn(message, draft, media, seed=0, turn_index=index, config=config)

    return state.start_turn(state.authenticate(token), session, text, plan)


def _setup(api: Api) -> tuple[str, str, Session]:
    token, sid = api.user()
    state = api.server.state
    return token, sid, state.session_of(state.authenticate(token), sid)


def _stepped_bodies(api: Api, token: str, sid: str, session: Session, until: float) -> set[bytes]:
    """Every body served while the clock steps to ``until``; each one checked fresh."""
    seen = set()
    while api.clock.now() < until:
        api.clock.advance(0.5)
        served = api.state(token, sid).content
        assert served == _fresh(api, session), f"stale state body at t={api.clock.now()}"
        seen.add(served)
    return seen


def test_a_cached_body_follows_an_edit_landing_and_the_turn_ending() -> None:
    api = Api(silent_rate=0.0, noise_rate=0.0)
    token, sid, session = _setup(api)
    api.upload(token, sid, ("clip.mp4", b"\x00" * 1000))
    before = api.state(token, sid).content
    turn = _start(api, token, session, 'add a title "Hello" and some music')
    assert turn.script.draft_after is not None
    seen = _stepped_bodies(api, token, sid, session, turn.end + 2)
    assert before in seen
    assert len(seen) >= 2, "the body changed when the edit landed"
    final = json.loads(api.state(token, sid).content)["data"]["state"]["draft"]
    assert final == turn.script.draft_after, "the landed edit is what the state shows"


def test_a_cached_body_follows_generation_and_each_post_production_step() -> None:
    api = Api(silent_rate=0.0, noise_rate=0.0)
    token, sid, session = _setup(api)
    api.state(token, sid)  # cache the empty state first
    turn = _start(api, token, session, "generate a video of a city at night")
    assert turn.script.kind == "generate"
    assert turn.script.post
    last = max(turn.start + at for at, _ in turn.script.post)
    seen = _stepped_bodies(api, token, sid, session, last + 2)
    # the generated draft, its listing in generated_media, then each post-production step
    assert len(seen) >= 1 + len(turn.script.post)
    data = json.loads(api.state(token, sid).content)["data"]["state"]
    assert data["draft"] == turn.script.post[-1][1]
    assert [g["turn"] for g in data["generated_media"]] == [turn.index]


def test_an_upload_a_render_and_a_turn_start_are_seen_at_once() -> None:
    api = Api(silent_rate=0.0, noise_rate=0.0)
    token, sid, session = _setup(api)
    empty = api.state(token, sid).content
    api.upload(token, sid, ("a.mp4", b"\x00" * 500))
    with_upload = api.state(token, sid).content
    assert with_upload != empty
    assert with_upload == _fresh(api, session)
    draft = {"t": [{"tt": 0, "sg": [{"id": "s"}]}], "d": 1}
    body = {"id": "r-cache", "sessionId": sid, "draft": draft}
    assert api.post(contract.PATH_RENDER, token=token, json=body).is_success
    api.clock.advance(600)  # the render completes
    assert api.state(token, sid).content == _fresh(api, session)
    _start(api, token, session, "add some music")
    assert api.state(token, sid).content == _fresh(api, session)
    api.turn(token, sid, "trim the pauses")  # played through: the clock moves with the stream
    assert api.state(token, sid).content == _fresh(api, session)


def test_an_unchanged_state_is_served_from_the_cache() -> None:
    api = Api(silent_rate=0.0, noise_rate=0.0)
    _, _, session = _setup(api)
    state = api.server.state
    first = state.state_body(session)
    api.clock.advance(30)  # time passing with nothing to land changes nothing visible
    assert state.state_body(session) is first


def test_sessions_are_cached_apart() -> None:
    api = Api(silent_rate=0.0, noise_rate=0.0)
    token, sid, _session = _setup(api)
    other_sid = api.session(token)
    api.upload(token, sid, ("only-here.mp4", b"\x00" * 100))
    mine = json.loads(api.state(token, sid).content)["data"]
    theirs = json.loads(api.state(token, other_sid).content)["data"]
    assert mine["session_id"] == sid
    assert theirs["session_id"] == other_sid
    assert mine["state"]["video_infos"]
    assert not theirs["state"]["video_infos"]


def test_a_cached_credits_body_follows_a_turn_and_a_top_up() -> None:
    api = Api(silent_rate=0.0, noise_rate=0.0)
    token, _, session = _setup(api)
    state = api.server.state
    account = state.authenticate(token)

    def fresh() -> bytes:
        return ok_body(state.credits(account).as_dict())

    seen = {api.get(contract.PATH_CREDITS, token=token).content}
    turn = _start(api, token, session, "generate a video of the sea")
    while api.clock.now() < turn.end + 1:
        served = api.get(contract.PATH_CREDITS, token=token).content
        assert served == fresh(), f"stale credits at t={api.clock.now()}"
        seen.add(served)
        api.clock.advance(1.0)
    assert len(seen) == 3, "before, frozen during the turn, charged after it"
    state.add_credits(account.user_id, 50)
    topped = api.get(contract.PATH_CREDITS, token=token)
    assert topped.content == fresh()
    assert topped.content not in seen

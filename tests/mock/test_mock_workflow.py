"""The seed guide's quick edit, end to end in virtual time, as a literal client would do it."""

from __future__ import annotations

import json
from typing import Any

from _mockapi import Api

from mockserver._media import tiny_mp4
from nemokit import contract


def _texts(stream: str) -> list[str]:
    events = [json.loads(line[5:]) for line in stream.splitlines() if line.startswith("data: {")]
    return [
        part["text"]
        for event in events
        for part in event.get("content", {}).get("parts", [])
        if "text" in part
    ]


def _tracks(draft: dict[str, Any]) -> list[tuple[int, int]]:
    return [(t["tt"], len(t["sg"])) for t in draft["t"]]


def test_quick_edit_from_token_to_download() -> None:
    api = Api(silent_rate=1.0, noise_rate=0.0)
    token, user_id = api.token("quick-edit")
    sid = api.session(token)
    uploaded = api.upload(token, sid, ("raw recording.mp4", tiny_mp4()))
    assert uploaded.json()["data"]["files"][0]["file_type"] == "video"

    # an edit that ends silently: the client fetches the state to see what changed
    before = api.state(token, sid).json()["data"]["state"]["draft"]
    turn = api.turn(token, sid, "trim the pauses and add transitions")
    assert turn.status_code == 200
    assert _texts(turn.text) == []
    after = api.state(token, sid).json()["data"]["state"]["draft"]
    assert after != before
    assert any(count for _, count in _tracks(after))
    assert api.credits(token) == {
        "available": 100 - contract.EDIT_TURN_COST,
        "frozen": 0,
        "total": 100 - contract.EDIT_TURN_COST,
    }

    # export: submit, poll every 30 s (at most 10 times), download
    render_id = "render_1767225600"
    submitted = api.post(
        contract.PATH_RENDER,
        token=token,
        json={"id": render_id, "sessionId": sid, "draft": after, "output": {"format": "mp4"}},
    )
    assert submitted.json()["data"]["status"] == "pending"
    status: dict[str, Any] = {}
    for _ in range(contract.MAX_RENDER_POLLS):
        api.clock.advance(contract.RENDER_POLL_INTERVAL)
        status = api.get(contract.PATH_RENDER_STATUS.format(id=render_id), token=token).json()
        if status["data"]["status"] in ("completed", "failed"):
            break
    assert status["data"]["status"] == "completed"
    video = api.get(status["data"]["outputUrl"])
    assert video.content == tiny_mp4()
    assert api.credits(token)["total"] == 100 - contract.EDIT_TURN_COST  # export is free

    claim = api.post(
        contract.PATH_CLAIM_TOKEN,
        token=token,
        json={"task_id": api.state(token, sid).json()["data"]["task_id"], "session_id": sid},
    )
    assert claim.json()["data"]["claim_token"].startswith("clm_")

    paths = [e.path for e in api.server.journal.entries()]
    assert paths[:3] == [
        contract.PATH_ANONYMOUS_TOKEN,
        contract.PATH_SESSION,
        contract.PATH_UPLOAD.format(sid=sid),
    ]
    assert all(e.completed for e in api.server.journal.entries())
    assert user_id.startswith("anon_")

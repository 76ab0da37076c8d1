"""Renders: submit, progress in virtual time, shapes, one active export, cancel, download."""

from __future__ import annotations

from typing import Any

import pytest
from _mockapi import ATTRIBUTION, Api

from mockserver._media import tiny_mp4
from nemokit import contract

DRAFT = {
    "t": [{"tt": 0, "name": "Video", "sg": [{"id": "sg_1", "start": 0, "duration": 10000}]}],
    "d": 10000,
    "m": {"width": 1920, "height": 1080},
}


def _submit(api: Api, token: str, sid: str, render_id: str = "render_1", **extra: Any) -> Any:
    body = {"id": render_id, "sessionId": sid, "draft": DRAFT, **extra}
    return api.post(contract.PATH_RENDER, token=token, json=body)


def _status(api: Api, token: str, render_id: str = "render_1") -> Any:
    return api.get(contract.PATH_RENDER_STATUS.format(id=render_id), token=token)


def test_submit_returns_pending() -> None:
    api = Api()
    token, sid = api.user()
    response = _submit(api, token, sid, output={"format": "mp4", "quality": "high"})
    assert response.json() == {
        "success": True,
        "data": {"id": "render_1", "status": "pending", "progress": 0},
    }


def test_render_moves_to_completed_within_90_virtual_seconds_and_downloads() -> None:
    api = Api()
    token, sid = api.user()
    _submit(api, token, sid)
    seen = []
    for _ in range(10):
        body = _status(api, token).json()
        assert body["success"] is True
        assert body["status"] == body["data"]["status"]
        assert body["taskId"] == "render_1"
        seen.append((body["data"]["status"], body["data"]["progress"]))
        if body["data"]["status"] == "completed":
            break
        api.clock.advance(10)
    statuses = [s for s, _ in seen]
    assert statuses[0] == "pending"
    assert "processing" in statuses
    assert statuses[-1] == "completed"
    progress = [p for _, p in seen]
    assert progress == sorted(progress)
    assert api.clock.now() <= 90
    body = _status(api, token).json()
    url = body["data"]["outputUrl"]
    assert url == body["output"]["url"]
    assert url == "http://mock.test" + contract.PATH_DOWNLOAD.format(id="render_1")
    assert body["output"]["width"] == 1920
    assert body["data"]["completedAt"].endswith("Z")
    download = api.get(url)
    assert download.headers["content-type"] == "video/mp4"
    assert download.content == tiny_mp4()
    assert body["output"]["size"] == len(download.content)


@pytest.mark.parametrize(
    ("shape", "top", "nested"), [("nested", False, True), ("flat", True, False)]
)
def test_status_shape_variants(shape: str, top: bool, nested: bool) -> None:
    api = Api(render_status_shape=shape)
    token, sid = api.user()
    _submit(api, token, sid)
    body = _status(api, token).json()
    assert ("status" in body) is top
    assert ("data" in body) is nested


def test_missing_attribution_header_is_402() -> None:
    api = Api()
    token, sid = api.user()
    for header in ATTRIBUTION:
        body = {"id": "r", "sessionId": sid, "draft": DRAFT}
        response = api.post(contract.PATH_RENDER, token=token, json=body, headers={header: ""})
        assert response.status_code == 402
        assert header in response.json()["message"]
        assert response.json()["success"] is False
    assert _status(api, token, "r").json()["code"] == 1002


def test_repeated_id_returns_the_existing_job() -> None:
    api = Api()
    token, sid = api.user()
    _submit(api, token, sid)
    api.clock.advance(20)
    again = _submit(api, token, sid)
    assert again.json()["data"]["status"] == "processing"
    assert again.json()["data"]["progress"] > 0


def test_one_active_export_per_session() -> None:
    api = Api()
    token, sid = api.user()
    _submit(api, token, sid, "render_1")
    second = _submit(api, token, sid, "render_2")
    assert second.status_code == 409
    assert second.json()["activeId"] == "render_1"
    other_session = api.session(token)
    assert _submit(api, token, other_session, "render_3").json()["success"] is True
    api.clock.advance(100)
    assert _submit(api, token, sid, "render_2").json()["success"] is True


def test_cancel_stops_the_job_and_frees_the_session() -> None:
    api = Api()
    token, sid = api.user()
    _submit(api, token, sid)
    api.clock.advance(15)
    cancel = api.post(contract.PATH_RENDER_CANCEL.format(id="render_1"), token=token)
    assert cancel.json()["data"]["status"] == "cancelled"
    api.clock.advance(100)
    assert _status(api, token).json()["data"]["status"] == "cancelled"
    assert api.get(contract.PATH_DOWNLOAD.format(id="render_1")).status_code == 409
    assert _submit(api, token, sid, "render_2").json()["success"] is True


def test_another_users_render_is_1002_and_their_id_is_409() -> None:
    api = Api()
    token_a, sid_a = api.user("alice")
    token_b, sid_b = api.user("bob")
    _submit(api, token_a, sid_a)
    assert _status(api, token_b).json()["code"] == 1002
    cancel = api.post(contract.PATH_RENDER_CANCEL.format(id="render_1"), token=token_b)
    assert cancel.json()["code"] == 1002
    assert _submit(api, token_b, sid_a, "render_9").json()["code"] == 1002
    assert _submit(api, token_b, sid_b).status_code == 409


def test_render_errors_in_http_status_style() -> None:
    api = Api(error_style="http_status")
    token, _ = api.user()
    response = _status(api, token, "missing")
    assert response.status_code == 404
    assert response.json() == {"success": False, "error": "render missing not found", "code": 1002}


def test_unknown_download_is_404_and_bad_ids_are_400() -> None:
    api = Api()
    token, sid = api.user()
    assert api.get(contract.PATH_DOWNLOAD.format(id="nope")).status_code == 404
    assert _submit(api, token, sid, "bad id!").status_code == 400


def test_failed_renders_say_so() -> None:
    api = Api(render_fail_rate=1.0)
    token, sid = api.user()
    _submit(api, token, sid)
    api.clock.advance(100)
    body = _status(api, token).json()
    assert body["data"]["status"] == "failed"
    assert body["data"]["outputUrl"] is None

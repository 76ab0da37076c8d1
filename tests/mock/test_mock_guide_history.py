"""The mock and the guide's history: documented earlier forms served with ``guide="any"`` (or
the version that documented them), refused as today by default, flagged in the journal always."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from mockserver import MockConfig, MockServer, StreamingTransport, tiny_mp4
from nemokit import contract, history
from nemokit._clock import VirtualClock

ATTRIBUTION = {
    contract.HEADER_SKILL_SOURCE: "t",
    contract.HEADER_SKILL_VERSION: "1",
    contract.HEADER_SKILL_PLATFORM: "unknown",
}


class Mock:
    def __init__(self, guide: str) -> None:
        self.server = MockServer(MockConfig(guide=guide, silent_rate=0.0), VirtualClock())
        self.transport = StreamingTransport(self.server.app)
        self.http = httpx.Client(transport=self.transport, base_url="http://mock.test")
        data = self.http.post(
            contract.PATH_ANONYMOUS_TOKEN, headers={contract.HEADER_CLIENT_ID: "c"}
        ).json()["data"]
        self.token, self.user_id = data["token"], data["user_id"]
        self.headers = {"Authorization": f"Bearer {self.token}", **ATTRIBUTION}
        session = self.http.post(
            contract.PATH_SESSION, headers=self.headers, json={"task_name": "p"}
        ).json()["data"]
        self.sid, self.task_id = session["session_id"], session["task_id"]

    def last_flag(self) -> str | None:
        entry = self.server.journal.last()
        assert entry is not None
        return entry.deprecated

    def close(self) -> None:
        self.http.close()
        self.transport.close()


@pytest.fixture(params=["any", "0.x"])
def old(request: pytest.FixtureRequest) -> Iterator[Mock]:
    mock = Mock(request.param)
    yield mock
    mock.close()


@pytest.fixture
def current() -> Iterator[Mock]:
    mock = Mock(history.CURRENT_GUIDE)
    yield mock
    mock.close()


def _upload(mock: Mock, user: str) -> httpx.Response:
    return mock.http.post(
        f"/api/upload-video/nemo_agent/{user}/{mock.sid}",
        headers=mock.headers,
        files={"files": ("a.mp4", tiny_mp4(), "video/mp4")},
    )


def test_user_id_paths_are_served_and_flagged(old: Mock) -> None:
    assert _upload(old, old.user_id).json()["code"] == 0
    flag = old.last_flag()
    assert flag == history.USER_ID_UPLOAD.flag
    assert flag is not None
    assert "documented until guide 0.x; now: POST /api/upload-video/nemo_agent/me/{sid}" in flag
    state = old.http.get(
        f"/api/state/nemo_agent/{old.user_id}/{old.sid}/latest", headers=old.headers
    )
    assert state.json()["data"]["state"]["video_infos"], "the upload landed in the session"
    assert old.last_flag() == history.USER_ID_STATE.flag
    journal = old.server.journal.entries()[-1]
    assert journal.path.startswith(f"/api/state/nemo_agent/{old.user_id}/"), "kept as sent"


def test_another_users_id_in_the_path_is_not_served(old: Mock) -> None:
    assert _upload(old, "anon_someone_else").status_code == 404


def test_render_draft_and_its_poll_path_are_served_and_flagged(old: Mock) -> None:
    draft = old.http.get(contract.PATH_STATE.format(sid=old.sid), headers=old.headers).json()
    body = {"id": "render_1", "sessionId": old.sid, "draft": draft["data"]["state"]["draft"]}
    submitted = old.http.post("/api/render/proxy/draft", headers=old.headers, json=body)
    assert submitted.json()["success"] is True
    assert old.last_flag() == history.RENDER_DRAFT.flag
    polled = old.http.get("/api/render/proxy/render_1", headers=old.headers).json()
    assert polled["data"]["id"] == "render_1"
    assert old.last_flag() == history.RENDER_DRAFT_POLL.flag


def test_api_key_headers_carry_a_valid_token(old: Mock) -> None:
    headers = {"X-API-Key": old.token, "X-User-Id": old.user_id, **ATTRIBUTION}
    answer = old.http.get(contract.PATH_CREDITS, headers=headers).json()
    assert answer["code"] == 0
    assert old.last_flag() == history.API_KEY_HEADERS.flag
    bad = {"X-API-Key": "nmv_usr_forged", "X-User-Id": old.user_id}
    assert old.http.get(contract.PATH_CREDITS, headers=bad).json()["code"] == 1001


def test_the_real_user_id_in_the_sse_body_is_answered_and_flagged(old: Mock) -> None:
    body = {
        "app_name": contract.APP_NAME,
        "user_id": old.user_id,
        "session_id": old.sid,
        "new_message": {"parts": [{"text": "hello"}]},
    }
    with old.http.stream("POST", contract.PATH_RUN_SSE, headers=old.headers, json=body) as reply:
        assert reply.status_code == 200
        assert any(line.startswith("data:") for line in reply.iter_lines())
    assert old.last_flag() == history.SSE_REAL_USER_ID.flag


def test_the_1_4_claim_link_opens_the_project_only_in_a_mode_that_serves_it() -> None:
    for guide, served in (("any", True), ("1.4", True), ("1.7", True), ("1.3", False)):
        mock = Mock(guide)
        try:
            query = {"token": mock.token, "task": mock.task_id, "session": mock.sid}
            page = mock.http.get("/workspace/claim", params=query)
            assert (page.status_code == 200) is served, guide
            assert mock.last_flag() == history.TOKEN_LINK.flag
            if served:
                assert mock.sid in page.text
                forged = mock.http.get("/workspace/claim", params={**query, "token": "nmv_usr_x"})
                assert forged.status_code == 401
        finally:
            mock.close()


def test_the_default_mock_serves_the_current_contract_only_and_still_flags(current: Mock) -> None:
    assert _upload(current, current.user_id).status_code == 404
    assert current.last_flag() == history.USER_ID_UPLOAD.flag
    assert (
        current.http.post("/api/render/proxy/draft", headers=current.headers, json={}).status_code
        == 404
    )
    headers = {"X-API-Key": current.token, "X-User-Id": current.user_id}
    assert current.http.get(contract.PATH_CREDITS, headers=headers).json()["code"] == 1001
    assert _upload(current, "me").json()["code"] == 0
    assert current.last_flag() is None


def test_a_version_serves_only_the_forms_it_documented() -> None:
    mock = Mock("1.0")
    try:
        assert _upload(mock, mock.user_id).status_code == 404  # 1.0 moved to `me`
    finally:
        mock.close()


def test_the_guide_setting_is_validated() -> None:
    with pytest.raises(ValueError, match="guide must be one of"):
        MockConfig().replace(guide="2.0")


def test_nemokit_mock_takes_the_guide_flag() -> None:
    from click.testing import CliRunner

    from nemokit.cli._mock_cmd import mock, mock_config

    assert mock_config(guide="any").guide == "any"
    assert MockConfig().guide == history.CURRENT_GUIDE
    refused = CliRunner().invoke(mock, ["--guide", "2.0"])
    assert refused.exit_code == 2
    assert "--guide" in refused.output

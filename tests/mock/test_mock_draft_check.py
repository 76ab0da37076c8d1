"""A render submit's draft is checked against the mock's own OpenAPI ``Draft`` schema: what the
document calls invalid is refused with 400 naming the place, what it allows is accepted."""

from __future__ import annotations

import pytest

from mockserver.http._draft_check import draft_problem


@pytest.mark.parametrize(
    ("draft", "problem"),
    [
        ({"m": ""}, "draft.m: expected object"),
        ({"t": {}}, "draft.t: expected array"),
        ({"d": "10"}, "draft.d: expected number"),
        ({"d": True}, "draft.d: expected number"),
        ({"t": [{"tt": 3}]}, "draft.t[0].tt: must be one of [0, 1, 7]"),
        ({"t": [{"tt": 0, "sg": [{"start": "0"}]}]}, "draft.t[0].sg[0].start: expected number"),
        ({"m": {"width": 1.5}}, "draft.m.width: expected integer"),
    ],
)
def test_a_draft_the_schema_calls_invalid_is_named(draft: dict[str, object], problem: str) -> None:
    assert draft_problem(draft) == problem


def test_drafts_the_schema_allows_pass() -> None:
    assert draft_problem({}) is None
    assert draft_problem({"t": [], "d": 0, "m": {}}) is None
    segment = {"start": 0, "duration": 1000, "source": "a.mp4", "custom": {"x": 1}}
    track = {"tt": 1, "name": "BGM", "sg": [segment]}
    assert draft_problem({"t": [track], "d": 1000.5, "m": {"title": "T", "width": 1080}}) is None


def test_the_render_endpoint_refuses_an_invalid_draft_with_400() -> None:
    import httpx

    from mockserver import MockServer, StreamingTransport
    from nemokit import contract

    server = MockServer()
    transport = StreamingTransport(server.app)
    with httpx.Client(transport=transport, base_url="http://mock.test") as http:
        token = http.post(
            contract.PATH_ANONYMOUS_TOKEN, headers={contract.HEADER_CLIENT_ID: "d"}
        ).json()["data"]["token"]
        headers = {
            "Authorization": f"Bearer {token}",
            contract.HEADER_SKILL_SOURCE: "t",
            contract.HEADER_SKILL_VERSION: "1.0.0",
            contract.HEADER_SKILL_PLATFORM: "unknown",
        }
        sid = http.post(contract.PATH_SESSION, headers=headers, json={"task_name": "p"}).json()[
            "data"
        ]["session_id"]
        body = {"id": "render_1", "sessionId": sid, "draft": {"m": ""}}
        refused = http.post(contract.PATH_RENDER, headers=headers, json=body)
        assert refused.status_code == 400
        assert "draft.m: expected object" in refused.text
        body["draft"] = {"t": [], "m": {"title": "ok"}}
        assert http.post(contract.PATH_RENDER, headers=headers, json=body).json()["success"]
    transport.close()

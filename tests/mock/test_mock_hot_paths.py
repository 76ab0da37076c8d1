"""Credits and state are answered without Starlette's routing: the answers must not differ.

A request under an ASGI ``root_path`` is routed by Starlette (the shortcut only takes requests
without one), so each case is asked both ways and the answers and journal entries compared.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from _mockapi import Api

from mockserver import MockServer
from mockserver.http._hot import hot_request, hot_target
from nemokit import contract

ROOT = "/under"


def _ask(server: MockServer, path: str, headers: dict[str, str], *, routed: bool) -> Any:
    """(status, content type, content length, body, journal status and code) of one GET."""

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=server.app, root_path=ROOT if routed else "")
        base = "http://mock.test" + (ROOT if routed else "")
        async with httpx.AsyncClient(transport=transport, base_url=base) as http:
            return await http.get(base + path, headers=headers)

    response = asyncio.run(go())
    entry = server.journal.last()
    assert entry is not None
    assert entry.path == (ROOT + path if routed else path)
    return (
        response.status_code,
        response.headers.get("content-type"),
        response.headers.get("content-length"),
        response.content,
        entry.status,
        entry.code,
    )


def _cases(api: Api) -> dict[str, tuple[str, dict[str, str]]]:
    token, sid = api.user("alice")
    other_token, other_sid = api.user("bob")
    api.upload(token, sid, ("clip.mp4", b"\x00" * 200))
    bearer = {contract.HEADER_AUTHORIZATION: f"Bearer {token}"}
    state = contract.PATH_STATE.format(sid=sid)
    return {
        "credits": (contract.PATH_CREDITS, bearer),
        "state": (state, bearer),
        "no token": (state, {}),
        "not bearer": (contract.PATH_CREDITS, {contract.HEADER_AUTHORIZATION: f"Basic {token}"}),
        "empty bearer": (contract.PATH_CREDITS, {contract.HEADER_AUTHORIZATION: "Bearer   "}),
        "unknown token": (state, {contract.HEADER_AUTHORIZATION: "Bearer nmv_usr_nope"}),
        "another user's session": (contract.PATH_STATE.format(sid=other_sid), bearer),
        "unknown session": (contract.PATH_STATE.format(sid="123"), bearer),
        "other token, own session": (
            contract.PATH_STATE.format(sid=other_sid),
            {contract.HEADER_AUTHORIZATION: f"bearer {other_token}"},
        ),
    }


@pytest.mark.parametrize("style", ["code_200", "http_status"])
def test_the_shortcut_answers_as_starlettes_routing_does(style: str) -> None:
    api = Api(silent_rate=0.0, noise_rate=0.0, error_style=style)
    for name, (path, headers) in _cases(api).items():
        fast = _ask(api.server, path, headers, routed=False)
        routed = _ask(api.server, path, headers, routed=True)
        assert fast == routed, name


def test_an_expired_token_is_refused_on_the_shortcut_after_it_was_accepted() -> None:
    api = Api()
    token, sid = api.user()
    assert api.credits(token)["available"] > 0
    assert api.state(token, sid).json()["code"] == 0
    api.clock.advance(contract.TOKEN_TTL)
    for response in (api.get(contract.PATH_CREDITS, token=token), api.state(token, sid)):
        assert response.json()["code"] == contract.Code.TOKEN_INVALID
        assert "expired" in response.json()["message"]


@pytest.mark.parametrize(
    ("method", "path", "root", "target"),
    [
        ("GET", contract.PATH_CREDITS, "", ""),
        ("GET", contract.PATH_STATE.format(sid="42"), "", "42"),
        ("HEAD", contract.PATH_CREDITS, "", None),
        ("GET", contract.PATH_CREDITS, "/x", None),
        ("GET", contract.PATH_CREDITS + "/", "", None),
        ("GET", contract.PATH_STATE.format(sid=""), "", None),
        ("GET", contract.PATH_STATE.format(sid="a/b"), "", None),
        ("GET", "/api/state/nemo_agent/me/latest", "", None),
    ],
)
def test_only_the_exact_hot_gets_take_the_shortcut(
    method: str, path: str, root: str, target: str | None
) -> None:
    assert hot_target({"method": method, "path": path, "root_path": root}) == target


def test_a_head_and_a_trailing_slash_still_get_starlettes_answers() -> None:
    api = Api()
    token, _ = api.user()
    head = api.request("HEAD", contract.PATH_CREDITS, token=token)
    assert head.status_code == 200
    post = api.post(contract.PATH_CREDITS, token=token)
    assert post.status_code == 405
    assert set(post.headers["allow"].split(", ")) == {"GET", "HEAD"}


@pytest.mark.parametrize(
    ("headers", "taken"),
    [
        ([(b"authorization", b"Bearer a"), (b"authorization", b"Bearer b")], b"Bearer a"),
        ([(b"user-agent", b"x")], b""),
        ([(b"authorization", b"Bearer a"), (b"content-length", b"2")], None),
        ([(b"transfer-encoding", b"chunked")], None),
        ([(b"x-api-key", b"nmv_usr_k")], None),
    ],
)
def test_the_shortcut_takes_the_first_authorization_and_leaves_bodies_and_api_keys(
    headers: list[tuple[bytes, bytes]], taken: bytes | None
) -> None:
    scope = {"method": "GET", "path": contract.PATH_CREDITS, "root_path": "", "headers": headers}
    assert hot_request(scope) == (None if taken is None else ("", taken))


def test_a_get_with_a_body_is_journaled_with_it() -> None:
    api = Api()
    token, sid = api.user()
    for path in (contract.PATH_CREDITS, contract.PATH_STATE.format(sid=sid)):
        answer = api.request("GET", path, token=token, json={"why": "a body on a GET"})
        assert answer.json()["code"] == 0
        entry = api.server.journal.last()
        assert entry is not None
        assert entry.body == {"why": "a body on a GET"}, path

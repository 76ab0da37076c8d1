"""Bad input of every kind gets a clear contract-style error: never a 500, never a hang."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from _mockapi import Api, sse_body
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mockserver.http import JSON_BODY_LIMIT
from nemokit import contract

SID = "1234567890123456789"


def _valid_sse(sid: str) -> dict[str, Any]:
    return sse_body(sid, "hello")


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (b"{", "malformed JSON"),
        (b"", "empty"),
        (b"[1, 2]", "JSON object"),
        (b'"text"', "JSON object"),
        (b'{"task_name": NaN}', "NaN"),
        (b"[" * 100_000, "JSON"),
        (b'{"task_name": 5}', "task_name must be a string"),
        (b'{"task_name": null}', "task_name is required"),
        (b'{"task_name": ""}', "must not be empty"),
        (b'{"task_name": "p", "language": ["en"]}', "language must be a string"),
        (b"{}", "task_name is required"),
        (b"\xff\xfe\x00garbage", "malformed JSON"),
    ],
    ids=lambda value: repr(value)[:40],
)
def test_bad_session_bodies(body: bytes, needle: str) -> None:
    api = Api()
    token, _ = api.token()
    response = api.post(
        contract.PATH_SESSION,
        token=token,
        content=body,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["code"] == 400
    assert response.json()["data"] is None
    assert needle in response.json()["message"]


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"session_id": None}, "session_id is required"),
        ({"session_id": 12}, "session_id must be a string"),
        ({"new_message": None}, "new_message is required"),
        ({"new_message": "hi"}, "new_message must be an object"),
        ({"new_message": {"parts": "hi"}}, "parts must be an array"),
        ({"new_message": {"parts": []}}, "no text part"),
        ({"new_message": {"parts": [{"text": "  "}]}}, "no text part"),
        ({"new_message": {"parts": [{"image": "x"}]}}, "no text part"),
        ({"app_name": "other"}, "unknown app_name"),
        ({"streaming": "yes"}, "streaming must be true or false"),
        ({"role": 5}, "role must be a string"),
    ],
)
def test_bad_run_sse_bodies(change: dict[str, Any], needle: str) -> None:
    api = Api()
    token, sid = api.user()
    body = {**_valid_sse(sid), **change}
    response = api.post(contract.PATH_RUN_SSE, token=token, json=body)
    assert response.status_code == 400
    assert needle in response.json()["message"]
    assert api.credits(token)["total"] == 100


def test_json_body_over_the_cap_is_413_without_reading_it_all() -> None:
    api = Api()
    token, _ = api.token()
    produced = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal produced
        yield b'{"task_name": "'
        while True:
            produced += 65536
            yield b"a" * 65536

    response = api.post(
        contract.PATH_SESSION,
        token=token,
        stream=endless,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert produced < JSON_BODY_LIMIT + 200_000


def test_declared_huge_json_body_is_413_at_once() -> None:
    api = Api()
    token, _ = api.token()
    response = api.post(
        contract.PATH_SESSION,
        token=token,
        content=b"{}",
        headers={"Content-Type": "application/json", "Content-Length": str(10**12)},
    )
    assert response.status_code == 413


def test_multipart_sent_to_a_json_endpoint_is_415() -> None:
    api = Api()
    token, _ = api.token()
    response = api.post(contract.PATH_SESSION, token=token, files={"files": ("a.mp4", b"x")})
    assert response.status_code == 415
    assert "application/json" in response.json()["message"]


def test_json_without_a_content_type_is_still_read() -> None:
    api = Api()
    token, _ = api.token()
    response = api.post(contract.PATH_SESSION, token=token, content=b'{"task_name": "p"}')
    assert response.json()["code"] == 0


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/nothing/here"),
        ("POST", "/api/render/proxy/lambda/x/y/z"),
        ("GET", "/api/state/nemo_agent/me/1/2/latest"),
    ],
)
def test_unknown_paths_are_404_naming_the_path(method: str, path: str) -> None:
    response = Api().request(method, path)
    assert response.status_code == 404
    body = response.json()
    text = body.get("message") or body.get("error")
    assert path in text


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", contract.PATH_RUN_SSE, "POST"),
        ("DELETE", contract.PATH_CREDITS, "GET"),
        ("PUT", contract.PATH_RENDER, "POST"),
    ],
)
def test_wrong_methods_are_405_naming_the_allowed_ones(
    method: str, path: str, allowed: str
) -> None:
    response = Api().request(method, path)
    assert response.status_code == 405
    assert allowed in response.headers["Allow"]
    body = response.json()
    assert allowed in (body.get("message") or body.get("error"))


def test_odd_headers_do_not_break_anything() -> None:
    api = Api()
    response = api.post(
        contract.PATH_ANONYMOUS_TOKEN,
        headers={"X-Client-Id": "é".encode() * 10, "Authorization": b"Bearer \xff", "X-Odd": b""},
    )
    assert response.status_code == 200
    response = api.get(contract.PATH_CREDITS, headers={"Authorization": "Bearer " + "x" * 10000})
    assert response.json()["code"] == 1001


def test_a_bug_in_an_endpoint_is_a_json_500_naming_the_request_and_journaled() -> None:
    api = Api()

    async def broken(request: Request) -> Response:
        raise RuntimeError("deliberate")

    api.server.app.router.routes.append(Route("/boom", broken, methods=["POST"]))
    response = api.post("/boom")
    assert response.status_code == 500
    assert "POST /boom" in response.json()["message"]
    assert "deliberate" in response.json()["message"]
    entry = api.server.journal.last()
    assert entry is not None
    assert (entry.status, entry.code) == (500, 500)
    assert entry.error == "RuntimeError: deliberate"


def test_http_status_style_keeps_bad_input_at_400() -> None:
    api = Api(error_style="http_status")
    token, _ = api.token()
    response = api.post(contract.PATH_SESSION, token=token, content=b"{")
    assert (response.status_code, response.json()["code"]) == (400, 400)


def test_a_content_length_that_is_not_a_number_is_400() -> None:
    api = Api()
    token, _ = api.token()
    response = api.post(
        contract.PATH_SESSION, token=token, content=b"{}", headers={"Content-Length": "abc"}
    )
    assert response.status_code == 400
    assert "Content-Length" in response.json()["message"]

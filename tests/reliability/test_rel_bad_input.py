"""The bad-input matrix: every endpoint of the mock against hostile bodies, headers and paths.

Each case must get a clear contract error (a JSON envelope naming the problem), never a 500, a
hang or a traceback, and must leave the account as it was (no credit spent, no session made).
Every request is journaled and its journal entry completed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from _relkit import (
    Mock,
    assert_clear_error,
    dumps,
    render_body,
    run,
    sse_body,
)

from nemokit import contract

Body = Callable[[str], dict[str, Any]]

# Endpoint → a valid JSON body for a session id.
JSON_ENDPOINTS: dict[str, tuple[str, Body]] = {
    "session": (contract.PATH_SESSION, lambda sid: {"task_name": "project", "language": "en"}),
    "claim": (contract.PATH_CLAIM_TOKEN, lambda sid: {"task_id": "task_x", "session_id": sid}),
    "run_sse": (contract.PATH_RUN_SSE, lambda sid: sse_body(sid, "add a title")),
    "render": (contract.PATH_RENDER, render_body),
    "upload_urls": (
        contract.PATH_UPLOAD,
        lambda sid: {"urls": ["https://media.test/a.mp4"], "source_type": "url"},
    ),
}

WRONG_TYPES: list[Any] = [None, 0, -1, 1.5, True, "", "x", [], ["x"], {}, {"a": 1}]
HUGE = "x" * 300_000


def _fields(body: dict[str, Any], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every key path of ``body`` (nested objects included)."""
    found = []
    for key, value in body.items():
        found.append((*prefix, key))
        if isinstance(value, dict):
            found.extend(_fields(value, (*prefix, key)))
    return found


def _replace(body: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    copy = json.loads(json.dumps(body))
    target = copy
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return copy


def _remove(body: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    copy = json.loads(json.dumps(body))
    target = copy
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return copy


def _raw_cases(valid: bytes) -> list[tuple[str, bytes, str]]:
    """(name, body, content type) of bodies that are not the JSON object the endpoint wants."""
    cases = [
        ("empty", b"", "application/json"),
        ("spaces", b"   \n", "application/json"),
        ("malformed", b"{", "application/json"),
        ("trailing comma", b'{"a": 1,}', "application/json"),
        ("array", b"[1, 2]", "application/json"),
        ("string", b'"text"', "application/json"),
        ("number", b"12", "application/json"),
        ("null", b"null", "application/json"),
        ("NaN", b'{"a": NaN}', "application/json"),
        ("Infinity", b'{"a": -Infinity}', "application/json"),
        ("deep nesting", b"[" * 50_000, "application/json"),
        ("deep object", b'{"a":' * 3000 + b"1" + b"}" * 3000, "application/json"),
        ("invalid utf-8", b'{"task_name": "\xff\xfe"}', "application/json"),
        ("latin-1 text", '{"task_name": "caf\u00e9"}'.encode("latin-1"), "application/json"),
        ("lone surrogate", b'{"task_name": "\\ud800"}', "application/json"),
        ("NUL bytes", b"\x00" * 64, "application/json"),
        ("form", b"a=1&b=2", "application/x-www-form-urlencoded"),
        ("multipart", b"--x\r\n\r\n--x--\r\n", "multipart/form-data; boundary=x"),
        ("xml", b"<a/>", "application/xml"),
    ]
    for cut in sorted({1, len(valid) // 3, len(valid) // 2, len(valid) - 1}):
        cases.append((f"truncated at {cut}", valid[:cut], "application/json"))
    return cases


def _field_cases(valid: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    cases = []
    for path in _fields(valid):
        name = ".".join(path)
        cases.append((f"missing {name}", _remove(valid, path)))
        original = _get(valid, path)
        for value in WRONG_TYPES:
            if _same_kind(value, original) and value != "":
                continue  # another value of the right type is not bad input
            cases.append((f"{name}={json.dumps(value)}", _replace(valid, path, value)))
        cases.append((f"{name}=huge", _replace(valid, path, HUGE)))
    cases.append(("extra fields", {**valid, "zzz": {"nested": [1, 2, 3]}, "__proto__": 1}))
    return cases


def _same_kind(a: Any, b: Any) -> bool:
    def kind(v: Any) -> str:
        return "number" if type(v) in (int, float) else type(v).__name__

    return kind(a) == kind(b)


def _get(body: dict[str, Any], path: tuple[str, ...]) -> Any:
    for key in path:
        body = body[key]
    return body


async def _setup(mock: Mock) -> tuple[str, str]:
    return await mock.user()


def _path(template: str, sid: str) -> str:
    return template.format(sid=sid)


@pytest.mark.parametrize("endpoint", sorted(JSON_ENDPOINTS))
def test_raw_bodies_get_clear_errors(endpoint: str) -> None:
    """Malformed, truncated, non-object, non-UTF-8 and wrongly typed bodies: 400/413/415."""
    template, make = JSON_ENDPOINTS[endpoint]

    async def main() -> int:
        mock = Mock()
        token, sid = await _setup(mock)
        before = await mock.credits(token)
        valid = dumps(make(sid))
        count = 0
        for name, body, media in _raw_cases(valid):
            response = await mock.request(
                "POST",
                _path(template, sid),
                token=token,
                content=body,
                headers={"Content-Type": media},
            )
            message = assert_clear_error(response)
            assert response.status_code in (400, 413, 415), (name, response.status_code, message)
            count += 1
        assert await mock.credits(token) == before
        _assert_journal_complete(mock)
        await mock.aclose()
        return count

    assert run(main) >= 20


@pytest.mark.parametrize("endpoint", sorted(JSON_ENDPOINTS))
def test_missing_wrong_extra_and_huge_fields(endpoint: str) -> None:
    """Every field of a valid body removed, retyped, or made huge; extra fields tolerated."""
    template, make = JSON_ENDPOINTS[endpoint]

    async def main() -> int:
        mock = Mock(silent_rate=0.0)
        token, sid = await _setup(mock)
        claim_task = (await mock.request("GET", _state(sid), token=token)).json()["data"]
        valid = make(sid)
        if endpoint == "claim":
            valid["task_id"] = claim_task["task_id"]
        count = 0
        for index, (name, body) in enumerate(_field_cases(valid)):
            if endpoint == "render" and body.get("id") == valid["id"]:
                body["id"] = f"render_{index}"  # a repeated id returns the first job
            response = await mock.request(
                "POST",
                _path(template, sid),
                token=token,
                content=dumps(body),
                headers={"Content-Type": "application/json"},
            )
            if _accepted(response):
                assert name.startswith("extra") or _optional(endpoint, name), (name, response.text)
            else:
                assert_clear_error(response, allow=(404, 409))
            count += 1
        credits = await mock.credits(token)
        assert credits["available"] + credits["frozen"] == credits["total"]
        _assert_journal_complete(mock)
        await mock.aclose()
        return count

    assert run(main) >= 10


def _accepted(response: Any) -> bool:
    if response.headers["content-type"].startswith("text/event-stream"):
        return response.status_code == 200
    body = response.json()
    return response.status_code == 200 and (body.get("code") == 0 or body.get("success") is True)


# Fields a request may leave out or send in another accepted shape (the contract's variants).
_OPTIONAL = {
    "session": ("missing language", "language=null", 'language=""'),
    "run_sse": (
        "missing app_name",
        "app_name=null",
        "missing user_id",
        "user_id=null",
        "user_id=huge",
        'user_id="x"',
        'user_id=""',
    ),
    "upload_urls": ("missing source_type", "source_type=null"),
    "render": (
        "draft={}",
        'draft={"a": 1}',
        "missing draft.t",
        "missing draft.d",
        "draft.d=",
        "draft.t=",
        "draft.t={}",
        "draft.t=[]",
        "draft.d=[]",
        "draft.d={}",
        'draft.d="x"',
        'draft.d={"a": 1}',
        'draft.t="x"',
        'draft.t={"a": 1}',
        'draft.t=["x"]',
        'draft.d=["x"]',
        "draft.t=huge",
        "draft.d=huge",
        "draft.d=null",
        "draft.t=null",
        "draft.d=0",
        "draft.d=-1",
        "draft.d=1.5",
        "draft.d=true",
        "draft.t=0",
        "draft.t=-1",
        "draft.t=1.5",
        "draft.t=true",
    ),
}


def _optional(endpoint: str, name: str) -> bool:
    return name in _OPTIONAL.get(endpoint, ())


def _state(sid: str) -> str:
    return contract.PATH_STATE.format(sid=sid)


def _assert_journal_complete(mock: Mock) -> None:
    entries = mock.server.journal.entries()
    assert entries, "nothing was journaled"
    assert all(e.completed for e in entries), [e for e in entries if not e.completed]
    assert all(e.status is not None and e.status < 500 for e in entries), [
        (e.path, e.status, e.error) for e in entries if e.status is None or e.status >= 500
    ]

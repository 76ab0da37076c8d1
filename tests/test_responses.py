"""Every response variant read into data or the right error; the values read defensively."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nemokit import _errors as errors
from nemokit import contract
from nemokit._models import (
    Credits,
    MissingField,
    RenderJob,
    SessionInfo,
    SessionState,
    TokenInfo,
    UploadedFile,
    uploaded_files_from,
)
from nemokit._responses import error_in, parse_retry_after, read_data, read_value

TOKEN = "nmv_usr_secret0123456789"
REQUEST = httpx.Request(
    "GET",
    "https://api.nemo.test/api/credits/balance/simple",
    headers={"Authorization": f"Bearer {TOKEN}", "X-Client-Id": "cid"},
)


def response(status: int = 200, payload: Any = None, **kwargs: Any) -> httpx.Response:
    if payload is not None:
        kwargs["json"] = payload
    return httpx.Response(status, request=REQUEST, **kwargs)


def envelope(code: int, data: Any = None, message: str = "msg") -> dict[str, Any]:
    return {"code": code, "message": message, "data": data}


def test_envelope_success_gives_data() -> None:
    assert read_data(response(200, envelope(0, {"available": 5}))) == {"available": 5}


BUSINESS = [
    (1001, errors.TokenInvalid),
    (1002, errors.SessionNotFound),
    (2001, errors.OutOfCredits),
    (4001, errors.UnsupportedFileType),
    (4002, errors.FileTooLarge),
]


@pytest.mark.parametrize(("code", "cls"), BUSINESS)
@pytest.mark.parametrize("status_form", [False, True])
def test_business_codes_on_any_status(code: int, cls: type, status_form: bool) -> None:
    status = contract.CODE_HTTP_STATUS[code] if status_form else 200
    with pytest.raises(cls) as caught:
        read_data(response(status, envelope(code, message="nope")))
    error = caught.value
    assert (error.code, error.status_code, error.message) == (code, status, "nope")
    assert error.body == envelope(code, message="nope")


@pytest.mark.parametrize(("code", "cls"), BUSINESS)
@pytest.mark.parametrize("content", [b"", b"<html>Forbidden</html>"])
def test_http_status_form_without_json(code: int, cls: type, content: bytes) -> None:
    status = contract.CODE_HTTP_STATUS[code]
    with pytest.raises(cls) as caught:
        read_data(response(status, content=content))
    assert caught.value.code == code
    assert caught.value.status_code == status
    assert str(status) in caught.value.message


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, errors.ClientIdMissing),
        (402, errors.PlanLimit),
        (429, errors.RateLimited),
        (500, errors.ServerError),
        (502, errors.ServerError),
        (503, errors.ServerError),
        (405, errors.UnexpectedResponse),
    ],
)
@pytest.mark.parametrize("payload", [None, {"detail": "why"}])
def test_bare_http_errors(status: int, cls: type, payload: Any) -> None:
    with pytest.raises(cls) as caught:
        read_data(response(status, payload))
    assert caught.value.status_code == status
    assert type(caught.value) is cls
    if payload:
        assert caught.value.message == "why"


def test_a_nonzero_code_wins_over_a_2xx_status_in_render_bodies_too() -> None:
    with pytest.raises(errors.OutOfCredits):
        read_data(response(200, envelope(2001)), "render")


def test_retry_after_seconds() -> None:
    with pytest.raises(errors.RateLimited) as caught:
        read_data(response(429, headers={"Retry-After": "120"}))
    assert caught.value.retry_after == 120


def test_retry_after_date_is_relative_to_the_servers_date() -> None:
    headers = {
        "Retry-After": "Wed, 21 Oct 2015 07:29:00 GMT",
        "Date": "Wed, 21 Oct 2015 07:28:00 GMT",
    }
    with pytest.raises(errors.RateLimited) as caught:
        read_data(response(429, headers=headers))
    assert caught.value.retry_after == 60


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("30", 30.0),
        (" 45 ", 45.0),
        ("1.5", 1.5),
        ("-5", 0.0),
        ("nan", None),
        ("soon", None),
        ("Wed, 21 Oct 2015 07:30:00 GMT", 120.0),
        ("Wed, 21 Oct 2015 07:00:00 GMT", 0.0),  # in the past
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    now = datetime(2015, 10, 21, 7, 28, tzinfo=timezone.utc)
    assert parse_retry_after(value, now) == expected


def test_render_envelope() -> None:
    body = {"success": True, "data": {"id": "r1", "status": "pending", "progress": 0}}
    assert read_data(response(200, body), "render") == body
    with pytest.raises(errors.APIError) as caught:
        read_data(response(409, {"success": False, "error": "one export at a time"}), "render")
    assert type(caught.value) is errors.APIError
    assert (caught.value.message, caught.value.status_code) == ("one export at a time", 409)
    with pytest.raises(errors.PlanLimit):
        read_data(response(402, {"success": False, "error": "plan"}), "render")
    with pytest.raises(errors.APIError, match="failed"):
        read_data(response(200, {"success": False, "error": "failed"}), "render")


def test_a_404_outside_the_envelope_is_not_a_lost_session() -> None:
    with pytest.raises(errors.APIError) as caught:
        read_data(response(404, content=b"no such job"), "render")
    assert type(caught.value) is errors.APIError
    assert caught.value.code == 404


@pytest.mark.parametrize(
    ("kwargs", "kind", "needle"),
    [
        (
            {"content": b"<html>hi</html>", "headers": {"Content-Type": "text/html"}},
            "envelope",
            "text/html",
        ),
        ({"content": b""}, "envelope", "JSON"),
        ({"json": [1, 2]}, "envelope", "envelope"),
        ({"json": {"ok": True}}, "envelope", "['ok']"),
        ({"json": {"code": "0"}}, "envelope", "envelope"),
        ({"json": {"status": "x"}}, "render", "render"),
        ({"json": "text"}, "render", "render"),
    ],
)
def test_unexpected_shapes(kwargs: dict[str, Any], kind: Any, needle: str) -> None:
    with pytest.raises(errors.UnexpectedResponse) as caught:
        read_data(httpx.Response(200, request=REQUEST, **kwargs), kind)
    assert needle in caught.value.message


def test_missing_field_becomes_unexpected_response() -> None:
    with pytest.raises(errors.UnexpectedResponse, match="available"):
        read_value(response(200, envelope(0, {"frozen": 1})), Credits.from_data)


def test_error_carries_a_redacted_request() -> None:
    with pytest.raises(errors.TokenInvalid) as caught:
        read_data(response(200, envelope(1001, message="expired")))
    error = caught.value
    assert error.request is not None
    assert error.request.headers["Authorization"] == "[redacted]"
    assert error.request.headers["X-Client-Id"] == "[redacted]"
    assert error.request.url.path == contract.PATH_CREDITS
    assert "/api/credits/balance/simple" in str(error)


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_-.", min_size=6, max_size=40))
def test_tokens_never_reach_an_error(suffix: str) -> None:
    token = contract.TOKEN_PREFIX + suffix
    claim = contract.CLAIM_TOKEN_PREFIX + suffix
    payload = envelope(1001, {"echo": [token, claim]}, message=f"token {token} expired ({claim})")
    for resp in (response(200, payload), response(500, content=f"bad {token}".encode())):
        error = error_in(resp)
        assert error is not None
        shown = f"{error} {error!r} {error.message} {json.dumps(error.body)}"
        assert token not in shown
        assert claim not in shown


def test_no_error_for_success() -> None:
    assert error_in(response(200, envelope(0, {}))) is None
    assert error_in(response(204), "raw") is None
    assert read_data(response(200, content=b"\x00mp4"), "raw") is None


# --- values -----------------------------------------------------------------------------------


def test_token_info_hides_the_token() -> None:
    info = TokenInfo.from_data(
        {"token": TOKEN, "user_id": "anon_1", "expires_at": "2026-01-08T00:00:00Z", "credits": 100}
    )
    assert (info.user_id, info.credits) == ("anon_1", 100)
    assert TOKEN not in repr(info)
    assert TOKEN not in str(info)
    with pytest.raises(MissingField, match="token"):
        TokenInfo.from_data({"user_id": "anon_1"})


def test_session_info() -> None:
    info = SessionInfo.from_data({"task_id": "task_1", "session_id": "1" * 19, "user_id": "u"})
    assert info == SessionInfo("1" * 19, "task_1", "u")
    assert SessionInfo.from_data({"session_id": 1234}).session_id == "1234"
    with pytest.raises(MissingField, match="session_id"):
        SessionInfo.from_data({"task_id": "t"})
    with pytest.raises(MissingField, match="object"):
        SessionInfo.from_data(None)


@pytest.mark.parametrize(
    "data",
    [
        {
            "files": [
                {
                    "filename": "a.mp4",
                    "file_type": "video",
                    "cdn_url": "https://c/a.mp4",
                    "duration": 10.5,
                    "width": 1920,
                    "height": 1080,
                    "fps": 30,
                    "hash": "h",
                }
            ],
            "session_state_applied": True,
        },
        {
            "uploaded_files": [
                {
                    "filename": "a.mp4",
                    "file_type": "video",
                    "url": "https://c/a.mp4",
                    "duration": "10.5",
                    "width": 1920.0,
                    "height": 1080,
                    "fps": 30,
                    "hash": "h",
                }
            ]
        },
    ],
)
def test_upload_result_in_both_shapes(data: dict[str, Any]) -> None:
    assert uploaded_files_from(data) == [
        UploadedFile("a.mp4", "video", "https://c/a.mp4", 10.5, 1920, 1080, 30.0, "h")
    ]


def test_uploaded_file_missing_fields_are_optional() -> None:
    file = UploadedFile.from_data({"url": "https://c/x/song.mp3"})
    assert (file.filename, file.file_type, file.duration) == ("song.mp3", "audio", None)
    with pytest.raises(MissingField):
        uploaded_files_from({"session_state_applied": True})
    with pytest.raises(MissingField, match="cdn_url"):
        UploadedFile.from_data({"filename": "a.mp4"})


def test_credits() -> None:
    assert Credits.from_data({"available": 80, "frozen": 20, "total": 100}) == Credits(80, 20, 100)
    assert Credits.from_data({"available": 80, "frozen": 20}) == Credits(80, 20, 100)
    assert Credits.from_data({"available": "7"}) == Credits(7, 0, 7)


def test_session_state_and_draft() -> None:
    draft = {"t": [], "d": 0}
    state = SessionState.from_data(
        {"session_id": "s", "task_id": "t", "task_name": "project", "state": {"draft": draft}}
    )
    assert state.draft == draft
    assert SessionState.from_data({"state": {"draft": json.dumps(draft)}}).draft == draft
    assert SessionState.from_data({"state": {"draft": "{broken"}}).draft == {}
    assert SessionState.from_data({}, session_id="fallback").session_id == "fallback"
    assert SessionState.from_data({}).draft == {}


MOCK_DEFAULT = {
    "success": True,
    "taskId": "r1",
    "status": "processing",
    "progress": 50,
    "output": {"url": None},
    "data": {"id": "r1", "status": "processing", "progress": 50, "outputUrl": None},
}


@pytest.mark.parametrize(
    ("body", "status", "progress", "url"),
    [
        (MOCK_DEFAULT, "processing", 50.0, None),
        (
            {
                "success": True,
                "data": {"id": "r1", "status": "completed", "outputUrl": "https://o"},
            },
            "completed",
            100.0,
            "https://o",
        ),
        (
            {
                "success": True,
                "taskId": "r1",
                "status": "completed",
                "output": {"url": "https://o"},
            },
            "completed",
            100.0,
            "https://o",
        ),
        (
            {"success": True, "data": {"id": "r1", "status": "processing", "progress": 0.25}},
            "processing",
            25.0,
            None,
        ),
        ({"status": "PENDING", "progress": 1}, "pending", 1.0, None),
        ({"status": "processing", "progress": 1.0}, "processing", 100.0, None),
        ({"status": "running", "progress": 170}, "processing", 100.0, None),
        ({"status": "canceled"}, "cancelled", 0.0, None),
        ({"data": {"status": "failed"}}, "failed", 0.0, None),
    ],
)
def test_render_job_in_every_shape(
    body: dict[str, Any], status: str, progress: float, url: str | None
) -> None:
    job = RenderJob.from_data(body, render_id="r1")
    assert job.id == "r1"
    assert job.status == contract.RenderStatus(status)
    assert job.progress == progress
    assert job.output_url == url
    assert job.done is (status in ("completed", "failed", "cancelled"))


def test_render_job_without_status_is_unexpected() -> None:
    with pytest.raises(MissingField, match="status"):
        RenderJob.from_data({"success": True, "data": {"id": "r1"}})
    with pytest.raises(errors.UnexpectedResponse, match="status"):
        read_value(
            response(200, {"success": True, "data": {"status": "??"}}),
            RenderJob.from_data,
            "render",
        )

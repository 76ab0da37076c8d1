"""Uploads, headers and paths under attack: big and slow bodies, path tricks, odd headers.

The 600 MB upload streams from a generator through the in-process streaming transport: the mock
must refuse it after reading about 500 MB, with flat memory (tracemalloc's peak stays far below
the body's size) and without reading the rest.
"""

from __future__ import annotations

import asyncio
import tracemalloc
from collections.abc import AsyncIterator
from typing import Any

import pytest
from _relkit import Mock, assert_clear_error, chunks, render_body, run

from nemokit import contract

MB = 1024 * 1024


def _multipart(filename: bytes, data: bytes = b"\x00" * 32, boundary: bytes = b"XyZ") -> bytes:
    return (
        b"--" + boundary + b"\r\n"
        b'Content-Disposition: form-data; name="files"; filename="' + filename + b'"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n" + data + b"\r\n"
        b"--" + boundary + b"--\r\n"
    )


def _upload_path(sid: str) -> str:
    return contract.PATH_UPLOAD.format(sid=sid)


_TRICKY_NAMES: list[bytes] = [
    b"../../etc/passwd.mp4",
    b"..\\..\\windows\\system32\\evil.mp4",
    b"C:evil.mp4",
    b"/abs/path/clip.mp4",
    b"clip.mp4\x00.exe",
    b"clip.exe\x00.mp4",
    b"....",
    b"..",
    b"%2e%2e%2fclip.mp4",
    "видео 🎬.mp4".encode(),
    b"\xff\xfe bad utf-8.mp4",
    b"a" * 10_000 + b".mp4",
    b"clip.mp4\r\nX-Injected: yes",
    b"clip.mp4\r\n\r\nbody",
    b'cl"ip.mp4',
    b"",
]


@pytest.mark.parametrize("name", _TRICKY_NAMES, ids=lambda n: repr(n)[:30])
def test_upload_filenames_never_escape_or_crash(name: bytes) -> None:
    """A name is cut to its base name (no directory, drive, NUL or CR/LF), or refused clearly."""

    async def main() -> None:
        mock = Mock()
        token, sid = await mock.user()
        response = await mock.request(
            "POST",
            _upload_path(sid),
            token=token,
            content=_multipart(name),
            headers={"Content-Type": "multipart/form-data; boundary=XyZ"},
        )
        body = response.json()
        if body.get("code") != 0:
            assert_clear_error(response)
            assert body["code"] in (400, contract.Code.UNSUPPORTED_FILE_TYPE), body
            return
        (uploaded,) = body["data"]["files"]
        filename = uploaded["filename"]
        for bad in ("/", "\\", "\x00", "\r", "\n"):
            assert bad not in filename, filename
        assert filename.strip("."), filename
        assert not filename.startswith(".."), filename
        assert ":" not in filename, filename
        assert uploaded["cdn_url"].startswith(f"{mock.http.base_url}".rstrip("/") + "/cdn/")
        assert "/../" not in uploaded["cdn_url"]
        assert "x-injected" not in {k.lower() for k in response.headers}
        state = await mock.request("GET", contract.PATH_STATE.format(sid=sid), token=token)
        assert state.json()["data"]["state"]["video_infos"][0]["filename"] == filename
        await mock.aclose()

    run(main)


@pytest.mark.parametrize(
    ("content_type", "body", "status", "code"),
    [
        ("text/plain", b"hello", 415, 415),
        ("application/octet-stream", b"\x00" * 100, 415, 415),
        ("multipart/form-data", _multipart(b"a.mp4"), 400, 400),  # no boundary
        ("multipart/form-data; boundary=other", _multipart(b"a.mp4"), 400, 400),
        ("multipart/form-data; boundary=XyZ", b"--XyZ\r\ngarbage", 400, 400),
        ("multipart/form-data; boundary=XyZ", b"", 400, 400),
        ("multipart/form-data; boundary=" + "b" * 200, b"--b\r\n", 400, 400),
        ("multipart/form-data; boundary=XyZ", _multipart(b"notes.txt"), 200, 4001),
        ("multipart/form-data; boundary=XyZ", _multipart(b"noextension"), 200, 4001),
        (
            "multipart/form-data; boundary=XyZ",
            _multipart(b"a.mp4").replace(b'name="files"', b'name="file"'),
            400,
            400,
        ),
    ],
    ids=lambda v: repr(v)[:25],
)
def test_upload_bodies_of_the_wrong_shape(
    content_type: str, body: bytes, status: int, code: int
) -> None:
    async def main() -> None:
        mock = Mock()
        token, sid = await mock.user()
        response = await mock.request(
            "POST",
            _upload_path(sid),
            token=token,
            content=body,
            headers={"Content-Type": content_type},
        )
        assert_clear_error(response)
        assert (response.status_code, response.json()["code"]) == (status, code)
        state = await mock.request("GET", contract.PATH_STATE.format(sid=sid), token=token)
        assert state.json()["data"]["state"]["video_infos"] == []  # nothing half-recorded
        await mock.aclose()

    run(main)


async def _file_stream(size: int, counter: list[int]) -> AsyncIterator[bytes]:
    head = b'--XyZ\r\nContent-Disposition: form-data; name="files"; filename="big.mp4"\r\n\r\n'
    yield head
    async for piece in chunks(size, MB, counter):
        yield piece
    yield b"\r\n--XyZ--\r\n"


@pytest.mark.slow
def test_a_600_mb_streamed_upload_is_refused_with_flat_memory() -> None:
    """4002 after ~500 MB read, the rest never pulled, tracemalloc peak a few MB."""
    produced = [0]

    async def main() -> Any:
        mock = Mock()
        token, sid = await mock.user()
        tracemalloc.start()
        try:
            response = await mock.request(
                "POST",
                _upload_path(sid),
                token=token,
                content=_file_stream(600 * MB, produced),
                headers={"Content-Type": "multipart/form-data; boundary=XyZ"},
            )
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        await mock.aclose()
        return response, peak

    response, peak = run(main, limit=120)
    assert_clear_error(response)
    assert response.json()["code"] == contract.Code.FILE_TOO_LARGE
    assert "500 MB" in response.json()["message"]
    assert contract.MAX_UPLOAD_BYTES < produced[0] <= contract.MAX_UPLOAD_BYTES + 3 * MB
    assert peak < 32 * MB, f"peak {peak / MB:.1f} MB while streaming a 600 MB upload"


def test_a_declared_600_mb_upload_is_refused_before_reading() -> None:
    produced = [0]

    async def main() -> Any:
        mock = Mock()
        token, sid = await mock.user()
        response = await mock.request(
            "POST",
            _upload_path(sid),
            token=token,
            content=_file_stream(600 * MB, produced),
            headers={
                "Content-Type": "multipart/form-data; boundary=XyZ",
                "Content-Length": str(600 * MB),
            },
        )
        await mock.aclose()
        return response

    response = run(main)
    assert response.json()["code"] == contract.Code.FILE_TOO_LARGE
    assert produced[0] <= 2 * MB  # at most what the transport pulled before the answer


@pytest.mark.parametrize("path", [contract.PATH_SESSION, contract.PATH_RUN_SSE])
def test_an_endless_json_body_is_413_after_the_cap(path: str) -> None:
    produced = [0]

    async def main() -> Any:
        mock = Mock()
        token, _ = await mock.user()

        async def endless() -> AsyncIterator[bytes]:
            yield b'{"task_name": "'
            async for piece in chunks(10**12, 64 * 1024, produced):
                yield piece.replace(b"\x00", b"a")

        response = await mock.request(
            "POST",
            path,
            token=token,
            content=endless(),
            headers={"Content-Type": "application/json"},
        )
        await mock.aclose()
        return response

    response = run(main)
    assert_clear_error(response)
    assert response.status_code == 413
    assert produced[0] < 2 * MB


def test_a_slow_body_one_byte_at_a_time_is_read_correctly() -> None:
    async def main() -> Any:
        mock = Mock()
        token = await mock.token()
        body = b'{"task_name": "slow project", "language": "en"}'

        async def slow() -> AsyncIterator[bytes]:
            for byte in body:
                await asyncio.sleep(0)
                yield bytes([byte])

        response = await mock.request(
            "POST",
            contract.PATH_SESSION,
            token=token,
            content=slow(),
            headers={"Content-Type": "application/json"},
        )
        await mock.aclose()
        return response

    response = run(main)
    assert response.json()["code"] == 0


def test_a_client_that_gives_up_mid_body_is_journaled_and_leaves_nothing_behind() -> None:
    """The client's body fails halfway (it went away): the mock records a disconnect, no 500,
    no session made, and no task left running."""

    async def main() -> Any:
        mock = Mock()
        token = await mock.token()
        baseline = len(asyncio.all_tasks())

        async def broken() -> AsyncIterator[bytes]:
            yield b'{"task_name": "pro'
            await asyncio.sleep(0)
            raise ConnectionResetError("client went away")

        with pytest.raises(ConnectionResetError):
            await mock.request(
                "POST",
                contract.PATH_SESSION,
                token=token,
                content=broken(),
                headers={"Content-Type": "application/json"},
            )
        for _ in range(20):
            await asyncio.sleep(0)
        leftover = len(asyncio.all_tasks()) - baseline
        entry = mock.server.journal.entries(path=contract.PATH_SESSION)[-1]
        sessions = len(mock.server.state.authenticate(token).session_ids)
        await mock.aclose()
        return entry, leftover, sessions

    entry, leftover, sessions = run(main)
    assert entry.completed
    assert entry.status is None or entry.status < 500
    assert leftover <= 0
    assert sessions == 0


# --- headers ----------------------------------------------------------------------------------

_AUTH_VALUES: list[bytes] = [
    b"",
    b"Bearer",
    b"Bearer ",
    b"Basic dXNlcjpwYXNz",
    b"Bearer " + b"A" * 16_000,
    b"Bearer nmv_usr_" + b"0" * 43,
    b"Bearer \xff\xfe\xfd",
    b"Bearer a b c",
    b"Token abc",
    b"Bearer\tabc",
]


@pytest.mark.parametrize("value", _AUTH_VALUES, ids=lambda v: repr(v)[:25])
@pytest.mark.parametrize(
    "method_path",
    [
        ("GET", contract.PATH_CREDITS),
        ("GET", contract.PATH_STATE.format(sid="1234567890123456789")),
        ("POST", contract.PATH_SESSION),
        ("GET", contract.PATH_RENDER_STATUS.format(id="render_1")),
    ],
    ids=lambda mp: mp[1].split("/")[2],
)
def test_bad_authorization_is_1001(value: bytes, method_path: tuple[str, str]) -> None:
    method, path = method_path

    async def main() -> Any:
        mock = Mock()
        await mock.user()  # a real account exists; none of these values may reach it
        response = await mock.request(
            method, path, headers={"Authorization": value}, json={"task_name": "p"}
        )
        await mock.aclose()
        return response

    response = run(main)
    assert_clear_error(response)
    body = response.json()
    assert body.get("code") == contract.Code.TOKEN_INVALID, body


@pytest.mark.parametrize(
    ("client_id", "ok"),
    [
        (b"x" * contract.CLIENT_ID_MAX_LENGTH, True),
        (b"x" * (contract.CLIENT_ID_MAX_LENGTH + 1), False),
        (b"   ", False),
        (b"\xff\xfe", True),
        (b"a,b", True),
        (b"id\twith\ttabs", True),
    ],
    ids=lambda v: repr(v)[:20],
)
def test_odd_client_ids(client_id: bytes, ok: bool) -> None:
    async def main() -> Any:
        mock = Mock()
        response = await mock.request(
            "POST", contract.PATH_ANONYMOUS_TOKEN, headers={contract.HEADER_CLIENT_ID: client_id}
        )
        await mock.aclose()
        return response

    response = run(main)
    if ok:
        assert response.json()["code"] == 0
    else:
        assert assert_clear_error(response)
        assert response.status_code == 400


def test_crlf_in_header_values_never_reaches_a_response_header() -> None:
    """httpx refuses CR/LF on a socket; in process the raw value reaches the app, which must
    not reflect it into a response header (the only reflected headers are fixed or checked)."""

    async def main() -> list[Any]:
        mock = Mock()
        token, sid = await mock.user()
        evil = b"x\r\nSet-Cookie: stolen=1\r\nX-Injected: 1"
        responses = [
            await mock.request(
                "POST", contract.PATH_ANONYMOUS_TOKEN, headers={contract.HEADER_CLIENT_ID: evil}
            ),
            await mock.request(
                "POST",
                contract.PATH_RENDER,
                token=token,
                json=render_body(sid),
                headers={contract.HEADER_SKILL_PLATFORM: evil},
            ),
            await mock.request(
                "GET", contract.PATH_DOWNLOAD.format(id="render_1%0d%0aX-Injected:%201")
            ),
            await mock.request("GET", contract.PATH_CREDITS, headers={"Authorization": evil}),
        ]
        await mock.aclose()
        return responses

    for response in run(main):
        assert response.status_code < 500
        names = {k.lower() for k in response.headers}
        assert "set-cookie" not in names
        assert "x-injected" not in names
        for value in response.headers.values():
            assert "\r" not in value
            assert "\n" not in value


# --- paths ------------------------------------------------------------------------------------

_BAD_IDS = [
    "..",
    "..%2F..%2Fetc%2Fpasswd",
    "%00",
    "a" * 129,
    "render 1",
    "рендер",
    "%2e%2e",
    "render_1;rm -rf",
    "x" * 5000,
]


@pytest.mark.parametrize("bad", _BAD_IDS, ids=lambda v: repr(v)[:20])
def test_path_tricks_in_ids_are_clear_refusals(bad: str) -> None:
    async def main() -> list[Any]:
        mock = Mock()
        token, _ = await mock.user()
        paths = [
            ("GET", contract.PATH_STATE.format(sid=bad)),
            ("POST", contract.PATH_UPLOAD.format(sid=bad)),
            ("GET", contract.PATH_RENDER_STATUS.format(id=bad)),
            ("POST", contract.PATH_RENDER_CANCEL.format(id=bad)),
            ("GET", contract.PATH_DOWNLOAD.format(id=bad)),
        ]
        responses = []
        for method, path in paths:
            responses.append(
                await mock.request(method, path, token=token, json={"urls": ["https://a.b/c.mp4"]})
            )
        await mock.aclose()
        return responses

    for response in run(main):
        assert_clear_error(response, allow=(404, 405))
        assert response.json().get("code") != 0


def test_a_utf8_file_name_survives_the_upload_as_written() -> None:
    name = "видео 🎬.mp4"

    async def main() -> Any:
        mock = Mock()
        token, sid = await mock.user()
        response = await mock.request(
            "POST",
            _upload_path(sid),
            token=token,
            content=_multipart(name.encode()),
            headers={"Content-Type": "multipart/form-data; boundary=XyZ"},
        )
        await mock.aclose()
        return response

    assert run(main).json()["data"]["files"][0]["filename"] == name

"""`nemokit mock` serves a client that follows docs/contract.md literally: plain curl, no nemokit.

The mock runs as a subprocess (``nemokit mock --port <free> --time-scale 1000``) on loopback;
``scripts/curl-walkthrough.sh`` walks every endpoint against it, and a few single curl commands
check the contract's refusals. The journal (``/__admin/requests``) shows what curl really sent.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import pytest
from _loopback import free_port, listening

from mockserver._media import tiny_mp4
from nemokit import contract

pytestmark = [
    pytest.mark.socket,
    pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed"),
    pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed"),
]

SCRIPT = pathlib.Path(__file__).resolve().parents[1] / "scripts" / "curl-walkthrough.sh"
SECRET = re.compile(r"nmv_usr_|clm_")
UNKNOWN_SID = "1234567890123456789"
CLIENT_ID = "curl-walkthrough-test"
ATTRIBUTION = (
    contract.HEADER_SKILL_SOURCE,
    contract.HEADER_SKILL_VERSION,
    contract.HEADER_SKILL_PLATFORM,
)
Reply = tuple[int, Any]


def _start(port: int, flags: tuple[str, ...], log: IO[bytes]) -> subprocess.Popen[bytes] | None:
    """``nemokit mock`` on ``port``, once it accepts connections; None if the port was taken."""
    command = [sys.executable, "-c", "from nemokit.cli import main; main()", "mock"]
    argv = [*command, "--port", str(port), "--time-scale", "1000", *flags]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=log)
    deadline = time.monotonic() + 20
    while not listening(port):
        if proc.poll() is not None:
            log.seek(0)
            error = log.read().decode(errors="replace")
            if "already in use" in error:
                return None  # another process took the free port first: try another
            pytest.fail(f"nemokit mock exited with {proc.returncode}: {error[-500:]}")
        if time.monotonic() > deadline:
            _stop(proc)
            pytest.fail(f"nemokit mock did not listen on port {port} within 20 s")
        threading.Event().wait(0.05)
    return proc


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


@contextlib.contextmanager
def _nemokit_mock(*flags: str) -> Iterator[str]:
    """``nemokit mock`` on a free loopback port in a subprocess; yields its base URL."""
    # Its stderr goes to a file: a pipe nobody reads could fill up and block the server.
    with tempfile.TemporaryFile() as log:
        for _ in range(3):
            port = free_port()
            proc = _start(port, flags, log)
            if proc is not None:
                break
            log.seek(0)
            log.truncate()
        else:
            pytest.fail("no free loopback port for nemokit mock after 3 tries")
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            _stop(proc)


def curl(url: str, *args: str) -> Reply:
    """Run curl on ``url``; the HTTP status and the JSON body."""
    done = subprocess.run(
        ["curl", "-sS", "-o", "-", "-w", "\n%{http_code}", *args, url],
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, f"curl failed: {done.stderr.decode()}"
    body, _, status = done.stdout.rpartition(b"\n")
    return int(status), json.loads(body)


@pytest.fixture(scope="module")
def api() -> Iterator[str]:
    with _nemokit_mock() as url:
        yield url


@dataclass(frozen=True, slots=True)
class Token:
    """A bearer token that pytest cannot show (its repr hides the value)."""

    value: str = field(repr=False)

    def headers(self, without: str | None = None) -> list[str]:
        """curl ``-H`` arguments: the bearer and the attribution headers but ``without``."""
        lines = [f"Authorization: Bearer {self.value}"]
        lines += [f"{h}: test" for h in ATTRIBUTION if h != without]
        return [arg for line in lines for arg in ("-H", line)]


def _token(url: str) -> Token:
    # One client id for the whole module: the same account comes back (the per-IP limit).
    _, body = curl(url + contract.PATH_ANONYMOUS_TOKEN, "-X", "POST", "-H", "X-Client-Id: curl")
    return Token(body["data"]["token"])


@pytest.fixture(scope="module")
def token(api: str) -> Token:
    return _token(api)


def _post_json(url: str, headers: list[str], body: object) -> Reply:
    json_header = ["-H", "Content-Type: application/json"]
    return curl(url, "-X", "POST", *headers, *json_header, "--data-binary", json.dumps(body))


# --- the walkthrough --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Walkthrough:
    """One run of the script: its process, the MP4 it saved and the mock's journal after it."""

    done: subprocess.CompletedProcess[str]
    out: pathlib.Path
    journal: list[dict[str, Any]] = field(repr=False)  # it holds the tokens as sent

    @property
    def output(self) -> str:
        """The script's stdout, once it is known to have succeeded."""
        done = self.done
        assert done.returncode == 0, (
            f"the walkthrough failed:\n{done.stdout[-2000:]}\n{done.stderr}"
        )
        return done.stdout

    def session_id(self) -> str:
        found = re.search(r"session_id: (\d{19})\n", self.output)
        assert found is not None, "no session_id in the output"
        return found[1]


@pytest.fixture(scope="module")
def walkthrough(api: str, tmp_path_factory: pytest.TempPathFactory) -> Walkthrough:
    """The script run once against the module's mock: its output, the MP4 and the journal."""
    work = tmp_path_factory.mktemp("walkthrough")
    clip = work / "holiday.mp4"
    clip.write_bytes(tiny_mp4())
    env = {**os.environ, "NEMO_API_URL": api, "NEMO_OUTPUT": str(work / "out.mp4")}
    env["NEMO_CLIENT_ID"] = CLIENT_ID
    env.pop("NEMO_TOKEN", None)
    done = subprocess.run(
        ["bash", str(SCRIPT), str(clip)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=work,
        env=env,
        check=False,
    )
    _, journal = curl(api + contract.ADMIN_PREFIX + "/requests")
    return Walkthrough(done, work / "out.mp4", journal["requests"])


def _header(entry: dict[str, Any], name: str) -> str | None:
    return next((v for k, v in entry["headers"] if k.lower() == name.lower()), None)


def _script_entries(walkthrough: Walkthrough, sid: str) -> list[dict[str, Any]]:
    """The script's requests (the module's other tests share the mock): its client id's token
    call, then every request with the bearer that uploaded into the session it printed."""
    entries = walkthrough.journal
    upload = next(e for e in entries if e["path"] == contract.PATH_UPLOAD.format(sid=sid))
    bearer = _header(upload, "Authorization")
    return [
        e
        for e in entries
        if _header(e, contract.HEADER_CLIENT_ID) == CLIENT_ID
        or (bearer is not None and _header(e, "Authorization") == bearer)
    ]


def test_walkthrough_shows_each_step_of_the_contract(walkthrough: Walkthrough) -> None:
    out, sid = walkthrough.output, walkthrough.session_id()
    assert f"upload-video/nemo_agent/me/{sid}" in out
    assert "uploaded: holiday.mp4 (video)" in out
    found = re.findall(r"available (\d+), frozen (\d+), total (\d+)", out)
    credits = [tuple(int(n) for n in numbers) for numbers in found]
    assert len(credits) == 2, out
    assert all(available + frozen == total for available, frozen, total in credits)
    assert credits[1][2] < credits[0][2], "the turn was not charged"
    events = [json.loads(line) for line in re.findall(r"^  event: (\{.*\})$", out, re.M)]
    assert events, out
    assert all("content" in e or "type" in e for e in events)
    assert re.search(r"poll \d+: completed, 100%", out)


def test_walkthrough_downloads_the_mp4(walkthrough: Walkthrough) -> None:
    out = walkthrough.output
    data = walkthrough.out.read_bytes()
    assert data[4:8] == b"ftyp"
    assert f"downloaded {len(data)} bytes" in out
    assert "(first box: ftyp)" in out


def test_walkthrough_never_prints_a_token(walkthrough: Walkthrough) -> None:
    printed = walkthrough.done.stdout + walkthrough.done.stderr
    assert "token: (hidden)" in printed
    assert "claim token: (hidden)" in printed
    leaked = SECRET.search(printed) is not None
    assert not leaked, "a token value appears in the walkthrough's output"
    bearers = (_header(entry, "Authorization") or "" for entry in walkthrough.journal)
    leaked = any(b.removeprefix("Bearer ") in printed for b in bearers if b)
    assert not leaked, "the bearer token appears in the walkthrough's output"


def test_walkthrough_requests_follow_the_contract(walkthrough: Walkthrough) -> None:
    """Every call succeeded, carried attribution, and the bearer everywhere but the token call."""
    sid = walkthrough.session_id()
    entries = _script_entries(walkthrough, sid)
    paths = [e["path"] for e in entries]
    for needed in (
        contract.PATH_ANONYMOUS_TOKEN,
        contract.PATH_SESSION,
        contract.PATH_RUN_SSE,
        contract.PATH_RENDER,
        contract.PATH_CLAIM_TOKEN,
    ):
        assert needed in paths
    # Scalars only in the asserts: an entry's headers hold the token.
    for entry in entries:
        path, status, code = entry["path"], entry["status"], entry["code"]
        assert status == 200, path
        assert code in (0, None), path
        attributed = all(_header(entry, h) for h in ATTRIBUTION)
        assert attributed, path
        has_bearer = _header(entry, "Authorization") is not None
        assert has_bearer == (path != contract.PATH_ANONYMOUS_TOKEN), path
        leaked = SECRET.search(path + entry["query"]) is not None
        assert not leaked, "a token went into a URL"
    turn = next(e for e in entries if e["path"] == contract.PATH_RUN_SSE)
    assert _header(turn, "Accept") == "text/event-stream"
    assert turn["body"]["session_id"] == sid


# --- single curl commands ---------------------------------------------------------------------


def test_anonymous_token_without_client_id_is_400(api: str) -> None:
    status, body = curl(api + contract.PATH_ANONYMOUS_TOKEN, "-X", "POST")
    assert status == 400
    assert body["data"] is None
    assert "X-Client-Id" in body["message"]


def _unknown_session_calls(url: str, token: Token) -> list[Reply]:
    auth = token.headers()
    state = curl(url + contract.PATH_STATE.format(sid=UNKNOWN_SID), *auth)
    turn = {
        "app_name": contract.APP_NAME,
        "user_id": "me",
        "session_id": UNKNOWN_SID,
        "new_message": {"parts": [{"text": "hello"}]},
    }
    sse = _post_json(url + contract.PATH_RUN_SSE, [*auth, "-H", "Accept: text/event-stream"], turn)
    return [state, sse]


def test_unknown_session_is_code_1002_on_http_200_by_default(api: str, token: Token) -> None:
    for status, body in _unknown_session_calls(api, token):
        assert (status, body["code"], body["data"]) == (200, 1002, None)


def test_unknown_session_is_http_404_in_the_http_status_style() -> None:
    with _nemokit_mock("--error-style", "http_status") as url:
        for status, body in _unknown_session_calls(url, _token(url)):
            assert (status, body["code"]) == (404, 1002)


@pytest.fixture(scope="module")
def render(api: str, token: Token) -> Callable[[list[str]], Reply]:
    """Submit a one-clip draft in a fresh session, with the given curl header arguments."""
    _, session = _post_json(api + contract.PATH_SESSION, token.headers(), {"task_name": "project"})
    sid = session["data"]["session_id"]
    draft = {"t": [{"tt": 0, "sg": [{"start": 0, "duration": 1000}]}], "d": 1000}
    ids = itertools.count()

    def submit(headers: list[str]) -> Reply:
        body = {"id": f"render_curl_{next(ids)}", "sessionId": sid, "draft": draft}
        return _post_json(api + contract.PATH_RENDER, headers, body)

    return submit


@pytest.mark.parametrize("missing", ATTRIBUTION)
def test_render_submit_missing_an_attribution_header_is_402(
    render: Callable[[list[str]], Reply], token: Token, missing: str
) -> None:
    status, body = render(token.headers(without=missing))
    assert status == 402
    assert body["success"] is False
    assert missing in body["error"]


def test_render_submit_with_all_attribution_headers_is_accepted(
    render: Callable[[list[str]], Reply], token: Token
) -> None:
    status, body = render(token.headers())
    assert (status, body["success"], body["data"]["status"]) == (200, True, "pending")


def test_openapi_json_is_an_openapi_3_1_document(api: str) -> None:
    status, doc = curl(api + "/openapi.json")
    assert status == 200
    assert re.fullmatch(r"3\.1\.\d+", doc["openapi"])
    for path in (contract.PATH_ANONYMOUS_TOKEN, contract.PATH_RUN_SSE, contract.PATH_RENDER):
        assert path in doc["paths"]

"""Secrets and faults, end to end: the Conversation against the real mock in process.

Secrets: after flows that touch every endpoint (and the error paths 1001, 1002, 2001, 429, 5xx,
dropped connections, cut streams), no API token (``nmv_usr_…``) appears in any log record at
DEBUG (httpx and httpcore included), repr, view, problem, exception message or request URL; a
claim token (``clm_…``) appears only in the project link the user is meant to open.

Faults: each fault ends in a view (never an escaped exception), no user message is lost (each
reaches ``/run_sse`` exactly once), and a turn whose stream started is never sent again.
"""

from __future__ import annotations

import logging
import pathlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from _relkit import SECRET, secrets_in

from mockserver import MockServer, StreamingTransport
from mockserver._config import MockConfig
from nemokit import contract
from nemokit._client import Nemo
from nemokit._clock import VirtualClock
from nemokit._conversation import Conversation
from nemokit._views import Problem, ProjectLink, VideoReady, View

API = "http://mock.test"
WEB = "https://web.test"


class Run:
    """A mock, a client over the streaming transport, a conversation, on one virtual clock."""

    def __init__(self, tmp: pathlib.Path, **config: Any) -> None:
        self.clock = VirtualClock()
        defaults: dict[str, Any] = {"seed": 5, "noise_rate": 0.0, "silent_rate": 0.0}
        self.server = MockServer(MockConfig().replace(**{**defaults, **config}), self.clock)
        self.transport = StreamingTransport(self.server.app)
        self.nemo = Nemo(
            api_url=API,
            web_url=WEB,
            client_id="reliability",
            client_id_path=tmp / "client_id",
            transport=self.transport,
            clock=self.clock,
            env={},
        )
        self.conversation = Conversation(self.nemo, dest=tmp)
        self.views: list[View] = []

    def say(self, text: str, attachments: tuple[str, ...] = ()) -> list[View]:
        views = list(self.conversation.say(text, attachments))
        self.views.extend(views)
        return views

    def close(self) -> None:
        self.nemo.close()
        self.transport.close()

    def messages_sent(self) -> list[str]:
        entries = self.server.journal.entries(path=contract.PATH_RUN_SSE)
        return [_message_of(e.body) for e in entries]


def _message_of(body: Any) -> str:
    """The text of a journaled /run_sse body (also when a fault answered before the endpoint)."""
    if not isinstance(body, dict):
        return ""
    message = body.get("new_message") or body.get("newMessage") or {}
    parts = message.get("parts", []) if isinstance(message, dict) else []
    return "\n".join(p["text"] for p in parts if isinstance(p, dict) and "text" in p)


@pytest.fixture
def run(tmp_path: pathlib.Path) -> Iterator[Run]:
    session = Run(tmp_path)
    yield session
    session.close()


def _texts(views: list[View]) -> str:
    return "\n".join(repr(v) for v in views)


# --- faults -----------------------------------------------------------------------------------

_FAULTS: list[tuple[str, dict[str, Any]]] = [
    ("5xx burst", {"method": "POST", "path": contract.PATH_RUN_SSE, "status": 503, "times": 3}),
    ("429", {"method": "POST", "path": contract.PATH_RUN_SSE, "status": 429, "retry_after": 30}),
    ("dropped", {"method": "POST", "path": contract.PATH_RUN_SSE, "drop": True}),
    ("cut stream", {"method": "POST", "path": contract.PATH_RUN_SSE, "cut_after": 1}),
    ("stalled stream", {"method": "POST", "path": contract.PATH_RUN_SSE, "stall": True}),
    ("slow answer", {"method": "POST", "path": contract.PATH_RUN_SSE, "delay": 600}),
    ("1002", {"method": "POST", "path": contract.PATH_RUN_SSE, "code": 1002}),
    ("1001", {"method": "POST", "path": contract.PATH_RUN_SSE, "code": 1001}),
    ("2001", {"method": "POST", "path": contract.PATH_RUN_SSE, "code": 2001}),
]
_STATE_5XX = pytest.param(
    "state 5xx",
    {"method": "GET", "path": "/api/state/*", "status": 500, "times": 1},
    id="state 5xx",
)


@pytest.mark.parametrize(
    ("name", "fault"),
    [*(pytest.param(n, f, id=n) for n, f in _FAULTS), _STATE_5XX],
)
def test_a_turn_under_a_fault_ends_in_a_view_and_is_never_sent_twice(
    run: Run, name: str, fault: dict[str, Any]
) -> None:
    assert [type(v).__name__ for v in run.conversation.connect()][-1] == "Notice"
    run.server.faults.add(**fault)
    message = "add a title that says Hello"
    views = run.say(message)
    assert views, "no outcome at all"
    started = [
        e
        for e in run.server.journal.entries(path=contract.PATH_RUN_SSE)
        if e.status == 200 and e.fault is None
    ]
    assert len(started) <= 1, "a started turn was sent again"
    sent = run.messages_sent()
    assert sent, f"{name}: the message never reached the server"
    assert all(m == message for m in sent)
    if any(isinstance(v, Problem) for v in views):
        assert "Traceback" not in _texts(views)
    # The user can go on afterwards: the next message is handled.
    assert run.say("credits")


def test_a_render_under_5xx_bursts_and_slow_polls_ends_with_the_video(run: Run) -> None:
    list(run.conversation.connect())
    run.say("upload https://media.test/clip.mp4")
    run.say("trim the pauses")
    run.server.faults.add(method="GET", path="/api/render/proxy/lambda/*", status=502, times=2)
    run.server.faults.add(method="POST", path=contract.PATH_RENDER, status=503, times=1)
    views = run.say("export")
    submits = [
        e
        for e in run.server.journal.entries(path=contract.PATH_RENDER)
        if e.method == "POST" and e.status == 200
    ]
    assert len(submits) <= 1, "two renders started for one export"
    assert isinstance(views[-1], (VideoReady, Problem)), views


# --- secrets ----------------------------------------------------------------------------------


def test_no_token_anywhere_after_every_flow(run: Run, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "nemokit", "mockserver"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    list(run.conversation.connect())
    run.say("upload https://media.test/clip.mp4")
    run.say("trim the pauses and add a title")
    run.say("status")
    run.say("credits")
    run.say("export")
    for _, fault in _FAULTS:
        run.server.faults.add(**fault)
        run.say("make it shorter")
        run.server.faults.clear()
    run.clock.advance(8 * 24 * 3600)  # the token expires: renewed (a new one) and still hidden
    run.say("credits")
    token = run.nemo.core._token  # the live token, to look for it verbatim too
    assert token is not None
    assert token.startswith(contract.TOKEN_PREFIX)

    project_links = {v.url for v in run.views if isinstance(v, ProjectLink)} | {
        v.project_url for v in run.views if isinstance(v, VideoReady) and v.project_url
    }
    shown = [*(repr(v) for v in run.views), *(v.text for v in run.views)]
    for link in project_links:
        shown = [s.replace(link, "<project link>") for s in shown]
    logs = [f"{r.name} {r.getMessage()} {r.args!r}" for r in caplog.records]
    reprs = [repr(run.nemo), repr(run.nemo.core), repr(run.nemo.config), repr(run.conversation)]
    urls = [f"{e.path}?{e.query}" for e in run.server.journal.entries()]
    assert any("httpx" in line for line in logs), "httpx's logs were not captured"
    for where, texts in (("views", shown), ("logs", logs), ("reprs", reprs), ("urls", urls)):
        leaks = [hit for text in texts for hit in secrets_in(text)]
        assert leaks == [], f"token-like text in {where}: {leaks[:3]}"
    assert token not in "\n".join(shown + logs + reprs + urls)
    for link in project_links:
        assert contract.TOKEN_PREFIX not in link


def test_committed_cassettes_hold_no_token() -> None:
    root = pathlib.Path(__file__).parents[2] / "cassettes"
    for path in sorted(root.glob("*.json")):
        text = path.read_text(encoding="utf-8")
        assert not SECRET.search(text), f"{path.name}: {secrets_in(text)[:2]}"


def test_problems_never_echo_a_token_the_server_sent_back(run: Run) -> None:
    """A hostile server echoes the caller's token in an error message: the user never sees it."""
    list(run.conversation.connect())
    echoed = f"bad token {contract.TOKEN_PREFIX}abcdef and {contract.CLAIM_TOKEN_PREFIX}xyz"
    run.server.faults.add(
        method="GET",
        path=contract.PATH_CREDITS,
        status=418,
        body={"code": 418, "message": echoed, "data": None},
    )
    views = run.say("credits")
    assert views
    assert secrets_in(_texts(views)) == []


# --- tokens in the mock -----------------------------------------------------------------------


def test_mock_tokens_are_unguessable_and_compared_in_constant_time() -> None:
    import inspect

    from mockserver.state import _state

    source = inspect.getsource(_state.MockState.issue_token)
    assert "secrets.token_urlsafe" in source
    assert "hmac.compare_digest" in inspect.getsource(_state.MockState.authenticate)
    claim = inspect.getsource(_state.MockState.claim_token)
    assert "secrets.token_urlsafe" in claim
    server = MockServer(MockConfig(seed=1))
    again = MockServer(MockConfig(seed=1))
    a = server.state.issue_token("same", "127.0.0.1").token
    b = again.state.issue_token("same", "127.0.0.1").token
    assert a != b, "tokens must not follow from the seed"
    assert len(a) - len(contract.TOKEN_PREFIX) >= 40


def test_one_token_can_never_act_on_another_users_data(tmp_path: pathlib.Path) -> None:
    clock = VirtualClock()
    server = MockServer(MockConfig(seed=2), clock)
    with httpx.Client(transport=StreamingTransport(server.app), base_url=API) as http:

        def token(cid: str) -> str:
            r = http.post(contract.PATH_ANONYMOUS_TOKEN, headers={contract.HEADER_CLIENT_ID: cid})
            return str(r.json()["data"]["token"])

        alice, bob = token("alice"), token("bob")
        auth_a = {
            "Authorization": f"Bearer {alice}",
            "X-Skill-Source": "s",
            "X-Skill-Version": "1",
            "X-Skill-Platform": "unknown",
        }
        auth_b = {**auth_a, "Authorization": f"Bearer {bob}"}
        sid = http.post(contract.PATH_SESSION, headers=auth_a, json={"task_name": "p"}).json()[
            "data"
        ]["session_id"]
        draft = {"t": [{"tt": 0, "sg": [{"id": "s"}]}], "d": 1}
        http.post(
            contract.PATH_RENDER,
            headers=auth_a,
            json={"id": "r_a", "sessionId": sid, "draft": draft},
        )
        attempts = [
            http.get(contract.PATH_STATE.format(sid=sid), headers=auth_b),
            http.post(
                contract.PATH_UPLOAD.format(sid=sid),
                headers=auth_b,
                json={"urls": ["https://a.test/x.mp4"]},
            ),
            http.post(
                contract.PATH_RUN_SSE,
                headers=auth_b,
                json={"session_id": sid, "new_message": {"parts": [{"text": "delete everything"}]}},
            ),
            http.post(
                contract.PATH_CLAIM_TOKEN, headers=auth_b, json={"task_id": "t", "session_id": sid}
            ),
            http.get(contract.PATH_RENDER_STATUS.format(id="r_a"), headers=auth_b),
            http.post(contract.PATH_RENDER_CANCEL.format(id="r_a"), headers=auth_b),
            http.post(
                contract.PATH_RENDER,
                headers=auth_b,
                json={"id": "r_a", "sessionId": sid, "draft": draft},
            ),
        ]
        for response in attempts:
            body = response.json()
            assert body.get("code") in (1002, 409) or body.get("success") is False, body
        state = http.get(contract.PATH_STATE.format(sid=sid), headers=auth_a).json()["data"]
        assert state["state"]["video_infos"] == []
        status = http.get(contract.PATH_RENDER_STATUS.format(id="r_a"), headers=auth_a).json()
        assert status["data"]["status"] != "cancelled"

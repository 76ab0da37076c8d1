"""A mock others can reach: the admin token, forwarded addresses, a journal without tokens.

Each as the rest of the reliability suite: a clear refusal naming the problem, no 5xx, nothing
lost (a refused admin call changes nothing), and no token shown (not the callers' tokens, not
the admin token).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from _relkit import ATTRIBUTION, BASE, secrets_in, sse_body
from click.testing import CliRunner

from mockserver import MockServer
from mockserver._config import MockConfig
from mockserver.http._admin_auth import AdminGuard
from nemokit import contract
from nemokit._clock import VirtualClock
from nemokit.cli import _mock_cmd as mock_cmd
from nemokit.cli import cli

ADMIN = "adm-4f9c2e7a1b"  # the admin token of these tests
EVERY_ADMIN_CALL = [
    ("POST", "/__admin/reset"),
    ("GET", "/__admin/requests"),
    ("DELETE", "/__admin/requests"),
    ("GET", "/__admin/faults"),
    ("POST", "/__admin/faults"),
    ("DELETE", "/__admin/faults"),
    ("DELETE", "/__admin/faults/f1"),
    ("GET", "/__admin/clock"),
    ("POST", "/__admin/clock/advance"),
    ("POST", "/__admin/clock/scale"),
    ("GET", "/__admin/config"),
    ("PATCH", "/__admin/config"),
    ("GET", "/__admin"),
    ("GET", "/__admin/"),
    ("GET", "/__admin/view/requests"),  # the dashboard's data
    ("GET", "/__admin/view/config"),
    ("POST", "/__admin/ui/index.html"),  # only reading the page's files is open
    ("GET", "/__admin/no-such-thing"),
]


def call(
    server: MockServer,
    method: str,
    path: str,
    *,
    client: str = "127.0.0.1",
    headers: dict[str, str] | None = None,
    **kwargs: Any,
) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=server.app, client=(client, 5000))
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as http:
            response = await http.request(
                method, path, headers={**ATTRIBUTION, **(headers or {})}, **kwargs
            )
            await response.aread()
            return response

    return asyncio.run(go())


def token_of(server: MockServer, client_id: str, **kwargs: Any) -> httpx.Response:
    return call(
        server,
        "POST",
        contract.PATH_ANONYMOUS_TOKEN,
        headers={contract.HEADER_CLIENT_ID: client_id, **kwargs.pop("headers", {})},
        **kwargs,
    )


def _bearer(token: str) -> dict[str, str]:
    return {contract.HEADER_AUTHORIZATION: f"Bearer {token}"}


# --- the per-IP limit and X-Forwarded-For -------------------------------------------------------


def test_spoofed_forwarded_addresses_do_not_dodge_the_per_ip_limit() -> None:
    server = MockServer(MockConfig(), VirtualClock())
    answers = [
        token_of(server, f"client-{i}", headers={"X-Forwarded-For": f"198.51.100.{i}"})
        for i in range(12)
    ]
    assert [a.status_code for a in answers[:10]] == [200] * 10
    for refused in answers[10:]:
        assert refused.status_code == 429
        body = refused.json()
        assert (body["code"], body["data"]) == (429, None)
        assert "too many new anonymous tokens from this address" in body["message"]
        assert secrets_in(refused.text) == []
    # Nothing lost: the accounts made before the limit still work, and a known client id
    # still gets its account back from the same address.
    first = answers[0].json()["data"]["token"]
    assert call(server, "GET", contract.PATH_CREDITS, headers=_bearer(first)).json()["code"] == 0
    assert token_of(server, "client-3").status_code == 200
    # Another socket address is another IP.
    assert token_of(server, "client-12", client="203.0.113.9").status_code == 200


def test_forwarded_addresses_count_when_trusted() -> None:
    server = MockServer(MockConfig(trust_forwarded=True), VirtualClock())
    for i in range(12):
        answer = token_of(server, f"client-{i}", headers={"X-Forwarded-For": f"198.51.100.{i}"})
        assert answer.status_code == 200
    # the first hop counts: the same first hop behind other proxies is the same caller
    for i in range(9):
        hops = f"192.0.2.7, 10.0.0.{i}"
        assert token_of(server, f"c7-{i}", headers={"X-Forwarded-For": hops}).status_code == 200
    assert token_of(server, "c7-x", headers={"X-Forwarded-For": "192.0.2.7"}).status_code == 200
    refused = token_of(server, "c7-y", headers={"X-Forwarded-For": "192.0.2.7"})
    assert refused.status_code == 429


def test_trust_forwarded_is_off_by_default_everywhere() -> None:
    assert MockConfig().trust_forwarded is False
    assert mock_cmd.mock_config().trust_forwarded is False
    with pytest.raises(ValueError, match="trust_forwarded must be true or false"):
        MockConfig().replace(trust_forwarded="yes")


# --- the admin token ----------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), EVERY_ADMIN_CALL)
def test_every_admin_path_needs_the_admin_token(method: str, path: str) -> None:
    server = MockServer(MockConfig(), VirtualClock(), admin_token=ADMIN)
    for headers, needle in [
        ({}, "needs Authorization: Bearer <admin token>"),
        ({"Authorization": "Basic YWRtaW46YWRtaW4="}, "takes the admin token as"),
        ({"Authorization": "Bearer"}, "takes the admin token as"),
        (_bearer("guess-1234"), "does not match"),
        (_bearer(ADMIN + "x"), "does not match"),
        (_bearer(ADMIN[:-1]), "does not match"),
    ]:
        refused = call(server, method, path, headers=headers, json={"seconds": 1})
        assert refused.status_code == 401, (method, path, refused.text)
        assert refused.headers["www-authenticate"].startswith("Bearer")
        assert refused.headers["content-type"].startswith("application/json")
        message = refused.json()["error"]
        assert needle in message
        assert ADMIN not in refused.text
        assert "guess-1234" not in refused.text
    allowed = call(server, method, path, headers=_bearer(ADMIN), json={"seconds": 1})
    assert allowed.status_code != 401
    assert allowed.status_code < 500


def test_the_dashboard_page_loads_without_the_token_but_its_data_does_not() -> None:
    # A browser loading the page sends no header; the page then calls /__admin/view/* with the
    # token it was given. The static files hold no data.
    server = MockServer(MockConfig(), VirtualClock(), admin_token=ADMIN)
    for path in ("/__admin/ui/", "/__admin/ui/api.js", "/__admin/ui/style.css"):
        page = call(server, "GET", path)
        assert page.status_code == 200, (path, page.text)
        assert ADMIN not in page.text
    assert call(server, "GET", "/__admin/uix").status_code == 401
    assert call(server, "GET", "/__admin/view/requests").status_code == 401
    assert call(server, "GET", "/__admin/view/requests", headers=_bearer(ADMIN)).status_code == 200


def test_a_refused_admin_call_changes_nothing() -> None:
    server = MockServer(MockConfig(), VirtualClock(), admin_token=ADMIN)
    user = token_of(server, "keeper").json()["data"]["token"]
    journal_before = len(server.journal)
    wrong = _bearer("nope")
    assert call(server, "POST", "/__admin/reset", headers=wrong).status_code == 401
    fault = {"path": contract.PATH_CREDITS, "status": 500}
    assert call(server, "POST", "/__admin/faults", headers=wrong, json=fault).status_code == 401
    advance = call(server, "POST", "/__admin/clock/advance", headers=wrong, json={"seconds": 9e5})
    assert advance.status_code == 401
    patch = call(server, "PATCH", "/__admin/config", headers=wrong, json={"admin": False})
    assert patch.status_code == 401
    assert call(server, "DELETE", "/__admin/requests", headers=wrong).status_code == 401
    assert server.faults.list() == []
    assert server.clock.now() == 0
    assert server.config.admin is True
    assert len(server.journal) == journal_before  # refused admin calls are not journaled either
    assert call(server, "GET", contract.PATH_CREDITS, headers=_bearer(user)).json()["code"] == 0


def test_the_admin_token_is_never_shown() -> None:
    server = MockServer(MockConfig(), VirtualClock(), admin_token=ADMIN)
    config = call(server, "GET", "/__admin/config", headers=_bearer(ADMIN))
    assert config.status_code == 200
    assert ADMIN not in config.text
    assert ADMIN not in repr(server)
    assert ADMIN not in repr(server.admin_guard)
    assert ADMIN not in repr(server.config)
    journal = call(server, "GET", "/__admin/requests", headers=_bearer(ADMIN))
    assert ADMIN not in json.dumps(journal.json())


def test_without_an_admin_token_the_admin_api_stays_open_and_off_means_404() -> None:
    open_server = MockServer(MockConfig(), VirtualClock())
    assert call(open_server, "GET", "/__admin/clock").status_code == 200
    off = MockServer(MockConfig(admin=False), VirtualClock(), admin_token=ADMIN)
    for headers in ({}, _bearer(ADMIN)):
        answer = call(off, "GET", "/__admin/requests", headers=headers)
        assert answer.status_code == 404
        assert ADMIN not in answer.text


def test_an_empty_admin_token_is_refused() -> None:
    with pytest.raises(ValueError, match="must not be empty"):
        AdminGuard("  ")


# --- the journal without tokens -----------------------------------------------------------------


def _a_flow_with_tokens(server: MockServer) -> tuple[str, str]:
    token = token_of(server, "redacted").json()["data"]["token"]
    sid = call(
        server, "POST", contract.PATH_SESSION, headers=_bearer(token), json={"task_name": "p"}
    ).json()["data"]["session_id"]
    session = call(server, "GET", contract.PATH_STATE.replace("{sid}", sid), headers=_bearer(token))
    task_id = session.json()["data"]["task_id"]
    claim = call(
        server,
        "POST",
        contract.PATH_CLAIM_TOKEN,
        headers=_bearer(token),
        json={"task_id": task_id, "session_id": sid},
    ).json()["data"]["claim_token"]
    # a user who pastes secrets into a message, a body, a query and a legacy header
    call(
        server,
        "POST",
        contract.PATH_RUN_SSE,
        headers={**_bearer(token), "X-API-Key": token, "Cookie": f"t={token}"},
        json=sse_body(sid, f"my token is {token} and {claim}"),
    )
    call(server, "GET", f"{contract.PATH_CREDITS}?token={token}", headers=_bearer(token))
    call(server, "POST", contract.PATH_SESSION, headers=_bearer(token), content=f"raw {token}")
    return token, claim


def test_a_redacted_journal_holds_no_token() -> None:
    server = MockServer(MockConfig(redact_journal=True), VirtualClock())
    token, claim = _a_flow_with_tokens(server)
    entries = server.journal.entries()
    assert len(entries) == 7  # nothing lost: every request journaled, completed
    assert all(e.completed for e in entries)
    served = call(server, "GET", "/__admin/requests").text
    whole = served + repr([e.to_dict() for e in entries])
    assert token not in whole
    assert claim not in whole
    assert secrets_in(whole) == []
    sse = next(e for e in entries if e.path == contract.PATH_RUN_SSE)
    assert sse.header("authorization") == "Bearer [redacted]"
    assert sse.header("x-api-key") == "[redacted]"
    assert sse.header("x-skill-source") == contract.DEFAULT_SKILL_SOURCE  # the rest as sent
    assert sse.message == "my token is [redacted] and [redacted]"
    text = "my token is [redacted] and [redacted]"
    assert sse.body["new_message"]["parts"][0]["text"] == text
    assert sse.status == 200


def test_without_redaction_the_journal_keeps_what_was_sent() -> None:
    server = MockServer(MockConfig(), VirtualClock())
    token, _ = _a_flow_with_tokens(server)
    sse = next(e for e in server.journal.entries() if e.path == contract.PATH_RUN_SSE)
    assert sse.header("authorization") == f"Bearer {token}"


# --- nemokit mock: flags, warnings, the token never printed -------------------------------------


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """``nemokit mock`` up to the point where its server would serve (no socket is opened)."""
    seen: dict[str, Any] = {}

    def run(app: Any, *args: Any, **kwargs: Any) -> None:
        seen["server"] = app.state.mock

    monkeypatch.setattr(mock_cmd, "run_uvicorn", run)
    monkeypatch.setattr(mock_cmd, "run_granian", run)
    monkeypatch.setattr(mock_cmd, "_check_port", lambda host, port: None)
    monkeypatch.delenv(mock_cmd.ADMIN_TOKEN_ENV, raising=False)
    return seen


def test_mock_with_an_admin_token_from_the_environment(started: dict[str, Any]) -> None:
    args = ["mock", "--host", "0.0.0.0", "--redact-journal"]
    result = CliRunner().invoke(cli, args, env={mock_cmd.ADMIN_TOKEN_ENV: ADMIN})
    assert result.exit_code == 0, result.output
    assert ADMIN not in result.output
    assert "Warning" not in result.output
    server: MockServer = started["server"]
    assert server.admin_guard.protected
    assert server.config.redact_journal is True
    assert call(server, "GET", "/__admin/clock").status_code == 401
    assert call(server, "GET", "/__admin/clock", headers=_bearer(ADMIN)).status_code == 200


def test_mock_warns_when_exposed_without_an_admin_token(started: dict[str, Any]) -> None:
    result = CliRunner().invoke(cli, ["mock", "--host", "0.0.0.0", "--trust-forwarded"])
    assert result.exit_code == 0, result.output
    assert "Warning: listening on 0.0.0.0 with the admin API open" in result.output
    assert mock_cmd.ADMIN_TOKEN_ENV in result.output
    assert "--redact-journal" in result.output
    assert started["server"].config.trust_forwarded is True
    assert not started["server"].admin_guard.protected


@pytest.mark.parametrize(
    ("host", "admin", "token", "warned"),
    [
        ("127.0.0.1", True, False, False),
        ("localhost", True, False, False),
        ("::1", True, False, False),
        ("0.0.0.0", True, False, True),
        ("192.168.1.20", True, False, True),
        ("my-box.example", True, False, True),
        ("0.0.0.0", False, False, False),
        ("0.0.0.0", True, True, False),
    ],
)
def test_exposure_warnings(host: str, admin: bool, token: bool, warned: bool) -> None:
    lines = mock_cmd.exposure_warnings(host, admin=admin, admin_token=token, redact=False)
    assert any(line.startswith("Warning:") for line in lines) is warned


def test_mock_refuses_an_empty_admin_token(started: dict[str, Any]) -> None:
    result = CliRunner().invoke(cli, ["mock", "--admin-token", " "])
    assert result.exit_code == 2
    assert "admin token is empty" in result.output
    assert "server" not in started


# --- both spellings of one key ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "pair"),
    [
        (contract.PATH_RUN_SSE, {"newMessage": {"parts": [5]}}, "new_message or newMessage"),
        (contract.PATH_RUN_SSE, {"sessionId": "1"}, "session_id or sessionId"),
        (contract.PATH_SESSION, {"taskName": "q"}, "task_name or taskName"),
        (contract.PATH_RENDER, {"session_id": "1"}, "sessionId or session_id"),
    ],
)
def test_both_spellings_of_a_key_are_a_clear_400(
    path: str, body: dict[str, Any], pair: str
) -> None:
    server = MockServer(MockConfig(error_style="http_status"), VirtualClock())
    token = token_of(server, "spell").json()["data"]["token"]
    sid = call(
        server, "POST", contract.PATH_SESSION, headers=_bearer(token), json={"task_name": "p"}
    ).json()["data"]["session_id"]
    base: dict[str, Any] = {
        contract.PATH_RUN_SSE: sse_body(sid, "hello"),
        contract.PATH_SESSION: {"task_name": "p"},
        contract.PATH_RENDER: {"id": "render_1", "sessionId": sid, "draft": {}},
    }[path]
    before = server.state.credits(server.state.authenticate(token)).available
    refused = call(server, "POST", path, headers=_bearer(token), json={**base, **body})
    assert refused.status_code == 400, refused.text
    text = refused.json().get("message") or refused.json().get("error")
    assert f"send {pair}, not both" == text
    assert server.state.credits(server.state.authenticate(token)).available == before
    # one spelling alone is accepted, either one
    assert call(server, "POST", path, headers=_bearer(token), json=base).status_code == 200

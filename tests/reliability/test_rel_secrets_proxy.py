"""Secrets through the recording proxy: after flows that touch every endpoint, under faults, and
a token's renewal, no token is in the proxy's cassette, its failure notes, its miss answers or
any log record (the proxy's, httpx's, httpcore's, at DEBUG)."""

from __future__ import annotations

import logging
import pathlib
from typing import Any

import httpx
import pytest
from _relkit import secrets_in

from conformance.proxy import ProxyApp
from mockserver import AsyncStreamingTransport, MockServer, StreamingTransport
from mockserver._config import MockConfig
from nemokit import contract
from nemokit._client import Nemo
from nemokit._clock import VirtualClock
from nemokit._conversation import Conversation

_FAULTS: list[dict[str, Any]] = [
    {"method": "POST", "path": contract.PATH_RUN_SSE, "status": 503, "times": 3},
    {"method": "POST", "path": contract.PATH_RUN_SSE, "drop": True},
    {"method": "POST", "path": contract.PATH_RUN_SSE, "cut_after": 1},
    {"method": "POST", "path": contract.PATH_RUN_SSE, "code": 1001},
    {"method": "GET", "path": "/api/state/*", "status": 500, "times": 1},
]


def _scan(where: str, texts: list[str]) -> None:
    leaks = [hit for text in texts for hit in secrets_in(text)]
    assert leaks == [], f"token-like text in {where}: {leaks[:3]}"


def test_no_token_in_proxy_cassettes_notes_or_logs(
    tmp_path: pathlib.Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "nemokit", "nemokit.proxy"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    clock = VirtualClock()
    mock = MockServer(MockConfig().replace(seed=5, noise_rate=0.0, silent_rate=0.0), clock)
    path = tmp_path / "proxied.json"
    app = ProxyApp("http://mock.test", cassette=path, mode="all", clock=clock,
                   upstream=AsyncStreamingTransport(mock.app))  # fmt: skip
    transport = StreamingTransport(app, clock=clock)  # the client and the mock share one world
    try:
        with Nemo(api_url="http://proxy.test", web_url="https://web.test", client_id="secrets",
                  client_id_path=tmp_path / "cid", transport=transport, clock=clock,
                  env={}) as nemo:  # fmt: skip
            conversation = Conversation(nemo, dest=tmp_path)
            views = list(conversation.connect())
            for text in ("upload https://media.test/clip.mp4", "add a title", "export", "credits"):
                views += conversation.say(text)
            for fault in _FAULTS:
                mock.faults.add(**fault)
                views += conversation.say("make it shorter")
                mock.faults.clear()
            clock.advance(8 * 24 * 3600)  # the token expires: a new one is fetched, still hidden
            views += conversation.say("credits")
            token = nemo.core._token
        assert token is not None
        # A client that puts its token where it must not: a query, through the recording proxy.
        with httpx.Client(transport=transport, base_url="http://proxy.test") as client:
            assert client.get(f"{contract.PATH_CREDITS}?t={token}").status_code == 200
    finally:
        transport.close()
    assert app.save() == path
    # A request the cassette cannot answer, with a live token in its body, query and header.
    replay = ProxyApp(None, cassette=path, mode="none")
    miss_transport = StreamingTransport(replay)
    try:
        with httpx.Client(transport=miss_transport, base_url="http://proxy.test") as client:
            miss = client.post(f"/nowhere?t={token}", json={"token": token},
                               headers={"authorization": f"Bearer {token}"})  # fmt: skip
    finally:
        miss_transport.close()
    assert miss.status_code == 404
    cassette = path.read_text(encoding="utf-8")
    assert contract.PATH_RUN_SSE in cassette
    assert "<TOKEN_1>" in cassette
    assert "<TOKEN_2>" in cassette
    logs = [f"{r.name} {r.getMessage()} {r.args!r}" for r in caplog.records]
    assert any(r.name == "nemokit.proxy" for r in caplog.records), "the proxy logged nothing"
    _scan("the cassette", [cassette])
    _scan("the failure notes", [repr(app.failures)])
    _scan("the miss answer", [miss.text])
    _scan("logs", logs)
    assert token not in "\n".join([cassette, miss.text, *logs])
    assert views

"""The proxy in front of the mock on loopback: a client's whole flow recorded, then replayed
with the mock stopped (same views); misses; 100 concurrent clients; hop-by-hop headers; SSE
timing in virtual time."""

from __future__ import annotations

import asyncio
import itertools
import json
import pathlib
from collections import defaultdict
from typing import Any

import httpx
import pytest
from _inproc import proxied, session, turn_body
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from conformance.cassettes._cassette import load_cassette
from conformance.cassettes._redact import find_secrets
from conformance.cassettes._verify import event_kind
from conformance.drivers._live_mock import LiveMock
from conformance.drivers._served import ServedApp
from conformance.proxy import ProxyApp
from mockserver import MockServer, tiny_mp4
from mockserver._config import MockConfig
from nemokit import contract
from nemokit._client import Nemo
from nemokit._clock import ScaledClock, VirtualClock
from nemokit._conversation import Conversation

pytestmark = [pytest.mark.socket]

CONFIG = MockConfig().replace(seed=3, noise_rate=0.0, silent_rate=0.0, token_limit_per_ip=1000)
MESSAGES = (
    ("", True),
    ('add the title "Hello Nemo" and lo-fi background music', False),
    ("export it", False),
    ("credits", False),
)


def _flow(url: str, tmp: pathlib.Path, out: str) -> list[str]:
    """The Python client's whole flow (upload, edit turn, export, credits): the views it shows."""
    clip, dest = tmp / "clip.mp4", tmp / out
    clip.write_bytes(tiny_mp4())
    dest.mkdir()
    with Nemo(api_url=url, web_url="https://web.test", client_id="proxy-test",
              client_id_path=tmp / "cid", clock=ScaledClock(1000), env={}) as nemo:  # fmt: skip
        conversation = Conversation(nemo, dest=dest)
        views = [
            view
            for text, attach in MESSAGES
            for view in conversation.say(text, (str(clip),) if attach else ())
        ]
    return [f"{type(v).__name__}: {getattr(v, 'text', '')}".replace(str(dest), "<dest>")
            for v in views]  # fmt: skip


@pytest.mark.slow
def test_a_flow_recorded_through_the_proxy_replays_with_the_target_stopped(
    tmp_path: pathlib.Path,
) -> None:
    path = tmp_path / "flow.json"
    with LiveMock(CONFIG) as mock:
        recording = ProxyApp(mock.url, cassette=path, mode="all", preserve_host=True)
        with ServedApp(recording, lifespan="on") as proxy:
            port, live = proxy.port, _flow(proxy.url, tmp_path, "live")
    assert recording.save() == path
    kinds = [line.split(":")[0] for line in live]
    assert "VideoReady" in kinds
    assert "Uploaded" in kinds
    assert "CreditsView" in kinds
    cassette = load_cassette(path)
    paths = [i.request.path for i in cassette.interactions]
    assert contract.PATH_RUN_SSE in paths
    assert contract.PATH_RENDER in paths
    assert any(p.endswith("/download") for p in paths)  # through the proxy (preserve_host)
    assert find_secrets(path.read_text(encoding="utf-8")) == []
    # The mock is gone: only the cassette answers, on the address the recorded URLs name.
    replaying = ProxyApp(None, cassette=path, mode="none", timing="instant")
    with ServedApp(replaying, port=port, lifespan="on") as proxy:
        replayed = _flow(proxy.url, tmp_path, "replayed")
    assert replayed == live
    assert replaying.stats.summary() == f"0 recorded, {len(paths)} replayed, 0 missed"
    assert sorted(p.name for p in (tmp_path / "replayed").iterdir()) == sorted(
        p.name for p in (tmp_path / "live").iterdir()
    )


@pytest.mark.slow
def test_a_request_not_in_the_cassette_gets_the_404_envelope_naming_the_nearest(
    tmp_path: pathlib.Path,
) -> None:
    path = tmp_path / "credits.json"
    with LiveMock(CONFIG) as mock:
        recording = ProxyApp(mock.url, cassette=path, mode="once")
        with ServedApp(recording, lifespan="on") as proxy:
            token = httpx.post(proxy.url + contract.PATH_ANONYMOUS_TOKEN,
                               headers={"x-client-id": "miss"}).json()["data"]["token"]  # fmt: skip
            auth = {"authorization": f"Bearer {token}"}
            assert httpx.get(proxy.url + contract.PATH_CREDITS, headers=auth).status_code == 200
        recording.save()
    replaying = ProxyApp(None, cassette=path, mode="none")
    with ServedApp(replaying, lifespan="on") as proxy:
        miss = httpx.get(proxy.url + contract.PATH_CREDITS + "?detail=1", headers=auth)
        render = httpx.get(proxy.url + "/api/render/proxy/lambda/render_x", headers=auth)
    assert miss.status_code == 404
    envelope = miss.json()
    assert envelope["code"] == 404
    assert envelope["data"] is None
    assert f"nearest recorded: interactions[1] GET {contract.PATH_CREDITS}" in envelope["message"]
    assert "query key 'detail'" in envelope["message"]
    assert render.status_code == 404
    assert render.json()["success"] is False
    assert replaying.stats.summary() == "0 recorded, 0 replayed, 2 missed"
    assert token not in envelope["message"]


@pytest.mark.slow
def test_100_concurrent_clients_are_recorded_without_mixing(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "many.json"

    async def one(client: httpx.AsyncClient, n: int) -> None:
        cid = {"x-client-id": f"client-{n:03d}"}
        answer = await client.post(contract.PATH_ANONYMOUS_TOKEN, headers=cid)
        bearer = {**cid, "authorization": f"Bearer {answer.json()['data']['token']}"}
        assert (await client.get(contract.PATH_CREDITS, headers=bearer)).status_code == 200

    async def clients(url: str) -> None:
        limits = httpx.Limits(max_connections=100)
        async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
            await asyncio.gather(*(one(client, n) for n in range(100)))

    with LiveMock(CONFIG) as mock:
        app = ProxyApp(mock.url, cassette=path, mode="all")
        with ServedApp(app, lifespan="on") as proxy:
            asyncio.run(clients(proxy.url))
    app.save()
    by_client: dict[str, list[Any]] = defaultdict(list)
    for interaction in load_cassette(path).interactions:
        by_client[interaction.request.headers["x-client-id"]].append(interaction)
    assert len(by_client) == 100
    for pair in by_client.values():
        token, credits = sorted(pair, key=lambda i: i.request.path != contract.PATH_ANONYMOUS_TOKEN)
        assert token.request.path == contract.PATH_ANONYMOUS_TOKEN
        assert credits.request.path == contract.PATH_CREDITS
        # The token the client was given is the one its next request carried, and nobody else's.
        given = token.response.body.value["data"]["token"]
        assert credits.request.headers["authorization"] == f"Bearer {given}"
    assert app.stats.recorded == 200


def test_hop_by_hop_headers_stop_at_the_proxy_and_attribution_passes_unchanged() -> None:
    async def echo(request: Request) -> JSONResponse:
        return JSONResponse(
            dict(request.headers),
            headers={
                "connection": "x-secret-hop",
                "x-secret-hop": "1",
                "keep-alive": "5",
                "x-end-to-end": "kept",
            },
        )

    sent = {
        "X-Skill-Source": "ai-video-editor-link",
        "X-Skill-Version": "1.2.3",
        "X-Skill-Platform": "cursor",
        "User-Agent": "node-client/9",
        "X-Client-Id": "hop",
        "Connection": "keep-alive, x-drop-me",
        "X-Drop-Me": "1",
        "Keep-Alive": "timeout=5",
        "TE": "trailers",
        "Proxy-Authorization": "Basic abc",
        "Upgrade": "h2c",
    }
    target = Starlette(routes=[Route("/echo", echo)])
    with ServedApp(target) as served:
        app = ProxyApp(served.url)
        with ServedApp(app, lifespan="on") as proxy:
            answer = httpx.get(proxy.url + "/echo", headers=sent)
    seen = answer.json()
    for name in ("x-skill-source", "x-skill-version", "x-skill-platform", "user-agent",
                 "x-client-id"):  # fmt: skip
        assert seen[name] == sent[next(k for k in sent if k.lower() == name)]
    for name in ("x-drop-me", "keep-alive", "te", "proxy-authorization", "upgrade"):
        assert name not in seen
    assert seen["host"] == served.url.removeprefix("http://")
    assert "x-secret-hop" not in answer.headers
    assert "keep-alive" not in answer.headers
    assert answer.headers["x-end-to-end"] == "kept"
    assert app.stats.summary() == "0 recorded, 0 replayed, 0 missed (1 forwarded)"


def test_the_proxy_keeps_no_cookie_of_one_client_for_another() -> None:
    async def login(request: Request) -> JSONResponse:
        answer = JSONResponse({"ok": True})
        answer.set_cookie("session", "alice-secret")
        return answer

    async def echo(request: Request) -> JSONResponse:
        return JSONResponse({"cookie": request.headers.get("cookie")})

    target = Starlette(routes=[Route("/login", login), Route("/echo", echo)])
    with ServedApp(target) as served, ServedApp(ProxyApp(served.url), lifespan="on") as proxy:
        alice = httpx.get(proxy.url + "/login")
        bob = httpx.get(proxy.url + "/echo")
    assert "alice-secret" in alice.headers["set-cookie"]  # end to end: Alice gets her cookie
    assert bob.json() == {"cookie": None}  # and the proxy did not keep it for Bob


def test_sse_events_keep_their_timing_in_virtual_time(tmp_path: pathlib.Path) -> None:
    """A slow turn of the mock (heartbeats every 20 virtual seconds) through the proxy in
    process, all on one virtual clock: each block is recorded at the time the mock sent it."""
    clock = VirtualClock()
    config = CONFIG.replace(slow_turn_seconds=100, heartbeat_interval=20)
    mock = MockServer(config, clock)
    path = tmp_path / "timing.json"

    async def turn() -> list[tuple[float, bytes]]:
        arrivals: list[tuple[float, bytes]] = []
        async with proxied(mock, clock, path) as client:
            auth, sid = await session(client, "t")
            start, body = clock.now(), turn_body(sid, "add a title")
            async with client.stream("POST", contract.PATH_RUN_SSE, json=body, headers=auth) as sse:
                async for chunk in sse.aiter_raw():
                    arrivals.append((clock.now() - start, chunk))
        return arrivals

    arrivals = asyncio.run(turn())
    events = load_cassette(path).interactions[-1].response.events
    assert events is not None
    beats = [e.t for e in events if event_kind(e.raw) == "heartbeat"]
    assert len(beats) >= 4
    assert all(abs(later - earlier - 20) <= 0.5 for earlier, later in itertools.pairwise(beats))
    assert events[-1].t == pytest.approx(100, abs=1.0)
    # Each chunk reached the client when it was recorded: nothing was held back by the proxy.
    received = [t for t, chunk in arrivals if chunk.strip()]
    assert received[-1] == pytest.approx(events[-1].t, abs=0.5)
    assert json.dumps([e.t for e in events]) == json.dumps(sorted(e.t for e in events))

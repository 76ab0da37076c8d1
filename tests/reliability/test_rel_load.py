"""Load, concurrency and abandonment: the mock's books stay right under many clients at once.

- A hypothesis state machine drives several users over HTTP (in process) in any order: credits
  add up at every step, no credit is spent twice, a render id starts one job, sessions and
  renders stay with their owner, and every request is journaled.
- A concurrent load run on loopback (a real uvicorn on 127.0.0.1 in a thread): bounded threads,
  each a user doing a whole flow; afterwards the same invariants and no 5xx.
- 1,000 streams abandoned after their first chunk: open asyncio tasks back to baseline and
  memory growth bounded.

``NEMOKIT_DEEP=1`` raises the load and abandonment counts (see docs/reliability.md).
"""

from __future__ import annotations

import asyncio
import gc
import socket
import threading
import time
import tracemalloc
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
import uvicorn
from _relkit import ATTRIBUTION, budget, render_body, sse_body
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from mockserver import AsyncStreamingTransport, MockServer, StreamingTransport
from mockserver._config import MockConfig
from nemokit import contract
from nemokit._clock import VirtualClock

BASE = "http://mock.test"


def _auth(token: str) -> dict[str, str]:
    return {**ATTRIBUTION, contract.HEADER_AUTHORIZATION: f"Bearer {token}"}


def _check_books(server: MockServer, initial: int) -> None:
    """available + frozen == total for every account; total == initial - finished costs."""
    state = server.state
    now = server.clock.now()
    with state.lock:
        for user_id in list(state._accounts):  # test-only look at the books
            account = state.account(user_id)
            assert account is not None
            credits = state.credits(account)
            assert credits.available + credits.frozen == credits.total
            assert credits.available >= 0
            turns = [t for sid in account.session_ids for t in state._sessions[sid].turns]
            spent = sum(t.script.cost for t in turns if t.end <= now)
            held = sum(t.script.cost for t in turns if t.start <= now < t.end)
            assert (credits.total, credits.frozen) == (initial - spent, held)


# --- the state machine ------------------------------------------------------------------------


class MockBooks(RuleBasedStateMachine):
    """Users, sessions, turns, renders and time in any order, over HTTP through the app."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = VirtualClock()
        self.server = MockServer(MockConfig(seed=3, initial_credits=300), self.clock)
        self.http = httpx.Client(transport=StreamingTransport(self.server.app), base_url=BASE)
        self.users: list[tuple[str, list[str]]] = []  # (token, session ids)
        self.renders: dict[str, str] = {}  # render id -> owner token
        self.requests = 0

    def teardown(self) -> None:
        self.http.close()

    def _send(self, method: str, path: str, token: str | None = None, **kw: Any) -> httpx.Response:
        self.requests += 1
        headers = _auth(token) if token else dict(ATTRIBUTION)
        headers.update(kw.pop("headers", {}))
        return self.http.request(method, path, headers=headers, **kw)

    @rule(name=st.sampled_from(["a", "b", "c"]))
    def new_user(self, name: str) -> None:
        response = self._send(
            "POST", contract.PATH_ANONYMOUS_TOKEN, headers={contract.HEADER_CLIENT_ID: name}
        )
        token = response.json()["data"]["token"]
        self.users.append((token, []))

    @precondition(lambda self: self.users)
    @rule(user=st.integers(0, 50))
    def new_session(self, user: int) -> None:
        token, sessions = self.users[user % len(self.users)]
        body = self._send("POST", contract.PATH_SESSION, token, json={"task_name": "p"}).json()
        sessions.append(body["data"]["session_id"])

    @precondition(lambda self: any(s for _, s in self.users))
    @rule(user=st.integers(0, 50), text=st.sampled_from(["add a title", "generate a city video",
                                                         "hello", "trim the pauses"]))  # fmt: skip
    def turn(self, user: int, text: str) -> None:
        token, sessions = [u for u in self.users if u[1]][
            user % len([u for u in self.users if u[1]])
        ]
        with self.http.stream(
            "POST", contract.PATH_RUN_SSE, headers=_auth(token), json=sse_body(sessions[-1], text)
        ) as response:
            self.requests += 1
            if response.headers["content-type"].startswith("text/event-stream"):
                for _ in response.iter_bytes():
                    break  # leave mid-turn: the turn goes on without us
            else:
                response.read()
                assert response.json()["code"] == contract.Code.OUT_OF_CREDITS

    @precondition(lambda self: any(s for _, s in self.users))
    @rule(user=st.integers(0, 50), rid=st.sampled_from(["r1", "r2", "r3"]))
    def render(self, user: int, rid: str) -> None:
        token, sessions = [u for u in self.users if u[1]][
            user % len([u for u in self.users if u[1]])
        ]
        body = self._send("POST", contract.PATH_RENDER, token, json=render_body(sessions[-1], rid))
        data = body.json()
        owner = self.renders.setdefault(rid, token) if data.get("success") else None
        if data.get("success"):
            assert owner == token or self._same_user(owner, token), "a render id started twice"

    def _same_user(self, a: str | None, b: str) -> bool:
        return a is not None and self.server.state.authenticate(
            a
        ) is self.server.state.authenticate(b)

    @precondition(lambda self: len(self.users) >= 2)
    @rule(a=st.integers(0, 50), b=st.integers(0, 50))
    def trespass(self, a: int, b: int) -> None:
        token_a, _ = self.users[a % len(self.users)]
        token_b, sessions_b = self.users[b % len(self.users)]
        if not sessions_b or self._same_user(token_a, token_b):
            return
        response = self._send("GET", contract.PATH_STATE.format(sid=sessions_b[-1]), token_a)
        assert response.json()["code"] == contract.Code.SESSION_NOT_FOUND

    @rule(seconds=st.sampled_from([0.0, 5.0, 30.0, 120.0]))
    def wait(self, seconds: float) -> None:
        self.clock.advance(seconds)

    @invariant()
    def books_balance(self) -> None:
        _check_books(self.server, 300)

    @invariant()
    def journal_complete(self) -> None:
        assert len(self.server.journal) == self.requests
        assert all(e.completed for e in self.server.journal.entries())
        assert all((e.status or 0) < 500 for e in self.server.journal.entries())


TestMockBooks = MockBooks.TestCase


# --- concurrent load on loopback --------------------------------------------------------------


@pytest.fixture
def loopback() -> Iterator[tuple[str, MockServer]]:
    server = MockServer(MockConfig(seed=9, initial_credits=10_000, token_limit_per_ip=10**6))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(server.app, log_level="warning", lifespan="off")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not uv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    yield f"http://127.0.0.1:{port}", server
    uv.should_exit = True
    thread.join(10)
    sock.close()


def _one_user(base: str, index: int) -> int:
    """A whole flow for one user; returns the number of requests made."""
    with httpx.Client(base_url=base, timeout=20) as http:
        token = http.post(
            contract.PATH_ANONYMOUS_TOKEN, headers={contract.HEADER_CLIENT_ID: f"load-{index}"}
        ).json()["data"]["token"]
        sid = http.post(
            contract.PATH_SESSION, headers=_auth(token), json={"task_name": "p"}
        ).json()["data"]["session_id"]
        with http.stream(
            "POST", contract.PATH_RUN_SSE, headers=_auth(token), json=sse_body(sid, "add a title")
        ) as response:
            for _ in response.iter_bytes():
                pass
        http.get(contract.PATH_CREDITS, headers=_auth(token)).raise_for_status()
        http.get(contract.PATH_STATE.format(sid=sid), headers=_auth(token)).raise_for_status()
        first = http.post(
            contract.PATH_RENDER, headers=_auth(token), json=render_body(sid, f"r{index}")
        )
        again = http.post(
            contract.PATH_RENDER, headers=_auth(token), json=render_body(sid, f"r{index}")
        )
        assert first.json()["data"]["id"] == again.json()["data"]["id"] == f"r{index}"
        return 7


@pytest.mark.socket
@pytest.mark.slow
def test_many_clients_at_once_on_loopback(loopback: tuple[str, MockServer]) -> None:
    base, server = loopback
    users = budget(24, 200)
    with ThreadPoolExecutor(max_workers=8) as pool:
        made = sum(pool.map(lambda i: _one_user(base, i), range(users), timeout=60))
    entries = server.journal.entries()
    assert len(entries) == made
    assert all(e.completed and (e.status or 0) < 500 for e in entries)
    assert len(server.state._renders) == users  # one job per render id
    _check_books(server, 10_000)


@pytest.mark.socket
def test_crlf_in_a_header_is_refused_by_the_client_on_a_socket(
    loopback: tuple[str, MockServer],
) -> None:
    base, server = loopback
    with httpx.Client(base_url=base) as http, pytest.raises(httpx.LocalProtocolError):
        http.post(contract.PATH_ANONYMOUS_TOKEN, headers={contract.HEADER_CLIENT_ID: "a\r\nX-B: c"})
    assert server.journal.entries(path=contract.PATH_ANONYMOUS_TOKEN) == []


# --- abandoned streams ------------------------------------------------------------------------


@pytest.mark.slow
def test_a_thousand_abandoned_streams_free_their_tasks_and_memory() -> None:
    count = budget(1000, 5000)

    async def main() -> tuple[int, int, int, int]:
        server = MockServer(MockConfig(seed=4, initial_credits=10**9), VirtualClock())
        transport = AsyncStreamingTransport(server.app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as http:
            token = (
                await http.post(
                    contract.PATH_ANONYMOUS_TOKEN, headers={contract.HEADER_CLIENT_ID: "gone"}
                )
            ).json()["data"]["token"]
            sid = (
                await http.post(
                    contract.PATH_SESSION, headers=_auth(token), json={"task_name": "p"}
                )
            ).json()["data"]["session_id"]

            async def abandon() -> None:
                async with http.stream(
                    "POST", contract.PATH_RUN_SSE, headers=_auth(token), json=sse_body(sid, "hi")
                ) as response:
                    async for _ in response.aiter_bytes():
                        break

            await abandon()  # warm up caches before measuring
            gc.collect()
            tasks_before = len(asyncio.all_tasks())
            tracemalloc.start()
            before, _ = tracemalloc.get_traced_memory()
            for _ in range(count):
                await abandon()
            for _ in range(10):
                await asyncio.sleep(0)
            gc.collect()
            after, _ = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            tasks_after = len(asyncio.all_tasks())
        journal = server.journal.entries(path=contract.PATH_RUN_SSE)
        assert all(e.completed for e in journal)
        return tasks_before, tasks_after, after - before, len(journal)

    tasks_before, tasks_after, growth, journaled = asyncio.run(main())
    assert tasks_after <= tasks_before
    assert journaled == count + 1
    # The mock keeps each turn (message, script) and its journal entry: that is its state, not a
    # leak. Bounded: well under 20 KB per abandoned turn.
    assert growth < count * 20_000, f"{growth / count:.0f} bytes per abandoned stream"

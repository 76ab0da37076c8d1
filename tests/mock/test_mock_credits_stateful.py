"""The credit invariant under interleaved turns, time and reads (hypothesis stateful test)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from mockserver import ApiError, MockServer, TurnScript
from mockserver.state import Account, Session
from nemokit import contract
from nemokit._clock import VirtualClock


def _script(cost: int, duration: float) -> TurnScript:
    return TurnScript(
        items=(), duration=duration, cost=cost, draft_after=None, post=(), silent=True, kind="edit"
    )


class Credits(RuleBasedStateMachine):
    """Turns of random cost and length, on several sessions of two users, in any order."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = VirtualClock()
        self.server = MockServer(clock=self.clock)
        self.users: list[tuple[Account, list[Session]]] = []
        for name in ("alice", "bob"):
            account = self.server.state.issue_token(name, "127.0.0.1").account
            sessions = [self.server.state.create_session(account, "p", None) for _ in range(2)]
            self.users.append((account, sessions))
        self.planned: dict[str, list[tuple[float, float, int]]] = {
            a.user_id: [] for a, _ in self.users
        }

    @rule(
        user=st.integers(0, 1),
        which=st.integers(0, 1),
        cost=st.integers(0, 60),
        duration=st.floats(0, 300),
    )
    def start_turn(self, user: int, which: int, cost: int, duration: float) -> None:
        account, sessions = self.users[user]
        available = self.server.state.credits(account).available

        def plan(*_: Any) -> TurnScript:
            return _script(cost, duration)

        if available <= 0 or available < cost:
            with pytest.raises(ApiError) as refused:
                self.server.state.start_turn(account, sessions[which], "edit", plan)
            assert refused.value.code == contract.Code.OUT_OF_CREDITS
            return
        turn = self.server.state.start_turn(account, sessions[which], "edit", plan)
        self.planned[account.user_id].append((turn.start, turn.end, cost))

    @rule(seconds=st.floats(0, 200))
    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)

    @invariant()
    def available_plus_frozen_is_total(self) -> None:
        now = self.clock.now()
        for account, _ in self.users:
            credits = self.server.state.credits(account)
            assert credits.available + credits.frozen == credits.total
            assert credits.available >= 0
            turns = self.planned[account.user_id]
            spent = sum(c for _, end, c in turns if end <= now)
            held = sum(c for start, end, c in turns if start <= now < end)
            assert (credits.total, credits.frozen) == (contract.INITIAL_CREDITS - spent, held)


TestCredits = Credits.TestCase


def test_concurrent_turns_never_spend_credits_twice() -> None:
    server = MockServer(clock=VirtualClock())
    account = server.state.issue_token("c", "127.0.0.1").account
    token = server.state.issue_token("c", "127.0.0.1").token
    sid = server.state.create_session(account, "p", None).session_id
    body = {
        "app_name": "nemo_agent",
        "session_id": sid,
        "new_message": {"parts": [{"text": "generate a video of the moon"}]},
    }

    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=server.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://mock.test") as http:
            headers = {"Authorization": f"Bearer {token}"}
            calls = [http.post(contract.PATH_RUN_SSE, json=body, headers=headers) for _ in range(8)]
            return list(await asyncio.gather(*calls))

    responses = asyncio.run(run())
    streamed = [r for r in responses if r.headers["content-type"].startswith("text/event-stream")]
    refused = [r.json()["code"] for r in responses if r not in streamed]
    assert len(streamed) == 1
    assert refused == [contract.Code.OUT_OF_CREDITS] * 7
    credits = server.state.credits(account)
    assert credits.available + credits.frozen == credits.total == 0

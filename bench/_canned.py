"""Real response bytes from the mock, captured once, for benchmarks that need fixed answers.

The bytes come from the mock itself (in process, virtual time), so a benchmark that answers from
them serves exactly what the mock would: same bodies, same headers.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx

from mockserver import create_app
from nemokit import contract

__all__ = ["Canned", "capture"]

CLIENT_ID = "bench-client-0001"


@dataclass(frozen=True, slots=True)
class Canned:
    """One recorded answer: status, headers and body bytes."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def response(self) -> httpx.Response:
        """A fresh ``httpx.Response`` carrying these bytes (its stream is already read)."""
        return httpx.Response(self.status, headers=self.headers, content=self.body)


@dataclass(frozen=True, slots=True)
class Captured:
    """The mock's answers to a new account's token, session, credits and state requests."""

    token: str
    session_id: str
    answers: dict[str, Canned]  # keyed by path template (contract.PATH_*)


def _canned(response: httpx.Response) -> Canned:
    # Content-Length is recomputed by whoever serves the bytes again.
    kept = tuple((k, v) for k, v in response.headers.items() if k.lower() != "content-length")
    return Canned(response.status_code, kept, response.content)


def capture() -> Captured:
    """Ask a fresh in-process mock for a token, a session, the credits and the state."""
    return asyncio.run(_capture())


async def _capture() -> Captured:
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url=contract.DEFAULT_API_URL) as client:
        headers = {contract.HEADER_CLIENT_ID: CLIENT_ID}
        token_response = await client.post(contract.PATH_ANONYMOUS_TOKEN, headers=headers)
        token = token_response.json()["data"]["token"]
        auth = {contract.HEADER_AUTHORIZATION: f"Bearer {token}"}
        session_response = await client.post(
            contract.PATH_SESSION, headers=auth, json={"task_name": "project"}
        )
        session_id = session_response.json()["data"]["session_id"]
        credits_response = await client.get(contract.PATH_CREDITS, headers=auth)
        state_response = await client.get(contract.PATH_STATE.format(sid=session_id), headers=auth)
    answers = {
        contract.PATH_ANONYMOUS_TOKEN: _canned(token_response),
        contract.PATH_SESSION: _canned(session_response),
        contract.PATH_CREDITS: _canned(credits_response),
        contract.PATH_STATE: _canned(state_response),
    }
    return Captured(token, session_id, answers)

"""/run_sse in process through the streaming transport, on a shared virtual clock."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from mockserver import AsyncStreamingTransport, MockServer, StreamingTransport
from mockserver._config import MockConfig
from nemokit import contract
from nemokit._clock import VirtualClock


def _body(sid: str, text: str) -> dict[str, object]:
    return {"app_name": "nemo_agent", "session_id": sid, "new_message": {"parts": [{"text": text}]}}


def _setup(http: httpx.Client) -> tuple[dict[str, str], str]:
    data = http.post(contract.PATH_ANONYMOUS_TOKEN, headers={"X-Client-Id": "in"}).json()["data"]
    headers = {"Authorization": f"Bearer {data['token']}"}
    sid = http.post(contract.PATH_SESSION, headers=headers, json={"task_name": "p"}).json()
    return headers, sid["data"]["session_id"]


def test_a_client_that_leaves_mid_turn_still_finds_the_edit_landed() -> None:
    clock = VirtualClock()
    server = MockServer(MockConfig(silent_rate=0.0), clock)
    transport = StreamingTransport(server.app)
    with httpx.Client(transport=transport, base_url="http://mock.test") as http:
        headers, sid = _setup(http)
        files = {"files": ("park.mp4", b"\x00" * 64, "video/mp4")}
        http.post(contract.PATH_UPLOAD.format(sid=sid), headers=headers, files=files)
        state_path = contract.PATH_STATE.format(sid=sid)
        before = http.get(state_path, headers=headers).json()["data"]["state"]["draft"]
        with http.stream(
            "POST",
            contract.PATH_RUN_SSE,
            headers=headers,
            json=_body(sid, "generate a video of a park"),
        ) as response:
            first = next(response.iter_lines())
        assert first.startswith("data: {")
        session = server.state.session_of(
            server.state.authenticate(headers["Authorization"][7:]), sid
        )
        turn = session.turns[0]
        assert clock.now() < turn.end  # the client left before the turn ended
        assert turn.script.post, "a generation is followed by post-production"
        # the app may have run an event ahead of its reader, never to the post-production
        last_at, last_draft = turn.script.post[-1]
        assert http.get(state_path, headers=headers).json()["data"]["state"]["draft"] != last_draft
        clock.advance(turn.start + last_at - clock.now())
        after = http.get(state_path, headers=headers).json()["data"]["state"]["draft"]
        assert after == last_draft != before
    transport.close()


def test_cut_stream_reads_as_a_broken_connection_in_process() -> None:
    server = MockServer(clock=VirtualClock())

    async def run() -> None:
        transport = AsyncStreamingTransport(server.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://mock.test") as http:
            data = (
                await http.post(contract.PATH_ANONYMOUS_TOKEN, headers={"X-Client-Id": "x"})
            ).json()["data"]
            headers = {"Authorization": f"Bearer {data['token']}"}
            sid = (
                await http.post(contract.PATH_SESSION, headers=headers, json={"task_name": "p"})
            ).json()["data"]["session_id"]
            server.faults.add(path=contract.PATH_RUN_SSE, cut_after=1)
            events: list[dict[str, object]] = []

            async def read() -> None:
                async with http.stream(
                    "POST", contract.PATH_RUN_SSE, headers=headers, json=_body(sid, "hello there")
                ) as response:
                    async for line in response.aiter_lines():
                        if line.startswith("data: {") and "heartbeat" not in line:
                            events.append(json.loads(line[6:]))

            with pytest.raises(httpx.RemoteProtocolError):
                await read()
            assert len(events) == 1

    asyncio.run(run())

"""The discrete-event ``VirtualClock``: sleepers overlap, and a shared world stays exact.

Two clients in one virtual world (one waits 30 s on a 429 while the other streams a turn) see
each other's events at the right virtual times, and the run lasts as long as its longest path.
"""

from __future__ import annotations

import asyncio
import pathlib
import threading
from typing import Any

import httpx
from hypothesis import given
from hypothesis import strategies as st

from mockserver import AsyncStreamingTransport, MockServer, StreamingTransport
from mockserver._config import MockConfig
from nemokit import contract
from nemokit._async_client import AsyncNemo
from nemokit._client import Nemo
from nemokit._clock import VirtualClock

BASE = "http://mock.test"
HEARTBEAT = 7.0
RETRY_AFTER = 30.0
#: The streamed turn works this long before its script plays: longer than the 429 wait.
TURN_WORK = 100.0
B_ID = {contract.HEADER_CLIENT_ID: "client-b"}

durations = st.lists(
    st.lists(st.integers(1, 600).map(lambda n: n / 4), min_size=1, max_size=4),
    min_size=1,
    max_size=6,
)


def _expected(plan: list[list[float]]) -> list[tuple[float, int]]:
    """Each sleeper's wake-ups: (time, sleeper), a sleeper's times the sums of its sleeps."""
    wakes = []
    for who, sleeps in enumerate(plan):
        at = 0.0
        for seconds in sleeps:
            at += seconds
            wakes.append((at, who))
    return sorted(wakes)


@given(durations)
def test_async_sleepers_wake_in_order_each_at_its_time(plan: list[list[float]]) -> None:
    clock = VirtualClock()
    woke: list[tuple[float, int]] = []

    async def sleeper(who: int, sleeps: list[float]) -> None:
        for seconds in sleeps:
            await clock.asleep(seconds)
            woke.append((clock.now(), who))

    async def main() -> None:
        await asyncio.gather(*(sleeper(who, sleeps) for who, sleeps in enumerate(plan)))

    asyncio.run(main())
    assert [at for at, _ in woke] == sorted(at for at, _ in woke)  # in order
    assert sorted(woke) == _expected(plan)  # each at exactly its time
    assert clock.now() == max(sum(sleeps) for sleeps in plan)  # overlapped, not summed


@given(durations)
def test_thread_sleepers_wake_in_order_each_at_its_time(plan: list[list[float]]) -> None:
    clock = VirtualClock()
    woke: list[tuple[float, int]] = []
    lock = threading.Lock()
    ready = threading.Barrier(len(plan))

    def sleeper(who: int, sleeps: list[float]) -> None:
        clock.hold()  # a party from the start: nobody may move time before it first waits
        ready.wait()
        for seconds in sleeps:
            clock.sleep(seconds)
            with lock:
                woke.append((clock.now(), who))
        clock.leave()

    threads = [
        threading.Thread(target=sleeper, args=(who, sleeps)) for who, sleeps in enumerate(plan)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [at for at, _ in woke] == sorted(at for at, _ in woke)
    assert sorted(woke) == _expected(plan)
    assert clock.now() == max(sum(sleeps) for sleeps in plan)


def test_a_cancelled_sleeper_stops_taking_part_at_once() -> None:
    clock = VirtualClock()

    async def main() -> None:
        gone = asyncio.create_task(clock.asleep(10))
        await asyncio.sleep(0)
        gone.cancel()
        await clock.asleep(50)

    asyncio.run(main())
    assert clock.now() == 50


def test_a_sleeper_and_a_thread_that_holds_time() -> None:
    # While a thread holds time (it works on an answer), a loop's sleeper cannot wake.
    clock = VirtualClock()
    clock.hold()
    woke = threading.Event()

    def loop_side() -> None:
        asyncio.run(clock.asleep(5))
        woke.set()

    thread = threading.Thread(target=loop_side)
    thread.start()
    assert not woke.wait(0.05)  # a real wait for a negative: time stayed still
    assert clock.now() == 0
    clock.sleep(20)  # the thread waits now: the sleeper wakes first, then this one
    thread.join()
    assert woke.is_set()
    assert clock.now() == 20


# --- two clients in one world ------------------------------------------------------------------


def _server(clock: VirtualClock) -> MockServer:
    config = MockConfig(
        heartbeat_interval=HEARTBEAT, slow_turn_seconds=TURN_WORK, silent_rate=0.0, seed=5
    )
    server = MockServer(config, clock)
    server.faults.add(path=contract.PATH_CREDITS, status=429, retry_after=RETRY_AFTER)
    return server


def _turn_body(sid: str) -> dict[str, Any]:
    return {
        "app_name": contract.APP_NAME,
        "user_id": "u",
        "session_id": sid,
        "new_message": {"role": "user", "parts": [{"text": "trim the pauses"}]},
        "streaming": False,
    }


def _check_world(
    server: MockServer, clock: VirtualClock, chunks: list[tuple[float, bytes]]
) -> None:
    credits = server.journal.entries(path=contract.PATH_CREDITS)
    assert [(e.status, e.time) for e in credits] == [(429, 0.0), (200, RETRY_AFTER)]
    (stream,) = server.journal.entries(path=contract.PATH_RUN_SSE)
    turn_start = stream.time
    assert turn_start == 0.0
    beats = [at for at, chunk in chunks if b"heartbeat" in chunk]
    assert beats[:5] == [turn_start + HEARTBEAT * k for k in range(1, 6)]
    # A's retry at 30 s did not push B's heartbeats: they stayed on B's own 7 s schedule.
    assert all(round(at / HEARTBEAT, 9).is_integer() for at in beats if at < TURN_WORK)
    end = chunks[-1][0]
    assert end >= TURN_WORK > RETRY_AFTER
    assert clock.now() == end  # the longest path, not the sum (which would be end + 30)


def test_two_async_clients_share_one_world(tmp_path: pathlib.Path) -> None:
    clock = VirtualClock()
    server = _server(clock)
    chunks: list[tuple[float, bytes]] = []

    async def waits_on_429(transport: AsyncStreamingTransport) -> None:
        async with AsyncNemo(
            api_url=BASE, transport=transport, clock=clock, env={},
            client_id_path=tmp_path / "a_id",
        ) as nemo:  # fmt: skip
            await nemo.anonymous_token()
            assert (await nemo.credits()).total > 0

    async def streams_a_turn(transport: AsyncStreamingTransport) -> None:
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as http:
            token = (await http.post(contract.PATH_ANONYMOUS_TOKEN, headers=B_ID)).json()["data"][
                "token"
            ]
            auth = {"Authorization": f"Bearer {token}"}
            sid = (
                await http.post(contract.PATH_SESSION, headers=auth, json={"task_name": "p"})
            ).json()
            body = _turn_body(sid["data"]["session_id"])
            async with http.stream("POST", contract.PATH_RUN_SSE, headers=auth, json=body) as r:
                async for chunk in r.aiter_raw():
                    chunks.append((clock.now(), chunk))

    async def main() -> None:
        # One app, one transport per client (a client closes its transport when it is done).
        await asyncio.gather(
            waits_on_429(AsyncStreamingTransport(server.app)),
            streams_a_turn(AsyncStreamingTransport(server.app)),
        )

    asyncio.run(main())
    _check_world(server, clock, chunks)


def test_two_sync_clients_share_one_scheduler(tmp_path: pathlib.Path) -> None:
    # The sync client's clock.sleep and the mock's stream (on the transport's loop) share one
    # scheduler: B's heartbeats keep their times while A sleeps 30 s on a 429 in another thread.
    clock = VirtualClock()
    server = _server(clock)
    chunks: list[tuple[float, bytes]] = []
    ready = threading.Barrier(2)

    def waits_on_429() -> None:
        clock.hold()
        ready.wait()
        with Nemo(
            api_url=BASE, transport=StreamingTransport(server.app), clock=clock, env={},
            client_id_path=tmp_path / "a_id",
        ) as nemo:  # fmt: skip
            nemo.anonymous_token()
            assert nemo.credits().total > 0
        clock.leave()

    def streams_a_turn() -> None:
        clock.hold()
        ready.wait()
        http = httpx.Client(transport=StreamingTransport(server.app), base_url=BASE)
        token = http.post(contract.PATH_ANONYMOUS_TOKEN, headers=B_ID).json()["data"]["token"]
        auth = {"Authorization": f"Bearer {token}"}
        sid = http.post(contract.PATH_SESSION, headers=auth, json={"task_name": "p"}).json()[
            "data"
        ]["session_id"]
        with http.stream("POST", contract.PATH_RUN_SSE, headers=auth, json=_turn_body(sid)) as r:
            for chunk in r.iter_raw():
                chunks.append((clock.now(), chunk))
        http.close()
        clock.leave()

    threads = [threading.Thread(target=waits_on_429), threading.Thread(target=streams_a_turn)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    _check_world(server, clock, chunks)


def test_a_stream_whose_client_has_gone_moves_time_no_more() -> None:
    clock = VirtualClock()
    server = MockServer(
        MockConfig(heartbeat_interval=HEARTBEAT, slow_turn_seconds=TURN_WORK), clock
    )
    transport = StreamingTransport(server.app)
    with httpx.Client(transport=transport, base_url=BASE) as http:
        token = http.post(contract.PATH_ANONYMOUS_TOKEN, headers=B_ID).json()["data"]["token"]
        auth = {"Authorization": f"Bearer {token}"}
        sid = http.post(contract.PATH_SESSION, headers=auth, json={"task_name": "p"}).json()
        body = _turn_body(sid["data"]["session_id"])
        with http.stream("POST", contract.PATH_RUN_SSE, headers=auth, json=body) as response:
            next(response.iter_raw())  # the first heartbeat, then the client leaves
        left = clock.now()
        assert left == HEARTBEAT
        clock.sleep(RETRY_AFTER)  # only this sleeper is left: the stream's next beat is gone
        assert clock.now() == left + RETRY_AFTER
        assert http.get(contract.PATH_CREDITS, headers=auth).status_code == 200
    assert clock.now() == left + RETRY_AFTER


def test_a_thread_that_ends_holds_time_no_more() -> None:
    clock = VirtualClock()
    ready = threading.Event()

    def takes_part_then_ends() -> None:
        clock.hold()
        ready.set()

    thread = threading.Thread(target=takes_part_then_ends)
    thread.start()
    ready.wait()
    thread.join()
    # If the ended thread still held time this sleep would never end: run it in a thread and
    # give it a (real) bound that only a failure reaches.
    sleeper = threading.Thread(target=clock.sleep, args=(30,), daemon=True)
    sleeper.start()
    sleeper.join(10)
    assert not sleeper.is_alive(), "an ended thread still holds the virtual time"
    assert clock.now() == 30

"""SSE under load: many ``/run_sse`` streams held open at once, heartbeats on time.

The mock runs under ``uvicorn`` on 127.0.0.1 in its own process, at time scale 1 (a
``SystemClock``) with a heartbeat every second and turns that last longer than the hold. This
process opens N streams (one account and session each, so no account's limits interfere),
holds them all open, and for every heartbeat frame notes how late it arrived against its
schedule: heartbeat k of a stream is due k seconds after the stream's headers arrived (the mock
counts heartbeats from the turn's start, on a fixed grid). The server's RSS is sampled while
all streams are open.

Targets: 1,000 concurrent streams on 2 cores, no errors, heartbeat lateness p99 < 100 ms, server
RSS < 300 MB; memory per stream reported. Quick mode: 50 streams for a few seconds.

    python -m bench.sse_load [--quick] [--streams N] [--hold SECONDS]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import httpx

from nemokit import contract

from ._common import Result, percentile, rss_bytes, serve, table

__all__ = ["main", "run"]

COMMAND = "python -m bench.sse_load"
INTERVAL = 1.0
P99_MS, RSS_MB = 100.0, 300.0
FRAME = b'data: {"type": "heartbeat"}\n\n'
MESSAGE = "hello, what can you do?"  # a text turn: 5-15 s times the duration scale
SETTINGS = {
    "heartbeat_interval": INTERVAL,
    "duration_scale": 10.0,
    "token_limit_per_ip": 1_000_000,
    "noise_rate": 0.0,
}


@dataclass(slots=True)
class Tally:
    """What the streams saw: lateness of every heartbeat (s), errors, streams open."""

    lateness: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    open: int = 0


async def _accounts(base: str, count: int) -> list[tuple[str, str]]:
    """``count`` (token, session id) pairs, made a few at a time."""
    gate = asyncio.Semaphore(16)
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:

        async def one(i: int) -> tuple[str, str]:
            async with gate:
                who = {contract.HEADER_CLIENT_ID: f"bench-sse-{i}"}
                got = await client.post(contract.PATH_ANONYMOUS_TOKEN, headers=who)
                token = got.json()["data"]["token"]
                auth = {contract.HEADER_AUTHORIZATION: f"Bearer {token}"}
                made = await client.post(
                    contract.PATH_SESSION, headers=auth, json={"task_name": "p"}
                )
                return token, made.json()["data"]["session_id"]

        return list(await asyncio.gather(*(one(i) for i in range(count))))


def _request(port: int, token: str, session_id: str) -> bytes:
    body = json.dumps({"app_name": contract.APP_NAME, "user_id": "me", "session_id": session_id,
                       "new_message": {"parts": [{"text": MESSAGE}]}}).encode()  # fmt: skip
    head = (
        f"POST {contract.PATH_RUN_SSE} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        f"Accept: text/event-stream\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _stream(port: int, account: tuple[str, str], until: float, tally: Tally) -> None:
    """One stream: send the turn, read until ``until``, note each heartbeat's lateness."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError as exc:
        tally.errors.append(f"connect: {exc}")
        return
    try:
        writer.write(_request(port, *account))
        head = await reader.readuntil(b"\r\n\r\n")
        origin = time.monotonic()
        if not head.startswith(b"HTTP/1.1 200"):
            tally.errors.append(head.split(b"\r\n", 1)[0].decode(errors="replace"))
            return
        tally.open += 1
        await _heartbeats(reader, origin, until, tally)
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
        tally.errors.append(f"read: {type(exc).__name__}: {exc}")
    finally:
        writer.close()


async def _heartbeats(
    reader: asyncio.StreamReader, origin: float, until: float, tally: Tally
) -> None:
    buffer, seen = b"", 0
    while (left := until - time.monotonic()) > 0:
        try:
            data = await asyncio.wait_for(reader.read(65536), timeout=left)
        except asyncio.TimeoutError:
            return
        if not data:
            tally.errors.append("the stream ended before the hold did (turn too short?)")
            return
        now = time.monotonic()
        buffer += data
        found = buffer.count(FRAME)
        for k in range(seen + 1, seen + found + 1):
            tally.lateness.append(now - (origin + k * INTERVAL))
        seen += found
        buffer = buffer[buffer.rfind(FRAME) + len(FRAME) :] if found else buffer[-len(FRAME) :]


async def _hold(
    port: int, pid: int, accounts: list[tuple[str, str]], hold: float
) -> tuple[Tally, int]:
    """Open every stream, hold them ``hold`` seconds; the tally and the peak server RSS."""
    tally = Tally()
    until = time.monotonic() + hold + 2.0  # streams open over the first moments
    peak = 0

    async def sample() -> None:
        nonlocal peak
        while time.monotonic() < until:
            peak = max(peak, rss_bytes(pid))
            await asyncio.sleep(0.25)

    await asyncio.gather(sample(), *(_stream(port, a, until, tally) for a in accounts))
    return tally, peak


def run(quick: bool = False, streams: int | None = None, hold: float | None = None) -> Result:
    """N streams against a real uvicorn; lateness percentiles, errors, memory."""
    count = streams if streams is not None else (50 if quick else 1000)
    seconds = hold if hold is not None else (3.0 if quick else 12.0)
    env = {"BENCH_MOCK_CLOCK": "system", "BENCH_MOCK_CONFIG": json.dumps(SETTINGS)}
    with serve("bench._apps:mock", env=env) as server:
        accounts = asyncio.run(_accounts(server.url, count))
        idle = rss_bytes(server.pid)
        tally, peak = asyncio.run(_hold(server.port, server.pid, accounts, seconds))
    late_ms = [max(0.0, x) * 1e3 for x in tally.lateness]
    p50, p99, worst = (percentile(late_ms, q) for q in (0.5, 0.99, 1.0))
    per_stream = (peak - idle) / max(1, tally.open)
    rows: list[list[object]] = [
        ["streams asked / open together", f"{count} / {tally.open}"],
        ["errors", len(tally.errors)],
        ["heartbeats received", len(late_ms)],
        ["lateness p50 / p99 / max, ms", f"{p50:.1f} / {p99:.1f} / {worst:.1f}"],
        ["server RSS idle / peak, MB", f"{idle / 2**20:.1f} / {peak / 2**20:.1f}"],
        ["memory per stream, KB", per_stream / 1024],
    ]
    met = (not tally.errors and tally.open == count and p99 < P99_MS
           and peak / 2**20 < RSS_MB and (quick or count >= 1000))  # fmt: skip
    notes = [f"hold {seconds:g} s after opening; heartbeat every {INTERVAL:g} s; uvicorn 1 process"]
    notes += [f"error: {e}" for e in sorted(set(tally.errors))[:5]]
    return Result(
        name="SSE under load",
        command=COMMAND + (" --quick" if quick else ""),
        table=table(["measure", "value"], rows),
        headline=(
            f"{tally.open} streams: p99 heartbeat lateness {p99:.1f} ms (target < {P99_MS:g}), "
            f"server RSS {peak / 2**20:.0f} MB (target < {RSS_MB:g}), "
            f"{per_stream / 1024:.0f} KB per stream, {len(tally.errors)} errors"
        ),
        met=met,
        notes=tuple(notes),
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="50 streams for a few seconds")
    parser.add_argument("--streams", type=int, default=None)
    parser.add_argument("--hold", type=float, default=None)
    args = parser.parse_args(argv)
    print(run(quick=args.quick, streams=args.streams, hold=args.hold).render())


if __name__ == "__main__":
    main()

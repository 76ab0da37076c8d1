"""A small HTTP/1.1 load generator, for machines without ``wrk``: run it in its own process.

``python -m bench._load URL --connections 32 --duration 2 --header "Name: value"`` keeps that
many keep-alive connections busy with GET requests for that long and prints one JSON line:
``{"requests": n, "errors": n, "non_2xx": n, "seconds": s}``. It speaks just enough HTTP for a
loopback benchmark (``Content-Length`` bodies, no chunking) so that the client costs far less
than the server it measures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["main"]


@dataclass(slots=True)
class _Counts:
    requests: int = 0
    errors: int = 0
    non_2xx: int = 0


async def _connection(
    host: str, port: int, request: bytes, deadline: float, counts: _Counts
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.monotonic() < deadline:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            counts.requests += 1
            counts.non_2xx += not 200 <= status < 300
    except (OSError, asyncio.IncompleteReadError, ValueError):
        counts.errors += 1
    finally:
        writer.close()


async def _run(url: str, connections: int, duration: float, headers: list[str]) -> dict[str, float]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = [f"GET {target} HTTP/1.1", f"Host: {host}:{port}", *headers, "", ""]
    request = "\r\n".join(lines).encode("latin-1")
    counts = _Counts()
    start = time.monotonic()
    deadline = start + duration
    await asyncio.gather(
        *(_connection(host, port, request, deadline, counts) for _ in range(connections))
    )
    seconds = time.monotonic() - start
    return {"requests": counts.requests, "errors": counts.errors,
            "non_2xx": counts.non_2xx, "seconds": seconds}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description="HTTP/1.1 GET load on one URL")
    parser.add_argument("url")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=float, default=2.0)
    parser.add_argument("--header", action="append", default=[])
    args = parser.parse_args()
    result = asyncio.run(_run(args.url, args.connections, args.duration, args.header))
    print(json.dumps(result))


if __name__ == "__main__":
    main()

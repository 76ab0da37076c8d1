"""The recording proxy's cost: a GET through it against the same GET direct, and how late it
makes SSE chunks when 200 streams pass through at once.

The mock runs under uvicorn in its own process (time scale 1, a heartbeat every second); the
proxy (``nemokit proxy``'s app, recording everything into a cassette in mode ``all``) in another,
in front of it, served as ``nemokit proxy`` serves it: uvicorn on uvloop with the proxy's fast
lane (:mod:`conformance.proxy._lane`). A plain GET takes the lane: parsed by httptools, sent over
a raw pooled connection, its small answer written back whole, and its cassette entry worked out
after the client has the answer. The lane is hand-written because no library parses and forwards
at this cost: on plain uvicorn the ASGI app forwarding through aiohttp measured about 2x, and a
bare ASGI app that only forwards through aiohttp 1.68x. ``/run_sse`` streams take the lane too
(a POST with a small JSON body): each chunk is written to the client as the target's parser hands
it on, then shown to the recorder (~35 us of CPU per chunk in the proxy, ~60 us on the ASGI
path through aiohttp).

- GET ``/api/credits/balance/simple`` with one keep-alive client: direct and through the proxy,
  rounds interleaved, the best round of each (see :mod:`bench._common`). Target: the proxied
  request takes at most 1.5× the direct one.
- ``/run_sse`` at 200 concurrent streams, once direct and once through the proxy: each
  heartbeat's lateness against its schedule (as in :mod:`bench.sse_load`, whose stream reader
  this uses). The proxy's added latency is the difference of the p99s. Target: < 5 ms.

    python -m bench.proxy_overhead [--quick]
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
from collections.abc import Sequence

import httpx

from nemokit import contract
from nemokit.cli._proxy_cmd import proxy_http

from ._common import Result, interleaved, parse_args, percentile, serve, stack, table
from .sse_load import SETTINGS, _accounts, _hold

__all__ = ["main", "run"]

COMMAND = "python -m bench.proxy_overhead"
RATIO, ADDED_MS = 1.5, 5.0


def _get_ratio(direct: str, proxied: str, token: str, quick: bool) -> tuple[float, float]:
    """Best seconds per GET credits, direct and through the proxy."""
    auth = {contract.HEADER_AUTHORIZATION: f"Bearer {token}"}
    calls, rounds = (50, 3) if quick else (500, 7)
    with (
        httpx.Client(base_url=direct, headers=auth) as a,
        httpx.Client(base_url=proxied, headers=auth) as b,
    ):
        best = interleaved(
            {"direct": lambda: a.get(contract.PATH_CREDITS).raise_for_status(),
             "proxy": lambda: b.get(contract.PATH_CREDITS).raise_for_status()},
            calls=calls, rounds=rounds,
        )  # fmt: skip
    return best["direct"], best["proxy"]


def run(quick: bool = False, streams: int | None = None, hold: float | None = None) -> Result:
    count = streams if streams is not None else (20 if quick else 200)
    seconds = hold if hold is not None else (2.0 if quick else 10.0)
    env = {"BENCH_MOCK_CLOCK": "system", "BENCH_MOCK_CONFIG": json.dumps(SETTINGS)}
    with tempfile.TemporaryDirectory() as folder, serve("bench._apps:mock", env=env) as mock:
        cassette = os.path.join(folder, "bench.json")
        proxy_env = {"BENCH_PROXY_TARGET": mock.url, "BENCH_PROXY_CASSETTE": cassette}
        with serve("bench._apps:proxy", env=proxy_env, http=proxy_http()) as proxy:
            accounts = asyncio.run(_accounts(mock.url, 2 * count + 1))
            direct_s, proxy_s = _get_ratio(mock.url, proxy.url, accounts[0][0], quick)
            plain, _, _ = asyncio.run(_hold(mock.port, mock.pid, accounts[1 : count + 1], seconds))
            through, _, _ = asyncio.run(
                _hold(proxy.port, proxy.pid, accounts[count + 1 :], seconds)
            )
    ratio = proxy_s / direct_s
    late = {name: [max(0.0, x) * 1e3 for _, x in tally.lateness]
            for name, tally in (("direct", plain), ("proxy", through))}  # fmt: skip
    p99 = {name: percentile(values, 0.99) for name, values in late.items()}
    added = p99["proxy"] - p99["direct"]
    errors = plain.errors + through.errors
    rows: list[list[object]] = [
        ["GET credits direct / proxied, ms", f"{direct_s * 1e3:.2f} / {proxy_s * 1e3:.2f}"],
        ["GET credits proxied ÷ direct", f"{ratio:.2f}×"],
        ["streams open direct / proxied", f"{plain.open} / {through.open} of {count}"],
        ["heartbeats direct / proxied", f"{len(late['direct'])} / {len(late['proxy'])}"],
        ["lateness p99 direct / proxied, ms", f"{p99['direct']:.1f} / {p99['proxy']:.1f}"],
        ["added p99 chunk latency, ms", f"{added:.1f}"],
        ["errors", len(errors)],
    ]
    met = (ratio <= RATIO and added < ADDED_MS and not errors and through.open == count
           and (quick or count >= 200))  # fmt: skip
    notes = [f"hold {seconds:g} s per phase; heartbeat every second; the mock on {stack()}, the "
             f"proxy on {stack(http=proxy_http())}, one process each; the proxy records into a "
             "cassette (mode all); plain GETs and /run_sse streams take its fast lane (a stream's "
             "chunks relayed as they arrive, then recorded)"]  # fmt: skip
    notes += [f"error: {e}" for e in sorted(set(errors))[:5]]
    return Result(
        name="Recording proxy overhead",
        command=COMMAND + (" --quick" if quick else ""),
        table=table(["measure", "value"], rows),
        headline=(
            f"GET credits through the proxy {ratio:.2f}× direct (target ≤ {RATIO:g}×); "
            f"{count} streams: {added:+.1f} ms p99 per chunk (target < {ADDED_MS:g})"
        ),
        met=met,
        notes=tuple(notes),
    )


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(__doc__ or "", argv)
    print(run(quick=args.quick).render())


if __name__ == "__main__":
    main()

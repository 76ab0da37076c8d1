"""Replay cost per request as a cassette grows, against VCR.py and a bare respx route.

Cassettes of 100, 1,000 and 10,000 interactions hold state fetches of distinct sessions (each
with a bearer token, so replay's secret handling is exercised). The same ``httpx.Client`` code
asks for a spread sample of them through:

- ``conformance.cassettes._replay.build_router`` (``httpx.MockTransport(router.handler)``);
- a bare ``respx`` route answering every state fetch with the same bytes (no cassette at all:
  the floor of answering through respx);
- VCR.py replaying the same interactions from its own cassette (``record_mode="none"``); it
  patches ``httpx.MockTransport`` while its cassette is open, and matches linearly.

Targets: flat in cassette size (the slowest size ≤ 1.25× the fastest); ≤ 1.3× the bare respx route;
≥ 100× faster than VCR.py at 10,000 interactions.

    python -m bench.replay [--quick]
"""

from __future__ import annotations

import json
import pathlib
import tempfile
import time
from collections.abc import Callable, Sequence

import httpx
import respx

from conformance.cassettes._cassette import (
    Cassette,
    Interaction,
    JsonBody,
    RecordedRequest,
    RecordedResponse,
)
from conformance.cassettes._replay import build_router
from nemokit import contract

from ._common import Result, interleaved, parse_args, table

__all__ = ["main", "run"]

COMMAND = "python -m bench.replay"
BASE = contract.DEFAULT_API_URL
TOKEN = "nmv_usr_" + "b" * 43
HEADERS = {contract.HEADER_AUTHORIZATION: f"Bearer {TOKEN}"}
FLAT, VS_RESPX, VS_VCR = 1.25, 1.3, 100.0


def _sid(i: int) -> str:
    return f"{9_000_000_000 + i}"


def _body(i: int) -> dict[str, object]:
    draft = {"t": [], "d": 0, "m": {"width": 1920, "height": 1080, "fps": 30}}
    data = {"session_id": _sid(i), "task_id": f"task_{i:08x}", "state": {"draft": draft}}
    return {"code": 0, "message": "success", "data": data}


def _cassette(size: int) -> Cassette:
    interactions = tuple(
        Interaction(
            RecordedRequest(
                "GET",
                contract.PATH_STATE.format(sid=_sid(i)),
                headers={"authorization": "Bearer <TOKEN_1>"},
            ),
            RecordedResponse(200, {"content-type": "application/json"}, JsonBody(_body(i))),
        )
        for i in range(size)
    )
    return Cassette(interactions=interactions)


def _vcr_file(size: int, folder: pathlib.Path) -> pathlib.Path:
    interactions = [
        {
            "request": {
                "method": "GET",
                "uri": BASE + contract.PATH_STATE.format(sid=_sid(i)),
                "body": None,
                "headers": {"authorization": ["Bearer <TOKEN_1>"]},
            },
            "response": {
                "status": {"code": 200, "message": "OK"},
                "headers": {"content-type": ["application/json"]},
                "body": {"string": json.dumps(_body(i), separators=(",", ":"))},
            },
        }
        for i in range(size)
    ]
    path = folder / f"vcr_{size}.json"
    path.write_text(json.dumps({"version": 1, "interactions": interactions}))
    return path


def _sample(size: int, count: int) -> list[str]:
    """URLs of ``count`` interactions spread evenly over the cassette (start, middle, end)."""
    step = max(1, size // count)
    return [BASE + contract.PATH_STATE.format(sid=_sid(i)) for i in range(0, size, step)][:count]


def _fetcher(client: httpx.Client, urls: list[str]) -> Callable[[], object]:
    position = 0

    def fetch() -> object:
        nonlocal position
        url = urls[position]
        position = (position + 1) % len(urls)
        return client.get(url, headers=HEADERS).content

    return fetch


def _bare_respx() -> httpx.Client:
    body = json.dumps(_body(0), separators=(",", ":")).encode()
    router = respx.MockRouter(assert_all_called=False)
    router.get(path__startswith="/api/state/").mock(
        return_value=httpx.Response(200, headers={"content-type": "application/json"}, content=body)
    )
    return httpx.Client(transport=httpx.MockTransport(router.handler))


def _vcr_per_request(path: pathlib.Path, urls: list[str]) -> float:
    import vcr  # type: ignore[import-untyped]  # a benchmark-only baseline, not a dependency

    client = httpx.Client(transport=httpx.MockTransport(_refuse))
    recorder = vcr.VCR(serializer="json", record_mode="none")
    with recorder.use_cassette(str(path), allow_playback_repeats=True):
        fetch = _fetcher(client, urls)
        fetch()  # warm
        start = time.perf_counter()
        for _ in urls:
            fetch()
        return (time.perf_counter() - start) / len(urls)


def _refuse(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"VCR.py let a request through: {request.url}")


def _measure(sizes: Sequence[int], quick: bool) -> dict[int, list[float]]:
    """µs per request for nemokit, bare respx and VCR.py at each cassette size.

    nemokit at every size and the respx baseline are timed in one interleaved series, so a
    burst of load from elsewhere on the machine hits all of them alike.
    """
    calls, rounds, vcr_samples = (100, 2, 5) if quick else (1000, 7, 40)
    candidates = {"respx": _fetcher(_bare_respx(), _sample(1, 1))}
    for size in sizes:
        router = build_router(_cassette(size), allow_playback_repeats=True)
        client = httpx.Client(transport=httpx.MockTransport(router.handler))
        candidates[str(size)] = _fetcher(client, _sample(size, 200))
    best = interleaved(candidates, calls=calls, rounds=rounds)
    costs = {}
    with tempfile.TemporaryDirectory() as folder:
        for size in sizes:
            path = _vcr_file(size, pathlib.Path(folder))
            vcr_cost = _vcr_per_request(path, _sample(size, vcr_samples))
            costs[size] = [best[str(size)] * 1e6, best["respx"] * 1e6, vcr_cost * 1e6]
    return costs


def run(quick: bool = False) -> Result:
    """Per-request replay cost at each size; headline ratios at the largest size."""
    sizes = (100, 1000) if quick else (100, 1000, 10_000)
    costs = _measure(sizes, quick)
    rows = [[f"{size:,}", ours, bare_, vcr_, ours / bare_, vcr_ / ours]
            for size, (ours, bare_, vcr_) in costs.items()]  # fmt: skip
    largest = sizes[-1]
    ours, bare_cost, vcr_cost = costs[largest]
    spread = max(c[0] for c in costs.values()) / min(c[0] for c in costs.values())
    vs_respx, vs_vcr = ours / bare_cost, vcr_cost / ours
    met = spread <= FLAT and vs_respx <= VS_RESPX and (quick or vs_vcr >= VS_VCR)
    headers = ["interactions", "nemokit µs/req", "bare respx µs/req", "VCR.py µs/req",
               "× bare respx", "VCR.py ÷ nemokit"]  # fmt: skip
    return Result(
        name="Replay cost per request as the cassette grows",
        command=COMMAND + (" --quick" if quick else ""),
        table=table(headers, rows),
        headline=(
            f"at {largest:,}: {vs_respx:.2f}× bare respx (target ≤ {VS_RESPX}), "
            f"{vs_vcr:,.0f}× faster than VCR.py (target ≥ {VS_VCR:.0f} at 10,000); "
            f"slowest size ÷ fastest {spread:.2f} (flat: ≤ {FLAT})"
        ),
        met=met,
        notes=(
            "nemokit at each size and respx: best of 7 interleaved rounds of 1,000 requests "
            "(quick: 2 × 100); VCR.py: 40 requests (quick 5) spread over its cassette",
        ),
    )


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(__doc__ or "", argv)
    print(run(quick=args.quick).render())


if __name__ == "__main__":
    main()

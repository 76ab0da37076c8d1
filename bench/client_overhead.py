"""Client overhead: a state fetch through ``Nemo`` against the same request through ``httpx``.

Both clients talk to one ``httpx.MockTransport`` that answers with fixed bytes captured from the
mock, so the transport costs next to nothing and what remains is each client's own work: for
``Nemo``, building the request from its config, the flow driver, reading the envelope and the
``SessionState`` value; for the baseline, ``client.get(url, headers=...).json()``.

Target: ``Nemo.state()`` takes at most 1.2× the bare ``httpx.Client`` request.

    python -m bench.client_overhead [--quick]
"""

from __future__ import annotations

from collections.abc import Sequence

import httpx

from nemokit import contract
from nemokit._client import Nemo
from nemokit._clock import VirtualClock

from ._canned import CLIENT_ID, Captured, capture
from ._common import Result, interleaved, parse_args, table

__all__ = ["TARGET", "main", "run"]

TARGET = 1.2
COMMAND = "python -m bench.client_overhead"


def _transport(captured: Captured) -> httpx.MockTransport:
    by_path = {
        contract.PATH_ANONYMOUS_TOKEN: captured.answers[contract.PATH_ANONYMOUS_TOKEN],
        contract.PATH_SESSION: captured.answers[contract.PATH_SESSION],
        contract.PATH_CREDITS: captured.answers[contract.PATH_CREDITS],
        contract.PATH_STATE.format(sid=captured.session_id): captured.answers[contract.PATH_STATE],
    }

    def handler(request: httpx.Request) -> httpx.Response:
        return by_path[request.url.path].response()

    return httpx.MockTransport(handler)


def run(quick: bool = False) -> Result:
    """Measure both clients on one transport; the headline is Nemo's time over httpx's."""
    captured = capture()
    transport = _transport(captured)
    nemo = Nemo(
        captured.token, client_id=CLIENT_ID, transport=transport, clock=VirtualClock(), env={}
    )
    nemo.connect()  # the session exists before timing: only the state fetch is measured
    bare = httpx.Client(transport=transport)
    url = nemo.config.api_url + contract.PATH_STATE.format(sid=captured.session_id)
    headers = {
        contract.HEADER_SKILL_SOURCE: nemo.config.skill_source,
        contract.HEADER_SKILL_VERSION: nemo.config.skill_version,
        contract.HEADER_SKILL_PLATFORM: nemo.config.skill_platform,
        contract.HEADER_AUTHORIZATION: f"Bearer {captured.token}",
    }

    def through_httpx() -> object:
        return bare.get(url, headers=headers).json()["data"]

    calls, rounds = (200, 3) if quick else (2000, 7)
    try:
        best = interleaved({"nemo": nemo.state, "httpx": through_httpx}, calls=calls, rounds=rounds)
    finally:
        nemo.close()
        bare.close()
    ratio = best["nemo"] / best["httpx"]
    rows = [
        ["bare httpx.Client (baseline)", best["httpx"] * 1e6, 1.0],
        ["Nemo.state()", best["nemo"] * 1e6, ratio],
    ]
    return Result(
        name="Client overhead: a state fetch",
        command=COMMAND + (" --quick" if quick else ""),
        table=table(["client", "µs per state fetch (best round)", "× baseline"], rows),
        headline=f"Nemo.state() = {ratio:.2f}× bare httpx (target ≤ {TARGET}×)",
        met=ratio <= TARGET,
        notes=(f"{rounds} interleaved rounds of {calls} calls; httpx.MockTransport, fixed bytes",),
    )


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(__doc__ or "", argv)
    print(run(quick=args.quick).render())


if __name__ == "__main__":
    main()

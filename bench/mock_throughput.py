"""Mock throughput: credits and state on granian and uvicorn, against bare Starlette, WireMock
and Prism.

The mock and a bare Starlette app answering the same two paths with the *same bytes* (captured
from the mock in this run) are each served on 127.0.0.1 with the same settings (one process, no
access log): first on the server ``nemokit mock`` runs on by default (granian, embedded as the CLI
runs it, where the ``mock`` extra installed it), then on uvicorn's ``auto`` stack (uvloop and
httptools where installed). The mock also runs on the pure-Python stack (asyncio, h11), and under
a root path, where its hot path for the two GETs steps aside and Starlette routes them (what the
shortcut is worth). A separate load process (``wrk`` when installed, else ``python -m
bench._load``) keeps many keep-alive connections busy for a bounded time. Rounds alternate
between the servers and the best round of each counts.

WireMock 3.13 standalone (``bench._wiremock``: the jar of the npm package ``wiremock``, run by
``java``), stubbed with the mock's own bytes, takes its turn in the same rounds twice: as it
starts, its request journal on as the mock's is (the target's peer), and with no journal and no
request log (its fastest, recording nothing: shown, not judged). Prism (``npx
@stoplight/prism-cli mock`` of the mock's own ``/openapi.json``) is loaded the same way after
them. Either is skipped, with the reason printed, when it cannot start.

Targets: the mock's capacity ≥ 0.85× the bare app's; the mock's req/s ≥ 1.3× WireMock's (its
journal on) and ≥ 2.5× Prism's.

    python -m bench.mock_throughput [--quick]
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import httpx

from nemokit import contract
from nemokit.cli._servers import pick_server

from ._common import (
    Result,
    cpu_seconds,
    free_port,
    parse_args,
    serve,
    stack,
    table,
    wait_listening,
)
from ._wiremock import wiremock

__all__ = ["main", "run"]

COMMAND = "python -m bench.mock_throughput"
VS_BARE, VS_WIREMOCK, VS_PRISM = 0.85, 1.3, 2.5
WARM_UP = 8
ROUTED = "/routed"
CONNECTIONS = 64
PRISM_START_TIMEOUT = 180.0


@dataclass(frozen=True, slots=True)
class Load:
    """One load run: requests/s, requests served, failures (errors + non-2xx), server CPU."""

    rate: float
    requests: int
    failures: int
    cpu: float = 0.0

    @property
    def cpu_per_request(self) -> float:
        return self.cpu / self.requests if self.requests else float("inf")


def load(url: str, headers: dict[str, str], seconds: int, pid: int | None = None) -> Load:
    """``seconds`` of GET load on ``url`` from another process; ``pid``: the server's CPU use."""
    before = cpu_seconds(pid) if pid is not None else 0.0
    rate, requests, failures = (
        _wrk(url, headers, seconds) if shutil.which("wrk") else _py(url, headers, seconds)
    )
    cpu = cpu_seconds(pid) - before if pid is not None else 0.0
    return Load(rate, requests, failures, cpu)


def _wrk(url: str, headers: dict[str, str], seconds: int) -> tuple[float, int, int]:
    flags = [item for name, value in headers.items() for item in ("-H", f"{name}: {value}")]
    command = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", *flags, url]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate, requests = _number(r"Requests/sec:\s*([\d.]+)", out), _number(r"(\d+) requests in", out)
    failures = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses:\s*(\d+)", out))
    failures += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    return rate, int(requests), failures


def _number(pattern: str, text: str) -> float:
    found = re.search(pattern, text)
    if found is None:
        raise RuntimeError(f"unexpected load generator output: {text[:300]!r}")
    return float(found.group(1))


def _py(url: str, headers: dict[str, str], seconds: int) -> tuple[float, int, int]:
    flags = [f"--header={name}: {value}" for name, value in headers.items()]
    command = [sys.executable, "-m", "bench._load", url, f"--connections={CONNECTIONS}",
               f"--duration={seconds}", *flags]  # fmt: skip
    result = json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout)
    failures = result["errors"] + result["non_2xx"]
    return result["requests"] / result["seconds"], result["requests"], failures


def _account(base: str) -> tuple[dict[str, str], str, dict[str, list[str]]]:
    """A token and session on the running mock, and its answers to credits and state."""
    with httpx.Client(base_url=base) as client:
        token = client.post(
            contract.PATH_ANONYMOUS_TOKEN, headers={contract.HEADER_CLIENT_ID: "bench-load"}
        ).json()["data"]["token"]
        auth = {contract.HEADER_AUTHORIZATION: f"Bearer {token}"}
        sid = client.post(contract.PATH_SESSION, headers=auth, json={"task_name": "p"}).json()[
            "data"
        ]["session_id"]
        answers = {}
        for template in (contract.PATH_CREDITS, contract.PATH_STATE):
            response = client.get(template.format(sid=sid), headers=auth)
            answers[template] = [response.headers["content-type"], response.text]
    return auth, sid, answers


@contextlib.contextmanager
def prism(openapi_url: str) -> Iterator[str | None]:
    """Prism mocking ``openapi_url`` on a loopback port: its URL, or ``None`` (reason printed)."""
    npx = shutil.which("npx")
    if npx is None:
        print("Prism skipped: npx is not installed")
        yield None
        return
    port = free_port()
    command = [npx, "--yes", "@stoplight/prism-cli", "mock", "-h", "127.0.0.1", "-p", str(port),
               "--errors=false", openapi_url]  # fmt: skip
    # Its own session, so that npx and the node process it starts end together, by our pid.
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        wait_listening(process, port, PRISM_START_TIMEOUT)
    except RuntimeError as exc:
        reason = (process.stderr.read(300).decode(errors="replace") if process.poll() is not None
                  and process.stderr else "")  # fmt: skip
        print(f"Prism skipped: {exc} {reason}".strip())
        _end_group(process)
        yield None
        return
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        _end_group(process)


def _end_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


#: The servers in the order of the table: name, what it is.
SERVERS = {
    "mock": "the mock",
    "bare": "bare Starlette",
    "mock-routed": "the mock, no hot path",
    "mock-uvicorn": "the mock",
    "bare-uvicorn": "bare Starlette",
    "mock-pure": "the mock",
    "wiremock": "WireMock",
    "wiremock-lean": "WireMock, no journal",
    "prism": "Prism",
}


def run(quick: bool = False) -> Result:
    """CPU per request and requests/s of the mock, the bare app, WireMock and Prism."""
    seconds, rounds = (1, 1) if quick else (4, 3)
    warm_up = 1 if quick else WARM_UP
    paths = {"credits": contract.PATH_CREDITS, "state": contract.PATH_STATE}
    runs: dict[tuple[str, str], list[Load]] = {}
    # The server `nemokit mock` runs on by default (granian where installed), and uvicorn's.
    default = pick_server("auto")
    fast = stack(server=default)
    uvicorn_fast = stack()
    stacks = {"mock": fast, "bare": fast, "mock-routed": fast, "mock-uvicorn": uvicorn_fast,
              "bare-uvicorn": uvicorn_fast, "mock-pure": stack("asyncio", "h11")}  # fmt: skip
    with serve("bench._apps:mock", server=default) as mock_server:
        auth, sid, answers = _account(mock_server.url)
        env = {"BENCH_BARE_ANSWERS": json.dumps(answers)}
        concrete = {t.format(sid=sid): (kind, text) for t, (kind, text) in answers.items()}
        with contextlib.ExitStack() as started:
            bare_server = started.enter_context(serve("bench._apps:bare", env=env, server=default))
            # Under a root path the mock's hot path (mockserver/http/_hot.py) steps aside and
            # Starlette routes credits and state like every other request: the shortcut's worth.
            routed_server = started.enter_context(
                serve("bench._apps:mock", server=default, root_path=ROUTED)
            )
            others = {"mock-pure": started.enter_context(
                serve("bench._apps:mock", loop="asyncio", http="h11"))}  # fmt: skip
            if default != "uvicorn":
                others["mock-uvicorn"] = started.enter_context(serve("bench._apps:mock"))
                bare_uvicorn = started.enter_context(serve("bench._apps:bare", env=env))
            # WireMock as it starts (its request journal on, as the mock's), and with no journal
            # and no request log (its fastest), each a process of its own.
            wiremocks = {
                "wiremock": started.enter_context(wiremock(concrete, auth, install=not quick)),
                "wiremock-lean": started.enter_context(
                    wiremock(concrete, auth, install=not quick, journal=False)
                ),
            }
            wiremock_server, wiremock_info = wiremocks["wiremock"]
            servers = {"mock": (mock_server, auth, sid), "bare": (bare_server, auth, sid)}
            # Each other mock has its own state: its own account and session.
            routed_auth, routed_sid, _ = _account(routed_server.url)
            servers["mock-routed"] = (routed_server, routed_auth, routed_sid)
            for name, other in others.items():
                other_auth, other_sid, _ = _account(other.url)
                servers[name] = (other, other_auth, other_sid)
            if default != "uvicorn":
                servers["bare-uvicorn"] = (bare_uvicorn, auth, sid)
            servers = {name: servers[name] for name in SERVERS if name in servers}
            if wiremock_server is None:
                print(f"WireMock skipped: {wiremock_info}")
                wiremock_note = f"WireMock skipped: {wiremock_info}"
            else:
                for key, (server, info) in wiremocks.items():
                    if server is None:  # one started, the other not: said in its note
                        continue
                    servers[key] = (server, auth, sid)
                    stacks[key] = f"WireMock {info} standalone, {_java()}"
                    for template in paths.values():
                        load(server.url + template.format(sid=sid), auth, warm_up)
                lean = wiremocks["wiremock-lean"][0] is not None
                wiremock_note = (
                    f"WireMock {wiremock_info} standalone (the jar of the npm package wiremock), "
                    f"{_java()}: as it starts, its request journal on as the mock's is (the "
                    "target's peer: the configuration the issue measured at 15,202 req/s), and "
                    + ("with no request journal and no request logging, its fastest, recording "
                       "nothing (with its journal capped at 10,000 entries like the mock's it "
                       "served ~640 req/s on this machine); "
                       if lean else "not without its journal (it did not start); ")
                    + "stubbed with the mock's own bytes for the same paths and request headers; "
                    f"warmed up {warm_up} s per path first (its JIT needs ~15 s)"
                )  # fmt: skip
            for _ in range(rounds):
                for app, (server, headers, app_sid) in servers.items():
                    for name, template in paths.items():
                        url = server.url + template.format(sid=app_sid)
                        runs.setdefault((app, name), []).append(
                            load(url, headers, seconds, server.pid)
                        )
        prism_note = _prism_runs(mock_server.url, paths, sid, auth, seconds, runs, quick)
        if ("prism", "credits") in runs:
            stacks["prism"] = "Prism (npx @stoplight/prism-cli), Node"
    return _result(runs, stacks, (wiremock_note, prism_note), seconds, rounds)


def _java() -> str:
    done = subprocess.run(["java", "-version"], capture_output=True, text=True, check=False)
    first = (done.stderr or done.stdout).splitlines()
    found = re.search(r'version "([^"]+)"', first[0]) if first else None
    return f"Java {found.group(1)}" if found else "Java"


def _prism_runs(
    base: str,
    paths: dict[str, str],
    sid: str,
    auth: dict[str, str],
    seconds: int,
    runs: dict[tuple[str, str], list[Load]],
    quick: bool,
) -> str:
    if quick:
        return "Prism skipped in quick mode (npx may need to download it)"
    with prism(base + "/openapi.json") as prism_url:
        if prism_url is None:
            return "Prism skipped: it could not start (reason printed above)"
        for name, template in paths.items():
            url = prism_url + template.format(sid=sid)
            load(url, auth, 1)  # warm its lazy paths
            runs["prism", name] = [load(url, auth, seconds)]
    return "Prism: npx @stoplight/prism-cli mock of the mock's /openapi.json (req/s only)"


def _result(
    runs: dict[tuple[str, str], list[Load]],
    stacks: dict[str, str],
    baseline_notes: tuple[str, ...],
    seconds: int,
    rounds: int,
) -> Result:
    rows: list[list[object]] = []
    vs_bare, vs_routed, vs_wiremock, vs_lean, vs_prism = [], [], [], [], []
    # Prism answers some requests with its own 4xx (it validates against the OpenAPI document):
    # shown in its row, not counted as the measured servers' failures.
    failures = sum(r.failures for (app, _), rs in runs.items() if app != "prism" for r in rs)
    for name in ("credits", "state"):
        mock_rate = max(r.rate for r in runs["mock", name])
        mock_cpu = min(r.cpu_per_request for r in runs["mock", name])
        for app, label in SERVERS.items():
            if (app, name) not in runs:
                continue
            rate = max(r.rate for r in runs[app, name])
            cpu = min(r.cpu_per_request for r in runs[app, name]) if app != "prism" else 0.0
            if app == "bare":
                vs_bare.append(cpu / mock_cpu)
            elif app == "mock-routed":
                vs_routed.append(cpu / mock_cpu)
            elif app == "wiremock":
                vs_wiremock.append(mock_rate / rate)
            elif app == "wiremock-lean":
                vs_lean.append(mock_rate / rate)
            elif app == "prism":
                vs_prism.append(mock_rate / rate)
            failed = sum(r.failures for r in runs[app, name])
            shown_rate = f"{rate:,.0f} ({failed} non-2xx)" if app == "prism" else rate
            rows.append([name, label, stacks.get(app, "?"), shown_rate, cpu * 1e6 if cpu else "—",
                         "" if app == "mock" else mock_rate / rate,
                         "" if app == "mock" or not cpu else cpu / mock_cpu])  # fmt: skip
    met = failures == 0 and min(vs_bare) >= VS_BARE
    headline = (
        f"on {stacks['mock'].partition(',')[0]}: mock capacity = {min(vs_bare):.2f}× the bare "
        f"Starlette app's on the same server (target ≥ {VS_BARE})"
    )
    if vs_routed:
        headline += f"; the hot path saves {1 - 1 / min(vs_routed):.0%} CPU per request"
    if vs_wiremock:
        met = met and min(vs_wiremock) >= VS_WIREMOCK
        headline += (
            f"; {min(vs_wiremock):.2f}× WireMock's req/s, its journal on as the mock's (target ≥ "
            f"{VS_WIREMOCK})"
        )
    if vs_lean:  # shown, not judged: a WireMock that records nothing does less than the mock
        headline += f"; {min(vs_lean):.2f}× with its journal off"
    if vs_prism:
        met = met and min(vs_prism) >= VS_PRISM
        headline += f"; {min(vs_prism):.1f}× Prism's req/s (target ≥ {VS_PRISM})"
    tool = "wrk -t1" if shutil.which("wrk") else "python -m bench._load"
    headers = ["endpoint", "server", "stack", "req/s", "server CPU µs/req", "mock req/s ÷ this",
               "mock capacity ÷ this"]  # fmt: skip
    return Result(
        name="Mock throughput: the mock, bare Starlette, WireMock, Prism",
        command=COMMAND,
        table=table(headers, rows),
        headline=headline,
        met=met,
        notes=(
            f"load: {tool}, {CONNECTIONS} keep-alive connections, {seconds} s per run, {rounds} "
            "rounds alternating between the servers (best of each), all on 127.0.0.1; each server "
            f"1 process, no access log; {failures} failed requests",
            "the mock and bare Starlette run first on the server `nemokit mock` picks by default "
            "(granian where the mock extra installed it), then on uvicorn",
            "capacity = the server's CPU per request ÷ the mock's: what req/s would be if each "
            "server had the cores to itself (req/s on a shared 2-core machine also counts the "
            "time the load generator and other processes held the cores); WireMock is "
            "multi-threaded and may use both cores, the Python servers about one (granian parses "
            "HTTP on a Rust thread of its own, beside the Python one)",
            *baseline_notes,
        ),
    )


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(__doc__ or "", argv)
    print(run(quick=args.quick).render())


if __name__ == "__main__":
    main()

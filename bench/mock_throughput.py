"""Mock throughput: credits and state under uvicorn, against a bare Starlette app and Prism.

The mock and a bare Starlette app answering the same two paths with the *same bytes* (captured
from the mock in this run) are each served by ``uvicorn`` on 127.0.0.1 with the same settings
(one process, no access log). A separate load process (``wrk`` when installed, else
``python -m bench._load``) keeps many keep-alive connections busy for a bounded time. Rounds
alternate between the two apps and the best round of each counts.

Prism (``npx @stoplight/prism-cli mock`` of the mock's own ``/openapi.json``) is loaded the same
way when npm can start it; otherwise it is skipped with the reason printed.

Targets: the mock ≥ 0.85× the bare app's requests/s; the mock ≥ 2.5× Prism's.

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

from ._common import Result, cpu_seconds, free_port, parse_args, serve, table, wait_listening

__all__ = ["main", "run"]

COMMAND = "python -m bench.mock_throughput"
VS_BARE, VS_PRISM = 0.85, 2.5
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


def run(quick: bool = False) -> Result:
    """CPU per request and requests/s of the mock, the bare app and Prism on credits and state."""
    seconds, rounds = (1, 1) if quick else (4, 3)
    paths = {"credits": contract.PATH_CREDITS, "state": contract.PATH_STATE}
    runs: dict[tuple[str, str], list[Load]] = {}
    with serve("bench._apps:mock") as mock_server:
        auth, sid, answers = _account(mock_server.url)
        env = {"BENCH_BARE_ANSWERS": json.dumps(answers)}
        with serve("bench._apps:bare", env=env) as bare_server:
            servers = {"mock": mock_server, "bare": bare_server}
            for _ in range(rounds):
                for app, server in servers.items():
                    for name, template in paths.items():
                        url = server.url + template.format(sid=sid)
                        runs.setdefault((app, name), []).append(
                            load(url, auth, seconds, server.pid)
                        )
        prism_note = _prism_runs(mock_server.url, paths, sid, auth, seconds, runs, quick)
    return _result(runs, prism_note, quick, seconds, rounds)


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
    runs: dict[tuple[str, str], list[Load]], prism_note: str, quick: bool, seconds: int, rounds: int
) -> Result:
    rows: list[list[object]] = []
    ratios, prism_ratios = [], []
    failures = sum(r.failures for (app, _), rs in runs.items() if app != "prism" for r in rs)
    for name in ("credits", "state"):
        mock_cpu = min(r.cpu_per_request for r in runs["mock", name])
        bare_cpu = min(r.cpu_per_request for r in runs["bare", name])
        mock_rate = max(r.rate for r in runs["mock", name])
        bare_rate = max(r.rate for r in runs["bare", name])
        ratios.append(bare_cpu / mock_cpu)
        prism = runs.get(("prism", name), [])
        prism_rate = max((r.rate for r in prism), default=0.0)
        prism_failed = sum(r.failures for r in prism)
        if prism_rate:
            prism_ratios.append(mock_rate / prism_rate)
        rows.append([name, mock_cpu * 1e6, bare_cpu * 1e6, bare_cpu / mock_cpu, mock_rate,
                     bare_rate, mock_rate / bare_rate,
                     f"{prism_rate:,.0f} ({prism_failed} non-2xx)" if prism else "—",
                     f"{mock_rate / prism_rate:.1f}" if prism_rate else "—"])  # fmt: skip
    worst = min(ratios)
    met = worst >= VS_BARE and failures == 0
    headline = f"mock capacity = {worst:.2f}× the bare Starlette app's (target ≥ {VS_BARE})"
    if prism_ratios:
        met = met and min(prism_ratios) >= VS_PRISM
        headline += f"; {min(prism_ratios):.1f}× Prism's req/s (target ≥ {VS_PRISM})"
    tool = "wrk -t1" if shutil.which("wrk") else "python -m bench._load"
    headers = ["endpoint", "mock CPU µs/req", "bare CPU µs/req", "capacity ÷ bare", "mock req/s",
               "bare req/s", "req/s ÷ bare", "Prism req/s", "mock ÷ Prism"]  # fmt: skip
    return Result(
        name="Mock throughput under uvicorn",
        command=COMMAND + (" --quick" if quick else ""),
        table=table(headers, rows),
        headline=headline,
        met=met,
        notes=(
            f"load: {tool}, {CONNECTIONS} connections, {seconds} s per run, {rounds} alternating "
            f"rounds (best of each); uvicorn 1 process, no access log; {failures} failed requests",
            "capacity = the bare app's server CPU per request ÷ the mock's: what req/s would be "
            "if each server had a core to itself (req/s on a shared 2-core machine also counts "
            "time the load generator and other processes held the cores)",
            prism_note,
        ),
    )


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(__doc__ or "", argv)
    print(run(quick=args.quick).render())


if __name__ == "__main__":
    main()

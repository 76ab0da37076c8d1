"""What every benchmark shares: the command line, timing, tables, loopback servers, memory.

Absolute times on a shared 2-core machine are noise, so each benchmark reports a *ratio*
measured in the same run against a baseline. Timings here interleave candidate and baseline
rounds (so a burst of background load hits both) and keep the best round of each (the least
disturbed estimate of the cost itself).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

__all__ = [
    "Result",
    "Server",
    "cpu_seconds",
    "free_port",
    "interleaved",
    "machine",
    "parse_args",
    "per_call",
    "percentile",
    "rss_bytes",
    "serve",
    "stack",
    "stop",
    "table",
    "wait_listening",
]


@dataclass(frozen=True, slots=True)
class Result:
    """One benchmark's outcome: its table (markdown), the headline and whether targets were met.

    ``met`` is ``None`` when a target could not be measured (its reason is in ``notes``).
    """

    name: str
    command: str
    table: str
    headline: str
    met: bool | None
    notes: tuple[str, ...] = field(default=())

    def render(self) -> str:
        """The result as printed and as written into ``docs/benchmarks.md``."""
        verdict = {True: "met", False: "MISSED", None: "not measured"}[self.met]
        lines = [f"### {self.name}", "", f"`{self.command}`", "", self.table, ""]
        lines.append(f"**{self.headline}** — target {verdict}.")
        lines.extend(f"- {note}" for note in self.notes)
        return "\n".join(lines) + "\n"


def parse_args(description: str, argv: Sequence[str] | None = None) -> argparse.Namespace:
    """``--quick``: a short run that only proves the benchmark works."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="a short run (CI): proves it runs")
    return parser.parse_args(argv)


# --- timing ---------------------------------------------------------------------------------


def per_call(fn: Callable[[], object], calls: int) -> float:
    """Seconds per call of ``fn`` over ``calls`` calls (one round)."""
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls


def interleaved(
    candidates: dict[str, Callable[[], object]], *, calls: int, rounds: int
) -> dict[str, float]:
    """Best seconds per call of each candidate, the candidates' rounds taken in turn."""
    for fn in candidates.values():  # warm caches, imports and lazy paths before measuring
        per_call(fn, max(1, calls // 10))
    best = {name: float("inf") for name in candidates}
    for _ in range(rounds):
        for name, fn in candidates.items():
            best[name] = min(best[name], per_call(fn, calls))
    return best


def percentile(values: Sequence[float], share: float) -> float:
    """The ``share`` (0..1) percentile of ``values`` by the nearest-rank method."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))
    return ordered[rank]


# --- tables ---------------------------------------------------------------------------------


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A markdown table, columns padded so it also reads well in a terminal."""
    cells = [[str(h) for h in headers], *[[_cell(v) for v in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(cells[0]), rule, *(line(r) for r in cells[1:])])


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def machine() -> str:
    """The machine a run happened on: cores, CPU model, Python."""
    model = platform.processor() or "unknown CPU"
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as info:
        for text in info:
            if text.startswith("model name"):
                model = text.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} cores, {model}, Python {platform.python_version()}"


# --- loopback servers -----------------------------------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True, slots=True)
class Server:
    """A server process on 127.0.0.1: its ``pid`` (for memory) and ``url``."""

    pid: int
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextlib.contextmanager
def serve(
    factory: str,
    *,
    env: dict[str, str] | None = None,
    ready_timeout: float = 20.0,
    server: str = "uvicorn",
    loop: str = "auto",
    http: str = "auto",
    root_path: str | None = None,
) -> Iterator[Server]:
    """Run the app ``factory`` (``MODULE:FUNC``) in its own process on a free loopback port.

    ``server``: ``uvicorn`` or ``granian``, run as ``nemokit mock`` runs it (:mod:`bench._serve`);
    ``loop`` and ``http`` as uvicorn takes them (``auto``: uvloop and httptools where installed,
    see :func:`stack`).
    Every app on one server gets the same settings, so two apps are compared and not two
    configurations. The process is ended (by its pid) on exit.
    """
    port = free_port()
    command = [sys.executable, "-m", "bench._serve", server, factory, str(port), loop, http]
    command += [root_path] if root_path else []
    process = subprocess.Popen(command, env={**os.environ, **(env or {})})
    try:
        wait_listening(process, port, ready_timeout)
        yield Server(process.pid, port)
    finally:
        stop(process)


def stack(loop: str = "auto", http: str = "auto", server: str = "uvicorn") -> str:
    """The server stack :func:`serve` runs on with these settings, e.g. ``uvicorn 0.35.0,
    uvloop, httptools`` or ``granian 2.8.9 (HTTP in Rust), uvloop`` (what ``nemokit mock``
    prints at start-up)."""
    from nemokit.cli._servers import server_line

    return server_line("granian" if server == "granian" else "uvicorn", loop=loop, http=http)


def stop(process: subprocess.Popen[bytes]) -> None:
    """End a process we started: SIGINT (a clean uvicorn shutdown), then SIGKILL."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_listening(process: subprocess.Popen[bytes], port: int, timeout: float) -> None:
    """Return once something listens on ``port``; ``RuntimeError`` if ``process`` exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with status {process.returncode} on start")
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"the server did not listen on 127.0.0.1:{port} within {timeout:g} s")


def rss_bytes(pid: int) -> int:
    """Resident memory of process ``pid`` in bytes (Linux ``/proc``; 0 when unreadable)."""
    with contextlib.suppress(OSError), open(f"/proc/{pid}/status", encoding="ascii") as status:
        for text in status:
            if text.startswith("VmRSS:"):
                return int(text.split()[1]) * 1024
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time process ``pid`` has used (Linux ``/proc``; 0 when unreadable).

    On a shared machine a server's CPU time per request is a steadier measure of its cost than
    requests/s, which also counts the time other processes held the cores.
    """
    with contextlib.suppress(OSError, ValueError, IndexError):
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return 0.0

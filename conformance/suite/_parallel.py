"""Rules checked in worker processes: ``run_suite(..., workers=N)``.

A rule on the ``live`` backend mostly waits on the mock's scaled clock (the Node driver's ci
profile: ~50 s of wall time for ~19 s of CPU), and on the ``mock`` backend it is CPU-bound, so N
rules at a time finish up to N times sooner. Each worker is a process of its own (hypothesis is
not meant to be shared by threads), started with ``spawn`` so that nothing the parent holds (the
loopback server's thread, a kept driver program, pipe readers) is copied half-alive; it builds
its own client and, on ``live``, its own loopback mock. It checks whole rules with
:func:`~conformance.suite._suite.check_rule`, as a serial run does, and the ``ci`` profile is
derandomized by the property's source, not the process, so the same examples are drawn and the
results are the same; they are returned in the order the rules were given.

The slowest rules go first (:data:`SLOW_FIRST`), so that the last one to finish is a short one.

A worker that dies (its process exits before it reports) or hangs (starts no new example for
``idle_timeout`` real seconds) is stopped; the rule it was checking is reported as an ``error``
that says so, never dropped and never passed, and a new worker takes the rules left.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import pickle
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import httpx
from hypothesis import settings

from conformance.drivers._protocol import AdapterFactory, ClientAdapter
from nemokit._clock import Clock

from ._rules import Rule, rule_by_id
from ._suite import PROFILES, RuleResult, check_rule

__all__ = ["IDLE_TIMEOUT", "SLOW_FIRST", "check_in_workers", "worker_count"]

#: Real seconds a worker may go without starting a new example before it counts as hung. A
#: driver step already times out after 60 s (``DEFAULT_STEP_TIMEOUT``) and a scenario has a
#: handful of steps, so a worker silent this long is stuck in the harness itself.
IDLE_TIMEOUT = 600.0
#: The rules that take longest, longest first (the Node driver's ci profile on the live backend:
#: S10 ~10 s, S4 ~7 s, R8 and R7 ~4 s, T2 and T3 ~2-3 s; the rest ~1-2 s each). Only the order
#: of the work depends on it, never a result.
SLOW_FIRST = ("S10", "S4", "R8", "R7", "T2", "T3", "S3")
#: How long a worker told to stop may take to end its client (a driver's ``quit``: 5 s).
_JOIN_TIMEOUT = 10.0


def worker_count(value: str | int) -> int:
    """Workers from ``"auto"`` (the cores this process may use) or a count of at least 1;
    ``ValueError`` otherwise, saying what is accepted."""
    if value == "auto":
        if hasattr(os, "sched_getaffinity"):  # the cores this process may run on (Linux)
            return max(len(os.sched_getaffinity(0)), 1)
        return os.cpu_count() or 1
    try:
        count = int(value)
    except (TypeError, ValueError):
        count = 0
    if count < 1 or str(value).strip() != str(count):
        raise ValueError(f"workers must be 'auto' or a whole number of at least 1, not {value!r}")
    return count


def check_in_workers(
    rules: Sequence[Rule],
    factory: AdapterFactory,
    *,
    workers: int,
    profile: str = "ci",
    backend: str = "mock",
    client: str | None = None,
    idle_timeout: float = IDLE_TIMEOUT,
) -> list[RuleResult]:
    """Each of ``rules`` checked by :func:`check_rule` in one of ``workers`` processes; the
    results in the order of ``rules``. ``factory`` must pickle (a module-level function, or
    :func:`~conformance.drivers.driver_factory`'s factory): each worker unpickles its own."""
    try:
        pickle.dumps(factory)
    except Exception as exc:
        raise ValueError(
            f"workers={workers} hands the client factory to worker processes, and {factory!r} "
            f"does not pickle ({type(exc).__name__}: {exc}): use a module-level function or "
            "driver_factory(...), or workers=1"
        ) from None
    crew = _Crew(factory, PROFILES[profile], profile, backend, client, idle_timeout)
    return crew.run(list(rules), workers)


@dataclass(slots=True)
class _Worker:
    proc: BaseProcess
    conn: Connection
    #: The index (in the caller's list) and rule being checked; None once told to stop.
    job: tuple[int, Rule] | None
    started: float
    heard: float


class _Crew:
    """The parent's side: hands out rules, collects results, replaces a worker that is lost."""

    def __init__(
        self,
        factory: AdapterFactory,
        profile_settings: settings,
        profile: str,
        backend: str,
        client: str | None,
        idle_timeout: float,
    ) -> None:
        self._args = (factory, profile, profile_settings, backend, client)
        self._idle_timeout = idle_timeout
        self._context = multiprocessing.get_context("spawn")
        self._pending: deque[tuple[int, Rule]] = deque()
        self._results: dict[int, RuleResult] = {}
        self._busy: list[_Worker] = []
        self._retired: list[_Worker] = []

    def run(self, rules: list[Rule], workers: int) -> list[RuleResult]:
        slow = {rule_id: rank for rank, rule_id in enumerate(SLOW_FIRST)}
        order = sorted(enumerate(rules), key=lambda job: slow.get(job[1].id, len(slow)))
        self._pending.extend(order)
        try:
            for _ in range(min(workers, len(order))):
                self._spawn()
            while self._busy:
                self._serve_once()
            for worker in self._retired:
                worker.proc.join(_JOIN_TIMEOUT)
        finally:
            for worker in self._busy + self._retired:
                _stop(worker)
        return [self._results[index] for index in range(len(rules))]

    def _spawn(self) -> None:
        """A new worker, handed the next rule at once (so every start is paid for by a rule:
        a worker that dies on start costs one rule's error, never a loop)."""
        parent, child = self._context.Pipe()
        proc = self._context.Process(
            target=_work, args=(child, *self._args), name="conformance-worker", daemon=True
        )
        proc.start()
        child.close()  # the worker holds the other end now: its exit is our end's EOF
        now = time.monotonic()
        worker = _Worker(proc, parent, None, now, now)
        self._busy.append(worker)
        self._hand_next(worker)

    def _hand_next(self, worker: _Worker) -> None:
        if not self._pending:
            worker.job = None
            self._busy.remove(worker)
            self._retired.append(worker)
            _send(worker, None)
            return
        job = self._pending.popleft()
        worker.started = worker.heard = time.monotonic()
        if _send(worker, job[1].id):
            worker.job = job
        else:  # it died after its last result: the rule goes to its replacement
            self._pending.appendleft(job)
            worker.job = None
            self._lost(worker, "exited")

    def _serve_once(self) -> None:
        now = time.monotonic()
        wake = min(w.heard for w in self._busy) + self._idle_timeout
        handles: list[Any] = [w.conn for w in self._busy] + [w.proc.sentinel for w in self._busy]
        wait(handles, timeout=max(wake - now, 0.0))
        for worker in list(self._busy):
            self._read(worker)
        now = time.monotonic()
        for worker in list(self._busy):
            if worker.job is not None and now - worker.heard > self._idle_timeout:
                self._lost(
                    worker,
                    f"started no new example for {self._idle_timeout:g} s (hung) and was stopped",
                )

    def _read(self, worker: _Worker) -> None:
        """Every message the worker has sent; a worker whose pipe ended is lost."""
        while worker in self._busy:
            try:
                if not worker.conn.poll():
                    break
                message = worker.conn.recv()
            except (EOFError, OSError):
                self._lost(worker, "exited")
                return
            except Exception as exc:  # a message cut short or that does not unpickle
                self._lost(worker, f"sent what could not be read ({type(exc).__name__}: {exc})")
                return
            worker.heard = time.monotonic()
            if message[0] == "result" and worker.job is not None:
                index, rule = worker.job
                self._results[index] = RuleResult(rule, **message[1])
                self._hand_next(worker)
        # Dead with nothing left to read (what it sent before it died is read above first).
        if worker in self._busy and not worker.proc.is_alive() and not worker.conn.poll():
            self._lost(worker, "exited")

    def _lost(self, worker: _Worker, what: str) -> None:
        """``worker`` crashed or hung: its rule is an error, and a new worker takes over."""
        _stop(worker)
        self._busy.remove(worker)
        if worker.job is not None:
            index, rule = worker.job
            status = worker.proc.exitcode
            code = f" (exit status {status})" if status is not None else ""
            self._results[index] = RuleResult(
                rule,
                self._args[3],
                "error",
                seconds=time.monotonic() - worker.started,
                error=(
                    f"the worker process checking {rule.id} {what}{code} before it reported a "
                    "result: the rule was not judged"
                ),
            )
        if self._pending:
            self._spawn()


def _send(worker: _Worker, message: str | None) -> bool:
    try:
        worker.conn.send(message)
    except (OSError, ValueError):  # the worker is gone
        return False
    return True


def _stop(worker: _Worker) -> None:
    if worker.proc.is_alive():
        worker.proc.kill()
    worker.proc.join(_JOIN_TIMEOUT)
    worker.conn.close()


# --- the worker's side ------------------------------------------------------------------------


def _work(
    conn: Connection,
    factory: AdapterFactory,
    profile: str,
    profile_settings: settings,
    backend: str,
    client: str | None,
) -> None:
    """A worker process: check each rule id received until ``None``, sending each result."""
    # The parent's profile table, as it was at the call (a caller may have added a profile).
    PROFILES[profile] = profile_settings
    heartbeat = _Heartbeat(factory, conn)
    try:
        while (rule_id := conn.recv()) is not None:
            result = check_rule(
                rule_by_id(rule_id), heartbeat, profile=profile, backend=backend, client=client
            )
            fields = {f.name: getattr(result, f.name) for f in dataclasses.fields(result)}
            del fields["rule"]  # a rule holds local functions, which do not pickle: sent by id
            heartbeat.send(("result", fields))
    except (EOFError, KeyboardInterrupt):
        pass  # the parent has gone, or the run was interrupted: nothing left to report to
    finally:
        close = getattr(factory, "close_kept_program", None)
        if callable(close) and not isinstance(factory, type):
            close()


class _Heartbeat:
    """The factory, telling the parent each time an example makes a client (so a worker that
    stops making them can be told apart from one checking a slow rule)."""

    def __init__(self, factory: AdapterFactory, conn: Connection) -> None:
        self._factory, self._conn, self._lock = factory, conn, threading.Lock()

    def send(self, message: object) -> None:
        with self._lock:
            self._conn.send(message)

    def __call__(
        self, transport: httpx.BaseTransport, clock: Clock, env: dict[str, str], config_dir: Path
    ) -> ClientAdapter:
        self.send(("example",))
        return self._factory(transport, clock, env, config_dir)

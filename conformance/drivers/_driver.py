"""The driver protocol (docs/driver-protocol.md): any program as a conformance client.

:class:`DriverAdapter` implements the suite's Python adapter protocol (``run_step(step) ->
list[Shown]``, ``close()``) over a subprocess that reads one JSON step per line on stdin and
writes one JSON view per line on stdout, ending each step with ``{"kind": "done"}``. Reads go
through a reader thread and a queue so that a silent or hung program times out instead of
blocking the suite. stderr is kept as the program's log (``logs``) for the secret rules.

:func:`driver_factory` turns a command into the suite's adapter factory
``factory(transport, clock, env, config_dir)``. A program in another process cannot share a
virtual clock or an in-process transport: it talks to a
:class:`~conformance.drivers._live_mock.LiveMock` (a mock served on loopback with a
:class:`~nemokit._clock.ScaledClock`), whose URL is ``NEMO_API_URL`` and whose scale is
``NEMO_TIME_SCALE``.

The program's stderr is also logged (``conformance.driver``, DEBUG), so the suite's log capture
holds it and the secret rule judges it like a Python client's log.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import queue
import shlex
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from conformance.cassettes._redact import SECRET_RE
from nemokit import contract
from nemokit._clock import Clock

from ._protocol import Shown, Step

__all__ = [
    "SHOWN_KINDS",
    "DriverAdapter",
    "DriverError",
    "DriverFactory",
    "DriverPool",
    "driver_env",
    "driver_factory",
    "redact",
]

#: The ``kind`` values a driver may print (besides ``done``).
SHOWN_KINDS = frozenset(
    {
        "notice",
        "reply",
        "progress",
        "changes",
        "tracks",
        "credits",
        "uploaded",
        "video_ready",
        "project_link",
        "problem",
    }
)
DEFAULT_STEP_TIMEOUT = 60.0
QUIT_TIMEOUT = 5.0
#: Variables passed through from the suite's own environment (so ``node`` is found); nothing
#: else leaks in, least of all a ``NEMO_TOKEN`` the person running the suite has set.
_PASS_THROUGH = ("PATH", "SYSTEMROOT", "LANG", "LC_ALL", "TMPDIR", "TEMP", "TMP")
_LOG_LINES = 10_000
_EOF = None
_LOGGER = logging.getLogger("conformance.driver")


class DriverError(RuntimeError):
    """The program broke the driver protocol: it died, hung, or printed something not JSON.
    The message never holds a token (they are redacted)."""


def redact(text: str) -> str:
    """``text`` with every API token and claim token replaced by ``[redacted]``."""
    return SECRET_RE.sub("[redacted]", text)


class DriverAdapter:
    """One program run under the driver protocol; a ``restart`` step starts it again.

    :param argv: the command (already split).
    :param env: the program's environment on top of ``PATH`` and the locale.
    :param cwd: the base of relative upload paths (the run's config dir); the program itself
        runs in the suite's working directory, so a relative command path works.
    :param step_timeout: real seconds a step may take before the program is stopped.
    """

    def __init__(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str],
        cwd: Path,
        step_timeout: float = DEFAULT_STEP_TIMEOUT,
        pool: DriverPool | None = None,
    ) -> None:
        if not argv:
            raise DriverError("the driver command is empty")
        self.argv = tuple(argv)
        self.env = dict(env)
        self.cwd = cwd
        self.step_timeout = step_timeout
        self.pool = pool
        #: The program said (``"reset": true`` on a ``done``) that it understands ``reset``.
        self.resettable = False
        self._log: deque[str] = deque(maxlen=_LOG_LINES)
        self._proc: subprocess.Popen[str] | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._line_no = 0
        self._threads: list[threading.Thread] = []
        self._sink = _Sink(self)

    def __repr__(self) -> str:
        running = self._proc is not None and self._proc.poll() is None
        return f"DriverAdapter(argv={self.argv!r}, running={running})"

    @property
    def logs(self) -> tuple[str, ...]:
        """Every line the program wrote on stderr, across restarts."""
        return tuple(self._log)

    def run_step(self, step: Step) -> list[Shown]:
        """Send ``step`` and collect what the program showed until its ``done``."""
        if step.op == "restart":
            self._stop()
            self._start()
            return []
        if self._proc is None and not self._adopt():
            self._start()
        self._send(_step_message(step, self.cwd))
        return self._until_done(step)

    def close(self) -> None:
        """Send ``quit`` and wait for the program to exit (terminate it if it does not); or,
        with a pool and a program that understands ``reset``, park it there for the next run."""
        if self.pool is not None and self.resettable and self._alive():
            proc, self._proc = self._proc, None
            assert proc is not None
            self.pool.park(Parked(proc, self._lines, self._threads, self._sink))
            return
        self._stop()

    def _alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def _adopt(self) -> bool:
        """Take a parked program from the pool and ``reset`` it to this run's environment;
        False when there is none or it failed to reset (it is stopped then)."""
        parked = self.pool.take() if self.pool is not None else None
        if parked is None:
            return False
        self._proc, self._lines, self._threads, self._line_no = (
            parked.proc, parked.lines, parked.threads, 0)  # fmt: skip
        self._sink = parked.sink
        self._sink.adapter = self  # its stderr is this run's log from now on
        try:
            self._send({"op": "reset", "env": self.env})
            self._until_done(_RESET)
        except DriverError as exc:
            _LOGGER.debug("a parked driver failed to reset; starting a new one: %s", exc)
            self._stop(kill=True)
            return False
        return True

    # --- the process ---------------------------------------------------------------------

    def _start(self) -> None:
        try:
            proc = subprocess.Popen(  # noqa: S603 (running the user's own client is the point)
                self.argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                errors="replace",
                bufsize=1,
                env=self.env,
            )
        except OSError as exc:
            raise DriverError(f"could not start the driver {self.argv[0]!r}: {exc}") from None
        self._proc, self._lines, self._line_no = proc, queue.Queue(), 0
        self._sink = _Sink(self)
        assert proc.stdout is not None
        assert proc.stderr is not None
        self._threads = [
            threading.Thread(target=_pump, args=(proc.stdout, self._lines.put), daemon=True),
            threading.Thread(target=_pump, args=(proc.stderr, self._sink.put), daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def _log_line(self, line: str | None) -> None:
        if line is not None:
            self._log.append(line.rstrip("\n"))
            # Raw on purpose: the secret rule must see a token the program leaked.
            _LOGGER.debug("driver stderr: %s", line.rstrip("\n"))

    def _stop(self, *, kill: bool = False) -> None:
        """End the program: ``quit`` and a wait (or at once with ``kill``), then the pipes."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if kill and proc.poll() is None:
            proc.kill()
        try:
            if proc.poll() is None and proc.stdin is not None:
                proc.stdin.write('{"op": "quit"}\n')
                proc.stdin.flush()
        except OSError:
            pass  # it is already gone; wait() below collects it
        try:
            proc.wait(QUIT_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(QUIT_TIMEOUT)
        for thread in self._threads:
            thread.join(QUIT_TIMEOUT)
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):  # a broken pipe: nothing left to flush
                    stream.close()

    def _send(self, message: Mapping[str, Any]) -> None:
        proc = self._proc
        assert proc is not None
        assert proc.stdin is not None
        try:
            proc.stdin.write(json.dumps(message, ensure_ascii=False) + "\n")
            proc.stdin.flush()
        except OSError:
            raise self._died("before it read the step") from None

    # --- reading what the user sees ---------------------------------------------------------

    def _until_done(self, step: Step) -> list[Shown]:
        shown: list[Shown] = []
        deadline = time.monotonic() + self.step_timeout
        while True:
            left = deadline - time.monotonic()
            try:
                line = self._lines.get(timeout=max(left, 0.001))
            except queue.Empty:
                self._stop(kill=True)
                raise DriverError(
                    f"the driver printed no {{'kind': 'done'}} within {self.step_timeout:g} s "
                    f"of the step {_describe(step)}; it was stopped{self._tail()}"
                ) from None
            if line is _EOF:
                raise self._died(f"during the step {_describe(step)}")
            self._line_no += 1
            view = self._parse(line)
            if view is None:
                return shown
            shown.append(view)

    def _parse(self, line: str) -> Shown | None:
        """The view on one stdout line; ``None`` for ``done``; DriverError for anything else."""
        stripped = line.strip()
        try:
            data = json.loads(stripped)
        except ValueError:
            data = None
        if not isinstance(data, dict) or not isinstance(data.get("kind"), str):
            raise DriverError(
                f"stdout line {self._line_no} is not a JSON object with a string 'kind': "
                f"{redact(stripped)[:200]!r} (print logs on stderr, views as JSON on stdout)"
            )
        kind = data["kind"]
        if kind == "done":
            self.resettable = data.get("reset") is True
            return None
        if kind not in SHOWN_KINDS:
            raise DriverError(
                f"stdout line {self._line_no} has an unknown kind {redact(kind)[:40]!r}; "
                f"known: {', '.join(sorted(SHOWN_KINDS))}, done"
            )
        text = data.get("text", "")
        if not isinstance(text, str):
            raise DriverError(f"stdout line {self._line_no}: 'text' must be a string")
        return Shown(kind, text)

    def _died(self, when: str) -> DriverError:
        proc = self._proc
        code = proc.wait(QUIT_TIMEOUT) if proc is not None else None
        self._stop()  # joins the readers (so the log is complete) and closes the pipes
        return DriverError(f"the driver exited with status {code} {when}{self._tail()}")

    def _tail(self) -> str:
        last = [redact(line)[:300] for line in list(self._log)[-5:]]
        return "; last stderr lines:\n  " + "\n  ".join(last) if last else ""


_RESET = Step("say", "(reset)")


@dataclass(frozen=True, slots=True)
class Parked:
    """A running program between two runs, with its pipes' readers and its log so far."""

    proc: subprocess.Popen[str]
    lines: queue.Queue[str | None]
    threads: list[threading.Thread]
    sink: _Sink


class _Sink:
    """Where a program's stderr lines go: the adapter of the run it serves now."""

    def __init__(self, adapter: DriverAdapter) -> None:
        self.adapter = adapter

    def put(self, line: str | None) -> None:
        self.adapter._log_line(line)


class DriverPool:
    """At most one idle program, kept between runs of a factory so that the next run resets it
    instead of starting a new process (node alone takes ~0.15 s to start)."""

    def __init__(self) -> None:
        self._parked: Parked | None = None
        self._lock = threading.Lock()
        atexit.register(self.close)

    def park(self, parked: Parked) -> None:
        with self._lock:
            previous, self._parked = self._parked, parked
        if previous is not None:
            _end(previous)

    def take(self) -> Parked | None:
        with self._lock:
            parked, self._parked = self._parked, None
        if parked is not None and parked.proc.poll() is not None:
            _end(parked)
            return None
        return parked

    def close(self) -> None:
        """Quit the parked program, if any."""
        parked = self.take()
        if parked is not None:
            _end(parked)


def _end(parked: Parked) -> None:
    adapter = DriverAdapter(["(parked)"], env={}, cwd=Path("."))
    adapter._proc, adapter._threads = parked.proc, parked.threads
    adapter._stop()


def _pump(stream: Any, put: Callable[[str | None], None]) -> None:
    """Copy ``stream``'s lines to ``put``, then ``None`` at its end."""
    try:
        for line in stream:
            put(line)
    except (OSError, ValueError):
        pass  # closed under us by _stop
    finally:
        put(_EOF)


def _step_message(step: Step, base: Path) -> dict[str, Any]:
    if step.op == "upload":
        files = [
            str(Path(f) if Path(f).is_absolute() else (base / f).resolve()) for f in step.files
        ]
        return {"op": "upload", "files": files, "text": step.text}
    return {"op": "say", "text": step.text}


def _describe(step: Step) -> str:
    if step is _RESET:
        return "reset"
    if step.op == "upload":
        return f"upload {list(step.files)!r}"
    return f"say {redact(step.text)[:80]!r}"


# --- the suite's adapter factory ------------------------------------------------------------


def driver_factory(
    cmd: str | Sequence[str],
    *,
    api_url: str | None = None,
    web_url: str | None = None,
    time_scale: float | None = None,
    step_timeout: float = DEFAULT_STEP_TIMEOUT,
    reuse: bool = True,
) -> DriverFactory:
    """The adapter factory for a program: ``factory(transport, clock, env, config_dir)``.

    ``reuse``: a program that says it understands ``reset`` (docs/driver-protocol.md) is kept
    between runs and reset instead of started anew; ``factory.close_kept_program()`` ends the kept
    one (``run_suite`` calls it when it is done).

    ``transport`` is ignored (the program opens its own connections). ``NEMO_API_URL`` comes
    from ``env`` or ``api_url``; the scale from ``time_scale`` or the clock's ``scale`` (a
    :class:`~nemokit._clock.ScaledClock`). ``env`` may add ``NEMO_TOKEN`` or ``SKILL_SOURCE``.
    """
    argv = shlex.split(cmd) if isinstance(cmd, str) else list(cmd)
    if not argv:
        raise DriverError("the driver command is empty")
    return DriverFactory(
        tuple(argv),
        api_url=api_url,
        web_url=web_url,
        time_scale=time_scale,
        step_timeout=step_timeout,
        reuse=reuse,
    )


class DriverFactory:
    """What :func:`driver_factory` returns: the suite's adapter factory for one command.

    It pickles (its settings, not its kept program), so ``run_suite(..., workers=N)`` can hand it
    to worker processes: each unpickled copy keeps a program of its own.
    """

    def __init__(
        self,
        argv: tuple[str, ...],
        *,
        api_url: str | None,
        web_url: str | None,
        time_scale: float | None,
        step_timeout: float,
        reuse: bool,
    ) -> None:
        self.argv = argv
        self.api_url, self.web_url, self.time_scale = api_url, web_url, time_scale
        self.step_timeout, self.reuse = step_timeout, reuse
        self._pool = DriverPool()

    def __repr__(self) -> str:
        return f"DriverFactory(argv={self.argv!r})"

    def __call__(
        self,
        transport: httpx.BaseTransport | None,
        clock: Clock,
        env: Mapping[str, str],
        config_dir: Path,
    ) -> DriverAdapter:
        del transport  # a program in another process makes its own connections
        full = driver_env(
            env,
            config_dir,
            clock,
            api_url=self.api_url,
            web_url=self.web_url,
            scale=self.time_scale,
        )
        return DriverAdapter(
            self.argv,
            env=full,
            cwd=config_dir,
            step_timeout=self.step_timeout,
            pool=self._pool if self.reuse else None,
        )

    def close_kept_program(self) -> None:
        """End the program kept between runs, if any (``run_suite`` calls it when done)."""
        self._pool.close()

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        del state["_pool"]  # a running program stays with the process that started it
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._pool = DriverPool()


def driver_env(
    env: Mapping[str, str],
    config_dir: Path,
    clock: Clock,
    *,
    api_url: str | None = None,
    web_url: str | None = None,
    scale: float | None = None,
) -> dict[str, str]:
    """The environment of a driver program (see docs/driver-protocol.md)."""
    url = env.get(contract.ENV_API_URL) or api_url
    if not url:
        raise DriverError(
            "a driver needs NEMO_API_URL: run it against a live mock (conformance.LiveMock)"
        )
    if scale is None:
        scale = getattr(clock, "scale", None)
    if not isinstance(scale, (int, float)) or scale <= 0:
        raise DriverError(
            f"a driver needs a time scale: pass time_scale= or a ScaledClock, not {clock!r}"
        )
    full = {k: os.environ[k] for k in _PASS_THROUGH if k in os.environ}
    full.update(env)
    full.update(
        {
            contract.ENV_API_URL: url,
            contract.ENV_WEB_URL: env.get(contract.ENV_WEB_URL)
            or web_url
            or contract.DEFAULT_WEB_URL,
            "NEMO_TIME_SCALE": f"{scale:g}",
            "HOME": str(config_dir),
            "NEMO_CONFIG_DIR": str(config_dir),
        }
    )
    return full

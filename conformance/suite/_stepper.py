"""Driving a client under test through a scenario's user steps.

The stepper plays a scenario's steps one at a time into a target that implements the adapter
protocol (:class:`~conformance.drivers.ClientAdapter`, made by an
:data:`~conformance.drivers.AdapterFactory`): files named by a step are made on disk, ``wait``
moves the clock, ``restart`` closes the adapter, and what the client showed, the exceptions it
let escape and the log records emitted are kept for the observation. Every backend (mock, live,
cassettes) drives a client through this.
"""

from __future__ import annotations

import contextlib
import logging
import pathlib
from collections.abc import Callable, Iterator

import httpx

from conformance.cassettes._scenarios import file_bytes
from conformance.drivers._protocol import AdapterFactory, ClientAdapter, Shown, Step
from nemokit._clock import Clock

from ._model import Scenario


def materialise(step: Step, files_dir: pathlib.Path) -> Step:
    """``step`` with its file names turned into absolute paths of files that now exist (made
    from the name alone, as the scenario recorder makes them, so cassette uploads match)."""
    if not step.files:
        return step
    paths = []
    for name in step.files:
        if name.startswith(("http://", "https://")):
            paths.append(name)
            continue
        path = files_dir / pathlib.Path(name).name
        if not path.exists():
            path.write_bytes(file_bytes(name))
        paths.append(str(path))
    return Step(step.op, step.text, tuple(paths))


class LogCapture(logging.Handler):
    """Every log record (DEBUG and up) while installed on the root logger, as text."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = f"{record.name} {record.levelname} {record.getMessage()}"
        except Exception as exc:  # a bad format string is still evidence
            text = f"{record.name} {record.levelname} {record.msg!r} (unformattable: {exc})"
        if record.exc_info and record.exc_info[1] is not None:
            text += f" | {type(record.exc_info[1]).__name__}: {record.exc_info[1]}"
        self.lines.append(text)

    @contextlib.contextmanager
    def installed(self) -> Iterator[LogCapture]:
        root = logging.getLogger()
        old_level = root.level
        quiet = [logging.getLogger(n) for n in ("httpx", "httpcore", "nemokit", "mockserver")]
        old = [(lg, lg.level) for lg in quiet]
        root.addHandler(self)
        root.setLevel(logging.DEBUG)
        for lg in quiet:
            lg.setLevel(logging.DEBUG)
        try:
            yield self
        finally:
            root.removeHandler(self)
            root.setLevel(old_level)
            for lg, level in old:
                lg.setLevel(level)


class _Run:
    """The mutable parts of one run, turned into an :class:`Observation` at the end."""

    def __init__(self) -> None:
        self.shown: list[Shown] = []
        self.errors: list[str] = []
        self.step_times: list[tuple[float, float]] = []
        self.step_seq: list[int] = []  # the journal's seq when each step started


class _Stepper:
    """Plays user steps one at a time into a :class:`_Run` (a restart closes the adapter; the
    next step makes a new one with the same config dir)."""

    def __init__(
        self,
        factory: AdapterFactory,
        *,
        make_transport: Callable[[], httpx.BaseTransport],
        clock: Clock,
        env: dict[str, str],
        workdir: pathlib.Path,
        journal_seq: Callable[[], int],
    ) -> None:
        self.factory, self.make_transport, self.clock, self.env = (
            factory,
            make_transport,
            clock,
            env,
        )
        self.journal_seq = journal_seq
        self.run = _Run()
        self.config_dir, self.files_dir = workdir / "config", workdir / "files"
        self.config_dir.mkdir(exist_ok=True)
        self.files_dir.mkdir(exist_ok=True)
        self.adapter: ClientAdapter | None = None

    def step(self, step: Step) -> list[Shown]:
        """Do one step; what it showed (also kept in the run)."""
        run, index, start = self.run, len(self.run.step_times), self.clock.now()
        run.step_seq.append(self.journal_seq())
        shown: list[Shown] = []
        if step.op == "restart":
            self.close()
        elif step.op == "wait":
            self.clock.sleep(step.seconds or 0.0)
        else:
            if self.adapter is None:
                env = dict(self.env)
                self.adapter = self.factory(self.make_transport(), self.clock, env, self.config_dir)
            try:
                views = self.adapter.run_step(materialise(step, self.files_dir))
                shown = [Shown(v.kind, v.text, index, v.at) for v in views]
            except Exception as exc:  # the client let it escape: that is evidence
                run.errors.append(f"step {index}: {type(exc).__name__}: {exc}")
        run.shown += shown
        run.step_times.append((start, self.clock.now()))
        return shown

    def close(self) -> None:
        if self.adapter is not None:
            _close(self.adapter, self.run)
        self.adapter = None


def _drive(
    scenario: Scenario,
    factory: AdapterFactory,
    *,
    make_transport: Callable[[], httpx.BaseTransport],
    clock: Clock,
    env: dict[str, str],
    workdir: pathlib.Path,
    journal_seq: Callable[[], int],
) -> _Run:
    stepper = _Stepper(
        factory,
        make_transport=make_transport,
        clock=clock,
        env=env,
        workdir=workdir,
        journal_seq=journal_seq,
    )
    try:
        for step in scenario.steps:
            stepper.step(step)
    finally:
        stepper.close()
    return stepper.run


def _close(adapter: ClientAdapter, run: _Run) -> None:
    try:
        adapter.close()
    except Exception as exc:
        run.errors.append(f"close: {type(exc).__name__}: {exc}")

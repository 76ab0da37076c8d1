"""Runs one scenario against a target client on a backend and returns an :class:`Observation`.

Backends:

- ``mock``: a fresh :class:`~mockserver.MockServer` in process, sharing one
  :class:`~nemokit.VirtualClock` with the client through the streaming in-process transport.
  Nothing waits in real time; the mock's journal is the record of requests.
- ``live``: the same mock served by uvicorn on ``127.0.0.1`` (a free port) with a
  :class:`~nemokit.ScaledClock`, for clients in other processes (the driver protocol).
- ``cassettes``: see :mod:`conformance.suite._cassette_run` (a recorded scenario replayed
  through the replay router, whose log is the record of requests).

The observation also holds what the client showed (per step), every log record emitted while it
ran (DEBUG and up, httpx's included), the exceptions that escaped it, and what the mock's agent
did in each turn (texts, noise, tool names, silent or not), read from the mock's state.

This module runs the mock and live backends; the pieces live beside it (:mod:`._stepper`
drives the client, :mod:`._observe` sets up the mock and reads the observation back,
:mod:`._incremental` runs a step at a time, :mod:`._cassette_run` replays cassettes) and are
re-exported here, where callers import them from.
"""

from __future__ import annotations

import pathlib
import tempfile
from collections.abc import Callable

import httpx

from conformance.drivers._protocol import AdapterFactory
from mockserver import MockServer, StreamingTransport
from nemokit import contract
from nemokit._clock import Clock, VirtualClock

# The `x as x` imports re-export names that lived here before the split: callers import them here.
from ._cassette_run import CASSETTE_DIR as CASSETTE_DIR
from ._cassette_run import cassette_scenario as cassette_scenario
from ._cassette_run import run_cassette as run_cassette
from ._incremental import IncrementalRun
from ._model import Observation, Scenario
from ._observe import (
    IN_PROCESS_URL,
    _observe,
    _user_token,
    install_faults,
    journal_requests,
    mock_config,
)
from ._observe import LONG_TURN as LONG_TURN
from ._observe import install_fault as install_fault
from ._observe import turn_records as turn_records
from ._stepper import LogCapture, _drive
from ._stepper import materialise as materialise

__all__ = [
    "IncrementalRun",
    "LogCapture",
    "journal_requests",
    "mock_config",
    "run_scenario",
]


def run_scenario(
    scenario: Scenario,
    factory: AdapterFactory,
    *,
    backend: str = "mock",
    time_scale: float = 1000.0,
) -> Observation:
    """Run ``scenario`` against the client that ``factory`` makes, on ``backend``."""
    if backend == "mock":
        return _run_mock(scenario, factory)
    if backend == "live":
        return _run_live(scenario, factory, time_scale)
    raise ValueError(f"unknown backend {backend!r}: use mock or live (cassettes run on their own)")


def _run_mock(scenario: Scenario, factory: AdapterFactory) -> Observation:
    clock = VirtualClock()
    server = MockServer(mock_config(scenario), clock)
    transports: list[httpx.BaseTransport] = []

    def make_transport() -> httpx.BaseTransport:
        transports.append(StreamingTransport(server.app))
        return transports[-1]

    return _run_on(scenario, factory, server, clock, IN_PROCESS_URL, make_transport, "mock")


def _run_live(scenario: Scenario, factory: AdapterFactory, scale: float) -> Observation:
    """The mock on loopback with a scaled clock, for clients in another process."""
    from conformance.drivers._live_mock import LiveMock

    with LiveMock(mock_config(scenario), scale=scale, shared=True) as live:
        transports: list[httpx.BaseTransport] = []

        def make_transport() -> httpx.BaseTransport:
            transports.append(httpx.HTTPTransport())
            return transports[-1]

        return _run_on(scenario, factory, live.server, live.clock, live.url, make_transport, "live")


def _run_on(
    scenario: Scenario,
    factory: AdapterFactory,
    server: MockServer,
    clock: Clock,
    url: str,
    make_transport: Callable[[], httpx.BaseTransport],
    backend: str,
) -> Observation:
    env = {contract.ENV_API_URL: url}
    user_token = _user_token(server, scenario, env)
    install_faults(server, scenario)
    transports: list[httpx.BaseTransport] = []

    def tracked() -> httpx.BaseTransport:
        transports.append(make_transport())
        return transports[-1]

    def journal_seq() -> int:
        last = server.journal.last()
        return last.seq if last is not None else 0

    capture = LogCapture()
    with tempfile.TemporaryDirectory(prefix="nemo-conformance-") as tmp, capture.installed():
        try:
            run = _drive(
                scenario,
                factory,
                make_transport=tracked,
                clock=clock,
                env=env,
                workdir=pathlib.Path(tmp),
                journal_seq=journal_seq,
            )
        finally:
            for transport in transports:
                transport.close()
    return _observe(server, run, capture, user_token, backend)

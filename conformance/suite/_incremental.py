"""A run one step or one fault at a time, for stateful tests.

:class:`IncrementalRun` keeps one client against one in-process mock and gives the observation
so far after each step, so the rules can be judged as the run grows.
"""

from __future__ import annotations

import contextlib
import dataclasses
import pathlib
import tempfile

import httpx

from conformance.drivers._protocol import AdapterFactory, Shown, Step
from mockserver import MockServer, StreamingTransport
from nemokit import contract
from nemokit._clock import VirtualClock

from ._model import SETTING_FAULTS, Fault, Observation, Scenario, ServerVariant
from ._observe import IN_PROCESS_URL, _observe, _user_token, install_fault, mock_config
from ._stepper import LogCapture, _Stepper


class IncrementalRun:
    """One long-lived client against one in-process mock, a step or a fault at a time, with the
    observation so far available after each (what a stateful test judges the rules on).

    The mock and the client share one :class:`~nemokit.VirtualClock`. :attr:`scenario` is the
    run so far (the steps done and the faults added, in order), so the rules are judged exactly
    as for a whole scenario. ``user_token`` runs the client with a ``NEMO_TOKEN`` issued
    beforehand. Use it as a context manager, or call :meth:`close`.
    """

    def __init__(
        self,
        factory: AdapterFactory,
        server: ServerVariant | None = None,
        *,
        user_token: bool = False,
    ) -> None:
        variant = server or ServerVariant()
        self.scenario = Scenario(variant, (), (), "user" if user_token else "anonymous")
        self.clock = VirtualClock()
        self.server = MockServer(mock_config(self.scenario), self.clock)
        env = {contract.ENV_API_URL: IN_PROCESS_URL}
        self._secrets = _user_token(self.server, self.scenario, env)
        self._transports: list[httpx.BaseTransport] = []
        self._stack = contextlib.ExitStack()
        self._capture = self._stack.enter_context(LogCapture().installed())
        tmp = self._stack.enter_context(tempfile.TemporaryDirectory(prefix="nemo-conformance-"))
        self._stepper = _Stepper(
            factory,
            make_transport=self._transport,
            clock=self.clock,
            env=env,
            workdir=pathlib.Path(tmp),
            journal_seq=self._journal_seq,
        )

    def _transport(self) -> httpx.BaseTransport:
        self._transports.append(StreamingTransport(self.server.app))
        return self._transports[-1]

    def _journal_seq(self) -> int:
        last = self.server.journal.last()
        return last.seq if last is not None else 0

    def step(self, step: Step) -> list[Shown]:
        """Do one user step; what the client showed for it."""
        self.scenario = dataclasses.replace(self.scenario, steps=(*self.scenario.steps, step))
        return self._stepper.step(step)

    def add_fault(self, fault: Fault) -> None:
        """Add a per-request fault (not a setting such as ``long``) for the requests to come."""
        if fault.kind in SETTING_FAULTS:
            raise ValueError(f"{fault.kind!r} is a mock setting for a whole run, not a fault rule")
        install_fault(self.server, fault)
        self.scenario = dataclasses.replace(self.scenario, faults=(*self.scenario.faults, fault))

    def observation(self) -> Observation:
        """Everything seen so far (requests, views, logs, turns), as the rules judge it."""
        return _observe(self.server, self._stepper.run, self._capture, self._secrets, "mock")

    def close(self) -> None:
        """Close the client, its transports and the log capture (idempotent)."""
        try:
            self._stepper.close()
        finally:
            for transport in self._transports:
                transport.close()
            self._transports.clear()
            self._stack.close()

    def __enter__(self) -> IncrementalRun:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

"""Runs one scenario against a target client on a backend and returns an :class:`Observation`.

Backends:

- ``mock``: a fresh :class:`~mockserver._app.MockServer` in process, sharing one
  :class:`~nemokit.VirtualClock` with the client through the streaming in-process transport.
  Nothing waits in real time; the mock's journal is the record of requests.
- ``live``: the same mock served by uvicorn on ``127.0.0.1`` (a free port) with a
  :class:`~nemokit.ScaledClock`, for clients in other processes (the driver protocol).
- ``cassettes``: see :mod:`conformance._cassettes` (a recorded scenario replayed through the
  replay router, whose log is the record of requests).

The observation also holds what the client showed (per step), every log record emitted while it
ran (DEBUG and up, httpx's included), the exceptions that escaped it, and what the mock's agent
did in each turn (texts, noise, tool names, silent or not), read from the mock's state.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fnmatch
import logging
import pathlib
import tempfile
from collections.abc import Callable, Iterator
from typing import Any, Protocol

import httpx

from mockserver._app import MockServer
from mockserver._config import MockConfig
from mockserver._journal import JournalEntry
from mockserver._transport import StreamingTransport
from nemokit import contract
from nemokit._clock import Clock, VirtualClock

from ._cassette import Cassette, load_cassette
from ._model import (
    REQUEST_KINDS,
    SETTING_FAULTS,
    Fault,
    Observation,
    Request,
    Scenario,
    ServerVariant,
    Shown,
    Step,
    TurnRecord,
)
from ._replay import build_router
from ._scenarios import file_bytes

__all__ = [
    "AdapterFactory",
    "ClientAdapter",
    "IncrementalRun",
    "LogCapture",
    "journal_requests",
    "mock_config",
    "run_scenario",
]

#: The base URL the in-process client is pointed at (no network: the transport is the mock).
IN_PROCESS_URL = "http://mock.nemokit.test"
_TOKEN_CLIENT_ID = "conformance-user-token"
#: How long a ``long`` fault's turn works before it would finish (past the 15-minute limit).
LONG_TURN = 20 * 60.0


class ClientAdapter(Protocol):
    """A client under test, driven one user step at a time.

    ``run_step`` does what the user did (say text, send files) and returns what the user would
    see, in order; it should not raise (an exception that escapes is recorded and judged).
    ``close`` releases what the client holds. A step with ``op == "restart"`` is handled by the
    harness (the adapter is closed and a new one is made with the same config dir).
    """

    def run_step(self, step: Step) -> list[Shown]: ...

    def close(self) -> None: ...


#: ``factory(transport, clock, env, config_dir) -> adapter``. ``env`` holds ``NEMO_API_URL`` and,
#: in the user-token mode, ``NEMO_TOKEN``; ``config_dir`` is where the client keeps its id.
AdapterFactory = Callable[[httpx.BaseTransport, Clock, dict[str, str], pathlib.Path], ClientAdapter]


def mock_config(scenario: Scenario) -> MockConfig:
    """The mock's config for a scenario's server variant and faults."""
    server = scenario.server
    render_fail = any(f.kind == "render_failed" for f in scenario.faults)
    long = any(f.kind == "long" for f in scenario.faults)
    return MockConfig().replace(
        seed=server.seed,
        error_style=server.error_style,
        dialect=server.dialect,
        heartbeat_form=server.heartbeat_form,
        heartbeat_interval=server.heartbeat_interval,
        silent_rate=server.silent_rate,
        partial_text=server.partial_text,
        noise_rate=server.noise_rate,
        render_fail_rate=1.0 if render_fail else 0.0,
        sse_framing=server.sse_framing,
        slow_turn_seconds=LONG_TURN if long else 0.0,
    )


def install_faults(server: MockServer, scenario: Scenario) -> None:
    """Add the scenario's faults to the mock, in order."""
    for fault in scenario.faults:
        install_fault(server, fault)


def install_fault(server: MockServer, fault: Fault) -> None:
    """Add one fault to the mock (settings such as ``render_failed`` are not rules: skipped)."""
    if fault.kind in SETTING_FAULTS:
        return  # a config setting, not a rule
    method, path = REQUEST_KINDS[fault.target]
    fields: dict[str, Any] = {"method": method, "path": path, "times": fault.times}
    if fault.kind == "status":
        fields["status"] = fault.status
    elif fault.kind == "code":
        fields["code"] = fault.code
    elif fault.kind == "drop":
        fields["drop"] = True
    elif fault.kind == "cut":
        fields["cut_after"] = fault.cut_after or 0
    elif fault.kind == "stall":
        fields["stall"] = True
    if fault.retry_after is not None:
        fields["retry_after"] = fault.retry_after
    server.faults.add(**fields)


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
                shown = [Shown(v.kind, v.text, index) for v in views]
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


def journal_requests(entries: list[JournalEntry], step_seq: list[int]) -> tuple[Request, ...]:
    """The mock's journal entries as :class:`Request` values, each tagged with its step."""
    out = []
    for entry in entries:
        if entry.path.startswith(contract.ADMIN_PREFIX):
            continue
        step = max((i for i, seq in enumerate(step_seq) if entry.seq > seq), default=-1)
        out.append(
            Request(
                seq=entry.seq,
                time=entry.time,
                method=entry.method,
                path=entry.path,
                query=entry.query,
                headers=tuple(entry.headers),
                body=entry.body,
                status=entry.status,
                code=entry.code,
                fault=entry.fault,
                error=entry.error,
                step=step,
            )
        )
    return tuple(out)


def turn_records(server: MockServer) -> tuple[TurnRecord, ...]:
    """What the mock's agent did in each turn, oldest first (read from the mock's state)."""
    state = server.state
    with state.lock:
        sessions = list(getattr(state, "_sessions", {}).values())
        turns = [turn for session in sessions for turn in session.turns]
    records = []
    for turn in sorted(turns, key=lambda t: t.start):
        script = turn.script
        texts, noise, partials, tools = [], [], [], []
        first_text: float | None = None
        for item in script.items:
            text = str(item.payload.get("text", ""))
            if item.kind == "tool_call":
                tools.append(str(item.payload.get("name", "")))
            elif item.kind == "partial":
                partials.append(item.at)
            elif item.kind == "text" and text.startswith(contract.NOISE_PHRASE):
                noise.append(text)
            elif item.kind == "text":
                texts.append(text)
                first_text = item.at if first_text is None else first_text
        applied = script.applied_at if script.applied_at is not None else script.duration
        records.append(
            TurnRecord(
                message=turn.message,
                start=turn.start,
                end=turn.start + script.duration,
                texts=tuple(texts),
                noise=tuple(noise),
                tools=tuple(tools),
                silent=script.silent,
                changed=script.draft_after is not None,
                kind=script.kind,
                applied_at=turn.start + applied,
                first_text_at=None if first_text is None else turn.start + first_text,
                first_partial_at=turn.start + min(partials) if partials else None,
            )
        )
    return tuple(records)


def _secrets(requests: tuple[Request, ...], extra: tuple[str, ...]) -> tuple[str, ...]:
    found = set(extra)
    for request in requests:
        auth = request.header(contract.HEADER_AUTHORIZATION) or ""
        _, _, token = auth.partition(" ")
        if token.strip():
            found.add(token.strip())
    return tuple(sorted(found))


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
    from ._driver import LiveMock

    with LiveMock(mock_config(scenario), scale=scale) as live:
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


def _observe(
    server: MockServer, run: _Run, capture: LogCapture, secrets: tuple[str, ...], backend: str
) -> Observation:
    """The observation of a run so far, from the mock's journal and state."""
    requests = journal_requests(server.journal.entries(), run.step_seq)
    return Observation(
        requests=requests,
        shown=tuple(run.shown),
        logs=tuple(capture.lines),
        errors=tuple(run.errors),
        turns=turn_records(server),
        secrets=_secrets(requests, secrets),
        step_times=tuple(run.step_times),
        backend=backend,
    )


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


def _user_token(server: MockServer, scenario: Scenario, env: dict[str, str]) -> tuple[str, ...]:
    """In the user-token mode, a token issued beforehand and handed over as ``NEMO_TOKEN``."""
    if scenario.token_mode != "user":
        return ()
    issued = server.state.issue_token(_TOKEN_CLIENT_ID, "127.0.0.1")
    env[contract.ENV_TOKEN] = issued.token
    return (issued.token,)


# --- the cassette backend ---------------------------------------------------------------------

#: Where the committed cassettes live (the repository's ``cassettes/``).
CASSETTE_DIR = pathlib.Path(__file__).resolve().parent.parent / "cassettes"
_KIND_EXAMPLES = {
    "token": "/api/auth/anonymous-token",
    "session": "/api/tasks/me/with-session/nemo_agent",
    "run_sse": "/run_sse",
    "credits": "/api/credits/balance/simple",
    "state": "/api/state/nemo_agent/me/1/latest",
    "upload": "/api/upload-video/nemo_agent/me/1",
    "render": "/api/render/proxy/lambda",
    "render_status": "/api/render/proxy/lambda/r1",
}


def cassette_scenario(cassette: Cassette) -> Scenario:
    """The scenario a cassette was recorded from (``extra``: ``steps``, ``mock``, ``faults``)."""
    extra = cassette.extra
    mock = extra.get("mock", {}) if isinstance(extra.get("mock"), dict) else {}
    names = set(ServerVariant.__dataclass_fields__)
    server = ServerVariant(**{k: v for k, v in mock.items() if k in names})
    faults = []
    for rule in extra.get("faults", []) or []:
        method, pattern = str(rule.get("method", "*")).upper(), str(rule.get("path", "*"))
        target = next(
            (
                k
                for k, (m, _) in REQUEST_KINDS.items()
                if method in (m, "*") and fnmatch.fnmatchcase(_KIND_EXAMPLES[k], pattern)
            ),
            None,
        )
        if target is not None:
            faults.append(_fault_from(target, rule))
    if mock.get("render_fail_rate"):
        faults.append(Fault("render", "render_failed"))
    steps = tuple(
        Step(s.get("op", "say"), s.get("text", ""), tuple(s.get("files", ())), s.get("seconds"))
        for s in extra.get("steps", []) or []
    )
    user = extra.get("token_mode") == "user"
    return Scenario(server, steps, tuple(faults), "user" if user else "anonymous")


def _fault_from(target: str, rule: dict[str, Any]) -> Fault:
    times = int(rule.get("times", 1))
    if rule.get("stall"):
        return Fault(target, "stall", times=times)
    if rule.get("cut_after") is not None:
        return Fault(target, "cut", cut_after=int(rule["cut_after"]), times=times)
    if rule.get("drop"):
        return Fault(target, "drop", times=times)
    if rule.get("code") is not None:
        return Fault(target, "code", code=int(rule["code"]), times=times)
    return Fault(
        target,
        "status",
        status=rule.get("status"),
        retry_after=rule.get("retry_after"),
        times=times,
    )


def _code_of(response: Any) -> int | None:
    body = getattr(response.body, "value", None)
    if isinstance(body, dict):
        if isinstance(body.get("code"), int):
            return int(body["code"])
        if body.get("success") is True:
            return 0
    return None


def run_cassette(
    cassette: Cassette | str | pathlib.Path, factory: AdapterFactory
) -> tuple[Scenario, Observation]:
    """Replay a cassette's recorded user steps through the target; the router's log is the
    record of requests (secrets in it are placeholders)."""
    if not isinstance(cassette, Cassette):
        cassette = load_cassette(cassette)
    scenario = cassette_scenario(cassette)
    clock = VirtualClock()
    router = build_router(cassette, timing="recorded", clock=clock)
    env = {contract.ENV_API_URL: cassette.base_url or IN_PROCESS_URL}
    if scenario.token_mode == "user":
        env[contract.ENV_TOKEN] = contract.TOKEN_PREFIX + "cassette-user-token"
    capture = LogCapture()
    with tempfile.TemporaryDirectory(prefix="nemo-conformance-") as tmp, capture.installed():
        run = _drive(
            scenario,
            factory,
            make_transport=lambda: httpx.MockTransport(router.handler),
            clock=clock,
            env=env,
            workdir=pathlib.Path(tmp),
            journal_seq=lambda: router.stats.requests,
        )
    requests = []
    for seq, entry in enumerate(router.log, 1):
        step = max((i for i, s in enumerate(run.step_seq) if seq > s), default=-1)
        recorded = cassette.interactions[entry.index].response if entry.index is not None else None
        body = getattr(entry.request.body, "value", None)
        query = "&".join(f"{k}={v}" for k, vs in entry.request.query.items() for v in vs)
        requests.append(
            Request(
                seq,
                entry.at,
                entry.request.method,
                entry.request.path,
                query,
                tuple(entry.request.headers.items()),
                body,
                status=recorded.status if recorded else None,
                code=_code_of(recorded) if recorded else None,
                error="cut" if recorded is not None and recorded.cut else None,
                step=step,
            )
        )
    errors = [*run.errors, *(str(m) for m in router.misses)]
    observation = Observation(
        requests=tuple(requests),
        shown=tuple(run.shown),
        logs=tuple(capture.lines),
        errors=tuple(errors),
        secrets=tuple(env.get(contract.ENV_TOKEN, "") and [env[contract.ENV_TOKEN]]),
        step_times=tuple(run.step_times),
        backend="cassettes",
    )
    return scenario, observation

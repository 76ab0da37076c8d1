"""The mock's side of a run: set up from a scenario, then read back as an observation.

The mock's config for a scenario's server variant, the scenario's faults installed as the mock's
fault rules, a ``NEMO_TOKEN`` issued beforehand in the user-token mode; and afterwards the
journal turned into :class:`Request` values tagged with their step, what the mock's agent did
in each turn, and the secrets the rules look for, put together into an :class:`Observation`.
"""

from __future__ import annotations

from typing import Any

from mockserver import JournalEntry, MockServer
from mockserver._config import MockConfig
from nemokit import contract

from ._model import REQUEST_KINDS, SETTING_FAULTS, Fault, Observation, Request, Scenario, TurnRecord
from ._stepper import LogCapture, _Run

#: The base URL the in-process client is pointed at (no network: the transport is the mock).
IN_PROCESS_URL = "http://mock.nemokit.test"
_TOKEN_CLIENT_ID = "conformance-user-token"
#: How long a ``long`` fault's turn works before it would finish (past the 15-minute limit).
LONG_TURN = 20 * 60.0
#: ``slow_render``: every agent duration times this, so a render (30 s at least) lasts longer
#: than the client's 10 polls 30 s apart.
SLOW_SCALE = 10.5


def mock_config(scenario: Scenario) -> MockConfig:
    """The mock's config for a scenario's server variant and faults."""
    server = scenario.server
    render_fail = any(f.kind == "render_failed" for f in scenario.faults)
    long = any(f.kind == "long" for f in scenario.faults)
    slow = any(f.kind == "slow_render" for f in scenario.faults)
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
        duration_scale=SLOW_SCALE if slow else 1.0,
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


def _user_token(server: MockServer, scenario: Scenario, env: dict[str, str]) -> tuple[str, ...]:
    """In the user-token mode, a token issued beforehand and handed over as ``NEMO_TOKEN``."""
    if scenario.token_mode != "user":
        return ()
    issued = server.state.issue_token(_TOKEN_CLIENT_ID, "127.0.0.1")
    env[contract.ENV_TOKEN] = issued.token
    return (issued.token,)

"""The cassette backend: a recorded scenario replayed through the target client.

The scenario is read back from the cassette's ``extra`` (steps, mock settings, faults), the
client runs it against the replay router, and the requests as the client sent them become the
record of requests. The router hands out realistic per-run secrets in place of the cassette's
placeholders (:mod:`._replay_secrets`), which the observation names as its secrets; the recorded
streams say what the agent did in each turn (:mod:`._cassette_turns`), and the cassette's fault
schedule says which request each fault met, as the mock's journal does on the mock backend.
"""

from __future__ import annotations

import fnmatch
import json
import pathlib
import tempfile
from dataclasses import replace
from typing import Any

import httpx

from conformance.cassettes._cassette import Cassette, load_cassette
from conformance.cassettes._replay import build_router
from conformance.cassettes._replay_secrets import LiveSecrets
from conformance.cassettes._replay_values import LogEntry
from conformance.drivers._protocol import AdapterFactory, Step
from nemokit import contract
from nemokit._clock import VirtualClock

from ._cassette_turns import fault_ids, recorded_turn
from ._model import (
    REQUEST_KINDS,
    Fault,
    Observation,
    Request,
    Scenario,
    ServerVariant,
    TurnRecord,
)
from ._observe import IN_PROCESS_URL
from ._stepper import LogCapture, _drive

#: Where the committed cassettes live (the repository's ``cassettes/``).
CASSETTE_DIR = pathlib.Path(__file__).resolve().parents[2] / "cassettes"
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
    faults = [
        _fault_from(target, rule)
        for rule in _fault_rules(cassette)
        if (target := _target_of(rule)) is not None
    ]
    if mock.get("render_fail_rate"):
        faults.append(Fault("render", "render_failed"))
    if mock.get("slow_turn_seconds"):
        faults.append(Fault("run_sse", "long"))
    steps = tuple(
        Step(s.get("op", "say"), s.get("text", ""), tuple(s.get("files", ())), s.get("seconds"))
        for s in extra.get("steps", []) or []
    )
    user = extra.get("token_mode") == "user"
    return Scenario(server, steps, tuple(faults), "user" if user else "anonymous")


def _target_of(rule: dict[str, Any]) -> str | None:
    """The request kind a recorded fault rule aims at (``None``: none the suite knows)."""
    method, pattern = str(rule.get("method", "*")).upper(), str(rule.get("path", "*"))
    return next(
        (
            k
            for k, (m, _) in REQUEST_KINDS.items()
            if method in (m, "*") and fnmatch.fnmatchcase(_KIND_EXAMPLES[k], pattern)
        ),
        None,
    )


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
    """Replay a cassette's recorded user steps through the target and observe the run."""
    if not isinstance(cassette, Cassette):
        cassette = load_cassette(cassette)
    scenario = cassette_scenario(cassette)
    clock = VirtualClock()
    handed = LiveSecrets()
    # A request repeated past the recording (a client that fetches the state once more than
    # the recorded one did) gets its last recorded answer again, as a server would answer a
    # read, so the run goes on to the bug a rule names instead of ending at that request.
    router = build_router(
        cassette, timing="recorded", clock=clock, secrets=handed, allow_playback_repeats=True
    )
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)  # as the client sent it: its real (per-run) token and all
        return router.handler(request)

    env = {contract.ENV_API_URL: cassette.base_url or IN_PROCESS_URL}
    if scenario.token_mode == "user":
        env[contract.ENV_TOKEN] = handed.value("<TOKEN_0>")
    capture = LogCapture()
    with tempfile.TemporaryDirectory(prefix="nemo-conformance-") as tmp, capture.installed():
        run = _drive(
            scenario,
            factory,
            make_transport=lambda: httpx.MockTransport(handler),
            clock=clock,
            env=env,
            workdir=pathlib.Path(tmp),
            journal_seq=lambda: router.stats.requests,
        )
    faults = _scenario_fault_ids(cassette)
    requests = _requests(cassette, list(router.log), sent, run.step_seq, faults)
    errors = [*run.errors, *(str(m) for m in router.misses)]
    observation = Observation(
        requests=requests,
        shown=tuple(run.shown),
        logs=tuple(capture.lines),
        errors=tuple(errors),
        turns=_turns(cassette, list(router.log), requests),
        secrets=handed.api_tokens,
        step_times=tuple(run.step_times),
        backend="cassettes",
    )
    return scenario, observation


def _scenario_fault_ids(cassette: Cassette) -> dict[int, str]:
    """Interaction index → the id the judges know its fault by: the mock numbered every fault
    rule, the scenario only those aimed at a request kind it knows."""
    rules = _fault_rules(cassette)
    kept = [n for n, rule in enumerate(rules, 1) if _target_of(rule) is not None]
    renamed = {f"fault_{n}": f"fault_{i}" for i, n in enumerate(kept, 1)}
    met = fault_ids(cassette.interactions, rules)
    return {index: renamed[fid] for index, fid in met.items() if fid in renamed}


def _fault_rules(cassette: Cassette) -> list[dict[str, Any]]:
    faults = cassette.extra.get("faults", [])
    return [f for f in faults if isinstance(f, dict)] if isinstance(faults, list) else []


def _requests(
    cassette: Cassette,
    log: list[LogEntry],
    sent: list[httpx.Request],
    step_seq: list[int],
    faults: dict[int, str],
) -> tuple[Request, ...]:
    """One :class:`Request` per request the client sent, with the recorded answer's status."""
    out = []
    for seq, (entry, request) in enumerate(zip(log, sent, strict=False), 1):
        step = max((i for i, s in enumerate(step_seq) if seq > s), default=-1)
        recorded = cassette.interactions[entry.index].response if entry.index is not None else None
        out.append(
            Request(
                seq,
                entry.at,
                request.method,
                request.url.path,
                request.url.query.decode("ascii", "replace"),
                tuple((k, v) for k, v in request.headers.items()),
                _body(request),
                status=recorded.status if recorded else None,
                code=_code_of(recorded) if recorded else None,
                fault=faults.get(entry.index) if entry.index is not None else None,
                error="cut" if recorded is not None and recorded.cut else None,
                step=step,
            )
        )
    return tuple(out)


def _body(request: httpx.Request) -> Any:
    content = request.content
    if not content or "json" not in request.headers.get("content-type", ""):
        return None
    try:
        return json.loads(content)
    except ValueError:
        return None


def _turns(
    cassette: Cassette, log: list[LogEntry], requests: tuple[Request, ...]
) -> tuple[TurnRecord, ...]:
    """The turns the replayed streams played, read from their recorded events."""
    turns = []
    for entry, r in zip(log, requests, strict=False):
        if entry.index is None or r.kind != "run_sse":
            continue
        recorded = cassette.interactions[entry.index].response
        if recorded.events is None:
            continue
        turn = recorded_turn(r.message or "", r.time, recorded.events)
        if recorded.cut:
            turn = _landed(turn, cassette, log, requests, r)
        turns.append(turn)
    return tuple(turns)


def _landed(
    turn: TurnRecord,
    cassette: Cassette,
    log: list[LogEntry],
    requests: tuple[Request, ...],
    cut: Request,
) -> TurnRecord:
    """A cut turn went on working out of sight: it changed the session if a later state fetch
    of its step recorded another draft than the last one before it, and it landed by then."""

    def draft(position: int) -> Any:
        entry = log[position]
        if entry.index is None:
            return None
        body = getattr(cassette.interactions[entry.index].response.body, "value", None)
        data = body.get("data") if isinstance(body, dict) else None
        state = data.get("state") if isinstance(data, dict) else None
        return state.get("draft") if isinstance(state, dict) else None

    states = [i for i, r in enumerate(requests) if r.kind == "state"]
    before = [draft(i) for i in states if requests[i].seq < cut.seq]
    after = [i for i in states if requests[i].seq > cut.seq and requests[i].step == cut.step]
    baseline = before[-1] if before else None
    for i in after:
        if draft(i) is not None and draft(i) != baseline:
            return replace(turn, changed=True, applied_at=requests[i].time)
    return replace(turn, changed=False)

"""The cassette backend: a recorded scenario replayed through the target client.

The scenario is read back from the cassette's ``extra`` (steps, mock settings, faults), the
client runs it against the replay router, and the router's log becomes the record of requests
(secrets in it are placeholders).
"""

from __future__ import annotations

import fnmatch
import pathlib
import tempfile
from typing import Any

import httpx

from conformance.cassettes._cassette import Cassette, load_cassette
from conformance.cassettes._replay import build_router
from conformance.drivers._protocol import AdapterFactory, Step
from nemokit import contract
from nemokit._clock import VirtualClock

from ._model import REQUEST_KINDS, Fault, Observation, Request, Scenario, ServerVariant
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

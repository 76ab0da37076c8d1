"""The header and retry rules (H1–H4, R1–R8), as judges of an observation.

Headers every call must carry, and how a client answers 429, 402, 1001, 1002, 400, a failed
render submit, a started stream and render polling. Registered in :data:`._rules.RULES`.
"""

from __future__ import annotations

import itertools
import re

from nemokit import contract

from ._judging import _EPS, _faults_of, _is_retry, _same_step_after, _v
from ._model import Observation, Request, Scenario, Violation

_PLATFORMS = frozenset({"clawhub", "cursor", "unknown"})
_VERSION = re.compile(r"^v?\d+(\.\d+)+([.+-]?[0-9A-Za-z.]+)*$")


# --- headers ----------------------------------------------------------------------------------


def h1(_: Scenario, obs: Observation) -> list[Violation]:
    out = []
    for r in obs.requests:
        if r.kind is None or r.kind == "token":
            continue
        auth = r.header(contract.HEADER_AUTHORIZATION) or ""
        scheme, token = auth.partition(" ")[::2]
        if scheme != "Bearer" or not token.strip():
            out.append(_v("H1", f"{r.describe()} has no 'Authorization: Bearer <token>'"))
    return out


def h2(_: Scenario, obs: Observation) -> list[Violation]:
    out = []
    for r in obs.requests:
        if r.kind is None:
            continue
        source = r.header(contract.HEADER_SKILL_SOURCE)
        version = r.header(contract.HEADER_SKILL_VERSION)
        platform = r.header(contract.HEADER_SKILL_PLATFORM)
        if not source or not source.strip():
            out.append(_v("H2", f"{r.describe()}: X-Skill-Source missing or empty"))
        if not version or not _VERSION.match(version.strip()):
            out.append(_v("H2", f"{r.describe()}: X-Skill-Version {version!r} is not a version"))
        if platform not in _PLATFORMS:
            out.append(
                _v(
                    "H2",
                    f"{r.describe()}: X-Skill-Platform {platform!r} is not one of "
                    "clawhub, cursor, unknown (nor $SKILL_SOURCE, which was unset)",
                )
            )
    return out


def h3(_: Scenario, obs: Observation) -> list[Violation]:
    out, ids = [], []
    for r in obs.of_kind("token"):
        cid = r.header(contract.HEADER_CLIENT_ID)
        if not cid or not cid.strip():
            out.append(_v("H3", f"{r.describe()}: the token call has no X-Client-Id"))
        elif len(cid) > contract.CLIENT_ID_MAX_LENGTH:
            out.append(_v("H3", f"{r.describe()}: X-Client-Id is {len(cid)} chars (max 64)"))
        else:
            ids.append((r, cid))
    changed = [(r, cid) for r, cid in ids if cid != ids[0][1]]
    if changed:
        first, other = ids[0][0], changed[0][0]
        out.append(
            _v(
                "H3",
                f"the client id changed between {first.describe()} and {other.describe()} "
                "(a new id per run hits the per-IP token limit)",
            )
        )
    return out


def h4(_: Scenario, obs: Observation) -> list[Violation]:
    out = []
    for r in obs.requests:
        url = f"{r.path}?{r.query}"
        if contract.TOKEN_PREFIX in url or any(s and s in url for s in obs.secrets):
            out.append(_v("H4", f"{r.describe()}: the API token is in the URL"))
    return out


# --- retries ----------------------------------------------------------------------------------


def r1(scenario: Scenario, obs: Observation) -> list[Violation]:
    out = []
    retry_after = {f.target: f.retry_after for f in scenario.faults if f.status == 429}
    by_id = _faults_of(scenario)
    for r in obs.requests:
        if r.status != 429 or r.kind is None:
            continue
        # The fault that answered says which Retry-After was sent (a long session may have had
        # several 429s with different values); a replayed log has no fault id: by target.
        fault = by_id.get(r.fault or "")
        sent = fault.retry_after if fault is not None else retry_after.get(r.kind)
        wait = max(contract.RATE_LIMIT_WAIT, sent or 0.0)
        before = [x for x in obs.requests if x.step == r.step and x.seq < r.seq]
        same = [x for x in before if x.kind == r.kind]
        is_retry = bool(same) and same[-1].status == 429
        later = _same_step_after(obs, r, r.kind)
        if is_retry and later:
            out.append(_v("R1", f"{later[0].describe()} retried a 429 a second time"))
        elif not is_retry and not later:
            out.append(_v("R1", f"{r.describe()} got 429 and was never retried"))
        elif not is_retry and later[0].time - r.time < wait - _EPS:
            gap = later[0].time - r.time
            out.append(
                _v(
                    "R1",
                    f"{later[0].describe()} retried {gap:g}s after the 429 of "
                    f"{r.describe()}; the contract says wait {wait:g}s",
                )
            )
    return out


def r2(_: Scenario, obs: Observation) -> list[Violation]:
    return [
        _v("R2", f"{later[0].describe()} retried the 402 of {r.describe()} (never retry 402)")
        for r in obs.requests
        if r.status == 402 and r.kind and (later := _same_step_after(obs, r, r.kind))
    ]


def r3(scenario: Scenario, obs: Observation) -> list[Violation]:
    out = []
    for r in obs.requests:
        if r.code != contract.Code.TOKEN_INVALID or r.kind in (None, "token"):
            continue
        if _is_retry(obs, r, lambda x: x.code == contract.Code.TOKEN_INVALID):
            if _same_step_after(obs, r, r.kind):
                out.append(_v("R3", f"{r.describe()} got 1001 again and was retried again"))
            continue
        tokens = _same_step_after(obs, r, "token")
        retries = _same_step_after(obs, r, r.kind)
        if scenario.token_mode == "user":
            if tokens:
                out.append(
                    _v(
                        "R3",
                        f"{tokens[0].describe()}: a user's NEMO_TOKEN got 1001 at "
                        f"{r.describe()}; report it, never swap in an anonymous one",
                    )
                )
            if not any(s.step == r.step and s.kind == "problem" for s in obs.shown):
                out.append(_v("R3", f"the 1001 of {r.describe()} was not reported to the user"))
            continue
        earlier = [x.header(contract.HEADER_CLIENT_ID) for x in obs.of_kind("token")]
        if len(tokens) != 1:
            out.append(
                _v(
                    "R3",
                    f"after the 1001 of {r.describe()}: {len(tokens)} new token "
                    "calls (exactly one expected)",
                )
            )
        elif earlier and tokens[0].header(contract.HEADER_CLIENT_ID) != earlier[0]:
            out.append(_v("R3", f"{tokens[0].describe()} renewed the token with another client id"))
        if not retries:
            out.append(_v("R3", f"the call of {r.describe()} was not retried after a new token"))
        elif tokens and retries[0].seq < tokens[0].seq:
            out.append(_v("R3", f"{retries[0].describe()} retried before getting a new token"))
    return out


def r4(_: Scenario, obs: Observation) -> list[Violation]:
    out = []
    for r in obs.requests:
        # A refused message is the call the contract names as safe to retry; a state fetch in a
        # new session would read an empty project, so reporting it is as good as retrying.
        if r.code != contract.Code.SESSION_NOT_FOUND or r.kind != "run_sse":
            continue
        if _is_retry(obs, r, lambda x: x.code == contract.Code.SESSION_NOT_FOUND):
            continue
        sessions = _same_step_after(obs, r, "session")
        retries = _same_step_after(obs, r, r.kind)
        if not sessions:
            out.append(_v("R4", f"the 1002 of {r.describe()} was not followed by a new session"))
        elif retries and retries[0].seq < sessions[0].seq:
            out.append(_v("R4", f"{retries[0].describe()} retried in the lost session"))
        if sessions and not retries:
            out.append(_v("R4", f"the call of {r.describe()} was not retried in the new session"))
    return out


def r5(_: Scenario, obs: Observation) -> list[Violation]:
    out = []
    for r in obs.requests:
        if r.status != 400 or r.kind != "token" or r.code not in (None, 400):
            continue
        if _is_retry(obs, r, lambda x: x.status == 400):
            continue
        retries = _same_step_after(obs, r, "token")
        if not retries:
            out.append(_v("R5", f"the HTTP 400 of {r.describe()} was not retried with a client id"))
        elif not retries[0].header(contract.HEADER_CLIENT_ID):
            out.append(_v("R5", f"{retries[0].describe()} retried without an X-Client-Id"))
    return out


def _render_id(r: Request) -> object:
    return r.body.get("id") if isinstance(r.body, dict) else None


def r6(_: Scenario, obs: Observation) -> list[Violation]:
    out = []
    for r in obs.requests:
        if r.kind != "render" or r.status is None or r.status < 500:
            continue
        before = [x for x in obs.requests if x.step == r.step and x.seq < r.seq]
        is_retry = any(x.kind == "render" and (x.status or 0) >= 500 for x in before)
        later = _same_step_after(obs, r, "render")
        if is_retry:
            if later:
                out.append(_v("R6", f"{later[0].describe()}: a failed submit retried twice"))
        elif not later:
            out.append(_v("R6", f"the failed render submit {r.describe()} was not retried"))
        elif _render_id(later[0]) == _render_id(r):
            out.append(_v("R6", f"{later[0].describe()} retried the submit with the same id"))
    return out


def r7(_: Scenario, obs: Observation) -> list[Violation]:
    out = []
    for r in obs.of_kind("run_sse"):
        if r.status != 200 or r.code not in (None, 0):
            continue  # refused before the stream (a JSON error envelope), so never started
        # A dropped exchange may never have journaled its body: then any re-send counts.
        later = _same_step_after(obs, r, "run_sse")
        again = [x for x in later if r.message is None or x.message == r.message]
        if again:
            out.append(
                _v(
                    "R7",
                    f"{again[0].describe()} re-sent the message of {r.describe()}, whose "
                    "stream had started (duplicated work, charged twice)",
                )
            )
    return out


def r8(_: Scenario, obs: Observation) -> list[Violation]:
    out = []
    polls: dict[str, list[Request]] = {}
    for r in obs.of_kind("render_status"):
        polls.setdefault(r.path, []).append(r)
    for path, seen in polls.items():
        if len(seen) > contract.MAX_RENDER_POLLS:
            out.append(_v("R8", f"{len(seen)} polls of {path} (at most 10)"))
        for a, b in itertools.pairwise(seen):
            if b.time - a.time < contract.RENDER_POLL_INTERVAL - _EPS:
                out.append(
                    _v(
                        "R8",
                        f"{b.describe()} polled {b.time - a.time:g}s after "
                        f"{a.describe()} (every 30 s at most)",
                    )
                )
    return out

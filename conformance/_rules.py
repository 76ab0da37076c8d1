"""The rules: one judge per CONTRACT.md rule that a client can break.

Each :class:`Rule` has an id, the contract sentence it states and a judge
``(scenario, observation) -> list[Violation]``, written from CONTRACT.md on its own (never from
the client's code), so a mistake in the client is caught here. A judge names the request(s)
(``#5 POST /run_sse at 45s``) or the view that broke the rule. Judges are pure: they can be
unit-tested on hand-built observations.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from nemokit import contract

from ._model import SETTING_FAULTS, Fault, Observation, Request, Scenario, TurnRecord, Violation

__all__ = ["RULES", "Judge", "Rule", "rule_by_id"]

Judge = Callable[[Scenario, Observation], list[Violation]]
_EPS = 1e-6
_PLATFORMS = frozenset({"clawhub", "cursor", "unknown"})
_VERSION = re.compile(r"^v?\d+(\.\d+)+([.+-]?[0-9A-Za-z.]+)*$")


@dataclass(frozen=True, slots=True)
class Rule:
    """A named rule: ``id`` (H1…), a short ``title``, the ``contract`` sentence and its judge."""

    id: str
    title: str
    contract: str
    judge: Judge

    def check(self, scenario: Scenario, observation: Observation) -> list[Violation]:
        return self.judge(scenario, observation)


def _v(rule: str, message: str) -> Violation:
    return Violation(rule, message)


def _same_step_after(obs: Observation, r: Request, kind: str | None = None) -> list[Request]:
    return [
        x
        for x in obs.requests
        if x.step == r.step and x.seq > r.seq and (kind is None or x.kind == kind)
    ]


def _is_retry(obs: Observation, r: Request, failed: Callable[[Request], bool]) -> bool:
    """Whether ``r`` repeats an earlier call of its kind in its step that failed the same way."""
    same = [x for x in obs.requests if x.step == r.step and x.seq < r.seq and x.kind == r.kind]
    return any(failed(x) for x in same)


def _step_shown(obs: Observation, step: int, kind: str | None = None) -> list[str]:
    return [s.text for s in obs.shown if s.step == step and (kind is None or s.kind == kind)]


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


def _retry_after(r: Request) -> float:
    value = r.header(contract.HEADER_RETRY_AFTER)
    return contract.RATE_LIMIT_WAIT if value is None else float(value)


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


# --- the stream -------------------------------------------------------------------------------

_HEARTBEAT_SHOWN = re.compile(r"\bheartbeat\b|\bping\b|^\s*(?:\{|\[|data:|:|event:)", re.I)
_TOOL_MARKERS = ("functionCall", "functionResponse", "tool_call", "tool_result")


def _faults_of(scenario: Scenario) -> dict[str, Fault]:
    """The mock's fault ids (``fault_1``…, in install order) → the fault."""
    installed = [f for f in scenario.faults if f.kind not in SETTING_FAULTS]
    return {f"fault_{i}": f for i, f in enumerate(installed, 1)}


def _faults_by_id(scenario: Scenario) -> dict[str, str]:
    """The mock's fault ids → the fault's kind."""
    return {i: f.kind for i, f in _faults_of(scenario).items()}


def _stream_started(r: Request) -> bool:
    """Whether a ``/run_sse`` answer was a stream: a refusal (out of credits, 1001, 1002…) is a
    JSON envelope, even when a stream fault was waiting for that request."""
    return r.status == 200 and r.code in (None, 0)


def _long(scenario: Scenario) -> bool:
    """Whether every turn of the run is a ``long`` one (the mock's slow-turn setting)."""
    return any(f.kind == "long" for f in scenario.faults)


def _turn_request(obs: Observation, turn_start: float, message: str) -> Request | None:
    """The ``/run_sse`` request that started a turn: the last one carrying its message that
    arrived no later than the turn began. (On a live mock the turn starts a moment after the
    request is journaled, and at time scale 1000 a moment is many virtual seconds.)"""
    started = [
        r
        for r in obs.of_kind("run_sse")
        if r.message == message and r.status == 200 and r.time <= turn_start + _EPS
    ]
    return started[-1] if started else None


def _turn_of(obs: Observation, r: Request) -> TurnRecord | None:
    """The turn that the ``/run_sse`` request ``r`` started, if the mock played one."""
    turns = [t for t in obs.turns if t.start >= r.time - _EPS and (r.message in (None, t.message))]
    return min(turns, key=lambda t: t.start) if turns else None


def _complete_turns(scenario: Scenario, obs: Observation) -> Iterable[tuple[Request, TurnRecord]]:
    """``(request, turn)`` for every turn whose stream no fault touched."""
    if _long(scenario):
        return  # every stream outlasts the 15-minute limit: none is played to its end
    for turn in obs.turns:
        r = _turn_request(obs, turn.start, turn.message)
        if r is not None and r.fault is None and r.error is None:
            yield r, turn


def s1(_: Scenario, obs: Observation) -> list[Violation]:
    return [
        _v("S1", f"step {s.step} showed a heartbeat or raw event ({s.kind}: {s.text[:60]!r})")
        for s in obs.shown
        if not s.text.strip() or _HEARTBEAT_SHOWN.search(s.text)
    ]


def s2(_: Scenario, obs: Observation) -> list[Violation]:
    names = {t for turn in obs.turns for t in turn.tools if t}
    out = []
    for s in obs.shown:
        hit = next((n for n in (*names, *_TOOL_MARKERS) if n in s.text), None)
        if hit:
            out.append(_v("S2", f"step {s.step} showed tool {hit!r}: {s.text[:80]!r}"))
    return out


def _still_working(obs: Observation, step: int) -> int:
    return sum("still working" in t.lower() for t in _step_shown(obs, step, "progress"))


def s3(scenario: Scenario, obs: Observation) -> list[Violation]:
    every, beat = contract.STILL_WORKING_EVERY, scenario.server.heartbeat_interval
    bounds: dict[int, list[int]] = {}
    bad_steps = {r.step for r in obs.of_kind("run_sse") if r.fault or r.error}
    for r, turn in _complete_turns(scenario, obs):
        early = turn.first_partial_at or turn.first_text_at or turn.end
        late = turn.end if turn.first_partial_at else (turn.first_text_at or turn.end)
        low = max(0, math.floor((early - turn.start - beat) / every))
        high = math.floor((late - turn.start) / every) + 1
        lo_hi = bounds.setdefault(r.step, [0, 0])
        lo_hi[0] += low
        lo_hi[1] += high
    out = []
    for step, (low, high) in sorted(bounds.items()):
        if step in bad_steps:
            continue
        count = _still_working(obs, step)
        if not low <= count <= high:
            out.append(
                _v(
                    "S3",
                    f"step {step} showed 'Still working' {count} times; the turn's "
                    f"quiet time calls for {low} to {high} (every 2 minutes)",
                )
            )
    return out


def s4(scenario: Scenario, obs: Observation) -> list[Violation]:
    kinds = _faults_by_id(scenario)
    out = []
    for r in obs.of_kind("run_sse"):
        if r.fault is None or kinds.get(r.fault) != "stall" or not _stream_started(r):
            continue
        later = [x.time for x in _same_step_after(obs, r)]
        step_end = obs.step_times[r.step][1] if 0 <= r.step < len(obs.step_times) else r.time
        gave_up = min([*later, step_end])
        # An abandoned in-process stream keeps moving the shared virtual clock until the mock
        # notices the disconnect, so allow two minutes of drift: a client that waits for the
        # 15-minute limit or the stream's end (20 minutes) is still well past it.
        allowed = contract.STALL_AFTER + 2 * scenario.server.heartbeat_interval + 120
        if gave_up - r.time > allowed:
            out.append(
                _v(
                    "S4",
                    f"the stalled stream of {r.describe()} was held "
                    f"{gave_up - r.time:g}s (give up after 10 minutes of heartbeats)",
                )
            )
        if not _step_shown(obs, r.step, "problem"):
            out.append(_v("S4", f"the stalled turn of {r.describe()} ended without a Problem"))
    return out


def s5(scenario: Scenario, obs: Observation) -> list[Violation]:
    out = []
    for r, turn in _complete_turns(scenario, obs):
        if not (turn.noise and (turn.texts or turn.tools)):
            continue
        for text in _step_shown(obs, r.step):
            if contract.NOISE_PHRASE.lower() in text.lower():
                out.append(
                    _v(
                        "S5",
                        f"step {r.step} showed the trailing noise after "
                        f"{r.describe()}: {text[:70]!r}",
                    )
                )
    return out


#: Words a summary of each tool's change would use (English; the client summarises in its words).
_CHANGE_WORDS: dict[str, tuple[str, ...]] = {
    "add_title": ("title",),
    "add_bgm": ("bgm", "music", "audio"),
    "add_transitions": ("transition",),
    "add_text_overlay": ("text",),
    "trim_pauses": ("trim", "duration", "shorter", "video", "clip"),
    "set_aspect_ratio": ("aspect", "ratio", "x", "vertical", "size"),
    "change_speed": ("speed", "duration", "video", "clip"),
    "remove_element": ("remov", "delet", "video", "clip", "track"),
    "generate_video": ("video", "generat", "clip"),
}


def s6(scenario: Scenario, obs: Observation) -> list[Violation]:
    out = []
    for r, turn in _complete_turns(scenario, obs):
        if not turn.silent:
            continue
        fetched = [x for x in _same_step_after(obs, r, "state") if x.time >= turn.end - _EPS]
        if not fetched:
            out.append(
                _v(
                    "S6",
                    f"the silent turn of {r.describe()} was not followed by a "
                    "state fetch after its stream",
                )
            )
        summaries = _step_shown(obs, r.step, "changes")
        if not summaries:
            out.append(_v("S6", f"the silent turn of {r.describe()} got no change summary"))
        elif turn.changed:
            words = {w for t in turn.tools for w in _CHANGE_WORDS.get(t, ())}
            text = " ".join(summaries).lower()
            if words and not any(w in text for w in words):
                out.append(
                    _v(
                        "S6",
                        f"the summary after {r.describe()} does not name the change "
                        f"({', '.join(turn.tools)}): {text[:80]!r}",
                    )
                )
    return out


def s7(scenario: Scenario, obs: Observation) -> list[Violation]:
    kinds = _faults_by_id(scenario)
    out = []
    for r in obs.of_kind("run_sse"):
        # A cut stream (events then a break); a dropped exchange never started a stream.
        if r.fault is None or kinds.get(r.fault) != "cut" or not _stream_started(r):
            continue
        turn = _turn_of(obs, r)
        fetches = _same_step_after(obs, r, "state")
        landed = [
            i for i, f in enumerate(fetches) if turn and turn.changed and f.time >= turn.applied_at
        ]
        chain = fetches[: landed[0] + 1] if landed else fetches
        if chain and chain[0].time - r.time < contract.RECOVERY_FIRST_WAIT - _EPS:
            out.append(
                _v(
                    "S7",
                    f"{chain[0].describe()} fetched the state less than 30 s after "
                    f"the stream of {r.describe()} broke",
                )
            )
        for a, b in itertools.pairwise(chain):
            if b.time - a.time < contract.RECOVERY_NEXT_WAIT - _EPS:
                out.append(
                    _v(
                        "S7",
                        f"{b.describe()} fetched {b.time - a.time:g}s after "
                        f"{a.describe()} (60 s between recovery fetches)",
                    )
                )
        if landed and landed[0] < contract.RECOVERY_MAX_FETCHES:
            continue
        if len(chain) != contract.RECOVERY_MAX_FETCHES:
            out.append(
                _v(
                    "S7",
                    f"after the broken stream of {r.describe()}: {len(chain)} state "
                    "fetches, then gave up (5 expected before reporting)",
                )
            )
        if not _step_shown(obs, r.step, "problem"):
            out.append(_v("S7", f"the lost turn of {r.describe()} was not reported as a failure"))
    return out


def _key(text: str) -> str:
    return " ".join(text.split())[:16]


def s8(scenario: Scenario, obs: Observation) -> list[Violation]:
    out = []
    for r, turn in _complete_turns(scenario, obs):
        if not turn.texts:
            continue
        key = _key(turn.texts[0])
        shown = " ".join(" ".join(t.split()) for t in _step_shown(obs, r.step, "reply"))
        if key and key not in shown:
            out.append(
                _v(
                    "S8",
                    f"the reply to {r.describe()} ({scenario.server.dialect} dialect"
                    f") was not shown: expected text starting {key!r}",
                )
            )
    return out


def _norm(text: str) -> str:
    return " ".join(text.split())


def _content(text: str) -> str:
    """What of a reply must reach the user whatever the translation: the text before its first
    GUI instruction (instructions are rewritten), at most 40 characters of it."""
    cut = _GUI.search(text)
    return _norm(text[: cut.start()] if cut else text)[:40].strip(" .,;:!?，。")


def s9(scenario: Scenario, obs: Observation) -> list[Violation]:
    framing = scenario.server.sse_framing
    out = [
        _v("S9", f"step {s.step} showed an empty reply ({framing} framing)")
        for s in obs.shown
        if s.kind == "reply" and not s.text.strip()
    ]
    for r, turn in _complete_turns(scenario, obs):
        shown = [_norm(t) for t in _step_shown(obs, r.step, "reply")]
        for text in turn.texts:
            if not (key := _content(text)):
                continue
            sent = sum(key in _norm(t) for t in turn.texts)
            seen = sum(key in t for t in shown)
            if not seen and key not in " ".join(shown):
                out.append(
                    _v(
                        "S9",
                        f"the reply to {r.describe()} was not shown ({framing} framing): "
                        f"expected {key!r}",
                    )
                )
            elif seen > sent:
                out.append(
                    _v(
                        "S9",
                        f"the reply to {r.describe()} was shown {seen} times, sent {sent} "
                        f"({framing} framing): {key!r}",
                    )
                )
    return out


def s10(scenario: Scenario, obs: Observation) -> list[Violation]:
    if not _long(scenario):
        return []
    out, limit, beat = [], contract.TURN_LIMIT, scenario.server.heartbeat_interval
    # The client may notice the limit only at the next chunk (one heartbeat). What is measured
    # is the shared clock when the step ended, and the in-process mock's stream moves that clock
    # on after its reader stopped (one chunk waiting in the rendezvous, then a sleep or two
    # before it sees the disconnect; up to 3 heartbeats seen): a client that waits for the
    # stream's end (20 minutes) is still far past.
    late = limit + beat + 3 * beat
    for r in obs.of_kind("run_sse"):
        if not _stream_started(r) or r.fault or r.error:
            continue  # refused or broken: not a long stream
        later = _same_step_after(obs, r)
        step_end = obs.step_times[r.step][1] if 0 <= r.step < len(obs.step_times) else r.time
        held = min([*(x.time for x in later), step_end]) - r.time
        if held > late + _EPS:
            out.append(
                _v(
                    "S10",
                    f"the turn of {r.describe()} was followed for {held:g}s; give up at "
                    f"{limit:g}s (at the first chunk after it: heartbeats come every {beat:g}s)",
                )
            )
        elif held < limit - _EPS:
            out.append(
                _v(
                    "S10",
                    f"the turn of {r.describe()} was given up after {held:g}s although it "
                    f"kept making progress (the limit is {limit:g}s)",
                )
            )
        if not _step_shown(obs, r.step, "problem"):
            out.append(_v("S10", f"the turn of {r.describe()} ran out without a Problem shown"))
        again = [x for x in later if x.kind == "run_sse" and x.message == r.message]
        if again:
            out.append(_v("S10", f"{again[0].describe()} re-sent the message of {r.describe()}"))
    return out


# --- translation and routing ------------------------------------------------------------------

_GUI = re.compile(
    r"\bclick\b|点击|\bdrag\b|\bdrop (?:it|them|the)\b|拖拽|\bexport button\b|导出按钮"
    r"|\bpreview (?:it )?in (?:the )?timeline\b|\bopen the \w+(?: \w+)? panel\b|打开"
    r"|\bcheck (?:your )?(?:account|billing)\b",
    re.I,
)
_ROUTES: dict[str, re.Pattern[str]] = {
    "export": re.compile(r"\bexport\b|导出|\bdownload\b|\bsend me the video\b", re.I),
    "credits": re.compile(r"\bcredits\b|积分|\bbalance\b|余额", re.I),
    "state": re.compile(r"\bstatus\b|状态|\bshow tracks\b", re.I),
}


def t1(_: Scenario, obs: Observation) -> list[Violation]:
    return [
        _v("T1", f"step {s.step} showed a GUI instruction ({m.group(0)!r}): {s.text[:80]!r}")
        for s in obs.shown
        if s.kind in ("reply", "changes") and (m := _GUI.search(s.text))
    ]


def t2(_: Scenario, obs: Observation) -> list[Violation]:
    out = []
    for r in obs.of_kind("run_sse"):
        for action in ("export", "credits"):
            if r.message and (m := _ROUTES[action].search(r.message)):
                out.append(
                    _v(
                        "T2",
                        f"{r.describe()} sent {m.group(0)!r} to the backend as a "
                        f"message ({action} is the client's job)",
                    )
                )
    return out


#: The request kinds that show an action was routed (export may stop at its pre-check).
_ROUTED_TO = {"export": ("render", "state"), "credits": ("credits",), "state": ("state",)}


def t3(scenario: Scenario, obs: Observation) -> list[Violation]:
    out = []
    for index, step in enumerate(scenario.steps):
        if step.op != "say" or index >= len(obs.step_times) or _step_shown(obs, index, "problem"):
            continue  # a step that failed (and said so) may stop before its routes
        kinds = {r.kind for r in obs.requests if r.step == index}
        for action, pattern in _ROUTES.items():
            if (m := pattern.search(step.text)) and not kinds & set(_ROUTED_TO[action]):
                out.append(
                    _v(
                        "T3",
                        f"step {index} said {m.group(0)!r} but no "
                        f"{'/'.join(_ROUTED_TO[action])} request followed",
                    )
                )
        rest = step.text
        for pattern in _ROUTES.values():
            rest = pattern.sub("", rest)
        if rest.strip(" ,.;!?，。！？和and") == "" and "run_sse" in kinds:
            out.append(
                _v(
                    "T3",
                    f"step {index} ({step.text!r}) is only a keyword, yet it was sent to /run_sse",
                )
            )
    return out


# --- secrets ----------------------------------------------------------------------------------

_TOKEN_LIKE = re.compile(re.escape(contract.TOKEN_PREFIX) + r"[A-Za-z0-9_\-]{6,}")
_CLAIM_LIKE = re.compile(re.escape(contract.CLAIM_TOKEN_PREFIX) + r"[A-Za-z0-9_\-]{6,}")


def _leaks(text: str, secrets: tuple[str, ...], claim: bool) -> str | None:
    for secret in secrets:
        if secret and secret in text:
            return "the API token"
    if _TOKEN_LIKE.search(text):
        return "an API token"
    if claim and _CLAIM_LIKE.search(text):
        return "a claim token"
    return None


def x1(_: Scenario, obs: Observation) -> list[Violation]:
    out = []
    places: list[tuple[str, str, bool]] = [
        *((f"step {s.step} showed ({s.kind})", s.text, False) for s in obs.shown),
        *(("a log record", line, True) for line in obs.logs),
        *(("an escaped exception", e, True) for e in obs.errors),
        *((f"the URL of {r.describe()}", f"{r.path}?{r.query}", True) for r in obs.requests),
    ]
    for where, text, claim in places:
        if what := _leaks(text, obs.secrets, claim):
            out.append(_v("X1", f"{where} contains {what}"))
    return out


# --- the registry -----------------------------------------------------------------------------

_TABLE: tuple[tuple[str, str, str, Judge], ...] = (
    (
        "H1",
        "Authorization on every call",
        "Authorization: Bearer <token> on every call except the anonymous-token call.",
        h1,
    ),
    (
        "H2",
        "attribution headers",
        "X-Skill-Source, X-Skill-Version and X-Skill-Platform on every request, well formed.",
        h2,
    ),
    (
        "H3",
        "client id on the token call",
        "POST /api/auth/anonymous-token carries X-Client-Id "
        "(≤ 64 chars), made once and kept: the same id across runs.",
        h3,
    ),
    ("H4", "token never in a URL", "Never put the API token in a URL.", h4),
    (
        "R1",
        "429 retried once after the wait",
        "429: wait 30 s (or Retry-After if longer) and retry once.",
        r1,
    ),
    ("R2", "402 never retried", "402: report the plan limit; never retry.", r2),
    (
        "R3",
        "1001 renews an anonymous token",
        "1001, anonymous token: get a new one (same client "
        "id) and retry once; NEMO_TOKEN from the user: report.",
        r3,
    ),
    (
        "R4",
        "1002 makes a new session",
        "1002: create a new session; retry the call once where it is safe.",
        r4,
    ),
    ("R5", "400 adds a client id", "400 (X-Client-Id missing): generate one and retry.", r5),
    (
        "R6",
        "render submit retried with a new id",
        "If submitting fails, retry once with a new id.",
        r6,
    ),
    (
        "R7",
        "a started stream is never re-sent",
        "Never re-send a message once its stream has started.",
        r7,
    ),
    ("R8", "render polls every 30 s, at most 10", "Clients poll every 30 s, at most 10 times.", r8),
    ("S1", "heartbeats never shown", "Heartbeats (all three forms) are never shown.", s1),
    (
        "S2",
        "tool calls never shown",
        "Tool calls and results are handled internally, never shown to the user.",
        s2,
    ),
    (
        "S3",
        "Still working every 2 minutes",
        'Every 2 minutes without text, tell the user "⏳ Still working...".',
        s3,
    ),
    (
        "S4",
        "stalled turns end",
        "10 minutes of nothing but heartbeats counts as a stalled turn.",
        s4,
    ),
    (
        "S5",
        "trailing noise dropped",
        'A trailing "I encountered a temporary issue" after normal output is noise: drop it.',
        s5,
    ),
    (
        "S6",
        "silent turns summarised",
        "Silent turns: fetch the state, diff it against the "
        "state before the turn, and summarise the change.",
        s6,
    ),
    (
        "S7",
        "disconnect recovery",
        "Stream broken: do not re-send; wait 30 s and fetch the "
        "state; unchanged → every 60 s; after 5 unchanged fetches report the failure.",
        s7,
    ),
    (
        "S8",
        "both event dialects read",
        "Event dialects: a robust client reads both ADK and simple.",
        s8,
    ),
    (
        "S9",
        "the stream is read by the WHATWG rules",
        "Read the event stream by the WHATWG rules (CR, LF or CRLF, even split across chunks; "
        "multi-line data; comments, also after an event with an id): every reply shown once.",
        s9,
    ),
    (
        "S10",
        "the 15-minute limit",
        "A turn that has not finished after 15 minutes is given up (reported, never re-sent), "
        "even while it keeps making progress.",
        s10,
    ),
    (
        "T1",
        "GUI instructions never shown",
        "Keep what the backend says about the content; strip the GUI instructions.",
        t1,
    ),
    (
        "T2",
        "export and credits never sent as messages",
        "Export and credits are handled by the client and never sent to the backend as a message.",
        t2,
    ),
    (
        "T3",
        "keywords routed in both languages",
        "export/导出 → export, credits/余额 → credits, status/状态/show tracks → state; not SSE.",
        t3,
    ),
    (
        "X1",
        "the token never shown or logged",
        "Tokens are secrets: never printed, logged, shown in a repr or an exception.",
        x1,
    ),
)

#: Every rule, in report order.
RULES: tuple[Rule, ...] = tuple(Rule(i, t, c, j) for i, t, c, j in _TABLE)


def rule_by_id(rule_id: str) -> Rule:
    """The rule named ``rule_id`` (case-insensitive); ``KeyError`` naming the known ids."""
    for rule in RULES:
        if rule.id == rule_id.upper():
            return rule
    raise KeyError(f"no rule {rule_id!r}; known: {', '.join(r.id for r in RULES)}")

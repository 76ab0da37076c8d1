"""The stream rules (S1–S10), as judges of an observation.

Heartbeats and tool calls never shown, "Still working" every 2 minutes, stalled and over-long
turns ended, trailing noise dropped, silent turns summarised, disconnect recovery, both event
dialects and the WHATWG reading of the stream. Registered in :data:`._rules.RULES`.
"""

from __future__ import annotations

import itertools
import math
import re

from conformance.drivers._protocol import Shown
from nemokit import contract

from ._judging import (
    _EPS,
    _complete_turns,
    _faults_by_id,
    _long,
    _one_event,
    _same_step_after,
    _step_shown,
    _stream_started,
    _turn_of,
    _v,
)
from ._model import Observation, Scenario, Violation
from ._rules_text import _GUI

_HEARTBEAT_SHOWN = re.compile(r"\bheartbeat\b|\bping\b|^\s*(?:\{|\[|data:|:|event:)", re.I)
_TOOL_MARKERS = ("functionCall", "functionResponse", "tool_call", "tool_result")


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


def _is_notice(shown: Shown) -> bool:
    return shown.kind == "progress" and "still working" in shown.text.lower()


def s3(scenario: Scenario, obs: Observation) -> list[Violation]:
    bad_steps = {r.step for r in obs.of_kind("run_sse") if r.fault or r.error}
    steps = {r.step for r, _ in _complete_turns(scenario, obs)} - bad_steps
    timed = {
        step
        for step in steps
        if all(s.at is not None for s in obs.shown if s.step == step and _is_notice(s))
    }
    return _s3_timed(scenario, obs, timed) + _s3_counted(scenario, obs, steps - timed)


def _s3_timed(scenario: Scenario, obs: Observation, steps: set[int]) -> list[Violation]:
    """Each notice against the schedule: 2 minutes after the turn began or after the last thing
    shown, at the first chunk from then on (within one heartbeat); and none missing in the quiet
    time (no gap longer than 2 minutes and a heartbeat without one)."""
    every, beat = contract.STILL_WORKING_EVERY, scenario.server.heartbeat_interval
    # Late by one heartbeat (and the scaled clock's jitter on the live backend, which can also
    # put a notice timed on the client's own clock a little early on the mock's).
    late = _one_event(scenario, obs)
    early = late - beat
    out = []
    for r, turn in _complete_turns(scenario, obs):
        if r.step not in steps:
            continue
        quiet_end = turn.end if turn.first_partial_at else (turn.first_text_at or turn.end)
        shown = sorted(
            (s for s in obs.shown if s.step == r.step and s.at is not None),
            key=lambda s: s.at or 0.0,
        )
        last = turn.start
        for s in shown:
            at = s.at or 0.0
            if at < turn.start - _EPS or at > turn.end + beat + _EPS:
                continue  # shown before or after this turn
            gap = at - last
            if _is_notice(s) and not every - early - _EPS <= gap <= every + late + _EPS:
                out.append(
                    _v(
                        "S3",
                        f"step {r.step} showed 'Still working' at {at:g}s, {gap:g}s after the "
                        f"last thing shown (due every {every:g}s, at the next heartbeat: "
                        f"{beat:g}s)",
                    )
                )
            if at <= quiet_end + _EPS and gap > every + late + _EPS and not _is_notice(s):
                out.append(_missing(r.step, last, at, every))
            last = at
        if quiet_end - last > every + late + _EPS:
            out.append(_missing(r.step, last, quiet_end, every))
    return out


def _missing(step: int, since: float, until: float, every: float) -> Violation:
    return _v(
        "S3",
        f"step {step} showed nothing from {since:g}s to {until:g}s while the turn worked "
        f"('Still working' is due every {every:g}s)",
    )


def _s3_counted(scenario: Scenario, obs: Observation, steps: set[int]) -> list[Violation]:
    """For a client that does not say when it showed what: how many notices, within one
    heartbeat at either end of the turn's quiet time."""
    every, beat = contract.STILL_WORKING_EVERY, scenario.server.heartbeat_interval
    bounds: dict[int, list[int]] = {}
    for r, turn in _complete_turns(scenario, obs):
        if r.step not in steps:
            continue
        early = turn.first_partial_at or turn.first_text_at or turn.end
        late = turn.end if turn.first_partial_at else (turn.first_text_at or turn.end)
        low = max(0, math.floor((early - turn.start - beat) / (every + beat)))
        high = math.floor((late - turn.start) / every)
        lo_hi = bounds.setdefault(r.step, [0, 0])
        lo_hi[0] += low
        lo_hi[1] += high
    out = []
    for step, (low, high) in sorted(bounds.items()):
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
        # The client notices the stall at the first heartbeat after 10 minutes: one interval.
        allowed = contract.STALL_AFTER + _one_event(scenario, obs)
        if gave_up - r.time > allowed + _EPS:
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
    # The client notices the limit at the first chunk after it: one heartbeat.
    late = limit + _one_event(scenario, obs)
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

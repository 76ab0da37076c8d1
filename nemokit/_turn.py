"""One ``/run_sse`` turn as a flow: what the user sees while the agent works, and how it ends.

Written once as a :data:`~nemokit._flow.Flow` and driven by either driver; all waits are
``Sleep`` steps and all times come from ``core.clock.now()``. The message is sent exactly once
(by ``Core.open_turn``, which alone may retry a refusal *before* the stream) and never again, in
any branch. The response is always closed.

How it reads the stream (the contract's rules, and the choices it leaves open):

- Text is shown as ``Reply`` views after GUI translation (content kept, instructions stripped,
  tips rewritten; the instructions that complete the user's request are collected into
  :attr:`TurnResult.actions`, the tips into :attr:`TurnResult.set_aside`). Tool calls, tool
  results, heartbeats of every form and unknown events are never shown.
- Partial ADK chunks are **buffered**, not streamed: a ``Reply`` is a whole message, so the
  chunks are joined and shown once when the final non-partial event arrives (it repeats them and
  replaces the buffer); a buffer with no final event is shown when the stream ends or breaks.
  Translating whole messages also keeps a GUI instruction split across chunks recognisable.
- "I encountered a temporary issue" (``NOISE_PHRASE``, any case, possibly followed by more words,
  alone or at the end of a message) is held back until the turn says what it is: shown if normal
  output follows it, dropped at the end if the turn did anything before it (normal text, or tool
  calls: a silent edit followed by the phrase is still a finished edit). If it is the *only*
  thing in the turn it is not trailing anything, so it is not noise: it is shown, and since
  nothing normal was said the turn is checked like a silent one.
- "⏳ Still working..." every ``still_working_every`` seconds in which nothing was shown; checked
  whenever a chunk arrives (heartbeats make chunks arrive; a sans-IO flow cannot wake by itself).
- ``stall_after`` seconds without a non-heartbeat event → ``stalled``; ``limit`` seconds since
  the stream opened → ``timed_out``. Both close the stream and say the message was not re-sent.
- A mid-stream error event → ``failed``.
- The stream closes with no normal text → a silent turn: one state fetch, a diff against the
  state before the turn, a ``Changes`` view.
- The stream breaks (an ``httpx.TransportError`` at a ``Read``) → disconnect recovery: wait
  ``recovery_first_wait``, fetch the state; changed → ``recovered``; unchanged → wait
  ``recovery_next_wait`` and fetch again; after ``recovery_max_fetches`` unchanged fetches →
  ``lost`` with a retryable ``Problem``.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import httpx

from . import contract
from ._draft import Timeline, diff_state
from ._errors import APIError, NemoConnectionError, NemoError
from ._events import Heartbeat, StreamError, TextEvent, ToolCall, ToolResult, TurnEvent, interpret
from ._flow import Close, Flow, Read, Show, Sleep
from ._sse import SSEDecoder
from ._translate import GuiAction
from ._turn_text import Transcript
from ._turn_text import split_noise as split_noise  # tests import it from here
from ._views import Changes, Notice, Problem, Progress, View

if TYPE_CHECKING:
    from collections.abc import Generator

    from ._core import Core
    from ._flow import Step
    from ._models import SessionState

__all__ = ["TurnOutcome", "TurnPolicy", "TurnResult", "run_turn"]

#: ``replied`` (normal text), ``silent`` (no normal text; the state was checked), ``recovered``
#: (the stream broke and the edit arrived), ``stalled``, ``timed_out``, ``lost`` (the stream broke
#: and no change arrived), ``failed`` (an error event in the stream).
TurnOutcome = Literal["replied", "silent", "recovered", "stalled", "timed_out", "lost", "failed"]

#: How the stream part of a turn ended: it closed, it broke, or the turn gave up on it.
_Ending = Literal["closed", "broken", "failed", "stalled", "timed_out"]
_GIVEN_UP: dict[str, TurnOutcome] = {
    "failed": "failed",
    "stalled": "stalled",
    "timed_out": "timed_out",
}

NOT_RESENT = "Your message was not sent again, so nothing was charged twice."


@dataclass(frozen=True, slots=True)
class TurnPolicy:
    """The waits of a turn, in seconds of the core's clock (the contract's values by default)."""

    still_working_every: float = contract.STILL_WORKING_EVERY
    stall_after: float = contract.STALL_AFTER
    limit: float = contract.TURN_LIMIT
    recovery_first_wait: float = contract.RECOVERY_FIRST_WAIT
    recovery_next_wait: float = contract.RECOVERY_NEXT_WAIT
    recovery_max_fetches: int = contract.RECOVERY_MAX_FETCHES

    def __post_init__(self) -> None:
        for name in ("still_working_every", "stall_after", "limit"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be > 0 seconds, got {getattr(self, name)}")
        for name in ("recovery_first_wait", "recovery_next_wait"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0 seconds, got {getattr(self, name)}")
        if self.recovery_max_fetches < 1:
            raise ValueError(f"recovery_max_fetches must be >= 1, got {self.recovery_max_fetches}")


@dataclass(frozen=True, slots=True)
class TurnResult:
    """How a turn ended and what it produced.

    ``text`` is every text shown (translated, noise dropped), ``actions`` the GUI instructions
    that complete the user's request (the conversation executes them), ``set_aside`` the tips
    and the instructions not carried out (diagnostics only), ``changes`` the draft changes seen
    (silent turn or recovery), ``tool_calls`` the tools the agent called (diagnostics only, never
    shown).
    """

    outcome: TurnOutcome
    text: str = ""
    actions: tuple[GuiAction, ...] = ()
    changes: tuple[str, ...] = ()
    set_aside: tuple[GuiAction, ...] = ()
    tool_calls: tuple[str, ...] = ()


@dataclass(slots=True)
class _Listener:
    """The stream side of a turn as a pure state machine: events and times in, views out."""

    policy: TurnPolicy
    opened: float
    last_event: float = 0.0  # the last non-heartbeat event
    last_shown: float = 0.0  # the last view shown while waiting
    transcript: Transcript = field(default_factory=Transcript)
    tool_calls: list[str] = field(default_factory=list)
    worked: bool = False  # a tool was called or answered
    error: str | None = None

    def __post_init__(self) -> None:
        self.last_event = self.last_shown = self.opened

    def on_event(self, event: TurnEvent, now: float) -> list[View]:
        if isinstance(event, Heartbeat):
            return []
        self.last_event = now
        views: list[View] = []
        if isinstance(event, TextEvent):
            views = self.transcript.add(event)
        elif isinstance(event, ToolCall | ToolResult):
            self.worked = True
            if isinstance(event, ToolCall):
                self.tool_calls.append(event.name)
        elif isinstance(event, StreamError):
            self.error = event.message
        if views:
            self.last_shown = now
        return views

    def on_tick(self, now: float) -> tuple[list[View], _Ending | None]:
        """After a chunk: the limit, then a stall, then whether "Still working" is due."""
        if now - self.opened >= self.policy.limit:
            return [], "timed_out"
        if now - self.last_event >= self.policy.stall_after:
            return [], "stalled"
        if now - self.last_shown >= self.policy.still_working_every:
            self.last_shown = now
            return [Progress(contract.STILL_WORKING_TEXT, stage="working")], None
        return [], None


_DEFAULT_POLICY = TurnPolicy()


def run_turn(
    core: Core,
    message: str,
    *,
    before: SessionState | None = None,
    policy: TurnPolicy = _DEFAULT_POLICY,
    request: str | None = None,
) -> Flow[TurnResult]:
    """Send ``message`` once over ``/run_sse`` and follow the turn to its end.

    ``before`` is the session state before the turn (fetched first when not given) so that a
    silent turn or a recovered one can say what changed. When that fetch fails the message is
    sent all the same (losing it would be worse than a vaguer summary) and the turn reports the
    timeline as it then is. A refusal from ``core.open_turn`` propagates; everything after the
    stream opens becomes a view and a :class:`TurnResult`. ``request`` is what the user asked
    for (``message`` when not given): only GUI instructions that complete it are collected.
    """
    if before is None:
        before = yield from _snapshot(core)
    response = yield from core.open_turn(message)
    listener = _Listener(policy, core.clock.now(), transcript=Transcript(request or message))
    try:
        ending = yield from _listen(response, listener, core)
    except GeneratorExit:
        raise  # the driver abandoned the flow: it can no longer yield a Close
    except BaseException:
        yield from _close(response)
        raise
    yield from _close(response)
    for view in listener.transcript.finish(listener.worked):
        yield Show(view)
    return (yield from _conclude(ending, listener, core, before, policy))


def _snapshot(core: Core) -> Flow[SessionState | None]:
    """The state before the turn, or ``None`` when it cannot be read right now."""
    try:
        return (yield from core.state())
    except (APIError, NemoConnectionError):
        return None


def _listen(
    response: httpx.Response, listener: _Listener, core: Core
) -> Generator[Step, Any, _Ending]:
    """Read the stream until it ends (closed or broken) or the turn is given up."""
    decoder = SSEDecoder()
    while True:
        try:
            chunk: bytes = yield Read(response)
        except httpx.TransportError:
            return "broken"
        for item in decoder.feed(chunk) if chunk else decoder.flush():
            for event in interpret(item):
                for view in listener.on_event(event, core.clock.now()):
                    yield Show(view)
                if listener.error is not None:
                    return "failed"
        if not chunk:
            return "closed"
        views, outcome = listener.on_tick(core.clock.now())
        for view in views:
            yield Show(view)
        if outcome is not None:
            return outcome


def _close(response: httpx.Response) -> Flow[None]:
    with contextlib.suppress(httpx.TransportError):  # a broken connection is closed either way
        yield Close(response)


def _conclude(
    ending: _Ending,
    listener: _Listener,
    core: Core,
    before: SessionState | None,
    policy: TurnPolicy,
) -> Flow[TurnResult]:
    """Turn how the stream ended into the last views and the result."""
    changes: tuple[str, ...] = ()
    if ending == "closed":
        outcome: TurnOutcome = "replied" if listener.transcript.normal else "silent"
        if outcome == "silent":
            changes = yield from _silent(core, before)
    elif ending == "broken":
        outcome, changes = yield from _recover(core, before, policy)
    else:
        outcome = _GIVEN_UP[ending]
        yield Show(_problem(outcome, listener, policy))
    transcript = listener.transcript
    return TurnResult(
        outcome=outcome,
        text="\n".join(transcript.shown),
        actions=tuple(transcript.actions),
        changes=changes,
        set_aside=tuple(transcript.set_aside),
        tool_calls=tuple(listener.tool_calls),
    )


def _problem(outcome: str, listener: _Listener, policy: TurnPolicy) -> Problem:
    check = "Ask for the status to see whether the edit landed, or send the message again."
    if outcome == "failed":
        text = f"The editor reported an error: {listener.error}. {NOT_RESENT} {check}"
        return Problem(text, retryable=True, details=(listener.error or "",))
    if outcome == "stalled":
        waited = _minutes(policy.stall_after)
        text = f"The editor sent nothing but keep-alive signals for {waited}, so I stopped waiting."
    else:
        text = f"The editor did not finish within {_minutes(policy.limit)}, so I stopped waiting."
    return Problem(f"{text} {NOT_RESENT} {check}", retryable=True)


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:g} minutes" if seconds >= 60 else f"{seconds:g} seconds"


def _silent(core: Core, before: SessionState | None) -> Flow[tuple[str, ...]]:
    """The stream closed without a reply: one state fetch says what the turn did."""
    changes = yield from _fetch_changes(core, before)
    if changes is None:
        text = "The turn ended without a reply and the project could not be checked. "
        yield Show(Problem(text + "Ask for the status to see what changed.", retryable=False))
        return ()
    if changes:
        yield Show(Changes("Done: " + "; ".join(changes) + ".", changes))
    else:
        yield Show(Changes("The turn ended without a reply and no changes were applied.", ()))
    return changes


def _recover(
    core: Core, before: SessionState | None, policy: TurnPolicy
) -> Flow[tuple[TurnOutcome, tuple[str, ...]]]:
    """The stream broke: never re-send; watch the state for the edit to land."""
    yield Show(Notice(f"The connection dropped. {NOT_RESENT} Checking whether the edit arrived..."))
    for attempt in range(policy.recovery_max_fetches):
        wait = policy.recovery_first_wait if attempt == 0 else policy.recovery_next_wait
        yield Sleep(wait)
        changes = yield from _fetch_changes(core, before)
        if changes and before is None:
            # Nothing to compare with: say what is there, and do not claim the edit arrived.
            text = (
                "The connection dropped. The timeline before the turn could not be read, so I "
                f"cannot tell whether the edit arrived; {changes[0]}. {NOT_RESENT}"
            )
            yield Show(Changes(text, changes))
            return "recovered", changes
        if changes:
            text = "The connection dropped, but the edit arrived: " + "; ".join(changes) + "."
            yield Show(Changes(text, changes))
            return "recovered", changes
    text = (
        f"The connection dropped and the edit did not arrive after {policy.recovery_max_fetches} "
        f"checks. {NOT_RESENT} You can retry the message."
    )
    yield Show(Problem(text, retryable=True))
    return "lost", ()


def _fetch_changes(core: Core, before: SessionState | None) -> Flow[tuple[str, ...] | None]:
    """The changes since ``before`` (``()`` when none); ``None`` when the state was unreadable.

    With no ``before`` (it could not be read) nothing can be compared, so the answer is the
    timeline as it now stands, said as such.
    """
    try:
        after = yield from core.state()
    except (NemoError, httpx.TransportError):
        return None
    if before is None:
        return (f"the timeline now reads: {Timeline.from_draft(after.draft).summary()}",)
    changes = diff_state(before.state, after.state)
    if not changes and after.state != before.state:
        return ("the project was updated",)  # a change the draft diff does not describe
    return changes

"""Stateful conformance: one long-lived client session, user actions and faults in any order.

:func:`conformance_machine` builds a hypothesis ``RuleBasedStateMachine`` for a client (any
adapter factory, see :mod:`conformance.drivers._adapter`). Each example starts ONE client
against ONE in-process mock sharing a :class:`~nemokit.VirtualClock`
(:class:`~conformance.suite._harness.IncrementalRun`), opens with an upload (or a greeting, or
a credits check), then applies a sequence of

- user actions: upload a clip, an edit request, a routing keyword (English or Chinese),
  export, credits, status;
- fault injections for the requests to come: 429 with or without ``Retry-After``, contract
  code 1001 (token invalid), 1002 (session lost) on a message, a stream cut after K events.
  One fault is pending at a time (the next is injected once it has struck), so each judge
  sees the fault it was written for.

After every step it checks the invariants on the observation so far (the mock's journal and what
the client showed, built as the harness builds it for a whole scenario): every rule in
:data:`conformance.suite._rules.RULES` holds, every account's credits keep ``available + frozen ==
total``, and no token appears in anything the client showed. A failure shrinks to the shortest
sequence of actions and faults that breaks it, which hypothesis prints as a replayable program.

Run your own client through it in a test module::

    from conformance.suite._stateful import conformance_machine
    from mypkg.adapter import factory          # factory(transport, clock, env, config_dir)

    TestMyClientStateful = conformance_machine(factory).TestCase

Settings (examples, steps per example) come from the hypothesis profile in force; set
``TestMyClientStateful.settings = hypothesis.settings(stateful_step_count=...)`` to change them.
"""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from conformance.drivers._adapter import nemokit_factory
from conformance.drivers._protocol import AdapterFactory, Step

from ._harness import IncrementalRun
from ._model import Fault, ServerVariant
from ._rules import RULES, Rule
from ._strategies import EDITS

__all__ = ["conformance_machine"]

#: The clips a user uploads (made from the name by the harness).
CLIPS = ("clip.mp4", "beach.mov", "voice.mp3", "logo.png")
#: Messages that only route (never sent to the backend), in both languages.
KEYWORDS = {
    "export": ("export", "导出"),
    "credits": ("credits", "余额", "积分", "balance"),
    "state": ("status", "状态", "show tracks"),
}
#: A quiet server with some silent turns (a reply can then be checked turn by turn).
DEFAULT_SERVER = ServerVariant(silent_rate=0.3, noise_rate=0.0)


def conformance_machine(
    factory: AdapterFactory = nemokit_factory,
    *,
    server: ServerVariant = DEFAULT_SERVER,
    rules: Sequence[Rule] = RULES,
) -> type[RuleBasedStateMachine]:
    """A state machine class that drives the client ``factory`` makes (see the module docs);
    ``server`` is the mock's variant, ``rules`` the rules checked after every step."""

    class ConformanceMachine(RuleBasedStateMachine):
        """User actions and faults on one long-lived session; the rules as invariants."""

        def __init__(self) -> None:
            super().__init__()
            self.run = IncrementalRun(factory, server)

        def teardown(self) -> None:
            self.run.close()

        # --- user actions ---------------------------------------------------------------------

        @initialize(first=st.sampled_from(("upload", "hello", "credits")))
        def begin(self, first: str) -> None:
            # Most sessions start with footage, so that edits do work (tool calls, changes).
            if first == "upload":
                self.run.step(Step("upload", files=(CLIPS[0],)))
            else:
                self.run.step(Step("say", first))

        @rule(name=st.sampled_from(CLIPS))
        def upload(self, name: str) -> None:
            self.run.step(Step("upload", files=(name,)))

        @rule(text=st.sampled_from(EDITS))
        def edit(self, text: str) -> None:
            self.run.step(Step("say", text))

        @rule(action=st.sampled_from(sorted(KEYWORDS)), which=st.integers(0, 3))
        def keyword(self, action: str, which: int) -> None:
            words = KEYWORDS[action]
            self.run.step(Step("say", words[which % len(words)]))

        @rule(zh=st.booleans())
        def export(self, zh: bool) -> None:
            self.run.step(Step("say", "导出" if zh else "export"))

        @rule()
        def credits(self) -> None:
            self.run.step(Step("say", "credits"))

        @rule()
        def state(self) -> None:
            self.run.step(Step("say", "status"))

        # --- faults (one pending at a time) ---------------------------------------------------

        def _idle(self) -> bool:
            return len(self.run.server.faults) == 0

        @precondition(_idle)
        @rule(
            kind=st.sampled_from(("credits", "state", "run_sse")),
            retry_after=st.sampled_from((None, 10.0, 45.0, 90.0)),
        )
        def rate_limited(self, kind: str, retry_after: float | None) -> None:
            self.run.add_fault(Fault(kind, "status", status=429, retry_after=retry_after))

        @precondition(_idle)
        @rule(kind=st.sampled_from(("credits", "state", "run_sse")))
        def token_invalid(self, kind: str) -> None:
            self.run.add_fault(Fault(kind, "code", code=1001))

        @precondition(_idle)
        @rule()
        def session_lost(self) -> None:
            self.run.add_fault(Fault("run_sse", "code", code=1002))

        @precondition(_idle)
        @rule(after=st.integers(0, 3))
        def cut_stream(self, after: int) -> None:
            self.run.add_fault(Fault("run_sse", "cut", cut_after=after))

        # --- invariants -----------------------------------------------------------------------

        @invariant()
        def every_rule_holds(self) -> None:
            observation = self.run.observation()
            scenario = self.run.scenario
            violations = [str(v) for r in rules for v in r.check(scenario, observation)]
            assert not violations, "\n".join(violations)

        @invariant()
        def credits_add_up(self) -> None:
            state = self.run.server.state
            with state.lock:
                accounts = list(getattr(state, "_accounts", {}).values())
                balances = [state.credits(account) for account in accounts]
            for b in balances:
                assert b.available + b.frozen == b.total, f"credits do not add up: {b}"

        @invariant()
        def token_never_shown(self) -> None:
            observation = self.run.observation()
            for shown in observation.shown:
                leaked = [s for s in observation.secrets if s and s in shown.text]
                assert not leaked, f"step {shown.step} showed the API token ({shown.kind})"

    ConformanceMachine.__name__ = ConformanceMachine.__qualname__ = "ConformanceMachine"
    return ConformanceMachine

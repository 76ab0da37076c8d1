"""The rules: one judge per rule of docs/contract.md that a client can break.

Each :class:`Rule` has an id, the contract sentence it states and a judge
``(scenario, observation) -> list[Violation]``, written from the contract on its own (never from
the client's code), so a mistake in the client is caught here. A judge names the request(s)
(``#5 POST /run_sse at 45s``) or the view that broke the rule. Judges are pure: they can be
unit-tested on hand-built observations.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._judging import Judge
from ._model import Observation, Scenario, Violation
from ._rules_http import h1, h2, h3, h4, r1, r2, r3, r4, r5, r6, r7, r8
from ._rules_stream import s1, s2, s3, s4, s5, s6, s7, s8, s9, s10
from ._rules_text import t1, t2, t3, x1

__all__ = ["RULES", "Judge", "Rule", "rule_by_id"]


@dataclass(frozen=True, slots=True)
class Rule:
    """A named rule: ``id`` (H1…), a short ``title``, the ``contract`` sentence and its judge."""

    id: str
    title: str
    contract: str
    judge: Judge

    def check(self, scenario: Scenario, observation: Observation) -> list[Violation]:
        return self.judge(scenario, observation)


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

"""The translation, routing and secret rules (T1–T3, X1), as judges of an observation.

GUI instructions stripped from what is shown, export and credits handled by the client and never
sent as messages, keywords routed in both languages, and tokens never shown or logged. The
routing rules judge by what each step means (:func:`._intent.intent_of`: the intent the strategy
generated it with), never by a regex over the text: "add end credits" is an edit, "how many
credits do I have" asks for the balance.
Registered in :data:`._rules.RULES`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from conformance.drivers._protocol import Step
from nemokit import contract

from ._intent import carries, intent_of
from ._judging import _step_shown, _v
from ._model import Observation, Scenario, Violation

Intent = tuple[tuple[str, str], ...]

# --- translation and routing ------------------------------------------------------------------

_GUI = re.compile(
    r"\bclick\b|点击|\bdrag\b|\bdrop (?:it|them|the)\b|拖拽|\bexport button\b|导出按钮"
    r"|\bpreview (?:it )?in (?:the )?timeline\b|\bopen the \w+(?: \w+)? panel\b|打开"
    r"|\bcheck (?:your )?(?:account|billing)\b",
    re.I,
)
#: The request kinds that show a client action was done (export may stop at its pre-check).
_ROUTED_TO = {"export": ("render", "state"), "credits": ("credits",), "state": ("state",)}
#: The request kinds an action makes that nothing else in a message-only step would.
_ONLY_BY = {"export": "render", "credits": "credits"}
_WHAT = {"export": "a render", "credits": "the balance", "state": "the state"}


def t1(_: Scenario, obs: Observation) -> list[Violation]:
    return [
        _v("T1", f"step {s.step} showed a GUI instruction ({m.group(0)!r}): {s.text[:80]!r}")
        for s in obs.shown
        if s.kind in ("reply", "changes") and (m := _GUI.search(s.text))
    ]


def _said(scenario: Scenario, obs: Observation) -> Iterator[tuple[int, Step, Intent]]:
    """Each ``say`` step that ran and did not fail (a step that failed, and said so, may stop
    before its routes), with its intent."""
    for index, step in enumerate(scenario.steps):
        ran = step.op == "say" and index < len(obs.step_times)
        if ran and not _step_shown(obs, index, "problem"):
            yield index, step, intent_of(step)


def t2(scenario: Scenario, obs: Observation) -> list[Violation]:
    out = []
    for index, step, intent in _said(scenario, obs):
        edits = [clause for action, clause in intent if action == "message"]
        for action, clause in intent:
            if action not in _ONLY_BY:
                continue
            for r in obs.of_kind("run_sse"):
                if r.step == index and r.message and carries(r.message, clause, edits):
                    out.append(
                        _v(
                            "T2",
                            f"step {index} said {step.text!r}: {clause!r} asks for "
                            f"{_WHAT[action]}, yet {r.describe()} sent it to the backend as a "
                            f"message ({action} is the client's job)",
                        )
                    )
    return out


def t3(scenario: Scenario, obs: Observation) -> list[Violation]:
    out = []
    for index, step, intent in _said(scenario, obs):
        mine = [r for r in obs.requests if r.step == index]
        kinds = {r.kind for r in mine}
        sent = [r.message or "" for r in mine if r.kind == "run_sse"]
        said = f"step {index} said {step.text!r}"
        for action, clause in intent:
            if action in _ROUTED_TO and not kinds & set(_ROUTED_TO[action]):
                out.append(
                    _v(
                        "T3",
                        f"{said}: {clause!r} asks for {_WHAT[action]}, but no "
                        f"{'/'.join(_ROUTED_TO[action])} request followed",
                    )
                )
            if action == "message" and not any(carries(m, clause) for m in sent):
                out.append(
                    _v(
                        "T3",
                        f"{said}: {clause!r} is an edit for the agent, but no /run_sse message "
                        "carried it (a routing word inside an edit is not a request)",
                    )
                )
        actions = {action for action, _ in intent}
        if "message" not in actions and sent:
            out.append(
                _v("T3", f"{said}: it asks only for the client's actions, yet /run_sse was called")
            )
        # Before the first turn nothing but the user's words can have asked for these (after
        # it, the agent may have: "Click the Export button" is run as an export).
        first_turn = min((r.seq for r in mine if r.kind == "run_sse"), default=None)
        before = [r for r in mine if first_turn is None or r.seq < first_turn]
        for action, kind in _ONLY_BY.items():
            early = [r for r in before if r.kind == kind]
            if action not in actions and early:
                out.append(
                    _v(
                        "T3",
                        f"{said}: nothing in it asks for {_WHAT[action]}, yet "
                        f"{early[0].describe()} was made",
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

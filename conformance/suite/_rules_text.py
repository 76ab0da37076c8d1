"""The translation, routing and secret rules (T1–T3, X1), as judges of an observation.

GUI instructions stripped from what is shown, export and credits handled by the client and never
sent as messages, keywords routed in both languages, and tokens never shown or logged.
Registered in :data:`._rules.RULES`.
"""

from __future__ import annotations

import re

from nemokit import contract

from ._judging import _step_shown, _v
from ._model import Observation, Scenario, Violation

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

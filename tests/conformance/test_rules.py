"""Each rule's judge on hand-built observations: one that keeps the rule, one that breaks it."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.drivers._protocol import Shown, Step
from conformance.suite._model import (
    Fault,
    Observation,
    Request,
    Scenario,
    ServerVariant,
    TurnRecord,
)
from conformance.suite._rules import RULES, rule_by_id

TOKEN = "nmv_usr_abcdefghijklmnop"
SID = "1234567890123456789"
GOOD = (
    ("Authorization", f"Bearer {TOKEN}"),
    ("X-Skill-Source", "ai-video-editor-link"),
    ("X-Skill-Version", "0.1.0"),
    ("X-Skill-Platform", "unknown"),
)
TOKEN_HEADERS = (*GOOD[1:], ("X-Client-Id", "cid-1"))
PATHS = {
    "token": ("POST", "/api/auth/anonymous-token"),
    "session": ("POST", "/api/tasks/me/with-session/nemo_agent"),
    "run_sse": ("POST", "/run_sse"),
    "credits": ("GET", "/api/credits/balance/simple"),
    "state": ("GET", f"/api/state/nemo_agent/me/{SID}/latest"),
    "render": ("POST", "/api/render/proxy/lambda"),
    "poll": ("GET", "/api/render/proxy/lambda/render_1"),
}


def req(seq: int, kind: str, t: float = 0.0, *, step: int = 0, **kw: Any) -> Request:
    method, path = PATHS[kind]
    headers = kw.pop("headers", TOKEN_HEADERS if kind == "token" else GOOD)
    message = kw.pop("message", None)
    if message is not None:
        kw["body"] = {"new_message": {"parts": [{"text": message}]}}
    kw.setdefault("status", 200)
    kw.setdefault("code", None if kind == "run_sse" else 0)
    return Request(seq, t, method, path, kw.pop("query", ""), headers, step=step, **kw)


def obs(*requests: Request, **kw: Any) -> Observation:
    kw.setdefault("secrets", (TOKEN,))
    kw.setdefault("step_times", ((0.0, 2000.0),) * 3)
    return Observation(requests=requests, **kw)


def turn(start: float = 0.0, **kw: Any) -> TurnRecord:
    base: dict[str, Any] = {
        "message": "trim",
        "start": start,
        "end": start + 20,
        "texts": ("Done! I trimmed the pauses.",),
        "noise": (),
        "tools": ("trim_pauses",),
        "silent": False,
        "changed": True,
        "kind": "edit",
        "applied_at": start + 15,
        "first_text_at": start + 18,
    }
    base.update(kw)
    return TurnRecord(**base)


S = Scenario()
SAY = Scenario(steps=(Step("say", "trim"),))


def f429(retry_after: float | None = None) -> Scenario:
    return Scenario(faults=(Fault("credits", "status", status=429, retry_after=retry_after),))


def stall() -> Scenario:
    return Scenario(faults=(Fault("run_sse", "stall"),))


def cut() -> Scenario:
    return Scenario(faults=(Fault("run_sse", "cut", cut_after=1),))


sse = {"message": "trim"}
CASES: list[tuple[str, Scenario, Observation, Observation]] = [
    (
        "H1",
        S,
        obs(req(1, "token"), req(2, "credits")),
        obs(req(1, "token"), req(2, "credits", headers=GOOD[1:])),
    ),
    (
        "H2",
        S,
        obs(req(1, "credits")),
        obs(
            req(
                1,
                "credits",
                headers=(
                    GOOD[0],
                    GOOD[1],
                    ("X-Skill-Version", "latest"),
                    ("X-Skill-Platform", "vscode"),
                ),
            )
        ),
    ),
    (
        "H3",
        S,
        obs(req(1, "token"), req(2, "token", step=1)),
        obs(
            req(1, "token"), req(2, "token", step=1, headers=(*GOOD[1:], ("X-Client-Id", "other")))
        ),
    ),
    ("H4", S, obs(req(1, "credits")), obs(req(1, "credits", query=f"token={TOKEN}"))),
    (
        "R1",
        f429(45),
        obs(req(1, "credits", status=429, code=429), req(2, "credits", 45.0)),
        obs(req(1, "credits", status=429, code=429), req(2, "credits", 30.0)),
    ),
    (
        "R1",
        f429(),
        obs(req(1, "credits", status=429), req(2, "credits", 30, status=429)),
        obs(
            req(1, "credits", status=429), req(2, "credits", 30, status=429), req(3, "credits", 60)
        ),
    ),
    (
        "R2",
        S,
        obs(req(1, "render", status=402), req(2, "credits")),
        obs(req(1, "render", status=402), req(2, "render")),
    ),
    (
        "R3",
        S,
        obs(req(1, "token"), req(2, "credits", code=1001), req(3, "token"), req(4, "credits")),
        obs(req(1, "token"), req(2, "credits", code=1001), req(3, "credits")),
    ),
    (
        "R3",
        Scenario(token_mode="user"),
        obs(
            req(1, "credits", code=1001), shown=(Shown("problem", "Your NEMO_TOKEN is invalid", 0),)
        ),
        obs(req(1, "credits", code=1001), req(2, "token"), req(3, "credits")),
    ),
    (
        "R4",
        S,
        obs(req(1, "run_sse", code=1002, **sse), req(2, "session"), req(3, "run_sse", **sse)),
        obs(req(1, "run_sse", code=1002, **sse), req(2, "run_sse", **sse)),
    ),
    (
        "R5",
        S,
        obs(req(1, "token", status=400, code=400), req(2, "token")),
        obs(
            req(1, "token", status=400, code=400, headers=GOOD[1:]),
            req(2, "token", headers=GOOD[1:]),
        ),
    ),
    (
        "R6",
        S,
        obs(req(1, "render", status=500, body={"id": "a"}), req(2, "render", body={"id": "b"})),
        obs(req(1, "render", status=500, body={"id": "a"}), req(2, "render", body={"id": "a"})),
    ),
    (
        "R7",
        S,
        obs(req(1, "run_sse", **sse), req(2, "state"), req(3, "run_sse", message="other")),
        obs(req(1, "run_sse", **sse), req(2, "run_sse", 30, **sse)),
    ),
    (
        "R8",
        S,
        obs(*(req(i, "poll", 30.0 * i) for i in range(1, 11))),
        obs(req(1, "poll", 0), req(2, "poll", 5)),
    ),
    (
        "S1",
        S,
        obs(shown=(Shown("reply", "Done: trimmed", 0),)),
        obs(shown=(Shown("reply", '{"type": "heartbeat"}', 0),)),
    ),
    (
        "S2",
        SAY,
        obs(req(1, "run_sse", **sse), turns=(turn(),), shown=(Shown("reply", "Trimmed", 0),)),
        obs(
            req(1, "run_sse", **sse), turns=(turn(),), shown=(Shown("reply", "trim_pauses {}", 0),)
        ),
    ),
    (
        "S3",
        SAY,
        obs(
            req(1, "run_sse", **sse),
            turns=(turn(end=250, first_text_at=250),),
            shown=(Shown("progress", "⏳ Still working...", 0),) * 2,
        ),
        obs(req(1, "run_sse", **sse), turns=(turn(end=250, first_text_at=250),)),
    ),
    (
        "S4",
        stall(),
        obs(
            req(1, "run_sse", fault="fault_1", **sse),
            step_times=((0.0, 610.0),),
            shown=(Shown("problem", "stalled", 0),),
        ),
        obs(req(1, "run_sse", fault="fault_1", **sse), step_times=((0.0, 1200.0),)),
    ),
    (
        "S5",
        SAY,
        obs(req(1, "run_sse", **sse), turns=(turn(noise=("I encountered a temporary issue.",)),)),
        obs(
            req(1, "run_sse", **sse),
            turns=(turn(noise=("I encountered a temporary issue.",)),),
            shown=(Shown("reply", "I encountered a temporary issue.", 0),),
        ),
    ),
    (
        "S6",
        SAY,
        obs(
            req(1, "run_sse", **sse),
            req(2, "state", 20),
            turns=(turn(silent=True, texts=()),),
            shown=(Shown("changes", "Video trimmed: 10s → 8s", 0),),
        ),
        obs(req(1, "run_sse", **sse), turns=(turn(silent=True, texts=()),)),
    ),
    (
        "S7",
        cut(),
        obs(
            req(1, "run_sse", fault="fault_1", **sse),
            *(req(i + 2, "state", 30 + 60 * i) for i in range(5)),
            turns=(turn(changed=False),),
            shown=(Shown("problem", "lost", 0),),
        ),
        obs(
            req(1, "run_sse", fault="fault_1", **sse),
            req(2, "state", 5),
            req(3, "run_sse", 6, **sse),
            turns=(turn(changed=False),),
        ),
    ),
    (
        "S8",
        SAY,
        obs(
            req(1, "run_sse", **sse),
            turns=(turn(),),
            shown=(Shown("reply", "Done! I trimmed the pauses.", 0),),
        ),
        obs(req(1, "run_sse", **sse), turns=(turn(),), shown=(Shown("notice", "ok", 0),)),
    ),
    (
        "S9",
        SAY,
        obs(
            req(1, "run_sse", **sse),
            turns=(turn(),),
            shown=(Shown("reply", "Done! I trimmed the pauses.", 0),),
        ),
        obs(
            req(1, "run_sse", **sse),
            turns=(turn(),),
            shown=(Shown("reply", "Done! I trimmed the pauses.", 0),) * 2,
        ),
    ),
    (
        "S10",
        Scenario(steps=SAY.steps, faults=(Fault("run_sse", "long"),)),
        obs(
            req(1, "run_sse", **sse),
            step_times=((0.0, 920.0),),
            shown=(Shown("problem", "did not finish within 15 minutes", 0),),
        ),
        obs(req(1, "run_sse", **sse), step_times=((0.0, 1200.0),)),
    ),
    (
        "T1",
        S,
        obs(shown=(Shown("reply", "Your video is trimmed.", 0),)),
        obs(shown=(Shown("reply", "点击导出按钮即可下载视频。", 0),)),
    ),
    (
        "T2",
        S,
        obs(req(1, "run_sse", message="trim the pauses")),
        obs(req(1, "run_sse", message="trim the pauses and export")),
    ),
    (
        "T3",
        Scenario(steps=(Step("say", "余额"),)),
        obs(req(1, "credits")),
        obs(req(1, "run_sse", message="余额")),
    ),
    (
        "X1",
        S,
        obs(shown=(Shown("reply", "ok", 0),), logs=("httpx INFO HTTP Request: GET /x",)),
        obs(logs=(f"nemokit DEBUG Authorization: Bearer {TOKEN}",)),
    ),
]


@pytest.mark.parametrize(
    ("rule_id", "scenario", "good", "bad"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_judge_passes_the_good_and_names_the_bad(
    rule_id: str, scenario: Scenario, good: Observation, bad: Observation
) -> None:
    rule = rule_by_id(rule_id)
    assert rule.check(scenario, good) == []
    violations = rule.check(scenario, bad)
    assert violations, f"{rule_id} missed the violation"
    assert all(v.rule == rule_id for v in violations)


def test_every_rule_has_a_judge_case() -> None:
    assert {r.id for r in RULES} == {c[0] for c in CASES}


def test_violation_messages_name_the_request_not_the_token() -> None:
    bad = obs(req(1, "token"), req(2, "credits", headers=GOOD[1:]))
    (violation,) = rule_by_id("H1").check(S, bad)
    assert "#2 GET /api/credits/balance/simple" in violation.message
    assert TOKEN not in str(violation)


def test_x1_allows_the_claim_link_shown_but_not_logged() -> None:
    link = "https://nemovideo.com/workspace/claim?ct=clm_abcdefghijkl"
    assert rule_by_id("X1").check(S, obs(shown=(Shown("video_ready", link, 0),))) == []
    assert rule_by_id("X1").check(S, obs(logs=(link,)))


def test_unknown_rule_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="H1"):
        rule_by_id("Z9")


def test_variant_is_judged_by_s8_dialect_in_message() -> None:
    scenario = Scenario(server=ServerVariant(dialect="simple"), steps=SAY.steps)
    bad = next(c[3] for c in CASES if c[0] == "S8")
    (v,) = rule_by_id("S8").check(scenario, bad)
    assert "simple dialect" in v.message

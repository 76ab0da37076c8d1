"""One document of our own per finding kind: the checker finds it, at its line, with its severity.

Every document starts with the same four lines of front matter, so a command in the first bash
block is on line 6 and a first prose line is on line 5.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from _skill_docs import ATTR, AUTH, FRONT, bash, found

from conformance.skills import Severity, check_path, check_text

CREDITS = '"$API/api/credits/balance/simple"'
CASES: dict[str, tuple[str, tuple[int, str, str]]] = {
    "unknown endpoint": (bash(f'curl -s "$API/api/v2/magic" {AUTH} {ATTR}'),
                         (6, "error", "unknown-endpoint")),
    "an endpoint no version has": (bash("curl -s -X POST https://api.nemovideo.ai/v1/generate"),
                                   (6, "error", "unknown-endpoint")),
    "unknown host": (bash(f"curl -s https://example.org/api/credits/balance/simple {AUTH} {ATTR}"),
                     (6, "error", "unknown-host")),
    "user-id state path": (
        bash(f'curl -s "$API/api/state/nemo_agent/$USER_ID/$SID/latest" {AUTH} {ATTR}'),
        (6, "warning", "deprecated-form"),
    ),
    "render draft path": (
        bash(f"curl -s -X POST \"$API/api/render/proxy/draft\" {AUTH} {ATTR} "
             "-d '{\"id\":\"render_5\",\"sessionId\":\"<sid>\",\"draft\":<json>}'"),
        (6, "warning", "deprecated-form"),
    ),
    "X-API-Key headers": (bash(f'curl -s {CREDITS} -H "X-API-Key: $TOKEN" -H "X-User-Id: $UID" '
                               f"{ATTR}"), (6, "warning", "deprecated-form")),
    "attribution missing": (bash(f"curl -s {CREDITS} {AUTH}"),
                            (6, "warning", "attribution-headers")),
    "attribution missing where the document's own rule asks for it": (
        "Every request carries X-Skill-Source, X-Skill-Version and X-Skill-Platform.\n"
        + bash(f"curl -s {CREDITS} {AUTH}"),
        (7, "note", "attribution-headers"),
    ),
    "attribution missing on export": (
        bash(f"curl -s -X POST \"$API/api/render/proxy/lambda\" {AUTH} "
             "-d '{\"id\":\"render_7\",\"sessionId\":\"<sid>\",\"draft\":<json>}'"),
        (6, "error", "attribution-headers"),
    ),
    "attribution version differs from the front matter": (
        bash(f'curl -s {CREDITS} {AUTH} -H "X-Skill-Source: t" -H "X-Skill-Version: 9.9.9" '
             '-H "X-Skill-Platform: unknown"'),
        (6, "warning", "attribution-headers"),
    ),
    "a platform the contract does not name": (
        bash(f'curl -s {CREDITS} {AUTH} -H "X-Skill-Source: t" -H "X-Skill-Version: 1.0.0" '
             '-H "X-Skill-Platform: github"'),
        (6, "warning", "attribution-headers"),
    ),
    "client id missing": (bash(f'curl -s -X POST "$API/api/auth/anonymous-token" {ATTR}'),
                          (6, "error", "client-id")),
    "client id too long": (
        bash(f'curl -s -X POST "$API/api/auth/anonymous-token" -H "X-Client-Id: {"a" * 65}" '
             f"{ATTR}"),
        (6, "error", "client-id"),
    ),
    "token in a query": (bash(f'curl -s "$API/api/credits/balance/simple?token=$TOKEN" {ATTR}'),
                         (6, "error", "token-in-url")),
    "token in a browser link": ("Open $WEB/workspace/claim?token=$TOKEN&task=<task_id>\n",
                                (5, "error", "token-in-url")),
    "a body that is not JSON": (
        bash(f'curl -s -X POST "$API/api/tasks/me/with-session/nemo_agent" {AUTH} {ATTR} '
             "-d 'task_name=project'"),
        (6, "error", "body-shape"),
    ),
    "a body without new_message": (
        bash(f'curl -s -X POST "$API/run_sse" {AUTH} {ATTR} '
             '-d \'{"app_name":"nemo_agent","session_id":"<sid>"}\''),
        (6, "error", "body-shape"),
    ),
    "session_id where the contract says sessionId": (
        bash(f'curl -s -X POST "$API/api/render/proxy/lambda" {AUTH} {ATTR} '
             '-d \'{"id":"render_8","session_id":"<sid>","draft":<json>}\''),
        (6, "error", "body-shape"),
    ),
    "a call the mock refuses": (
        bash(f'curl -s -X POST "$API/api/upload-video/nemo_agent/me/$SID" {AUTH} {ATTR} '
             "-F files=@/tmp/tool.exe"),
        (6, "error", "call-fails"),
    ),
    "a poll of a render the document never made": (
        bash(
            f"curl -s -X POST \"$API/api/render/proxy/lambda\" {AUTH} "
            "-d '{\"id\":\"render_7\",\"sessionId\":\"<sid>\",\"draft\":<json>}'",
            f'curl -s "$API/api/render/proxy/lambda/render_7" {AUTH} {ATTR}',
        ),
        (7, "note", "call-fails"),
    ),
    "poll interval": ("Poll the render status every 10 s.\n", (5, "warning", "number")),
    "poll count": ("Poll the render at most 30 times.\n", (5, "warning", "number")),
    "turn timeout": ("Stream the SSE reply with a timeout of 10 min.\n", (5, "warning", "number")),
    "max-time on run_sse": (
        bash(f'curl -sN -X POST "$API/run_sse" --max-time 600 {AUTH} {ATTR} -d "{{\\"app_name\\":'
             '\\"nemo_agent\\",\\"session_id\\":\\"$SID\\",\\"new_message\\":{\\"parts\\":'
             '[{\\"text\\":\\"hi\\"}]}}"'),
        (6, "warning", "number"),
    ),
    "retry wait after 429": ("On 429, wait 60 s and retry.\n", (5, "warning", "number")),
    "still working interval": ('Every 5 min, say "Still working".\n', (5, "warning", "number")),
    "token limit per IP": ("At most 5 tokens per IP per hour.\n", (5, "warning", "number")),
    "tokens that never expire": ("Anonymous tokens do not expire.\n", (5, "warning", "number")),
    "file size": ("Max file size is 100 MB.\n", (5, "warning", "number")),
    "accepted formats": ("Accepted formats: mp4, mov, flv.\n", (5, "warning", "accepted-formats")),
    "error codes left out": ("Errors: 1001 — token expired; 1002 — session not found.\n",
                             (5, "warning", "error-codes")),
    "an error code with the wrong meaning": (
        "Errors: 1001 — token expired; 1002 — out of credits.\n", (5, "warning", "error-codes")
    ),
    "routing export through SSE": (
        "| User says | Action |\n|---|---|\n| export | send it over SSE |\n",
        (7, "warning", "routing-table"),
    ),
    "a GUI instruction done wrong": (
        "| Backend says | You do |\n|---|---|\n| click [button] | tell the user to click |\n",
        (7, "warning", "gui-table"),
    ),
    "an unbalanced quote": (bash(f'curl -s "$API/api/credits/balance/simple {AUTH}'),
                            (6, "error", "shell")),
    "an unclosed substitution": (bash("TOKEN=$(curl -s -X POST $API/api/auth/anonymous-token"),
                                 (6, "error", "shell")),
    "a background &": (bash(f"curl -s {CREDITS} {AUTH} {ATTR} & curl -s {CREDITS} {AUTH} {ATTR}"),
                       (6, "warning", "shell")),
    "a variable in single quotes": (
        bash(f"curl -s {CREDITS} -H 'Authorization: Bearer $TOKEN' {ATTR}"),
        (6, "warning", "shell"),
    ),
    "a command that is not curl": (bash("rm -rf ~/videos"), (6, "note", "not-checked")),
    "a command substitution": (bash("STAMP=$(date +%s)", f"curl -s {CREDITS} {AUTH} {ATTR}"),
                               (6, "note", "not-checked")),
    "a python block": ('```python\nrequests.get(API + "/api/credits/balance/simple")\n```\n',
                       (5, "note", "not-checked")),
    "an unbound variable": (bash(f'curl -s {CREDITS} {AUTH} {ATTR} -H "X-Trace: $TRACE_NO"'),
                            (6, "note", "unbound-variable")),
    "no call at all": ("Just prose.\n", (1, "note", "document")),
    "an unclosed code block": ("```bash\n" + f"curl -s {CREDITS} {AUTH} {ATTR}\n",
                               (5, "note", "document")),
}  # fmt: skip


@pytest.mark.parametrize("name", list(CASES))
def test_each_finding_kind_is_found_at_its_line(name: str) -> None:
    body, expected = CASES[name]
    report = check_text(FRONT + body, name)
    assert expected in found(report), report.findings


def test_a_phrase_placeholder_is_bound_by_its_word() -> None:
    body = bash(f'curl -s "$API/api/state/nemo_agent/me/<the session id>/latest" {AUTH} {ATTR}')
    report = check_text(FRONT + body)
    assert report.findings == []
    assert report.calls[0].status == 200


def test_front_matter_that_never_closes_is_a_finding_not_a_failure() -> None:
    report = check_text("---\nname: t\n" + bash(f"curl -s {CREDITS} {AUTH} {ATTR}"))
    assert (1, "warning", "front-matter") in found(report)
    assert report.calls
    assert report.calls[0].status == 200


def test_an_unreadable_front_matter_line_is_a_note() -> None:
    report = check_text("---\nname: t\n[not yaml\n---\nJust prose.\n")
    assert (3, "note", "front-matter") in found(report)


def test_the_current_guide_fixture_passes_and_every_call_really_ran() -> None:
    report = check_path(Path(__file__).parent / "documents" / "current.md")
    assert report.errors == 0
    assert not [f for f in report.findings if f.severity is Severity.WARNING], report.findings
    assert report.guide == "1.9"
    ran = [c for c in report.calls if c.call.source != "link"]
    assert len(ran) >= 10
    assert all(c.status == 200 for c in ran), [(c.call.line, c.status) for c in ran]
    sources = {c.call.source for c in report.calls}
    assert sources == {"curl", "prose", "link"}


OLD = FRONT + bash(
    f'curl -s "$API/api/state/nemo_agent/$USER_ID/$SID/latest" {AUTH}',
    f'curl -s -X POST "$API/api/upload-video/nemo_agent/$USER_ID/$SID" {AUTH} -F files=@a.mp4',
)


def test_a_document_from_before_1_0_resembles_0x_and_is_clean_when_judged_as_0x() -> None:
    report = check_text(OLD)
    assert report.guide == "0.x"
    assert {f.rule.value for f in report.findings if f.line in (6, 7)} >= {"deprecated-form"}
    judged_old = check_text(OLD, guide="0.x")
    assert "deprecated-form" not in {f.rule.value for f in judged_old.findings}


def test_a_document_with_the_token_link_and_no_attribution_resembles_1_4() -> None:
    text = FRONT + bash(f"curl -s {CREDITS} {AUTH}") + "Open $WEB/workspace/claim?token=$TOKEN\n"
    assert check_text(text).guide == "1.4"


def test_a_deprecated_call_is_answered_by_the_mock_and_flagged_in_its_journal() -> None:
    from conformance.skills._bind import Bindings
    from conformance.skills._model import Call
    from conformance.skills._run import Runner
    from nemokit import history

    call = Call(1, "GET", "$API/api/state/nemo_agent/$USER_ID/$SID/latest", "curl")
    call.headers = [("Authorization", "Bearer $TOKEN")]
    with Runner(Bindings.initial("t", "1.0.0")) as runner:
        runner.bootstrap()
        outcome = runner.bind(call)
        runner.send(call, outcome)
    assert outcome.status == 200
    assert outcome.message is None
    assert outcome.deprecated == history.USER_ID_STATE.flag

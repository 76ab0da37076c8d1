"""Judging one call: where it goes, what it sends, how the mock answered.

Each judgement is one small function returning findings; :func:`judge_call` runs them in order
and stops after the first that makes the rest meaningless (a call to another host is not judged
for its body).
"""

from __future__ import annotations

import re
from typing import Any

from nemokit import contract, history

from ._model import Call, Finding, Rule, Severity
from ._run import API_HOSTS, SIBLING_DOMAINS, WEB_HOSTS, Outcome, classify_path

__all__ = ["judge_call"]

_ATTRIBUTION = (
    contract.HEADER_SKILL_SOURCE,
    contract.HEADER_SKILL_VERSION,
    contract.HEADER_SKILL_PLATFORM,
)
#: Endpoint → (required keys, with their accepted spellings; keys the contract knows).
_BODY_KEYS: dict[str, tuple[tuple[tuple[str, ...], ...], frozenset[str]]] = {
    "session": ((("task_name",),), frozenset({"task_name", "language"})),
    "run_sse": (
        (("app_name", "appName"), ("session_id", "sessionId"), ("new_message", "newMessage")),
        frozenset(
            {
                "app_name",
                "appName",
                "user_id",
                "userId",
                "session_id",
                "sessionId",
                "new_message",
                "newMessage",
                "streaming",
            }
        ),
    ),
    "render": (
        (("id",), ("sessionId",), ("draft",)),
        frozenset({"id", "sessionId", "draft", "output"}),
    ),
    "claim": ((("task_id",), ("session_id",)), frozenset({"task_id", "session_id"})),
}
_TOKEN_IN_TEXT = re.compile(r"(?:^|[?&])(?!claim_token=)\w*(?:token|api_key)=", re.I)


def judge_call(call: Call, outcome: Outcome, target: str) -> list[Finding]:
    findings = _where(call, outcome)
    sibling = outcome.host.endswith(SIBLING_DOMAINS)  # a dev API, say: the call is still judged
    if findings and not (sibling and all(f.rule is Rule.UNKNOWN_HOST for f in findings)):
        return findings
    findings += _token_in_url(call, outcome)
    deprecated = _deprecated(call, outcome, target)
    findings += deprecated
    if call.source == "link":
        return findings
    findings += _headers(call, outcome)
    findings += _body(call, outcome)
    findings += _answer(call, outcome, deprecated=bool(deprecated), reported=findings)
    return findings


def _f(call: Call, severity: Severity, rule: Rule, message: str) -> Finding:
    return Finding(call.line, severity, rule, message)


def _what(outcome: Outcome) -> str:
    """The call as the document writes it (``POST /api/upload-video/nemo_agent/$UID/$SID``)."""
    return f"{outcome.method} {outcome.written or outcome.path}"


def _where(call: Call, outcome: Outcome) -> list[Finding]:
    if not outcome.host:
        return [_f(call, Severity.ERROR, Rule.UNKNOWN_HOST, f"not a URL: {call.url}")]
    foreign = history.foreign_form_of(outcome.host, outcome.path)
    if foreign is not None:
        return [
            _f(
                call,
                Severity.ERROR,
                Rule.UNKNOWN_ENDPOINT,
                f"{outcome.method} {outcome.host}{outcome.path}: {foreign.what} is not part of "
                "this API in any version of the guide",
            )
        ]
    hosts = WEB_HOSTS if call.source == "link" else API_HOSTS
    if outcome.host not in hosts:
        expected = contract.DEFAULT_WEB_URL if call.source == "link" else contract.DEFAULT_API_URL
        return [
            _f(
                call,
                Severity.ERROR,
                Rule.UNKNOWN_HOST,
                f"{outcome.host} is not the API's host (the API is {expected}; "
                f"{'NEMO_WEB_URL' if call.source == 'link' else 'NEMO_API_URL'} overrides it)",
            )
        ]
    return []


def _token_in_url(call: Call, outcome: Outcome) -> list[Finding]:
    raw = call.url
    if (
        _TOKEN_IN_TEXT.search(outcome.query)
        or contract.TOKEN_PREFIX in outcome.query
        or contract.TOKEN_PREFIX in outcome.path
        or re.search(r"\$\{?(?:NEMO_)?TOKEN\b|<(?:NEMO_)?TOKEN>", raw, re.I)
    ):
        return [
            _f(
                call,
                Severity.ERROR,
                Rule.TOKEN_IN_URL,
                "the API token is in a URL (links are logged, shared and kept in browser "
                f"history); use {contract.PATH_CLAIM_TOKEN} and a claim link instead",
            )
        ]
    return []


def _deprecated(call: Call, outcome: Outcome, target: str) -> list[Finding]:
    """The forms the mock's journal flagged; for a call that was not run (a link, a call past
    the limit), the forms the same history recognises in what would have been sent."""
    if outcome.deprecated:
        flagged = outcome.deprecated.split(" | ")
        forms = [form for form in history.DEPRECATED_FORMS if form.flag in flagged]
    else:
        forms = history.deprecated_forms_of(
            outcome.method, outcome.path, outcome.query, outcome.headers, outcome.body
        )
    return [
        _f(call, Severity.WARNING, Rule.DEPRECATED, form.flag)
        for form in forms
        if not form.documented_in(target)
    ]


def _endpoint(outcome: Outcome) -> str | None:
    """The contract endpoint a call is, reading a documented earlier path as its current one."""
    path = history.current_path_of(outcome.method, outcome.path) or outcome.path
    return classify_path(outcome.method, path)


def _headers(call: Call, outcome: Outcome) -> list[Finding]:
    findings: list[Finding] = []
    endpoint = _endpoint(outcome)
    present = {k.lower(): v for k, v in outcome.headers.items()}
    if endpoint == "anonymous_token":
        client_id = present.get(contract.HEADER_CLIENT_ID.lower())
        if client_id is None or not client_id.strip():
            findings.append(
                _f(
                    call,
                    Severity.ERROR,
                    Rule.CLIENT_ID,
                    f"{_what(outcome)} without {contract.HEADER_CLIENT_ID}: the API answers 400",
                )
            )
        elif len(client_id) > contract.CLIENT_ID_MAX_LENGTH:
            findings.append(
                _f(
                    call,
                    Severity.ERROR,
                    Rule.CLIENT_ID,
                    f"{contract.HEADER_CLIENT_ID} is {len(client_id)} characters; at most "
                    f"{contract.CLIENT_ID_MAX_LENGTH}",
                )
            )
    if endpoint in (None, "download"):
        return findings
    missing = [h for h in _ATTRIBUTION if not present.get(h.lower(), "").strip()]
    if missing:
        fails = endpoint == "render"
        # A command that leaves out what the document's own rule puts on every request is an
        # inconsistency of the document (a reader may add them); without the rule, it is not.
        ruled = all(h in call.assumed_headers for h in missing)
        findings.append(
            _f(
                call,
                Severity.ERROR if fails else Severity.NOTE if ruled else Severity.WARNING,
                Rule.ATTRIBUTION,
                f"{_what(outcome)} without {', '.join(missing)}"
                + (
                    ": export answers 402"
                    if fails
                    else " (the document's own rule puts them on every request)"
                    if ruled
                    else " (the guide puts them on every request; export fails without them)"
                ),
            )
        )
    return findings


def _body(call: Call, outcome: Outcome) -> list[Finding]:
    endpoint = _endpoint(outcome)
    if outcome.synthesized_body or endpoint not in _BODY_KEYS:
        return []
    if call.body is None:
        if not call.literal:
            return []
        return [_f(call, Severity.ERROR, Rule.BODY_SHAPE, f"{_what(outcome)} without a JSON body")]
    if not outcome.body_is_json or not isinstance(outcome.body, dict):
        return [
            _f(
                call,
                Severity.ERROR,
                Rule.BODY_SHAPE,
                f"the body of {_what(outcome)} is not a JSON object: {_short(outcome.body_text)}",
            )
        ]
    required, known = _BODY_KEYS[endpoint]
    body: dict[str, Any] = outcome.body
    findings = [
        _f(
            call,
            Severity.ERROR,
            Rule.BODY_SHAPE,
            f"the body of {_what(outcome)} has no {spellings[0]!r}"
            + (
                " (the contract spells it 'sessionId')"
                if spellings == ("sessionId",) and "session_id" in body
                else ""
            ),
        )
        for spellings in required
        if not any(key in body for key in spellings)
    ]
    unknown = sorted(
        set(body) - known - {"session_id"} if endpoint == "render" else set(body) - known
    )
    if unknown:
        findings.append(
            _f(
                call,
                Severity.NOTE,
                Rule.BODY_SHAPE,
                f"the body of {_what(outcome)} has keys the contract does not name: "
                + ", ".join(unknown),
            )
        )
    if endpoint == "run_sse" and body.get("app_name", body.get("appName")) not in (
        None,
        contract.APP_NAME,
    ):
        findings.append(
            _f(call, Severity.ERROR, Rule.BODY_SHAPE, f"app_name must be {contract.APP_NAME!r}")
        )
    return findings


def _answer(
    call: Call, outcome: Outcome, *, deprecated: bool, reported: list[Finding]
) -> list[Finding]:
    if outcome.status is None and outcome.not_run:
        return [_f(call, Severity.NOTE, Rule.NOT_CHECKED, f"not run: {outcome.not_run}")]
    no_route = outcome.status == 405 or (
        outcome.status == 404 and "no such endpoint" in (outcome.message or "")
    )
    if no_route and not deprecated:
        return [
            _f(
                call,
                Severity.ERROR,
                Rule.UNKNOWN_ENDPOINT,
                f"{_what(outcome)}: no version of the guide documents this endpoint"
                if outcome.status == 404
                else f"{_what(outcome)}: {outcome.message}",
            )
        ]
    if outcome.status == 404 and deprecated:
        return []  # a mock that serves only the current contract; the form is reported
    if outcome.message is None or any(f.severity is Severity.ERROR for f in reported):
        return []
    return [
        _f(
            call,
            Severity.ERROR,
            Rule.CALL_FAILS,
            f"{_what(outcome)} fails against the mock (HTTP {outcome.status}, {outcome.message})",
        )
    ]


def _short(text: str | None) -> str:
    text = text or ""
    return text if len(text) <= 60 else text[:57] + "..."

"""The retry policy as a table: each contract rule, once per call."""

from __future__ import annotations

import dataclasses

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nemokit import _errors as errors
from nemokit._retry import GIVE_UP, Attempt, Decision, RetryPolicy, decide, resubmit_render

ANON = Attempt(token_source="anonymous")


def err(
    cls: type[errors.APIError], retry_after: float | None = None, status: int = 200
) -> errors.APIError:
    return cls("x", status_code=status, retry_after=retry_after)


@pytest.mark.parametrize(
    ("error", "attempt", "expected"),
    [
        # 429: wait 30 s, or Retry-After when longer
        (err(errors.RateLimited), ANON, Decision(True, wait=30.0, reason="rate limited")),
        (err(errors.RateLimited, 90), ANON, Decision(True, wait=90.0, reason="rate limited")),
        (err(errors.RateLimited, 5), ANON, Decision(True, wait=30.0, reason="rate limited")),
        # 1001: renew an anonymous token; report a token the user gave
        (
            err(errors.TokenInvalid),
            ANON,
            Decision(True, reauth=True, reason="anonymous token expired"),
        ),
        (err(errors.TokenInvalid), Attempt(token_source="env"), GIVE_UP),
        (err(errors.TokenInvalid), Attempt(token_source="argument"), GIVE_UP),
        (err(errors.TokenInvalid), Attempt(token_source=None), GIVE_UP),
        (err(errors.TokenInvalid), dataclasses.replace(ANON, uses_token=False), GIVE_UP),
        # 1002: a new session only where that is safe
        (
            err(errors.SessionNotFound),
            dataclasses.replace(ANON, session_safe=True),
            Decision(True, new_session=True, reason="session not found"),
        ),
        (err(errors.SessionNotFound), ANON, GIVE_UP),
        # HTTP 400: a new client id, on the call that sends one
        (
            err(errors.ClientIdMissing, status=400),
            Attempt(sends_client_id=True),
            Decision(True, new_client_id=True, reason="client id missing"),
        ),
        (err(errors.ClientIdMissing, status=400), ANON, GIVE_UP),
        # never retried
        (err(errors.PlanLimit, status=402), dataclasses.replace(ANON, session_safe=True), GIVE_UP),
        (err(errors.OutOfCredits), ANON, GIVE_UP),
        (err(errors.UnsupportedFileType), ANON, GIVE_UP),
        (err(errors.FileTooLarge), ANON, GIVE_UP),
        (err(errors.ServerError, status=500), ANON, GIVE_UP),
        (err(errors.UnexpectedResponse), ANON, GIVE_UP),
    ],
)
def test_decision_table(error: errors.APIError, attempt: Attempt, expected: Decision) -> None:
    assert decide(error, attempt) == expected


def test_the_wait_comes_from_the_policy() -> None:
    assert decide(err(errors.RateLimited), ANON, RetryPolicy(rate_limit_wait=2)).wait == 2


@pytest.mark.parametrize(
    "error",
    [
        err(errors.RateLimited),
        err(errors.TokenInvalid),
        err(errors.SessionNotFound),
        err(errors.ClientIdMissing, status=400),
    ],
)
def test_each_rule_retries_once(error: errors.APIError) -> None:
    attempt = Attempt(token_source="anonymous", session_safe=True, sends_client_id=True)
    assert decide(error, attempt).retry
    assert decide(error, attempt.after(error)) == GIVE_UP


ERRORS = st.sampled_from(
    [
        errors.RateLimited,
        errors.TokenInvalid,
        errors.SessionNotFound,
        errors.ClientIdMissing,
        errors.PlanLimit,
        errors.OutOfCredits,
        errors.ServerError,
    ]
)


@given(st.lists(ERRORS, max_size=20), st.booleans(), st.booleans())
def test_a_call_is_retried_at_most_once_per_rule(
    sequence: list[type[errors.APIError]], safe: bool, client_id: bool
) -> None:
    attempt = Attempt(token_source="anonymous", session_safe=safe, sends_client_id=client_id)
    retries: list[int] = []
    for cls in sequence:
        error = err(cls)
        if not decide(error, attempt).retry:
            break
        retries.append(error.code)
        attempt = attempt.after(error)
    assert len(retries) == len(set(retries)) <= 4


@pytest.mark.parametrize(
    ("error", "again"),
    [
        (errors.NemoConnectionError("down"), True),
        (err(errors.ServerError, status=503), True),
        (err(errors.UnexpectedResponse), True),
        (errors.APIError("render refused", code=-1), True),
        (err(errors.PlanLimit, status=402), False),
        (err(errors.OutOfCredits), False),
        (err(errors.RateLimited, status=429), False),
        (err(errors.TokenInvalid), False),
        (err(errors.SessionNotFound), False),
        (errors.ConfigurationError("bad"), False),
    ],
)
def test_render_resubmission(error: errors.NemoError, again: bool) -> None:
    assert resubmit_render(error) is again


def test_connection_error_keeps_no_secret() -> None:
    request = httpx.Request("GET", "https://x.test/", headers={"Authorization": "Bearer nmv_usr_s"})
    error = errors.NemoConnectionError("down", request=request)
    assert error.request is not None
    assert "nmv_usr_s" not in str(error.request.headers)

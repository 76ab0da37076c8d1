"""The retry policy as data plus pure functions (the habit of anthropic-sdk-python's client).

The contract's rules, one retry each per call:

======================  ===============================================================
error                   decision
======================  ===============================================================
429 rate limited        wait ``max(30 s, Retry-After)`` and retry once
1001 token invalid      anonymous token: a new token (same client id), retry once;
                        a token the user gave (argument or ``NEMO_TOKEN``): give up, report
1002 session not found  a new session and retry once, only where that is safe
HTTP 400                a new client id and retry once (only calls that send one)
HTTP 402                never retried (the free plan's export limit, not credits)
anything else           give up
======================  ===============================================================

:func:`decide` only says what to do; the core's flows do it (with ``Sleep`` steps, so a test's
virtual clock moves instead of real time passing).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from . import contract
from ._config import TokenSource
from ._errors import APIError, NemoConnectionError, NemoError, UnexpectedResponse

__all__ = [
    "GIVE_UP",
    "Attempt",
    "Decision",
    "RetryPolicy",
    "decide",
    "resubmit_render",
]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """The numbers of the rules (the contract's, unless a test wants others)."""

    rate_limit_wait: float = contract.RATE_LIMIT_WAIT


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do about an error: give up, or retry after doing the named things first."""

    retry: bool
    wait: float = 0.0
    reauth: bool = False
    new_session: bool = False
    new_client_id: bool = False
    reason: str = ""


GIVE_UP = Decision(retry=False)


@dataclass(frozen=True, slots=True)
class Attempt:
    """What a call may do and what it has already done.

    ``session_safe``: retrying on a new session cannot duplicate work or lose meaning.
    ``sends_client_id``: the call sends ``X-Client-Id`` (only the anonymous-token call).
    ``uses_token``: the call sends the token (all but the anonymous-token call, which must not
    re-authenticate itself).
    ``retried``: the codes this call already retried once.
    """

    token_source: TokenSource | None = None
    session_safe: bool = False
    sends_client_id: bool = False
    uses_token: bool = True
    retried: frozenset[int] = frozenset()

    def after(self, error: APIError) -> Attempt:
        """The attempt state once ``error`` has been retried."""
        return dataclasses.replace(self, retried=self.retried | {error.code})


def decide(error: APIError, attempt: Attempt, policy: RetryPolicy = RetryPolicy()) -> Decision:
    """The decision for ``error`` on a call in state ``attempt``."""
    if error.code in attempt.retried:
        return GIVE_UP
    code = error.code
    if code == contract.Code.RATE_LIMITED:
        wait = max(policy.rate_limit_wait, error.retry_after or 0.0)
        return Decision(retry=True, wait=wait, reason="rate limited")
    if (
        code == contract.Code.TOKEN_INVALID
        and attempt.token_source == "anonymous"
        and attempt.uses_token
    ):
        return Decision(retry=True, reauth=True, reason="anonymous token expired")
    if code == contract.Code.SESSION_NOT_FOUND and attempt.session_safe:
        return Decision(retry=True, new_session=True, reason="session not found")
    if code == contract.Code.CLIENT_ID_MISSING and attempt.sends_client_id:
        return Decision(retry=True, new_client_id=True, reason="client id missing")
    return GIVE_UP


#: Errors after which a render is submitted again with a new id: the request may not have
#: arrived, or the server failed. A repeated id returns the existing job, so a new id is what
#: makes the second try a real one; a refusal the user must act on (402, 2001...) is final.
def resubmit_render(error: NemoError) -> bool:
    """Whether a failed render submission is worth one more try with a new id."""
    if isinstance(error, NemoConnectionError):
        return True
    if isinstance(error, UnexpectedResponse):
        return True
    if not isinstance(error, APIError):
        return False
    if error.status_code >= 500:
        return True
    # A render refusal ({"success": false}) that has no contract code of its own.
    return type(error) is APIError

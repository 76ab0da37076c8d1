"""Schemathesis hooks for fuzzing the mock in its default error style (``code_200``).

In that style (the contract's mock default) a business error arrives as HTTP 200 with a
non-zero ``code``: a missing token is ``200 {"code": 1001, ...}``. A status-based checker reads
that as "accepted", so its checks that a request without a token or with invalid data is
refused (ST401, ST201) cannot judge it. This hook reads the answer as a robust client does
(docs/contract.md, Envelope): a 200 whose body carries a business code counts with the HTTP
status the ``http_status`` style gives that code. Every check then judges it as usual, and the
answer's body is still validated against the document's schema for that status.

Loaded by ``tools/schemathesis/code_200.toml`` (see docs/mock.md, "Fuzzing the mock"). Kept
free of nemokit imports: the Schemathesis that loads it may live in another environment.
"""

from __future__ import annotations

import json
from typing import Any

import schemathesis

#: Business code → the HTTP status of the ``http_status`` style (the contract's table;
#: ``tests/reliability/test_rel_schemathesis_cli.py`` keeps it equal to ``nemokit.contract``).
CODE_HTTP_STATUS = {1001: 401, 1002: 404, 2001: 403, 4001: 415, 4002: 413}


def business_code(content: bytes) -> int | None:
    """The business code of a refusal body (either envelope), or ``None``."""
    try:
        body = json.loads(content)
    except (ValueError, RecursionError):
        return None
    if not isinstance(body, dict):
        return None
    code = body.get("code")
    if isinstance(code, bool) or not isinstance(code, int) or code == 0:
        return None
    refused = body.get("data", "absent") is None or body.get("success") is False
    return code if refused else None


@schemathesis.hook
def after_call(context: Any, case: Any, response: Any) -> None:
    if response.status_code != 200:
        return
    status = CODE_HTTP_STATUS.get(business_code(response.content) or 0)
    if status is not None:
        response.status_code = status

"""Building blocks of the mock's OpenAPI document: schema helpers, scalar schemas, error codes.

Shared by the component schemas (:mod:`._schemas`, :mod:`._events`) and the
paths (:mod:`._paths`), so a constraint such as "an id is never blank" is written once.
"""

from __future__ import annotations

from typing import Any

from nemokit import contract

Schema = dict[str, Any]


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(required: list[str], **props: Schema) -> Schema:
    return {"type": "object", "required": required, "properties": props}


_STR: Schema = {"type": "string"}
_INT: Schema = {"type": "integer"}
_NUM: Schema = {"type": "number"}
_NULLABLE_NUM: Schema = {"type": ["number", "null"]}
_NULLABLE_STR: Schema = {"type": ["string", "null"]}

_CODES = {
    0: "success",
    1001: "token expired or invalid (HTTP 401 in the http_status style)",
    1002: "session not found (HTTP 404 in the http_status style)",
    2001: "out of credits (HTTP 403 in the http_status style)",
    4001: "unsupported file type (HTTP 415 in the http_status style)",
    4002: "file too large (HTTP 413 in the http_status style)",
    400: "bad request: X-Client-Id missing, malformed JSON, a missing or mistyped field",
    402: "free plan export blocked (an attribution header is missing); never retry",
    404: "unknown path or render",
    405: "method not allowed",
    409: "a render conflict: one active export per session, or not completed yet",
    413: "request body too large",
    415: "unsupported content type",
    429: "rate limited: wait 30 s (or Retry-After if longer) and retry once",
    500: "server error",
}


#: Some character that Python's ``str.strip`` keeps (the mock refuses blank ids and text).
_NOT_BLANK = r"[^\s\u001c-\u001f\u0085]"
_ID: Schema = {"type": "string", "minLength": 1, "maxLength": 256, "pattern": _NOT_BLANK}
_RENDER_ID: Schema = {"type": "string", "pattern": "^[A-Za-z0-9_.\\-]{1,128}$"}


_APP: Schema = {"enum": [contract.APP_NAME, None]}


def _one_spelling(*pairs: tuple[str, str], required: tuple[str, ...] = ()) -> list[Schema]:
    """``allOf`` items: each (snake, camel) pair is sent in one spelling, never both (the mock
    refuses both with a 400); a pair whose snake name is in ``required`` needs one of them."""
    out: list[Schema] = [{"not": {"required": [snake, camel]}} for snake, camel in pairs]
    out += [
        {"anyOf": [{"required": [snake]}, {"required": [camel]}]}
        for snake, camel in pairs
        if snake in required
    ]
    return out

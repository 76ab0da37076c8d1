"""Keeping tokens out of the journal of a shared mock (``MockConfig.redact_journal``).

The journal is a test instrument and normally keeps requests exactly as received. A mock that
others can reach is different: whoever reads ``/__admin/requests`` would see every caller's
bearer token. With redaction on, credential headers keep only their scheme and every
token-shaped string (``nmv_usr_…``, ``clm_…``) in a header, a body or a message is replaced
before the entry is stored.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from nemokit import contract

__all__ = ["REDACTED", "redact_headers", "redact_text", "redact_value"]

#: What stands where a credential was.
REDACTED = "[redacted]"

#: Headers whose whole value is a credential (the scheme word, if any, is kept).
_CREDENTIAL_HEADERS = frozenset({b"authorization", b"proxy-authorization", b"cookie", b"x-api-key"})
_TOKEN = re.compile(
    f"(?:{re.escape(contract.TOKEN_PREFIX)}|{re.escape(contract.CLAIM_TOKEN_PREFIX)})"
    r"[A-Za-z0-9_\-.~+/=]*"
)
_SCHEME = re.compile(rb"^\s*([A-Za-z][A-Za-z0-9_-]*)\s+\S")


def redact_text(text: str) -> str:
    """``text`` with every token-shaped substring replaced by :data:`REDACTED`."""
    return _TOKEN.sub(REDACTED, text)


def _header_value(name: bytes, value: bytes) -> bytes:
    if name.lower() in _CREDENTIAL_HEADERS:
        scheme = _SCHEME.match(value)
        kept = scheme.group(1) + b" " if scheme is not None else b""
        return kept + REDACTED.encode()
    text = value.decode("latin-1")
    cleaned = redact_text(text)
    return value if cleaned == text else cleaned.encode("latin-1")


def redact_headers(headers: Sequence[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The ASGI header pairs with credentials and tokens replaced (order and names kept)."""
    return [(name, _header_value(name, value)) for name, value in headers]


def redact_value(value: Any) -> Any:
    """A copy of a JSON value with every token-shaped string (keys included) replaced."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {redact_text(str(k)): redact_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_value(v) for v in value]
    return value

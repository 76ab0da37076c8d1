"""The admin token: ``Authorization: Bearer <token>`` required on every ``/__admin`` path.

A mock reachable by others must not let them read the journal (bearer tokens as sent), inject
faults, move the clock or reset it. With an admin token set (``nemokit mock --admin-token`` or
``NEMO_MOCK_ADMIN_TOKEN``), the instrument layer asks :class:`AdminGuard` before any admin
route runs. The dashboard's static files (``/__admin/ui``: the page, its scripts and stylesheet,
no data) stay open so that a browser can load the page; every call the page makes sends the
token. The token is kept only as a SHA-256 digest and compared with :func:`hmac.compare_digest`
over digests of equal length, so neither the comparison's time nor the object's repr gives it
away.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

__all__ = ["AdminGuard"]

_AUTHORIZATION = b"authorization"


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).digest()


class AdminGuard:
    """Who may use ``/__admin``: anyone (no token set) or callers bearing the admin token."""

    __slots__ = ("_digest",)

    def __init__(self, token: str | None = None) -> None:
        if token is not None and not token.strip():
            raise ValueError("the admin token must not be empty")
        self._digest = _digest(token) if token is not None else None

    def __repr__(self) -> str:
        return f"AdminGuard(protected={self.protected})"

    @property
    def protected(self) -> bool:
        """True when an admin token is required."""
        return self._digest is not None

    def refusal(self, headers: Iterable[tuple[bytes, bytes]]) -> str | None:
        """``None`` when the ASGI ``headers`` may use the admin API, else why not (a sentence
        that never repeats what was sent)."""
        if self._digest is None:
            return None
        value = next((v for k, v in headers if k.lower() == _AUTHORIZATION), None)
        if value is None:
            return (
                "the admin API needs Authorization: Bearer <admin token> (this mock was started "
                "with --admin-token or NEMO_MOCK_ADMIN_TOKEN)"
            )
        scheme, _, token = value.decode("latin-1").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return "the admin API takes the admin token as Authorization: Bearer <admin token>"
        if not hmac.compare_digest(_digest(token.strip()), self._digest):
            return "the admin token does not match"
        return None

"""Secrets in the contract's shape, handed out at replay time in place of the placeholders.

A cassette never holds a secret: the token an answer carried is ``<TOKEN_1>`` on disk. A client
replayed against it would receive ``<TOKEN_1>`` as its token, and a rule looking for the token
in a URL or a log (H4, X1) would look for a string no real client ever holds. :class:`LiveSecrets`
gives each placeholder a realistic value for this run (``<TOKEN_1>`` → ``nmv_usr_…``,
``<CLAIM_1>`` → ``clm_…``, fresh random characters every run), written into the answers the
router plays; the client then sends that value back, which the router's matching reads as the
placeholder's kind (:mod:`._match`), and the judges know it as a secret
(:attr:`LiveSecrets.api_tokens`).
"""

from __future__ import annotations

import re
import secrets

from nemokit import contract

__all__ = ["LiveSecrets"]

_SHAPES = {"TOKEN": (contract.TOKEN_PREFIX, 24), "CLAIM": (contract.CLAIM_TOKEN_PREFIX, 16)}
_FILLED = re.compile(rb"<(TOKEN|CLAIM)_\d+>")


class LiveSecrets:
    """Placeholder → a realistic value of its kind, made on first use and kept for the run."""

    def __init__(self) -> None:
        self._values: dict[bytes, bytes] = {}

    def __repr__(self) -> str:  # never the values
        return f"LiveSecrets({len(self._values)} handed out)"

    def value(self, placeholder: str) -> str:
        """The value handed out for ``placeholder`` (``<TOKEN_1>``); made on first use."""
        return self._value(placeholder.encode()).decode()

    def _value(self, placeholder: bytes) -> bytes:
        made = self._values.get(placeholder)
        if made is None:
            match = _FILLED.fullmatch(placeholder)
            if match is None:
                raise ValueError("only <TOKEN_n> and <CLAIM_n> placeholders are handed out")
            prefix, size = _SHAPES[match.group(1).decode()]
            made = self._values[placeholder] = (prefix + secrets.token_hex(size // 2)).encode()
        return made

    def fill(self, data: bytes) -> bytes:
        """``data`` with every token and claim-token placeholder replaced by its value."""
        if b"<" not in data:
            return data
        return _FILLED.sub(lambda m: self._value(m.group(0)), data)

    @property
    def api_tokens(self) -> tuple[str, ...]:
        """The API tokens handed out so far (the judges' secrets; claim tokens are not API
        tokens: the claim link is shown to the user on purpose)."""
        return tuple(v.decode() for k, v in self._values.items() if k.startswith(b"<TOKEN"))

"""Secrets out, stable placeholders in, before anything is written.

A :class:`Redactor` is used for one cassette. It replaces every secret it finds with a numbered
placeholder of its kind, and the same secret always with the same placeholder, so a cassette
stays self-consistent: the token handed out by ``/api/auth/anonymous-token`` as
``data.token = "<TOKEN_1>"`` is the one later sent as ``Authorization: Bearer <TOKEN_1>``.

=============  ===========================================================================
placeholder    what it replaces
=============  ===========================================================================
``TOKEN``      ``nmv_usr_…`` anywhere; the bearer of ``Authorization``; JSON ``token`` keys
``CLAIM``      ``clm_…`` anywhere; JSON ``claim_token`` keys
``CLIENT_ID``  the ``X-Client-Id`` header (and that value wherever else it appears)
``USER_ID``    ``anon_…`` anywhere, only with ``redact_user_ids=True``
=============  ===========================================================================

A secret found once by its position (a bearer token, a JSON ``token`` key, the client id) is
also replaced wherever else it appears as plain text, even without a known prefix.

Matching at replay: a live request carries a real token where the cassette has ``<TOKEN_1>``.
:meth:`Redactor.wildcard` gives a redactor that writes every secret, and every numbered
placeholder, as the bare kind (``<TOKEN>``); the replay index keys both the recorded and the live
request through it, so placeholder-bearing fields match any secret of the same kind.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from nemokit import contract

__all__ = ["KINDS", "PLACEHOLDER_RE", "SECRET_RE", "Redactor", "find_secrets"]

#: Kinds of secret, in the order their patterns are tried.
KINDS = ("TOKEN", "CLAIM", "CLIENT_ID", "USER_ID")

_EDGE = r"(?<![A-Za-z0-9_])"
_TAIL = r"[A-Za-z0-9_\-]+"
_PATTERNS = {
    "TOKEN": re.compile(_EDGE + re.escape(contract.TOKEN_PREFIX) + _TAIL),
    "CLAIM": re.compile(_EDGE + re.escape(contract.CLAIM_TOKEN_PREFIX) + _TAIL),
    "USER_ID": re.compile(_EDGE + re.escape(contract.USER_ID_PREFIX) + _TAIL),
}
#: Any prefixed secret, even glued to the text before it: how a seen one is found again.
_PREFIXED = re.compile(
    "|".join(re.escape(p) + _TAIL for p in (contract.TOKEN_PREFIX, contract.CLAIM_TOKEN_PREFIX,
                                            contract.USER_ID_PREFIX))
)  # fmt: skip
#: Any API token or claim token: what must never be found in a cassette or a message.
SECRET_RE = re.compile(f"{_PATTERNS['TOKEN'].pattern}|{_PATTERNS['CLAIM'].pattern}")
#: A placeholder this module writes: ``<TOKEN_1>`` (numbered) or ``<TOKEN>`` (wildcard).
PLACEHOLDER_RE = re.compile(r"<(" + "|".join(KINDS) + r")(?:_\d+)?>")

#: JSON keys whose string value is a secret whatever it looks like.
_SECRET_KEYS = {"token": "TOKEN", "access_token": "TOKEN", "claim_token": "CLAIM"}
#: Shortest secret that is also replaced where it appears as plain text.
_MIN_LITERAL = 8
_BEARER = re.compile(r"^(\s*bearer\s+)(\S.*?)\s*$", re.IGNORECASE)


def find_secrets(text: str) -> list[str]:
    """Every token or claim token in ``text`` (for scanning files and messages)."""
    return SECRET_RE.findall(text)


class Redactor:
    """Replaces secrets with stable placeholders; one instance per cassette.

    It remembers the secrets it has seen (to keep placeholders stable) but never shows them: its
    repr holds only counts.
    """

    def __init__(self, *, redact_user_ids: bool = False, wildcard: bool = False) -> None:
        self.redact_user_ids = redact_user_ids
        self._wildcard = wildcard
        self._seen: dict[str, str] = {}
        self._counts: dict[str, int] = dict.fromkeys(KINDS, 0)
        self._literal: re.Pattern[str] | None = None
        self._plain: set[str] = set()  # seen secrets without a known prefix, for ``_literal``
        self._stale = False  # ``_literal`` misses a plain secret seen since it was built

    @classmethod
    def for_matching(cls) -> Redactor:
        """A redactor that writes the bare kind (``<TOKEN>``) for any secret or placeholder."""
        return cls(redact_user_ids=True, wildcard=True)

    @property
    def counts(self) -> dict[str, int]:
        """How many distinct secrets of each kind were replaced."""
        return dict(self._counts)

    def __repr__(self) -> str:
        seen = ", ".join(f"{kind}={n}" for kind, n in self._counts.items() if n)
        return f"Redactor({seen or 'nothing replaced'})"

    # --- the pieces of a request or response ---------------------------------------------------

    def text(self, value: str) -> str:
        """``value`` with every secret (by pattern, or already seen) replaced."""
        if self._seen and _PREFIXED.search(value):
            value = _PREFIXED.sub(lambda m: self._seen.get(m.group(0), m.group(0)), value)
        if self._stale:
            self._rebuild_literal()
        if self._literal is not None:
            value = self._literal.sub(lambda m: self._seen[m.group(0)], value)
        # Every pattern starts with a prefix that ``_PREFIXED`` finds: most text (paths, media
        # types, messages) has none, and one search then replaces three substitutions.
        if _PREFIXED.search(value) is not None:
            for kind, pattern in _PATTERNS.items():
                if kind != "USER_ID" or self.redact_user_ids:
                    value = pattern.sub(self._replacer(kind), value)
        if self._wildcard and "<" in value:
            value = PLACEHOLDER_RE.sub(lambda m: f"<{m.group(1)}>", value)
        return value

    def json(self, value: Any) -> Any:
        """A copy of a JSON value with secrets replaced in every string (keys included)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.json(item) for item in value]
        if isinstance(value, dict):
            return {self.text(k): self._field(k, v) for k, v in value.items()}
        return value

    def header(self, name: str, value: str) -> str:
        """One header's value: ``Authorization`` keeps its scheme, ``X-Client-Id`` is a secret."""
        lowered = name.lower()
        if lowered == contract.HEADER_AUTHORIZATION.lower():
            match = _BEARER.match(value)
            if match is None:
                return self.secret("TOKEN", value)
            return match.group(1) + self._token(match.group(2))
        if lowered == contract.HEADER_CLIENT_ID.lower():
            return self.secret("CLIENT_ID", value)
        return self.text(value)

    def headers(self, items: Iterable[tuple[str, str]] | Mapping[str, str]) -> dict[str, str]:
        """Headers with lower-case names and redacted values."""
        pairs = items.items() if isinstance(items, Mapping) else items
        return {name.lower(): self.header(name, value) for name, value in pairs}

    # --- the placeholders ----------------------------------------------------------------------

    def continue_after(self, text: str) -> None:
        """Number new placeholders after those already used in ``text`` (an existing cassette),
        so that a secret recorded later never reuses a number that meant another secret."""
        for match in re.finditer(r"<(" + "|".join(KINDS) + r")_(\d+)>", text):
            kind, number = match.group(1), int(match.group(2))
            self._counts[kind] = max(self._counts[kind], number)

    def secret(self, kind: str, value: str) -> str:
        """The placeholder for ``value`` as a secret of ``kind`` (the same one every time)."""
        placeholder = PLACEHOLDER_RE.fullmatch(value)
        if not value or placeholder:
            return f"<{placeholder.group(1)}>" if self._wildcard and placeholder else value
        if self._wildcard:
            return f"<{kind}>"
        if value not in self._seen:
            self._counts[kind] += 1
            self._seen[value] = f"<{kind}_{self._counts[kind]}>"
            if len(value) >= _MIN_LITERAL and not _PREFIXED.fullmatch(value):
                self._plain.add(value)
                self._stale = True
        return self._seen[value]

    def _replacer(self, kind: str) -> Callable[[re.Match[str]], str]:
        return lambda match: self.secret(kind, match.group(0))

    def _token(self, value: str) -> str:
        claim = _PATTERNS["CLAIM"].fullmatch(value)
        return self.secret("CLAIM" if claim else "TOKEN", value)

    def _field(self, key: str, value: Any) -> Any:
        kind = _SECRET_KEYS.get(key.lower())
        if kind is not None and isinstance(value, str):
            return self._token(value) if kind == "TOKEN" else self.secret(kind, value)
        return self.json(value)

    def _rebuild_literal(self) -> None:
        # Longest first, so a secret that contains another is replaced whole. Short values are
        # left to their position (a 3-character client id would otherwise rewrite every "abc").
        # Prefixed secrets (tokens, claim tokens) are found again by ``_PREFIXED`` and a lookup
        # instead: a proxy sees hundreds, and one big alternation rebuilt for each new one made
        # recording quadratic. The rebuild waits until a text needs it.
        self._stale = False
        secrets = sorted(self._plain, key=len, reverse=True)
        self._literal = re.compile("|".join(map(re.escape, secrets))) if secrets else None

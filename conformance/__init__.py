"""conformance: checks any Nemo client against the contract, against the mock and cassettes."""

from __future__ import annotations

__all__: list[str] = []

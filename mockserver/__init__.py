"""mockserver: a stateful Starlette mock of the whole Nemo API, in virtual time."""

from __future__ import annotations

__all__: list[str] = []

"""The records the mock's state keeps: accounts, sessions, turns, credits and issued tokens.

Plain values with no lock and no clock: :class:`~mockserver.state.MockState` owns them, guards
them and derives what time changes (a turn's draft, its charge) when it is read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..agent._plan import TurnScript

__all__ = ["Account", "Credits", "IssuedToken", "Session", "Turn", "empty_draft"]


def empty_draft() -> dict[str, Any]:
    """A new session's draft: no tracks, 1080p landscape."""
    return {"t": [], "d": 0, "m": {"width": 1920, "height": 1080, "fps": 30, "volume": 1.0}}


@dataclass(slots=True)
class Account:
    """An anonymous account; ``bound_until`` is when its client id stops mapping to it."""

    user_id: str
    client_id: str = field(repr=False)
    ip: str
    created_at: float
    bound_until: float
    credits: int
    session_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Turn:
    """One ``/run_sse`` message and its planned script, started at ``start``."""

    index: int
    start: float
    message: str
    invocation_id: str
    script: TurnScript

    @property
    def end(self) -> float:
        return self.start + self.script.duration

    def draft_events(self) -> list[tuple[float, dict[str, Any]]]:
        """``(time, draft)`` pairs: the turn's edit when it lands, then its post-production."""
        events = [(self.start + at, draft) for at, draft in self.script.post]
        if self.script.draft_after is not None:
            applied = self.script.applied_at
            landed = self.end if applied is None else self.start + applied
            events.insert(0, (landed, self.script.draft_after))
        return events


@dataclass(slots=True)
class Session:
    session_id: str
    task_id: str
    user_id: str
    task_name: str
    language: str | None
    created_at: float
    uploads: list[dict[str, Any]] = field(default_factory=list)
    turns: list[Turn] = field(default_factory=list)
    base_draft: dict[str, Any] = field(default_factory=empty_draft)


@dataclass(frozen=True, slots=True)
class Credits:
    available: int
    frozen: int
    total: int

    def as_dict(self) -> dict[str, int]:
        return {"available": self.available, "frozen": self.frozen, "total": self.total}


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str = field(repr=False)
    account: Account
    expires_at: float
    new_account: bool

"""What the HTTP layer reads from the mock it serves: a small Protocol, not the server class.

The routes, the instrument layer and the admin API find the mock through ``app.state.mock``
(:func:`~._requests_in.mock_of`); they see it as :class:`Served`. ``MockServer`` (in
:mod:`._app`, which builds the app) satisfies it, so no module below the app imports the app, and
the endpoints that need less take less: the state alone for the credits and state bodies and the
bearer account.
"""

from __future__ import annotations

from typing import Any, Protocol

from nemokit._clock import Clock

from .._config import MockConfig
from ..state import Faults, Journal, MockState
from ._admin_auth import AdminGuard

__all__ = ["Served"]


class Served(Protocol):
    """A mock as its routes use it: its state, journal, faults, clock and config."""

    @property
    def state(self) -> MockState: ...

    @property
    def journal(self) -> Journal: ...

    @property
    def faults(self) -> Faults: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def config(self) -> MockConfig: ...

    @property
    def admin_guard(self) -> AdminGuard: ...

    def configure(self, **changes: Any) -> MockConfig:
        """Change settings (validated); returns the new config."""
        ...

    def reset(self) -> None:
        """Forget accounts, sessions, renders, the journal and the faults."""
        ...

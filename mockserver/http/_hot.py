"""The hot path: GET credits and GET a session's state, answered by an exact path match.

These two are what clients poll, so :class:`~mockserver.http._instrument.Instrument` answers them
without Starlette's linear routing, ExceptionMiddleware and Request/Response wrappers. The same
functions as the routed endpoints make the bytes; an ``ApiError`` from them is left to the caller,
which renders it as the app's handler does. HEAD, other methods and root paths go through
Starlette (``tests/mock/test_mock_hot_paths.py`` asks every case both ways).
"""

from __future__ import annotations

from starlette.types import Scope, Send

from nemokit import contract

from ..state import JournalEntry, MockState
from ._endpoints import credits_body, state_body
from ._requests_in import account_of

__all__ = ["CREDITS", "hot_body", "hot_target", "send_hot"]

#: What :func:`hot_target` answers for the credits path (a state's target is its session id,
#: never empty).
CREDITS = ""
_STATE_HEAD, _, _STATE_TAIL = contract.PATH_STATE.partition("{sid}")


def hot_target(scope: Scope) -> str | None:
    """The two most polled GETs, found by an exact match before Starlette's linear routing.

    ``CREDITS`` for credits, the session id for a state (one path segment, as Starlette's
    ``{sid}`` matches), ``None`` for anything else, which Starlette routes (HEAD, a root path).
    """
    if scope["method"] != "GET" or scope.get("root_path"):
        return None
    path: str = scope["path"]
    if path == contract.PATH_CREDITS:
        return CREDITS
    if path.startswith(_STATE_HEAD) and path.endswith(_STATE_TAIL):
        sid = path[len(_STATE_HEAD) : len(path) - len(_STATE_TAIL)]
        if sid and "/" not in sid:
            return sid
    return None


def hot_body(state: MockState, target: str, scope: Scope) -> bytes:
    """The success body for ``target``; raises ``ApiError`` as the routed endpoint would."""
    account = account_of(state, scope["headers"])
    if target == CREDITS:
        return credits_body(state, account)
    return state_body(state, account, target)


async def send_hot(body: bytes, send: Send, entry: JournalEntry) -> None:
    """Send a 200 JSON ``body`` straight to the server's ``send``, noting it in ``entry``."""
    # What the send watcher would note from these bytes (a success envelope, code 0), noted
    # directly; the status also marks the response as started for ``Instrument._safely``.
    entry.status, entry.code = 200, 0
    length = str(len(body)).encode("latin-1")
    headers = [(b"content-length", length), (b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})

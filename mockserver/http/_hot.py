"""The hot path: GET credits and GET a session's state, answered by an exact path match.

These two are what clients poll, so :class:`~mockserver.http._instrument.Instrument` answers them
without Starlette's linear routing, ExceptionMiddleware and Request/Response wrappers, and without
the per-request work that cannot apply to them (a body tee, a stream log, the earlier guides'
adapting and flagging). The same functions as the routed endpoints make the bytes; an
``ApiError`` from them is left to the caller, which renders it as the app's handler does. HEAD,
other methods, root paths, and a GET that declares a body or carries an earlier guide's
``X-Api-Key`` go through Starlette (``tests/mock/test_mock_hot_paths.py`` asks every case both
ways).
"""

from __future__ import annotations

from starlette.types import Scope, Send

from nemokit import contract

from ..state import JournalEntry, MockState
from ._endpoints import credits_body, state_body
from ._requests_in import bearer_account

__all__ = ["CREDITS", "hot_body", "hot_request", "hot_target", "send_hot"]

#: What :func:`hot_target` answers for the credits path (a state's target is its session id,
#: never empty).
CREDITS = ""
_STATE_HEAD, _, _STATE_TAIL = contract.PATH_STATE.partition("{sid}")
_AUTHORIZATION = b"authorization"
#: Headers that send a GET down the routed path: a body to journal, or the key header of an
#: earlier guide (adapted into ``Authorization`` and flagged there).
_ROUTED = frozenset({b"content-length", b"transfer-encoding", b"x-api-key"})


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


def hot_request(scope: Scope) -> tuple[str, bytes] | None:
    """``(target, Authorization value)`` for a request the hot path answers whole, else ``None``.

    One pass over the headers (lower-case, as ASGI servers give them) finds the first
    ``Authorization`` and any header that makes the request one for the routed path.
    """
    target = hot_target(scope)
    if target is None:
        return None
    authorization = None
    for name, value in scope["headers"]:
        if name == _AUTHORIZATION:
            if authorization is None:
                authorization = value
        elif name in _ROUTED:
            return None
    return target, authorization or b""


def hot_body(state: MockState, target: str, authorization: bytes) -> bytes:
    """The success body for ``target``; raises ``ApiError`` as the routed endpoint would."""
    account = bearer_account(state, authorization)
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

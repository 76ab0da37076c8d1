"""What the journal notes from an exchange's ASGI messages, without slowing the exchange.

:func:`watch` wraps ``send`` to note the status and the contract code of a small JSON response
(read from the first bytes by :func:`code_of`); :func:`drain_small_body` reads a small body that
no endpoint read, and :func:`finish_body` stores the captured bytes as JSON or text.
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.types import Message, Receive, Scope, Send

from ..state import BODY_TEXT_CAP, JournalEntry
from ._stream_log import StreamLog

__all__ = ["code_of", "declares_small_body", "drain_small_body", "finish_body", "watch"]


def watch(send: Send, entry: JournalEntry | None, stream: StreamLog | None = None) -> Send:
    """``send`` that notes the status and the contract code of a small JSON response (and,
    given ``stream``, what an event stream sent)."""
    if entry is None:
        return send
    json_body = False

    async def watched(message: Message) -> None:
        nonlocal json_body
        if message["type"] == "http.response.start":
            entry.status = message["status"]
            kind = next(
                (v for k, v in message.get("headers", ()) if k.lower() == b"content-type"), b""
            )
            json_body = kind.startswith(b"application/json")
            if stream is not None and kind.startswith(b"text/event-stream"):
                stream.start()
        elif json_body and not message.get("more_body", False):
            entry.code = code_of(message.get("body", b""))
        elif stream is not None and stream.streaming:
            stream.feed(message.get("body", b""))
            if not message.get("more_body", False):
                stream.end()
        await send(message)

    return watched


#: How the mock's own JSON bodies start (Starlette's compact rendering): the contract code read
#: from the first bytes, without decoding a body that may hold a whole draft.
_CODE_PREFIX = re.compile(rb'\{"code":(-?[0-9]{1,9})[,}]')
_SUCCESS_PREFIX = re.compile(rb'\{"success":true[,}]')


def code_of(body: bytes) -> int | None:
    """The contract code of a JSON body: ``code`` when an integer, else 0 for ``success: true``."""
    # The shortcut holds only when the key appears once (a later duplicate would win in a full
    # parse); anything else (a fault rule's own body, other spacing) is parsed whole.
    if body.endswith(b"}"):
        found = _CODE_PREFIX.match(body)
        if found is not None and body.count(b'"code"') == 1:
            return int(found.group(1))
        if _SUCCESS_PREFIX.match(body) and b'"code"' not in body and body.count(b'"success"') == 1:
            return 0
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    if isinstance(data.get("code"), int):
        return int(data["code"])
    return 0 if data.get("success") is True else None


def declares_small_body(scope: Scope) -> bool:
    """Whether the request declares a ``Content-Length`` from 1 to the journal's cap."""
    length = b""
    for name, value in scope["headers"]:  # the last one wins, as in a dict of the headers
        if name == b"content-length":
            length = value
    return length.isdigit() and 0 < int(length) <= BODY_TEXT_CAP


async def drain_small_body(scope: Scope, receive: Receive) -> None:
    """Read a small body that the endpoint ignored, so that the journal shows it.

    Only a declared ``Content-Length`` up to the journal's cap is read: never an open-ended body.
    """
    if not declares_small_body(scope):
        return
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def finish_body(entry: JournalEntry, captured: bytearray) -> None:
    """Fill the body from the raw bytes when no endpoint recorded a parsed one."""
    if entry.body_kind != "none" or not captured:
        return
    text = bytes(captured).decode("utf-8", "replace")
    try:
        entry.body, entry.body_kind = json.loads(text, parse_constant=_no_constant), "json"
    except (ValueError, RecursionError):
        full = len(captured) < BODY_TEXT_CAP
        entry.body, entry.body_kind = text, "text" if full else "truncated"

"""Which headers a proxy forwards: the end-to-end ones, as RFC 9110 section 7.6.1 says.

Hop-by-hop headers describe one connection, not the message: ``Connection`` and every header it
names, ``Keep-Alive``, ``TE``, ``Trailer``, ``Transfer-Encoding``, ``Upgrade`` and the
``Proxy-*`` family. They are dropped in both directions; everything else (``Authorization``,
``X-Client-Id``, the ``X-Skill-*`` attribution headers, ``User-Agent``) passes byte for byte, so
the proxy is invisible to the contract. ``Host`` and ``Content-Length`` are written again by the
outgoing request (the target's host, the body as forwarded).
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["HOP_BY_HOP", "end_to_end"]

#: Always hop-by-hop (RFC 9110 7.6.1; ``Keep-Alive`` and ``Proxy-Connection`` from practice).
HOP_BY_HOP = frozenset(
    {b"connection", b"keep-alive", b"te", b"trailer", b"transfer-encoding", b"upgrade",
     b"proxy-connection", b"proxy-authenticate", b"proxy-authorization"}
)  # fmt: skip


def end_to_end(
    headers: Iterable[tuple[bytes, bytes]], *, drop: Iterable[bytes] = ()
) -> list[tuple[bytes, bytes]]:
    """``headers`` without the hop-by-hop ones (and without ``drop``), in order, as bytes."""
    pairs = [(name.lower(), value) for name, value in headers]
    named = {
        token.strip().lower()
        for name, value in pairs
        if name == b"connection"
        for token in value.split(b",")
    }
    skip = HOP_BY_HOP | named | {name.lower() for name in drop}
    return [
        (name, value)
        for name, value in pairs
        if name not in skip and not name.startswith(b"proxy-")
    ]

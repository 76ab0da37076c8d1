"""Loopback helpers for the tests that start a server in another process."""

from __future__ import annotations

import contextlib
import socket


def free_port() -> int:
    """A loopback port nothing listens on now (another process may take it before we do)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def listening(port: int) -> bool:
    """Whether something accepts connections on the loopback ``port``."""
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
        return True
    return False

"""The protocol a client under test implements to be driven by the suite.

A user step (:class:`Step`: say text, upload files, restart, wait) goes in; what the user would
see (:class:`Shown`, in order) comes out. A Python client implements :class:`ClientAdapter`,
made by an :data:`AdapterFactory`; any other program speaks the same steps and views as JSON
lines (:mod:`conformance.drivers._driver`, docs/driver-protocol.md).
"""

from __future__ import annotations

import pathlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

import httpx

from nemokit._clock import Clock

__all__ = ["AdapterFactory", "ClientAdapter", "Shown", "Step"]


@dataclass(frozen=True, slots=True)
class Step:
    """One thing the user does: ``say`` text, or ``upload`` files (names; the harness makes
    them), or ``restart`` the client (a new process with the same config dir)."""

    op: Literal["say", "upload", "restart", "wait"] = "say"
    text: str = ""
    files: tuple[str, ...] = ()
    #: For ``wait``: virtual seconds the user lets pass.
    seconds: float | None = None
    #: For ``say``: what the text means, clause by clause, as the strategy generated it:
    #: ``(action, clause)`` pairs, the action one of ``conformance.suite._model.INTENTS``.
    #: ``None``: not recorded (the judges then read the text with nemokit's router). Never
    #: given to the client.
    intent: tuple[tuple[str, str], ...] | None = None


@dataclass(frozen=True, slots=True)
class Shown:
    """One thing the client showed: ``kind`` (notice, reply, progress, changes, tracks,
    credits, uploaded, video_ready, project_link, problem) and its ``text``. ``step`` is the
    index of the user step that caused it (set by the harness); ``at`` the virtual time it was
    shown, when the adapter knows it (the timing rules then judge each view's time)."""

    kind: str
    text: str
    step: int = -1
    at: float | None = None


class ClientAdapter(Protocol):
    """A client under test, driven one user step at a time.

    ``run_step`` does what the user did (say text, send files) and returns what the user would
    see, in order; it should not raise (an exception that escapes is recorded and judged).
    ``close`` releases what the client holds. A step with ``op == "restart"`` is handled by the
    harness (the adapter is closed and a new one is made with the same config dir).
    """

    def run_step(self, step: Step) -> list[Shown]: ...

    def close(self) -> None: ...


#: ``factory(transport, clock, env, config_dir) -> adapter``. ``env`` holds ``NEMO_API_URL`` and,
#: in the user-token mode, ``NEMO_TOKEN``; ``config_dir`` is where the client keeps its id.
AdapterFactory = Callable[[httpx.BaseTransport, Clock, dict[str, str], pathlib.Path], ClientAdapter]

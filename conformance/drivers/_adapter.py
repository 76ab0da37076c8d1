"""The Python adapter protocol, and the reference adapter for nemokit's own client.

To check your own Python client, write a factory::

    def factory(transport, clock, env, config_dir):
        return MyAdapter(...)

- ``transport`` is an ``httpx.BaseTransport`` that reaches the mock (or a cassette); send every
  request through it. ``env["NEMO_API_URL"]`` is the base URL to use with it.
- ``clock`` is the :class:`~nemokit.Clock` to wait on: ``clock.sleep(30)`` instead of
  ``time.sleep(30)`` (the suite runs in virtual time).
- ``env`` is the environment the client would see (``NEMO_TOKEN`` in the user-token mode).
- ``config_dir`` is a directory for the client's persisted state (its client id).

The adapter has ``run_step(step) -> list[Shown]`` (``step.op`` is ``say`` with ``step.text``,
or ``upload`` with ``step.files``, absolute paths) and ``close()``. Run it with
``nemokit conformance --client mypkg.module:factory``.
"""

from __future__ import annotations

import dataclasses
import importlib
import pathlib
from collections.abc import Callable
from typing import Any, cast

import httpx

from nemokit import contract
from nemokit._client import Nemo
from nemokit._clock import Clock
from nemokit._conversation import Conversation
from nemokit._views import (
    VideoReady,
    View,
)

from ._protocol import AdapterFactory, ClientAdapter, Shown, Step

__all__ = ["NemokitAdapter", "load_factory", "nemokit_factory", "shown_of"]


def shown_of(view: View) -> Shown:
    """A nemokit view as a :class:`Shown` (its kind and its text)."""
    text = view.text
    if isinstance(view, VideoReady) and view.project_url:
        text = f"{text} {view.project_url}"
    return Shown(view.kind, text)


class NemokitAdapter:
    """nemokit's reference client (``Nemo`` + ``Conversation``) behind the adapter protocol."""

    def __init__(
        self,
        transport: httpx.BaseTransport,
        clock: Clock,
        env: dict[str, str],
        config_dir: pathlib.Path,
    ) -> None:
        self.nemo = Nemo(
            transport=transport,
            clock=clock,
            env=env,
            api_url=env.get(contract.ENV_API_URL),
            client_id_path=config_dir / "client_id",
        )
        self.conversation = Conversation(self.nemo)
        self.clock = clock

    def run_step(self, step: Step) -> list[Shown]:
        views = self.conversation.say(step.text, list(step.files))
        # Each view stamped as it is shown (the generator runs as the list is built).
        return [dataclasses.replace(shown_of(view), at=self.clock.now()) for view in views]

    def close(self) -> None:
        self.nemo.close()


def nemokit_factory(
    transport: httpx.BaseTransport, clock: Clock, env: dict[str, str], config_dir: pathlib.Path
) -> ClientAdapter:
    """The default target: nemokit's own client."""
    return NemokitAdapter(transport, clock, env, config_dir)


def load_factory(spec: str) -> AdapterFactory:
    """The factory named by ``module:attribute``; a clear ``ValueError`` when it cannot be."""
    module_name, sep, attribute = spec.partition(":")
    if not sep or not module_name or not attribute:
        raise ValueError(f"--client must look like 'package.module:factory', got {spec!r}")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(f"cannot import {module_name!r} (from --client {spec!r}): {exc}") from None
    target: Any = module
    for part in attribute.split("."):
        if not hasattr(target, part):
            raise ValueError(f"{module_name!r} has no attribute {attribute!r} (--client {spec!r})")
        target = getattr(target, part)
    if not callable(target):
        raise ValueError(f"{spec!r} is not callable: a factory takes (transport, clock, env, dir)")
    return cast(Callable[..., ClientAdapter], target)

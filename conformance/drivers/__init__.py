"""Targets: what a client under test implements so the suite can drive it, and the drivers.

The protocol (a user :class:`Step` in, the :class:`Shown` views out; :class:`ClientAdapter` made
by an :data:`AdapterFactory`), nemokit's own adapter, the subprocess driver protocol through which
any program is a target (docs/driver-protocol.md; the Node example is in ``node/``), and the
:class:`LiveMock` on loopback such a program talks to (served, like any ASGI app, by
:class:`ServedApp`). It imports the standard library, httpx,
uvicorn, ``nemokit``, ``mockserver`` (for the live mock) and ``conformance.cassettes`` (the
secret pattern a driver's log is redacted with); never ``conformance.suite``, which sits above
it. Modules are private; the public names are re-exported here (imported on first use).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._adapter import NemokitAdapter, load_factory, nemokit_factory
    from ._driver import DriverAdapter, DriverError, driver_factory
    from ._live_mock import LiveMock
    from ._protocol import AdapterFactory, ClientAdapter, Shown, Step
    from ._served import ServedApp

_HOMES: dict[str, str] = {
    "AdapterFactory": "_protocol",
    "ClientAdapter": "_protocol",
    "Shown": "_protocol",
    "Step": "_protocol",
    "NemokitAdapter": "_adapter",
    "load_factory": "_adapter",
    "nemokit_factory": "_adapter",
    "DriverAdapter": "_driver",
    "DriverError": "_driver",
    "driver_factory": "_driver",
    "LiveMock": "_live_mock",
    "ServedApp": "_served",
}

__all__ = [
    "AdapterFactory",
    "ClientAdapter",
    "DriverAdapter",
    "DriverError",
    "LiveMock",
    "NemokitAdapter",
    "ServedApp",
    "Shown",
    "Step",
    "driver_factory",
    "load_factory",
    "nemokit_factory",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

"""The nemokit pytest plugin (registered under the ``pytest11`` entry point).

Fixtures (all function-scoped; heavy imports happen inside them):

``nemo_config``
    Settings for the mock and the client: a dict (or any object with attributes, or a
    ``MockConfig``) of ``MockConfig`` fields plus client settings (``token``, ``api_url``,
    ``web_url``, ``client_id``, ``skill_source``, ``skill_platform``, ``timeout``) and
    ``time_scale`` for the live mock. Override it in a test module or a conftest.
``nemo_clock``
    The ``VirtualClock`` shared by the in-process mock, the client and cassette replay.
``nemo_mock``
    A ``MockServer`` in process (``.app``, ``.journal``, ``.faults``, ``.configure``).
``nemo_live_mock``
    The mock served by uvicorn on a free 127.0.0.1 port, its clock scaled (``time_scale``,
    1000 by default); yields the base URL and shuts the server down afterwards.
``nemo_cassette``
    For a test marked ``@pytest.mark.nemo_cassette("name")``: the replay router for
    ``<cassette dir>/name.json`` in the ``--nemo-record-mode`` (recording what goes live
    through ``nemo_mock``, saved at teardown); ``None`` for an unmarked test.
``nemo_client``
    A ``nemokit.Nemo`` wired to the cassette when the test is marked, else to ``nemo_mock``.

Options (group ``nemokit``): ``--nemo-record-mode`` (none, once, new_episodes, all; default
none), ``--nemo-cassette-dir`` (default ``cassettes``, relative to the rootdir) and
``--nemo-target URL`` (or ``NEMO_TARGET``): in the record modes, marked tests record from that
server instead of ``nemo_mock``, the client on real time with ``NEMO_TOKEN`` or an anonymous
token. Without a target nothing here touches the network. The
conformance suite's options (``--nemo-client``, ``--nemo-client-cmd``, ``--nemo-profile``,
``--nemo-backend``, for ``pytest --pyargs conformance.pytest_suite``) are registered here too.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from mockserver import MockServer
    from nemokit._client import Nemo
    from nemokit._clock import VirtualClock

    from .cassettes._replay import CassetteRouter

__all__ = [
    "nemo_cassette",
    "nemo_client",
    "nemo_clock",
    "nemo_config",
    "nemo_live_mock",
    "nemo_mock",
]

_MODES = ("none", "once", "new_episodes", "all")
_CLIENT_KEYS = frozenset({"token", "api_url", "web_url", "client_id", "skill_source",
                          "skill_platform", "timeout"})  # fmt: skip
_PLUGIN_KEYS = frozenset({"time_scale"})
_BASE_URL = "http://mock.test"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("nemokit", "nemokit: the Nemo mock and cassettes")
    group.addoption(
        "--nemo-record-mode",
        choices=_MODES,
        default="none",
        help="When nemo_cassette tests record: none (replay only, the default), once (record "
        "a missing cassette), new_episodes (record what is not in it), all (record anew).",
    )
    group.addoption(
        "--nemo-cassette-dir",
        default="cassettes",
        help="Directory of the cassettes named by @pytest.mark.nemo_cassette (default: "
        "cassettes, relative to the rootdir).",
    )
    group.addoption(
        "--nemo-target",
        default=None,
        metavar="URL",
        help="Record nemo_cassette tests from this server (a real API) instead of the "
        "in-process mock, in the record modes (default: $NEMO_TARGET, else the mock).",
    )
    from .pytest_suite import add_options  # light: it imports pytest only

    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "nemo_cassette(name): replay (or record, per --nemo-record-mode) the test's Nemo "
        "traffic from <cassette dir>/<name>.json through the nemo_client fixture",
    )


# --- settings -----------------------------------------------------------------------------------


def _settings(config: Any) -> dict[str, Any]:
    if config is None:
        return {}
    if isinstance(config, Mapping):
        return dict(config)
    if dataclasses.is_dataclass(config) and not isinstance(config, type):
        return {f.name: getattr(config, f.name) for f in dataclasses.fields(config)}
    return {k: v for k, v in vars(config).items() if not k.startswith("_")}


def _split(config: Any) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """``(mock settings, client settings, plugin settings)`` from ``nemo_config``."""
    settings = _settings(config)
    client = {k: v for k, v in settings.items() if k in _CLIENT_KEYS}
    plugin = {k: v for k, v in settings.items() if k in _PLUGIN_KEYS}
    mock = {k: v for k, v in settings.items() if k not in _CLIENT_KEYS | _PLUGIN_KEYS}
    return mock, client, plugin


def _mock_config(mock: dict[str, Any]) -> Any:
    from mockserver._config import MockConfig

    try:
        return MockConfig().replace(**mock)
    except ValueError as error:
        raise pytest.UsageError(f"nemo_config: {error}") from None


# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture
def nemo_config() -> Any:
    """Mock and client settings; override this fixture to change them (a dict is simplest)."""
    return {}


@pytest.fixture
def nemo_clock() -> VirtualClock:
    """The virtual clock shared by the in-process mock, the client and replay."""
    from nemokit._clock import VirtualClock

    return VirtualClock()


@pytest.fixture
def nemo_mock(nemo_config: Any, nemo_clock: VirtualClock) -> MockServer:
    """The mock in process, on the shared virtual clock."""
    from mockserver import MockServer

    mock, _, _ = _split(nemo_config)
    return MockServer(_mock_config(mock), nemo_clock)


@pytest.fixture
def nemo_live_mock(nemo_config: Any) -> Iterator[str]:
    """The mock on a free loopback port (uvicorn in a thread); yields its base URL."""
    from .drivers._live_mock import LiveMock

    mock, _, plugin = _split(nemo_config)
    scale = float(plugin.get("time_scale", 1000))
    with LiveMock(_mock_config(mock), scale=scale) as live:
        yield live.url


@pytest.fixture
def nemo_cassette(
    request: pytest.FixtureRequest, nemo_mock: MockServer, nemo_clock: VirtualClock
) -> Iterator[CassetteRouter | None]:
    """The replay router for a test marked ``nemo_cassette(name)`` (else ``None``)."""
    marker = request.node.get_closest_marker("nemo_cassette")
    if marker is None:
        yield None
        return
    import httpx

    from mockserver import StreamingTransport
    from nemokit._clock import Clock

    from .cassettes._cassette import CassetteError
    from .cassettes._replay import build_router

    path = _cassette_path(request, marker)
    mode = request.config.getoption("--nemo-record-mode")
    target = _recording_target(request)
    # A target is a real server, on real time (recorded gaps are real seconds); else the mock.
    real: httpx.BaseTransport = (
        httpx.HTTPTransport() if target is not None else StreamingTransport(nemo_mock.app)
    )
    clock: Clock | None = nemo_clock if target is None else None
    try:
        try:
            router = build_router(path, mode=mode, real=real, timing="recorded", clock=clock)
        except CassetteError as error:
            pytest.fail(
                f"{error}. Record it with --nemo-record-mode=once (or set the mode that fits).",
                pytrace=False,
            )
        yield router
        router.save()
        if router.misses:
            pytest.fail(str(router.misses[0]), pytrace=False)
    finally:
        real.close()


def _recording_target(request: pytest.FixtureRequest) -> str | None:
    """The server a marked test records from: ``--nemo-target``/``NEMO_TARGET`` in a record
    mode, else ``None`` (the in-process mock; replay never needs a server)."""
    if request.node.get_closest_marker("nemo_cassette") is None:
        return None
    if request.config.getoption("--nemo-record-mode") == "none":
        return None
    target = request.config.getoption("--nemo-target") or os.environ.get("NEMO_TARGET")
    return target.rstrip("/") if target else None


def _cassette_path(request: pytest.FixtureRequest, marker: pytest.Mark) -> pathlib.Path:
    name = marker.args[0] if marker.args else marker.kwargs.get("name")
    if not isinstance(name, str) or not name:
        pytest.fail("@pytest.mark.nemo_cassette needs a cassette name", pytrace=False)
    folder = pathlib.Path(request.config.getoption("--nemo-cassette-dir"))
    if not folder.is_absolute():
        folder = request.config.rootpath / folder
    return folder / (name if name.endswith(".json") else f"{name}.json")


@pytest.fixture
def nemo_client(
    request: pytest.FixtureRequest,
    nemo_config: Any,
    nemo_mock: MockServer,
    nemo_clock: VirtualClock,
    nemo_cassette: CassetteRouter | None,
) -> Iterator[Nemo]:
    """A ``Nemo`` client wired to the cassette (marked tests) or to the in-process mock."""
    import httpx

    from mockserver import StreamingTransport
    from nemokit._client import Nemo
    from nemokit._clock import Clock, SystemClock

    _, client, _ = _split(nemo_config)
    settings = {"api_url": _BASE_URL, "client_id": "nemokit-pytest", **client}
    clock: Clock = nemo_clock
    if (target := _recording_target(request)) is not None:
        # Recording from a real server: its URL, real time, and NEMO_TOKEN (else anonymous).
        settings = {"token": os.environ.get("NEMO_TOKEN") or None, **settings, "api_url": target}
        clock = SystemClock()
    if nemo_cassette is not None:
        transport: httpx.BaseTransport = httpx.MockTransport(nemo_cassette.handler)
    else:
        transport = StreamingTransport(nemo_mock.app)
    with Nemo(transport=transport, clock=clock, env={}, **settings) as nemo:
        yield nemo

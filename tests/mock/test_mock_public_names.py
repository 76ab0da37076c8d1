"""``from mockserver import ...`` keeps every name it exported before the mock became subpackages
(issue 16), each the very object its new home defines."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

import mockserver
from mockserver import (
    ApiError,
    AsyncStreamingTransport,
    DroppedConnection,
    FaultRule,
    Faults,
    Journal,
    JournalEntry,
    MockConfig,
    MockServer,
    RenderJob,
    ScriptItem,
    StreamCut,
    StreamingTransport,
    TurnScript,
    create_app,
    new_render_job,
    openapi_document,
    plan_turn,
    play_turn,
    sniff,
    tiny_mp4,
)

#: Each name exported before the move, and the module that defines it now.
HOMES: dict[Any, str] = {
    ApiError: "mockserver._envelopes",
    AsyncStreamingTransport: "mockserver.http._transport",
    DroppedConnection: "mockserver.state._faults",
    FaultRule: "mockserver.state._faults",
    Faults: "mockserver.state._faults",
    Journal: "mockserver.state._journal",
    JournalEntry: "mockserver.state._journal",
    MockConfig: "mockserver._config",
    MockServer: "mockserver.http._app",
    RenderJob: "mockserver.state._render",
    ScriptItem: "mockserver.agent._plan",
    StreamCut: "mockserver.agent._stream",
    StreamingTransport: "mockserver.http._transport",
    TurnScript: "mockserver.agent._plan",
    create_app: "mockserver.http._app",
    new_render_job: "mockserver.state._render",
    openapi_document: "mockserver.openapi._document",
    plan_turn: "mockserver.agent._plan",
    play_turn: "mockserver.agent._stream",
    sniff: "mockserver._media",
    tiny_mp4: "mockserver._media",
}


def test_every_name_exported_before_is_still_exported() -> None:
    before = {obj.__name__ for obj in HOMES}
    assert len(before) == 21
    assert before <= set(mockserver.__all__)


@pytest.mark.parametrize("obj", list(HOMES), ids=lambda obj: obj.__name__)
def test_each_name_is_the_object_of_its_home_module(obj: Any) -> None:
    home = HOMES[obj]
    name = obj.__name__
    assert obj.__module__ == home
    assert getattr(importlib.import_module(home), name) is obj
    assert getattr(mockserver, name) is obj


@pytest.mark.parametrize(
    ("package", "names"),
    [
        ("mockserver.http", ["MockServer", "Served", "StreamingTransport", "create_app"]),
        ("mockserver.state", ["MockState", "Journal", "Faults", "RenderJob", "Session"]),
        ("mockserver.agent", ["TurnScript", "plan_turn", "play_turn", "heartbeat_frame"]),
        ("mockserver.openapi", ["openapi_document"]),
    ],
)
def test_each_subpackage_re_exports_its_public_names(package: str, names: list[str]) -> None:
    module = importlib.import_module(package)
    assert set(names) <= set(module.__all__)
    assert all(hasattr(module, name) for name in module.__all__)

"""Record and replay: the cassette format and everything that reads or writes it.

The versioned format (bodies, interactions, schema checks, load/save), the recording transports
that wrap any httpx transport (capture, tee, redaction), request matching and the respx replay
router with its playback timing, ``nemokit cassettes verify`` (a cassette replayed into a live
server), ``nemokit cassettes diff`` (two recordings compared the same way), HAR 1.2 in and out, and the named scenarios that record the committed cassettes. It knows nothing of
rules or clients under test: it imports the standard library, httpx, respx and ``nemokit``, and
``mockserver`` only inside the functions that record a scenario against the mock or verify a
cassette by replaying it into one; never ``conformance.suite`` or ``conformance.drivers``.
Modules are private; the public names are re-exported here (imported on first use).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._cassette import (
        CASSETTE_FORMAT_VERSION,
        BinaryBody,
        Cassette,
        CassetteError,
        Interaction,
        JsonBody,
        MultipartBody,
        MultipartPart,
        RecordedRequest,
        RecordedResponse,
        StreamEvent,
        TextBody,
        dumps_cassette,
        load_cassette,
        loads_cassette,
        save_cassette,
    )
    from ._record import AsyncRecordingTransport, Recorder, RecordingTransport
    from ._redact import Redactor, find_secrets
    from ._replay import (
        CassetteMiss,
        CassetteRouter,
        LogEntry,
        RecordMode,
        ReplayStats,
        build_router,
    )
    from ._scenarios import SCENARIOS, ScenarioSpec, UserStep, record_scenario, replay_scenario
    from ._verify import Difference, verify_cassette
    from ._diff import diff_cassettes
    from ._har import HarImport, cassette_from_har, har_from_cassette

_HOMES: dict[str, str] = {
    "CASSETTE_FORMAT_VERSION": "_cassette",
    "BinaryBody": "_cassette",
    "Cassette": "_cassette",
    "CassetteError": "_cassette",
    "Interaction": "_cassette",
    "JsonBody": "_cassette",
    "MultipartBody": "_cassette",
    "MultipartPart": "_cassette",
    "RecordedRequest": "_cassette",
    "RecordedResponse": "_cassette",
    "StreamEvent": "_cassette",
    "TextBody": "_cassette",
    "dumps_cassette": "_cassette",
    "load_cassette": "_cassette",
    "loads_cassette": "_cassette",
    "save_cassette": "_cassette",
    "AsyncRecordingTransport": "_record",
    "Recorder": "_record",
    "RecordingTransport": "_record",
    "Redactor": "_redact",
    "find_secrets": "_redact",
    "CassetteMiss": "_replay",
    "CassetteRouter": "_replay",
    "LogEntry": "_replay",
    "RecordMode": "_replay",
    "ReplayStats": "_replay",
    "build_router": "_replay",
    "SCENARIOS": "_scenarios",
    "ScenarioSpec": "_scenarios",
    "UserStep": "_scenarios",
    "record_scenario": "_scenarios",
    "replay_scenario": "_scenarios",
    "Difference": "_verify",
    "verify_cassette": "_verify",
    "diff_cassettes": "_diff",
    "HarImport": "_har",
    "cassette_from_har": "_har",
    "har_from_cassette": "_har",
}

__all__ = [
    "AsyncRecordingTransport",
    "BinaryBody",
    "CASSETTE_FORMAT_VERSION",
    "Cassette",
    "CassetteError",
    "CassetteMiss",
    "CassetteRouter",
    "Difference",
    "HarImport",
    "Interaction",
    "JsonBody",
    "LogEntry",
    "MultipartBody",
    "MultipartPart",
    "RecordMode",
    "RecordedRequest",
    "RecordedResponse",
    "Recorder",
    "RecordingTransport",
    "Redactor",
    "ReplayStats",
    "SCENARIOS",
    "ScenarioSpec",
    "StreamEvent",
    "TextBody",
    "UserStep",
    "build_router",
    "cassette_from_har",
    "diff_cassettes",
    "dumps_cassette",
    "find_secrets",
    "har_from_cassette",
    "load_cassette",
    "loads_cassette",
    "record_scenario",
    "replay_scenario",
    "save_cassette",
    "verify_cassette",
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

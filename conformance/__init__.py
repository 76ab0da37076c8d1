"""conformance: checks any Nemo client against the contract, on the mock and on cassettes.

- The suite: :func:`run_suite` runs every rule of ``docs/contract.md`` that a client can break as a
  hypothesis property over generated scenarios, judged from the server's journal and what the
  client showed (``nemokit conformance`` on the command line; ``conformance.pytest_suite`` for
  pytest). Targets: nemokit's client, any Python client through :class:`ClientAdapter`, any
  program through the driver protocol (:func:`driver_factory`).
- Record/replay: versioned cassettes, recording transports that wrap any httpx transport, and a
  respx replay router with an index (:func:`build_router`).

Names are imported on first use, so that the pytest plugin (``conformance.plugin``), which pytest
loads in every run, costs next to nothing until a test asks for it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._adapter import NemokitAdapter, load_factory, nemokit_factory
    from ._broken import BROKEN_CLIENTS, BROKEN_SCENARIOS
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
    from ._driver import DriverAdapter, DriverError, LiveMock, driver_factory
    from ._harness import AdapterFactory, ClientAdapter, IncrementalRun, run_scenario
    from ._model import Fault, Observation, Request, Scenario, ServerVariant, Shown, Step, Violation
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
    from ._report import junit_xml, write_junit
    from ._rules import RULES, Rule, rule_by_id
    from ._scenarios import SCENARIOS, ScenarioSpec, UserStep, record_scenario, replay_scenario
    from ._stateful import conformance_machine
    from ._suite import RuleResult, SuiteResult, replay, run_suite
    from ._verify import Difference, verify_cassette

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
    "Fault": "_model",
    "Observation": "_model",
    "Request": "_model",
    "Scenario": "_model",
    "ServerVariant": "_model",
    "Shown": "_model",
    "Step": "_model",
    "Violation": "_model",
    "RULES": "_rules",
    "Rule": "_rules",
    "rule_by_id": "_rules",
    "AdapterFactory": "_harness",
    "ClientAdapter": "_harness",
    "run_scenario": "_harness",
    "NemokitAdapter": "_adapter",
    "load_factory": "_adapter",
    "nemokit_factory": "_adapter",
    "RuleResult": "_suite",
    "SuiteResult": "_suite",
    "replay": "_suite",
    "run_suite": "_suite",
    "junit_xml": "_report",
    "write_junit": "_report",
    "DriverAdapter": "_driver",
    "DriverError": "_driver",
    "LiveMock": "_driver",
    "driver_factory": "_driver",
    "BROKEN_CLIENTS": "_broken",
    "BROKEN_SCENARIOS": "_broken",
    "SCENARIOS": "_scenarios",
    "ScenarioSpec": "_scenarios",
    "UserStep": "_scenarios",
    "record_scenario": "_scenarios",
    "replay_scenario": "_scenarios",
    "Difference": "_verify",
    "verify_cassette": "_verify",
    "conformance_machine": "_stateful",
    "IncrementalRun": "_harness",
}

__all__ = [
    "BROKEN_CLIENTS",
    "BROKEN_SCENARIOS",
    "CASSETTE_FORMAT_VERSION",
    "RULES",
    "SCENARIOS",
    "AdapterFactory",
    "AsyncRecordingTransport",
    "BinaryBody",
    "Cassette",
    "CassetteError",
    "CassetteMiss",
    "CassetteRouter",
    "ClientAdapter",
    "Difference",
    "DriverAdapter",
    "DriverError",
    "Fault",
    "IncrementalRun",
    "Interaction",
    "JsonBody",
    "LiveMock",
    "LogEntry",
    "MultipartBody",
    "MultipartPart",
    "NemokitAdapter",
    "Observation",
    "RecordMode",
    "RecordedRequest",
    "RecordedResponse",
    "Recorder",
    "RecordingTransport",
    "Redactor",
    "ReplayStats",
    "Request",
    "Rule",
    "RuleResult",
    "Scenario",
    "ScenarioSpec",
    "ServerVariant",
    "Shown",
    "Step",
    "StreamEvent",
    "SuiteResult",
    "TextBody",
    "UserStep",
    "Violation",
    "build_router",
    "conformance_machine",
    "driver_factory",
    "dumps_cassette",
    "find_secrets",
    "junit_xml",
    "load_cassette",
    "load_factory",
    "loads_cassette",
    "nemokit_factory",
    "record_scenario",
    "replay",
    "replay_scenario",
    "rule_by_id",
    "run_scenario",
    "run_suite",
    "save_cassette",
    "verify_cassette",
    "write_junit",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'conformance' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"conformance.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

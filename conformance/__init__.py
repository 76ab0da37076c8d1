"""conformance: checks any Nemo client against the contract, on the mock and on cassettes.

- The suite: :func:`run_suite` runs every rule of ``docs/contract.md`` that a client can break as a
  hypothesis property over generated scenarios, judged from the server's journal and what the
  client showed (``nemokit conformance`` on the command line; ``conformance.pytest_suite`` for
  pytest). Targets: nemokit's client, any Python client through :class:`ClientAdapter`, any
  program through the driver protocol (:func:`driver_factory`).
- Record/replay: versioned cassettes, recording transports that wrap any httpx transport, and a
  respx replay router with an index (:func:`build_router`).

The code lives in three subpackages, each importing only the ones below it:
:mod:`conformance.suite` (rules, judging, backends) over :mod:`conformance.drivers` (the protocol
a client under test implements, nemokit's adapter, the driver protocol, the live mock) over
:mod:`conformance.cassettes` (record/replay). ``plugin`` and ``pytest_suite`` sit on top.

Names are imported on first use, so that the pytest plugin (``conformance.plugin``), which pytest
loads in every run, costs next to nothing until a test asks for it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .cassettes import (
        CASSETTE_FORMAT_VERSION,
        SCENARIOS,
        AsyncRecordingTransport,
        BinaryBody,
        Cassette,
        CassetteError,
        CassetteMiss,
        CassetteRouter,
        Difference,
        Interaction,
        JsonBody,
        LogEntry,
        MultipartBody,
        MultipartPart,
        RecordedRequest,
        RecordedResponse,
        Recorder,
        RecordingTransport,
        RecordMode,
        Redactor,
        ReplayStats,
        ScenarioSpec,
        StreamEvent,
        TextBody,
        UserStep,
        build_router,
        dumps_cassette,
        find_secrets,
        load_cassette,
        loads_cassette,
        record_scenario,
        replay_scenario,
        save_cassette,
        verify_cassette,
    )
    from .drivers import (
        AdapterFactory,
        ClientAdapter,
        DriverAdapter,
        DriverError,
        LiveMock,
        NemokitAdapter,
        Shown,
        Step,
        driver_factory,
        load_factory,
        nemokit_factory,
    )
    from .suite import (
        BROKEN_CLIENTS,
        BROKEN_SCENARIOS,
        RULES,
        Fault,
        IncrementalRun,
        Observation,
        Request,
        Rule,
        RuleResult,
        Scenario,
        ServerVariant,
        SuiteResult,
        Violation,
        conformance_machine,
        junit_xml,
        replay,
        rule_by_id,
        run_scenario,
        run_suite,
        write_junit,
    )

#: Which subpackage each public name lives in.
_HOMES: dict[str, str] = {
    "BROKEN_CLIENTS": "suite",
    "BROKEN_SCENARIOS": "suite",
    "CASSETTE_FORMAT_VERSION": "cassettes",
    "RULES": "suite",
    "SCENARIOS": "cassettes",
    "AdapterFactory": "drivers",
    "AsyncRecordingTransport": "cassettes",
    "BinaryBody": "cassettes",
    "Cassette": "cassettes",
    "CassetteError": "cassettes",
    "CassetteMiss": "cassettes",
    "CassetteRouter": "cassettes",
    "ClientAdapter": "drivers",
    "Difference": "cassettes",
    "DriverAdapter": "drivers",
    "DriverError": "drivers",
    "Fault": "suite",
    "IncrementalRun": "suite",
    "Interaction": "cassettes",
    "JsonBody": "cassettes",
    "LiveMock": "drivers",
    "LogEntry": "cassettes",
    "MultipartBody": "cassettes",
    "MultipartPart": "cassettes",
    "NemokitAdapter": "drivers",
    "Observation": "suite",
    "RecordMode": "cassettes",
    "RecordedRequest": "cassettes",
    "RecordedResponse": "cassettes",
    "Recorder": "cassettes",
    "RecordingTransport": "cassettes",
    "Redactor": "cassettes",
    "ReplayStats": "cassettes",
    "Request": "suite",
    "Rule": "suite",
    "RuleResult": "suite",
    "Scenario": "suite",
    "ScenarioSpec": "cassettes",
    "ServerVariant": "suite",
    "Shown": "drivers",
    "Step": "drivers",
    "StreamEvent": "cassettes",
    "SuiteResult": "suite",
    "TextBody": "cassettes",
    "UserStep": "cassettes",
    "Violation": "suite",
    "build_router": "cassettes",
    "conformance_machine": "suite",
    "driver_factory": "drivers",
    "dumps_cassette": "cassettes",
    "find_secrets": "cassettes",
    "junit_xml": "suite",
    "load_cassette": "cassettes",
    "load_factory": "drivers",
    "loads_cassette": "cassettes",
    "nemokit_factory": "drivers",
    "record_scenario": "cassettes",
    "replay": "suite",
    "replay_scenario": "cassettes",
    "rule_by_id": "suite",
    "run_scenario": "suite",
    "run_suite": "suite",
    "save_cassette": "cassettes",
    "verify_cassette": "cassettes",
    "write_junit": "suite",
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

"""The conformance suite: the contract's rules judged as hypothesis properties.

The suite's values (scenario, observation, violation), the rules and their judging, the
strategies that generate scenarios, the backends a client is driven on (the in-process mock,
the live mock, cassettes) with the stepper and observers, the stateful machine and incremental
runs, the report, and the deliberately broken clients that prove each rule can fail. It is the
top layer: it imports ``conformance.drivers`` (the protocol and nemokit's adapter),
``conformance.cassettes`` (the cassette backend), ``mockserver``, ``nemokit``, hypothesis and
the standard library; only ``conformance``'s own top-level modules and the CLI import it.
Modules are private; the public names are re-exported here (imported on first use).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._broken import BROKEN_CLIENTS, BROKEN_SCENARIOS
    from ._harness import IncrementalRun, run_scenario
    from ._live import live_skips
    from ._model import Fault, Observation, Request, Scenario, ServerVariant, Violation
    from ._report import junit_xml, write_junit
    from ._rules import RULES, Rule, rule_by_id
    from ._stateful import conformance_machine
    from ._suite import RuleResult, SuiteResult, replay, run_suite

_HOMES: dict[str, str] = {
    "Fault": "_model",
    "Observation": "_model",
    "Request": "_model",
    "Scenario": "_model",
    "ServerVariant": "_model",
    "Violation": "_model",
    "RULES": "_rules",
    "Rule": "_rules",
    "rule_by_id": "_rules",
    "IncrementalRun": "_harness",
    "run_scenario": "_harness",
    "RuleResult": "_suite",
    "SuiteResult": "_suite",
    "replay": "_suite",
    "run_suite": "_suite",
    "junit_xml": "_report",
    "write_junit": "_report",
    "BROKEN_CLIENTS": "_broken",
    "BROKEN_SCENARIOS": "_broken",
    "conformance_machine": "_stateful",
    "live_skips": "_live",
}

__all__ = [
    "BROKEN_CLIENTS",
    "BROKEN_SCENARIOS",
    "RULES",
    "Fault",
    "IncrementalRun",
    "Observation",
    "Request",
    "Rule",
    "RuleResult",
    "Scenario",
    "ServerVariant",
    "SuiteResult",
    "Violation",
    "conformance_machine",
    "junit_xml",
    "live_skips",
    "replay",
    "rule_by_id",
    "run_scenario",
    "run_suite",
    "write_junit",
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

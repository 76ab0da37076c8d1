"""Every name users import from ``conformance`` still imports from there, from the same home.

The names are written out (not read from ``__all__``), so a name that disappears, or moves
out of the subpackage that documents it, fails here.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import inspect
from pathlib import Path

import pytest

import conformance

CASSETTES = (
    "CASSETTE_FORMAT_VERSION", "SCENARIOS", "AsyncRecordingTransport", "BinaryBody", "Cassette",
    "CassetteError", "CassetteMiss", "CassetteRouter", "Difference", "Interaction", "JsonBody",
    "LogEntry", "MultipartBody", "MultipartPart", "RecordMode", "RecordedRequest",
    "RecordedResponse", "Recorder", "RecordingTransport", "Redactor", "ReplayStats",
    "ScenarioSpec", "StreamEvent", "TextBody", "UserStep", "build_router", "dumps_cassette",
    "find_secrets", "load_cassette", "loads_cassette", "record_scenario", "replay_scenario",
    "save_cassette", "verify_cassette",
)  # fmt: skip
DRIVERS = (
    "AdapterFactory", "ClientAdapter", "DriverAdapter", "DriverError", "LiveMock",
    "NemokitAdapter", "Shown", "Step", "driver_factory", "load_factory", "nemokit_factory",
)  # fmt: skip
SUITE = (
    "BROKEN_CLIENTS", "BROKEN_SCENARIOS", "RULES", "Fault", "IncrementalRun", "Observation",
    "Request", "Rule", "RuleResult", "Scenario", "ServerVariant", "SuiteResult", "Violation",
    "conformance_machine", "junit_xml", "replay", "rule_by_id", "run_scenario", "run_suite",
    "write_junit",
)  # fmt: skip
HOMES = {
    **dict.fromkeys(CASSETTES, "cassettes"),
    **dict.fromkeys(DRIVERS, "drivers"),
    **dict.fromkeys(SUITE, "suite"),
}


def test_the_listed_names_are_exactly_the_public_api() -> None:
    assert set(HOMES) == set(conformance.__all__)


def test_the_names_users_import_most_import_statically() -> None:
    from conformance import (
        Cassette,
        ClientAdapter,
        Shown,
        Step,
        build_router,
        driver_factory,
        run_suite,
    )

    assert Step(op="say", text="hi").text == "hi"
    assert Shown("reply", "ok").step == -1
    assert callable(build_router)
    assert callable(run_suite)
    assert callable(driver_factory)
    assert Cassette.__name__ == "Cassette"
    assert ClientAdapter.__name__ == "ClientAdapter"


@pytest.mark.parametrize("name", sorted(HOMES))
def test_a_public_name_is_the_same_object_from_the_package_and_its_subpackage(name: str) -> None:
    subpackage = importlib.import_module(f"conformance.{HOMES[name]}")
    value = getattr(conformance, name)  # what ``from conformance import name`` does
    assert value is getattr(subpackage, name)
    assert name in subpackage.__all__
    # A type alias such as AdapterFactory (a Callable[...]) has no home module of its own, and
    # before Python 3.11 inspect.isclass() says True of such a generic alias.
    alias = getattr(value, "__origin__", None) is not None
    if (inspect.isclass(value) or inspect.isfunction(value)) and not alias:
        assert value.__module__.startswith(f"conformance.{HOMES[name]}."), value.__module__


@pytest.mark.parametrize("subpackage", ["cassettes", "drivers", "suite"])
def test_a_subpackage_exports_what_it_lists(subpackage: str) -> None:
    module = importlib.import_module(f"conformance.{subpackage}")
    assert module.__doc__ is not None
    assert "imports" in module.__doc__  # it says what it may import
    for name in module.__all__:
        assert getattr(module, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = module.nope


def test_the_pytest_plugin_and_the_pytest_suite_import_from_where_pytest_finds_them() -> None:
    plugin = importlib.import_module("conformance.plugin")
    suite = importlib.import_module("conformance.pytest_suite")
    assert callable(plugin.pytest_addoption)
    assert callable(suite.add_options)
    pyproject = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text()
    assert '[project.entry-points.pytest11]\nnemokit = "conformance.plugin"' in pyproject
    points = importlib.metadata.entry_points(group="pytest11")
    ours = [p for p in points if p.name == "nemokit"]
    if ours:  # installed (editable or not): the entry point loads the plugin module
        assert ours[0].value == "conformance.plugin"
        assert ours[0].load() is plugin

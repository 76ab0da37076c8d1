"""The conformance suite as pytest tests: one test per rule, for projects that prefer pytest.

Run it against your client (``-p`` registers the options below; xdist spreads the rules over
workers, each with its own in-process mock)::

    pytest -p conformance.pytest_suite --pyargs conformance.pytest_suite \\
        --nemo-client mypkg.adapter:factory --nemo-profile ci -n auto

Options (or environment variables, when the module is not loaded as a plugin):
``--nemo-client MODULE:FACTORY`` (``NEMO_CONFORMANCE_CLIENT``; default: nemokit's client),
``--nemo-client-cmd CMD`` (``NEMO_CONFORMANCE_CLIENT_CMD``), ``--nemo-profile``
(``NEMO_CONFORMANCE_PROFILE``, default ``ci``), ``--nemo-backend mock|cassettes``
(``NEMO_CONFORMANCE_BACKEND``). :func:`add_options` registers them; a plugin may call it.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from ._rules import RULES

__all__ = ["add_options", "pytest_addoption", "test_rule"]

_OPTIONS = (
    ("--nemo-client", "NEMO_CONFORMANCE_CLIENT", None, "MODULE:FACTORY of the client under test"),
    ("--nemo-client-cmd", "NEMO_CONFORMANCE_CLIENT_CMD", None, "a driver-protocol program"),
    ("--nemo-profile", "NEMO_CONFORMANCE_PROFILE", "ci", "dev, ci or thorough"),
    ("--nemo-backend", "NEMO_CONFORMANCE_BACKEND", "mock", "mock or cassettes"),
)


def add_options(parser: Any) -> None:
    """Register the suite's command-line options in a ``pytest_addoption`` hook."""
    group = parser.getgroup("nemo-conformance", "Nemo contract conformance")
    for flag, env, default, help_text in _OPTIONS:
        group.addoption(flag, default=None, help=f"{help_text} (env {env}; default {default})")


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def _option(config: pytest.Config, flag: str) -> str | None:
    _, env, default, _ = next(o for o in _OPTIONS if o[0] == flag)
    try:
        value = config.getoption(flag)
    except ValueError:  # not loaded as a plugin: the option does not exist
        value = None
    return value or os.environ.get(env) or default


@pytest.mark.parametrize("rule_id", [rule.id for rule in RULES])
def test_rule(rule_id: str, request: pytest.FixtureRequest) -> None:
    """The client breaks no scenario of ``rule_id``; a failure shows the minimal one."""
    from ._adapter import load_factory, nemokit_factory
    from ._suite import run_suite

    config = request.config
    client, cmd = _option(config, "--nemo-client"), _option(config, "--nemo-client-cmd")
    backend = _option(config, "--nemo-backend") or "mock"
    if cmd:
        from ._driver import driver_factory

        factory: Any = driver_factory(cmd)
        backend = "live" if backend == "mock" else backend
    else:
        factory = load_factory(client) if client else nemokit_factory
    suite = run_suite(
        factory,
        rules=[rule_id],
        profile=_option(config, "--nemo-profile") or "ci",
        backend=backend,
        client=client,
    )
    result = suite.results[0]
    if result.status == "error":
        pytest.fail(f"{rule_id} could not be checked: {result.error}", pytrace=False)
    if not result.passed:
        lines = [str(v) for v in result.violations] + [f"replay: {result.replay}"]
        pytest.fail("\n".join(lines), pytrace=False)

"""The conformance suite as pytest tests: one test per rule, for projects that prefer pytest.

Run it against your client (the options are registered by nemokit's pytest plugin, loaded
wherever nemokit is installed; xdist spreads the rules over workers, each test running
in-process with its own mock)::

    pytest -p no:cacheprovider --pyargs conformance.pytest_suite \\
        --nemo-client mypkg.adapter:factory --nemo-profile ci -n auto

Options (or environment variables, when the plugin is not loaded):
``--nemo-client MODULE:FACTORY`` (``NEMO_CONFORMANCE_CLIENT``; default: nemokit's client),
``--nemo-client-cmd CMD`` (``NEMO_CONFORMANCE_CLIENT_CMD``; a driver-protocol program, checked
on the live backend), ``--nemo-profile`` (``NEMO_CONFORMANCE_PROFILE``, default ``ci``),
``--nemo-backend mock|live|cassettes|both`` (``NEMO_CONFORMANCE_BACKEND``, default ``mock``).
:func:`add_options` registers them; ``conformance.plugin`` calls it.

This module imports only pytest at import time (the plugin imports it in every pytest run); the
rules are read when tests are collected.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

__all__ = ["add_options", "pytest_generate_tests", "test_rule"]

_OPTIONS = (
    ("--nemo-client", "NEMO_CONFORMANCE_CLIENT", None, "MODULE:FACTORY of the client under test"),
    ("--nemo-client-cmd", "NEMO_CONFORMANCE_CLIENT_CMD", None, "a driver-protocol program"),
    ("--nemo-profile", "NEMO_CONFORMANCE_PROFILE", "ci", "dev, ci or thorough"),
    ("--nemo-backend", "NEMO_CONFORMANCE_BACKEND", "mock", "mock, live, cassettes or both"),
)


_BACKENDS = ("mock", "live", "cassettes", "both")


def add_options(parser: Any) -> None:
    """Register the suite's command-line options in a ``pytest_addoption`` hook (idempotent)."""
    group = parser.getgroup("nemo-conformance", "Nemo contract conformance")
    known = {name for option in group.options for name in option.names()}
    for flag, env, default, help_text in _OPTIONS:
        if flag not in known:
            group.addoption(flag, default=None, help=f"{help_text} (env {env}; default {default})")


def _option(config: pytest.Config, flag: str) -> str | None:
    _, env, default, _ = next(o for o in _OPTIONS if o[0] == flag)
    try:
        value = config.getoption(flag)
    except ValueError:  # the plugin is not loaded: the option does not exist
        value = None
    return value or os.environ.get(env) or default


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One ``test_rule`` per rule, ids as the rules name themselves (``H1``, ``R7``...)."""
    if metafunc.function is not test_rule:
        return
    from .suite._rules import RULES

    ids = [rule.id for rule in RULES]
    metafunc.parametrize("rule_id", ids, ids=ids)


def _target(config: pytest.Config) -> tuple[Any, str, str | None]:
    """``(factory, backend, client text)`` from the options."""
    from .drivers._adapter import load_factory, nemokit_factory

    client, cmd = _option(config, "--nemo-client"), _option(config, "--nemo-client-cmd")
    backend = _option(config, "--nemo-backend") or "mock"
    if backend not in _BACKENDS:
        pytest.fail(f"--nemo-backend {backend!r}: use {', '.join(_BACKENDS)}", pytrace=False)
    if client and cmd:
        pytest.fail("give either --nemo-client or --nemo-client-cmd, not both", pytrace=False)
    if cmd:
        from .drivers._driver import driver_factory

        if backend == "cassettes":
            pytest.fail(
                "a --nemo-client-cmd program is checked on the live backend, not on "
                "cassettes (they replay in process)",
                pytrace=False,
            )
        return driver_factory(cmd), "live", None
    try:
        return (load_factory(client) if client else nemokit_factory), backend, client
    except ValueError as exc:
        pytest.fail(str(exc), pytrace=False)


def _recipe(replay: str | None, config: pytest.Config) -> str | None:
    """The replay command, naming the program for a ``--nemo-client-cmd`` run."""
    cmd = _option(config, "--nemo-client-cmd")
    if not replay or not cmd:
        return replay
    import shlex

    target = f"nemokit conformance --client-cmd {shlex.quote(cmd)} "
    return replay.replace("nemokit conformance ", target, 1)


def test_rule(rule_id: str, request: pytest.FixtureRequest) -> None:
    """The client breaks no scenario of ``rule_id``; a failure shows the minimal one."""
    from .suite._suite import PROFILES, run_suite

    factory, backend, client = _target(request.config)
    profile = _option(request.config, "--nemo-profile") or "ci"
    if profile not in PROFILES:
        pytest.fail(f"--nemo-profile {profile!r}: use {', '.join(PROFILES)}", pytrace=False)
    if backend == "live":
        from .suite._live import live_skips

        why = live_skips([rule_id]).get(rule_id)
        if why:
            pytest.skip(f"{rule_id} {why}")
    suite = run_suite(
        factory,
        rules=[rule_id],
        profile=profile,
        backend=backend,
        client=client,
    )
    problems = []
    for result in suite.results:
        if result.status == "error":
            problems.append(f"{rule_id} ({result.backend}) could not be checked: {result.error}")
        elif not result.passed:
            problems += [f"{v} ({result.backend})" for v in result.violations]
            if result.scenario is not None:
                problems.append(f"minimal scenario: {result.scenario.to_json()}")
            problems.append(f"replay: {_recipe(result.replay, request.config)}")
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)

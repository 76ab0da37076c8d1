"""The pytest entry (``pytest --pyargs conformance.pytest_suite``) run as a user would, with
pytester: options from the installed plugin, a failure naming its rule, xdist workers."""

from __future__ import annotations

import importlib.util

import pytest

from conformance.suite._broken import BROKEN_CLIENTS

pytest_plugins = ["pytester"]

# Quick rules on the in-process mock (a few seconds each at the ci profile).
FAST = "H1 or H2 or R2 or T2"
# Nested runs leave out pytest-benchmark: its xdist warning is an error under filterwarnings.
QUIET = ("-p", "no:benchmark", "-p", "no:cacheprovider")


def entry(*args: str) -> tuple[str, ...]:
    return (*QUIET, "--pyargs", "conformance.pytest_suite", *args)


def test_the_plugin_registers_the_options(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest(*QUIET, "--help")
    result.stdout.fnmatch_lines(["*--nemo-client=*", "*--nemo-client-cmd=*", "*--nemo-profile=*"])
    assert "--nemo-backend" in result.stdout.str()


@pytest.mark.slow
def test_the_reference_client_passes(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest(*entry("-k", FAST, "--nemo-profile", "ci"))
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["*4 passed*"])


@pytest.mark.slow
def test_a_broken_client_fails_with_the_rule_id(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        broken_client=(
            "from conformance.suite._broken import BROKEN_CLIENTS\n"
            "factory = BROKEN_CLIENTS['no_authorization'][0]\n"
        )
    )
    pytester.syspathinsert()
    assert BROKEN_CLIENTS["no_authorization"][1] == "H1"
    result = pytester.runpytest(*entry("-k", "H1 or H2", "--nemo-client", "broken_client:factory"))
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*test_rule?H1?*",
            "*H1: *Authorization*",
            "*minimal scenario: {*",
            "*replay: nemokit conformance --client broken_client:factory --rule H1 --replay*",
        ]
    )
    assert "Traceback" not in result.stdout.str()


def test_a_bad_client_name_is_a_clear_failure(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest(*entry("-k", "H1", "--nemo-client", "no_such_module:factory"))
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*cannot import 'no_such_module'*"])
    assert "Traceback" not in result.stdout.str()


def test_a_bad_backend_is_a_clear_failure(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest(*entry("-k", "H1", "--nemo-backend", "tape"))
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*--nemo-backend 'tape': use mock, live, cassettes, both*"])


def test_environment_variables_work_without_options(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEMO_CONFORMANCE_PROFILE", "lavish")
    result = pytester.runpytest(*entry("-k", "H1"))
    result.stdout.fnmatch_lines(["*--nemo-profile 'lavish': use dev, ci, thorough*"])


@pytest.mark.slow
@pytest.mark.skipif(
    importlib.util.find_spec("xdist") is None, reason="pytest-xdist (the dev extra) is missing"
)
def test_it_runs_under_xdist_with_two_workers(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess(*entry("-p", "xdist", "-n", "2", "-k", FAST))
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["*2 workers*"])

"""The pytest plugin, exercised with pytester: fixtures, the marker and the record modes."""

from __future__ import annotations

import pathlib

import pytest

pytest_plugins = ["pytester"]

USES_FIXTURES = """
import httpx
import pytest

@pytest.fixture
def nemo_config():
    return {"initial_credits": 42, "client_id": "plugin-test"}

def test_client_talks_to_the_in_process_mock(nemo_client, nemo_mock):
    nemo_client.connect()
    assert nemo_client.credits().available == 42
    assert nemo_mock.journal.entries()[0].header("x-client-id") == "plugin-test"

def test_mock_fixture_is_configurable(nemo_mock, nemo_clock):
    assert nemo_mock.config.initial_credits == 42
    assert nemo_mock.clock is nemo_clock

def test_unmarked_test_has_no_cassette(nemo_cassette):
    assert nemo_cassette is None

def test_live_mock_on_loopback(nemo_live_mock):
    assert nemo_live_mock.startswith("http://127.0.0.1:")
    answer = httpx.post(nemo_live_mock + "/api/auth/anonymous-token",
                        headers={"X-Client-Id": "live"})
    assert answer.json()["data"]["credits"] == 42
"""

MARKED = """
import pytest

@pytest.mark.nemo_cassette("credits")
def test_credits(nemo_client, nemo_cassette):
    nemo_client.connect()
    assert nemo_client.credits().available == 100
    print("SOURCES", [entry.source for entry in nemo_cassette.log])
"""


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    # The inner run does not read the project's addopts: pytest-benchmark's warning about
    # xdist would break it when the outer run uses -n.
    return pytester.runpytest("-p", "no:benchmark", "-p", "no:cacheprovider", *args)


def test_fixtures_and_config_override(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(USES_FIXTURES)
    result = run(pytester)
    result.assert_outcomes(passed=4)


def test_marker_is_registered(pytester: pytest.Pytester) -> None:
    result = run(pytester, "--markers")
    result.stdout.fnmatch_lines(["*nemo_cassette(name)*"])
    assert result.ret == 0


def test_mode_none_without_the_cassette_fails_clearly(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(MARKED)
    result = run(pytester, "--nemo-record-mode=none")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*credits.json*no such cassette*--nemo-record-mode=once*"])


def test_mode_once_records_then_replays(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(MARKED)
    first = run(pytester, "--nemo-record-mode=once", "--nemo-cassette-dir=tapes", "-s")
    first.assert_outcomes(passed=1)
    first.stdout.fnmatch_lines(["*SOURCES ?'live', 'live', 'live'?"])
    cassette = pathlib.Path(pytester.path, "tapes", "credits.json")
    text = cassette.read_text(encoding="utf-8")
    assert "nmv_usr_" not in text
    second = run(pytester, "--nemo-record-mode=none", "--nemo-cassette-dir=tapes", "-s")
    second.assert_outcomes(passed=1)
    second.stdout.fnmatch_lines(["*SOURCES ?'cassette', 'cassette', 'cassette'?"])
    assert cassette.read_text(encoding="utf-8") == text  # replay wrote nothing


def test_a_request_not_in_the_cassette_fails_the_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(MARKED)
    run(pytester, "--nemo-record-mode=once").assert_outcomes(passed=1)
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.nemo_cassette("credits")
        def test_more(nemo_client):
            nemo_client.connect()
            nemo_client.state()
        """
    )
    result = run(
        pytester,
    )
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*no recorded answer for GET /api/state/*nearest recorded*"])


def test_a_bad_record_mode_is_refused(pytester: pytest.Pytester) -> None:
    result = run(pytester, "--nemo-record-mode=sometimes")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*invalid choice: 'sometimes'*"])

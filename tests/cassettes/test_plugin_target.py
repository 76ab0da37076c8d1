"""``--nemo-target`` / ``NEMO_TARGET``: marked tests record from a server on loopback (a mock
served by uvicorn, standing in for the real API) instead of the in-process mock, then replay
offline; without a target the plugin never reaches the network."""

from __future__ import annotations

import json
import pathlib

import httpx
import pytest

from conformance.drivers._live_mock import LiveMock
from conformance.cassettes._redact import find_secrets
from mockserver._config import MockConfig
from nemokit import contract

pytest_plugins = ["pytester"]

MARKED = """
import pytest

@pytest.mark.nemo_cassette("credits")
def test_credits(nemo_client):
    nemo_client.connect()
    assert nemo_client.credits().available == 77
"""


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("-p", "no:benchmark", "-p", "no:cacheprovider", *args)


def _requests(mock: LiveMock) -> list[str]:
    return [f"{e.method} {e.path}" for e in mock.server.journal.entries()]


@pytest.mark.socket
def test_a_target_is_recorded_from_then_replayed_without_it(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(MARKED)
    # The in-process mock would answer 100 credits: 77 can only come from the target.
    with LiveMock(MockConfig().replace(initial_credits=77)) as target:
        result = run(pytester, "--nemo-record-mode=once", f"--nemo-target={target.url}")
        result.assert_outcomes(passed=1)
        assert "POST /api/auth/anonymous-token" in _requests(target)
        assert "GET /api/credits/balance/simple" in _requests(target)
    cassette = pytester.path / "cassettes" / "credits.json"
    text = cassette.read_text(encoding="utf-8")
    assert find_secrets(text) == []
    assert (
        json.loads(text)["interactions"][-1]["response"]["body"]["json"]["data"]["available"] == 77
    )
    result = run(pytester)  # replay: the target is gone, the cassette answers
    result.assert_outcomes(passed=1)


@pytest.mark.socket
def test_nemo_target_and_nemo_token_come_from_the_environment(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(MARKED)
    with LiveMock(MockConfig().replace(initial_credits=77)) as target:
        answer = httpx.post(target.url + contract.PATH_ANONYMOUS_TOKEN,
                            headers={"x-client-id": "mine"})  # fmt: skip
        token = answer.json()["data"]["token"]
        monkeypatch.setenv("NEMO_TARGET", target.url)
        monkeypatch.setenv("NEMO_TOKEN", token)
        result = run(pytester, "--nemo-record-mode=all")
        result.assert_outcomes(passed=1)
        paths = _requests(target)
    # The token was the user's: no anonymous token was asked for after the first one (ours).
    assert paths.count(f"POST {contract.PATH_ANONYMOUS_TOKEN}") == 1
    assert f"GET {contract.PATH_CREDITS}" in paths
    text = (pytester.path / "cassettes" / "credits.json").read_text(encoding="utf-8")
    assert token not in text
    assert "Bearer <TOKEN_1>" in text


@pytest.mark.socket
def test_without_a_target_the_plugin_never_reaches_the_network(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(MARKED.replace("77", "100"))
    monkeypatch.delenv("NEMO_TARGET", raising=False)
    with LiveMock() as bystander:
        monkeypatch.setenv("NEMO_API_URL", bystander.url)  # ignored: the plugin uses env={}
        result = run(pytester, "--nemo-record-mode=all")
        result.assert_outcomes(passed=1)
        assert _requests(bystander) == []


def test_replay_mode_ignores_the_target(pytester: pytest.Pytester, tmp_path: pathlib.Path) -> None:
    pytester.makepyfile(MARKED.replace("77", "100"))
    run(pytester, "--nemo-record-mode=once").assert_outcomes(passed=1)  # from nemo_mock
    # An unreachable target is never contacted in the replay mode.
    run(pytester, "--nemo-target=http://127.0.0.1:9").assert_outcomes(passed=1)

"""The committed cassettes: up to date, free of secrets, and replayed with the live outcomes."""

from __future__ import annotations

import pathlib
import re

import pytest

from conformance.cassettes._cassette import dumps_cassette, load_cassette
from conformance.cassettes._redact import find_secrets
from conformance.cassettes._scenarios import SCENARIOS, record_scenario, replay_scenario

CASSETTES = pathlib.Path(__file__).resolve().parents[2] / "cassettes"
FILES = sorted(CASSETTES.glob("*.json"))
_BEARER = re.compile(r"Bearer (?!<TOKEN_\d+>)")


def test_there_is_a_cassette_per_scenario() -> None:
    assert {path.stem for path in FILES} == set(SCENARIOS)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_no_secret_is_on_disk(path: pathlib.Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert find_secrets(text) == []
    assert not _BEARER.search(text)
    assert "nemokit-scenario-client" not in text  # the client id is a placeholder too


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_replay_shows_what_the_live_mock_showed(path: pathlib.Path) -> None:
    cassette = load_cassette(path)
    views, router = replay_scenario(cassette)  # the client's own render ids
    assert router.misses == []
    assert router.stats.replayed == len(cassette.interactions)
    assert views == cassette.extra["expected_views"]


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_committed_cassette_is_what_recording_gives_now(name: str) -> None:
    # Fails when the mock or the client changed behaviour: re-record with `nemokit record --all`
    # and read the diff.
    assert (CASSETTES / f"{name}.json").read_text(encoding="utf-8") == dumps_cassette(
        record_scenario(name)
    )

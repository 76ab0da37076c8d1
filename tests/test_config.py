"""Config: arguments over environment over defaults; client id persistence; platform detection."""

from __future__ import annotations

import logging
import pathlib
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

import nemokit
from nemokit import contract
from nemokit._config import Config, detect_platform, load_client_id, save_client_id
from nemokit._errors import ConfigurationError

TOKEN = "nmv_usr_0123456789abcdef"


def config(env: dict[str, str] | None = None, **overrides: object) -> Config:
    return Config.from_env(env or {}, install_path="/opt/site-packages/nemokit", **overrides)


def test_defaults_are_the_contracts() -> None:
    cfg = config()
    assert cfg.api_url == contract.DEFAULT_API_URL
    assert cfg.web_url == contract.DEFAULT_WEB_URL
    assert cfg.skill_source == contract.DEFAULT_SKILL_SOURCE
    assert cfg.skill_version == nemokit.__version__
    assert cfg.skill_platform == "unknown"
    assert (cfg.token, cfg.token_source, cfg.client_id) == (None, None, None)


def test_environment_is_read() -> None:
    env = {
        contract.ENV_TOKEN: TOKEN,
        contract.ENV_API_URL: "http://127.0.0.1:8000/",
        contract.ENV_WEB_URL: "https://web.example",
        contract.ENV_CLIENT_ID: "my-client",
        contract.ENV_SKILL_SOURCE: "myplatform",
    }
    cfg = config(env)
    assert cfg.token == TOKEN
    assert cfg.token_source == "env"
    assert cfg.api_url == "http://127.0.0.1:8000"  # trailing slash dropped
    assert cfg.web_url == "https://web.example"
    assert cfg.client_id == "my-client"
    assert cfg.skill_platform == "myplatform"


def test_arguments_win_over_environment() -> None:
    env = {contract.ENV_TOKEN: TOKEN, contract.ENV_CLIENT_ID: "env-id"}
    cfg = config(env, token="nmv_usr_other", client_id="arg-id", api_url="https://a.example")
    assert cfg.token == "nmv_usr_other"
    assert cfg.token_source == "argument"
    assert cfg.client_id == "arg-id"
    assert cfg.api_url == "https://a.example"


def test_none_overrides_are_ignored() -> None:
    cfg = config({contract.ENV_TOKEN: TOKEN}, token=None, api_url=None)
    assert cfg.token_source == "env"
    assert cfg.api_url == contract.DEFAULT_API_URL


@pytest.mark.parametrize(
    ("env", "overrides", "named"),
    [
        ({contract.ENV_API_URL: "ftp://x.example"}, {}, contract.ENV_API_URL),
        ({contract.ENV_API_URL: "not a url"}, {}, contract.ENV_API_URL),
        ({contract.ENV_WEB_URL: "https://"}, {}, contract.ENV_WEB_URL),
        ({contract.ENV_API_URL: "https://x.example/?q=1"}, {}, contract.ENV_API_URL),
        ({}, {"api_url": "localhost:8000"}, "api_url"),
        ({contract.ENV_CLIENT_ID: "x" * 65}, {}, contract.ENV_CLIENT_ID),
        ({contract.ENV_CLIENT_ID: "has space"}, {}, contract.ENV_CLIENT_ID),
        ({}, {"client_id": ""}, "client_id"),
        ({}, {"timeout": 0}, "timeout"),
        ({}, {"colour": "blue"}, "colour"),
    ],
)
def test_bad_settings_name_what_is_wrong(
    env: dict[str, str], overrides: dict[str, object], named: str
) -> None:
    with pytest.raises(ConfigurationError, match=named):
        config(env, **overrides)


@pytest.mark.parametrize("bad", ["nmv_usr_with space", "nmv_usr_tab\tx", "nmv_usr_ünï"])
def test_a_malformed_token_is_refused_without_showing_it(bad: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        config({contract.ENV_TOKEN: bad})
    assert contract.ENV_TOKEN in str(caught.value)
    assert bad.strip() not in str(caught.value)


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_-.", min_size=4, max_size=40))
def test_repr_never_shows_the_token(suffix: str) -> None:
    token = contract.TOKEN_PREFIX + suffix
    cfg = config({contract.ENV_TOKEN: token})
    assert token not in repr(cfg)
    assert token not in str(cfg)
    assert "token=<set>" in repr(cfg)


def test_repr_says_when_no_token() -> None:
    assert "token=None" in repr(config())


@pytest.mark.parametrize(
    ("env", "path", "expected"),
    [
        ({contract.ENV_SKILL_SOURCE: "custom"}, "/home/u/.clawhub/skills/x", "custom"),
        ({}, "/home/u/.clawhub/skills/ai-video/nemokit", "clawhub"),
        ({}, "/home/u/.cursor/skills/ai-video/nemokit", "cursor"),
        ({}, "/home/u/.cursor/other/nemokit", "unknown"),
        ({}, "/usr/lib/python3/site-packages/nemokit", "unknown"),
        ({contract.ENV_SKILL_SOURCE: "  "}, "/home/u/.clawhub/x", "clawhub"),
    ],
)
def test_platform_detection(env: dict[str, str], path: str, expected: str) -> None:
    assert detect_platform(env, path) == expected
    assert Config.from_env(env, install_path=path).skill_platform == expected


def test_client_id_is_made_once_and_kept(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "nested" / "client_id"
    first = load_client_id(path)
    assert uuid.UUID(first).version == 4
    assert path.read_text().strip() == first
    assert load_client_id(path) == first
    assert [p.name for p in path.parent.iterdir()] == ["client_id"]  # no temp file left


def test_resolve_prefers_the_explicit_id(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "client_id"
    assert config(client_id="given", client_id_path=path).resolve_client_id() == "given"
    assert not path.exists()
    resolved = config(client_id_path=path).resolve_client_id()
    assert resolved == path.read_text().strip()


@pytest.mark.parametrize("garbage", [b"x" * 65 + b"\n", b"\xff\xfe\x00", b"   \n", b"two words"])
def test_a_garbled_client_id_file_is_replaced(
    tmp_path: pathlib.Path, garbage: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "client_id"
    path.write_bytes(garbage)
    with caplog.at_level(logging.INFO, logger="nemokit"):
        new_id = load_client_id(path)
    assert uuid.UUID(new_id).version == 4
    assert path.read_text().strip() == new_id
    assert any("making a new one" in r.message for r in caplog.records)


def test_an_unwritable_place_gives_an_id_for_this_run(
    tmp_path: pathlib.Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with caplog.at_level(logging.WARNING, logger="nemokit"):
        new_id = load_client_id(blocker / "client_id")
    assert uuid.UUID(new_id).version == 4
    assert any("for this run" in r.message for r in caplog.records)


def test_save_client_id_replaces(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "client_id"
    load_client_id(path)
    save_client_id(path, "replacement")
    assert load_client_id(path) == "replacement"

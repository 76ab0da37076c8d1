"""Where the client's settings come from: arguments, then the environment, then defaults.

:class:`Config` is a frozen value. The client id is resolved lazily
(:meth:`Config.resolve_client_id`) so that a client given a token never touches ``~/.config``;
the persisted id is made once and kept, because a new id per run would hit the per-IP
anonymous-token limit.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import logging
import os
import pathlib
import tempfile
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from . import contract
from ._errors import ConfigurationError

__all__ = [
    "DEFAULT_CLIENT_ID_PATH",
    "DEFAULT_TIMEOUT",
    "Config",
    "TokenSource",
    "detect_platform",
    "load_client_id",
    "save_client_id",
]

logger = logging.getLogger("nemokit")

TokenSource = Literal["env", "anonymous", "argument"]

DEFAULT_CLIENT_ID_PATH = pathlib.Path("~/.config/nemovideo/client_id")
#: Seconds per network operation (connect, each read). A turn's stream sends heartbeats every
#: 15–30 s, so a read that waits longer than this means the connection is gone.
DEFAULT_TIMEOUT = 90.0

_PACKAGE_DIR = pathlib.Path(__file__).resolve().parent


def _kit_version() -> str:
    try:
        return importlib.metadata.version("nemokit")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - running from a copy
        return "0+unknown"


@dataclass(frozen=True, slots=True, repr=False)
class Config:
    """Everything the client needs to know before its first request.

    Build one with :meth:`from_env`. ``token`` is a secret: it never appears in the repr.
    ``client_id`` is the explicit id (argument or ``NEMO_CLIENT_ID``); when it is ``None`` the id
    persisted at ``client_id_path`` is used (see :meth:`resolve_client_id`).
    """

    api_url: str = contract.DEFAULT_API_URL
    web_url: str = contract.DEFAULT_WEB_URL
    token: str | None = None
    client_id: str | None = None
    client_id_path: pathlib.Path = DEFAULT_CLIENT_ID_PATH
    skill_source: str = contract.DEFAULT_SKILL_SOURCE
    skill_version: str = dataclasses.field(default_factory=_kit_version)
    skill_platform: str = "unknown"
    timeout: float = DEFAULT_TIMEOUT
    #: Where ``token`` came from: ``"argument"``, ``"env"`` or ``None`` (no token given).
    token_source: TokenSource | None = None

    def __repr__(self) -> str:
        token = "<set>" if self.token else "None"
        return (
            f"Config(api_url={self.api_url!r}, web_url={self.web_url!r}, token={token}, "
            f"client_id={self.client_id!r}, client_id_path={str(self.client_id_path)!r}, "
            f"skill_source={self.skill_source!r}, skill_version={self.skill_version!r}, "
            f"skill_platform={self.skill_platform!r}, timeout={self.timeout!r}, "
            f"token_source={self.token_source!r})"
        )

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str] | None = None,
        *,
        install_path: str | os.PathLike[str] | None = None,
        **overrides: Any,
    ) -> Config:
        """Read ``NEMO_TOKEN``, ``NEMO_API_URL``, ``NEMO_WEB_URL``, ``NEMO_CLIENT_ID`` and
        ``SKILL_SOURCE`` from ``env`` (``os.environ`` when ``None``); ``overrides`` (any field;
        ``None`` values are ignored) win over the environment. ``install_path`` is where nemokit
        is installed, for platform detection (the package's own directory by default).
        """
        env = os.environ if env is None else env
        given = {k: v for k, v in overrides.items() if v is not None}
        unknown = sorted(set(given) - {f.name for f in dataclasses.fields(cls)})
        if unknown:
            raise ConfigurationError(f"unknown setting(s): {', '.join(unknown)}")
        token, source = _token(given, env)
        api_url = _url(given, env, "api_url", contract.ENV_API_URL, contract.DEFAULT_API_URL)
        web_url = _url(given, env, "web_url", contract.ENV_WEB_URL, contract.DEFAULT_WEB_URL)
        client_id = _client_id(given, env)
        platform = given.get("skill_platform") or detect_platform(env, install_path)
        values: dict[str, Any] = {
            **given,
            "api_url": api_url,
            "web_url": web_url,
            "token": token,
            "token_source": source,
            "client_id": client_id,
            "skill_platform": platform,
        }
        if "client_id_path" in values:
            values["client_id_path"] = pathlib.Path(values["client_id_path"])
        timeout = values.get("timeout", DEFAULT_TIMEOUT)
        if not isinstance(timeout, (int, float)) or timeout <= 0:
            raise ConfigurationError(
                f"timeout must be a positive number of seconds, got {timeout!r}"
            )
        return cls(**values)

    def resolve_client_id(self) -> str:
        """The explicit client id, else the one persisted at ``client_id_path`` (made once)."""
        if self.client_id is not None:
            return self.client_id
        return load_client_id(self.client_id_path)


def detect_platform(
    env: Mapping[str, str], install_path: str | os.PathLike[str] | None = None
) -> str:
    """``$SKILL_SOURCE`` if set; else ``clawhub``/``cursor`` from the install path; else
    ``unknown``."""
    chosen = env.get(contract.ENV_SKILL_SOURCE, "").strip()
    if chosen:
        return chosen
    path = pathlib.Path(install_path if install_path is not None else _PACKAGE_DIR).as_posix() + "/"
    if "/.clawhub/" in path:
        return "clawhub"
    if "/.cursor/skills/" in path:
        return "cursor"
    return "unknown"


def _token(
    given: Mapping[str, Any], env: Mapping[str, str]
) -> tuple[str | None, TokenSource | None]:
    if "token" in given:
        return _checked_token(given["token"], "the token argument"), "argument"
    value = env.get(contract.ENV_TOKEN, "").strip()
    if value:
        return _checked_token(value, contract.ENV_TOKEN), "env"
    return None, None


def _checked_token(value: Any, name: str) -> str:
    # The message never includes the value: it is a secret even when it is malformed.
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"{name} must be a non-empty string")
    token = value.strip()
    if not token.isascii() or not token.isprintable() or " " in token:
        raise ConfigurationError(f"{name} contains spaces or characters a token cannot have")
    return token


def _url(given: Mapping[str, Any], env: Mapping[str, str], key: str, var: str, default: str) -> str:
    if key in given:
        value, name = given[key], key
    else:
        value, name = env.get(var, "").strip() or default, var
    if not isinstance(value, str):
        raise ConfigurationError(f"{name} must be a URL string, got {value!r}")
    try:
        url = httpx.URL(value)
    except (httpx.InvalidURL, TypeError) as exc:
        raise ConfigurationError(f"{name} is not a valid URL ({exc}): {value!r}") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ConfigurationError(f"{name} must be an http(s) URL such as {default}, got {value!r}")
    if url.query or url.fragment:
        raise ConfigurationError(f"{name} must not have a query or fragment, got {value!r}")
    return value.rstrip("/")


def _client_id(given: Mapping[str, Any], env: Mapping[str, str]) -> str | None:
    if "client_id" in given:
        value, name = given["client_id"], "client_id"
    else:
        value, name = env.get(contract.ENV_CLIENT_ID, "").strip(), contract.ENV_CLIENT_ID
        if not value:
            return None
    if not isinstance(value, str) or not _valid_client_id(value):
        raise ConfigurationError(
            f"{name} must be 1-{contract.CLIENT_ID_MAX_LENGTH} printable characters without "
            f"spaces, got {value!r}"
        )
    return value


def _valid_client_id(value: str) -> bool:
    return (
        0 < len(value) <= contract.CLIENT_ID_MAX_LENGTH
        and value.isascii()
        and value.isprintable()
        and " " not in value
    )


def load_client_id(path: str | os.PathLike[str]) -> str:
    """The client id kept at ``path``; made (a UUID4, written atomically) if missing or garbled.

    If the file cannot be written the id is used for this run only, and a warning is logged.
    """
    target = pathlib.Path(path).expanduser()
    existing = _read_client_id(target)
    if existing is not None:
        return existing
    new_id = str(uuid.uuid4())
    try:
        return _persist_client_id(target, new_id)
    except OSError as exc:
        logger.warning("cannot save the client id to %s (%s); using one for this run", target, exc)
        return new_id


def save_client_id(path: str | os.PathLike[str], client_id: str) -> None:
    """Keep ``client_id`` at ``path`` (atomically); a failure is logged, not raised."""
    target = pathlib.Path(path).expanduser()
    try:
        _persist_client_id(target, client_id, replace=True)
    except OSError as exc:
        logger.warning("cannot save the client id to %s (%s)", target, exc)


def _read_client_id(target: pathlib.Path) -> str | None:
    try:
        text = target.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        logger.info("the client id file %s is unreadable (%s); making a new one", target, exc)
        return None
    if _valid_client_id(text):
        return str(text)
    logger.info("the client id file %s is garbled; making a new one", target)
    return None


def _persist_client_id(target: pathlib.Path, new_id: str, *, replace: bool = False) -> str:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(new_id + "\n")
        if replace or target.exists():
            os.replace(tmp, target)  # a garbled file, or a new id on purpose
            return new_id
        try:
            os.link(tmp, target)  # atomic create-if-absent: a concurrent first run wins once
        except FileExistsError:
            return _read_client_id(target) or new_id
        except OSError:  # a file system without hard links
            os.replace(tmp, target)
        return new_id
    finally:
        pathlib.Path(tmp).unlink(missing_ok=True)

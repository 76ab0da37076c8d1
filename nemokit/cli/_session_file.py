"""The session the CLI remembers between commands, kept in a small JSON file.

It holds the API URL, the session, task and user ids, the anonymous token (never a token from
``NEMO_TOKEN``) and the id of an export that was submitted but not seen to the end. The file is
written atomically with mode 0600 in a folder of mode 0700, because the token is a secret. A file
that cannot be read is reset (and the caller says so), never a traceback.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import pathlib
import tempfile
from dataclasses import dataclass
from typing import Any, NoReturn

__all__ = ["DEFAULT_STATE_FILE", "SavedSession", "SessionFile", "StateFileError"]

DEFAULT_STATE_FILE = pathlib.Path("~/.config/nemovideo/cli-session.json")
_VERSION = 1
_FIELDS = ("api_url", "session_id", "task_id", "user_id", "token", "render_id")


class StateFileError(Exception):
    """The state file could not be read or written; the message names the file."""


@dataclass(frozen=True, slots=True, repr=False)
class SavedSession:
    """What one ``nemokit connect`` leaves for the next commands. ``token`` is never shown."""

    api_url: str | None = None
    session_id: str | None = None
    task_id: str | None = None
    user_id: str | None = None
    token: str | None = None
    render_id: str | None = None

    def __repr__(self) -> str:
        token = "<set>" if self.token else "None"
        return (
            f"SavedSession(api_url={self.api_url!r}, session_id={self.session_id!r}, "
            f"task_id={self.task_id!r}, user_id={self.user_id!r}, token={token}, "
            f"render_id={self.render_id!r})"
        )

    def replace(self, **changes: Any) -> SavedSession:
        return dataclasses.replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        values = {name: getattr(self, name) for name in _FIELDS}
        return {"version": _VERSION, **{k: v for k, v in values.items() if v is not None}}

    @classmethod
    def from_json(cls, data: Any) -> SavedSession:
        if not isinstance(data, dict):
            raise ValueError("it is not a JSON object")
        if data.get("version") != _VERSION:
            raise ValueError(f"unknown version {data.get('version')!r}")
        values = {name: data.get(name) for name in _FIELDS}
        wrong = [name for name, value in values.items() if not isinstance(value, (str, type(None)))]
        if wrong:
            raise ValueError(f"field(s) {', '.join(wrong)} are not strings")
        return cls(**values)


class SessionFile:
    """Load and save a :class:`SavedSession` at ``path`` (``~`` is expanded)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = pathlib.Path(path).expanduser()

    def load(self) -> SavedSession:
        """The saved session; an empty one if there is no file.

        :raises StateFileError: the file exists but is unreadable or garbled. It has then been
            removed, so the next command starts clean.
        """
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return SavedSession()
        except (OSError, UnicodeDecodeError) as exc:
            self._reset(_reason(exc))
        try:
            return SavedSession.from_json(json.loads(text))
        except ValueError as exc:  # JSONDecodeError is a ValueError
            self._reset(_reason(exc))

    def save(self, session: SavedSession) -> None:
        """Write ``session`` atomically, readable by its owner only."""
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        except OSError as exc:
            raise StateFileError(
                f"cannot write the session file {self.path}: {_reason(exc)}"
            ) from None
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(session.to_json(), handle, indent=2)
                handle.write("\n")
            os.replace(tmp, self.path)
        except OSError as exc:
            raise StateFileError(
                f"cannot write the session file {self.path}: {_reason(exc)}"
            ) from None
        finally:
            pathlib.Path(tmp).unlink(missing_ok=True)

    def clear(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def _reset(self, reason: str) -> NoReturn:
        with contextlib.suppress(OSError):
            self.clear()
        raise StateFileError(
            f"The session file {self.path} could not be read ({reason}); it was reset."
        )


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__

"""What an API command runs with: the client, the remembered session, the output, exit codes.

Tests replace the network and the clock through :class:`Runtime`, passed as click's ``obj``
(``CliRunner().invoke(cli, args, obj=Runtime(transport=..., clock=...))``): the commands then
run in process against the mock, in virtual time.
"""

from __future__ import annotations

import enum
import os
import pathlib
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import click
import httpx

from nemokit import contract
from nemokit._client import Nemo
from nemokit._clock import Clock, ScaledClock, SystemClock
from nemokit._config import Config
from nemokit._conversation import problem_for
from nemokit._errors import ConfigurationError, NemoConnectionError
from nemokit._flow import Flow
from nemokit._models import SavedSession as CoreSession
from nemokit._views import Problem

from ._output import Output
from ._session_file import SavedSession, SessionFile, StateFileError
from ._transport import ObservedTransport, ProgressCallback

__all__ = ["ApiOptions", "ApiSession", "ExitCode", "Runtime", "runtime_of"]

T = TypeVar("T")
NO_SESSION = "No session yet: run `nemokit connect` first."


class ExitCode(enum.IntEnum):
    """What ``nemokit``'s exit status means (listed in ``nemokit --help``)."""

    OK = 0
    API_ERROR = 1
    USAGE = 2
    CONNECTION = 3
    EXPORT_FAILED = 4
    INTERRUPTED = 130


@dataclass
class Runtime:
    """The outside world of the CLI: the transport, the clock and the browser.

    ``None`` means the real thing: the network, the system clock (or a ``ScaledClock`` when
    ``--time-scale`` is given), :func:`webbrowser.open`.
    """

    transport: httpx.BaseTransport | None = None
    clock: Clock | None = None
    open_url: Callable[[str], bool] = field(default=webbrowser.open)


def runtime_of(ctx: click.Context) -> Runtime:
    """The context's :class:`Runtime` (made on first use when no test put one there)."""
    root = ctx.find_root()
    if not isinstance(root.obj, Runtime):
        root.obj = Runtime()
    return root.obj


@dataclass(frozen=True, slots=True)
class ApiOptions:
    """The options every API command takes."""

    api_url: str | None
    state_file: pathlib.Path
    time_scale: float
    json: bool


class CommandFailed(Exception):
    """The command showed a problem and ends with ``code``."""

    def __init__(self, code: ExitCode) -> None:
        super().__init__(code.name)
        self.code = code


class ApiSession:
    """One API command's client, with the session restored from the state file and saved back.

    :param on_upload: upload progress, ``(sent, total)`` bytes.
    """

    def __init__(
        self,
        runtime: Runtime,
        options: ApiOptions,
        out: Output,
        *,
        on_upload: ProgressCallback | None = None,
    ) -> None:
        self.out = out
        self.file = SessionFile(options.state_file)
        self.saved = self._load()
        config = _config(options.api_url or self.saved.api_url)
        #: Whether the saved session belongs to this API (a session is per server).
        same_api = self.saved.api_url == config.api_url
        self.restored = same_api and self.saved.session_id is not None
        #: An export submitted earlier and not seen to its end (resumed by ``nemokit export``).
        self.render_id = self.saved.render_id if same_api else None
        self.transport = ObservedTransport(runtime.transport, on_upload)
        try:
            self.nemo = Nemo(
                api_url=config.api_url,
                transport=self.transport,
                clock=_clock(runtime, options.time_scale),
            )
        except ConfigurationError as exc:
            raise click.UsageError(str(exc)) from None
        self.core = self.nemo.core
        token = self._saved_token(config)
        if token is not None or self.restored:
            ids = self.saved if self.restored else SavedSession()
            self.core.restore(
                CoreSession(
                    token=token,
                    user_id=ids.user_id,
                    session_id=ids.session_id,
                    task_id=ids.task_id,
                )
            )

    def __enter__(self) -> ApiSession:
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            self.save()
        finally:
            self.nemo.close()

    def require_session(self) -> None:
        """Stop with "run `nemokit connect` first" when there is no session for this API."""
        if self.core.session_id is None:
            self.out.problem(Problem(NO_SESSION))
            raise CommandFailed(ExitCode.API_ERROR)

    def remember_render(self, render_id: str | None) -> None:
        """Keep (or forget) the pending export at once: its id must survive a Ctrl-C."""
        self.render_id = render_id
        self.save()

    def save(self) -> None:
        """Write the session back (the token only when it is an anonymous one of ours)."""
        kept = self.core.saved()
        session = SavedSession(
            api_url=self.core.config.api_url,
            session_id=kept.session_id,
            task_id=kept.task_id,
            user_id=kept.user_id,
            token=kept.token,
            render_id=self.render_id,
        )
        if session.session_id is None and session.token is None:
            return  # nothing worth keeping (e.g. the first connect failed)
        try:
            self.file.save(session)
            self.saved = session
        except StateFileError as exc:
            self.out.warn(f"{exc}. The session will not be remembered.")

    def run(self, flow: Flow[T], passthrough: tuple[type[Exception], ...] = ()) -> T:
        """Drive ``flow``, showing its views; an error becomes a sentence and an exit code
        (except the ``passthrough`` ones, which the caller handles)."""
        try:
            return self.nemo.driver.run(flow, on_view=self.out.view)
        except passthrough:
            raise
        except Exception as exc:
            self.out.problem(problem_for(exc, self.core))
            raise CommandFailed(self.error_code(exc)) from None

    def error_code(self, exc: BaseException | None = None) -> ExitCode:
        """3 when the API could not be reached, else 1."""
        connection = isinstance(exc, (NemoConnectionError, httpx.TransportError))
        if connection or self.transport.unreachable:
            return ExitCode.CONNECTION
        return ExitCode.API_ERROR

    def outcome(self) -> ExitCode:
        """The exit code after a conversation: 0 unless a problem was shown."""
        return self.error_code() if self.out.problems else ExitCode.OK

    def _load(self) -> SavedSession:
        try:
            return self.file.load()
        except StateFileError as exc:
            self.out.warn(f"{exc} Run `nemokit connect` to start a new session.")
            return SavedSession()

    def _saved_token(self, config: Config) -> str | None:
        # A token from NEMO_TOKEN wins; a saved anonymous token is only good for its own API.
        if os.environ.get(contract.ENV_TOKEN, "").strip():
            return None
        if self.saved.api_url != config.api_url:
            return None
        return self.saved.token


def _config(api_url: str | None) -> Config:
    try:
        return Config.from_env(None, api_url=api_url)
    except ConfigurationError as exc:
        raise click.UsageError(f"{exc} (from --api-url or NEMO_API_URL)") from None


def _clock(runtime: Runtime, time_scale: float) -> Clock:
    if runtime.clock is not None:
        return runtime.clock
    return ScaledClock(time_scale) if time_scale != 1 else SystemClock()

"""The options every API command shares, and the wrapper that turns failures into exit codes."""

from __future__ import annotations

import functools
import pathlib
from collections.abc import Callable
from typing import Any, TypeVar

import click

from nemokit import contract

from ._output import Output
from ._runtime import ApiOptions, ApiSession, CommandFailed, ExitCode, runtime_of
from ._session_file import DEFAULT_STATE_FILE

__all__ = ["api_command", "json_option"]

F = TypeVar("F", bound=Callable[..., Any])

json_option = click.option(
    "--json",
    "json_mode",
    is_flag=True,
    help="Print one JSON object per line (each thing shown, then a result) instead of text.",
)


def _shared(fn: F) -> F:
    options = [
        click.option(
            "--api-url",
            envvar=contract.ENV_API_URL,
            metavar="URL",
            help=f"The API to talk to [env NEMO_API_URL; default: the saved session's, "
            f"else {contract.DEFAULT_API_URL}]. A mock: http://127.0.0.1:8765.",
        ),
        click.option(
            "--state-file",
            envvar="NEMOKIT_STATE_FILE",
            type=click.Path(dir_okay=False, path_type=pathlib.Path),
            default=DEFAULT_STATE_FILE,
            show_default=True,
            help="Where the session is remembered between commands [env NEMOKIT_STATE_FILE].",
        ),
        click.option(
            "--time-scale",
            envvar="NEMO_TIME_SCALE",
            type=click.FloatRange(min=0, min_open=True),
            default=1.0,
            show_default=True,
            help="Make every wait N times shorter, to match a mock run with the same "
            "--time-scale [env NEMO_TIME_SCALE].",
        ),
        json_option,
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def api_command(*, needs_session: bool = True) -> Callable[[F], F]:
    """Give a command the shared options and an :class:`ApiSession` as its first argument.

    A :class:`CommandFailed` raised inside ends the command with its exit code (the problem was
    already shown); the session is saved in every case.
    """

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def command(
            api_url: str | None,
            state_file: pathlib.Path,
            time_scale: float,
            json_mode: bool,
            **kwargs: Any,
        ) -> None:
            ctx = click.get_current_context()
            out = Output(json_mode)
            options = ApiOptions(api_url, state_file, time_scale, json_mode)
            code = ExitCode.OK
            try:
                with ApiSession(runtime_of(ctx), options, out) as session:
                    if needs_session:
                        session.require_session()
                    code = fn(session, **kwargs)
            except CommandFailed as failed:
                code = failed.code
            ctx.exit(int(code))

        return _shared(command)  # type: ignore[return-value]

    return decorate

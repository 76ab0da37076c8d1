"""``nemokit proxy``: the recording reverse proxy under uvicorn (see :mod:`conformance.proxy`).

uvicorn runs with the proxy's fast lane (:data:`LANE`, :mod:`conformance.proxy._lane`): plain
requests are forwarded and answered without an ASGI cycle, everything else runs the ASGI app as
usual. Without httptools (PyPy) the proxy runs on uvicorn's own stack, without the lane.

Any client points ``NEMO_API_URL`` at it. The cassette is written atomically when the proxy stops,
Ctrl-C and SIGTERM included (uvicorn turns both into a graceful shutdown; open streams get a few
seconds, then are cut and recorded as such), and one summary line says what happened.
"""

from __future__ import annotations

import contextlib
import logging
import pathlib
import signal
from typing import Any

import click

__all__ = ["LANE", "proxy_command", "proxy_http"]

#: Seconds open streams get to finish when the proxy is asked to stop.
_GRACE = 3
#: uvicorn's ``http`` setting for the proxy (an import string, as uvicorn takes one): its
#: httptools protocol with the fast lane. The benchmarks serve the proxy with it too.
LANE = "conformance.proxy._lane:LaneProtocol"


def proxy_http() -> str:
    """:data:`LANE` where httptools is installed, else uvicorn's ``auto``."""
    import importlib.util

    return LANE if importlib.util.find_spec("httptools") is not None else "auto"


def _timing(text: str) -> Any:
    if text in ("instant", "recorded"):
        return text
    try:
        return float(text)
    except ValueError:
        raise click.BadParameter(f"{text!r}: use instant, recorded or a scale") from None


@click.command("proxy")
@click.option("--target", metavar="URL", default=None, help="The API to forward to.")
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8766, show_default=True)
@click.option(
    "--record",
    "cassette",
    type=click.Path(dir_okay=False, path_type=pathlib.Path),
    default=None,
    help="The cassette to record into (or to replay from with --mode none).",
)
@click.option(
    "--mode",
    type=click.Choice(["once", "new_episodes", "all", "none"]),
    default="once",
    show_default=True,
    help="As in VCR.py: once records a new cassette and replays an existing one; new_episodes "
    "replays what matches and records the rest; all records anew; none only replays (no "
    "--target needed: a cassette server).",
)
@click.option(
    "--timing",
    default="recorded",
    show_default=True,
    help="Pace of replayed streams: recorded, instant, or a scale (0.1: ten times faster).",
)
@click.option(
    "--preserve-host",
    is_flag=True,
    help="Send the client's Host header to the target (as WireMock's --preserve-host-header), "
    "so the URLs a target builds (a render's outputUrl) point at the proxy.",
)
def proxy_command(
    target: str | None,
    host: str,
    port: int,
    cassette: pathlib.Path | None,
    mode: str,
    timing: str,
    preserve_host: bool,
) -> None:
    """Forward a client to --target and record what passes into a cassette."""
    import uvicorn

    from conformance.cassettes._cassette import CassetteError
    from conformance.proxy import ProxyApp
    from nemokit._errors import ConfigurationError

    from ._mock_cmd import _check_port

    if target is None and cassette is None:
        raise click.UsageError("give --target URL to forward to, or --record FILE --mode none")
    if target is not None and not target.startswith(("http://", "https://")):
        raise click.BadParameter(
            f"{target!r}: use an http:// or https:// URL", param_hint="--target"
        )
    try:
        app = ProxyApp(
            target,
            cassette=cassette,
            mode=mode,
            timing=_timing(timing),
            preserve_host=preserve_host,
        )
    except (CassetteError, ConfigurationError) as error:
        raise click.ClickException(_hint(str(error), mode)) from None
    _check_port(host, port)
    for line in _banner(app, host, port):
        click.echo(line)
    settings = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on",
                              server_header=False, date_header=False, http=proxy_http(),
                              timeout_graceful_shutdown=_GRACE)  # fmt: skip
    logging.basicConfig(level=logging.WARNING, format="proxy: %(message)s")
    # uvicorn shuts down gracefully on SIGINT and SIGTERM, then raises the signal again for the
    # caller: SIGTERM's default action would end the process before the cassette is written.
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        with contextlib.suppress(KeyboardInterrupt):
            uvicorn.Server(settings).run()
    finally:
        saved = _save(app)
        click.echo(f"proxy: {app.stats.summary()}" + (f"; wrote {saved}" if saved else ""))
        signal.signal(signal.SIGTERM, previous)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _save(app: Any) -> pathlib.Path | None:
    from conformance.cassettes._cassette import CassetteError

    try:
        saved: pathlib.Path | None = app.save()
    except (CassetteError, OSError) as error:
        click.echo(f"proxy: the cassette was not written: {error}", err=True)
        return None
    return saved


def _hint(message: str, mode: str) -> str:
    if "real transport" in message:
        return f"record mode {mode!r} sends to the target: give --target URL"
    return message


def _banner(app: Any, host: str, port: int) -> list[str]:
    url = f"http://{host}:{port}"
    if app.records:
        what = f"recording {app.target} into {app.path} (mode {app.mode.value})"
    elif app.path is not None:
        what = f"replaying {app.path} (mode {app.mode.value}; no target is contacted)"
    else:
        what = f"forwarding to {app.target} (nothing recorded: add --record FILE)"
    return [
        f"Nemo proxy on {url}: {what}  (Ctrl-C stops it)",
        f"Point a client at it:  export NEMO_API_URL={url}",
    ]

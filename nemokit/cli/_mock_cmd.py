"""``nemokit mock``: the mock API on 127.0.0.1 (granian or uvicorn, :mod:`._servers`), in scaled
time.

``mockserver`` and the servers are imported inside the command: the ``nemokit`` package itself never
depends on them (they come with the ``mock`` extra).
"""

from __future__ import annotations

import errno
import ipaddress
import logging
import socket
from typing import Any

import click

from nemokit import contract, history
from nemokit._clock import ScaledClock

from ._servers import SERVERS, pick_server, raised, run_granian, run_uvicorn, server_line

__all__ = ["mock"]

#: The environment variable that sets ``--admin-token``.
ADMIN_TOKEN_ENV = "NEMO_MOCK_ADMIN_TOKEN"

_NEEDS_EXTRA = "`nemokit mock` needs the mock extra: pip install 'nemokit[mock]' ({error})."


def mock_config(**flags: Any) -> Any:
    """The ``MockConfig`` for the command's flags (a bad value raises ``ValueError``)."""
    from mockserver._config import MockConfig

    return MockConfig().replace(**flags)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8765, show_default=True)
@click.option(
    "--time-scale",
    type=click.FloatRange(min=0, min_open=True),
    default=1.0,
    show_default=True,
    help="Virtual seconds per real second: 1000 makes a 90 s render take 0.09 s. Run clients "
    "with the same NEMO_TIME_SCALE.",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Seed of every random choice (ids, durations, silent turns).",
)
@click.option(
    "--dialect",
    type=click.Choice([d.value for d in contract.EventDialect]),
    default="adk",
    show_default=True,
    help="The /run_sse event JSON: Google ADK events or the simple {type: ...} form.",
)
@click.option(
    "--error-style",
    type=click.Choice([s.value for s in contract.ErrorStyle]),
    default="code_200",
    show_default=True,
    help="Business errors as HTTP 200 with a code, or as HTTP statuses (2001 → 403...).",
)
@click.option(
    "--heartbeat",
    type=click.Choice([h.value for h in contract.HeartbeatForm]),
    default="json",
    show_default=True,
    help='Heartbeats as data: {"type": "heartbeat"}, an empty data: line, or ": ping".',
)
@click.option(
    "--heartbeat-interval",
    type=click.FloatRange(min=0, min_open=True),
    default=20.0,
    show_default=True,
    help="Virtual seconds between heartbeats while a turn works.",
)
@click.option(
    "--silent-rate",
    type=click.FloatRange(0, 1),
    default=0.3,
    show_default=True,
    help="Share of edit turns that end with no text (the client must summarise).",
)
@click.option(
    "--sse-framing",
    type=click.Choice(contract.SSE_FRAMINGS),
    default="lf",
    show_default=True,
    help="How /run_sse lays out its lines: lf, crlf, cr, JSON over several data: lines "
    "(multiline), id: lines followed by comments (ids), or chunks split inside a CRLF or a "
    "UTF-8 character (chunked). A reader that follows the WHATWG rules reads them all alike.",
)
@click.option(
    "--slow-turn-seconds",
    type=click.FloatRange(min=0),
    default=0.0,
    show_default=True,
    help="Make every turn last this many virtual seconds, with progress events every 4 minutes "
    "(1200 tests a client's 15-minute limit). 0: the agent's own durations.",
)
@click.option(
    "--noise-rate",
    type=click.FloatRange(0, 1),
    default=0.1,
    show_default=True,
    help='Share of turns that end with the trailing "I encountered a temporary issue".',
)
@click.option(
    "--render-fail-rate",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    help="Share of renders that end failed.",
)
@click.option(
    "--partial-text",
    is_flag=True,
    help="Stream replies as partial text chunks before the final text.",
)
@click.option(
    "--guide",
    type=click.Choice(["any", *(g.version for g in history.GUIDE_VERSIONS)]),
    default=history.CURRENT_GUIDE,
    show_default=True,
    help="Which guide to serve: the current one (its contract only), an earlier version (the "
    "current contract plus the forms that version documented, e.g. 0.x user-id paths), or any "
    "(every documented earlier form). Earlier forms are flagged in the journal either way.",
)
@click.option(
    "--no-admin",
    is_flag=True,
    help="Turn off the /__admin control API and its dashboard (look exactly like production).",
)
@click.option(
    "--admin-token",
    envvar=ADMIN_TOKEN_ENV,
    show_envvar=True,
    default=None,
    metavar="TOKEN",
    help="Require Authorization: Bearer TOKEN on every /__admin path (the journal, faults, "
    "clock, config, reset). Prefer the environment variable: a command line is visible to "
    "other users of the machine.",
)
@click.option(
    "--trust-forwarded",
    is_flag=True,
    help="Count the per-IP token limit by the first X-Forwarded-For hop (only behind a proxy "
    "that sets it). Off: the socket's address counts, and the header cannot dodge the limit.",
)
@click.option(
    "--redact-journal",
    is_flag=True,
    help="Keep tokens out of the request journal (credential headers and nmv_usr_/clm_ "
    "tokens replaced by [redacted]), for a mock others share.",
)
@click.option(
    "--server",
    "server_choice",
    type=click.Choice(SERVERS),
    default="auto",
    show_default=True,
    envvar="NEMO_MOCK_SERVER",
    show_envvar=True,
    help="The HTTP server: granian (HTTP in Rust, the fastest), uvicorn (uvloop and httptools "
    "where installed), or auto: granian where installed, else uvicorn. The start-up line names it.",
)
def mock(
    host: str,
    port: int,
    time_scale: float,
    seed: int,
    dialect: str,
    error_style: str,
    heartbeat: str,
    heartbeat_interval: float,
    silent_rate: float,
    sse_framing: str,
    slow_turn_seconds: float,
    noise_rate: float,
    render_fail_rate: float,
    partial_text: bool,
    guide: str,
    no_admin: bool,
    admin_token: str | None,
    trust_forwarded: bool,
    redact_journal: bool,
    server_choice: str,
) -> None:
    """Run the mock Nemo API locally (Ctrl-C stops it)."""
    try:
        from mockserver import MockServer
    except ImportError as exc:
        raise click.ClickException(_NEEDS_EXTRA.format(error=exc)) from None
    try:
        chosen = pick_server(server_choice)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--server") from None
    config = mock_config(
        seed=seed,
        dialect=dialect,
        error_style=error_style,
        heartbeat_form=heartbeat,
        heartbeat_interval=heartbeat_interval,
        silent_rate=silent_rate,
        sse_framing=sse_framing,
        slow_turn_seconds=slow_turn_seconds,
        noise_rate=noise_rate,
        render_fail_rate=render_fail_rate,
        partial_text=partial_text,
        guide=guide,
        admin=not no_admin,
        trust_forwarded=trust_forwarded,
        redact_journal=redact_journal,
    )
    if admin_token is not None and not admin_token.strip():
        raise click.BadParameter(
            f"the admin token is empty; give a non-empty one or unset {ADMIN_TOKEN_ENV}",
            param_hint="--admin-token",
        )
    _check_port(host, port)
    server = MockServer(config, ScaledClock(time_scale), admin_token=admin_token)
    for line in banner(host, port, time_scale, admin=not no_admin):
        click.echo(line)
    click.echo(f"Serving on {server_line(chosen)}")
    for line in exposure_warnings(
        host, admin=not no_admin, admin_token=admin_token is not None, redact=redact_journal
    ):
        click.echo(line, err=True)
    run = run_granian if chosen == "granian" else run_uvicorn
    run(server.app, host, port, quiet=quiet_injected_faults)
    click.echo("Mock stopped.")


def quiet_injected_faults(record: logging.LogRecord) -> bool:
    """Drop the server's traceback for a connection broken on purpose by a fault rule.

    A ``drop`` or ``cut_after`` fault breaks the connection by raising inside the app; that is
    the fault doing its job (the journal says so), not an error of the mock.
    """
    from mockserver import DroppedConnection, StreamCut

    return raised(record) not in {DroppedConnection.__name__, StreamCut.__name__}


def banner(host: str, port: int, time_scale: float, *, admin: bool) -> list[str]:
    """Where the mock listens and how to point a client at it."""
    url = f"http://{host}:{port}"
    lines = [
        f"Nemo mock API listening on {url}  (Ctrl-C stops it)",
        "Point a client at it:",
        f"  export NEMO_API_URL={url}",
    ]
    if time_scale != 1:
        lines.append(f"  export NEMO_TIME_SCALE={time_scale:g}")
    lines += [
        "  nemokit connect",
        "Or by hand:",
        f"  curl -s -X POST -H 'X-Client-Id: my-laptop' {url}{contract.PATH_ANONYMOUS_TOKEN}",
    ]
    if admin:
        lines.append(f"Control it (faults, config, journal) under {url}{contract.ADMIN_PREFIX}/")
        lines.append(f"Watch it in a browser: {url}{contract.ADMIN_PREFIX}/ui/")
    return lines


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name: it may resolve beyond this machine
        return False


def exposure_warnings(host: str, *, admin: bool, admin_token: bool, redact: bool) -> list[str]:
    """What to tell the user when the mock listens beyond loopback (never the token itself)."""
    if _loopback(host):
        lines = []
        if admin and admin_token:
            lines.append("The admin API needs the admin token (Authorization: Bearer ...).")
        return lines
    lines = []
    if admin and not admin_token:
        lines.append(
            f"Warning: listening on {host} with the admin API open to anyone who can reach "
            "this port (the journal holds callers' tokens; faults, clock and reset are "
            f"writable). Set {ADMIN_TOKEN_ENV} (or --admin-token), or pass --no-admin."
        )
    elif admin:
        lines.append("The admin API needs the admin token (Authorization: Bearer ...).")
    if admin and not redact:
        lines.append(
            "Note: the journal keeps callers' bearer tokens; --redact-journal keeps them out."
        )
    return lines


def _check_port(host: str, port: int) -> None:
    """Fail with a sentence, not uvicorn's log line, when the port is taken."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise click.ClickException(
                    f"port {port} on {host} is already in use (another mock?). Stop it, or "
                    "choose another with --port."
                ) from None
            raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from None

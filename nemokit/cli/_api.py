"""``nemokit connect``, ``credits``, ``state``, ``claim`` and ``upload``: one endpoint each."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator

import click
from rich import progress as bars

from nemokit._conversation import CONNECTED, EMPTY_TIMELINE, SETTING_UP
from nemokit._draft import Timeline
from nemokit._errors import SessionNotFound
from nemokit._models import SessionInfo
from nemokit._views import CreditsView, Notice, Progress, ProjectLink, Tracks, Uploaded

from ._options import api_command
from ._runtime import ApiSession, ExitCode, runtime_of

__all__ = ["claim", "connect", "credits", "state", "upload"]

#: Uploads at least this large get a progress bar (on a terminal).
PROGRESS_BAR_BYTES = 1024 * 1024


@click.command()
@click.option("--new", is_flag=True, help="Start a new session even if one is remembered.")
@click.option("--language", metavar="CODE", help="The session's language, e.g. en or zh.")
@api_command(needs_session=False)
def connect(session: ApiSession, new: bool, language: str | None) -> ExitCode:
    """Get a token and an editing session.

    Both are remembered for the next commands (see --state-file).
    """
    core, out = session.core, session.out
    out.view(Notice(SETTING_UP))
    session.run(core.ensure_token())
    kind = "a free anonymous token" if core.token_source == "anonymous" else "your NEMO_TOKEN"
    out.say(f"  Token: {kind}" + (f" (user {core.user_id})" if core.user_id else ""))
    if new or core.session_id is None:
        info = session.run(core.new_session(language))
    else:
        info = _check_saved(session, language)
    session.render_id = None if new else session.render_id
    out.say(f"  Session: {info.session_id}")
    out.view(Notice(CONNECTED))
    out.result({"kind": "connected", "api_url": core.config.api_url, **_ids(session)})
    return ExitCode.OK


def _check_saved(session: ApiSession, language: str | None) -> SessionInfo:
    """The remembered session if the server still knows it, else a new one."""
    core = session.core
    try:
        session.run(core.state(), passthrough=(SessionNotFound,))
    except SessionNotFound:
        session.out.say("  The remembered session is gone; starting a new one.")
        session.render_id = None
        return session.run(core.new_session(language))
    return session.run(core.ensure_session(language))


def _ids(session: ApiSession) -> dict[str, str | None]:
    core = session.core
    return {"session_id": core.session_id, "task_id": core.task_id, "user_id": core.user_id}


@click.command()
@api_command()
def credits(session: ApiSession) -> ExitCode:
    """Show the credit balance."""
    balance = session.run(session.core.credits())
    text = (
        f"Credits: {balance.available} available, {balance.frozen} held by work in progress, "
        f"{balance.total} in total."
    )
    view = CreditsView(
        text, available=balance.available, frozen=balance.frozen, total=balance.total
    )
    session.out.view(view)
    return ExitCode.OK


@click.command()
@api_command()
def state(session: ApiSession) -> ExitCode:
    """Show the project's timeline as a track summary."""
    current = session.run(session.core.state())
    timeline = Timeline.from_draft(current.draft)
    lines = tuple(timeline.summary_lines())
    session.out.view(Tracks(timeline.summary() if lines else EMPTY_TIMELINE, lines=lines))
    return ExitCode.OK


@click.command()
@click.option(
    "--print-link",
    is_flag=True,
    help="Print the link instead of opening it. It opens your project without a password: "
    "don't share it.",
)
@api_command()
def claim(session: ApiSession, print_link: bool) -> ExitCode:
    """Open the project in your browser.

    There you can keep it (register) or go on editing it on the web.
    """
    link = session.run(session.core.claim_link())
    out = session.out
    if print_link:
        # Asked for explicitly: the only place the CLI prints a claim token.
        click.echo(json.dumps({"kind": "project_link", "url": link}) if out.json_mode else link)
        return ExitCode.OK
    opened = runtime_of(click.get_current_context()).open_url(link)
    if opened:
        out.view(ProjectLink("✅ Opened your project in the browser."))
    else:
        out.view(
            ProjectLink(
                "Could not open a browser here. Run `nemokit claim --print-link` to see the link "
                "(it opens your project without a password: don't share it)."
            )
        )
    out.result({"kind": "claimed", "opened": bool(opened)})
    return ExitCode.OK


@click.command()
@click.argument("sources", nargs=-1, required=True, metavar="FILE|URL...")
@api_command()
def upload(session: ApiSession, sources: tuple[str, ...]) -> ExitCode:
    """Upload video, image or audio files (or links) to the project."""
    urls = [s for s in sources if s.lower().startswith(("http://", "https://"))]
    paths = [os.path.expanduser(s) for s in sources if s not in urls]
    for path in paths:
        if not os.path.isfile(path):
            raise click.BadParameter(f"no such file: {path}", param_hint="FILE")
    out = session.out
    size = sum(os.path.getsize(p) for p in paths)
    count = f"{len(sources)} file{'s' if len(sources) != 1 else ''}"
    out.view(Progress(f"⏳ Uploading {count}...", stage="uploading"))
    with _progress_bar(session, size):
        uploaded = session.run(session.core.upload(paths, urls))
    described = ", ".join(f"{f.filename} ({f.file_type})" for f in uploaded)
    names = tuple(f.filename for f in uploaded)
    out.view(Uploaded(f"✅ Uploaded: {described}" if uploaded else "Nothing was uploaded.", names))
    return ExitCode.OK


@contextlib.contextmanager
def _progress_bar(session: ApiSession, size: int) -> Iterator[None]:
    """A rich progress bar fed by the transport's byte count (large files, on a terminal)."""
    out = session.out
    if out.json_mode or size < PROGRESS_BAR_BYTES or not out.out.is_terminal:
        yield
        return
    columns = (
        bars.TextColumn("Uploading"),
        bars.BarColumn(),
        bars.DownloadColumn(),
        bars.TransferSpeedColumn(),
        bars.TimeRemainingColumn(),
    )
    with bars.Progress(*columns, console=out.out, transient=True) as bar:
        task = bar.add_task("upload", total=size)
        session.transport.on_upload = lambda sent, total: bar.update(
            task, completed=sent, total=total or size
        )
        try:
            yield
        finally:
            session.transport.on_upload = None

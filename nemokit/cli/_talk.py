"""``nemokit say`` (one message) and ``nemokit chat`` (a conversation on stdin).

Both go through :class:`~nemokit._conversation.Conversation`: what the user types is routed as
the contract says (export, credits, status and upload never reach the agent), replies are
translated, "⏳ Still working..." shows while a turn runs, and a silent turn is summarised from
the project's state.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Sequence

import click

from nemokit._conversation import Conversation
from nemokit._views import Problem

from ._options import api_command
from ._output import Output
from ._runtime import ApiSession, ExitCode

__all__ = ["chat", "say"]

QUIT = frozenset({"/quit", "/exit", "/q"})
CHAT_HELP = (
    'Type what you want done, e.g. "trim the pauses, add transitions, and export a shareable '
    'link". Send a file with /upload PATH (or paste its path). "status" shows the timeline, '
    '"credits" the balance, "export" renders the video. /quit (or Ctrl-D) ends.'
)


def _is_url(text: str) -> bool:
    return text.lower().startswith(("http://", "https://"))


def _missing(files: Sequence[str]) -> list[str]:
    return [f for f in files if not _is_url(f) and not os.path.isfile(f)]


@click.command()
@click.argument("message")
@click.option(
    "--attach",
    "-a",
    multiple=True,
    metavar="FILE|URL",
    help="Send a file (or link) with the message; repeatable.",
)
@api_command()
def say(session: ApiSession, message: str, attach: tuple[str, ...]) -> ExitCode:
    """Send one message and show what comes back.

    Routed as in the chat; handy for scripts and quick tries.
    """
    files = [os.path.expanduser(a) for a in attach]
    missing = _missing(files)
    if missing:
        raise click.BadParameter(f"no such file: {missing[0]}", param_hint="--attach")
    conversation = Conversation(session.nemo, on_submitted=session.remember_render)
    for view in conversation.say(message, files):
        session.out.view(view)
    return finish(session, conversation)


def finish(session: ApiSession, conversation: Conversation) -> ExitCode:
    """The exit code after a conversation; an unfinished export is remembered for resuming."""
    result = conversation.last_export
    if result is not None and result.outcome == "completed":
        session.remember_render(None)  # seen to its end: nothing left to resume
    elif result is not None and result.outcome == "timed_out" and result.render_id:
        session.remember_render(result.render_id)
    if result is not None and result.outcome in ("failed", "timed_out"):
        return ExitCode.EXPORT_FAILED
    return session.outcome()


@click.command()
@api_command(needs_session=False)
def chat(session: ApiSession) -> ExitCode:
    """Talk to the editor: each line you type is one message. /quit or Ctrl-D ends."""
    out = session.out
    conversation = Conversation(session.nemo, on_submitted=session.remember_render)
    if session.core.session_id is None:
        for view in conversation.connect():
            out.view(view)
        session.save()
        if out.problems:
            return session.outcome()
    out.say(CHAT_HELP, "dim")
    interactive = sys.stdin.isatty()
    while (line := _read_line(interactive)) is not None:
        if line in QUIT:
            break
        _handle(line, conversation, out)
        session.save()
    out.say("Bye: your session is remembered for the next command.", "dim")
    return ExitCode.OK


def _read_line(interactive: bool) -> str | None:
    try:
        line = input("› " if interactive else "")
    except EOFError:
        return None
    return line.strip()


def _handle(line: str, conversation: Conversation, out: Output) -> None:
    if not line:
        return
    if line == "/help":
        out.say(CHAT_HELP)
        return
    parsed = _parse(line)
    if isinstance(parsed, Problem):
        out.view(parsed)
        return
    text, files = parsed
    for view in conversation.say(text, files):
        out.view(view)


def _parse(line: str) -> tuple[str, list[str]] | Problem:
    """A chat line → (text, files): ``/upload PATH...``, a bare file path, or a message."""
    if line.split(maxsplit=1)[0] == "/upload":
        try:
            files = [os.path.expanduser(f) for f in shlex.split(line[len("/upload") :])]
        except ValueError as exc:
            return Problem(f"Could not read the file names ({exc}). Quote names with spaces.")
        if not files:
            return Problem("Say which file: /upload PATH (or a link).")
        missing = _missing(files)
        if missing:
            return Problem(f"No such file: {missing[0]}. Check the path and try again.")
        return "", files
    candidate = os.path.expanduser(line.strip("'\""))
    if os.path.isfile(candidate):  # a pasted (or dragged-in) path, absolute ones included
        return "", [candidate]
    if line.startswith("/"):
        return Problem(f"Unknown command {line.split()[0]}. Type /help to see what works.")
    return line, []

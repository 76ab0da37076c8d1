"""``nemokit export``: render the project, with progress, and remember the render id.

The id is saved the moment the render is accepted, so an export interrupted (Ctrl-C, a closed
terminal, a lost connection) is *resumed* by the next ``nemokit export``: the same render is
polled, never submitted again (a second submit would start a second render).
"""

from __future__ import annotations

import pathlib

import click

from nemokit._export import ExportResult, export

from ._options import api_command
from ._runtime import ApiSession, ExitCode

__all__ = ["export_command"]

#: Outcomes after which the render id is of no more use.
_FINISHED = frozenset({"completed", "failed", "not_ready", "blocked"})


@click.command("export")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=pathlib.Path),
    help="Save the video here (a file, or a folder to put it in). Default: only show the link.",
)
@click.option("--new", is_flag=True, help="Start a new render even if an earlier one is pending.")
@api_command()
def export_command(session: ApiSession, output: pathlib.Path | None, new: bool) -> ExitCode:
    """Render the video, with progress, and show its link.

    With -o the video is saved too. An export interrupted earlier is resumed, not restarted.
    """
    if output is not None and not output.expanduser().parent.is_dir():
        raise click.BadParameter(f"the folder of {output} does not exist", param_hint="-o")
    resumed = None if new else session.render_id
    if resumed:
        session.out.say(f"Resuming the export started earlier (render {resumed}).", "dim")
    flow = export(
        session.core,
        dest=output.expanduser() if output is not None else None,
        render_id=resumed,
        on_submitted=session.remember_render,
    )
    result: ExportResult = session.run(flow)
    _remember(session, result, resumed)
    session.out.result(
        {
            "kind": "export",
            "outcome": result.outcome,
            "render_id": result.render_id,
            "url": result.url,
            "path": result.path,
        }
    )
    return _code(session, result)


def _remember(session: ApiSession, result: ExportResult, resumed: str | None) -> None:
    if result.outcome in _FINISHED:
        session.remember_render(None)
    elif result.outcome == "error" and resumed and not session.transport.unreachable:
        # The server does not know the earlier render (e.g. the mock restarted): forget it.
        session.remember_render(None)
        session.out.warn("The earlier render could not be resumed; `nemokit export` starts anew.")


def _code(session: ApiSession, result: ExportResult) -> ExitCode:
    if result.outcome == "completed":
        return ExitCode.OK
    if result.outcome in ("failed", "timed_out"):
        return ExitCode.EXPORT_FAILED
    return session.error_code()

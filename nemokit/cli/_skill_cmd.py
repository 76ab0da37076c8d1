"""``nemokit skill check PATH [--guide VERSION] [--json] [--junit FILE]``.

Judges an agent skill document (a SKILL.md, or plain text like the guide) against the contract
and its history, without running anything it names (see ``conformance.skills``). The checker is
imported inside the command, so ``nemokit --help`` stays light and the ``nemokit`` package does
not depend on ``conformance``.

Exit status: 0 no error finding, 1 at least one error finding, 2 usage (a bad option, or a
PATH that is not a text document).
"""

from __future__ import annotations

import pathlib

import click

from nemokit import history

from ._runtime import ExitCode

__all__ = ["skill"]

_GUIDES = [g.version for g in history.GUIDE_VERSIONS]


@click.group()
def skill() -> None:
    """Work with agent skill documents (SKILL.md)."""


@skill.command("check")
@click.argument("path", type=click.Path(path_type=pathlib.Path, dir_okay=False))
@click.option(
    "--guide",
    type=click.Choice(_GUIDES),
    default=history.CURRENT_GUIDE,
    show_default=True,
    help="Judge against this version of the guide: forms it documented are not reported as "
    "deprecated.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@click.option(
    "--junit",
    type=click.Path(path_type=pathlib.Path, dir_okay=False, writable=True),
    default=None,
    metavar="FILE",
    help="Also write JUnit XML: one testcase per call, and one for the document.",
)
def check(path: pathlib.Path, guide: str, as_json: bool, junit: pathlib.Path | None) -> None:
    """Check the skill document PATH: its calls run against an embedded mock, its numbers and
    tables against the contract. Nothing in it is executed."""
    try:
        from conformance.skills import (
            SkillDocumentError,
            check_path,
            render_json,
            render_junit,
            render_text,
        )
    except ImportError as exc:
        raise click.ClickException(
            f"`nemokit skill check` needs the conformance extra: pip install 'nemokit[cli]' "
            f"({exc})."
        ) from None
    try:
        report = check_path(path, guide=guide)
    except SkillDocumentError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(render_json(report) if as_json else render_text(report))
    if junit is not None:
        try:
            junit.write_text(render_junit(report), encoding="utf-8")
        except OSError as exc:
            raise click.UsageError(f"cannot write {junit}: {exc.strerror}") from None
    if report.errors:
        raise click.exceptions.Exit(int(ExitCode.API_ERROR))

"""``nemokit cassettes verify [--against URL] [--mock KEY=VALUE] [PATHS...]``.

Replays every recorded request of every cassette against a live server (an embedded mock with
the cassette's recorded settings by default) and prints each difference: status, code, JSON
shape, SSE event sequence. Exits 1 when anything differs.
"""

from __future__ import annotations

import json
import pathlib
from typing import Any

import click

__all__ = ["verify_command"]


def _setting(text: str) -> tuple[str, Any]:
    name, sep, raw = text.partition("=")
    if not sep or not name:
        raise click.BadParameter(f"{text!r}: use KEY=VALUE (e.g. dialect=simple)")
    try:
        return name, json.loads(raw)
    except ValueError:
        return name, raw  # a bare word such as simple


@click.command("verify")
@click.argument("paths", nargs=-1, type=click.Path(path_type=pathlib.Path))
@click.option(
    "--against",
    metavar="URL",
    default=None,
    help="A live server (a real API or a remote mock); default: an embedded mock.",
)
@click.option(
    "--mock",
    "settings",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override a setting of the embedded mock (repeatable).",
)
def verify_command(paths: tuple[pathlib.Path, ...], against: str | None,
                   settings: tuple[str, ...]) -> None:  # fmt: skip
    """Check that PATHS (default: cassettes/*.json) still match a live server."""
    from conformance.cassettes._cassette import CassetteError, load_cassette
    from conformance.cassettes._verify import verify_cassette

    overrides = dict(_setting(s) for s in settings)
    if overrides and against is not None:
        raise click.UsageError("--mock changes the embedded mock; it cannot go with --against")
    files = _expand(paths)
    failed = 0
    for path in files:
        try:
            cassette = load_cassette(path)
            found = verify_cassette(cassette, source=str(path), against=against, mock=overrides)
        except (CassetteError, ValueError) as error:
            raise click.ClickException(str(error)) from None
        for difference in found:
            click.echo(str(difference))
        bad = sum(d.fails for d in found)
        failed += bool(bad)
        verdict = f"{bad} difference(s)" if bad else "ok"
        click.echo(f"{path}: {len(cassette.interactions)} interactions, {verdict}")
    if failed:
        raise click.ClickException(f"{failed} of {len(files)} cassette(s) differ")


def _expand(paths: tuple[pathlib.Path, ...]) -> list[pathlib.Path]:
    targets = paths or (pathlib.Path("cassettes"),)
    files: list[pathlib.Path] = []
    for target in targets:
        if target.is_dir():
            files.extend(sorted(target.glob("*.json")))
        elif target.exists():
            files.append(target)
        else:
            raise click.BadParameter(f"{target}: no such file or directory", param_hint="PATHS")
    if not files:
        raise click.UsageError(f"no cassettes found in {', '.join(map(str, targets))}")
    return files

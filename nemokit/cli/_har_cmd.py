"""``nemokit cassettes import FILE.har [-o FILE.json]`` and ``nemokit cassettes export FILE.json
--har [-o FILE.har]``: recordings between nemokit, browsers, WireMock and Hoverfly."""

from __future__ import annotations

import json
import os
import pathlib

import click

__all__ = ["export_command", "import_command"]


@click.command("import")
@click.argument("har", type=click.Path(dir_okay=False, path_type=pathlib.Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=pathlib.Path),
    default=None,
    help="The cassette to write (default: FILE with .json in place of .har).",
)
def import_command(har: pathlib.Path, output: pathlib.Path | None) -> None:
    """Turn a HAR 1.2 file (browser DevTools: "Save all as HAR") into a redacted cassette."""
    from conformance.cassettes._cassette import CassetteError, save_cassette
    from conformance.cassettes._har import cassette_from_har

    try:
        text = har.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise click.BadParameter(f"{har}: no such file", param_hint="FILE.har") from None
    except (OSError, UnicodeDecodeError) as error:
        raise click.ClickException(f"{har}: cannot be read ({type(error).__name__})") from None
    target = output if output is not None else har.with_suffix(".json")
    try:
        imported = cassette_from_har(text, source=str(har))
        save_cassette(imported.cassette, target)
    except (CassetteError, OSError) as error:
        raise click.ClickException(str(error)) from None
    skipped = f" ({imported.skipped} unanswered entries left out)" if imported.skipped else ""
    click.echo(f"{target}: {len(imported.cassette.interactions)} interactions{skipped}")


@click.command("export")
@click.argument("cassette", type=click.Path(dir_okay=False, path_type=pathlib.Path))
@click.option("--har", "as_har", is_flag=True, help="Write HAR 1.2 (the only format so far).")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=pathlib.Path),
    default=None,
    help="Where to write (default: FILE with .har in place of .json; - for stdout).",
)
def export_command(cassette: pathlib.Path, as_har: bool, output: pathlib.Path | None) -> None:
    """Write a cassette as HAR 1.2, for a browser, WireMock or Hoverfly."""
    from conformance.cassettes._cassette import CassetteError, load_cassette
    from conformance.cassettes._har import har_from_cassette

    if not as_har:
        raise click.UsageError("say which format: --har")
    try:
        loaded = load_cassette(cassette)
    except CassetteError as error:
        raise click.ClickException(str(error)) from None
    text = json.dumps(har_from_cassette(loaded), indent=2, ensure_ascii=False) + "\n"
    if output is not None and str(output) == "-":
        click.echo(text, nl=False)
        return
    target = output if output is not None else cassette.with_suffix(".har")
    partial = target.with_name(f".{target.name}.tmp")
    try:  # a temporary file, then a rename: never half a HAR where the old one was
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, target)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise click.ClickException(f"cannot write {target}: {error.strerror}") from None
    click.echo(f"{target}: {len(loaded.interactions)} entries")

"""``nemokit record SCENARIO... [--all] [--list] [--out cassettes/] [--seed N]``.

Records named scenarios against an embedded mock (in process, virtual time) and writes
``<out>/<name>.json``. The same seed gives the same bytes, so re-recording shows in a diff only
what really changed.
"""

from __future__ import annotations

import pathlib

import click

__all__ = ["record_command"]


@click.command("record")
@click.argument("scenarios", nargs=-1)
@click.option("--all", "record_all", is_flag=True, help="Record every scenario.")
@click.option("--list", "list_only", is_flag=True, help="List the scenarios and exit.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=pathlib.Path),
    default=pathlib.Path("cassettes"),
    show_default=True,
    help="Directory the cassettes are written to.",
)
@click.option("--seed", type=click.IntRange(min=0), default=None, help="Override every seed.")
def record_command(
    scenarios: tuple[str, ...],
    record_all: bool,
    list_only: bool,
    out: pathlib.Path,
    seed: int | None,
) -> None:
    """Record SCENARIOS against an embedded mock into OUT/<name>.json."""
    from conformance.cassettes._scenarios import SCENARIOS

    if list_only:
        for name, spec in SCENARIOS.items():
            click.echo(f"{name:22} {spec.summary}")
        return
    names = list(SCENARIOS) if record_all else list(dict.fromkeys(scenarios))
    if not names:
        raise click.UsageError("name at least one scenario, or use --all (--list shows them)")
    unknown = [name for name in names if name not in SCENARIOS]
    if unknown:
        raise click.BadParameter(
            f"unknown scenario(s) {', '.join(unknown)}; known: {', '.join(SCENARIOS)}",
            param_hint="SCENARIO",
        )
    for name in names:
        _record_one(name, out, seed)


def _record_one(name: str, out: pathlib.Path, seed: int | None) -> None:
    from conformance.cassettes._cassette import CassetteError, save_cassette
    from conformance.cassettes._redact import find_secrets
    from conformance.cassettes._scenarios import record_scenario

    cassette = record_scenario(name, seed=seed)
    try:
        path = save_cassette(cassette, out / f"{name}.json")
    except (CassetteError, OSError) as error:
        raise click.ClickException(f"could not write the cassette for {name}: {error}") from None
    if find_secrets(path.read_text(encoding="utf-8")):  # never expected: the redactor ran
        path.unlink()
        raise click.ClickException(f"{name}: a token reached the cassette; nothing was kept")
    click.echo(f"{path}: {len(cassette.interactions)} interactions")

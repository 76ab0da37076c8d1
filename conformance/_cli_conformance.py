"""``nemokit conformance``: check a client against the contract and print what it breaks."""

from __future__ import annotations

import sys

import click
from rich.console import Console

from ._adapter import load_factory, nemokit_factory
from ._harness import AdapterFactory
from ._model import Scenario
from ._report import print_table, write_junit
from ._rules import RULES, rule_by_id
from ._suite import PROFILES, replay, run_suite

__all__ = ["conformance_command"]


def _factory(client: str | None, client_cmd: str | None) -> AdapterFactory:
    if client and client_cmd:
        raise click.UsageError("give either --client or --client-cmd, not both")
    if client_cmd:
        from ._driver import driver_factory

        return driver_factory(client_cmd)
    if client:
        try:
            return load_factory(client)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--client") from None
    return nemokit_factory


@click.command("conformance")
@click.option("--client", metavar="MODULE:FACTORY", help="A Python client's adapter factory.")
@click.option("--client-cmd", metavar="CMD", help="A program speaking the driver protocol.")
@click.option(
    "--backend",
    type=click.Choice(["mock", "cassettes", "both"]),
    default="mock",
    show_default=True,
    help="Judge against the live mock, the cassettes, or both.",
)
@click.option(
    "--profile",
    type=click.Choice(sorted(PROFILES)),
    default="ci",
    show_default=True,
    help="How many scenarios per rule (ci is derandomized).",
)
@click.option("--rule", "rules", multiple=True, metavar="ID", help="Only these rules (repeat).")
@click.option("--junit", type=click.Path(dir_okay=False, writable=True), help="Write JUnit XML.")
@click.option("--replay", "replay_json", metavar="JSON", help="Run one scenario (from a report).")
@click.option("--list-rules", is_flag=True, help="List the rules and exit.")
def conformance_command(
    client: str | None,
    client_cmd: str | None,
    backend: str,
    profile: str,
    rules: tuple[str, ...],
    junit: str | None,
    replay_json: str | None,
    list_rules: bool,
) -> None:
    """Check a client against every rule of the Nemo contract; exit 1 on any failure."""
    console = Console()
    if list_rules:
        for rule in RULES:
            console.print(f"[bold]{rule.id}[/] {rule.title}: {rule.contract}", soft_wrap=True)
        return
    for rule_id in rules:
        try:
            rule_by_id(rule_id)
        except KeyError as exc:
            raise click.BadParameter(str(exc.args[0]), param_hint="--rule") from None
    factory = _factory(client, client_cmd)
    # A program in another process cannot share the in-process virtual clock.
    live = "live" if client_cmd else "mock"
    if replay_json is not None:
        _replay(replay_json, factory, list(rules), live, console)
        return
    chosen = {"mock": live, "both": "both", "cassettes": "cassettes"}[backend]
    if client_cmd and backend == "both":
        chosen = live
    suite = run_suite(
        factory,
        rules=list(rules) or None,
        profile=profile,
        backend=chosen,
        client=client or (f'--client-cmd "{client_cmd}"' if client_cmd else None),
    )
    print_table(suite, console)
    if junit:
        console.print(f"JUnit XML written to {write_junit(suite, junit)}")
    if not suite.ok:
        sys.exit(1)


def _replay(
    text: str, factory: AdapterFactory, rules: list[str], backend: str, console: Console
) -> None:
    try:
        scenario = Scenario.from_json(text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--replay") from None
    observation, violations = replay(scenario, factory, rules=rules or None, backend=backend)
    for request in observation.requests:
        console.print(
            f"  {request.describe()} → {request.status} code={request.code}", markup=False
        )
    for shown in observation.shown:
        console.print(f"  [{shown.kind}] {shown.text}", markup=False)
    for violation in violations:
        console.print(f"VIOLATION {violation}", style="bold red", markup=False)
    if violations:
        sys.exit(1)
    console.print("no violations", style="green")

"""``nemokit conformance``: check a client against the contract and print what it breaks.

A program (``--client-cmd``) runs in another process, so it is checked on the ``live`` backend
(the mock on loopback with a scaled clock); rules a live backend cannot judge are listed as
skipped with the reason (:func:`conformance.suite._live.live_skips`), never counted as passed.
"""

from __future__ import annotations

import dataclasses
import pathlib
import pickle
import shlex
import sys
import xml.etree.ElementTree as ET
from collections.abc import Mapping

import click
from rich.console import Console

from conformance.drivers._adapter import load_factory, nemokit_factory
from conformance.drivers._protocol import AdapterFactory
from conformance.suite._model import Scenario
from conformance.suite._report import print_table, suite_json, write_junit
from conformance.suite._rules import RULES, rule_by_id
from conformance.suite._suite import (
    PROFILES,
    RuleResult,
    SuiteResult,
    replay,
    replay_recipe,
    run_suite,
)

__all__ = ["conformance_command"]


def _factory(client: str | None, client_cmd: str | None) -> AdapterFactory:
    if client and client_cmd:
        raise click.UsageError("give either --client or --client-cmd, not both")
    if client_cmd:
        from conformance.drivers._driver import driver_factory

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
    type=click.Choice(["mock", "live", "cassettes", "both"]),
    default="mock",
    show_default=True,
    help="Judge against the mock (in process; a --client-cmd program gets it on loopback), "
    "the mock on loopback (live), the cassettes, or mock and cassettes (both).",
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
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the results as JSON (status and coverage per rule) instead of the table.",
)
@click.option(
    "--workers",
    default="auto",
    show_default=True,
    metavar="N|auto",
    help="Check this many rules at a time, each in a worker process with its own client and "
    "mock (auto: one per core; 1: one rule after another, in this process).",
)
@click.option("--replay", "replay_json", metavar="JSON", help="Run one scenario (from a report).")
@click.option("--list-rules", is_flag=True, help="List the rules and exit.")
def conformance_command(
    client: str | None,
    client_cmd: str | None,
    backend: str,
    profile: str,
    rules: tuple[str, ...],
    junit: str | None,
    as_json: bool,
    workers: str,
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
    count = _workers(workers)
    factory = _factory(client, client_cmd)
    chosen = _backend(backend, client_cmd)
    if replay_json is not None:
        _replay(replay_json, factory, list(rules), "mock" if chosen == "both" else chosen, console)
        return
    skips = _live_skips(list(rules)) if chosen == "live" else {}
    wanted = [r.id for r in RULES] if not rules else [rule_by_id(r).id for r in rules]
    suite = run_suite(
        factory,
        rules=[r for r in wanted if r not in skips],
        profile=profile,
        backend=chosen,
        client=client,
        workers=_usable_workers(count, workers, factory),
    )
    if client_cmd:
        suite = _with_cmd_recipes(suite, client_cmd)
    if as_json:
        click.echo(suite_json(suite))
    else:
        print_table(suite, console)
        for rule_id, why in skips.items():
            console.print(f"[yellow]{rule_id} live skipped[/]: {why}", soft_wrap=True)
    if junit:
        path = write_junit(suite, junit)
        _add_skips(path, skips)
        if not as_json:
            console.print(f"JUnit XML written to {path}")
    if not suite.ok:
        sys.exit(1)


def _workers(text: str) -> int:
    from conformance.suite._parallel import worker_count

    try:
        return worker_count(text.strip())
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--workers") from None


def _usable_workers(count: int, text: str, factory: AdapterFactory) -> int:
    """``count``, or 1 for ``auto`` when the factory cannot go to a worker process (a
    ``--client`` factory that does not pickle); an explicit count then is a usage error."""
    if count == 1:
        return 1
    try:
        pickle.dumps(factory)
    except Exception as exc:
        if text.strip() == "auto":
            return 1
        raise click.UsageError(
            f"--workers {text} sends the client factory to worker processes, and it does not "
            f"pickle ({type(exc).__name__}): make it a module-level function, or use --workers 1"
        ) from None
    return count


def _backend(backend: str, client_cmd: str | None) -> str:
    """The backend to run: a program cannot share the in-process transport and virtual clock,
    so ``mock`` (and ``both``) mean the mock on loopback for it; cassettes need in-process."""
    if not client_cmd:
        return backend
    if backend == "cassettes":
        raise click.UsageError(
            "--backend cassettes replays through an in-process transport, which a program in "
            "another process cannot use: check a --client-cmd program with --backend live"
        )
    return "live"


def _live_skips(rules: list[str]) -> dict[str, str]:
    from conformance.suite._live import live_skips

    return live_skips(rules or None)


def _with_cmd_recipes(suite: SuiteResult, client_cmd: str) -> SuiteResult:
    """The suite with replay recipes that name ``--client-cmd`` (the suite writes ``--client``)."""
    target = f"--client-cmd {shlex.quote(client_cmd)}"

    def fix(result: RuleResult) -> RuleResult:
        if result.scenario is None or result.backend != "live":
            return result
        recipe = replay_recipe(result.rule, result.scenario)
        recipe = recipe.replace("nemokit conformance ", f"nemokit conformance {target} ", 1)
        return dataclasses.replace(result, replay=recipe)

    results = tuple(fix(r) for r in suite.results)
    return dataclasses.replace(suite, results=results, target=target)


def _add_skips(path: pathlib.Path, skips: Mapping[str, str]) -> None:
    """Add a ``<skipped>`` testcase per rule the live backend could not judge."""
    if not skips:
        return
    tree = ET.parse(path)  # noqa: S314 (the report we have just written)
    root = tree.getroot()
    node = root.find("testsuite[@name='conformance.live']")
    if node is None:
        node = ET.SubElement(root, "testsuite", name="conformance.live", tests="0")
        node.set("failures", "0")
        node.set("errors", "0")
    node.set("skipped", str(len(skips)))
    node.set("tests", str(int(node.get("tests", "0")) + len(skips)))
    for rule_id, why in skips.items():
        rule = rule_by_id(rule_id)
        case = ET.SubElement(
            node, "testcase", classname="conformance.live", name=f"{rule.id} {rule.title}"
        )
        case.set("time", "0")
        ET.SubElement(case, "skipped", message=why)
    ET.indent(root)
    tree.write(path, encoding="utf-8", xml_declaration=True)


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

"""``nemokit cassettes diff A.json B.json [--json] [--junit FILE]``: drift between recordings.

Prints each difference as ``file interactions[i] METHOD /path: aspect: detail`` (or one JSON
document with ``--json``), optionally writes a JUnit XML report for CI, and exits 1 on any
difference.
"""

from __future__ import annotations

import json
import pathlib
import xml.etree.ElementTree as ET
from typing import Any

import click

__all__ = ["diff_command"]


@click.command("diff")
@click.argument("a", type=click.Path(dir_okay=False, path_type=pathlib.Path))
@click.argument("b", type=click.Path(dir_okay=False, path_type=pathlib.Path))
@click.option("--json", "as_json", is_flag=True, help="One JSON document on stdout.")
@click.option(
    "--junit",
    type=click.Path(dir_okay=False, path_type=pathlib.Path),
    default=None,
    help="Also write a JUnit XML report here (one test case per interaction of A).",
)
def diff_command(a: pathlib.Path, b: pathlib.Path, as_json: bool, junit: pathlib.Path | None
                 ) -> None:  # fmt: skip
    """Compare two recordings of the same flow (A: the reference, B: the other) on status, code,
    JSON shape and SSE event sequence. Exits 1 on any difference."""
    from conformance.cassettes._cassette import CassetteError, load_cassette
    from conformance.cassettes._diff import diff_cassettes

    try:
        first, second = load_cassette(a), load_cassette(b)
    except CassetteError as error:
        raise click.ClickException(str(error)) from None
    found = diff_cassettes(first, second, file_a=str(a), file_b=str(b))
    if as_json:
        rows = [{"file": d.source, "index": d.index, "request": d.request, "aspect": d.aspect,
                 "detail": d.detail} for d in found]  # fmt: skip
        click.echo(json.dumps({"a": str(a), "b": str(b), "identical": not found,
                               "differences": rows}, indent=2))  # fmt: skip
    else:
        click.echo(f"A = {a}, B = {b}")
        for difference in found:
            click.echo(str(difference))
        verdict = f"{len(found)} difference(s)" if found else "no difference"
        click.echo(f"{len(first.interactions)} and {len(second.interactions)} interactions: "
                   f"{verdict}")  # fmt: skip
    if junit is not None:
        _write_junit(junit, first, found, str(a))
    if found:
        raise click.exceptions.Exit(1)


def _write_junit(path: pathlib.Path, first: Any, found: list[Any], name: str) -> None:
    cases = len(first.interactions) or 1
    failing = {d.index for d in found}
    suite = ET.Element("testsuite", name=f"cassettes diff {name}", tests=str(cases),
                       failures=str(len(failing)), errors="0")  # fmt: skip
    for index in range(cases):
        request = first.interactions[index].request if first.interactions else None
        label = f"interactions[{index}]" + (f" {request.method} {request.path}" if request else "")
        case = ET.SubElement(suite, "testcase", classname=name, name=label)
        mine = [d for d in found if d.index == index]
        if mine:
            failure = ET.SubElement(case, "failure", message=f"{mine[0].aspect}: {mine[0].detail}")
            failure.text = "\n".join(str(d) for d in mine)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)
    except OSError as error:
        raise click.ClickException(f"cannot write {path}: {error.strerror}") from None

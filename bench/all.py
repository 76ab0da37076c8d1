"""Run every benchmark and print its table; ``--write-docs`` puts the tables in the docs.

    python -m bench.all [--quick] [--write-docs] [--only NAME ...]

``--write-docs`` writes this run's tables, the command and the machine into the part of
``docs/benchmarks.md`` between ``<!-- bench:start -->`` and ``<!-- bench:end -->``; with
``--only`` just those benchmarks' rows and sections are replaced and the others are kept. The
prose around the block (where the time goes, what stands in the way of a target) is kept.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import pathlib
import re
from collections.abc import Sequence

from ._common import Result, machine

__all__ = ["BENCHMARKS", "main", "write_docs"]

#: In-process benchmarks first, then those that start servers (so a failure shows early).
BENCHMARKS = (
    "routing",
    "client_overhead",
    "replay",
    "workflow",
    "conformance",
    "sse_load",
    "mock_throughput",
    "proxy_overhead",
)
DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def run_all(names: Sequence[str], quick: bool) -> list[tuple[str, Result]]:
    """Run the named benchmarks in order, printing each result as it comes."""
    results = []
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        result: Result = module.run(quick=quick)
        print(result.render(), flush=True)
        results.append((name, result))
    return results


def write_docs(
    results: Sequence[tuple[str, Result]], command: str, path: pathlib.Path = DOCS
) -> None:
    """Put ``results`` (``(module name, result)`` pairs) into the generated block of ``path``.

    Each benchmark's summary row and section carry a marker with its name, so a run of some
    benchmarks (``--only``) replaces theirs and keeps the others' last results; every section
    says when, where and by which command it was produced.
    """
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n\n"
    before, old, after = _split(text)
    rows, sections = _parse(old)
    for name, result in results:
        rows[name] = f"| {result.name} | {result.headline} | {_verdict(result)} | <!-- {name} -->"
        stamp = f"_Produced by `{command}` on {when}; machine: {machine()}._"
        sections[name] = f"<!-- section {name} -->\n{stamp}\n\n{result.render()}"
    order = [n for n in BENCHMARKS if n in rows] + sorted(set(rows) - set(BENCHMARKS))
    block = "\n".join(
        [
            START,
            "| benchmark | headline | target |",
            "|---|---|---|",
            *(rows[n] for n in order),
            "",
            *(sections[n] for n in order if n in sections),
            END,
        ]
    )
    path.write_text(before + block + after, encoding="utf-8")


def _split(text: str) -> tuple[str, str, str]:
    if START in text and END in text:
        before, rest = text.split(START, 1)
        old, after = rest.split(END, 1)
        return before, old, after
    return text.rstrip("\n") + "\n\n", "", "\n"


def _parse(block: str) -> tuple[dict[str, str], dict[str, str]]:
    """The marked rows and sections of a generated block (unmarked old content is dropped)."""
    rows = {
        match.group(2): match.group(1)
        for match in re.finditer(r"^(\|.*\| <!-- (\w+) -->)$", block, re.M)
    }
    sections = {}
    parts = re.split(r"^(?=<!-- section \w+ -->$)", block, flags=re.M)
    for part in parts:
        found = re.match(r"<!-- section (\w+) -->", part)
        if found:
            sections[found.group(1)] = part.rstrip("\n") + "\n"
    return rows, sections


def _verdict(result: Result) -> str:
    return {True: "met", False: "**missed**", None: "not measured"}[result.met]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short runs that prove each runs")
    parser.add_argument("--write-docs", action="store_true", help=f"update {DOCS.name}")
    parser.add_argument("--only", nargs="+", choices=BENCHMARKS, default=list(BENCHMARKS))
    args = parser.parse_args(argv)
    results = run_all(args.only, args.quick)
    if args.write_docs:
        flags = (" --quick" if args.quick else "") + (
            f" --only {' '.join(args.only)}" if list(args.only) != list(BENCHMARKS) else ""
        )
        write_docs(results, f"python -m bench.all --write-docs{flags}")
        print(f"wrote {DOCS}")


if __name__ == "__main__":
    main()

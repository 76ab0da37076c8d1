"""Conformance throughput: the full ``ci`` profile against nemokit on the mock, and against the
Node driver out of process.

``conformance.run_suite(profile="ci")`` checks every rule as a hypothesis property, each
example a scenario run on a fresh in-process mock. Reported: wall time of the whole profile,
scenarios (hypothesis examples) per second, and the slowest rules.

The same profile then runs the example Node driver (``conformance/drivers/node``) through the
driver protocol on the ``live`` backend, every rule a live backend can judge, as
``nemokit conformance --client-cmd`` runs it by default (``--workers auto``): one worker process
per core, each checking one rule at a time, slowest first, with its own node process (reset
between examples, the protocol's ``reset``) and its own loopback server (a fresh mock per
example). Skipped, saying so, without ``node``.

Targets: the in-process ``ci`` profile in < 60 s on 2 cores; the Node driver's in < 45 s.
Quick mode: two rules only.

    python -m bench.conformance [--quick]
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Sequence
from pathlib import Path

from conformance.drivers._driver import driver_factory
from conformance.suite._live import live_skips
from conformance.suite._parallel import worker_count
from conformance.suite._rules import RULES
from conformance.suite._suite import SuiteResult, run_suite

from ._common import Result, parse_args, table

__all__ = ["TARGET_SECONDS", "main", "run"]

COMMAND = "python -m bench.conformance"
TARGET_SECONDS = 60.0
NODE_TARGET_SECONDS = 45.0
NODE_DRIVER = Path(__file__).resolve().parent.parent / "conformance/drivers/node/nemo-driver.mjs"


def run(quick: bool = False) -> Result:
    """Time the ``ci`` profile (all rules; two in quick mode)."""
    rules = [rule.id for rule in RULES][:2] if quick else None
    start = time.perf_counter()
    suite = run_suite(rules=rules, profile="ci")
    wall = time.perf_counter() - start
    examples = sum(r.examples for r in suite.results)
    slowest = sorted(suite.results, key=lambda r: r.seconds, reverse=True)[:3]
    rows: list[list[object]] = [
        ["rules", len(suite.results)],
        ["scenarios run (hypothesis examples)", examples],
        ["wall seconds", wall],
        ["scenarios per second", examples / wall if wall else 0.0],
        ["rules failed or in error", len(suite.failed)],
    ]
    rows += [[f"slowest: {r.rule.id}", f"{r.seconds:.2f} s"] for r in slowest]
    headline = (
        f"ci profile ({len(suite.results)} rules) in {wall:.1f} s "
        f"= {wall / TARGET_SECONDS:.2f} of the {TARGET_SECONDS:g} s budget, "
        f"{examples / wall if wall else 0:.0f} scenarios/s"
    )
    met = wall < TARGET_SECONDS and suite.ok
    notes = [] if suite.ok else [f"{r.rule.id}: {r.status}" for r in suite.failed]
    node = _node(rules)
    if isinstance(node, str):
        notes.append(node)
    else:
        node_wall, node_suite, skipped, workers = node
        node_examples = sum(r.examples for r in node_suite.results)
        rows += [
            ["Node driver: rules judged (live backend)", len(node_suite.results)],
            ["Node driver: worker processes (--workers auto)", workers],
            ["Node driver: scenarios run", node_examples],
            ["Node driver: wall seconds", node_wall],
            ["Node driver: rules failed or in error", len(node_suite.failed)],
        ]
        node_slowest = sorted(node_suite.results, key=lambda r: r.seconds, reverse=True)[:3]
        rows += [[f"Node driver slowest: {r.rule.id}", f"{r.seconds:.2f} s"] for r in node_slowest]
        headline += (
            f"; the Node driver's ci profile in {node_wall:.1f} s with {workers} workers "
            f"(target < {NODE_TARGET_SECONDS:g} s)"
        )
        met = met and node_wall < NODE_TARGET_SECONDS and node_suite.ok
        notes.append(
            f"Node driver: node {NODE_DRIVER.name} over the driver protocol, {workers} worker "
            "processes (--workers auto: one per core), each with its own node process reset "
            f"between examples and its own live mock; {skipped} rules a live backend cannot "
            "judge are left out (see live_skips), as `nemokit conformance --client-cmd` does"
        )
        for r in node_suite.failed:
            why = r.error or "; ".join(map(str, r.violations))
            notes.append(f"Node driver {r.rule.id}: {r.status}: {why[:300]}")
    return Result(
        name="Conformance throughput (ci profile, mock backend)",
        command=COMMAND + (" --quick" if quick else ""),
        table=table(["measure", "value"], rows),
        headline=headline,
        met=met,
        notes=tuple(notes),
    )


def _node(rules: list[str] | None) -> tuple[float, SuiteResult, int, int] | str:
    """The Node driver through the ``ci`` profile on the live backend, as the CLI runs it by
    default (``--workers auto``): wall seconds, the results, rules skipped, workers; or why it
    was not run."""
    if shutil.which("node") is None:
        return "Node driver skipped: node is not installed"
    skipped = live_skips()
    judged = [r for r in (rules or [rule.id for rule in RULES]) if r not in skipped]
    workers = worker_count("auto")
    start = time.perf_counter()
    suite = run_suite(driver_factory(["node", str(NODE_DRIVER)]), rules=judged, profile="ci",
                      backend="live", workers=workers)  # fmt: skip
    return time.perf_counter() - start, suite, len(skipped), workers


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(__doc__ or "", argv)
    print(run(quick=args.quick).render())


if __name__ == "__main__":
    main()

"""Conformance throughput: the full ``ci`` profile of the suite against nemokit on the mock.

``conformance.run_suite(profile="ci")`` checks every rule as a hypothesis property, each
example a scenario run on a fresh in-process mock. Reported: wall time of the whole profile,
scenarios (hypothesis examples) per second, and the slowest rules.

Target: the full ``ci`` profile in < 60 s on 2 cores. Quick mode: two rules only.

    python -m bench.conformance [--quick]
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from conformance.suite._rules import RULES
from conformance.suite._suite import run_suite

from ._common import Result, parse_args, table

__all__ = ["TARGET_SECONDS", "main", "run"]

COMMAND = "python -m bench.conformance"
TARGET_SECONDS = 60.0


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
    return Result(
        name="Conformance throughput (ci profile, mock backend)",
        command=COMMAND + (" --quick" if quick else ""),
        table=table(["measure", "value"], rows),
        headline=(
            f"ci profile ({len(suite.results)} rules) in {wall:.1f} s "
            f"= {wall / TARGET_SECONDS:.2f} of the {TARGET_SECONDS:g} s budget, "
            f"{examples / wall if wall else 0:.0f} scenarios/s"
        ),
        met=wall < TARGET_SECONDS and suite.ok,
        notes=() if suite.ok else tuple(f"{r.rule.id}: {r.status}" for r in suite.failed),
    )


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(__doc__ or "", argv)
    print(run(quick=args.quick).render())


if __name__ == "__main__":
    main()

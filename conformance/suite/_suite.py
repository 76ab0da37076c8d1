"""Runs the rules under hypothesis, so that a failure shrinks to a minimal scenario.

``run_suite(factory, rules=..., profile=..., backend=...)`` checks each rule as a property:
``@given(scenarios relevant to the rule)`` → run the scenario on a fresh mock → judge. When the
property fails, hypothesis shrinks the scenario; its last failing call is the minimal example,
which the property records (with its violations) before re-raising. The result per rule is
passed, failed (with the minimal scenario and a one-line replay recipe), error (the harness or
the adapter broke in a way that is not a rule violation) or not exercised: no run had the rule's
subject (:mod:`._subjects`), so the judge judged nothing and the rule cannot be said to pass.
Each result carries its coverage: the variants (mock, live) or cassettes that exercised it.

On the ``cassettes`` backend each rule judges every committed cassette's recorded scenario
(no generation: the scenario is the recording).
"""

from __future__ import annotations

import pathlib
import shlex
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from hypothesis import HealthCheck, Phase, example, given, settings

from conformance.drivers._adapter import nemokit_factory
from conformance.drivers._protocol import AdapterFactory

from ._coverage import with_examples
from ._examples import examples_for
from ._harness import CASSETTE_DIR, run_cassette, run_scenario
from ._model import Observation, Scenario, Violation
from ._rules import RULES, Rule, rule_by_id
from ._strategies import scenarios_for
from ._subjects import variant_label

__all__ = [
    "NOT_EXERCISED",
    "PROFILES",
    "RuleResult",
    "SuiteResult",
    "check_rule",
    "replay",
    "run_suite",
]

#: The status of a rule whose subject occurred in no run (neither passed nor failed).
NOT_EXERCISED = "not exercised"

#: The suite's own hypothesis budgets (examples per rule). ``ci`` is derandomized so a CI failure
#: reproduces; ``thorough`` is for a deep run before a release.
PROFILES: dict[str, settings] = {
    "dev": settings(max_examples=8, derandomize=False),
    "ci": settings(max_examples=10, derandomize=True),
    "thorough": settings(max_examples=200, derandomize=False),
}
_COMMON = {
    "deadline": None,
    "database": None,
    "report_multiple_bugs": False,
    "suppress_health_check": list(HealthCheck),
    "phases": (Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink),
}


@dataclass(frozen=True, slots=True)
class RuleResult:
    """How one rule fared on one backend.

    ``status`` is ``passed``, ``failed``, ``error`` or ``not exercised``; for a failure
    ``scenario`` is the minimal failing scenario, ``violations`` what it broke and ``replay`` the
    command that re-runs it. ``coverage`` names what exercised the rule (cassettes, or the
    variants of generated scenarios); ``reason`` says why a rule was not exercised.
    """

    rule: Rule
    backend: str
    status: str
    examples: int = 0
    seconds: float = 0.0
    scenario: Scenario | None = None
    violations: tuple[Violation, ...] = ()
    error: str | None = None
    replay: str | None = None
    coverage: tuple[str, ...] = ()
    reason: str | None = None

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    @property
    def exercised(self) -> bool:
        return self.status != NOT_EXERCISED


@dataclass(frozen=True, slots=True)
class SuiteResult:
    """Every rule's result; ``ok`` when none failed or errored (a rule not exercised is not a
    failure, and not a pass either: see :attr:`not_exercised`)."""

    results: tuple[RuleResult, ...] = field(default_factory=tuple)
    profile: str = "ci"
    target: str = "nemokit"

    @property
    def ok(self) -> bool:
        return all(r.status in ("passed", NOT_EXERCISED) for r in self.results)

    @property
    def failed(self) -> tuple[RuleResult, ...]:
        return tuple(r for r in self.results if r.status in ("failed", "error"))

    @property
    def not_exercised(self) -> tuple[RuleResult, ...]:
        return tuple(r for r in self.results if r.status == NOT_EXERCISED)

    def result(self, rule_id: str, backend: str = "mock") -> RuleResult:
        """The result of ``rule_id`` on ``backend`` (``KeyError`` if it was not run)."""
        for r in self.results:
            if r.rule.id == rule_id.upper() and r.backend == backend:
                return r
        raise KeyError(f"rule {rule_id} was not run on {backend}")


class _RuleFailed(AssertionError):
    pass


def replay_recipe(rule: Rule, scenario: Scenario, client: str | None = None) -> str:
    """The one-line command that re-runs ``scenario`` against ``rule``."""
    target = f" --client {client}" if client else ""
    return (
        f"nemokit conformance{target} --rule {rule.id} --replay {shlex.quote(scenario.to_json())}"
    )


def check_rule(
    rule: Rule,
    factory: AdapterFactory,
    *,
    profile: str = "ci",
    backend: str = "mock",
    client: str | None = None,
) -> RuleResult:
    """Check one rule as a hypothesis property on ``backend`` (``mock`` or ``live``)."""
    failing: list[tuple[Scenario, list[Violation]]] = []
    runs = [0]
    coverage: dict[str, None] = {}
    # The property's source is hypothesis's derandomized seed: ``rule`` is rebound to a judge
    # that also notes what exercised the rule, so the property reads as it always did and the
    # ci profile draws the same scenarios.
    judged, rule = rule, _Covering(rule, coverage)  # type: ignore[assignment]

    @given(scenarios_for(rule.id))
    def prop(scenario: Scenario) -> None:
        runs[0] += 1
        violations = rule.check(scenario, run_scenario(scenario, factory, backend=backend))
        if violations:
            failing.append((scenario, violations))
            raise _RuleFailed(str(violations[0]))

    for pinned in examples_for(rule.id):  # failures found once, run first at every profile
        prop = example(pinned)(prop)
    started = time.perf_counter()
    prop = with_examples(rule.id, prop)  # the variants every profile must reach, first
    configured = settings(_profile(profile), **_COMMON)(prop)  # type: ignore[arg-type]
    try:
        configured()
    except _RuleFailed:
        scenario, violations = failing[-1]
        return RuleResult(
            judged,
            backend,
            "failed",
            runs[0],
            time.perf_counter() - started,
            scenario,
            tuple(violations),
            replay=replay_recipe(judged, scenario, client),
        )
    except Exception as exc:
        return RuleResult(
            judged,
            backend,
            "error",
            runs[0],
            time.perf_counter() - started,
            error=f"{type(exc).__name__}: {exc}",
        )
    seconds = time.perf_counter() - started
    if not coverage:
        why = _unexercised(judged, f"none of the {runs[0]} generated scenarios")
        return RuleResult(judged, backend, NOT_EXERCISED, runs[0], seconds, reason=why)
    return RuleResult(judged, backend, "passed", runs[0], seconds, coverage=tuple(coverage))


class _Covering:
    """A rule whose ``check`` also notes the variant of each run that exercised it."""

    def __init__(self, rule: Rule, coverage: dict[str, None]) -> None:
        self.id, self._rule, self._coverage = rule.id, rule, coverage

    def check(self, scenario: Scenario, observation: Observation) -> list[Violation]:
        if self._rule.occurrences(scenario, observation):
            self._coverage[variant_label(scenario)] = None
        return self._rule.check(scenario, observation)


def _unexercised(rule: Rule, where: str) -> str:
    if rule.subject is None:
        return f"{rule.id} declares no subject, so no run can be said to exercise it"
    return f"{where} made its subject occur: the judge judged nothing"


def _profile(name: str) -> settings:
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown profile {name!r}: use {', '.join(PROFILES)}") from None


def _rules(ids: Iterable[str] | None) -> list[Rule]:
    return list(RULES) if not ids else [rule_by_id(i) for i in ids]


def run_suite(
    factory: AdapterFactory = nemokit_factory,
    *,
    rules: Sequence[str] | None = None,
    profile: str = "ci",
    backend: str = "mock",
    client: str | None = None,
    workers: int = 1,
) -> SuiteResult:
    """Check ``rules`` (all by default) against the client ``factory`` makes.

    ``backend`` is ``mock``, ``live``, ``cassettes`` or ``both`` (mock and cassettes);
    ``client`` is the ``module:factory`` text, used in replay recipes. ``workers`` > 1 checks
    that many rules at a time, each in a worker process with its own client and mock
    (:mod:`._parallel`; ``factory`` must pickle); the results are the same, in the same order.
    Workers are spawned, so a script that calls this needs ``if __name__ == "__main__":``.
    """
    _profile(profile)
    if workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers!r}")
    chosen = _rules(rules)
    backends = {"both": ("mock", "cassettes")}.get(backend, (backend,))
    results: list[RuleResult] = []
    try:
        for name in backends:
            if name == "cassettes":
                results += check_cassettes(chosen, factory)
                continue
            if workers > 1 and len(chosen) > 1:
                from ._parallel import check_in_workers  # it imports check_rule from here

                results += check_in_workers(
                    chosen, factory, workers=workers, profile=profile, backend=name, client=client
                )
                continue
            results += [
                check_rule(r, factory, profile=profile, backend=name, client=client) for r in chosen
            ]
    finally:
        # A driver factory keeps its program between examples (reset, not restarted): end it.
        # (Only a factory's own attribute: a class given as the factory has methods, not this.)
        close = getattr(factory, "close_kept_program", None)
        if callable(close) and not isinstance(factory, type):
            close()
    return SuiteResult(tuple(results), profile, client or "nemokit")


def replay(
    scenario: Scenario | str,
    factory: AdapterFactory = nemokit_factory,
    *,
    rules: Sequence[str] | None = None,
    backend: str = "mock",
) -> tuple[Observation, list[Violation]]:
    """Run one scenario once and judge it with ``rules`` (all by default)."""
    if isinstance(scenario, str):
        scenario = Scenario.from_json(scenario)
    observation = run_scenario(scenario, factory, backend=backend)
    violations = [v for rule in _rules(rules) for v in rule.check(scenario, observation)]
    return observation, violations


def check_cassettes(
    rules: Sequence[Rule],
    factory: AdapterFactory,
    folder: pathlib.Path = CASSETTE_DIR,
    *,
    only: Iterable[str] | None = None,
) -> list[RuleResult]:
    """Every rule judged on every cassette in ``folder`` that stores its user ``steps`` (or only
    the cassettes named in ``only``, by stem)."""
    started = time.perf_counter()
    runs = []
    wanted = None if only is None else set(only)
    for path in sorted(folder.glob("*.json")):
        if wanted is not None and path.stem not in wanted:
            continue
        try:
            runs.append((path.stem, *run_cassette(path, factory)))
        except Exception as exc:
            return [
                RuleResult(
                    rule, "cassettes", "error", error=f"{path.name}: {type(exc).__name__}: {exc}"
                )
                for rule in rules
            ]
    seconds = time.perf_counter() - started
    results = []
    for rule in rules:
        exercised = tuple(name for name, sc, obs in runs if rule.occurrences(sc, obs))
        failed = next(
            (
                (name, scenario, v)
                for name, scenario, obs in runs
                if (v := rule.check(scenario, obs))
            ),
            None,
        )
        if failed is None and not exercised:
            why = _unexercised(rule, f"none of the {len(runs)} committed cassettes")
            results.append(
                RuleResult(rule, "cassettes", NOT_EXERCISED, len(runs), seconds, reason=why)
            )
            continue
        if failed is None:
            results.append(
                RuleResult(rule, "cassettes", "passed", len(runs), seconds, coverage=exercised)
            )
            continue
        name, scenario, violations = failed
        results.append(
            RuleResult(
                rule,
                "cassettes",
                "failed",
                len(runs),
                seconds,
                scenario,
                tuple(violations),
                replay=f"nemokit conformance --backend cassettes --rule {rule.id}  # {name}.json",
                coverage=exercised,
            )
        )
    return results

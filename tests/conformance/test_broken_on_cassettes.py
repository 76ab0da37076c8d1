"""On the cassettes backend, every deliberately broken client is caught by its named rule wherever
a committed cassette exercises that rule; the ones that cannot be are pinned here, with why."""

from __future__ import annotations

import pytest

from conformance.drivers._adapter import nemokit_factory
from conformance.suite._broken import BROKEN_CLIENTS
from conformance.suite._rules import rule_by_id
from conformance.suite._suite import check_cassettes, run_suite

#: bug name → why the committed cassettes cannot catch it (also in docs/conformance.md).
#: Empty: every broken client is caught on cassettes. A new one that is not must be added here,
#: with the reason, or given a cassette that catches it.
_MISS_THEN_PROBLEM = (
    "{what} reaches /run_sse with a message no recording holds: the replay answers it with a "
    "CassetteMiss, the step shows a problem, and T3 judges only steps that did not fail (a failed "
    "step may stop before its routes); the mock backend catches it"
)
BLIND_ON_CASSETTES: dict[str, str] = {
    "chinese_keywords_not_routed": _MISS_THEN_PROBLEM.format(what="a Chinese request (积分)"),
    "drops_chinese_edits_in_mixed_requests": _MISS_THEN_PROBLEM.format(
        what="the mixed request's export clause"
    ),
}


@pytest.fixture(scope="module")
def exercised_by() -> dict[str, tuple[str, ...]]:
    """rule id → the committed cassettes that exercise it (with the reference client)."""
    suite = run_suite(nemokit_factory, backend="cassettes")
    return {r.rule.id: r.coverage for r in suite.results}


@pytest.mark.parametrize("name", sorted(BROKEN_CLIENTS))
def test_broken_client_is_caught_on_the_cassettes(
    name: str, exercised_by: dict[str, tuple[str, ...]]
) -> None:
    factory, rule_id = BROKEN_CLIENTS[name]
    cassettes = exercised_by[rule_id]
    if name in BLIND_ON_CASSETTES:
        pytest.skip(BLIND_ON_CASSETTES[name])
    assert cassettes, f"no committed cassette exercises {rule_id}, so {name} cannot be caught"
    (result,) = check_cassettes([rule_by_id(rule_id)], factory, only=cassettes)
    assert result.status == "failed", f"{name} passed {rule_id} on {', '.join(cassettes)}"
    assert result.violations
    assert all(v.rule == rule_id for v in result.violations)


def test_the_blind_spots_are_pinned(exercised_by: dict[str, tuple[str, ...]]) -> None:
    # Each pinned bug is a real broken client whose rule the cassettes cannot make catch it;
    # one that is caught after all must leave the list.
    assert set(BLIND_ON_CASSETTES) <= set(BROKEN_CLIENTS)
    for name in BLIND_ON_CASSETTES:
        factory, rule_id = BROKEN_CLIENTS[name]
        cassettes = exercised_by[rule_id]
        if cassettes:
            (result,) = check_cassettes([rule_by_id(rule_id)], factory, only=cassettes)
            assert result.status != "failed", f"{name} is caught now: unpin it"

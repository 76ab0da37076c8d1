"""What the ``live`` backend cannot judge yet, and why, so a report says "skipped", not "passed".

A program in another process talks to a :class:`~conformance.drivers.LiveMock` on a scaled
clock; a judge that pairs a request with the mock's turn by exact virtual time cannot do that
there. :func:`live_skips` finds out by running the judges on hand-made live observations.
"""

from __future__ import annotations

from collections.abc import Sequence

from conformance.drivers._protocol import Shown

from ._model import Fault, Observation, Request, Scenario, TurnRecord
from ._rules import RULES, rule_by_id

__all__ = ["live_skips"]

#: Rules whose judge pairs each ``/run_sse`` request with the mock's turn record.
_TURN_RULES = ("S3", "S5", "S6", "S8", "S9")
_RECOVERY_RULE = "S7"
_SKEW = 0.25  # virtual seconds between a request's arrival and its turn on a scaled clock
_WHY = (
    "not judged on a live backend: the judge pairs a /run_sse request with the mock's turn by "
    "exact virtual time, which only the in-process mock's stopped clock gives; on a scaled "
    "clock the turn starts a moment after the request arrives, so the judge would see no turn "
    "and pass without judging"
)


def live_skips(rule_ids: Sequence[str] | None = None) -> dict[str, str]:
    """Rule id → why it is skipped on the ``live`` backend, for ``rule_ids`` (all by default).

    Decided by running the judges on two hand-made live observations whose turn starts
    ``_SKEW`` s after its request: a judge that cannot pair them is skipped, one that can is run
    (so a fix in the judges turns these rules back on without a change here).
    """
    wanted = {r.id for r in RULES} if rule_ids is None else {i.upper() for i in rule_ids}
    skips: dict[str, str] = {}
    if wanted & set(_TURN_RULES) and not _sees_a_skewed_turn():
        skips.update(dict.fromkeys((i for i in _TURN_RULES if i in wanted), _WHY))
    if _RECOVERY_RULE in wanted and not _pairs_a_skewed_recovery():
        skips[_RECOVERY_RULE] = _WHY
    return {i: skips[i] for i in sorted(skips) if _known(i)}


def _known(rule_id: str) -> bool:
    try:
        rule_by_id(rule_id)
    except KeyError:
        return False
    return True


def _canary(time: float, fault: str | None = None) -> tuple[Request, TurnRecord]:
    body = {"new_message": {"parts": [{"text": "trim the pauses"}]}}
    request = Request(1, time, "POST", "/run_sse", "", (), body, 200, fault=fault, step=0)
    turn = TurnRecord(
        "trim the pauses", time + _SKEW, time + 20, ("Done! I trimmed the pauses.",), (), (),
        silent=False, changed=True, kind="edit", applied_at=time + 5, first_text_at=time + 10,
    )  # fmt: skip
    return request, turn


def _sees_a_skewed_turn() -> bool:
    """Whether S8 notices a reply that was not shown when the turn is a moment late."""
    request, turn = _canary(100.0)
    observation = Observation(requests=(request,), turns=(turn,), backend="live")
    return bool(rule_by_id("S8").check(Scenario(), observation))


def _pairs_a_skewed_recovery() -> bool:
    """Whether S7 accepts a recovery that found the edit at the first fetch, turn a moment late."""
    request, turn = _canary(100.0, fault="fault_1")
    fetch = Request(2, 131.0, "GET", "/api/state/nemo_agent/me/1/latest", "", (), None, 200, step=0)
    observation = Observation(
        requests=(request, fetch),
        shown=(Shown("changes", "The connection dropped, but the edit landed.", 0),),
        turns=(turn,),
        backend="live",
    )
    scenario = Scenario(faults=(Fault("run_sse", "cut", cut_after=0),))
    return not rule_by_id(_RECOVERY_RULE).check(scenario, observation)

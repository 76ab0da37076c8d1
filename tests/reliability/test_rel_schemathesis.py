"""Schemathesis against the mock's own ``/openapi.json``, in process (ASGI), every check.

Examples, coverage and fuzzing per operation (``schema.parametrize``) and the stateful phase
(``schema.as_state_machine``), derandomized (a fixed seed) with the hypothesis profile's budget.
The mock runs in the ``http_status`` error style: that is the variant whose statuses the
document lists (in the default style a business error is HTTP 200 + code, which the document
also allows, but then Schemathesis cannot tell a refusal by its status).

Every stateful scenario talks to a mock of its own, made in the state machine's ``setup``.
Schemathesis fills its bundles from responses and picks the next rule from them, so the rules a
scenario can draw depend on what the mock answered; hypothesis requires that the same choices
draw the same way on every run. With one mock shared by every scenario (and by the operations
tested before, which differ per xdist worker) an answer depended on what earlier scenarios had
left behind (a render id already used, a session already made, the virtual time), and hypothesis
stopped with ``FlakyStrategyDefinition``. A fresh mock, same seed, same clock start: a scenario's
answers follow from its own requests alone.

Deep run (about 10 minutes)::

    HYPOTHESIS_PROFILE=thorough pytest tests/reliability/test_rel_schemathesis.py -p no:xdist
"""

from __future__ import annotations

import sys
from typing import Any

import pytest

if sys.version_info < (3, 11):
    pytest.skip("Schemathesis 4 needs Python >= 3.11", allow_module_level=True)
schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, settings  # noqa: E402
from starlette.types import Receive, Scope, Send  # noqa: E402

from mockserver import MockServer  # noqa: E402
from mockserver._config import MockConfig  # noqa: E402
from nemokit import contract  # noqa: E402

CONFIG = MockConfig().replace(
    error_style="http_status", initial_credits=10**9, token_limit_per_ip=10**9, seed=11
)
HEADERS = {
    contract.HEADER_CLIENT_ID: "schemathesis",
    contract.HEADER_SKILL_SOURCE: contract.DEFAULT_SKILL_SOURCE,
    contract.HEADER_SKILL_VERSION: "1.0.0",
    contract.HEADER_SKILL_PLATFORM: "unknown",
}


class _CurrentMock:
    """The ASGI app Schemathesis calls: whichever mock is current, and a token of that mock.

    The schema is loaded once from an app; this one forwards to a mock that :meth:`fresh`
    replaces (each stateful scenario starts with a new one).
    """

    def __init__(self) -> None:
        self.server = MockServer(CONFIG)
        self.token = self._issue()

    def _issue(self) -> str:
        return self.server.state.issue_token(HEADERS[contract.HEADER_CLIENT_ID], "127.0.0.1").token

    def fresh(self) -> None:
        self.server = MockServer(CONFIG)
        self.token = self._issue()

    def server_errors(self) -> list[tuple[str, str, str | None]]:
        """What the current mock journaled with a 5xx status."""
        return [
            (e.method, e.path, e.error)
            for e in self.server.journal.entries()
            if (e.status or 0) >= 500
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.server.app(scope, receive, send)


MOCK = _CurrentMock()
schema = schemathesis.openapi.from_asgi("/openapi.json", MOCK)
schema.config.update(headers=HEADERS)


# No caching (refresh_interval=None): the token must be the current mock's.
@schema.auth(refresh_interval=None)
class _Bearer:
    """The token goes through Schemathesis's auth, so its ST401 check can take it away."""

    def get(self, case: Any, context: Any) -> str:
        return MOCK.token

    def set(self, case: Any, data: str, context: Any) -> None:
        case.headers = case.headers or {}
        case.headers[contract.HEADER_AUTHORIZATION] = f"Bearer {data}"


@pytest.mark.slow
@schema.parametrize()
@settings(derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_conforms(case: Any) -> None:
    """No server error, responses match the document, negative data refused as documented."""
    case.call_and_validate()
    assert MOCK.server_errors() == []


class _FreshMockPerScenario(schema.as_state_machine()):  # type: ignore[misc]
    def setup(self) -> None:
        MOCK.fresh()

    def teardown(self) -> None:
        # Besides Schemathesis's own checks: nothing the mock journaled was a 5xx (a stream that
        # broke after its 200 is journaled with the error, not seen by a status check).
        assert MOCK.server_errors() == []


TestStateful = pytest.mark.slow(_FreshMockPerScenario.TestCase)
TestStateful.settings = settings(
    derandomize=True,
    deadline=None,
    stateful_step_count=8,
    suppress_health_check=list(HealthCheck),
)

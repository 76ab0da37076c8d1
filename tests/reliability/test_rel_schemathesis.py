"""Schemathesis against the mock's own ``/openapi.json``, in process (ASGI), every check.

Examples, coverage and fuzzing per operation (``schema.parametrize``) and the stateful phase
(``schema.as_state_machine``), derandomized (a fixed seed) with the hypothesis profile's budget.
The mock runs in the ``http_status`` error style: that is the variant whose statuses the
document lists (in the default style a business error is HTTP 200 + code, which the document
also allows, but then Schemathesis cannot tell a refusal by its status).

Deep run (about 10 minutes)::

    HYPOTHESIS_PROFILE=thorough pytest tests/reliability/test_rel_schemathesis.py -p no:xdist
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, settings  # noqa: E402

from mockserver import MockServer  # noqa: E402
from mockserver._config import MockConfig  # noqa: E402
from nemokit import contract  # noqa: E402

SERVER = MockServer(
    MockConfig().replace(
        error_style="http_status", initial_credits=10**9, token_limit_per_ip=10**9, seed=11
    )
)
HEADERS = {
    contract.HEADER_CLIENT_ID: "schemathesis",
    contract.HEADER_SKILL_SOURCE: contract.DEFAULT_SKILL_SOURCE,
    contract.HEADER_SKILL_VERSION: "1.0.0",
    contract.HEADER_SKILL_PLATFORM: "unknown",
}


async def _token() -> str:
    transport = httpx.ASGITransport(app=SERVER.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mock.test") as http:
        response = await http.post(contract.PATH_ANONYMOUS_TOKEN, headers=HEADERS)
    token: str = response.json()["data"]["token"]
    return token


TOKEN = asyncio.run(_token())
schema = schemathesis.openapi.from_asgi("/openapi.json", SERVER.app)
schema.config.update(headers=HEADERS)


@schema.auth()
class _Bearer:
    """The token goes through Schemathesis's auth, so its ST401 check can take it away."""

    def get(self, case: Any, context: Any) -> str:
        return TOKEN

    def set(self, case: Any, data: str, context: Any) -> None:
        case.headers = case.headers or {}
        case.headers[contract.HEADER_AUTHORIZATION] = f"Bearer {data}"


@pytest.mark.slow
@schema.parametrize()
@settings(derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_conforms(case: Any) -> None:
    """No server error, responses match the document, negative data refused as documented."""
    case.call_and_validate()


_Stateful = schema.as_state_machine()
TestStateful = pytest.mark.slow(_Stateful.TestCase)
TestStateful.settings = settings(
    derandomize=True,
    deadline=None,
    stateful_step_count=8,
    suppress_health_check=list(HealthCheck),
)


def test_the_run_used_the_mock_and_left_no_server_error() -> None:
    """After the phases above (same module), nothing the mock journaled was a 5xx."""
    errors = [
        (e.method, e.path, e.error) for e in SERVER.journal.entries() if (e.status or 0) >= 500
    ]
    assert errors == []

"""The proxy tests' shared fixture: a misbehaving target on loopback (``_targets.FaultTarget``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from _targets import FaultTarget


@pytest.fixture
def target() -> Iterator[FaultTarget]:
    served = FaultTarget()
    yield served
    served.close()

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# Profiles: `dev` for quick local runs, `ci` derandomized so a CI failure reproduces, `thorough`
# for a deep run (HYPOTHESIS_PROFILE=thorough pytest).
settings.register_profile("dev", max_examples=30, deadline=None)
settings.register_profile(
    "ci",
    max_examples=40,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("thorough", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

"""Hypothesis profiles and the example-count scaling every property test uses.

A test that needs a count other than the profile's default writes
``@settings(max_examples=examples(40))``, never a bare number: a literal pin would override the
profile, so ``HYPOTHESIS_PROFILE=long`` would not raise it (``tests/test_hypothesis_profiles.py``
checks that no test file pins one). ``examples(n)`` is ``n`` times the active profile's
multiplier: 1 for ``ci`` and ``dev``, 50 for ``long`` (whose default is 5,000 = 50 x 100).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

BASE_EXAMPLES = 100
MULTIPLIERS = {"ci": 1, "dev": 1, "long": 50}
"""How many times its written count each profile runs a test."""

settings.register_profile(
    "ci",
    max_examples=BASE_EXAMPLES * MULTIPLIERS["ci"],
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)
settings.register_profile("dev", max_examples=BASE_EXAMPLES * MULTIPLIERS["dev"], deadline=None)
settings.register_profile("long", max_examples=BASE_EXAMPLES * MULTIPLIERS["long"], deadline=None)


def active_profile() -> str:
    """The profile named by ``HYPOTHESIS_PROFILE`` (default ``ci`` under CI, else ``dev``)."""
    return os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev")


def examples(count: int, profile: str | None = None) -> int:
    """``count`` scaled by the profile's multiplier (a profile this module does not know counts 1x)."""
    return max(1, count * MULTIPLIERS.get(profile or active_profile(), 1))


def load() -> None:
    """Activate the profile named by the environment."""
    settings.load_profile(active_profile())

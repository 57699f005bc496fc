"""Shared pytest configuration: hypothesis profiles (tests/hypothesis_profiles.py), the opt-in slow marker."""

from __future__ import annotations

import os

import pytest

from tests import hypothesis_profiles

hypothesis_profiles.load()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip tests marked ``slow`` unless RUSTY_SLOW=1."""
    if os.environ.get("RUSTY_SLOW") == "1":
        return
    skip = pytest.mark.skip(reason="slow: set RUSTY_SLOW=1 to run")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)

"""Ratio reporting for benchmarks: every hot path is reported against the floor it stands on.

A benchmark declares its floor with ``benchmark.extra_info["floor"] = "<name of floor benchmark>"``
(a test name in the same run). After a run with timings (``--benchmark-enable``), the terminal
summary prints ``hot path mean / floor mean`` for each such pair, and ``--benchmark-json`` keeps
the same ``floor`` field so the ratio can be recomputed from the file. Ratios, not seconds, are
what we compare across machines: the shared 2-core machines are too noisy for absolute times.
"""

from __future__ import annotations

from typing import Any

import pytest


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    session = getattr(config, "_benchmarksession", None)
    if session is None or session.disabled:
        return
    means: dict[str, float] = {}
    floors: dict[str, str] = {}
    for bench in session.benchmarks:
        stats = getattr(bench, "stats", None)
        if stats is None:
            continue
        means[bench.name] = stats.mean
        floor = bench.extra_info.get("floor")
        if isinstance(floor, str):
            floors[bench.name] = floor
    if not floors:
        return
    terminalreporter.section("ratios to floors")
    for name, floor in sorted(floors.items()):
        if floor in means and means[floor] > 0:
            terminalreporter.write_line(
                f"{name}: {means[name] * 1e3:.3f} ms = {means[name] / means[floor]:.2f} x {floor} "
                f"({means[floor] * 1e3:.3f} ms)"
            )
        else:
            terminalreporter.write_line(f"{name}: floor {floor} was not run")

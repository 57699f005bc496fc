"""Block propagation across loopback node processes, libp2p against the TCP transport (issue 18,
item 6): a short run of :mod:`tests.benchmarks.propagation_processes` (4 processes per transport,
2 interleaved rounds of 5-transaction blocks, then a late node's full sync). Slow (``RUSTY_SLOW=1``,
about 1.5 min): it starts 10 node processes. The 10-node figures in docs/benchmarks.md come from
``python -m tests.benchmarks.propagation_processes`` (10 processes per transport, 5 rounds).

It checks that the measurement measures: every round's block reached every process (else a
timeout), each transport's compact blocks cost fewer bytes per node than the same blocks as full
blocks, and the ratios are finite and positive. Timings are not pass/fail."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.benchmarks.propagation_processes import run


@pytest.mark.slow
def test_propagation_across_node_processes(tmp_path: Path) -> None:
    result = run(4, 2, 5, tmp_path)
    for transport in ("tcp", "libp2p"):
        assert len(result["seconds"][transport]) == 2
        assert all(peers >= 1 for peers in result["peers"][transport]), result["peers"]
        assert all(b > 0 for b in result["compact_bytes_per_node"][transport])
        assert 0 < result["compact_over_full"][transport] < 1, result
    for ratio in ("time_ratio_libp2p_tcp", "compact_bytes_ratio_libp2p_tcp", "full_bytes_ratio_libp2p_tcp"):
        assert 0 < result[ratio] < 100, result

"""The reference node's per-peer rate limits (node policy, reference/p2p.py) on a fake clock, and who
is banned and how many scores and bans it keeps."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import cast

import pytest
from hypothesis import given
from hypothesis import strategies as st

import reference.p2p
from reference.node import Node
from reference.p2p import BYTE_BURST, P2PService, Peer, RateLimiter
from spec.p2p.messages import Version
from spec.p2p.peers import Violation, score_of
from spec.presets import DEVNET, MAINNET


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_then_the_rate() -> None:
    clock = FakeClock()
    limiter = RateLimiter(rate=10.0, burst=5.0, clock=clock)
    assert [limiter.allow() for _ in range(6)] == [True] * 5 + [False]
    clock.now += 0.25  # 2.5 tokens come back
    assert [limiter.allow() for _ in range(3)] == [True, True, False]
    clock.now += 100.0  # never more than the burst
    assert sum(limiter.allow() for _ in range(10)) == 5


@given(st.lists(st.tuples(st.floats(0, 10), st.floats(0, 20)), max_size=50))
def test_never_more_than_burst_plus_rate_times_elapsed(steps: list[tuple[float, float]]) -> None:
    clock = FakeClock()
    limiter = RateLimiter(rate=3.0, burst=7.0, clock=clock)
    start, taken = clock.now, 0.0
    for wait, cost in steps:
        clock.now += wait
        if limiter.allow(cost):
            taken += cost
    assert taken <= 7.0 + 3.0 * (clock.now - start) + 1e-6


def test_the_byte_burst_holds_two_maximum_messages() -> None:
    for preset in (DEVNET, MAINNET):
        assert 2 * preset.network.max_message_bytes <= BYTE_BURST


class _FakeWriter:
    def close(self) -> None:
        pass

    async def wait_closed(self) -> None:
        pass


def _peer(address: str, node_id: bytes | None = None) -> Peer:
    peer = Peer(cast(asyncio.StreamReader, None), cast(asyncio.StreamWriter, _FakeWriter()), address, False)
    if node_id is not None:
        peer.version = Version(1, 1, node_id, 0, 0, 0, b"")
        peer.verack = True
    return peer


def test_bans_are_keyed_by_ip_before_the_handshake_and_by_node_id_after(tmp_path: Path) -> None:
    node = Node.init(tmp_path / "node", "devnet")
    try:
        service = P2PService(node, 0)
        for port in (5001, 5002):  # two connections from one address, different ephemeral ports
            asyncio.run(service._punish(_peer(f"10.1.2.3:{port}"), Violation.MALFORMED_MESSAGE))
        assert service.banned == ["10.1.2.3"]
        assert score_of(service.scores, "10.1.2.3") == 200
        asyncio.run(service._punish(_peer("10.9.9.9:7", bytes(32)), Violation.INVALID_BLOCK))
        assert service.banned == sorted(["10.1.2.3", bytes(32).hex()])
    finally:
        node.close()


def test_score_and_ban_tables_are_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reference.p2p, "MAX_SCORED_PEERS", 50)
    monkeypatch.setattr(reference.p2p, "MAX_BANNED_PEERS", 20)
    node = Node.init(tmp_path / "node", "devnet")
    try:
        service = P2PService(node, 0)
        for i in range(300):  # one misbehaving connection each from 300 addresses
            violation = Violation.WRONG_MAGIC if i % 2 else Violation.UNKNOWN_COMMAND
            asyncio.run(service._punish(_peer(f"10.0.{i // 256}.{i % 256}:1"), violation))
            assert len(service.scores.by_peer) <= 50 and len(service.scored_at) <= 50
            assert len(service.bans) <= 20
        assert "10.0.1.43" in service.bans  # the newest ban is kept
        assert score_of(service.scores, "10.0.1.43") == 100
        assert score_of(service.scores, "10.0.0.0") == 0  # the oldest score was forgotten
    finally:
        node.close()

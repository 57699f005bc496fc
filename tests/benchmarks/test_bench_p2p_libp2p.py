"""Gossip receive path of the libp2p protocol (P2P-LP-2/5) against its floor: a compact block of a
2,000-transaction block.

The hot path is what the bridge's validator does for each compact block arriving on gossipsub:
the message id (P2P-LP-2), decoding the data on its topic, and the decision (P2P-LP-5). The floor
is what the old transport does for the same compact block: decoding its P2P-1 frame (checksum and
payload decode). The ratio says what the libp2p layer's spec functions cost over the frame decode
(Noise, yamux and gossipsub themselves are py-libp2p's, not timed here).

Timed over 20 rounds each. Under ``--benchmark-disable`` (CI smoke mode) each body runs once.
"""

from __future__ import annotations

from functools import cache

from pytest_benchmark.fixture import BenchmarkFixture

from conformance.generators.p2p import synthetic_block
from spec.p2p.compact import make_compact_block
from spec.p2p.libp2p import (
    GossipDecision,
    TopicKind,
    compute_gossip_validation,
    compute_message_id,
    decode_gossip_data,
    encode_gossip_data,
    topic_name,
)
from spec.p2p.messages import CompactBlock, decode_frame, encode_frame
from spec.presets import DEVNET

PRESET = DEVNET
BLOCK_TXS = 2_000


@cache
def compact() -> CompactBlock:
    return make_compact_block(synthetic_block("bench/libp2p", BLOCK_TXS, PRESET), 0xC0FFEE, [], PRESET)


def gossip_receive(topic: str, data: bytes) -> GossipDecision:
    compute_message_id(topic, data)
    decode_gossip_data(TopicKind.COMPACT_BLOCK, data, PRESET)
    return compute_gossip_validation(TopicKind.COMPACT_BLOCK, None).decision


def test_floor_decode_compact_frame(benchmark: BenchmarkFixture) -> None:
    frame = encode_frame(compact(), PRESET)
    benchmark.extra_info["bytes"] = len(frame)
    message = benchmark.pedantic(decode_frame, (frame, PRESET), rounds=20, iterations=1)  # type: ignore[no-untyped-call]
    assert message == compact()


def test_gossip_receive_compact_block(benchmark: BenchmarkFixture) -> None:
    kind, data = encode_gossip_data(compact(), PRESET)
    topic = topic_name(PRESET, kind)
    benchmark.extra_info["bytes"] = len(data)
    decision = benchmark.pedantic(gossip_receive, (topic, data), rounds=20, iterations=1)  # type: ignore[no-untyped-call]
    assert decision is GossipDecision.ACCEPT

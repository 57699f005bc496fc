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
from conformance.handlers.p2p_libp2p import active_masternodes
from spec.crypto import bls
from spec.crypto.ed25519 import public_key_from_seed
from spec.masternode.registry import MasternodeList
from spec.p2p.compact import make_compact_block
from spec.p2p.libp2p import (
    GossipDecision,
    TopicKind,
    check_operator_record_entry,
    compute_gossip_validation,
    compute_message_id,
    compute_peer_id,
    decode_gossip_data,
    decode_operator_peer_record,
    encode_gossip_data,
    encode_operator_peer_record,
    make_operator_peer_record,
    operator_record_key,
    operator_record_message,
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


# P2P-LP-8: the DHT validator of an operator peer record against one bare BLS verification


MASTERNODE_COUNT = 5_000
"""A mainnet-sized masternode list: the validator's registration lookup scans its ACTIVE entries."""


@cache
def record_entry() -> tuple[bytes, bytes, MasternodeList, bytes]:
    secret = bls.key_gen(bytes(range(32)))
    peer_id = compute_peer_id(public_key_from_seed(bytes(32)))
    record = make_operator_peer_record(secret, peer_id, (b"/ip4/127.0.0.1/tcp/9444",), 7, PRESET)
    others = [bls.sk_to_pk(bls.key_gen(i.to_bytes(32, "big"))) for i in range(1, 8)]
    keys = [others[i % len(others)] for i in range(MASTERNODE_COUNT - 1)] + [record.operator_public_key]
    message = operator_record_message(
        record.operator_public_key, peer_id, record.addresses, record.sequence, PRESET
    )
    key = operator_record_key(record.operator_public_key, PRESET)
    return key, encode_operator_peer_record(record), active_masternodes(keys), message


def test_floor_operator_record_verify(benchmark: BenchmarkFixture) -> None:
    """Floor: the bare BLS verification of the record's signature (arkworks)."""
    _, value, _, message = record_entry()
    record = decode_operator_peer_record(value)
    with bls.use_backend("arkworks"):
        assert benchmark(lambda: bls.verify(record.operator_public_key, message, record.signature))


def test_operator_record_entry(benchmark: BenchmarkFixture) -> None:
    """P2P-LP-8 on a 5,000-masternode list: decode, key, registration, signature."""
    benchmark.extra_info["floor"] = "test_floor_operator_record_verify"
    key, value, masternodes, _ = record_entry()
    with bls.use_backend("arkworks"):
        record = benchmark(lambda: check_operator_record_entry(key, value, masternodes, PRESET))
    assert record.sequence == 7

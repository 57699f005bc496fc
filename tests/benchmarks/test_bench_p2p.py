"""Compact block reconstruction against its floor: a 2,000-transaction block.

The hot path is what a node does when a compact block arrives (P2P-CMPCT-3/5): decode the
CompactBlock frame, key the short ids, compute the short id of every mempool transaction (the
mempool holds the block's 2,000 transactions and 2,000 others), fill the slots and check the
header's Merkle roots (which re-hashes every transaction: the reconstructed block must be the
identical block). The floor is decoding the same block from its full bytes, what the node would do
with a full Block message: the ratio says what compact relay costs in CPU compared with receiving
the whole block (it saves the bandwidth of 2,000 transactions).

Timed over 5 rounds each. Under ``--benchmark-disable`` (CI smoke mode) each body runs once;
building the scenario is a fraction of a second.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from pytest_benchmark.fixture import BenchmarkFixture

from conformance.generators.p2p import synthetic_block, synthetic_transaction
from spec.chain.block import Block, decode_block, encode_block
from spec.ledger.transaction import Transaction, wtxid
from spec.p2p.compact import PartialBlock, make_compact_block, reconstruct
from spec.p2p.messages import CompactBlock, decode_frame, encode_frame
from spec.presets import DEVNET

PRESET = DEVNET
BLOCK_TXS = 2_000
OTHER_TXS = 2_000


@dataclass(frozen=True)
class Scenario:
    """The block, its bytes, its compact frame and a mempool (keyed by wtxid) holding all of it."""

    block: Block
    raw_block: bytes
    compact_frame: bytes
    mempool: dict[bytes, Transaction]


@cache
def scenario() -> Scenario:
    block = synthetic_block("bench", BLOCK_TXS, PRESET)
    others = [synthetic_transaction(f"bench/other/{i}") for i in range(OTHER_TXS)]
    mempool = {wtxid(tx, PRESET): tx for tx in (*block.transactions[1:], *others)}
    frame = encode_frame(make_compact_block(block, 0xC0FFEE, [], PRESET), PRESET)
    return Scenario(block, encode_block(block, PRESET), frame, mempool)


def test_floor_decode_full_block(benchmark: BenchmarkFixture) -> None:
    bench = scenario()
    benchmark.extra_info["transactions"] = BLOCK_TXS
    # pytest-benchmark leaves pedantic() unannotated.
    block = benchmark.pedantic(decode_block, (bench.raw_block, PRESET), rounds=5, iterations=1)  # type: ignore[no-untyped-call]
    assert block == bench.block


def _receive_compact(frame: bytes, mempool: dict[bytes, Transaction]) -> PartialBlock:
    compact = decode_frame(frame, PRESET)
    assert isinstance(compact, CompactBlock)
    return reconstruct(compact, mempool, PRESET)


def test_reconstruct_compact_block(benchmark: BenchmarkFixture) -> None:
    bench = scenario()
    benchmark.extra_info["floor"] = "test_floor_decode_full_block"
    benchmark.extra_info["transactions"] = BLOCK_TXS
    benchmark.extra_info["mempool"] = len(bench.mempool)
    arguments = (bench.compact_frame, bench.mempool)
    partial: PartialBlock = benchmark.pedantic(_receive_compact, arguments, rounds=5, iterations=1)  # type: ignore[no-untyped-call]
    assert partial.missing == ()
    assert partial.block == bench.block
    assert len(bench.compact_frame) < len(bench.raw_block) // 10

"""Benchmark of SNAP-9 (spec/chain/snapshot_finality.py) against the floor it stands on (arkworks).

**Checking a snapshot's finality** as the fast-sync client does once per announcing peer after
assembly: the header-chain checks, reading and decoding the finality quorum's record from the
verified items (FIN-2 names it), verifying the certificate under its key (FORK-3). Floor: one bare
``bls.verify`` of the same signature. The items are those of a full devnet state (the 60-block
chain of conformance/quorumtriechain.py at height 55), so the lookup is a dictionary read among
the real item count.
"""

from __future__ import annotations

from pytest_benchmark.fixture import BenchmarkFixture

from conformance.quorumtriechain import state_trie_quorum_chain
from spec.chain.block import block_hash
from spec.chain.commitment import compute_committed_items
from spec.chain.forkchoice import finality_message
from spec.chain.snapshot_finality import check_snapshot_finality, snapshot_finality_key
from spec.chain.state import tip_state_layout
from spec.crypto import bls
from spec.ledger.state_snapshot import make_state_snapshot
from spec.presets import DEVNET

CHAIN = state_trie_quorum_chain(DEVNET, 60)
HASHES = [block_hash(b.header, DEVNET) for b in CHAIN.blocks]
STATE = CHAIN.builder.states[56]
ITEMS = compute_committed_items(STATE, tip_state_layout(STATE, DEVNET), DEVNET)
MANIFEST, _ = make_state_snapshot(ITEMS, HASHES[55], 55, DEVNET)
CERTIFICATE = CHAIN.certificate(57)
KEY = snapshot_finality_key(ITEMS, CERTIFICATE.height, DEVNET)


def test_bench_snapshot_finality_floor(benchmark: BenchmarkFixture) -> None:
    """Floor: one bare BLS verification of the certificate's signature."""
    message = finality_message(CERTIFICATE.height, CERTIFICATE.block_hash)
    with bls.use_backend("arkworks"):
        assert benchmark(lambda: bls.verify(KEY, message, CERTIFICATE.signature))


def test_bench_snapshot_finality(benchmark: BenchmarkFixture) -> None:
    """SNAP-9 on a full devnet state: chain checks, record lookup and decoding, verification."""
    benchmark.extra_info["floor"] = "test_bench_snapshot_finality_floor"
    with bls.use_backend("arkworks"):
        benchmark(lambda: check_snapshot_finality(MANIFEST, CERTIFICATE, HASHES, ITEMS, DEVNET))

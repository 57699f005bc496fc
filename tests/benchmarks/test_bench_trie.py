"""Benchmarks of the Merkle Patricia Trie (spec/trie.py) side by side with py-trie (pytest-benchmark).

Run with ``pytest tests/benchmarks/test_bench_trie.py --benchmark-enable``; CI runs each once with
``--benchmark-disable``, where every benchmark is a quick correctness check (both tries must give
the same root for the same 1,000 keys).

How to read the figures: ``test_bench_insert_1000[spec]`` and ``test_bench_insert_1000[py-trie]``
do the same work: 1,000 inserts of random 32-byte keys (with 32-byte values) into an empty trie,
then the root, both hashing with keccak-256 (our :data:`ETHEREUM_TRIE_HASHER`). Divide the spec's
mean by py-trie's: a ratio near 1 means the persistent, path-copying spec trie costs what a
production-style mutable trie over a node database costs; above 1 is the price of immutability
(each insert rebuilds and re-hashes the O(log16 n) nodes on its path in both designs, so the ratio
should stay roughly constant as n grows). ``trie_root`` (the definitional root from the whole set)
is listed as a third line: it hashes every node exactly once, so it is a lower bound for the
incremental tries. Proof generation and verification are per key and only measured for the spec.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pytest_benchmark.fixture import BenchmarkFixture
from trie.hexary import HexaryTrie

from conformance.seeded import seeded_bytes
from spec.trie import ETHEREUM_TRIE_HASHER, RUSTY_TRIE_HASHER, Trie, prove, trie_root, verify_proof

COUNT = 1000
KEYS = [seeded_bytes(f"bench/trie/key/{i}", 32) for i in range(COUNT)]
VALUES = [seeded_bytes(f"bench/trie/value/{i}", 32) for i in range(COUNT)]
ITEMS = dict(zip(KEYS, VALUES, strict=True))
EXPECTED_ROOT = trie_root(ITEMS, ETHEREUM_TRIE_HASHER)
RUSTY_TRIE = Trie.from_items(ITEMS, RUSTY_TRIE_HASHER)
PROBES = KEYS[:: COUNT // 20]


def _spec_insert() -> bytes:
    trie = Trie(ETHEREUM_TRIE_HASHER)
    for key, value in zip(KEYS, VALUES, strict=True):
        trie = trie.insert(key, value)
    return trie.root_hash


def _pytrie_insert() -> bytes:
    reference = HexaryTrie(db={})
    for key, value in zip(KEYS, VALUES, strict=True):
        reference[key] = value
    root: bytes = reference.root_hash
    return root


def _definitional() -> bytes:
    return trie_root(ITEMS, ETHEREUM_TRIE_HASHER)


IMPLEMENTATIONS: dict[str, Callable[[], bytes]] = {
    "spec": _spec_insert,
    "py-trie": _pytrie_insert,
    "trie_root": _definitional,
}


@pytest.mark.parametrize("implementation", list(IMPLEMENTATIONS))
def test_bench_insert_1000(benchmark: BenchmarkFixture, implementation: str) -> None:
    """1,000 random keys inserted, then the root (keccak-256 for all three)."""
    assert benchmark(IMPLEMENTATIONS[implementation]) == EXPECTED_ROOT


def test_bench_insert_1000_rusty(benchmark: BenchmarkFixture) -> None:
    """The same with Rusty Coin's BLAKE3 hasher (shows the hash function's share of the cost)."""

    def run() -> bytes:
        trie = Trie(RUSTY_TRIE_HASHER)
        for key, value in zip(KEYS, VALUES, strict=True):
            trie = trie.insert(key, value)
        return trie.root_hash

    assert benchmark(run) == RUSTY_TRIE.root_hash


def test_bench_prove_20(benchmark: BenchmarkFixture) -> None:
    """Proofs of 20 keys in the 1,000-key trie."""
    proofs = benchmark(lambda: [prove(RUSTY_TRIE, key) for key in PROBES])
    assert all(3 <= len(proof) <= 5 for proof in proofs)


def test_bench_verify_20(benchmark: BenchmarkFixture) -> None:
    """Verification of 20 inclusion proofs against the root."""
    root = RUSTY_TRIE.root_hash
    proofs = [prove(RUSTY_TRIE, key) for key in PROBES]

    def run() -> list[bytes | None]:
        return [
            verify_proof(root, key, proof, RUSTY_TRIE_HASHER)
            for key, proof in zip(PROBES, proofs, strict=True)
        ]

    assert benchmark(run) == [ITEMS[key] for key in PROBES]

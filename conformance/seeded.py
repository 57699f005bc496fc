"""Deterministic pseudo-random inputs for generators, tests and the test wallet."""

from __future__ import annotations

from spec.hashing import HashDomain, tagged_hash_many


def seeded_bytes(label: str, length: int) -> bytes:
    """``length`` bytes derived from ``label`` only (BLAKE3 in counter mode under TEST_VECTOR_SEED)."""
    out = bytearray()
    counter = 0
    while len(out) < length:
        out += tagged_hash_many(HashDomain.TEST_VECTOR_SEED, (label.encode(), counter.to_bytes(8, "little")))
        counter += 1
    return bytes(out[:length])

"""Vectors of the ``hashing`` flow: every domain on fixed inputs, plus an unknown domain; prefix
proofs (HASH-2) over every shape of BLAKE3's chunk tree up to five chunks, and invalid proofs."""

from __future__ import annotations

from collections.abc import Iterator

from conformance.model import CaseSpec
from conformance.seeded import seeded_bytes
from spec.hashing import HashDomain, tagged_hash
from spec.prefix_proof import CHUNK_LEN, prefix_proof
from spec.presets import Preset

_INPUT_LENGTHS = (0, 1, 64, 1025)
"""Empty input, one byte, one BLAKE3 block, and just over one BLAKE3 chunk (1024 bytes)."""


def generate(preset: Preset) -> Iterator[CaseSpec]:
    """HASH-1 vectors for every domain and several input lengths; one unknown-domain rejection."""
    for domain in HashDomain:
        for length in _INPUT_LENGTHS:
            data = seeded_bytes(f"hashing/{domain.name}/{length}", length)
            yield CaseSpec(
                "tagged_hash",
                f"{domain.name.lower()}_{length}_bytes",
                f"{domain.name} over {length} pseudo-random bytes",
                {"domain": domain.name, "data": data.hex()},
            )
    yield CaseSpec(
        "tagged_hash",
        "unknown_domain",
        "a domain name the protocol does not define",
        {"domain": "NOT_A_DOMAIN", "data": ""},
        expect_error="HASH_UNKNOWN_DOMAIN",
    )

    yield from _prefix_cases()


_PREFIX_LENGTHS = (0, 1, 63, 64, 65, 1023, 1024, 1025, 2048, 2049, 3072, 3073, 4096, 4097, 5000)
"""Empty, inside one block, block boundaries, one chunk exactly, and 2, 3, 4 and 5 chunks (the
left subtree is the largest power of two of chunks below the count), each at and past a boundary."""
_PREFIX_DOMAINS = (HashDomain.DKG_MESSAGE, HashDomain.TRANSACTION_ID)


def _prefix_cases() -> Iterator[CaseSpec]:
    """HASH-2: proofs of many message lengths, their digests recomputed, and rejected proofs."""
    for domain in _PREFIX_DOMAINS:
        for length in _PREFIX_LENGTHS:
            data = seeded_bytes(f"hashing/prefix/{domain.name}/{length}", length)
            first, siblings = prefix_proof(domain, data)
            name = f"{domain.name.lower()}_{length}_bytes"
            yield CaseSpec(
                "prefix_proof",
                name,
                f"HASH-2: the prefix proof of {length} bytes under {domain.name}",
                {"domain": domain.name, "data": data.hex()},
            )
            yield CaseSpec(
                "digest_from_prefix",
                name,
                f"HASH-2: the digest of {length} bytes from their first chunk and {len(siblings)} siblings",
                {"domain": domain.name, "first_chunk": first.hex(), "siblings": [s.hex() for s in siblings]},
            )
    domain = HashDomain.DKG_MESSAGE
    data = seeded_bytes("hashing/prefix/bad", 3 * CHUNK_LEN + 7)
    first, siblings = prefix_proof(domain, data)
    assert tagged_hash(domain, data) != tagged_hash(domain, first)
    bad: list[tuple[str, str, bytes, list[bytes]]] = [
        ("short_sibling", "a sibling of 31 bytes", first, [siblings[0][:31], *siblings[1:]]),
        ("long_sibling", "a sibling of 33 bytes", first, [*siblings[:-1], siblings[-1] + b"\0"]),
        ("short_chunk_siblings", "1,023 bytes of first chunk with siblings", first[:-1], list(siblings)),
        ("long_chunk_siblings", "1,025 bytes of first chunk with siblings", first + b"\0", list(siblings)),
        ("long_chunk_alone", "a first chunk of 1,025 bytes and no sibling", first + b"\0", []),
        ("empty_chunk_with_sibling", "an empty first chunk with one sibling", b"", [siblings[0]]),
    ]
    for name, what, chunk, sibs in bad:
        yield CaseSpec(
            "digest_from_prefix",
            name,
            f"HASH-2: {what}",
            {"domain": domain.name, "first_chunk": chunk.hex(), "siblings": [s.hex() for s in sibs]},
            expect_error="HASH_BAD_PREFIX_PROOF",
        )
    yield CaseSpec(
        "digest_from_prefix",
        "unknown_domain",
        "a domain name the protocol does not define",
        {"domain": "NOT_A_DOMAIN", "first_chunk": "", "siblings": []},
        expect_error="HASH_UNKNOWN_DOMAIN",
    )

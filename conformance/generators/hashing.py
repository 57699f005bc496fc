"""Vectors of the ``hashing`` flow: every domain on fixed inputs, plus an unknown domain."""

from __future__ import annotations

from collections.abc import Iterator

from conformance.model import CaseSpec
from conformance.seeded import seeded_bytes
from spec.hashing import HashDomain
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

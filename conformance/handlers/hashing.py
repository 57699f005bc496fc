"""Handlers of the ``hashing`` flow (spec/hashing.py, and the prefix proofs of spec/prefix_proof.py)."""

from __future__ import annotations

from conformance.jsonio import hex_field, hex_list_field, str_field, to_hex
from conformance.model import JSON, Handler
from spec.hashing import domain_by_name, tagged_hash
from spec.prefix_proof import digest_from_prefix, prefix_proof, tree_hash
from spec.presets import Preset


def handle_tagged_hash(preset: Preset, data: dict[str, JSON]) -> JSON:
    """HASH-1: ``{"domain": NAME, "data": hex}`` -> ``{"hash": hex}``."""
    domain = domain_by_name(str_field(data, "domain"))
    return {"hash": to_hex(tagged_hash(domain, hex_field(data, "data")))}


def handle_prefix_proof(preset: Preset, data: dict[str, JSON]) -> JSON:
    """HASH-2: ``{"domain": NAME, "data": hex}`` -> ``{"first_chunk": hex, "siblings": [hex],
    "hash": hex}``: the first 1,024-byte chunk of ``data``, the chaining values of the right-hand
    subtrees along the leftmost path of BLAKE3's chunk tree (bottom-up), and ``H(domain, data)``."""
    domain = domain_by_name(str_field(data, "domain"))
    message = hex_field(data, "data")
    first_chunk, siblings = prefix_proof(domain, message)
    return {
        "first_chunk": to_hex(first_chunk),
        "siblings": [to_hex(s) for s in siblings],
        "hash": to_hex(tree_hash(domain, message)),
    }


def handle_digest_from_prefix(preset: Preset, data: dict[str, JSON]) -> JSON:
    """HASH-2: ``{"domain": NAME, "first_chunk": hex, "siblings": [hex]}`` -> ``{"hash": hex}``, the
    tagged hash of every message with that first chunk and those right subtrees;
    ``HASH_BAD_PREFIX_PROOF`` for a sibling that is not 32 bytes, a first chunk that is not exactly
    1,024 bytes when there are siblings, or longer than 1,024 bytes."""
    domain = domain_by_name(str_field(data, "domain"))
    digest = digest_from_prefix(domain, hex_field(data, "first_chunk"), hex_list_field(data, "siblings"))
    return {"hash": to_hex(digest)}


HANDLERS: dict[str, Handler] = {
    "tagged_hash": handle_tagged_hash,
    "prefix_proof": handle_prefix_proof,
    "digest_from_prefix": handle_digest_from_prefix,
}

"""Handlers of the ``merkle`` flow (spec/merkle.py)."""

from __future__ import annotations

from conformance.jsonio import hex_field, hex_list_field, int_field, to_hex
from conformance.model import JSON, Handler
from spec.merkle import inclusion_proof, merkle_root, verify_inclusion_proof
from spec.presets import Preset


def handle_root(preset: Preset, data: dict[str, JSON]) -> JSON:
    """MERKLE-2: ``{"leaves": [hex]}`` -> ``{"root": hex}``."""
    return {"root": to_hex(merkle_root(hex_list_field(data, "leaves")))}


def handle_proof(preset: Preset, data: dict[str, JSON]) -> JSON:
    """MERKLE-3: ``{"leaves": [hex], "index": int}`` -> ``{"proof": [hex]}``."""
    proof = inclusion_proof(hex_list_field(data, "leaves"), int_field(data, "index"))
    return {"proof": [to_hex(h) for h in proof]}


def handle_verify_proof(preset: Preset, data: dict[str, JSON]) -> JSON:
    """MERKLE-4: ``{"leaf", "index", "count", "proof", "root"}`` -> ``{"valid": true}`` or a rejection."""
    verify_inclusion_proof(
        hex_field(data, "leaf"),
        int_field(data, "index"),
        int_field(data, "count"),
        hex_list_field(data, "proof"),
        hex_field(data, "root"),
    )
    return {"valid": True}


HANDLERS: dict[str, Handler] = {
    "root": handle_root,
    "proof": handle_proof,
    "verify_proof": handle_verify_proof,
}

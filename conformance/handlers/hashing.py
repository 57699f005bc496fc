"""Handlers of the ``hashing`` flow (spec/hashing.py)."""

from __future__ import annotations

from conformance.jsonio import hex_field, str_field, to_hex
from conformance.model import JSON, Handler
from spec.hashing import domain_by_name, tagged_hash
from spec.presets import Preset


def handle_tagged_hash(preset: Preset, data: dict[str, JSON]) -> JSON:
    """HASH-1: ``{"domain": NAME, "data": hex}`` -> ``{"hash": hex}``."""
    domain = domain_by_name(str_field(data, "domain"))
    return {"hash": to_hex(tagged_hash(domain, hex_field(data, "data")))}


HANDLERS: dict[str, Handler] = {"tagged_hash": handle_tagged_hash}

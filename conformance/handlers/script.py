"""Handlers of the ``script`` flow (spec/script.py, FerrisScript v1).

``evaluate`` needs a signature checker, which the transaction layer normally provides. Vectors
describe a *table checker* instead, so that an implementation can run them without any
transaction, signature hash or Ed25519 code (input fields, all optional):

* ``valid_signatures``: ``[[signature_hex, public_key_hex], ...]``; ``check_signature(s, k)`` is
  true iff ``[s, k]`` is in the list (the bytes are opaque test data, not real Ed25519 values);
* ``malformed_public_keys``: ``[public_key_hex, ...]``; ``check_signature(s, k)`` with ``k`` in
  the list raises ``ED25519_INVALID_PUBLIC_KEY`` (as a real checker does for a point off the
  curve) -- this pins *which* comparisons the interpreter makes;
* ``max_lock_time``: ``check_lock_time(n)`` is ``n <= max_lock_time`` (absent: always false);
* ``max_sequence``: ``check_sequence(n)`` is ``n <= max_sequence`` (absent: always false).
"""

from __future__ import annotations

from dataclasses import dataclass

from conformance.jsonio import from_hex, hex_field, hex_list_field, int_field, to_hex
from conformance.model import JSON, BadInput, Handler
from spec.errors import InvalidEd25519PublicKey
from spec.presets import Preset
from spec.script import (
    count_sigops,
    decode_number,
    encode_number,
    evaluate,
    is_null_data,
    is_p2pkh,
    is_unspendable,
    match_multisig,
    multisig_script,
    multisig_script_sig,
    null_data_script,
    op_to_asm,
    p2pkh_script,
    p2pkh_script_sig,
    parse_script,
)


@dataclass(frozen=True)
class TableChecker:
    """The signature checker a vector describes (see the module docstring)."""

    valid_signatures: frozenset[tuple[bytes, bytes]]
    malformed_public_keys: frozenset[bytes]
    max_lock_time: int | None
    max_sequence: int | None

    def check_signature(self, signature: bytes, public_key: bytes) -> bool:
        """True iff the pair is listed; ``ED25519_INVALID_PUBLIC_KEY`` for a listed malformed key."""
        if public_key in self.malformed_public_keys:
            raise InvalidEd25519PublicKey(f"table checker: {public_key.hex()} is malformed")
        return (signature, public_key) in self.valid_signatures

    def check_lock_time(self, lock_time: int) -> bool:
        """``lock_time <= max_lock_time``."""
        return self.max_lock_time is not None and lock_time <= self.max_lock_time

    def check_sequence(self, sequence: int) -> bool:
        """``sequence <= max_sequence``."""
        return self.max_sequence is not None and sequence <= self.max_sequence


def _optional_int(data: dict[str, JSON], name: str) -> int | None:
    return int_field(data, name) if data.get(name) is not None else None


def checker_from_json(data: dict[str, JSON]) -> TableChecker:
    """The table checker of an ``evaluate`` input."""
    pairs = data.get("valid_signatures", [])
    if not isinstance(pairs, list):
        raise BadInput("valid_signatures must be a list")
    valid: set[tuple[bytes, bytes]] = set()
    for index, pair in enumerate(pairs):
        if not isinstance(pair, list) or len(pair) != 2:
            raise BadInput(f"valid_signatures[{index}] must be [signature, public_key]")
        valid.add((from_hex(pair[0], "signature"), from_hex(pair[1], "public_key")))
    malformed = hex_list_field(data, "malformed_public_keys") if "malformed_public_keys" in data else []
    return TableChecker(
        valid_signatures=frozenset(valid),
        malformed_public_keys=frozenset(malformed),
        max_lock_time=_optional_int(data, "max_lock_time"),
        max_sequence=_optional_int(data, "max_sequence"),
    )


def handle_parse(preset: Preset, data: dict[str, JSON]) -> JSON:
    """SCRIPT-1..7: ``{"script"}`` -> ``{"ops": [asm]}`` (``OP_0``, ``OP_1``..``OP_16``, hex, names)."""
    ops = parse_script(hex_field(data, "script"), preset.script)
    return {"ops": [op_to_asm(op) for op in ops]}


def handle_evaluate(preset: Preset, data: dict[str, JSON]) -> JSON:
    """SCRIPT-1..18: ``{"script_sig", "script_pubkey", checker fields}`` -> ``{"valid": true}``."""
    evaluate(
        hex_field(data, "script_sig"),
        hex_field(data, "script_pubkey"),
        checker_from_json(data),
        preset.script,
    )
    return {"valid": True}


def handle_count_sigops(preset: Preset, data: dict[str, JSON]) -> JSON:
    """SCRIPT-9: ``{"script"}`` -> ``{"sigops": int}``."""
    return {"sigops": count_sigops(hex_field(data, "script"), preset.script)}


def handle_classify(preset: Preset, data: dict[str, JSON]) -> JSON:
    """SCRIPT-19: ``{"script"}`` -> ``{"template", "unspendable"}``; template is p2pkh, multisig,
    null_data or none (never an error: any bytes may be classified)."""
    script = hex_field(data, "script")
    template = "none"
    if is_p2pkh(script):
        template = "p2pkh"
    elif match_multisig(script, preset.script) is not None:
        template = "multisig"
    elif is_null_data(script, preset.script):
        template = "null_data"
    return {"template": template, "unspendable": is_unspendable(script, preset.script)}


def handle_p2pkh_script(preset: Preset, data: dict[str, JSON]) -> JSON:
    """SCRIPT-19: ``{"key_hash"}`` -> ``{"script"}``."""
    return {"script": to_hex(p2pkh_script(hex_field(data, "key_hash")))}


def handle_p2pkh_script_sig(preset: Preset, data: dict[str, JSON]) -> JSON:
    """SCRIPT-19: ``{"signature", "public_key"}`` -> ``{"script_sig"}`` (spends a P2PKH output)."""
    script_sig = p2pkh_script_sig(hex_field(data, "signature"), hex_field(data, "public_key"))
    return {"script_sig": to_hex(script_sig)}


def handle_multisig_script_sig(preset: Preset, data: dict[str, JSON]) -> JSON:
    """SCRIPT-19: ``{"signatures"}`` -> ``{"script_sig"}`` (spends a multisig output, key order)."""
    return {"script_sig": to_hex(multisig_script_sig(hex_list_field(data, "signatures")))}


def handle_multisig_script(preset: Preset, data: dict[str, JSON]) -> JSON:
    """SCRIPT-19: ``{"required", "public_keys"}`` -> ``{"script"}``."""
    script = multisig_script(int_field(data, "required"), hex_list_field(data, "public_keys"), preset.script)
    return {"script": to_hex(script)}


def handle_null_data_script(preset: Preset, data: dict[str, JSON]) -> JSON:
    """SCRIPT-19: ``{"payload"}`` -> ``{"script"}``."""
    return {"script": to_hex(null_data_script(hex_field(data, "payload"), preset.script))}


def handle_decode_number(preset: Preset, data: dict[str, JSON]) -> JSON:
    """SCRIPT-14: ``{"element"}`` -> ``{"value": int}``."""
    return {"value": decode_number(hex_field(data, "element"))}


def handle_encode_number(preset: Preset, data: dict[str, JSON]) -> JSON:
    """SCRIPT-14: ``{"value": int}`` -> ``{"element"}``."""
    value = int_field(data, "value")
    if abs(value) >= 2**63:
        raise BadInput("value must be in [-(2**63 - 1), 2**63 - 1]")
    return {"element": to_hex(encode_number(value))}


HANDLERS: dict[str, Handler] = {
    "parse": handle_parse,
    "evaluate": handle_evaluate,
    "count_sigops": handle_count_sigops,
    "classify": handle_classify,
    "p2pkh_script": handle_p2pkh_script,
    "p2pkh_script_sig": handle_p2pkh_script_sig,
    "multisig_script": handle_multisig_script,
    "multisig_script_sig": handle_multisig_script_sig,
    "null_data_script": handle_null_data_script,
    "decode_number": handle_decode_number,
    "encode_number": handle_encode_number,
}

"""Handlers of the ``bls``, ``threshold`` and ``ed25519`` flows (spec/crypto/).

Scalars (secret keys, polynomial coefficients, Lagrange coefficients) are 32-byte big-endian hex;
points and signatures are their compressed encodings in hex; verdicts are ``{"valid": bool}``.
"""

from __future__ import annotations

from conformance.jsonio import field, hex_field, hex_list_field, int_field, int_list_field, to_hex
from conformance.model import JSON, BadInput, Handler
from spec.crypto import bls, ed25519, threshold
from spec.crypto.threshold import Share
from spec.presets import Preset


def _scalar_list(data: dict[str, JSON], name: str) -> list[int]:
    return [int.from_bytes(raw, "big") for raw in hex_list_field(data, name)]


def _int_list(data: dict[str, JSON], name: str) -> list[int]:
    return int_list_field(data, name)


def _shares(data: dict[str, JSON], name: str, value_key: str) -> list[Share]:
    value = field(data, name)
    if not isinstance(value, list):
        raise BadInput(f"{name} must be a list")
    shares: list[Share] = []
    for item in value:
        if not isinstance(item, dict):
            raise BadInput(f"{name} items must be objects")
        shares.append(Share(int_field(item, "index"), hex_field(item, value_key)))
    return shares


def _scalar_hex(value: int) -> str:
    return value.to_bytes(32, "big").hex()


# ---------------------------------------------------------------------------------------- bls


def bls_key_gen(preset: Preset, data: dict[str, JSON]) -> JSON:
    """BLS-6: ``{"ikm", "key_info"}`` -> ``{"secret_key"}``."""
    return {"secret_key": to_hex(bls.key_gen(hex_field(data, "ikm"), hex_field(data, "key_info")))}


def bls_sk_to_pk(preset: Preset, data: dict[str, JSON]) -> JSON:
    """SkToPk: ``{"secret_key"}`` -> ``{"public_key"}``."""
    return {"public_key": to_hex(bls.sk_to_pk(hex_field(data, "secret_key")))}


def bls_sign(preset: Preset, data: dict[str, JSON]) -> JSON:
    """Sign: ``{"secret_key", "message"}`` -> ``{"signature"}``."""
    return {"signature": to_hex(bls.sign(hex_field(data, "secret_key"), hex_field(data, "message")))}


def bls_verify(preset: Preset, data: dict[str, JSON]) -> JSON:
    """Verify: ``{"public_key", "message", "signature"}`` -> ``{"valid"}``."""
    return {
        "valid": bls.verify(
            hex_field(data, "public_key"), hex_field(data, "message"), hex_field(data, "signature")
        )
    }


def bls_aggregate(preset: Preset, data: dict[str, JSON]) -> JSON:
    """Aggregate: ``{"signatures"}`` -> ``{"signature"}``."""
    return {"signature": to_hex(bls.aggregate(hex_list_field(data, "signatures")))}


def bls_fast_aggregate_verify(preset: Preset, data: dict[str, JSON]) -> JSON:
    """FastAggregateVerify: ``{"public_keys", "message", "signature"}`` -> ``{"valid"}``."""
    return {
        "valid": bls.fast_aggregate_verify(
            hex_list_field(data, "public_keys"), hex_field(data, "message"), hex_field(data, "signature")
        )
    }


def bls_aggregate_verify(preset: Preset, data: dict[str, JSON]) -> JSON:
    """AggregateVerify: ``{"public_keys", "messages", "signature"}`` -> ``{"valid"}``."""
    return {
        "valid": bls.aggregate_verify(
            hex_list_field(data, "public_keys"),
            hex_list_field(data, "messages"),
            hex_field(data, "signature"),
        )
    }


def bls_pop_prove(preset: Preset, data: dict[str, JSON]) -> JSON:
    """PopProve: ``{"secret_key"}`` -> ``{"proof"}``."""
    return {"proof": to_hex(bls.pop_prove(hex_field(data, "secret_key")))}


def bls_pop_verify(preset: Preset, data: dict[str, JSON]) -> JSON:
    """PopVerify: ``{"public_key", "proof"}`` -> ``{"valid"}``."""
    return {"valid": bls.pop_verify(hex_field(data, "public_key"), hex_field(data, "proof"))}


def bls_decode_public_key(preset: Preset, data: dict[str, JSON]) -> JSON:
    """BLS-1/2 KeyValidate: ``{"public_key"}`` -> ``{"public_key"}`` or ``BLS_INVALID_PUBLIC_KEY``."""
    return {"public_key": to_hex(bls.decode_public_key(hex_field(data, "public_key")))}


def bls_decode_signature(preset: Preset, data: dict[str, JSON]) -> JSON:
    """BLS-1/2: ``{"signature"}`` -> ``{"signature"}`` or ``BLS_INVALID_SIGNATURE``."""
    return {"signature": to_hex(bls.decode_signature(hex_field(data, "signature")))}


BLS_HANDLERS: dict[str, Handler] = {
    "key_gen": bls_key_gen,
    "sk_to_pk": bls_sk_to_pk,
    "sign": bls_sign,
    "verify": bls_verify,
    "aggregate": bls_aggregate,
    "fast_aggregate_verify": bls_fast_aggregate_verify,
    "aggregate_verify": bls_aggregate_verify,
    "pop_prove": bls_pop_prove,
    "pop_verify": bls_pop_verify,
    "decode_public_key": bls_decode_public_key,
    "decode_signature": bls_decode_signature,
}

# ---------------------------------------------------------------------------------- threshold


def threshold_coefficients_from_seed(preset: Preset, data: dict[str, JSON]) -> JSON:
    """``{"seed", "threshold"}`` -> ``{"coefficients"}`` (deterministic Shamir polynomial).

    The threshold is checked against the preset's ``quorum.max_members`` first.
    """
    degree = int_field(data, "threshold")
    max_members = preset.quorum.max_members
    threshold.check_threshold_parameters(degree, max_members, max_members)
    coefficients = threshold.coefficients_from_seed(hex_field(data, "seed"), degree)
    return {"coefficients": [_scalar_hex(c) for c in coefficients]}


def threshold_generate_shares(preset: Preset, data: dict[str, JSON]) -> JSON:
    """``{"coefficients", "member_indices"}`` -> secret shares, public key shares and the group key.

    The parameters are checked against the preset's ``quorum.max_members``.
    """
    coefficients = _scalar_list(data, "coefficients")
    indices = _int_list(data, "member_indices")
    threshold.check_threshold_parameters(len(coefficients), len(indices), preset.quorum.max_members)
    shares = threshold.generate_shares(coefficients, indices)
    return {
        "secret_shares": [{"index": s.index, "secret_share": to_hex(s.value)} for s in shares],
        "public_key_shares": [
            {"index": s.index, "public_key": to_hex(s.value)} for s in threshold.public_key_shares(shares)
        ],
        "group_public_key": to_hex(threshold.group_public_key(coefficients)),
    }


def threshold_sign_share(preset: Preset, data: dict[str, JSON]) -> JSON:
    """``{"index", "secret_share", "message"}`` -> ``{"signature_share"}``."""
    share = Share(int_field(data, "index"), hex_field(data, "secret_share"))
    return {"signature_share": to_hex(threshold.sign_share(share, hex_field(data, "message")).value)}


def threshold_verify_share(preset: Preset, data: dict[str, JSON]) -> JSON:
    """``{"index", "public_key", "message", "signature_share"}`` -> ``{"valid"}``."""
    index = int_field(data, "index")
    return {
        "valid": threshold.verify_share(
            Share(index, hex_field(data, "public_key")),
            hex_field(data, "message"),
            Share(index, hex_field(data, "signature_share")),
        )
    }


def threshold_lagrange(preset: Preset, data: dict[str, JSON]) -> JSON:
    """``{"indices"}`` (at most ``max_members``) -> ``{"coefficients"}``: Lagrange coefficients at 0."""
    indices = _int_list(data, "indices")
    if len(indices) > preset.quorum.max_members:
        raise BadInput(f"at most {preset.quorum.max_members} indices")
    return {"coefficients": [_scalar_hex(c) for c in threshold.lagrange_coefficients_at_zero(indices)]}


def threshold_recover_signature(preset: Preset, data: dict[str, JSON]) -> JSON:
    """``{"threshold", "shares": [{"index", "signature"}]}`` -> ``{"signature"}``."""
    shares = _shares(data, "shares", "signature")
    return {"signature": to_hex(threshold.recover_signature(shares, int_field(data, "threshold")))}


def threshold_recover_public_key(preset: Preset, data: dict[str, JSON]) -> JSON:
    """``{"threshold", "shares": [{"index", "public_key"}]}`` -> ``{"public_key"}``."""
    shares = _shares(data, "shares", "public_key")
    return {"public_key": to_hex(threshold.recover_public_key(shares, int_field(data, "threshold")))}


THRESHOLD_HANDLERS: dict[str, Handler] = {
    "coefficients_from_seed": threshold_coefficients_from_seed,
    "generate_shares": threshold_generate_shares,
    "sign_share": threshold_sign_share,
    "verify_share": threshold_verify_share,
    "lagrange_coefficients": threshold_lagrange,
    "recover_signature": threshold_recover_signature,
    "recover_public_key": threshold_recover_public_key,
}

# ------------------------------------------------------------------------------------ ed25519


def ed25519_public_key(preset: Preset, data: dict[str, JSON]) -> JSON:
    """``{"seed"}`` -> ``{"public_key"}``."""
    return {"public_key": to_hex(ed25519.public_key_from_seed(hex_field(data, "seed")))}


def ed25519_sign(preset: Preset, data: dict[str, JSON]) -> JSON:
    """ED-4: ``{"seed", "message"}`` -> ``{"signature"}``."""
    return {"signature": to_hex(ed25519.sign(hex_field(data, "seed"), hex_field(data, "message")))}


def ed25519_verify(preset: Preset, data: dict[str, JSON]) -> JSON:
    """ED-1..3: ``{"public_key", "message", "signature"}`` -> ``{"valid"}`` or a malformed-encoding code."""
    return {
        "valid": ed25519.verify(
            hex_field(data, "public_key"), hex_field(data, "message"), hex_field(data, "signature")
        )
    }


ED25519_HANDLERS: dict[str, Handler] = {
    "public_key": ed25519_public_key,
    "sign": ed25519_sign,
    "verify": ed25519_verify,
}

__all__ = ["BLS_HANDLERS", "ED25519_HANDLERS", "THRESHOLD_HANDLERS"]

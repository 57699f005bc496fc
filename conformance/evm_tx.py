"""Signed Ethereum transactions for vectors, tests, fuzz seeds and benchmarks (EVM-2).

Built here with plain RLP and eth-keys (RFC 6979 deterministic signatures), not with py-evm's
transaction classes, so the vectors also check the library's decoder against an independent encoder.
"""

from __future__ import annotations

from dataclasses import dataclass

import rlp
from eth_keys.datatypes import PrivateKey

from spec.trie import keccak256
from spec.vm.evm import SECP256K1_N


@dataclass(frozen=True)
class TxFields:
    """One transaction's fields; ``tx_type`` 0 (legacy), 1 (EIP-2930) or 2 (EIP-1559)."""

    nonce: int
    gas: int
    to: bytes | None
    value: int = 0
    data: bytes = b""
    tx_type: int = 2
    chain_id: int | None = 1
    max_fee: int = 10
    priority_fee: int = 1
    access_list: tuple[tuple[bytes, tuple[int, ...]], ...] = ()


def private_key(seed: bytes) -> PrivateKey:
    """A private key from 32 seed bytes (any value below the group order)."""
    return PrivateKey(keccak256(seed))


def address_of(key: PrivateKey) -> bytes:
    """The 20-byte Ethereum address of ``key``."""
    address: bytes = key.public_key.to_canonical_address()
    return address


def _access_list(fields: TxFields) -> list[list[object]]:
    return [[address, [slot.to_bytes(32, "big") for slot in slots]] for address, slots in fields.access_list]


def _unsigned(fields: TxFields) -> tuple[bytes, list[object]]:
    """The signing hash's preimage prefix (type byte) and the unsigned field list."""
    to = fields.to or b""
    if fields.tx_type == 0:
        base: list[object] = [fields.nonce, fields.max_fee, fields.gas, to, fields.value, fields.data]
        if fields.chain_id is not None:
            return b"", [*base, fields.chain_id, 0, 0]
        return b"", base
    if fields.tx_type == 1:
        body: list[object] = [fields.chain_id, fields.nonce, fields.max_fee, fields.gas, to, fields.value]
        return b"\x01", [*body, fields.data, _access_list(fields)]
    body = [fields.chain_id, fields.nonce, fields.priority_fee, fields.max_fee, fields.gas, to, fields.value]
    return b"\x02", [*body, fields.data, _access_list(fields)]


def sign(fields: TxFields, key: PrivateKey, *, high_s: bool = False) -> bytes:
    """The signed transaction's canonical encoding; ``high_s`` swaps in ``n - s`` (still valid ECDSA)."""
    prefix, unsigned = _unsigned(fields)
    digest = keccak256(prefix + rlp.encode(unsigned))
    signature = key.sign_msg_hash(digest)
    parity, r, s = signature.v, signature.r, signature.s
    if high_s:
        parity, s = 1 - parity, SECP256K1_N - s
    if fields.tx_type == 0:
        base = unsigned[:6]
        v = parity + (27 if fields.chain_id is None else 35 + 2 * fields.chain_id)
        return bytes(rlp.encode([*base, v, r, s]))
    return prefix + bytes(rlp.encode([*unsigned, parity, r, s]))

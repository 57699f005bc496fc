"""A deterministic test wallet: keys from labels, P2PKH outputs, transaction signing.

Used by vector generators, tests and benchmarks. It builds inputs for the spec; it is not part of
the protocol (a key derived from a public label is, of course, not secret).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache

from conformance.seeded import seeded_bytes
from spec.crypto import ed25519
from spec.ledger.transaction import (
    SEQUENCE_FINAL,
    TRANSACTION_VERSION,
    OutPoint,
    Transaction,
    TxInput,
    TxOutput,
    signature_hash,
)
from spec.ledger.utxo import UtxoEntry
from spec.presets import Preset
from spec.script import p2pkh_script, p2pkh_script_sig, script_hash


@dataclass(frozen=True)
class Key:
    """An Ed25519 key with its P2PKH locking script."""

    seed: bytes
    public_key: bytes

    @property
    def key_hash(self) -> bytes:
        """SCRIPT-19: BLAKE3 (SCRIPT_HASH domain) of the public key."""
        return script_hash(self.public_key)

    @property
    def script_pubkey(self) -> bytes:
        """The P2PKH script paying to this key."""
        return p2pkh_script(self.key_hash)


@cache
def key(label: str) -> Key:
    """The wallet key called ``label`` (deterministic)."""
    seed = seeded_bytes(f"wallet/{label}", 32)
    return Key(seed, ed25519.public_key_from_seed(seed))


def sign_input(tx: Transaction, index: int, spent: TxOutput, signer: Key, preset: Preset) -> bytes:
    """The P2PKH script_sig for input ``index`` of ``tx``."""
    signature = ed25519.sign(signer.seed, signature_hash(tx, index, spent, preset))
    return p2pkh_script_sig(signature, signer.public_key)


def spend_p2pkh(
    utxos: Mapping[OutPoint, UtxoEntry],
    outpoints: Sequence[OutPoint],
    signers: Sequence[Key],
    outputs: Sequence[TxOutput],
    preset: Preset,
    lock_time: int = 0,
    sequence: int = SEQUENCE_FINAL,
) -> Transaction:
    """A version-1 transaction spending P2PKH ``outpoints`` of ``utxos`` (one signer each) to ``outputs``."""
    unsigned = Transaction(
        TRANSACTION_VERSION, tuple(TxInput(o, b"", sequence) for o in outpoints), tuple(outputs), lock_time
    )
    return sign_transaction(unsigned, [utxos[o].output for o in outpoints], signers, preset)


def sign_transaction(
    tx: Transaction, spent: Sequence[TxOutput], signers: Sequence[Key], preset: Preset
) -> Transaction:
    """``tx`` with every input's script_sig filled in (P2PKH), one signer per input."""
    inputs = tuple(
        replace(tx_input, script_sig=sign_input(tx, index, spent[index], signers[index], preset))
        for index, tx_input in enumerate(tx.inputs)
    )
    return replace(tx, inputs=inputs)

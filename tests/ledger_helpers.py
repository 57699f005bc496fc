"""Builders of ledger scenarios shared by the ledger tests and benchmarks."""

from __future__ import annotations

from collections.abc import Sequence

from conformance.wallet import Key, key, sign_transaction
from spec.ledger.transaction import (
    NULL_OUTPOINT,
    SEQUENCE_FINAL,
    OutPoint,
    Transaction,
    TxInput,
    TxOutput,
    txid,
)
from spec.ledger.utxo import UtxoEntry, apply_transaction
from spec.presets import DEVNET, Preset

PRESET = DEVNET


def coinbase(height: int, outputs: Sequence[TxOutput]) -> Transaction:
    """TXF-4: a coinbase at ``height`` paying ``outputs``."""
    return Transaction(1, (TxInput(NULL_OUTPOINT, b"", SEQUENCE_FINAL),), tuple(outputs), height)


def funded(
    keys: Sequence[Key], value: int, preset: Preset = PRESET
) -> tuple[dict[OutPoint, UtxoEntry], Transaction]:
    """A UTXO set holding one coinbase output of ``value`` per key, created at height 0."""
    tx = coinbase(0, [TxOutput(value, k.script_pubkey) for k in keys])
    utxos, _ = apply_transaction({}, tx, 0, preset)
    return utxos, tx


def spend(
    utxos: dict[OutPoint, UtxoEntry],
    outpoints: Sequence[OutPoint],
    signers: Sequence[Key],
    outputs: Sequence[TxOutput],
    preset: Preset = PRESET,
    lock_time: int = 0,
    sequence: int = SEQUENCE_FINAL,
) -> Transaction:
    """A signed transaction spending ``outpoints`` (P2PKH) to ``outputs``."""
    unsigned = Transaction(1, tuple(TxInput(o, b"", sequence) for o in outpoints), tuple(outputs), lock_time)
    return sign_transaction(unsigned, [utxos[o].output for o in outpoints], signers, preset)


def outpoints_of(tx: Transaction, preset: Preset = PRESET) -> list[OutPoint]:
    """Every output of ``tx`` as an outpoint."""
    tx_id = txid(tx, preset)
    return [OutPoint(tx_id, i) for i in range(len(tx.outputs))]


__all__ = ["PRESET", "Key", "coinbase", "funded", "key", "outpoints_of", "spend"]

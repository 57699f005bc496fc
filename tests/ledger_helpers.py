"""Builders of ledger scenarios shared by the ledger tests and benchmarks."""

from __future__ import annotations

from collections.abc import Sequence

from conformance.wallet import Key, key, spend_p2pkh
from spec.ledger.transaction import (
    SEQUENCE_FINAL,
    OutPoint,
    Transaction,
    TxOutput,
    coinbase_transaction,
    txid,
)
from spec.ledger.utxo import UtxoEntry, apply_transaction
from spec.presets import DEVNET, Preset

PRESET = DEVNET


coinbase = coinbase_transaction


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
    """A signed transaction spending ``outpoints`` (P2PKH) to ``outputs`` (devnet by default)."""
    return spend_p2pkh(utxos, outpoints, signers, outputs, preset, lock_time, sequence)


def outpoints_of(tx: Transaction, preset: Preset = PRESET) -> list[OutPoint]:
    """Every output of ``tx`` as an outpoint."""
    tx_id = txid(tx, preset)
    return [OutPoint(tx_id, i) for i in range(len(tx.outputs))]


__all__ = ["PRESET", "Key", "coinbase", "funded", "key", "outpoints_of", "spend"]

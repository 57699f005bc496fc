"""Transaction format, identifiers and signature hash (protocol steps "TXF-*").

A transaction spends outputs of earlier transactions (UTXO model, as Bitcoin) and creates new
ones. Values are integers in *atoms* (``preset.ledger.atoms_per_coin`` atoms per RUST).

* **TXF-1** encoding: ``version u32 | inputs list | outputs list | lock_time u32``; an input is
  ``txid bytes32 | index u32 | script_sig bytes | sequence u32``; an output is
  ``value u64 | script_pubkey bytes`` (canonical encoding, spec/encoding.py).
* **TXF-2** ``txid = H(TRANSACTION_ID, encode(tx with every script_sig empty))``. The txid does not
  cover signatures, so nobody can change a txid by re-encoding a signature script (third-party
  malleability is impossible by construction), and a chain of unconfirmed transactions can be
  signed before its parents are.
* **TXF-3** ``wtxid = H(WITNESS_TRANSACTION_ID, encode(tx))`` covers everything; a block's Merkle
  root is taken over wtxids, so signatures are committed by the block header.
* **TXF-4** the coinbase has exactly one input spending :data:`NULL_OUTPOINT` and its ``lock_time``
  equals the block height, which makes every coinbase txid unique (Bitcoin needed BIP30/BIP34).
* **TXF-5** signature hash of input ``i``: ``H(SIGNATURE_HASH, encode(SighashPreimage))`` over the
  script-free transaction, the input index, and the value and script of the output it spends
  (committing to the spent value protects offline signers, the lesson of BIP143). Version 1 has one
  signature-hash mode, "all": every input and output is signed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import Any, TypeVar

from spec.encoding import BYTES32, U32, U64, ListOf, MemoStruct, Struct, VarBytes, decode, encode
from spec.hashing import HashDomain, tagged_hash
from spec.presets import Preset

TRANSACTION_VERSION = 1
SEQUENCE_FINAL = 0xFFFFFFFF
"""An input with this sequence opts out of lock_time and relative locks."""
NULL_TXID = bytes(32)
COINBASE_INDEX = 0xFFFFFFFF


@dataclass(frozen=True, order=True)
class OutPoint:
    """A reference to output ``index`` of transaction ``txid``."""

    txid: bytes
    index: int


NULL_OUTPOINT = OutPoint(NULL_TXID, COINBASE_INDEX)
"""TXF-4: the outpoint a coinbase input spends."""


@dataclass(frozen=True)
class TxInput:
    """One spent output, the script that satisfies its conditions, and a sequence number."""

    previous_output: OutPoint
    script_sig: bytes
    sequence: int


@dataclass(frozen=True)
class TxOutput:
    """An amount in atoms and the script that must be satisfied to spend it."""

    value: int
    script_pubkey: bytes


@dataclass(frozen=True)
class Transaction:
    """A version-1 transaction (TXF-1)."""

    version: int
    inputs: tuple[TxInput, ...]
    outputs: tuple[TxOutput, ...]
    lock_time: int


@dataclass(frozen=True)
class SighashPreimage:
    """TXF-5: what an input's signature commits to."""

    transaction: Transaction
    input_index: int
    spent_value: int
    spent_script_pubkey: bytes


@dataclass(frozen=True)
class TransactionCodecs:
    """The codecs of TXF-1 under one preset's size limits."""

    outpoint: Struct[OutPoint]
    tx_input: Struct[TxInput]
    tx_output: Struct[TxOutput]
    transaction: Struct[Transaction]
    sighash_preimage: Struct[SighashPreimage]


@cache
def codecs(preset: Preset) -> TransactionCodecs:
    """TXF-1: build the transaction codecs for ``preset`` (scripts and lists bounded by its limits)."""
    script = VarBytes(preset.ledger.max_transaction_bytes)
    max_items = preset.ledger.max_inputs_plus_outputs
    outpoint = Struct(OutPoint, [("txid", BYTES32), ("index", U32)])
    tx_input = Struct(TxInput, [("previous_output", outpoint), ("script_sig", script), ("sequence", U32)])
    tx_output = Struct(TxOutput, [("value", U64), ("script_pubkey", script)])
    transaction = MemoStruct(
        Transaction,
        [
            ("version", U32),
            ("inputs", ListOf(tx_input, max_items)),
            ("outputs", ListOf(tx_output, max_items)),
            ("lock_time", U32),
        ],
    )
    preimage = Struct(
        SighashPreimage,
        [
            ("transaction", transaction),
            ("input_index", U32),
            ("spent_value", U64),
            ("spent_script_pubkey", script),
        ],
    )
    return TransactionCodecs(outpoint, tx_input, tx_output, transaction, preimage)


_T = TypeVar("_T")


def _remembered(tx: Transaction, slot: str, preset: Preset | None) -> Any:
    """The value memoised on ``tx`` under ``slot`` for this very ``preset`` object, or ``None``.

    Transactions are frozen, so a value derived from one never changes; a block's validation asks
    for the same ids several times per transaction (issue 14: ``txid`` ran 4 times, the script-free
    copy was rebuilt as often), so each is computed once and kept on the object, outside its fields
    (equality, hashing and ``repr`` ignore it). The memo is keyed by the preset's identity: a
    different preset object, even an equal one, recomputes. The functions below are the readable
    definitions; ``tests/test_ledger.py`` checks memoised and fresh values agree.
    """
    memo = tx.__dict__.get(slot)
    if memo is not None and memo[0] is preset:
        return memo[1]
    return None


def _remember(tx: Transaction, slot: str, preset: Preset | None, value: _T) -> _T:
    object.__setattr__(tx, slot, (preset, value))
    return value


def encode_transaction(tx: Transaction, preset: Preset) -> bytes:
    """TXF-1: the canonical bytes of ``tx`` (encoded once per transaction: :class:`MemoStruct`)."""
    return encode(codecs(preset).transaction, tx)


def decode_transaction(data: bytes, preset: Preset) -> Transaction:
    """TXF-1: the transaction encoded by ``data``; any non-canonical input raises a ``DECODE_*`` code."""
    return decode(codecs(preset).transaction, data)


def strip_scripts(tx: Transaction) -> Transaction:
    """TXF-2: ``tx`` with every ``script_sig`` replaced by the empty script."""
    known: Transaction | None = _remembered(tx, "_stripped", None)
    if known is not None:
        return known
    stripped = replace(tx, inputs=tuple(replace(i, script_sig=b"") for i in tx.inputs))
    return _remember(tx, "_stripped", None, stripped)


def txid(tx: Transaction, preset: Preset) -> bytes:
    """TXF-2: the transaction id (does not cover signature scripts)."""
    known: bytes | None = _remembered(tx, "_txid", preset)
    if known is not None:
        return known
    tx_id = tagged_hash(HashDomain.TRANSACTION_ID, encode_transaction(strip_scripts(tx), preset))
    return _remember(tx, "_txid", preset, tx_id)


def wtxid(tx: Transaction, preset: Preset) -> bytes:
    """TXF-3: the witness transaction id (covers everything)."""
    known: bytes | None = _remembered(tx, "_wtxid", preset)
    if known is not None:
        return known
    return _remember(
        tx, "_wtxid", preset, tagged_hash(HashDomain.WITNESS_TRANSACTION_ID, encode_transaction(tx, preset))
    )


def coinbase_transaction(height: int, outputs: Sequence[TxOutput]) -> Transaction:
    """TXF-4: the coinbase of the block at ``height`` paying ``outputs``."""
    return Transaction(
        TRANSACTION_VERSION, (TxInput(NULL_OUTPOINT, b"", SEQUENCE_FINAL),), tuple(outputs), height
    )


def is_coinbase(tx: Transaction) -> bool:
    """TXF-4: exactly one input, spending the null outpoint."""
    return len(tx.inputs) == 1 and tx.inputs[0].previous_output == NULL_OUTPOINT


def signature_hash(tx: Transaction, input_index: int, spent_output: TxOutput, preset: Preset) -> bytes:
    """TXF-5: the 32-byte message that the signature of input ``input_index`` signs."""
    preimage = SighashPreimage(strip_scripts(tx), input_index, spent_output.value, spent_output.script_pubkey)
    return tagged_hash(HashDomain.SIGNATURE_HASH, encode(codecs(preset).sighash_preimage, preimage))


def transaction_size(tx: Transaction, preset: Preset) -> int:
    """The encoded size in bytes (the unit of size limits and fee rates)."""
    return len(encode_transaction(tx, preset))

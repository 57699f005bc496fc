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

from spec.encoding import (
    BYTES32,
    U32,
    U64,
    Codec,
    ListOf,
    MemoStruct,
    Struct,
    VarBytes,
    decode,
    encode,
    varint_encode,
)
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
    transaction: TransactionStruct
    sighash_preimage: Struct[SighashPreimage]


_U32_LIMIT = 1 << 32
_U64_LIMIT = 1 << 64


def _fast_script(script: object, max_length: int) -> bytes | None:
    """``VarBytes(max_length)`` of ``script`` when it is plain ``bytes`` within the limit, else ``None``."""
    if type(script) is not bytes or len(script) > max_length:
        return None
    length = len(script)
    return (bytes((length,)) if length < 0x80 else varint_encode(length)) + script


def fast_transaction_bytes(
    tx: Transaction, max_script: int, max_items: int, strip: bool = False
) -> bytes | None:
    """TXF-1 written out for the plain case: exact types, every integer and length in range.
    With ``strip``, the bytes of ``strip_scripts(tx)`` (every script_sig written empty).

    Returns ``None`` for anything else (a subclass, a bool for an integer, an out-of-range value),
    and the generic :class:`~spec.encoding.Struct` codec then decides (bytes or
    ``ENCODE_OUT_OF_RANGE``). Where it returns bytes they are the generic codec's
    (``tests/test_fast_paths.py`` checks on arbitrary transactions); it exists because the generic
    encoder, one codec call per field, cost about a tenth of a signature check per transaction
    (issue 14).
    """
    version, inputs, outputs, lock_time = tx.version, tx.inputs, tx.outputs, tx.lock_time
    if (
        type(tx) is not Transaction
        or type(inputs) is not tuple
        or type(outputs) is not tuple
        or len(inputs) > max_items
        or len(outputs) > max_items
        or type(version) is not int
        or not 0 <= version < _U32_LIMIT
        or type(lock_time) is not int
        or not 0 <= lock_time < _U32_LIMIT
    ):
        return None
    parts = [version.to_bytes(4, "little"), varint_encode(len(inputs))]
    for tx_input in inputs:
        if type(tx_input) is not TxInput:
            return None
        outpoint, sequence = tx_input.previous_output, tx_input.sequence
        script = b"\x00" if strip else _fast_script(tx_input.script_sig, max_script)
        if (
            script is None
            or type(outpoint) is not OutPoint
            or type(outpoint.txid) is not bytes
            or len(outpoint.txid) != 32
            or type(outpoint.index) is not int
            or not 0 <= outpoint.index < _U32_LIMIT
            or type(sequence) is not int
            or not 0 <= sequence < _U32_LIMIT
        ):
            return None
        parts += (outpoint.txid, outpoint.index.to_bytes(4, "little"), script, sequence.to_bytes(4, "little"))
    parts.append(varint_encode(len(outputs)))
    for output in outputs:
        if type(output) is not TxOutput:
            return None
        value = output.value
        script = _fast_script(output.script_pubkey, max_script)
        if script is None or type(value) is not int or not 0 <= value < _U64_LIMIT:
            return None
        parts += (value.to_bytes(8, "little"), script)
    parts.append(lock_time.to_bytes(4, "little"))
    return b"".join(parts)


class TransactionStruct(MemoStruct[Transaction]):
    """TXF-1's :class:`~spec.encoding.MemoStruct` with :func:`fast_transaction_bytes` in front of
    the generic field-by-field encoder (same bytes, same errors)."""

    def __init__(self, fields: Sequence[tuple[str, Codec[Any]]], max_script: int, max_items: int) -> None:
        super().__init__(Transaction, fields)
        self.max_script = max_script
        self.max_items = max_items

    def write_fresh(self, value: Transaction, out: bytearray) -> None:
        fast = fast_transaction_bytes(value, self.max_script, self.max_items)
        if fast is None:
            super().write_fresh(value, out)
        else:
            out += fast


@cache
def codecs(preset: Preset) -> TransactionCodecs:
    """TXF-1: build the transaction codecs for ``preset`` (scripts and lists bounded by its limits)."""
    script = VarBytes(preset.ledger.max_transaction_bytes)
    max_items = preset.ledger.max_inputs_plus_outputs
    outpoint = Struct(OutPoint, [("txid", BYTES32), ("index", U32)])
    tx_input = Struct(TxInput, [("previous_output", outpoint), ("script_sig", script), ("sequence", U32)])
    tx_output = Struct(TxOutput, [("value", U64), ("script_pubkey", script)])
    transaction = TransactionStruct(
        [
            ("version", U32),
            ("inputs", ListOf(tx_input, max_items)),
            ("outputs", ListOf(tx_output, max_items)),
            ("lock_time", U32),
        ],
        preset.ledger.max_transaction_bytes,
        max_items,
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


_NO_MEMO: dict[str, Any] = {}
"""What :func:`encode_transaction` reads for a value without a ``__dict__`` (never written to)."""

_MEMO_PRESET = "_rusty_memo_preset"
"""The slot naming the preset object the memoised values on a transaction were computed under."""
_PRESET_SLOTS = ("_checked", "_txid", "_stripped_encoding", "_wtxid")
"""The memo slots keyed by :data:`_MEMO_PRESET`."""


def _remembered(tx: Transaction, slot: str, preset: Preset) -> Any:
    """The value memoised on ``tx`` under ``slot`` for this very ``preset`` object, or ``None``.

    Transactions are frozen, so a value derived from one never changes; a block's validation asks
    for the same ids several times per transaction (issue 14: ``txid`` ran 4 times, the script-free
    copy was rebuilt as often), so each is computed once and kept on the object, outside its fields
    (equality, hashing and ``repr`` ignore it). The memo is keyed by the preset's identity: a
    different preset object, even an equal one, recomputes. The functions below are the readable
    definitions; ``tests/test_ledger.py`` checks memoised and fresh values agree.

    The values sit in plain attributes beside one attribute naming their preset (no tuple per
    value: fewer objects for the garbage collector to track, issue 14).
    """
    memo = tx.__dict__
    if memo.get(_MEMO_PRESET) is preset:
        return memo.get(slot)
    return None


def _remember(tx: Transaction, slot: str, preset: Preset, value: _T) -> _T:
    """Keep ``value`` on ``tx`` under ``slot`` for ``preset``; values kept for another preset go
    (a transaction with no memo yet has none to drop: the slots are only ever set beside
    :data:`_MEMO_PRESET`)."""
    memo = tx.__dict__
    kept_for = memo.get(_MEMO_PRESET)
    if kept_for is not preset:
        if kept_for is not None:
            for kept in _PRESET_SLOTS:
                memo.pop(kept, None)
        memo[_MEMO_PRESET] = preset
    memo[slot] = value
    return value


def encode_transaction(tx: Transaction, preset: Preset) -> bytes:
    """TXF-1: the canonical bytes of ``tx`` (encoded once per transaction: :class:`MemoStruct`).

    A memo left by this preset's codec (the bytes ``tx`` was decoded from or first encoded to) is
    read here without going through :func:`~spec.encoding.encode` (issue 14: asked twice per
    transaction of a block, for its size and its wtxid); the memo's bytes are the encoding."""
    codec = codecs(preset).transaction
    memo = getattr(tx, "__dict__", _NO_MEMO).get("_rusty_encoding")
    if memo is not None and memo[0] is codec:
        known: bytes = memo[1]
        return known
    return encode(codec, tx)


def decode_transaction(data: bytes, preset: Preset) -> Transaction:
    """TXF-1: the transaction encoded by ``data``; any non-canonical input raises a ``DECODE_*`` code."""
    return decode(codecs(preset).transaction, data)


def strip_scripts(tx: Transaction) -> Transaction:
    """TXF-2: ``tx`` with every ``script_sig`` replaced by the empty script."""
    known: Transaction | None = tx.__dict__.get("_stripped")  # depends on no preset
    if known is not None:
        return known
    if type(tx) is Transaction and all(type(i) is TxInput for i in tx.inputs):
        # ``replace`` written out for the plain dataclasses (issue 14: two ``replace`` calls per
        # transaction); any subclass goes through ``replace`` itself.
        inputs = tuple(TxInput(i.previous_output, b"", i.sequence) for i in tx.inputs)
        stripped = Transaction(tx.version, inputs, tx.outputs, tx.lock_time)
    else:
        stripped = replace(tx, inputs=tuple(replace(i, script_sig=b"") for i in tx.inputs))
    object.__setattr__(tx, "_stripped", stripped)
    return stripped


def txid(tx: Transaction, preset: Preset) -> bytes:
    """TXF-2: the transaction id (does not cover signature scripts)."""
    memo = tx.__dict__
    if memo.get(_MEMO_PRESET) is preset:  # _remembered written out: asked several times per transaction
        known: bytes | None = memo.get("_txid")
        if known is not None:
            return known
    tx_id = tagged_hash(HashDomain.TRANSACTION_ID, _stripped_encoding(tx, preset))
    return _remember(tx, "_txid", preset, tx_id)


def _stripped_encoding(tx: Transaction, preset: Preset) -> bytes:
    """``encode_transaction(strip_scripts(tx), preset)``, kept on ``tx`` for this preset object (the
    txid and every input's signature hash start from it)."""
    kept = tx.__dict__
    if kept.get(_MEMO_PRESET) is preset:  # _remembered written out, as in txid
        known: bytes | None = kept.get("_stripped_encoding")
        if known is not None:
            return known
    codec = codecs(preset).transaction
    memo = tx.__dict__.get("_rusty_encoding")
    encoded: bytes | None
    if memo is not None and memo[0] is codec:  # TXF-1 bytes known (decoded, or encoded once)
        encoded = strip_encoded_scripts(tx, memo[1])
    else:
        encoded = fast_transaction_bytes(tx, codec.max_script, codec.max_items, strip=True)
    if encoded is None:
        encoded = encode_transaction(strip_scripts(tx), preset)
    return _remember(tx, "_stripped_encoding", preset, encoded)


def strip_encoded_scripts(tx: Transaction, encoded: bytes) -> bytes:
    """TXF-2 on bytes: ``encode_transaction(strip_scripts(tx))`` cut from ``encoded``, the TXF-1
    encoding of ``tx`` itself: each input's length-prefixed script_sig becomes the empty script
    (``0x00``), every other byte is kept (issue 14: a block's transactions were encoded a second
    time for their txids). ``tests/test_fast_paths.py`` checks it equals the definition."""
    count = len(tx.inputs)
    position = 4 + (1 if count < 0x80 else len(varint_encode(count)))
    parts: list[bytes] = []
    start = 0
    for tx_input in tx.inputs:
        position += 36  # the outpoint: txid and index
        parts += (encoded[start:position], b"\x00")
        length = len(tx_input.script_sig)
        position += (1 if length < 0x80 else len(varint_encode(length))) + length
        start = position  # the sequence and what follows are kept
        position += 4
    parts.append(encoded[start:])
    return b"".join(parts)


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
    """TXF-4: exactly one input, spending the null outpoint.

    ``previous_output == NULL_OUTPOINT`` is written out as the dataclass equality it is (same
    class, equal fields; issue 14: it ran nine times per transaction of a block). A block's
    one-pass check (``compute_checked_ids``) keeps its answer on the transaction, which depends
    on no preset; the later asks of the block's validation read it.
    """
    known: bool | None = tx.__dict__.get("_coinbase")
    if known is not None:
        return known
    if len(tx.inputs) != 1:
        return False
    spent = tx.inputs[0].previous_output
    return spent.__class__ is OutPoint and spent.index == COINBASE_INDEX and spent.txid == NULL_TXID


def signature_hash(tx: Transaction, input_index: int, spent_output: TxOutput, preset: Preset) -> bytes:
    """TXF-5: the 32-byte message that the signature of input ``input_index`` signs."""
    value, script = spent_output.value, spent_output.script_pubkey
    tail = _fast_script(script, preset.ledger.max_transaction_bytes)
    if (
        tail is not None
        and type(input_index) is int
        and 0 <= input_index < _U32_LIMIT
        and type(value) is int
        and 0 <= value < _U64_LIMIT
    ):
        # The preimage's Struct written out: the script-free transaction (encoded once), then the
        # three plain fields (issue 14); anything else takes the codec below.
        data = b"".join(
            (
                _stripped_encoding(tx, preset),
                input_index.to_bytes(4, "little"),
                value.to_bytes(8, "little"),
                tail,
            )
        )
        return tagged_hash(HashDomain.SIGNATURE_HASH, data)
    return signature_hash_readable(tx, input_index, spent_output, preset)


def signature_hash_readable(
    tx: Transaction, input_index: int, spent_output: TxOutput, preset: Preset
) -> bytes:
    """TXF-5 as written: the preimage through its generic codec (``tests/test_fast_paths.py``
    checks :func:`signature_hash` against it)."""
    preimage = SighashPreimage(strip_scripts(tx), input_index, spent_output.value, spent_output.script_pubkey)
    return tagged_hash(HashDomain.SIGNATURE_HASH, encode(codecs(preset).sighash_preimage, preimage))


def transaction_size(tx: Transaction, preset: Preset) -> int:
    """The encoded size in bytes (the unit of size limits and fee rates)."""
    return len(encode_transaction(tx, preset))

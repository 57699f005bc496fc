"""The UTXO state commitment (protocol step "STATE-1").

* **STATE-1** the UTXO set is committed by the root of a Merkle Patricia Trie (spec/trie.py,
  BLAKE3 instantiation) that maps ``encode(outpoint)`` (36 bytes: txid, index u32 little-endian)
  to ``encode(entry)`` (value u64, script_pubkey bytes, height u32, is_coinbase bool). A light
  client can therefore check that an output is unspent, or that it is not, with a trie proof
  against the state root.
"""

from __future__ import annotations

from functools import cache

from spec.encoding import BOOL, U32, U64, Struct, VarBytes, decode, encode
from spec.ledger.transaction import OutPoint, TxOutput, codecs
from spec.ledger.utxo import UtxoEntry, UtxoSet
from spec.presets import Preset
from spec.trie import RUSTY_TRIE_HASHER, trie_root


@cache
def entry_codec(preset: Preset) -> Struct[UtxoEntry]:
    """STATE-1: the codec of a UTXO entry (its output, creation height u32, coinbase flag)."""
    output = Struct(
        TxOutput, [("value", U64), ("script_pubkey", VarBytes(preset.ledger.max_transaction_bytes))]
    )
    return Struct(UtxoEntry, [("output", output), ("height", U32), ("is_coinbase", BOOL)])


def encode_outpoint(outpoint: OutPoint, preset: Preset) -> bytes:
    """STATE-1: the trie key of an outpoint (the plain case written out, else the codec)."""
    tx_id, index = outpoint.txid, outpoint.index
    if (
        outpoint.__class__ is OutPoint
        and tx_id.__class__ is bytes
        and len(tx_id) == 32
        and index.__class__ is int
        and 0 <= index < 1 << 32
    ):
        return tx_id + index.to_bytes(4, "little")
    return encode(codecs(preset).outpoint, outpoint)


def decode_outpoint(data: bytes, preset: Preset) -> OutPoint:
    """STATE-1: the outpoint of a trie key."""
    return decode(codecs(preset).outpoint, data)


def encode_entry(entry: UtxoEntry, preset: Preset) -> bytes:
    """STATE-1: the trie value of a UTXO entry.

    The plain case (exact types, every value in range) is written out, the rest goes through
    :func:`entry_codec`, which decides bytes or error; ``tests/test_fast_paths.py`` checks both
    write the same bytes (issue 14: one encoding per entry of the set when its trie is built).
    """
    output, height, coinbase = entry.output, entry.height, entry.is_coinbase
    if entry.__class__ is UtxoEntry and output.__class__ is TxOutput:
        value, script = output.value, output.script_pubkey
        if (
            value.__class__ is int
            and 0 <= value < 1 << 64
            and script.__class__ is bytes
            and len(script) < 0x80
            and len(script) <= preset.ledger.max_transaction_bytes
            and height.__class__ is int
            and 0 <= height < 1 << 32
            and coinbase.__class__ is bool
        ):
            return b"".join(
                (
                    value.to_bytes(8, "little"),
                    bytes((len(script),)),
                    script,
                    height.to_bytes(4, "little"),
                    b"\x01" if coinbase else b"\x00",
                )
            )
    return encode(entry_codec(preset), entry)


def decode_entry(data: bytes, preset: Preset) -> UtxoEntry:
    """STATE-1: the UTXO entry of a trie value."""
    return decode(entry_codec(preset), data)


def compute_utxo_items(utxos: UtxoSet, preset: Preset) -> dict[bytes, bytes]:
    """STATE-1: the items of the UTXO-only commitment, ``encoded outpoint -> encoded entry`` (keys
    without a kind byte). The UTXO snapshot (SNAP-1..4) is cut from these."""
    return {encode_outpoint(o, preset): encode_entry(e, preset) for o, e in utxos.items()}


def utxo_state_root(utxos: UtxoSet, preset: Preset) -> bytes:
    """STATE-1: the 32-byte commitment to the whole UTXO set."""
    return trie_root(compute_utxo_items(utxos, preset), RUSTY_TRIE_HASHER)

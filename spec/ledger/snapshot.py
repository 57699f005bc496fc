"""UTXO snapshots (protocol steps "SNAP-1".."SNAP-4"): the item snapshot of SNAP-5..8 over the UTXO set.

There is one snapshot definition (spec/ledger/state_snapshot.py, SNAP-5..8, over committed
``(key, value)`` items). A UTXO snapshot is that definition applied to the STATE-1 items of a UTXO
set (:func:`spec.ledger.state.compute_utxo_items`: key = the encoded outpoint, ``txid ‖ index u32
LE``; value = the encoded entry), with a manifest that names no block; this module only presents
the items as outpoints and entries. Every check runs through the SNAP-5..8 functions, so the two
cannot drift apart:

* **SNAP-1** order: SNAP-5's, the STATE-1 items sorted by key bytes, strictly ascending, chunk ``i``
  holding items ``[i * c, (i + 1) * c)`` with ``c = preset.snapshot.chunk_entries``. (Until the two
  definitions were merged, SNAP-1 sorted by ``(txid, index)`` with the index as an integer, and a
  chunk encoded its entries as outpoint and entry structs: the order differs for indexes of 256 and
  more, and the chunk bytes differ; the rule ids, the manifest and the error codes are unchanged.)
* **SNAP-2** shape: SNAP-5's (every chunk but the last holds exactly ``c`` entries, the last
  ``1..c``; an empty set has zero chunks). A chunk is SNAP-5's encoding, ``index u32 ‖ list<key
  bytes ‖ value bytes>``, and each item must be a canonical outpoint and entry.
* **SNAP-3** commitment: ``chunk_hash = H(SNAPSHOT_CHUNK, chunk bytes)``; the manifest is ``height,
  state_root, entry_count, chunk_count, chunk_root`` (SNAP-6 without the block hash), and one chunk
  is checked with its inclusion proof (SNAP-7).
* **SNAP-4** assembly: SNAP-8 (all chunks once, in order, strictly ascending across chunks, the
  manifest's entry count, the STATE-1 root of the set equal to ``state_root``), which the node
  compares with the state root of the block header at ``height`` (chain flow).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from spec.encoding import BYTES32, U32, U64, Codec, Reader, Struct, decode, encode
from spec.errors import DecodeError, SnapshotChunkMismatch
from spec.ledger.state import (
    compute_utxo_items,
    decode_entry,
    decode_outpoint,
    encode_entry,
    encode_outpoint,
)
from spec.ledger.state_snapshot import (
    StateChunk,
    StateItem,
    assemble_state_snapshot,
    make_state_snapshot,
    state_chunk_codec,
    state_chunk_proof,
    verify_state_chunk,
)
from spec.ledger.state_snapshot import chunk_hash as chunk_hash
from spec.ledger.transaction import OutPoint
from spec.ledger.utxo import UtxoEntry, UtxoSet
from spec.presets import Preset


@dataclass(frozen=True)
class SnapshotEntry:
    """One UTXO: its outpoint and entry."""

    outpoint: OutPoint
    entry: UtxoEntry


@dataclass(frozen=True)
class SnapshotChunk:
    """SNAP-1: the ``index``-th run of entries."""

    index: int
    entries: tuple[SnapshotEntry, ...]


@dataclass(frozen=True)
class SnapshotManifest:
    """SNAP-3: what a snapshot commits to."""

    height: int
    state_root: bytes
    entry_count: int
    chunk_count: int
    chunk_root: bytes

    @property
    def item_count(self) -> int:
        """SNAP-6's item count: the number of entries."""
        return self.entry_count


def _items(chunk: SnapshotChunk, preset: Preset) -> StateChunk:
    items = (
        StateItem(encode_outpoint(e.outpoint, preset), encode_entry(e.entry, preset)) for e in chunk.entries
    )
    return StateChunk(chunk.index, tuple(items))


def _entries(chunk: StateChunk, preset: Preset) -> SnapshotChunk:
    return SnapshotChunk(
        chunk.index,
        tuple(
            SnapshotEntry(decode_outpoint(i.key, preset), decode_entry(i.value, preset)) for i in chunk.items
        ),
    )


class _ChunkCodec(Codec[SnapshotChunk]):
    """SNAP-2: SNAP-5's chunk encoding, its items read as canonical outpoints and entries."""

    def __init__(self, preset: Preset) -> None:
        self.preset = preset
        self.inner = state_chunk_codec(preset)
        self.min_size = self.inner.min_size

    def write(self, value: SnapshotChunk, out: bytearray) -> None:
        self.inner.write(_items(value, self.preset), out)

    def read(self, reader: Reader) -> SnapshotChunk:
        return _entries(self.inner.read(reader), self.preset)


@cache
def chunk_codec(preset: Preset) -> Codec[SnapshotChunk]:
    """SNAP-2: the encoding of a chunk (SNAP-5's: index u32, then its items)."""
    return _ChunkCodec(preset)


@cache
def manifest_codec(preset: Preset) -> Struct[SnapshotManifest]:
    """The encoding of a manifest."""
    return Struct(
        SnapshotManifest,
        [
            ("height", U64),
            ("state_root", BYTES32),
            ("entry_count", U64),
            ("chunk_count", U32),
            ("chunk_root", BYTES32),
        ],
    )


def encode_chunk(chunk: SnapshotChunk, preset: Preset) -> bytes:
    """SNAP-2: the canonical bytes of a chunk."""
    return encode(chunk_codec(preset), chunk)


def make_snapshot(utxos: UtxoSet, height: int, preset: Preset) -> tuple[SnapshotManifest, tuple[bytes, ...]]:
    """SNAP-1..3: the manifest and the encoded chunks of ``utxos`` at ``height`` (SNAP-5/6 over the
    STATE-1 items; the manifest without a block hash)."""
    generic, encoded = make_state_snapshot(compute_utxo_items(utxos, preset), bytes(32), height, preset)
    manifest = SnapshotManifest(
        height=generic.height,
        state_root=generic.state_root,
        entry_count=generic.item_count,
        chunk_count=generic.chunk_count,
        chunk_root=generic.chunk_root,
    )
    return manifest, encoded


def chunk_proof(encoded_chunks: Sequence[bytes], index: int) -> tuple[bytes, ...]:
    """SNAP-3: the inclusion proof a server sends with chunk ``index``."""
    return state_chunk_proof(encoded_chunks, index)


def verify_chunk(
    manifest: SnapshotManifest, index: int, chunk_bytes: bytes, proof: Sequence[bytes], preset: Preset
) -> SnapshotChunk:
    """SNAP-1..3: check one chunk against the manifest alone (SNAP-7); return it decoded."""
    verify_state_chunk(manifest, index, chunk_bytes, proof, preset)
    try:
        return decode(chunk_codec(preset), chunk_bytes)  # SNAP-2: each item a UTXO
    except DecodeError as exc:  # committed by the manifest, so only a faulty snapshot maker gets here
        raise SnapshotChunkMismatch(f"chunk {index} holds an item that is not a UTXO: {exc.code}") from None


def assemble_snapshot(
    manifest: SnapshotManifest, chunks: Sequence[SnapshotChunk], preset: Preset
) -> dict[OutPoint, UtxoEntry]:
    """SNAP-4: the UTXO set from verified chunks, checked against the manifest's state root (SNAP-8)."""
    items = assemble_state_snapshot(manifest, [_items(c, preset) for c in chunks], preset)
    return {decode_outpoint(k, preset): decode_entry(v, preset) for k, v in items.items()}

"""Chunked UTXO snapshots with a commitment (protocol steps "SNAP-*").

A node that joins late can download the UTXO set at some height instead of replaying every block.
The set is cut into chunks that peers serve independently and that the new node checks one by
one, before it has the rest:

* **SNAP-1** order: entries are sorted by outpoint (txid bytes, then index), strictly ascending,
  and chunk ``i`` holds entries ``[i * c, (i + 1) * c)`` with ``c = preset.snapshot.chunk_entries``.
* **SNAP-2** shape: every chunk but the last holds exactly ``c`` entries; the last holds
  ``1..c`` (an empty set has zero chunks).
* **SNAP-3** commitment: ``chunk_hash = H(SNAPSHOT_CHUNK, encode(chunk))`` and the manifest carries
  the binary Merkle root (spec/merkle.py) of the chunk hashes, so one chunk is checked with an
  inclusion proof of ``ceil(log2(chunks))`` hashes.
* **SNAP-4** assembly: all chunks present once, in order, the entry count equal to the manifest's,
  order strict across chunk boundaries, and the assembled set's STATE-1 root equal to the
  manifest's ``state_root`` -- which the node compares with the state root of the block header at
  ``height`` (chain flow), so a snapshot is exactly as trustworthy as that header.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from spec.encoding import BYTES32, U32, U64, ListOf, Struct, decode, encode
from spec.errors import (
    DecodeError,
    MerkleError,
    SnapshotChunkMismatch,
    SnapshotChunkSize,
    SnapshotIncomplete,
    SnapshotOrder,
    SnapshotStateRootMismatch,
)
from spec.hashing import HashDomain, tagged_hash
from spec.ledger.state import entry_codec, utxo_state_root
from spec.ledger.transaction import OutPoint, codecs
from spec.ledger.utxo import UtxoEntry, UtxoSet
from spec.merkle import inclusion_proof, merkle_root, verify_inclusion_proof
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


@cache
def chunk_codec(preset: Preset) -> Struct[SnapshotChunk]:
    """SNAP-3: the encoding of a chunk (index u32, then its entries)."""
    entry = Struct(SnapshotEntry, [("outpoint", codecs(preset).outpoint), ("entry", entry_codec(preset))])
    return Struct(SnapshotChunk, [("index", U32), ("entries", ListOf(entry, preset.snapshot.chunk_entries))])


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


def _sort_key(outpoint: OutPoint) -> tuple[bytes, int]:
    return (outpoint.txid, outpoint.index)


def make_chunks(utxos: UtxoSet, preset: Preset) -> tuple[SnapshotChunk, ...]:
    """SNAP-1/2: cut the set into ordered chunks."""
    size = preset.snapshot.chunk_entries
    ordered = [SnapshotEntry(o, utxos[o]) for o in sorted(utxos, key=_sort_key)]
    return tuple(
        SnapshotChunk(index, tuple(ordered[start : start + size]))
        for index, start in enumerate(range(0, len(ordered), size))
    )


def chunk_hash(chunk_bytes: bytes) -> bytes:
    """SNAP-3: the hash of an encoded chunk."""
    return tagged_hash(HashDomain.SNAPSHOT_CHUNK, chunk_bytes)


def encode_chunk(chunk: SnapshotChunk, preset: Preset) -> bytes:
    """SNAP-3: the canonical bytes of a chunk."""
    return encode(chunk_codec(preset), chunk)


def make_snapshot(utxos: UtxoSet, height: int, preset: Preset) -> tuple[SnapshotManifest, tuple[bytes, ...]]:
    """SNAP-1..3: the manifest and the encoded chunks of ``utxos`` at ``height``."""
    encoded = tuple(encode_chunk(c, preset) for c in make_chunks(utxos, preset))
    manifest = SnapshotManifest(
        height=height,
        state_root=utxo_state_root(utxos, preset),
        entry_count=len(utxos),
        chunk_count=len(encoded),
        chunk_root=merkle_root([chunk_hash(c) for c in encoded]),
    )
    return manifest, encoded


def chunk_proof(encoded_chunks: Sequence[bytes], index: int) -> tuple[bytes, ...]:
    """SNAP-3: the inclusion proof a server sends with chunk ``index``."""
    return inclusion_proof([chunk_hash(c) for c in encoded_chunks], index)


def _check_order(entries: Sequence[SnapshotEntry], after: OutPoint | None) -> None:
    previous = after
    for item in entries:
        if previous is not None and _sort_key(item.outpoint) <= _sort_key(previous):
            raise SnapshotOrder("outpoints are not strictly ascending")
        previous = item.outpoint


def verify_chunk(
    manifest: SnapshotManifest, index: int, chunk_bytes: bytes, proof: Sequence[bytes], preset: Preset
) -> SnapshotChunk:
    """SNAP-1..3: check one chunk against the manifest alone; return it decoded."""
    try:
        verify_inclusion_proof(
            chunk_hash(chunk_bytes), index, manifest.chunk_count, proof, manifest.chunk_root
        )
    except MerkleError as exc:
        raise SnapshotChunkMismatch(f"chunk {index}: {exc.code}") from None
    try:
        chunk = decode(chunk_codec(preset), chunk_bytes)
    except DecodeError as exc:  # committed by the manifest, so only a faulty snapshot maker gets here
        raise SnapshotChunkMismatch(f"chunk {index} does not decode: {exc.code}") from None
    if chunk.index != index:
        raise SnapshotChunkMismatch(f"chunk says it is number {chunk.index}, expected {index}")
    size = preset.snapshot.chunk_entries
    expected = size if index < manifest.chunk_count - 1 else manifest.entry_count - size * index
    if len(chunk.entries) != expected:
        raise SnapshotChunkSize(f"chunk {index} has {len(chunk.entries)} entries, expected {expected}")
    _check_order(chunk.entries, None)
    return chunk


def assemble_snapshot(
    manifest: SnapshotManifest, chunks: Sequence[SnapshotChunk], preset: Preset
) -> dict[OutPoint, UtxoEntry]:
    """SNAP-4: the UTXO set from verified chunks, checked against the manifest's state root."""
    if [c.index for c in chunks] != list(range(manifest.chunk_count)):
        raise SnapshotIncomplete("chunks must be given once each, in order")
    result: dict[OutPoint, UtxoEntry] = {}
    last: OutPoint | None = None
    for chunk in chunks:
        _check_order(chunk.entries, last)
        for item in chunk.entries:
            result[item.outpoint] = item.entry
            last = item.outpoint
    if len(result) != manifest.entry_count:
        raise SnapshotIncomplete(f"{len(result)} entries, manifest says {manifest.entry_count}")
    if utxo_state_root(result, preset) != manifest.state_root:
        raise SnapshotStateRootMismatch("assembled set does not match the manifest's state root")
    return result

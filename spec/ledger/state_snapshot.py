"""State snapshots over committed ``(key, value)`` items, for fast sync over P2P (steps "SNAP-5".."SNAP-8").

The one snapshot definition of the spec: a snapshot of *whatever a header's state root commits
to*, cut from the committed items themselves, the ``(key, value)`` byte strings the state trie
(spec/trie.py, MPT-*) is built from. Which items a state has is
:func:`spec.chain.commitment.compute_committed_items`: the UTXO items before fork ``state_trie``
(STATE-1, :func:`spec.ledger.state.compute_utxo_items`), every state item from it (STATE-2..4).
The UTXO snapshot of spec/ledger/snapshot.py (SNAP-1..4) is these rules over the STATE-1 items,
with a manifest that names no block.

* **SNAP-5** items: the snapshot of a state is its committed items sorted by key (bytewise),
  strictly ascending; chunk ``i`` holds items ``[i * c, (i + 1) * c)`` with ``c =
  preset.snapshot.chunk_entries``; every chunk but the last holds exactly ``c`` items, the last
  ``1..c`` (no items: no chunks). A chunk is encoded ``index u32 ‖ list<key bytes ‖ value bytes>``
  (keys and values at most ``encoding.max_bytes_field`` bytes).
* **SNAP-6** manifest: ``block_hash ‖ height u64 ‖ state_root ‖ item_count u64 ‖ chunk_count u32 ‖
  chunk_root``, where ``chunk_root`` is the binary Merkle root (MERKLE-2) of the chunk hashes
  ``H(SNAPSHOT_CHUNK, chunk bytes)``. A manifest is *consistent* when ``chunk_count`` is what
  ``item_count`` gives (SNAP-5), and it *matches a header* when ``block_hash``, ``height`` and
  ``state_root`` are the header's hash, height and ``state_root`` (``SNAPSHOT_STATE_ROOT_MISMATCH``
  otherwise).
* **SNAP-7** a chunk is checked against the manifest alone: its inclusion proof (MERKLE-4) from
  its hash to ``chunk_root``, its encoding, its index, its size (SNAP-5) and the strict order of
  its keys. A chunk failing this was sent wrong by the peer that sent it (given the manifest).
* **SNAP-8** assembly: every chunk once, in order, keys strictly ascending across chunks, the
  item count the manifest's, and the trie root of the items (MPT-6) equal to ``state_root``. Only
  this step binds ``chunk_root`` to the header: a manifest with the header's state root but a made-
  up ``chunk_root`` is caught here (``SNAPSHOT_STATE_ROOT_MISMATCH``), after the download. The
  chunk root of a given state is unique (SNAP-5 is deterministic), so two manifests for one block
  with different chunk roots mean one of them lies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Protocol

from spec.encoding import BYTES32, U32, U64, ListOf, Struct, VarBytes, decode, encode
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
from spec.ledger.state import compute_utxo_items
from spec.merkle import inclusion_proof, merkle_root, verify_inclusion_proof
from spec.presets import Preset
from spec.trie import RUSTY_TRIE_HASHER, trie_root

MAX_CHUNK_PROOF = 32
"""SNAP-7: a chunk's inclusion proof has at most ``ceil(log2(chunk_count))`` hashes, and
``chunk_count`` is a ``u32``."""


@dataclass(frozen=True)
class StateItem:
    """One committed item: a trie key and its value."""

    key: bytes
    value: bytes


@dataclass(frozen=True)
class StateChunk:
    """SNAP-5: the ``index``-th run of items."""

    index: int
    items: tuple[StateItem, ...]


@dataclass(frozen=True)
class StateSnapshotManifest:
    """SNAP-6: what a state snapshot commits to, and the block whose header it must match."""

    block_hash: bytes
    height: int
    state_root: bytes
    item_count: int
    chunk_count: int
    chunk_root: bytes


@cache
def state_chunk_codec(preset: Preset) -> Struct[StateChunk]:
    """SNAP-5: ``index u32 ‖ list<key bytes ‖ value bytes>``."""
    field = VarBytes(preset.encoding.max_bytes_field)
    item = Struct(StateItem, [("key", field), ("value", field)])
    return Struct(StateChunk, [("index", U32), ("items", ListOf(item, preset.snapshot.chunk_entries))])


STATE_MANIFEST_CODEC: Struct[StateSnapshotManifest] = Struct(
    StateSnapshotManifest,
    [
        ("block_hash", BYTES32),
        ("height", U64),
        ("state_root", BYTES32),
        ("item_count", U64),
        ("chunk_count", U32),
        ("chunk_root", BYTES32),
    ],
)
"""SNAP-6: the encoding of a manifest (124 bytes)."""


utxo_state_items = compute_utxo_items
"""STATE-1: the UTXO items (the same function as :func:`spec.ledger.state.compute_utxo_items`)."""


class ChunkedItems(Protocol):
    """What SNAP-7/8 read of a manifest (:class:`StateSnapshotManifest`, or SNAP-1..4's
    ``SnapshotManifest``, whose ``entry_count`` is its ``item_count``)."""

    @property
    def state_root(self) -> bytes: ...
    @property
    def item_count(self) -> int: ...
    @property
    def chunk_count(self) -> int: ...
    @property
    def chunk_root(self) -> bytes: ...


def chunk_hash(chunk_bytes: bytes) -> bytes:
    """SNAP-6: the hash of an encoded chunk, ``H(SNAPSHOT_CHUNK, chunk bytes)``."""
    return tagged_hash(HashDomain.SNAPSHOT_CHUNK, chunk_bytes)


def chunk_count_for(item_count: int, preset: Preset) -> int:
    """SNAP-5: how many chunks ``item_count`` items make."""
    size = preset.snapshot.chunk_entries
    return (item_count + size - 1) // size


def make_state_chunks(items: Mapping[bytes, bytes], preset: Preset) -> tuple[bytes, ...]:
    """SNAP-5: the encoded chunks of ``items``."""
    size = preset.snapshot.chunk_entries
    ordered = [StateItem(key, items[key]) for key in sorted(items)]
    codec = state_chunk_codec(preset)
    return tuple(
        encode(codec, StateChunk(index, tuple(ordered[start : start + size])))
        for index, start in enumerate(range(0, len(ordered), size))
    )


def snapshot_roots(items: Mapping[bytes, bytes], chunks: Sequence[bytes]) -> tuple[bytes, bytes]:
    """SNAP-6: ``(state_root, chunk_root)`` of ``items`` cut into ``chunks``: the trie root of the
    items (MPT-6) and the Merkle root (MERKLE-2) of the chunk hashes."""
    return trie_root(items, RUSTY_TRIE_HASHER), merkle_root([chunk_hash(c) for c in chunks])


def make_state_snapshot(
    items: Mapping[bytes, bytes], block_hash: bytes, height: int, preset: Preset
) -> tuple[StateSnapshotManifest, tuple[bytes, ...]]:
    """SNAP-5/6: the manifest and encoded chunks of ``items``, the state after block ``block_hash``."""
    chunks = make_state_chunks(items, preset)
    state_root, chunk_root = snapshot_roots(items, chunks)
    manifest = StateSnapshotManifest(
        block_hash=block_hash,
        height=height,
        state_root=state_root,
        item_count=len(items),
        chunk_count=len(chunks),
        chunk_root=chunk_root,
    )
    return manifest, chunks


def state_chunk_proof(chunks: Sequence[bytes], index: int) -> tuple[bytes, ...]:
    """SNAP-7: the inclusion proof a server sends with chunk ``index``."""
    return inclusion_proof([chunk_hash(c) for c in chunks], index)


def check_manifest(
    manifest: StateSnapshotManifest, block_hash: bytes, height: int, state_root: bytes, preset: Preset
) -> None:
    """SNAP-6: the manifest is consistent and matches the header of ``block_hash`` (at ``height``,
    committing to ``state_root``)."""
    if manifest.chunk_count != chunk_count_for(manifest.item_count, preset):
        raise SnapshotChunkSize(
            f"{manifest.item_count} items make {chunk_count_for(manifest.item_count, preset)} chunks"
        )
    if (manifest.block_hash, manifest.height, manifest.state_root) != (block_hash, height, state_root):
        raise SnapshotStateRootMismatch("the manifest does not match the header (hash, height or state root)")


def _check_order(items: Sequence[StateItem], after: bytes | None) -> None:
    previous = after
    for item in items:
        if previous is not None and item.key <= previous:
            raise SnapshotOrder("keys are not strictly ascending")
        previous = item.key


def verify_state_chunk(
    manifest: ChunkedItems, index: int, chunk_bytes: bytes, proof: Sequence[bytes], preset: Preset
) -> StateChunk:
    """SNAP-7: check chunk ``index`` against the manifest alone; return it decoded."""
    if not 0 <= index < manifest.chunk_count:
        raise SnapshotChunkMismatch(f"chunk {index} of {manifest.chunk_count}")
    try:
        verify_inclusion_proof(
            chunk_hash(chunk_bytes), index, manifest.chunk_count, proof, manifest.chunk_root
        )
    except MerkleError as exc:
        raise SnapshotChunkMismatch(f"chunk {index}: {exc.code}") from None
    try:
        chunk = decode(state_chunk_codec(preset), chunk_bytes)
    except DecodeError as exc:  # committed by the manifest: only a faulty snapshot maker gets here
        raise SnapshotChunkMismatch(f"chunk {index} does not decode: {exc.code}") from None
    if chunk.index != index:
        raise SnapshotChunkMismatch(f"chunk says it is number {chunk.index}, expected {index}")
    size = preset.snapshot.chunk_entries
    expected = size if index < manifest.chunk_count - 1 else manifest.item_count - size * index
    if len(chunk.items) != expected:
        raise SnapshotChunkSize(f"chunk {index} has {len(chunk.items)} items, expected {expected}")
    _check_order(chunk.items, None)
    return chunk


def assemble_state_snapshot(
    manifest: ChunkedItems, chunks: Sequence[StateChunk], preset: Preset
) -> dict[bytes, bytes]:
    """SNAP-8: the committed items from verified chunks, checked against the manifest's state root."""
    if [c.index for c in chunks] != list(range(manifest.chunk_count)):
        raise SnapshotIncomplete("chunks must be given once each, in order")
    items: dict[bytes, bytes] = {}
    last: bytes | None = None
    for chunk in chunks:
        _check_order(chunk.items, last)
        for item in chunk.items:
            items[item.key] = item.value
            last = item.key
    if len(items) != manifest.item_count:
        raise SnapshotIncomplete(f"{len(items)} items, manifest says {manifest.item_count}")
    if trie_root(items, RUSTY_TRIE_HASHER) != manifest.state_root:
        raise SnapshotStateRootMismatch("the assembled items do not have the manifest's state root")
    return items

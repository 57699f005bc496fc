"""State snapshots over committed (key, value) items (SNAP-5..8, spec/ledger/state_snapshot.py).

Properties: any item set round-trips through its chunks to itself under its own trie root; every
chunk verifies against the manifest alone, and a changed byte, a wrong index or a foreign proof
does not; a manifest matches only its own header; a manifest with the header's state root but a
made-up chunk root is caught at assembly (SNAP-8).
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spec.errors import (
    SnapshotChunkMismatch,
    SnapshotChunkSize,
    SnapshotIncomplete,
    SnapshotStateRootMismatch,
)
from spec.ledger.snapshot import chunk_hash
from spec.ledger.state import utxo_state_root
from spec.ledger.state_snapshot import (
    StateChunk,
    StateSnapshotManifest,
    assemble_state_snapshot,
    check_manifest,
    chunk_count_for,
    make_state_snapshot,
    state_chunk_proof,
    utxo_state_items,
    verify_state_chunk,
)
from spec.ledger.transaction import OutPoint, TxOutput
from spec.ledger.utxo import UtxoEntry
from spec.merkle import merkle_root
from spec.presets import DEVNET
from tests.hypothesis_profiles import examples

ITEMS = st.dictionaries(st.binary(min_size=1, max_size=40), st.binary(min_size=1, max_size=60), max_size=70)
BLOCK = bytes(range(32))


def _verify(manifest: StateSnapshotManifest, chunks: tuple[bytes, ...], index: int) -> StateChunk:
    return verify_state_chunk(manifest, index, chunks[index], state_chunk_proof(chunks, index), DEVNET)


@settings(max_examples=examples(40))
@given(ITEMS)
def test_items_round_trip_through_verified_chunks(items: dict[bytes, bytes]) -> None:
    manifest, chunks = make_state_snapshot(items, BLOCK, 7, DEVNET)
    assert manifest.chunk_count == len(chunks) == chunk_count_for(len(items), DEVNET)
    verified = [
        verify_state_chunk(manifest, i, c, state_chunk_proof(chunks, i), DEVNET) for i, c in enumerate(chunks)
    ]
    assert assemble_state_snapshot(manifest, verified, DEVNET) == items
    check_manifest(manifest, BLOCK, 7, manifest.state_root, DEVNET)


@settings(max_examples=examples(40))
@given(
    st.dictionaries(
        st.binary(min_size=1, max_size=40), st.binary(min_size=1, max_size=60), min_size=17, max_size=70
    ),
    st.data(),
)
def test_a_tampered_or_misplaced_chunk_never_verifies(items: dict[bytes, bytes], data: st.DataObject) -> None:
    manifest, chunks = make_state_snapshot(items, BLOCK, 7, DEVNET)
    index = data.draw(st.integers(0, len(chunks) - 1))
    chunk = chunks[index]
    position = data.draw(st.integers(0, len(chunk) - 1))
    flipped = chunk[:position] + bytes([chunk[position] ^ 1]) + chunk[position + 1 :]
    with pytest.raises(SnapshotChunkMismatch):
        verify_state_chunk(manifest, index, flipped, state_chunk_proof(chunks, index), DEVNET)
    other = (index + 1) % len(chunks)
    with pytest.raises(SnapshotChunkMismatch):
        verify_state_chunk(manifest, other, chunk, state_chunk_proof(chunks, other), DEVNET)
    with pytest.raises(SnapshotChunkMismatch):
        verify_state_chunk(manifest, len(chunks), chunk, (), DEVNET)


def test_the_utxo_items_are_what_the_header_commits_to() -> None:
    utxos = {
        OutPoint(bytes([i]) * 32, i): UtxoEntry(TxOutput(1_000 + i, bytes([i % 7]) * (i % 5)), i, i % 3 == 0)
        for i in range(40)
    }
    manifest, _ = make_state_snapshot(utxo_state_items(utxos, DEVNET), BLOCK, 9, DEVNET)
    assert manifest.state_root == utxo_state_root(utxos, DEVNET)  # STATE-1


def test_manifest_must_match_the_header_and_be_consistent() -> None:
    items = {bytes([i]): bytes([i, i]) for i in range(1, 40)}
    manifest, _ = make_state_snapshot(items, BLOCK, 7, DEVNET)
    with pytest.raises(SnapshotStateRootMismatch):
        check_manifest(manifest, BLOCK, 7, bytes(32), DEVNET)
    with pytest.raises(SnapshotStateRootMismatch):
        check_manifest(manifest, bytes(32), 7, manifest.state_root, DEVNET)
    with pytest.raises(SnapshotStateRootMismatch):
        check_manifest(manifest, BLOCK, 8, manifest.state_root, DEVNET)
    with pytest.raises(SnapshotChunkSize):
        check_manifest(
            replace(manifest, chunk_count=manifest.chunk_count + 1), BLOCK, 7, manifest.state_root, DEVNET
        )


def test_a_made_up_chunk_root_is_caught_at_assembly() -> None:
    """A liar copies the header's state root into a manifest of other items: every chunk verifies
    against its chunk root (SNAP-7), and assembly refuses the result (SNAP-8)."""
    honest = {bytes([i]): bytes([i]) for i in range(1, 40)}
    forged = {**honest, b"\xff": b"minted"}
    manifest, _ = make_state_snapshot(honest, BLOCK, 7, DEVNET)
    lie, lie_chunks = make_state_snapshot(forged, BLOCK, 7, DEVNET)
    lie = replace(lie, state_root=manifest.state_root, item_count=len(forged))
    check_manifest(lie, BLOCK, 7, manifest.state_root, DEVNET)  # it matches the header
    verified = [
        verify_state_chunk(lie, i, c, state_chunk_proof(lie_chunks, i), DEVNET)
        for i, c in enumerate(lie_chunks)
    ]
    with pytest.raises(SnapshotStateRootMismatch):
        assemble_state_snapshot(lie, verified, DEVNET)
    assert lie.chunk_root == merkle_root([chunk_hash(c) for c in lie_chunks]) != manifest.chunk_root
    with pytest.raises(SnapshotIncomplete):
        assemble_state_snapshot(lie, verified[:-1], DEVNET)

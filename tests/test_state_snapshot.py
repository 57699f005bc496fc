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

from conformance.upgradechain import state_trie_chain
from spec.chain.commitment import build_commitment, compute_committed_items, compute_state_items
from spec.chain.layout import StateLayout
from spec.chain.state import BlockContext, ChainState, apply_block, tip_state_layout
from spec.errors import (
    SnapshotChunkMismatch,
    SnapshotChunkSize,
    SnapshotIncomplete,
    SnapshotStateRootMismatch,
    StateItemError,
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
from spec.p2p.sync import EMPTY_HEADER_CHAIN, HeaderChain, connect_headers, snapshot_state
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


# ----------------------------------------------------------------- starting from a snapshot (P2P-SYNC-4)


def _state_trie_header_chain(length: int) -> tuple[list[ChainState], HeaderChain]:
    builder = state_trie_chain(DEVNET, length)
    headers = [b.header for b in builder.blocks]
    chain = connect_headers(EMPTY_HEADER_CHAIN, headers, headers[-1].timestamp, DEVNET)
    return list(builder.states[1:]), chain


def test_a_state_rebuilt_from_its_snapshot_items_equals_the_replayed_state() -> None:
    """P2P-SYNC-4 cross-checked: from the activation of ``state_trie`` (devnet: 50) the state rebuilt
    from the committed items of a replayed state, through a verified snapshot, is that state, and
    its trie (built from scratch) has the header's root; the next block applies on it as on the
    replayed state."""
    states, chain = _state_trie_header_chain(56)
    builder = state_trie_chain(DEVNET, 56)
    for height in range(50, 55):
        replayed = states[height]
        assert tip_state_layout(replayed, DEVNET) is StateLayout.FULL
        items = compute_committed_items(replayed, StateLayout.FULL, DEVNET)
        manifest, chunks = make_state_snapshot(items, chain.hashes[height], height, DEVNET)
        assert manifest.state_root == builder.blocks[height].header.state_root
        verified = [_verify(manifest, chunks, i) for i in range(len(chunks))]
        rebuilt = snapshot_state(assemble_state_snapshot(manifest, verified, DEVNET), chain, height, DEVNET)
        assert rebuilt == replayed
        assert rebuilt.commitment is None
        trie = build_commitment(rebuilt, StateLayout.FULL, DEVNET)
        assert replayed.commitment is not None and trie.root == replayed.commitment.root
        assert compute_state_items(rebuilt, DEVNET) == items
        block = builder.blocks[height + 1]
        context = BlockContext(now=block.header.timestamp)
        assert apply_block(rebuilt, block, context, DEVNET) == states[height + 1]


def test_a_snapshot_of_the_utxo_set_only_does_not_start_a_chain() -> None:
    """Before ``state_trie`` the header commits to the UTXO set only: its items are not a state
    (STATE-5), and a full item set of a state under the previous fork does not match its header
    (``SNAPSHOT_STATE_ROOT_MISMATCH``), nor does a height without a header."""
    states, chain = _state_trie_header_chain(56)
    before = states[45]
    assert tip_state_layout(before, DEVNET) is StateLayout.UTXO
    with pytest.raises(StateItemError):
        snapshot_state(compute_committed_items(before, StateLayout.UTXO, DEVNET), chain, 45, DEVNET)
    with pytest.raises(SnapshotStateRootMismatch):
        snapshot_state(compute_state_items(before, DEVNET), chain, 45, DEVNET)
    full = compute_state_items(states[52], DEVNET)
    for height in (-1, chain.height + 1):
        with pytest.raises(SnapshotStateRootMismatch):
            snapshot_state(full, chain, height, DEVNET)

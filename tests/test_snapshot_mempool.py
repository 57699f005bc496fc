"""Snapshots (SNAP-*), the state commitment (STATE-1) and the mempool (MEMPOOL-*)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spec.errors import (
    AlreadyInMempool,
    DustOutput,
    FeeRateTooLow,
    MempoolFull,
    ReplacementRejected,
    SnapshotChunkMismatch,
    SnapshotIncomplete,
    SnapshotStateRootMismatch,
)
from spec.ledger.mempool import EMPTY_MEMPOOL, admit, remove_for_block, select_for_block
from spec.ledger.snapshot import assemble_snapshot, chunk_proof, make_snapshot, verify_chunk
from spec.ledger.state import utxo_state_root
from spec.ledger.transaction import OutPoint, TxOutput, transaction_size, txid
from spec.ledger.utxo import UtxoEntry, apply_transaction
from spec.ledger.validation import LedgerContext
from spec.presets import DEVNET
from tests.hypothesis_profiles import examples
from tests.ledger_helpers import PRESET, funded, key, outpoints_of, spend

ALICE, BOB, CAROL = key("alice"), key("bob"), key("carol")
CONTEXT = LedgerContext(height=PRESET.ledger.coinbase_maturity + 1, median_time_past=1_700_000_000)

entries = st.builds(
    UtxoEntry,
    output=st.builds(TxOutput, value=st.integers(0, 2**40), script_pubkey=st.binary(max_size=40)),
    height=st.integers(0, 2**32 - 1),
    is_coinbase=st.booleans(),
)
utxo_sets = st.dictionaries(
    st.builds(OutPoint, txid=st.binary(min_size=32, max_size=32), index=st.integers(0, 2**32 - 1)),
    entries,
    max_size=60,
)


@settings(max_examples=examples(40))
@given(utxo_sets)
def test_snapshot_round_trip(utxos: dict[OutPoint, UtxoEntry]) -> None:
    manifest, chunks = make_snapshot(utxos, 7, DEVNET)
    verified = [verify_chunk(manifest, i, c, chunk_proof(chunks, i), DEVNET) for i, c in enumerate(chunks)]
    assert assemble_snapshot(manifest, verified, DEVNET) == utxos
    assert manifest.state_root == utxo_state_root(dict(reversed(list(utxos.items()))), DEVNET)


@settings(max_examples=examples(40))
@given(
    st.dictionaries(
        st.builds(OutPoint, txid=st.binary(min_size=32, max_size=32), index=st.integers(0, 2**32 - 1)),
        entries,
        min_size=DEVNET.snapshot.chunk_entries + 1,
        max_size=60,
    ),
    st.data(),
)
def test_snapshot_rejects_tampering(utxos: dict[OutPoint, UtxoEntry], data: st.DataObject) -> None:
    manifest, chunks = make_snapshot(utxos, 7, DEVNET)
    index = data.draw(st.integers(0, len(chunks) - 1))
    position = data.draw(st.integers(0, len(chunks[index]) - 1))
    tampered = bytearray(chunks[index])
    tampered[position] ^= 1 << data.draw(st.integers(0, 7))
    with pytest.raises(SnapshotChunkMismatch):
        verify_chunk(manifest, index, bytes(tampered), chunk_proof(chunks, index), DEVNET)
    other = (index + 1) % len(chunks)
    with pytest.raises(SnapshotChunkMismatch):
        verify_chunk(manifest, other, chunks[index], chunk_proof(chunks, index), DEVNET)


def test_snapshot_assembly_checks() -> None:
    utxos, _ = funded([ALICE, BOB, CAROL] * 10, 1_000)
    manifest, chunks = make_snapshot(utxos, 0, DEVNET)
    verified = [verify_chunk(manifest, i, c, chunk_proof(chunks, i), DEVNET) for i, c in enumerate(chunks)]
    with pytest.raises(SnapshotIncomplete):
        assemble_snapshot(manifest, verified[:-1], DEVNET)
    with pytest.raises(SnapshotStateRootMismatch):
        assemble_snapshot(replace(manifest, state_root=bytes(32)), verified, DEVNET)
    assert make_snapshot({}, 0, DEVNET)[1] == ()


def _funded_mempool_scenario() -> tuple[dict[OutPoint, UtxoEntry], list[OutPoint]]:
    utxos, cb = funded([ALICE, BOB, CAROL], 100_000)
    return utxos, outpoints_of(cb)


def test_mempool_admission_policy() -> None:
    utxos, coins = _funded_mempool_scenario()
    tx = spend(utxos, coins[:1], [ALICE], [TxOutput(90_000, BOB.script_pubkey)])
    pool, removed = admit(EMPTY_MEMPOOL, tx, utxos, CONTEXT, PRESET)
    assert removed == frozenset() and txid(tx, PRESET) in pool.entries
    with pytest.raises(AlreadyInMempool):
        admit(pool, tx, utxos, CONTEXT, PRESET)
    stingy = spend(utxos, coins[1:2], [BOB], [TxOutput(100_000 - 10, BOB.script_pubkey)])
    with pytest.raises(FeeRateTooLow):
        admit(pool, stingy, utxos, CONTEXT, PRESET)
    dusty = spend(
        utxos, coins[1:2], [BOB], [TxOutput(499, BOB.script_pubkey), TxOutput(90_000, CAROL.script_pubkey)]
    )
    with pytest.raises(DustOutput):
        admit(pool, dusty, utxos, CONTEXT, PRESET)


def test_unconfirmed_chains_and_templates_put_parents_first() -> None:
    utxos, coins = _funded_mempool_scenario()
    parent = spend(utxos, coins[:1], [ALICE], [TxOutput(99_000, BOB.script_pubkey)])
    pool, _ = admit(EMPTY_MEMPOOL, parent, utxos, CONTEXT, PRESET)
    unconfirmed, _ = apply_transaction(utxos, parent, CONTEXT.height, PRESET)
    child = spend(
        unconfirmed, outpoints_of(parent), [BOB], [TxOutput(50_000, CAROL.script_pubkey)]
    )  # high fee
    pool, _ = admit(pool, child, utxos, CONTEXT, PRESET)
    template = select_for_block(pool, 10_000)
    assert template == (parent, child)
    assert select_for_block(pool, transaction_size(parent, PRESET)) == (parent,)
    assert remove_for_block(pool, [parent], PRESET).entries.keys() == {txid(child, PRESET)}


def test_replacement_rules() -> None:
    utxos, coins = _funded_mempool_scenario()
    original = spend(utxos, coins[:1], [ALICE], [TxOutput(99_000, BOB.script_pubkey)])
    pool, _ = admit(EMPTY_MEMPOOL, original, utxos, CONTEXT, PRESET)
    size = transaction_size(original, PRESET)
    cheap = spend(utxos, coins[:1], [ALICE], [TxOutput(99_000 - size // 2, CAROL.script_pubkey)])
    with pytest.raises(ReplacementRejected):
        admit(pool, cheap, utxos, CONTEXT, PRESET)
    better = spend(utxos, coins[:1], [ALICE], [TxOutput(99_000 - 2 * size, CAROL.script_pubkey)])
    replaced_pool, removed = admit(pool, better, utxos, CONTEXT, PRESET)
    assert removed == {txid(original, PRESET)}
    assert set(replaced_pool.entries) == {txid(better, PRESET)}
    assert set(replaced_pool.spenders.values()) == {txid(better, PRESET)}


def test_eviction_keeps_size_limit() -> None:
    small = replace(PRESET, mempool=replace(PRESET.mempool, max_mempool_bytes=450))
    utxos, coins = _funded_mempool_scenario()
    pool = EMPTY_MEMPOOL
    fees = [1_000, 5_000, 3_000]
    signers = [ALICE, BOB, CAROL]
    txs = [
        spend(utxos, [c], [s], [TxOutput(100_000 - f, s.script_pubkey)])
        for c, s, f in zip(coins, signers, fees, strict=True)
    ]
    pool, _ = admit(pool, txs[0], utxos, CONTEXT, small)
    pool, _ = admit(pool, txs[1], utxos, CONTEXT, small)
    assert pool.total_bytes <= 450
    pool, evicted = admit(pool, txs[2], utxos, CONTEXT, small)
    assert evicted == {txid(txs[0], PRESET)}
    assert pool.total_bytes <= 450
    low = spend(utxos, [coins[0]], [ALICE], [TxOutput(100_000 - 500, ALICE.script_pubkey)])
    with pytest.raises(MempoolFull):
        admit(pool, low, utxos, CONTEXT, small)

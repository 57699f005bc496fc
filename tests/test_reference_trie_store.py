"""The reference node's stored UTXO trie (reference/storage.py ``trie_nodes``).

After every connect, disconnect and reorganisation the table must hold exactly the nodes of the
trie of the current UTXO set, each with the number of places it occupies, recomputed here from
scratch with spec/trie.py (:func:`tests.test_reference_storage.trie_nodes_of`); its root must be
every header's ``state_root``; reading it back after a reopen must give the same; and lookups and
proofs through the stored nodes must agree with the UTXO table. The crash test
(``test_kill_9_during_import_recovers_to_a_replayed_prefix``) checks the nodes after each kill -9.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from conformance.chainbuilder import ChainBuilder, mine
from conformance.wallet import key, spend_p2pkh
from reference.storage import ChainStore, TrieStoreError, replay
from spec.chain.block import Block, block_hash
from spec.chain.state import BlockContext
from spec.errors import TrieProofHashMismatch
from spec.ledger.state import decode_entry, encode_entry, encode_outpoint
from spec.ledger.transaction import OutPoint, TxOutput, txid
from spec.presets import DEVNET
from spec.trie import RUSTY_TRIE_HASHER, Trie, prove, verify_exclusion, verify_inclusion
from tests.test_reference_storage import _chain, _fork, trie_nodes_of

EMPTY_ROOT = RUSTY_TRIE_HASHER.empty_root


@pytest.fixture(scope="module")
def chain() -> list[Block]:
    return _chain(30)


def _check(store: ChainStore) -> None:
    """The store's nodes are exactly those of its UTXO set's trie; its root is the tip's state root."""
    tip = store.block(store.state.tip_hash)
    assert store.state_root == (EMPTY_ROOT if tip is None else tip.header.state_root)
    assert store.trie_node_counts() == trie_nodes_of(store.state)


def _import(store: ChainStore, blocks: list[Block]) -> None:
    for block in blocks:
        store.import_block(block, BlockContext(now=block.header.timestamp))


def test_stored_root_is_every_headers_state_root(tmp_path: Path, chain: list[Block]) -> None:
    store = ChainStore(tmp_path / "node.sqlite", DEVNET)
    _check(store)
    assert store.trie_node_counts() == {}
    for block in chain:
        _import(store, [block])
        assert store.state_root == block.header.state_root
        _check(store)
    counts = store.trie_node_counts()
    store.close()
    reopened = ChainStore(tmp_path / "node.sqlite", DEVNET)
    assert reopened.state_root == chain[-1].header.state_root
    assert reopened.trie_node_counts() == counts
    reopened.close()


def test_lookups_through_the_trie_match_the_utxo_table(tmp_path: Path, chain: list[Block]) -> None:
    store = ChainStore(tmp_path / "node.sqlite", DEVNET)
    _import(store, chain)
    store.close()
    store = ChainStore(tmp_path / "node.sqlite", DEVNET)  # proofs come from the reopened file
    table = {bytes(o): bytes(e) for o, e in store.db.execute("SELECT outpoint, entry FROM utxos")}
    assert len(table) == len(store.state.utxos) > 20
    rebuilt = Trie.from_items(table)
    for outpoint, entry in store.state.utxos.items():
        key_ = encode_outpoint(outpoint, DEVNET)
        assert store.utxo_from_trie(outpoint) == entry == decode_entry(table[key_], DEVNET)
        root, proof = store.utxo_proof(outpoint)
        assert root == chain[-1].header.state_root
        assert proof == prove(rebuilt, key_)
        verify_inclusion(root, key_, encode_entry(entry, DEVNET), proof, RUSTY_TRIE_HASHER)
    spent = {i.previous_output for block in chain for tx in block.transactions[1:] for i in tx.inputs}
    missing = spent | {OutPoint(bytes(32), 0), OutPoint(bytes([255]) * 32, 7)}
    assert spent and not spent & store.state.utxos.keys()
    for outpoint in missing:
        assert store.utxo_from_trie(outpoint) is None
        root, proof = store.utxo_proof(outpoint)
        verify_exclusion(root, encode_outpoint(outpoint, DEVNET), proof, RUSTY_TRIE_HASHER)
    store.close()


def test_disconnects_release_exactly_the_unreachable_nodes(tmp_path: Path, chain: list[Block]) -> None:
    store = ChainStore(tmp_path / "node.sqlite", DEVNET)
    _import(store, chain)
    for height in range(len(chain) - 1, -1, -1):
        store.disconnect_tip()
        assert store.state.height == height - 1
        _check(store)
        if height == 15:  # the undo path also works on a store read back from disk
            store.close()
            store = ChainStore(tmp_path / "node.sqlite", DEVNET)
            _check(store)
    assert store.state_root == EMPTY_ROOT and store.trie_node_counts() == {}
    _import(store, chain[:8])
    _check(store)
    store.close()


def _paying(builder: ChainBuilder, spend_height: int, payee: str) -> Block:
    """Extend ``builder`` with a block spending the coinbase output of block ``spend_height`` (which
    the default miner key mined: the blocks before any fork) to two outputs of ``payee``."""
    coinbase = OutPoint(txid(builder.blocks[spend_height].transactions[0], DEVNET), 0)
    value = builder.state.utxos[coinbase].output.value
    script = key(payee).script_pubkey
    outputs = [TxOutput(value // 2, script), TxOutput(value // 2 - 3_000, script)]
    return builder.extend([spend_p2pkh(builder.state.utxos, [coinbase], [key("miner")], outputs, DEVNET)])


def test_reorganisation_keeps_exactly_the_best_states_nodes(tmp_path: Path) -> None:
    main_chain = ChainBuilder(DEVNET)
    for height in range(16):
        if height in (7, 9):
            _paying(main_chain, height - 6, f"main-payee{height}")
        else:
            main_chain.extend()
    rival = _fork(main_chain, 7, "rival-miner")  # shares blocks 0..6; block 7 spent coinbase 1 on main
    for height in range(7, 14):
        if height == 8:
            _paying(rival, 2, "rival-payee")
        else:
            rival.extend()
    store = ChainStore(tmp_path / "node.sqlite", DEVNET)
    now = max(block.header.timestamp for block in main_chain.blocks + rival.blocks)
    for block in main_chain.blocks[:12]:
        assert store.accept_block(block, now).outcome == "connected"
    _check(store)
    outcomes = [store.accept_block(block, now).outcome for block in rival.blocks[7:]]
    assert "reorganised" in outcomes
    assert store.state == replay(rival.blocks, DEVNET)
    assert store.state_root == rival.blocks[-1].header.state_root
    _check(store)
    # A heavier branch whose first block has a bad state root: tried, refused, the best branch restored.
    bad = _fork(rival, 10, "bad-miner")
    for _ in range(6):
        bad.extend()
    broken_header = replace(bad.blocks[10].header, state_root=bytes(32))
    broken = replace(bad.blocks[10], header=mine(broken_header, DEVNET))
    assert store.accept_block(broken, now).outcome == "side_branch"
    assert store.state_root == rival.blocks[-1].header.state_root
    _check(store)
    # Back to the first chain, now heavier: the nodes follow the switch back.
    for block in main_chain.blocks[12:]:
        store.accept_block(block, now)
    assert store.state.tip_hash == block_hash(main_chain.blocks[-1].header, DEVNET)
    _check(store)
    store.close()
    reopened = ChainStore(tmp_path / "node.sqlite", DEVNET)
    assert reopened.state_root == main_chain.blocks[-1].header.state_root
    _check(reopened)
    reopened.close()


def test_a_root_that_differs_from_the_validated_one_is_a_bug(tmp_path: Path, chain: list[Block]) -> None:
    """If the maintained trie ever diverged from the UTXO set, the block is not written."""
    store = ChainStore(tmp_path / "node.sqlite", DEVNET)
    _import(store, chain[:10])
    before = (store.state, store.trie_node_counts(), store.best_hashes())
    store._trie = store._trie.insert(bytes(36), b"not an entry")
    with pytest.raises(TrieStoreError):
        _import(store, [chain[10]])
    with pytest.raises(TrieStoreError):
        store.disconnect_tip()
    assert (store.state, store.trie_node_counts(), store.best_hashes()) == before
    store.close()
    reopened = ChainStore(tmp_path / "node.sqlite", DEVNET)
    _import(reopened, chain[10:12])
    _check(reopened)
    reopened.close()


def test_a_store_without_trie_nodes_gets_them_from_its_utxo_set(tmp_path: Path, chain: list[Block]) -> None:
    """A database written before the table existed: the nodes are written once, at open."""
    store = ChainStore(tmp_path / "node.sqlite", DEVNET)
    _import(store, chain[:12])
    expected = store.trie_node_counts()
    store.db.execute("DELETE FROM trie_nodes")
    store.close()
    reopened = ChainStore(tmp_path / "node.sqlite", DEVNET)
    assert reopened.trie_node_counts() == expected
    _import(reopened, chain[12:14])
    _check(reopened)
    reopened.close()


def test_a_damaged_node_is_caught_when_the_store_opens(tmp_path: Path, chain: list[Block]) -> None:
    store = ChainStore(tmp_path / "node.sqlite", DEVNET)
    _import(store, chain[:12])
    digest, data = next(
        (d, data) for d, (data, _) in store.trie_node_counts().items() if d != store.state_root
    )
    damaged = data[:-1] + bytes([data[-1] ^ 1])
    store.db.execute("UPDATE trie_nodes SET data = ? WHERE hash = ?", (damaged, digest))
    store.close()
    with pytest.raises(TrieProofHashMismatch):
        ChainStore(tmp_path / "node.sqlite", DEVNET)

"""The reference node's storage: atomic block import, and recovery after kill -9 equals a spec replay.

The trie nodes (reference/storage.py ``trie_nodes``) are checked here after every crash; the rest of
their tests are in tests/test_reference_trie_store.py.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from conformance.chainbuilder import ChainBuilder, mine, voting_ticket_script
from conformance.wallet import key, sign_transaction
from reference.storage import ChainStore, replay
from spec.chain.block import Block, block_hash, encode_block
from spec.chain.state import BlockContext, ChainState
from spec.chain.tickets import live_tickets, next_ticket_price
from spec.errors import ChainError
from spec.ledger.state import encode_entry, encode_outpoint, utxo_state_root
from spec.ledger.transaction import SEQUENCE_FINAL, OutPoint, Transaction, TxInput, TxOutput, txid
from spec.presets import DEVNET
from spec.trie import Trie, stored_node_changes

ROOT = Path(__file__).resolve().parent.parent


def _chain(length: int) -> list[Block]:
    """A devnet chain with payments and ticket purchases (so UTXOs and tickets both change)."""
    builder = ChainBuilder(DEVNET)
    stakers = [key(f"storage-staker{i}") for i in range(6)]
    for staker in stakers:
        builder.register_voter(staker)
    for _ in range(DEVNET.ledger.coinbase_maturity + 1):
        builder.extend()
    spendable = 0
    while builder.state.height + 1 < length:
        coinbase = builder.blocks[spendable].transactions[0]
        outpoint = OutPoint(txid(coinbase, DEVNET), 0)
        value = builder.state.utxos[outpoint].output.value
        height = builder.state.height + 1
        live = len(live_tickets(builder.state.tickets, height, DEVNET))
        price = next_ticket_price(height, builder.state.ticket_price, live, DEVNET)
        buys = stakers[: 2 if spendable % 3 == 0 else 0]
        outputs = [TxOutput(price, voting_ticket_script(s)) for s in buys]
        outputs.append(TxOutput(value - price * len(buys) - 5_000, key("storage-payee").script_pubkey))
        unsigned = Transaction(1, (TxInput(outpoint, b"", SEQUENCE_FINAL),), tuple(outputs), 0)
        tx = sign_transaction(unsigned, [builder.state.utxos[outpoint].output], [builder.miner], DEVNET)
        builder.extend([tx])
        spendable += 1
    return builder.blocks


def trie_nodes_of(state: ChainState) -> dict[bytes, tuple[bytes, int]]:
    """The trie nodes a store must hold for ``state``: ``hash -> (RLP, count)``, recomputed from scratch."""
    items = {encode_outpoint(o, DEVNET): encode_entry(e, DEVNET) for o, e in state.utxos.items()}
    trie = Trie.from_items(items)
    assert trie.root_hash == utxo_state_root(state.utxos, DEVNET)
    counts = {digest: (data, count) for digest, data, count in stored_node_changes(Trie(), trie)}
    assert {digest: data for digest, (data, _) in counts.items()} == dict(trie.node_store)
    return counts


@pytest.fixture(scope="module")
def chain() -> list[Block]:
    return _chain(40)


def test_import_then_reopen_equals_replay(tmp_path: Path, chain: list[Block]) -> None:
    store = ChainStore(tmp_path / "node.sqlite", DEVNET)
    for block in chain:
        store.import_block(block, BlockContext(now=block.header.timestamp))
    expected = replay(chain, DEVNET)
    assert store.state == expected
    store.close()
    reopened = ChainStore(tmp_path / "node.sqlite", DEVNET)
    assert reopened.state == expected
    assert list(reopened.best_chain()) == chain
    assert reopened.state.tickets, "the test chain should hold live tickets"
    reopened.close()


def test_invalid_block_changes_nothing(tmp_path: Path, chain: list[Block]) -> None:
    store = ChainStore(tmp_path / "node.sqlite", DEVNET)
    for block in chain[:10]:
        store.import_block(block, BlockContext(now=block.header.timestamp))
    before = store.state
    with pytest.raises(ChainError):
        store.import_block(chain[11], BlockContext(now=chain[11].header.timestamp))  # skips block 10
    assert store.state == before
    store.close()
    assert ChainStore(tmp_path / "node.sqlite", DEVNET).state == before


def test_kill_9_during_import_recovers_to_a_replayed_prefix(tmp_path: Path, chain: list[Block]) -> None:
    """Kill the importer at random instants; every restart finds exactly the state of some prefix."""
    database = tmp_path / "node.sqlite"
    blocks_file = tmp_path / "blocks.hex"
    blocks_file.write_text("\n".join(encode_block(b, DEVNET).hex() for b in chain))
    rng = random.Random(20261125)
    kills_mid_import = 0
    for _ in range(60):
        worker = subprocess.Popen(
            [sys.executable, "-m", "tests.storage_worker", str(database), str(blocks_file)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        assert worker.stdout is not None
        assert worker.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.03))
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        store = ChainStore(database, DEVNET)
        stored = list(store.best_chain())
        assert stored == chain[: len(stored)]
        assert store.state == replay(stored, DEVNET)
        assert store.trie_node_counts() == trie_nodes_of(store.state)
        height = store.state.height
        store.close()
        if height + 1 == len(chain):
            break
        kills_mid_import += 1
    assert kills_mid_import >= 2, "the importer was never killed in the middle of the chain"
    final = subprocess.run(
        [sys.executable, "-m", "tests.storage_worker", str(database), str(blocks_file)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    assert final.stdout.startswith("ready")
    store = ChainStore(database, DEVNET)
    assert store.state == replay(chain, DEVNET)
    assert store.trie_node_counts() == trie_nodes_of(store.state)
    store.close()


def _fork(base: ChainBuilder, at: int, miner: str) -> ChainBuilder:
    """A builder continuing ``base``'s chain after its first ``at`` blocks with another miner key."""
    return ChainBuilder(
        DEVNET,
        miner=key(miner),
        voters=dict(base.voters),
        states=list(base.states[: at + 1]),
        blocks=list(base.blocks[:at]),
    )


def test_reorganisation_follows_most_work_and_survives_invalid_branches(tmp_path: Path) -> None:
    main_chain = ChainBuilder(DEVNET)
    for _ in range(12):
        main_chain.extend()
    rival = _fork(main_chain, 8, "rival-miner")
    for _ in range(6):  # 14 blocks: more work than the 12-block chain
        rival.extend()
    store = ChainStore(tmp_path / "node.sqlite", DEVNET)
    now = main_chain.blocks[-1].header.timestamp
    for block in main_chain.blocks:
        assert store.accept_block(block, now).outcome == "connected"
    outcomes = [store.accept_block(block, now).outcome for block in rival.blocks[8:]]
    assert outcomes[:4] == ["side_branch"] * 4  # equal or less work: stay
    assert outcomes[4] == "reorganised" and outcomes[5] == "connected"
    assert store.state == rival.state == replay(rival.blocks, DEVNET)
    assert store.accept_block(rival.blocks[-1], now).outcome == "duplicate"
    # A heavier branch whose first block is invalid (bad state root, valid PoW) is rejected, tip kept.
    bad = _fork(rival, 10, "bad-miner")
    for _ in range(6):
        bad.extend()
    broken_header = replace(bad.blocks[10].header, state_root=bytes(32))
    broken = replace(bad.blocks[10], header=mine(broken_header, DEVNET))
    assert store.accept_block(broken, now).outcome == "side_branch"
    assert store.state == rival.state
    store.close()
    reopened = ChainStore(tmp_path / "node.sqlite", DEVNET)
    assert reopened.state == replay(rival.blocks, DEVNET)
    reopened.close()


def test_disconnect_restores_every_previous_state(tmp_path: Path, chain: list[Block]) -> None:
    store = ChainStore(tmp_path / "node.sqlite", DEVNET)
    states = [store.state]
    for block in chain:
        states.append(store.import_block(block, BlockContext(now=block.header.timestamp)))
    for expected in reversed(states[:-1]):
        assert store.disconnect_tip() == expected
    store.close()


def _tampered(block: Block) -> Block:
    """``block`` with its real header and a different body (the coinbase pays one atom less)."""
    coinbase = block.transactions[0]
    first = coinbase.outputs[0]
    outputs = (replace(first, value=first.value - 1), *coinbase.outputs[1:])
    return replace(block, transactions=(replace(coinbase, outputs=outputs), *block.transactions[1:]))


def test_a_tampered_body_under_a_real_header_never_poisons_the_honest_block(tmp_path: Path) -> None:
    """Issue 10 item 1: the real header of a competing block arrives first with a tampered body; it is
    refused without storing anything, the honest block is then accepted and the node follows the
    honest (heavier) chain, also after a restart."""
    main_chain = ChainBuilder(DEVNET)
    for _ in range(12):
        main_chain.extend()
    rival = _fork(main_chain, 8, "honest-rival")
    for _ in range(6):
        rival.extend()
    store = ChainStore(tmp_path / "node.sqlite", DEVNET)
    now = rival.blocks[-1].header.timestamp
    for block in main_chain.blocks:
        assert store.accept_block(block, now).outcome == "connected"
    for position in (8, 9):  # the fork's first block, and a block on top of a stored side block
        if position == 9:
            assert store.accept_block(rival.blocks[8], now).outcome == "side_branch"
        poisoned = _tampered(rival.blocks[position])
        accepted = store.accept_block(poisoned, now)
        assert accepted.outcome == "invalid" and accepted.error == "BLK_BAD_MERKLE_ROOT"
        assert not store.has_block(block_hash(rival.blocks[position].header, DEVNET))
        assert store.state == main_chain.state
    outcomes = [store.accept_block(block, now).outcome for block in rival.blocks[9:]]
    assert "reorganised" in outcomes and "invalid" not in outcomes and "duplicate" not in outcomes
    assert store.state == rival.state
    store.close()
    reopened = ChainStore(tmp_path / "node.sqlite", DEVNET)
    assert reopened.state == replay(rival.blocks, DEVNET)
    assert reopened.accept_block(_tampered(rival.blocks[-1]), now).outcome == "duplicate"
    reopened.close()


def test_a_store_poisoned_by_an_earlier_version_heals_at_open(tmp_path: Path) -> None:
    """A tampered body stored as invalid under the honest hash (what the old store did) is deleted,
    with its descendants, when the store opens; the honest block is then accepted."""
    main_chain = ChainBuilder(DEVNET)
    for _ in range(6):
        main_chain.extend()
    rival = _fork(main_chain, 4, "rival")
    for _ in range(4):
        rival.extend()
    store = ChainStore(tmp_path / "node.sqlite", DEVNET)
    now = rival.blocks[-1].header.timestamp
    for block in main_chain.blocks:
        store.accept_block(block, now)
    poisoned = _tampered(rival.blocks[4])
    store.db.execute(
        "INSERT INTO blocks (hash, height, parent, timestamp, work, invalid, data) "
        "VALUES (?, ?, ?, ?, ?, 1, ?)",
        (
            block_hash(poisoned.header, DEVNET),
            poisoned.header.height,
            poisoned.header.previous_block_hash,
            poisoned.header.timestamp,
            "1",
            encode_block(poisoned, DEVNET),
        ),
    )
    assert store.accept_block(rival.blocks[4], now).outcome == "duplicate"  # poisoned
    store.close()
    healed = ChainStore(tmp_path / "node.sqlite", DEVNET)
    assert not healed.has_block(block_hash(poisoned.header, DEVNET))
    for block in rival.blocks[4:]:
        healed.accept_block(block, now)
    assert healed.state == rival.state
    healed.close()


def test_side_branch_blocks_are_checked_before_storing_and_bounded(tmp_path: Path) -> None:
    """Issue 10 item 2: a side block with the wrong difficulty (POW-4) or a broken body is not stored;
    side-branch storage keeps at most ``max_side_blocks`` blocks, evicting the least-work leaves."""
    main_chain = ChainBuilder(DEVNET)
    for _ in range(10):
        main_chain.extend()
    store = ChainStore(tmp_path / "node.sqlite", DEVNET, max_side_blocks=3)
    now = main_chain.blocks[-1].header.timestamp + 100
    for block in main_chain.blocks:
        store.accept_block(block, now)
    junk = _fork(main_chain, 5, "junk").build()
    harder = replace(junk, header=mine(replace(junk.header, bits=0x1F7FFFFF), DEVNET))
    accepted = store.accept_block(harder, now)
    assert accepted.outcome == "invalid" and accepted.error == "POW_WRONG_BITS"
    assert store.side_blocks() == (0, 0)
    unsealed = replace(junk, header=replace(junk.header, nonce=junk.header.nonce + 1))
    while int.from_bytes(block_hash(unsealed.header, DEVNET), "big") <= 2**255:  # make it miss the target
        unsealed = replace(unsealed, header=replace(unsealed.header, nonce=unsealed.header.nonce + 1))
    assert store.accept_block(unsealed, now).error == "POW_HASH_ABOVE_TARGET"
    forks = {at: _fork(main_chain, at, f"fork{at}").build() for at in (3, 5, 7, 8, 2)}
    outcomes = {at: store.accept_block(block, now).outcome for at, block in forks.items()}
    # 3, 5, 7 fill the bound; 8 (more work) evicts 3 (least work); 2 (less work than all) is refused
    assert outcomes == {3: "side_branch", 5: "side_branch", 7: "side_branch", 8: "side_branch", 2: "refused"}
    assert store.side_blocks()[0] == 3
    kept = {at for at, block in forks.items() if store.has_block(block_hash(block.header, DEVNET))}
    assert kept == {5, 7, 8}
    assert store.state == main_chain.state
    store.close()

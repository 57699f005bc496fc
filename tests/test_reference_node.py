"""The reference node's local flow (init, mine, send, status) and its differential check against the spec."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from reference.cli import main
from reference.node import Node
from reference.storage import replay
from spec.ledger.transaction import (
    OutPoint,
    Transaction,
    TxOutput,
    txid,
)
from spec.script import p2pkh_script


def _status(runner: CliRunner, datadir: Path) -> dict[str, object]:
    result = runner.invoke(main, ["status", str(datadir)])
    assert result.exit_code == 0, result.output
    status: dict[str, object] = json.loads(result.output)
    return status


def test_mine_send_and_replay(tmp_path: Path) -> None:
    runner = CliRunner()
    alice, bob = tmp_path / "alice", tmp_path / "bob"
    for datadir in (alice, bob):
        assert runner.invoke(main, ["init", str(datadir)]).exit_code == 0
    assert runner.invoke(main, ["init", str(alice)]).exit_code != 0  # never overwrite a node
    mined = runner.invoke(main, ["mine", str(alice), "8"])
    assert mined.exit_code == 0, mined.output
    bob_key = str(_status(runner, bob)["key_hash"])
    too_much = runner.invoke(main, ["send", str(alice), bob_key, str(10**15)])
    assert too_much.exit_code != 0
    sent = runner.invoke(main, ["send", str(alice), bob_key, "12345"])
    assert sent.exit_code == 0, sent.output
    assert _status(runner, alice)["pending"] == 1
    assert runner.invoke(main, ["mine", str(alice), "1"]).exit_code == 0
    status = _status(runner, alice)
    assert status["height"] == 8 and status["pending"] == 0

    node = Node(alice)
    blocks = list(node.store.best_chain())
    assert node.store.state == replay(blocks, node.preset)  # differential: node state == spec replay
    paid = [
        o
        for o in blocks[-1].transactions[1].outputs
        if o.script_pubkey == p2pkh_script(bytes.fromhex(bob_key))
    ]
    assert [o.value for o in paid] == [12345]
    node.close()


def test_reorganisation_returns_the_losing_branch_transactions_to_pending(tmp_path: Path) -> None:
    """A payment mined only on the branch that loses goes back to pending and into the next block."""
    alice, rival = Node.init(tmp_path / "alice", "devnet"), Node.init(tmp_path / "rival", "devnet")
    try:
        clock = 1_900_000_000
        for _ in range(8):
            clock += 2
            block = alice.mine_block(clock)
            assert rival.store.accept_block(block, clock).outcome == "connected"
        payment = alice.send(rival.wallet.key_hash, 12_345, 1_000)
        clock += 2
        alice.mine_block(clock)  # the payment's block: alice's branch, one block long
        assert alice.pending() == []
        outcome = None
        for _ in range(2):  # the rival branch: two blocks without the payment
            clock += 2
            outcome = alice.store.accept_block(rival.mine_block(clock), clock)
        assert outcome is not None and outcome.outcome == "reorganised"
        assert len(outcome.disconnected) == 1
        assert alice.restore_pending(outcome.disconnected) == 1
        alice.prune_pending()
        assert alice.pending() == [payment]
        clock += 2
        mined = alice.mine_block(clock)
        assert payment in mined.transactions
        assert replay(list(alice.store.best_chain()), alice.preset) == alice.store.state
    finally:
        alice.close()
        rival.close()


def _spend_to_nobody(node: Node, outpoint: OutPoint, fee: int) -> Transaction:
    spent = node.store.state.utxos[outpoint].output if outpoint in node.store.state.utxos else None
    if spent is None:  # an unconfirmed output of a pending transaction
        parent = next(tx for tx in node.pending() if txid(tx, node.preset) == outpoint.txid)
        spent = parent.outputs[outpoint.index]
    return node.signed_transaction(
        [(outpoint, spent)], [TxOutput(spent.value - fee, p2pkh_script(bytes(32)))]
    )


def test_a_restored_parent_goes_before_its_pending_child(tmp_path: Path) -> None:
    """Review finding: a child spending a reorganised-away parent's change must survive the reorg."""
    alice, rival = Node.init(tmp_path / "alice", "devnet"), Node.init(tmp_path / "rival", "devnet")
    try:
        clock = 1_900_000_000
        for _ in range(8):
            clock += 2
            assert rival.store.accept_block(alice.mine_block(clock), clock).outcome == "connected"
        parent = alice.send(bytes(32), 5_000_000, 1_000)
        clock += 2
        alice.mine_block(clock)
        child = _spend_to_nobody(alice, OutPoint(txid(parent, alice.preset), 1), 1_000)
        alice.queue(child)
        outcome = None
        for _ in range(2):
            clock += 2
            outcome = alice.store.accept_block(rival.mine_block(clock), clock)
        assert outcome is not None and outcome.outcome == "reorganised"
        alice.restore_pending(outcome.disconnected)
        alice.prune_pending()
        assert alice.pending() == [parent, child]
    finally:
        alice.close()
        rival.close()


def test_a_registration_and_a_spend_of_its_collateral_cannot_stop_the_miner(tmp_path: Path) -> None:
    """Review finding: the template orders by fee rate, so a pool holding a registration and a richer
    spend of the same collateral made every template invalid; the pool keeps only the first."""
    node = Node.init(tmp_path / "node", "devnet")
    try:
        clock = 1_900_000_000
        for _ in range(node.preset.ledger.coinbase_maturity + 2):
            clock += 2
            node.mine_block(clock)
        funding, registration = node.register_masternode(20_000, 10_000)
        spend = _spend_to_nobody(node, OutPoint(txid(funding, node.preset), 0), 500_000)
        node.queue(spend)
        assert len(node.pending()) == 3 and len(node.mempool().entries) == 2
        clock += 2
        block = node.mine_block(clock)
        assert registration in block.transactions and spend not in block.transactions
        assert len(node.store.state.masternodes.active()) == 1
    finally:
        node.close()

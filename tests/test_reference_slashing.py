"""FIN-7 and SLASH-2..4 on the reference node, on three in-process devnet nodes
(tests/test_reference_quorum.py).

The PoSe quorum based at the first PoSe base height after the registrations runs its DKG beside
the finality quorum, its members commit the key on chain (MN-0 kind 5), every node reads the same
key from its chain state, and a penalty threshold-signed by the quorum's members (their DKG secret
shares, SIGN-2/3; the test plays the part of the off-chain challenge protocol, which the node does
not run yet) is accepted in a block and raises the masternode's score on every node.

Member node 1 signs a finality share for a competing block at a height it already signed on the
best chain (FIN-3 broken, as a faulty or malicious member would); node 2, which saw both shares,
builds the evidence (its DKG view gives the key share and its Merkle proof under the committed
root), checks it with the spec and queues a transaction carrying it; node 0 mines it; on every node
the member's masternode is SLASHED and its collateral is gone from the UTXO set, and each node's
state still equals the spec's replay of its blocks. A second report of the same member is dropped.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reference.node import Node
from reference.storage import replay
from spec.chain.block import block_hash
from spec.ledger.transaction import Transaction
from spec.masternode.evidence import DoubleSignEvidence
from spec.masternode.finality import committed_pose_key
from spec.masternode.quorum import QuorumType
from spec.masternode.registry import (
    MasternodeStatus,
    PoSePenalty,
    match_message,
    penalty_message,
    pose_quorum_height,
)
from spec.masternode.signing import (
    add_signature_share,
    make_signature_share,
    sign_finality_share,
    start_signing,
    try_recover,
)
from tests.test_reference_quorum import PRESET, Network, build_network


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Network:
    return build_network(tmp_path_factory.mktemp("slashing"))


def test_the_pose_quorum_key_is_on_chain_and_a_penalty_counts(network: Network) -> None:
    interval = PRESET.masternodes.pose_quorum_interval
    node = network.nodes[0]
    state = node.store.state
    record = state.quorums.pose_records[interval]
    assert record.group_public_key is not None and record.key_shares_root is not None
    sessions = [r for n in network.nodes for r in n.quorum.sessions.values() if r.kind is QuorumType.POSE]
    assert len(sessions) == 3
    assert {r.state.session_id for r in sessions} == {record.session_id}
    results = [r.result for r in sessions]
    assert all(r is not None and r.group_public_key == record.group_public_key for r in results)
    height = state.height + 1
    assert pose_quorum_height(height, PRESET) == interval
    assert committed_pose_key(state.quorums, height, PRESET) == record.group_public_key

    target = sorted(state.masternodes.entries)[0]
    message = penalty_message(target, interval)
    result = results[0]
    assert result is not None
    signing = start_signing(record.session_id, result.public_key_shares, result.threshold, message)
    for member_session in sessions[: result.threshold]:
        secrets = member_session.member
        assert secrets is not None and secrets.secret_share is not None
        share = make_signature_share(record.session_id, message, secrets.secret_share)
        signing = add_signature_share(signing, share)
    signature = try_recover(signing)
    assert signature is not None
    tx = node.publish_commitment(PoSePenalty(target, interval, signature))
    assert tx is not None
    network.flood(0, [tx])
    block = network.mine()
    assert tx in block.transactions
    for each in network.nodes:
        entry = each.store.state.masternodes.entries[target]
        assert entry.pose_score == PRESET.masternodes.pose_penalty
        assert entry.last_penalty_quorum_height == interval
        assert replay(list(each.store.best_chain()), PRESET) == each.store.state


def _side_block_at_tip(network: Network, root: Path) -> tuple[int, bytes]:
    """A competing block at the best tip's height (another miner's coinbase), stored by every node."""
    honest = network.nodes[0]
    tip = honest.store.state.height
    rival = Node.init(root / "rival", "devnet")
    try:
        for block in list(honest.store.best_chain())[:tip]:
            assert rival.store.accept_block(block, network.clock).outcome == "connected"
        side = rival.mine_block(network.clock + 1)
    finally:
        rival.close()
    for node in network.nodes:
        # The rival block arrives before the certificate of its height: a node that already knows
        # the finalized block refuses a competitor of it (FORK-2, no side blocks below finality).
        outcome = node.store.accept_block(side, network.clock + 1, None)
        assert outcome.outcome != "refused" and outcome.error is None, outcome
    side_hash = block_hash(side.header, PRESET)
    assert side.header.height == tip
    assert side_hash in network.nodes[2].store.stored_index()
    return tip, side_hash


def test_a_double_signing_member_is_detected_convicted_and_burnt(network: Network, tmp_path: Path) -> None:
    member_node, watcher = network.nodes[1], network.nodes[2]
    height, side_hash = _side_block_at_tip(network, tmp_path)
    record = next(iter(member_node.quorum.sessions.values()))
    assert record.member is not None and record.member.secret_share is not None
    assert member_node.quorum.last_signed_height == height  # it signed the best block at this height
    collateral = next(
        e.collateral
        for e in member_node.store.state.masternodes.entries.values()
        if e.operator_public_key == member_node.quorum.public_key
    )
    assert collateral in member_node.store.state.utxos

    double = sign_finality_share(record.state.session_id, record.member.secret_share, height, side_hash)
    out = watcher.quorum.receive(double)
    reports = [m for m in out if isinstance(m, Transaction)]
    assert len(reports) == 1, out
    evidence = [match_message(o.script_pubkey, PRESET) for o in reports[0].outputs]
    convicting = [e for e in evidence if isinstance(e, DoubleSignEvidence)]
    assert len(convicting) == 1
    assert convicting[0].member == record.member.index and convicting[0].height == height
    assert watcher.quorum.receive(double) == [], "the same member is reported once"

    network.flood(2, reports)
    block = network.mine()
    assert any(tx == reports[0] for tx in block.transactions), "node 0 mined the evidence"
    for node in network.nodes:
        state = node.store.state
        entry = state.masternodes.entries[collateral]
        assert entry.status is MasternodeStatus.SLASHED
        assert collateral not in state.utxos, "SLASH-4: the collateral is burnt"
        assert replay(list(node.store.best_chain()), PRESET) == state
    assert len(network.nodes[0].store.state.masternodes.active()) == 2

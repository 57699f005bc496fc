"""The reference node's finality side (reference/quorum.py) without sockets.

Three devnet nodes in one process: node 0 mines, every block and every quorum message is delivered
to the others at once (a lossless flood), the three wallets register masternodes, the finality
quorum based at the first base height after the registrations runs its DKG over those messages,
and the members then certify blocks. Checked: every node computes the same DKG result, the
certificates verify under it (FORK-3) for the quorum FIN-2 names, every node finalizes the same
blocks, a finalized block is never reorganised (FORK-2), and FIN-3 is persisted across a restart.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from reference.node import Node
from reference.quorum import InvalidQuorumMessage, QuorumOutput
from reference.statecodec import decode_quorums, encode_quorums
from reference.storage import replay
from spec.chain.block import Block
from spec.chain.forkchoice import FinalityCertificate, finality_message, verify_finality_certificate
from spec.crypto.bls import decode_secret_key
from spec.crypto.threshold import Share
from spec.errors import DkgUndecryptableShare, SpecError
from spec.ledger.transaction import Transaction
from spec.masternode.dkg import (
    Complaint,
    Contribution,
    DkgPhase,
    encode_contribution,
    phase_start_height,
    verify_share,
)
from spec.masternode.finality import (
    CommitmentSignature,
    commitment_signature,
    committed_finality_key,
    dkg_length,
    finality_quorum_height,
    key_shares_root,
)
from spec.masternode.share_encryption import CIPHERTEXT_LENGTH, decrypt_share, share_context
from spec.masternode.signing import SignatureShare, sign_finality_share
from spec.presets import get_preset

PRESET = get_preset("devnet")
FEE = 10_000


class Network:
    """Nodes that hear every block and quorum message at once."""

    def __init__(self, nodes: Sequence[Node]) -> None:
        self.nodes = list(nodes)
        self.seen: list[set[QuorumOutput]] = [set() for _ in nodes]
        self.clock = int(time.time())
        self.cut_off: set[int] = set()  # nodes whose quorum messages are lost both ways

    def flood(self, origin: int, messages: Sequence[QuorumOutput]) -> None:
        queue = [(origin, m) for m in messages]
        for m in messages:
            self.seen[origin].add(m)
        while queue:
            sender, message = queue.pop(0)
            for index, node in enumerate(self.nodes):
                if index == sender or message in self.seen[index]:
                    continue
                if {index, sender} & self.cut_off:
                    continue
                self.seen[index].add(message)
                if isinstance(message, Transaction):
                    with contextlib.suppress(SpecError):
                        node.queue(message)
                    continue
                for out in node.quorum.receive(message):
                    queue.append((index, out))

    def tip_changed(self, index: int) -> None:
        node = self.nodes[index]
        state = node.store.state
        self.flood(index, node.quorum.on_tip(state.height, state.tip_hash))

    def mine(self, miner: int = 0) -> Block:
        self.clock += 2
        block = self.nodes[miner].mine_block(self.clock)
        self.tip_changed(miner)
        for index, node in enumerate(self.nodes):
            if index != miner:
                accepted = node.store.accept_block(block, self.clock, node.quorum.finalized)
                assert accepted.outcome == "connected", accepted
                node.prune_pending()
                self.tip_changed(index)
        return block

    def restart(self, index: int) -> None:
        """Stop node ``index`` (close its store) and start it again from its data directory."""
        datadir = self.nodes[index].datadir
        self.nodes[index].close()
        self.nodes[index] = Node(datadir)

    def reconnect(self, index: int) -> None:
        """Node ``index`` is back: it and every peer exchange what the node sends a new peer."""
        self.cut_off.discard(index)
        for other in range(len(self.nodes)):
            if other != index:
                self.flood(other, self.nodes[other].quorum.catch_up_messages())
        self.flood(index, self.nodes[index].quorum.catch_up_messages())


def build_network(
    root: Path,
    restart_member_at: Sequence[int] = (),
    cut_off_member_at: Sequence[int] = (),
    stop_before_base: bool = False,
) -> Network:
    """Three nodes, three masternodes, mined until the first quorum certified a few blocks.

    Node 1 is restarted after the blocks at the heights ``restart_member_at``; its quorum messages
    are lost both ways while the height is in ``cut_off_member_at``, and it reconnects after.
    """
    nodes = [Node.init(root / f"node{i}", "devnet") for i in range(3)]
    net = Network(nodes)
    for _ in range(PRESET.ledger.coinbase_maturity + 2):
        net.mine()
    amount = PRESET.masternodes.collateral + 2 * FEE + 1_000_000
    for node in nodes[1:]:
        nodes[0].send(node.wallet.key_hash, amount, FEE)
    net.mine()
    for index, node in enumerate(nodes):
        for tx in node.register_masternode(20_000 + index, FEE):
            if index != 0:
                nodes[0].queue(tx)
    net.mine()
    assert len(nodes[0].store.state.masternodes.active()) == 3
    interval = PRESET.masternodes.finality_quorum_interval
    if stop_before_base:
        while net.nodes[0].store.state.height < interval - 1:
            net.mine()
        return net
    while net.nodes[0].store.state.height < interval + dkg_length(PRESET) + 3:
        if net.nodes[0].store.state.height + 1 in cut_off_member_at:
            net.cut_off.add(1)
        elif 1 in net.cut_off:
            net.reconnect(1)
        net.mine()
        if net.nodes[0].store.state.height in restart_member_at:
            net.restart(1)
    return net


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Network:
    return build_network(tmp_path_factory.mktemp("quorum"))


def test_every_node_computes_the_same_dkg_result(network: Network) -> None:
    statuses = [node.quorum.status() for node in network.nodes]
    every = [s["sessions"] for s in statuses]
    assert all([x["kind"] for x in s] == ["finality", "pose"] for s in every)  # type: ignore[attr-defined]
    sessions = [[x for x in s if x["kind"] == "finality"] for s in every]  # type: ignore[attr-defined]
    first = [s[0] for s in sessions]
    assert {s["failed"] for s in first} == {None}
    assert len({s["group_public_key"] for s in first}) == 1
    assert sorted(s["member_index"] for s in first) == [1, 2, 3]
    assert first[0]["qualified"] == [1, 2, 3]


def test_shares_travel_encrypted_and_only_their_recipient_reads_them(network: Network) -> None:
    """DKG-11 on the node: every contribution a node sent carries 96-byte ciphertexts; the plaintext
    shares never appear in its wire encoding; each recipient node decrypts its own share, which
    passes the dealer's commitments (DKG-6); another member's key cannot open it."""
    contributions = {m for seen in network.seen for m in seen if isinstance(m, Contribution)}
    # three dealers in each of the two sessions every node runs: the finality and the PoSe quorum (FIN-7)
    assert len(contributions) == 6
    assert len({m.session_id for m in contributions}) == 2
    secrets = {node.quorum.public_key: node.quorum.secret_key for node in network.nodes}
    for message in contributions:
        record = network.nodes[0].quorum.sessions[message.session_id]
        members = record.state.members
        wire = encode_contribution(message, PRESET)
        assert [len(c) for c in message.ciphertexts] == [CIPHERTEXT_LENGTH] * len(members)
        for recipient, key in enumerate(members, start=1):
            context = share_context(message.session_id, message.dealer, recipient)
            secret = decode_secret_key(secrets[key])
            value = decrypt_share(context, key, secret, message.ciphertexts[recipient - 1])
            share = value.to_bytes(32, "big")
            assert share not in wire
            assert verify_share(message.commitments, recipient, share)
            for other, other_key in enumerate(members, start=1):
                if other != recipient:
                    with pytest.raises(DkgUndecryptableShare):
                        decrypt_share(
                            context,
                            key,
                            decode_secret_key(secrets[other_key]),
                            message.ciphertexts[recipient - 1],
                        )


def test_the_members_commit_the_result_on_chain(network: Network) -> None:
    """FIN-5: the chain records the quorum and the key its members computed, once, in the window."""
    interval = PRESET.masternodes.finality_quorum_interval
    group_key = network.nodes[0].quorum.status()["sessions"][0]["group_public_key"]  # type: ignore[index]
    for node in network.nodes:
        record = node.store.state.quorums.records[interval]
        assert record.group_public_key is not None and record.group_public_key.hex() == group_key
        assert record.committed_height is not None
        finalization = phase_start_height(interval, DkgPhase.FINALIZATION, PRESET.dkg)
        assert finalization <= record.committed_height < interval + dkg_length(PRESET)
        tip = node.store.state.height
        assert committed_finality_key(node.store.state.quorums, tip, PRESET) == record.group_public_key
    commitments = [
        tx
        for block in network.nodes[0].store.best_chain()
        for tx in block.transactions
        if any(o.script_pubkey.startswith(b"\x6a") and b"RCMN\x03" in o.script_pubkey for o in tx.outputs)
    ]
    assert len(commitments) == 1
    assert not any(b"RCMN\x03" in o.script_pubkey for tx in network.nodes[1].pending() for o in tx.outputs), (
        "duplicate commitments are dropped once one is mined"
    )


def test_a_node_that_never_saw_the_dkg_verifies_finality_from_the_chain(
    network: Network, tmp_path: Path
) -> None:
    late = Node.init(tmp_path / "late", "devnet")
    try:
        for block in network.nodes[0].store.best_chain():
            assert late.store.accept_block(block, network.clock).outcome == "connected"
        sessions = late.quorum.status()["sessions"]
        assert all(s["group_public_key"] is None for s in sessions)  # type: ignore[attr-defined]
        newest = network.nodes[0].quorum.certificates()[-1]
        assert late.quorum.receive(newest) == [newest]
        assert late.quorum.finalized == newest.block_hash
    finally:
        late.close()


def test_members_certify_blocks_and_every_node_finalizes_them(network: Network) -> None:
    node = network.nodes[0]
    tip = node.store.state.height
    certificates = node.quorum.certificates()
    interval = PRESET.masternodes.finality_quorum_interval
    first_certified = interval + dkg_length(PRESET)
    assert [c.height for c in certificates] == list(range(first_certified, tip + 1))
    for certificate in certificates:
        assert certificate.block_hash == node.store.best_hash_at(certificate.height)
        key = node.quorum.quorum_public_key(certificate.height)
        assert key is not None
        assert verify_finality_certificate(certificate, key)
        assert finality_quorum_height(certificate.height, PRESET) == interval
    finalized = {n.quorum.finalized for n in network.nodes}
    assert finalized == {node.store.state.tip_hash}
    assert {n.quorum.finalized_height() for n in network.nodes} == {tip}


def test_a_certificate_for_another_block_or_height_is_refused(network: Network, tmp_path: Path) -> None:
    """Checked on a node that synced the blocks but holds no certificate yet, so every certificate
    is above its finalized block (certificates at or below it are ignored unchecked, FORK-2)."""
    source = network.nodes[1]
    good = source.quorum.certificates()[-1]
    other = source.store.best_hash_at(good.height - 1)
    assert other is not None
    node = Node.init(tmp_path / "fresh", "devnet")
    try:
        for block in source.store.best_chain():
            assert node.store.accept_block(block, network.clock).outcome == "connected"
        for mismatched in (  # the block is not at that height here: not provably forged
            FinalityCertificate(good.height, other, good.signature),
            FinalityCertificate(good.height + 1, good.block_hash, good.signature),
        ):
            assert node.quorum.receive(mismatched) == []
        for forged in (  # a known block at its height and the committed key: P2P-SCORE-4
            FinalityCertificate(good.height - 1, other, good.signature),
            FinalityCertificate(good.height, good.block_hash, bytes(96)),  # not a G2 encoding
            FinalityCertificate(good.height, good.block_hash, b"\xc0" + bytes(95)),  # the identity
        ):
            with pytest.raises(InvalidQuorumMessage):
                node.quorum.receive(forged)
        assert node.quorum.finalized is None
        assert node.quorum.receive(good) == [good]
        stale = source.quorum.certificates()[-2]
        assert node.quorum.receive(stale) == []  # below the finalized block: ignored
        assert node.quorum.receive(FinalityCertificate(stale.height, stale.block_hash, bytes(96))) == []
    finally:
        node.close()


def test_forged_quorum_messages_are_reported_for_scoring(network: Network) -> None:
    """P2P-SCORE-4: a signature share or commitment signature that cannot come from an honest relay."""
    node = network.nodes[2]
    height = node.store.state.height
    tip = node.store.state.tip_hash
    session = node.quorum.status()["sessions"][0]  # type: ignore[index]
    record = next(iter(node.quorum.sessions.values()))
    share = sign_finality_share(
        record.state.session_id, Share(1, (12345).to_bytes(32, "big")), height - 1, tip
    )
    forged_share = SignatureShare(share.quorum_id, finality_message(height, tip), 1, share.signature)
    other = next(n for n in network.nodes if n is not node)
    node.quorum.signing.clear()  # a fresh session for the tip, so the share is checked
    with pytest.raises(InvalidQuorumMessage):
        node.quorum.receive(forged_share)
    base = PRESET.masternodes.finality_quorum_interval
    key = bytes.fromhex(str(session["group_public_key"]))
    record.commitment_signatures.pop(1, None)
    assert record.result is not None
    root = key_shares_root([s.value for s in record.result.public_key_shares])
    forged_signed = CommitmentSignature(
        base,
        record.state.session_id,
        key,
        root,
        1,
        commitment_signature(other.quorum.secret_key, base, b"x" * 32, key, root),
    )
    with pytest.raises(InvalidQuorumMessage):
        node.quorum.receive(forged_signed)


def test_a_finalized_block_is_not_reorganised(network: Network, tmp_path: Path) -> None:
    """A longer branch from below the finalized block is stored but never becomes the best chain."""
    node = network.nodes[2]
    finalized_height = node.quorum.finalized_height()
    assert finalized_height is not None
    fork_height = finalized_height - 2
    rival = Node.init(tmp_path / "rival", "devnet")
    for block in list(node.store.best_chain())[: fork_height + 1]:
        assert rival.store.accept_block(block, network.clock).outcome == "connected"
    tip_before = node.store.state.tip_hash
    clock = network.clock
    for _ in range(node.store.state.height - fork_height + 3):
        clock += 2
        block = rival.mine_block(clock)
        node.store.accept_block(block, clock, node.quorum.finalized)
    assert rival.store.state.cumulative_work > node.store.state.cumulative_work
    assert node.store.state.tip_hash == tip_before
    rival.close()


def test_signing_rule_survives_a_restart(network: Network) -> None:
    node = network.nodes[1]
    signed = node.quorum.last_signed_height
    assert signed == node.store.state.height
    datadir = node.datadir
    node.close()
    reopened = Node(datadir)
    try:
        assert reopened.quorum.last_signed_height == signed
        assert reopened.quorum.finalized == network.nodes[0].quorum.finalized
        assert not [
            m
            for m in reopened.quorum.on_tip(reopened.store.state.height, reopened.store.state.tip_hash)
            if isinstance(m, SignatureShare)
        ]
    finally:
        network.nodes[1] = reopened


def test_node_state_equals_spec_replay(network: Network) -> None:
    for node in network.nodes:
        assert replay(list(node.store.best_chain()), PRESET) == node.store.state


def test_quorum_records_survive_the_store(network: Network) -> None:
    """The store's JSON of the quorum records (reference/statecodec.py) round-trips, and a reopened
    store holds the same records as the live one."""
    node = network.nodes[2]
    registry = node.store.state.quorums
    assert registry.records
    assert decode_quorums(encode_quorums(registry)) == registry
    datadir = node.datadir
    node.close()
    reopened = Node(datadir)
    network.nodes[2] = reopened
    assert reopened.store.state.quorums == registry


def test_a_member_restarted_during_the_dkg_still_qualifies_and_signs(tmp_path: Path) -> None:
    """The dealt polynomial and accepted DKG messages are persisted: a member stopped after dealing
    (CONTRIBUTION), after complaining (JUSTIFICATION) and after finalizing comes back, does not deal
    twice (no equivocation), and signs with its share."""
    base = PRESET.masternodes.finality_quorum_interval
    justification = phase_start_height(base, DkgPhase.JUSTIFICATION, PRESET.dkg)
    finalization = phase_start_height(base, DkgPhase.FINALIZATION, PRESET.dkg)
    net = build_network(tmp_path, restart_member_at=(base + 2, justification + 1, finalization + 1))
    try:
        sessions = [node.quorum.status()["sessions"][0] for node in net.nodes]  # type: ignore[index]
        assert {s["failed"] for s in sessions} == {None}
        assert [s["qualified"] for s in sessions] == [[1, 2, 3]] * 3
        assert len({s["group_public_key"] for s in sessions}) == 1
        restarted = net.nodes[1]
        assert restarted.quorum.last_signed_height == restarted.store.state.height
        assert {n.quorum.finalized for n in net.nodes} == {restarted.store.state.tip_hash}
    finally:
        for node in net.nodes:
            node.close()


def test_a_member_cut_off_during_contributions_catches_up_on_reconnect(tmp_path: Path) -> None:
    """P2P-5 catch-up: a member that lost every quorum message around the base block (its own
    contribution included) gets the session's messages from its peers when it reconnects, still in
    CONTRIBUTION, and every node ends with the same QUAL and key."""
    base = PRESET.masternodes.finality_quorum_interval
    net = build_network(tmp_path, cut_off_member_at=range(base, base + 4))
    try:
        sessions = [node.quorum.status()["sessions"][0] for node in net.nodes]  # type: ignore[index]
        assert [s["qualified"] for s in sessions] == [[1, 2, 3]] * 3
        assert len({s["group_public_key"] for s in sessions}) == 1
        assert net.nodes[1].quorum.last_signed_height == net.nodes[1].store.state.height
    finally:
        for node in net.nodes:
            node.close()


def test_a_flood_of_made_up_sessions_cannot_evict_a_real_one(tmp_path: Path) -> None:
    """Review finding: DKG messages for a session a node has not opened yet (its peer connected the
    base block first) are held first come first kept, so junk with made-up session ids that comes
    after them cannot push them out and the node's DKG still qualifies every dealer."""
    net = build_network(tmp_path, stop_before_base=True)
    try:
        base = PRESET.masternodes.finality_quorum_interval
        victim = net.nodes[1]
        net.clock += 2
        block = net.nodes[0].mine_block(net.clock)
        net.tip_changed(0)  # node 0 deals before node 1 has the base block
        assert net.nodes[2].store.accept_block(block, net.clock).outcome == "connected"
        net.tip_changed(2)
        for _ in range(1_000):
            assert victim.quorum.receive(Complaint(os.urandom(32), 1, 2, bytes(96))) == []
        assert victim.store.accept_block(block, net.clock).outcome == "connected"
        net.tip_changed(1)
        while net.nodes[0].store.state.height < base + dkg_length(PRESET) + 3:
            net.mine()
        sessions = [node.quorum.status()["sessions"][0] for node in net.nodes]  # type: ignore[index]
        assert [s["qualified"] for s in sessions] == [[1, 2, 3]] * 3
        assert len({s["group_public_key"] for s in sessions}) == 1
    finally:
        for node in net.nodes:
            node.close()

"""ST-2 (FIN-6 under fork ``state_trie``): a block records the quorums based at its parent.

* On the devnet chain of conformance/quorumtriechain.py (``state_trie`` ACTIVE from 50) built past
  the finality and PoSe base at 60 with three masternodes: the record of base 60 is in the state
  after 61, not after 60, and holds ``hash(60)`` (the fixed point that made block 60 unbuildable
  is gone); base 30 (before the fork) is recorded by block 30 itself.
* The reference miner (``reference/miner.py``) builds blocks 60..62 on the same parents and they
  apply to the same states.
* The activation boundary neither skips nor doubles a record.
* A node restarted at a base tip sees the pending quorum (``quorums_with_pending``).
"""

from __future__ import annotations

from conformance.generators.masternode import LABELS, funded_list
from conformance.quorumtriechain import QuorumTrieChain, state_trie_quorum_chain
from reference.miner import block_template, seal
from spec.chain.block import block_hash
from spec.chain.state import BlockContext, apply_block, quorums_with_pending
from spec.forks import fork_in_force
from spec.ledger.mempool import EMPTY_MEMPOOL
from spec.masternode.finality import (
    EMPTY_QUORUMS,
    apply_block_to_quorums,
    apply_block_to_quorums_after_parent,
    finality_dkg_session,
    pose_dkg_session,
)
from spec.presets import DEVNET

PRESET = DEVNET
BASE = 2 * PRESET.masternodes.finality_quorum_interval  # 60 on devnet, also a PoSe base


def _chain() -> QuorumTrieChain:
    return state_trie_quorum_chain(PRESET, BASE + 3)


def test_devnet_base_is_a_finality_and_pose_base_under_state_trie() -> None:
    assert BASE == 60 and BASE % PRESET.masternodes.pose_quorum_interval == 0
    chain = _chain()
    assert chain.builder.state.height == BASE + 2
    assert fork_in_force(chain.builder.states[BASE].deployments, PRESET).quorums_from_parent()
    assert len(chain.builder.states[BASE + 1].masternodes.active()) >= PRESET.masternodes.min_quorum_members


def test_base_record_is_in_the_state_after_the_next_block() -> None:
    builder = _chain().builder
    after_base, after_next = builder.states[BASE + 1], builder.states[BASE + 2]
    assert after_base.height == BASE and after_next.height == BASE + 1
    assert BASE not in after_base.quorums.records and BASE not in after_base.quorums.pose_records
    record = after_next.quorums.records[BASE]
    base_hash = block_hash(builder.blocks[BASE].header, PRESET)
    assert record.base_hash == base_hash == after_base.tip_hash
    session = finality_dkg_session(after_base.masternodes, base_hash, BASE, PRESET)
    assert (record.session_id, record.members) == (session.session_id, session.members)
    pose = pose_dkg_session(after_base.masternodes, base_hash, BASE, PRESET)
    assert after_next.quorums.pose_records[BASE].session_id == pose.session_id
    # the records the base's own state would have held under the old rule are exactly these
    assert quorums_with_pending(after_base, PRESET) == after_next.quorums
    # nothing is recorded twice or later: the state after 62 keeps the same record
    assert builder.states[BASE + 3].quorums.records[BASE] == record
    # base 30 (fork not active there) was recorded by block 30 itself
    assert 30 in builder.states[31].quorums.records and 30 not in builder.states[30].quorums.records


def test_reference_miner_builds_blocks_past_the_base() -> None:
    builder = _chain().builder
    seeds = {public_key: owner.seed for public_key, owner in builder.voters.items()}
    for height in (BASE, BASE + 1, BASE + 2):
        parent, built = builder.states[height], builder.blocks[height]
        assert not built.transactions[1:]  # the miner's empty mempool builds the same block
        timestamp = built.header.timestamp
        template = block_template(
            parent,
            EMPTY_MEMPOOL,
            builder.miner.script_pubkey,
            timestamp,
            seeds,
            BlockContext(now=timestamp),
            PRESET,
            builder.vote_bits,
        )
        sealed = seal(template, PRESET, max_tries=1 << 20)
        assert sealed is not None
        after = apply_block(parent, sealed, BlockContext(now=timestamp), PRESET)
        assert after.quorums == builder.states[height + 1].quorums
        assert sealed.header.state_root == built.header.state_root


def test_activation_boundary_neither_skips_nor_doubles() -> None:
    everyone = funded_list(LABELS, PRESET)
    interval = PRESET.masternodes.finality_quorum_interval
    hashes = {h: bytes([h % 251 + 1]) * 32 for h in range(4 * interval)}
    for activation in (interval - 1, interval, interval + 1):
        registry = EMPTY_QUORUMS
        for height in range(3 * interval + 2):
            active_here, active_before = height >= activation, height - 1 >= activation
            registry = apply_block_to_quorums_after_parent(
                registry,
                [],
                everyone,
                hashes.get(height - 1, bytes(32)),
                everyone,
                hashes[height],
                height,
                PRESET,
                parent_rule=active_before,
                own_rule=not active_here,
            )
            if height % interval == 0:  # the state after a base
                assert (height in registry.records) == (height < activation)
        assert sorted(registry.records) == [0, interval, 2 * interval, 3 * interval]
        for base, record in registry.records.items():
            assert record.base_hash == hashes[base]
    # before the fork: the old rule exactly (its own quorum, after its commitments)
    for height in (0, interval, interval + 1):
        assert apply_block_to_quorums_after_parent(
            EMPTY_QUORUMS,
            [],
            everyone,
            bytes(32),
            everyone,
            hashes[height],
            height,
            PRESET,
            parent_rule=False,
            own_rule=True,
        ) == apply_block_to_quorums(EMPTY_QUORUMS, [], everyone, hashes[height], height, PRESET)

"""POSE-1..3 on the reference node: the PoSe quorum penalises a masternode that failed service.

Three in-process devnet nodes (tests/test_reference_quorum.py). Member node 1 loses every quorum
message while the finality quorum based at 2I deals (CONTRIBUTION, heights 2I .. 2I + 9, and
reconnects only in COMPLAINT, when its contribution is too late), so that
DKG excludes it as MISSING (DKG-8). When the DKG enters FINALIZATION, the members of the PoSe
quorum in charge (POSE-2; its key committed on chain, FIN-7) each sign a penalty share (POSE-3),
the shares travel as signature shares, the first node with ``t`` of them publishes the
``PoSePenalty``, and the next block carries it: on every node node 1's masternode has a PoSe score
and the judging quorum recorded, and each node's state equals the spec's replay.
"""

from __future__ import annotations

from pathlib import Path

from reference.storage import replay
from spec.masternode.pose import judging_quorum_height
from spec.masternode.registry import PoSePenalty, match_message
from tests.test_reference_quorum import PRESET, build_network


def test_a_member_missing_a_finality_dkg_is_penalised_by_the_pose_quorum(tmp_path: Path) -> None:
    net = build_network(tmp_path)
    interval = PRESET.masternodes.finality_quorum_interval
    base = 2 * interval
    judge = judging_quorum_height(base, PRESET)
    assert judge is not None
    absent = net.nodes[1]
    collateral = next(
        e.collateral
        for e in absent.store.state.masternodes.entries.values()
        if e.operator_public_key == absent.quorum.public_key
    )
    penalties: list[PoSePenalty] = []
    while net.nodes[0].store.state.height < base + 22:
        height = net.nodes[0].store.state.height + 1
        if base <= height <= base + PRESET.dkg.contribution_blocks:  # back only in COMPLAINT
            net.cut_off.add(1)
        elif 1 in net.cut_off:
            net.reconnect(1)
        block = net.mine()
        penalties += [
            m
            for tx in block.transactions
            for o in tx.outputs
            if isinstance(m := match_message(o.script_pubkey, PRESET), PoSePenalty)
        ]
        if penalties:
            break
    assert [p.masternode for p in penalties] == [collateral]
    assert penalties[0].quorum_height == judge
    absent_index = next(
        r.member.index
        for r in absent.quorum.sessions.values()
        if r.base_height == base and r.kind.name == "FINALITY" and r.member is not None
    )
    judged = next(
        r
        for r in net.nodes[0].quorum.sessions.values()
        if r.base_height == base and r.kind.name == "FINALITY"
    )
    assert judged.result is not None and absent_index not in judged.result.qualified
    for node in net.nodes:
        entry = node.store.state.masternodes.entries[collateral]
        assert entry.last_penalty_quorum_height == judge and entry.pose_score > 0
        assert replay(list(node.store.best_chain()), PRESET) == node.store.state

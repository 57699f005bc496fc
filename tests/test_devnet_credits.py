"""``rusty devnet 3 --dispute-credits`` on three node processes over loopback (issue 16, SC-DSP-21/22):
nodes 1 and 2 (``rusty node --sidechain-fault=credits``, the federation's threshold) sign the block
crediting the peg-in under the credits root of a list that credits it twice; node 0
(``--watch-sidechains``) re-derives the block's inputs from the mainchain and posts a wrong-credits
proof; the mainchain reverts the checkpoint and slashes the federation, and the honest header of
that height is checkpointed next.

Slow (about 3 minutes on a 2-core machine; ``RUSTY_SLOW=1``); the watcher's decision is tested in
process by tests/test_credits_proof.py and tests/test_fraud_proofs.py.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from reference import devnet
from reference.devnet import run_devnet
from reference.node import Node
from spec.masternode.registry import MasternodeStatus
from spec.presets import DEVNET
from spec.sidechain.games import compute_winner_reward


@pytest.mark.slow
def test_a_watcher_node_proves_wrong_credits_and_the_checkpoint_is_reverted(tmp_path: Path) -> None:
    result = asyncio.run(run_devnet(3, 10, tmp_path, show_progress=False, proof="credits"))
    assert result.converged and result.upgraded, result
    trip = result.sidechain
    assert trip is not None
    # in this order: the peg-in, the proof (inside the checkpoint's window), the revert in the
    # block that carries it, then the honest header of the same height checkpointed
    assert (
        trip["registered"]
        < trip["deposit_sent"]
        <= trip["proof_posted"]
        <= trip["checkpoint_reverted_by_proof"]
        < trip["honest_checkpoint"]
    ), trip
    assert trip["checkpoint_reverted_by_proof"] - trip["proof_posted"] <= devnet.DISPUTE_CHALLENGE_PERIOD
    texts = [event["text"] for event in trip["dispute"]]
    assert any(text.startswith("posted a wrong-credits proof against checkpoint h=") for text in texts), texts
    assert trip["escrow"] == [devnet.SIDECHAIN_DEPOSIT] * 3  # a revert moves no value
    # SC-DSP-25: node 0 claims its proof's reward from the slashed collateral, after the revert
    assert trip["bond_claimed"] > trip["checkpoint_reverted_by_proof"], trip
    assert (
        trip["reward"]
        == compute_winner_reward(
            [DEVNET.masternodes.collateral] * 3, DEVNET.dispute.winner_reward, DEVNET.dispute.burn_share_bps
        )[0]
    ), trip
    height = trip["reverted_height"]
    for index in range(3):
        node = Node(tmp_path / f"node{index}")
        try:
            state = node.store.state
            record = state.sidechains.chains[devnet.SIDECHAIN_ID]
            assert record.checkpoints[height].posted_height > trip["checkpoint_reverted_by_proof"]
            # SC-DSP-13: the federation that signed the wrong credits is slashed
            statuses = {entry.status for entry in state.masternodes.entries.values()}
            assert statuses == {MasternodeStatus.SLASHED}, statuses
        finally:
            node.close()

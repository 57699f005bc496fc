"""``rusty devnet 3 --dispute-equivocation`` and ``--dispute-overdraw`` on three node processes over
loopback (issue 16, SC-DSP-8/9/23): nodes 1 and 2 (the federation's threshold) run
``rusty node --sidechain-fault=equivocate`` (checkpoint 1 is accepted with the honest header, then
they sign a second header at height 1 and hand it out) or ``--sidechain-fault=overdraw`` (they sign
block 1 under the outbox root of an outbox withdrawing more than the escrow and publish its
entries); the devnet passes what they handed out to node 0 (RPC ``submitsidechainheader`` /
``submitsidechainoutbox``), whose watcher (``--watch-sidechains``) posts the proof of kind 9 / 10;
the block carrying it reverts checkpoint 1 and slashes the federation, and no value moves.

Slow (about 3 minutes each on a 2-core machine; ``RUSTY_SLOW=1``); the watcher's decision is
tested in process by tests/test_fraud_proofs.py, the forgeries and the RPCs by
tests/test_sidechain_faults.py.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from reference import devnet
from reference.devnet import run_devnet
from reference.node import Node
from spec.masternode.registry import MasternodeStatus


@pytest.mark.slow
@pytest.mark.parametrize("fault", ["equivocate", "overdraw"])
def test_a_watcher_node_proves_the_federations_fraud_and_checkpoint_1_is_reverted(
    tmp_path: Path, fault: str
) -> None:
    result = asyncio.run(run_devnet(3, 10, tmp_path, show_progress=False, proof=fault))
    assert result.converged and result.upgraded, result
    trip = result.sidechain
    assert trip is not None
    # in this order: registered, the peg-in, checkpoint 1 accepted (the honest header for
    # equivocate, the faulty one for overdraw), the federation's evidence handed to node 0 (for
    # equivocate only once checkpoint 1 was accepted: the second header is signed after it), the
    # proof inside the window, the revert in the block that carries it
    assert trip["registered"] < trip["deposit_sent"] <= trip["checkpoint_posted"], trip
    if fault == "equivocate":
        assert trip["checkpoint_posted"] <= trip["evidence_handed"], trip
    assert trip["evidence_handed"] <= trip["proof_posted"] < trip["checkpoint_reverted_by_proof"], trip
    assert trip["checkpoint_reverted_by_proof"] - trip["checkpoint_posted"] <= devnet.DISPUTE_CHALLENGE_PERIOD
    assert trip["proof_kind"] == devnet.PROOF_FAULTS[fault], trip
    assert trip["reverted_height"] == 1, trip
    texts = [event["text"] for event in trip["dispute"]]
    name = devnet.PROOF_NAMES[fault]
    assert any(text.startswith(f"posted an {name} proof against checkpoint h=1 ") for text in texts), texts
    assert not any("challenge" in text for text in texts), texts  # no game: the trace is honest
    assert trip["escrow"] == [devnet.SIDECHAIN_DEPOSIT] * 3  # a revert moves no value
    assert trip["masternodes"] == [0, 0, 0], trip
    for index in range(3):
        node = Node(tmp_path / f"node{index}")
        try:
            state = node.store.state
            record = state.sidechains.chains[devnet.SIDECHAIN_ID]
            # checkpoint 1 left the record in the proof's block (SC-DSP-12); a later replacement
            # by the slashed quorum was posted after it
            assert len(record.checkpoints) == 1 or (
                record.checkpoints[1].posted_height >= trip["checkpoint_reverted_by_proof"]
            ), record.checkpoints
            # SC-DSP-13: the federation is slashed
            statuses = {entry.status for entry in state.masternodes.entries.values()}
            assert statuses == {MasternodeStatus.SLASHED}, statuses
        finally:
            node.close()

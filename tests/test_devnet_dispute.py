"""``rusty devnet 3 --dispute`` on three node processes over loopback (issue 16 item 8): nodes 1
and 2 (``rusty node --sidechain-fault``, the federation's threshold) sign the sidechain block with
the transfer and the withdrawal under a forged state root; node 0 (``--watch-sidechains``)
re-executes it, challenges with a bond from its wallet, answers the forgers' bisection, wins on
their one-step proof and claims its bond; the checkpoint is reverted, the honest header is
checkpointed instead, and the withdrawal is paid after that checkpoint's challenge period.

Slow (about 3 minutes on a 2-core machine; ``RUSTY_SLOW=1``); the loop's decisions are tested in
process by tests/test_watch_service.py.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from reference import devnet
from reference.devnet import run_devnet
from reference.node import Node
from spec.masternode.registry import MasternodeStatus
from spec.presets import DEVNET
from spec.sidechain.games import compute_winner_reward


def _watcher_events(exposition: str) -> dict[str, float]:
    return {
        sample.labels["event"]: sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
        if sample.name == "rusty_watcher_events_total"
    }


@pytest.mark.slow
def test_a_watcher_node_gets_a_forged_checkpoint_reverted_and_the_withdrawal_paid_later(
    tmp_path: Path,
) -> None:
    result = asyncio.run(run_devnet(3, 10, tmp_path, show_progress=False, dispute=True, metrics=True))
    assert result.converged and result.upgraded, result
    trip = result.sidechain
    assert trip is not None
    # in this order: the forged checkpoint challenged, lost, reverted; the bond back; then the
    # honest checkpoint matured and the withdrawal claimed
    assert (
        trip["transferred"]
        <= trip["game_opened"]
        < trip["game_won"]
        == trip["checkpoint_reverted"]
        <= trip["bond_claimed"]
        <= trip["checkpointed"]
        < trip["claimed"]
    ), trip
    # SC-DSP-25: the claim pays the bond back plus the reward, which the smallest collateral the
    # settlement slashed caps (so it is the same whatever number of members was slashed)
    reward, _ = compute_winner_reward(
        [DEVNET.masternodes.collateral], DEVNET.dispute.winner_reward, DEVNET.dispute.burn_share_bps
    )
    assert trip["bond_and_reward"] == DEVNET.dispute.min_challenger_bond + reward, trip
    texts = [event["text"] for event in trip["dispute"]]
    won = next(text for text in texts if "defender lost" in text)
    assert won.endswith("(at its one-step proof)"), texts  # the forgers defended to the end
    height = trip["withdrawal"]["height"]
    reverted = [
        int(m[1]) for text in texts if (m := re.match(r"checkpoint h=(\d+) of sidechain 1 reverted", text))
    ]
    assert len(reverted) == 1 and 1 <= reverted[0] <= height, texts  # the withdrawal's block or before
    assert trip["escrow"] == [devnet.SIDECHAIN_DEPOSIT - devnet.SIDECHAIN_WITHDRAWAL] * 3
    assert len(set(trip["tips"])) == 1 and trip["checkpointed_heights"] == [height] * 3
    counted = _watcher_events(result.metrics[0])
    for event in ("opening_posted", "game_opened", "game_won", "checkpoint_reverted", "bond_claimed"):
        assert counted.get(event) == 1, counted
    assert "game_won" not in _watcher_events(result.metrics[1])  # a forger: it lost its game
    assert _watcher_events(result.metrics[1]).get("game_lost") == 1
    for index in range(3):
        node = Node(tmp_path / f"node{index}")
        try:
            state = node.store.state
            record = state.sidechains.chains[devnet.SIDECHAIN_ID]
            assert len(record.checkpoints) == height + 1
            key = (devnet.SIDECHAIN_ID, height, trip["withdrawal"]["index"])
            assert key in state.sidechains.spent_withdrawals
            assert not state.sidechains.games and not state.sidechains.bond_payouts
            # SC-DSP-13: the federation that signed the forged checkpoint is slashed
            statuses = {entry.status for entry in state.masternodes.entries.values()}
            assert statuses == {MasternodeStatus.SLASHED}, statuses
        finally:
            node.close()


@pytest.mark.slow
def test_a_watcher_node_killed_mid_game_restarts_from_its_store_and_still_wins(tmp_path: Path) -> None:
    """``run_devnet(dispute=True, restart_watcher=True)``: node 0 is SIGKILLed once its game is
    open (before its answer to the forgers' bisection) and started again; the follower does not
    re-apply the honest block the forged checkpoint names, so only the watcher's store (its block,
    trace and headers, reference/watch_store.py) lets it answer: it wins, the checkpoint is
    reverted, it claims its bond and the withdrawal is paid later. Slow (``RUSTY_SLOW=1``)."""
    result = asyncio.run(run_devnet(3, 10, tmp_path, show_progress=False, dispute=True, restart_watcher=True))
    assert result.converged and result.upgraded, result
    trip = result.sidechain
    assert trip is not None
    assert trip["game_opened"] <= trip["restarted_at"] < trip["game_won"], trip
    assert trip["reloaded"].get("challenged") == 1 and trip["reloaded"].get("block", 0) >= 1, trip
    assert trip["game_won"] == trip["checkpoint_reverted"] <= trip["bond_claimed"] < trip["claimed"], trip
    texts = [event["text"] for event in trip["dispute"]]
    assert any(text.endswith("(at its one-step proof)") for text in texts), texts
    node = Node(tmp_path / "node0")
    try:
        state = node.store.state.sidechains
        assert not state.games and not state.bond_payouts
        key = (devnet.SIDECHAIN_ID, trip["withdrawal"]["height"], trip["withdrawal"]["index"])
        assert key in state.spent_withdrawals
    finally:
        node.close()

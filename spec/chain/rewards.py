"""Emission and the reward split (protocol steps "RWD-*").

* **RWD-1** ``subsidy(h) = initial_subsidy >> (h // halving_interval)`` (zero from the 64th halving).
  Total emission is ``initial_subsidy * halving_interval * (2 - 2**-k)`` summed over halvings,
  below ``max_money``.
* **RWD-2** the block reward ``R = subsidy(h) + fees`` is split in integers:
  ``treasury = R * treasury_bps // 10000``; if the block carries ``n > 0`` votes each voter gets
  ``R * stakers_bps // 10000 // n``; if a masternode payee is due it gets
  ``R * masternode_bps // 10000``; the miner gets the rest (so unclaimed shares and rounding go to
  the miner, and the parts always sum to exactly ``R``).
* **RWD-3** the coinbase pays exactly, in order: the miner (output 0, any script), one output per
  vote to the voting ticket's owner (P2PKH of its owner key hash), then the masternode payee if due.
  The treasury share is not an output: it is added to the chain's treasury balance, from which
  governance superblocks pay.
"""

from __future__ import annotations

from dataclasses import dataclass

from spec.presets import Preset

BASIS_POINTS = 10_000


def block_subsidy(height: int, preset: Preset) -> int:
    """RWD-1: newly minted atoms at ``height``."""
    halvings = height // preset.rewards.halving_interval
    return preset.rewards.initial_subsidy >> halvings if halvings < 64 else 0


@dataclass(frozen=True)
class RewardSplit:
    """RWD-2: who receives what from one block."""

    miner: int
    per_voter: int
    voters: int
    masternode: int
    treasury: int

    @property
    def total(self) -> int:
        """The sum of all parts (always subsidy + fees)."""
        return self.miner + self.per_voter * self.voters + self.masternode + self.treasury


def split_reward(reward: int, voters: int, masternode_due: bool, preset: Preset) -> RewardSplit:
    """RWD-2: split ``reward`` (subsidy + fees) between miner, voters, masternode and treasury."""
    shares = preset.rewards
    treasury = reward * shares.treasury_share_bps // BASIS_POINTS
    per_voter = reward * shares.stakers_share_bps // BASIS_POINTS // voters if voters > 0 else 0
    masternode = reward * shares.masternode_share_bps // BASIS_POINTS if masternode_due else 0
    miner = reward - treasury - per_voter * voters - masternode
    return RewardSplit(miner, per_voter, voters, masternode, treasury)

"""Fork 3, ``sidechains``: sidechains with a federated two-way peg (protocol step "SC-FORK-1";
everything else is :mod:`spec.forks.state_trie`).

Why: the seed's sidechain architecture (registry, two-way peg under masternode federations,
checkpoints, cross-chain messages) needs consensus rules on the mainchain; they are stated in
spec/sidechain/ (SC-REG, SC-TX, SC-CP, SC-PEG, SC-MSG; docs/sidechains.md) and switched on here.

* **SC-FORK-1** from the activation height, a null-data output whose payload starts with
  ``RCSC`` (spec/sidechain/transactions.py) is a sidechain message and the SC-* rules apply to it:
  a deposit moves its value into a sidechain's escrow, a checkpoint, claim, relay or refund is
  validated against the sidechain state (spec/sidechain/state.py). Before it, such an output is plain
  null data whose value is burnt, so no node that has not upgraded can be made to accept a payout
  from an escrow (a soft fork for deposits; claims pay out of escrow and so need the fork).

* **SC-FORK-2** the GOV-0 codec accepts a proposal action of tag 2, ``CREATE_SIDECHAIN`` carrying a
  :class:`~spec.sidechain.registry.SidechainSpec` (SC-REG-1; ``DECODE_INVALID_TAG`` before the fork),
  and a passed one registers the sidechain at its superblock (SC-REG-2).

Nothing else changes: block format, every other rule and every check order are the previous fork's.
"""

from __future__ import annotations

from dataclasses import replace

from spec.forks.state_trie import StateTrie
from spec.presets import Preset


class Sidechains(StateTrie):
    """Fork 3: SC-FORK-1 (the SC-* rules apply) and SC-FORK-2 (sidechain proposals)."""

    name = "sidechains"

    def governance_preset(self, preset: Preset) -> Preset:
        """SC-FORK-2: the previous fork's governance preset with sidechain proposals accepted."""
        base = super().governance_preset(preset)
        return replace(base, governance=replace(base.governance, sidechain_proposals=True))

    def sidechains_enabled(self) -> bool:
        """SC-FORK-1: the SC-* rules apply from this fork on."""
        return True

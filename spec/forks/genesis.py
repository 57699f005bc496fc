"""Fork 0, ``genesis``: the rules in force from the first block (protocol step "UPG-1").

Every rule a later fork may change is a method here, and each method states the genesis rule by
calling the flow that owns it (spec/chain/, spec/governance/), unchanged. A later fork is a
subclass that overrides only what it changes and calls ``super()`` for the rest, so its module is
the whole diff an auditor has to read.

Hooks (each takes the network's base preset; the chain's state transition calls them with the
fork in force for the block, UPG-6):

* :meth:`Genesis.governance_preset` -- the preset the GOV-* rules of a block read: the base
  preset (whitelist ``governance.governable``);
* :meth:`Genesis.ticket_price_preset` -- the preset POS-5 (the ticket price) reads: the base
  preset; governed values (GOV-7) do not reach the ticket rules;
* :meth:`Genesis.state_layout` -- what BLK-6's ``state_root`` commits to: the UTXO set (STATE-1);
* :meth:`Genesis.sidechains_enabled` -- whether the SC-* rules (spec/sidechain/) apply: no, a
  sidechain message output is plain null data (its value is burnt);
* :meth:`Genesis.quorums_from_parent` -- FIN-6: where the quorums based at height ``b`` are
  recorded: by block ``b`` itself (the state after ``b``).
"""

from __future__ import annotations

from spec.chain.layout import StateLayout
from spec.presets import Preset


class Genesis:
    """Fork 0: the rules as specified before forks existed."""

    name = "genesis"

    def governance_preset(self, preset: Preset) -> Preset:
        """GOV-1..7 read the base preset."""
        return preset

    def ticket_price_preset(self, preset: Preset, governed: Preset) -> Preset:
        """POS-5 reads the base preset, whatever governance set (``governed`` is ignored)."""
        del governed
        return preset

    def state_layout(self) -> StateLayout:
        """BLK-6 / STATE-1: the header's state root commits to the UTXO set."""
        return StateLayout.UTXO

    def sidechains_enabled(self) -> bool:
        """SC-*: no sidechain rules; a ``RCSC`` null-data output is plain null data."""
        return False

    def quorums_from_parent(self) -> bool:
        """FIN-6: a quorum base block records its own quorums in the state after itself."""
        return False

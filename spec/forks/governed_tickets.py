"""Fork 1, ``governed_tickets``: the ticket pool's target size becomes a governed parameter
(protocol steps "GT-1", "GT-2"; everything else is :mod:`spec.forks.genesis`).

Why: the ticket price (POS-5) steers the live pool toward ``tickets.target_pool_size``, a value the
presets fix (20,000 on mainnet, upstream spec 03). How many tickets the network should keep live
depends on how much stake participates, which nobody knows before launch; governance could already
change masternode and governance parameters (GOV-1..7) but not ticket ones, because the chain's
ticket rules read the base preset (docs/governance.md, "Not done"). This fork lets them:

* **GT-1** the GOV-1 whitelist gains the parameters the preset's ``[forks.governed_tickets.governable]``
  table lists (``tickets.target_pool_size``), so a PARAMETER_CHANGE proposal for it is accepted
  from the activation height on (``GOV_UNKNOWN_PARAMETER`` before);
* **GT-2** POS-5 reads the ``[tickets]`` section of the governed (GOV-7 effective) preset, so a
  passed change moves the price target from its activation height (``S + activation_delay``) on.

Nothing else changes: block and vote formats, every other rule and every check order are genesis'.
"""

from __future__ import annotations

from dataclasses import replace

from spec.forks.genesis import Genesis
from spec.presets import Preset


class GovernedTickets(Genesis):
    """Fork 1: GT-1 (whitelist) and GT-2 (ticket price reads the governed preset)."""

    name = "governed_tickets"

    def governance_preset(self, preset: Preset) -> Preset:
        """GT-1: the previous fork's preset with this fork's parameters added to the whitelist."""
        base = super().governance_preset(preset)
        # GovernedTickets.name, not self.name: a later fork inherits GT-1 as it is
        added = next(f.governable for f in preset.forks if f.name == GovernedTickets.name)
        governance = replace(base.governance, governable=(*base.governance.governable, *added))
        return replace(base, governance=governance)

    def ticket_price_preset(self, preset: Preset, governed: Preset) -> Preset:
        """GT-2: the previous fork's preset with the governed ``[tickets]`` section."""
        base = super().ticket_price_preset(preset, governed)
        return replace(base, tickets=governed.tickets)

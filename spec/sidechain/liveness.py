"""Sidechain block production: who proposes, and when the turn passes on (SC-LIVE-1..3).

These are liveness rules of the federation members, not validity rules: a sidechain header names
no producer (SC-HDR-1), so a block is valid or not by its content alone (SCB-1..5) and becomes
canonical by the federation's threshold signature on its checkpoint (SC-CP-4). Every input here is
mainchain data every node agrees on, so every honest member computes the same proposer.

* **SC-LIVE-1** block ``h`` (``h >= 1``) may be produced once checkpoint ``h - 1`` is accepted on
  the mainchain, at its posted height ``s`` (one block in flight). At mainchain height ``m`` the
  *round* of height ``h`` is ``max(0, m - s) // proposer_timeout_blocks``: it advances every
  ``proposer_timeout_blocks`` mainchain blocks (a preset constant; mainchain blocks, not seconds, so
  every node counts the same rounds).
* **SC-LIVE-2** the proposer of height ``h`` in round ``r`` is
  ``qualified[(h + r) mod |qualified|]``, ``qualified`` the federation's DKG result's qualified
  members in order; round 0 is the member of the un-rotated rule, and a member that is down is
  skipped after one round. An empty list raises ``SC_NO_FEDERATION_KEY`` (no federation to
  produce).
* **SC-LIVE-3** a member signs at most one header per sidechain height and group key (SC-CP-5), so
  a block from a late round-``r`` proposer and one from the round-``r + 1`` proposer can split the
  members' shares; with every member honest and one of them down this cannot happen (the down
  member produces nothing), and a split is a stall of that height, never two checkpoints.
"""

from __future__ import annotations

from collections.abc import Sequence

from spec.errors import FederationKeyMissing


def compute_round(round_start: int, mainchain_height: int, timeout_blocks: int) -> int:
    """SC-LIVE-1: the proposer round at ``mainchain_height`` of the sidechain height whose turn
    began at ``round_start`` (the posted height of its parent's checkpoint); ``timeout_blocks`` is
    the preset's positive ``proposer_timeout_blocks``."""
    return max(0, mainchain_height - round_start) // timeout_blocks


def get_proposer(height: int, round_: int, qualified: Sequence[int]) -> int:
    """SC-LIVE-2: the member index that proposes sidechain block ``height`` in round ``round_``."""
    if not qualified:
        raise FederationKeyMissing("the federation has no qualified member to propose")
    return qualified[(height + round_) % len(qualified)]

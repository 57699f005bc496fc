"""Fork 2, ``state_trie``: the header's state root commits to all consensus state (protocol step
"ST-1"; everything else is :mod:`spec.forks.governed_tickets`).

Why: before this fork BLK-6 commits to the UTXO set only (STATE-1), so the ticket pool, the
masternode list, governance, the quorum records, the treasury and the deployment records can only
be learnt by replaying every block: no snapshot of them can be checked against a header, and a
light client can prove a coin but nothing else. The layout of the committed items is
spec/chain/commitment.py (STATE-2..7, docs/trie.md).

* **ST-1** from the activation height, BLK-6 compares the header's ``state_root`` with the root of
  the full-state trie after the block (STATE-4) instead of the UTXO root (STATE-1). The first
  block under the fork commits to the full state after itself.
* **ST-2** (FIN-6 under ST-1) from the activation height, a block at height ``h`` records the
  quorums based at ``h - 1`` (selected from its parent's hash ``prev_hash`` and the masternode list
  after ``h - 1``, as FIN-1/7), before applying its own transactions, when the fork is active at
  ``h - 1``; a block records its own quorums only when the fork is not active at its height. So a
  base block's record is in the state after ``b + 1``, not after ``b``: the header of ``b`` commits
  to that state and the record holds ``hash(b)`` (a fixed point otherwise). At the activation
  boundary no record is skipped or doubled.

Nothing else changes (the records themselves, their members, base hash and session id, are the
same as before the fork; only the block whose state holds them moves):
block format, every other rule and every check order are the previous
fork's (a wrong root is ``BLK_BAD_STATE_ROOT`` as before).
"""

from __future__ import annotations

from spec.chain.layout import StateLayout
from spec.forks.governed_tickets import GovernedTickets


class StateTrie(GovernedTickets):
    """Fork 2: ST-1 (the state root commits to every committed state item), ST-2 (FIN-6 records
    the parent's quorums)."""

    name = "state_trie"

    def state_layout(self) -> StateLayout:
        """ST-1: the full-state layout (STATE-2..4)."""
        return StateLayout.FULL

    def quorums_from_parent(self) -> bool:
        """ST-2: the quorums based at ``b`` are recorded by block ``b + 1`` (from ``prev_hash``)."""
        return True

"""What a header's state root commits to (protocol steps "STATE-1", "STATE-4"; hook of UPG-1 forks)."""

from __future__ import annotations

from enum import Enum


class StateLayout(Enum):
    """What BLK-6's ``state_root`` commits to under a fork (hook ``Genesis.state_layout``)."""

    UTXO = "utxo"
    """STATE-1: the UTXO set, keys without a kind byte (spec/ledger/state.py)."""
    FULL = "full"
    """STATE-2..4: every committed state item (spec/chain/commitment.py)."""

"""PEP 316 contracts on the non-interactive fraud proofs' decisions (``crosshair check``, PEP316).

Each function wraps a helper of ``spec/sidechain/dispute.py`` or ``spec/sidechain/settlement.py``;
its ``post:`` lines must hold for every input meeting its ``pre:`` lines. Signatures and Merkle
folds are out of scope (CrossHair cannot invert BLS or BLAKE3); these are the arithmetic decisions
SC-DSP-8/9/23 rest on.

Contracts (rule references in brackets):

* overdraw decision [SC-DSP-9]: :func:`~spec.sidechain.dispute.is_escrow_overdraw` holds exactly
  for a withdrawal (kind 0) to the mainchain (chain 0) above the escrow;
* honest withdrawals [SC-DSP-9]: when the withdrawals of a checkpoint sum to at most the escrow
  (every atom withdrawn is backed), none of them is provable as an overdraw;
* proof window [SC-DSP-11/23]: a proof may be posted at ``now`` exactly in the ``challenge_period``
  blocks from the checkpoint's posting (``posted <= now < posted + period``), so never after a
  checkpoint matured (a matured checkpoint may have paid: reverting it would pay twice).
"""

from __future__ import annotations

from spec.sidechain.dispute import is_escrow_overdraw
from spec.sidechain.settlement import is_within_window

__all__ = ["honest_withdrawals", "overdraw_decision", "proof_window"]


def overdraw_decision(kind: int, target_chain: int, amount: int, escrow: int) -> bool:
    """SC-DSP-9: is the entry an overdraw?

    pre: 0 <= kind <= 1 and target_chain >= 0 and amount >= 0 and escrow >= 0
    post: __return__ == (kind == 0 and target_chain == 0 and amount > escrow)
    post: _implies(__return__, amount >= escrow + 1)
    """
    return is_escrow_overdraw(kind, target_chain, amount, escrow)


def _implies(a: bool, b: bool) -> bool:
    """Logical implication, for the contracts."""
    return b or not a


def honest_withdrawals(amounts: list[int], escrow: int) -> bool:
    """SC-DSP-9: is any of a backed checkpoint's withdrawals provable?

    pre: len(amounts) <= 4
    pre: all(a >= 0 for a in amounts)
    pre: sum(amounts) <= escrow
    post: not __return__
    """
    return any(is_escrow_overdraw(0, 0, amount, escrow) for amount in amounts)


def proof_window(posted: int, period: int, now: int) -> bool:
    """SC-DSP-11/23: may a proof against a checkpoint posted at ``posted`` be posted at ``now``?

    pre: posted >= 0 and period >= 1
    post: __return__ == (posted <= now <= posted + period - 1)
    post: _implies(now >= posted + period, not __return__)
    """
    return is_within_window(posted, period, now)

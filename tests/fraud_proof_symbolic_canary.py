"""Deliberately wrong contracts that ``tests/test_symbolic_suites.py`` expects CrossHair to refute
(the canary of ``conformance/symbolic/fraud_proof_contracts.py``).

``overdraw_at_escrow`` claims a withdrawal of exactly the escrow is provable (it is backed: an
honest federation would be reverted); ``message_overdraw`` claims a message entry above the escrow
is an overdraw (a message moves value to another sidechain, SC-MSG-1, not out of the escrow);
``window_inclusive_end`` claims a proof may still come at ``posted + period`` (after maturity). If
CrossHair stops refuting these, the suite has become vacuous.
"""

from __future__ import annotations

from conformance.symbolic.fraud_proof_contracts import overdraw_decision, proof_window


def overdraw_at_escrow(amount: int, escrow: int) -> bool:
    """Claims a withdrawal of the escrow or more is provable.

    pre: amount >= 0 and escrow >= 0
    post: __return__ == (amount >= escrow)
    """
    return overdraw_decision(0, 0, amount, escrow)


def message_overdraw(target_chain: int, amount: int, escrow: int) -> bool:
    """Claims any entry above the escrow is provable.

    pre: target_chain >= 0 and amount >= 0 and escrow >= 0
    post: __return__ == (amount > escrow)
    """
    return overdraw_decision(1, target_chain, amount, escrow)


def window_inclusive_end(posted: int, period: int, now: int) -> bool:
    """Claims the window includes ``posted + period``.

    pre: posted >= 0 and period >= 1
    post: __return__ == (posted <= now <= posted + period)
    """
    return proof_window(posted, period, now)

"""The wrappers of ``conformance/symbolic/slashing_contracts.py`` on concrete examples.

Plain calls, no CrossHair: the symbolic check of these contracts and of their canary runs in
``tests/test_symbolic_suites.py``.
"""

from __future__ import annotations

from conformance.symbolic import slashing_contracts


def test_slashing_wrappers_on_examples() -> None:
    # devnet: I = 30, D = 25: quorum 30 certifies [55, 85)
    assert slashing_contracts.evidence_in_term(55, 30, 30, 10, 5, 5, 5)
    assert slashing_contracts.evidence_in_term(84, 30, 30, 10, 5, 5, 5)
    assert not slashing_contracts.evidence_in_term(85, 30, 30, 10, 5, 5, 5)
    assert not slashing_contracts.evidence_in_term(54, 30, 30, 10, 5, 5, 5)
    assert slashing_contracts.slot_conflict(1, 2, 0, 1, 2, 9)
    assert not slashing_contracts.slot_conflict(3, 2, 1, 3, 2, 4)
    assert not slashing_contracts.slot_conflict(1, 2, 0, 3, 2, 0)
    assert slashing_contracts.burn_once([0, 2, 1], [2, 2, 2]) == (0, 2)
    assert slashing_contracts.burn_twice_is_nothing([2, 0, 2]) == ()
    assert slashing_contracts.judge_in_charge(2, 30, 30, 10, 5, 5, 5) == 30
    assert slashing_contracts.judge_in_charge(0, 30, 30, 10, 5, 5, 5) is None
    assert slashing_contracts.judge_in_charge(1, 48, 60, 10, 5, 5, 5) == 0
    assert slashing_contracts.penalty_step(150, 100, 200) == (250, True)
    assert slashing_contracts.penalty_step(100, 100, 200) == (200, False)
    assert slashing_contracts.decay_block(1, 2) == 0
    assert slashing_contracts.ban_bound(100, 200, 2, 30) == 4  # devnet: 100, 140, 180, 220
    assert slashing_contracts.ban_bound(100, 200, 1, 60) == 4  # mainnet
    assert slashing_contracts.ban_bound(100, 200, 4, 30) is None  # decay outpaces penalties
    assert slashing_contracts.ban_bound(300, 200, 9, 30) == 1
    assert slashing_contracts.response_counts(30, 59, 30, 5)  # devnet window [55, 60)
    assert not slashing_contracts.response_counts(30, 60, 30, 5)
    assert slashing_contracts.window_in_term(30, 30, 5) == (55, 60)
    assert slashing_contracts.missed_counts([[1, 2], [1], [1, 2, 3]], 3, 2) == (0, 0, 1)  # [1] not counted
    assert slashing_contracts.missed_counts([], 4, 3) == (0, 0, 0, 0)
    assert slashing_contracts.share_window_in_term(30, 30, 10, 2) == (55, 65, 67)  # devnet

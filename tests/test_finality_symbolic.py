"""The wrappers of ``conformance/symbolic/finality_contracts.py`` on concrete examples.

Plain calls, no CrossHair: the symbolic check of these contracts and of their canary runs in
``tests/test_symbolic_suites.py``.
"""

from __future__ import annotations

from conformance.symbolic import finality_contracts


def test_finality_wrappers_on_examples() -> None:
    # devnet: I = 30, D = 10 + 5 + 5 + 5 = 25
    assert finality_contracts.quorum_in_charge(24, 30, 10, 5, 5, 5) is None
    assert finality_contracts.quorum_in_charge(25, 30, 10, 5, 5, 5) == 0
    assert finality_contracts.quorum_in_charge(54, 30, 10, 5, 5, 5) == 0
    assert finality_contracts.quorum_in_charge(55, 30, 10, 5, 5, 5) == 30
    assert finality_contracts.quorum_in_charge(2**64 - 1, 1, 1, 1, 1, 1) == 2**64 - 5
    assert finality_contracts.quorum_in_charge_monotonic(0, 2**64 - 1, 48, 25)
    assert finality_contracts.base_height_rule(0, 30) and finality_contracts.base_height_rule(60, 30)
    assert not finality_contracts.base_height_rule(-30, 30) and not finality_contracts.base_height_rule(
        31, 30
    )
    assert finality_contracts.sign_rule(False, 99, 0)
    assert not finality_contracts.sign_rule(True, 7, 7) and finality_contracts.sign_rule(True, 7, 8)
    assert finality_contracts.member_signs_increasing_heights(True, 3, 4, 5)
    assert not finality_contracts.member_signs_increasing_heights(False, 0, 4, 4)
    assert [finality_contracts.threshold_majority(n) for n in (1, 2, 3, 4, 5, 50)] == [1, 2, 2, 3, 4, 34]
    assert finality_contracts.signer_sets_overlap(5, 4, 4) == 3
    assert finality_contracts.signer_sets_overlap(50, 34, 34) == 18
    assert finality_contracts.commitment_window_bounds(1, 30, 10, 5, 5, 5) == (50, 85)
    assert finality_contracts.commitment_window_bounds(0, 48, 10, 5, 5, 5) == (20, 73)
    assert finality_contracts.window_covers_term(1, 55, 30, 10, 5, 5, 5)
    assert finality_contracts.window_covers_term(1, 84, 30, 10, 5, 5, 5)
    assert finality_contracts.window_covers_term(1, 85, 30, 10, 5, 5, 5)  # quorum 2I's height
    assert finality_contracts.window_ends_with_term(1, 30, 25) == 60

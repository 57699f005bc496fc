"""The wrappers of ``conformance/symbolic/dispute_contracts.py`` on concrete examples.

Plain calls, no CrossHair: the symbolic check of these contracts and of their canary runs in
``tests/test_symbolic_suites.py``.
"""

from __future__ import annotations

from conformance.symbolic import dispute_contracts


def test_dispute_wrappers_on_examples() -> None:
    assert dispute_contracts.bisection_step(0, 5, True) == (2, 5)
    assert dispute_contracts.bisection_step(0, 5, False) == (0, 2)
    assert dispute_contracts.move_bound(0) == 1  # an empty block: the credit step's proof alone
    assert dispute_contracts.move_bound(1) == 1
    assert dispute_contracts.step_count(0) == 1 and dispute_contracts.step_count(5) == 5
    assert dispute_contracts.move_bound(8) == 7
    assert dispute_contracts.move_bound(9) == 9
    assert dispute_contracts.deadline_charge(100, 10, 144, 4) == (110, 6)
    assert dispute_contracts.bond_split(100, 50, 2000) == (130, 20)


def test_accumulator_wrappers_on_examples() -> None:
    from conformance.symbolic import accumulator_contracts

    assert accumulator_contracts.mark_lookup([], 7) == -1
    assert accumulator_contracts.mark_lookup([3, 7, 9], 7) == 1
    assert accumulator_contracts.mark_lookup([3, 7, 9], 2) == -1
    assert accumulator_contracts.mark_lookup([3, 7, 9], 8) == 1
    assert accumulator_contracts.range_count([11, 13], [2, 3], 0, 13) == 3
    assert accumulator_contracts.range_count([11, 13], [2, 3], 11, 12) == 0
    assert accumulator_contracts.range_count([11, 13], [2, 3], 11, 13) == 1

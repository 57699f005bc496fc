"""The wrappers of ``conformance/symbolic/dispute_contracts.py`` on concrete examples.

Plain calls, no CrossHair: the symbolic check of these contracts and of their canary runs in
``tests/test_symbolic_suites.py``.
"""

from __future__ import annotations

from conformance.symbolic import dispute_contracts


def test_dispute_wrappers_on_examples() -> None:
    assert dispute_contracts.bisection_step(0, 5, True) == (2, 5)
    assert dispute_contracts.bisection_step(0, 5, False) == (0, 2)
    assert dispute_contracts.move_bound(1) == 1
    assert dispute_contracts.move_bound(8) == 7
    assert dispute_contracts.move_bound(9) == 9
    assert dispute_contracts.deadline_charge(100, 10, 144, 4) == (110, 6)
    assert dispute_contracts.bond_split(100, 50, 2000) == (130, 20)

"""The wrappers of ``conformance/symbolic/refund_void_contracts.py`` on concrete examples.

Plain calls, no CrossHair: the symbolic check of these contracts and of their canary runs in
``tests/test_symbolic_suites.py``.
"""

from __future__ import annotations

from conformance.symbolic import refund_void_contracts as contracts
from tests.refund_void_symbolic_canary import voided_one_block_early


def test_refund_void_wrappers_on_examples() -> None:
    assert contracts.before_refund(17, 21, 17)
    assert contracts.before_refund(17, 21, 20)
    assert not contracts.before_refund(17, 21, 21)
    assert not contracts.before_refund(17, 21, 16)
    assert contracts.voided_from_refund(17, 1, 21, 21)
    assert not contracts.voided_from_refund(17, 1, 21, 20)
    assert not contracts.credited_after_refund(0, 21, 17, 21)
    assert not contracts.credited_after_refund(0, 16, 17, 21)
    assert contracts.producer_cursor(17, 27, 25, 31, 28) == 16
    assert contracts.producer_cursor(17, 21, 25, 31, 23) == 23
    assert not voided_one_block_early(17, 21, 20)  # the canary's counterexample

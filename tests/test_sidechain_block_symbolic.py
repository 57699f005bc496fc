"""The wrappers of ``conformance/symbolic/sidechain_block_contracts.py`` on concrete examples.

Plain calls, no CrossHair: the symbolic check of these contracts and of their canary runs in
``tests/test_symbolic_suites.py``.
"""

from __future__ import annotations

from conformance.symbolic import sidechain_block_contracts as sidechain_contracts
from tests.sidechain_block_symbolic_canary import everything_below_the_cursor_is_taken


def test_sidechain_wrappers_on_examples() -> None:
    assert sidechain_contracts.cursor_ranges_partition(11, 10, 11, 20)
    assert not sidechain_contracts.cursor_ranges_partition(10, 10, 11, 20)
    assert sidechain_contracts.cursor_accepted(10, 34, 40, 6)
    assert not sidechain_contracts.cursor_accepted(10, 35, 40, 6)
    assert not sidechain_contracts.cursor_accepted(10, 9, 40, 6)
    assert sidechain_contracts.gas_accepted(178, 2780, 250000, 1000, 10, 1)
    assert not sidechain_contracts.gas_accepted(178, 2779, 250000, 1000, 10, 1)
    assert sidechain_contracts.gas_monotonic(178, 1, 1000, 10) == 2780
    assert sidechain_contracts.balance_split(10000, 5000, 5000) == 0
    assert sidechain_contracts.balance_split(10000, 5000, 5001) == 5000
    assert sidechain_contracts.balance_split(4999, 5000, 0) == -1
    assert not everything_below_the_cursor_is_taken(10, 10, 20)  # the canary's counterexample

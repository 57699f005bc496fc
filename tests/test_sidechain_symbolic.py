"""The wrappers of ``conformance/symbolic/sidechain_contracts.py`` on concrete examples.

Plain calls, no CrossHair: the symbolic check of these contracts and of their canary runs in
``tests/test_symbolic_suites.py``.
"""

from __future__ import annotations

from conformance.symbolic import sidechain_contracts
from tests.sidechain_symbolic_canary import matured_one_block_early


def test_sidechain_wrappers_on_examples() -> None:
    assert sidechain_contracts.matured_window(14, 3, 17)
    assert not sidechain_contracts.matured_window(14, 3, 16)
    assert sidechain_contracts.timeout_window(17, 4, 21)
    assert not sidechain_contracts.timeout_window(17, 4, 20)
    assert sidechain_contracts.cursor_bound(14, 2, 12) == 12
    assert sidechain_contracts.proposer_round(40, 41, 2) == 0
    assert sidechain_contracts.proposer_round(40, 42, 2) == 1
    assert sidechain_contracts.proposer_rotation(1, 0, 3) == 2
    assert sidechain_contracts.proposer_rotation(1, 1, 3) == 3
    assert not matured_one_block_early(14, 3, 16)  # the canary's counterexample

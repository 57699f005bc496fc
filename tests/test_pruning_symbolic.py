"""The wrappers of ``conformance/symbolic/pruning_contracts.py`` on concrete examples.

Plain calls, no CrossHair: the symbolic check of these contracts and of their canary runs in
``tests/test_symbolic_suites.py``.
"""

from __future__ import annotations

from conformance.symbolic import pruning_contracts as contracts
from tests.pruning_symbolic_canary import kept_one_below


def test_pruning_wrappers_on_examples() -> None:
    assert not contracts.settled_boundary(19, 3, 21, False)
    assert contracts.settled_boundary(19, 3, 22, False)
    assert not contracts.settled_boundary(19, 3, 22, True)
    assert contracts.marks_kept([15, 16, 18], 16, 16)
    assert contracts.marks_kept([15, 16, 18], 17, 30)
    assert contracts.void_kept(17, 21, 21, 21, 25) == (False, False, False)
    assert contracts.void_kept(22, 25, 21, 21, 23) == (True, True, True)
    assert contracts.bounded_cursor([3, 5, 9], 0, 20, 2) == (8, 2, 3)
    assert contracts.bounded_cursor([3, 5, 9], 3, 20, 2) == (20, 2, 2)
    assert contracts.bounded_cursor([3, 5, 9], 3, 4, 1) == (4, 0, 1)
    assert not kept_one_below([15, 16], 16)  # the canary's counterexample
    assert kept_one_below([15, 18], 17)

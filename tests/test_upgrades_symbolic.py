"""The wrappers of ``conformance/symbolic/upgrade_contracts.py`` on concrete examples.

Rules: UPG-4/5.

Plain calls, no CrossHair: the symbolic check of these contracts and of their canary runs in
``tests/test_symbolic_suites.py``.
"""

from __future__ import annotations

from conformance.symbolic import upgrade_contracts
from tests.upgrade_symbolic_canary import no_vote_never_helps


def test_upgrade_wrappers_on_examples() -> None:
    assert upgrade_contracts.lock_in_exact(3024, 1008, 4032, 7500)
    assert not upgrade_contracts.lock_in_exact(3023, 1009, 4032, 7500)
    assert not upgrade_contracts.lock_in_exact(4031, 0, 4032, 7500)
    assert not upgrade_contracts.yes_and_no_exclusive(1008, 3024, 4032, 7500)
    assert upgrade_contracts.state_step(1, 20, 6, 2, True, 10) == 2
    assert upgrade_contracts.state_step(2, 30, 0, 0, True, 10) == 3
    assert upgrade_contracts.state_step(0, 10, 0, 0, False, 10) == 0
    assert not no_vote_never_helps(4, 0, 5, 7500)  # the canary's counterexample

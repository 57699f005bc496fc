"""The wrappers of ``conformance/symbolic/governance_contracts.py`` on concrete examples.

Plain calls, no CrossHair: the symbolic check of these contracts and of their canary runs in
``tests/test_symbolic_suites.py``.
"""

from __future__ import annotations

from conformance.symbolic import governance_contracts
from spec.presets import DEVNET, MAINNET


def test_governance_wrappers_on_examples() -> None:
    assert [governance_contracts.quorum_threshold_bounds(n) for n in (1, 2, 3, 4, 50, 400)] == [
        1,
        2,
        2,
        3,
        34,
        267,
    ]
    bps = MAINNET.governance.participation_bps
    assert governance_contracts.participation_monotonic(3, 0, 0, 6, bps)
    assert not governance_contracts.participation_monotonic(2, 0, 0, 5, bps)
    approval = MAINNET.governance.approval_bps
    assert governance_contracts.approval_monotonic(33, 17, approval)
    assert not governance_contracts.approval_monotonic(32, 17, approval)
    assert governance_contracts.approval_majority(1, 0, approval)
    assert governance_contracts.pose_decay(5, 2) == 3 and governance_contracts.pose_decay(1, 2) == 0
    params = DEVNET.masternodes
    assert governance_contracts.pose_penalty(100, params.pose_penalty, params.pose_ban_threshold) == (
        200,
        False,
    )
    assert governance_contracts.pose_penalty(101, params.pose_penalty, params.pose_ban_threshold) == (
        201,
        True,
    )
    assert governance_contracts.treasury_budget(5, 3, 1, 6) == ((True, False, True), 0)
    assert governance_contracts.treasury_budget(7, 3, 1, 6) == ((False, True, True), 2)

"""CrossHair symbolic checks of ``conformance/symbolic/governance_contracts.py`` (QUORUM-3, GOV-5/6, MN-5/6).

Runs ``crosshair check --analysis_kind=PEP316`` with ``--per_condition_timeout`` from
``RUSTY_CROSSHAIR_SECONDS`` (default 3), the contracts split over two processes, using the runner
of ``tests/symbolic_suite.py``. The run must exit 0 with no counterexample and, with
``--report_all``, name every ``post:`` line (so no contract is silently skipped). The canary
``tests/governance_symbolic_canary.py`` (the floored quorum threshold ``2n // 3``) must be refuted
in the same run, so the check cannot pass vacuously.
"""

from __future__ import annotations

import pytest

from conformance.symbolic import governance_contracts
from spec.presets import DEVNET, MAINNET
from tests.symbolic_suite import (
    REPO_ROOT,
    Runs,
    assert_canary_refuted,
    assert_contracts_hold,
    assert_every_contract_states_pre_and_post,
    run_suite,
    seconds_per_condition,
)

CONTRACTS_FILE = REPO_ROOT / "conformance" / "symbolic" / "governance_contracts.py"
CANARY_FILE = REPO_ROOT / "tests" / "governance_symbolic_canary.py"
SECONDS = seconds_per_condition("3")


@pytest.fixture(scope="module")
def crosshair_runs() -> Runs:
    return run_suite(governance_contracts, CANARY_FILE, SECONDS)


def test_governance_contracts_hold(crosshair_runs: Runs) -> None:
    assert_contracts_hold(crosshair_runs, CONTRACTS_FILE)


def test_governance_canary_is_refuted(crosshair_runs: Runs) -> None:
    assert_canary_refuted(crosshair_runs, "floor_quorum_threshold")


def test_every_governance_contract_states_pre_and_post() -> None:
    assert_every_contract_states_pre_and_post(governance_contracts)


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

"""CrossHair symbolic checks of ``conformance/symbolic/finality_contracts.py`` (FIN-1..3, FIN-5, QUORUM-3).

Runs ``crosshair check --analysis_kind=PEP316`` with ``--per_condition_timeout`` from
``RUSTY_CROSSHAIR_SECONDS`` (default 3), the contracts split over two processes, using the runner
of ``tests/symbolic_suite.py``. The run must exit 0 with no counterexample and, with
``--report_all``, name every ``post:`` line (so no contract is silently skipped). The canary
``tests/finality_symbolic_canary.py`` (a schedule one block early, a member that re-signs its last
height, a floored two-thirds threshold, a commitment window that ends with the DKG) must be
refuted in the same run, so the check cannot pass vacuously.
"""

from __future__ import annotations

import pytest

from conformance.symbolic import finality_contracts
from tests.symbolic_suite import (
    REPO_ROOT,
    Runs,
    assert_canary_refuted,
    assert_contracts_hold,
    assert_every_contract_states_pre_and_post,
    run_suite,
    seconds_per_condition,
)

CONTRACTS_FILE = REPO_ROOT / "conformance" / "symbolic" / "finality_contracts.py"
CANARY_FILE = REPO_ROOT / "tests" / "finality_symbolic_canary.py"
SECONDS = seconds_per_condition("3")


@pytest.fixture(scope="module")
def crosshair_runs() -> Runs:
    return run_suite(finality_contracts, CANARY_FILE, SECONDS)


def test_finality_contracts_hold(crosshair_runs: Runs) -> None:
    assert_contracts_hold(crosshair_runs, CONTRACTS_FILE)


def test_finality_canary_is_refuted(crosshair_runs: Runs) -> None:
    assert_canary_refuted(
        crosshair_runs,
        "early_quorum_in_charge",
        "resigning_member",
        "floored_majority",
        "window_ends_with_dkg",
    )


def test_every_finality_contract_states_pre_and_post() -> None:
    assert_every_contract_states_pre_and_post(finality_contracts)


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

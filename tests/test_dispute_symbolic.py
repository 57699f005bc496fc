"""CrossHair symbolic checks of ``conformance/symbolic/dispute_contracts.py`` (SC-DSP-3, 4, 6, 10).

Runs ``crosshair check --analysis_kind=PEP316`` with ``--per_condition_timeout`` from
``RUSTY_CROSSHAIR_SECONDS`` (default 3) through ``tests/symbolic_suite.py``: no counterexample,
every ``post:`` line analysed; the canary ``tests/dispute_symbolic_canary.py`` (a bisection at a
third, a deadline past the clock, a burnt share rounded up) must be refuted in the same run.
"""

from __future__ import annotations

import pytest

from conformance.symbolic import dispute_contracts
from tests.symbolic_suite import (
    REPO_ROOT,
    Runs,
    assert_canary_refuted,
    assert_contracts_hold,
    assert_every_contract_states_pre_and_post,
    run_suite,
    seconds_per_condition,
)

CONTRACTS_FILE = REPO_ROOT / "conformance" / "symbolic" / "dispute_contracts.py"
CANARY_FILE = REPO_ROOT / "tests" / "dispute_symbolic_canary.py"
SECONDS = seconds_per_condition("3")


@pytest.fixture(scope="module")
def crosshair_runs() -> Runs:
    return run_suite(dispute_contracts, CANARY_FILE, SECONDS)


def test_dispute_contracts_hold(crosshair_runs: Runs) -> None:
    assert_contracts_hold(crosshair_runs, CONTRACTS_FILE)


def test_dispute_canary_is_refuted(crosshair_runs: Runs) -> None:
    assert_canary_refuted(crosshair_runs, "third_point", "deadline_of_the_longer", "burn_rounded_up")


def test_every_dispute_contract_states_pre_and_post() -> None:
    assert_every_contract_states_pre_and_post(dispute_contracts)


def test_dispute_wrappers_on_examples() -> None:
    assert dispute_contracts.bisection_step(0, 5, True) == (2, 5)
    assert dispute_contracts.bisection_step(0, 5, False) == (0, 2)
    assert dispute_contracts.move_bound(1) == 1
    assert dispute_contracts.move_bound(8) == 7
    assert dispute_contracts.move_bound(9) == 9
    assert dispute_contracts.deadline_charge(100, 10, 144, 4) == (110, 6)
    assert dispute_contracts.bond_split(100, 50, 2000) == (130, 20)

"""CrossHair symbolic checks of ``conformance/symbolic/upgrade_contracts.py`` (UPG-4/5).

Runs ``crosshair check --analysis_kind=PEP316`` with ``--per_condition_timeout`` from
``RUSTY_CROSSHAIR_SECONDS`` (default 3) through ``tests/symbolic_suite.py``. The run must exit 0 with
no counterexample and name every ``post:`` line; the canary ``tests/upgrade_symbolic_canary.py`` (a
no vote never helps lock in) must be refuted in the same run, so the check cannot pass vacuously.
"""

from __future__ import annotations

import pytest

from conformance.symbolic import upgrade_contracts
from tests.symbolic_suite import (
    REPO_ROOT,
    Runs,
    assert_canary_refuted,
    assert_contracts_hold,
    assert_every_contract_states_pre_and_post,
    run_suite,
    seconds_per_condition,
)
from tests.upgrade_symbolic_canary import no_vote_never_helps

CONTRACTS_FILE = REPO_ROOT / "conformance" / "symbolic" / "upgrade_contracts.py"
CANARY_FILE = REPO_ROOT / "tests" / "upgrade_symbolic_canary.py"
SECONDS = seconds_per_condition("3")


@pytest.fixture(scope="module")
def crosshair_runs() -> Runs:
    return run_suite(upgrade_contracts, CANARY_FILE, SECONDS)


def test_upgrade_contracts_hold(crosshair_runs: Runs) -> None:
    assert_contracts_hold(crosshair_runs, CONTRACTS_FILE)


def test_upgrade_canary_is_refuted(crosshair_runs: Runs) -> None:
    assert_canary_refuted(crosshair_runs, "no_vote_never_helps")


def test_every_upgrade_contract_states_pre_and_post() -> None:
    assert_every_contract_states_pre_and_post(upgrade_contracts)


def test_upgrade_wrappers_on_examples() -> None:
    assert upgrade_contracts.lock_in_exact(3024, 1008, 4032, 7500)
    assert not upgrade_contracts.lock_in_exact(3023, 1009, 4032, 7500)
    assert not upgrade_contracts.lock_in_exact(4031, 0, 4032, 7500)
    assert not upgrade_contracts.yes_and_no_exclusive(1008, 3024, 4032, 7500)
    assert upgrade_contracts.state_step(1, 20, 6, 2, True, 10) == 2
    assert upgrade_contracts.state_step(2, 30, 0, 0, True, 10) == 3
    assert upgrade_contracts.state_step(0, 10, 0, 0, False, 10) == 0
    assert not no_vote_never_helps(4, 0, 5, 7500)  # the canary's counterexample

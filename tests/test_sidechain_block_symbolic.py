"""CrossHair symbolic checks of ``conformance/symbolic/sidechain_block_contracts.py`` (SCB-2, VMF-4/6/7).

Runs ``crosshair check --analysis_kind=PEP316`` with ``--per_condition_timeout`` from
``RUSTY_CROSSHAIR_SECONDS`` (default 3) through ``tests/symbolic_suite.py``. The run must exit 0 with
no counterexample and name every ``post:`` line; the canary ``tests/sidechain_block_symbolic_canary.py``
(every input at or below the cursor is taken) must be refuted in the same run, so the check cannot
pass vacuously.
"""

from __future__ import annotations

import pytest

from conformance.symbolic import sidechain_block_contracts as sidechain_contracts
from tests.sidechain_block_symbolic_canary import everything_below_the_cursor_is_taken
from tests.symbolic_suite import (
    REPO_ROOT,
    Runs,
    assert_canary_refuted,
    assert_contracts_hold,
    assert_every_contract_states_pre_and_post,
    run_suite,
    seconds_per_condition,
)

CONTRACTS_FILE = REPO_ROOT / "conformance" / "symbolic" / "sidechain_block_contracts.py"
CANARY_FILE = REPO_ROOT / "tests" / "sidechain_block_symbolic_canary.py"
SECONDS = seconds_per_condition("3")


@pytest.fixture(scope="module")
def crosshair_runs() -> Runs:
    return run_suite(sidechain_contracts, CANARY_FILE, SECONDS)


def test_sidechain_contracts_hold(crosshair_runs: Runs) -> None:
    assert_contracts_hold(crosshair_runs, CONTRACTS_FILE)


def test_sidechain_canary_is_refuted(crosshair_runs: Runs) -> None:
    assert_canary_refuted(crosshair_runs, "everything_below_the_cursor_is_taken")


def test_every_upgrade_contract_states_pre_and_post() -> None:
    assert_every_contract_states_pre_and_post(sidechain_contracts)


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

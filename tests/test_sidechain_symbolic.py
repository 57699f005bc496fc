"""CrossHair symbolic checks of ``conformance/symbolic/sidechain_contracts.py`` (SC-CP-3, SC-PEG-3, SC-MSG-4).

Runs ``crosshair check --analysis_kind=PEP316`` with ``--per_condition_timeout`` from
``RUSTY_CROSSHAIR_SECONDS`` (default 3) through ``tests/symbolic_suite.py``. The run must exit 0 with
no counterexample and name every ``post:`` line; the canary ``tests/sidechain_symbolic_canary.py``
(matured one block early) must be refuted in the same run, so the check cannot pass vacuously.
"""

from __future__ import annotations

import pytest

from conformance.symbolic import sidechain_contracts
from tests.sidechain_symbolic_canary import matured_one_block_early
from tests.symbolic_suite import (
    REPO_ROOT,
    Runs,
    assert_canary_refuted,
    assert_contracts_hold,
    assert_every_contract_states_pre_and_post,
    run_suite,
    seconds_per_condition,
)

CONTRACTS_FILE = REPO_ROOT / "conformance" / "symbolic" / "sidechain_contracts.py"
CANARY_FILE = REPO_ROOT / "tests" / "sidechain_symbolic_canary.py"
SECONDS = seconds_per_condition("3")


@pytest.fixture(scope="module")
def crosshair_runs() -> Runs:
    return run_suite(sidechain_contracts, CANARY_FILE, SECONDS)


def test_sidechain_contracts_hold(crosshair_runs: Runs) -> None:
    assert_contracts_hold(crosshair_runs, CONTRACTS_FILE)


def test_sidechain_canary_is_refuted(crosshair_runs: Runs) -> None:
    assert_canary_refuted(crosshair_runs, "matured_one_block_early")


def test_every_sidechain_contract_states_pre_and_post() -> None:
    assert_every_contract_states_pre_and_post(sidechain_contracts)


def test_sidechain_wrappers_on_examples() -> None:
    assert sidechain_contracts.matured_window(14, 3, 17)
    assert not sidechain_contracts.matured_window(14, 3, 16)
    assert sidechain_contracts.timeout_window(17, 4, 21)
    assert not sidechain_contracts.timeout_window(17, 4, 20)
    assert sidechain_contracts.cursor_bound(14, 2, 12) == 12
    assert not matured_one_block_early(14, 3, 16)  # the canary's counterexample

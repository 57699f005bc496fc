"""CrossHair symbolic checks of ``conformance/symbolic/dkg_contracts.py`` (DKG-2, DKG-4/6/7/8/10).

Runs ``crosshair check --analysis_kind=PEP316`` with ``--per_condition_timeout`` from
``RUSTY_CROSSHAIR_SECONDS`` (default 4), the contracts split over two processes, using the runner
of ``tests/symbolic_suite.py``. The run must exit 0 with no counterexample and, with
``--report_all``, name every ``post:`` line (so no contract is silently skipped). The canary
``tests/dkg_symbolic_canary.py`` (an inclusive phase lookup and a floored two-thirds threshold)
must be refuted in the same run, so the check cannot pass vacuously.
"""

from __future__ import annotations

import pytest

from conformance.symbolic import dkg_contracts
from spec.crypto.bls import CURVE_ORDER
from spec.masternode.dkg import DkgPhase
from tests.symbolic_suite import (
    REPO_ROOT,
    Runs,
    assert_canary_refuted,
    assert_contracts_hold,
    assert_every_contract_states_pre_and_post,
    run_suite,
    seconds_per_condition,
)

CONTRACTS_FILE = REPO_ROOT / "conformance" / "symbolic" / "dkg_contracts.py"
CANARY_FILE = REPO_ROOT / "tests" / "dkg_symbolic_canary.py"
SECONDS = seconds_per_condition("4")


@pytest.fixture(scope="module")
def crosshair_runs() -> Runs:
    return run_suite(dkg_contracts, CANARY_FILE, SECONDS)


def test_dkg_contracts_hold(crosshair_runs: Runs) -> None:
    assert_contracts_hold(crosshair_runs, CONTRACTS_FILE)


def test_dkg_canary_is_refuted(crosshair_runs: Runs) -> None:
    assert_canary_refuted(crosshair_runs, "inclusive_phase_lookup", "floored_threshold", "zero_ephemeral")


def test_every_dkg_contract_states_pre_and_post() -> None:
    assert_every_contract_states_pre_and_post(dkg_contracts)


def test_dkg_wrappers_on_examples() -> None:
    assert dkg_contracts.exponent_schedule_small(2, 5) == (1, 2, 4, 8, 16)
    assert dkg_contracts.exponent_schedule_steps(-1, 3) == (1, CURVE_ORDER - 1, 1)
    assert dkg_contracts.exponent_schedule_negated(3, 3) == (1, CURVE_ORDER - 3, 9)
    assert dkg_contracts.phase_partition(100, 99, 10, 5, 5, 5) is None
    assert dkg_contracts.phase_partition(100, 100, 10, 5, 5, 5) is DkgPhase.CONTRIBUTION
    assert dkg_contracts.phase_partition(100, 110, 10, 5, 5, 5) is DkgPhase.COMPLAINT
    assert dkg_contracts.phase_partition(100, 124, 10, 5, 5, 5) is DkgPhase.FINALIZATION
    assert dkg_contracts.phase_partition(100, 125, 10, 5, 5, 5) is None
    assert dkg_contracts.phase_monotonic(0, 3, 12, 10, 5)
    assert [dkg_contracts.threshold_two_thirds(n) for n in (1, 2, 3, 4, 400)] == [1, 2, 2, 3, 267]
    assert dkg_contracts.share_scalar_range(b"\x00" * 31 + b"\x05") == 5
    assert dkg_contracts.share_scalar_range(CURVE_ORDER.to_bytes(32, "big")) is None
    assert dkg_contracts.share_scalar_range(b"\x00" * 33) is None
    assert dkg_contracts.batch_weight_range(b"\xff" * 32) == 2**128
    assert dkg_contracts.batch_weight_range(b"\x00" * 32) == 1
    assert dkg_contracts.ephemeral_digest_range(bytes(64)) == 1
    assert dkg_contracts.ephemeral_digest_range((CURVE_ORDER - 2).to_bytes(64, "big")) == CURVE_ORDER - 1
    assert dkg_contracts.ephemeral_scalar_range(bytes(32)) is None
    assert dkg_contracts.ephemeral_scalar_range(b"\x00" * 31 + b"\x07") == 7
    assert dkg_contracts.ephemeral_scalar_range(CURVE_ORDER.to_bytes(32, "big")) is None
    assert dkg_contracts.share_context_injective(bytes(32), 1, 2, 1, 2)
    assert not dkg_contracts.share_context_injective(bytes(32), 1, 2, 2, 1)

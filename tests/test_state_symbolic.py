"""CrossHair symbolic checks of ``conformance/symbolic/state_contracts.py`` (STATE-2/3, SNAP-5).

Runs ``crosshair check --analysis_kind=PEP316`` with ``--per_condition_timeout`` from
``RUSTY_CROSSHAIR_SECONDS`` (default 3), the contracts split over two processes, using the runner
of ``tests/symbolic_suite.py``. The run must exit 0 with no counterexample and, with
``--report_all``, name every ``post:`` line (so no contract is silently skipped). The canary
``tests/state_symbolic_canary.py`` (quorum keys with little-endian heights, which do not sort by
height) must be refuted in the same run, so the check cannot pass vacuously.
"""

from __future__ import annotations

import pytest

from conformance.symbolic import state_contracts
from spec.chain.commitment import KIND_POSE_QUORUM
from tests.state_symbolic_canary import little_endian_quorum_key_order
from tests.symbolic_suite import (
    REPO_ROOT,
    Runs,
    assert_canary_refuted,
    assert_contracts_hold,
    assert_every_contract_states_pre_and_post,
    run_suite,
    seconds_per_condition,
)

CONTRACTS_FILE = REPO_ROOT / "conformance" / "symbolic" / "state_contracts.py"
CANARY_FILE = REPO_ROOT / "tests" / "state_symbolic_canary.py"
SECONDS = seconds_per_condition("3")


@pytest.fixture(scope="module")
def crosshair_runs() -> Runs:
    return run_suite(state_contracts, CANARY_FILE, SECONDS)


def test_state_contracts_hold(crosshair_runs: Runs) -> None:
    assert_contracts_hold(crosshair_runs, CONTRACTS_FILE, count_precondition_reports=False)


def test_state_canary_is_refuted(crosshair_runs: Runs) -> None:
    assert_canary_refuted(crosshair_runs, "little_endian_quorum_key_order")


def test_every_state_contract_states_pre_and_post() -> None:
    assert_every_contract_states_pre_and_post(state_contracts)


def test_state_wrappers_on_examples() -> None:
    low, high = state_contracts.quorum_key_order(True, 1, 256)
    assert low == bytes([KIND_POSE_QUORUM]) + (1).to_bytes(8, "big") and low < high
    proposal, executed, vote = state_contracts.id_keys(bytes(range(32)), 7)
    assert (proposal[0], executed[0], vote[0], len(vote)) == (0x04, 0x06, 0x05, 69)
    assert [k[0] for k in state_contracts.outpoint_keys(bytes(32), 2**32 - 1)] == [1, 2, 3]
    assert state_contracts.u64_value_roundtrip(2**64 - 1) == b"\xff" * 8
    chunk = state_contracts._CHUNK
    assert [state_contracts.chunk_count_bounds(n) for n in (0, 1, chunk, chunk + 1)] == [0, 1, 1, 2]
    low, high = little_endian_quorum_key_order(1, 256)
    assert not low < high  # the canary's contract is false, on the very pair the docstring names

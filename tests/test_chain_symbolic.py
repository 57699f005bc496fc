"""CrossHair symbolic checks of ``conformance/symbolic/chain_contracts.py`` (POW-1/3/4, RWD-2).

Runs ``crosshair check --analysis_kind=PEP316`` with ``--per_condition_timeout`` from
``RUSTY_CROSSHAIR_SECONDS`` (default 4), the contracts split over two processes, using the
runner of ``tests/symbolic_suite.py``. The run must exit 0 with no counterexample and, with
``--report_all``, name every ``post:`` line (so no contract is silently skipped). The canary
``tests/chain_symbolic_canary.py`` (the first, floored version of the retarget clamp) must be
refuted in the same run, so the check cannot pass vacuously.
"""

from __future__ import annotations

import pytest

from conformance.symbolic import chain_contracts
from spec.chain.pow import MAX_TARGET, encode_compact
from spec.presets import DEVNET
from tests.symbolic_suite import (
    REPO_ROOT,
    Runs,
    assert_canary_refuted,
    assert_contracts_hold,
    assert_every_contract_states_pre_and_post,
    run_suite,
    seconds_per_condition,
)

CONTRACTS_FILE = REPO_ROOT / "conformance" / "symbolic" / "chain_contracts.py"
CANARY_FILE = REPO_ROOT / "tests" / "chain_symbolic_canary.py"
SECONDS = seconds_per_condition("4")


@pytest.fixture(scope="module")
def crosshair_runs() -> Runs:
    return run_suite(chain_contracts, CANARY_FILE, SECONDS)


def test_chain_contracts_hold(crosshair_runs: Runs) -> None:
    assert_contracts_hold(crosshair_runs, CONTRACTS_FILE)


def test_chain_canary_is_refuted(crosshair_runs: Runs) -> None:
    assert_canary_refuted(crosshair_runs, "floor_clamped_retarget")


def test_every_chain_contract_states_pre_and_post() -> None:
    assert_every_contract_states_pre_and_post(chain_contracts)


def test_chain_wrappers_on_examples() -> None:
    assert chain_contracts.timespan_clamp(0, 18, 4) == 18
    assert chain_contracts.timespan_clamp(10**6, 18, 4) == 18 * 16
    assert chain_contracts.timespan_clamp(9, 18, 4) == 36
    # F = 4 does not divide 18: the target still falls by at most a factor of 4.
    assert chain_contracts.retarget_bounds(1 << 40, 0, 18, 4, 1 << 60) == 1 << 38
    assert chain_contracts.retarget_bounds(1 << 40, 10**6, 18, 4, 1 << 41) == 1 << 41
    assert chain_contracts.retarget_monotonic(12345, -5, 7, 18)
    for target in (1, 0x80, 0x7FFFFF, 0x800000, 0x123456789A, 2**80):
        assert chain_contracts.compact_roundtrip(target) <= target
        assert chain_contracts.compact_sign_bit_clear(target) == encode_compact(target)
    assert chain_contracts.compact_sign_bit_clear(MAX_TARGET) == 0x2100FFFF
    assert chain_contracts.work_monotonic(1, MAX_TARGET)
    split = chain_contracts.reward_split(10**9 + 7, 3, True, 3000, 2000, 1000)
    assert split.total == 10**9 + 7
    assert split == chain_contracts.reward_split(10**9 + 7, 3, True, 3000, 2000, 1000)
    assert DEVNET.rewards.stakers_share_bps == 3000

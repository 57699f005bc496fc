"""CrossHair symbolic checks of ``conformance/symbolic/contracts.py`` (bounded; see docs/symbolic.md).

The contracts are checked by tests/symbolic_suite.py in two CrossHair processes running side by
side (the functions split between them), with ``--per_condition_timeout`` from
``RUSTY_CROSSHAIR_SECONDS`` (default 3). The run must find no counterexample, and with
``--report_all`` it must name every ``post:`` line, so a contract that CrossHair silently skipped
cannot pass.

The check cannot pass vacuously either: ``tests/symbolic_canary.py`` holds deliberately wrong
contracts, and the same CrossHair invocation must report each of them.
"""

from __future__ import annotations

import pytest

from conformance.symbolic import contracts
from spec.encoding import MAX_U64, varint_encode
from tests.symbolic_suite import (
    REPO_ROOT,
    Runs,
    assert_contracts_hold,
    assert_every_contract_states_pre_and_post,
    reports,
    run_suite,
    seconds_per_condition,
)

CONTRACTS_FILE = REPO_ROOT / "conformance" / "symbolic" / "contracts.py"
CANARY_FILE = REPO_ROOT / "tests" / "symbolic_canary.py"
SECONDS = seconds_per_condition("3")


@pytest.fixture(scope="module")
def crosshair_runs() -> Runs:
    return run_suite(contracts, CANARY_FILE, SECONDS)


def test_contracts_hold(crosshair_runs: Runs) -> None:
    assert_contracts_hold(crosshair_runs, CONTRACTS_FILE)


def test_canary_contracts_are_refuted(crosshair_runs: Runs) -> None:
    run = crosshair_runs["canary"]
    assert run.returncode == 1, f"exit {run.returncode}\n{run.stdout}\n{run.stderr}"
    refuted = {
        message.split("calling ")[1].split("(")[0]
        for _, kind, message in reports(run.stdout)
        if kind == "error" and "calling " in message
    }
    assert refuted == {"round_up_to_power_of_two", "lenient_varint_read"}, run.stdout


# --------------------------------------------------------------------------------------------
# The wrappers themselves (plain calls, no CrossHair)
# --------------------------------------------------------------------------------------------


def test_every_contract_states_pre_and_post() -> None:
    assert len(assert_every_contract_states_pre_and_post(contracts)) >= 10


@pytest.mark.parametrize("value", [0, 1, 127, 128, 16383, 16384, 2**35, 2**63, MAX_U64])
def test_varint_wrappers_on_boundaries(value: int) -> None:
    assert contracts.varint_roundtrip(value) == value
    assert contracts.varint_length(value) == len(varint_encode(value))
    assert contracts.varint_shape(value) == varint_encode(value)
    assert contracts.varint_read_canonical(varint_encode(value)) == value
    assert contracts.varint_prefix(varint_encode(value) + b"\x00") == value


def test_other_wrappers_on_examples() -> None:
    assert contracts.varint_rejects_out_of_range(-1) and contracts.varint_rejects_out_of_range(2**64)
    assert contracts.varint_read_canonical(b"\x80\x00") is None
    assert contracts.varint_prefix(b"\x80") == -1
    assert contracts.uint_write(2, 65535) == b"\xff\xff" and contracts.uint_write(2, 65536) is None
    assert contracts.uint_read(4, b"\x01\x00\x00\x00") == 1 and contracts.uint_read(4, b"\x01") is None
    assert [contracts.merkle_split_point(n) for n in (2, 3, 4, 5, 8, 9)] == [1, 2, 2, 4, 4, 8]
    assert contracts.merkle_proof_length_bound(4, 5) == 1 and contracts.merkle_proof_length_bound(0, 5) == 3
    assert all(contracts.merkle_proof_length_matches(i, n) >= 0 for n in range(1, 21) for i in range(n))

"""CrossHair symbolic checks of ``conformance/symbolic/dkg_contracts.py`` (DKG-2, DKG-4/6/7/8/10).

Runs ``crosshair check --analysis_kind=PEP316`` with ``--per_condition_timeout`` from
``RUSTY_CROSSHAIR_SECONDS`` (default 4), the contracts split over two processes, using the runner
of ``tests/test_symbolic.py``. The run must exit 0 with no counterexample and, with
``--report_all``, name every ``post:`` line (so no contract is silently skipped). The canary
``tests/dkg_symbolic_canary.py`` (an inclusive phase lookup and a floored two-thirds threshold)
must be refuted in the same run, so the check cannot pass vacuously.
"""

from __future__ import annotations

import inspect
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conformance.symbolic import dkg_contracts
from spec.crypto.bls import CURVE_ORDER
from spec.masternode.dkg import DkgPhase
from tests.test_symbolic import _crosshair, _post_lines, _reports

REPO_ROOT = Path(__file__).resolve().parent.parent
CONTRACTS_FILE = REPO_ROOT / "conformance" / "symbolic" / "dkg_contracts.py"
CANARY_FILE = REPO_ROOT / "tests" / "dkg_symbolic_canary.py"
SECONDS = float(os.environ.get("RUSTY_CROSSHAIR_SECONDS", "4"))
PROCESSES = 2


def _functions() -> list[str]:
    return [
        name
        for name, function in inspect.getmembers(dkg_contracts, inspect.isfunction)
        if function.__module__ == dkg_contracts.__name__ and not name.startswith("_")
    ]


@pytest.fixture(scope="module")
def crosshair_runs() -> dict[str, subprocess.CompletedProcess[str]]:
    functions = _functions()
    jobs = {
        f"dkg-{i}": [f"{dkg_contracts.__name__}.{f}" for f in functions[i::PROCESSES]]
        for i in range(PROCESSES)
    }
    jobs["canary"] = [str(CANARY_FILE)]
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = {name: pool.submit(_crosshair, targets, SECONDS) for name, targets in jobs.items()}
        return {name: future.result() for name, future in futures.items()}


def test_dkg_contracts_hold(crosshair_runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    analysed: set[int] = set()
    for name, run in crosshair_runs.items():
        if name == "canary":
            continue
        reports = _reports(run.stdout)
        errors = [f"line {line}: {message}" for line, kind, message in reports if kind == "error"]
        assert run.returncode == 0 and not errors, (
            f"{name}: exit {run.returncode}\n{run.stdout}\n{run.stderr}"
        )
        analysed |= {line for line, kind, _ in reports if kind == "info"}
    missing = _post_lines(CONTRACTS_FILE) - analysed
    assert not missing, f"CrossHair did not analyse the post-conditions on lines {sorted(missing)}"


def test_dkg_canary_is_refuted(crosshair_runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    run = crosshair_runs["canary"]
    assert run.returncode == 1, f"exit {run.returncode}\n{run.stdout}\n{run.stderr}"
    assert "inclusive_phase_lookup" in run.stdout and "floored_threshold" in run.stdout


def test_every_dkg_contract_states_pre_and_post() -> None:
    functions = _functions()
    assert sorted(functions) == sorted(dkg_contracts.__all__)
    for name in functions:
        doc = inspect.getdoc(getattr(dkg_contracts, name)) or ""
        assert "pre:" in doc and "post:" in doc, name


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

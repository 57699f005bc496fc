"""CrossHair symbolic checks of ``conformance/symbolic/p2p_contracts.py`` (P2P-LOC, P2P-KAD-1, P2P-3).

Runs ``crosshair check --analysis_kind=PEP316`` with ``--per_condition_timeout`` from
``RUSTY_CROSSHAIR_SECONDS`` (default 3), the contracts split over two processes, using the runner
of ``tests/test_symbolic.py``. The run must exit 0 with no counterexample and, with
``--report_all``, name every ``post:`` line (so no contract is silently skipped). The canary
``tests/p2p_symbolic_canary.py`` (Kademlia's off-by-one bucket number) must be refuted in the same
run, so the check cannot pass vacuously.
"""

from __future__ import annotations

import inspect
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conformance.symbolic import p2p_contracts
from spec.errors import EncodeError
from spec.p2p.messages import differential_encode
from tests.test_symbolic import _crosshair, _post_lines, _reports

REPO_ROOT = Path(__file__).resolve().parent.parent
CONTRACTS_FILE = REPO_ROOT / "conformance" / "symbolic" / "p2p_contracts.py"
CANARY_FILE = REPO_ROOT / "tests" / "p2p_symbolic_canary.py"
SECONDS = float(os.environ.get("RUSTY_CROSSHAIR_SECONDS", "3"))
PROCESSES = 2


def _functions() -> list[str]:
    return [
        name
        for name, function in inspect.getmembers(p2p_contracts, inspect.isfunction)
        if function.__module__ == p2p_contracts.__name__ and not name.startswith("_")
    ]


@pytest.fixture(scope="module")
def crosshair_runs() -> dict[str, subprocess.CompletedProcess[str]]:
    functions = _functions()
    jobs = {
        f"p2p-{i}": [f"{p2p_contracts.__name__}.{f}" for f in functions[i::PROCESSES]]
        for i in range(PROCESSES)
    }
    jobs["canary"] = [str(CANARY_FILE)]
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = {name: pool.submit(_crosshair, targets, SECONDS) for name, targets in jobs.items()}
        return {name: future.result() for name, future in futures.items()}


def test_p2p_contracts_hold(crosshair_runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    analysed: set[int] = set()
    for name, run in crosshair_runs.items():
        if name == "canary":
            continue
        reports = _reports(run.stdout)
        errors = [f"line {line}: {message}" for line, kind, message in reports if kind == "error"]
        assert run.returncode == 0 and not errors, (
            f"{name}: exit {run.returncode}\n{run.stdout}\n{run.stderr}"
        )
        analysed |= {
            line for line, kind, message in reports if kind == "info" and "precondition" not in message
        }
    missing = _post_lines(CONTRACTS_FILE) - analysed
    assert not missing, f"CrossHair did not analyse the post-conditions on lines {sorted(missing)}"


def test_p2p_canary_is_refuted(crosshair_runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    run = crosshair_runs["canary"]
    assert run.returncode == 1, f"exit {run.returncode}\n{run.stdout}\n{run.stderr}"
    assert "off_by_one_bucket" in run.stdout


def test_every_p2p_contract_states_pre_and_post() -> None:
    functions = _functions()
    assert sorted(functions) == sorted(p2p_contracts.__all__)
    for name in functions:
        doc = inspect.getdoc(getattr(p2p_contracts, name)) or ""
        assert "pre:" in doc and "post:" in doc, name


def test_p2p_wrappers_on_examples() -> None:
    assert [p2p_contracts.locator_step_schedule(i) for i in (1, 10, 11, 12, 13)] == [1, 1, 2, 4, 8]
    assert p2p_contracts.locator_shape(0) == (0,)
    assert p2p_contracts.locator_shape(12) == (12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 0)
    assert len(p2p_contracts.locator_shape(10**9)) <= 12 + (10**9).bit_length()
    assert p2p_contracts.bucket_bounds(1) == 255
    assert p2p_contracts.bucket_bounds(2**255) == 0
    assert p2p_contracts.bucket_bounds(2**256 - 1) == 0
    assert p2p_contracts.differential_roundtrip(0, 1, 1, 1) == (0, 0, 0, 0)
    assert p2p_contracts.differential_roundtrip(5, 3, 1, 10) == (5, 2, 0, 9)
    assert p2p_contracts.differential_decode_checked(0, 0, 0, 3) == (0, 1, 2)
    assert p2p_contracts.differential_decode_checked(0, 0, 0, 2) is None
    assert p2p_contracts.differential_decode_checked(2**64, 0, 0, 2**32) is None
    with pytest.raises(EncodeError):
        differential_encode((3, 3))

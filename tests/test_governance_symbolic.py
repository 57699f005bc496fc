"""CrossHair symbolic checks of ``conformance/symbolic/governance_contracts.py`` (QUORUM-3, GOV-5/6, MN-5/6).

Runs ``crosshair check --analysis_kind=PEP316`` with ``--per_condition_timeout`` from
``RUSTY_CROSSHAIR_SECONDS`` (default 3), the contracts split over two processes, using the runner
of ``tests/test_symbolic.py``. The run must exit 0 with no counterexample and, with
``--report_all``, name every ``post:`` line (so no contract is silently skipped). The canary
``tests/governance_symbolic_canary.py`` (the floored quorum threshold ``2n // 3``) must be refuted
in the same run, so the check cannot pass vacuously.
"""

from __future__ import annotations

import inspect
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conformance.symbolic import governance_contracts
from spec.presets import DEVNET, MAINNET
from tests.test_symbolic import _crosshair, _post_lines, _reports

REPO_ROOT = Path(__file__).resolve().parent.parent
CONTRACTS_FILE = REPO_ROOT / "conformance" / "symbolic" / "governance_contracts.py"
CANARY_FILE = REPO_ROOT / "tests" / "governance_symbolic_canary.py"
SECONDS = float(os.environ.get("RUSTY_CROSSHAIR_SECONDS", "3"))
PROCESSES = 2


def _functions() -> list[str]:
    return [
        name
        for name, function in inspect.getmembers(governance_contracts, inspect.isfunction)
        if function.__module__ == governance_contracts.__name__ and not name.startswith("_")
    ]


@pytest.fixture(scope="module")
def crosshair_runs() -> dict[str, subprocess.CompletedProcess[str]]:
    functions = _functions()
    jobs = {
        f"governance-{i}": [f"{governance_contracts.__name__}.{f}" for f in functions[i::PROCESSES]]
        for i in range(PROCESSES)
    }
    jobs["canary"] = [str(CANARY_FILE)]
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = {name: pool.submit(_crosshair, targets, SECONDS) for name, targets in jobs.items()}
        return {name: future.result() for name, future in futures.items()}


def test_governance_contracts_hold(crosshair_runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
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


def test_governance_canary_is_refuted(crosshair_runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    run = crosshair_runs["canary"]
    assert run.returncode == 1, f"exit {run.returncode}\n{run.stdout}\n{run.stderr}"
    assert "floor_quorum_threshold" in run.stdout


def test_every_governance_contract_states_pre_and_post() -> None:
    functions = _functions()
    assert sorted(functions) == sorted(governance_contracts.__all__)
    for name in functions:
        doc = inspect.getdoc(getattr(governance_contracts, name)) or ""
        assert "pre:" in doc and "post:" in doc, name


def test_governance_wrappers_on_examples() -> None:
    assert [governance_contracts.quorum_threshold_bounds(n) for n in (1, 2, 3, 4, 50, 400)] == [
        1,
        2,
        2,
        3,
        34,
        267,
    ]
    bps = MAINNET.governance.participation_bps
    assert governance_contracts.participation_monotonic(3, 0, 0, 6, bps)
    assert not governance_contracts.participation_monotonic(2, 0, 0, 5, bps)
    approval = MAINNET.governance.approval_bps
    assert governance_contracts.approval_monotonic(33, 17, approval)
    assert not governance_contracts.approval_monotonic(32, 17, approval)
    assert governance_contracts.approval_majority(1, 0, approval)
    assert governance_contracts.pose_decay(5, 2) == 3 and governance_contracts.pose_decay(1, 2) == 0
    params = DEVNET.masternodes
    assert governance_contracts.pose_penalty(100, params.pose_penalty, params.pose_ban_threshold) == (
        200,
        False,
    )
    assert governance_contracts.pose_penalty(101, params.pose_penalty, params.pose_ban_threshold) == (
        201,
        True,
    )
    assert governance_contracts.treasury_budget(5, 3, 1, 6) == ((True, False, True), 0)
    assert governance_contracts.treasury_budget(7, 3, 1, 6) == ((False, True, True), 2)

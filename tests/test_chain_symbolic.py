"""CrossHair symbolic checks of ``conformance/symbolic/chain_contracts.py`` (POW-1/3/4, RWD-2).

Runs ``crosshair check --analysis_kind=PEP316`` with ``--per_condition_timeout`` from
``RUSTY_CROSSHAIR_SECONDS`` (default 4), the contracts split over two processes, using the
runner of ``tests/test_symbolic.py``. The run must exit 0 with no counterexample and, with
``--report_all``, name every ``post:`` line (so no contract is silently skipped). The canary
``tests/chain_symbolic_canary.py`` (the first, floored version of the retarget clamp) must be
refuted in the same run, so the check cannot pass vacuously.
"""

from __future__ import annotations

import inspect
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conformance.symbolic import chain_contracts
from spec.chain.pow import MAX_TARGET, encode_compact
from spec.presets import DEVNET
from tests.test_symbolic import _crosshair, _post_lines, _reports

REPO_ROOT = Path(__file__).resolve().parent.parent
CONTRACTS_FILE = REPO_ROOT / "conformance" / "symbolic" / "chain_contracts.py"
CANARY_FILE = REPO_ROOT / "tests" / "chain_symbolic_canary.py"
SECONDS = float(os.environ.get("RUSTY_CROSSHAIR_SECONDS", "4"))
PROCESSES = 2


def _functions() -> list[str]:
    return [
        name
        for name, function in inspect.getmembers(chain_contracts, inspect.isfunction)
        if function.__module__ == chain_contracts.__name__ and not name.startswith("_")
    ]


@pytest.fixture(scope="module")
def crosshair_runs() -> dict[str, subprocess.CompletedProcess[str]]:
    functions = _functions()
    jobs = {
        f"chain-{i}": [f"{chain_contracts.__name__}.{f}" for f in functions[i::PROCESSES]]
        for i in range(PROCESSES)
    }
    jobs["canary"] = [str(CANARY_FILE)]
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = {name: pool.submit(_crosshair, targets, SECONDS) for name, targets in jobs.items()}
        return {name: future.result() for name, future in futures.items()}


def test_chain_contracts_hold(crosshair_runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
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


def test_chain_canary_is_refuted(crosshair_runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    run = crosshair_runs["canary"]
    assert run.returncode == 1, f"exit {run.returncode}\n{run.stdout}\n{run.stderr}"
    assert "floor_clamped_retarget" in run.stdout


def test_every_chain_contract_states_pre_and_post() -> None:
    functions = _functions()
    assert sorted(functions) == sorted(chain_contracts.__all__)
    for name in functions:
        doc = inspect.getdoc(getattr(chain_contracts, name)) or ""
        assert "pre:" in doc and "post:" in doc, name


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

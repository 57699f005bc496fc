"""CrossHair symbolic checks of ``conformance/symbolic/contracts.py`` (bounded; see docs/symbolic.md).

The contracts are checked in two CrossHair processes running side by side (the functions split
between them), with ``--per_condition_timeout`` from ``RUSTY_CROSSHAIR_SECONDS`` (default 3). The
run must find no counterexample, and with ``--report_all`` it must name every ``post:`` line, so
a contract that CrossHair silently skipped cannot pass.

The check cannot pass vacuously either: ``tests/symbolic_canary.py`` holds deliberately wrong
contracts, and the same CrossHair invocation must report each of them.
"""

from __future__ import annotations

import inspect
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conformance.symbolic import contracts
from spec.encoding import MAX_U64, varint_encode

REPO_ROOT = Path(__file__).resolve().parent.parent
CONTRACTS_FILE = REPO_ROOT / "conformance" / "symbolic" / "contracts.py"
CANARY_FILE = REPO_ROOT / "tests" / "symbolic_canary.py"
SECONDS = float(os.environ.get("RUSTY_CROSSHAIR_SECONDS", "3"))
PROCESSES = 2
_REPORT = re.compile(r"^(?P<file>.+?):(?P<line>\d+): (?P<kind>info|error): (?P<message>.*)$")


def _contract_functions() -> list[str]:
    return [
        name
        for name, function in inspect.getmembers(contracts, inspect.isfunction)
        if function.__module__ == contracts.__name__ and not name.startswith("_")
    ]


def _post_lines(path: Path) -> set[int]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return {number for number, text in enumerate(lines, start=1) if text.strip().startswith("post:")}


def _crosshair(targets: list[str], seconds: float) -> subprocess.CompletedProcess[str]:
    command = [
        sys.executable,
        "-m",
        "crosshair",
        "check",
        "--analysis_kind=PEP316",
        f"--per_condition_timeout={seconds}",
        # Let the time budget, not the default of 5 dull iterations, end each condition's search.
        "--max_uninteresting_iterations=1000000",
        "--report_all",
        *targets,
    ]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    return subprocess.run(
        command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600, check=False
    )


def _reports(output: str) -> list[tuple[int, str, str]]:
    found = []
    for line in output.splitlines():
        match = _REPORT.match(line)
        if match:
            found.append((int(match["line"]), match["kind"], match["message"]))
    return found


@pytest.fixture(scope="module")
def crosshair_runs() -> dict[str, subprocess.CompletedProcess[str]]:
    functions = _contract_functions()
    groups = [functions[i::PROCESSES] for i in range(PROCESSES)]
    jobs = {f"contracts-{i}": [f"{contracts.__name__}.{f}" for f in group] for i, group in enumerate(groups)}
    jobs["canary"] = [str(CANARY_FILE)]
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = {key: pool.submit(_crosshair, targets, SECONDS) for key, targets in jobs.items()}
        return {key: future.result() for key, future in futures.items()}


def test_contracts_hold(crosshair_runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    reported: set[int] = set()
    for key, run in crosshair_runs.items():
        if key == "canary":
            continue
        reports = _reports(run.stdout)
        errors = [f"line {line}: {message}" for line, kind, message in reports if kind == "error"]
        assert run.returncode == 0 and not errors, f"{key}: exit {run.returncode}\n{run.stdout}\n{run.stderr}"
        reported |= {line for line, kind, _ in reports if kind == "info"}
    missing = _post_lines(CONTRACTS_FILE) - reported
    assert not missing, f"CrossHair did not analyse the post-conditions on lines {sorted(missing)}"


def test_canary_contracts_are_refuted(crosshair_runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    run = crosshair_runs["canary"]
    assert run.returncode == 1, f"exit {run.returncode}\n{run.stdout}\n{run.stderr}"
    refuted = {
        message.split("calling ")[1].split("(")[0]
        for _, kind, message in _reports(run.stdout)
        if kind == "error" and "calling " in message
    }
    assert refuted == {"round_up_to_power_of_two", "lenient_varint_read"}, run.stdout


# --------------------------------------------------------------------------------------------
# The wrappers themselves (plain calls, no CrossHair)
# --------------------------------------------------------------------------------------------


def test_every_contract_states_pre_and_post() -> None:
    functions = _contract_functions()
    assert len(functions) >= 10
    for name in functions:
        doc = inspect.getdoc(getattr(contracts, name)) or ""
        assert "pre:" in doc and "post:" in doc, name
    assert sorted(contracts.__all__) == sorted(functions)


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

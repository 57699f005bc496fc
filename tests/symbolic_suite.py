"""The shared CrossHair runner of the symbolic test files (tests/test_*symbolic.py).

Each suite checks one module of PEP 316 contracts in ``conformance/symbolic/`` and one canary file of
deliberately wrong contracts in ``tests/``: the contracts run in :data:`PROCESSES` CrossHair processes
side by side (the functions split between them) and the canary in one more, all with
``--report_all`` so that every analysed ``post:`` line is named in the output.
"""

from __future__ import annotations

import inspect
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType

REPO_ROOT = Path(__file__).resolve().parent.parent
PROCESSES = 2
_REPORT = re.compile(r"^(?P<file>.+?):(?P<line>\d+): (?P<kind>info|error): (?P<message>.*)$")

Runs = dict[str, subprocess.CompletedProcess[str]]


def seconds_per_condition(default: str) -> float:
    """``--per_condition_timeout``: ``RUSTY_CROSSHAIR_SECONDS`` or the suite's default."""
    return float(os.environ.get("RUSTY_CROSSHAIR_SECONDS", default))


def contract_functions(module: ModuleType) -> list[str]:
    """The public functions defined in ``module`` (the contracts)."""
    return [
        name
        for name, function in inspect.getmembers(module, inspect.isfunction)
        if function.__module__ == module.__name__ and not name.startswith("_")
    ]


def post_lines(path: Path) -> set[int]:
    """The line numbers of every ``post:`` condition in ``path``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return {number for number, text in enumerate(lines, start=1) if text.strip().startswith("post:")}


def crosshair(targets: list[str], seconds: float) -> subprocess.CompletedProcess[str]:
    """One ``crosshair check`` process over ``targets`` (module-qualified functions or files)."""
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


def reports(output: str) -> list[tuple[int, str, str]]:
    """``(line, "info" | "error", message)`` for every report line CrossHair printed."""
    found = []
    for line in output.splitlines():
        match = _REPORT.match(line)
        if match:
            found.append((int(match["line"]), match["kind"], match["message"]))
    return found


def run_suite(module: ModuleType, canary: Path, seconds: float) -> Runs:
    """The contract processes (``contracts-<i>``) and the ``canary`` process, run side by side."""
    functions = contract_functions(module)
    jobs = {
        f"contracts-{i}": [f"{module.__name__}.{f}" for f in functions[i::PROCESSES]]
        for i in range(PROCESSES)
    }
    jobs["canary"] = [str(canary)]
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = {key: pool.submit(crosshair, targets, seconds) for key, targets in jobs.items()}
        return {key: future.result() for key, future in futures.items()}


def assert_contracts_hold(runs: Runs, contracts_file: Path, count_precondition_reports: bool = True) -> None:
    """No counterexample, exit 0, and every ``post:`` line of ``contracts_file`` analysed.

    With ``count_precondition_reports=False``, an info report that mentions a precondition does not
    count as analysing its line (the stricter reading, used by the p2p suite).
    """
    analysed: set[int] = set()
    for key, run in runs.items():
        if key == "canary":
            continue
        found = reports(run.stdout)
        errors = [f"line {line}: {message}" for line, kind, message in found if kind == "error"]
        assert run.returncode == 0 and not errors, f"{key}: exit {run.returncode}\n{run.stdout}\n{run.stderr}"
        analysed |= {
            line
            for line, kind, message in found
            if kind == "info" and (count_precondition_reports or "precondition" not in message)
        }
    missing = post_lines(contracts_file) - analysed
    assert not missing, f"CrossHair did not analyse the post-conditions on lines {sorted(missing)}"


def assert_canary_refuted(runs: Runs, *names: str) -> None:
    """The canary run failed (exit 1) and names each deliberately wrong contract."""
    run = runs["canary"]
    assert run.returncode == 1, f"exit {run.returncode}\n{run.stdout}\n{run.stderr}"
    for name in names:
        assert name in run.stdout, name


def assert_every_contract_states_pre_and_post(module: ModuleType) -> list[str]:
    """Every contract has ``pre:`` and ``post:`` lines and is listed in ``__all__``; returns the names."""
    functions = contract_functions(module)
    for name in functions:
        doc = inspect.getdoc(getattr(module, name)) or ""
        assert "pre:" in doc and "post:" in doc, name
    assert sorted(module.__all__) == sorted(functions)
    return functions

"""Every CrossHair contract module, checked by one parametrised test (see docs/symbolic.md).

A suite is a module of PEP 316 contracts ``conformance/symbolic/<name>_contracts.py`` (``contracts.py``
for the encoding and Merkle contracts) and its canary ``tests/<name>_symbolic_canary.py`` of
deliberately wrong contracts. The suites are discovered from those file names, so a new contracts
module is checked, and must bring a canary, without touching this file. For each suite,
:func:`tests.symbolic_suite.run_suite` runs the contracts in two CrossHair processes and the canary in
a third, with ``--per_condition_timeout`` from ``RUSTY_CROSSHAIR_SECONDS`` (default
:data:`DEFAULT_SECONDS`, or the suite's entry in :data:`SECONDS`), and:

* the contracts hold: exit 0, no counterexample, and with ``--report_all`` every ``post:`` line is
  named, so a contract CrossHair silently skipped cannot pass;
* the canary is refuted: exit 1, and every public function of the canary file is reported, so the
  check cannot pass vacuously;
* every contract states ``pre:`` and ``post:`` and is listed in its module's ``__all__``.

The concrete examples of each module's wrappers (plain calls, no CrossHair) stay in the flow's own
``tests/test_<name>_symbolic.py``.
"""

from __future__ import annotations

import importlib
import inspect
import re
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

from tests.symbolic_suite import (
    REPO_ROOT,
    Runs,
    assert_contracts_hold,
    assert_every_contract_states_pre_and_post,
    reports,
    run_suite,
    seconds_per_condition,
)

CONTRACTS_DIR = REPO_ROOT / "conformance" / "symbolic"
DEFAULT_SECONDS = "3"
SECONDS = {"chain": "4", "dkg": "4"}
"""Suites whose conditions need a longer default per-condition budget to be analysed at all."""

STRICT_PRECONDITION_REPORTS = frozenset({"p2p", "state"})
"""Suites where a report that only mentions a precondition does not count as analysing its line."""


@dataclass(frozen=True)
class SymbolicSuite:
    """One contracts module and its canary."""

    name: str
    contracts_file: Path
    canary_file: Path

    @property
    def module(self) -> ModuleType:
        return importlib.import_module(f"conformance.symbolic.{self.contracts_file.stem}")

    @property
    def canary_module(self) -> ModuleType:
        return importlib.import_module(f"tests.{self.canary_file.stem}")

    @property
    def seconds(self) -> float:
        return seconds_per_condition(SECONDS.get(self.name, DEFAULT_SECONDS))


def discover_suites() -> list[SymbolicSuite]:
    """Every ``*contracts.py`` under ``conformance/symbolic/`` with its canary's expected path."""
    suites = []
    for path in sorted(CONTRACTS_DIR.glob("*contracts.py")):
        name = path.stem.removesuffix("contracts").removesuffix("_") or "encoding"
        canary_stem = "symbolic_canary" if path.stem == "contracts" else f"{name}_symbolic_canary"
        suites.append(SymbolicSuite(name, path, REPO_ROOT / "tests" / f"{canary_stem}.py"))
    return suites


SUITES = discover_suites()


def _param(suite: SymbolicSuite) -> object:
    # One xdist group per suite: both CrossHair tests of a suite share one run on one worker.
    return pytest.param(suite, id=suite.name, marks=pytest.mark.xdist_group(f"crosshair-{suite.name}"))


PARAMS = [_param(suite) for suite in SUITES]

_RUNS: dict[str, Runs] = {}


def crosshair_runs(suite: SymbolicSuite) -> Runs:
    """The suite's CrossHair processes, run once per test worker."""
    if suite.name not in _RUNS:
        _RUNS[suite.name] = run_suite(suite.module, suite.canary_file, suite.seconds)
    return _RUNS[suite.name]


def canary_names(suite: SymbolicSuite) -> set[str]:
    """The public functions the canary file defines: each is a contract that must be refuted."""
    module = suite.canary_module
    return {
        name
        for name, function in inspect.getmembers(module, inspect.isfunction)
        if function.__module__ == module.__name__ and not name.startswith("_")
    }


_CALLING = re.compile(r"calling (?P<name>\w+)\(")


def test_suites_are_discovered() -> None:
    names = {suite.name for suite in SUITES}
    assert {"encoding", "chain", "dkg", "p2p", "state", "dispute"} <= names, names
    assert set(SECONDS) <= names and names >= STRICT_PRECONDITION_REPORTS


@pytest.mark.parametrize("suite", PARAMS)
def test_suite_has_a_canary(suite: SymbolicSuite) -> None:
    assert suite.canary_file.is_file(), f"{suite.contracts_file.name} has no canary {suite.canary_file}"
    assert canary_names(suite), f"{suite.canary_file.name} defines no contract"


@pytest.mark.parametrize("suite", PARAMS)
def test_contracts_hold(suite: SymbolicSuite) -> None:
    assert_contracts_hold(
        crosshair_runs(suite),
        suite.contracts_file,
        count_precondition_reports=suite.name not in STRICT_PRECONDITION_REPORTS,
    )


@pytest.mark.parametrize("suite", PARAMS)
def test_canary_is_refuted(suite: SymbolicSuite) -> None:
    run = crosshair_runs(suite)["canary"]
    assert run.returncode == 1, f"exit {run.returncode}\n{run.stdout}\n{run.stderr}"
    refuted = {
        match["name"]
        for _, kind, message in reports(run.stdout)
        if kind == "error" and (match := _CALLING.search(message))
    }
    assert refuted == canary_names(suite), run.stdout


@pytest.mark.parametrize("suite", PARAMS)
def test_every_contract_states_pre_and_post(suite: SymbolicSuite) -> None:
    assert assert_every_contract_states_pre_and_post(suite.module)

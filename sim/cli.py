"""``rusty simulate SCENARIO.toml --seed N --out DIR``: run a scenario, write its report (and plots).

``report.json`` depends only on the scenario and the seed (byte for byte); the wall-clock figures
go to ``timing.json`` beside it, and plots (``--plots``, needs matplotlib) to PNG files.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import click

from sim.scenario import Scenario, ScenarioError, load_scenario


def run_scenario(scenario: Scenario, seed: int) -> dict[str, Any]:
    """The report of ``scenario`` run with ``seed`` (dispatch on the scenario kind)."""
    if scenario.kind == "kademlia":
        from sim.kademlia import simulate_kademlia

        return simulate_kademlia(scenario, seed)
    if scenario.kind == "sync":
        from sim.sync import simulate_sync

        return simulate_sync(scenario, seed)
    if scenario.kind == "dkg":
        from sim.dkg import simulate_dkg

        return simulate_dkg(scenario, seed)
    from sim.engine import simulate_network  # SimPy loads only when a scenario runs

    return simulate_network(scenario, seed)


def encode_report(report: dict[str, Any]) -> bytes:
    """The canonical bytes of a report: sorted keys, two-space indent, a final newline."""
    return (json.dumps(report, sort_keys=True, indent=2, allow_nan=False) + "\n").encode()


def write_run(scenario: Scenario, seed: int, out: Path, plots: bool) -> dict[str, Any]:
    """Run ``scenario`` and write ``report.json``, ``timing.json`` and (``plots``) PNGs into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    started, cpu = time.perf_counter(), time.process_time()
    report = run_scenario(scenario, seed)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    (out / "report.json").write_bytes(encode_report(report))
    timing: dict[str, Any] = {"wall_seconds": round(wall, 3), "cpu_seconds": round(cpu, 3)}
    if scenario.kind == "network":
        timing["simulated_seconds_per_wall_second"] = round(scenario.duration_seconds / wall, 1)
        timing["simulated_seconds_per_cpu_second"] = round(scenario.duration_seconds / cpu, 1)
    (out / "timing.json").write_text(json.dumps(timing, sort_keys=True, indent=2) + "\n")
    if plots:
        from sim.plots import plot_report

        plot_report(report, out)
    return {"report": report, "timing": timing}


_EXAMPLES = (
    "\b\nExamples:\n"
    "  rusty simulate sim/scenarios/small.toml --seed 1 --out /tmp/sim\n"
    "  rusty simulate sim/scenarios/propagation-1000-compact.toml --seed 7 --out /tmp/sim --plots"
)


@click.command(epilog=_EXAMPLES)
@click.argument("scenario_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--seed", type=int, default=1, show_default=True, help="the run's only source of randomness")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option("--plots/--no-plots", default=False, help="also write PNG plots (needs matplotlib)")
def simulate(scenario_file: Path, seed: int, out: Path, plots: bool) -> None:
    """Simulate the network of SCENARIO_FILE (docs/simulation.md); same seed, same report."""
    try:
        scenario = load_scenario(scenario_file)
    except ScenarioError as exc:
        raise click.ClickException(str(exc)) from exc
    result = write_run(scenario, seed, out, plots)
    click.echo(f"{scenario.name}: {out / 'report.json'} ({result['timing']['wall_seconds']} s wall)")

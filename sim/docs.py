"""Regenerate the reports and plots of docs/simulation.md: ``python -m sim.docs [--large] [--only NAME]``.

Each scenario of ``sim/scenarios/`` runs with seed 1 and writes ``docs/simulation/NAME.json``
(deterministic) and its wall time into ``docs/simulation/timing.json`` (not deterministic); the
plots are redrawn from the reports present. ``--large`` adds the 10,000-node runs.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from sim.cli import encode_report, run_scenario
from sim.scenario import load_scenario

SCENARIOS = Path(__file__).parent / "scenarios"
DOCS = Path(__file__).parent.parent / "docs" / "simulation"
SMALL = (
    "propagation-1000-compact",
    "propagation-1000-full",
    "partition-1000",
    "partition-finality-vs-work",
    "eclipse-1000",
    "kademlia",
    "sync-late-node",
    "dkg-byzantine",
)
LARGE = ("propagation-10000-day", "propagation-10000-full")


@click.command()
@click.option("--large", is_flag=True, help="also run the 10,000-node scenarios")
@click.option("--only", multiple=True, help="run only these scenarios")
@click.option("--plots-only", is_flag=True, help="redraw the plots from the reports present")
def main(large: bool, only: tuple[str, ...], plots_only: bool) -> None:
    """Run the documented scenarios and redraw the plots."""
    import time

    DOCS.mkdir(parents=True, exist_ok=True)
    names = only or (SMALL + LARGE if large else SMALL)
    timing_file = DOCS / "timing.json"
    timing = json.loads(timing_file.read_text()) if timing_file.exists() else {}
    for name in () if plots_only else names:
        scenario = load_scenario(SCENARIOS / f"{name}.toml")
        started, cpu = time.perf_counter(), time.process_time()
        report = run_scenario(scenario, 1)
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        (DOCS / f"{name}.json").write_bytes(encode_report(report))
        entry = {"wall_seconds": round(wall, 1), "cpu_seconds": round(cpu, 1)}
        if scenario.kind == "network":
            entry["simulated_seconds_per_wall_second"] = round(scenario.duration_seconds / wall, 1)
            entry["simulated_seconds_per_cpu_second"] = round(scenario.duration_seconds / cpu, 1)
        timing[name] = entry
        timing_file.write_text(json.dumps(timing, sort_keys=True, indent=2) + "\n")
        click.echo(f"{name}: {wall:.1f} s")
    from sim.plots import plot_docs

    for path in plot_docs(DOCS):
        click.echo(f"plot {path} ({path.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()

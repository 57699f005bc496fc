"""A long local fuzzing campaign: ``python -m fuzz.campaign [harness,...] --runs N --seconds T``.

Runs the harnesses **one at a time** (the machine is shared: start it under ``nice -n 19``), each
until libFuzzer has executed ``--runs`` inputs or ``--seconds`` have passed, whichever comes
first, and records per harness: executions, wall and CPU seconds, executions per second, libFuzzer
coverage (``cov``) and coverage features (``ft``), corpus size, peak memory and crashes.

The results go to a JSON file (``--json``, rewritten after every harness, so an interrupted
campaign keeps what it measured; ``--resume`` skips the harnesses already there) and to a markdown
table (``--markdown``, or ``--update-doc`` to replace the table between the campaign markers in
``docs/fuzzing.md``). A harness that stopped before ``--runs`` gets an extrapolated time to reach
it at its measured rate. ``--work-dir`` keeps each harness's grown corpus between campaigns, so a
later campaign continues where this one stopped. ``--continue-below`` (with ``--resume``) runs again
every harness still below ``--runs``, from its grown corpus, for the executions it still lacks,
and adds the new run's figures to its entry (executions, wall and CPU seconds summed; coverage,
features and corpus from the newest run; ``sessions`` counts the runs), so a campaign can reach
10^6 per harness over several sittings of a shared machine.

A crash stops that harness (libFuzzer exits on the first crash), is saved under
``fuzz/crashes/<harness>/`` and reported in the table; the campaign goes on with the next harness
and exits 1 at the end. Turning a crash into a regression: ``docs/fuzzing.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from fuzz.run import (
    DEFAULT_CORPUS_DIR,
    DEFAULT_CRASH_DIR,
    REPO_ROOT,
    FuzzResult,
    fuzz_one,
    selected_harnesses,
)

DEFAULT_RUNS = 1_000_000
DEFAULT_SECONDS = 600
DOC_PATH = REPO_ROOT / "docs" / "fuzzing.md"
DOC_START = "<!-- campaign-table:start -->"
DOC_END = "<!-- campaign-table:end -->"


@dataclass(frozen=True)
class CampaignEntry:
    """One harness's figures in a campaign."""

    harness: str
    executions: int
    seconds: float
    cpu_seconds: float
    coverage: int
    features: int
    corpus: int
    peak_rss_mb: int
    crashes: tuple[str, ...]
    returncode: int
    target_runs: int
    started: str
    setup_cpu_seconds: float = 0.0
    """CPU seconds before the first input (not part of an execution's cost)."""
    sessions: int = 1
    """How many runs of the harness the figures add up (``--continue-below``)."""

    @property
    def exec_per_second(self) -> float:
        """Executions per wall-clock second."""
        return self.executions / self.seconds if self.seconds > 0 else 0.0

    @property
    def fuzzing_cpu_seconds(self) -> float:
        """CPU seconds spent executing inputs (the worker's CPU time less its setup)."""
        return max(self.cpu_seconds - self.setup_cpu_seconds, 0.0)

    @property
    def exec_per_cpu_second(self) -> float:
        """Executions per CPU second of fuzzing (what an execution costs, whatever the load)."""
        cpu = self.fuzzing_cpu_seconds
        return self.executions / cpu if cpu > 0 else 0.0

    @property
    def reached(self) -> bool:
        """Whether the harness executed the campaign's target number of inputs."""
        return self.executions >= self.target_runs

    def cpu_seconds_to_target(self) -> float | None:
        """Extrapolated CPU seconds to ``target_runs``: the time on one dedicated core."""
        if self.reached:
            return self.fuzzing_cpu_seconds
        rate = self.exec_per_cpu_second
        return self.target_runs / rate if rate > 0 else None

    def seconds_to_target(self) -> float | None:
        """Extrapolated wall seconds to ``target_runs`` at this run's rate (None without a rate)."""
        if self.reached:
            return self.seconds
        rate = self.exec_per_second
        return self.target_runs / rate if rate > 0 else None

    @classmethod
    def of(cls, result: FuzzResult, target_runs: int, started: str) -> CampaignEntry:
        """The entry for one finished :func:`fuzz.run.fuzz_one` run."""
        return cls(
            harness=result.harness,
            executions=result.runs,
            seconds=round(result.seconds, 1),
            cpu_seconds=round(result.cpu_seconds, 1),
            coverage=result.coverage,
            features=result.features,
            corpus=result.corpus_size,
            peak_rss_mb=result.peak_rss_mb,
            crashes=tuple(_shown(path) for path in result.crashes),
            returncode=result.returncode,
            target_runs=target_runs,
            started=started,
            setup_cpu_seconds=round(result.setup_cpu_seconds, 1),
        )


def _shown(path: Path) -> str:
    """A crash artifact's path, relative to the repository when it lies inside it."""
    return str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path)


def combined(earlier: CampaignEntry, later: CampaignEntry) -> CampaignEntry:
    """``earlier`` continued by ``later`` (a run from the grown corpus): counts and times summed."""
    return CampaignEntry(
        harness=earlier.harness,
        executions=earlier.executions + later.executions,
        seconds=round(earlier.seconds + later.seconds, 1),
        cpu_seconds=round(earlier.cpu_seconds + later.cpu_seconds, 1),
        coverage=later.coverage,
        features=later.features,
        corpus=later.corpus,
        peak_rss_mb=max(earlier.peak_rss_mb, later.peak_rss_mb),
        crashes=earlier.crashes + tuple(c for c in later.crashes if c not in earlier.crashes),
        returncode=later.returncode or earlier.returncode,
        target_runs=later.target_runs,
        started=earlier.started,
        setup_cpu_seconds=round(earlier.setup_cpu_seconds + later.setup_cpu_seconds, 1),
        sessions=earlier.sessions + later.sessions,
    )


def load(path: Path) -> dict[str, CampaignEntry]:
    """The entries of a campaign JSON file (empty if it does not exist)."""
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    entries = {}
    for raw in data["harnesses"]:
        raw["crashes"] = tuple(raw["crashes"])
        entries[raw["harness"]] = CampaignEntry(**raw)
    return entries


def save(path: Path, entries: dict[str, CampaignEntry], settings: dict[str, object]) -> None:
    """Write the campaign JSON (settings, machine, one object per harness)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "settings": settings,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "system": platform.system()},
        "harnesses": [asdict(entry) for entry in entries.values()],
    }
    path.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _count(runs: int) -> str:
    """``10^6`` for a power of ten, else the number with separators."""
    text = str(runs)
    power = text.startswith("1") and set(text[1:]) <= {"0"} and runs >= 10
    return f"10^{len(text) - 1}" if power else f"{runs:,}"


def markdown_table(entries: Sequence[CampaignEntry]) -> str:
    """The campaign as a markdown table, one row per harness, plus a totals line."""
    target = _count(entries[0].target_runs) if entries else _count(DEFAULT_RUNS)
    lines = [
        "| harness | executions | wall s | CPU s (setup) | exec/s | exec/CPU s | cov | ft | corpus | crashes "
        "| runs "
        f"| {target} reached | time to {target} | CPU time to {target} |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    for entry in entries:
        crashes = str(len(entry.crashes))
        if entry.returncode != 0 and not entry.crashes:
            crashes = f"exit {entry.returncode}"
        lines.append(
            f"| `{entry.harness}` | {entry.executions:,} | {entry.seconds:,.0f} "
            f"| {entry.cpu_seconds:,.0f} ({entry.setup_cpu_seconds:,.0f}) "
            f"| {entry.exec_per_second:,.0f} | {entry.exec_per_cpu_second:,.0f} | {entry.coverage} "
            f"| {entry.features} | {entry.corpus} | {crashes} | {entry.sessions} "
            f"| {'yes' if entry.reached else 'no'} "
            f"| {_duration(entry.seconds_to_target())} | {_duration(entry.cpu_seconds_to_target())} |"
        )
    total_runs = sum(e.executions for e in entries)
    total_seconds = sum(e.seconds for e in entries)
    reached = sum(e.reached for e in entries)
    remaining = sum((e.seconds_to_target() or 0.0) - e.seconds for e in entries if not e.reached)
    remaining_cpu = sum(
        (e.cpu_seconds_to_target() or 0.0) - e.fuzzing_cpu_seconds for e in entries if not e.reached
    )
    crash_count = sum(len(e.crashes) for e in entries)
    lines.append("")
    lines.append(
        f"{len(entries)} harnesses, {total_runs:,} executions in {_duration(total_seconds)} of wall time, "
        f"{crash_count} crashes; {reached} reached {target} executions; the others need about "
        f"{_duration(remaining)} more at the measured wall-clock rates ({_duration(remaining_cpu)} of CPU "
        "time on a dedicated core)."
    )
    return "\n".join(lines) + "\n"


def update_doc(table: str, doc: Path = DOC_PATH) -> None:
    """Replace the text between the campaign markers of ``doc`` with ``table``."""
    text = doc.read_text(encoding="utf-8")
    start, end = text.index(DOC_START) + len(DOC_START), text.index(DOC_END)
    doc.write_text(text[:start] + "\n" + table + text[end:], encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(prog="python -m fuzz.campaign", description=__doc__.splitlines()[0])
    parser.add_argument("target", nargs="?", default="all", help="harness names, comma-separated, or 'all'")
    parser.add_argument("--runs", type=int, default=DEFAULT_RUNS, help="executions per harness (10^6)")
    parser.add_argument("--seconds", type=int, default=DEFAULT_SECONDS, help="wall-clock cap per harness")
    parser.add_argument("--json", type=Path, default=Path("fuzz-campaign.json"), help="results file")
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    parser.add_argument("--update-doc", action="store_true", help="write the table into docs/fuzzing.md")
    parser.add_argument("--resume", action="store_true", help="skip harnesses already in the JSON file")
    parser.add_argument(
        "--continue-below",
        action="store_true",
        help="with --resume: run again the harnesses below --runs, adding to their figures",
    )
    parser.add_argument("--report", action="store_true", help="only print the table of the JSON file")
    parser.add_argument("--work-dir", type=Path, help="keep each harness's grown corpus here")
    parser.add_argument("--corpus-dir", type=Path, default=DEFAULT_CORPUS_DIR)
    parser.add_argument("--crash-dir", type=Path, default=DEFAULT_CRASH_DIR)
    args = parser.parse_args(argv)

    names = [] if args.report else selected_harnesses(args.target)
    entries = load(args.json) if args.resume or args.report else {}
    settings: dict[str, object] = {"runs": args.runs, "seconds": args.seconds, "niceness": os.nice(0)}
    for name in names:
        earlier = entries.get(name)
        if earlier is not None and not (
            args.continue_below and earlier.executions < args.runs and not earlier.crashes
        ):
            continue
        runs = args.runs - earlier.executions if earlier is not None else args.runs
        started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        result = fuzz_one(
            name,
            seconds=args.seconds,
            runs=runs,
            corpus_dir=args.corpus_dir,
            crash_dir=args.crash_dir,
            work_dir=args.work_dir,
        )
        entry = CampaignEntry.of(result, args.runs, started)
        if earlier is not None:
            entry = combined(earlier, entry)
        entries[name] = entry
        save(args.json, entries, settings)
        print(
            f"{name:<32} {entry.executions:>9,} runs {entry.seconds:7.0f} s {entry.exec_per_second:8.0f}/s "
            f"cov={entry.coverage} ft={entry.features} crashes={len(entry.crashes)} exit={entry.returncode}",
            flush=True,
        )
    ordered = [entries[name] for name in entries]
    table = markdown_table(ordered)
    if args.markdown:
        args.markdown.write_text(table, encoding="utf-8")
    if args.update_doc:
        update_doc(table)
    print(table)
    return 1 if any(e.crashes or e.returncode != 0 for e in ordered) else 0


if __name__ == "__main__":
    sys.exit(main())

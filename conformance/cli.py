"""``rusty-spec``: generate conformance vectors and run them against any adapter.

``rusty-spec main`` is the project's main job: generate every vector, check them against
``conformance/vectors.lock``, run the conformance runner against the reference adapter, and print
a summary. See ``rusty-spec --help`` for the individual steps.
"""

from __future__ import annotations

import json
import shlex
import shutil
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TypeVar

import click
from tqdm import tqdm

from conformance.generate import (
    LOCK_PATH,
    GeneratedFile,
    GenerationError,
    compare_with_lock,
    generate_files,
    lock_text,
    write_files,
)
from conformance.generators import FLOW_GENERATORS
from conformance.runner import RunReport, load_vectors, run_vectors
from spec.forks import FORK_NAMES
from spec.presets import PRESET_NAMES

T = TypeVar("T")
REFERENCE_ADAPTER = f"{shlex.quote(sys.executable)} -m conformance.adapter"


def _bar(description: str, total: int | None = None) -> object:
    def wrap(items: Iterator[T]) -> Iterable[T]:
        return tqdm(
            items,
            desc=description,
            total=total,
            unit="case",
            file=sys.stderr,
            leave=True,
            dynamic_ncols=True,
            disable=None,
        )

    return wrap


def _generate(out: Path, presets: tuple[str, ...], flows: tuple[str, ...], lock: str) -> list[GeneratedFile]:
    chosen_presets = presets or PRESET_NAMES
    chosen_flows = flows or tuple(FLOW_GENERATORS)
    try:
        files = generate_files(chosen_presets, chosen_flows, progress=_bar("generate"))  # type: ignore[arg-type]
    except GenerationError as exc:
        raise click.ClickException(f"generation failed: {exc}") from None
    for preset in chosen_presets:
        for flow in chosen_flows:
            shutil.rmtree(out / preset / flow, ignore_errors=True)  # the layout before forks
            for fork in FORK_NAMES:
                shutil.rmtree(out / preset / fork / flow, ignore_errors=True)
    count = write_files(out, files)
    click.echo(f"wrote {count} vectors to {out}/")
    full_run = not presets and not flows
    if lock == "update":
        if not full_run:
            raise click.ClickException("--lock update needs a full generation (no --preset/--flow)")
        LOCK_PATH.write_text(lock_text(files), encoding="utf-8")
        click.echo(f"updated {LOCK_PATH}")
    elif lock == "check" and full_run:
        problems = compare_with_lock(
            files, LOCK_PATH.read_text(encoding="utf-8") if LOCK_PATH.exists() else ""
        )
        if problems:
            for line in problems[:50]:
                click.echo(f"  {line}", err=True)
            raise click.ClickException(
                f"{len(problems)} vectors differ from {LOCK_PATH.name}; if the change is intended, "
                "run `rusty-spec generate --lock update` and commit the lock"
            )
        click.echo(f"all {len(files)} vectors match {LOCK_PATH.name}")
    return files


def _summary(report: RunReport) -> None:
    click.echo(f"\nimplementation: {report.implementation}")
    rows = sorted(report.by_handler().items())
    width = max((len(k) for k, _ in rows), default=10)
    click.echo(f"{'preset/flow/handler':<{width}}  {'pass':>6} {'fail':>6} {'skip':>6}")
    for key, counts in rows:
        click.echo(f"{key:<{width}}  {counts['pass']:>6} {counts['fail']:>6} {counts['skip']:>6}")
    failures = [r for r in report.results if r.status == "fail"]
    for result in failures[:30]:
        click.echo(f"FAIL {result.vector.relative_path}: {result.reason}", err=True)
    if len(failures) > 30:
        click.echo(f"... and {len(failures) - 30} more failures", err=True)
    counts = report.counts()
    click.echo(f"conformance: {counts['pass']} passed, {counts['fail']} failed, {counts['skip']} skipped")


def _run(
    vectors_dir: Path,
    adapter: str,
    presets: tuple[str, ...],
    flows: tuple[str, ...],
    report_path: Path | None,
    timeout: float,
    forks: tuple[str, ...] = (),
) -> RunReport:
    vectors = load_vectors(vectors_dir, flows or None, presets or None, forks or None)
    if not vectors:
        raise click.ClickException(f"no vectors under {vectors_dir}")
    report = run_vectors(adapter, vectors, timeout=timeout, progress=_bar("conformance", len(vectors)))  # type: ignore[arg-type]
    _summary(report)
    if report_path is not None:
        report_path.write_text(json.dumps(report.to_json(), indent=2) + "\n", encoding="utf-8")
    return report


@click.group()
def main() -> None:
    """Rusty Coin executable specification: vectors and conformance."""


_preset_option = click.option(
    "--preset",
    "presets",
    multiple=True,
    type=click.Choice(PRESET_NAMES),
    help="Only this preset (repeatable).",
)
_flow_option = click.option(
    "--flow",
    "flows",
    multiple=True,
    type=click.Choice(sorted(FLOW_GENERATORS)),
    help="Only this flow (repeatable).",
)


@main.command()
@click.option("--out", type=click.Path(path_type=Path), default=Path("vectors"), show_default=True)
@_preset_option
@_flow_option
@click.option(
    "--lock",
    type=click.Choice(["check", "update", "ignore"]),
    default="check",
    show_default=True,
    help="Compare a full generation with conformance/vectors.lock, or rewrite the lock.",
)
def generate(out: Path, presets: tuple[str, ...], flows: tuple[str, ...], lock: str) -> None:
    """Generate the vectors (deterministic: the same bytes on every run)."""
    _generate(out, presets, flows, lock)


@main.command()
@click.option(
    "--vectors",
    "vectors_dir",
    type=click.Path(path_type=Path, exists=True),
    default=Path("vectors"),
    show_default=True,
)
@click.option(
    "--adapter",
    default=REFERENCE_ADAPTER,
    show_default=True,
    help="Command that starts the implementation's JSON-lines adapter.",
)
@_preset_option
@_flow_option
@click.option(
    "--report",
    "report_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Write a JSON report of every case here.",
)
@click.option("--timeout", type=float, default=120.0, show_default=True, help="Seconds allowed per case.")
@click.option(
    "--fork",
    "forks",
    multiple=True,
    type=click.Choice(FORK_NAMES),
    help="Only the vectors of this fork (repeatable).",
)
def run(
    vectors_dir: Path,
    adapter: str,
    presets: tuple[str, ...],
    flows: tuple[str, ...],
    report_path: Path | None,
    timeout: float,
    forks: tuple[str, ...],
) -> None:
    """Run the vectors against an adapter and report pass/fail per case."""
    if not _run(vectors_dir, adapter, presets, flows, report_path, timeout, forks).ok:
        sys.exit(1)


@main.command(name="main")
@click.option("--out", type=click.Path(path_type=Path), default=Path("vectors"), show_default=True)
@click.option("--report", "report_path", type=click.Path(path_type=Path), default=None)
def main_job(out: Path, report_path: Path | None) -> None:
    """The main job: generate all vectors, check the lock, run them against the reference adapter."""
    _generate(out, (), (), "check")
    if not _run(out, REFERENCE_ADAPTER, (), (), report_path, 120.0).ok:
        sys.exit(1)


if __name__ == "__main__":
    main()

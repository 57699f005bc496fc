"""``rusty-spec``: generate conformance vectors and run them against any adapter.

``rusty-spec main`` is the project's main job: generate every vector, check them against
``conformance/vectors.lock``, run the conformance runner against the reference adapter, and print
a summary. See ``rusty-spec --help`` for the individual steps.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shlex
import shutil
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import click
from tqdm import tqdm

from conformance.adapter import PROTOCOL_VERSION as ADAPTER_PROTOCOL_VERSION
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
from conformance.model import FORMAT_VERSION, Vector
from conformance.release import ReleaseError, is_release, load_release, suite_version, write_release
from conformance.runner import (
    DEFAULT_TIMEOUT_SECONDS,
    MAX_LINE_BYTES,
    RunReport,
    SuiteInfo,
    failed_paths,
    filter_vectors,
    junit_path_for,
    load_vectors,
    run_vectors,
    suite_hash,
    write_report,
)
from reference import jsonsafe
from reference.versions import version_text
from spec.forks import FORK_NAMES
from spec.presets import PRESET_NAMES

T = TypeVar("T")
REFERENCE_ADAPTER = f"{shlex.quote(sys.executable)} -m conformance.adapter"


def _bar(description: str, total: int | None = None) -> object:
    """A progress bar over the items (on a terminal only); for vectors it names the current flow."""

    def wrap(items: Iterator[T]) -> Iterable[T]:
        bar = tqdm(
            items,
            desc=description,
            total=total,
            unit="case",
            file=sys.stderr,
            leave=True,
            dynamic_ncols=True,
            disable=None,
        )
        flow = None
        for item in bar:
            if isinstance(item, Vector) and item.flow != flow:
                flow = item.flow
                bar.set_postfix_str(flow, refresh=False)
            yield item

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


def _summary(report: RunReport, verbose: bool = False) -> None:
    """One line per flow; with ``verbose`` also the full ``preset/flow/handler`` table (always in
    the JSON report, under ``handlers``)."""
    click.echo(f"\nimplementation: {report.implementation}")
    click.echo(f"suite: {report.suite.version} ({report.suite.hash[:16]})")
    if verbose:
        rows = sorted(report.by_handler().items())
        width = max((len(k) for k, _ in rows), default=10)
        click.echo(f"{'preset/flow/handler':<{width}}  {'pass':>6} {'fail':>6} {'skip':>6}")
        for key, counts in rows:
            click.echo(f"{key:<{width}}  {counts['pass']:>6} {counts['fail']:>6} {counts['skip']:>6}")
        click.echo("")
    flows = sorted(report.by_flow().items())
    width = max((len(k) for k, _ in flows), default=4)
    click.echo(f"{'flow':<{width}}  {'pass':>6} {'fail':>6} {'skip':>6} {'seconds':>8}")
    for flow, (counts, seconds) in flows:
        mark = "  FAIL" if counts["fail"] else ""
        cells = f"{counts['pass']:>6} {counts['fail']:>6} {counts['skip']:>6} {seconds:>8.1f}"
        click.echo(f"{flow:<{width}}  {cells}{mark}")
    if not verbose:
        click.echo("(per-handler counts: --verbose, or `handlers` in the --report JSON)")
    failures = [r for r in report.results if r.status == "fail"]
    for result in failures[:30]:
        click.echo(f"FAIL {result.vector.relative_path}: {result.reason}", err=True)
    if len(failures) > 30:
        click.echo(f"... and {len(failures) - 30} more failures", err=True)
    for problem in report.problems():
        click.echo(f"PROBLEM {problem}", err=True)
    if report.stopped_early:
        click.echo("stopped at the first failure (--fail-fast)", err=True)
    counts = report.counts()
    click.echo(
        f"conformance: {counts['pass']} passed, {counts['fail']} failed, {counts['skip']} skipped "
        f"in {report.seconds:.1f} s"
    )


def check_adapter_program(adapter: str) -> list[str]:
    """The adapter's argv; a clear error when its program does not exist or is not executable."""
    try:
        argv = shlex.split(adapter)
    except ValueError as exc:
        raise click.ClickException(f"--adapter {adapter!r}: {exc}") from None
    if not argv:
        raise click.ClickException("--adapter is empty")
    program = argv[0]
    if "/" in program:
        path = Path(program)
        if not path.is_file():
            raise click.ClickException(f"adapter program not found: {program}")
        if not os.access(path, os.X_OK):
            raise click.ClickException(f"adapter program is not executable: {program}")
    elif shutil.which(program) is None:
        raise click.ClickException(f"adapter program not found on PATH: {program}")
    return argv


def check_writable(path: Path, what: str) -> None:
    """A clear error now, not after the run, when ``path`` cannot be written."""
    if path.is_dir():
        raise click.ClickException(f"{what} {path} is a directory")
    existed = path.exists()
    try:
        with path.open("ab"):
            pass
    except OSError as exc:
        raise click.ClickException(f"cannot write the {what} {path}: {exc.strerror or exc}") from None
    if not existed:
        with contextlib.suppress(OSError):
            path.unlink()


def load_source(source: Path) -> tuple[list[Vector], SuiteInfo]:
    """The vectors of a directory tree or of a release tarball, with the suite's identity."""
    try:
        if is_release(source):
            return load_release(source)
        vectors = load_vectors(source)
    except (ReleaseError, ValueError) as exc:
        raise click.ClickException(f"cannot read the vectors: {exc}") from None
    return vectors, SuiteInfo("unreleased", suite_hash(vectors))


@dataclass(frozen=True)
class RunOptions:
    """What ``rusty-spec run`` was asked to do."""

    source: Path
    adapter: str
    presets: tuple[str, ...] = ()
    flows: tuple[str, ...] = ()
    handlers: tuple[str, ...] = ()
    cases: tuple[str, ...] = ()
    report_path: Path | None = None
    junit_path: Path | None = None
    timeout: float = DEFAULT_TIMEOUT_SECONDS
    deadline: float | None = None
    fail_fast: bool = False
    rerun: Path | None = None
    require_flows: tuple[str, ...] = ()
    max_line_bytes: int = MAX_LINE_BYTES
    forks: tuple[str, ...] = ()
    verbose: bool = False


def _run(options: RunOptions) -> RunReport:
    argv = check_adapter_program(options.adapter)
    json_path, html_path = options.report_path, None
    if json_path is not None and json_path.suffix.lower() in (".html", ".htm"):
        html_path, json_path = json_path, json_path.with_suffix(".json")
    junit = options.junit_path
    if junit is None and json_path is not None:
        junit = junit_path_for(json_path)
    for path, what in ((json_path, "report"), (html_path, "HTML report"), (junit, "JUnit report")):
        if path is not None:
            check_writable(path, what)
    only: set[str] | None = None
    if options.rerun is not None:
        try:
            only = failed_paths(jsonsafe.loads(options.rerun.read_bytes()))
        except (OSError, ValueError, TypeError, KeyError) as exc:
            raise click.ClickException(f"--rerun-failures {options.rerun}: {exc}") from None
        if not only:
            click.echo(f"{options.rerun} has no failed case: nothing to rerun")
    all_vectors, suite = load_source(options.source)
    vectors = filter_vectors(
        all_vectors, options.flows, options.presets, options.handlers, options.cases, only, options.forks
    )
    if not vectors and only is None:
        raise click.ClickException(f"no vectors under {options.source} match the filters")
    report = run_vectors(
        argv,
        vectors,
        timeout=options.timeout,
        progress=_bar("conformance", len(vectors)),  # type: ignore[arg-type]
        deadline=options.deadline,
        fail_fast=options.fail_fast,
        require_flows=options.require_flows,
        suite=suite,
        max_line_bytes=options.max_line_bytes,
    )
    _summary(report, options.verbose)
    write_report(report, json_path, junit)
    if html_path is not None:
        from conformance.html_report import render_html_report

        html_path.write_text(render_html_report(report), encoding="utf-8")
        click.echo(f"HTML report: {html_path}")
    return report


def examples(*lines: str) -> str:
    """A command's ``--help`` epilog: the example command lines, kept as written (click's ``\\b``)."""
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)


def _print_version(context: click.Context, _parameter: click.Parameter, value: bool) -> None:
    if value and not context.resilient_parsing:
        click.echo(
            version_text(
                "rusty-spec",
                f"vector format: {FORMAT_VERSION}",
                f"adapter protocol: {ADAPTER_PROTOCOL_VERSION}",
                f"forks: {', '.join(FORK_NAMES)}",
            )
        )
        context.exit()


@click.group(
    epilog=examples(
        "rusty-spec main",
        "rusty-spec generate",
        'rusty-spec run --adapter "./my-adapter" --report report.json',
        "rusty-spec release",
        "rusty-spec COMMAND --help",
    )
)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Print the suite, vector format, adapter protocol and P2P protocol versions and exit.",
)
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

_verbose_option = click.option(
    "--verbose", "-v", is_flag=True, help="Also print the pass/fail/skip table per preset/flow/handler."
)


@main.command(
    epilog=examples(
        "rusty-spec generate",
        "rusty-spec generate --preset devnet --flow merkle --lock ignore",
        "rusty-spec generate --lock update",
    )
)
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


@main.command(
    epilog=examples(
        'rusty-spec run --adapter "./target/release/rusty-adapter" --report report.json',
        'rusty-spec run --flow merkle --preset devnet --adapter "./my-adapter"',
        'rusty-spec run --handler merkle/verify_proof --case "wrong_*" --adapter "./my-adapter"',
        'rusty-spec run --rerun-failures report.json --adapter "./my-adapter"',
        "rusty-spec run --vectors rusty-coin-vectors-0.1.0.tar.gz --verbose",
    )
)
@click.option(
    "--vectors",
    "source",
    type=click.Path(path_type=Path, exists=True),
    default=Path("vectors"),
    show_default=True,
    help="A vector directory, or a release tarball from `rusty-spec release`.",
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
    "--handler", "handlers", multiple=True, help="Only this handler: NAME or FLOW/NAME (repeatable)."
)
@click.option(
    "--case", "cases", multiple=True, help="Only cases whose name or FLOW/HANDLER/CASE matches this glob."
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write a JSON report of every case here (and JUnit XML beside it, .xml); a name ending in "
    ".html writes an HTML summary there (per flow and handler, failing cases with their diffs), "
    "with the JSON (.json) and JUnit (.xml) beside it.",
)
@click.option(
    "--junit",
    "junit_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write the JUnit XML here instead of beside the JSON report.",
)
@click.option(
    "--timeout",
    type=float,
    default=DEFAULT_TIMEOUT_SECONDS,
    show_default=True,
    help="Seconds allowed per case.",
)
@click.option("--deadline", type=float, default=None, help="Seconds allowed for the whole run.")
@click.option("--fail-fast", is_flag=True, help="Stop at the first failed case.")
@click.option(
    "--rerun-failures",
    "rerun",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    default=None,
    help="Run only the cases a previous JSON report failed.",
)
@click.option(
    "--require-flow",
    "require_flows",
    multiple=True,
    type=click.Choice(sorted(FLOW_GENERATORS)),
    help="Fail unless every case of this flow ran (none skipped as unsupported).",
)
@click.option(
    "--max-line-bytes",
    type=click.IntRange(min=1024),
    default=MAX_LINE_BYTES,
    show_default=True,
    help="The longest response line accepted from the adapter.",
)
@click.option(
    "--fork",
    "forks",
    multiple=True,
    type=click.Choice(FORK_NAMES),
    help="Only the vectors of this fork (repeatable).",
)
@_verbose_option
def run(
    source: Path,
    adapter: str,
    presets: tuple[str, ...],
    flows: tuple[str, ...],
    handlers: tuple[str, ...],
    cases: tuple[str, ...],
    report_path: Path | None,
    junit_path: Path | None,
    timeout: float,
    deadline: float | None,
    fail_fast: bool,
    rerun: Path | None,
    require_flows: tuple[str, ...],
    max_line_bytes: int,
    forks: tuple[str, ...],
    verbose: bool,
) -> None:
    """Run the vectors against an adapter and report pass/fail per case."""
    options = RunOptions(
        source,
        adapter,
        presets,
        flows,
        handlers,
        cases,
        report_path,
        junit_path,
        timeout,
        deadline,
        fail_fast,
        rerun,
        require_flows,
        max_line_bytes,
        forks,
        verbose,
    )
    if not _run(options).ok:
        sys.exit(1)


@main.command(
    epilog=examples(
        "rusty-spec release",
        "rusty-spec release --out dist/vectors.tar.gz --version 0.2.0",
        "rusty-spec release --vectors vectors --preset devnet",
    )
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="The tarball to write [default: rusty-coin-vectors-VERSION.tar.gz].",
)
@click.option(
    "--vectors",
    "source",
    type=click.Path(path_type=Path, exists=True, file_okay=False),
    default=None,
    help="Release this vector directory instead of generating the vectors afresh.",
)
@click.option("--version", "version", default=None, help="The suite version [default: the package version].")
@_preset_option
@_flow_option
def release(
    out: Path | None,
    source: Path | None,
    version: str | None,
    presets: tuple[str, ...],
    flows: tuple[str, ...],
) -> None:
    """Write a versioned, reproducible release tarball of the vectors (same bytes on every run)."""
    chosen_version = version or suite_version()
    target = out or Path(f"rusty-coin-vectors-{chosen_version}.tar.gz")
    check_writable(target, "release")
    if source is not None:
        vectors = filter_vectors(load_source(source)[0], flows, presets)
    else:
        try:
            files = generate_files(presets or PRESET_NAMES, flows or None, progress=_bar("generate"))  # type: ignore[arg-type]
        except GenerationError as exc:
            raise click.ClickException(f"generation failed: {exc}") from None
        if not presets and not flows:
            problems = compare_with_lock(files, LOCK_PATH.read_text(encoding="utf-8"))
            if problems:
                raise click.ClickException(
                    f"{len(problems)} vectors differ from {LOCK_PATH.name}: {problems[:3]}"
                )
        vectors = [Vector.from_json(jsonsafe.loads(f.content)) for f in files]
    if not vectors:
        raise click.ClickException("no vectors to release")
    try:
        data = write_release(target, vectors, chosen_version)
    except ReleaseError as exc:
        raise click.ClickException(str(exc)) from None
    digest = hashlib.sha256(data).hexdigest()
    click.echo(f"wrote {target}: {len(vectors)} vectors, {len(data)} bytes, sha256 {digest}")


@main.group(epilog=examples("rusty-spec docs build", "rusty-spec docs bench-chart"))
def docs() -> None:
    """The spec book as a site (mkdocs, Material theme): build it offline."""


@docs.command(
    name="build",
    epilog=examples("rusty-spec docs build", "rusty-spec docs build --out /tmp/book --no-strict"),
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("build/site"),
    show_default=True,
    help="The directory to write the site to (replaced).",
)
@click.option(
    "--strict/--no-strict",
    default=True,
    show_default=True,
    help="Fail on any warning: a broken link or anchor, a docs page missing from the nav.",
)
def docs_build(out: Path, strict: bool) -> None:
    """Build the spec book from docs/ and the spec's docstrings (see docs/site.md); nothing is downloaded."""
    from conformance.docsite import SiteBuildError, build_site

    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    try:
        build_site(out, strict=strict)
    except SiteBuildError as exc:
        raise click.ClickException(f"the book did not build: {exc}") from None
    click.echo(f"built the spec book in {out}/ (open {out / 'index.html'})")


@docs.command(
    name="bench-chart",
    epilog=examples(
        "rusty-spec docs bench-chart",
        "rusty-spec docs bench-chart --json bench.json --drop test_tally_window",
    ),
)
@click.option(
    "--json",
    "bench_json",
    multiple=True,
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="pytest-benchmark JSON (--benchmark-json) to keep as docs/assets/benchmarks/results.json "
    "first (repeatable: the files are merged).",
)
@click.option("--drop", multiple=True, help="Leave this benchmark out (one whose test failed; repeatable).")
def docs_bench_chart(bench_json: tuple[Path, ...], drop: tuple[str, ...]) -> None:
    """Draw docs/assets/benchmarks/ratios.svg (each hot path / its floor) from the benchmark results."""
    from conformance import bench_charts

    try:
        count = bench_charts.write_chart(bench_json, drop)
    except bench_charts.BenchmarkDataError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"charted {count} ratios from {bench_charts.RESULTS_PATH} in {bench_charts.CHART_PATH}")


@main.command(
    name="main",
    epilog=examples("rusty-spec main", "rusty-spec main --report report.json --verbose"),
)
@click.option("--out", type=click.Path(path_type=Path), default=Path("vectors"), show_default=True)
@click.option("--report", "report_path", type=click.Path(path_type=Path), default=None)
@_verbose_option
def main_job(out: Path, report_path: Path | None, verbose: bool) -> None:
    """The main job: generate all vectors, check the lock, run them against the reference adapter."""
    _generate(out, (), (), "check")
    if not _run(RunOptions(out, REFERENCE_ADAPTER, report_path=report_path, verbose=verbose)).ok:
        sys.exit(1)


if __name__ == "__main__":
    main()

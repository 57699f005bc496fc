"""Run the fuzz harnesses: ``python -m fuzz.run <harness|all> [--seconds N] [--runs N] ...``.

Fuzzing mode starts one ``python -m fuzz.worker`` process per harness (atheris owns its process)
with libFuzzer's ``-max_total_time`` / ``-runs``, the committed seed corpus
``fuzz/corpora/<harness>/`` and a scratch corpus that libFuzzer grows (a temporary directory unless
``--work-dir`` is given, so the committed seeds never change). A crashing input is written to
``fuzz/crashes/<harness>/`` and the run exits non-zero. See ``docs/fuzzing.md``.

Replay mode (``--replay``) needs no atheris: it feeds every corpus file to every selected harness
in this process, deterministically, and reports each failure.

Single-input mode (``<harness> --input FILE``) runs one file through the *strict* harness and
prints the full traceback: the first step of turning a crash into a regression test.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from fuzz.harnesses import HARNESSES, KNOWN_BUGS, MAX_LEN, STRICT_ENV, dictionary, known_bug_of, tolerant

FUZZ_DIR = Path(__file__).resolve().parent
REPO_ROOT = FUZZ_DIR.parent
DEFAULT_CORPUS_DIR = FUZZ_DIR / "corpora"
DEFAULT_CRASH_DIR = FUZZ_DIR / "crashes"
FAILURE_PREFIXES = ("crash-", "timeout-", "oom-", "leak-")
"""The artifact names libFuzzer gives a failing input (``slow-unit-*`` is only a report)."""
DEFAULT_SECONDS = 10
PER_INPUT_TIMEOUT = 25
"""libFuzzer ``-timeout``: an input running longer than this many seconds is reported as a hang."""

_DONE = re.compile(r"Done (\d+) runs in (\d+) second")
_STATUS = re.compile(r"^#(\d+)\s+\w+\s+cov: (\d+).*?exec/s: (\d+)", re.MULTILINE)
_EXECUTED = re.compile(r"stat::number_of_executed_units: (\d+)")
_FEATURES = re.compile(r"^#\d+\s+\w+\s+cov: \d+ ft: (\d+) corp: (\d+)/", re.MULTILINE)
_PEAK_RSS = re.compile(r"stat::peak_rss_mb:\s+(\d+)")
_SETUP_CPU = re.compile(r"rusty-fuzz: setup CPU seconds: ([\d.]+)")


@dataclass
class FuzzResult:
    """The outcome of one libFuzzer process."""

    harness: str
    returncode: int
    runs: int
    seconds: float
    coverage: int
    exec_per_second: float
    crashes: list[Path] = field(default_factory=list)
    output: str = ""
    cpu_seconds: float = 0.0
    """User plus system CPU time of the worker process (robust to a loaded machine, unlike ``seconds``)."""

    @property
    def setup_cpu_seconds(self) -> float:
        """CPU seconds the worker spent before the first input (instrumented imports, harness setup)."""
        match = _SETUP_CPU.search(self.output)
        return float(match.group(1)) if match else 0.0

    @property
    def features(self) -> int:
        """libFuzzer's coverage features (``ft:``), the finer measure behind ``cov:``."""
        return parse_libfuzzer_features(self.output)[0]

    @property
    def corpus_size(self) -> int:
        """Inputs in the corpus at the end of the run (``corp:``)."""
        return parse_libfuzzer_features(self.output)[1]

    @property
    def peak_rss_mb(self) -> int:
        """The worker's peak resident memory as libFuzzer reports it (0 if not reported)."""
        match = _PEAK_RSS.search(self.output)
        return int(match.group(1)) if match else 0

    @property
    def ok(self) -> bool:
        """Exited 0 and executed inputs."""
        return self.returncode == 0 and self.runs > 0


def parse_libfuzzer_output(text: str) -> tuple[int, int, int | None]:
    """``(runs, coverage, seconds)`` parsed from a libFuzzer log (``Done N runs``, ``#N ... cov: C``)."""
    runs = 0
    coverage = 0
    seconds: int | None = None
    for match in _STATUS.finditer(text):
        runs = max(runs, int(match.group(1)))
        coverage = max(coverage, int(match.group(2)))
    done = _DONE.search(text)
    if done:
        runs = max(runs, int(done.group(1)))
        seconds = int(done.group(2))
    executed = _EXECUTED.search(text)
    if executed:
        runs = max(runs, int(executed.group(1)))
    return runs, coverage, seconds


def parse_libfuzzer_features(text: str) -> tuple[int, int]:
    """``(features, corpus inputs)`` from the last libFuzzer status line (``ft: F corp: N/...``)."""
    features = corpus = 0
    for match in _FEATURES.finditer(text):
        features = max(features, int(match.group(1)))
        corpus = int(match.group(2))
    return features, corpus


def libfuzzer_arguments(
    harness: str,
    *,
    seconds: int | None,
    runs: int | None,
    crash_dir: Path,
    work_dir: Path,
    corpus_dir: Path,
    max_len: int | None = None,
    extra: Sequence[str] = (),
) -> list[str]:
    """The worker's command line for ``harness``."""
    args = [sys.executable, "-m", "fuzz.worker", harness]
    if seconds is not None:
        args.append(f"-max_total_time={seconds}")
    if runs is not None:
        args.append(f"-runs={runs}")
    if max_len is not None:
        args.append(f"-max_len={max_len}")
    args += [
        f"-timeout={PER_INPUT_TIMEOUT}",
        "-rss_limit_mb=2048",
        "-print_final_stats=1",
        f"-artifact_prefix={crash_dir / harness}{os.sep}",
        *extra,
        str(work_dir),
    ]
    seeds = corpus_dir / harness
    if seeds.is_dir():
        args.append(str(seeds))
    return args


def fuzz_one(
    harness: str,
    *,
    seconds: int | None = None,
    runs: int | None = None,
    corpus_dir: Path = DEFAULT_CORPUS_DIR,
    crash_dir: Path = DEFAULT_CRASH_DIR,
    work_dir: Path | None = None,
    max_len: int | None = None,
    extra: Sequence[str] = (),
    strict: bool = False,
    echo: bool = False,
    env_extra: dict[str, str] | None = None,
) -> FuzzResult:
    """Fuzz one harness in a worker process and collect its statistics."""
    before = _existing_crashes(harness, crash_dir)
    with tempfile.TemporaryDirectory(prefix=f"rusty-fuzz-{harness}-") as scratch:
        command = _prepare(
            harness,
            Path(scratch),
            seconds=seconds,
            runs=runs,
            corpus_dir=corpus_dir,
            crash_dir=crash_dir,
            work_dir=work_dir,
            max_len=max_len,
            extra=extra,
        )
        env = _worker_env(strict, env_extra)
        started = time.monotonic()
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
        lines: list[str] = []
        budget = (seconds or 0) + 300 if runs is None else None
        timer = threading.Timer(budget, process.kill) if budget else None
        if timer:
            timer.start()
        try:
            assert process.stdout is not None
            for line in process.stdout:
                lines.append(line)
                if echo:
                    sys.stderr.write(line)
            returncode, cpu_seconds = _wait_with_usage(process)
        finally:
            if timer:
                timer.cancel()
        elapsed = time.monotonic() - started
    return _result(harness, returncode, "".join(lines), elapsed, cpu_seconds, crash_dir, before)


def fuzz_many(
    harnesses: Sequence[str],
    *,
    seconds: int | None = None,
    runs: int | None = None,
    jobs: int = 1,
    corpus_dir: Path = DEFAULT_CORPUS_DIR,
    crash_dir: Path = DEFAULT_CRASH_DIR,
    work_dir: Path | None = None,
    strict: bool = False,
    env_extra: dict[str, str] | None = None,
) -> list[FuzzResult]:
    """Fuzz several harnesses like :func:`fuzz_one` each, from one batch worker (``--batch``).

    The batch worker does the instrumented imports once and forks a libFuzzer process per harness,
    ``jobs`` at a time: the same arguments, corpus, dictionary, crash directory and checks as
    :func:`fuzz_one`, without paying the import start-up per harness (most of a short run).
    """
    for harness in harnesses:
        if harness not in HARNESSES:
            raise SystemExit(f"unknown harness {harness!r}; known: {', '.join(HARNESSES)}")
    before = {harness: _existing_crashes(harness, crash_dir) for harness in harnesses}
    with tempfile.TemporaryDirectory(prefix="rusty-fuzz-batch-") as scratch_root:
        root = Path(scratch_root)
        plan_runs = []
        for harness in harnesses:
            (root / harness).mkdir()
            command = _prepare(
                harness,
                root / harness,
                seconds=seconds,
                runs=runs,
                corpus_dir=corpus_dir,
                crash_dir=crash_dir,
                work_dir=work_dir,
                max_len=None,
                extra=(),
            )
            program = " ".join(shlex.quote(part) for part in command[:4])
            plan_runs.append(
                {
                    "harness": harness,
                    "argv": [program, *command[4:]],
                    "log": str(root / harness / "log"),
                    "timeout": (seconds or 0) + 300 if runs is None else None,
                }
            )
        results_path = root / "results.json"
        plan = {"jobs": jobs, "runs": plan_runs, "results": str(results_path)}
        plan_path = root / "plan.json"
        plan_path.write_text(json.dumps(plan), encoding="utf-8")
        process = subprocess.run(
            [sys.executable, "-m", "fuzz.worker", "--batch", str(plan_path)],
            cwd=REPO_ROOT,
            env=_worker_env(strict, env_extra),
            capture_output=True,
            text=True,
            errors="replace",
            check=False,
        )
        if process.returncode != 0 or not results_path.exists():
            raise RuntimeError(f"fuzz batch worker exited {process.returncode}:\n{process.stderr[-4000:]}")
        outcomes = json.loads(results_path.read_text(encoding="utf-8"))
        return [
            _result(
                outcome["harness"],
                outcome["returncode"],
                (root / outcome["harness"] / "log").read_text(encoding="utf-8", errors="replace"),
                outcome["seconds"],
                outcome["cpu_seconds"],
                crash_dir,
                before[outcome["harness"]],
            )
            for outcome in outcomes
        ]


def _existing_crashes(harness: str, crash_dir: Path) -> set[Path]:
    """Create ``crash_dir/harness`` if needed; the files already in it (not this run's crashes)."""
    (crash_dir / harness).mkdir(parents=True, exist_ok=True)
    return set((crash_dir / harness).iterdir())


def _prepare(
    harness: str,
    scratch: Path,
    *,
    seconds: int | None,
    runs: int | None,
    corpus_dir: Path,
    crash_dir: Path,
    work_dir: Path | None,
    max_len: int | None,
    extra: Sequence[str],
) -> list[str]:
    """The grown-corpus directory and dictionary file (below ``scratch``), and the worker's command."""
    if max_len is None:
        max_len = MAX_LEN.get(harness)
    corpus = work_dir / harness if work_dir is not None else scratch / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    tokens = dictionary(harness)
    if tokens and not any(arg.startswith("-dict=") for arg in extra):
        dictionary_file = scratch / f"{harness}.dict"
        dictionary_file.write_text("".join(f"{dictionary_entry(t)}\n" for t in tokens), encoding="ascii")
        extra = [*extra, f"-dict={dictionary_file}"]
    return libfuzzer_arguments(
        harness,
        seconds=seconds,
        runs=runs,
        crash_dir=crash_dir,
        work_dir=corpus,
        corpus_dir=corpus_dir,
        max_len=max_len,
        extra=extra,
    )


def _worker_env(strict: bool, env_extra: dict[str, str] | None) -> dict[str, str]:
    """The worker's environment: this one, the repository on ``PYTHONPATH``, strict mode, extras."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    if strict:
        env[STRICT_ENV] = "1"
    env.update(env_extra or {})
    return env


def _result(
    harness: str,
    returncode: int,
    output: str,
    elapsed: float,
    cpu_seconds: float,
    crash_dir: Path,
    before: set[Path],
) -> FuzzResult:
    """A :class:`FuzzResult` from a finished worker's exit code, log and the crash files it added."""
    executed, coverage, reported = parse_libfuzzer_output(output)
    duration = float(reported) if reported else elapsed
    # libFuzzer also writes ``slow-unit-*`` files for inputs slower than -report_slow_units: on a
    # loaded machine that says nothing about the code, so only crashes, time-outs, OOMs and leaks count.
    crashes = sorted(
        path
        for path in set((crash_dir / harness).iterdir()) - before
        if path.name.startswith(FAILURE_PREFIXES)
    )
    return FuzzResult(
        harness=harness,
        returncode=returncode,
        runs=executed,
        seconds=duration,
        coverage=coverage,
        exec_per_second=executed / duration if duration > 0 else 0.0,
        crashes=crashes,
        output=output,
        cpu_seconds=cpu_seconds,
    )


def _wait_with_usage(process: subprocess.Popen[str]) -> tuple[int, float]:
    """Reap ``process``; return its exit code and the CPU seconds (user + system) it used."""
    try:
        _, status, usage = os.wait4(process.pid, 0)
    except ChildProcessError:  # already reaped (by the kill timer's wait, say): no usage figures
        return process.wait(), 0.0
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, usage.ru_utime + usage.ru_stime


def dictionary_entry(token: bytes) -> str:
    """One libFuzzer dictionary line: the token quoted, with ``\\``, ``"`` and non-printables escaped."""
    body = "".join(
        chr(byte) if 0x20 <= byte < 0x7F and byte not in b'"\\' else f"\\x{byte:02x}" for byte in token
    )
    return f'"{body}"'


@dataclass(frozen=True)
class ReplayFailure:
    """A corpus file that made a harness raise."""

    harness: str
    path: Path
    error: str


def corpus_files(corpus_dir: Path, harness: str) -> list[Path]:
    """The files of one harness's corpus, in a stable order (hidden files skipped)."""
    directory = corpus_dir / harness
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.is_file() and not p.name.startswith("."))


def replay(names: Iterable[str], corpus_dir: Path = DEFAULT_CORPUS_DIR) -> tuple[int, list[ReplayFailure]]:
    """Run every corpus file through each named (tolerant) harness; return (inputs run, failures)."""
    count = 0
    failures: list[ReplayFailure] = []
    for name in names:
        harness = tolerant(name)
        for path in corpus_files(corpus_dir, name):
            count += 1
            try:
                harness(path.read_bytes())
            except Exception as exc:
                failures.append(ReplayFailure(name, path, f"{type(exc).__name__}: {exc}"))
    return count, failures


def run_input(name: str, path: Path) -> int:
    """Run one file through the strict harness ``name``; print the verdict and any traceback."""
    try:
        HARNESSES[name](path.read_bytes())
    except Exception as exc:
        traceback.print_exc()
        bug = known_bug_of(name, exc)
        print(
            f"{name}: {path}: FAILS" + (f" (known bug {bug.ident}: {bug.summary})" if bug else " (new bug)")
        )
        return 1
    print(f"{name}: {path}: passes")
    return 0


def selected_harnesses(target: str | None) -> list[str]:
    """The harness names ``target`` denotes: one name, a comma-separated list, or ``all`` (or None)."""
    if target in (None, "all"):
        return list(HARNESSES)
    assert target is not None
    names = target.split(",")
    unknown = [n for n in names if n not in HARNESSES]
    if unknown:
        raise SystemExit(f"unknown harness {', '.join(unknown)}; known: all, {', '.join(HARNESSES)}")
    return names


def _print_result(result: FuzzResult) -> None:
    status = "ok" if result.ok else f"FAILED (exit {result.returncode})"
    print(
        f"{result.harness:<16} {status:<18} runs={result.runs:<9} {result.seconds:6.1f}s "
        f"exec/s={result.exec_per_second:9.0f} cov={result.coverage}",
        flush=True,
    )
    for crash in result.crashes:
        print(f"    crash input: {crash}  (reproduce: python -m fuzz.run {result.harness} --input {crash})")
    if not result.ok:
        tail = result.output.splitlines()[-40:]
        print("    " + "\n    ".join(tail))


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point."""
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in argv:
        split = argv.index("--")
        argv, extra = argv[:split], argv[split + 1 :]
    parser = argparse.ArgumentParser(
        prog="python -m fuzz.run",
        description="Fuzz the decoders and validators with atheris, or replay the corpora without it.",
        epilog="Arguments after -- go to libFuzzer unchanged (for example -- -max_len=8192 -dict=FILE).",
    )
    parser.add_argument("target", nargs="?", help="a harness name, a comma-separated list, or 'all'")
    parser.add_argument(
        "--seconds", type=int, help=f"libFuzzer -max_total_time per harness (default {DEFAULT_SECONDS})"
    )
    parser.add_argument("--runs", type=int, help="libFuzzer -runs per harness")
    parser.add_argument("--corpus-dir", type=Path, default=DEFAULT_CORPUS_DIR, help="seed corpora root")
    parser.add_argument("--crash-dir", type=Path, default=DEFAULT_CRASH_DIR, help="crash artifacts root")
    parser.add_argument("--work-dir", type=Path, help="keep the grown corpus here (default: a temporary dir)")
    parser.add_argument("--max-len", type=int, help="libFuzzer -max_len (default: fuzz.harnesses.MAX_LEN)")
    parser.add_argument("--jobs", type=int, default=1, help="harnesses fuzzed in parallel (default 1)")
    parser.add_argument("--strict", action="store_true", help=f"report known bugs too (sets {STRICT_ENV}=1)")
    parser.add_argument("--verbose", action="store_true", help="stream libFuzzer's log to stderr")
    parser.add_argument(
        "--replay", action="store_true", help="run the corpora through the harnesses, no atheris"
    )
    parser.add_argument("--input", type=Path, help="run this one file through the strict harness")
    parser.add_argument("--list", action="store_true", help="list the harnesses and the known bugs")
    args = parser.parse_args(argv)

    if args.list:
        for name, function in HARNESSES.items():
            doc = (function.__doc__ or "").strip().splitlines()[0]
            print(f"{name:<16} {doc}")
        for bug in KNOWN_BUGS:
            print(f"known bug {bug.ident}: {bug.summary}")
        return 0
    names = selected_harnesses(args.target)
    if args.input is not None:
        if len(names) != 1:
            parser.error("--input needs exactly one harness")
        return run_input(names[0], args.input)
    if args.replay:
        count, failures = replay(names, args.corpus_dir)
        for failure in failures:
            print(f"{failure.harness}: {failure.path}: {failure.error}")
        print(f"replayed {count} corpus files through {len(names)} harnesses: {len(failures)} failures")
        return 1 if failures else 0
    if args.target is None:
        parser.error("name a harness (or 'all'), or use --replay / --list")
    seconds = args.seconds if args.seconds is not None or args.runs is not None else DEFAULT_SECONDS

    def one(name: str) -> FuzzResult:
        return fuzz_one(
            name,
            seconds=seconds,
            runs=args.runs,
            corpus_dir=args.corpus_dir,
            crash_dir=args.crash_dir,
            work_dir=args.work_dir,
            max_len=args.max_len,
            extra=extra,
            strict=args.strict,
            echo=args.verbose,
        )

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = list(pool.map(lambda name: _report(one(name)), names))
    failed = [r.harness for r in results if not r.ok]
    print(
        f"{len(results) - len(failed)}/{len(results)} harnesses ok"
        + (f"; failed: {failed}" if failed else "")
    )
    return 1 if failed else 0


def _report(result: FuzzResult) -> FuzzResult:
    _print_result(result)
    return result


if __name__ == "__main__":
    sys.exit(main())

"""The fuzz harnesses: corpus replay, short real atheris runs, and the known-bug reproducers.

* Every committed corpus file goes through every harness in-process (deterministic, fast).
* Every harness runs under atheris/libFuzzer for ``RUSTY_FUZZ_SECONDS`` seconds (default 3); each
  must exit 0 and must have executed inputs. The harnesses are split into ``SMOKE_SHARDS`` xdist
  groups (both workers share the load); each shard is one :func:`fuzz.run.fuzz_many` batch: the
  instrumented imports (most of a 3-second run's cost) happen once per shard, and a forked
  libFuzzer process per harness runs three at a time. A self-test input shows that a crash is
  detected, saved and reported, by the single-harness worker and by a batch, so a broken pipeline
  cannot pass.
* Every :data:`fuzz.harnesses.KNOWN_BUGS` entry must still reproduce from its ``known-*`` seed:
  the test is an expected failure while the bug exists and fails once the bug is fixed, so the
  entry (and the harness's tolerance of it) is removed together with the bug.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from fuzz import seeds
from fuzz.harnesses import HARNESSES, KNOWN_BUGS, known_bug_of
from fuzz.run import (
    DEFAULT_CORPUS_DIR,
    REPO_ROOT,
    FuzzResult,
    corpus_files,
    fuzz_many,
    fuzz_one,
    parse_libfuzzer_output,
    replay,
)
from fuzz.worker import SELF_TEST_ENV, SELF_TEST_INPUT

FUZZ_SECONDS = int(os.environ.get("RUSTY_FUZZ_SECONDS", "3"))
SMOKE_JOBS = 3
"""libFuzzer processes at a time in a shard. libFuzzer stops on wall-clock time, so a third process
on two cores shortens the run without losing the point of the smoke test: inputs were executed."""
SMOKE_SHARDS = 2
"""xdist groups the harnesses are dealt into (round robin over the sorted names): one a core."""
MAX_CORPUS_BYTES = 200_000
PYTHON_DEFAULT_RECURSION_LIMIT = 1000

# --------------------------------------------------------------------------------------------
# Corpora and replay (no atheris)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(HARNESSES))
def test_every_harness_has_seeds(name: str) -> None:
    assert corpus_files(DEFAULT_CORPUS_DIR, name), f"fuzz/corpora/{name}/ is empty"


def test_seed_corpora_are_committed_and_current() -> None:
    assert seeds.differences(DEFAULT_CORPUS_DIR) == [], "run: python -m fuzz.seeds"


def test_seed_corpora_are_small() -> None:
    total = sum(p.stat().st_size for p in DEFAULT_CORPUS_DIR.rglob("*") if p.is_file())
    assert 0 < total < MAX_CORPUS_BYTES


def test_replay_every_corpus_through_every_harness() -> None:
    count, failures = replay(HARNESSES)
    assert not failures, "\n".join(f"{f.harness}: {f.path.name}: {f.error}" for f in failures)
    assert count >= 3 * len(HARNESSES)


def test_libfuzzer_log_parsing() -> None:
    log = (
        "#2\tINITED cov: 10 ft: 11 corp: 1/1b exec/s: 0 rss: 40Mb\n"
        "#4096\tpulse  cov: 31 ft: 40 corp: 5/9b lim: 4 exec/s: 2048 rss: 41Mb\n"
        "#9000\tDONE   cov: 33 ft: 41 corp: 6/9b lim: 4 exec/s: 3000 rss: 41Mb\n"
        "Done 9000 runs in 3 second(s)\n"
        "stat::number_of_executed_units: 9000\n"
    )
    assert parse_libfuzzer_output(log) == (9000, 33, 3)
    assert parse_libfuzzer_output("INFO: Seed: 1\n") == (0, 0, None)


# --------------------------------------------------------------------------------------------
# Known bugs: still reproducing (expected failure) or fixed (the test fails: clean up)
# --------------------------------------------------------------------------------------------


@contextmanager
def _recursion_limit(limit: int) -> Iterator[None]:
    """Run with the interpreter's default recursion limit (importing py_ecc raises it to 100000)."""
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(limit)
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


def _known_cases() -> list[tuple[str, str, Path]]:
    cases = []
    for bug in KNOWN_BUGS:
        for harness in bug.harnesses:
            for path in corpus_files(DEFAULT_CORPUS_DIR, harness):
                if path.name.startswith(f"known-{bug.ident}"):
                    cases.append((bug.ident, harness, path))
    return cases


def test_every_known_bug_has_a_reproducer() -> None:
    covered = {ident for ident, _, _ in _known_cases()}
    assert covered == {bug.ident for bug in KNOWN_BUGS}


@pytest.mark.parametrize(
    ("ident", "harness", "path"),
    _known_cases(),
    ids=[f"{ident}-{harness}-{path.name}" for ident, harness, path in _known_cases()],
)
def test_known_bug_still_reproduces(ident: str, harness: str, path: Path) -> None:
    data = path.read_bytes()
    try:
        with _recursion_limit(PYTHON_DEFAULT_RECURSION_LIMIT):
            HARNESSES[harness](data)
    except Exception as exc:
        bug = known_bug_of(harness, exc)
        assert bug is not None, f"{path.name} now fails differently: {exc!r}"
        assert bug.ident == ident, f"{path.name} now reproduces {bug.ident}, not {ident}"
        pytest.xfail(f"known bug {ident}: {bug.summary}")
    pytest.fail(
        f"known bug {ident} no longer reproduces from {path.name}: remove it from KNOWN_BUGS, "
        "drop its known-* seeds from fuzz/seeds.py and add the input as a regression seed"
    )


def test_adapter_process_survives_hostile_lines() -> None:
    """Regression (ADAPTER-JSON-ERRORS, found by adapter_serve): the real adapter answers every line."""
    hello = json.dumps({"id": 7, "method": "hello"})
    # An integer over 4300 digits (ValueError in json), then a line nested deeper than the C stack
    # allows at the recursion limit of 100000 that importing py_ecc sets (used to be a SIGSEGV).
    lines = [hello, "1" * 4400, "[" * 150_000 + "]" * 150_000, hello]
    process = subprocess.run(
        [sys.executable, "-m", "conformance.adapter"],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=120,
        check=False,
    )
    assert process.returncode == 0, process.stderr[-2000:]
    answers = [json.loads(line)["result"] for line in process.stdout.splitlines()]
    assert answers == ["ok", "bad_request", "bad_request", "ok"]


# --------------------------------------------------------------------------------------------
# Real atheris runs
# --------------------------------------------------------------------------------------------


SMOKE_NAMES = sorted(HARNESSES)


def _smoke_shard(name: str) -> int:
    return SMOKE_NAMES.index(name) % SMOKE_SHARDS


@pytest.fixture(scope="module")
def smoke_results(tmp_path_factory: pytest.TempPathFactory) -> Callable[[int], dict[str, FuzzResult]]:
    """The results of a shard's batch, run the first time one of its tests asks (once per worker)."""
    crash_dir = tmp_path_factory.mktemp("fuzz-crashes")
    done: dict[int, dict[str, FuzzResult]] = {}

    def results(shard: int) -> dict[str, FuzzResult]:
        if shard not in done:
            names = [name for name in SMOKE_NAMES if _smoke_shard(name) == shard]
            batch = fuzz_many(names, seconds=FUZZ_SECONDS, jobs=SMOKE_JOBS, crash_dir=crash_dir)
            done[shard] = {result.harness: result for result in batch}
        return done[shard]

    return results


def test_smoke_shards_cover_every_harness() -> None:
    shards = {_smoke_shard(name) for name in HARNESSES}
    assert shards == set(range(SMOKE_SHARDS))


@pytest.mark.parametrize(
    "name",
    [
        # One xdist worker per shard: the module fixture then runs each shard's batch once.
        pytest.param(name, marks=pytest.mark.xdist_group(f"atheris_smoke_{_smoke_shard(name)}"))
        for name in SMOKE_NAMES
    ],
)
def test_atheris_smoke_run(name: str, smoke_results: Callable[[int], dict[str, FuzzResult]]) -> None:
    result = smoke_results(_smoke_shard(name))[name]
    tail = "\n".join(result.output.splitlines()[-40:])
    assert result.returncode == 0, f"{name}: libFuzzer exited {result.returncode}\n{tail}"
    assert not result.crashes, f"{name}: crash inputs {result.crashes}\n{tail}"
    assert result.runs > 0, f"{name}: no inputs executed\n{tail}"
    assert result.coverage > 0, f"{name}: no coverage reported (instrumentation missing?)\n{tail}"


def test_atheris_reports_a_crash(tmp_path: Path) -> None:
    """The pipeline detects, saves and reports a crash (the worker's self-test input crashes any harness)."""
    corpus = tmp_path / "corpora"
    (corpus / "varint").mkdir(parents=True)
    (corpus / "varint" / "self-test").write_bytes(SELF_TEST_INPUT)
    result = fuzz_one(
        "varint", runs=10, corpus_dir=corpus, crash_dir=tmp_path / "crashes", env_extra={SELF_TEST_ENV: "1"}
    )
    assert result.returncode != 0 and not result.ok
    assert "fuzz pipeline self-test crash" in result.output
    assert [crash.read_bytes() for crash in result.crashes] == [SELF_TEST_INPUT]


def test_atheris_batch_reports_a_crash_in_its_harness_only(tmp_path: Path) -> None:
    """In a batch, a crashing harness is reported with its input while its siblings run clean."""
    corpus = tmp_path / "corpora"
    (corpus / "varint").mkdir(parents=True)
    (corpus / "varint" / "self-test").write_bytes(SELF_TEST_INPUT)
    (corpus / "encoding").mkdir(parents=True)
    (corpus / "encoding" / "plain").write_bytes(b"\x00")
    crashed, clean = fuzz_many(
        ["varint", "encoding"],
        runs=10,
        jobs=2,
        corpus_dir=corpus,
        crash_dir=tmp_path / "crashes",
        env_extra={SELF_TEST_ENV: "1"},
    )
    assert (crashed.harness, clean.harness) == ("varint", "encoding")
    assert crashed.returncode != 0 and not crashed.ok
    assert "fuzz pipeline self-test crash" in crashed.output
    assert [crash.read_bytes() for crash in crashed.crashes] == [SELF_TEST_INPUT]
    assert clean.ok and not clean.crashes, clean.output[-2000:]

"""One libFuzzer process per harness: ``python -m fuzz.worker <harness> [libFuzzer arguments]``.

Started by :mod:`fuzz.run` (``atheris.Setup`` and ``atheris.Fuzz`` take over the process, so every
harness needs its own). The specification, the conformance layer, the harnesses and ``tomllib``
are imported under ``atheris.instrument_imports`` so that libFuzzer sees their branch coverage.
"""

from __future__ import annotations

import os
import shlex
import sys
import time
from collections.abc import Callable

import atheris

INSTRUMENTED = ["spec", "conformance", "fuzz", "tomllib"]
FUZZ_RECURSION_LIMIT = 1000
"""The recursion limit harnesses run under (Python's default)."""


SETUP_CPU_PREFIX = "rusty-fuzz: setup CPU seconds: "
"""The worker's first line on stderr: the CPU seconds it took to get ready to fuzz."""

SELF_TEST_ENV = "RUSTY_FUZZ_SELF_TEST"
SELF_TEST_INPUT = b"rusty-fuzz-self-test"
"""With ``RUSTY_FUZZ_SELF_TEST=1`` this exact input crashes any harness: the tests use it to check
that a crash is detected, saved as an artifact and reported (independently of any real bug)."""


def _with_self_test(target: Callable[[bytes], None]) -> Callable[[bytes], None]:
    def run(data: bytes) -> None:
        if data == SELF_TEST_INPUT:
            raise AssertionError("fuzz pipeline self-test crash")
        target(data)

    return run


def run(name: str, argv: list[str]) -> None:
    """Fuzz harness ``name`` with libFuzzer; ``argv[0]`` is the program, the rest libFuzzer's arguments.

    Shared by :func:`main` and the generated OSS-Fuzz / ClusterFuzzLite targets
    (:mod:`fuzz.oss_fuzz`), so a packaged target runs exactly what ``python -m fuzz.run`` runs.
    """
    with atheris.instrument_imports(include=INSTRUMENTED):
        from fuzz import harnesses
    # Importing py_ecc (through spec.crypto.bls) raises the recursion limit to 100000; at that limit
    # unbounded recursion only shows with ~100 KB inputs, as a C-stack overflow that kills the worker
    # without a usable report. Python's default limit exposes the same bugs with ~1 KB inputs as a
    # clean RecursionError.
    sys.setrecursionlimit(FUZZ_RECURSION_LIMIT)
    if name not in harnesses.HARNESSES:
        sys.exit(f"unknown harness {name!r}; known: {', '.join(harnesses.HARNESSES)}")
    target = harnesses.tolerant(name)
    if os.environ.get(SELF_TEST_ENV):
        target = _with_self_test(target)
    # The CPU time spent before the first input (imports under instrumentation, ~8 s): fuzz.run
    # subtracts it to report what an execution costs.
    print(f"{SETUP_CPU_PREFIX}{time.process_time():.2f}", file=sys.stderr, flush=True)
    atheris.Setup(argv, target)
    atheris.Fuzz()


def main(argv: list[str]) -> None:
    """Run libFuzzer on harness ``argv[1]``; ``argv[2:]`` goes to libFuzzer unchanged."""
    if len(argv) < 2:
        sys.exit("usage: python -m fuzz.worker <harness> [libFuzzer arguments]")
    name = argv[1]
    # libFuzzer re-runs argv[0] through the shell for -minimize_crash, -fork and -jobs: make it the
    # command that starts this worker again.
    program = " ".join(shlex.quote(part) for part in (sys.executable, "-m", "fuzz.worker", name))
    run(name, [program, *argv[2:]])


if __name__ == "__main__":
    main(sys.argv)

"""One libFuzzer process per harness: ``python -m fuzz.worker <harness> [libFuzzer arguments]``.

Started by :mod:`fuzz.run` (``atheris.Setup`` and ``atheris.Fuzz`` take over the process, so every
harness needs its own). The specification, the conformance layer, the harnesses, ``tomllib`` and the
node's Ethereum JSON-RPC parameter parsing (``reference.eth_params``)
are imported under ``atheris.instrument_imports`` so that libFuzzer sees their branch coverage.

Batch mode (``python -m fuzz.worker --batch PLAN.json``, used by :func:`fuzz.run.fuzz_many`) pays
for those instrumented imports (~8-14 CPU seconds, most of a short run) once: the batch process
imports everything, then forks one child per harness, a few at a time. Each child is a fresh
libFuzzer process as far as libFuzzer is concerned (``atheris.Setup`` runs in the child, after the
fork), with its own log file, exit code and CPU figures; only the import work is shared.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import sys
import time
from collections.abc import Callable
from typing import Any

import atheris

INSTRUMENTED = ["spec", "conformance", "fuzz", "tomllib", "reference.eth_params"]
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


def _import_instrumented() -> Any:
    """Import the harnesses (and all they reach) under instrumentation; return ``fuzz.harnesses``."""
    with atheris.instrument_imports(include=INSTRUMENTED):
        from fuzz import harnesses
    # Importing py_ecc (through spec.crypto.bls) raises the recursion limit to 100000; at that limit
    # unbounded recursion only shows with ~100 KB inputs, as a C-stack overflow that kills the worker
    # without a usable report. Python's default limit exposes the same bugs with ~1 KB inputs as a
    # clean RecursionError.
    sys.setrecursionlimit(FUZZ_RECURSION_LIMIT)
    return harnesses


def _fuzz(harnesses: Any, name: str, argv: list[str]) -> None:
    """Hand the process to libFuzzer for harness ``name`` (does not return)."""
    if name not in harnesses.HARNESSES:
        sys.exit(f"unknown harness {name!r}; known: {', '.join(harnesses.HARNESSES)}")
    target = harnesses.tolerant(name)
    if os.environ.get(SELF_TEST_ENV):
        target = _with_self_test(target)
    # The CPU time this process spent before the first input (imports under instrumentation, ~8 s;
    # about 0 in a batch child, which inherits the imports): fuzz.run subtracts it to report what
    # an execution costs.
    print(f"{SETUP_CPU_PREFIX}{time.process_time():.2f}", file=sys.stderr, flush=True)
    atheris.Setup(argv, target)
    atheris.Fuzz()


def run(name: str, argv: list[str]) -> None:
    """Fuzz harness ``name`` with libFuzzer; ``argv[0]`` is the program, the rest libFuzzer's arguments.

    Shared by :func:`main` and the generated OSS-Fuzz / ClusterFuzzLite targets
    (:mod:`fuzz.oss_fuzz`), so a packaged target runs exactly what ``python -m fuzz.run`` runs.
    """
    harnesses = _import_instrumented()
    _fuzz(harnesses, name, argv)


def _child(harnesses: Any, job: dict[str, Any]) -> None:
    """In a forked child: send stdout and stderr to the job's log, then fuzz (never returns)."""
    try:
        log = os.open(job["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(log)
        _fuzz(harnesses, job["harness"], list(job["argv"]))
    except SystemExit:
        # atheris reports an uncaught exception with sys.exit(-1): the interpreter's normal exit
        # then runs libFuzzer's exit hook, which saves the crashing input (as in a single worker).
        # So let it unwind out of the batch loop, whose frames hold nothing to clean up.
        raise
    except BaseException:  # a child must never fall back into the batch loop
        import traceback

        traceback.print_exc()
        sys.stderr.flush()
        os._exit(1)
    os._exit(0)


def run_batch(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """Fuzz every job of ``plan`` in forked children, at most ``plan["jobs"]`` at a time.

    ``plan["runs"]`` lists ``{"harness", "argv", "log", "timeout"}``: ``argv`` as for :func:`run`,
    ``log`` the file that receives the child's stdout and stderr, ``timeout`` the wall-clock
    seconds after which the child is killed (or null). Returns one ``{"harness", "returncode",
    "cpu_seconds", "seconds"}`` per job, in the plan's order.
    """
    harnesses = _import_instrumented()
    pending = list(enumerate(plan["runs"]))
    running: dict[int, tuple[int, float, float | None]] = {}  # pid -> (index, started, deadline)
    results: list[dict[str, Any]] = [{} for _ in plan["runs"]]
    limit = max(1, int(plan.get("jobs", 1)))
    while pending or running:
        while pending and len(running) < limit:
            index, job = pending.pop(0)
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                _child(harnesses, job)
            started = time.monotonic()
            timeout = job.get("timeout")
            running[pid] = (index, started, started + timeout if timeout else None)
        pid, status, usage = os.wait4(-1, os.WNOHANG)
        if pid == 0:
            now = time.monotonic()
            for child, (_, _, deadline) in running.items():
                if deadline is not None and now > deadline:
                    os.kill(child, signal.SIGKILL)
            time.sleep(0.05)
            continue
        index, started, _ = running.pop(pid)
        results[index] = {
            "harness": plan["runs"][index]["harness"],
            "returncode": os.waitstatus_to_exitcode(status),
            "cpu_seconds": usage.ru_utime + usage.ru_stime,
            "seconds": time.monotonic() - started,
        }
    return results


def main(argv: list[str]) -> None:
    """Run libFuzzer on harness ``argv[1]``; ``argv[2:]`` goes to libFuzzer unchanged."""
    if len(argv) < 2:
        sys.exit("usage: python -m fuzz.worker <harness> [libFuzzer arguments] | --batch PLAN.json")
    if argv[1] == "--batch":
        if len(argv) != 3:
            sys.exit("usage: python -m fuzz.worker --batch PLAN.json")
        with open(argv[2], encoding="utf-8") as handle:
            plan = json.load(handle)
        results = run_batch(plan)
        with open(plan["results"], "w", encoding="utf-8") as handle:
            json.dump(results, handle)
        return
    name = argv[1]
    # libFuzzer re-runs argv[0] through the shell for -minimize_crash, -fork and -jobs: make it the
    # command that starts this worker again.
    program = " ".join(shlex.quote(part) for part in (sys.executable, "-m", "fuzz.worker", name))
    run(name, [program, *argv[2:]])


if __name__ == "__main__":
    main(sys.argv)

"""The conformance runner: drives any implementation's adapter through the vectors.

For every vector it sends one ``run`` request and judges the response:

* valid case: the adapter must answer ``ok`` with an output equal to the vector's ``output``;
* invalid case: the adapter must answer ``error`` with exactly the vector's ``error`` code;
* ``unsupported``: the case is *skipped* (reported, never counted as a pass);
* anything else (wrong output, wrong code, acceptance of an invalid case, ``bad_request``,
  ``internal_error``, a malformed line, a crash or a time-out) fails the case with the reason.

A crashed or hung adapter is restarted and the run continues with the next case.
"""

from __future__ import annotations

import contextlib
import json
import queue
import shlex
import subprocess
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from conformance.model import JSON, Vector
from conformance.vector_schema import validate_vector

DEFAULT_TIMEOUT_SECONDS = 120.0


class AdapterFailure(Exception):
    """The adapter process died, hung, or wrote something that is not a response line."""


class AdapterProcess:
    """One running adapter: requests go to its stdin, response lines come from its stdout."""

    def __init__(self, command: list[str], cwd: Path | None = None) -> None:
        self._stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (closed in close())
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            cwd=cwd,
            text=True,
            bufsize=1,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._pump, daemon=True)
        self._reader.start()
        self._next_id = 0

    def _pump(self) -> None:
        stdout = self._process.stdout
        if stdout is None:
            self._lines.put(None)
            return
        for line in stdout:
            self._lines.put(line)
        self._lines.put(None)

    def stderr_tail(self, limit: int = 2000) -> str:
        """The last ``limit`` characters the adapter wrote to stderr."""
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")[-limit:]

    def request(self, payload: dict[str, JSON], timeout: float) -> dict[str, Any]:
        """Send one request and wait for its response."""
        self._next_id += 1
        message = {**payload, "id": self._next_id}
        stdin = self._process.stdin
        if stdin is None:
            raise AdapterFailure("adapter has no stdin")
        try:
            stdin.write(json.dumps(message, sort_keys=True) + "\n")
            stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise AdapterFailure(f"adapter closed its input: {exc}") from None
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise AdapterFailure(f"no response within {timeout:.0f} s") from None
        if line is None:
            raise AdapterFailure(f"adapter exited (stderr: {self.stderr_tail()!r})")
        try:
            response = json.loads(line)
        except json.JSONDecodeError:
            raise AdapterFailure(f"response is not JSON: {line[:200]!r}") from None
        if not isinstance(response, dict) or response.get("id") != self._next_id:
            raise AdapterFailure(f"response does not answer request {self._next_id}: {line[:200]!r}")
        return response

    def close(self) -> None:
        """Ask the adapter to stop, then make sure it has."""
        if self._process.poll() is None:
            with contextlib.suppress(AdapterFailure):
                self.request({"method": "shutdown"}, timeout=5)
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._stderr.close()

    def kill(self) -> None:
        """Stop the adapter at once."""
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()


@dataclass(frozen=True)
class CaseResult:
    """The verdict on one vector."""

    vector: Vector
    status: str  # "pass" | "fail" | "skip"
    reason: str = ""


@dataclass
class RunReport:
    """All verdicts of one run, with the adapter's self-description."""

    implementation: str
    results: list[CaseResult] = field(default_factory=list)

    def counts(self) -> Counter[str]:
        return Counter(r.status for r in self.results)

    @property
    def ok(self) -> bool:
        """True when no case failed (skips are allowed, and reported)."""
        return self.counts()["fail"] == 0

    def by_handler(self) -> dict[str, Counter[str]]:
        """Status counts per ``preset/flow/handler``."""
        table: dict[str, Counter[str]] = {}
        for result in self.results:
            key = f"{result.vector.preset}/{result.vector.flow}/{result.vector.handler}"
            table.setdefault(key, Counter())[result.status] += 1
        return table

    def to_json(self) -> dict[str, JSON]:
        """A machine-readable report (one entry per case)."""
        counts = self.counts()
        return {
            "implementation": self.implementation,
            "passed": counts["pass"],
            "failed": counts["fail"],
            "skipped": counts["skip"],
            "cases": [
                {"vector": r.vector.relative_path, "status": r.status, "reason": r.reason}
                for r in self.results
            ],
        }


def load_vectors(
    root: Path,
    flows: Iterable[str] | None = None,
    presets: Iterable[str] | None = None,
    forks: Iterable[str] | None = None,
) -> list[Vector]:
    """Read and schema-check every ``*.json`` vector below ``root``
    (``<preset>/<fork>/<flow>/<handler>/<case>.json``), sorted by path."""
    wanted_flows = set(flows) if flows is not None else None
    wanted_presets = set(presets) if presets is not None else None
    wanted_forks = set(forks) if forks is not None else None
    vectors: list[Vector] = []
    for path in sorted(root.rglob("*.json")):
        obj = json.loads(path.read_text(encoding="utf-8"))
        validate_vector(obj)
        vector = Vector.from_json(obj)
        if vector.relative_path != path.relative_to(root).as_posix():
            raise ValueError(f"{path}: contents say {vector.relative_path}")
        if wanted_flows is not None and vector.flow not in wanted_flows:
            continue
        if wanted_presets is not None and vector.preset not in wanted_presets:
            continue
        if wanted_forks is not None and vector.fork not in wanted_forks:
            continue
        vectors.append(vector)
    return vectors


def judge(vector: Vector, response: dict[str, Any]) -> CaseResult:
    """Compare one adapter response with the vector's expectation."""
    result = response.get("result")
    if result == "unsupported":
        return CaseResult(vector, "skip", "adapter does not implement this handler")
    if vector.error is None:
        if result == "ok":
            if response.get("output") == vector.output:
                return CaseResult(vector, "pass")
            return CaseResult(
                vector, "fail", f"output {response.get('output')!r} != expected {vector.output!r}"
            )
        if result == "error":
            return CaseResult(
                vector,
                "fail",
                f"rejected a valid case with {response.get('code')}: {response.get('message', '')}",
            )
    else:
        if result == "error":
            if response.get("code") == vector.error:
                return CaseResult(vector, "pass")
            return CaseResult(
                vector, "fail", f"rejected with {response.get('code')}, expected {vector.error}"
            )
        if result == "ok":
            return CaseResult(vector, "fail", f"accepted an invalid case (expected {vector.error})")
    return CaseResult(vector, "fail", f"adapter answered {result!r}: {response.get('message', '')}")


def run_vectors(
    command: list[str] | str,
    vectors: list[Vector],
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    progress: Callable[[Iterator[Vector]], Iterable[Vector]] | None = None,
    cwd: Path | None = None,
) -> RunReport:
    """Run every vector through the adapter started by ``command``."""
    argv = shlex.split(command) if isinstance(command, str) else list(command)
    adapter = AdapterProcess(argv, cwd)
    try:
        hello = adapter.request({"method": "hello"}, timeout=timeout)
    except AdapterFailure:
        adapter.kill()
        raise
    output = hello.get("output")
    name = str(output.get("implementation", "unknown")) if isinstance(output, dict) else "unknown"
    report = RunReport(implementation=name)
    iterable: Iterable[Vector] = progress(iter(vectors)) if progress is not None else vectors
    for vector in iterable:
        payload: dict[str, JSON] = {
            "method": "run",
            "preset": vector.preset,
            "flow": vector.flow,
            "handler": vector.handler,
            "input": vector.input,
        }
        try:
            response = adapter.request(payload, timeout)
        except AdapterFailure as exc:
            report.results.append(CaseResult(vector, "fail", f"adapter failure: {exc}"))
            adapter.kill()
            adapter = AdapterProcess(argv, cwd)
            adapter.request({"method": "hello"}, timeout=timeout)
            continue
        report.results.append(judge(vector, response))
    adapter.close()
    return report

"""The conformance runner: drives any implementation's adapter through the vectors.

For every vector it sends one ``run`` request and judges the response:

* valid case: the adapter must answer ``ok`` with an output *type-exactly* equal to the vector's
  ``output`` (``true`` is not ``1``, ``1`` is not ``1.0``, integers compare exactly, object member
  order does not matter); a failure names the first differing JSON path;
* invalid case: the adapter must answer ``error`` with exactly the vector's ``error`` code;
* ``unsupported``: the case is *skipped* (reported, never counted as a pass);
* anything else (wrong output, wrong code, acceptance of an invalid case, ``bad_request``,
  ``internal_error``, a malformed line, a crash or a time-out) fails the case with the reason.

A crashed or hung adapter is restarted and the run continues with the next case; an adapter that
fails its ``hello`` (at the start, or again after a restart) ends the run with a reported reason
and every case not run counted as failed. The runner's own resources are bounded: a response
line longer than ``max_line_bytes`` fails the case (the adapter is restarted), only the last
``STDERR_TAIL_BYTES`` of the adapter's stderr are kept, a stalled write counts against the
case's time-out, and an optional total deadline stops the run. A run in which every case was
skipped, or a ``require_flows`` flow has a skipped case or no case, is not ``ok``.
"""

from __future__ import annotations

import contextlib
import fnmatch
import hashlib
import json
import os
import queue
import shlex
import subprocess
import threading
import time
import xml.etree.ElementTree as ET
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.model import FORMAT_VERSION, JSON, Vector
from conformance.vector_schema import validate_vector
from reference import jsonsafe

DEFAULT_TIMEOUT_SECONDS = 120.0
"""Seconds one case may take (the request written and its response line read)."""
MAX_LINE_BYTES = 16 * 1024 * 1024
"""The longest response line accepted (the largest vector output is far below it)."""
STDERR_TAIL_BYTES = 64 * 1024
"""How much of the adapter's stderr is kept (the end; the rest is read and dropped)."""
SUITE_NAME = "rusty-coin-spec conformance"


class AdapterFailure(Exception):
    """The adapter process died, hung, or wrote something that is not a response line."""


_OVERFLOW = object()
"""Queued by the stdout reader when a line exceeds the limit (the reader then stops)."""


class AdapterProcess:
    """One running adapter: requests go to its stdin, response lines come from its stdout.

    Memory is bounded: lines are read with a length limit and at most two are queued ahead
    (the reader blocks, so a chatty adapter is slowed, not buffered); stderr keeps its tail only.
    Requests are written by a writer thread, never by the caller: a caller blocked on a full stdin
    pipe while the adapter is blocked on a full stdout pipe (the reader waiting for the caller to
    take a line) would deadlock until the case's time-out. An adapter that does not read its input
    therefore shows as a case without a response within its time-out.
    """

    def __init__(
        self,
        command: list[str],
        cwd: Path | None = None,
        max_line_bytes: int = MAX_LINE_BYTES,
        stderr_bytes: int = STDERR_TAIL_BYTES,
    ) -> None:
        try:
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=cwd,
            )
        except OSError as exc:  # FileNotFoundError, PermissionError, ...
            raise AdapterFailure(f"cannot start the adapter {command[:1]}: {exc}") from None
        self._max_line = max_line_bytes
        self._stderr_limit = stderr_bytes
        self._stderr_tail = bytearray()
        self._stderr_lock = threading.Lock()
        self._stopping = threading.Event()
        self._lines: queue.Queue[object] = queue.Queue(maxsize=2)
        self._requests: queue.Queue[bytes | None] = queue.Queue()
        self._write_error: str | None = None
        self._next_id = 0
        self._readers = [
            threading.Thread(target=self._pump_stdout, daemon=True),
            threading.Thread(target=self._pump_stderr, daemon=True),
        ]
        for reader in self._readers:
            reader.start()
        threading.Thread(target=self._pump_stdin, daemon=True).start()

    def _put(self, item: object) -> None:
        while not self._stopping.is_set():
            try:
                self._lines.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def _pump_stdout(self) -> None:
        stdout = self._process.stdout
        try:
            while stdout is not None:
                line = stdout.readline(self._max_line + 1)
                if not line:
                    break
                if len(line) > self._max_line:
                    self._put(_OVERFLOW)
                    return
                self._put(line)
        except (OSError, ValueError):
            pass
        self._put(None)

    def _pump_stderr(self) -> None:
        stderr = self._process.stderr
        with contextlib.suppress(OSError, ValueError):
            while stderr is not None:
                chunk = os.read(stderr.fileno(), 65536)
                if not chunk:
                    return
                with self._stderr_lock:
                    self._stderr_tail += chunk
                    del self._stderr_tail[: max(0, len(self._stderr_tail) - self._stderr_limit)]

    def stderr_tail(self, limit: int = 2000) -> str:
        """The last ``limit`` characters the adapter wrote to stderr."""
        with self._stderr_lock:
            return self._stderr_tail.decode(errors="replace")[-limit:]

    def _pump_stdin(self) -> None:
        stdin = self._process.stdin
        while stdin is not None:
            data = self._requests.get()
            if data is None:
                return
            try:
                stdin.write(data)
                stdin.flush()
            except (BrokenPipeError, OSError, ValueError) as exc:
                self._write_error = str(exc)
                return

    def _write(self, data: bytes, timeout: float) -> None:
        """Queue ``data`` for the writer thread (``timeout`` is kept for the callers' signature: a
        write never blocks the caller; an unread request surfaces as its case's time-out)."""
        del timeout
        if self._process.stdin is None:
            raise AdapterFailure("adapter has no stdin")
        if self._write_error is not None:
            raise AdapterFailure(f"adapter closed its input: {self._write_error}")
        self._requests.put(data)

    def request(self, payload: dict[str, JSON], timeout: float) -> dict[str, Any]:
        """Send one request and wait (``timeout`` seconds in all) for its response."""
        started = time.monotonic()
        (request_id,) = self.send([payload], timeout)
        return self.receive(request_id, max(0.0, timeout - (time.monotonic() - started)), timeout)

    def send(self, payloads: list[dict[str, JSON]], timeout: float) -> list[int]:
        """Write several requests in one go (pipelining, through the writer thread); their ids, in
        order."""
        ids = []
        lines = []
        for payload in payloads:
            self._next_id += 1
            ids.append(self._next_id)
            lines.append(json.dumps({**payload, "id": self._next_id}, sort_keys=True))
        self._write(("\n".join(lines) + "\n").encode(), timeout)
        return ids

    def receive(self, request_id: int, timeout: float, limit: float | None = None) -> dict[str, Any]:
        """The next response line, which must answer ``request_id``; wait at most ``timeout`` seconds
        (``limit``, for the message, is the case's whole time-out)."""
        try:
            line = self._lines.get(timeout=max(0.0, timeout))
        except queue.Empty:
            raise AdapterFailure(f"no response within {timeout if limit is None else limit:.3g} s") from None
        if line is _OVERFLOW:
            raise AdapterFailure(f"response line longer than {self._max_line} bytes")
        if not isinstance(line, bytes):
            self._readers[1].join(timeout=1)  # let the stderr reader catch up with the exit
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._process.wait(timeout=1)
            raise AdapterFailure(
                f"adapter exited with status {self._process.returncode} (stderr: {self.stderr_tail()!r})"
            )
        try:
            response = jsonsafe.loads(line)
        except ValueError as exc:
            raise AdapterFailure(f"response is not JSON ({str(exc)[:100]}): {line[:200]!r}") from None
        if not isinstance(response, dict) or response.get("id") != request_id:
            raise AdapterFailure(f"response does not answer request {request_id}: {line[:200]!r}")
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
        self._finish()

    def kill(self) -> None:
        """Stop the adapter at once."""
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._finish()

    def _finish(self) -> None:
        self._stopping.set()
        self._requests.put(None)
        for stream in (self._process.stdin, self._process.stdout, self._process.stderr):
            if stream is not None:
                with contextlib.suppress(OSError, ValueError):
                    stream.close()


# --------------------------------------------------------------------------------------------
# Type-exact comparison
# --------------------------------------------------------------------------------------------


def json_kind(value: object) -> str:
    """The JSON type of a decoded value; ``integer`` and ``float`` are different kinds."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _short(value: object, limit: int = 80) -> str:
    try:
        text = json.dumps(value, sort_keys=True)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _member(path: str, key: str) -> str:
    return f"{path}.{key}" if key.isidentifier() else f"{path}[{json.dumps(key)}]"


def first_difference(expected: object, actual: object, path: str = "$") -> str | None:
    """``None`` when the two JSON values are type-exactly equal, else where and how they first differ.

    Objects compare member by member in sorted key order, arrays item by item; ``true`` differs
    from ``1`` and ``1`` from ``1.0`` (different kinds). The path is JSONPath-like: ``$.a[2].b``.
    """
    expected_kind, actual_kind = json_kind(expected), json_kind(actual)
    if expected_kind != actual_kind:
        return f"{path}: expected {expected_kind} {_short(expected)}, got {actual_kind} {_short(actual)}"
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in sorted(set(expected) | set(actual)):
            where = _member(path, str(key))
            if key not in actual:
                return f"{where}: missing (expected {_short(expected[key])})"
            if key not in expected:
                return f"{where}: not expected (got {_short(actual[key])})"
            difference = first_difference(expected[key], actual[key], where)
            if difference is not None:
                return difference
        return None
    if isinstance(expected, list | tuple) and isinstance(actual, list | tuple):
        for index, (left, right) in enumerate(zip(expected, actual, strict=False)):
            difference = first_difference(left, right, f"{path}[{index}]")
            if difference is not None:
                return difference
        if len(expected) != len(actual):
            return f"{path}: expected {len(expected)} items, got {len(actual)}"
        return None
    if expected != actual:
        return f"{path}: expected {_short(expected)}, got {_short(actual)}"
    return None


# --------------------------------------------------------------------------------------------
# Results and reports
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseResult:
    """The verdict on one vector (``expected``/``actual`` are kept for failures only)."""

    vector: Vector
    status: str  # "pass" | "fail" | "skip"
    reason: str = ""
    seconds: float = 0.0
    expected: JSON = None
    actual: JSON = None


@dataclass(frozen=True)
class SuiteInfo:
    """Which suite a run used: its release version (or ``unreleased``) and a hash of its vectors."""

    version: str
    hash: str


def expected_response(vector: Vector) -> dict[str, JSON]:
    """What a conforming adapter answers for ``vector`` (the ``message`` of an error is free)."""
    if vector.error is None:
        return {"result": "ok", "output": vector.output}
    return {"result": "error", "code": vector.error}


def suite_hash(vectors: Iterable[Vector]) -> str:
    """SHA-256 over the ``sha256sum`` lines of the vectors' canonical bytes, sorted by path."""
    lines = sorted(f"{hashlib.sha256(v.to_bytes()).hexdigest()}  {v.relative_path}\n" for v in vectors)
    return hashlib.sha256("".join(lines).encode()).hexdigest()


@dataclass
class RunReport:
    """All verdicts of one run, with the adapter's self-description."""

    implementation: str
    results: list[CaseResult] = field(default_factory=list)
    suite: SuiteInfo = SuiteInfo("unreleased", "")
    aborted: str | None = None
    """Why the run ended early (the adapter's hello failed, the total deadline passed)."""
    stopped_early: bool = False
    """``--fail-fast`` stopped the run at its first failure."""
    require_flows: tuple[str, ...] = ()
    seconds: float = 0.0

    def counts(self) -> Counter[str]:
        return Counter(r.status for r in self.results)

    def problems(self) -> list[str]:
        """Run-level reasons for failing besides failed cases (abort, all skipped, required flows)."""
        found = [] if self.aborted is None else [f"run aborted: {self.aborted}"]
        counts = self.counts()
        if self.results and counts["pass"] + counts["fail"] == 0:
            found.append("every case was skipped: the adapter supports none of the selected handlers")
        for flow in self.require_flows:
            statuses = Counter(r.status for r in self.results if r.vector.flow == flow)
            if not statuses:
                found.append(f"required flow {flow}: no case was run")
            elif statuses["skip"]:
                found.append(f"required flow {flow}: {statuses['skip']} cases skipped (unsupported)")
        return found

    @property
    def ok(self) -> bool:
        """True when no case failed and there is no run-level problem (skips alone are reported)."""
        return self.counts()["fail"] == 0 and not self.problems()

    def by_handler(self) -> dict[str, Counter[str]]:
        """Status counts per ``preset/flow/handler``."""
        table: dict[str, Counter[str]] = {}
        for result in self.results:
            key = f"{result.vector.preset}/{result.vector.flow}/{result.vector.handler}"
            table.setdefault(key, Counter())[result.status] += 1
        return table

    def by_flow(self) -> dict[str, tuple[Counter[str], float]]:
        """Status counts and adapter seconds per flow (all presets and forks), the short summary."""
        table: dict[str, tuple[Counter[str], float]] = {}
        for result in self.results:
            counts, seconds = table.get(result.vector.flow, (Counter(), 0.0))
            counts[result.status] += 1
            table[result.vector.flow] = (counts, seconds + result.seconds)
        return table

    def to_json(self) -> dict[str, Any]:
        """A machine-readable report (one entry per case; expected and actual for failures; the
        per-``preset/flow/handler`` counts under ``handlers``)."""
        counts = self.counts()
        cases: list[dict[str, Any]] = []
        for r in self.results:
            entry: dict[str, Any] = {
                "vector": r.vector.relative_path,
                "status": r.status,
                "reason": r.reason,
                "seconds": round(r.seconds, 6),
            }
            if r.status == "fail":
                entry["expected"] = r.expected
                entry["actual"] = r.actual
            cases.append(entry)
        return {
            "implementation": self.implementation,
            "suite": {"version": self.suite.version, "hash": self.suite.hash, "format": FORMAT_VERSION},
            "ok": self.ok,
            "passed": counts["pass"],
            "failed": counts["fail"],
            "skipped": counts["skip"],
            "problems": list(self.problems()),
            "aborted": self.aborted,
            "stopped_early": self.stopped_early,
            "seconds": round(self.seconds, 3),
            "handlers": {
                key: {status: counts[status] for status in ("pass", "fail", "skip")}
                for key, counts in sorted(self.by_handler().items())
            },
            "cases": cases,
        }

    def to_junit(self) -> bytes:
        """JUnit XML: one ``testsuite`` per preset/flow/handler, one ``testcase`` per vector.

        Each suite carries the suite version and hash and the implementation as properties; a
        failure's text holds the expected and the actual response; times are in seconds.
        """
        root = ET.Element("testsuites", name=SUITE_NAME)
        groups: dict[str, list[CaseResult]] = {}
        for result in self.results:
            key = f"{result.vector.preset}/{result.vector.flow}/{result.vector.handler}"
            groups.setdefault(key, []).append(result)
        totals: Counter[str] = Counter()
        for key, results in groups.items():
            counts = Counter(r.status for r in results)
            totals.update(counts)
            suite = ET.SubElement(
                root,
                "testsuite",
                name=key,
                tests=str(len(results)),
                failures=str(counts["fail"]),
                errors="0",
                skipped=str(counts["skip"]),
                time=f"{sum(r.seconds for r in results):.6f}",
            )
            properties = ET.SubElement(suite, "properties")
            for name, value in (
                ("suite_version", self.suite.version),
                ("suite_hash", self.suite.hash),
                ("vector_format", str(FORMAT_VERSION)),
                ("implementation", self.implementation),
            ):
                ET.SubElement(properties, "property", name=name, value=value)
            for result in results:
                case = ET.SubElement(
                    suite,
                    "testcase",
                    classname=key.replace("/", "."),
                    name=result.vector.case,
                    file=result.vector.relative_path,
                    time=f"{result.seconds:.6f}",
                )
                if result.status == "fail":
                    failure = ET.SubElement(case, "failure", message=result.reason[:1000], type="mismatch")
                    failure.text = (
                        f"expected: {json.dumps(result.expected, sort_keys=True)}\n"
                        f"actual: {json.dumps(result.actual, sort_keys=True)}\n"
                    )
                elif result.status == "skip":
                    ET.SubElement(case, "skipped", message=result.reason)
        root.set("tests", str(len(self.results)))
        root.set("failures", str(totals["fail"]))
        root.set("errors", "0")
        root.set("skipped", str(totals["skip"]))
        root.set("time", f"{self.seconds:.6f}")
        if self.problems():
            ET.SubElement(root, "system-err").text = "\n".join(self.problems())
        ET.indent(root)
        return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True)) + b"\n"


def failed_paths(report: dict[str, Any]) -> set[str]:
    """The vector paths a previous JSON report failed (for ``--rerun-failures``)."""
    cases = report.get("cases")
    if not isinstance(cases, list):
        raise ValueError("not a conformance report: no cases")
    return {
        str(case["vector"])
        for case in cases
        if isinstance(case, dict) and case.get("status") == "fail" and isinstance(case.get("vector"), str)
    }


# --------------------------------------------------------------------------------------------
# Loading and choosing vectors
# --------------------------------------------------------------------------------------------


def vector_from_bytes(data: bytes, where: str) -> Vector:
    """Parse (depth-checked) and schema-check one vector file's bytes."""
    try:
        obj = jsonsafe.loads(data)
    except ValueError as exc:
        raise ValueError(f"{where}: not a JSON vector: {exc}") from None
    validate_vector(obj)
    return Vector.from_json(obj)


def check_vector_path(vector: Vector, relative: str) -> None:
    """A vector's file must be ``<case>.json`` below directories naming its preset, fork, flow and handler.

    The directories are matched in order but not at fixed depths, so layouts with an extra level
    (``<preset>/<fork>/<flow>/<handler>/<case>.json``) load too; what a vector *is* comes from its
    contents, the path only has to agree.
    """
    parts = relative.split("/")
    if parts[-1] != f"{vector.case}.json":
        raise ValueError(f"{relative}: contents say case {vector.case}")
    directories = iter(parts[:-1])
    for name in (vector.preset, vector.fork, vector.flow, vector.handler):
        if name not in directories:
            raise ValueError(f"{relative}: contents say {vector.relative_path}")


def filter_vectors(
    vectors: Iterable[Vector],
    flows: Iterable[str] | None = None,
    presets: Iterable[str] | None = None,
    handlers: Iterable[str] | None = None,
    cases: Iterable[str] | None = None,
    paths: Iterable[str] | None = None,
    forks: Iterable[str] | None = None,
) -> list[Vector]:
    """The vectors matching every given filter (``None`` or empty: no filter).

    ``handlers`` are names (``root``) or ``flow/handler``; ``cases`` are globs matched against the
    case name and against ``flow/handler/case``; ``paths`` are exact relative paths.
    """
    wanted_flows, wanted_presets, wanted_forks = set(flows or ()), set(presets or ()), set(forks or ())
    wanted_handlers, globs, wanted_paths = set(handlers or ()), list(cases or ()), set(paths or ())
    chosen: list[Vector] = []
    for vector in vectors:
        if wanted_flows and vector.flow not in wanted_flows:
            continue
        if wanted_presets and vector.preset not in wanted_presets:
            continue
        if wanted_forks and vector.fork not in wanted_forks:
            continue
        if wanted_handlers and not {vector.handler, f"{vector.flow}/{vector.handler}"} & wanted_handlers:
            continue
        long_name = f"{vector.flow}/{vector.handler}/{vector.case}"
        if globs and not any(fnmatch.fnmatchcase(n, g) for g in globs for n in (vector.case, long_name)):
            continue
        if paths is not None and vector.relative_path not in wanted_paths:
            continue
        chosen.append(vector)
    return chosen


def load_vectors(
    root: Path,
    flows: Iterable[str] | None = None,
    presets: Iterable[str] | None = None,
    forks: Iterable[str] | None = None,
) -> list[Vector]:
    """Read and schema-check every ``*.json`` vector below ``root``
    (``<preset>/<fork>/<flow>/<handler>/<case>.json``, walked at any depth), sorted by path."""
    vectors: list[Vector] = []
    seen: set[str] = set()
    for path in sorted(root.rglob("*.json")):
        relative = path.relative_to(root).as_posix()
        vector = vector_from_bytes(path.read_bytes(), str(path))
        check_vector_path(vector, relative)
        if vector.relative_path in seen:
            raise ValueError(f"{path}: a second vector {vector.relative_path}")
        seen.add(vector.relative_path)
        vectors.append(vector)
    return filter_vectors(vectors, flows, presets, forks=forks)


# --------------------------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------------------------


def judge(vector: Vector, response: dict[str, Any], seconds: float = 0.0) -> CaseResult:
    """Compare one adapter response with the vector's expectation (type-exact output equality)."""
    result = response.get("result")
    actual: JSON = {key: value for key, value in response.items() if key != "id"}
    expected = expected_response(vector)

    def fail(reason: str) -> CaseResult:
        return CaseResult(vector, "fail", reason, seconds, expected, actual)

    if result == "unsupported":
        return CaseResult(vector, "skip", "adapter does not implement this handler", seconds)
    if vector.error is None:
        if result == "ok":
            if "output" not in response:
                return fail("answered ok without an output")
            difference = first_difference(vector.output, response["output"], "$")
            if difference is None:
                return CaseResult(vector, "pass", "", seconds)
            return fail(f"output differs at {difference}")
        if result == "error":
            return fail(f"rejected a valid case with {response.get('code')}: {response.get('message', '')}")
    else:
        if result == "error":
            code = response.get("code")
            if isinstance(code, str) and code == vector.error:
                return CaseResult(vector, "pass", "", seconds)
            return fail(f"rejected with {code!r}, expected {vector.error}")
        if result == "ok":
            return fail(f"accepted an invalid case (expected {vector.error})")
    return fail(f"adapter answered {result!r}: {response.get('message', '')}")


def _start(
    argv: list[str], cwd: Path | None, timeout: float, max_line_bytes: int
) -> tuple[AdapterProcess, str]:
    """Start the adapter and complete its hello; ``AdapterFailure`` if either fails."""
    adapter = AdapterProcess(argv, cwd, max_line_bytes)
    try:
        hello = adapter.request({"method": "hello"}, timeout=timeout)
    except AdapterFailure as exc:
        tail = adapter.stderr_tail(500)
        adapter.kill()
        raise AdapterFailure(f"{exc}" + (f" (stderr: {tail!r})" if tail else "")) from None
    if hello.get("result") != "ok":
        adapter.kill()
        raise AdapterFailure(f"hello answered {hello.get('result')!r}: {hello.get('message', '')}")
    output = hello.get("output")
    name = str(output.get("implementation", "unknown")) if isinstance(output, dict) else "unknown"
    return adapter, name


PIPELINE_DEPTH = 32
"""Requests kept in flight to the adapter (written in batches of about half this many), so the two
processes do not wait for each other on every case; the adapter still answers them in order."""


def _run_payload(vector: Vector) -> dict[str, JSON]:
    return {
        "method": "run",
        "preset": vector.preset,
        "flow": vector.flow,
        "handler": vector.handler,
        "input": vector.input,
    }


def run_vectors(
    command: list[str] | str,
    vectors: list[Vector],
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    progress: Callable[[Iterator[Vector]], Iterable[Vector]] | None = None,
    cwd: Path | None = None,
    *,
    deadline: float | None = None,
    fail_fast: bool = False,
    require_flows: Iterable[str] = (),
    suite: SuiteInfo | None = None,
    max_line_bytes: int = MAX_LINE_BYTES,
    pipeline_depth: int = PIPELINE_DEPTH,
) -> RunReport:
    """Run every vector through the adapter started by ``command``; never raises for adapter behaviour.

    Up to ``pipeline_depth`` requests are in flight (1: strictly one at a time); each case keeps its
    own ``timeout``, counted from when it was sent and the case before it was answered.

    ``deadline`` bounds the whole run in seconds (cases not reached fail as "not run");
    ``fail_fast`` stops after the first failed case.
    """
    argv = shlex.split(command) if isinstance(command, str) else list(command)
    pipeline_depth = max(1, pipeline_depth)
    started = time.monotonic()
    end = None if deadline is None else started + deadline
    report = RunReport(
        implementation="unknown",
        suite=suite or SuiteInfo("unreleased", suite_hash(vectors)),
        require_flows=tuple(require_flows),
    )

    def budget() -> float:
        return timeout if end is None else min(timeout, end - time.monotonic())

    def abort(reason: str, remaining: Iterable[Vector]) -> None:
        report.aborted = reason
        report.results.extend(CaseResult(v, "fail", f"not run: {reason}") for v in remaining)

    pending = list(vectors)
    try:
        adapter, report.implementation = _start(argv, cwd, max(budget(), 0.001), max_line_bytes)
    except AdapterFailure as exc:
        abort(f"the adapter's hello failed: {exc}", pending)
        report.seconds = time.monotonic() - started
        return report
    live: AdapterProcess | None = adapter
    iterable: Iterable[Vector] = progress(iter(pending)) if progress is not None else pending
    upcoming = iter(iterable)
    resend: deque[Vector] = deque()  # sent to an adapter that then failed: send again, first
    in_flight: deque[tuple[Vector, int, float]] = deque()  # (vector, request id, time sent)
    done = 0
    last_answer = time.monotonic()
    while True:
        if len(in_flight) <= pipeline_depth // 2:  # refill in batches: one write per batch
            batch: list[Vector] = []
            while len(in_flight) + len(batch) < pipeline_depth:
                if resend:
                    batch.append(resend.popleft())
                    continue
                following = next(upcoming, None)
                if following is None:
                    break
                batch.append(following)
            if batch:
                try:
                    ids = adapter.send([_run_payload(v) for v in batch], max(budget(), 0.001))
                except AdapterFailure:
                    ids = [0] * len(batch)  # the first receive reports the dead adapter
                sent = time.monotonic()
                in_flight.extend((v, i, sent) for v, i in zip(batch, ids, strict=True))
        if not in_flight:
            break
        if budget() <= 0:
            abort(f"the total deadline of {deadline} s passed", pending[done:])
            break
        vector, request_id, sent = in_flight.popleft()
        done += 1
        # A pipelined case's clock starts when the adapter could start it: once it was sent and the
        # previous case was answered.
        case_started = max(sent, last_answer)
        remaining = timeout - (time.monotonic() - case_started)
        if end is not None:
            remaining = min(remaining, end - time.monotonic())
        try:
            if request_id == 0:
                raise AdapterFailure("adapter closed its input")
            response = adapter.receive(request_id, remaining, timeout)
        except AdapterFailure as exc:
            seconds = time.monotonic() - case_started
            report.results.append(
                CaseResult(vector, "fail", f"adapter failure: {exc}", seconds, expected_response(vector))
            )
            adapter.kill()
            live = None
            resend.extendleft(reversed([v for v, _, _ in in_flight]))
            in_flight.clear()
            if fail_fast:
                report.stopped_early = True
                break
            if budget() <= 0:
                abort(f"the total deadline of {deadline} s passed", pending[done:])
                break
            try:
                adapter, _ = _start(argv, cwd, budget(), max_line_bytes)
            except AdapterFailure as again:
                abort(f"the adapter failed its hello after a restart: {again}", pending[done:])
                break
            live = adapter
            last_answer = time.monotonic()
            continue
        last_answer = time.monotonic()
        verdict = judge(vector, response, last_answer - case_started)
        report.results.append(verdict)
        if fail_fast and verdict.status == "fail":
            report.stopped_early = True
            break
    if live is not None:
        if report.aborted is None and not in_flight:
            live.close()
        else:
            live.kill()
    report.seconds = time.monotonic() - started
    return report


def write_report(report: RunReport, json_path: Path | None, junit_path: Path | None) -> None:
    """Write the JSON report and the JUnit XML (either may be ``None``)."""
    if json_path is not None:
        json_path.write_text(json.dumps(report.to_json(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    if junit_path is not None:
        junit_path.write_bytes(report.to_junit())


def junit_path_for(json_path: Path) -> Path:
    """Where the JUnit XML goes beside a JSON report: the same name with ``.xml``."""
    return (
        json_path.with_suffix(".xml") if json_path.suffix != ".xml" else json_path.with_suffix(".junit.xml")
    )

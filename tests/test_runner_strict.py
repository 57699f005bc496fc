"""The strict, bounded conformance runner, driven with small fake adapters written here.

Type-exact equality with a diff at the first differing JSON path; line, stderr and time bounds;
a failed hello (at start or after a restart) is a reported failure; filters, --fail-fast,
--rerun-failures, --require-flow, JUnit XML; clear errors before the run starts.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conformance.cli import main as rusty_spec
from conformance.model import Vector
from conformance.runner import (
    STDERR_TAIL_BYTES,
    AdapterProcess,
    filter_vectors,
    first_difference,
    load_vectors,
    run_vectors,
)

ROOT = Path(__file__).resolve().parent.parent

FAKE_ADAPTER = textwrap.dedent(
    '''
    """A fake adapter: answers each run request from a table keyed by input["k"]."""
    import json, os, sys, time

    mode, table_path, state = sys.argv[1], sys.argv[2], sys.argv[3]
    with open(table_path) as handle:
        table = json.load(handle)
    if mode == "stderr_flood":
        chunk = "e" * 65536
        for _ in range(800):  # 50 MiB
            sys.stderr.write(chunk)
        sys.stderr.write("THE-END")
        sys.stderr.flush()
    with open(state, "a") as log:
        log.write("start\\n")
    for line in sys.stdin:
        request = json.loads(line)
        method = request.get("method")
        if method == "hello":
            if mode == "hello_hang":
                time.sleep(60)
            if mode == "dies_on_restart" and os.path.getsize(state) > len("start\\n"):
                sys.exit(4)
            response = {"result": "ok", "output": {"implementation": "fake " + mode, "protocol": 1}}
        elif method == "shutdown":
            response = {"result": "ok", "output": None}
        else:
            key = request["input"]["k"]
            if key == "crash":
                sys.exit(3)
            if key == "hang":
                time.sleep(60)
            if key == "huge":
                sys.stdout.write("[" + "0," * (50 * 1024 * 1024) + "0]\\n")  # a 100 MiB line
                sys.stdout.flush()
                continue
            response = table.get(key, {"result": "unsupported"})
        sys.stdout.write(json.dumps({"id": request["id"], **response}) + "\\n")
        sys.stdout.flush()
        if method == "shutdown":
            break
    '''
)


def _vector(case: str, output: Any = None, error: str | None = None, flow: str = "hashing") -> Vector:
    return Vector(
        preset="devnet",
        flow=flow,
        handler="tagged_hash" if flow == "hashing" else "root",
        case=case,
        description=f"fake case {case}",
        input={"k": case},
        output=output if error is None else None,
        error=error,
    )


def _ok(output: Any) -> dict[str, Any]:
    return {"result": "ok", "output": output}


@pytest.fixture
def fake(tmp_path: Path) -> Any:
    script = tmp_path / "fake_adapter.py"
    script.write_text(FAKE_ADAPTER)

    def command(mode: str, table: dict[str, Any]) -> list[str]:
        table_path = tmp_path / f"table-{mode}.json"
        table_path.write_text(json.dumps(table))
        state = tmp_path / f"state-{mode}.log"
        state.unlink(missing_ok=True)
        return [sys.executable, str(script), mode, str(table_path), str(state)]

    return command


EXPECTED = {"flag": True, "n": 1, "big": 2**64 + 1, "items": [1, {"x": "ab"}], "r": 1.5}


# --- type-exact equality ------------------------------------------------------------------------


def test_first_difference_is_type_exact_and_names_the_path() -> None:
    assert first_difference(EXPECTED, json.loads(json.dumps(EXPECTED))) is None
    reordered = dict(reversed(list(EXPECTED.items())))
    assert first_difference(EXPECTED, reordered) is None
    cases = {
        "$.flag: expected boolean true, got integer 1": {**EXPECTED, "flag": 1},
        "$.n: expected integer 1, got float 1.0": {**EXPECTED, "n": 1.0},
        "$.n: expected integer 1, got boolean true": {**EXPECTED, "n": True},
        f"$.big: expected {2**64 + 1}, got {2**64}": {**EXPECTED, "big": 2**64},
        "$.big: expected integer 18446744073709551617, got float 1.8446744073709552e+19": {
            **EXPECTED,
            "big": float(2**64 + 1),
        },
        '$.items[1].x: expected "ab", got "AB"': {**EXPECTED, "items": [1, {"x": "AB"}]},
        "$.items: expected 2 items, got 3": {**EXPECTED, "items": [1, {"x": "ab"}, None]},
        "$.n: missing (expected 1)": {k: v for k, v in EXPECTED.items() if k != "n"},
        "$.zz: not expected (got 0)": {**EXPECTED, "zz": 0},
        '$["a b"]: not expected (got 0)': {**EXPECTED, "a b": 0},
        "$: expected object": [],
    }
    for message, actual in cases.items():
        difference = first_difference(EXPECTED, actual)
        assert difference is not None and difference.startswith(message), (message, difference)


def test_runner_output_equality_is_type_exact(fake: Any) -> None:
    vectors = [
        _vector("exact", EXPECTED),
        _vector("bool_as_int", EXPECTED),
        _vector("int_as_float", EXPECTED),
        _vector("rounded_big", EXPECTED),
        _vector("reject", error="SOME_CODE"),
        _vector("reject_wrong_code", error="SOME_CODE"),
    ]
    table = {
        "exact": _ok(EXPECTED),
        "bool_as_int": _ok({**EXPECTED, "flag": 1}),
        "int_as_float": _ok({**EXPECTED, "n": 1.0}),
        "rounded_big": _ok({**EXPECTED, "big": 2**64}),
        "reject": {"result": "error", "code": "SOME_CODE", "message": "no"},
        "reject_wrong_code": {"result": "error", "code": ["SOME_CODE"]},
    }
    report = run_vectors(fake("table", table), vectors, timeout=30)
    verdicts = {r.vector.case: r for r in report.results}
    assert verdicts["exact"].status == verdicts["reject"].status == "pass"
    assert verdicts["bool_as_int"].reason == "output differs at $.flag: expected boolean true, got integer 1"
    assert verdicts["int_as_float"].reason.startswith("output differs at $.n: expected integer 1, got float")
    assert verdicts["rounded_big"].reason.startswith("output differs at $.big")
    assert verdicts["reject_wrong_code"].status == "fail"
    failure = verdicts["bool_as_int"]
    assert failure.expected == {"result": "ok", "output": EXPECTED}
    assert failure.actual == {"result": "ok", "output": {**EXPECTED, "flag": 1}}
    assert report.implementation == "fake table" and not report.ok


# --- bounds -------------------------------------------------------------------------------------


def test_a_100_mib_line_fails_its_case_in_bounded_memory(fake: Any, tmp_path: Path) -> None:
    """In a separate process so its I/O counters are the runner's own.

    What the runner pulled out of its pipes (``rchar`` in ``/proc/self/io``, which also counts
    the module files it imported) is deterministic, unlike peak RSS on a loaded machine; reading
    the whole line cost 528 MB of RSS and over 100 MiB of ``rchar``.
    """
    command = fake("table", {"after": _ok({"v": 1})})
    code = textwrap.dedent(
        f"""
        import json
        from conformance.model import Vector
        from conformance.runner import run_vectors
        vectors = [Vector("devnet", "hashing", "tagged_hash", c, "d", {{"k": c}}, {{"v": 1}}, None)
                   for c in ("huge", "after")]
        report = run_vectors({command!r}, vectors, timeout=60, max_line_bytes=1024 * 1024)
        io = dict(line.split(": ") for line in open("/proc/self/io").read().splitlines())
        results = [[r.status, r.reason] for r in report.results]
        print(json.dumps({{"read_mib": int(io["rchar"]) / 2**20, "results": results}}))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300, check=True
    )
    outcome = json.loads(done.stdout.splitlines()[-1])
    (huge_status, huge_reason), (after_status, _) = outcome["results"]
    assert huge_status == "fail" and "longer than 1048576 bytes" in huge_reason
    assert after_status == "pass"  # the adapter was restarted
    # about 12 MiB (imports plus at most one 1 MiB line); unbounded reading pulls over 100 MiB
    assert outcome["read_mib"] < 32, outcome


def test_stderr_keeps_only_a_bounded_tail(fake: Any) -> None:
    adapter = AdapterProcess(fake("stderr_flood", {"a": _ok(1)}), stderr_bytes=4096)
    try:
        hello = adapter.request({"method": "hello"}, timeout=60)  # answered after 50 MiB of stderr
        assert hello["result"] == "ok"
        for _ in range(200):  # the stderr reader may still be behind the stdout line: wait for it
            tail = adapter.stderr_tail(limit=10**9)
            if tail.endswith("THE-END"):
                break
            time.sleep(0.05)
        assert len(tail) <= 4096 and tail.endswith("THE-END")
    finally:
        adapter.close()
    assert STDERR_TAIL_BYTES <= 1024 * 1024


def test_total_deadline_stops_a_hanging_run(fake: Any) -> None:
    vectors = [_vector("first", 1), _vector("hang", 1), _vector("third", 1), _vector("fourth", 1)]
    report = run_vectors(fake("table", {"first": _ok(1)}), vectors, timeout=120, deadline=2)
    statuses = [(r.vector.case, r.status) for r in report.results]
    assert statuses == [("first", "pass"), ("hang", "fail"), ("third", "fail"), ("fourth", "fail")]
    assert report.aborted is not None and "deadline" in report.aborted
    assert all("not run" in r.reason for r in report.results[2:])
    assert not report.ok


def test_hello_timeout_is_reported_not_raised(fake: Any) -> None:
    vectors = [_vector("a", 1), _vector("b", 1)]
    report = run_vectors(fake("hello_hang", {}), vectors, timeout=1)
    assert report.aborted is not None and "hello failed" in report.aborted and "no response" in report.aborted
    assert [r.status for r in report.results] == ["fail", "fail"]
    assert not report.ok and "run aborted" in report.problems()[0]


def test_missing_adapter_program_is_reported_not_raised() -> None:
    report = run_vectors(["/nonexistent/adapter"], [_vector("a", 1)], timeout=5)
    assert report.aborted is not None and "cannot start" in report.aborted and not report.ok


def test_adapter_dying_again_on_hello_after_a_restart_is_a_reported_failure(fake: Any) -> None:
    vectors = [_vector("first", 1), _vector("crash", 1), _vector("third", 1)]
    report = run_vectors(fake("dies_on_restart", {"first": _ok(1)}), vectors, timeout=30)
    assert [r.status for r in report.results] == ["pass", "fail", "fail"]
    assert "adapter failure" in report.results[1].reason
    assert report.aborted is not None and "hello after a restart" in report.aborted
    assert "adapter exited with status 4" in report.aborted


# --- selection and run control ------------------------------------------------------------------


def test_filters_by_handler_and_case_glob() -> None:
    vectors = [
        _vector("alpha_one", 1),
        _vector("alpha_two", 1),
        _vector("beta", 1),
        _vector("alpha_three", 1, flow="merkle"),
    ]

    def names(chosen: list[Vector]) -> list[str]:
        return [v.case for v in chosen]

    assert names(filter_vectors(vectors, handlers=["root"])) == ["alpha_three"]
    assert names(filter_vectors(vectors, handlers=["hashing/tagged_hash"])) == [
        "alpha_one",
        "alpha_two",
        "beta",
    ]
    assert names(filter_vectors(vectors, cases=["alpha_*"])) == ["alpha_one", "alpha_two", "alpha_three"]
    assert names(filter_vectors(vectors, cases=["merkle/*/alpha*"])) == ["alpha_three"]
    assert names(filter_vectors(vectors, handlers=["tagged_hash"], cases=["*_t*"])) == ["alpha_two"]
    assert names(filter_vectors(vectors, paths=set())) == []


def test_fail_fast_stops_at_the_first_failure(fake: Any) -> None:
    vectors = [_vector("a", 1), _vector("b", 1), _vector("c", 1)]
    report = run_vectors(fake("table", {"a": _ok(1), "b": _ok(2), "c": _ok(1)}), vectors, fail_fast=True)
    assert [r.status for r in report.results] == ["pass", "fail"] and report.stopped_early


def test_all_skipped_and_required_flows_fail_the_run(fake: Any) -> None:
    vectors = [_vector("a", 1), _vector("b", 1, flow="merkle")]
    nothing = run_vectors(fake("table", {}), vectors)
    assert nothing.counts()["skip"] == 2 and not nothing.ok
    assert any("every case was skipped" in p for p in nothing.problems())
    partial = run_vectors(fake("table", {"a": _ok(1)}), vectors)
    assert partial.ok  # a skip alone is reported, not a failure
    required = run_vectors(fake("table", {"a": _ok(1)}), vectors, require_flows=["merkle"])
    assert not required.ok and required.problems() == ["required flow merkle: 1 cases skipped (unsupported)"]
    absent = run_vectors(fake("table", {"a": _ok(1)}), vectors[:1], require_flows=["merkle"])
    assert absent.problems() == ["required flow merkle: no case was run"]


# --- the command line ---------------------------------------------------------------------------


def _write_vectors(root: Path, vectors: list[Vector]) -> Path:
    for vector in vectors:
        path = root / vector.relative_path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(vector.to_bytes())
    return root


def _adapter_string(command: list[str]) -> str:
    return " ".join(command)


def test_cli_report_junit_and_rerun_failures(fake: Any, tmp_path: Path) -> None:
    vectors = [_vector("good", {"v": 1}), _vector("bad", {"v": 1}), _vector("rejected", error="SOME_CODE")]
    vectors_dir = _write_vectors(tmp_path / "vectors", vectors)
    table = {
        "good": _ok({"v": 1}),
        "bad": _ok({"v": True}),
        "rejected": {"result": "error", "code": "SOME_CODE"},
    }
    adapter = _adapter_string(fake("table", table))
    report_path = tmp_path / "out" / "report.json"
    report_path.parent.mkdir()
    runner = CliRunner()
    first = runner.invoke(
        rusty_spec, ["run", "--vectors", str(vectors_dir), "--adapter", adapter, "--report", str(report_path)]
    )
    assert first.exit_code == 1, first.output
    report = json.loads(report_path.read_text())
    assert (report["passed"], report["failed"], report["ok"]) == (2, 1, False)
    assert len(report["suite"]["hash"]) == 64 and report["suite"]["version"] == "unreleased"
    bad = next(case for case in report["cases"] if case["status"] == "fail")
    assert bad["expected"] == {"result": "ok", "output": {"v": 1}}
    assert bad["actual"] == {"result": "ok", "output": {"v": True}}
    assert bad["reason"] == "output differs at $.v: expected integer 1, got boolean true"
    # the short summary: one row per flow; the per-handler table in the report and with --verbose
    assert report["handlers"] == {"devnet/hashing/tagged_hash": {"pass": 2, "fail": 1, "skip": 0}}
    rows = [line.split() for line in first.stdout.splitlines()]
    assert ["flow", "pass", "fail", "skip", "seconds"] in rows
    assert next(row for row in rows if row[:1] == ["hashing"])[:4] == ["hashing", "2", "1", "0"]
    assert "devnet/hashing/tagged_hash" not in first.stdout
    verbose = runner.invoke(rusty_spec, ["run", "--vectors", str(vectors_dir), "--adapter", adapter, "-v"])
    assert ["devnet/hashing/tagged_hash", "2", "1", "0"] in [
        line.split() for line in verbose.stdout.splitlines()
    ]
    # JUnit XML beside the JSON report
    junit = ET.parse(report_path.with_suffix(".xml")).getroot()
    assert junit.tag == "testsuites" and junit.get("tests") == "3" and junit.get("failures") == "1"
    suite = junit.find("testsuite")
    assert suite is not None
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties["suite_hash"] == report["suite"]["hash"] and properties["suite_version"] == "unreleased"
    failures = list(junit.iter("failure"))
    assert len(failures) == 1 and failures[0].text is not None
    assert '"output": {"v": 1}' in failures[0].text and '"output": {"v": true}' in failures[0].text
    assert all(case.get("time") is not None for case in junit.iter("testcase"))
    # rerun only the failure, with the adapter fixed
    fixed = _adapter_string(fake("fixed", {**table, "bad": _ok({"v": 1})}))
    second_path = tmp_path / "out" / "rerun.json"
    second = runner.invoke(
        rusty_spec,
        [
            "run",
            "--vectors",
            str(vectors_dir),
            "--adapter",
            fixed,
            "--report",
            str(second_path),
            "--rerun-failures",
            str(report_path),
        ],
    )
    assert second.exit_code == 0, second.output
    rerun = json.loads(second_path.read_text())
    assert [case["vector"] for case in rerun["cases"]] == ["devnet/genesis/hashing/tagged_hash/bad.json"]
    # --case / --handler / --fail-fast / --require-flow through the command line
    only_good = runner.invoke(
        rusty_spec, ["run", "--vectors", str(vectors_dir), "--adapter", adapter, "--case", "goo*"]
    )
    assert only_good.exit_code == 0 and "1 passed, 0 failed" in only_good.output
    required = runner.invoke(
        rusty_spec,
        [
            "run",
            "--vectors",
            str(vectors_dir),
            "--adapter",
            adapter,
            "--case",
            "good",
            "--require-flow",
            "merkle",
        ],
    )
    assert required.exit_code == 1 and "required flow merkle: no case was run" in required.output


def test_cli_errors_before_the_run_starts(fake: Any, tmp_path: Path) -> None:
    vectors_dir = _write_vectors(tmp_path / "vectors", [_vector("good", 1)])
    command = fake("table", {"good": _ok(1)})
    state = Path(command[-1])
    runner = CliRunner()
    missing = runner.invoke(
        rusty_spec, ["run", "--vectors", str(vectors_dir), "--adapter", "/no/such/adapter"]
    )
    assert missing.exit_code != 0 and "adapter program not found: /no/such/adapter" in missing.output
    on_path = runner.invoke(
        rusty_spec, ["run", "--vectors", str(vectors_dir), "--adapter", "no-such-adapter-x"]
    )
    assert on_path.exit_code != 0 and "not found on PATH" in on_path.output
    for bad_report in (tmp_path / "missing-dir" / "r.json", tmp_path):
        unwritable = runner.invoke(
            rusty_spec,
            [
                "run",
                "--vectors",
                str(vectors_dir),
                "--adapter",
                _adapter_string(command),
                "--report",
                str(bad_report),
            ],
        )
        assert unwritable.exit_code != 0
        assert "cannot write the report" in unwritable.output or "directory" in unwritable.output
    assert not state.exists()  # the adapter was never started


def test_discovery_follows_the_fork_level(tmp_path: Path) -> None:
    """``<preset>/<fork>/<flow>/<handler>/<case>.json`` loads; a path naming another fork is refused."""
    vector = _vector("good", 1)
    nested = tmp_path / "devnet" / "genesis" / "hashing" / "tagged_hash" / "good.json"
    nested.parent.mkdir(parents=True)
    nested.write_bytes(vector.to_bytes())
    assert load_vectors(tmp_path) == [vector]
    wrong = tmp_path / "devnet" / "governed_tickets" / "hashing" / "tagged_hash" / "good.json"
    wrong.parent.mkdir(parents=True)
    wrong.write_bytes(vector.to_bytes())
    with pytest.raises(ValueError, match="contents say"):
        load_vectors(tmp_path)


def test_deep_vector_file_is_refused(tmp_path: Path) -> None:
    deep = tmp_path / "devnet" / "hashing" / "tagged_hash" / "deep.json"
    deep.parent.mkdir(parents=True)
    deep.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ValueError, match="limit"):
        load_vectors(tmp_path)


def test_cli_reports_a_hello_timeout_without_a_traceback(fake: Any, tmp_path: Path) -> None:
    vectors_dir = _write_vectors(tmp_path / "vectors", [_vector("good", 1)])
    adapter = _adapter_string(fake("hello_hang", {}))
    result = CliRunner().invoke(
        rusty_spec, ["run", "--vectors", str(vectors_dir), "--adapter", adapter, "--timeout", "1"]
    )
    assert result.exit_code == 1 and (result.exception is None or isinstance(result.exception, SystemExit))
    assert "run aborted: the adapter's hello failed: no response within 1 s" in result.output
    assert "Traceback" not in result.output


def test_pipelined_run_equals_one_at_a_time(fake: Any) -> None:
    """Requests in flight change nothing: same verdicts in the same order, a crash mid-pipeline
    fails that case only and the cases sent after it are resent to the restarted adapter."""
    names = [f"c{i}" for i in range(40)]
    names[5] = "crash"
    names[25] = "crash"
    vectors = [_vector(name, 1) for name in names]
    table = {name: _ok(1 if i % 7 else True) for i, name in enumerate(names)}
    reports = [
        run_vectors(fake("table", table), vectors, timeout=60, pipeline_depth=depth) for depth in (1, 4, 32)
    ]
    verdicts = [
        [(r.vector.case, r.status, r.reason.split(":")[0]) for r in report.results] for report in reports
    ]
    assert verdicts[0] == verdicts[1] == verdicts[2]
    assert [v[1] for v in verdicts[0]].count("fail") == 2 + sum(
        1 for i in range(40) if i % 7 == 0 and i not in (5, 25)
    )
    assert len(verdicts[0]) == 40


def test_large_pipelined_requests_and_responses_do_not_deadlock(fake: Any) -> None:
    """A batch of large requests written while large responses are pending once deadlocked: the
    caller blocked on the adapter's full stdin, the adapter on its full stdout (the reader waiting
    for the caller to take a line), until the case's time-out failed it. Requests now go through
    a writer thread, so every case is answered."""
    pad = "p" * 100_000
    names = [f"big{i}" for i in range(40)]
    vectors = [
        Vector(
            preset="devnet",
            flow="hashing",
            handler="tagged_hash",
            case=name,
            description=f"fake case {name}",
            input={"k": name, "pad": pad},
            output={"echo": pad},
            error=None,
        )
        for name in names
    ]
    table = {name: _ok({"echo": pad}) for name in names}
    report = run_vectors(fake("table", table), vectors, timeout=10, pipeline_depth=32, deadline=60)
    assert [r.status for r in report.results] == ["pass"] * 40, [r.reason for r in report.results][:3]

"""The vector framework: determinism, schema, lock, and a runner that catches every failure kind."""

from __future__ import annotations

import fcntl
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conformance.adapter import handle_request, serve
from conformance.error_docs import render
from conformance.generate import (
    LOCK_PATH,
    GeneratedFile,
    compare_with_lock,
    generate_files,
    lock_text,
    write_files,
)
from conformance.handlers import FLOW_HANDLERS
from conformance.model import Vector
from conformance.runner import RunReport, load_vectors, run_vectors
from conformance.vector_schema import validate_vector
from spec.errors import ALL_ERROR_CODES, SpecError, error_classes

ROOT = Path(__file__).resolve().parent.parent


GENERATED = pytest.mark.xdist_group("generated_vectors")
"""The tests that read the generated vectors share one xdist worker, so one worker generates them
and the other never sits waiting on the lock below (it runs other tests meanwhile)."""


@pytest.fixture(scope="module")
def vectors_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every vector, generated once per test session (not per module and xdist worker).

    The first worker to get here generates into the session's temporary root (shared by the xdist
    workers of this session, new for every session, so never stale); the others wait on a file
    lock and reuse it. ``test_generation_matches_lock`` checks these very files against the lock.
    """
    session_root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        session_root = session_root.parent
    out = session_root / "generated-vectors"
    with (session_root / "generated-vectors.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        complete = session_root / "generated-vectors.complete"
        if not complete.exists():
            write_files(out, generate_files())
            complete.touch()
    return out


def _files_in(root: Path) -> list[GeneratedFile]:
    return [
        GeneratedFile(path.relative_to(root).as_posix(), path.read_bytes())
        for path in sorted(root.rglob("*"))
        if path.is_file()
    ]


@GENERATED
def test_generation_matches_lock(vectors_dir: Path) -> None:
    """Same bytes on every run, and every change to a vector is deliberate (the lock is committed)."""
    problems = compare_with_lock(_files_in(vectors_dir), LOCK_PATH.read_text(encoding="utf-8"))
    assert problems == [], problems[:20]


def test_generation_independent_of_hash_seed() -> None:
    """A second interpreter with another PYTHONHASHSEED produces the identical lock text."""
    code = (
        "from conformance.generate import generate_files, lock_text; "
        "print(lock_text(generate_files()), end='')"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    other = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert other.stdout == LOCK_PATH.read_text(encoding="utf-8")


@GENERATED
def test_vectors_validate_against_schema(vectors_dir: Path) -> None:
    vectors = load_vectors(vectors_dir)
    assert len(vectors) == len(LOCK_PATH.read_text(encoding="utf-8").splitlines())
    valid = [v for v in vectors if v.error is None]
    invalid = [v for v in vectors if v.error is not None]
    assert valid and invalid
    assert {v.error for v in invalid} <= ALL_ERROR_CODES
    for flow in FLOW_HANDLERS:
        assert any(v.flow == flow and v.error for v in vectors), f"{flow} has no invalid case"


@GENERATED
def test_schema_rejects_inconsistent_vector(vectors_dir: Path) -> None:
    path = next(vectors_dir.rglob("*.json"))
    obj = json.loads(path.read_text())
    obj["valid"] = False
    obj["error"] = None
    with pytest.raises(Exception, match="None is not of type 'string'"):
        validate_vector(obj)


def test_error_codes_unique_and_documented() -> None:
    classes: list[type[SpecError]] = []
    stack: list[type[SpecError]] = [SpecError]
    while stack:
        cls = stack.pop()
        classes.append(cls)
        stack.extend(cls.__subclasses__())
    codes = [c.code for c in classes]
    assert len(codes) == len(set(codes)), "two error classes share a code"
    assert set(error_classes()) == ALL_ERROR_CODES
    docs = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    assert docs == render(), "docs/errors.md is stale: run python -m conformance.error_docs"
    missing = [code for code in ALL_ERROR_CODES if f"`{code}`" not in docs]
    assert missing == [], f"codes missing from docs/errors.md: {missing}"


def _reference_report(vectors_dir: Path) -> RunReport:
    return run_vectors([sys.executable, "-m", "conformance.adapter"], load_vectors(vectors_dir), cwd=ROOT)


@GENERATED
def test_reference_adapter_passes_every_vector(vectors_dir: Path) -> None:
    report = _reference_report(vectors_dir)
    counts = report.counts()
    assert counts["fail"] == 0, [r.reason for r in report.results if r.status == "fail"][:5]
    assert counts["skip"] == 0
    assert counts["pass"] == len(load_vectors(vectors_dir))


def _mutant(vectors_dir: Path, mode: str, flows: list[str] | None = None) -> RunReport:
    return run_vectors(
        [sys.executable, "-m", "tests.mutant_adapter", mode],
        load_vectors(vectors_dir, flows),
        timeout=30,
        cwd=ROOT,
    )


@GENERATED
def test_runner_catches_wrong_output(vectors_dir: Path) -> None:
    report = _mutant(vectors_dir, "wrong_output", ["merkle"])
    failed = [r for r in report.results if r.status == "fail"]
    assert failed and all(r.vector.handler == "root" for r in failed)
    assert all(r.reason.startswith("output differs at $.root: expected ") for r in failed)
    assert sum(
        1 for v in load_vectors(vectors_dir, ["merkle"]) if v.handler == "root" and v.error is None
    ) == len([r for r in failed if r.vector.handler == "root"]) + sum(
        1
        for r in report.results
        if r.vector.handler == "root" and r.status == "pass" and r.vector.output == {"root": "00" * 32}
    )


@GENERATED
def test_runner_catches_wrong_code_and_acceptance(vectors_dir: Path) -> None:
    wrong = _mutant(vectors_dir, "wrong_code", ["encoding"])
    assert all(r.status == "fail" for r in wrong.results if r.vector.error)
    assert all(r.status == "pass" for r in wrong.results if not r.vector.error)
    accepting = _mutant(vectors_dir, "accept_all", ["encoding"])
    assert all("accepted an invalid case" in r.reason for r in accepting.results if r.vector.error)


def _first_and_last_trigger(vectors: list[Vector], triggers: Callable[[Vector], bool]) -> list[Vector]:
    """``vectors`` without the cases that trigger a mutant's failure except the first and the last.

    Every failure restarts the adapter (seconds of imports each: 88 restarts made the test take
    minutes); a third one exercises nothing the first two do not (a restart mid-run with the cases
    in flight resent, and one after the last pipelined batch)."""
    hits = [index for index, vector in enumerate(vectors) if triggers(vector)]
    assert len(hits) >= 2, "the mutant's failure needs two triggering cases to be checked"
    return [v for i, v in enumerate(vectors) if not triggers(v) or i in (hits[0], hits[-1])]


def _crashes(vector: Vector) -> bool:
    return vector.handler == "verify_proof" and vector.input.get("count") == 1


def _gets_garbage(vector: Vector) -> bool:
    return vector.flow == "hashing" and vector.input.get("data") == ""


@GENERATED
@pytest.mark.parametrize(
    ("mode", "flows", "triggers"),
    [("crash", ["merkle"], _crashes), ("garbage", ["hashing", "merkle"], _gets_garbage)],
    ids=["crash", "garbage"],
)
def test_runner_survives_crash_and_garbage(
    vectors_dir: Path, mode: str, flows: list[str], triggers: Callable[[Vector], bool]
) -> None:
    """An adapter that exits, or answers a line that is no JSON, fails that case only: the runner
    restarts it and every other case (those in flight resent) is answered and passes."""
    vectors = _first_and_last_trigger(load_vectors(vectors_dir, flows), triggers)
    report = run_vectors([sys.executable, "-m", "tests.mutant_adapter", mode], vectors, timeout=30, cwd=ROOT)
    assert report.aborted is None
    assert sorted(r.vector.relative_path for r in report.results) == sorted(v.relative_path for v in vectors)
    failed = [r for r in report.results if triggers(r.vector)]
    assert len(failed) == 2 and all(r.status == "fail" and "adapter failure" in r.reason for r in failed)
    assert all(r.status == "pass" for r in report.results if not triggers(r.vector))


@GENERATED
def test_runner_reports_unsupported_as_skip(vectors_dir: Path) -> None:
    report = _mutant(vectors_dir, "unsupported", ["encoding", "merkle"])
    assert report.ok
    assert {r.status for r in report.results if r.vector.flow == "merkle"} == {"skip"}
    assert {r.status for r in report.results if r.vector.flow == "encoding"} == {"pass"}


def test_adapter_never_raises_on_malformed_requests() -> None:
    requests: list[Any] = [
        None,
        [],
        1,
        {"method": "run"},
        {"method": "nope", "id": 1},
        {"id": 2, "method": "run", "flow": "merkle", "handler": "root", "input": {"leaves": "zz"}},
        {"id": 3, "method": "run", "flow": "merkle", "handler": "root", "input": {}, "preset": "x"},
        {
            "id": 4,
            "method": "run",
            "flow": "merkle",
            "handler": "root",
            "preset": "devnet",
            "input": {"leaves": ["0G"]},
        },
    ]
    for request in requests:
        response = handle_request(request, FLOW_HANDLERS)
        assert response["result"] in {"bad_request", "unsupported", "error"}
    out = io.StringIO()
    serve(io.StringIO('not json\n{"id": 9, "method": "hello"}\n{"id": 10, "method": "shutdown"}\n'), out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["result"] for line in lines] == ["bad_request", "ok", "ok"]


@GENERATED
def test_vector_round_trips_through_json(vectors_dir: Path) -> None:
    for vector in load_vectors(vectors_dir)[:50]:
        assert Vector.from_json(json.loads(vector.to_bytes())) == vector


def test_lock_text_is_sha256sum_format() -> None:
    text = lock_text(generate_files(flows=["hashing"], presets=["devnet"]))
    for line in text.splitlines():
        digest, path = line.split("  ")
        assert len(digest) == 64 and path.startswith("devnet/genesis/hashing/")


@GENERATED
def test_reference_adapter_on_reference_backends(vectors_dir: Path) -> None:
    """End to end: the devnet crypto vectors pass on py_ecc and pure-Python Ed25519 too (about 10 s)."""
    command = [
        sys.executable,
        "-m",
        "conformance.adapter",
        "--bls-backend",
        "py_ecc",
        "--ed25519-backend",
        "reference",
    ]
    vectors = load_vectors(vectors_dir, ["bls", "threshold", "ed25519"], ["devnet"])
    report = run_vectors(command, vectors, cwd=ROOT)
    assert report.counts()["pass"] == len(vectors), [r.reason for r in report.results if r.status != "pass"][
        :5
    ]


def _leaf_codes() -> set[str]:
    leaves: set[str] = set()
    stack: list[type[SpecError]] = [SpecError]
    while stack:
        cls = stack.pop()
        subclasses = cls.__subclasses__()
        if not subclasses:
            leaves.add(cls.code)
        stack.extend(subclasses)
    return leaves


def _strings(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return set().union(*(_strings(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_strings(v) for v in value)) if value else set()
    return set()


def _vector_objects(vectors_dir: Path) -> list[dict[str, Any]]:
    return [json.loads(path.read_text(encoding="utf-8")) for path in sorted(vectors_dir.rglob("*.json"))]


@GENERATED
def test_every_leaf_code_appears_in_a_vector(vectors_dir: Path) -> None:
    """Issue 11 item 2: each leaf code is an invalid case's error or part of an output (a mempool
    verdict, a DKG rejection), except the few listed with their reason in NON_VECTOR_ERROR_CODES."""
    from spec.errors import NON_VECTOR_ERROR_CODES, RETIRED_ERROR_CODES

    leaves = _leaf_codes()
    seen: set[str] = set()
    for obj in _vector_objects(vectors_dir):
        if obj["error"] is not None:
            seen.add(obj["error"])
        seen |= _strings(obj["output"]) & leaves
    assert set(NON_VECTOR_ERROR_CODES) <= leaves
    missing = sorted(leaves - seen - set(NON_VECTOR_ERROR_CODES))
    assert missing == [], f"leaf codes in no vector: {missing}"
    carried = sorted(seen & set(NON_VECTOR_ERROR_CODES))
    assert carried == [], f"listed as unvectorable but a vector carries them: {carried}"
    assert not RETIRED_ERROR_CODES & ALL_ERROR_CODES, "a retired code is defined again"


@GENERATED
def test_vectors_hold_no_unsafe_json_number(vectors_dir: Path) -> None:
    """Integers beyond 2**53 - 1 in magnitude travel as decimal strings (docs/vector-format.md)."""
    from conformance.model import SAFE_INTEGER_MAX

    def unsafe(value: Any) -> bool:
        if isinstance(value, bool):
            return False
        if isinstance(value, int):
            return abs(value) > SAFE_INTEGER_MAX
        if isinstance(value, dict):
            return any(unsafe(v) for v in value.values())
        if isinstance(value, list):
            return any(unsafe(v) for v in value)
        return False

    offenders = [f"{o['flow']}/{o['handler']}/{o['case']}" for o in _vector_objects(vectors_dir) if unsafe(o)]
    assert offenders == []
    u64_max = json.loads(
        (vectors_dir / "devnet/genesis/encoding/decode/u64_max.json").read_text(encoding="utf-8")
    )
    assert u64_max["output"] == {"value": "18446744073709551615"}


def test_json_integer_convention_round_trips() -> None:
    from conformance.jsonio import from_json_int
    from conformance.model import SAFE_INTEGER_MAX, BadInput, to_wire

    for value in (0, 1, -1, SAFE_INTEGER_MAX, -SAFE_INTEGER_MAX, 2**53, -(2**53), 2**64 - 1, 2**64, -(2**63)):
        wire = to_wire(value)
        assert isinstance(wire, int) == (abs(value) <= SAFE_INTEGER_MAX)
        assert from_json_int(json.loads(json.dumps(wire))) == value
    assert to_wire({"a": [2**60, True, None, "x"]}) == {"a": [str(2**60), True, None, "x"]}
    bad_values: list[Any] = ["12", "+9007199254740993", "09007199254740993", "9007199254740993.0", "1e20"]
    for bad in [*bad_values, True, 1.5, None]:
        with pytest.raises(BadInput):
            from_json_int(bad)


@GENERATED
def test_conformance_strength_doc_names_existing_vectors(vectors_dir: Path) -> None:
    """Every vector named in docs/conformance-strength.md exists (under the devnet preset)."""
    import re

    text = (ROOT / "docs" / "conformance-strength.md").read_text(encoding="utf-8")
    names = re.findall(r"`([a-z0-9_]+/[a-z0-9_]+/[a-z0-9_]+)`", text)
    assert len(names) >= 23
    missing = [n for n in names if not (vectors_dir / "devnet" / "genesis" / f"{n}.json").exists()]
    assert missing == []

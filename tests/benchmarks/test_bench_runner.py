"""Throughput of ``rusty-spec run`` through the reference adapter on the cheap flows (cases per second).

The cheap flows (encoding, hashing, merkle, script) spend almost nothing in the rules, so this
measures the runner <-> adapter loop: JSON lines both ways, pipes, the strict judging. The runner
keeps up to :data:`conformance.runner.PIPELINE_DEPTH` requests in flight.

* ``test_bench_runner_cheap_flows``: one ``run_vectors`` over the vectors, repeated
  ``REPEAT`` times so that starting the adapter (imports, hello) is a small part; cases/s in
  ``extra_info["cases_per_second"]``.
* Floor: the same requests answered by the adapter's own loop in this process
  (:func:`conformance.adapter.serve` over in-memory lines): no process, no pipes, no judging.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from conformance import adapter
from conformance.generate import generate_files, write_files
from conformance.model import Vector
from conformance.runner import RunReport, load_vectors, run_vectors

ROOT = Path(__file__).resolve().parents[2]
CHEAP_FLOWS = ("encoding", "hashing", "merkle", "script")
REPEAT = 4


@pytest.fixture(scope="module")
def vectors(tmp_path_factory: pytest.TempPathFactory) -> list[Vector]:
    root = tmp_path_factory.mktemp("cheap-vectors")
    write_files(root, generate_files(flows=CHEAP_FLOWS))
    return load_vectors(root) * REPEAT


def _requests(vectors: list[Vector]) -> str:
    lines = []
    for number, vector in enumerate(vectors):
        request = {
            "id": number,
            "method": "run",
            "preset": vector.preset,
            "flow": vector.flow,
            "handler": vector.handler,
            "input": vector.input,
        }
        lines.append(json.dumps(request, sort_keys=True))
    return "\n".join(lines) + "\n"


def test_bench_runner_cheap_flows_floor(benchmark: BenchmarkFixture, vectors: list[Vector]) -> None:
    text = _requests(vectors)

    def serve() -> int:
        out = io.StringIO()
        adapter.serve(io.StringIO(text), out)
        return out.getvalue().count("\n")

    # pytest-benchmark leaves pedantic() unannotated.
    answered = benchmark.pedantic(serve, rounds=3, iterations=1)  # type: ignore[no-untyped-call]
    assert answered == len(vectors)


def test_bench_runner_cheap_flows(benchmark: BenchmarkFixture, vectors: list[Vector]) -> None:
    benchmark.extra_info["floor"] = "test_bench_runner_cheap_flows_floor"

    def run() -> RunReport:
        return run_vectors([sys.executable, "-m", "conformance.adapter"], vectors, cwd=ROOT)

    report = benchmark.pedantic(run, rounds=3, iterations=1)  # type: ignore[no-untyped-call]
    assert isinstance(report, RunReport)
    assert report.counts()["pass"] == len(vectors), report.problems()[:3]
    benchmark.extra_info["cases"] = len(vectors)
    if benchmark.stats is not None:
        benchmark.extra_info["cases_per_second"] = round(len(vectors) / benchmark.stats.stats.median)

"""The benchmark ratio chart of docs/benchmarks.md (``rusty-spec docs bench-chart``)."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conformance import bench_charts
from conformance.cli import main as rusty_spec
from conformance.docsite import REPO_ROOT

SVG = "{http://www.w3.org/2000/svg}"


def _bench(name: str, median: float, floor: str | None = None) -> dict[str, Any]:
    extra = {"floor": floor, "other": 1} if floor else {}
    stats = {"min": median, "max": median, "mean": median, "median": median, "stddev": 0.0, "rounds": 3}
    return {
        "name": name,
        "fullname": f"tests/x.py::{name}",
        "stats": {**stats, "ops": 1.0},
        "extra_info": extra,
    }


def _data(*benches: dict[str, Any]) -> dict[str, Any]:
    return {
        "datetime": "2026-12-03T11:00:00",
        "machine_info": {"machine": "x86_64", "cpu": {"count": 2}, "node": "secret-host"},
        "commit_info": {"id": "abc", "dirty": False, "branch": "b", "author_email": "x@y"},
        "benchmarks": list(benches),
    }


def test_ratios_pair_each_hot_path_with_its_floor() -> None:
    data = _data(
        _bench("test_floor_a", 0.002),
        _bench("test_hot_a", 0.005, "test_floor_a"),
        _bench("test_hot_fast", 0.0005, "test_floor_a"),
        _bench("test_hot_orphan", 0.1, "test_floor_not_run"),
        _bench("test_plain", 1.0),
    )
    found = bench_charts.ratios(data)
    assert [(r.name, r.floor) for r in found] == [
        ("test_hot_a", "test_floor_a"),
        ("test_hot_fast", "test_floor_a"),
    ]
    assert [r.ratio for r in found] == pytest.approx([2.5, 0.25])
    with pytest.raises(bench_charts.BenchmarkDataError):
        bench_charts.ratios({"not": "benchmarks"})
    with pytest.raises(bench_charts.BenchmarkDataError):
        bench_charts.render_ratio_chart([])


def test_trim_keeps_only_what_the_chart_and_a_reader_need() -> None:
    kept = bench_charts.trim(
        _data(_bench("test_floor_a", 0.002), _bench("test_hot_a", 0.005, "test_floor_a"))
    )
    assert kept["machine_info"] == {
        "machine": "x86_64",
        "processor": None,
        "python_version": None,
        "cpu": {"count": 2},
    }
    assert kept["commit_info"] == {"id": "abc", "dirty": False, "branch": "b"}
    assert kept["benchmarks"][1] == {
        "name": "test_hot_a",
        "stats": {"min": 0.005, "max": 0.005, "mean": 0.005, "median": 0.005, "stddev": 0.0, "rounds": 3},
        "extra_info": {"floor": "test_floor_a"},
    }
    assert bench_charts.ratios(kept)[0].ratio == pytest.approx(2.5)


def test_chart_draws_one_bar_per_ratio_from_the_floor_line() -> None:
    found = bench_charts.ratios(
        _data(
            _bench("test_floor_a", 0.002),
            _bench("test_bench_slow", 0.016, "test_floor_a"),
            _bench("test_fast", 0.0005, "test_floor_a"),
        )
    )
    svg = bench_charts.render_ratio_chart(found)
    assert svg == bench_charts.render_ratio_chart(found)  # deterministic
    root = ET.fromstring(svg)
    bars = root.findall(f"{SVG}g")
    assert len(bars) == 2
    labels = [bar.findall(f"{SVG}text")[0].text for bar in bars]
    values = [bar.findall(f"{SVG}text")[1].text for bar in bars]
    assert labels == ["slow", "fast"] and values == ["8.00\u00d7", "0.25\u00d7"]
    floor_line = next(line for line in root.findall(f"{SVG}line") if line.get("stroke") == "#333")
    floor_x = float(floor_line.get("x1", "nan"))
    slow, fast = (bar.find(f"{SVG}rect") for bar in bars)
    assert slow is not None and fast is not None
    # log scale: 8x is three doublings right of the floor, 0.25x two doublings left
    slow_width, fast_width = float(slow.get("width", "0")), float(fast.get("width", "0"))
    assert float(slow.get("x", "0")) == pytest.approx(floor_x, abs=0.1)
    assert float(fast.get("x", "0")) + fast_width == pytest.approx(floor_x, abs=0.1)
    assert slow_width / fast_width == pytest.approx(math.log2(8) / -math.log2(0.25), rel=0.01)


def test_command_merges_runs_and_draws_the_chart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    first.write_text(
        json.dumps(_data(_bench("test_floor_a", 0.002), _bench("test_hot_a", 0.004, "test_floor_a")))
    )
    second.write_text(
        json.dumps(
            _data(
                _bench("test_floor_b", 0.001),
                _bench("test_hot_b", 0.003, "test_floor_b"),
                _bench("test_bad", 1, "test_floor_b"),
            )
        )
    )
    results, chart = tmp_path / "out" / "results.json", tmp_path / "out" / "ratios.svg"
    monkeypatch.setattr(bench_charts, "RESULTS_PATH", results)
    monkeypatch.setattr(bench_charts, "CHART_PATH", chart)
    outcome = CliRunner().invoke(
        rusty_spec, ["docs", "bench-chart", "--json", str(first), "--json", str(second), "--drop", "test_bad"]
    )
    assert outcome.exit_code == 0, outcome.output
    assert "charted 2 ratios" in outcome.output
    kept = json.loads(results.read_text())
    assert [b["name"] for b in kept["benchmarks"]] == [
        "test_floor_a",
        "test_floor_b",
        "test_hot_a",
        "test_hot_b",
    ]
    assert chart.read_text() == bench_charts.render_ratio_chart(bench_charts.ratios(kept))
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    failed = CliRunner().invoke(rusty_spec, ["docs", "bench-chart", "--json", str(broken)])
    assert failed.exit_code != 0 and "broken.json" in failed.output


def test_committed_chart_is_drawn_from_the_committed_results() -> None:
    """docs/benchmarks.md shows ratios.svg; it must be what `rusty-spec docs bench-chart` draws now."""
    results = json.loads(bench_charts.RESULTS_PATH.read_text(encoding="utf-8"))
    found = bench_charts.ratios(results)
    assert len(found) >= 10
    assert bench_charts.CHART_PATH.read_text(encoding="utf-8") == bench_charts.render_ratio_chart(found)
    page = (REPO_ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    assert "(assets/benchmarks/ratios.svg)" in page

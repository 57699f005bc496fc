"""Charts of the benchmark ratios for docs/benchmarks.md, from pytest-benchmark's JSON.

Every hot path names its floor (``benchmark.extra_info["floor"]``, tests/benchmarks/conftest.py);
the chart shows each hot path's median time as a multiple of its floor's median, on a log scale
centred on 1x (the floor). ``rusty-spec docs bench-chart --json BENCH.json [--json MORE.json]``
keeps the fields the chart needs in ``docs/assets/benchmarks/results.json`` and writes
``ratios.svg`` beside it; without ``--json`` it redraws the chart from the kept results. The SVG
is written by this module (no plotting library), byte-identical for the same results.
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.docsite import REPO_ROOT

RESULTS_PATH = REPO_ROOT / "docs" / "assets" / "benchmarks" / "results.json"
CHART_PATH = REPO_ROOT / "docs" / "assets" / "benchmarks" / "ratios.svg"
_KEPT_STATS = ("min", "max", "mean", "median", "stddev", "rounds")


class BenchmarkDataError(ValueError):
    """The benchmark JSON is not pytest-benchmark's, or has no hot path with its floor."""


@dataclass(frozen=True)
class BenchRatio:
    """One hot path against its floor (medians, seconds)."""

    name: str
    floor: str
    median: float
    floor_median: float

    @property
    def ratio(self) -> float:
        return self.median / self.floor_median


def _benchmarks(data: Any) -> list[dict[str, Any]]:
    if not isinstance(data, dict) or not isinstance(data.get("benchmarks"), list):
        raise BenchmarkDataError("not a pytest-benchmark JSON file (no 'benchmarks' list)")
    found = []
    for bench in data["benchmarks"]:
        if not isinstance(bench, dict) or not isinstance(bench.get("name"), str):
            raise BenchmarkDataError("a benchmark without a name")
        stats = bench.get("stats")
        if not isinstance(stats, dict) or not isinstance(stats.get("median"), int | float):
            raise BenchmarkDataError(f"{bench['name']}: no median time")
        found.append(bench)
    return found


def ratios(data: Any) -> list[BenchRatio]:
    """Each hot path whose floor ran in the same file, with both medians, sorted by name."""
    benches = _benchmarks(data)
    medians = {bench["name"]: float(bench["stats"]["median"]) for bench in benches}
    found = []
    for bench in benches:
        floor = (bench.get("extra_info") or {}).get("floor")
        if isinstance(floor, str) and floor in medians and medians[floor] > 0:
            found.append(BenchRatio(bench["name"], floor, medians[bench["name"]], medians[floor]))
    return sorted(found, key=lambda r: r.name)


def trim(data: Any) -> dict[str, Any]:
    """The fields the chart and a reader need: when, on what, and per benchmark its stats and floor."""
    benches = _benchmarks(data)
    machine = data.get("machine_info") or {}
    commit = data.get("commit_info") or {}
    return {
        "datetime": data.get("datetime"),
        "machine_info": {key: machine.get(key) for key in ("machine", "processor", "python_version", "cpu")},
        "commit_info": {key: commit.get(key) for key in ("id", "dirty", "branch")},
        "benchmarks": [
            {
                "name": bench["name"],
                "stats": {key: bench["stats"].get(key) for key in _KEPT_STATS},
                "extra_info": {
                    key: value for key, value in (bench.get("extra_info") or {}).items() if key == "floor"
                },
            }
            for bench in sorted(benches, key=lambda b: str(b["name"]))
        ],
    }


def _label(name: str) -> str:
    return name.removeprefix("test_bench_").removeprefix("test_")


def _fmt(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") if value < 10 else f"{value:.1f}".removesuffix(".0")


def render_ratio_chart(found: list[BenchRatio], title: str = "Hot path time / floor time (medians)") -> str:
    """A horizontal bar chart (SVG) of the ratios on a log2 axis; a bar grows from 1x to its ratio."""
    if not found:
        raise BenchmarkDataError("no hot path ran with its floor: nothing to chart")
    low = min(1.0, *(r.ratio for r in found))
    high = max(1.0, *(r.ratio for r in found))
    lo_exp = min(-1, math.floor(math.log2(low)))
    hi_exp = max(1, math.ceil(math.log2(high)))
    label_width, plot_width, row, top = 330, 520, 24, 48
    width = label_width + plot_width + 70
    height = top + row * len(found) + 36

    def x(value: float) -> float:
        return label_width + plot_width * (math.log2(value) - lo_exp) / (hi_exp - lo_exp)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12" role="img">',
        f"<title>{html.escape(title)}</title>",
        f'<text x="{label_width}" y="18" font-size="14" font-weight="bold">{html.escape(title)}</text>',
    ]
    axis_y = top + row * len(found) + 6
    for exp in range(lo_exp, hi_exp + 1):
        gx = x(2.0**exp)
        stroke = "#333" if exp == 0 else "#ddd"
        out.append(f'<line x1="{gx:.1f}" y1="{top - 8}" x2="{gx:.1f}" y2="{axis_y}" stroke="{stroke}"/>')
        out.append(f'<text x="{gx:.1f}" y="{axis_y + 14}" text-anchor="middle">{_fmt(2.0**exp)}&#215;</text>')
    out.append(f'<text x="{x(1.0):.1f}" y="{top - 12}" text-anchor="middle" fill="#333">floor</text>')
    for index, item in enumerate(found):
        y = top + row * index
        start, end = sorted((x(1.0), x(item.ratio)))
        colour = "#2e7d32" if item.ratio <= 1.0 else "#1565c0"
        tip = (
            f"{item.name}: {item.median * 1e3:.3f} ms / {item.floor} {item.floor_median * 1e3:.3f} ms"
            f" = {item.ratio:.2f}x"
        )
        out.append(f'<g class="bar"><title>{html.escape(tip)}</title>')
        name = html.escape(_label(item.name))
        out.append(f'<text x="{label_width - 8}" y="{y + 15}" text-anchor="end">{name}</text>')
        out.append(
            f'<rect x="{start:.1f}" y="{y + 4}" width="{max(end - start, 1.0):.1f}" height="{row - 8}" '
            f'fill="{colour}"/>'
        )
        out.append(f'<text x="{end + 4:.1f}" y="{y + 15}">{item.ratio:.2f}&#215;</text>')
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"


def merge(datas: list[Any], drop: tuple[str, ...] = ()) -> dict[str, Any]:
    """Several pytest-benchmark files of one machine as one (a later file's benchmark wins a name).

    ``drop`` names benchmarks to leave out (one whose test failed measured something else).
    """
    if not datas:
        raise BenchmarkDataError("no benchmark file")
    by_name: dict[str, dict[str, Any]] = {}
    for data in datas:
        for bench in _benchmarks(data):
            if bench["name"] not in drop:
                by_name[bench["name"]] = bench
    return {**datas[-1], "benchmarks": list(by_name.values())}


def write_chart(
    bench_json: tuple[Path, ...] = (),
    drop: tuple[str, ...] = (),
    results: Path | None = None,
    chart: Path | None = None,
) -> int:
    """Keep ``bench_json`` (merged, trimmed) as ``results`` when given, then draw ``chart`` from it.

    ``results`` and ``chart`` default to ``RESULTS_PATH`` and ``CHART_PATH``. Returns the number
    of ratios charted.
    """
    results = results or RESULTS_PATH
    chart = chart or CHART_PATH
    if bench_json:
        datas = []
        for path in bench_json:
            try:
                datas.append(json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError) as exc:
                raise BenchmarkDataError(f"{path}: {exc}") from None
        results.parent.mkdir(parents=True, exist_ok=True)
        kept = trim(merge(datas, drop))
        results.write_text(json.dumps(kept, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    found = ratios(json.loads(results.read_text(encoding="utf-8")))
    chart.parent.mkdir(parents=True, exist_ok=True)
    chart.write_text(render_ratio_chart(found), encoding="utf-8")
    return len(found)

"""The plots of docs/simulation.md, drawn from the reports in docs/simulation/ (matplotlib, Agg)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

STYLE = {"figsize": (5.0, 3.0), "dpi": 80}


def _load(folder: Path, name: str) -> dict[str, Any] | None:
    path = folder / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def _save(fig: Any, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=STYLE["dpi"], metadata={"Software": None})
    plt.close(fig)
    return path


def plot_docs(folder: Path) -> list[Path]:
    """Draw every plot of docs/simulation.md whose reports exist in ``folder``; return the files."""
    runs = [
        ("propagation-1000-compact", "1,000 nodes, compact"),
        ("propagation-1000-full", "1,000 nodes, full"),
        ("propagation-10000-day", "10,000 nodes, compact"),
        ("propagation-10000-full", "10,000 nodes, full"),
    ]
    reports = [(label, _load(folder, name)) for name, label in runs]
    present = [(label, r) for label, r in reports if r is not None]
    day = _load(folder, "propagation-10000-day") or _load(folder, "propagation-1000-compact")
    return draw(folder, present, day, _load(folder, "kademlia"))


def draw(
    folder: Path,
    present: list[tuple[str, dict[str, Any]]],
    day: dict[str, Any] | None,
    kad: dict[str, Any] | None,
) -> list[Path]:
    """The propagation CDF of ``present``, orphan rate and finality delay of ``day``, Kademlia hops."""
    written: list[Path] = []
    if present:
        fig, ax = plt.subplots(figsize=STYLE["figsize"])
        for label, report in present:
            xs = [x for x in report["propagation_seconds"]["pooled_cdf_percentiles"] if x is not None]
            ax.plot(xs, [(i + 1) / 100 for i in range(len(xs))], label=label)
        ax.set_xscale("log")
        ax.set_xlim(0.05, 5)
        ax.set_xlabel("seconds after the block was found")
        ax.set_ylabel("fraction of nodes")
        ax.set_title("Block propagation CDF")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
        written.append(_save(fig, folder / "propagation-cdf.png"))
    if day is not None:
        hours = day["blocks"]["per_hour"]
        fig, ax = plt.subplots(figsize=STYLE["figsize"])
        rates = [h["orphaned"] / h["mined"] if h["mined"] else 0.0 for h in hours]
        ax.bar(range(len(hours)), [100 * r for r in rates], color="tab:orange")
        ax.axhline(100 * (day["blocks"]["orphan_rate"] or 0), color="black", lw=1, label="whole run")
        ax.set_xlabel("hour")
        ax.set_ylabel("orphaned blocks (%)")
        ax.set_title(f"Orphan rate at 150 s blocks ({day['nodes']:,} nodes)")
        ax.legend(fontsize=7)
        written.append(_save(fig, folder / "orphan-rate.png"))
        delays = day["finality"]["delay_seconds"]
        if delays["p50"] is not None:
            fig, ax = plt.subplots(figsize=STYLE["figsize"])
            labels = ["median", "p90", "p99", "slowest"]
            values = [delays["p50"], delays["p90"], delays["p99"], delays["max"]]
            ax.barh(labels, values, color="tab:green")
            ax.axvline(900, color="red", lw=1, label="15-minute promise (900 s)")
            ax.set_xscale("log")
            ax.set_xlim(0.1, 2000)
            ax.invert_yaxis()
            ax.set_xlabel("seconds from block found to its finality certificate")
            measured = day["finality"]["blocks_measured"]
            ax.set_title(f"Time to finality ({measured} blocks, {day['nodes']:,} nodes)")
            ax.legend(fontsize=7, loc="lower right")
            written.append(_save(fig, folder / "finality-delay.png"))
    if kad is not None:
        sizes = kad["sizes"]
        fig, ax = plt.subplots(figsize=STYLE["figsize"])
        xs = [s["log2_nodes"] for s in sizes]
        ax.plot(xs, xs, "k--", lw=1, label="log2(n)")
        ax.plot(
            xs,
            [s["hops_to_closest_mean"] for s in sizes],
            "o-",
            label="rounds until the closest node is known",
        )
        ax.plot(xs, [s["rounds_to_done_mean"] for s in sizes], "s-", label="rounds until the lookup is done")
        ax.set_xlabel("log2(nodes)")
        ax.set_ylabel("rounds of alpha = 3 queries")
        ax.set_title("Kademlia lookups")
        ax.legend(fontsize=7)
        written.append(_save(fig, folder / "kademlia-hops.png"))
    return written


def plot_report(report: dict[str, Any], out: Path) -> list[Path]:
    """The plots of one run, written beside its report (``rusty simulate --plots``)."""
    if "sizes" in report:
        return draw(out, [], None, report)
    if "propagation_seconds" in report:
        return draw(out, [(str(report["scenario"]), report)], report, None)
    return []

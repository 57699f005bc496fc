"""The network simulator (sim/, docs/simulation.md): small scenarios with asserted invariants.

Large runs are opt-in: ``RUSTY_SIM_LARGE=1`` runs the 1,000-node scenario here; the 10,000-node
reports are produced by ``python -m sim.docs`` and checked into docs/simulation/.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from reference.cli import main as rusty
from sim.cli import encode_report, run_scenario
from sim.scenario import Attack, ScenarioError, load_scenario, parse_scenario

SCENARIOS = Path(__file__).parent.parent / "sim" / "scenarios"
SMALL = """
name = "ci"
nodes = 80
duration_seconds = 5400
block_transactions = 200
[mining]
miners = 8
[masternodes]
count = 20
[churn]
offline_fraction = 0.1
mean_offline_seconds = 600
"""


def test_same_seed_same_report_bytes(tmp_path: Path) -> None:
    scenario_file = tmp_path / "ci.toml"
    scenario_file.write_text(SMALL)
    reports = []
    for name in ("a", "b"):
        out = tmp_path / name
        result = CliRunner().invoke(rusty, ["simulate", str(scenario_file), "--seed", "7", "--out", str(out)])
        assert result.exit_code == 0, result.output
        reports.append((out / "report.json").read_bytes())
    assert reports[0] == reports[1]
    other = run_scenario(parse_scenario(SMALL), 8)
    assert encode_report(other) != reports[0]


def test_small_network_converges_and_finalizes() -> None:
    report = run_scenario(parse_scenario(SMALL), 3)
    blocks, inv, fin = report["blocks"], report["invariants"], report["finality"]
    assert blocks["mined"] >= 20 and blocks["main_chain_height"] >= blocks["mined"] - blocks["orphans"] - 1
    assert inv["finality_violations"] == 0 and inv["conflicting_finalized_blocks"] == 0
    assert inv["tracked_on_common_tip"] == inv["tracked_nodes"]
    assert inv["online_on_common_tip"] >= inv["online_nodes"] - 2  # a block found in the last second
    assert fin["certificates"] > 0 and fin["unfinalized_blocks"] == 0
    assert fin["delay_seconds"]["max"] < 900  # the 15-minute promise, with room to spare
    prop = report["propagation_seconds"]
    assert 0 < prop["t50"]["median"] <= prop["t90"]["median"] <= prop["t99"]["median"] < 30
    assert report["bandwidth"]["compact_reconstructed_identical_block"] is True


def test_compact_relay_is_faster_and_smaller_than_full() -> None:
    base = parse_scenario(SMALL)
    compact = run_scenario(replace(base, block_transactions=2000, masternodes=0), 1)
    full = run_scenario(replace(base, block_transactions=2000, masternodes=0, relay="full"), 1)
    assert compact["bandwidth"]["compact_over_full"] < 0.2
    assert compact["propagation_seconds"]["t90"]["median"] < full["propagation_seconds"]["t90"]["median"]


def test_partition_heals_without_reverting_finality() -> None:
    scenario = replace(
        parse_scenario(SMALL),
        duration_seconds=8400,
        churn_offline_fraction=0.0,
        attacks=(Attack("partition", 4200, 6600, regions=("asia", "oceania")),),
    )
    report = run_scenario(scenario, 5)
    inv, cut_off, rest = report["invariants"], report["partition"]["cut_off"], report["partition"]["rest"]
    assert inv["finality_violations"] == 0 and inv["conflicting_finalized_blocks"] == 0
    assert inv["tracked_on_common_tip"] == inv["tracked_nodes"]
    # 20 masternodes, threshold 14: only a side holding 14 of them can finalize while cut off.
    for side in (cut_off, rest):
        assert (side["finality_advances_during_partition"] > 0) == (side["masternodes"] >= 14)
    assert rest["blocks_mined_during_partition"] > 0


def test_eclipse_victim_never_finalizes_attacker_blocks() -> None:
    scenario = replace(
        parse_scenario(SMALL),
        churn_offline_fraction=0.0,
        attacks=(Attack("eclipse", 1200, 3000, victims=1, hash_share=0.5),),
    )
    report = run_scenario(scenario, 2)
    eclipse = report["eclipse"]
    assert eclipse["attacker_blocks"] > 0
    assert eclipse["victim_finalized_an_attacker_block"] is False
    assert eclipse["victims_back_on_honest_tip"] == 1
    assert report["invariants"]["finality_violations"] == 0


@pytest.mark.parametrize(
    "text",
    ["nodes = 3", 'name = "x"\nkind = "weather"', 'name = "x"\nrelay = "pigeon"', 'name = "x"\nnodes = 2'],
)
def test_bad_scenarios_are_refused(text: str) -> None:
    with pytest.raises(ScenarioError):
        parse_scenario(text)


@pytest.mark.skipif(not os.environ.get("RUSTY_SIM_LARGE"), reason="large run: set RUSTY_SIM_LARGE=1")
def test_large_network_1000_nodes() -> None:
    scenario = replace(parse_scenario(SMALL), nodes=1000, masternodes=200, duration_seconds=6 * 3600)
    report = run_scenario(scenario, 1)
    assert report["invariants"]["finality_violations"] == 0
    assert report["invariants"]["tracked_on_common_tip"] == report["invariants"]["tracked_nodes"]


def test_kademlia_lookups_find_the_closest_nodes() -> None:
    text = 'name = "kad"\nkind = "kademlia"\n[kademlia]\nsizes = [32, 128]\nlookups = 20\n'
    report = run_scenario(parse_scenario(text), 1)
    small, large = report["sizes"]
    for size in (small, large):
        assert size["exact_k_closest_fraction"] == 1.0
        assert size["hops_to_closest_max"] <= size["log2_nodes"]
    assert small["table_contacts_mean"] < large["table_contacts_mean"]


def test_late_node_headers_first_sync_reaches_the_same_chain() -> None:
    text = 'name = "sync"\nkind = "sync"\nblock_transactions = 100\n[sync]\nbehind_blocks = 300\n'
    report = run_scenario(parse_scenario(text), 1)
    assert report["synced_to_the_same_chain"] is True
    assert report["getheaders_rounds"] == 2  # one answer of 300 headers, then the empty one
    assert 0 < report["headers_seconds"] < report["blocks_seconds"]


def test_dkg_survives_n_minus_t_byzantine_and_fails_beyond() -> None:
    text = 'name = "dkg"\nkind = "dkg"\n[dkg]\nmembers = [4]\n'
    runs = run_scenario(parse_scenario(text), 1)["runs"]
    assert [r["byzantine"] for r in runs] == [0, 1, 2]  # t = 3 of 4: n - t = 1
    assert all(r["completed"] and r["certificate_of_t_honest_members_verifies"] for r in runs[:2])
    assert runs[-1]["completed"] is False and runs[-1]["error"] == "DKG_FAILED"


def test_finality_beats_work_when_a_partition_heals() -> None:
    """The side cut off has 60 % of the hash rate and 15 of 200 masternodes: its heavier chain must
    lose to the other side's finalized one (FORK-2), and no finalized block is ever reverted."""
    scenario = replace(
        load_scenario(SCENARIOS / "partition-finality-vs-work.toml"),
        duration_seconds=7800,
        block_transactions=200,
    )
    report = run_scenario(scenario, 1)
    cut_off, rest = report["partition"]["cut_off"], report["partition"]["rest"]
    assert (
        cut_off["hash_share"] > 0.5
        and cut_off["blocks_mined_during_partition"] > rest["blocks_mined_during_partition"]
    )
    assert cut_off["finality_advances_during_partition"] == 0 < rest["finality_advances_during_partition"]
    assert cut_off["of_them_orphaned"] == cut_off["blocks_mined_during_partition"]
    assert cut_off["reorg_depth_at_heal"] == cut_off["blocks_mined_during_partition"]
    inv = report["invariants"]
    assert inv["finality_violations"] == 0 and inv["conflicting_finalized_blocks"] == 0
    assert inv["tracked_on_common_tip"] == inv["tracked_nodes"]
    assert inv["online_on_common_tip"] == inv["online_nodes"]


def test_plots_of_a_run_are_small_pngs(tmp_path: Path) -> None:
    from sim.plots import plot_report

    report = run_scenario(replace(parse_scenario(SMALL), nodes=40, duration_seconds=5400), 1)
    written = plot_report(report, tmp_path)
    assert {p.name for p in written} == {"propagation-cdf.png", "orphan-rate.png", "finality-delay.png"}
    for path in written:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size < 100_000

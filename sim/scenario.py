"""Scenario files: the simulated network, its miners, masternodes, churn and attacks (TOML)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class ScenarioError(ValueError):
    """A scenario file that does not describe a simulation."""


@dataclass(frozen=True)
class Region:
    """A region: its share of the nodes, per-connection bandwidth, one-way latency medians."""

    name: str
    share: float
    bandwidth_mbps: float
    latency_ms: dict[str, float]


@dataclass(frozen=True)
class Attack:
    """``partition`` (the nodes of ``regions`` are cut from the rest) or ``eclipse`` (``victims``
    nodes whose every connection is an attacker's; the attacker mines privately with
    ``hash_share`` of the honest rate and feeds the victims only its own blocks)."""

    kind: str
    start_seconds: float
    end_seconds: float
    regions: tuple[str, ...] = ()
    victims: int = 1
    hash_share: float = 0.0


@dataclass(frozen=True)
class Scenario:
    """One simulation (docs/simulation.md#scenario-files)."""

    name: str
    kind: str = "network"
    preset: str = "mainnet"
    nodes: int = 100
    duration_seconds: float = 3600.0
    relay: str = "compact"
    block_transactions: int = 2000
    validation_ms: float = 30.0
    mempool_miss_fraction: float = 0.1
    missing_per_miss: int = 3
    latency_sigma: float = 0.35
    regions: tuple[Region, ...] = ()
    miners: int = 10
    hash_shares: tuple[float, ...] = ()
    masternodes: int = 0
    miners_per_region: tuple[tuple[str, int], ...] = ()
    """Where the miners are (in order: the first miners get the largest hash shares); default anywhere."""
    masternodes_per_region: tuple[tuple[str, int], ...] = ()
    churn_offline_fraction: float = 0.0
    churn_mean_offline_seconds: float = 1800.0
    attacks: tuple[Attack, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)
    """Kind-specific settings (``[kademlia]``, ``[sync]``, ``[dkg]`` tables)."""


_DEFAULT_REGIONS = (
    Region("north_america", 0.35, 50.0, {"north_america": 25, "europe": 45, "asia": 90, "oceania": 80}),
    Region("europe", 0.35, 50.0, {"north_america": 45, "europe": 15, "asia": 110, "oceania": 140}),
    Region("asia", 0.22, 30.0, {"north_america": 90, "europe": 110, "asia": 35, "oceania": 60}),
    Region("oceania", 0.08, 30.0, {"north_america": 80, "europe": 140, "asia": 60, "oceania": 20}),
)


def _regions(raw: dict[str, Any]) -> tuple[Region, ...]:
    if not raw:
        return _DEFAULT_REGIONS
    regions = tuple(
        Region(
            name,
            float(r["share"]),
            float(r["bandwidth_mbps"]),
            {k: float(v) for k, v in r["latency_ms"].items()},
        )
        for name, r in raw.items()
    )
    names = {r.name for r in regions}
    for region in regions:
        if set(region.latency_ms) != names:
            raise ScenarioError(f"region {region.name} must give a latency to every region")
    return regions


def parse_scenario(text: str) -> Scenario:
    """The scenario of a TOML document; ``ScenarioError`` on a missing or malformed field."""
    try:
        raw = tomllib.loads(text)
        mining = raw.get("mining", {})
        churn = raw.get("churn", {})
        attacks = tuple(
            Attack(
                kind=str(a["kind"]),
                start_seconds=float(a["start_seconds"]),
                end_seconds=float(a["end_seconds"]),
                regions=tuple(a.get("regions", ())),
                victims=int(a.get("victims", 1)),
                hash_share=float(a.get("hash_share", 0.0)),
            )
            for a in raw.get("attacks", [])
        )
        scenario = Scenario(
            name=str(raw["name"]),
            kind=str(raw.get("kind", "network")),
            preset=str(raw.get("preset", "mainnet")),
            nodes=int(raw.get("nodes", 100)),
            duration_seconds=float(raw.get("duration_seconds", 3600)),
            relay=str(raw.get("relay", "compact")),
            block_transactions=int(raw.get("block_transactions", 2000)),
            validation_ms=float(raw.get("validation_ms", 30)),
            mempool_miss_fraction=float(raw.get("mempool_miss_fraction", 0.1)),
            missing_per_miss=int(raw.get("missing_per_miss", 3)),
            latency_sigma=float(raw.get("latency_sigma", 0.35)),
            regions=_regions(raw.get("regions", {})),
            miners=int(mining.get("miners", sum(mining.get("per_region", {}).values()) or 10)),
            miners_per_region=tuple((str(k), int(v)) for k, v in mining.get("per_region", {}).items()),
            masternodes_per_region=tuple(
                (str(k), int(v)) for k, v in raw.get("masternodes", {}).get("per_region", {}).items()
            ),
            hash_shares=tuple(float(x) for x in mining.get("hash_shares", ())),
            masternodes=int(
                raw.get("masternodes", {}).get(
                    "count", sum(raw.get("masternodes", {}).get("per_region", {}).values())
                )
            ),
            churn_offline_fraction=float(churn.get("offline_fraction", 0.0)),
            churn_mean_offline_seconds=float(churn.get("mean_offline_seconds", 1800)),
            attacks=attacks,
            extra={k: raw[k] for k in ("kademlia", "sync", "dkg") if k in raw},
        )
    except (KeyError, TypeError, ValueError, tomllib.TOMLDecodeError) as exc:
        raise ScenarioError(f"bad scenario: {exc}") from exc
    if scenario.kind not in ("network", "kademlia", "sync", "dkg"):
        raise ScenarioError(f"unknown scenario kind {scenario.kind!r}")
    if scenario.relay not in ("compact", "full"):
        raise ScenarioError(f"relay must be compact or full, not {scenario.relay!r}")
    if scenario.kind == "network" and scenario.nodes < max(scenario.miners, scenario.masternodes, 2):
        raise ScenarioError("fewer nodes than miners or masternodes")
    names = {r.name for r in scenario.regions}
    for placement, total in (
        (scenario.miners_per_region, scenario.miners),
        (scenario.masternodes_per_region, scenario.masternodes),
    ):
        if placement and (not {k for k, _ in placement} <= names or sum(v for _, v in placement) != total):
            raise ScenarioError(f"per_region {placement} must name regions and add up to {total}")
    for attack in attacks:
        if attack.kind not in ("partition", "eclipse") or attack.end_seconds <= attack.start_seconds:
            raise ScenarioError(f"bad attack {attack}")
    return scenario


def load_scenario(path: Path) -> Scenario:
    """The scenario in the TOML file at ``path``."""
    return parse_scenario(path.read_text())

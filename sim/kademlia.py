"""Kademlia lookups at growing network sizes, on the spec's routing tables (P2P-KAD-1..4).

For each size ``n``: ``n`` random 256-bit node ids; every node's routing table is filled with
``spec.p2p.kademlia.insert`` from up to ``kademlia_k`` random nodes of each of its buckets (the
state a long-lived node converges to: Kademlia keeps the oldest live contacts, which are a random
subset). Lookups then run exactly as P2P-KAD-4 says: ``start_lookup``, rounds of
``next_queries`` (``kademlia_alpha`` in parallel), every queried node answering with
``closest`` of its own table, ``record_answer``, until ``lookup_done``.

Measured per size: the rounds until the target's true closest node enters the shortlist (the
"hops" of the Kademlia paper's ``log2(n)`` bound), the rounds until the lookup is done, the
queries sent, whether the result is the true ``k`` closest, and the lookup's latency with each
round as slow as its slowest request (region round-trip times from the scenario).
"""

from __future__ import annotations

import bisect
import math
import random
import statistics
from typing import Any

from sim.scenario import Scenario
from spec.p2p.kademlia import (
    RoutingTable,
    closest,
    empty_table,
    insert,
    lookup_done,
    lookup_result,
    next_queries,
    record_answer,
    start_lookup,
)
from spec.p2p.messages import NodeAddress
from spec.presets import Preset, get_preset


def _tables(ids: list[int], preset: Preset, rng: random.Random) -> dict[bytes, RoutingTable]:
    bits = preset.network.node_id_bits
    length = bits // 8
    k = preset.network.kademlia_k
    ordered = sorted(ids)
    address = {i: NodeAddress(i.to_bytes(length, "big"), bytes(4), 18444) for i in ordered}
    tables: dict[bytes, RoutingTable] = {}
    for own in ids:
        table = empty_table(address[own].node_id, preset)
        for bucket in range(bits):
            shift = bits - bucket - 1
            prefix = (own >> shift) ^ 1
            low, high = prefix << shift, (prefix + 1) << shift
            first, last = bisect.bisect_left(ordered, low), bisect.bisect_left(ordered, high)
            members = ordered[first:last]
            if len(members) > k:
                members = sorted(rng.sample(members, k))
            for member in members:
                table = insert(table, address[member], True, preset)
        tables[address[own].node_id] = table
    return tables


def _size_report(n: int, lookups: int, scenario: Scenario, preset: Preset, seed: int) -> dict[str, Any]:
    rng = random.Random(f"{seed}:{scenario.name}:kademlia:{n}")
    bits = preset.network.node_id_bits
    ids = sorted({rng.getrandbits(bits) for _ in range(n)})
    tables = _tables(ids, preset, rng)
    node_ids = list(tables)
    region_names = [r.name for r in scenario.regions]
    weights = [r.share for r in scenario.regions]
    region = {nid: rng.choices(range(len(region_names)), weights=weights)[0] for nid in node_ids}
    k = preset.network.kademlia_k
    hops: list[int] = []
    rounds: list[int] = []
    queries: list[int] = []
    exact = 0
    latency: list[float] = []
    for _ in range(lookups):
        start = rng.choice(node_ids)
        target = rng.getrandbits(bits)
        target_id = target.to_bytes(bits // 8, "big")
        truth = sorted(
            (nid for nid in node_ids if nid != start), key=lambda x: int.from_bytes(x, "big") ^ target
        )
        nearest = truth[0]
        lookup = start_lookup(tables[start], target_id, preset)
        found_at = 0 if any(a.node_id == nearest for a in lookup.shortlist) else -1
        count = sent = 0
        seconds = 0.0
        while not lookup_done(lookup):
            lookup, chosen = next_queries(lookup, 0, preset)
            count += 1
            slowest = 0.0
            for contact in chosen:
                answer = closest(tables[contact.node_id], target_id, k, preset)
                lookup = record_answer(lookup, contact.node_id, answer, preset)
                a, b = scenario.regions[region[start]], region_names[region[contact.node_id]]
                slowest = max(
                    slowest, 2 * a.latency_ms[b] / 1000 * math.exp(rng.gauss(0, scenario.latency_sigma))
                )
            sent += len(chosen)
            seconds += slowest
            if found_at < 0 and any(a.node_id == nearest for a in lookup.shortlist):
                found_at = count
        result = [a.node_id for a in lookup_result(lookup)]
        exact += result[:k] == truth[:k]
        hops.append(found_at)
        rounds.append(count)
        queries.append(sent)
        latency.append(seconds)
    return {
        "nodes": len(ids),
        "log2_nodes": round(math.log2(len(ids)), 3),
        "hops_to_closest_mean": round(statistics.fmean(hops), 3),
        "hops_to_closest_max": max(hops),
        "rounds_to_done_mean": round(statistics.fmean(rounds), 3),
        "queries_mean": round(statistics.fmean(queries), 3),
        "exact_k_closest_fraction": round(exact / lookups, 4),
        "lookup_seconds_median": round(statistics.median(latency), 4),
        "table_contacts_mean": round(
            statistics.fmean(sum(len(b.nodes) for b in t.buckets) for t in tables.values()), 2
        ),
    }


def simulate_kademlia(scenario: Scenario, seed: int) -> dict[str, Any]:
    """The report of a ``kademlia`` scenario (``[kademlia] sizes``, ``lookups``)."""
    preset = get_preset(scenario.preset)
    settings = scenario.extra.get("kademlia", {})
    sizes = [int(x) for x in settings.get("sizes", [64, 256, 1024])]
    lookups = int(settings.get("lookups", 100))
    return {
        "scenario": scenario.name,
        "seed": seed,
        "kademlia_k": preset.network.kademlia_k,
        "kademlia_alpha": preset.network.kademlia_alpha,
        "sizes": [_size_report(n, lookups, scenario, preset, seed) for n in sizes],
    }

"""Headers-first sync of a late node, on the spec's sync functions (P2P-SYNC-1..3).

A real header chain of ``[sync] behind_blocks`` headers is built on the devnet preset (its proof
of work is ground for real: devnet's limit makes that cheap; mainnet's limit takes about 2^24 hashes a
header) and the late node catches up as a reference node does: ``block_locator`` of what it has,
a peer answers ``headers_after`` (at most ``max_headers_per_message``), the node checks every
header with ``connect_headers`` (HDR-2..4, POW-1..4), until an empty answer; then it downloads
the bodies from all its peers in parallel (``[sync] window`` blocks in flight per peer).

SimPy runs the exchange: each round trip costs the link's latency both ways plus the frame's
bytes over the link's bandwidth (frames encoded with ``encode_frame``); body downloads share the
late node's downlink. Block bodies are the relay template's size (:mod:`sim.relay`).
"""

from __future__ import annotations

import math
import random
from typing import Any

import simpy

from sim.relay import relay_sizes
from sim.scenario import Scenario
from spec.chain.block import BlockHeader, block_hash
from spec.chain.pow import check_proof_of_work, next_bits
from spec.errors import SpecError
from spec.p2p.messages import NO_STOP_HASH, GetHeaders, Headers, encode_frame
from spec.p2p.sync import EMPTY_HEADER_CHAIN, block_locator, chain_hashes, connect_headers, headers_after
from spec.presets import Preset, get_preset


def build_header_chain(count: int, preset: Preset) -> list[BlockHeader]:
    """``count`` headers from genesis that pass ``connect_headers`` (PoW ground for real)."""
    headers: list[BlockHeader] = []
    timestamps: list[int] = []
    parent, bits = bytes(32), preset.chain.pow_limit_bits
    for height in range(count):
        bits = next_bits(height, bits, timestamps, preset)
        timestamp = preset.chain.genesis_timestamp + height * preset.chain.target_block_seconds
        nonce = 0
        while True:
            header = BlockHeader(1, height, parent, bytes(32), bytes(32), bytes(32), timestamp, bits, nonce)
            try:
                check_proof_of_work(block_hash(header, preset), bits, preset)
                break
            except SpecError:
                nonce += 1
        headers.append(header)
        timestamps.append(timestamp)
        parent = block_hash(header, preset)
    return headers


def simulate_sync(scenario: Scenario, seed: int) -> dict[str, Any]:
    """The report of a ``sync`` scenario (``[sync] behind_blocks``, ``peers``, ``window``, ``region``)."""
    settings = scenario.extra.get("sync", {})
    behind = int(settings.get("behind_blocks", 5760))
    peers = int(settings.get("peers", 8))
    window = int(settings.get("window", 16))
    preset = get_preset(str(settings.get("header_preset", "devnet")))
    rng = random.Random(f"{seed}:{scenario.name}:sync")
    regions = scenario.regions
    home = regions[int(settings.get("region_index", 0))]
    links: list[tuple[float, float]] = []
    for _ in range(peers):
        other = rng.choices(regions, weights=[r.share for r in regions])[0]
        latency = home.latency_ms[other.name] / 1000 * math.exp(rng.gauss(0, scenario.latency_sigma))
        links.append((latency, min(home.bandwidth_mbps, other.bandwidth_mbps) * 1e6 / 8))
    server = build_header_chain(behind + 1, preset)
    now = server[-1].timestamp
    body = relay_sizes(scenario.block_transactions, 0, scenario.preset).block
    validation = scenario.validation_ms / 1000
    env = simpy.Environment()
    downlink = simpy.Resource(env, capacity=1)
    log: dict[str, Any] = {"rounds": 0, "header_bytes": 0}
    state = {"known": connect_headers(EMPTY_HEADER_CHAIN, server[:1], now, preset)}

    def headers_phase() -> Any:
        latency, bandwidth = links[0]
        limit = preset.network.max_headers_per_message
        while True:
            locator = block_locator(state["known"].hashes)
            request = len(encode_frame(GetHeaders(locator, NO_STOP_HASH), preset))
            answer = headers_after(server, locator, NO_STOP_HASH, limit, preset)
            reply = len(encode_frame(Headers(tuple(answer)), preset))
            yield env.timeout(2 * latency + (request + reply) / bandwidth)
            log["rounds"] += 1
            log["header_bytes"] += request + reply
            if not answer:
                return
            state["known"] = connect_headers(state["known"], answer, now, preset)
            yield env.timeout(len(answer) * 0.0001)  # header checks: 0.1 ms each

    def fetch(peer: int, queue: list[int]) -> Any:
        latency, bandwidth = links[peer]
        while queue:
            batch = [queue.pop() for _ in range(min(window, len(queue)))]
            yield env.timeout(2 * latency)
            with downlink.request() as slot:
                yield slot
                yield env.timeout(len(batch) * body / min(bandwidth, home.bandwidth_mbps * 1e6 / 8))
            yield env.timeout(len(batch) * validation)

    def run() -> Any:
        yield env.process(headers_phase())
        log["headers_done"] = env.now
        queue = list(range(behind, 0, -1))
        yield simpy.AllOf(env, [env.process(fetch(p, queue)) for p in range(peers)])
        log["blocks_done"] = env.now

    env.process(run())
    env.run()
    synced = state["known"].hashes == chain_hashes(server, preset)
    return {
        "scenario": scenario.name,
        "seed": seed,
        "behind_blocks": behind,
        "header_preset": preset.name,
        "peers": peers,
        "getheaders_rounds": log["rounds"],
        "header_bytes": log["header_bytes"],
        "headers_seconds": round(log["headers_done"], 3),
        "block_bytes_each": body,
        "blocks_seconds": round(log["blocks_done"] - log["headers_done"], 3),
        "total_seconds": round(log["blocks_done"], 3),
        "synced_to_the_same_chain": synced,
        "chain_days_behind": round(behind * 150 / 86400, 2),
    }

"""The simulated relay graph: regions, per-link latency and bandwidth, and flooding over it.

Each node opens ``max_outbound`` connections (the preset's P2P limit) to random peers that still
have an inbound slot (``max_inbound``). A link's one-way latency is drawn once from a lognormal
distribution around its two regions' median; its bandwidth is the smaller of the two ends'.

:func:`flood` computes when every node first receives a message relayed by every node on first
receipt (earliest-arrival Dijkstra over the per-hop delays, which is exactly what one simulated
event per message would compute, without 10^8 events). A node relays a block only once it has
its parent (it must validate it first), links can be cut for an interval (a partition or an
eclipse: a message waiting on a cut link crosses when the link heals), and offline nodes neither
receive nor relay until they return.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sim.scenario import Scenario

INF = math.inf


@dataclass
class Topology:
    """Nodes, their regions, and the adjacency lists with per-link latency (s) and bandwidth (B/s)."""

    regions: list[int]
    neighbours: list[list[int]]
    latency: list[list[float]]
    bandwidth: list[list[float]]

    @property
    def size(self) -> int:
        return len(self.regions)


def build_topology(scenario: Scenario, outbound: int, inbound: int, rng: random.Random) -> Topology:
    """A random graph of ``scenario.nodes`` nodes with ``outbound`` connections each."""
    n = scenario.nodes
    shares = [r.share for r in scenario.regions]
    total = sum(shares)
    regions = [rng.choices(range(len(shares)), weights=[s / total for s in shares])[0] for _ in range(n)]
    linked: list[set[int]] = [set() for _ in range(n)]
    inbound_count = [0] * n
    for node in range(n):
        want = min(outbound, n - 1)
        opened = tries = 0
        while opened < want and tries < 50 * want:
            tries += 1
            peer = rng.randrange(n)
            if peer == node or peer in linked[node] or inbound_count[peer] >= inbound:
                continue
            opened += 1
            linked[node].add(peer)
            linked[peer].add(node)
            inbound_count[peer] += 1
    neighbours: list[list[int]] = []
    latency: list[list[float]] = []
    bandwidth: list[list[float]] = []
    edge_latency: dict[tuple[int, int], float] = {}
    for node in range(n):
        peers = sorted(linked[node])
        neighbours.append(peers)
        lats: list[float] = []
        bws: list[float] = []
        for peer in peers:
            key = (min(node, peer), max(node, peer))
            if key not in edge_latency:
                a, b = scenario.regions[regions[key[0]]], scenario.regions[regions[key[1]]]
                median = a.latency_ms[b.name] / 1000.0
                edge_latency[key] = median * math.exp(rng.gauss(0.0, scenario.latency_sigma))
            lats.append(edge_latency[key])
            bw = min(
                scenario.regions[regions[node]].bandwidth_mbps, scenario.regions[regions[peer]].bandwidth_mbps
            )
            bws.append(bw * 1e6 / 8)
        latency.append(lats)
        bandwidth.append(bws)
    return Topology(regions, neighbours, latency, bandwidth)


@dataclass(frozen=True)
class Cut:
    """Links cut during ``[start, end)``: ``cut(u, v)`` says whether the link u->v is one."""

    start: float
    end: float
    cut: Callable[[int, int], bool]


Edges = list[list[tuple[int, float, float]]]
"""Per sender: ``(receiver, delay, extra)`` for each link; ``extra`` is added when the receiver
is one that must fetch missing transactions (a compact block's ``GetBlockTxn`` round trip)."""


def link_delays(topology: Topology, hop: Callable[[float, float], tuple[float, float]]) -> Edges:
    """Per-link ``(delay, extra)`` of one kind of message: ``hop(latency, bandwidth)``."""
    return [
        [(peer, *hop(lat, bw)) for peer, lat, bw in zip(peers, lats, bws, strict=True)]
        for peers, lats, bws in zip(topology.neighbours, topology.latency, topology.bandwidth, strict=True)
    ]


def flood(
    edges: Edges,
    sources: Sequence[tuple[int, float]],
    cuts: Sequence[Cut] = (),
    ready: Sequence[float] | None = None,
    offline_until: Callable[[int, float], float] | None = None,
    missing: Sequence[bool] | None = None,
) -> list[float]:
    """The time every node first holds the message sent by ``sources`` (``(node, time)`` pairs).

    ``ready[v]``: the earliest time ``v`` may accept it (its parent block's arrival);
    ``offline_until(v, t)``: when ``v``, offline at ``t``, is back (``t`` if online);
    ``missing[v]``: ``v`` pays the links' ``extra``.
    """
    size = len(edges)
    arrival = [INF] * size
    best = [INF] * size
    done = [False] * size
    heap: list[tuple[float, int]] = []
    for node, t in sources:
        if t < best[node]:
            best[node] = t
            heap.append((t, node))
    heapq.heapify(heap)
    pop, push = heapq.heappop, heapq.heappush
    no_ready = [-INF] * size
    ready_at = no_ready if ready is None else ready
    miss = [False] * size if missing is None else missing
    while heap:
        time, node = pop(heap)
        if done[node]:
            continue
        done[node] = True
        arrival[node] = time
        blocked = [c for c in cuts if c.start <= time < c.end] if cuts else None
        for peer, delay, extra in edges[node]:
            if done[peer]:
                continue
            at = time + delay
            if blocked:
                depart = time
                for cut in blocked:
                    if cut.cut(node, peer):
                        depart = cut.end
                at = depart + delay
            if miss[peer]:
                at += extra
            if ready_at[peer] > at:
                at = ready_at[peer]
            if offline_until is not None:
                at = offline_until(peer, at)
            if at < best[peer]:
                best[peer] = at
                push(heap, (at, peer))
    return arrival


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) of sorted values, nearest rank; ``inf`` if empty."""
    if not sorted_values:
        return INF
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]

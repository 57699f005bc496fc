"""Kademlia node discovery: XOR distance, k-buckets, closest nodes, iterative lookups
(protocol steps "P2P-KAD-1".."P2P-KAD-4").

* **P2P-KAD-1** node ids are ``node_id_bits // 8`` bytes (32 on both networks), read as big-endian
  integers. ``distance(a, b) = a XOR b``. A node ``x`` belongs in bucket
  ``node_id_bits - bitlength(distance(own, x))``, that is ``255 - floor(log2(distance))`` for
  256-bit ids: bucket 0 holds the farther half of the id space, bucket 255 the single closest id.
  The own id has no bucket (``P2P_INVALID_NODE_ID``), nor has an id of the wrong length.
* **P2P-KAD-2** a bucket holds at most ``kademlia_k`` nodes, least recently seen first, and a
  replacement cache of at most ``kademlia_k`` nodes, most recently seen last. When a node is seen:
  if it is in its bucket it moves to the tail (with its latest address); else if the bucket has
  room it is appended; else the least recently seen node (the head) is pinged: if it answers it
  moves to the tail and the newcomer goes to the replacement cache (the oldest replacement drops
  out when the cache is full), if not it is evicted and the newcomer appended. The ping result is
  an input (:func:`insert`'s ``head_alive``), the ping itself is the node's. The own id is never
  stored.
* **P2P-KAD-3** a node that fails (a request times out, the connection breaks) is removed from its
  bucket, and the most recently seen replacement takes its place at the tail.
* **P2P-KAD-4** ``closest(table, target, count)`` orders every stored node by ``(distance to
  target, id)`` and takes the first ``count``. A lookup for ``target`` keeps a shortlist of the
  ``kademlia_k`` closest nodes heard of that have not failed, queries (FindNode) up to
  ``kademlia_alpha`` unqueried ones at a time, merges each answer, and is done when every node of
  the shortlist has been queried; its result is the shortlist's nodes that answered.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from spec.errors import InvalidNodeId
from spec.p2p.messages import NodeAddress
from spec.presets import Preset


def node_id_length(preset: Preset) -> int:
    """P2P-KAD-1: the length of a node id in bytes."""
    return preset.network.node_id_bits // 8


def check_node_id(node_id: bytes, preset: Preset) -> None:
    """P2P-KAD-1: raise ``P2P_INVALID_NODE_ID`` unless ``node_id`` has the preset's length."""
    if len(node_id) != node_id_length(preset):
        raise InvalidNodeId(f"a node id is {node_id_length(preset)} bytes, got {len(node_id)}")


def distance(a: bytes, b: bytes) -> int:
    """P2P-KAD-1: the XOR distance of two ids of equal length."""
    return int.from_bytes(a, "big") ^ int.from_bytes(b, "big")


def bucket_index(own_id: bytes, node_id: bytes, preset: Preset) -> int:
    """P2P-KAD-1: the bucket of ``node_id`` in the table of ``own_id``: ``bits - bitlength(distance)``."""
    check_node_id(own_id, preset)
    check_node_id(node_id, preset)
    gap = distance(own_id, node_id)
    if gap == 0:
        raise InvalidNodeId("the own id has no bucket")
    return bucket_of_distance(gap, preset.network.node_id_bits)


def bucket_of_distance(gap: int, id_bits: int) -> int:
    """P2P-KAD-1: the bucket of a non-zero XOR distance: ``id_bits - bitlength(gap)``."""
    return id_bits - gap.bit_length()


@dataclass(frozen=True)
class Bucket:
    """P2P-KAD-2: nodes least recently seen first; replacements most recently seen last."""

    nodes: tuple[NodeAddress, ...] = ()
    replacements: tuple[NodeAddress, ...] = ()


@dataclass(frozen=True)
class RoutingTable:
    """P2P-KAD-2: one bucket per id bit (index 0: farthest)."""

    own_id: bytes
    buckets: tuple[Bucket, ...]


def empty_table(own_id: bytes, preset: Preset) -> RoutingTable:
    """A routing table with no nodes."""
    check_node_id(own_id, preset)
    return RoutingTable(own_id, (Bucket(),) * preset.network.node_id_bits)


def _without(nodes: tuple[NodeAddress, ...], node_id: bytes) -> tuple[NodeAddress, ...]:
    return tuple(n for n in nodes if n.node_id != node_id)


def _set_bucket(table: RoutingTable, index: int, bucket: Bucket) -> RoutingTable:
    buckets = table.buckets
    return replace(table, buckets=(*buckets[:index], bucket, *buckets[index + 1 :]))


def head_to_ping(table: RoutingTable, contact: NodeAddress, preset: Preset) -> NodeAddress | None:
    """P2P-KAD-2: the node to ping before :func:`insert` can place ``contact`` (``None``: no ping needed)."""
    if contact.node_id == table.own_id:
        return None
    bucket = table.buckets[bucket_index(table.own_id, contact.node_id, preset)]
    known = any(n.node_id == contact.node_id for n in bucket.nodes)
    if known or len(bucket.nodes) < preset.network.kademlia_k:
        return None
    return bucket.nodes[0]


def insert(table: RoutingTable, contact: NodeAddress, head_alive: bool, preset: Preset) -> RoutingTable:
    """P2P-KAD-2: ``table`` after ``contact`` was seen; ``head_alive`` answers the ping of
    :func:`head_to_ping` (it is read only when that ping was needed)."""
    if contact.node_id == table.own_id:
        return table
    index = bucket_index(table.own_id, contact.node_id, preset)
    bucket = table.buckets[index]
    k = preset.network.kademlia_k
    others = _without(bucket.nodes, contact.node_id)
    if len(others) < len(bucket.nodes) or len(bucket.nodes) < k:
        updated = Bucket((*others, contact), _without(bucket.replacements, contact.node_id))
    elif head_alive:
        head, rest = bucket.nodes[0], bucket.nodes[1:]
        cache = (*_without(bucket.replacements, contact.node_id), contact)
        updated = Bucket((*rest, head), cache[-k:])
    else:
        updated = Bucket((*bucket.nodes[1:], contact), _without(bucket.replacements, contact.node_id))
    return _set_bucket(table, index, updated)


def remove(table: RoutingTable, node_id: bytes, preset: Preset) -> RoutingTable:
    """P2P-KAD-3: ``table`` without the failed node; the newest replacement takes its bucket place."""
    if node_id == table.own_id:
        return table
    index = bucket_index(table.own_id, node_id, preset)
    bucket = table.buckets[index]
    nodes = _without(bucket.nodes, node_id)
    replacements = _without(bucket.replacements, node_id)
    if len(nodes) < len(bucket.nodes) and replacements:
        nodes, replacements = (*nodes, replacements[-1]), replacements[:-1]
    if nodes == bucket.nodes and replacements == bucket.replacements:
        return table
    return _set_bucket(table, index, Bucket(nodes, replacements))


def table_nodes(table: RoutingTable) -> tuple[NodeAddress, ...]:
    """Every node of the bucket lists (not the replacement caches), bucket by bucket."""
    return tuple(node for bucket in table.buckets for node in bucket.nodes)


def sort_by_distance(nodes: Iterable[NodeAddress], target: bytes) -> tuple[NodeAddress, ...]:
    """P2P-KAD-4: ``nodes`` ordered by ``(distance to target, id)``."""
    return tuple(sorted(nodes, key=lambda n: (distance(n.node_id, target), n.node_id)))


def closest(table: RoutingTable, target: bytes, count: int, preset: Preset) -> tuple[NodeAddress, ...]:
    """P2P-KAD-4: the ``count`` stored nodes closest to ``target``."""
    check_node_id(target, preset)
    return sort_by_distance(table_nodes(table), target)[: max(count, 0)]


# --------------------------------------------------------------------------------------------
# Iterative lookup (P2P-KAD-4)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lookup:
    """P2P-KAD-4: the state of one iterative FindNode lookup."""

    target: bytes
    own_id: bytes
    shortlist: tuple[NodeAddress, ...]
    queried: frozenset[bytes]
    answered: frozenset[bytes]
    failed: frozenset[bytes]


def _shortlist(lookup: Lookup, heard: Iterable[NodeAddress], preset: Preset) -> tuple[NodeAddress, ...]:
    known: dict[bytes, NodeAddress] = {n.node_id: n for n in lookup.shortlist}
    for node in heard:
        if node.node_id != lookup.own_id and node.node_id not in lookup.failed:
            known.setdefault(node.node_id, node)
    return sort_by_distance(known.values(), lookup.target)[: preset.network.kademlia_k]


def start_lookup(table: RoutingTable, target: bytes, preset: Preset) -> Lookup:
    """P2P-KAD-4: a lookup seeded with the table's ``kademlia_k`` closest nodes to ``target``."""
    start = Lookup(target, table.own_id, (), frozenset(), frozenset(), frozenset())
    nearest = closest(table, target, preset.network.kademlia_k, preset)
    return replace(start, shortlist=_shortlist(start, nearest, preset))


def next_queries(lookup: Lookup, in_flight: int, preset: Preset) -> tuple[Lookup, tuple[NodeAddress, ...]]:
    """P2P-KAD-4: the closest unqueried shortlist nodes to query now (``kademlia_alpha`` minus the
    requests still in flight), and the lookup with them marked queried."""
    room = max(preset.network.kademlia_alpha - in_flight, 0)
    chosen = tuple(n for n in lookup.shortlist if n.node_id not in lookup.queried)[:room]
    return replace(lookup, queried=lookup.queried | {n.node_id for n in chosen}), chosen


def record_answer(lookup: Lookup, responder: bytes, nodes: Sequence[NodeAddress], preset: Preset) -> Lookup:
    """P2P-KAD-4: merge a Nodes answer from ``responder`` into the shortlist."""
    answered = replace(lookup, answered=lookup.answered | {responder})
    return replace(answered, shortlist=_shortlist(answered, nodes, preset))


def record_failure(lookup: Lookup, node_id: bytes) -> Lookup:
    """P2P-KAD-4: ``node_id`` did not answer: it leaves the shortlist for good."""
    return replace(
        lookup,
        failed=lookup.failed | {node_id},
        shortlist=tuple(n for n in lookup.shortlist if n.node_id != node_id),
    )


def lookup_done(lookup: Lookup) -> bool:
    """P2P-KAD-4: every shortlist node has been queried (the node also waits for requests in flight)."""
    return all(n.node_id in lookup.queried for n in lookup.shortlist)


def lookup_result(lookup: Lookup) -> tuple[NodeAddress, ...]:
    """P2P-KAD-4: the shortlist nodes that answered, closest first."""
    return tuple(n for n in lookup.shortlist if n.node_id in lookup.answered)

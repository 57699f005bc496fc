"""A ban on libp2p takes effect at once (issue 18, reference/libp2p_node.py ``_punish``).

gossipsub runs a peer's validators concurrently: when one malformed message bans the peer, others
of the same peer are already on their way to the node. Found under load by
tests/test_libp2p_adversary.py (a flooder's junk scored 4 x ``malformed_message`` before the ban
took effect): each validation scored again. Now the ban check, the score and the ban run with no
await between them on the node's loop, so exactly one penalty lands whatever the interleaving.

The test drives the real trio-side validator of :class:`Libp2pBridge` (trio in a worker thread, the
node's asyncio loop in this one, as in the node) with many undecodable messages of one peer at once.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import trio
from libp2p.peer.id import ID
from libp2p.pubsub.pb import rpc_pb2

from reference.libp2p_host import GossipHost
from reference.libp2p_node import Libp2pBridge, Libp2pService
from reference.node import Node
from spec.p2p.libp2p import TopicKind, topic_name
from spec.presets import DEVNET

PEER = "12D3KooWBhs5fUwADK4jQKhNvvEEkbMtqFLGyY5aAqUi9fyWzJTT"
COUNT = 200
"""Malformed messages of one peer validated at once (below the bridge's MAX_NODE_CALLS)."""
MALFORMED = DEVNET.network.misbehaviour.malformed_message


async def _flood(node: Node, datadir: Path) -> tuple[list[bool], list[str], Libp2pService]:
    loop = asyncio.get_running_loop()
    service = Libp2pService(node, 0, datadir)
    bridge = Libp2pBridge(
        GossipHost(DEVNET, bytes(range(32))),
        0,
        loop,
        service._on_gossip,
        service._on_request,
        service._on_malformed,
    )
    hung_up: list[str] = []

    async def hang_up(peer: str) -> None:
        # the real one is a trip to trio (blacklist, disconnect): the node's loop runs the other
        # validations meanwhile, and only then does the trio side refuse the peer
        hung_up.append(peer)
        await asyncio.sleep(0.05)
        bridge.refused[peer] = None

    bridge.hang_up = hang_up  # type: ignore[method-assign]
    service.bridge = bridge
    validate = bridge._validator(TopicKind.COMPACT_BLOCK)
    forwarder = ID.from_base58(PEER)
    topic = topic_name(DEVNET, TopicKind.COMPACT_BLOCK)
    results: list[bool] = []

    async def one(index: int) -> None:
        message = rpc_pb2.Message(data=b"\x01junk %d" % index, topicIDs=[topic])
        results.append(await validate(forwarder, message))

    async def trio_side() -> None:
        async with trio.open_nursery() as nursery:
            for index in range(COUNT):
                nursery.start_soon(one, index)

    await loop.run_in_executor(None, trio.run, trio_side)
    return results, hung_up, service


def test_concurrent_malformed_gossip_of_one_peer_costs_exactly_one_penalty(tmp_path: Path) -> None:
    Node.init(tmp_path, "devnet").close()
    node = Node(tmp_path)
    try:
        results, hung_up, service = asyncio.run(_flood(node, tmp_path))
        assert len(results) == COUNT and not any(results)  # none accepted, none forwarded
        assert service.scores.by_peer[PEER] == MALFORMED  # one penalty: the ban threshold
        assert service.is_banned(PEER)
        assert hung_up == [PEER]  # blacklisted and disconnected once
    finally:
        node.close()

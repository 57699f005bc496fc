"""A new peer's catch-up on libp2p is sent to it, not published to a mesh it may not be in (issue 18).

Found under load (tests/test_devnet.py, tests/test_libp2p_node.py with ``--no-discovery-dial``): a
late node synced the chain but never finalized. It connected to one node, whose one catch-up (the
newest FinalityCertificate, 2 s after the status exchange) was *published*: py-libp2p 0.8.1 sends a
publication to the topic's mesh only, and the late node was not in that node's quorum mesh yet
(heartbeats run late on a loaded machine). The other nodes had the certificate already, so none
relayed it (ignore, P2P-LP-5), and no new certificate came before the devnet ended:
``getpeerinfo`` showed ``gossip_received: {}`` on the late node.

Now the catch-up goes to the new peer alone, as on TCP (``Libp2pService._catch_up``): the bridge
waits until the peer's pubsub stream is up and it is subscribed to the topic
(:meth:`Libp2pBridge.send_to`), then sends it the message in one RPC
(:meth:`GossipHost.send_to`), whether or not it is in the mesh. Both tests make the mesh empty
(degree 0 on both sides: nobody is ever grafted), so a publication reaches nobody and only the
direct send can deliver.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import multiaddr
import trio
from libp2p import new_host
from libp2p.abc import IHost
from libp2p.crypto.ed25519 import create_new_key_pair
from libp2p.peer.id import ID
from libp2p.peer.peerinfo import info_from_p2p_addr
from libp2p.pubsub.gossipsub import PROTOCOL_ID_V11, GossipSub
from libp2p.pubsub.pubsub import Pubsub

from reference.libp2p_host import GossipHost
from reference.libp2p_node import Libp2pBridge
from spec.chain.forkchoice import FinalityCertificate
from spec.p2p.libp2p import GossipDecision, RequestKind, TopicKind, decode_gossip_data, topic_name
from spec.p2p.messages import Message
from spec.p2p.peers import Violation
from spec.presets import DEVNET
from tests.libp2p_helpers import BOUND, running_pubsub, wait_for

TOPIC = topic_name(DEVNET, TopicKind.QUORUM)
OLD = FinalityCertificate(30, bytes(range(32)), bytes(96))
NEWEST = FinalityCertificate(58, bytes(range(1, 33)), bytes(range(96)))


def no_mesh(router: GossipSub) -> None:
    """Degree 0: the router grafts nobody and prunes every graft (the mesh stays empty)."""
    router.degree = router.degree_low = router.degree_high = 0


@asynccontextmanager
async def meshless_host(seed: bytes) -> AsyncIterator[tuple[IHost, Pubsub]]:
    """A plain py-libp2p host (the library only) subscribed to the quorum topic, with no mesh."""
    host = new_host(key_pair=create_new_key_pair(seed))
    router = GossipSub(protocols=[PROTOCOL_ID_V11], degree=0, degree_low=0, degree_high=0)
    no_mesh(router)
    async with (
        host.run(listen_addrs=[multiaddr.Multiaddr("/ip4/127.0.0.1/tcp/0")]),
        running_pubsub(host, router) as pubsub,
    ):
        yield host, pubsub


def test_a_message_sent_to_a_peer_reaches_it_outside_the_mesh() -> None:
    """GossipHost.send_to: a subscribed peer outside the mesh gets the message; a publication
    just before it (mesh only) does not reach the peer, so the first message it gets is the one
    sent to it."""
    ours = GossipHost(DEVNET, bytes(range(32)))
    no_mesh(ours.gossipsub)

    async def main() -> Message:
        async with ours.running(), meshless_host(bytes(range(1, 33))) as (host, pubsub):
            subscription = await pubsub.subscribe(TOPIC)
            await ours.subscribe(TopicKind.QUORUM)
            await host.connect(info_from_p2p_addr(ours.listen_address()))
            await wait_for(lambda: ours.is_subscribed(host.get_id(), TopicKind.QUORUM), "its subscription")
            assert host.get_id() not in ours.gossipsub.mesh.get(TOPIC, set())
            await ours.publish(OLD)  # to the mesh: nobody
            ours.send_to(host.get_id(), NEWEST)
            with trio.fail_after(BOUND):
                first = await subscription.get()
            assert ID(first.from_id) == ours.peer_id and first.signature  # signed as a publication
            return decode_gossip_data(TopicKind.QUORUM, first.data, DEVNET)

    assert trio.run(main) == NEWEST


async def _accept(peer: str, kind: TopicKind, message: Message, message_id: bytes) -> GossipDecision:
    return GossipDecision.ACCEPT


async def _no_answer(peer: str, kind: RequestKind, message: Message) -> list[Message]:
    return []


async def _unscored(peer: str, violation: Violation) -> None:
    return None


def test_the_bridge_sends_a_catch_up_once_the_new_peer_is_subscribed() -> None:
    """Libp2pBridge.send_to, as the node calls it right after a status exchange: the peer has no
    pubsub stream yet (here: it has not even connected); the bridge waits for its subscription,
    then sends; the peer receives the certificate although no mesh ever forms."""
    seed = bytes(range(2, 34))
    peer = ID.from_pubkey(create_new_key_pair(seed).public_key)

    async def run() -> tuple[bool, Message]:
        loop = asyncio.get_running_loop()
        host = GossipHost(DEVNET, bytes(range(32)))
        no_mesh(host.gossipsub)
        bridge = Libp2pBridge(host, 0, loop, _accept, _no_answer, _unscored)
        await loop.run_in_executor(None, bridge.start)
        address = host.listen_address()

        async def plain_peer() -> Message:
            async with meshless_host(seed) as (plain, pubsub):
                subscription = await pubsub.subscribe(TOPIC)
                await trio.sleep(0.5)  # the bridge is already waiting: it must not give up
                await plain.connect(info_from_p2p_addr(address))
                with trio.fail_after(BOUND):
                    first = await subscription.get()
                return decode_gossip_data(TopicKind.QUORUM, first.data, DEVNET)

        try:
            sent = asyncio.ensure_future(bridge.send_to(peer.to_base58(), NEWEST))
            received = await loop.run_in_executor(None, trio.run, plain_peer)
            return await sent, received
        finally:
            await loop.run_in_executor(None, bridge.stop)

    sent, received = asyncio.run(run())
    assert sent and received == NEWEST

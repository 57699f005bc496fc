"""Bytes on the wire for a compact block and a full block, libp2p against the TCP transport
(issue 18, item 6), measured on a loopback connection of two bridge hosts.

TCP transport: what ``P2PService.send`` writes is the P2P-1 frame itself (no encryption, no
multiplexer), so its bytes are ``encode_frame``'s. libp2p: every byte both hosts write to their TCP
sockets (``TrioTCPStream.write``: Noise ciphertext and tags, yamux headers, gossipsub protobuf
envelopes with signature and key, multistream negotiation of a request stream) while one compact
block is published and delivered, and while one full block is fetched over ``blocks``
(P2P-LP-4). Gossipsub's own heartbeats may add a few control bytes to a window, so the checks
are ratios with margins, not exact counts. The figures go to docs/node.md (run with ``-s``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import trio
from libp2p.io.trio import TrioTCPStream
from libp2p.peer.peerinfo import info_from_p2p_addr

from conformance.generators.p2p import synthetic_block
from reference.libp2p_host import GossipHost
from spec.chain.block import block_hash
from spec.p2p.compact import make_compact_block
from spec.p2p.libp2p import RequestKind, TopicKind, encode_gossip_data, topic_name
from spec.p2p.messages import BlockMessage, GetData, InvItem, InvKind, Message, encode_frame
from spec.presets import DEVNET
from tests.libp2p_helpers import wait_for_mesh

BLOCK_TXS = 500


async def count_bytes(action: Callable[[], Awaitable[None]], counter: list[int]) -> int:
    before = counter[0]
    await action()
    await trio.sleep(0.05)
    return counter[0] - before


def test_compact_and_full_block_bytes_against_the_tcp_transport() -> None:
    block = synthetic_block("wire", BLOCK_TXS, DEVNET)
    compact = make_compact_block(block, 7, (0,), DEVNET)
    tcp_compact = len(encode_frame(compact, DEVNET))
    tcp_full = len(encode_frame(BlockMessage(block), DEVNET))
    counter = [0]
    original = TrioTCPStream.write

    async def counting_write(self: TrioTCPStream, data: bytes) -> None:
        counter[0] += len(data)
        await original(self, data)

    sender, receiver = GossipHost(DEVNET, bytes(range(32))), GossipHost(DEVNET, bytes(range(1, 33)))
    get_data = GetData((InvItem(InvKind.BLOCK, block_hash(block.header, DEVNET)),))

    def serve(request: Message) -> Message:
        return BlockMessage(block)

    async def main() -> tuple[int, int]:
        async with sender.running(), receiver.running():
            sender.serve(RequestKind.BLOCKS, serve)
            subscription = await receiver.subscribe(TopicKind.COMPACT_BLOCK)
            await sender.subscribe(TopicKind.COMPACT_BLOCK)
            await receiver.connect(info_from_p2p_addr(sender.listen_address()))
            topic = topic_name(DEVNET, TopicKind.COMPACT_BLOCK)
            await wait_for_mesh(sender.gossipsub, receiver.peer_id, topic)

            async def publish() -> None:
                await sender.publish(compact)
                with trio.fail_after(30):
                    delivered = await subscription.get()
                assert delivered.data == encode_gossip_data(compact, DEVNET)[1]

            async def fetch() -> None:
                answer = await receiver.request(sender.peer_id, RequestKind.BLOCKS, get_data)
                assert answer == BlockMessage(block)

            return await count_bytes(publish, counter), await count_bytes(fetch, counter)

    TrioTCPStream.write = counting_write  # type: ignore[method-assign]
    try:
        libp2p_compact, libp2p_full = trio.run(main)
    finally:
        TrioTCPStream.write = original  # type: ignore[method-assign]
    print(
        f"\ncompact: tcp {tcp_compact} B, libp2p {libp2p_compact} B, ratio {libp2p_compact / tcp_compact:.3f}"
        f"\nfull:    tcp {tcp_full} B, libp2p {libp2p_full} B, ratio {libp2p_full / tcp_full:.3f}"
        f"\ncompact/full: tcp {tcp_compact / tcp_full:.4f}, libp2p {libp2p_compact / libp2p_full:.4f}"
    )
    # a compact block stays a small fraction of the full block on both transports
    assert tcp_compact < tcp_full / 5 and libp2p_compact < libp2p_full / 5
    # libp2p adds an envelope (signature, key, Noise tags, yamux headers), bounded by a few KiB
    assert tcp_compact < libp2p_compact < tcp_compact + 4_096
    assert tcp_full < libp2p_full < tcp_full * 1.05 + 4_096

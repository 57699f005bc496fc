"""A compact block above py-libp2p's default 1 MiB RPC limit still reaches peers (issue 18).

P2P-LP-2 allows gossip data up to ``max_message_bytes`` (4 MiB on devnet, 32 MiB on mainnet), and
the receiving side already admits an RPC up to ``max_message_bytes`` + 4 KiB (the oversize-gossip
defence, docs/node.md "Limits on libp2p"). py-libp2p 0.8.1 also splits and **drops** outbound RPCs
above its per-peer queue's ``max_message_size`` (1 MiB, not a constructor parameter), so a compact
block between 1 MiB and ``max_message_bytes`` was never sent. :class:`reference.libp2p_host.GossipHost`
gives every per-peer queue the same bound as the inbound one (:func:`outbound_rpc_limit`).

The block is built in process: a synthetic block whose compact form prefills every transaction
(P2P-CMPCT-2 allows it), about 1.2 MiB of gossip data.
"""

from __future__ import annotations

import trio
from libp2p.peer.peerinfo import info_from_p2p_addr
from libp2p.pubsub.rpc_queue import DefaultMaxMessageSize

from conformance.generators.p2p import synthetic_block
from reference.libp2p_host import GossipHost, outbound_rpc_limit
from spec.p2p.compact import make_compact_block
from spec.p2p.libp2p import TopicKind, encode_gossip_data, topic_name
from spec.p2p.messages import CompactBlock
from spec.presets import DEVNET
from tests.libp2p_helpers import wait_for_mesh

TRANSACTIONS = 9_000
"""Prefilled transactions: about 1.2 MiB of compact block (135 bytes each)."""


def _large_compact() -> CompactBlock:
    block = synthetic_block("large gossip", TRANSACTIONS, DEVNET)
    return make_compact_block(block, 11, tuple(range(len(block.transactions))), DEVNET)


async def _deliver(sender: GossipHost, receiver: GossipHost, compact: CompactBlock) -> bytes | None:
    """Publish ``compact`` from ``sender`` once ``receiver`` is in its mesh; what arrives (or None)."""
    async with sender.running(), receiver.running():
        subscription = await receiver.subscribe(TopicKind.COMPACT_BLOCK)
        await sender.subscribe(TopicKind.COMPACT_BLOCK)
        await receiver.connect(info_from_p2p_addr(sender.listen_address()))
        topic = topic_name(DEVNET, TopicKind.COMPACT_BLOCK)
        await wait_for_mesh(sender.gossipsub, receiver.peer_id, topic)
        await sender.publish(compact)
        with trio.move_on_after(20):
            delivered = await subscription.get()
            return bytes(delivered.data)
        return None


def test_outbound_limit_is_the_inbound_one() -> None:
    """Both ways the same bound: ``max_message_bytes`` + 4 KiB of envelope, above the library's 1 MiB."""
    host = GossipHost(DEVNET, bytes(range(32)))
    assert outbound_rpc_limit(DEVNET) == host.pubsub.max_inbound_rpc_size
    assert outbound_rpc_limit(DEVNET) == DEVNET.network.max_message_bytes + 4_096
    assert outbound_rpc_limit(DEVNET) > DefaultMaxMessageSize


def test_a_compact_block_above_one_mebibyte_reaches_the_peer() -> None:
    compact = _large_compact()
    data = encode_gossip_data(compact, DEVNET)[1]
    assert DefaultMaxMessageSize < len(data) <= DEVNET.network.max_message_bytes
    sender, receiver = GossipHost(DEVNET, bytes(range(32))), GossipHost(DEVNET, bytes(range(1, 33)))
    delivered = trio.run(_deliver, sender, receiver, compact)
    assert delivered == data
    # the receiver's validator decoded and accepted it (P2P-CMPCT-2), so gossipsub would forward it
    assert [d.validation.decision.value for d in receiver.decisions] == ["accept"]

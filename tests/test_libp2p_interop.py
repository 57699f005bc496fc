"""Interop evidence for P2P-LP-1/2/5 (docs/p2p.md): plain py-libp2p hosts, built from the library
alone with its defaults, talk to the bridge host of reference/libp2p_host.py over loopback.

* the plain host dials ours, negotiates Noise, yamux and gossipsub v1.1, subscribes to the compact
  block topic and receives a compact block our host publishes (and decodes it with the spec);
* a message invalid under the spec, offered by one plain host, is rejected by ours (with its
  violation recorded against the sender's peer id, which reaches the devnet ban threshold) and never
  reaches the plain host on the other side, while a valid message published after it does;
* a message the node's checks ignore (an orphan transaction) is not forwarded either, costs its
  sender nothing, and the sender's next valid transaction is forwarded through ours.

Each step waits on a condition with a bound (trio.fail_after); no assertion depends on a timing.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any, cast

import multiaddr
import pytest
import trio
from libp2p import new_host
from libp2p.abc import IHost
from libp2p.custom_types import TProtocol
from libp2p.network.stream.exceptions import StreamError
from libp2p.peer.peerinfo import PeerInfo, info_from_p2p_addr
from libp2p.pubsub.gossipsub import PROTOCOL_ID_V11, GossipSub
from libp2p.pubsub.pubsub import Pubsub

from conformance.generators.p2p import synthetic_block, synthetic_transaction
from reference.libp2p_host import GossipHost, has_ipv6_loopback, read_frame
from reference.libp2p_node import record_addresses
from spec.crypto import bls
from spec.p2p.compact import make_compact_block
from spec.p2p.libp2p import (
    GossipDecision,
    RequestKind,
    TopicKind,
    decode_gossip_data,
    decode_operator_peer_record,
    decode_response,
    encode_operator_peer_record,
    encode_request_frame,
    make_operator_peer_record,
    request_protocol_id,
    topic_name,
)
from spec.p2p.messages import (
    NO_STOP_HASH,
    CompactBlock,
    GetHeaders,
    Headers,
    Message,
    PrefilledTransaction,
    TxMessage,
    encode_payload,
)
from spec.p2p.peers import Violation
from spec.presets import DEVNET
from tests.libp2p_helpers import BOUND, running_pubsub, wait_for, wait_for_mesh


@asynccontextmanager
async def plain_host() -> AsyncIterator[tuple[IHost, Pubsub, GossipSub]]:
    """A py-libp2p host with the library's defaults (security, muxers, message ids, signing)."""
    host = new_host()
    router = GossipSub(
        protocols=[PROTOCOL_ID_V11],
        degree=6,
        degree_low=4,
        degree_high=12,
        heartbeat_initial_delay=0.1,
        heartbeat_interval=1,
    )
    async with (
        host.run(listen_addrs=[multiaddr.Multiaddr("/ip4/127.0.0.1/tcp/0")]),
        running_pubsub(host, router) as pubsub,
    ):
        yield host, pubsub, router


def compact_block(label: str) -> CompactBlock:
    return make_compact_block(synthetic_block(label, 3, DEVNET), 7, [], DEVNET)


def test_plain_host_receives_a_block_published_by_ours() -> None:
    topic = topic_name(DEVNET, TopicKind.COMPACT_BLOCK)
    ours = GossipHost(DEVNET, bytes(range(32)))
    compact = compact_block("interop")

    async def main() -> None:
        async with ours.running(), plain_host() as (host, pubsub, router):
            subscription = await pubsub.subscribe(topic)
            await ours.subscribe(TopicKind.COMPACT_BLOCK)
            await host.connect(info_from_p2p_addr(ours.listen_address()))
            await wait_for_mesh(ours.gossipsub, host.get_id(), topic)
            # the negotiated protocols: gossipsub v1.1 both ways, identify learnt our protocols
            assert router.peer_protocol[ours.peer_id] == PROTOCOL_ID_V11
            assert ours.gossipsub.peer_protocol[host.get_id()] == PROTOCOL_ID_V11
            connection = host.get_network().get_connections(ours.peer_id)[0]
            assert connection.get_negotiated_security_protocol() == "/noise"  # type: ignore[attr-defined]
            assert connection.get_negotiated_muxer_protocol() == "/yamux/1.0.0"  # type: ignore[attr-defined]
            message_id = await ours.publish(compact)
            with trio.fail_after(BOUND):
                received = await subscription.get()
            assert received.topicIDs == [topic]
            assert decode_gossip_data(TopicKind.COMPACT_BLOCK, received.data, DEVNET) == compact
            assert ours.decisions[-1].validation.decision is GossipDecision.ACCEPT
            assert len(message_id) == 20

    trio.run(main)


def test_a_message_invalid_under_the_spec_is_not_forwarded() -> None:
    topic = topic_name(DEVNET, TopicKind.COMPACT_BLOCK)
    ours = GossipHost(DEVNET, bytes(range(1, 33)))
    valid = compact_block("after")
    invalid = replace(
        compact_block("bad"),
        prefilled=(PrefilledTransaction(5, compact_block("bad").prefilled[0].transaction),),
    )

    async def main() -> None:
        async with (
            ours.running(),
            plain_host() as (sender, sender_pubsub, _),
            plain_host() as (
                receiver,
                receiver_pubsub,
                _,
            ),
        ):
            subscription = await receiver_pubsub.subscribe(topic)
            await sender_pubsub.subscribe(topic)
            await ours.subscribe(TopicKind.COMPACT_BLOCK)
            await sender.connect(info_from_p2p_addr(ours.listen_address()))
            await receiver.connect(info_from_p2p_addr(ours.listen_address()))
            await wait_for_mesh(ours.gossipsub, receiver.get_id(), topic)
            await wait_for_mesh(cast(GossipSub, sender_pubsub.router), ours.peer_id, topic)
            await sender_pubsub.publish(topic, encode_payload(invalid, DEVNET))
            sender_peer = sender.get_id().to_base58()
            await wait_for(lambda: any(d.peer == sender_peer for d in ours.decisions))
            # P2P-SCORE-1: an invalid compact block scores ban_threshold on devnet: ours bans the sender
            assert [(d.validation.decision, d.validation.violation) for d in ours.decisions] == [
                (GossipDecision.REJECT, Violation.INVALID_COMPACT_BLOCK)
            ]
            assert ours.scores.by_peer[sender_peer] == DEVNET.network.misbehaviour.invalid_compact_block
            assert ours.pubsub.is_peer_blacklisted(sender.get_id())
            # ours publishes a valid block after it decided on the invalid one: the receiver's first
            # message is the valid one, so the invalid one was not forwarded
            await ours.publish(valid)
            with trio.fail_after(BOUND):
                first = await subscription.get()
            assert decode_gossip_data(TopicKind.COMPACT_BLOCK, first.data, DEVNET) == valid
            assert first.from_id == ours.peer_id.to_bytes()

    trio.run(main)


def test_an_ignored_message_is_dropped_without_penalty() -> None:
    """P2P-LP-5 ``ignore``: an orphan transaction (the node's checks say TX_MISSING_INPUT) is not
    forwarded and costs its sender nothing, so the sender's next, valid transaction goes through."""
    topic = topic_name(DEVNET, TopicKind.TRANSACTION)
    orphan = TxMessage(synthetic_transaction("interop/orphan"))
    valid = TxMessage(synthetic_transaction("interop/valid"))

    def check(kind: TopicKind, message: Message) -> str | None:
        return "TX_MISSING_INPUT" if message == orphan else None

    ours = GossipHost(DEVNET, bytes(range(2, 34)), check)

    async def main() -> None:
        async with (
            ours.running(),
            plain_host() as (sender, sender_pubsub, _),
            plain_host() as (receiver, receiver_pubsub, _),
        ):
            subscription = await receiver_pubsub.subscribe(topic)
            await sender_pubsub.subscribe(topic)
            await ours.subscribe(TopicKind.TRANSACTION)
            await sender.connect(info_from_p2p_addr(ours.listen_address()))
            await receiver.connect(info_from_p2p_addr(ours.listen_address()))
            await wait_for_mesh(ours.gossipsub, receiver.get_id(), topic)
            await wait_for_mesh(cast(GossipSub, sender_pubsub.router), ours.peer_id, topic)
            await sender_pubsub.publish(topic, encode_payload(orphan, DEVNET))
            await wait_for(lambda: len(ours.decisions) == 1)
            await sender_pubsub.publish(topic, encode_payload(valid, DEVNET))
            with trio.fail_after(BOUND):
                first = await subscription.get()
            assert decode_gossip_data(TopicKind.TRANSACTION, first.data, DEVNET) == valid
            assert first.from_id == sender.get_id().to_bytes()
            assert [(d.validation.decision, d.validation.violation) for d in ours.decisions] == [
                (GossipDecision.IGNORE, None),
                (GossipDecision.ACCEPT, None),
            ]
            assert ours.scores.by_peer == {}
            assert not ours.pubsub.is_peer_blacklisted(sender.get_id())

    trio.run(main)


def test_plain_host_requests_headers_from_ours() -> None:
    """P2P-LP-4: a plain host opens a stream on ``/rusty/devnet/req/headers/1``, writes a GetHeaders
    frame and reads the Headers our host serves; a request that does not decode gets no answer and
    scores the requester ``malformed_message``."""
    headers = Headers(tuple(synthetic_block(f"interop/h{i}", 1, DEVNET).header for i in range(3)))
    seen: list[Message] = []

    def answer(request: Message) -> Message:
        seen.append(request)
        return headers

    ours = GossipHost(DEVNET, bytes(range(3, 35)))
    ours.serve(RequestKind.HEADERS, answer)
    request = GetHeaders((bytes(32),), NO_STOP_HASH)
    protocol = TProtocol(request_protocol_id(DEVNET, RequestKind.HEADERS))

    async def main() -> None:
        async with ours.running(), plain_host() as (host, _, _):
            await host.connect(info_from_p2p_addr(ours.listen_address()))
            stream = await host.new_stream(ours.peer_id, [protocol])
            await stream.write(encode_request_frame(request, DEVNET))
            frame = await read_frame(stream, DEVNET.network.max_message_bytes)
            assert decode_response(RequestKind.HEADERS, frame, DEVNET) == headers
            assert seen == [request]
            bad = await host.new_stream(ours.peer_id, [protocol])
            await bad.write(b"\x02\xff\xff")
            unanswered = b""
            with trio.fail_after(BOUND), contextlib.suppress(StreamError):
                unanswered = await bad.read(1)  # ours resets the stream: EOF or reset, no byte
            assert unanswered == b""
            await wait_for(lambda: host.get_id().to_base58() in ours.scores.by_peer)
            assert (
                ours.scores.by_peer[host.get_id().to_base58()]
                == DEVNET.network.misbehaviour.malformed_message
            )
            assert seen == [request]

    trio.run(main)


@pytest.mark.skipif(not has_ipv6_loopback(), reason="this machine cannot listen on ::1 (no IPv6 loopback)")
def test_an_ip6_operator_record_address_is_listened_on_and_dialled() -> None:
    """P2P-LP-6 with IPv6: a node host listening on ``::1`` too names both loopback addresses in its
    operator record (``record_addresses``: canonical RFC 5952 text, accepted by the spec), and a
    second node host that dials the record's ``/ip6/`` address alone connects over IPv6."""

    async def main() -> tuple[tuple[bytes, ...], tuple[bytes, ...], Any]:
        ours = GossipHost(DEVNET, bytes(range(32)))
        theirs = GossipHost(DEVNET, bytes(range(1, 33)))
        async with ours.running(ip6=True), theirs.running():
            addresses = record_addresses(ours.listen_addresses())
            record = make_operator_peer_record(
                bls.key_gen(bytes(32)), ours.peer_id_bytes, addresses, 1, DEVNET
            )
            decoded = decode_operator_peer_record(encode_operator_peer_record(record))
            ip6 = [a.decode() for a in decoded.addresses if a.startswith(b"/ip6/")]
            await theirs.host.connect(PeerInfo(ours.peer_id, [multiaddr.Multiaddr(a) for a in ip6]))
            conn = theirs.host.get_network().get_connections(ours.peer_id)[0]
            # py-libp2p 0.8.1's get_remote_address gives None for an IPv6 socket: read the socket
            raw = conn.muxed_conn.secured_conn.conn.conn  # type: ignore[attr-defined]
            return addresses, decoded.addresses, raw.stream.stream.socket.getpeername()

    addresses, decoded, remote = trio.run(main)
    assert [a.split(b"/")[1] for a in addresses] == [b"ip4", b"ip6"], addresses
    assert addresses[1].startswith(b"/ip6/::1/tcp/")
    assert decoded == addresses
    assert remote[0] == "::1", remote  # the connection is over IPv6

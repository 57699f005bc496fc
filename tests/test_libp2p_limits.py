"""The libp2p transport's limits (reference/libp2p_node.py, docs/node.md "Limits on libp2p") on a
bridge that is not running: stream admission, the cooldown, the bounded queues between the loops
and py-libp2p's connection configuration. The same defences against a node process:
tests/test_libp2p_adversary.py."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
import trio

from reference.libp2p_host import GossipHost
from reference.libp2p_node import (
    MAX_NODE_CALLS,
    MAX_PENDING_SUBMITS,
    MAX_STREAMS_PER_PEER,
    OFF_LOOP_BYTES,
    OVERFLOW_BURST,
    REQUEST_BURST,
    Busy,
    Libp2pBridge,
    TransportLimits,
    off_loop,
)
from spec.p2p.libp2p import RequestKind, decode_request, encode_request_frame
from spec.p2p.messages import NO_STOP_HASH, GetData, GetHeaders, InvItem, InvKind, Message
from spec.presets import DEVNET

PEER = "12D3KooWA4Xop1JaT3MHxwYMkCepYsv4iPVopMXwCz5iHYdBfeSB"


async def _never(*args: object) -> Any:
    raise AssertionError("not called")


def bridge(loop: asyncio.AbstractEventLoop | None = None) -> Libp2pBridge:
    host = GossipHost(DEVNET, bytes(range(32)))
    return Libp2pBridge(
        host, 0, loop or asyncio.new_event_loop(), _never, _never, _never, TransportLimits(max_inbound=8)
    )


def test_a_peer_gets_16_streams_then_32_resets_then_a_cooldown() -> None:
    b = bridge()
    assert all(b._admit(PEER) for _ in range(MAX_STREAMS_PER_PEER))
    refused = 0
    while not b._admit(PEER) and not b.is_refused(PEER):
        refused += 1
        assert refused <= OVERFLOW_BURST
    assert refused == OVERFLOW_BURST  # the burst of resets, then the overflow is an offence
    assert b.is_refused(PEER) and b.counters["rate_limited"] == 1
    assert b.counters["streams_refused"] == OVERFLOW_BURST + 1
    other = "12D3KooWLFufGnyHqARzuEisKGk6PfLfTKruPdj89awwssgbM2hj"
    assert b._admit(other) and not b.is_refused(other)  # per peer
    b.cooling[PEER] = 0.0  # the cooldown is over
    assert not b.is_refused(PEER)


def test_the_request_budget_cuts_a_peer_whose_streams_are_served() -> None:
    b = bridge()
    served = 0
    while b._admit(PEER):
        served += 1
        b.streams[PEER] -= 1  # answered at once: the window never fills
        assert served <= REQUEST_BURST + 100
    assert served >= REQUEST_BURST - 1 and b.is_refused(PEER)
    assert b.counters["streams_refused"] == 0 and b.counters["rate_limited"] == 1


def test_a_banned_peer_gets_no_stream() -> None:
    b = bridge()
    b.refused[PEER] = None
    assert not b._admit(PEER) and b.is_refused(PEER)


def test_calls_into_the_node_are_bounded() -> None:
    b = bridge()
    b.node_calls = MAX_NODE_CALLS

    async def main() -> None:
        async def nothing() -> None:
            return None

        with pytest.raises(Busy):
            await b._to_asyncio(nothing(), 1.0)

    trio.run(main)
    assert b.counters["busy"] == 1 and b.node_calls == MAX_NODE_CALLS


def test_calls_into_trio_are_bounded() -> None:
    async def main() -> None:
        b = bridge(asyncio.get_running_loop())
        b.nursery, b.token = object(), object()  # type: ignore[assignment]  # "running", never used
        b.submits = MAX_PENDING_SUBMITS
        with pytest.raises(ConnectionError, match="busy"):
            await b.request(PEER, RequestKind.HEADERS, GetHeaders((), NO_STOP_HASH))

    asyncio.run(main())


def test_the_connection_config_follows_the_node_limits() -> None:
    config = TransportLimits(max_inbound=8, max_outbound=8, handshake_timeout=1.0).connection_config()
    assert config.max_connections == 16 and config.max_connections_per_peer == 2
    assert config.inbound_upgrade_timeout == config.outbound_upgrade_timeout == 1.0
    assert config.inbound_stream_protocol_negotiation_timeout == 1.0


def test_a_large_frame_is_decoded_while_trio_runs_on() -> None:
    """OFF_LOOP_BYTES: a request bomb's decode runs in a worker thread, so trio's loop (every other
    stream's negotiation, gossip, ping) goes on meanwhile. The decoder here waits for an event only
    another trio task sets: on trio's loop it would wait its whole bound and fail; a frame at most
    OFF_LOOP_BYTES is decoded inline (same thread, no hop)."""
    half = DEVNET.network.max_inv_items // 2
    items = tuple(InvItem(InvKind.BLOCK, bytes([i % 256, i // 256]) * 16) for i in range(half))
    bomb = encode_request_frame(GetData(items + items), DEVNET)
    small = encode_request_frame(GetHeaders((), NO_STOP_HASH), DEVNET)
    assert len(small) <= OFF_LOOP_BYTES < len(bomb)
    gate = threading.Event()
    threads: list[int] = []

    def decode(kind: RequestKind, data: bytes, preset: Any) -> Message:
        threads.append(threading.get_ident())
        if len(data) > OFF_LOOP_BYTES:
            assert gate.wait(30), "trio's loop did not run while the frame was decoded"
        return decode_request(kind, data, preset)

    async def open_gate() -> None:
        gate.set()

    async def main() -> tuple[Message, Message]:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(open_gate)
            large = await off_loop(decode, RequestKind.BLOCKS, bomb, DEVNET)
        return large, await off_loop(decode, RequestKind.HEADERS, small, DEVNET)

    large, inline = trio.run(main)
    assert large == GetData(items + items) and inline == GetHeaders((), NO_STOP_HASH)
    assert threads[0] != threading.get_ident() and threads[1] == threading.get_ident()

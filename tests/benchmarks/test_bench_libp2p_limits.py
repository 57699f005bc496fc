"""The cost of the libp2p transport's limits (issue 18, docs/node.md "Limits on libp2p") as ratios
to the bare py-libp2p operation each one guards, measured side by side in one trio run
(interleaved rounds, medians):

* per request stream: the node's stream admission (``Libp2pBridge._admit``: the refusal check, the
  request and overflow token buckets, the per-peer stream count) and its release, against opening
  one stream on loopback with bare py-libp2p (``new_stream``: a yamux stream and its multistream
  negotiation, the handler closing it) and closing it;
* per inbound connection: ``InboundLimit.admit`` on a full swarm (``max_inbound`` +
  ``max_outbound`` = 133 connections to count), against a bare py-libp2p connection (TCP, Noise XX,
  yamux on loopback) and its close.

Timings are not pass/fail: the test checks that every operation ran and prints the ratios
(``-s --benchmark-enable``; under ``--benchmark-disable`` it runs 2 rounds only). Figures in
docs/benchmarks.md."""

from __future__ import annotations

import asyncio
import statistics
import time
from types import SimpleNamespace
from typing import Any, cast

import multiaddr
import trio
from libp2p import new_host
from libp2p.abc import INetStream, INetwork
from libp2p.custom_types import TProtocol
from libp2p.peer.peerinfo import PeerInfo
from libp2p.rcmgr import Direction
from pytest_benchmark.fixture import BenchmarkFixture

from reference.libp2p_host import GossipHost
from reference.libp2p_node import InboundLimit, Libp2pBridge, TransportLimits
from spec.presets import DEVNET

PROTOCOL = TProtocol("/rusty-bench/1")
ROUNDS = 10
STREAMS_PER_ROUND = 10
"""10 rounds x 10 admissions of one peer stay within its request burst (400): every one admitted."""
PEER = "12D3KooWA4Xop1JaT3MHxwYMkCepYsv4iPVopMXwCz5iHYdBfeSB"


async def _never(*args: object) -> Any:
    raise AssertionError("not called")


def _full_swarm(limits: TransportLimits) -> INetwork:
    """A stand-in swarm holding ``max_inbound`` inbound and ``max_outbound`` outbound connections."""
    connections = {
        index: [
            SimpleNamespace(direction=Direction.INBOUND if index < limits.max_inbound else Direction.OUTBOUND)
        ]
        for index in range(limits.max_inbound + limits.max_outbound)
    }
    return cast(INetwork, SimpleNamespace(connections=connections))


def _admit_and_release(bridge: Libp2pBridge) -> bool:
    admitted = bridge._admit(PEER)
    left = bridge.streams.get(PEER, 1) - 1  # what the stream handler does when the stream ends
    if left:
        bridge.streams[PEER] = left
    else:
        bridge.streams.pop(PEER, None)
    return admitted


def test_limit_accounting_against_bare_py_libp2p(benchmark: BenchmarkFixture) -> None:
    rounds = 2 if benchmark.disabled else ROUNDS  # CI smoke mode (--benchmark-disable): a short run
    limits = TransportLimits(max_inbound=125, max_outbound=DEVNET.network.max_outbound)
    bridge = Libp2pBridge(
        GossipHost(DEVNET, bytes(range(32))), 0, asyncio.new_event_loop(), _never, _never, _never, limits
    )
    full = InboundLimit(_full_swarm(limits), limits.max_inbound + 1, {})

    async def main() -> dict[str, list[float]]:
        times: dict[str, list[float]] = {"stream": [], "admit": [], "connection": [], "inbound": []}
        server, client = new_host(), new_host()

        async def handler(stream: INetStream) -> None:
            await stream.close()

        server.set_stream_handler(PROTOCOL, handler)
        listen = [multiaddr.Multiaddr("/ip4/127.0.0.1/tcp/0")]
        async with server.run(listen_addrs=listen), client.run(listen_addrs=listen):
            info = PeerInfo(server.get_id(), server.get_addrs())
            await client.connect(info)
            for _ in range(rounds):
                for _ in range(STREAMS_PER_ROUND):
                    started = time.perf_counter()
                    stream = await client.new_stream(server.get_id(), [PROTOCOL])
                    await stream.close()
                    times["stream"].append(time.perf_counter() - started)
                    started = time.perf_counter()
                    assert _admit_and_release(bridge)
                    times["admit"].append(time.perf_counter() - started)
                await client.disconnect(server.get_id())
                started = time.perf_counter()
                await client.connect(info)
                times["connection"].append(time.perf_counter() - started)
                started = time.perf_counter()
                assert full.admit()
                times["inbound"].append(time.perf_counter() - started)
            await client.disconnect(server.get_id())
        return times

    times = trio.run(main)
    medians = {name: statistics.median(values) for name, values in times.items()}
    stream_ratio = medians["admit"] / medians["stream"]
    connection_ratio = medians["inbound"] / medians["connection"]
    print(
        f"\nstream admission / bare stream open: {stream_ratio:.4f} "
        f"({len(times['stream'])} each, interleaved); inbound admission on 133 connections / bare "
        f"connection: {connection_ratio:.5f} ({len(times['connection'])} each)"
    )
    benchmark.extra_info.update({"stream_ratio": stream_ratio, "connection_ratio": connection_ratio})
    # the admission alone, in pytest-benchmark's own report (100 more stay within the burst)
    assert benchmark.pedantic(_admit_and_release, (bridge,), rounds=100, iterations=1)  # type: ignore[no-untyped-call]
    assert len(times["stream"]) == len(times["admit"]) == rounds * STREAMS_PER_ROUND
    assert 0 < stream_ratio < 100 and 0 < connection_ratio < 100

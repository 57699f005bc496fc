"""The reference node on libp2p (issue 18): ``rusty node --transport libp2p``.

Two pieces (docs/node.md, "The node on libp2p"):

* :class:`Libp2pBridge`: a :class:`reference.libp2p_host.GossipHost` (TCP, Noise, yamux,
  identify, ping, gossipsub v1.1) plus py-libp2p's Kademlia DHT, run by trio in its own thread.
  The asyncio node reaches it without ever blocking its loop: a call is scheduled into trio with
  ``TrioToken.run_sync_soon`` and its result comes back with ``loop.call_soon_threadsafe``; trio
  reaches the node with ``asyncio.run_coroutine_threadsafe`` and waits on a trio event set from
  the future's callback. Neither loop blocks on the other.
* :class:`Libp2pService`: the node's P2P side (:class:`reference.p2p.P2PService`, whose sync,
  compact-block, fast-sync and quorum logic it reuses unchanged) with the transport replaced:

  - gossip (P2P-LP-2): compact blocks, transactions, quorum and sidechain messages are published
    on their topics; an inbound message is *handled by the node inside gossipsub's validator*
    (P2P-LP-5), so gossipsub forwards exactly what the node accepted, scores a reject with the
    spec's violation and drops an ignore (a message invalid under the spec is never forwarded);
    a new peer's catch-up (the newest certificate, the quorum catch-up messages) is sent to that
    peer alone once it is subscribed (:meth:`Libp2pBridge.send_to`), as the TCP transport sends it;
  - request-response (P2P-LP-4): ``GetHeaders``, ``GetData``, ``GetBlockTxn`` and the snapshot
    requests the sync logic "sends" to a peer become one stream each, and the answers are
    handed to the same handlers as before; ``status`` exchanges the Version once per connection
    (services, height) instead of the P2P-HS handshake;
  - peers are their libp2p peer ids (P2P-LP-3), derived from the node key ``DATADIR/node.seed``
    (32 bytes, ``0600``): scores and bans key on the peer id, hence on the key, and a banned peer
    id is blacklisted in gossipsub and refused at connection;
  - robustness (node policy, docs/node.md "Limits on libp2p"): at most ``--max-inbound`` inbound
    connections (:class:`InboundLimit`: one more is closed before Noise; outbound dials are not
    counted), py-libp2p's connection limit (``--max-inbound`` plus the preset's ``max_outbound``
    open connections) and upgrade timeout (``--handshake-timeout``); a request stream must
    deliver its request within ``--frame-timeout``; each peer has a request budget (a token bucket
    of :data:`REQUESTS_PER_SECOND`, above it the stream is reset and the peer disconnected, without
    a ban, and refused for :data:`COOLDOWN_SECONDS`), at most :data:`MAX_STREAMS_PER_PEER` request
    streams being served (more are reset; :data:`OVERFLOW_BURST` of those are the same offence as
    the rate) and a response of at most
    :data:`MAX_RESPONSE_BYTES`; the queues between the loops are bounded (:data:`MAX_NODE_CALLS`
    trio -> asyncio, :data:`MAX_PENDING_SUBMITS` asyncio -> trio); a banned peer id is refused as
    soon as its connection is up (:class:`RefusingNotifee`), before it can open a stream;
  - discovery: the Kademlia DHT (``/ipfs/kad/1.0.0``) in server mode, bootstrapped from the
    ``--connect`` addresses; every :data:`DISCOVERY_INTERVAL` the node looks itself up
    (``find_closest_peers_network``) and dials the peers its routing table holds, up to
    ``max_outbound`` (this replaces ``FindNode``/``Nodes``); quorum members also find each other by
    their operator records (P2P-LP-6/8, listen addresses on ``127.0.0.1`` and, with IPv6, ``::1``);
    the devnet test hook ``--no-discovery-dial`` (:class:`DialGate`) leaves the records as the only
    way two members meet.

Nothing here decides a protocol rule: decoding, message ids, validation results and scores are
spec functions; the node's checks are those of :mod:`reference.p2p`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

import multiaddr
import trio
from libp2p.abc import INetConn, INetStream, INetwork, INotifee
from libp2p.custom_types import TProtocol
from libp2p.kad_dht.kad_dht import DHTMode, KadDHT
from libp2p.network.config import ConnectionConfig
from libp2p.network.exceptions import SwarmException
from libp2p.peer.id import ID
from libp2p.peer.peerinfo import PeerInfo, info_from_p2p_addr
from libp2p.pubsub.pb import rpc_pb2
from libp2p.rcmgr import Direction
from libp2p.records.validator import Validator
from libp2p.tools.anyio_service import background_trio_service

from reference.libp2p_host import GossipHost, has_ipv6_loopback, read_frame
from reference.node import Node
from reference.p2p import (
    DEFAULT_LIMITS,
    QUORUM_MESSAGES,
    USER_AGENT,
    P2PLimits,
    P2PService,
    Peer,
    RateLimiter,
)
from reference.privatefiles import write_private
from reference.quorum import InvalidQuorumMessage, QuorumOutput
from reference.sidechains import SidechainOutput, SidechainRejected
from reference.snapshots import FastSync
from spec.chain.block import Block, block_hash, encode_block
from spec.chain.forkchoice import FinalityCertificate
from spec.chain.pow import check_proof_of_work
from spec.errors import NoCommonBlock, SpecError
from spec.ledger.transaction import Transaction, wtxid
from spec.masternode.registry import EMPTY_LIST, MasternodeList
from spec.p2p.compact import (
    check_compact_block,
    fill_missing,
    make_compact_block,
    missing_request,
    serve_block_txn,
)
from spec.p2p.compact import reconstruct as reconstruct_compact
from spec.p2p.libp2p import (
    MAX_RECORD_ADDRESSES,
    MULTI_RESPONSE_KINDS,
    OPERATOR_RECORD_NAMESPACE,
    RESERVED_TOPICS,
    GossipDecision,
    GossipValidation,
    OperatorPeerRecord,
    RequestKind,
    TopicKind,
    check_operator_record_entry,
    check_record_address,
    compute_gossip_validation,
    compute_message_id,
    decode_gossip_data,
    decode_operator_peer_record,
    decode_request,
    decode_response,
    encode_gossip_data,
    encode_operator_peer_record,
    encode_request_frame,
    is_active_operator,
    make_operator_peer_record,
    operator_record_key,
    peer_id_text,
    request_protocol_id,
    select_operator_peer_record,
    topic_name,
)
from spec.p2p.messages import (
    NO_STOP_HASH,
    SERVICE_FULL_NODE,
    SERVICE_PRUNED,
    BlockMessage,
    BlockTxn,
    CompactBlock,
    GetBlockTxn,
    GetData,
    GetHeaders,
    GetSnapshotChunk,
    GetSnapshotManifests,
    Headers,
    InvKind,
    Message,
    NotFound,
    SidechainBlockMessage,
    SidechainTxMessage,
    TxMessage,
    Version,
)
from spec.p2p.peers import Violation, check_version, score_of
from spec.p2p.sync import block_locator, headers_after

log = logging.getLogger("rusty.node")

T = TypeVar("T")
T_kind = TypeVar("T_kind", TopicKind, RequestKind)

NODE_SEED_FILE = "node.seed"
"""The node key's 32-byte Ed25519 seed in the data directory (``0600``): the libp2p peer id."""
REQUEST_TIMEOUT = 30.0
"""Seconds one request-response exchange may take (node policy)."""
VALIDATION_TIMEOUT = 60.0
"""Seconds the node may take to handle one gossip message inside the validator (a compact block
may wait for its missing transactions from the forwarder)."""
DISCOVERY_INTERVAL = 2.0
"""Seconds between two DHT self-lookups (node policy; short for a loopback devnet)."""
PEER_POLL_INTERVAL = 0.25
"""Seconds between two looks at the host's connections (new peers get a status exchange)."""
CATCH_UP_WAIT = 30.0
"""Seconds a catch-up for a new peer waits at most for the peer's pubsub stream and subscription
(:meth:`Libp2pBridge.send_to`: under load they can come seconds after the status exchange)."""
CATCH_UP_DELAY = 2.0
"""Seconds after a new peer's status before the catch-up messages are published (one gossipsub
heartbeat for the peer to join the topic meshes; the seen cache then no longer holds them)."""
SEEN_TTL = 2
"""gossipsub's seen-cache lifetime (seconds). Duplicates beyond it are stopped by the node itself,
whose validator ignores (never forwards) what it already has; short, so a catch-up message can be
published again for a peer that joined."""
MAX_INBOUND_QUEUE = 1_024
"""Gossip messages waiting for the node at most (a full queue is ignored, not forwarded)."""
REQUESTS_PER_SECOND = 100.0
REQUEST_BURST = 400.0
"""Per-peer request-response budget (node policy, generous for sync: a ``Headers`` answer brings up
to 2,000 headers, one ``blocks`` request their bodies): a request above it has its stream reset and
the peer is disconnected without a ban, as a TCP peer above its message rate."""
MAX_STREAMS_PER_PEER = 16
"""Request streams of one peer being served at once, at most; more are reset at once (an honest
peer has a few in flight: the sync logic asks one peer one thing at a time, fast sync four chunks)."""
OVERFLOWS_PER_SECOND = 4.0
OVERFLOW_BURST = 32.0
"""Streams a peer may open above its :data:`MAX_STREAMS_PER_PEER` (each reset at once): a token
bucket; a peer above it is disconnected without a ban (py-libp2p opens streams more slowly than
:data:`REQUESTS_PER_SECOND` on a loaded machine, so this is the limit a stream flood meets first)."""
MAX_NODE_CALLS = 256
"""Calls from trio waiting for the node (requests, gossip validations, scores) at most: the queue
from trio to asyncio is bounded; above it a request stream is reset and a gossip message ignored."""
MAX_PENDING_SUBMITS = 1_024
"""Calls from the node waiting for trio (publications, requests, dials) at most: the queue from
asyncio to trio is bounded; above it a call fails at once (``ConnectionError``)."""
MAX_RESPONSE_BYTES = 64 * 1024 * 1024
"""Encoded bytes one request is answered with at most: a ``blocks`` answer stops there and the
blocks left out are not found (P2P-LP-4), so a GetData bomb never holds more in memory."""
COOLDOWN_SECONDS = 30.0
"""A peer disconnected for its rate is refused this long (its connections closed as soon as they
are up): reconnecting at once is no way around the budget (node policy; not a ban, not scored)."""
MAX_RATE_LIMITED_PEERS = 10_000
"""Peers whose request budget is remembered, at most (the least recently seen are forgotten)."""
MAX_LISTED_SCORES = 1_000
"""Misbehaviour scores ``getpeerinfo`` lists at most (by peer id)."""
MAX_REFUSED_PEERS = 10_000
"""Banned peer ids the transport refuses at connection, at most (the oldest are forgotten)."""


OFF_LOOP_BYTES = 64 * 1024
"""Request and response frames and gossip data above this size are decoded in a worker thread, not on trio's
loop (:func:`off_loop`): a 50,000-item GetData takes about 0.5 s to decode, during which every
stream of every peer (protocol negotiation, gossip, ping) stood still, and under load an honest
peer's stream negotiation ran past ``--handshake-timeout`` and was reset
(tests/test_libp2p_adversary.py ``test_request_bombs_are_bounded``)."""


async def off_loop(
    decode: Callable[[T_kind, bytes, Any], Message], kind: T_kind, data: bytes, preset: Any
) -> Message:
    """``decode(kind, data, preset)``, in a worker thread when ``data`` is above
    :data:`OFF_LOOP_BYTES` (trio's loop goes on meanwhile); its ``SpecError`` is raised here."""
    if len(data) <= OFF_LOOP_BYTES:
        return decode(kind, data, preset)
    return await trio.to_thread.run_sync(decode, kind, data, preset)


class Busy(Exception):
    """The node has :data:`MAX_NODE_CALLS` calls from trio waiting: this one is not made."""


@dataclass(frozen=True)
class TransportLimits:
    """The libp2p transport's limits (node policy; ``rusty node`` options set them, P2PLimits)."""

    max_inbound: int = 125
    max_outbound: int = 8
    handshake_timeout: float = 10.0
    frame_timeout: float = 60.0
    discovery_dial: bool = True
    """False: the devnet test hook ``--no-discovery-dial`` (:class:`DialGate`)."""

    def connection_config(self) -> ConnectionConfig:
        """py-libp2p's connection manager: at most ``max_inbound + max_outbound`` open connections,
        two per peer id, and the Noise and muxer upgrade and the stream negotiation within the
        handshake timeout."""
        total = self.max_inbound + self.max_outbound
        return ConnectionConfig(
            max_connections=total,
            min_connections=self.max_outbound,
            low_watermark=self.max_outbound,
            high_watermark=total,
            max_connections_per_peer=2,
            inbound_upgrade_timeout=self.handshake_timeout,
            outbound_upgrade_timeout=self.handshake_timeout,
            inbound_stream_protocol_negotiation_timeout=self.handshake_timeout,
        )


class RefusingNotifee(INotifee):
    """Closes a connection of a refused peer id (banned, or cooling down after its rate) as soon as
    it is up (P2P-LP-3: a ban sticks to the key, whatever address the peer comes from)."""

    def __init__(self, is_refused: Callable[[str], bool], counters: dict[str, int]) -> None:
        self.is_refused = is_refused
        self.counters = counters

    async def connected(self, network: INetwork, conn: INetConn) -> None:
        if self.is_refused(conn.muxed_conn.peer_id.to_base58()):
            self.counters["connections_refused"] += 1
            with contextlib.suppress(Exception):
                await conn.close()

    async def disconnected(self, network: INetwork, conn: INetConn) -> None:
        return None

    async def opened_stream(self, network: INetwork, stream: INetStream) -> None:
        return None

    async def closed_stream(self, network: INetwork, stream: INetStream) -> None:
        return None

    async def listen(self, network: INetwork, multiaddr: multiaddr.Multiaddr) -> None:
        return None

    async def listen_close(self, network: INetwork, multiaddr: multiaddr.Multiaddr) -> None:
        return None


class InboundLimit:
    """``--max-inbound`` on libp2p (node policy, docs/node.md "Limits on libp2p"): at most
    ``max_inbound`` inbound connections open or being upgraded at once. One more is closed as soon
    as it is accepted, before Noise (no byte of it is read, no stream served), and counted in
    ``getpeerinfo``'s ``limits.inbound_refused``; a slot is free again once its connection closes.
    Outbound dials (bootstrap, discovery, operator records) are not counted: they are bounded by
    ``max_outbound`` and py-libp2p's ``max_connections`` (inbound + outbound) caps the total."""

    def __init__(self, network: INetwork, max_inbound: int, counters: dict[str, int]) -> None:
        self.network = network
        self.max_inbound = max_inbound
        self.counters = counters
        self.counters.setdefault("inbound_refused", 0)
        self.upgrading = 0
        """Inbound connections accepted whose Noise and muxer upgrade is running."""

    def open_inbound(self) -> int:
        """Inbound connections the swarm holds (those it added as ``inbound``)."""
        return sum(
            1
            for conns in list(self.network.connections.values())
            for conn in conns
            if getattr(conn, "direction", None) == Direction.INBOUND
        )

    def admit(self) -> bool:
        """Whether one more inbound connection fits (no checkpoint: race-free in trio)."""
        if self.upgrading + self.open_inbound() >= self.max_inbound:
            self.counters["inbound_refused"] += 1
            return False
        return True

    def install(self) -> None:
        """Wrap the swarm's inbound upgrade: a connection above the limit is closed before it."""
        upgrade = self.network.upgrade_inbound_raw_conn

        async def limited(raw_conn: Any, maddr: multiaddr.Multiaddr) -> Any:
            if not self.admit():
                with contextlib.suppress(Exception):
                    await raw_conn.close()
                raise SwarmException("--max-inbound inbound connections are open")
            self.upgrading += 1
            try:
                return await upgrade(raw_conn, maddr)
            finally:
                self.upgrading -= 1

        self.network.upgrade_inbound_raw_conn = limited  # type: ignore[method-assign]


class DialGate:
    """The devnet test hook ``--no-discovery-dial`` (docs/node.md "The node on libp2p"): the node
    opens connections only to the peers in ``allowed`` (its ``--connect`` addresses and the peers
    whose operator records it resolved, P2P-LP-8); every other dial (DHT lookups, the discovery
    loop, gossipsub) fails at once, so two quorum members that only meet through the record
    connect only through it. Inbound connections are not gated, and streams on open connections
    are served as ever."""

    def __init__(self, network: INetwork) -> None:
        self.network = network
        self.allowed: set[str] = set()

    def install(self) -> None:
        """Wrap the swarm's ``dial_peer`` (every outbound connection of py-libp2p goes through it)."""
        dial = self.network.dial_peer

        async def gated(peer_id: ID) -> list[INetConn]:
            if peer_id.to_base58() not in self.allowed:
                raise SwarmException("--no-discovery-dial: not a bootstrap or operator-record peer")
            return await dial(peer_id)

        self.network.dial_peer = gated  # type: ignore[method-assign]


RECORD_INTERVAL = 3.0
"""Seconds between two operator-record rounds (P2P-LP-8): publish our own, look up our quorums'
members (node policy; short for a loopback devnet)."""
RECORD_REPUBLISH = 10.0
"""Seconds after which the node publishes its operator record again with a higher sequence (peers
whose masternode list did not have our key yet refused the earlier one)."""
RECORD_LOOKUP_AGAIN = 30.0
"""Seconds after which a quorum member's record is looked up again (it may have moved)."""


class OperatorRecordValidator(Validator):
    """P2P-LP-8 as py-libp2p's DHT validator of the ``rusty-operator`` namespace: every PutValue
    and GetValue answer is checked with :func:`spec.p2p.libp2p.check_operator_record_entry` on the
    node's current masternode list; the selector is :func:`select_operator_peer_record`."""

    def __init__(self, preset: Any, masternodes: Callable[[], MasternodeList]) -> None:
        self.preset = preset
        self.masternodes = masternodes

    def validate(self, key: str, value: bytes) -> None:
        try:
            check_operator_record_entry(key.encode(), value, self.masternodes(), self.preset)
        except SpecError as error:
            raise ValueError(error.code) from error

    def select(self, key: str, values: list[bytes]) -> int:
        decoded: list[tuple[int, OperatorPeerRecord]] = []
        for index, value in enumerate(values):
            with contextlib.suppress(SpecError):
                decoded.append((index, decode_operator_peer_record(value)))
        best = select_operator_peer_record([record for _, record in decoded])
        return decoded[best][0] if best >= 0 else 0


def record_addresses(listening: Sequence[str]) -> tuple[bytes, ...]:
    """The listen addresses an operator record can name (P2P-LP-6: canonical ``/ip4/`` or ``/ip6/``
    text with a port, at most :data:`MAX_RECORD_ADDRESSES`, sorted; the others are left out)."""
    valid: set[bytes] = set()
    for address in listening:
        with contextlib.suppress(SpecError):
            check_record_address(address.encode())
            valid.add(address.encode())
    return tuple(sorted(valid)[:MAX_RECORD_ADDRESSES])


def node_seed(datadir: Path) -> bytes:
    """The node key seed of ``datadir``, drawn once and kept ``0600`` (P2P-LP-3: the peer id)."""
    path = datadir / NODE_SEED_FILE
    if path.exists():
        seed = path.read_bytes()
        if len(seed) != 32:
            raise ValueError(f"{path} does not hold a 32-byte seed")
        return seed
    seed = os.urandom(32)
    write_private(path, seed)
    return seed


class Libp2pBridge:
    """py-libp2p on trio in a thread, reached from asyncio without blocking (module docstring)."""

    gate: DialGate | None = None
    """With ``--no-discovery-dial``: the peers the node may dial."""
    ip6: bool = False
    """Listen on the IPv6 loopback ``::1`` too (set by the node when the machine has it)."""

    def __init__(
        self,
        host: GossipHost,
        port: int,
        loop: asyncio.AbstractEventLoop,
        on_gossip: Callable[[str, TopicKind, Message, bytes], Coroutine[Any, Any, GossipDecision]],
        on_request: Callable[[str, RequestKind, Message], Coroutine[Any, Any, list[Message]]],
        on_malformed: Callable[[str, Violation], Coroutine[Any, Any, None]],
        limits: TransportLimits = TransportLimits(),
    ) -> None:
        self.gossip = host
        self.limits = limits
        self.preset = host.preset
        self.port = port
        self.loop = loop
        self.on_gossip = on_gossip
        self.on_request = on_request
        self.on_malformed = on_malformed
        self.token: trio.lowlevel.TrioToken | None = None
        self.nursery: trio.Nursery | None = None
        self.dht: KadDHT | None = None
        self.connected: set[str] = set()
        """Peer ids (text) with an open connection, as last seen by the watcher."""
        self.mesh: dict[str, list[str]] = {}
        """Each subscribed topic's gossipsub mesh (topic kind -> peer ids, text), as last seen by the
        watcher (``getpeerinfo``'s ``mesh``: a publication reaches these peers at once, the others
        only by a later IHAVE if at all); replaced, never mutated, by the trio side."""
        self.on_connected: Callable[[str], None] = lambda peer: None
        self.on_disconnected: Callable[[str], None] = lambda peer: None
        self.validating: set[bytes] = set()
        """Message ids being handled by the node inside the validator (not published again)."""
        self.refused: dict[str, None] = {}
        """Banned peer ids (insertion order): their connections are closed as soon as they are up."""
        self.cooling: OrderedDict[str, float] = OrderedDict()
        """Peers disconnected for their rate, with the end of their :data:`COOLDOWN_SECONDS`."""
        self.budgets: OrderedDict[str, tuple[RateLimiter, RateLimiter]] = OrderedDict()
        """Each peer's request budget (:data:`REQUESTS_PER_SECOND`) and stream overflow budget
        (:data:`OVERFLOWS_PER_SECOND`), least recently seen first."""
        self.streams: dict[str, int] = {}
        """Request streams being served, per peer."""
        self.node_calls = 0
        """Calls from trio waiting for the node (:data:`MAX_NODE_CALLS`)."""
        self.submits = 0
        """Calls from the node waiting for trio (:data:`MAX_PENDING_SUBMITS`)."""
        self.counters: dict[str, int] = {
            "rate_limited": 0,
            "streams_refused": 0,
            "request_timeouts": 0,
            "busy": 0,
            "connections_refused": 0,
        }
        """What the limits turned away (``getpeerinfo``'s ``limits``)."""
        self.masternodes: MasternodeList = EMPTY_LIST
        """The node's masternode list as of its last record round (read by the DHT validator in the
        trio thread; replaced, never mutated, by the asyncio side)."""
        self._ready = threading.Event()
        self._stop: trio.Event | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._thread_main, name="libp2p", daemon=True)

    # ------------------------------------------------------------------------- lifecycle

    def start(self) -> None:
        """Start the trio thread; return once the host listens (raise what stopped it otherwise)."""
        self._thread.start()
        self._ready.wait(30)
        if self._error is not None:
            raise OSError(f"libp2p host did not start: {self._error}")
        if self.token is None:
            raise OSError("libp2p host did not start within 30 s")

    def stop(self) -> None:
        """Stop the host and join the thread."""
        if self.token is not None and self._stop is not None:
            with contextlib.suppress(trio.RunFinishedError):
                self.token.run_sync_soon(self._stop.set)
        self._thread.join(10)

    def _thread_main(self) -> None:
        try:
            trio.run(self._main)
        except BaseException as error:
            self._error = error
        finally:
            self._ready.set()

    async def _main(self) -> None:
        self._stop = trio.Event()
        network = self.gossip.host.get_network()
        network.register_notifee(RefusingNotifee(self.is_refused, self.counters))
        if hasattr(network, "_inbound_limiter"):
            # py-libp2p 0.8.1 holds an inbound slot until the swarm stops (the handler waits on
            # ``manager.wait_finished()``), so its inbound cap counts every inbound connection ever
            # made: after ``max_connections - min_connections`` of them the node refused all (found
            # by tests/test_libp2p_adversary.py). The cap on open connections is
            # ``max_connections``, checked when a connection is added; handshakes end within the
            # upgrade timeout.
            network._inbound_limiter = trio.CapacityLimiter(math.inf)
        InboundLimit(network, self.limits.max_inbound, self.counters).install()
        if not self.limits.discovery_dial:
            self.gate = DialGate(network)
            self.gate.install()
        pubsub = self.gossip.pubsub

        async def teardown(peer_id: ID) -> None:
            # py-libp2p 0.8.1's ``_teardown_if_connected`` (run when a peer is blacklisted) awaits
            # the stream's reset and then deletes the peer, which the dead-peer handler may have
            # deleted meanwhile: its KeyError stops the pubsub service, and with it the node's
            # libp2p side (found by tests/test_libp2p_adversary.py). The same steps, tolerant.
            stream = pubsub.peers.get(peer_id)
            if stream is not None:
                with contextlib.suppress(Exception):
                    await stream.reset()
                pubsub.peers.pop(peer_id, None)
            pubsub._forget_all_subscriptions(peer_id)

        pubsub._teardown_if_connected = teardown  # type: ignore[method-assign]
        async with self.gossip.running(self.port, ip6=self.ip6):
            self.port = int(str(self.gossip.listen_address()).split("/tcp/")[1].split("/")[0])
            self.dht = KadDHT(self.gossip.host, DHTMode.SERVER)
            self.dht.set_namespace_validator(
                OPERATOR_RECORD_NAMESPACE, OperatorRecordValidator(self.preset, lambda: self.masternodes)
            )
            async with background_trio_service(self.dht), trio.open_nursery() as nursery:
                self.nursery = nursery
                for kind in TopicKind:
                    if kind not in RESERVED_TOPICS:
                        self.gossip.pubsub.set_topic_validator(
                            topic_name(self.preset, kind), self._validator(kind), True
                        )
                        subscription = await self.gossip.subscribe(kind)
                        nursery.start_soon(self._drain, subscription)
                for request_kind in RequestKind:
                    self.gossip.host.set_stream_handler(
                        TProtocol(request_protocol_id(self.preset, request_kind)), self._handler(request_kind)
                    )
                nursery.start_soon(self._watch_peers)
                self.token = trio.lowlevel.current_trio_token()
                self._ready.set()
                await self._stop.wait()
                nursery.cancel_scope.cancel()

    async def _drain(self, subscription: Any) -> None:
        """Delivered messages were handled by the node in the validator already: drop them."""
        while True:
            await subscription.get()

    async def _watch_peers(self) -> None:
        network = self.gossip.host.get_network()
        while True:
            now = {peer.to_base58() for peer, conns in list(network.connections.items()) if conns}
            for peer in sorted(now - self.connected):
                self.loop.call_soon_threadsafe(self.on_connected, peer)
            for peer in sorted(self.connected - now):
                self.loop.call_soon_threadsafe(self.on_disconnected, peer)
            self.connected = now
            mesh = self.gossip.gossipsub.mesh
            self.mesh = {
                kind.value: sorted(peer.to_base58() for peer in mesh.get(topic_name(self.preset, kind), ()))
                for kind in TopicKind
                if kind not in RESERVED_TOPICS
            }
            await trio.sleep(PEER_POLL_INTERVAL)

    # ------------------------------------------------------------------------- trio -> asyncio

    async def _to_asyncio(self, coroutine: Coroutine[Any, Any, T], timeout: float) -> T:
        """Run ``coroutine`` on the node's loop; wait in trio without blocking it. Raise
        :class:`Busy` (without running it) when :data:`MAX_NODE_CALLS` calls are waiting."""
        if self.node_calls >= MAX_NODE_CALLS:
            coroutine.close()
            self.counters["busy"] += 1
            raise Busy("the node has too many calls waiting")
        self.node_calls += 1
        try:
            return await self._wait_for_node(coroutine, timeout)
        finally:
            self.node_calls -= 1

    async def _wait_for_node(self, coroutine: Coroutine[Any, Any, T], timeout: float) -> T:
        token = trio.lowlevel.current_trio_token()
        done = trio.Event()
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)

        def wake(_: object) -> None:
            with contextlib.suppress(trio.RunFinishedError):
                token.run_sync_soon(done.set)

        future.add_done_callback(wake)
        with trio.move_on_after(timeout):
            await done.wait()
        if not future.done():
            future.cancel()
            raise TimeoutError("the node did not answer in time")
        return future.result()

    def _validator(self, kind: TopicKind) -> Callable[[ID, rpc_pb2.Message], Awaitable[bool]]:
        async def validate(forwarder: ID, msg: rpc_pb2.Message) -> bool:
            if forwarder == self.gossip.peer_id:
                return True  # our own publication: the node produced or accepted it
            peer = forwarder.to_base58()
            if self.is_refused(peer):
                return False  # banned (or cooling down): dropped unscored, the node is not asked
            try:
                message = await off_loop(decode_gossip_data, kind, msg.data, self.preset)
            except SpecError as error:
                log.info(
                    "libp2p gossip undecodable",
                    extra={"fields": {"peer": peer, "kind": kind.value, "code": error.code}},
                )
                validation = compute_gossip_validation(kind, error.code)
                with contextlib.suppress(Busy, TimeoutError):
                    await self._score(peer, validation)
                return False
            message_id = compute_message_id(msg.topicIDs[0], msg.data)
            self.validating.add(message_id)
            try:
                decision = await self._to_asyncio(
                    self.on_gossip(peer, kind, message, message_id), VALIDATION_TIMEOUT
                )
            except (TimeoutError, Busy):
                decision = GossipDecision.IGNORE  # the node was too busy: not the peer's fault
            finally:
                self.validating.discard(message_id)
            if decision is GossipDecision.IGNORE:
                self.gossip.scorer.mark_ignored(forwarder, msg.topicIDs[0])  # P2P-LP-5: no penalty
            return decision is GossipDecision.ACCEPT

        return validate

    async def _score(self, peer: str, validation: GossipValidation) -> None:
        if validation.violation is not None:
            await self._to_asyncio(self.on_malformed(peer, validation.violation), REQUEST_TIMEOUT)

    def _handler(self, kind: RequestKind) -> Callable[[INetStream], Awaitable[None]]:
        async def handle(stream: INetStream) -> None:
            peer = stream.muxed_conn.peer_id.to_base58()
            if not self._admit(peer):
                with contextlib.suppress(Exception):
                    await stream.reset()
                return
            try:
                await self._serve(kind, peer, stream)
            finally:
                left = self.streams.get(peer, 1) - 1
                if left:
                    self.streams[peer] = left
                else:
                    self.streams.pop(peer, None)

        return handle

    def is_refused(self, peer: str) -> bool:
        """Whether ``peer`` is banned or cooling down after its rate (trio side)."""
        if peer in self.refused:
            return True
        until = self.cooling.get(peer)
        if until is None:
            return False
        if time.monotonic() < until:
            return True
        del self.cooling[peer]
        return False

    def _admit(self, peer: str) -> bool:
        """Whether a new request stream of ``peer`` is served: not refused, within its request
        budget and its stream overflow budget (else it is disconnected and refused for
        :data:`COOLDOWN_SECONDS`, without a ban) and its :data:`MAX_STREAMS_PER_PEER`."""
        if self.is_refused(peer):
            self.counters["streams_refused"] += 1
            return False
        budgets = self.budgets.pop(peer, None)
        if budgets is None:
            budgets = (
                RateLimiter(REQUESTS_PER_SECOND, REQUEST_BURST),
                RateLimiter(OVERFLOWS_PER_SECOND, OVERFLOW_BURST),
            )
        self.budgets[peer] = budgets
        while len(self.budgets) > MAX_RATE_LIMITED_PEERS:
            self.budgets.popitem(last=False)
        requests, overflows = budgets
        over = not requests.allow()
        if not over and self.streams.get(peer, 0) >= MAX_STREAMS_PER_PEER:
            self.counters["streams_refused"] += 1
            over = not overflows.allow()
            if not over:
                return False
        if over:
            self.counters["rate_limited"] += 1
            self.cooling.pop(peer, None)
            self.cooling[peer] = time.monotonic() + COOLDOWN_SECONDS
            while len(self.cooling) > MAX_RATE_LIMITED_PEERS:
                self.cooling.popitem(last=False)
            if self.nursery is not None:
                self.nursery.start_soon(self._disconnect, peer)
            return False
        self.streams[peer] = self.streams.get(peer, 0) + 1
        return True

    async def _disconnect(self, peer: str) -> None:
        with contextlib.suppress(Exception):
            await self.gossip.host.disconnect(ID.from_base58(peer))

    async def _serve(self, kind: RequestKind, peer: str, stream: INetStream) -> None:
        """P2P-LP-4: read the request within the frame timeout, have the node answer it, write the
        answer (each frame within the frame timeout, :data:`MAX_RESPONSE_BYTES` in all)."""
        limit = self.preset.network.max_message_bytes
        try:
            with trio.fail_after(self.limits.frame_timeout):
                frame = await read_frame(stream, limit)
            request = await off_loop(decode_request, kind, frame, self.preset)
        except SpecError as error:
            log.info(
                "libp2p request undecodable",
                extra={"fields": {"peer": peer, "kind": kind.value, "code": error.code}},
            )
            with contextlib.suppress(Exception):
                await stream.reset()
            violation = (
                Violation.TOO_MANY_ITEMS
                if error.code == "DECODE_LENGTH_LIMIT"
                else Violation.MALFORMED_MESSAGE
            )
            with contextlib.suppress(Busy, TimeoutError):
                await self._to_asyncio(self.on_malformed(peer, violation), REQUEST_TIMEOUT)
            return
        except trio.TooSlowError:
            self.counters["request_timeouts"] += 1  # a silent stream: dropped, not scored
            with contextlib.suppress(Exception):
                await stream.reset()
            return
        except Exception:
            with contextlib.suppress(Exception):
                await stream.reset()
            return
        try:
            answers = await self._to_asyncio(self.on_request(peer, kind, request), REQUEST_TIMEOUT)
            written = 0
            for answer in answers:
                data = encode_request_frame(answer, self.preset)
                written += len(data)
                if written > MAX_RESPONSE_BYTES:
                    break
                with trio.fail_after(self.limits.frame_timeout):
                    await stream.write(data)
            await stream.close()
        except Exception:
            with contextlib.suppress(Exception):
                await stream.reset()

    # ------------------------------------------------------------------------- asyncio -> trio

    def _submit(self, function: Callable[..., Awaitable[T]], *args: Any, timeout: float) -> asyncio.Future[T]:
        """Start ``function(*args)`` in trio; the returned future (of the node's loop) gets its result."""
        future: asyncio.Future[T] = self.loop.create_future()
        nursery, token = self.nursery, self.token
        if nursery is None or token is None:
            future.set_exception(ConnectionError("libp2p host not running"))
            return future
        if self.submits >= MAX_PENDING_SUBMITS:
            future.set_exception(ConnectionError("libp2p host busy"))
            return future
        self.submits += 1
        future.add_done_callback(self._submitted)

        def settle(result: T | None, error: BaseException | None) -> None:
            if future.done():
                return
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(cast(T, result))

        async def run() -> None:
            result: T | None = None
            error: BaseException | None = None
            with trio.move_on_after(timeout) as scope:
                try:
                    result = await function(*args)
                except Exception as exc:
                    error = exc
            if scope.cancelled_caught:
                error = TimeoutError("libp2p call timed out")
            with contextlib.suppress(RuntimeError):
                self.loop.call_soon_threadsafe(settle, result, error)

        try:
            token.run_sync_soon(nursery.start_soon, run)
        except trio.RunFinishedError:
            future.set_exception(ConnectionError("libp2p host stopped"))
        return future

    def _submitted(self, _: object) -> None:
        self.submits -= 1

    async def publish(self, message: Message) -> None:
        """P2P-LP-2: publish ``message`` on its topic (not while the node is validating it)."""
        kind, data = encode_gossip_data(message, self.preset)
        if compute_message_id(topic_name(self.preset, kind), data) in self.validating:
            return
        await self._submit(
            self.gossip.pubsub.publish, topic_name(self.preset, kind), data, timeout=REQUEST_TIMEOUT
        )

    async def send_to(self, peer: str, message: Message) -> bool:
        """P2P-LP-2: send ``message`` on its topic to ``peer`` alone (:meth:`GossipHost.send_to`),
        once ``peer`` is subscribed to the topic (at most :data:`CATCH_UP_WAIT`); True iff sent."""
        return await self._submit(self._send_to, peer, message, timeout=CATCH_UP_WAIT + REQUEST_TIMEOUT)

    async def _send_to(self, peer: str, message: Message) -> bool:
        peer_id = ID.from_base58(peer)
        kind, _ = encode_gossip_data(message, self.preset)
        with trio.move_on_after(CATCH_UP_WAIT):
            while not self.gossip.is_subscribed(peer_id, kind):
                await trio.sleep(PEER_POLL_INTERVAL)
        if not self.gossip.is_subscribed(peer_id, kind):
            return False
        self.gossip.send_to(peer_id, message)
        return True

    async def request(self, peer: str, kind: RequestKind, message: Message) -> list[Message]:
        """P2P-LP-4: one request on a new stream; the decoded response frames (``DECODE_*`` raise)."""
        return await self._submit(self._request, peer, kind, message, timeout=REQUEST_TIMEOUT)

    async def _request(self, peer: str, kind: RequestKind, message: Message) -> list[Message]:
        limit = self.preset.network.max_message_bytes
        stream = await self.gossip.host.new_stream(
            ID.from_base58(peer), [TProtocol(request_protocol_id(self.preset, kind))]
        )
        answers: list[Message] = []
        try:
            await stream.write(encode_request_frame(message, self.preset))
            while True:
                try:
                    frame = await read_frame(stream, limit)
                except Exception:
                    break
                if not frame:
                    break
                answers.append(await off_loop(decode_response, kind, frame, self.preset))
                if kind not in MULTI_RESPONSE_KINDS:
                    break
        finally:
            with contextlib.suppress(Exception):
                await stream.close()
        return answers

    async def dial(self, address: str) -> str:
        """Connect to ``/ip4/…/tcp/…/p2p/<peer id>`` and add it to the DHT; return its peer id."""
        return await self._submit(self._dial, address, timeout=REQUEST_TIMEOUT)

    async def _dial(self, address: str) -> str:
        info = info_from_p2p_addr(multiaddr.Multiaddr(address))
        if self.gate is not None:
            self.gate.allowed.add(info.peer_id.to_base58())  # a bootstrap peer
        await self.gossip.host.connect(info)
        if self.dht is not None:
            await self.dht.add_peer(info.peer_id, skip_server_mode_check=True)
        return str(info.peer_id.to_base58())

    async def discover(self) -> list[str]:
        """A DHT self-lookup; the peer ids the routing table now holds (text)."""
        return await self._submit(self._discover, timeout=REQUEST_TIMEOUT)

    async def _discover(self) -> list[str]:
        dht = self.dht
        if dht is None:
            return []
        with contextlib.suppress(Exception):
            await dht.peer_routing.find_closest_peers_network(self.gossip.peer_id.to_bytes())
        return [peer.to_base58() for peer in dht.routing_table.get_peer_ids()]

    async def connect_peer(self, peer: str) -> None:
        """Dial a peer whose addresses the peerstore (DHT, identify) knows."""
        await self._submit(self._connect_peer, peer, timeout=REQUEST_TIMEOUT)

    async def _connect_peer(self, peer: str) -> None:
        peer_id = ID.from_base58(peer)
        info = self.gossip.host.get_peerstore().peer_info(peer_id)
        await self.gossip.host.connect(info)

    async def put_record(self, key: bytes, value: bytes) -> None:
        """P2P-LP-8: PutValue (stored locally and at the closest peers, each of which validates it)."""
        await self._submit(self._put_record, key, value, timeout=REQUEST_TIMEOUT)

    async def _put_record(self, key: bytes, value: bytes) -> None:
        if self.dht is not None:
            await self.dht.put_value(key.decode(), value)

    async def get_record(self, key: bytes) -> bytes | None:
        """P2P-LP-8: GetValue (the best valid record the DHT returns, or ``None``)."""
        return await self._submit(self._get_record, key, timeout=REQUEST_TIMEOUT)

    async def _get_record(self, key: bytes) -> bytes | None:
        if self.dht is None:
            return None
        return await self.dht.get_value(key.decode())

    async def dial_addresses(self, peer: str, addresses: Sequence[str]) -> None:
        """Dial ``peer`` at the addresses of its operator record (P2P-LP-6)."""
        await self._submit(self._dial_addresses, peer, addresses, timeout=REQUEST_TIMEOUT)

    async def _dial_addresses(self, peer: str, addresses: Sequence[str]) -> None:
        info = PeerInfo(ID.from_base58(peer), [multiaddr.Multiaddr(a) for a in addresses])
        if self.gate is not None:
            self.gate.allowed.add(peer)  # named by its operator record (P2P-LP-8)
        await self.gossip.host.connect(info)
        if self.dht is not None:
            await self.dht.add_peer(info.peer_id, skip_server_mode_check=True)

    async def hang_up(self, peer: str) -> None:
        """Blacklist ``peer`` in gossipsub and close its connections (a ban)."""
        await self._submit(self._hang_up, peer, timeout=REQUEST_TIMEOUT)

    async def _hang_up(self, peer: str) -> None:
        peer_id = ID.from_base58(peer)
        self.refused[peer] = None
        while len(self.refused) > MAX_REFUSED_PEERS:
            del self.refused[next(iter(self.refused))]
        if not self.gossip.pubsub.is_peer_blacklisted(peer_id):
            self.gossip.pubsub.add_to_blacklist(peer_id)
        with contextlib.suppress(Exception):
            await self.gossip.host.disconnect(peer_id)


class Libp2pService(P2PService):
    """The node's P2P side on libp2p (module docstring): :class:`P2PService` with its transport
    replaced. ``Peer.address`` is the peer's id (text), which is also its score and ban key."""

    def __init__(
        self,
        node: Node,
        port: int,
        datadir: Path,
        bootstrap: Sequence[str] = (),
        on_block: Callable[[Block], None] | None = None,
        limits: P2PLimits = DEFAULT_LIMITS,
        fast_sync: FastSync | None = None,
    ) -> None:
        super().__init__(node, port, on_block=on_block, limits=limits, fast_sync=fast_sync)
        self.seed = node_seed(datadir)
        self.bootstrap = list(bootstrap)
        self.by_id: dict[str, Peer] = {}
        self.bridge: Libp2pBridge | None = None
        self.peer_id = ""
        self.listen_address = ""
        self.gossip_dropped = 0
        """Gossip messages ignored because the node had :data:`MAX_INBOUND_QUEUE` waiting."""
        self._waiting = 0
        self.record_sequence = 0
        """The sequence of the operator record the node last published (0: none, P2P-LP-6)."""
        self.record_published_at = 0.0
        self.operator_peers: dict[str, dict[str, object]] = {}
        """P2P-LP-8: by operator key (hex), what the record of a fellow quorum member said (peer id,
        addresses, sequence) and whether the node dialled it from the record."""
        self._looked_up: dict[str, float] = {}
        self.record_addresses: tuple[bytes, ...] = ()
        """The listen addresses the operator record names (IPv4, and IPv6 ``::1`` when listened on)."""
        self.gossip_received: dict[str, dict[str, int]] = {}
        """Gossip messages handled, by forwarder peer id and topic kind (:meth:`_count_gossip`)."""

    # ------------------------------------------------------------------------- lifecycle

    async def start(self) -> int:
        """Start the libp2p host on 127.0.0.1 (and ::1 if the machine has IPv6); return the IPv4
        TCP port."""
        transport_limits = TransportLimits(
            max_inbound=self.max_inbound,
            max_outbound=self.preset.network.max_outbound,
            handshake_timeout=self.limits.handshake_timeout,
            frame_timeout=self.limits.frame_timeout,
            discovery_dial=self.limits.discovery_dial,
        )
        host = GossipHost(
            self.preset,
            self.seed,
            misbehaviour=lambda peer: score_of(self.scores, peer),
            connection_config=transport_limits.connection_config(),
        )
        host.pubsub.seen_messages.ttl = SEEN_TTL
        host.pubsub.validation_cache.ttl = 0  # an ignored message may become valid (DKG phases)
        host.pubsub.validation_timeout = VALIDATION_TIMEOUT
        bridge = Libp2pBridge(
            host,
            self.port,
            asyncio.get_running_loop(),
            self._on_gossip,
            self._on_request,
            self._on_malformed,
            transport_limits,
        )
        bridge.on_connected = self._on_connected
        bridge.ip6 = has_ipv6_loopback()
        bridge.on_disconnected = self._on_disconnected
        await asyncio.get_running_loop().run_in_executor(None, bridge.start)
        self.bridge = bridge
        self.port = bridge.port
        self.peer_id = host.peer_id.to_base58()
        self.listen_address = str(host.listen_address())
        self.record_addresses = record_addresses(host.listen_addresses())
        if self.limits.discovery_dial:
            self._spawn(self._discover_forever())
        self._spawn(self._records_forever())
        return self.port

    async def stop(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        if self.bridge is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.bridge.stop)
        self.peers.clear()
        self.by_id.clear()

    async def connect(self, host: str, port: int) -> None:
        """Not a libp2p address (a peer id is needed): dial a multiaddr with :meth:`dial`."""
        log.info("libp2p transport: ignoring a HOST:PORT peer", extra={"fields": {"peer": f"{host}:{port}"}})

    async def dial(self, address: str) -> None:
        """Dial a ``/ip4/…/tcp/…/p2p/<peer id>`` address (a bootstrap peer of the DHT)."""
        if self.bridge is None:
            return
        try:
            peer = await self.bridge.dial(address)
        except Exception as error:
            log.info("libp2p dial failed", extra={"fields": {"address": address, "error": str(error)}})
            return
        self.db.execute(
            "INSERT OR REPLACE INTO p2p_meta (key, value) VALUES (?, ?)",
            (f"libp2p:{peer}", address.encode()),
        )

    async def connect_known(self) -> None:
        """Dial the bootstrap addresses and the peers remembered from earlier runs."""
        rows = self.db.execute("SELECT value FROM p2p_meta WHERE key LIKE 'libp2p:%'").fetchall()
        for address in dict.fromkeys([*self.bootstrap, *(bytes(row[0]).decode() for row in rows)]):
            await self.dial(address)

    async def _discover_forever(self) -> None:
        """DHT discovery: look ourselves up, dial what the routing table holds (``max_outbound``)."""
        while self.bridge is not None:
            await asyncio.sleep(DISCOVERY_INTERVAL)
            with contextlib.suppress(Exception):
                known = await self.bridge.discover()
                for peer in known:
                    if len(self.bridge.connected) >= self.preset.network.max_outbound:
                        break
                    if (
                        peer != self.peer_id
                        and peer not in self.bridge.connected
                        and not self.is_banned(peer)
                    ):
                        with contextlib.suppress(Exception):
                            await self.bridge.connect_peer(peer)

    # ------------------------------------------------------------------------- operator records

    async def _records_forever(self) -> None:
        """P2P-LP-6/8 rounds: publish our operator record, find our quorums' members by theirs."""
        while self.bridge is not None:
            await asyncio.sleep(RECORD_INTERVAL)
            try:
                await self._records_round()
            except Exception as error:  # a DHT hiccup: the next round tries again
                log.info("libp2p operator records", extra={"fields": {"error": str(error)}})

    def own_record(self) -> OperatorPeerRecord:
        """P2P-LP-6: this node's record (its listen address, a fresh sequence above the last one)."""
        sequence = max(self.record_sequence + 1, int(time.time()))
        addresses = self.record_addresses or (f"/ip4/127.0.0.1/tcp/{self.port}".encode(),)
        return make_operator_peer_record(
            self.node.quorum.secret_key, self.bridge_peer_id(), addresses, sequence, self.preset
        )

    def bridge_peer_id(self) -> bytes:
        """The node's peer id (bytes, P2P-LP-3)."""
        if self.bridge is None:
            raise ConnectionError("libp2p host not running")
        return self.bridge.gossip.peer_id_bytes

    def quorum_member_keys(self) -> set[bytes]:
        """The operator keys of the other members of every quorum this node is a member of."""
        own = self.node.quorum.public_key
        members: set[bytes] = set()
        for record in list(self.node.quorum.sessions.values()):
            if own in record.state.members:
                members.update(record.state.members)
        members.discard(own)
        return members

    async def _records_round(self) -> None:
        bridge = self.bridge
        if bridge is None:
            return
        masternodes = self.node.store.state.masternodes
        bridge.masternodes = masternodes
        if not is_active_operator(masternodes, self.node.quorum.public_key):
            return  # not (yet) an active masternode: its record would be refused everywhere
        now = time.monotonic()
        if not self.record_sequence or now - self.record_published_at >= RECORD_REPUBLISH:
            record = self.own_record()
            key = operator_record_key(record.operator_public_key, self.preset)
            await bridge.put_record(key, encode_operator_peer_record(record))
            self.record_sequence, self.record_published_at = record.sequence, now
            log.info("libp2p operator record published", extra={"fields": {"sequence": record.sequence}})
        for member in sorted(self.quorum_member_keys()):
            name = member.hex()
            if now - self._looked_up.get(name, -RECORD_LOOKUP_AGAIN) < RECORD_LOOKUP_AGAIN:
                continue
            key = operator_record_key(member, self.preset)
            value = await bridge.get_record(key)
            if value is None:
                continue  # not published yet: the next round asks again
            try:
                found = check_operator_record_entry(key, value, masternodes, self.preset)
            except SpecError as error:
                log.info("libp2p operator record refused", extra={"fields": {"code": error.code}})
                continue
            self._looked_up[name] = now
            peer = peer_id_text(found.peer_id)
            addresses = [a.decode() for a in found.addresses]
            dialled = False
            if peer != self.peer_id and peer not in bridge.connected and not self.is_banned(peer):
                with contextlib.suppress(Exception):
                    await bridge.dial_addresses(peer, addresses)
                    dialled = True
            self.operator_peers[name] = {
                "peer_id": peer,
                "addresses": addresses,
                "sequence": found.sequence,
                "dialled": dialled or bool(self.operator_peers.get(name, {}).get("dialled")),
            }

    # ------------------------------------------------------------------------- peers

    @staticmethod
    def _key(peer: Peer) -> str:
        """P2P-LP-3: a peer is scored and banned by its peer id (the key it proved in Noise)."""
        return peer.address

    def _peer(self, peer_id: str) -> Peer:
        peer = self.by_id.get(peer_id)
        if peer is None:
            peer = Peer(cast(asyncio.StreamReader, None), cast(asyncio.StreamWriter, None), peer_id, True)
            self.by_id[peer_id] = peer
            self.peers.add(peer)
        return peer

    def _on_connected(self, peer_id: str) -> None:
        if self.is_banned(peer_id):
            if self.bridge is not None:
                self._spawn(self.bridge.hang_up(peer_id))
            return
        self._spawn(self._status(self._peer(peer_id)))

    def _on_disconnected(self, peer_id: str) -> None:
        peer = self.by_id.pop(peer_id, None)
        if peer is not None:
            self.peers.discard(peer)

    def _version(self) -> Version:
        return Version(
            self.preset.network.protocol_version,
            SERVICE_PRUNED if self.node.is_pruned else SERVICE_FULL_NODE,  # P2P-PRUNE-1
            self.node_id,
            self.port,
            max(self.node.store.state.height, 0),
            secrets.randbits(64),
            USER_AGENT,
        )

    async def _status(self, peer: Peer) -> None:
        """P2P-LP-4 ``status``: learn the peer's Version (services, height), then sync as after a
        P2P-HS handshake."""
        if self.bridge is None:
            return
        try:
            answers = await self.bridge.request(peer.address, RequestKind.STATUS, self._version())
        except SpecError as error:
            log.info(
                "libp2p status undecodable", extra={"fields": {"peer": peer.address, "code": error.code}}
            )
            await self._punish(peer, Violation.MALFORMED_MESSAGE)
            return
        except Exception:
            return
        if answers and isinstance(answers[0], Version):
            await self._learn_version(peer, answers[0])

    async def _learn_version(self, peer: Peer, version: Version) -> None:
        try:
            check_version(version, peer.nonce, self.preset)
        except SpecError:
            if self.bridge is not None:
                await self.bridge.hang_up(peer.address)
            return
        first = peer.version is None
        peer.version = version
        peer.verack = True
        peer.height = max(peer.height, version.best_height)
        if first:
            await self._after_handshake(peer)

    async def _after_handshake(self, peer: Peer) -> None:
        await self.send(peer, GetHeaders(block_locator(self.node.store.best_hashes()), NO_STOP_HASH))
        catch_up: list[Message] = []
        newest = self.node.quorum.newest_certificate()
        if newest is not None:
            catch_up.append(newest)
        catch_up.extend(self.node.quorum.catch_up_messages())
        if catch_up:
            self._spawn(self._catch_up(peer, catch_up))

    async def _catch_up(self, peer: Peer, messages: list[Message]) -> None:
        """The newest certificate (FORK-2/3) and the quorum catch-up messages, sent to the new peer
        alone as soon as it is subscribed, as the TCP transport sends them (docs/node.md): a
        publication reached the topic's mesh only, which a new peer may not have joined yet, and no
        other peer relays what it already had (ignore, P2P-LP-5)."""
        for message in messages:
            if self.bridge is None or peer not in self.peers:
                return
            with contextlib.suppress(Exception):
                await self.bridge.send_to(peer.address, message)

    async def _publish_later(self, messages: list[Message]) -> None:
        await asyncio.sleep(CATCH_UP_DELAY)
        for message in messages:
            await self._publish(message)

    async def _punish(self, peer: Peer, violation: Violation) -> bool:
        """P2P-SCORE-1 by peer id. A banned peer is scored no more: gossipsub validates a peer's
        messages concurrently, so several may be in flight when one of them bans it; the ban check,
        the score and the ban run with no await between them (atomic on the node's loop), so
        exactly one penalty lands and the others find the ban."""
        if self.is_banned(self._key(peer)):
            return False
        log.info("libp2p peer scored", extra={"fields": {"peer": peer.address, "violation": violation.value}})
        disconnect = await super()._punish(peer, violation)
        if disconnect and self.bridge is not None:
            await self.bridge.hang_up(peer.address)
        return disconnect

    async def _close(self, peer: Peer) -> None:
        self.peers.discard(peer)
        self.by_id.pop(peer.address, None)

    async def _on_malformed(self, peer_id: str, violation: Violation = Violation.MALFORMED_MESSAGE) -> None:
        """A peer sent data that does not decode (gossip or a request): score ``violation``."""
        await self._punish(self._peer(peer_id), violation)

    # ------------------------------------------------------------------------- sending

    async def send(self, peer: Peer, message: Message) -> None:
        """Route what the sync logic sends one peer: requests become P2P-LP-4 streams whose
        answers go to the same handlers; gossip is published (P2P-LP-2); the rest has no
        libp2p counterpart (Ping, FindNode: libp2p's ping and the DHT) and is dropped."""
        if peer not in self.peers or self.bridge is None:
            return
        if isinstance(message, GetHeaders):
            self._spawn(self._ask_and_handle(peer, RequestKind.HEADERS, message))
        elif isinstance(message, GetData):
            self._spawn(self._ask_blocks(peer, message))
        elif isinstance(message, GetBlockTxn):
            self._spawn(self._ask_and_handle(peer, RequestKind.BLOCK_TXN, message))
        elif isinstance(message, GetSnapshotManifests):
            self._spawn(self._ask_and_handle(peer, RequestKind.SNAPSHOT_MANIFESTS, message))
        elif isinstance(message, GetSnapshotChunk):
            self._spawn(self._ask_and_handle(peer, RequestKind.SNAPSHOT_CHUNK, message))
        elif isinstance(message, (CompactBlock, TxMessage, SidechainBlockMessage, SidechainTxMessage)):
            await self._publish(message)
        elif isinstance(message, QUORUM_MESSAGES):
            self._spawn(self._publish_later([message]))

    async def _publish(self, message: Message) -> None:
        if self.bridge is None:
            return
        with contextlib.suppress(Exception):
            await self.bridge.publish(message)

    async def _ask(self, peer: Peer, kind: RequestKind, message: Message) -> list[Message]:
        if self.bridge is None:
            return []
        try:
            answers = await self.bridge.request(peer.address, kind, message)
        except SpecError as error:
            await self._punish(
                peer,
                Violation.TOO_MANY_ITEMS
                if error.code == "DECODE_LENGTH_LIMIT"
                else Violation.MALFORMED_MESSAGE,
            )
            return []
        except Exception:
            return []
        for answer in answers:
            if peer not in self.peers:
                break
            await self._handle(peer, answer)
        return answers

    async def _ask_and_handle(self, peer: Peer, kind: RequestKind, message: Message) -> None:
        await self._ask(peer, kind, message)

    async def _ask_blocks(self, peer: Peer, message: GetData) -> None:
        """``blocks``: the Block frames go to the handlers; an item left out is a NotFound."""
        answers = await self._ask(peer, RequestKind.BLOCKS, message)
        got = {block_hash(a.block.header, self.preset) for a in answers if isinstance(a, BlockMessage)}
        missing = tuple(item for item in message.items if item.hash not in got)
        if missing and peer in self.peers:
            await self._handle(peer, NotFound(missing))

    async def announce_block(self, block: Block, exclude: Peer | None = None) -> None:
        """P2P-LP-2: publish a new best block as a compact block (coinbase prefilled)."""
        await self._publish(make_compact_block(block, secrets.randbits(64), (0,), self.preset))

    async def announce_transaction(self, tx: Transaction, exclude: Peer | None = None) -> None:
        """P2P-LP-2: publish a transaction the node accepted."""
        self._seen(wtxid(tx, self.preset))
        await self._publish(TxMessage(tx))

    async def broadcast_quorum(
        self, messages: Sequence[QuorumOutput | SidechainOutput], exclude: Peer | None = None
    ) -> None:
        """P2P-LP-2: publish the quorum side's messages (the base class follows a new certificate)."""
        moved = False
        for message in messages:
            if isinstance(message, Transaction):
                await self.announce_transaction(message)
                continue
            await self._publish(message)
            if isinstance(message, FinalityCertificate):
                before = self.node.store.state.tip_hash
                followed = self.node.store.follow_finalized(message.block_hash, int(time.time()))
                self.node.restore_pending(followed.disconnected)
                moved = moved or self.node.store.state.tip_hash != before
        if moved:
            self.node.prune_pending()
            await self.tip_changed()

    # ------------------------------------------------------------------------- serving (P2P-LP-4)

    async def _on_request(self, peer_id: str, kind: RequestKind, request: Message) -> list[Message]:
        peer = self._peer(peer_id)
        if self.is_banned(peer_id):
            return []
        if isinstance(request, Version):
            await self._learn_version(peer, request)
            return [self._version()]
        if isinstance(request, GetHeaders):
            best = self.node.store.best_headers()
            limit = self.preset.network.max_headers_per_message
            try:
                answer = headers_after(best, request.locator, request.stop_hash, limit, self.preset)
            except NoCommonBlock:
                answer = tuple(best[:limit])
            return [Headers(answer)]
        if isinstance(request, GetData):
            # each distinct item once, yielding to the loop after each (a 50,000-item GetData does
            # not stall the node), up to MAX_RESPONSE_BYTES: the blocks left out are not found
            found: list[Message] = []
            size = 0
            for item in dict.fromkeys(request.items):
                block = self.node.store.block(item.hash) if item.kind == InvKind.BLOCK else None
                if block is not None:
                    size += len(encode_block(block, self.preset))
                    if size > MAX_RESPONSE_BYTES:
                        break
                    found.append(BlockMessage(block))
                await asyncio.sleep(0)
            return found
        if isinstance(request, GetBlockTxn):
            block = self.node.store.block(request.block_hash)
            if block is None:
                return []
            try:
                return [serve_block_txn(block, request, self.preset)]
            except SpecError:
                return []
        if isinstance(request, GetSnapshotManifests):
            return [self.node.snapshots.answer_manifests(request)]
        if isinstance(request, GetSnapshotChunk):
            return [self.node.snapshots.answer_chunk(request)]
        return []

    # ------------------------------------------------------------------------- gossip (P2P-LP-5)

    async def _on_gossip(
        self, peer_id: str, kind: TopicKind, message: Message, message_id: bytes
    ) -> GossipDecision:
        """Handle one gossip message inside gossipsub's validator; the decision is the spec's
        :func:`compute_gossip_validation` of the node's outcome, and a reject scores the peer."""
        if self.is_banned(peer_id):
            return GossipDecision.REJECT
        self._count_gossip(peer_id, kind)
        if self._waiting >= MAX_INBOUND_QUEUE:
            self.gossip_dropped += 1
            return GossipDecision.IGNORE
        peer = self._peer(peer_id)
        self._waiting += 1
        try:
            code, known = await self._gossip_outcome(peer, message)
        finally:
            self._waiting -= 1
        if known:
            return GossipDecision.IGNORE
        validation = compute_gossip_validation(kind, code)
        if validation.violation is not None:
            await self._punish(peer, validation.violation)
        return validation.decision

    def _count_gossip(self, peer_id: str, kind: TopicKind) -> None:
        """Count a gossip message by forwarder and topic (``getpeerinfo``'s ``gossip_received``:
        which connection it came over; at most :data:`MAX_LISTED_SCORES` forwarders)."""
        counts = self.gossip_received.get(peer_id)
        if counts is None:
            if len(self.gossip_received) >= MAX_LISTED_SCORES:
                return
            counts = self.gossip_received[peer_id] = {}
        counts[kind.value] = counts.get(kind.value, 0) + 1

    async def _gossip_outcome(self, peer: Peer, message: Message) -> tuple[str | None, bool]:
        """The node's outcome on a gossip message: (first error code or None, already known)."""
        if isinstance(message, TxMessage):
            return self._transaction_outcome(message.transaction)
        if isinstance(message, CompactBlock):
            return await self._compact_outcome(peer, message)
        if isinstance(message, SidechainBlockMessage):
            outputs = list(self.node.sidechains.receive_block(message.block))
            await self.broadcast_quorum([m for m in outputs if m != message])
            return (None, False) if message in outputs else (None, True)  # held or known: ignore
        if isinstance(message, SidechainTxMessage):
            try:
                submitted = self.node.sidechains.submit(message.sidechain_id, message.transaction)
            except SidechainRejected:
                return None, True  # invalid on this node's sidechain tip (maybe not yet): ignore
            await self.broadcast_quorum([m for m in submitted if m != message])
            return (None, False) if submitted else (None, True)
        try:
            relay = self.node.quorum.receive(cast(Any, message))
        except InvalidQuorumMessage as error:
            code = str(error.args[0]) if error.args else ""
            return code if code.isupper() else "SIGN_ERROR", False
        await self.broadcast_quorum(relay)
        return (None, False) if message in relay else (None, True)

    def _transaction_outcome(self, tx: Transaction) -> tuple[str | None, bool]:
        key = wtxid(tx, self.preset)
        if key in self.seen_transactions:
            return None, True
        self._seen(key)
        try:
            self.node.queue(tx)
        except SpecError as error:  # MempoolRejection included: the spec maps its code to ignore
            return error.code, False
        return None, False

    async def _compact_outcome(self, peer: Peer, compact: CompactBlock) -> tuple[str | None, bool]:
        hash_ = block_hash(compact.header, self.preset)
        if self.node.store.has_block(hash_):
            return None, True
        if self.fast_sync is not None and not self.fast_sync.done:
            # fast sync: the chain starts from the snapshot, the blocks above it are fetched after
            # it (headers-first). A gossiped block connected now would start the chain from genesis
            # instead, and py-libp2p may deliver old compact blocks to a peer that subscribes (on
            # the devnet: every block from genesis on): ignored, not forwarded, not scored (P2P-LP-5)
            return None, True
        try:
            check_compact_block(compact, self.preset)
            pool = {wtxid(tx, self.preset): tx for tx in self.node.pending()}
            partial = reconstruct_compact(compact, pool, self.preset)
            check_proof_of_work(partial.block_hash, compact.header.bits, self.preset)
        except SpecError as error:
            return error.code, False
        block = partial.block
        if block is None:
            header = compact.header
            if header.height > 0 and not self.node.store.has_block(header.previous_block_hash):
                await self.send(peer, GetHeaders(block_locator(self.node.store.best_hashes()), NO_STOP_HASH))
                return "HDR_WRONG_PARENT", False  # headers-first sync fetches it in order: ignore
            if self.bridge is None:
                return None, True
            try:
                answers = await self.bridge.request(
                    peer.address, RequestKind.BLOCK_TXN, missing_request(partial)
                )
                if not answers or not isinstance(answers[0], BlockTxn):
                    return None, True  # the forwarder could not serve it: ignore
                block = fill_missing(partial, answers[0], self.preset)
            except SpecError as error:
                return error.code, False
            except Exception:
                return None, True
        accepted = self.node.store.accept_block(
            block, int(time.time()), self.node.quorum.finalized, requested=False
        )
        if accepted.outcome == "invalid":
            return accepted.error or "BLK_INVALID", False
        if accepted.outcome == "orphan":
            await self.send(peer, GetHeaders(block_locator(self.node.store.best_hashes()), NO_STOP_HASH))
            return "HDR_WRONG_PARENT", False
        if accepted.outcome in ("connected", "reorganised"):
            self.node.restore_pending(accepted.disconnected)
            self.node.prune_pending()
            if self.on_block is not None:
                self.on_block(block)
            await self.tip_changed()
            return None, False
        return None, accepted.outcome in ("duplicate", "refused")

    def status(self) -> dict[str, object]:
        """Peers and bans, for RPC (peers by peer id)."""
        base = super().status()
        base.update(
            {
                "transport": "libp2p",
                "peer_id": self.peer_id,
                "listen_address": self.listen_address,
                "peers": sorted(p.address for p in self.peers if p.ready),
                "connected": sorted(self.bridge.connected) if self.bridge is not None else [],
                "mesh": dict(self.bridge.mesh) if self.bridge is not None else {},
                "gossip_dropped": self.gossip_dropped,
                "scores": dict(sorted(self.scores.by_peer.items())[:MAX_LISTED_SCORES]),
                "limits": dict(self.bridge.counters) if self.bridge is not None else {},
                "operator_record_sequence": self.record_sequence,
                "operator_peers": dict(self.operator_peers),
                "gossip_received": {peer: dict(counts) for peer, counts in self.gossip_received.items()},
            }
        )
        return base

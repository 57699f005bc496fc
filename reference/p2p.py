"""Peer-to-peer networking of the reference node: the spec's wire protocol (spec/p2p/) over asyncio TCP.

Choice of transport: plain asyncio TCP streams on loopback rather than py-libp2p. The wire format
is the spec's own (spec/p2p/messages.py: magic, command, length, checksum, canonical payload), so
nothing of libp2p's framing, multistream negotiation or noise handshake would be exercised by
the conformance suite, and py-libp2p pins a coincurve version that conflicts with other Ethereum
tooling (../shared/DESIGN.md). Peer discovery is the spec's Kademlia rules over our own
FindNode/Nodes messages.

What a connection does, in order (P2P-HS, P2P-SYNC, P2P-CMPCT, P2P-SCORE):

1. both sides send ``Version``; each checks the other's with ``check_version`` and answers ``Verack``;
   any other message before the handshake completes is a ``HANDSHAKE_VIOLATION``;
2. headers-first sync: ``GetHeaders(block_locator(best chain))`` -> ``Headers`` -> ``GetData`` for the
   unknown blocks -> ``Block``; a full answer asks for more;
3. relay: a new best block goes to every peer as a ``CompactBlock`` (coinbase prefilled); the
   receiver rebuilds it from its pending transactions and asks for the rest with ``GetBlockTxn``;
   transactions are flooded as ``Tx`` once each;
4. quorums (P2P-5, reference/quorum.py): DKG messages, signature shares and finality certificates
   are handed to the quorum side and flooded once accepted; every new best block lets it act
   (advance DKG phases, sign as FIN-3 allows); blocks are accepted under the newest finalized
   block (FORK-2);
5. discovery: ``FindNode(own id)`` after the handshake; ``Nodes`` answers are inserted in the Kademlia
   table and dialled while below ``max_outbound``;
6. misbehaviour: every frame that fails to decode, every invalid block, compact block or transaction
   (consensus codes, not mempool policy), every ``Block`` nobody asked for and every provably
   forged quorum message (P2P-SCORE-4) adds the spec's score to the peer; at the ban threshold,
   or for a stream-fatal violation (wrong magic, oversized length), the connection is closed and
   the peer is refused for :data:`BAN_SECONDS`, after which its score is forgotten
   (``spec.p2p.peers.forget``). Who is scored and banned: the node id once the handshake told it;
   before that the IP address of an inbound peer (its port is ephemeral, a new connection gets a
   new one) and the dialled address of an outbound one. A frame with an unknown command is skipped
   by its length (P2P-SCORE-2), and is no violation from a peer announcing a newer protocol
   version. The score and ban tables are bounded (:data:`MAX_SCORED_PEERS`, :data:`MAX_BANNED_PEERS`;
   a score is forgotten :data:`BAN_SECONDS` after the peer's last violation). The node itself
   keeps running;
7. persistence: the node id is drawn once per data directory, and the listening address of every
   peer that completed a handshake is kept in SQLite (``peers``), so a restarted node dials its
   earlier peers without ``--connect``;
8. resource limits (:class:`P2PLimits`, node policy): at most ``max_inbound`` inbound connections
   (the preset's 125; more are closed at accept), the handshake must complete within
   ``handshake_timeout``, a frame's payload must arrive within ``frame_timeout`` of its prefix, a
   peer silent for ``ping_interval`` is pinged and dropped if still silent after another interval;
   payload bytes buffered for inbound peers' frames over 64 KiB in progress are bounded in total
   (``max_buffered_bytes``: a frame that does not fit disconnects its peer, without a ban);
   ``GetData`` is served one item at a time, each distinct item once, waiting for the peer to
   read (``drain``) and yielding to the event loop between items, and stops when the peer is gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import time
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reference.node import Node
from reference.quorum import InvalidQuorumMessage, QuorumOutput
from reference.sidechains import SidechainOutput, SidechainRejected
from reference.snapshots import CHUNK_TIMEOUT, MANIFEST_WAIT, FastSync, Verdict
from spec.chain.block import Block, BlockHeader, block_hash
from spec.chain.forkchoice import FinalityCertificate, is_ancestor
from spec.chain.pow import check_proof_of_work, decode_compact, work_of_target
from spec.errors import DecodeError, MempoolRejection, NoCommonBlock, SpecError, UnknownCommand
from spec.ledger.state_snapshot import StateSnapshotManifest
from spec.ledger.transaction import Transaction, txid, wtxid
from spec.masternode.challenge import PoSeChallenge, PoSeResponse
from spec.masternode.dkg import Complaint, Contribution, Justification
from spec.masternode.finality import CommitmentSignature
from spec.masternode.signing import SignatureShare
from spec.p2p.compact import (
    PartialBlock,
    check_compact_block,
    fill_missing,
    make_compact_block,
    missing_request,
    reconstruct,
    serve_block_txn,
)
from spec.p2p.kademlia import RoutingTable, closest, empty_table, insert, table_nodes
from spec.p2p.messages import (
    NO_STOP_HASH,
    PREFIX_BYTES,
    SERVICE_FULL_NODE,
    SERVICE_PRUNED,
    BlockMessage,
    BlockTxn,
    CompactBlock,
    FindNode,
    GetBlockTxn,
    GetData,
    GetHeaders,
    GetSidechainBlocks,
    GetSnapshotChunk,
    GetSnapshotManifests,
    Headers,
    InvItem,
    InvKind,
    Message,
    NodeAddress,
    Nodes,
    NotFound,
    Ping,
    Pong,
    SidechainBlockMessage,
    SidechainTxMessage,
    SnapshotChunkMessage,
    SnapshotManifests,
    TxMessage,
    Verack,
    Version,
    command_of,
    decode_frame,
    decode_prefix,
    encode_frame,
    skipped_payload_length,
)
from spec.p2p.peers import (
    NO_SCORES,
    Scores,
    Violation,
    check_version,
    forget,
    frame_violation,
    is_handshake_violation,
    is_newer_command,
    record,
)
from spec.p2p.sync import (
    EMPTY_HEADER_CHAIN,
    HeaderChain,
    block_locator,
    connect_headers,
    headers_after,
    is_body_served,
    parent_known,
    snapshot_state,
)

log = logging.getLogger("rusty.node")

QUORUM_MESSAGES = (
    Contribution,
    Complaint,
    Justification,
    SignatureShare,
    FinalityCertificate,
    CommitmentSignature,
    PoSeChallenge,
    PoSeResponse,
)
"""P2P-5: the messages handed to the quorum side (reference/quorum.py)."""
BAN_SECONDS = 24 * 3600.0
"""How long a banned peer is refused (Bitcoin Core's default ban time); then its score is forgotten."""

PEER_SCHEMA = """
CREATE TABLE IF NOT EXISTS peers (host TEXT NOT NULL, port INTEGER NOT NULL, last_seen INTEGER NOT NULL,
                                  PRIMARY KEY (host, port));
CREATE TABLE IF NOT EXISTS p2p_meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
"""
"""Peer persistence: the listening address of every peer that completed a handshake, and the node id."""

MAX_SEEN_TRANSACTIONS = 100_000
"""Transactions remembered as already relayed (a forgotten one is at worst relayed once more)."""

MAX_PARTIAL_BLOCKS = 16
"""Compact blocks waiting for their missing transactions, at most (the oldest is dropped)."""

MAX_UNSENT_BYTES = 64 * 1024 * 1024
"""A peer that leaves more than this unread in our send buffer is disconnected (two mainnet maximum
messages fit)."""

MESSAGES_PER_SECOND = 2_000.0
MESSAGE_BURST = 10_000.0
BYTES_PER_SECOND = 16.0 * 1024 * 1024
BYTE_BURST = 64.0 * 1024 * 1024
"""Per-peer rate limits (node policy, generous for loopback sync): a peer above them is disconnected
without a ban. The byte burst holds two mainnet maximum-size messages (32 MiB each)."""

USER_AGENT = b"rusty-coin-spec reference/0.1"
CONNECT_TIMEOUT = 5.0

MAX_SCORED_PEERS = 10_000
"""Peers whose misbehaviour score is remembered, at most (the oldest-scored are forgotten first)."""
MAX_BANNED_PEERS = 10_000
"""Bans kept, at most (the ones ending soonest are lifted first)."""
MAX_REQUESTED_BLOCKS = 4 * 2_000
"""Blocks asked of one peer with GetData and not yet received, remembered at most (two full
``Headers`` answers on any preset; the oldest are forgotten)."""
MAX_HANDSHAKE_BYTES = 1_024
"""Payload bytes a frame may announce before the handshake completes (a Version is at most ~350
bytes with the preset's 256-byte user agent), so unauthenticated connections never reserve more."""
SKIP_CHUNK = 64 * 1024
"""Bytes read at a time when skipping the payload of an unknown command."""
SMALL_FRAME_BYTES = 64 * 1024
"""Payloads up to this size are decoded on the event loop (larger ones in a worker thread) and are
not counted against ``max_buffered_bytes`` (at most ``max_inbound`` of them are read at a time)."""


@dataclass(frozen=True)
class P2PLimits:
    """Connection limits and timeouts (node policy, not spec; ``rusty node`` options set them).

    ``max_inbound=None`` takes the preset's ``network.max_inbound``; ``max_buffered_bytes=None``
    takes ``max(64 MiB, 2 * max_message_bytes)`` (two maximum frames of any preset).
    ``discovery_dial=False`` (libp2p only, the devnet test hook ``--no-discovery-dial``): the node
    dials only its bootstrap addresses and the peers operator records name.
    """

    max_inbound: int | None = None
    handshake_timeout: float = 10.0
    frame_timeout: float = 60.0
    ping_interval: float = 120.0
    max_buffered_bytes: int | None = None
    discovery_dial: bool = True


DEFAULT_LIMITS = P2PLimits()


class OutOfOrder(Exception):
    """A frame whose command breaks the handshake order (P2P-HS); its payload was skipped."""


@dataclass
class RateLimiter:
    """A token bucket: ``rate`` units per second, at most ``burst`` saved up (node policy, not spec).

    ``clock`` returns seconds (``time.monotonic`` by default; tests pass their own).
    """

    rate: float
    burst: float
    clock: Callable[[], float] = time.monotonic
    tokens: float = -1.0
    updated: float = 0.0

    def allow(self, cost: float = 1.0) -> bool:
        """Take ``cost`` tokens if there are enough; ``False`` means the peer is over its budget."""
        now = self.clock()
        if self.tokens < 0:
            self.tokens, self.updated = self.burst, now
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens < cost:
            return False
        self.tokens -= cost
        return True


@dataclass(eq=False)
class Peer:
    """One connection."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    address: str
    outbound: bool
    nonce: int = field(default_factory=lambda: secrets.randbits(64))
    version: Version | None = None
    verack: bool = False
    messages: RateLimiter = field(default_factory=lambda: RateLimiter(MESSAGES_PER_SECOND, MESSAGE_BURST))
    payload_bytes: RateLimiter = field(default_factory=lambda: RateLimiter(BYTES_PER_SECOND, BYTE_BURST))
    started: float = field(default_factory=time.monotonic)
    pinged: bool = False
    requested: dict[bytes, int] = field(default_factory=dict)
    """Block hashes asked of this peer with GetData and not received yet (with their heights), oldest
    first."""
    height: int = 0
    """The highest height this peer is known to have (its Version's ``best_height``, then the
    headers and blocks it sent): with its services, which bodies it serves (P2P-PRUNE-1)."""
    lacks: dict[bytes, None] = field(default_factory=dict)
    """Block hashes this peer answered ``NotFound`` for (never asked of it again), oldest first."""

    @property
    def ready(self) -> bool:
        return self.version is not None and self.verack

    @property
    def host(self) -> str:
        """The peer's IP address (the address without its port)."""
        return self.address.rsplit(":", 1)[0]


class P2PService:
    """The node's peer-to-peer side."""

    def __init__(
        self,
        node: Node,
        port: int,
        on_block: Callable[[Block], None] | None = None,
        ban_seconds: float = BAN_SECONDS,
        limits: P2PLimits = DEFAULT_LIMITS,
        fast_sync: FastSync | None = None,
    ) -> None:
        self.node = node
        self.fast_sync = fast_sync
        """The snapshot fast-sync client while it runs (reference/snapshots.py), else ``None``."""
        self.chunk_timeout = CHUNK_TIMEOUT
        self.header_chain: HeaderChain = EMPTY_HEADER_CHAIN
        self.header_by_hash: dict[bytes, BlockHeader] = {}
        """Fast sync: the best header chain collected before any body (P2P-SYNC-3)."""
        self.preset = node.preset
        self.port = port
        self.db = node.store.db
        self.db.executescript(PEER_SCHEMA)
        self.node_id = self._persistent_node_id()
        self.peers: set[Peer] = set()
        self.scores: Scores = NO_SCORES
        self.scored_at: dict[str, float] = {}  # peer key -> time of its last violation, oldest first
        self.ban_seconds = ban_seconds
        self.bans: dict[str, float] = {}  # peer key -> monotonic time the ban ends
        self.on_ban: list[Callable[[str], None]] = []
        """Called with the peer key of every ban (reference/metrics.py counts them)."""
        network = self.preset.network
        self.max_inbound = network.max_inbound if limits.max_inbound is None else limits.max_inbound
        self.max_buffered_bytes = (
            max(64 * 1024 * 1024, 2 * network.max_message_bytes)
            if limits.max_buffered_bytes is None
            else limits.max_buffered_bytes
        )
        self.limits = limits
        self.buffered_bytes = 0  # payload bytes reserved by inbound peers' frames in progress
        self.dialing: set[str] = set()  # addresses with a dial in progress
        self.table: RoutingTable = empty_table(self.node_id, self.preset)
        self.seen_transactions: dict[bytes, None] = {}  # wtxids, oldest first, at most MAX_SEEN
        self.partial_blocks: dict[bytes, PartialBlock] = {}
        self.server: asyncio.Server | None = None
        self.on_block = on_block
        self.tasks: set[asyncio.Task[None]] = set()

    # ------------------------------------------------------------------------- lifecycle

    async def start(self) -> int:
        """Listen on 127.0.0.1; return the bound port."""
        self.server = await asyncio.start_server(self._inbound, "127.0.0.1", self.port)
        self.port = int(self.server.sockets[0].getsockname()[1])
        return self.port

    async def stop(self) -> None:
        """Close every connection and the listener."""
        if self.server is not None:
            self.server.close()
        for peer in list(self.peers):
            await self._close(peer)
        for task in list(self.tasks):
            task.cancel()

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def _persistent_node_id(self) -> bytes:
        """The node id (P2P-KAD), drawn once per data directory and kept, so peers' tables stay valid."""
        row = self.db.execute("SELECT value FROM p2p_meta WHERE key = 'node_id'").fetchone()
        if row is not None:
            return bytes(row[0])
        node_id = os.urandom(self.preset.network.node_id_bits // 8)
        self.db.execute("INSERT INTO p2p_meta (key, value) VALUES ('node_id', ?)", (node_id,))
        return node_id

    def is_banned(self, key: str) -> bool:
        """Whether ``key`` (an address or a node id) is refused now; an expired ban is lifted and the
        peer's score forgotten (P2P-SCORE-1 leaves the ban's length to the node)."""
        until = self.bans.get(key)
        if until is None:
            return False
        if time.monotonic() < until:
            return True
        del self.bans[key]
        self.scores = forget(self.scores, key)
        return False

    @property
    def banned(self) -> list[str]:
        """The peer keys refused now."""
        return sorted(key for key in list(self.bans) if self.is_banned(key))

    def known_peers(self) -> list[tuple[str, int]]:
        """Peers this data directory has connected to before, most recently seen first."""
        rows = self.db.execute("SELECT host, port FROM peers ORDER BY last_seen DESC")
        return [(str(host), int(port)) for host, port in rows]

    async def connect_known(self) -> None:
        """Dial the remembered peers, up to ``max_outbound`` (after a restart)."""
        for host, port in self.known_peers()[: self.preset.network.max_outbound]:
            await self.connect(host, port)

    async def connect(self, host: str, port: int) -> None:
        """Dial a peer (ignored when banned, already connected, or ourselves)."""
        address = f"{host}:{port}"
        if self.is_banned(address) or port == self.port or any(p.address == address for p in self.peers):
            return
        if address in self.dialing or self._outbound_slots() <= 0:
            return  # one dial per address at a time, and dials count against max_outbound
        self.dialing.add(address)
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), CONNECT_TIMEOUT)
        except (OSError, TimeoutError):
            return
        finally:
            self.dialing.discard(address)
        self._spawn(self._run(Peer(reader, writer, address, outbound=True)))

    def _seen(self, key: bytes) -> None:
        """Remember a relayed transaction (bounded: the oldest are forgotten first)."""
        self.seen_transactions[key] = None
        if len(self.seen_transactions) > MAX_SEEN_TRANSACTIONS:
            del self.seen_transactions[next(iter(self.seen_transactions))]

    def _outbound_slots(self) -> int:
        """How many more outbound connections (open or being dialled) ``max_outbound`` allows."""
        outbound = sum(1 for p in self.peers if p.outbound) + len(self.dialing)
        return self.preset.network.max_outbound - outbound

    async def _inbound(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        host, port = writer.get_extra_info("peername")[:2]
        inbound = sum(1 for p in self.peers if not p.outbound)
        if self.is_banned(str(host)) or inbound >= self.max_inbound:
            writer.transport.abort()  # a banned address, or no inbound slot left: refused at once
            return
        await self._run(Peer(reader, writer, f"{host}:{port}", outbound=False))

    async def _close(self, peer: Peer) -> None:
        self.peers.discard(peer)
        peer.writer.close()
        with contextlib.suppress(Exception):
            await peer.writer.wait_closed()

    # ------------------------------------------------------------------------- framing

    async def send(self, peer: Peer, message: Message) -> None:
        """Queue one frame without waiting for the peer to read it (errors close the connection).

        Never waiting is what keeps one peer that stops reading from stalling relay to every other
        peer, the quorum side and the miner: a peer whose unsent bytes pass
        :data:`MAX_UNSENT_BYTES` is cut off instead.
        """
        if peer not in self.peers:
            return
        try:
            peer.writer.write(encode_frame(message, self.preset))
        except (ConnectionError, OSError, RuntimeError):
            await self._close(peer)
            return
        if peer.writer.transport.get_write_buffer_size() > MAX_UNSENT_BYTES:
            peer.writer.transport.abort()  # a peer that does not read: drop it and its backlog
            await self._close(peer)

    async def _read_prefix(self, peer: Peer) -> bytes:
        """The next 13-byte prefix, within the handshake deadline before the handshake and within
        two ping intervals (a Ping sent after the first) after it; ``TimeoutError`` otherwise."""
        while True:
            if peer.ready:
                timeout = self.limits.ping_interval
            else:
                timeout = peer.started + self.limits.handshake_timeout - time.monotonic()
                if timeout <= 0:
                    raise TimeoutError("no handshake in time")
            try:
                prefix = await asyncio.wait_for(peer.reader.readexactly(PREFIX_BYTES), timeout)
            except TimeoutError:
                if not peer.ready or peer.pinged:
                    raise
                peer.pinged = True  # silent for a ping interval: ask, and drop it if still silent
                await self.send(peer, Ping(secrets.randbits(64)))
                continue
            peer.pinged = False
            return prefix

    async def _read(self, peer: Peer) -> Message:
        prefix = await self._read_prefix(peer)
        try:
            framing = decode_prefix(prefix, self.preset)  # checks magic, command and size first
        except UnknownCommand:
            await self._skip(peer, skipped_payload_length(prefix, self.preset))  # P2P-SCORE-2
            raise
        length = framing.payload_length
        if is_handshake_violation(peer.version is not None, peer.verack, framing.command):
            await self._skip(peer, length)  # out of handshake order: dropped unread, never buffered
            raise OutOfOrder(framing.command)
        if not peer.ready and length > MAX_HANDSHAKE_BYTES:
            raise ConnectionError("a handshake message larger than any Version")  # disconnect, no ban
        if not peer.payload_bytes.allow(length):
            raise ConnectionError("the peer is over its byte budget")  # node policy: disconnect
        # Inbound frames above SMALL_FRAME_BYTES share max_buffered_bytes; small ones (every
        # handshake, ping, inventory...) never wait on it, so a full budget cannot lock peers out.
        reserved = 0 if peer.outbound or length <= SMALL_FRAME_BYTES else length
        if self.buffered_bytes + reserved > self.max_buffered_bytes:
            raise ConnectionError("no buffer left for this frame")  # node policy: disconnect, no ban
        self.buffered_bytes += reserved
        try:
            payload = await asyncio.wait_for(peer.reader.readexactly(length), self._frame_timeout(peer))
        finally:
            self.buffered_bytes -= reserved
        if length <= SMALL_FRAME_BYTES:
            return decode_frame(prefix + payload, self.preset)
        # A large payload (a 50,000-item GetData takes over a second to decode) is decoded in a
        # worker thread, so the event loop keeps serving other peers, RPC and the miner meanwhile.
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, decode_frame, prefix + payload, self.preset)

    async def _skip(self, peer: Peer, length: int) -> None:
        """Read and drop ``length`` payload bytes (within ``frame_timeout``, counted as payload)."""
        if not peer.payload_bytes.allow(length):
            raise ConnectionError("the peer is over its byte budget")

        async def drop() -> None:
            left = length
            while left:
                left -= len(await peer.reader.readexactly(min(left, SKIP_CHUNK)))

        await asyncio.wait_for(drop(), self._frame_timeout(peer))

    def _frame_timeout(self, peer: Peer) -> float:
        """``frame_timeout``, and never past the handshake deadline before the handshake."""
        if peer.ready:
            return self.limits.frame_timeout
        left = peer.started + self.limits.handshake_timeout - time.monotonic()
        return max(0.0, min(self.limits.frame_timeout, left))

    @staticmethod
    def _key(peer: Peer) -> str:
        """Who is scored and banned: the node id once the handshake told it; before, the IP address
        of an inbound peer (a reconnection gets a new port) or the dialled address of an outbound one."""
        if peer.version is not None:
            return peer.version.node_id.hex()
        return peer.address if peer.outbound else peer.host

    async def _punish(self, peer: Peer, violation: Violation) -> bool:
        """P2P-SCORE: add the violation; True if the peer was disconnected (and is now refused)."""
        key = self._key(peer)
        self.scores, disconnect = record(self.scores, key, violation, self.preset)
        self.scored_at.pop(key, None)
        self.scored_at[key] = time.monotonic()
        if disconnect:
            self.bans[key] = time.monotonic() + self.ban_seconds
            for hook in self.on_ban:
                hook(key)
            self.db.execute("DELETE FROM peers WHERE host || ':' || port = ?", (peer.address,))
            await self._close(peer)
        self._bound_tables()
        return disconnect

    def _bound_tables(self) -> None:
        """Forget scores older than the ban time and beyond :data:`MAX_SCORED_PEERS` (oldest first),
        and lift the bans ending soonest beyond :data:`MAX_BANNED_PEERS`."""
        now = time.monotonic()
        for key, when in list(self.scored_at.items()):
            expired = now - when > self.ban_seconds and key not in self.bans
            if not expired and len(self.scored_at) <= MAX_SCORED_PEERS:
                break
            del self.scored_at[key]
            self.scores = forget(self.scores, key)
        if len(self.bans) > MAX_BANNED_PEERS:
            for key in sorted(self.bans, key=self.bans.__getitem__)[: len(self.bans) - MAX_BANNED_PEERS]:
                del self.bans[key]

    async def _run(self, peer: Peer) -> None:
        self.peers.add(peer)
        await self.send(
            peer,
            Version(
                self.preset.network.protocol_version,
                SERVICE_PRUNED if self.node.is_pruned else SERVICE_FULL_NODE,  # P2P-PRUNE-1
                self.node_id,
                self.port,
                max(self.node.store.state.height, 0),  # informational; an empty chain says 0
                peer.nonce,
                USER_AGENT,
            ),
        )
        try:
            while peer in self.peers:
                try:
                    message = await self._read(peer)
                except OutOfOrder:
                    if await self._punish(peer, Violation.HANDSHAKE_VIOLATION):
                        return
                    continue
                except DecodeError as exc:
                    version = peer.version.protocol_version if peer.version is not None else None
                    if isinstance(exc, UnknownCommand) and is_newer_command(version, self.preset):
                        continue  # a command of the peer's newer version: skipped, no violation
                    if await self._punish(peer, frame_violation(exc)):
                        return
                    continue
                if not peer.messages.allow():
                    return  # over its message budget: disconnected (not banned; node policy)
                if is_handshake_violation(peer.version is not None, peer.verack, command_of(message)):
                    if await self._punish(peer, Violation.HANDSHAKE_VIOLATION):
                        return
                    continue
                await self._handle(peer, message)
        except (asyncio.IncompleteReadError, ConnectionError, OSError, TimeoutError):
            pass  # gone, silent, too slow or over a limit: disconnected without a ban
        finally:
            await self._close(peer)

    # ------------------------------------------------------------------------- messages

    async def _handle(self, peer: Peer, message: Message) -> None:
        if isinstance(message, Version):
            try:
                check_version(message, peer.nonce, self.preset)
            except SpecError:
                await self._close(peer)
                return
            if self.is_banned(message.node_id.hex()):
                await self._close(peer)
                return
            peer.version = message
            peer.height = message.best_height
            await self.send(peer, Verack())
        elif isinstance(message, Verack):
            peer.verack = True
            await self._after_handshake(peer)
        elif isinstance(message, Ping):
            await self.send(peer, Pong(message.nonce))
        elif isinstance(message, GetHeaders):
            best = self.node.store.best_headers()
            limit = self.preset.network.max_headers_per_message
            try:
                answer = headers_after(best, message.locator, message.stop_hash, limit, self.preset)
            except NoCommonBlock:  # nothing in common (a fresh peer): start from genesis
                answer = tuple(best[:limit])
            await self.send(peer, Headers(answer))
        elif isinstance(message, Headers):
            if self.fast_sync is not None and not self.fast_sync.done:
                await self._on_fast_sync_headers(peer, message)
            else:
                await self._on_headers(peer, message)
        elif isinstance(message, GetSnapshotManifests):
            await self.send(peer, self.node.snapshots.answer_manifests(message))
        elif isinstance(message, GetSnapshotChunk):
            await self.send(peer, self.node.snapshots.answer_chunk(message))
        elif isinstance(message, SnapshotManifests):
            if self.fast_sync is not None and not self.fast_sync.done:
                await self._apply_verdict(self.fast_sync.on_manifests(self._key(peer), message))
                await self._request_chunks()
        elif isinstance(message, SnapshotChunkMessage):
            if self.fast_sync is not None and not self.fast_sync.done:
                await self._apply_verdict(self.fast_sync.on_chunk(self._key(peer), message))
                if self.fast_sync.done:
                    await self._fast_sync_finished()
                else:
                    await self._request_chunks()
        elif isinstance(message, GetData):
            await self._on_get_data(peer, message)
        elif isinstance(message, NotFound):
            await self._on_not_found(peer, message)
        elif isinstance(message, BlockMessage):
            await self._on_block_message(peer, message.block)
        elif isinstance(message, TxMessage):
            await self._on_transaction(peer, message.transaction)
        elif isinstance(message, CompactBlock):
            await self._on_compact_block(peer, message)
        elif isinstance(message, GetBlockTxn):
            block = self.node.store.block(message.block_hash)
            if block is not None:
                with contextlib.suppress(SpecError):
                    await self.send(peer, serve_block_txn(block, message, self.preset))
        elif isinstance(message, BlockTxn):
            partial = self.partial_blocks.pop(message.block_hash, None)
            if partial is None:
                await self._punish(peer, Violation.UNREQUESTED_DATA)
                return
            try:
                block = fill_missing(partial, message, self.preset)
            except SpecError:
                await self._punish(peer, Violation.INVALID_COMPACT_BLOCK)
                return
            await self._on_block(peer, block, requested=False)  # completes an unsolicited announcement
        elif isinstance(message, FindNode):
            count = self.preset.network.kademlia_k
            await self.send(peer, Nodes(closest(self.table, message.target, count, self.preset)))
        elif isinstance(message, Nodes):
            for contact in message.nodes:
                self._learn(contact)
        elif isinstance(message, SidechainBlockMessage):  # P2P-SC-1
            await self.broadcast_quorum(list(self.node.sidechains.receive_block(message.block)), exclude=peer)
        elif isinstance(message, GetSidechainBlocks):  # P2P-SC-3: to the asker only
            for served in self.node.sidechains.serve_blocks(message):
                await self.send(peer, served)
        elif isinstance(message, SidechainTxMessage):  # P2P-SC-2
            try:
                accepted = self.node.sidechains.submit(message.sidechain_id, message.transaction)
            except SidechainRejected:
                return  # invalid on this node's tip (maybe only not yet): dropped, not punished
            await self.broadcast_quorum(accepted, exclude=peer)
        elif isinstance(message, QUORUM_MESSAGES):
            try:
                relay = self.node.quorum.receive(message)
            except InvalidQuorumMessage:
                await self._punish(peer, Violation.INVALID_QUORUM_MESSAGE)
                return
            await self.broadcast_quorum(relay, exclude=peer)

    async def _after_handshake(self, peer: Peer) -> None:
        version = peer.version
        if version is not None and version.listen_port:
            host = peer.address.rsplit(":", 1)[0]
            self._learn(NodeAddress(version.node_id, host.encode(), version.listen_port))
            self.db.execute(
                "INSERT OR REPLACE INTO peers (host, port, last_seen) VALUES (?, ?, ?)",
                (host, version.listen_port, int(time.time())),
            )
        await self.send(peer, GetHeaders(block_locator(self.node.store.best_hashes()), NO_STOP_HASH))
        await self.send(peer, FindNode(self.node_id))
        newest = self.node.quorum.newest_certificate()
        if newest is not None:  # a node that joins late learns the newest finalized block (FORK-2/3)
            await self.send(peer, newest)
        for message in self.node.quorum.catch_up_messages():  # a member back from a restart
            await self.send(peer, message)

    def _learn(self, contact: NodeAddress) -> None:
        if contact.node_id == self.node_id:
            return
        with contextlib.suppress(SpecError):
            self.table = insert(self.table, contact, True, self.preset)
        if self._outbound_slots() > 0:
            self._spawn(self.connect(contact.host.decode(errors="replace"), contact.port))

    async def _on_headers(self, peer: Peer, message: Headers) -> None:
        if len(message.headers) < self.preset.network.max_headers_per_message and not self._worth_fetching(
            message
        ):
            return  # the end of a branch with less work than our tip: it cannot become best (FORK-1)
        if message.headers:
            peer.height = max(peer.height, max(h.height for h in message.headers))
        wanted = [
            (block_hash(h, self.preset), h.height)
            for h in message.headers
            if not self.node.store.has_block(block_hash(h, self.preset))
        ]
        await self._request_bodies(wanted, prefer=peer)
        if len(message.headers) == self.preset.network.max_headers_per_message:
            last = block_hash(message.headers[-1], self.preset)
            await self.send(peer, GetHeaders((last,), NO_STOP_HASH))

    def _worth_fetching(self, message: Headers) -> bool:
        """Whether the bodies of a complete (not full) Headers answer are worth asking for: its
        first header's parent is unknown (sync will sort it out), the tip lost the finalized block,
        or the branch it ends has at least the tip's cumulative work (POW-3 of the announced bits;
        the blocks are checked when they come). Bitcoin Core likewise downloads only towards a
        chain with more work."""
        if not message.headers:
            return False
        index = self.node.store.stored_index()
        parent = index.get(message.headers[0].previous_block_hash)
        if parent is None:
            return True
        finalized = self.node.quorum.finalized
        if finalized is not None and not is_ancestor(index, finalized, self.node.store.state.tip_hash):
            return True  # our tip lost the finalized block (FORK-2): any branch may be the way back
        work = parent.cumulative_work
        for header in message.headers:
            try:
                work += work_of_target(decode_compact(header.bits))
            except SpecError:
                return True  # let block validation name the error (and score it)
        return work >= self.node.store.state.cumulative_work

    # ------------------------------------------------------------------------- fast sync (P2P-SNAP)

    async def _on_fast_sync_headers(self, peer: Peer, message: Headers) -> None:
        """Fast sync: extend the header chain (P2P-SYNC-3, most work kept), no bodies; once a peer's
        answer is complete, ask every peer for snapshot manifests below the header tip."""
        fast_sync = self.fast_sync
        assert fast_sync is not None
        if message.headers:
            try:
                chain = connect_headers(self.header_chain, message.headers, int(time.time()), self.preset)
            except SpecError:
                first = message.headers[0]
                known = parent_known(self.header_chain, first) or first.height == 0
                await self._punish(
                    peer, Violation.INVALID_HEADER if known else Violation.UNCONNECTING_HEADERS
                )
                return
            for header in message.headers:
                self.header_by_hash[block_hash(header, self.preset)] = header
            if chain.cumulative_work > self.header_chain.cumulative_work:
                self.header_chain = chain
                fast_sync.set_header_chain([self.header_by_hash[h] for h in chain.hashes], list(chain.hashes))
            peer.height = max(peer.height, message.headers[-1].height)
        if len(message.headers) == self.preset.network.max_headers_per_message:
            await self.send(peer, GetHeaders((block_hash(message.headers[-1], self.preset),), NO_STOP_HASH))
            return
        request = fast_sync.manifest_request()
        if request is not None:
            asked = [p for p in self.peers if p.ready and fast_sync.manifests_asked(self._key(p))]
            for other in asked:
                await self.send(other, request)
            if asked:
                self._spawn(self._request_chunks_later())

    async def _apply_verdict(self, verdict: Verdict) -> None:
        by_key = {self._key(p): p for p in self.peers}
        for key in verdict.punish:
            if key in by_key:
                await self._punish(by_key[key], Violation.INVALID_SNAPSHOT)

    async def _request_chunks_later(self) -> None:
        await asyncio.sleep(MANIFEST_WAIT)
        await self._request_chunks(force=True)

    async def _request_chunks(self, force: bool = False) -> None:
        fast_sync = self.fast_sync
        if fast_sync is None or fast_sync.done:
            return
        ready = {self._key(p): p for p in self.peers if p.ready}
        for key, request in fast_sync.requests(ready, force):
            await self.send(ready[key], request)
            self._spawn(self._expire_chunk(key, request))

    async def _expire_chunk(self, key: str, request: GetSnapshotChunk) -> None:
        """Fast sync: a chunk not answered within ``CHUNK_TIMEOUT`` is asked of another peer."""
        await asyncio.sleep(self.chunk_timeout)
        fast_sync = self.fast_sync
        if fast_sync is not None and not fast_sync.done and fast_sync.expire(key, request):
            await self._request_chunks(force=True)

    async def _fast_sync_finished(self) -> None:
        """The snapshot is verified (SNAP-8): keep its items, then sync blocks as usual."""
        fast_sync = self.fast_sync
        assert fast_sync is not None and fast_sync.items is not None and fast_sync.manifest is not None
        certificate = fast_sync.certificate
        log.info(
            "fast sync: snapshot verified (SNAP-8) and finalized (SNAP-9)"
            if certificate is not None
            else "fast sync: snapshot of the UTXO set verified (SNAP-8), no finality key to check",
            extra={
                "fields": {
                    "height": fast_sync.manifest.height,
                    "certificate_height": None if certificate is None else certificate.height,
                    "bad_certificates": fast_sync.bad_certificates,
                }
            },
        )
        self.node.snapshots.keep_fast_sync(fast_sync.manifest, fast_sync.items, certificate)
        self._install_snapshot(fast_sync.manifest, fast_sync.items)
        for peer in [p for p in self.peers if p.ready]:
            await self.send(peer, GetHeaders(block_locator(self.node.store.best_hashes()), NO_STOP_HASH))

    def _install_snapshot(self, manifest: StateSnapshotManifest, items: Mapping[bytes, bytes]) -> None:
        """P2P-SYNC-4: start the chain from the verified snapshot when its header commits to the
        full state (fork ``state_trie``): the store then holds the snapshot block's state and the
        headers below it (as a pruned node), and only the blocks above it are fetched and
        validated. Before the fork (the UTXO set only) the node replays from genesis as before."""
        height = manifest.height
        headers = [self.header_by_hash[h] for h in self.header_chain.hashes[: height + 1]]
        try:
            state = snapshot_state(items, self.header_chain, height, self.preset)
        except SpecError as error:
            log.info(
                "fast sync: the snapshot is not a full state, replaying blocks from genesis",
                extra={"fields": {"height": height, "code": error.code}},
            )
            return
        self.node.store.install_snapshot(state, headers, self.header_chain)
        assert self.fast_sync is not None
        self.fast_sync.installed_height = height
        log.info(
            "fast sync: state installed, syncing the blocks above it", extra={"fields": {"height": height}}
        )

    def _body_server(self, hash_: bytes, height: int, prefer: Peer | None) -> Peer | None:
        """P2P-PRUNE-1: the peer to ask for the body at ``height``: ``prefer`` if it serves it, else
        the first ready peer that does and has not answered NotFound for it (``None``: nobody now;
        the next serving peer's Headers answer brings it again)."""
        candidates = ([prefer] if prefer is not None else []) + sorted(self.peers, key=lambda p: p.address)
        lacking = {self._key(p) for p in self.peers if hash_ in p.lacks}  # per node, over all its connections
        for candidate in candidates:
            version = candidate.version
            if candidate not in self.peers or version is None or not candidate.ready:
                continue
            if self._key(candidate) in lacking:
                continue
            if is_body_served(version.services, candidate.height, height, self.preset):
                return candidate
        return None

    async def _request_bodies(self, wanted: list[tuple[bytes, int]], prefer: Peer | None) -> None:
        """GetData the bodies ``(hash, height)``, in height order, of peers that serve them
        (P2P-PRUNE-1: never a pruned peer for a body below its window), ``prefer`` first. Stops at
        the first body nobody serves: the ones above it could not connect (orphans) until it comes."""
        by_peer: dict[Peer, list[InvItem]] = {}
        for hash_, height in wanted:
            server = self._body_server(hash_, height, prefer)
            if server is None:
                break  # nobody serves it now: the next serving peer's Headers answer brings it again
            if hash_ in server.requested:
                continue  # already asked
            server.requested[hash_] = height
            by_peer.setdefault(server, []).append(InvItem(InvKind.BLOCK, hash_))
        for server, items in by_peer.items():
            for stale in list(server.requested)[:-MAX_REQUESTED_BLOCKS]:
                del server.requested[stale]
            await self.send(server, GetData(tuple(items)))

    async def _on_not_found(self, peer: Peer, message: NotFound) -> None:
        """A peer lacks bodies we asked for (a pruned peer, or a reorganised one): ask another
        peer that serves them; the peer is not asked for them again."""
        retry: list[tuple[bytes, int]] = []
        for item in message.items:
            if item.kind == InvKind.BLOCK and item.hash in peer.requested:
                retry.append((item.hash, peer.requested.pop(item.hash)))
                peer.lacks[item.hash] = None
        for stale in list(peer.lacks)[:-MAX_REQUESTED_BLOCKS]:
            del peer.lacks[stale]
        await self._request_bodies(retry, prefer=None)

    async def _on_get_data(self, peer: Peer, message: GetData) -> None:
        """Serve a GetData (at most ``max_inv_items``, P2P-2) incrementally: each distinct item once,
        yielding to the event loop after each and waiting until the peer has read what was sent,
        so a 50,000-item request neither stalls other peers nor buffers more than a frame; stops as
        soon as the peer is gone."""
        missing: list[InvItem] = []
        pending = {txid(tx, self.preset): tx for tx in self.node.pending()}
        for item in dict.fromkeys(message.items):
            if peer not in self.peers or peer.writer.is_closing() or peer.reader.at_eof():
                return  # the peer is gone: stop serving
            found: Message | None = None
            if item.kind == InvKind.BLOCK:
                block = self.node.store.block(item.hash)
                found = None if block is None else BlockMessage(block)
            else:
                tx = pending.get(item.hash)
                found = None if tx is None else TxMessage(tx)
            if found is None:
                missing.append(item)
            else:
                await self.send(peer, found)
                try:
                    await asyncio.wait_for(peer.writer.drain(), self.limits.frame_timeout)
                except (ConnectionError, OSError, TimeoutError):
                    await self._close(peer)  # gone, or not reading what it asked for
                    return
            await asyncio.sleep(0)
        if missing:
            await self.send(peer, NotFound(tuple(missing)))

    async def _on_block_message(self, peer: Peer, block: Block) -> None:
        """A ``Block``: expected only in answer to our GetData. One nobody asked for is
        ``unrequested_data`` and is only looked at if it would become the best tip at once
        (the store refuses it otherwise, before any check or write)."""
        hash_ = block_hash(block.header, self.preset)
        peer.height = max(peer.height, block.header.height)
        if hash_ in peer.requested:
            del peer.requested[hash_]
            await self._on_block(peer, block)
            return
        if await self._punish(peer, Violation.UNREQUESTED_DATA):
            return
        await self._on_block(peer, block, requested=False)

    async def _on_block(self, peer: Peer, block: Block, requested: bool = True) -> None:
        accepted = self.node.store.accept_block(
            block, int(time.time()), self.node.quorum.finalized, requested=requested
        )
        if accepted.outcome == "invalid":
            await self._punish(peer, Violation.INVALID_BLOCK)
        elif accepted.outcome == "orphan":
            await self.send(peer, GetHeaders(block_locator(self.node.store.best_hashes()), NO_STOP_HASH))
        elif accepted.outcome in ("connected", "reorganised"):
            self.node.restore_pending(accepted.disconnected)
            self.node.prune_pending()
            if self.on_block is not None:
                self.on_block(block)
            await self.announce_block(block, exclude=peer)
            await self.tip_changed()

    async def _on_transaction(self, peer: Peer, tx: Transaction) -> None:
        key = wtxid(tx, self.preset)
        if key in self.seen_transactions:
            return
        self._seen(key)
        try:
            self.node.queue(tx)
        except MempoolRejection:
            return
        except SpecError:
            await self._punish(peer, Violation.INVALID_TRANSACTION)
            return
        await self.announce_transaction(tx, exclude=peer)

    async def _on_compact_block(self, peer: Peer, compact: CompactBlock) -> None:
        if self.node.store.has_block(block_hash(compact.header, self.preset)):
            return
        try:
            check_compact_block(compact, self.preset)
            pool = {wtxid(tx, self.preset): tx for tx in self.node.pending()}
            partial = reconstruct(compact, pool, self.preset)
        except SpecError:
            await self._punish(peer, Violation.INVALID_COMPACT_BLOCK)
            return
        if partial.block is not None:
            await self._on_block(peer, partial.block, requested=False)  # an announcement: unsolicited
            return
        header = compact.header
        try:  # before keeping anything: the header's work (POW-1/2) and a known parent
            check_proof_of_work(partial.block_hash, header.bits, self.preset)
        except SpecError:
            await self._punish(peer, Violation.INVALID_COMPACT_BLOCK)
            return
        if header.height > 0 and not self.node.store.has_block(header.previous_block_hash):
            return  # headers-first sync will fetch it in order
        self.partial_blocks[partial.block_hash] = partial
        for stale in list(self.partial_blocks)[:-MAX_PARTIAL_BLOCKS]:
            del self.partial_blocks[stale]
        await self.send(peer, missing_request(partial))

    # ------------------------------------------------------------------------- announcing

    async def announce_block(self, block: Block, exclude: Peer | None = None) -> None:
        """P2P-CMPCT: send a new best block to every ready peer as a compact block."""
        compact = make_compact_block(block, secrets.randbits(64), (0,), self.preset)
        for peer in list(self.peers):
            if peer.ready and peer is not exclude:
                await self.send(peer, compact)

    async def announce_transaction(self, tx: Transaction, exclude: Peer | None = None) -> None:
        """Flood a newly accepted transaction to every ready peer once."""
        self._seen(wtxid(tx, self.preset))
        for peer in list(self.peers):
            if peer.ready and peer is not exclude:
                await self.send(peer, TxMessage(tx))

    async def tip_changed(self) -> None:
        """The best chain moved: let the quorum side act (DKG phases, FIN-3 signing) and send what it says."""
        state = self.node.store.state
        await self.broadcast_quorum(self.node.quorum.on_tip(state.height, state.tip_hash))
        await self.broadcast_quorum(list(self.node.sidechains.on_tip()))
        if self.node.watch is not None:  # --watch-sidechains: re-executed off the event loop
            await self.broadcast_quorum(await self.node.watch.on_tip())

    async def broadcast_quorum(
        self, messages: Sequence[QuorumOutput | SidechainOutput], exclude: Peer | None = None
    ) -> None:
        """P2P-5: flood quorum messages the node accepted (each is returned once by the quorum side),
        and relay the transactions it queued (quorum commitments, FIN-5).

        A new finality certificate may finalize a block off the best chain: the store then leaves
        the chain that lost it (FORK-2) and the quorum side hears of the new tip.
        """
        moved = False
        for message in messages:
            if isinstance(message, Transaction):
                await self.announce_transaction(message)
                continue
            for peer in list(self.peers):
                if peer.ready and peer is not exclude:
                    await self.send(peer, message)
            if isinstance(message, FinalityCertificate):
                before = self.node.store.state.tip_hash
                followed = self.node.store.follow_finalized(message.block_hash, int(time.time()))
                self.node.restore_pending(followed.disconnected)
                moved = moved or self.node.store.state.tip_hash != before
        if moved:
            self.node.prune_pending()
            await self.tip_changed()

    def status(self) -> dict[str, object]:
        """Peers and bans, for RPC."""
        return {
            "node_id": self.node_id.hex(),
            "port": self.port,
            "peers": sorted(p.address for p in self.peers if p.ready),
            "banned": self.banned,
            "known_nodes": len(table_nodes(self.table)),
        }

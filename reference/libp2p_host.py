"""The bridge from the spec's libp2p protocol (spec/p2p/libp2p.py, P2P-LP-1..7) to py-libp2p.

A :class:`GossipHost` is a py-libp2p host on trio: TCP, Noise, yamux (mplex as fallback),
identify, ping and gossipsub v1.1, with

* the host key derived from the node's 32-byte Ed25519 seed, so the libp2p peer id is the spec's
  :func:`spec.p2p.libp2p.compute_peer_id` of the node key (P2P-LP-3; checked at construction);
* the spec's message-id function (P2P-LP-2) as gossipsub's ``msg_id_constructor``;
* one validator per active topic: it decodes the data (P2P-LP-2), runs the node's checks on the
  message (a ``check`` callback returning an error code or ``None``), asks
  :func:`spec.p2p.libp2p.compute_gossip_validation` for accept / ignore / reject (P2P-LP-5) and
  records a reject as the peer's violation (P2P-SCORE-1). gossipsub forwards a message only when
  its validator returns True, which this module returns for ``accept`` alone, so a message invalid
  under the spec is never forwarded (py-libp2p 0.8.1 validators are boolean: ``ignore`` and
  ``reject`` both drop; the score of a reject is ours).

* gossipsub v1.1 with P2P-LP-7's mesh, rate and scoring parameters
  (:func:`spec.p2p.libp2p.compute_gossip_score_params`; P5 is the P2P-SCORE misbehaviour score).

Nothing here decides a rule: every decision is a spec function. The node runs on this host with
``--transport libp2p`` (reference/libp2p_node.py, docs/node.md "The node on libp2p").
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import multiaddr
from libp2p import new_host
from libp2p.abc import IHost, INetStream, ISubscriptionAPI
from libp2p.crypto.ed25519 import create_new_key_pair
from libp2p.crypto.x25519 import create_new_key_pair as create_x25519_key_pair
from libp2p.custom_types import TProtocol
from libp2p.network.config import ConnectionConfig
from libp2p.peer.id import ID
from libp2p.peer.peerinfo import PeerInfo
from libp2p.pubsub.gossipsub import PROTOCOL_ID_V11, GossipSub
from libp2p.pubsub.pb import rpc_pb2
from libp2p.pubsub.pubsub import Pubsub
from libp2p.pubsub.rpc_queue import RpcQueue
from libp2p.pubsub.score import PeerScorer, ScoreParams, TopicScoreParams
from libp2p.pubsub.validators import PUBSUB_SIGNING_PREFIX
from libp2p.security.noise.transport import PROTOCOL_ID as NOISE_PROTOCOL_ID
from libp2p.security.noise.transport import Transport as NoiseTransport
from libp2p.tools.anyio_service import background_trio_service

from spec.crypto.ed25519 import public_key_from_seed
from spec.encoding import MAX_VARINT_BYTES
from spec.errors import SpecError
from spec.p2p.compact import check_compact_block
from spec.p2p.libp2p import (
    RESERVED_TOPICS,
    GossipDecision,
    GossipScoreParams,
    GossipValidation,
    RequestKind,
    TopicKind,
    compute_app_specific_score,
    compute_gossip_score_params,
    compute_gossip_validation,
    compute_message_id,
    compute_peer_id,
    decode_gossip_data,
    decode_request,
    decode_response,
    encode_gossip_data,
    encode_request_frame,
    peer_id_text,
    request_protocol_id,
    topic_kind,
    topic_name,
)
from spec.p2p.messages import CompactBlock, Message
from spec.p2p.peers import NO_SCORES, Scores, Violation, record, score_of
from spec.presets import Preset

Serve = Callable[[Message], Message]
"""The node's answer to a decoded request (P2P-LP-4)."""

Check = Callable[[TopicKind, Message], str | None]
"""The node's checks on a decoded gossip message: the first error code, or ``None``."""


def stateless_check(preset: Preset) -> Check:
    """The checks that need no chain state: P2P-CMPCT-2 on compact blocks (a node adds its own)."""

    def check(kind: TopicKind, message: Message) -> str | None:
        if kind is TopicKind.COMPACT_BLOCK and isinstance(message, CompactBlock):
            try:
                check_compact_block(message, preset)
            except SpecError as error:
                return error.code
        return None

    return check


def message_id_of(msg: rpc_pb2.Message) -> bytes:
    """P2P-LP-2 over a gossipsub message (its single topic and its data)."""
    return compute_message_id(msg.topicIDs[0] if msg.topicIDs else "", msg.data)


async def read_frame(stream: INetStream, max_length: int) -> bytes:
    """Read one P2P-LP-4 frame (``uvarint length ‖ payload``) without reading past it; the length is
    checked against ``max_length`` before the payload is read. The spec decodes the bytes."""
    head = b""
    while len(head) < MAX_VARINT_BYTES:
        byte = await stream.read(1)
        if not byte:
            return head
        head += byte
        if byte[0] & 0x80 == 0:
            break
    length = 0
    for index, byte_value in enumerate(head):
        length |= (byte_value & 0x7F) << (7 * index)
    if length > max_length:
        return head  # the spec's decoder names the error (DECODE_LENGTH_LIMIT)
    body = b""
    while len(body) < length:
        chunk = await stream.read(length - len(body))
        if not chunk:
            break
        body += chunk
    return head + body


RPC_ENVELOPE_BYTES = 4_096
"""Room above ``max_message_bytes`` for a gossipsub RPC's envelope (protobuf fields, signature,
key, topic, control piggybacked on the message)."""


def outbound_rpc_limit(preset: Preset) -> int:
    """The gossipsub RPC size limit, both ways: ``max_message_bytes`` (P2P-LP-2's bound on the data)
    plus :data:`RPC_ENVELOPE_BYTES`. Inbound, a larger RPC is dropped before any decoding (the
    oversize-gossip defence); outbound, py-libp2p's per-peer queue otherwise drops every RPC above
    its default 1 MiB, so a compact block between 1 MiB and ``max_message_bytes`` was never sent."""
    return preset.network.max_message_bytes + RPC_ENVELOPE_BYTES


class SizedQueues(dict[ID, RpcQueue]):
    """py-libp2p 0.8.1's ``Pubsub.peer_queues`` with every per-peer outbound queue bounded by
    :func:`outbound_rpc_limit` (the library creates each queue with its 1 MiB default and offers
    no parameter for it)."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def __setitem__(self, peer: ID, queue: RpcQueue) -> None:
        queue.max_message_size = self.limit
        super().__setitem__(peer, queue)


INVALID_MESSAGE_CAP = 1_000.0
"""P4's counter cap (py-libp2p counts no penalty above it; the graylist comes long before)."""


class IgnoringScorer(PeerScorer):
    """py-libp2p 0.8.1's scorer, told which validation failures were ``ignore`` (P2P-LP-5: no
    penalty). Its validators are boolean, so gossipsub counts every failure as an invalid message
    (P4); the validator marks an ignore first and the count is skipped for it."""

    def __init__(self, params: ScoreParams) -> None:
        super().__init__(params)
        self.ignored: dict[tuple[ID, str], int] = {}

    def mark_ignored(self, peer: ID, topic: str) -> None:
        """The next validation failure of ``peer`` on ``topic`` is an ignore."""
        self.ignored[(peer, topic)] = self.ignored.get((peer, topic), 0) + 1

    def on_invalid_message(self, peer: ID, topic: str) -> None:
        pending = self.ignored.get((peer, topic), 0)
        if pending:
            if pending == 1:
                del self.ignored[(peer, topic)]
            else:
                self.ignored[(peer, topic)] = pending - 1
            return
        super().on_invalid_message(peer, topic)


def score_params(params: GossipScoreParams, app_score: Callable[[ID], float]) -> ScoreParams:
    """P2P-LP-7 as py-libp2p's ``ScoreParams`` (which subtracts P4's weight: given positive)."""
    return ScoreParams(
        p4_invalid_messages=TopicScoreParams(
            weight=-params.invalid_message_weight, cap=INVALID_MESSAGE_CAP, decay=params.decay
        ),
        p5_behavior_penalty_weight=0.0,
        p6_appl_slack_weight=params.app_score_weight,
        p6_appl_slack_decay=params.decay,
        publish_threshold=params.publish_threshold,
        gossip_threshold=params.gossip_threshold,
        graylist_threshold=params.graylist_threshold,
        accept_px_threshold=params.accept_px_threshold,
        app_specific_score_fn=app_score,
    )


def has_ipv6_loopback() -> bool:
    """Whether this machine can listen on the IPv6 loopback ``::1`` (the node then listens there
    too and names it in its operator record)."""
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


@dataclass(frozen=True)
class Decision:
    """One validation: the forwarding peer (text peer id), the topic kind, the decision."""

    peer: str
    kind: TopicKind
    validation: GossipValidation


class GossipHost:
    """A libp2p host speaking the Rusty Coin gossip protocol (see the module docstring)."""

    def __init__(
        self,
        preset: Preset,
        node_seed: bytes,
        check: Check | None = None,
        misbehaviour: Callable[[str], int] | None = None,
        connection_config: ConnectionConfig | None = None,
    ) -> None:
        """``misbehaviour``: the P2P-SCORE-1 score of a peer id (text) for gossipsub's
        application-specific score (P2P-LP-7); the host's own :attr:`scores` by default.
        ``connection_config``: py-libp2p's connection limits and upgrade timeouts (node policy;
        the library's defaults otherwise)."""
        self.preset = preset
        self.check = check if check is not None else stateless_check(preset)
        key_pair = create_new_key_pair(node_seed)
        spec_peer_id = compute_peer_id(public_key_from_seed(node_seed))
        if ID.from_pubkey(key_pair.public_key).to_bytes() != spec_peer_id:
            raise RuntimeError("py-libp2p derived another peer id than P2P-LP-3")
        self.peer_id_bytes = spec_peer_id
        noise = NoiseTransport(key_pair, noise_privkey=create_x25519_key_pair().private_key)
        self.host: IHost = new_host(
            key_pair=key_pair,
            sec_opt={NOISE_PROTOCOL_ID: noise},
            muxer_preference="YAMUX",
            connection_config=connection_config,
        )
        params = compute_gossip_score_params(preset)
        self.misbehaviour = misbehaviour if misbehaviour is not None else self._own_score
        self.gossipsub = GossipSub(
            protocols=[PROTOCOL_ID_V11],
            degree=params.mesh_degree,
            degree_low=params.mesh_degree_low,
            degree_high=params.mesh_degree_high,
            heartbeat_initial_delay=0.1,
            heartbeat_interval=params.heartbeat_seconds,  # type: ignore[arg-type]  # typed int, slept on
            max_messages_per_topic_per_second=float(params.max_messages_per_topic_per_second),
        )
        self.scorer = IgnoringScorer(
            score_params(params, lambda peer: compute_app_specific_score(self.misbehaviour(peer.to_base58())))
        )
        self.gossipsub.scorer = self.scorer
        self.pubsub = Pubsub(
            self.host,
            self.gossipsub,
            msg_id_constructor=message_id_of,
            max_inbound_rpc_size=outbound_rpc_limit(preset),
        )
        self.pubsub.peer_queues = SizedQueues(outbound_rpc_limit(preset))
        self.decisions: list[Decision] = []
        self.scores: Scores = NO_SCORES
        self.banned: set[str] = set()
        self._running = False
        for kind in TopicKind:
            if kind not in RESERVED_TOPICS:
                self.pubsub.set_topic_validator(topic_name(preset, kind), self._validator(kind), False)

    def _own_score(self, peer: str) -> int:
        return score_of(self.scores, peer)

    @property
    def peer_id(self) -> ID:
        """The host's libp2p peer id."""
        return self.host.get_id()

    def _validator(self, kind: TopicKind) -> Callable[[ID, rpc_pb2.Message], bool]:
        def validate(forwarder: ID, msg: rpc_pb2.Message) -> bool:
            return self.validate(forwarder, kind, msg.data)

        return validate

    def validate(self, forwarder: ID, kind: TopicKind, data: bytes) -> bool:
        """P2P-LP-5: decide on ``data`` from ``forwarder``; record the decision; True iff accepted."""
        try:
            code = self.check(kind, decode_gossip_data(kind, data, self.preset))
        except SpecError as error:
            code = error.code
        validation = compute_gossip_validation(kind, code)
        peer = forwarder.to_base58()
        self.decisions.append(Decision(peer, kind, validation))
        if validation.violation is not None and forwarder != self.peer_id:
            self.scores, disconnect = record(self.scores, peer, validation.violation, self.preset)
            if disconnect:
                self.banned.add(peer)
                if self._running:
                    self.pubsub.add_to_blacklist(forwarder)
        if validation.decision is GossipDecision.IGNORE:
            self.scorer.mark_ignored(forwarder, topic_name(self.preset, kind))
        return validation.decision is GossipDecision.ACCEPT

    def listen_address(self) -> multiaddr.Multiaddr:
        """The host's (first) IPv4 listen address, with its ``/p2p/<peer id>``."""
        addresses = self.host.get_addrs()
        address = next((a for a in addresses if str(a).startswith("/ip4/")), addresses[0])
        if "/p2p/" in str(address):
            return address
        return address.encapsulate(multiaddr.Multiaddr(f"/p2p/{peer_id_text(self.peer_id_bytes)}"))

    def listen_addresses(self) -> list[str]:
        """Every address the host listens on, without ``/p2p/`` (an operator record's, P2P-LP-6)."""
        return [str(address).split("/p2p/")[0] for address in self.host.get_addrs()]

    @asynccontextmanager
    async def running(self, port: int = 0, ip6: bool = False) -> AsyncIterator[GossipHost]:
        """Listen on loopback ``port`` (0: any; with ``ip6`` on ``::1`` too, the same port number)
        and run gossipsub until the block exits."""
        listen = [multiaddr.Multiaddr(f"/ip4/127.0.0.1/tcp/{port}")]
        if ip6:
            listen.append(multiaddr.Multiaddr(f"/ip6/::1/tcp/{port}"))
        async with (
            self.host.run(listen_addrs=listen),
            background_trio_service(self.pubsub),
            background_trio_service(self.gossipsub),
        ):
            await self.pubsub.wait_until_ready()
            self._running = True
            try:
                yield self
            finally:
                self._running = False

    def serve(self, kind: RequestKind, answer: Serve) -> None:
        """P2P-LP-4: answer requests on the protocol of ``kind`` with ``answer``; a request that does
        not decode closes the stream unanswered and scores the peer ``malformed_message``."""
        limit = self.preset.network.max_message_bytes

        async def handler(stream: INetStream) -> None:
            peer = stream.muxed_conn.peer_id
            try:
                request = decode_request(kind, await read_frame(stream, limit), self.preset)
            except SpecError:
                self.scores, _ = record(
                    self.scores, peer.to_base58(), Violation.MALFORMED_MESSAGE, self.preset
                )
                await stream.reset()
                return
            await stream.write(encode_request_frame(answer(request), self.preset))
            await stream.close()

        self.host.set_stream_handler(TProtocol(request_protocol_id(self.preset, kind)), handler)

    async def request(self, peer: ID, kind: RequestKind, message: Message) -> Message:
        """P2P-LP-4: send ``message`` on a new stream of ``kind`` and decode the response."""
        stream = await self.host.new_stream(peer, [TProtocol(request_protocol_id(self.preset, kind))])
        await stream.write(encode_request_frame(message, self.preset))
        response = decode_response(
            kind, await read_frame(stream, self.preset.network.max_message_bytes), self.preset
        )
        await stream.close()
        return response

    async def connect(self, peer: PeerInfo) -> None:
        """Dial ``peer`` (Noise, yamux)."""
        await self.host.connect(peer)

    async def subscribe(self, kind: TopicKind) -> ISubscriptionAPI:
        """Subscribe to the topic of ``kind``."""
        return await self.pubsub.subscribe(topic_name(self.preset, kind))

    async def publish(self, message: Message) -> bytes:
        """P2P-LP-2: publish ``message`` on its topic; return its message id. The host's own
        validator runs first, so a message invalid under the spec is not sent."""
        kind, data = encode_gossip_data(message, self.preset)
        topic = topic_name(self.preset, kind)
        await self.pubsub.publish(topic, data)
        return compute_message_id(topic, data)

    def is_subscribed(self, peer: ID, kind: TopicKind) -> bool:
        """Whether ``peer`` has a pubsub stream open with this host and told it that it is subscribed
        to the topic of ``kind`` (it would take a message sent to it now)."""
        topic = topic_name(self.preset, kind)
        return peer in self.pubsub.peer_queues and peer in self.pubsub.peer_topics.get(topic, set())

    def send_to(self, peer: ID, message: Message) -> bytes:
        """P2P-LP-2: publish ``message`` on its topic to ``peer`` alone (a catch-up for a new peer),
        whether or not ``peer`` is in the topic's mesh: the message built and signed as
        :meth:`publish` builds it, sent in one RPC on the peer's pubsub stream, as gossipsub v1.1's
        flood publishing sends one's own message to every subscribed peer (py-libp2p 0.8.1 publishes
        to the mesh only). The receiver validates it like any gossip (P2P-LP-5). Return its id."""
        kind, data = encode_gossip_data(message, self.preset)
        topic = topic_name(self.preset, kind)
        msg = rpc_pb2.Message(
            data=data, topicIDs=[topic], from_id=self.peer_id.to_bytes(), seqno=self.pubsub._next_seqno()
        )
        key = self.pubsub.sign_key
        if self.pubsub.strict_signing and key is not None:
            msg.signature = key.sign(PUBSUB_SIGNING_PREFIX.encode() + msg.SerializeToString())
            msg.key = self.host.get_public_key().serialize()
        self.gossipsub.send_rpc(peer, rpc_pb2.RPC(publish=[msg]))
        return compute_message_id(topic, data)

    async def publish_raw(self, topic: str, data: bytes) -> None:
        """Publish bytes as they are (tests use it to offer invalid data to the validator)."""
        topic_kind(self.preset, topic)
        await self.pubsub.publish(topic, data)

"""The P2P adversary suite (issue 10): each attack found against the reference node, replayed on
loopback against a real ``rusty node`` process with short limits, and the defence checked.

After every attack the node must still be up, still mine (``generate`` over RPC), and its resident
memory must stay within a generous margin of where it started. Counts are bounded (at most a few
dozen connections, a few MiB per connection) so the whole module runs in well under a minute.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from conformance.chainbuilder import ChainBuilder
from conformance.wallet import key
from reference.daemon import p2p_port_of
from reference.node import Node
from spec.chain.block import Block, block_hash
from spec.p2p.messages import (
    PREFIX_BYTES,
    SERVICE_FULL_NODE,
    BlockMessage,
    Command,
    GetData,
    Headers,
    InvItem,
    InvKind,
    Message,
    NotFound,
    Ping,
    Pong,
    Verack,
    Version,
    decode_frame,
    encode_frame,
    frame_length_from_prefix,
)
from spec.presets import DEVNET
from tests.adversary_helpers import (
    RSS_MARGIN_BYTES,
    Running,
    assert_closed_by_the_node,
    assert_healthy,
    rpc,
    rss,
)
from tests.node_process import start_node

LIMITS = (
    "--transport",
    "tcp",  # the P2P-1 framing's defences (the libp2p ports: tests/test_libp2p_node.py)
    "--handshake-timeout",
    "1",
    "--frame-timeout",
    "2",
    "--ping-interval",
    "2",
    "--max-inbound",
    "16",
    "--max-buffered-mib",
    "8",
)
"""Short limits so that timeouts show within the test (the defaults are in reference/p2p.py)."""
VERSION = DEVNET.network.protocol_version


class RawPeer:
    """A hand-driven P2P connection speaking the spec's frames (it can also send anything else)."""

    def __init__(self, port: int, handshake: bool = True, protocol_version: int = VERSION) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.node_id = os.urandom(DEVNET.network.node_id_bits // 8)
        if handshake:
            nonce = secrets.randbits(64)
            self.send(Version(protocol_version, SERVICE_FULL_NODE, self.node_id, 0, 0, nonce, b"adversary"))
            self.expect(Version)
            self.send(Verack())
            self.expect(Verack)

    def send(self, message: Message) -> None:
        self.sock.sendall(encode_frame(message, DEVNET))

    def _exactly(self, count: int) -> bytes:
        data = b""
        while len(data) < count:
            chunk = self.sock.recv(count - len(data))
            if not chunk:
                raise ConnectionError("closed")
            data += chunk
        return data

    def receive(self) -> Message:
        prefix = self._exactly(PREFIX_BYTES)
        payload = self._exactly(frame_length_from_prefix(prefix, DEVNET))
        return decode_frame(prefix + payload, DEVNET)

    def available_commands(self) -> list[int]:
        """The commands of the frames the node has sent so far and this side has not read (no wait)."""
        self.sock.setblocking(False)
        data = b""
        try:
            while chunk := self.sock.recv(1 << 20):
                data += chunk
        except BlockingIOError:
            pass
        finally:
            self.sock.setblocking(True)
            self.sock.settimeout(10)
        commands = []
        while len(data) >= PREFIX_BYTES:
            commands.append(data[4])
            data = data[PREFIX_BYTES + int.from_bytes(data[5:9], "little") :]
        return commands

    def next_frame_skipping_payload(self, command: int) -> int:
        """Read frames until one with ``command``; return its payload length (payloads are dropped)."""
        self.sock.settimeout(60)
        while True:
            prefix = self._exactly(PREFIX_BYTES)
            length = int.from_bytes(prefix[5:9], "little")
            self._exactly(length)
            if prefix[4] == command:
                return length

    def expect(self, kind: type[Any]) -> Any:
        """The next message of ``kind`` (Pings are answered, anything else is skipped)."""
        while True:
            message = self.receive()
            if isinstance(message, kind):
                return message
            if isinstance(message, Ping):
                self.send(Pong(message.nonce))

    def closed_within(self, seconds: float) -> bool:
        """Whether the node closes the connection within ``seconds`` (everything it sends is read)."""
        self.sock.settimeout(seconds)
        try:
            while self.sock.recv(65536):
                pass
        except TimeoutError:
            return False
        except OSError:
            return True
        return True

    def close(self) -> None:
        self.sock.close()


def _running(datadir: Path) -> Iterator[Running]:
    Node.init(datadir, "devnet").close()
    process = start_node(datadir, *LIMITS)
    yield datadir, process
    process.terminate()
    assert process.wait(timeout=30) == 0


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Running]:
    """A fresh node (empty chain, no bans)."""
    yield from _running(tmp_path / "node")


@pytest.fixture(scope="module")
def shared_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """One node for the attacks that neither ban 127.0.0.1 nor need an empty chain (each node
    start costs seconds)."""
    yield from _running(tmp_path_factory.mktemp("shared") / "node")


def chains(main_length: int, fork_at: int, rival_length: int) -> tuple[ChainBuilder, ChainBuilder]:
    """A main chain and a heavier rival forking after ``fork_at`` blocks, timestamped in the past
    hour (so that the node's clock accepts them, HDR-4)."""
    base = int(time.time()) - 3_600
    main = ChainBuilder(DEVNET)
    for height in range(main_length):
        main.extend(timestamp=base + 2 * height)
    rival = ChainBuilder(
        DEVNET,
        miner=key("adversary-rival"),
        voters=dict(main.voters),
        states=list(main.states[: fork_at + 1]),
        blocks=list(main.blocks[:fork_at]),
    )
    for height in range(fork_at, rival_length):
        rival.extend(timestamp=base + 2 * height + 1)
    return main, rival


def feed(
    peer: RawPeer, blocks: list[Block], send: list[Block] | None = None, may_be_cut_off: bool = False
) -> None:
    """Announce ``blocks``' headers; answer the node's GetData with ``send`` (default: the blocks).

    With ``may_be_cut_off`` (a peer sending an invalid block) the node may close the connection
    before the rest is sent: that ends the feeding, whatever the machine's timing."""
    peer.send(Headers(tuple(b.header for b in blocks)))
    asked = peer.expect(GetData)
    by_hash = {block_hash(b.header, DEVNET): b for b in (send if send is not None else blocks)}
    for item in asked.items:
        try:
            peer.send(BlockMessage(by_hash[item.hash]))
        except (BrokenPipeError, ConnectionResetError):
            if not may_be_cut_off:
                raise
            return


def wait_for(predicate: Any, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def tampered(block: Block) -> Block:
    """The real header with another body (the coinbase pays one atom less)."""
    coinbase = block.transactions[0]
    outputs = (replace(coinbase.outputs[0], value=coinbase.outputs[0].value - 1), *coinbase.outputs[1:])
    return replace(block, transactions=(replace(coinbase, outputs=outputs), *block.transactions[1:]))


# ------------------------------------------------------------------------- 1. block poisoning


def test_a_tampered_body_under_a_real_header_never_cuts_the_node_off(tmp_path: Path) -> None:
    datadir = tmp_path / "node"
    Node.init(datadir, "devnet").close()
    main, rival = chains(6, 3, 8)
    process = start_node(datadir, *LIMITS)
    try:
        before = rss(process)
        feeder = RawPeer(p2p_port_of(datadir))
        feed(feeder, main.blocks)
        wait_for(lambda: rpc(datadir, "getblockcount") == 5)
        attacker = RawPeer(p2p_port_of(datadir))
        fork = rival.blocks[3:]
        feed(attacker, fork, [tampered(fork[0]), *fork[1:]], may_be_cut_off=True)
        assert attacker.closed_within(10), "an invalid block bans its sender"
        honest = RawPeer(p2p_port_of(datadir))
        feed(honest, fork)  # the honest block of the poisoned hash is asked for and accepted
        rival_tip = block_hash(rival.blocks[-1].header, DEVNET).hex()
        wait_for(lambda: rpc(datadir, "getbestblockhash") == rival_tip)
        assert_healthy(datadir, process, before)
        process.terminate()
        assert process.wait(timeout=30) == 0
        process = start_node(datadir, *LIMITS)
        assert rpc(datadir, "getblockcount") == 8  # the honest chain plus the block mined above
        with sqlite3.connect(f"file:{datadir / 'node.sqlite'}?mode=ro", uri=True) as db:
            (invalid,) = db.execute("SELECT COUNT(*) FROM blocks WHERE invalid = 1").fetchone()
        assert invalid == 0
    finally:
        process.terminate()
        process.wait(timeout=30)


# ------------------------------------------------------------------------- 2. side-branch junk


def test_unrequested_side_blocks_are_scored_and_not_stored(
    node: tuple[Path, subprocess.Popen[bytes]],
) -> None:
    datadir, process = node
    before = rss(process)
    main, _ = chains(8, 8, 8)
    feed(RawPeer(p2p_port_of(datadir)), main.blocks)
    wait_for(lambda: rpc(datadir, "getblockcount") == 7)
    junk = [chains(8, at, at + 1)[1].blocks[-1] for at in range(1, 7)]  # valid PoW, less work than the tip
    attacker = RawPeer(p2p_port_of(datadir))
    sent = 0
    try:
        for block in junk:
            attacker.send(BlockMessage(block))
            sent += 1
    except OSError:
        pass
    assert attacker.closed_within(10), "unrequested blocks score 20 each: banned at the fifth"
    announcer = RawPeer(p2p_port_of(datadir))  # announcing a lighter branch does not get it fetched
    announcer.send(Headers(tuple(b.header for b in chains(8, 3, 6)[1].blocks[3:])))
    announcer.send(Ping(9))
    assert announcer.expect(Pong).nonce == 9
    assert Command.GET_DATA not in announcer.available_commands()
    assert sent <= len(junk)
    with sqlite3.connect(f"file:{datadir / 'node.sqlite'}?mode=ro", uri=True) as db:
        (stored,) = db.execute("SELECT COUNT(*) FROM blocks").fetchone()
    assert stored == 8, "nothing of the junk is stored"
    assert len(rpc(datadir, "getpeerinfo")["banned"]) == 1
    assert_healthy(datadir, process, before)


# ------------------------------------------------------------------------- 4. connections


def test_inbound_limit_and_handshake_timeout(shared_node: Running) -> None:
    datadir, process = shared_node
    before = rss(process)
    sockets = [socket.create_connection(("127.0.0.1", p2p_port_of(datadir)), timeout=5) for _ in range(40)]
    greeted = 0
    for sock in sockets:
        with contextlib.suppress(OSError):
            greeted += len(sock.recv(PREFIX_BYTES)) > 0  # an accepted connection gets the node's Version
    assert 1 <= greeted <= 16, greeted
    assert_closed_by_the_node(sockets, 10)  # silent sockets are closed once the 1 s handshake timeout passes
    assert_healthy(datadir, process, before)


def test_half_sent_frames_are_bounded_and_time_out(shared_node: Running) -> None:
    datadir, process = shared_node
    before = rss(process)
    size = DEVNET.network.max_message_bytes
    prefix = DEVNET.network.magic + bytes([Command.HEADERS]) + size.to_bytes(4, "little") + bytes(4)
    peers = [RawPeer(p2p_port_of(datadir)) for _ in range(12)]
    for peer in peers:  # 12 x 3 MiB of 4 MiB frames: more than the 8 MiB buffer budget
        with contextlib.suppress(OSError):  # refused at the prefix: the budget is full
            peer.sock.sendall(prefix + bytes(3 * 1024 * 1024))
    assert rss(process) < before + RSS_MARGIN_BYTES
    newcomer = RawPeer(p2p_port_of(datadir))  # small frames never wait on the budget: handshakes go on
    newcomer.send(Ping(3))
    assert newcomer.expect(Pong).nonce == 3
    for peer in peers:  # every partial frame is dropped after the 2 s frame timeout (or at once)
        assert peer.closed_within(10)
    assert_healthy(datadir, process, before)


# ------------------------------------------------------------------------- 5. GetData flood


def test_a_50000_item_get_data_does_not_stall_the_node(shared_node: Running) -> None:
    """While a 50,000-item GetData is decoded and served, another peer's Ping is answered first:
    nothing of the NotFound has been sent when the Pong arrives. Then the request is answered in
    full (each item once) and the peer is not scored for it."""
    datadir, process = shared_node
    before = rss(process)
    attacker, observer = RawPeer(p2p_port_of(datadir)), RawPeer(p2p_port_of(datadir))
    items = tuple(InvItem(InvKind.BLOCK, os.urandom(32)) for _ in range(DEVNET.network.max_inv_items // 2))
    attacker.sock.sendall(encode_frame(GetData(items + items), DEVNET))  # the wire limit, duplicated
    observer.send(Ping(77))
    assert observer.expect(Pong).nonce == 77
    assert Command.NOT_FOUND not in attacker.available_commands(), "served before answering a Ping"
    length = attacker.next_frame_skipping_payload(Command.NOT_FOUND)
    assert length == len(encode_frame(NotFound(items), DEVNET)) - PREFIX_BYTES
    assert rpc(datadir, "getpeerinfo")["banned"] == []
    attacker.close()
    assert_healthy(datadir, process, before)


# ------------------------------------------------------------------------- 6. unknown commands


def test_unknown_commands_are_skipped_by_length(shared_node: Running) -> None:
    datadir, process = shared_node
    before = rss(process)
    payload = os.urandom(2_000)
    unknown = DEVNET.network.magic + b"\x99" + len(payload).to_bytes(4, "little") + bytes(4) + payload
    newer = RawPeer(p2p_port_of(datadir), protocol_version=VERSION + 1)
    for nonce in range(20):  # a newer peer's new command: skipped, never scored
        newer.sock.sendall(unknown)
        newer.send(Ping(nonce))
        assert newer.expect(Pong).nonce == nonce
    same = RawPeer(p2p_port_of(datadir))
    for nonce in range(4):  # from a same-version peer: 20 points each, the stream stays in sync
        same.sock.sendall(unknown)
        same.send(Ping(nonce))
        assert same.expect(Pong).nonce == nonce
    assert rpc(datadir, "getpeerinfo")["banned"] == []
    assert_healthy(datadir, process, before)


# ------------------------------------------------------------------------- 7. pre-handshake bans


def test_a_pre_handshake_offender_is_banned_by_address(node: Running) -> None:
    datadir, process = node
    before = rss(process)
    offender = RawPeer(p2p_port_of(datadir), handshake=False)
    offender.sock.sendall(b"GET / HTTP/1.1\r\n\r\n")  # wrong magic: stream-fatal
    assert offender.closed_within(10)
    assert rpc(datadir, "getpeerinfo")["banned"] == ["127.0.0.1"]
    comeback = socket.create_connection(("127.0.0.1", p2p_port_of(datadir)), timeout=5)
    with contextlib.suppress(ConnectionResetError):
        assert comeback.recv(PREFIX_BYTES) == b"", "a new port from the banned address is refused"
    comeback.close()
    assert_healthy(datadir, process, before)

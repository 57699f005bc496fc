"""The watcher's memory on disk (issue 16 follow-up; docs/node.md "Watching sidechains").

``rusty node --watch-sidechains`` keeps, in the node's own SQLite file (``node.sqlite``, the chain
store's connection: WAL journal, ``synchronous=FULL``, reference/storage.py), one table
``watch_items`` of what only the watcher knows; the games themselves, their moves, clocks and
the bonds to claim are the mainchain's state (:class:`~spec.sidechain.registry.SidechainsState`),
stored by the chain store with every block. One row per item, ``(kind, key) -> data`` with the
SHA-256 of ``data`` beside it:

=============  ===============================  ==================================================
kind           key                              data
=============  ===============================  ==================================================
``block``      sidechain id + block_key (8+32)  JSON: height, transactions, credits, the held
                                                nodes (``[hash, node]``, :func:`compute_held_nodes`)
``header``     sidechain id + height (8 + 8)    the SC-HDR-0 header of a checkpoint seen on chain
``challenged`` header hash                      JSON: the honest trace the opening committed, and
                                                whether the opening was posted
``defended``   header hash                      JSON: the trace the header committed, its block's key
``inputs``     sidechain id + mainchain height  JSON: the deposits and inbound messages that block
                                                handed the sidechain (``[0, deposit]``,
                                                ``[1, message]``, canonical encodings): a
                                                wrong-credits proof's inputs (SC-DSP-21, kind 8)
``signed``     sidechain id + height + header   JSON: a signed checkpoint seen at that height (its
               hash (8 + 8 + 32)                canonical encoding) and whether a connected block
                                                carried it: an equivocation proof's two headers
                                                (SC-DSP-8, kind 9)
``outbox``     sidechain id + height + outbox   JSON: the outbox entries of the sidechain block at
               root (8 + 8 + 32)                that height: an overdraw proof's entry and Merkle
                                                path (SC-DSP-9, kind 10)
``posted``     the message's script             the tip height it was last posted at
``meta``       ``scanned``                      the mainchain height the watcher last ran on
=============  ===============================  ==================================================

The evidence rows (``inputs``, ``signed``, ``outbox``) are stored rather than re-derived at
start: a cursor range's inputs can lie further back than the rescan reads (and in pruned bodies),
a second signed header arrives off the mainchain (RPC ``submitsidechainheader``, a refused
transaction) and is nowhere else, and the follower does not re-apply the blocks behind an outbox.
They are pruned with the rest (``compute_live``).

**Atomic.** :meth:`WatchStore.save` writes what changed since the last save (and deletes what was
pruned) in one ``BEGIN IMMEDIATE`` transaction; the service saves after every decision, before it
posts anything, and again after posting: an opening is stored (``posted: false``) before its bond
leaves the wallet, so a game this node opens always has its trace on disk; a crash between the two
saves leaves an opening unmarked, which the watcher re-opens on the next tip unless the chain
already holds the game (``WatchService.decide``).

**Corrupt rows** (a checksum, an encoding or a reference that does not hold) are moved to
``watch_corrupt`` with the reason and left out of the watcher's memory; a table SQLite cannot
read is renamed ``watch_items_corrupt`` and recreated empty. Either way the node starts, logs an
error (logger ``rusty.watcher``) and shows it in ``getwatcherinfo``; the chain is never touched.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, cast

from reference.watcher import SidechainDefender, SidechainWatcher, WatchedBlock, block_key
from spec.encoding import decode, encode
from spec.merkle import merkle_root
from spec.sidechain.header import (
    DEPOSIT_CODEC,
    INBOUND_MESSAGE_CODEC,
    BlockCredit,
    Checkpoint,
    Deposit,
    InboundMessage,
    SidechainHeader,
    compute_header_hash,
    decode_checkpoint,
    decode_sidechain_header,
    encode_checkpoint,
    encode_sidechain_header,
)
from spec.vm.interface import OUTBOX_ENTRY_CODEC, OutboxEntry

SCHEMA = """
CREATE TABLE IF NOT EXISTS watch_items (
    kind TEXT NOT NULL, key BLOB NOT NULL, data BLOB NOT NULL, digest BLOB NOT NULL,
    PRIMARY KEY (kind, key)
);
CREATE TABLE IF NOT EXISTS watch_corrupt (
    kind TEXT NOT NULL, key BLOB NOT NULL, data BLOB NOT NULL, reason TEXT NOT NULL
);
"""

KINDS = ("block", "header", "challenged", "defended", "inputs", "signed", "outbox", "posted", "meta")

Key = tuple[str, bytes]


class WatchStoreCorrupt(ValueError):
    """A stored watcher row that does not decode (moved aside by :meth:`WatchStore.load`)."""


@dataclass
class Memory:
    """What the watch service holds, as :meth:`WatchStore.save` and :meth:`WatchStore.load` see it."""

    watcher: SidechainWatcher
    defender: SidechainDefender
    posted: dict[bytes, int]
    opening_posted: set[bytes]
    """Header hashes whose opening was posted (the ``posted`` flag of a ``challenged`` row)."""
    scanned: int | None = None


def _block_key(sidechain_id: int, tx_root: bytes) -> bytes:
    return sidechain_id.to_bytes(8, "big") + tx_root


def _hexes(items: Iterable[bytes]) -> list[str]:
    return [item.hex() for item in items]


def _roots(value: Any) -> tuple[bytes, ...]:
    if not isinstance(value, list):
        raise WatchStoreCorrupt("a list of roots expected")
    roots = tuple(bytes.fromhex(item) for item in value)
    if any(len(root) != 32 for root in roots):
        raise WatchStoreCorrupt("a root is not 32 bytes")
    return roots


def encode_block(block: WatchedBlock) -> bytes:
    return json.dumps(
        {
            "height": block.height,
            "txs": _hexes(block.txs),
            "credits": [[c.recipient.hex(), c.amount] for c in block.credits],
            "nodes": [[h.hex(), n.hex()] for h, n in sorted(block.nodes.items())],
        }
    ).encode()


def decode_block(key: bytes, data: bytes) -> WatchedBlock:
    item = json.loads(data)
    nodes = {bytes.fromhex(h): bytes.fromhex(n) for h, n in item["nodes"]}
    credits = tuple(BlockCredit(bytes.fromhex(r), int(a)) for r, a in item["credits"])
    if len(key) != 40:
        raise WatchStoreCorrupt("a block key is 8 + 32 bytes")
    return WatchedBlock(
        int.from_bytes(key[:8], "big"),
        int(item["height"]),
        tuple(bytes.fromhex(tx) for tx in item["txs"]),
        credits,
        nodes,
    )


def _pair_key(first: int, second: int) -> bytes:
    return first.to_bytes(8, "big") + second.to_bytes(8, "big")


def _split_key(key: bytes, length: int) -> tuple[int, int, bytes]:
    """(sidechain id, height, rest) of a key of 8 + 8 + ``length`` bytes."""
    if len(key) != 16 + length:
        raise WatchStoreCorrupt(f"a key of 8 + 8 + {length} bytes expected")
    return int.from_bytes(key[:8], "big"), int.from_bytes(key[8:16], "big"), key[16:]


def encode_inputs(items: Iterable[Deposit | InboundMessage]) -> bytes:
    return json.dumps(
        [
            [0, encode(DEPOSIT_CODEC, item).hex()]
            if isinstance(item, Deposit)
            else [1, encode(INBOUND_MESSAGE_CODEC, item).hex()]
            for item in items
        ]
    ).encode()


def decode_inputs(key: bytes, data: bytes) -> tuple[int, int, tuple[Deposit | InboundMessage, ...]]:
    """(sidechain id, mainchain height, inputs) of an ``inputs`` row (each input of that sidechain)."""
    sidechain_id, height, _ = _split_key(key, 0)
    items: list[Deposit | InboundMessage] = []
    for kind, raw in json.loads(data):
        item: Deposit | InboundMessage
        if kind == 0:
            item = decode(DEPOSIT_CODEC, bytes.fromhex(raw))
        elif kind == 1:
            item = decode(INBOUND_MESSAGE_CODEC, bytes.fromhex(raw))
        else:
            raise WatchStoreCorrupt(f"unknown input kind {kind!r}")
        if item.sidechain_id != sidechain_id:
            raise WatchStoreCorrupt("an input of another sidechain")
        items.append(item)
    return sidechain_id, height, tuple(items)


def decode_signed(key: bytes, data: bytes) -> tuple[Checkpoint, bool]:
    """The checkpoint of a ``signed`` row (the one its key names) and whether it was on chain."""
    sidechain_id, height, hash_ = _split_key(key, 32)
    item = json.loads(data)
    checkpoint = decode_checkpoint(bytes.fromhex(item["checkpoint"]))
    header = checkpoint.header
    if (header.sidechain_id, header.height, compute_header_hash(header)) != (sidechain_id, height, hash_):
        raise WatchStoreCorrupt("the checkpoint is not the one its key names")
    return checkpoint, item["on_chain"] is True


def decode_outbox(key: bytes, data: bytes) -> tuple[int, int, bytes, tuple[OutboxEntry, ...]]:
    """(sidechain id, height, root, entries) of an ``outbox`` row (the entries fold to the root)."""
    sidechain_id, height, root = _split_key(key, 32)
    leaves = [bytes.fromhex(raw) for raw in json.loads(data)]
    entries = tuple(decode(OUTBOX_ENTRY_CODEC, leaf) for leaf in leaves)
    if not leaves or merkle_root(leaves) != root:
        raise WatchStoreCorrupt("the outbox entries are not the ones its key names")
    return sidechain_id, height, root, entries


@dataclass
class WatchStore:
    """The watcher's rows in the node's database (see the module docstring)."""

    db: sqlite3.Connection
    problems: list[str] = field(default_factory=list)
    _written: dict[Key, object] = field(default_factory=dict)
    """What the table holds (the object saved under each key, compared by identity or value)."""

    def __post_init__(self) -> None:
        self.db.executescript(SCHEMA)

    # ------------------------------------------------------------------------- loading

    def _rows(self) -> list[tuple[str, bytes, bytes, bytes]]:
        try:
            return [
                (str(k), bytes(key), bytes(data), bytes(digest))
                for k, key, data, digest in self.db.execute("SELECT kind, key, data, digest FROM watch_items")
            ]
        except (sqlite3.DatabaseError, TypeError, ValueError) as exc:
            self.problems.append(f"the table watch_items cannot be read ({exc}): renamed watch_items_corrupt")
            self.db.execute("DROP TABLE IF EXISTS watch_items_corrupt")
            self.db.execute("ALTER TABLE watch_items RENAME TO watch_items_corrupt")
            self.db.executescript(SCHEMA)
            return []

    def load(self, memory: Memory) -> list[str]:
        """Fill ``memory`` from the table; the problems found (each also in :attr:`problems`)."""
        before = len(self.problems)
        rows = self._rows()
        by_kind: dict[str, list[tuple[bytes, bytes]]] = {kind: [] for kind in KINDS}
        bad: list[tuple[str, bytes, bytes, str]] = []
        for kind, key, data, digest in rows:
            if kind not in by_kind:
                bad.append((kind, key, data, "unknown kind"))
            elif hashlib.sha256(data).digest() != digest:
                bad.append((kind, key, data, "checksum mismatch"))
            else:
                by_kind[kind].append((key, data))
        blocks: dict[bytes, WatchedBlock] = {}
        for kind in KINDS:  # blocks first: defended rows refer to them
            for key, data in by_kind[kind]:
                try:
                    value = self._load_one(memory, kind, key, data, blocks)
                except Exception as exc:  # whatever a damaged row makes its decoder raise: set aside
                    bad.append((kind, key, data, f"{type(exc).__name__}: {exc}"))
                    continue
                self._written[(kind, key)] = value
        if bad:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                self.db.executemany(
                    "INSERT INTO watch_corrupt (kind, key, data, reason) VALUES (?, ?, ?, ?)", bad
                )
                self.db.executemany(
                    "DELETE FROM watch_items WHERE kind = ? AND key = ?", [(k, key) for k, key, _, _ in bad]
                )
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            reasons = sorted({f"{kind}: {reason}" for kind, _, _, reason in bad})
            self.problems.append(
                f"{len(bad)} corrupt watcher rows moved to watch_corrupt ({'; '.join(reasons[:5])})"
            )
        return self.problems[before:]

    def _load_one(
        self, memory: Memory, kind: str, key: bytes, data: bytes, blocks: dict[bytes, WatchedBlock]
    ) -> object:
        watcher, defender = memory.watcher, memory.defender
        if kind == "block":
            block = decode_block(key, data)
            blocks[key] = block
            watcher.blocks[(block.sidechain_id, key[8:])] = block
            return block
        if kind == "header":
            header = decode_sidechain_header(data)
            if key != header.sidechain_id.to_bytes(8, "big") + header.height.to_bytes(8, "big"):
                raise WatchStoreCorrupt("the header is not the one its key names")
            watcher.headers[(header.sidechain_id, header.height)] = header
            return header
        if kind == "challenged":
            item = json.loads(data)
            trace = _roots(item["trace"])
            watcher.challenged[key] = trace
            if item["posted"] is True:
                watcher.opened.add(key)
                memory.opening_posted.add(key)
            return (trace, item["posted"] is True)
        if kind == "defended":
            item = json.loads(data)
            trace = _roots(item["trace"])
            found = blocks.get(bytes.fromhex(item["block"]))
            if found is None or len(key) != 32:
                raise WatchStoreCorrupt("the defended header's block is not stored")
            defender.defended[key] = (trace, found)
            return (trace, found)
        if kind == "inputs":
            sidechain_id, height, items = decode_inputs(key, data)
            watcher.inputs[(sidechain_id, height)] = items
            return items
        if kind == "signed":
            checkpoint, on_chain = decode_signed(key, data)
            header = checkpoint.header
            watcher.signed.setdefault((header.sidechain_id, header.height), {})[key[16:]] = checkpoint
            if on_chain:
                watcher.posted_on_chain.add(key[16:])
            return (checkpoint, on_chain)
        if kind == "outbox":
            sidechain_id, height, root, entries = decode_outbox(key, data)
            watcher.outboxes.setdefault((sidechain_id, height), {})[root] = entries
            return entries
        if kind == "posted":
            memory.posted[key] = int(data)
            return memory.posted[key]
        if key != b"scanned":
            raise WatchStoreCorrupt(f"unknown meta key {key!r}")
        memory.scanned = int(data)
        return memory.scanned

    # ------------------------------------------------------------------------- saving

    @staticmethod
    def _items(memory: Memory) -> Iterator[tuple[Key, object]]:
        """Every row ``memory`` stands for: its (kind, key) and the object saved under it."""
        watcher = memory.watcher
        blocks: dict[bytes, WatchedBlock] = {
            _block_key(sidechain_id, tx_root): block
            for (sidechain_id, tx_root), block in watcher.blocks.items()
        }
        for _, block in memory.defender.defended.values():  # a defended block is stored with it
            blocks.setdefault(_block_key(block.sidechain_id, block_key(block.txs, block.height)), block)
        for key, block in blocks.items():
            yield ("block", key), block
        for (sidechain_id, height), header in watcher.headers.items():
            yield ("header", sidechain_id.to_bytes(8, "big") + height.to_bytes(8, "big")), header
        for hash_, trace in watcher.challenged.items():
            yield ("challenged", hash_), (trace, hash_ in memory.opening_posted)
        for hash_, defended in memory.defender.defended.items():
            yield ("defended", hash_), defended  # the held tuple itself: unchanged is not rewritten
        for (sidechain_id, height), items in watcher.inputs.items():
            yield ("inputs", _pair_key(sidechain_id, height)), items
        for (sidechain_id, height), by_hash in watcher.signed.items():
            for hash_, checkpoint in by_hash.items():
                on_chain = hash_ in watcher.posted_on_chain
                yield ("signed", _pair_key(sidechain_id, height) + hash_), (checkpoint, on_chain)
        for (sidechain_id, height), by_root in watcher.outboxes.items():
            for root, entries in by_root.items():
                yield ("outbox", _pair_key(sidechain_id, height) + root), entries
        for script, height in memory.posted.items():
            yield ("posted", script), height
        if memory.scanned is not None:
            yield ("meta", b"scanned"), memory.scanned

    @staticmethod
    def _encode(kind: str, value: object) -> bytes:
        if kind == "block":
            assert isinstance(value, WatchedBlock)
            return encode_block(value)
        if kind == "header":
            assert isinstance(value, SidechainHeader)
            return encode_sidechain_header(value)
        if kind == "challenged":
            roots, posted = cast(tuple[tuple[bytes, ...], bool], value)
            return json.dumps({"trace": _hexes(roots), "posted": posted}).encode()
        if kind == "defended":
            trace, block = cast(tuple[tuple[bytes, ...], WatchedBlock], value)
            key = _block_key(block.sidechain_id, block_key(block.txs, block.height))
            return json.dumps({"block": key.hex(), "trace": _hexes(trace)}).encode()
        if kind == "inputs":
            return encode_inputs(cast(tuple[Deposit | InboundMessage, ...], value))
        if kind == "signed":
            checkpoint, on_chain = cast(tuple[Checkpoint, bool], value)
            return json.dumps(
                {"checkpoint": encode_checkpoint(checkpoint).hex(), "on_chain": on_chain}
            ).encode()
        if kind == "outbox":
            entries = cast(tuple[OutboxEntry, ...], value)
            return json.dumps([encode(OUTBOX_ENTRY_CODEC, entry).hex() for entry in entries]).encode()
        return str(value).encode()

    def save(self, memory: Memory) -> int:
        """Write what changed in ``memory`` since the last save or load, delete what it dropped, in
        one transaction; the number of rows written or deleted."""
        current: dict[Key, object] = {}
        writes: list[tuple[str, bytes, bytes, bytes]] = []
        for (kind, key), value in self._items(memory):
            current[(kind, key)] = value
            old = self._written.get((kind, key), _MISSING)
            if old is value or (kind not in ("block", "defended") and old == value):
                continue
            data = self._encode(kind, value)
            writes.append((kind, key, data, hashlib.sha256(data).digest()))
        deletes = [key for key in self._written if key not in current]
        if not writes and not deletes:
            return 0
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.executemany(
                "INSERT OR REPLACE INTO watch_items (kind, key, data, digest) VALUES (?, ?, ?, ?)", writes
            )
            self.db.executemany("DELETE FROM watch_items WHERE kind = ? AND key = ?", deletes)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self._written = current
        return len(writes) + len(deletes)

    def count(self) -> dict[str, int]:
        """Rows per kind (for tests and ``getwatcherinfo``)."""
        return {
            str(kind): int(n)
            for kind, n in self.db.execute("SELECT kind, COUNT(*) FROM watch_items GROUP BY kind")
        }

    def size(self) -> int:
        """Bytes of the rows' data (the pruning bound is on this and on the row count)."""
        row = self.db.execute("SELECT COALESCE(SUM(length(data)), 0) FROM watch_items").fetchone()
        return int(row[0])


_MISSING = object()

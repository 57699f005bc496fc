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
``posted``     the message's script             the tip height it was last posted at
``meta``       ``scanned``                      the mainchain height the watcher last ran on
=============  ===============================  ==================================================

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
from spec.sidechain.header import (
    BlockCredit,
    SidechainHeader,
    decode_sidechain_header,
    encode_sidechain_header,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS watch_items (
    kind TEXT NOT NULL, key BLOB NOT NULL, data BLOB NOT NULL, digest BLOB NOT NULL,
    PRIMARY KEY (kind, key)
);
CREATE TABLE IF NOT EXISTS watch_corrupt (
    kind TEXT NOT NULL, key BLOB NOT NULL, data BLOB NOT NULL, reason TEXT NOT NULL
);
"""

KINDS = ("block", "header", "challenged", "defended", "posted", "meta")

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

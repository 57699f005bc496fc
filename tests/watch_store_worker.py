"""Saves a growing, pruned watcher memory into a WatchStore, one tip per save; killed by the crash test.

``python -m tests.watch_store_worker DB`` reloads the store, prints ``ready``, then for each tip
after the stored one: adds a checkpoint header and a held block (:func:`block_at`, about 20 kB),
an opening's trace, drops what is more than :data:`KEEP` tips old, saves (one transaction) and
prints the tip once the save is committed. tests/test_watch_persistence.py kills it with SIGKILL.
"""

from __future__ import annotations

import sqlite3
import sys
from dataclasses import replace
from hashlib import sha256
from pathlib import Path

from reference.watch_store import Memory, WatchStore
from reference.watcher import SidechainDefender, SidechainWatcher, WatchedBlock
from spec.merkle import merkle_root
from spec.presets import DEVNET
from spec.sidechain.header import SidechainHeader

KEEP = 5
SIDECHAIN = 3
PAYEE = b"\x51"


def block_at(tip: int) -> WatchedBlock:
    nodes = {
        sha256(bytes([tip % 256, i])).digest(): sha256(bytes([i, tip % 256])).digest() * 8 for i in range(80)
    }
    return WatchedBlock(SIDECHAIN, tip, (tip.to_bytes(8, "big"),), (), nodes)


def header_at(tip: int) -> SidechainHeader:
    base = SidechainHeader(
        SIDECHAIN, 0, bytes(32), 0, bytes(32), 1, bytes(32), bytes(32), 0, bytes(32), bytes(32)
    )
    return replace(base, height=tip, tx_root=merkle_root([tip.to_bytes(8, "big")]))


def trace_at(tip: int) -> tuple[bytes, ...]:
    return tuple(sha256(bytes([tip % 256, i, 7])).digest() for i in range(4))


def memory_of(db: sqlite3.Connection) -> tuple[WatchStore, Memory, list[str]]:
    store = WatchStore(db)
    memory = Memory(SidechainWatcher(DEVNET, PAYEE), SidechainDefender(DEVNET), {}, set())
    return store, memory, store.load(memory)


def main() -> None:
    db = sqlite3.connect(Path(sys.argv[1]), isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    store, memory, _ = memory_of(db)
    print("ready", flush=True)
    start = -1 if memory.scanned is None else memory.scanned
    watcher = memory.watcher
    for tip in range(start + 1, 100_000):
        block = block_at(tip)
        watcher.blocks[(SIDECHAIN, merkle_root(list(block.txs)))] = block
        watcher.headers[(SIDECHAIN, tip)] = header_at(tip)
        watcher.challenged[tip.to_bytes(32, "big")] = trace_at(tip)
        watcher.blocks = {k: b for k, b in watcher.blocks.items() if b.height > tip - KEEP}
        watcher.headers = {k: h for k, h in watcher.headers.items() if k[1] > tip - KEEP}
        watcher.challenged = {
            k: t for k, t in watcher.challenged.items() if int.from_bytes(k, "big") > tip - KEEP
        }
        memory.scanned = tip
        store.save(memory)
        print(tip, flush=True)


if __name__ == "__main__":
    main()

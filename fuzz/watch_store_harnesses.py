"""Fuzz harness of the watcher's store (reference/watch_store.py), ``fuzz_<name>(data: bytes) -> None``.

Same contract as :mod:`fuzz.harnesses`: nothing is an expected rejection here (a row that does
not decode is set aside, never raised), so any exception escapes and is a finding, and a broken
invariant raises :class:`WatchStoreInvariantViolation`. :data:`WATCH_STORE_HARNESSES` lists it
for :data:`fuzz.harnesses.HARNESSES`; :func:`watch_store_seeds` gives its seed corpus.

* ``watch_store_load``: the input is up to 8 rows, each ``kind byte, key length byte, key, data
  length (2 bytes), data``, written into a fresh ``watch_items`` table with a *correct* checksum
  (so the bytes reach the decoders; a wrong checksum is the easy case) next to a sound block
  row. :meth:`~reference.watch_store.WatchStore.load` never raises; every row is either loaded
  or moved to ``watch_corrupt`` (none lost, none both); the sound block is loaded unchanged; and
  a second load finds nothing more to set aside.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable

from reference.watch_store import KINDS, Memory, WatchStore, encode_block, encode_inputs
from reference.watcher import SidechainDefender, SidechainWatcher, WatchedBlock
from spec.encoding import encode
from spec.merkle import merkle_root
from spec.presets import DEVNET
from spec.sidechain.header import (
    Checkpoint,
    Deposit,
    InboundMessage,
    SidechainHeader,
    compute_header_hash,
    encode_checkpoint,
)
from spec.vm.interface import OUTBOX_ENTRY_CODEC, OutboxEntry

SOUND = WatchedBlock(3, 7, (b"\x01\x02",), (), {bytes(32): b"\x80"})
SOUND_KEY = (3).to_bytes(8, "big") + merkle_root([b"\x01\x02"])


class WatchStoreInvariantViolation(AssertionError):
    """The watcher store's loader broke its contract."""


def _rows(data: bytes) -> list[tuple[str, bytes, bytes]]:
    rows: list[tuple[str, bytes, bytes]] = []
    at = 0
    while at + 4 <= len(data) and len(rows) < 8:
        kind = KINDS[data[at] % len(KINDS)] if data[at] < 250 else f"odd{data[at]}"
        key_length = data[at + 1]
        key = data[at + 2 : at + 2 + key_length]
        at += 2 + key_length
        size = int.from_bytes(data[at : at + 2], "big")
        rows.append((kind, key, data[at + 2 : at + 2 + size]))
        at += 2 + size
    return rows


def _memory() -> Memory:
    return Memory(SidechainWatcher(DEVNET, b"\x51"), SidechainDefender(DEVNET), {}, set())


def fuzz_watch_store_load(data: bytes) -> None:
    """The watcher's store loads any rows beside a sound block, never raising, losing or doubling one."""
    db = sqlite3.connect(":memory:", isolation_level=None)
    store = WatchStore(db)
    sound = encode_block(SOUND)
    rows = {(kind, key): payload for kind, key, payload in _rows(data) if (kind, key) != ("block", SOUND_KEY)}
    rows[("block", SOUND_KEY)] = sound
    db.executemany(
        "INSERT OR REPLACE INTO watch_items (kind, key, data, digest) VALUES (?, ?, ?, ?)",
        [(kind, key, payload, hashlib.sha256(payload).digest()) for (kind, key), payload in rows.items()],
    )
    memory = _memory()
    store.load(memory)
    kept = {(str(k), bytes(key)) for k, key in db.execute("SELECT kind, key FROM watch_items")}
    aside = [(str(k), bytes(key)) for k, key in db.execute("SELECT kind, key FROM watch_corrupt")]
    if len(kept) + len(aside) != len(rows) or kept & set(aside) or set(aside) - set(rows):
        raise WatchStoreInvariantViolation(f"rows lost or doubled: {len(rows)} -> {len(kept)} + {len(aside)}")
    if memory.watcher.blocks.get((3, SOUND_KEY[8:])) != SOUND:
        raise WatchStoreInvariantViolation("the sound block was not loaded unchanged")
    if WatchStore(db).load(_memory()):
        raise WatchStoreInvariantViolation("a second load set more rows aside")
    db.close()


WATCH_STORE_HARNESSES: dict[str, Callable[[bytes], None]] = {"watch_store_load": fuzz_watch_store_load}


def _row(kind: str, key: bytes, payload: bytes) -> bytes:
    return bytes([KINDS.index(kind), len(key)]) + key + len(payload).to_bytes(2, "big") + payload


def _evidence_seeds() -> dict[str, bytes]:
    """Sound ``inputs``, ``signed`` and ``outbox`` rows, and a near miss of each (another
    sidechain's input, a checkpoint or outbox that is not the one the key names)."""
    pair = (3).to_bytes(8, "big") + (11).to_bytes(8, "big")
    deposit = Deposit(3, 11, 0, bytes(32), 1, bytes(32), 5)
    inbound = InboundMessage(3, 11, 1, 2, 4, 0, bytes(32), bytes(32), 7, b"hi")
    header = SidechainHeader(3, 11, bytes(32), 9, bytes(32), 1, bytes(32), bytes(32), 0, bytes(32), bytes(32))
    signed = b'{"checkpoint": "' + encode_checkpoint(Checkpoint(header, bytes(96))).hex().encode()
    leaf = encode(OUTBOX_ENTRY_CODEC, OutboxEntry(0, 0, b"\x51", 5, b""))
    entries = b'["' + leaf.hex().encode() + b'"]'
    return {
        "seed-inputs": _row("inputs", pair, encode_inputs((deposit, inbound))),
        "seed-signed": _row("signed", pair + compute_header_hash(header), signed + b'", "on_chain": true}'),
        "seed-outbox": _row("outbox", pair + merkle_root([leaf]), entries),
        "seed-near-other-chain-input": _row(
            "inputs", (4).to_bytes(8, "big") + pair[8:], encode_inputs((deposit,))
        ),
        "seed-near-signed-key": _row("signed", pair + bytes(32), signed + b'", "on_chain": false}'),
        "seed-near-outbox-root": _row("outbox", pair + bytes(32), entries),
    }


def watch_store_seeds() -> dict[str, dict[str, bytes]]:
    """Seeds: one sound row of each kind, and near misses of each."""
    header = bytes.fromhex("03") + bytes(200)
    seeds = {
        "seed-block": _row("block", (3).to_bytes(8, "big") + bytes(32), encode_block(SOUND)),
        "seed-header": _row("header", bytes(16), header),
        "seed-challenged": _row(
            "challenged", bytes(32), b'{"trace": ["' + b"00" * 32 + b'"], "posted": true}'
        ),
        "seed-defended": _row(
            "defended", bytes(32), b'{"block": "' + SOUND_KEY.hex().encode() + b'", "trace": []}'
        ),
        "seed-posted": _row("posted", b"\x6a", b"12"),
        "seed-meta": _row("meta", b"scanned", b"104"),
        "seed-near-short-root": _row("challenged", bytes(32), b'{"trace": ["00"], "posted": false}'),
        "seed-near-bad-hex": _row(
            "block", bytes(40), b'{"height": 1, "txs": ["zz"], "credits": [], "nodes": []}'
        ),
        "seed-near-orphan-defence": _row(
            "defended", bytes(32), b'{"block": "' + b"11" * 40 + b'", "trace": []}'
        ),
        "seed-near-meta": _row("meta", b"other", b"1"),
        "seed-near-huge-height": _row(
            "block", bytes(40), b'{"height": 1e400, "txs": [], "credits": [], "nodes": []}'
        ),
        "seed-near-deep": _row("challenged", bytes(32), b"[" * 5000),
        **_evidence_seeds(),
    }
    return {"watch_store_load": seeds}

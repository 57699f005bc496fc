"""SQLite storage of the reference node: blocks, the best-chain index, UTXO set and ticket pool.

The node never decides validity here: :meth:`ChainStore.import_block` asks
:func:`spec.chain.state.apply_block` for the next state and then writes the *difference* between
the two states in one SQLite transaction. Either the whole block is stored (block, index row,
UTXO and ticket changes, chain metadata) or none of it is, so after a crash at any instant the
store holds exactly the states after blocks ``0..k`` for some ``k``: reopening it gives the same
state as replaying those ``k + 1`` blocks with the spec (tested with ``kill -9`` in
``tests/test_reference_storage.py``).

Durability: WAL journal with ``synchronous=FULL``, so a committed block survives power loss too.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping
from pathlib import Path

from spec.chain.block import Block, decode_block, encode_block
from spec.chain.state import BlockContext, ChainState, apply_block, initial_state
from spec.chain.tickets import Ticket
from spec.ledger.state import decode_entry, decode_outpoint, encode_entry, encode_outpoint
from spec.ledger.transaction import OutPoint
from spec.ledger.utxo import UtxoEntry
from spec.presets import Preset

SCHEMA = """
CREATE TABLE IF NOT EXISTS blocks (
    hash BLOB PRIMARY KEY,
    height INTEGER NOT NULL,
    parent BLOB NOT NULL,
    timestamp INTEGER NOT NULL,
    data BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS best_chain (height INTEGER PRIMARY KEY, hash BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS utxos (outpoint BLOB PRIMARY KEY, entry BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS tickets (
    outpoint BLOB PRIMARY KEY,
    purchase_height INTEGER NOT NULL,
    voting_key BLOB NOT NULL,
    owner_key_hash BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
"""

_META_INTS = ("height", "bits", "ticket_price", "treasury", "cumulative_work")


def _diff(
    before: Mapping[OutPoint, object], after: Mapping[OutPoint, object]
) -> tuple[list[OutPoint], list[OutPoint]]:
    """Keys removed from ``before`` and keys added or changed in ``after``."""
    removed = [k for k in before if k not in after]
    added = [k for k, v in after.items() if before.get(k) != v]
    return removed, added


class ChainStore:
    """The node's persistent chain state (one SQLite file)."""

    def __init__(self, path: Path, preset: Preset) -> None:
        self.preset = preset
        self.path = path
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(SCHEMA)
        self._state = self._load_state()

    @property
    def state(self) -> ChainState:
        """The state after the best stored block (``initial_state`` for an empty store)."""
        return self._state

    def close(self) -> None:
        """Close the database."""
        self.db.close()

    # ---------------------------------------------------------------------------- reading

    def _meta(self) -> dict[str, bytes]:
        return {str(k): bytes(v) for k, v in self.db.execute("SELECT key, value FROM meta")}

    def _load_state(self) -> ChainState:
        meta = self._meta()
        if "tip_hash" not in meta:
            return initial_state(self.preset)
        ints = {name: int(meta[name].decode()) for name in _META_INTS}
        utxos = {
            decode_outpoint(bytes(o), self.preset): decode_entry(bytes(e), self.preset)
            for o, e in self.db.execute("SELECT outpoint, entry FROM utxos")
        }
        tickets: dict[OutPoint, Ticket] = {}
        for raw, height, voting_key, owner in self.db.execute(
            "SELECT outpoint, purchase_height, voting_key, owner_key_hash FROM tickets"
        ):
            outpoint = decode_outpoint(bytes(raw), self.preset)
            tickets[outpoint] = Ticket(outpoint, int(height), bytes(voting_key), bytes(owner))
        timestamps = tuple(
            int(t)
            for (t,) in self.db.execute(
                "SELECT b.timestamp FROM best_chain c JOIN blocks b ON b.hash = c.hash ORDER BY c.height"
            )
        )
        return ChainState(
            tip_hash=meta["tip_hash"],
            height=ints["height"],
            bits=ints["bits"],
            timestamps=timestamps,
            utxos=utxos,
            tickets=tickets,
            ticket_price=ints["ticket_price"],
            treasury=ints["treasury"],
            cumulative_work=ints["cumulative_work"],
        )

    def best_chain(self) -> Iterator[Block]:
        """The stored blocks of the best chain, genesis first."""
        for (data,) in self.db.execute(
            "SELECT b.data FROM best_chain c JOIN blocks b ON b.hash = c.hash ORDER BY c.height"
        ):
            yield decode_block(bytes(data), self.preset)

    # ---------------------------------------------------------------------------- writing

    def import_block(self, block: Block, context: BlockContext) -> ChainState:
        """Validate ``block`` on the tip with the spec and store it atomically; return the new state."""
        before = self._state
        after = apply_block(before, block, context, self.preset)
        removed_utxos, added_utxos = _diff(before.utxos, after.utxos)
        removed_tickets, added_tickets = _diff(before.tickets, after.tickets)
        header = block.header
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.execute(
                "INSERT OR REPLACE INTO blocks (hash, height, parent, timestamp, data) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    after.tip_hash,
                    header.height,
                    header.previous_block_hash,
                    header.timestamp,
                    encode_block(block, self.preset),
                ),
            )
            self.db.execute(
                "INSERT OR REPLACE INTO best_chain (height, hash) VALUES (?, ?)",
                (header.height, after.tip_hash),
            )
            self.db.executemany(
                "DELETE FROM utxos WHERE outpoint = ?",
                [(encode_outpoint(o, self.preset),) for o in removed_utxos],
            )
            self.db.executemany(
                "INSERT OR REPLACE INTO utxos (outpoint, entry) VALUES (?, ?)",
                [
                    (encode_outpoint(o, self.preset), encode_entry(after.utxos[o], self.preset))
                    for o in added_utxos
                ],
            )
            self.db.executemany(
                "DELETE FROM tickets WHERE outpoint = ?",
                [(encode_outpoint(o, self.preset),) for o in removed_tickets],
            )
            self.db.executemany(
                "INSERT OR REPLACE INTO tickets (outpoint, purchase_height, voting_key, owner_key_hash) "
                "VALUES (?, ?, ?, ?)",
                [
                    (
                        encode_outpoint(o, self.preset),
                        after.tickets[o].purchase_height,
                        after.tickets[o].voting_key,
                        after.tickets[o].owner_key_hash,
                    )
                    for o in added_tickets
                ],
            )
            meta: dict[str, bytes] = {"tip_hash": after.tip_hash}
            meta.update({name: str(getattr(after, name)).encode() for name in _META_INTS})
            self.db.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", list(meta.items()))
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self._state = after
        return after


def replay(blocks: Iterator[Block] | list[Block], preset: Preset) -> ChainState:
    """The spec's state after ``blocks`` from genesis (each checked against its own timestamp as clock)."""
    state = initial_state(preset)
    for block in blocks:
        state = apply_block(state, block, BlockContext(now=block.header.timestamp), preset)
    return state


def utxo_entries(state: ChainState) -> dict[OutPoint, UtxoEntry]:
    """A plain-dict copy of a state's UTXO set (for comparisons)."""
    return dict(state.utxos)

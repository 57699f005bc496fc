"""SQLite storage of the reference node: blocks, block index, best chain, UTXO set, ticket pool, undo.

The node never decides validity here: connecting a block asks :func:`spec.chain.state.apply_block`
for the next state, and the store writes the *difference* between the two states, together with
the undo record that reverses it, in one SQLite transaction. Either a block is connected entirely
(block, best-chain row, UTXO and ticket changes, chain metadata, undo) or not at all, so after a
crash at any instant the store holds exactly the state after blocks ``0..k`` of its best chain;
reopening it gives the same state as replaying them with the spec (``tests/test_reference_storage.py``
kills the importer with ``kill -9`` to check this).

Side branches: a block whose parent is known but is not the tip is stored only after the checks
that need no UTXO set: its whole body against what the header commits to
(:func:`spec.chain.block.check_block_shape`: Merkle root of the wtxids, votes root, size, coinbase,
TX-1..6) and its header against its own branch's ancestry
(:func:`spec.p2p.sync.connect_headers`: HDR-2..4, POW-4 retarget, POW-1/2 proof of work). A block
failing either is not stored at all and never marks its hash or branch invalid: a peer sending
the real header of a competing block with a tampered body cannot poison the honest block
(``invalid`` is only ever set on a block whose body is the one its hash commits to). Side-branch
storage is bounded (``max_side_blocks``, ``max_side_bytes``): over the bound, the side leaf with the
least cumulative work (invalid blocks first) is deleted, or the new block is refused if it has
the least. A side block whose parent does not descend from the finalized block can never be
chosen (FORK-2) and is not stored either. Opening a store deletes any block marked invalid whose
body does not match its header (left by versions before this check) together with its
descendants, so such a store heals. :meth:`ChainStore.accept_block` then asks
the spec's fork choice (:func:`spec.chain.forkchoice.choose_tip`) for the best tip; if it is on
another branch the store disconnects blocks down to the fork point with their undo records and
connects the new branch, validating every block; a block that fails is marked invalid (with its
descendants) and the previous best branch is restored.

Trie nodes: the store keeps the state trie the tip's header commits to (STATE-1, the UTXO set,
before fork ``state_trie``; STATE-2..4, every committed item, from it; spec/chain/commitment.py) in
the ``trie_nodes`` table, ``hash -> RLP`` of the root and of every node referenced by hash (inline
nodes live inside their parents), with ``refs``: how many places of the current trie hold the node
(two places can hold equal nodes). The store's state carries that trie (``ChainState.commitment``,
STATE-6), so connecting a block is the spec's own incremental update: ``apply_block`` returns the
new trie (only the changed paths rebuilt) and the outpoints the block touched, and the store writes
those UTXO rows (no scan of the UTXO map). A disconnect applies the undo record's changes to the
trie the same way (``advance_commitment``). Either way the store asks
:func:`spec.trie.stored_node_changes` which nodes appeared and disappeared, adds those counts in the
same transaction as the rest of the block, and deletes nodes whose count reaches 0. So the table
holds exactly the nodes of the current best state's trie; nothing of earlier states is kept, and no
separate collection pass is needed. Before writing, the store checks that the root it
maintains is the ``state_root`` of the header the spec has just validated (for a disconnect: of
the new tip's header) and raises ``TrieStoreError`` if not: that would be a bug in the store,
never a property of the block. Opening the store reads the trie back from the table
(``Trie.from_store``, every node hash-checked against the tip's state root); a database written
before the table existed gets its nodes once from the UTXO set. :meth:`ChainStore.utxo_proof` and
:meth:`ChainStore.utxo_from_trie` read a UTXO entry and its proof (MPT-10) through the stored nodes.

Durability: WAL journal with ``synchronous=FULL``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from itertools import accumulate
from pathlib import Path

from reference.statecodec import (
    decode_deployments,
    decode_governance,
    decode_masternodes,
    decode_quorums,
    decode_sidechains,
    encode_deployments,
    encode_governance,
    encode_masternodes,
    encode_quorums,
    encode_sidechains,
)
from spec.chain.block import (
    Block,
    BlockHeader,
    block_hash,
    check_block_shape,
    decode_block,
    decode_header,
    encode_block,
    encode_header,
)
from spec.chain.commitment import advance_commitment, attach_commitment, build_commitment, utxo_key
from spec.chain.forkchoice import BlockIndexEntry, check_reorganisation, choose_tip, is_ancestor
from spec.chain.layout import StateLayout
from spec.chain.pow import decode_compact, work_of_target
from spec.chain.state import (
    GENESIS_PARENT,
    BlockContext,
    ChainState,
    apply_block,
    initial_state,
    tip_state_layout,
)
from spec.chain.tickets import Ticket
from spec.errors import SpecError
from spec.governance.proposals import EMPTY_STATE
from spec.ledger.state import decode_entry, decode_outpoint, encode_entry, encode_outpoint
from spec.ledger.transaction import OutPoint
from spec.ledger.utxo import UtxoEntry
from spec.masternode.finality import EMPTY_QUORUMS
from spec.masternode.registry import EMPTY_LIST
from spec.p2p.sync import HeaderChain, connect_headers
from spec.presets import Preset
from spec.sidechain.registry import EMPTY_SIDECHAINS
from spec.trie import RUSTY_TRIE_HASHER, Trie, prove_stored, stored_node_changes, verify_proof

SCHEMA = """
CREATE TABLE IF NOT EXISTS blocks (
    hash BLOB PRIMARY KEY,
    height INTEGER NOT NULL,
    parent BLOB NOT NULL,
    timestamp INTEGER NOT NULL,
    work TEXT NOT NULL,
    invalid INTEGER NOT NULL DEFAULT 0,
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
CREATE TABLE IF NOT EXISTS undo (hash BLOB PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS trie_nodes (
    hash BLOB PRIMARY KEY,
    refs INTEGER NOT NULL CHECK (refs >= 0),
    data BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS blocks_parent ON blocks (parent);
"""

PRUNE_SCHEMA = """
CREATE TABLE IF NOT EXISTS pruned (hash BLOB PRIMARY KEY, height INTEGER NOT NULL);
"""
"""Pruning (below): the best-chain blocks whose body and undo record were deleted (their ``blocks``
row keeps the header bytes only)."""

_META_INTS = ("height", "bits", "ticket_price", "treasury", "cumulative_work")
_META_BLOBS = ("masternodes", "governance", "quorums", "deployments", "sidechains")
"""Meta keys holding the masternode list and the governance state (reference/statecodec.py JSON)."""


MAX_SIDE_BLOCKS = 1_000
"""Node policy: blocks stored off the best chain (side branches and invalid blocks), at most."""
MAX_SIDE_BYTES = 256 * 1024 * 1024
"""Node policy: encoded bytes of the blocks stored off the best chain, at most (64 full devnet or
mainnet blocks of 4 MB)."""


_OFF_BEST = "NOT EXISTS (SELECT 1 FROM best_chain c WHERE c.height = b.height AND c.hash = b.hash)"
_SIDE_TOTALS = f"SELECT COUNT(*), COALESCE(SUM(length(b.data)), 0) FROM blocks b WHERE {_OFF_BEST}"
_SIDE_LEAVES = (
    f"SELECT b.hash, length(b.data), b.invalid, b.work FROM blocks b WHERE {_OFF_BEST} "
    "AND NOT EXISTS (SELECT 1 FROM blocks k WHERE k.parent = b.hash)"
)


class TrieStoreError(RuntimeError):
    """The stored trie disagrees with the state the spec validated (its root, or a node count): a bug."""


@dataclass(frozen=True)
class Accepted:
    """What :meth:`ChainStore.accept_block` did with a block."""

    outcome: str
    """"connected" | "side_branch" | "reorganised" | "duplicate" | "orphan" | "invalid" (nothing
    stored; ``error`` names the spec code) | "refused" (a valid side block not kept: below the
    finalized block, or the side-branch bound is full of blocks with more work)."""
    error: str | None = None
    disconnected: tuple[Block, ...] = ()
    """For "reorganised": the blocks that left the best chain, tip first (their transactions may
    go back to the mempool)."""


class StoredBlockIndex(Mapping[bytes, BlockIndexEntry]):
    """The block index (blocks not known to be invalid) read lazily from the ``blocks`` table."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __getitem__(self, hash_: bytes) -> BlockIndexEntry:
        row = self._db.execute(
            "SELECT parent, height, work FROM blocks WHERE hash = ? AND invalid = 0", (bytes(hash_),)
        ).fetchone()
        if row is None:
            raise KeyError(hash_)
        parent, height, work = row
        return BlockIndexEntry(bytes(hash_), bytes(parent), int(height), int(work, 16))

    def __iter__(self) -> Iterator[bytes]:
        for (hash_,) in self._db.execute("SELECT hash FROM blocks WHERE invalid = 0"):
            yield bytes(hash_)

    def __len__(self) -> int:
        row = self._db.execute("SELECT COUNT(*) FROM blocks WHERE invalid = 0").fetchone()
        return int(row[0])


class ChainStore:
    """The node's persistent chain state (one SQLite file)."""

    def __init__(
        self,
        path: Path,
        preset: Preset,
        max_side_blocks: int = MAX_SIDE_BLOCKS,
        max_side_bytes: int = MAX_SIDE_BYTES,
    ) -> None:
        self.preset = preset
        self.path = path
        self.max_side_blocks = max_side_blocks
        self.max_side_bytes = max_side_bytes
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(SCHEMA)
        self.db.executescript(PRUNE_SCHEMA)
        self._state = self._load_state()
        self._headers: dict[bytes, BlockHeader] = {}  # decoded headers by hash (immutable, safe to keep)
        self._best_chain: tuple[bytes, HeaderChain] | None = None  # the best chain's headers, by tip
        empty = BlockHeader(1, 0, bytes(32), bytes(32), bytes(32), bytes(32), 0, 0, 0)
        self._header_bytes = len(encode_header(empty, preset))  # HDR-0 is fixed-size; a block starts with it
        self._heal_poisoned()
        self.on_connect: list[Callable[[Block, ChainState], None]] = []
        self.on_connect_parent: list[Callable[[Block, ChainState], None]] = []
        """Hooks called with each connected block and the state it was connected on (its parent's)."""
        """Called after every block connected (mined, relayed or in a reorganisation) with the new state."""
        self._trie = self._load_trie()
        self._state = replace(
            self._state,
            commitment=attach_commitment(self._state, tip_state_layout(self._state, preset), self._trie),
        )

    @property
    def state(self) -> ChainState:
        """The state after the best connected block (``initial_state`` for an empty store)."""
        return self._state

    def close(self) -> None:
        """Close the database."""
        self.db.close()

    # ------------------------------------------------------------------------------- reading

    def _load_state(self) -> ChainState:
        meta = {str(k): bytes(v) for k, v in self.db.execute("SELECT key, value FROM meta")}
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
            masternodes=decode_masternodes(meta["masternodes"]) if "masternodes" in meta else EMPTY_LIST,
            governance=(
                decode_governance(meta["governance"], self.preset) if "governance" in meta else EMPTY_STATE
            ),
            quorums=decode_quorums(meta["quorums"]) if "quorums" in meta else EMPTY_QUORUMS,
            deployments=decode_deployments(meta["deployments"]) if "deployments" in meta else (),
            sidechains=decode_sidechains(meta["sidechains"]) if "sidechains" in meta else EMPTY_SIDECHAINS,
        )

    def _state_root_at(self, tip_hash: bytes) -> bytes:
        """The ``state_root`` of a stored block's header (the empty trie's root before genesis)."""
        if tip_hash == GENESIS_PARENT:
            return RUSTY_TRIE_HASHER.empty_root
        return self._header_of(tip_hash).state_root  # the header only: also for a pruned block

    def _load_trie(self) -> Trie:
        """The state trie read from ``trie_nodes`` (filled from the state if the table is new)."""
        root = self._state_root_at(self._state.tip_hash)
        nodes = {bytes(h): bytes(d) for h, d in self.db.execute("SELECT hash, data FROM trie_nodes")}
        if not nodes and root != RUSTY_TRIE_HASHER.empty_root:
            trie = build_commitment(self._state, tip_state_layout(self._state, self.preset), self.preset).trie
            self._check_root(trie, root)
            self.db.execute("BEGIN IMMEDIATE")
            try:
                self._write_trie_nodes(Trie(RUSTY_TRIE_HASHER), trie)
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            return trie
        return Trie.from_store(root, nodes.get, RUSTY_TRIE_HASHER)

    @property
    def state_root(self) -> bytes:
        """The root of the stored state trie (the best block's ``state_root``)."""
        return self._trie.root_hash

    def trie_node_counts(self) -> dict[bytes, tuple[bytes, int]]:
        """Every stored trie node: ``hash -> (RLP, number of places in the trie that hold it)``."""
        return {
            bytes(h): (bytes(d), int(r))
            for h, d, r in self.db.execute("SELECT hash, data, refs FROM trie_nodes")
        }

    def _stored_node(self, hash_: bytes) -> bytes | None:
        row = self.db.execute("SELECT data FROM trie_nodes WHERE hash = ?", (hash_,)).fetchone()
        return None if row is None else bytes(row[0])

    @property
    def state_layout(self) -> StateLayout:
        """What the tip's header commits to (STATE-1 before fork ``state_trie``, STATE-4 from it)."""
        return tip_state_layout(self._state, self.preset)

    def utxo_key(self, outpoint: OutPoint) -> bytes:
        """The trie key of ``outpoint`` under the tip's layout."""
        if self.state_layout is StateLayout.UTXO:
            return encode_outpoint(outpoint, self.preset)
        return utxo_key(outpoint, self.preset)

    def state_proof(self, key: bytes) -> tuple[bytes, tuple[bytes, ...]]:
        """``(state root, proof)``: the MPT-10 proof of ``key`` (inclusion or exclusion) in the tip's
        state trie, read node by node from ``trie_nodes``; check it with
        :func:`spec.chain.commitment.verify_state_proof`."""
        root = self.state_root
        return root, prove_stored(root, key, self._stored_node, RUSTY_TRIE_HASHER)

    def utxo_proof(self, outpoint: OutPoint) -> tuple[bytes, tuple[bytes, ...]]:
        """``(state root, proof)``: the MPT-10 proof of ``outpoint`` (inclusion or exclusion), read
        node by node from ``trie_nodes``; check it with :func:`spec.trie.verify_proof`."""
        return self.state_proof(self.utxo_key(outpoint))

    def utxo_from_trie(self, outpoint: OutPoint) -> UtxoEntry | None:
        """The UTXO entry of ``outpoint`` as the stored trie shows it (its proof verified, MPT-11)."""
        root, proof = self.utxo_proof(outpoint)
        value = verify_proof(root, self.utxo_key(outpoint), proof, RUSTY_TRIE_HASHER)
        return None if value is None else decode_entry(value, self.preset)

    def best_chain(self) -> Iterator[Block]:
        """The connected blocks of the best chain whose bodies are stored, genesis first (on a pruned
        store: from the lowest height not pruned)."""
        for (data,) in self.db.execute(
            "SELECT b.data FROM best_chain c JOIN blocks b ON b.hash = c.hash "
            "WHERE NOT EXISTS (SELECT 1 FROM pruned p WHERE p.hash = c.hash) ORDER BY c.height"
        ):
            yield decode_block(bytes(data), self.preset)

    def best_hashes(self) -> list[bytes]:
        """Hashes of the best chain by height."""
        return [bytes(h) for (h,) in self.db.execute("SELECT hash FROM best_chain ORDER BY height")]

    def best_headers(self) -> list[BlockHeader]:
        """Headers of the best chain by height (each header decoded once, then kept in memory; a
        pruned block keeps its header)."""
        return [self._header_of(hash_) for hash_ in self.best_hashes()]

    def best_hash_at(self, height: int) -> bytes | None:
        """The hash of the best chain's block at ``height`` (``None`` above the tip or below genesis)."""
        row = self.db.execute("SELECT hash FROM best_chain WHERE height = ?", (height,)).fetchone()
        return None if row is None or height > self._state.height else bytes(row[0])

    def block(self, hash_: bytes) -> Block | None:
        """A stored block by hash (``None`` if unknown or pruned: its body is gone, see :meth:`is_pruned`)."""
        row = self.db.execute(
            "SELECT data FROM blocks WHERE hash = ? AND NOT EXISTS (SELECT 1 FROM pruned p WHERE p.hash = ?)",
            (hash_, hash_),
        ).fetchone()
        return None if row is None else decode_block(bytes(row[0]), self.preset)

    def has_pruned(self) -> bool:
        """Whether any block body was pruned (by a :class:`PruningStore`, now or in an earlier run)."""
        return self.db.execute("SELECT 1 FROM pruned LIMIT 1").fetchone() is not None

    def has_block(self, hash_: bytes) -> bool:
        """Whether the block is stored (valid, side-branch or invalid)."""
        return self.db.execute("SELECT 1 FROM blocks WHERE hash = ?", (hash_,)).fetchone() is not None

    def stored_index(self) -> StoredBlockIndex:
        """The block index as a mapping read from SQLite on demand (one row per lookup), for callers
        that look at a few entries (finality checks walk parents) rather than all of them."""
        return StoredBlockIndex(self.db)

    def block_index(self) -> dict[bytes, BlockIndexEntry]:
        """Every stored block not known to be invalid, as fork choice sees it."""
        return {
            bytes(h): BlockIndexEntry(bytes(h), bytes(p), int(height), int(work, 16))
            for h, p, height, work in self.db.execute(
                "SELECT hash, parent, height, work FROM blocks WHERE invalid = 0"
            )
        }

    # ------------------------------------------------------------------------------- writing

    def _write_block_row(self, block: Block, work: int) -> bytes:
        hash_ = block_hash(block.header, self.preset)
        self.db.execute(
            "INSERT OR IGNORE INTO blocks (hash, height, parent, timestamp, work, data) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                hash_,
                block.header.height,
                block.header.previous_block_hash,
                block.header.timestamp,
                f"{work:x}",
                encode_block(block, self.preset),
            ),
        )
        return hash_

    @staticmethod
    def _utxo_changes(
        before: ChainState, after: ChainState, touched: Iterable[OutPoint]
    ) -> tuple[list[OutPoint], list[OutPoint]]:
        """Of the outpoints the block touched (STATE-6): those ``after`` no longer holds, and those it
        adds or changes (an output created and spent in the same block is neither)."""
        candidates = list(dict.fromkeys(touched))
        removed = [o for o in candidates if o in before.utxos and o not in after.utxos]
        added = [o for o in candidates if o in after.utxos and before.utxos.get(o) != after.utxos[o]]
        return removed, added

    def _check_root(self, trie: Trie, expected: bytes) -> None:
        if trie.root_hash != expected:
            raise TrieStoreError(
                f"stored trie root {trie.root_hash.hex()} is not the validated state root {expected.hex()}"
            )

    def _write_trie_nodes(self, old: Trie, new: Trie) -> None:
        """Replace ``old``'s nodes by ``new``'s in ``trie_nodes`` (inside a transaction)."""
        changes = stored_node_changes(old, new)
        self.db.executemany(
            "INSERT INTO trie_nodes (hash, refs, data) VALUES (?, ?, ?) "
            "ON CONFLICT (hash) DO UPDATE SET refs = refs + excluded.refs",
            [(digest, count, data) for digest, data, count in changes if count > 0],
        )
        released = [(count, digest) for digest, _, count in changes if count < 0]
        cursor = self.db.executemany("UPDATE trie_nodes SET refs = refs + ? WHERE hash = ?", released)
        if released and cursor.rowcount != len(released):
            raise TrieStoreError("a trie node to release is not stored")
        self.db.executemany("DELETE FROM trie_nodes WHERE hash = ? AND refs = 0", [(d,) for _, d in released])

    def _write_state_change(
        self,
        before: ChainState,
        after: ChainState,
        removed_utxos: list[OutPoint],
        added_utxos: list[OutPoint],
    ) -> dict[str, object]:
        """Write ``after`` over ``before`` (inside a transaction); return the undo record."""
        removed_tickets = [o for o in before.tickets if o not in after.tickets]
        added_tickets = [o for o, t in after.tickets.items() if before.tickets.get(o) != t]
        enc = self.preset
        self.db.executemany(
            "DELETE FROM utxos WHERE outpoint = ?", [(encode_outpoint(o, enc),) for o in removed_utxos]
        )
        self.db.executemany(
            "INSERT OR REPLACE INTO utxos (outpoint, entry) VALUES (?, ?)",
            [(encode_outpoint(o, enc), encode_entry(after.utxos[o], enc)) for o in added_utxos],
        )
        self.db.executemany(
            "DELETE FROM tickets WHERE outpoint = ?", [(encode_outpoint(o, enc),) for o in removed_tickets]
        )
        self.db.executemany(
            "INSERT OR REPLACE INTO tickets (outpoint, purchase_height, voting_key, owner_key_hash) "
            "VALUES (?, ?, ?, ?)",
            [
                (encode_outpoint(o, enc), t.purchase_height, t.voting_key, t.owner_key_hash)
                for o, t in ((o, after.tickets[o]) for o in added_tickets)
            ],
        )
        self._write_meta(after)
        return {
            "utxos": [
                [encode_outpoint(o, enc).hex(), encode_entry(before.utxos[o], enc).hex()]
                for o in removed_utxos
            ],
            "created": [encode_outpoint(o, enc).hex() for o in added_utxos if o not in before.utxos],
            "tickets": [
                [encode_outpoint(o, enc).hex(), t.purchase_height, t.voting_key.hex(), t.owner_key_hash.hex()]
                for o, t in ((o, before.tickets[o]) for o in removed_tickets)
            ],
            "bought": [encode_outpoint(o, enc).hex() for o in added_tickets if o not in before.tickets],
            "meta": {
                "tip_hash": before.tip_hash.hex(),
                **{n: str(getattr(before, n)) for n in _META_INTS},
                **{n: v.decode() for n, v in self._meta_blobs(before).items()},
            },
        }

    def _meta_blobs(self, state: ChainState) -> dict[str, bytes]:
        return {
            "masternodes": encode_masternodes(state.masternodes),
            "governance": encode_governance(state.governance, self.preset),
            "quorums": encode_quorums(state.quorums),
            "deployments": encode_deployments(state.deployments),
            "sidechains": encode_sidechains(state.sidechains),
        }

    def _write_meta(self, state: ChainState) -> None:
        meta: dict[str, bytes] = {"tip_hash": state.tip_hash}
        meta.update({name: str(getattr(state, name)).encode() for name in _META_INTS})
        meta.update(self._meta_blobs(state))
        self.db.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", list(meta.items()))

    def import_block(self, block: Block, context: BlockContext) -> ChainState:
        """Connect ``block`` on the tip (validated by the spec) atomically; return the new state."""
        before = self._state
        after = apply_block(before, block, context, self.preset)
        if after.commitment is None:
            raise TrieStoreError("the spec returned a state without its commitment")
        removed, added = self._utxo_changes(before, after, after.commitment.touched_utxos)
        trie = after.commitment.trie
        self._check_root(trie, block.header.state_root)
        self.db.execute("BEGIN IMMEDIATE")
        try:
            hash_ = self._write_block_row(block, after.cumulative_work)
            self.db.execute("UPDATE blocks SET invalid = 0 WHERE hash = ?", (hash_,))
            self.db.execute(
                "INSERT OR REPLACE INTO best_chain (height, hash) VALUES (?, ?)", (block.header.height, hash_)
            )
            undo = self._write_state_change(before, after, removed, added)
            self.db.execute(
                "INSERT OR REPLACE INTO undo (hash, data) VALUES (?, ?)", (hash_, json.dumps(undo))
            )
            self._write_trie_nodes(self._trie, trie)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self._state = after
        self._trie = trie
        for parent_hook in self.on_connect_parent:
            parent_hook(block, before)
        for hook in self.on_connect:
            hook(block, after)
        return after

    def install_snapshot(self, state: ChainState, headers: list[BlockHeader], chain: HeaderChain) -> None:
        """Fast sync (P2P-SYNC-4): make an empty store hold ``state``, the state after the last of
        ``headers`` rebuilt from a verified snapshot (``spec.p2p.sync.snapshot_state``), in one
        transaction. ``headers`` are the validated header chain ``chain`` (P2P-SYNC-3) up to the
        snapshot block: each gets a ``blocks`` row holding its header bytes only, a ``best_chain``
        row and a ``pruned`` row, exactly what pruning leaves of an old block (no body, no undo
        record), so the node behaves as a pruned node below the snapshot. The UTXO and ticket rows,
        the meta rows and the trie nodes are the state's; the trie is built from the state's items
        (STATE-4) and its root must be the snapshot header's ``state_root`` (``TrieStoreError`` if not)."""
        if self._state.height >= 0:
            raise RuntimeError("a snapshot is installed only in an empty store")
        if len(headers) != state.height + 1 or chain.height < state.height:
            raise RuntimeError("the headers do not reach the snapshot's height")
        if chain.hashes[state.height] != state.tip_hash:
            raise RuntimeError("the snapshot's block is not on the header chain")
        layout = tip_state_layout(state, self.preset)
        commitment = build_commitment(state, layout, self.preset)
        self._check_root(commitment.trie, headers[-1].state_root)
        enc = self.preset
        self.db.execute("BEGIN IMMEDIATE")
        try:
            for height, header in enumerate(headers):
                hash_ = chain.hashes[height]
                self.db.execute(
                    "INSERT OR REPLACE INTO blocks (hash, height, parent, timestamp, work, data) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        hash_,
                        height,
                        header.previous_block_hash,
                        header.timestamp,
                        f"{chain.work[height]:x}",
                        encode_header(header, enc),
                    ),
                )
                self.db.execute(
                    "INSERT OR REPLACE INTO best_chain (height, hash) VALUES (?, ?)", (height, hash_)
                )
                self.db.execute("INSERT OR REPLACE INTO pruned (hash, height) VALUES (?, ?)", (hash_, height))
            self.db.executemany(
                "INSERT INTO utxos (outpoint, entry) VALUES (?, ?)",
                [(encode_outpoint(o, enc), encode_entry(e, enc)) for o, e in state.utxos.items()],
            )
            self.db.executemany(
                "INSERT INTO tickets (outpoint, purchase_height, voting_key, owner_key_hash) "
                "VALUES (?, ?, ?, ?)",
                [
                    (encode_outpoint(o, enc), t.purchase_height, t.voting_key, t.owner_key_hash)
                    for o, t in state.tickets.items()
                ],
            )
            self._write_meta(state)
            self._write_trie_nodes(self._trie, commitment.trie)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self._state = replace(state, commitment=commitment)
        self._trie = commitment.trie
        self._best_chain = None

    def disconnect_tip(self) -> ChainState:
        """Undo the tip block atomically (it stays stored as a side-branch block); return the new state."""
        tip = self._state.tip_hash
        row = self.db.execute("SELECT data FROM undo WHERE hash = ?", (tip,)).fetchone()
        if row is None:
            raise RuntimeError("no block to disconnect")
        undo = json.loads(row[0])
        before = self._state
        touched_utxos = [
            decode_outpoint(bytes.fromhex(o), self.preset)
            for o in (*undo["created"], *(o for o, _ in undo["utxos"]))
        ]
        touched_tickets = [
            decode_outpoint(bytes.fromhex(o), self.preset)
            for o in (*undo["bought"], *(t[0] for t in undo["tickets"]))
        ]
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.executemany(
                "DELETE FROM utxos WHERE outpoint = ?", [(bytes.fromhex(o),) for o in undo["created"]]
            )
            self.db.executemany(
                "INSERT OR REPLACE INTO utxos (outpoint, entry) VALUES (?, ?)",
                [(bytes.fromhex(o), bytes.fromhex(e)) for o, e in undo["utxos"]],
            )
            self.db.executemany(
                "DELETE FROM tickets WHERE outpoint = ?", [(bytes.fromhex(o),) for o in undo["bought"]]
            )
            self.db.executemany(
                "INSERT OR REPLACE INTO tickets (outpoint, purchase_height, voting_key, owner_key_hash) "
                "VALUES (?, ?, ?, ?)",
                [(bytes.fromhex(o), h, bytes.fromhex(v), bytes.fromhex(w)) for o, h, v, w in undo["tickets"]],
            )
            meta = undo["meta"]
            self.db.execute("DELETE FROM best_chain WHERE height = ?", (self._state.height,))
            self.db.execute("DELETE FROM undo WHERE hash = ?", (tip,))
            if self._state.height == 0:
                self.db.execute("DELETE FROM meta")
            else:
                rows = [("tip_hash", bytes.fromhex(meta["tip_hash"]))]
                rows += [(name, str(meta[name]).encode()) for name in _META_INTS]
                rows += [(name, str(meta[name]).encode()) for name in _META_BLOBS if name in meta]
                stale = [(name,) for name in _META_BLOBS if name not in meta]
                self.db.executemany("DELETE FROM meta WHERE key = ?", stale)
                self.db.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", rows)
            restored = self._load_state()  # this connection reads its own uncommitted writes
            commitment = advance_commitment(
                before.commitment,
                before,
                restored,
                tip_state_layout(restored, self.preset),
                touched_utxos,
                touched_tickets,
                self.preset,
            )
            trie = commitment.trie
            self._check_root(trie, self._state_root_at(bytes.fromhex(undo["meta"]["tip_hash"])))
            self._write_trie_nodes(self._trie, trie)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self._state = replace(restored, commitment=commitment)
        self._trie = trie
        return self._state

    def _mark_invalid(self, hash_: bytes) -> None:
        """Mark a block and every stored descendant invalid."""
        pending = [hash_]
        while pending:
            current = pending.pop()
            self.db.execute("UPDATE blocks SET invalid = 1 WHERE hash = ?", (current,))
            pending.extend(
                bytes(h) for (h,) in self.db.execute("SELECT hash FROM blocks WHERE parent = ?", (current,))
            )

    def _branch(self, tip: bytes, index: Mapping[bytes, BlockIndexEntry]) -> list[bytes]:
        """Hashes from the first block not on the best chain up to ``tip``."""
        best = set(self.best_hashes())
        branch: list[bytes] = []
        current = tip
        while current in index and current not in best:
            branch.append(current)
            current = index[current].parent_hash
        return list(reversed(branch))

    def accept_block(
        self, block: Block, now: int, finalized: bytes | None = None, requested: bool = True
    ) -> Accepted:
        """Store ``block`` and follow the best valid chain (FORK-1/2), reorganising if needed.

        ``requested=False`` (a block nobody asked for, as Bitcoin Core's ``AcceptBlock``): a side
        block with less cumulative work than the tip is "refused" before any check or write.

        Nothing is stored under a block's hash before its body is checked against its header
        (``check_block_shape``) and, off the tip, its header against its branch (``connect_headers``):
        a block failing those is "invalid" with nothing written, so the honest block of that hash
        is still accepted when it comes.
        """
        hash_ = block_hash(block.header, self.preset)
        if self.has_block(hash_):
            return Accepted("duplicate")
        parent = block.header.previous_block_hash
        if block.header.height == self._state.height + 1 and parent == self._state.tip_hash:
            try:
                self.import_block(block, BlockContext(now=now))  # apply_block checks everything first
            except SpecError as exc:
                return Accepted("invalid", exc.code)
            return Accepted("connected")
        index = self.stored_index()
        parent_entry = index.get(parent)
        if parent == GENESIS_PARENT:
            parent_entry = BlockIndexEntry(GENESIS_PARENT, GENESIS_PARENT, -1, 0)
        if parent_entry is None or parent_entry.height + 1 != block.header.height:
            return Accepted("orphan")
        try:
            own_work = work_of_target(decode_compact(block.header.bits))
        except SpecError as exc:
            return Accepted("invalid", exc.code)
        if not requested and parent_entry.cumulative_work + own_work < self._state.cumulative_work:
            return Accepted("refused")
        try:
            check_block_shape(block, self.preset)  # the body is the one the header (and hash) commits to
            connect_headers(self._chain_to(parent, parent_entry.height), [block.header], now, self.preset)
        except SpecError as exc:
            return Accepted("invalid", exc.code)
        below_finality = finalized is not None and finalized in index and parent != GENESIS_PARENT
        if below_finality and finalized is not None and not is_ancestor(index, finalized, parent):
            return Accepted("refused")  # FORK-2: a branch that lost the finalized block is never chosen
        work = parent_entry.cumulative_work + own_work
        data = encode_block(block, self.preset)
        self.db.execute("BEGIN IMMEDIATE")
        try:
            if not self._make_side_room(len(data), work, keep=parent):
                self.db.execute("ROLLBACK")
                return Accepted("refused")
            self._write_block_row(block, work)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return self._follow_best(now, finalized)

    # ------------------------------------------------------------------------------- side branches

    def _header_of(self, hash_: bytes) -> BlockHeader:
        """A stored block's header, decoded from the first bytes of its row (cached)."""
        header = self._headers.get(hash_)
        if header is None:
            row = self.db.execute(
                "SELECT substr(data, 1, ?) FROM blocks WHERE hash = ?", (self._header_bytes, hash_)
            ).fetchone()
            if row is None:
                raise RuntimeError(f"block {hash_.hex()} missing")
            header = self._headers[hash_] = decode_header(bytes(row[0]), self.preset)
        return header

    def _best_header_chain(self) -> HeaderChain:
        """The best chain as P2P-SYNC-3's header chain (rebuilt when the tip moved)."""
        tip = self._state.tip_hash
        if self._best_chain is None or self._best_chain[0] != tip:
            headers = self.best_headers()
            chain = HeaderChain(
                tuple(self.best_hashes()),
                tuple(h.bits for h in headers),
                tuple(h.timestamp for h in headers),
                tuple(accumulate(work_of_target(decode_compact(h.bits)) for h in headers)),
            )
            self._best_chain = (tip, chain)
        return self._best_chain[1]

    def _chain_to(self, parent: bytes, height: int) -> HeaderChain:
        """The header chain from genesis to the stored block ``parent`` at ``height`` (its own branch:
        the best chain up to the fork point, then the side blocks up to ``parent``)."""
        best = self._best_header_chain()
        branch: list[BlockHeader] = []
        current = parent
        while height >= 0 and (height > best.height or best.hashes[height] != current):
            header = self._header_of(current)
            branch.append(header)
            current, height = header.previous_block_hash, height - 1
        end = height + 1
        hashes, bits = list(best.hashes[:end]), list(best.bits[:end])
        timestamps, work = list(best.timestamps[:end]), list(best.work[:end])
        for header in reversed(branch):
            hashes.append(block_hash(header, self.preset))
            bits.append(header.bits)
            timestamps.append(header.timestamp)
            work.append((work[-1] if work else 0) + work_of_target(decode_compact(header.bits)))
        return HeaderChain(tuple(hashes), tuple(bits), tuple(timestamps), tuple(work))

    def side_blocks(self) -> tuple[int, int]:
        """``(count, bytes)`` of the blocks stored off the best chain (side branches and invalid)."""
        row = self.db.execute(_SIDE_TOTALS).fetchone()
        return int(row[0]), int(row[1])

    def _make_side_room(self, size: int, work: int, keep: bytes) -> bool:
        """Delete side leaves (invalid first, then least cumulative work; never ``keep``, the new
        block's parent) until a side block of ``size`` bytes and cumulative ``work`` fits the
        bounds; ``False`` (nothing deleted) if it would have to displace a block with at least its
        work. Inside a transaction."""
        count, total = self.side_blocks()
        victims: list[tuple[bytes, int]] = []
        if count + 1 > self.max_side_blocks or total + size > self.max_side_bytes:
            leaves = sorted(
                (
                    (int(invalid) == 0, int(leaf_work, 16), bytes(h), int(length))
                    for h, length, invalid, leaf_work in self.db.execute(_SIDE_LEAVES)
                ),
            )
            for valid, leaf_work, leaf, length in leaves:
                if leaf == keep:
                    continue
                if count + 1 <= self.max_side_blocks and total + size <= self.max_side_bytes:
                    break
                if valid and leaf_work >= work:
                    return False
                victims.append((leaf, length))
                count, total = count - 1, total - length
            if count + 1 > self.max_side_blocks or total + size > self.max_side_bytes:
                return False
        self.db.executemany("DELETE FROM blocks WHERE hash = ?", [(leaf,) for leaf, _ in victims])
        return True

    def _heal_poisoned(self) -> None:
        """Delete blocks marked invalid whose body does not match their header (a store written
        before bodies were checked could hold one), with their descendants: the honest block of
        that hash can then be accepted."""
        poisoned: list[bytes] = []
        for hash_, data in self.db.execute("SELECT hash, data FROM blocks WHERE invalid = 1").fetchall():
            try:
                check_block_shape(decode_block(bytes(data), self.preset), self.preset)
            except SpecError:
                poisoned.append(bytes(hash_))
        if not poisoned:
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            for hash_ in poisoned:
                pending = [hash_]
                while pending:
                    current = pending.pop()
                    pending.extend(
                        bytes(h)
                        for (h,) in self.db.execute("SELECT hash FROM blocks WHERE parent = ?", (current,))
                    )
                    self.db.execute("DELETE FROM blocks WHERE hash = ? AND invalid = 1", (current,))
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def _follow_best(self, now: int, finalized: bytes | None) -> Accepted:
        while True:
            index = self.block_index()
            best = choose_tip(index, [h for h in index if not self._has_child(h, index)], finalized)
            if best is None or best == self._state.tip_hash:
                return Accepted("side_branch")
            tip_keeps_finality = finalized is None or is_ancestor(index, finalized, self._state.tip_hash)
            if tip_keeps_finality and index[best].cumulative_work <= self._state.cumulative_work:
                return Accepted("side_branch")
            check_reorganisation(index, best, finalized)
            outcome = self._reorganise(best, index, now)
            if outcome is not None:
                return outcome

    def follow_finalized(self, finalized: bytes, now: int) -> Accepted:
        """FORK-2 after finality moved: leave a chain that lost the finalized block, whatever its work."""
        return self._follow_best(now, finalized)

    def _has_child(self, hash_: bytes, index: Mapping[bytes, BlockIndexEntry]) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM blocks WHERE parent = ? AND invalid = 0 LIMIT 1", (hash_,)
        ).fetchone()
        return row is not None

    def _reorganise(self, best: bytes, index: Mapping[bytes, BlockIndexEntry], now: int) -> Accepted | None:
        """Switch to ``best``; ``None`` if a block of the branch was invalid (the caller chooses again)."""
        branch = self._branch(best, index)
        fork_parent = index[branch[0]].parent_hash
        old_branch: list[Block] = []
        while self._state.tip_hash != fork_parent:
            old = self.block(self._state.tip_hash)
            if old is None:
                raise RuntimeError("best chain block missing")
            old_branch.append(old)
            self.disconnect_tip()
        for hash_ in branch:
            block = self.block(hash_)
            if block is None:
                raise RuntimeError("branch block missing")
            try:
                self.import_block(block, BlockContext(now=now))
            except SpecError:
                self._mark_invalid(hash_)
                while self._state.tip_hash != fork_parent:
                    self.disconnect_tip()
                for old in reversed(old_branch):
                    self.import_block(old, BlockContext(now=now))
                return None
        return Accepted("reorganised", disconnected=tuple(old_branch))


# ----------------------------------------------------------------------------------- pruning

PRUNE_FINALITY_MARGIN = 8
"""Node policy: blocks kept below the finalized block besides the last ``keep`` (never pruned above
``finalized height - PRUNE_FINALITY_MARGIN``)."""
PRUNE_BATCH = 16
"""Node policy: blocks pruned per step (one SQLite transaction), so a step is short and a node
interleaves it with its other work."""


def prune_limit(
    tip_height: int, keep: int, finalized_height: int | None, margin: int = PRUNE_FINALITY_MARGIN
) -> int:
    """The highest best-chain height whose body and undo record may be deleted (-1: none).

    A block is prunable when it is not among the last ``keep`` blocks (``height <= tip - keep``)
    *and* at least ``margin`` blocks below the finalized block, which must be on the best chain:
    a reorganisation never disconnects the finalized block (FORK-2), so the undo records below it
    are unreachable. Without a finalized block on the best chain nothing is pruned, whatever
    ``keep``: the chain could still be reorganised to any depth.
    """
    if finalized_height is None:
        return -1
    return max(-1, min(tip_height - keep, finalized_height - margin))


class PruningStore(ChainStore):
    """A :class:`ChainStore` that deletes old block bodies and undo records (``rusty node --prune N``).

    Each :meth:`prune_step` deletes the bodies (the ``blocks`` row keeps the header bytes, its
    height, parent, timestamp and work, so headers, locators, the block index and the timestamps of
    the state are unchanged) and the undo records of at most :data:`PRUNE_BATCH` best-chain blocks
    at or below :func:`prune_limit`, lowest first, and records them in ``pruned``, all in one SQLite
    transaction: a ``kill -9`` at any instant leaves either the step done or not begun. The chain
    state, the UTXO set, the tickets and the trie nodes are never touched (only the current state's
    trie nodes are stored anyway), so a pruned store's state equals a full store's.
    """

    def __init__(self, path: Path, preset: Preset, keep: int, **bounds: int) -> None:
        if keep < preset.network.pruned_serve_blocks:
            raise ValueError(
                f"--prune {keep} keeps fewer blocks than the {preset.network.pruned_serve_blocks} "
                "a pruned node serves (P2P-PRUNE-1, network.pruned_serve_blocks)"
            )
        super().__init__(path, preset, **bounds)
        self.keep = keep

    def is_pruned(self, hash_: bytes) -> bool:
        """Whether the block's body and undo record were deleted."""
        return self.db.execute("SELECT 1 FROM pruned WHERE hash = ?", (hash_,)).fetchone() is not None

    def pruned_height(self) -> int:
        """The highest pruned height (-1: nothing pruned); every best-chain block up to it is pruned."""
        row = self.db.execute("SELECT MAX(height) FROM pruned").fetchone()
        return -1 if row[0] is None else int(row[0])

    def finalized_height_on_best(self, finalized: bytes | None) -> int | None:
        """The height of ``finalized`` if it is on the best chain (``None`` otherwise)."""
        if finalized is None:
            return None
        row = self.db.execute("SELECT height FROM best_chain WHERE hash = ?", (finalized,)).fetchone()
        if row is None or int(row[0]) > self._state.height:
            return None
        return int(row[0])

    def prune_step(self, finalized: bytes | None, batch: int = PRUNE_BATCH) -> int:
        """Prune at most ``batch`` blocks (one transaction); return how many (0: nothing left to do)."""
        limit = prune_limit(self._state.height, self.keep, self.finalized_height_on_best(finalized))
        rows = self.db.execute(
            "SELECT c.height, c.hash FROM best_chain c WHERE c.height > ? AND c.height <= ? "
            "ORDER BY c.height LIMIT ?",
            (self.pruned_height(), limit, batch),
        ).fetchall()
        if not rows:
            return 0
        self.db.execute("BEGIN IMMEDIATE")
        try:
            for height, hash_ in rows:
                self.db.execute(
                    "UPDATE blocks SET data = substr(data, 1, ?) WHERE hash = ?", (self._header_bytes, hash_)
                )
                self.db.execute("DELETE FROM undo WHERE hash = ?", (hash_,))
                self.db.execute("INSERT INTO pruned (hash, height) VALUES (?, ?)", (hash_, height))
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return len(rows)

    def disconnect_tip(self) -> ChainState:
        if self.is_pruned(self._state.tip_hash):
            raise RuntimeError("the tip's undo record was pruned (a reorganisation below the pruning limit)")
        return super().disconnect_tip()


def replay(blocks: Iterator[Block] | list[Block], preset: Preset) -> ChainState:
    """The spec's state after ``blocks`` from genesis (each checked against its own timestamp as clock)."""
    state = initial_state(preset)
    for block in blocks:
        state = apply_block(state, block, BlockContext(now=block.header.timestamp), preset)
    return state

"""The node's sidechain side (issue 15 item 7, docs/node.md "Sidechains", docs/sidechains.md).

Every rule is the spec's: which deposits and inbound messages a mainchain block hands a sidechain
(SC-BLK-1..4, :func:`spec.chain.state.sidechain_outputs`), the sidechain block transition and the
producer's builder (SCB-1..6, :func:`spec.sidechain.chain.apply_sidechain_block`,
:func:`~spec.sidechain.chain.build_sidechain_block`), the checkpoint message and its threshold
signature (SC-HDR-3, SIGN-1..3), the mainchain's checkpoint checks (SC-CP-1..4) and the outbox proofs
a claim carries (SC-TX-2, SCB-4). This module decides *when* to call them and what to send:

* **following** for every registered sidechain (fork ``sidechains``) the node records the
  :class:`~spec.sidechain.header.Deposit` and :class:`~spec.sidechain.header.InboundMessage` items
  of each mainchain block it connects (by block hash, so a reorganisation only changes which are on
  the best chain), and keeps the sidechain's chain from its genesis: the empty VM state under a
  height-0 header with timestamp 0 and ``deposit_cursor = activation_height - 1`` (so deposits in
  the activation block itself are credited);
* **one block in flight** a sidechain block ``n + 1`` is produced only once block ``n``'s
  checkpoint is accepted on the mainchain (height 0, the genesis header, is checkpointed first);
  so the sidechain's chain is the checkpointed chain plus at most one block, and a node whose
  block ``n`` differs from the checkpointed one drops its own and adopts the checkpointed one;
* **proposer** the federation is the quorum of the sidechain's quorum type whose group key the
  chain committed for the next mainchain height (SC-CP-4); the proposer of sidechain height ``n``
  is ``qualified[n mod |qualified|]`` of that quorum's DKG result; it builds the block when it has
  pending sidechain transactions or mainchain inputs up to ``tip - peg_in_depth`` (SCB-2);
* **signing** every federation member that accepted the block at the next checkpoint height signs
  one threshold share of ``compute_checkpoint_message(header)`` with its DKG key share (SIGN-2),
  at most one header per sidechain height and group key (persisted before the share leaves, so
  SC-CP-5 equivocation cannot come from an honest member); shares travel as ``SignatureShare``
  quorum messages; any node that collects ``t`` of them recovers the signature (SIGN-3) and, if
  the checkpoint passes SC-CP-1..4 on its tip, queues the ``RCSC`` kind-1 transaction
  (spec/sidechain/transactions.py) paying a fee from its wallet; the mempool keeps one of the
  copies (SC-CP-1 rejects the rest);
* **transactions** a sidechain transaction is kept if the builder includes it on the node's tip
  (with the ones already pending), and flooded (P2P-SC-2); blocks are flooded (P2P-SC-1);
* **rotation** (SC-LIVE-1/2, spec/sidechain/liveness.py) the proposer of height ``n`` in round
  ``r`` is ``qualified[(n + r) mod |qualified|]``, the round advancing every
  ``proposer_timeout_blocks`` mainchain blocks after checkpoint ``n - 1`` was posted: a proposer
  that is down is skipped after one round;
* **fetch** (P2P-SC-3) a node whose tip is below the mainchain's latest checkpoint, or that holds a
  block beyond its tip, asks its peers for the missing heights (``GetSidechainBlocks``, at most
  ``max_blocks_per_request``, once per sidechain per mainchain block and start height); a peer
  answers with the blocks it has, to the asker only;
* **persisted shares** every checkpoint share the node accepted is stored (``sc_shares``) and
  reloaded into the signing session after a restart, and re-sent once;
* **watching** every block the node applies is handed to the ``on_applied`` hooks (the watcher of
  ``rusty node --watch-sidechains``, reference/watch_service.py); ``faulty`` (``--sidechain-fault``,
  a devnet test hook) makes a member sign one forged header per sidechain: a wrong trace for the
  first block with transactions (:func:`forge_header`, reverted by a lost game) or, with
  ``--sidechain-fault=credits``, wrong credits for the first block crediting an input
  (:func:`forge_credits`, reverted by a wrong-credits proof); once it is reverted, the honest
  header of that height.

What is not done: EVM and WASM sidechains are followed only through the spec's VM table
(FerrisScript today); a split of the members' shares between a late proposer's block and the next
round's block stalls that height (SC-LIVE-3).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from hashlib import sha256

from spec.chain.block import Block, block_hash
from spec.chain.state import ChainState, sidechain_outputs
from spec.encoding import decode, encode
from spec.errors import SpecError
from spec.ledger.transaction import Transaction, TxOutput
from spec.masternode.dkg import DkgResult
from spec.masternode.signing import (
    SIGNATURE_SHARE_CODEC,
    SignatureShare,
    SigningSession,
    add_signature_share,
    make_signature_share,
    start_signing,
    try_recover,
)
from spec.p2p.messages import GetSidechainBlocks, SidechainBlockMessage, SidechainTxMessage
from spec.presets import Preset
from spec.script import p2pkh_script
from spec.sidechain.chain import (
    BlockResult,
    MainchainInputs,
    SidechainBlock,
    SidechainState,
    apply_sidechain_block,
    build_sidechain_block,
    compute_outbox_proof,
    compute_outbox_root,
    compute_trace_root,
    decode_sidechain_block,
    encode_sidechain_block,
    genesis_state,
)
from spec.sidechain.checkpoint import check_checkpoint, federation_keys
from spec.sidechain.header import (
    DEPOSIT_CODEC,
    INBOUND_MESSAGE_CODEC,
    BlockCredit,
    Checkpoint,
    Deposit,
    InboundMessage,
    SidechainHeader,
    VoidedInput,
    compute_checkpoint_message,
    compute_credits_root,
    compute_header_hash,
    encode_checkpoint,
    get_cursor_after_refunds,
)
from spec.sidechain.liveness import compute_round, get_proposer
from spec.sidechain.registry import SidechainRecord, get_bounded_cursor
from spec.sidechain.transactions import (
    OutboxProof,
    SidechainMessage,
    WithdrawalClaim,
)
from spec.trie import keccak256
from spec.vm.ferris import (
    FerrisTransaction,
    FerrisTxKind,
    compute_account_id,
    compute_gas,
    get_account,
    p2pkh_locking_script,
    sign_transaction,
)
from spec.vm.ferris import decode_transaction as decode_ferris
from spec.vm.ferris import encode_transaction as encode_ferris
from spec.vm.interface import OUTBOX_ENTRY_CODEC, OutboxEntry, OutboxKind, TxOutcome, VmKind

SCHEMA = """
CREATE TABLE IF NOT EXISTS sc_inputs (
    block_hash BLOB NOT NULL, height INTEGER NOT NULL, kind INTEGER NOT NULL, data BLOB NOT NULL,
    UNIQUE (block_hash, kind, data)
);
CREATE TABLE IF NOT EXISTS sc_blocks (
    sidechain_id INTEGER NOT NULL, height INTEGER NOT NULL, hash BLOB NOT NULL, data BLOB NOT NULL,
    PRIMARY KEY (sidechain_id, hash)
);
CREATE TABLE IF NOT EXISTS sc_pool (
    position INTEGER PRIMARY KEY, sidechain_id INTEGER NOT NULL, data BLOB NOT NULL,
    UNIQUE (sidechain_id, data)
);
CREATE TABLE IF NOT EXISTS sc_signed (
    sidechain_id INTEGER NOT NULL, height INTEGER NOT NULL, group_key BLOB NOT NULL,
    header_hash BLOB NOT NULL, PRIMARY KEY (sidechain_id, height, group_key)
);
CREATE TABLE IF NOT EXISTS sc_shares (
    message BLOB NOT NULL, quorum_id BLOB NOT NULL, signer INTEGER NOT NULL, data BLOB NOT NULL,
    PRIMARY KEY (message, quorum_id, signer)
);
"""

GENESIS_TIMESTAMP = 0
"""The timestamp of every sidechain's height-0 header (a constant, so every node derives one genesis)."""

OVERDRAW_SENDER = sha256(b"rusty-overdrawing-federation").digest()
"""``--sidechain-fault=overdraw``: the account the forged withdrawal names as its sender."""

OVERDRAW_RECIPIENT = p2pkh_script(OVERDRAW_SENDER)
"""``--sidechain-fault=overdraw``: the script the forged withdrawal pays (one for every member, so
the members sign one forged header)."""

FAULTS = ("trace", "credits", "equivocate", "overdraw")
"""The ``--sidechain-fault`` modes (a devnet test hook, see ``SidechainService.fault``)."""

RESUBMIT_AFTER_BLOCKS = 3
"""Mainchain blocks a node waits for its queued checkpoint to be mined before it queues it again."""

MAX_HELD = 1_000
"""Blocks and shares held for later (a block ahead of the node's view, a share before its block)."""

SidechainOutput = (
    SignatureShare | Transaction | SidechainBlockMessage | SidechainTxMessage | GetSidechainBlocks
)
"""What this module asks the node to send: checkpoint shares, transactions, blocks, pool entries,
requests for missing blocks (P2P-SC-3)."""


BlockApplied = Callable[[SidechainState, SidechainBlock, BlockResult], None]
"""A hook called with the parent state, the block and its result each time the node applies a
sidechain block (the watcher, reference/watch_service.py, re-executes checkpoints from them)."""


def voids_from_refunds(
    messages: Sequence[InboundMessage], bounces: Sequence[InboundMessage]
) -> list[VoidedInput]:
    """SC-MSG-5: the voided slots among ``messages`` (one sidechain's inbound messages) that the
    refunds ``bounces`` (inbound messages to their own source) made: ``(relay height, position,
    refund height)`` of the message the bounce names."""
    refunded = {(b.source_chain, b.source_height, b.source_index): b.mainchain_height for b in bounces}
    return [
        VoidedInput(m.mainchain_height, m.position, refunded[key])
        for m in messages
        if (key := (m.source_chain, m.source_height, m.source_index)) in refunded
    ]


@dataclass(frozen=True)
class FaultyCheckpoint:
    """``--sidechain-fault`` (a devnet test hook): the lying header a misbehaving member signed in
    place of ``honest``, with the trace it committed (its last root and ``state_root`` forged, kind
    ``trace``; or the honest trace under a wrong ``credits_root``, kind ``credits``; or under the
    ``outbox_root`` of ``outbox``, the honest entries and a withdrawal above the escrow, kind
    ``overdraw``), or signed after ``honest`` was accepted at its height (kind ``equivocate``)."""

    honest: SidechainHeader
    header: SidechainHeader
    trace: tuple[bytes, ...]
    kind: str = "trace"
    outbox: tuple[OutboxEntry, ...] = ()


def forge_header(header: SidechainHeader, trace: Sequence[bytes]) -> FaultyCheckpoint:
    """A misbehaving federation's header for the block ``header`` names: the same block (its
    ``tx_root``) with the last post-state root, so ``state_root`` and ``trace_root``, forged."""
    forged = sha256(b"rusty-faulty-federation" + trace[-1]).digest()
    lying = (*trace[:-1], forged)
    return FaultyCheckpoint(
        header, replace(header, state_root=forged, trace_root=compute_trace_root(lying)), lying
    )


def forge_credits(
    header: SidechainHeader, trace: Sequence[bytes], credits: Sequence[BlockCredit]
) -> FaultyCheckpoint:
    """A misbehaving federation's header for a block that credits ``credits``: the same block and
    trace under the ``credits_root`` of a list crediting the first input twice (SC-HDR-1), which
    a wrong-credits proof (SC-DSP-21/22) reverts."""
    lying = (*credits, credits[0])
    return FaultyCheckpoint(
        header, replace(header, credits_root=compute_credits_root(lying)), tuple(trace), "credits"
    )


def forge_overdraw(
    header: SidechainHeader,
    trace: Sequence[bytes],
    outbox: Sequence[OutboxEntry],
    escrow: int,
    recipient: bytes,
) -> FaultyCheckpoint:
    """A misbehaving federation's header for a block with outbox ``outbox``: the same block and
    trace under the ``outbox_root`` (SCB-4) of that outbox and one more withdrawal to
    ``recipient`` of ``2 * escrow + 1`` atoms, above the escrow the sidechain holds, which an
    overdraw proof (SC-DSP-9/23) reverts."""
    taken = OutboxEntry(int(OutboxKind.WITHDRAWAL), 0, recipient, 2 * escrow + 1, b"", OVERDRAW_SENDER)
    lying = (*outbox, taken)
    return FaultyCheckpoint(
        header,
        replace(header, outbox_root=compute_outbox_root(lying)),
        tuple(trace),
        "overdraw",
        lying,
    )


def forge_equivocation(header: SidechainHeader, trace: Sequence[bytes]) -> FaultyCheckpoint:
    """A second header for the height of the accepted ``header``: the same block under another
    ``state_root``, which an equivocation proof (SC-DSP-8/23) pairs with the accepted one."""
    second = replace(header, state_root=sha256(b"rusty-equivocating-federation" + header.state_root).digest())
    return FaultyCheckpoint(header, second, tuple(trace), "equivocate")


class SidechainRejected(ValueError):
    """A sidechain transaction or request the node refuses (RPC ``INVALID_PARAMS``)."""


@dataclass
class LocalChain:
    """One sidechain as this node keeps it: its blocks from genesis (``states[i]`` after height
    ``i``) and the index of what applying each block gave, filled by :meth:`append` as the node
    applies a block and cut back by :meth:`truncate` when a checkpoint contradicts it: each block's
    outbox (SCB-4) and transaction outcomes (VM-3: status, gas, fee, the logs), the height of each
    header hash, and the position of each transaction by ``keccak256`` of its encoding (the
    Ethereum transaction hash; the ``eth_`` receipts and logs of reference/sidechain_vms.py read it
    instead of re-applying blocks)."""

    record: SidechainRecord
    states: list[SidechainState]
    blocks: list[SidechainBlock | None]
    outboxes: list[tuple[OutboxEntry, ...]]
    outcomes: list[tuple[TxOutcome, ...]]
    heights: dict[bytes, int] = field(default_factory=dict)
    """Header hash -> height."""
    positions: dict[bytes, tuple[int, int]] = field(default_factory=dict)
    """``keccak256`` of a transaction's encoding -> ``(height, index)`` (its first inclusion)."""

    @classmethod
    def from_genesis(cls, record: SidechainRecord, genesis: SidechainState) -> LocalChain:
        return cls(record, [genesis], [None], [()], [()], {compute_header_hash(genesis.tip): 0})

    @property
    def tip(self) -> SidechainState:
        return self.states[-1]

    def append(self, block: SidechainBlock, result: BlockResult) -> None:
        """``block`` applied on the tip with ``result`` (SCB-1..5): the chain and its index grow."""
        height = len(self.states)
        self.states.append(result.state)
        self.blocks.append(block)
        self.outboxes.append(result.outbox)
        self.outcomes.append(result.outcomes)
        self.heights.setdefault(compute_header_hash(result.state.tip), height)
        for index, raw in enumerate(block.transactions):
            self.positions.setdefault(keccak256(raw), (height, index))

    def truncate(self, height: int) -> None:
        """Drop the blocks from ``height`` on, and their index entries."""
        del self.states[height:], self.blocks[height:], self.outboxes[height:], self.outcomes[height:]
        self.heights = {h: n for h, n in self.heights.items() if n < height}
        self.positions = {t: p for t, p in self.positions.items() if p[0] < height}


@dataclass
class CheckpointSigning:
    """SIGN-1..3 of one header's checkpoint by one federation quorum."""

    sidechain_id: int
    header_hash: bytes
    session: SigningSession
    checkpoint: Checkpoint | None = None
    queued_at: int | None = None


@dataclass
class _Federation:
    session_id: bytes
    result: DkgResult
    member_index: int | None
    secret_share: object | None


@dataclass
class SidechainService:
    """The sidechains one node follows; methods return what to send (see :data:`SidechainOutput`)."""

    db: sqlite3.Connection
    preset: Preset
    chain_state: Callable[[], ChainState]
    best_hash_at: Callable[[int], bytes | None]
    federation_of: Callable[[int, bytes], _Federation | None]
    publish: Callable[[SidechainMessage, Sequence[TxOutput]], Transaction | None]
    chains: dict[int, LocalChain] = field(default_factory=dict)
    signings: dict[bytes, CheckpointSigning] = field(default_factory=dict)
    held_blocks: list[SidechainBlock] = field(default_factory=list)
    held_shares: list[SignatureShare] = field(default_factory=list)
    requested: dict[int, tuple[int, int]] = field(default_factory=dict)
    restored: list[SidechainOutput] = field(default_factory=list)
    on_applied: list[BlockApplied] = field(default_factory=list)
    on_inputs: list[Callable[[int, Sequence[Deposit | InboundMessage]], None]] = field(default_factory=list)
    """Hooks given each connected block's height and the inputs it hands the sidechains (the
    watcher's credits proofs, SC-DSP-21/22)."""
    faulty: bool = False
    """``rusty node --sidechain-fault`` (devnet only): as a federation member, sign the first block
    with transactions of each sidechain under a forged trace (:func:`forge_header`) or, with
    ``fault = "credits"``, the first block crediting an input under a wrong credits root
    (:func:`forge_credits`), with ``fault = "overdraw"`` the first block after genesis under the
    outbox root of an outbox withdrawing more than the escrow (:func:`forge_overdraw`), once; with
    ``fault = "equivocate"``, sign every header honestly but, once the first checkpoint after
    genesis is accepted, a second header at its height too (:func:`forge_equivocation`)."""
    traces: dict[bytes, tuple[bytes, ...]] = field(default_factory=dict)
    """With ``faulty``: header hash -> the post-state roots of its transactions (applied blocks)."""
    fault: str = "trace"
    """With ``faulty``: what the member forges, one of :data:`FAULTS`."""
    signed_forgeries: dict[bytes, Checkpoint] = field(default_factory=dict)
    """With ``faulty``: forged header hash -> the checkpoint the members' shares recovered for it."""
    credited: dict[bytes, tuple[BlockCredit, ...]] = field(default_factory=dict)
    """With ``faulty``: header hash -> the inputs its block credited or refunded (applied blocks)."""
    forged: dict[bytes, FaultyCheckpoint] = field(default_factory=dict)
    """Forged header hash -> what this (faulty) member signed instead of the honest header."""
    accepted_forged: set[bytes] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.db.executescript(SCHEMA)

    # ------------------------------------------------------------------------- following the mainchain

    def on_connect(self, block: Block, before: ChainState) -> None:
        """SC-BLK-1..4: record what ``block`` (connected on ``before``) hands each sidechain."""
        try:
            outputs = sidechain_outputs(before, block, self.preset)
        except SpecError:
            return  # the chain accepted it, so this cannot happen; a node never stops on it
        if outputs is None:
            return
        hash_ = block_hash(block.header, self.preset)
        rows = [(hash_, block.header.height, 0, encode(DEPOSIT_CODEC, d)) for d in outputs.deposits]
        rows += [(hash_, block.header.height, 1, encode(INBOUND_MESSAGE_CODEC, m)) for m in outputs.inbound]
        self.db.executemany(
            "INSERT OR IGNORE INTO sc_inputs (block_hash, height, kind, data) VALUES (?, ?, ?, ?)", rows
        )
        for hook in self.on_inputs:
            hook(block.header.height, (*outputs.deposits, *outputs.inbound))

    def connected_inputs(self, block_hash: bytes) -> tuple[Deposit | InboundMessage, ...]:
        """The inputs the mainchain block ``block_hash`` handed the sidechains, as :meth:`on_connect`
        stored them (what its ``on_inputs`` hooks were given; a watcher's restart reads them again)."""
        rows = self.db.execute(
            "SELECT kind, data FROM sc_inputs WHERE block_hash = ? ORDER BY rowid", (block_hash,)
        )
        return tuple(
            decode(DEPOSIT_CODEC, bytes(data))
            if int(kind) == 0
            else decode(INBOUND_MESSAGE_CODEC, bytes(data))
            for kind, data in rows
        )

    def mainchain_inputs(self, sidechain_id: int) -> MainchainInputs:
        """SCB-2: the deposits and inbound messages of the best chain's blocks for ``sidechain_id``
        and its voided slots (SC-HDR-6: the messages refunded to their source, left out)."""
        state = self.chain_state()
        record = state.sidechains.chains[sidechain_id]
        deposits: list[Deposit] = []
        messages: list[InboundMessage] = []
        rows = self.db.execute(
            "SELECT block_hash, height, kind, data FROM sc_inputs WHERE height >= ? ORDER BY height",
            (record.activation_height,),
        )
        bounces: list[InboundMessage] = []
        for hash_, height, kind, data in rows:
            if self.best_hash_at(int(height)) != bytes(hash_):
                continue
            if int(kind) == 0:
                deposit = decode(DEPOSIT_CODEC, bytes(data))
                if deposit.sidechain_id == sidechain_id:
                    deposits.append(deposit)
            else:
                message = decode(INBOUND_MESSAGE_CODEC, bytes(data))
                if message.sidechain_id == sidechain_id:
                    messages.append(message)
                elif message.source_chain == message.sidechain_id:
                    bounces.append(message)  # a refund to its source: it voids a slot here if ours
        # SC-DSP-24 prunes the record's voided slots below the settled cursor; the blocks below it
        # are replayed from genesis, so their slots come back from the stored refunds (SC-MSG-5)
        voids = set(record.voids) | set(voids_from_refunds(messages, bounces))
        return MainchainInputs(
            state.height,
            record.spec.peg_in_depth,
            tuple(deposits),
            tuple(messages),
            tuple(sorted(voids, key=lambda v: (v.relay_height, v.position))),
        )

    # ------------------------------------------------------------------------- local chains

    def local(self, sidechain_id: int) -> LocalChain | None:
        """The node's chain of a registered sidechain (built from its genesis and stored blocks)."""
        record = self.chain_state().sidechains.chains.get(sidechain_id)
        if record is None:
            return None
        chain = self.chains.get(sidechain_id)
        if chain is None or chain.record.activation_height != record.activation_height:
            genesis = genesis_state(
                VmKind(record.spec.vm_kind), sidechain_id, GENESIS_TIMESTAMP, record.activation_height - 1
            )
            chain = LocalChain.from_genesis(record, genesis)
            self.chains[sidechain_id] = chain
            self._extend_from_store(chain)
        chain.record = record
        return chain

    def _stored(self, sidechain_id: int, height: int) -> list[SidechainBlock]:
        rows = self.db.execute(
            "SELECT data FROM sc_blocks WHERE sidechain_id = ? AND height = ?", (sidechain_id, height)
        )
        return [decode_sidechain_block(bytes(data)) for (data,) in rows]

    def _extend_from_store(self, chain: LocalChain) -> None:
        """Apply stored blocks on the tip, preferring the one the mainchain checkpointed."""
        sidechain_id = chain.record.spec.sidechain_id
        while True:
            height = chain.tip.tip.height + 1
            candidates = self._stored(sidechain_id, height)
            wanted = self._checkpointed_hash(chain.record, height)
            if wanted is not None:
                candidates = [b for b in candidates if compute_header_hash(b.header) == wanted]
            if not any(self._try_apply(chain, block) for block in candidates):
                return

    @staticmethod
    def _checkpointed_hash(record: SidechainRecord, height: int) -> bytes | None:
        return record.checkpoints[height].header_hash if height < len(record.checkpoints) else None

    def _try_apply(self, chain: LocalChain, block: SidechainBlock) -> bool:
        try:
            inputs = self.mainchain_inputs(chain.record.spec.sidechain_id)
            result = apply_sidechain_block(chain.tip, block, inputs, self.preset)
        except SpecError:
            return False
        if self.faulty:  # the forger's trace is built from the honest one
            self.traces[compute_header_hash(block.header)] = tuple(o.post_root for o in result.outcomes)
            self.credited[compute_header_hash(block.header)] = tuple(
                BlockCredit(item.recipient, item.amount) for item, _ in result.inputs
            )
        for hook in self.on_applied:
            hook(chain.tip, block, result)
        chain.append(block, result)
        self.db.execute(
            "INSERT OR IGNORE INTO sc_blocks (sidechain_id, height, hash, data) VALUES (?, ?, ?, ?)",
            (
                block.header.sidechain_id,
                block.header.height,
                compute_header_hash(block.header),
                encode_sidechain_block(block),
            ),
        )
        self._drop_included(block)
        return True

    def _reconcile(self, chain: LocalChain) -> None:
        """Drop local blocks the mainchain's checkpoints contradict, then extend from the store."""
        for height, checkpoint in enumerate(chain.record.checkpoints):
            if height >= len(chain.states):
                break
            if compute_header_hash(chain.states[height].tip) != checkpoint.header_hash:
                chain.truncate(height)
                break
        self._extend_from_store(chain)

    # ------------------------------------------------------------------------- pool

    def pool(self, sidechain_id: int) -> list[bytes]:
        """Pending sidechain transactions of ``sidechain_id``, in arrival order."""
        rows = self.db.execute(
            "SELECT data FROM sc_pool WHERE sidechain_id = ? ORDER BY position", (sidechain_id,)
        )
        return [bytes(data) for (data,) in rows]

    def _drop_included(self, block: SidechainBlock) -> None:
        self.db.executemany(
            "DELETE FROM sc_pool WHERE sidechain_id = ? AND data = ?",
            [(block.header.sidechain_id, tx) for tx in block.transactions],
        )

    def submit(self, sidechain_id: int, tx: bytes) -> list[SidechainOutput]:
        """Keep ``tx`` if the producer's builder (SCB-6) includes it after the pending ones on the tip;
        raise :class:`SidechainRejected` otherwise. Returns the relay (P2P-SC-2); ``[]`` if known."""
        chain = self.local(sidechain_id)
        if chain is None:
            raise SidechainRejected(f"no sidechain {sidechain_id}")
        pending = self.pool(sidechain_id)
        if tx in pending:
            return []
        tip = chain.tip.tip
        try:
            built = build_sidechain_block(
                chain.tip,
                [*pending, tx],
                self.mainchain_inputs(sidechain_id),
                tip.timestamp,
                tip.deposit_cursor,
                self.preset,
            )
        except SpecError as exc:
            raise SidechainRejected(f"{exc.code}: {exc}") from exc
        if tx not in built.transactions:
            raise SidechainRejected("the sidechain VM rejects the transaction on the node's tip")
        self.db.execute(
            "INSERT OR IGNORE INTO sc_pool (sidechain_id, data) VALUES (?, ?)", (sidechain_id, tx)
        )
        return [SidechainTxMessage(sidechain_id, tx)]

    # ------------------------------------------------------------------------- blocks from peers

    def receive_block(self, block: SidechainBlock) -> list[SidechainOutput]:
        """SCB-1..5 on the node's tip; an accepted block is relayed and (as a member) signed."""
        chain = self.local(block.header.sidechain_id)
        if chain is None:
            return []
        known = self._stored(block.header.sidechain_id, block.header.height)
        if any(compute_header_hash(b.header) == compute_header_hash(block.header) for b in known):
            return []
        if block.header.height != chain.tip.tip.height + 1 or not self._try_apply(chain, block):
            if block not in self.held_blocks:
                self.held_blocks.append(block)
                del self.held_blocks[:-MAX_HELD]
            return list(self._fetch_missing(block.header.sidechain_id))
        out: list[SidechainOutput] = [SidechainBlockMessage(block)]
        out.extend(self._apply_held(chain))
        out.extend(self._sign(chain))
        out.extend(self._retry_shares())
        return out

    # ------------------------------------------------------------------------- checkpoint signing

    def _federation(self, record: SidechainRecord) -> _Federation | None:
        state = self.chain_state()
        key = federation_keys(state.quorums, state.height + 1, self.preset).get(record.spec.federation)
        return None if key is None else self.federation_of(record.spec.federation, key)

    def _next_checkpoint_height(self, chain: LocalChain) -> int:
        return len(chain.record.checkpoints)

    def _signing_for(self, chain: LocalChain, federation: _Federation) -> CheckpointSigning | None:
        height = self._next_checkpoint_height(chain)
        if height >= len(chain.states):
            return None
        header = self._misbehave(chain, height, chain.states[height].tip)
        message = compute_checkpoint_message(header)
        signing = self.signings.get(message + federation.session_id)
        if signing is None:
            result = federation.result
            session = start_signing(
                federation.session_id, result.public_key_shares, result.threshold, message
            )
            signing = CheckpointSigning(header.sidechain_id, compute_header_hash(header), session)
            self.signings[message + federation.session_id] = signing
            self.restored.extend(self._restore_shares(signing))
        return signing

    def _misbehave(self, chain: LocalChain, height: int, header: SidechainHeader) -> SidechainHeader:
        """``--sidechain-fault``: the forged header in place of the first block with transactions
        of the sidechain (``trace``: a wrong trace, :func:`forge_header`), of the first block
        crediting an input (``credits``: a wrong ``credits_root``, :func:`forge_credits`) or of the
        first block after genesis (``overdraw``: an outbox above the escrow, :func:`forge_overdraw`),
        once: after its revert the member signs the honest header of that height (``equivocate``
        signs honestly here and the second header apart, :meth:`_equivocate`)."""
        if not self.faulty or self.fault == "equivocate":
            return header
        sidechain_id = header.sidechain_id
        for forged in self.forged.values():
            if forged.honest.sidechain_id == sidechain_id:
                standing = forged.honest == header and self._standing(chain, forged)
                return forged.header if standing else header
        block = chain.blocks[height]
        hash_ = compute_header_hash(header)
        trace = self.traces.get(hash_)
        credits = self.credited.get(hash_, ())
        if block is None or trace is None:
            return header
        if self.fault == "credits" and credits:
            forged = forge_credits(header, trace, credits)
        elif self.fault == "trace" and block.transactions and trace:
            forged = forge_header(header, trace)
        elif self.fault == "overdraw":
            outbox = chain.outboxes[height]
            forged = forge_overdraw(header, trace, outbox, chain.record.escrow, OVERDRAW_RECIPIENT)
        else:
            return header
        self.forged[compute_header_hash(forged.header)] = forged
        return forged.header

    def _equivocate(self, chain: LocalChain) -> list[SidechainOutput]:
        """``--sidechain-fault=equivocate``: once the first checkpoint after genesis is accepted
        with the header this member holds, sign a second header at its height
        (:func:`forge_equivocation`) under the key that accepted it (SC-DSP-8), once per sidechain;
        the members' shares recover its signature (:attr:`signed_forgeries`), which SC-CP-1 keeps
        off the mainchain: the federation hands it out instead (RPC ``getsidechaininfo``)."""
        sidechain_id = chain.record.spec.sidechain_id
        if any(f.honest.sidechain_id == sidechain_id for f in self.forged.values()):
            return []
        checkpoints = chain.record.checkpoints
        if len(checkpoints) < 2 or len(chain.states) < 2:
            return []
        accepted = checkpoints[1]
        honest = chain.states[1].tip
        if compute_header_hash(honest) != accepted.header_hash:
            return []
        state = self.chain_state()
        key = federation_keys(state.quorums, accepted.posted_height, self.preset).get(
            chain.record.spec.federation
        )
        federation = None if key is None else self.federation_of(chain.record.spec.federation, key)
        if federation is None or federation.member_index is None or federation.secret_share is None:
            return []
        forged = forge_equivocation(honest, self.traces.get(accepted.header_hash, ()))
        hash_ = compute_header_hash(forged.header)
        self.forged[hash_] = forged
        message = compute_checkpoint_message(forged.header)
        session = start_signing(
            federation.session_id, federation.result.public_key_shares, federation.result.threshold, message
        )
        signing = CheckpointSigning(sidechain_id, hash_, session)
        self.signings[message + federation.session_id] = signing
        share = make_signature_share(
            federation.session_id,
            message,
            federation.secret_share,  # type: ignore[arg-type]
        )
        return self._add_share(signing, share)

    def forgeries(self, sidechain_id: int) -> list[dict[str, object]]:
        """With ``faulty``: what this member signed besides the honest headers of ``sidechain_id``,
        as it hands it out (RPC ``getsidechaininfo``, ``forged``): each forged header's kind,
        height and hash, its checkpoint once the members' shares recovered it (SC-HDR-4
        encoding, hex) and, for ``overdraw``, the entries of the forged outbox (VM-5 encoding)."""
        out: list[dict[str, object]] = []
        for hash_, forged in self.forged.items():
            if forged.honest.sidechain_id != sidechain_id:
                continue
            signed = self.signed_forgeries.get(hash_)
            out.append(
                {
                    "kind": forged.kind,
                    "height": forged.header.height,
                    "header_hash": hash_.hex(),
                    "checkpoint": None if signed is None else encode_checkpoint(signed).hex(),
                    "outbox": [encode(OUTBOX_ENTRY_CODEC, entry).hex() for entry in forged.outbox],
                }
            )
        return out

    def _standing(self, chain: LocalChain, forged: FaultyCheckpoint) -> bool:
        """Is ``forged`` still to be signed or accepted (not yet reverted by a lost game)?"""
        height = forged.honest.height
        checkpoints = chain.record.checkpoints
        hash_ = compute_header_hash(forged.header)
        if height < len(checkpoints) and checkpoints[height].header_hash == hash_:
            self.accepted_forged.add(hash_)
            return True
        return height >= len(checkpoints) and hash_ not in self.accepted_forged

    def _sign(self, chain: LocalChain) -> list[SidechainOutput]:
        """SIGN-2: this member's share of the next checkpoint's header (once per height and key)."""
        federation = self._federation(chain.record)
        if federation is None or federation.member_index is None or federation.secret_share is None:
            return []
        signing = self._signing_for(chain, federation)
        if signing is None:
            return []
        height = self._next_checkpoint_height(chain)
        group_key = federation.result.group_public_key
        row = self.db.execute(
            "SELECT header_hash FROM sc_signed WHERE sidechain_id = ? AND height = ? AND group_key = ?",
            (signing.sidechain_id, height, group_key),
        ).fetchone()
        if row is not None and not (
            self.faulty and bytes(row[0]) in self.forged and bytes(row[0]) != signing.header_hash
        ):  # signed this height under this key already (never two headers: SC-CP-5)
            return self._drain_restored()  # its share, if stored, is restored into the session
        self.db.execute(
            "INSERT OR REPLACE INTO sc_signed (sidechain_id, height, group_key, header_hash) "
            "VALUES (?, ?, ?, ?)",
            (signing.sidechain_id, height, group_key, signing.header_hash),
        )
        share = make_signature_share(
            federation.session_id,
            signing.session.message,
            federation.secret_share,  # type: ignore[arg-type]
        )
        return [*self._drain_restored(), *self._add_share(signing, share)]

    def _add_share(self, signing: CheckpointSigning, share: SignatureShare) -> list[SidechainOutput]:
        if signing.checkpoint is not None or share.signer in signing.session.shares:
            return []
        try:
            signing.session = add_signature_share(signing.session, share)
        except SpecError:
            return []
        self._store_share(share)
        out: list[SidechainOutput] = [share]
        signature = try_recover(signing.session)
        if signature is not None:
            chain = self.chains.get(signing.sidechain_id)
            header = next(
                (
                    s.tip
                    for s in (chain.states if chain else [])
                    if compute_header_hash(s.tip) == signing.header_hash
                ),
                None,
            )
            forged = self.forged.get(signing.header_hash)
            if header is None and forged is not None:
                header = forged.header
            if header is not None:
                signing.checkpoint = Checkpoint(header, signature)
                if forged is not None:
                    self.signed_forgeries[signing.header_hash] = signing.checkpoint
                out.extend(self._post(signing))
        return out

    def receive_share(self, share: SignatureShare) -> list[SidechainOutput] | None:
        """A checkpoint share (``None``: not one this node knows; the quorum side may hold it)."""
        signing = self.signings.get(share.message + share.quorum_id)
        if signing is None:
            self._load_chains()  # after a restart, before the first tip
            for chain in list(self.chains.values()):
                federation = self._federation(chain.record)
                if federation is None or federation.session_id != share.quorum_id:
                    continue
                candidate = self._signing_for(chain, federation)
                if candidate is not None and candidate.session.message == share.message:
                    signing = candidate
                    break
        if signing is None:
            return None
        return self._add_share(signing, share)

    def _retry_shares(self) -> list[SidechainOutput]:
        held, self.held_shares = self.held_shares, []
        out: list[SidechainOutput] = []
        for share in held:
            result = self.receive_share(share)
            if result is None:
                self.held_shares.append(share)
            else:
                out.extend(result)
        return out

    def _post(self, signing: CheckpointSigning) -> list[SidechainOutput]:
        """SC-CP-1..4 on the tip's next block, then queue the checkpoint transaction (once per window)."""
        checkpoint = signing.checkpoint
        if checkpoint is None:
            return []
        state = self.chain_state()
        record = state.sidechains.chains.get(signing.sidechain_id)
        if record is None:
            return []
        if signing.queued_at is not None and state.height < signing.queued_at + RESUBMIT_AFTER_BLOCKS:
            return []
        keys = federation_keys(state.quorums, state.height + 1, self.preset)
        try:
            check_checkpoint(record, checkpoint, keys, state.height + 1, self.preset)
        except SpecError:
            return []  # not yet deep enough, already posted, or the federation key moved on
        tx = self.publish(checkpoint, ())
        if tx is None:
            return []
        signing.queued_at = state.height
        return [tx]

    # ------------------------------------------------------------------------- the tip moved

    def on_tip(self) -> list[SidechainOutput]:
        """Follow every registered sidechain: reconcile with its checkpoints, apply held blocks,
        produce (as proposer), sign (as member), post assembled checkpoints."""
        out: list[SidechainOutput] = []
        state = self.chain_state()
        for sidechain_id in sorted(state.sidechains.chains):
            chain = self.local(sidechain_id)
            if chain is None:
                continue
            for forged in list(self.forged.values()):
                if forged.honest.sidechain_id == sidechain_id:
                    self._standing(chain, forged)  # notes an accepted forgery (before its revert)
            if self.faulty and self.fault == "equivocate":
                out.extend(self._equivocate(chain))
            with contextlib.suppress(SpecError):
                self._reconcile(chain)
            held, self.held_blocks = self.held_blocks, []
            for block in held:
                if block.header.sidechain_id != sidechain_id:
                    self.held_blocks.append(block)
                elif block.header.height == chain.tip.tip.height + 1 and self._try_apply(chain, block):
                    out.append(SidechainBlockMessage(block))
                elif block.header.height > chain.tip.tip.height:
                    self.held_blocks.append(block)
            out.extend(self._produce(chain))
            out.extend(self._sign(chain))
            for signing in self.signings.values():
                if signing.sidechain_id == sidechain_id and signing.checkpoint is not None:
                    out.extend(self._post(signing))
        out.extend(self._retry_shares())
        out.extend(self._drain_restored())
        self._forget_old_signings()
        for sidechain_id in sorted(state.sidechains.chains):
            out.extend(self._fetch_missing(sidechain_id))
        return out

    def _forget_old_signings(self) -> None:
        for key, signing in list(self.signings.items()):
            chain = self.chains.get(signing.sidechain_id)
            if chain is None:
                continue
            done = {c.header_hash for c in chain.record.checkpoints}
            if signing.header_hash in done:
                del self.signings[key]

    def proposer(self, chain: LocalChain, height: int) -> int | None:
        """The federation member index that produces sidechain block ``height`` (``None``: no federation)."""
        federation = self._federation(chain.record)
        if federation is None or not federation.result.qualified:
            return None
        return get_proposer(height, self.proposer_round(chain, height), federation.result.qualified)

    def _produce(self, chain: LocalChain) -> list[SidechainOutput]:
        """SCB-6 as proposer: the next block once the tip is checkpointed and there is work."""
        tip = chain.tip.tip
        if self._next_checkpoint_height(chain) != tip.height + 1:
            return []  # the tip is not checkpointed yet: one block in flight
        federation = self._federation(chain.record)
        if federation is None or federation.member_index is None:
            return []
        if self.proposer(chain, tip.height + 1) != federation.member_index:
            return []
        sidechain_id = chain.record.spec.sidechain_id
        inputs = self.mainchain_inputs(sidechain_id)
        marks = self.chain_state().sidechains.chains[sidechain_id].input_marks
        target = max(tip.deposit_cursor, inputs.mainchain_tip - inputs.peg_in_depth)
        # SC-CP-8: a backlog above one credits proof's bound is checkpointed in steps
        bounded = get_bounded_cursor(
            marks, tip.deposit_cursor, target, self.preset.dispute.max_opening_credits
        )
        cursor = get_cursor_after_refunds(inputs.voids, bounded)
        pending = self.pool(sidechain_id)
        fresh = [
            height
            for height in (
                *(d.mainchain_height for d in inputs.deposits),
                *(m.mainchain_height for m in inputs.messages),
            )
            if tip.deposit_cursor < height <= cursor
        ]
        if not pending and not fresh:
            return []
        timestamp = max(tip.timestamp, self._mainchain_timestamp())
        try:
            block = build_sidechain_block(chain.tip, pending, inputs, timestamp, cursor, self.preset)
        except SpecError:
            return []
        if not self._try_apply(chain, block):
            return []
        return [SidechainBlockMessage(block), *self._sign(chain)]

    def _mainchain_timestamp(self) -> int:
        timestamps = self.chain_state().timestamps
        return int(timestamps[-1]) if timestamps else 0

    # ------------------------------------------------------------------------- liveness (SC-LIVE-1/2)

    def proposer_round(self, chain: LocalChain, height: int) -> int:
        """SC-LIVE-1: the proposer round of sidechain ``height`` on the node's mainchain tip (0 until
        checkpoint ``height - 1`` is accepted: the block cannot be produced before)."""
        checkpoints = chain.record.checkpoints
        if not 1 <= height <= len(checkpoints):
            return 0
        start = checkpoints[height - 1].posted_height
        timeout = self.preset.sidechains.proposer_timeout_blocks
        return compute_round(start, self.chain_state().height, timeout)

    # ------------------------------------------------------------------------- missed blocks (P2P-SC-3)

    def _fetch_missing(self, sidechain_id: int) -> list[SidechainOutput]:
        """P2P-SC-3: ask for the heights between the tip and the latest checkpoint or the highest
        held block (once per sidechain per mainchain block and start height)."""
        chain = self.chains.get(sidechain_id)
        if chain is None:
            return []
        tip = chain.tip.tip.height
        wanted = len(chain.record.checkpoints) - 1
        for block in self.held_blocks:
            if block.header.sidechain_id == sidechain_id:
                wanted = max(wanted, block.header.height - 1)
        if wanted <= tip:
            return []
        mainchain = self.chain_state().height
        if self.requested.get(sidechain_id) == (tip + 1, mainchain):
            return []
        self.requested[sidechain_id] = (tip + 1, mainchain)
        count = min(wanted - tip, self.preset.sidechains.max_blocks_per_request)
        return [GetSidechainBlocks(sidechain_id, tip + 1, count)]

    def serve_blocks(self, request: GetSidechainBlocks) -> list[SidechainBlockMessage]:
        """P2P-SC-3: the blocks of the node's chain at the requested heights that it has, in order."""
        chain = self.local(request.sidechain_id)
        if chain is None:
            return []
        count = min(request.count, self.preset.sidechains.max_blocks_per_request)
        wanted = chain.blocks[request.from_height : request.from_height + count]
        return [SidechainBlockMessage(block) for block in wanted if block is not None]

    def _apply_held(self, chain: LocalChain) -> list[SidechainOutput]:
        """Apply held blocks of ``chain`` that now extend its tip, in height order (a fetched batch)."""
        out: list[SidechainOutput] = []
        sidechain_id = chain.record.spec.sidechain_id
        progressed = True
        while progressed:
            progressed = False
            for block in list(self.held_blocks):
                header = block.header
                if header.sidechain_id != sidechain_id or header.height != chain.tip.tip.height + 1:
                    continue
                if self._try_apply(chain, block):
                    self.held_blocks.remove(block)
                    out.append(SidechainBlockMessage(block))
                    progressed = True
                    break
        return out

    # ------------------------------------------------------------------------- persisted shares

    def _store_share(self, share: SignatureShare) -> None:
        self.db.execute(
            "INSERT OR IGNORE INTO sc_shares (message, quorum_id, signer, data) VALUES (?, ?, ?, ?)",
            (share.message, share.quorum_id, share.signer, encode(SIGNATURE_SHARE_CODEC, share)),
        )

    def _restore_shares(self, signing: CheckpointSigning) -> list[SidechainOutput]:
        """The stored shares of ``signing``'s message and quorum, added again (after a restart)."""
        rows = self.db.execute(
            "SELECT data FROM sc_shares WHERE message = ? AND quorum_id = ? ORDER BY signer",
            (signing.session.message, signing.session.quorum_id),
        ).fetchall()
        out: list[SidechainOutput] = []
        for (data,) in rows:
            with contextlib.suppress(SpecError):
                out.extend(self._add_share(signing, decode(SIGNATURE_SHARE_CODEC, bytes(data))))
        return out

    def _load_chains(self) -> None:
        for sidechain_id in sorted(self.chain_state().sidechains.chains):
            self.local(sidechain_id)

    def _drain_restored(self) -> list[SidechainOutput]:
        out, self.restored = self.restored, []
        return out

    # ------------------------------------------------------------------------- wallet side

    def withdrawals(self, sidechain_id: int) -> list[dict[str, object]]:
        """Every WITHDRAWAL entry of the node's chain: where it is, whether checkpointed, matured,
        claimed."""
        chain = self.local(sidechain_id)
        if chain is None:
            raise SidechainRejected(f"no sidechain {sidechain_id}")
        state = self.chain_state()
        spent = state.sidechains.spent_withdrawals
        out: list[dict[str, object]] = []
        for height, outbox in enumerate(chain.outboxes):
            checkpoint = chain.record.checkpoints[height] if height < len(chain.record.checkpoints) else None
            for index, entry in enumerate(outbox):
                if entry.kind != OutboxKind.WITHDRAWAL:
                    continue
                out.append(
                    {
                        "height": height,
                        "index": index,
                        "recipient": entry.recipient.hex(),
                        "amount": entry.amount,
                        "checkpointed": checkpoint is not None
                        and checkpoint.header_hash == compute_header_hash(chain.states[height].tip),
                        "claimable_from": None
                        if checkpoint is None
                        else checkpoint.posted_height + chain.record.spec.challenge_period,
                        "claimed": (sidechain_id, height, index) in spent,
                    }
                )
        return out

    def withdrawal_proof(self, sidechain_id: int, height: int, index: int) -> OutboxProof:
        """SC-TX-2 / SCB-4: the proof of outbox entry ``index`` of the block at ``height``."""
        chain = self.local(sidechain_id)
        if chain is None or not 0 <= height < len(chain.outboxes):
            raise SidechainRejected(f"no block {height} on sidechain {sidechain_id}")
        outbox = chain.outboxes[height]
        if not 0 <= index < len(outbox):
            raise SidechainRejected(f"no outbox entry {index} in block {height}")
        return OutboxProof(
            sidechain_id, height, index, len(outbox), outbox[index], compute_outbox_proof(outbox, index)
        )

    def claim(self, sidechain_id: int, height: int, index: int) -> Transaction:
        """SC-PEG-3/4: queue the claim of a withdrawal: the claim output, then its payout."""
        proof = self.withdrawal_proof(sidechain_id, height, index)
        if proof.entry.kind != OutboxKind.WITHDRAWAL:
            raise SidechainRejected("the entry is not a withdrawal")
        tx = self.publish(WithdrawalClaim(proof), (TxOutput(proof.entry.amount, proof.entry.recipient),))
        if tx is None:
            raise SidechainRejected("the mempool rejects the claim (not matured, spent, or no fee coin)")
        return tx

    def info(self, sidechain_id: int) -> dict[str, object]:
        """The sidechain as RPC shows it."""
        chain = self.local(sidechain_id)
        if chain is None:
            raise SidechainRejected(f"no sidechain {sidechain_id}")
        record, tip = chain.record, chain.tip
        latest = record.latest
        federation = self._federation(record)
        return {
            "sidechain_id": sidechain_id,
            "vm_kind": VmKind(record.spec.vm_kind).name.lower(),
            "federation": record.spec.federation,
            "activation_height": record.activation_height,
            "escrow": record.escrow,
            "peg_in_depth": record.spec.peg_in_depth,
            "challenge_period": record.spec.challenge_period,
            "height": tip.tip.height,
            "tip_hash": compute_header_hash(tip.tip).hex(),
            "state_root": tip.tip.state_root.hex(),
            "deposit_cursor": tip.tip.deposit_cursor,
            "credited": tip.credited,
            "sent": tip.sent,
            "burnt": tip.burnt,
            "checkpointed_height": None if latest is None else latest.height,
            "checkpoint_posted_at": None if latest is None else latest.posted_height,
            "pending_transactions": len(self.pool(sidechain_id)),
            "federation_member": None if federation is None else federation.member_index,
            "proposer": self.proposer(chain, tip.tip.height + 1),
            "proposer_round": self.proposer_round(chain, tip.tip.height + 1),
            **({"forged": self.forgeries(sidechain_id)} if self.faulty else {}),
        }


def make_federation_lookup(
    sessions: Callable[[], Sequence[tuple[int, bytes, DkgResult | None, int | None, object | None]]],
) -> Callable[[int, bytes], _Federation | None]:
    """The federation whose DKG result has ``group_key``: from the quorum side's sessions, each
    ``(quorum type, session id, result, member index, secret share)``."""

    def lookup(quorum_type: int, group_key: bytes) -> _Federation | None:
        for kind, session_id, result, index, secret in sessions():
            if kind == quorum_type and result is not None and result.group_public_key == group_key:
                return _Federation(session_id, result, index, secret)
        return None

    return lookup


def ferris_wallet_transaction(
    service: SidechainService,
    sidechain_id: int,
    seed: bytes,
    kind: FerrisTxKind,
    amount: int,
    recipient: bytes,
    target_chain: int = 0,
    fee: int | None = None,
) -> bytes:
    """VMF-2/5: a FerrisScript transaction of the P2PKH account of ``seed`` (the node's wallet key:
    its account id is ``script_hash`` of the wallet's mainchain script), signed, with the next nonce
    after the account's state on the node's tip and its pending transactions, and (by default) the
    least fee VMF-4 accepts."""
    chain = service.local(sidechain_id)
    if chain is None:
        raise SidechainRejected(f"no sidechain {sidechain_id}")
    if VmKind(chain.record.spec.vm_kind) != VmKind.FERRIS:
        raise SidechainRejected("the node's wallet builds FerrisScript transactions only")
    params = service.preset.vm_ferris
    locking = p2pkh_locking_script(seed)
    account = get_account(chain.tip.nodes, chain.tip.tip.state_root, compute_account_id(locking))
    nonce = account.nonce
    for pending in service.pool(sidechain_id):
        with contextlib.suppress(SpecError):
            if decode_ferris(pending, params).locking_script == locking:
                nonce += 1
    draft = FerrisTransaction(
        int(kind), sidechain_id, nonce, 0, amount, target_chain, recipient, b"", locking, b""
    )
    if fee is None:
        probe = sign_transaction(replace(draft, fee=params.max_tx_gas * params.min_gas_price), seed)
        fee = compute_gas(len(encode_ferris(probe)), params) * params.min_gas_price
    return encode_ferris(sign_transaction(replace(draft, fee=fee), seed))


def account_of(seed: bytes) -> bytes:
    """VMF-1: the sidechain account id of the wallet key ``seed``."""
    return compute_account_id(p2pkh_locking_script(seed))


def balance_of(service: SidechainService, sidechain_id: int, account_id: bytes) -> dict[str, int]:
    """VMF-1: the account's balance and nonce on the node's tip of a FerrisScript sidechain."""
    chain = service.local(sidechain_id)
    if chain is None:
        raise SidechainRejected(f"no sidechain {sidechain_id}")
    account = get_account(chain.tip.nodes, chain.tip.tip.state_root, account_id)
    return {"balance": account.balance, "nonce": account.nonce, "height": chain.tip.tip.height}

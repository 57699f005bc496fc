"""The sidechain watcher (issue 16 item 8): re-execute every checkpointed sidechain block and
challenge a checkpoint that does not match (docs/disputes.md, SC-DSP-14..18).

Every rule is the spec's: the block's trace is re-executed by
:func:`spec.sidechain.dispute.execute_step` (SC-DSP-5's credit step and the VM's own
``apply_transaction``, the very functions the one-step verifier runs), openings and moves are the
SC-TX-0 kinds 5..7 of :mod:`spec.sidechain.games`, and the game is read from the mainchain's
:class:`~spec.sidechain.registry.SidechainsState`. The watcher decides *when* to post:

* **checkpoints** it reads each checkpoint posted in a connected mainchain block
  (:meth:`SidechainWatcher.on_block`) and, when it holds the sidechain block with that
  ``tx_root`` (:meth:`SidechainWatcher.observe`, fed by the node's sidechain follower), recomputes
  ``r_1 .. r_n`` from the parent checkpoint's state root; a ``trace_root`` or ``state_root`` that
  differs makes it open a game inside the window with the minimum bond (once per checkpoint);
* **moves** on every tip it answers, for the games it opened, every bisection the defender posted,
  with its own root at the midpoint and its Merkle proof; a defender that stays silent loses by the
  mainchain's clock (SC-DSP-16), so the watcher needs no timeout claim;
* **bonds and rewards** once a game it opened is won, it claims the bond back and SC-DSP-25's
  reward (out of the slashed federation's collateral) to its payout script; every fraud proof it
  posts names that payout script, and the reward its proof earns is claimed the same way (a kind 7
  claim of the id the proof took; :meth:`SidechainWatcher._claims` claims every payable bond of its
  script);
* **wrong credits** (SC-DSP-20..22) from the inputs the mainchain handed each sidechain
  (:meth:`SidechainWatcher.observe_inputs`, fed by the node's follower with every connected block's
  deposits and inbound messages), it recomputes each accepted checkpoint's credits in its window and
  posts a credits proof (SC-TX-0 kind 8, :func:`credits_proof_posts`) when the header's
  ``credits_root`` differs, once per checkpoint, only if the spec's own check
  (``check_credits_proof``) accepts it on the current state;
* **equivocation and overdraw** (SC-DSP-8/9/23) it keeps every signed checkpoint it sees (the
  accepted ones of connected blocks, :meth:`SidechainWatcher.on_block`, and any other,
  :meth:`SidechainWatcher.observe_checkpoint`) and the outbox entries of checkpointed blocks
  (:meth:`SidechainWatcher.observe_outbox`, fed with the follower's re-executed outboxes); for each
  accepted checkpoint in its window it posts an equivocation proof (kind 9) when it holds another
  header the federation signed at that height, and an overdraw proof (kind 10) for a withdrawal of
  its outbox above the escrow (:func:`fraud_proof_posts`), once per checkpoint, only if the
  spec's own check accepts it on the current state (with the federation keys at the checkpoint's
  posting, ``keys_at``).

:class:`SidechainDefender` is the other side: a federation member's node answers every game over a
checkpoint it signed from the trace that checkpoint committed, and posts the one-step proof
(:func:`one_step_proof`, the witness recorded from the block's nodes, VM-6) when the game is at
one step. ``rusty node --watch-sidechains`` runs both (reference/watch_service.py).

**Memory** (docs/node.md "Watching sidechains"): a held block keeps only the nodes its steps read
(:func:`compute_held_nodes`, the union of the one-step witnesses of its steps, VM-6: its
transactions, or an empty block's credit step), and
:meth:`SidechainWatcher.prune` / :meth:`SidechainDefender.prune` drop what no open window and no
open game needs (:func:`compute_live`); reference/watch_store.py persists the rest.

What is not done: the watcher needs the block's nodes (the follower's store: a block the
federation withholds cannot be re-executed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from hashlib import sha256

from spec.encoding import encode
from spec.errors import (
    CheckpointBadSignature,
    CheckpointHeight,
    DisputeNotFraud,
    FederationKeyMissing,
    SpecError,
)
from spec.ledger.transaction import Transaction, TxOutput
from spec.merkle import inclusion_proof, merkle_root
from spec.presets import Preset
from spec.sidechain.accumulator import CreditsProof, check_credits_proof, input_credits
from spec.sidechain.chain import vm_table
from spec.sidechain.checkpoint import is_signed_by
from spec.sidechain.dispute import (
    ONE_STEP_EXECUTORS,
    BisectMove,
    Game,
    OneStepProof,
    Party,
    compute_context,
    compute_midpoint,
    compute_trace,
    encode_bisect_move,
    encode_one_step_proof,
    execute_step,
    is_trace_claimed,
    record_credit_step_witness,
)
from spec.sidechain.games import (
    MOVE_BISECT,
    MOVE_ONE_STEP,
    BondClaim,
    DisputeMoveMessage,
    DisputeOpenMessage,
)
from spec.sidechain.header import (
    BlockCredit,
    Checkpoint,
    Deposit,
    InboundMessage,
    SidechainHeader,
    compute_credits_root,
    compute_header_hash,
    encode_sidechain_header,
)
from spec.sidechain.proofs import (
    EquivocationProof,
    EscrowOverdrawProof,
    KeysAt,
    check_equivocation_in_chain,
    check_overdraw_in_chain,
)
from spec.sidechain.registry import CheckpointRecord, SidechainRecord, SidechainsState, get_sidechain
from spec.sidechain.settlement import is_within_window
from spec.sidechain.transactions import match_sidechain_message, sidechain_message_script
from spec.vm.interface import (
    OUTBOX_ENTRY_CODEC,
    ExecutionContext,
    OutboxEntry,
    RecordingNodes,
    StateWitness,
    VmKind,
    encode_witness,
    record_witness,
    state_hasher,
    witness_nodes,
)

Outputs = list[TxOutput]


@dataclass(frozen=True)
class WatchedBlock:
    """A sidechain block the watcher can re-execute: its transactions, the credits the block
    applies first, and the node store holding its parent's state."""

    sidechain_id: int
    height: int
    txs: tuple[bytes, ...]
    credits: tuple[BlockCredit, ...]
    nodes: Mapping[bytes, bytes]


_NEVER = 1 << 62
"""A height no block reaches: what an unregistered sidechain keeps."""


@dataclass(frozen=True)
class Live:
    """What the watcher and the defender must keep at one tip (:func:`compute_live`)."""

    lowest: Mapping[int, int]
    """Sidechain id -> the lowest sidechain height still needed: the oldest checkpoint still in its
    challenge window (SC-DSP-11), else the next height to checkpoint. Blocks from it up are kept,
    headers from one below it (the parent an opening carries)."""
    header_hashes: frozenset[bytes]
    """Headers of the checkpoints in their window and of every open game (SC-DSP-14)."""
    game_blocks: frozenset[tuple[int, bytes]]
    """(sidechain id, :func:`block_key`) of every open game's block (a defender's one-step proof)."""
    input_floor: Mapping[int, int] = field(default_factory=dict)
    """Sidechain id -> the mainchain height above which its inputs are kept: the deposit cursor of
    the parent of the oldest checkpoint in its window or in an open game (a wrong-credits proof
    against it, or against a replacement at its height, reads its cursor range from there; a
    later checkpoint's range starts higher)."""


def block_key(txs: Sequence[bytes], height: int) -> bytes:
    """The key the watcher holds a sidechain block under: its transactions' root (unique for a
    block with transactions), or for a block without transactions, whose root is the empty root at
    every height, a hash of its height: each empty block is a credit step of its own (SC-DSP-1),
    so two are never confused."""
    if txs:
        return merkle_root(list(txs))
    return sha256(b"rusty-watcher/empty-block" + height.to_bytes(8, "big")).digest()


def header_block_key(header: SidechainHeader) -> bytes:
    """:func:`block_key` of the block ``header`` names (by ``tx_root``, or its height if empty)."""
    return header.tx_root if header.tx_count else block_key((), header.height)


def _lowest_live(record: SidechainRecord, height: int) -> int:
    for checkpoint in record.checkpoints:  # posted in height order: the window's checkpoints are a suffix
        if is_within_window(checkpoint.posted_height, record.spec.challenge_period, height):
            return checkpoint.height
    return len(record.checkpoints)


def compute_live(state: SidechainsState, height: int) -> Live:
    """What no open window (a game may open at ``height`` over it) and no open game lets go."""
    hashes = {compute_header_hash(opened.game.opening.header) for opened in state.games.values()}
    lowest: dict[int, int] = {}
    floor: dict[int, int] = {}
    for sidechain_id, record in state.chains.items():
        lowest[sidechain_id] = _lowest_live(record, height)
        hashes.update(c.header_hash for c in record.checkpoints[lowest[sidechain_id] :])
        in_games = [
            opened.game.opening.header.height
            for opened in state.games.values()
            if opened.sidechain_id == sidechain_id
        ]
        oldest = min([lowest[sidechain_id], *in_games])
        floor[sidechain_id] = record.checkpoints[oldest - 1].deposit_cursor if oldest > 0 else 0
    blocks = {
        (opened.sidechain_id, header_block_key(opened.game.opening.header)) for opened in state.games.values()
    }
    return Live(lowest, frozenset(hashes), frozenset(blocks), floor)


def compute_held_nodes(
    preset: Preset,
    kind: VmKind,
    nodes: Mapping[bytes, bytes],
    pre_root: bytes,
    credits: Sequence[BlockCredit],
    txs: Sequence[bytes],
    trace: Sequence[bytes],
    context: ExecutionContext,
) -> dict[bytes, bytes]:
    """The nodes a held block needs: the union of the witnesses of each of its steps (VM-6, SC-DSP-5:
    transaction ``i`` from ``r_i``, the credits first at step 0), read from ``nodes`` (its
    post-state's, holding every intermediate state). Every step's one-step proof reads only these,
    and so does the re-execution of the whole block from ``pre_root`` (:func:`compute_trace`: a
    node it reads is either one it created or one a step reads from the store)."""
    if not txs:  # an empty block's one step: its credit step (SC-DSP-1)
        witness = record_credit_step_witness(preset, kind, nodes, pre_root, credits)
        return dict(witness_nodes(witness, state_hasher(kind)))
    held: dict[bytes, bytes] = {}
    roots = (pre_root, *trace)[: len(txs)]  # r_i before transaction i
    for index, (root, tx) in enumerate(zip(roots, txs, strict=True)):
        recording = RecordingNodes(nodes)
        execute_step(preset, kind, recording, root, credits if index == 0 else (), tx, context)
        held.update(recording.read)
    return held


@dataclass
class SidechainWatcher:
    """Challenges every checkpoint whose trace its own re-execution contradicts."""

    preset: Preset
    payout_script: bytes
    blocks: dict[tuple[int, bytes], WatchedBlock] = field(default_factory=dict)
    headers: dict[tuple[int, int], SidechainHeader] = field(default_factory=dict)
    traces: dict[bytes, tuple[bytes, ...]] = field(default_factory=dict)
    opened: set[bytes] = field(default_factory=set)
    challenged: dict[bytes, tuple[bytes, ...]] = field(default_factory=dict)
    """Header hash -> the honest trace the watcher committed to in its opening."""
    inputs: dict[tuple[int, int], tuple[Deposit | InboundMessage, ...]] = field(default_factory=dict)
    """(sidechain id, mainchain height) -> the inputs that block handed it, in position order."""
    proven: set[bytes] = field(default_factory=set)
    """Header hashes the watcher posted a credits proof against."""
    signed: dict[tuple[int, int], dict[bytes, Checkpoint]] = field(default_factory=dict)
    """(sidechain id, height) -> every signed checkpoint seen at it, by header hash (SC-DSP-8)."""
    outboxes: dict[tuple[int, int], dict[bytes, tuple[OutboxEntry, ...]]] = field(default_factory=dict)
    """(sidechain id, height) -> outbox entries seen for a block at it, by outbox root (SC-DSP-9)."""
    fraud_proven: set[bytes] = field(default_factory=set)
    """Header hashes the watcher posted an equivocation or overdraw proof against."""
    posted_on_chain: set[bytes] = field(default_factory=set)
    """Header hashes of the checkpoints connected blocks carried: one of them that is no longer
    accepted was reverted (its federation already penalised) or reorganised away, and the watcher
    does not pair it with its replacement (docs/disputes.md, SC-DSP-8)."""

    def observe_checkpoint(self, checkpoint: Checkpoint) -> None:
        """Remember a signed checkpoint seen anywhere (a connected block, the sidechain network, a
        transaction the mempool refused): a second one at an accepted height is SC-DSP-8 evidence."""
        header = checkpoint.header
        key = (header.sidechain_id, header.height)
        self.signed = {
            **self.signed,
            key: {**self.signed.get(key, {}), compute_header_hash(header): checkpoint},
        }

    def observe_outbox(self, sidechain_id: int, height: int, entries: Sequence[OutboxEntry]) -> None:
        """Remember the outbox entries of a sidechain block at ``height`` (keyed by their root)."""
        if not entries:
            return
        root = merkle_root([encode(OUTBOX_ENTRY_CODEC, entry) for entry in entries])
        key = (sidechain_id, height)
        self.outboxes = {**self.outboxes, key: {**self.outboxes.get(key, {}), root: tuple(entries)}}

    def observe_inputs(self, height: int, items: Sequence[Deposit | InboundMessage]) -> None:
        """Remember the inputs a connected mainchain block at ``height`` handed each sidechain (a
        block connected again at that height, after a reorganisation, replaces them). The watch
        service calls it where it decides (``WatchService.decide``, with what the follower handed
        it since); the map is replaced, never changed in place."""
        inputs = {key: value for key, value in self.inputs.items() if key[1] != height}
        by_chain: dict[int, list[Deposit | InboundMessage]] = {}
        for item in items:
            by_chain.setdefault(item.sidechain_id, []).append(item)
        for sidechain_id, listed in by_chain.items():
            inputs[(sidechain_id, height)] = tuple(sorted(listed, key=lambda item: item.position))
        self.inputs = inputs

    def observe(self, block: WatchedBlock) -> None:
        """Remember a sidechain block (keyed by :func:`block_key`)."""
        self.blocks[(block.sidechain_id, block_key(block.txs, block.height))] = block

    def on_block(self, transactions: Sequence[Transaction]) -> None:
        """Record the checkpoint headers a connected mainchain block carries (SC-TX-0 kind 1)."""
        for tx in transactions[1:]:
            for output in tx.outputs:
                try:
                    message = match_sidechain_message(output.script_pubkey, self.preset)
                except SpecError:
                    continue
                if isinstance(message, Checkpoint):
                    header = message.header
                    self.headers[(header.sidechain_id, header.height)] = header
                    self.observe_checkpoint(message)
                    self.posted_on_chain = self.posted_on_chain | {compute_header_hash(header)}

    def prune(self, live: Live) -> None:
        """Drop the blocks, headers and openings no open window and no open game needs (``live``,
        :func:`compute_live`)."""
        self.blocks = {
            key: block
            for key, block in self.blocks.items()
            if key in live.game_blocks or block.height >= live.lowest.get(key[0], _NEVER)
        }
        self.headers = {
            key: header
            for key, header in self.headers.items()
            if key[1] >= live.lowest.get(key[0], _NEVER) - 1
        }
        self.challenged = {h: trace for h, trace in self.challenged.items() if h in live.header_hashes}
        self.opened &= live.header_hashes
        self.signed = {k: v for k, v in self.signed.items() if k[1] >= live.lowest.get(k[0], _NEVER)}
        self.outboxes = {k: v for k, v in self.outboxes.items() if k[1] >= live.lowest.get(k[0], _NEVER)}
        self.fraud_proven &= live.header_hashes
        self.inputs = {k: v for k, v in self.inputs.items() if k[1] > live.input_floor.get(k[0], _NEVER)}
        kept = {hash_ for at_height in self.signed.values() for hash_ in at_height}
        self.posted_on_chain = self.posted_on_chain & (kept | live.header_hashes)

    def honest_trace(
        self, header: SidechainHeader, parent_root: bytes, vm_kind: int
    ) -> tuple[bytes, ...] | None:
        """``r_1 .. r_n`` of the block ``header`` names, re-executed from ``parent_root``; ``None``
        if the watcher does not hold the block or its VM kind has no block transition."""
        block = self.blocks.get((header.sidechain_id, header_block_key(header)))
        vm = vm_table(self.preset).get(VmKind(vm_kind))
        if block is None or vm is None:
            return None
        if len(block.txs) != header.tx_count or compute_credits_root(block.credits) != header.credits_root:
            return None  # not the block the header names (wrong credits are SC-DSP-21's to prove)
        context = ExecutionContext(
            header.sidechain_id, header.height, header.timestamp, vm.fee_recipient, vm.max_tx_gas
        )
        try:
            return compute_trace(
                self.preset, VmKind(vm_kind), block.nodes, parent_root, block.credits, block.txs, context
            )
        except SpecError:
            return None

    def _openings(self, state: SidechainsState, height: int) -> list[Outputs]:
        posts: list[Outputs] = []
        for sidechain_id, record in sorted(state.chains.items()):
            for accepted in record.checkpoints:
                header = self.headers.get((sidechain_id, accepted.height))
                if header is None or compute_header_hash(header) != accepted.header_hash:
                    continue
                if accepted.header_hash in self.opened:
                    continue
                if not is_within_window(accepted.posted_height, record.spec.challenge_period, height):
                    continue
                parent = self.headers.get((sidechain_id, accepted.height - 1)) if accepted.height else None
                if parent is None:
                    continue  # no parent header seen (or height 0: the follower's genesis block)
                trace = self.honest_trace(header, parent.state_root, record.spec.vm_kind)
                if trace is None or is_trace_claimed(header, trace):
                    continue
                block = self.blocks[(sidechain_id, header_block_key(header))]
                message = DisputeOpenMessage(
                    header=header,
                    parent_header=encode_sidechain_header(parent),
                    tx_count=len(block.txs),
                    credits=block.credits,
                    challenger_trace_root=merkle_root(list(trace)),
                    challenger_final_root=trace[-1],
                    payout_script=self.payout_script,
                )
                bond = self.preset.dispute.min_challenger_bond
                posts.append([TxOutput(bond, sidechain_message_script(message, self.preset))])
                self.opened.add(accepted.header_hash)
                self.challenged[accepted.header_hash] = trace
        return posts

    def _moves(self, state: SidechainsState) -> list[Outputs]:
        posts: list[Outputs] = []
        for game_id, opened in sorted(state.games.items()):
            game = opened.game
            trace = self.challenged.get(compute_header_hash(game.opening.header))
            if trace is None or opened.payout_script != self.payout_script:
                continue
            if game.turn != Party.CHALLENGER or game.pending_root is None:
                continue
            mid = compute_midpoint(game.lo, game.hi)
            move = BisectMove(mid, trace[mid - 1], tuple(inclusion_proof(list(trace), mid - 1)))
            message = DisputeMoveMessage(game_id, Party.CHALLENGER, MOVE_BISECT, encode_bisect_move(move))
            posts.append([TxOutput(0, sidechain_message_script(message, self.preset))])
        return posts

    def _claims(self, state: SidechainsState) -> list[Outputs]:
        return [
            [
                TxOutput(0, sidechain_message_script(BondClaim(game_id), self.preset)),
                TxOutput(due.amount, due.script),
            ]
            for game_id, due in sorted(state.bond_payouts.items())
            if due.script == self.payout_script
        ]

    def on_tip(self, state: SidechainsState, height: int, keys_at: KeysAt | None = None) -> list[Outputs]:
        """The outputs to post in the block at ``height`` on ``state`` (each list one transaction):
        openings of games over bad checkpoints, answers in its games, claims of its bonds, credits
        proofs against checkpoints whose credits are not their range's inputs, equivocation and
        overdraw proofs (the former only with ``keys_at``, the federation keys at a height)."""
        posts = [*self._claims(state), *self._moves(state), *self._openings(state, height)]
        return [
            *posts,
            *credits_proof_posts(self, state, height),
            *fraud_proof_posts(self, state, height, keys_at),
        ]


def _fraud_proofs(
    watcher: SidechainWatcher, record: SidechainRecord, accepted: CheckpointRecord
) -> list[EquivocationProof | EscrowOverdrawProof]:
    """The candidate SC-DSP-8/9 proofs against ``record``'s accepted checkpoint ``accepted``."""
    height = accepted.height
    key = (record.spec.sidechain_id, height)
    seen = watcher.signed.get(key, {})
    candidates: list[EquivocationProof | EscrowOverdrawProof] = []
    first = seen.get(accepted.header_hash)
    if first is not None:
        candidates.extend(
            EquivocationProof(first, second, watcher.payout_script)
            for h, second in sorted(seen.items())
            if h != accepted.header_hash and h not in watcher.posted_on_chain
        )
    entries = watcher.outboxes.get(key, {}).get(accepted.outbox_root, ())
    leaves = [encode(OUTBOX_ENTRY_CODEC, entry) for entry in entries]
    for index, entry in enumerate(entries):
        if entry.amount > record.escrow:
            candidates.append(
                EscrowOverdrawProof(
                    key[0],
                    height,
                    index,
                    len(leaves),
                    entry,
                    tuple(inclusion_proof(leaves, index)),
                    watcher.payout_script,
                )
            )
    return candidates


def fraud_proof_posts(
    watcher: SidechainWatcher, state: SidechainsState, height: int, keys_at: KeysAt | None
) -> list[Outputs]:
    """SC-DSP-8/9/23: one kind-9 or kind-10 output per accepted checkpoint in its window that the
    watcher can prove equivocated or overdrew, posted once, and only when the spec's check accepts
    it on ``state`` at ``height`` (an equivocation proof needs ``keys_at``)."""
    posts: list[Outputs] = []
    for _, record in sorted(state.chains.items()):
        for accepted in record.checkpoints:
            if accepted.header_hash in watcher.fraud_proven:
                continue
            if not is_within_window(accepted.posted_height, record.spec.challenge_period, height):
                continue
            for proof in _fraud_proofs(watcher, record, accepted):
                try:
                    if isinstance(proof, EquivocationProof):
                        if keys_at is None:
                            continue
                        check_equivocation_in_chain(state, proof, height, keys_at)
                    else:
                        check_overdraw_in_chain(state, proof, height)
                except SpecError:
                    continue
                posts.append([TxOutput(0, sidechain_message_script(proof, watcher.preset))])
                watcher.fraud_proven.add(accepted.header_hash)
                break
            if accepted.header_hash in watcher.fraud_proven:
                break  # the later checkpoints go with it (SC-DSP-12)
    return posts


MAX_HEADERS_AHEAD = 16
"""Sidechain heights above the next one to checkpoint at which the watcher still keeps a signed
header offered off the mainchain (:func:`check_offered_checkpoint`)."""


def check_offered_checkpoint(
    watcher: SidechainWatcher, state: SidechainsState, checkpoint: Checkpoint, height: int, keys_at: KeysAt
) -> bool:
    """Is a signed checkpoint offered off the mainchain (RPC ``submitsidechainheader``, a
    transaction the mempool refused) worth keeping, judged for the block at ``height``? ``True``:
    it is SC-DSP-8 evidence now, the spec's ``check_equivocation_in_chain`` accepts it with the
    accepted checkpoint at its height (held by the watcher, not itself once checkpointed);
    ``False``: no checkpoint is accepted at its height yet and it is signed under the federation's
    key at ``height`` (kept: evidence once another header is accepted there). Otherwise the
    ``SpecError`` saying why not (nothing kept, so a flood of headers costs no memory)."""
    header = checkpoint.header
    record = get_sidechain(state, header.sidechain_id)
    hash_ = compute_header_hash(header)
    if header.height < len(record.checkpoints):
        accepted = record.checkpoints[header.height]
        if hash_ == accepted.header_hash:
            raise DisputeNotFraud(f"the accepted checkpoint {header.height} itself")
        if hash_ in watcher.posted_on_chain:
            raise DisputeNotFraud(
                "a checkpoint once accepted on the mainchain (reverted or reorganised away)"
            )
        first = watcher.signed.get((header.sidechain_id, header.height), {}).get(accepted.header_hash)
        if first is None:
            raise DisputeNotFraud(f"the watcher does not hold the accepted checkpoint {header.height}")
        check_equivocation_in_chain(state, EquivocationProof(first, checkpoint), height, keys_at)
        return True
    ahead = len(record.checkpoints) + MAX_HEADERS_AHEAD
    if header.height > ahead:
        raise CheckpointHeight(f"checkpoint at height {header.height}, above {ahead}")
    key = keys_at(height).get(record.spec.federation)
    if key is None:
        raise FederationKeyMissing(f"no committed key for quorum type {record.spec.federation}")
    if not is_signed_by(checkpoint, key):
        raise CheckpointBadSignature("the checkpoint is not signed by the federation's key")
    return False


def credits_proof_posts(watcher: SidechainWatcher, state: SidechainsState, height: int) -> list[Outputs]:
    """SC-DSP-21/22: a kind-8 output per accepted checkpoint in its window whose header's
    ``credits_root`` is not the root of the inputs the watcher saw in its cursor range, posted once,
    and only when ``check_credits_proof`` accepts it on ``state`` at ``height`` (so inputs the
    watcher missed never make it post an invalid proof)."""
    posts: list[Outputs] = []
    seen = watcher.inputs  # one snapshot (observe_inputs replaces the map)
    for sidechain_id, record in sorted(state.chains.items()):
        for accepted in record.checkpoints:
            header = watcher.headers.get((sidechain_id, accepted.height))
            if header is None or accepted.header_hash in watcher.proven:
                continue
            parent_cursor = record.checkpoints[accepted.height - 1].deposit_cursor if accepted.height else 0
            items = [
                item
                for (chain, at), listed in sorted(seen.items())
                if chain == sidechain_id and parent_cursor < at <= accepted.deposit_cursor
                for item in listed
            ]
            proof = CreditsProof(header, input_credits(items), watcher.payout_script)
            try:
                check_credits_proof(state, proof, height)
            except SpecError:
                continue  # honest, outside the window, another header, or inputs the watcher missed
            posts.append([TxOutput(0, sidechain_message_script(proof, watcher.preset))])
            watcher.proven.add(accepted.header_hash)
    return posts


def one_step_proof(preset: Preset, block: WatchedBlock, game: Game) -> OneStepProof:
    """SC-DSP-5: the one-step proof of ``game``'s disputed transaction ``hi - 1`` of ``block``: the
    transaction, its proof against ``tx_root`` and the witness its execution from the agreed root
    reads (VM-6; with the block's credits first when the step is the first transaction), or of an
    empty block's credit step (no transaction, the witness of the credits and ``r_0``)."""
    index = game.hi - 1
    kind = VmKind(game.opening.vm_kind)
    if not block.txs:
        credit_witness = record_credit_step_witness(
            preset, kind, block.nodes, game.agreed_root, game.opening.credits
        )
        return OneStepProof(b"", (), encode_witness(credit_witness))
    context = compute_context(game.opening)
    tx = block.txs[index]
    if game.lo == 0 and game.opening.credits:
        recording = RecordingNodes(block.nodes)
        execute_step(preset, kind, recording, game.agreed_root, game.opening.credits, tx, context)
        witness = StateWitness(tuple(recording.read[h] for h in sorted(recording.read)))
    else:
        witness = record_witness(ONE_STEP_EXECUTORS[kind], preset, block.nodes, game.agreed_root, tx, context)
    return OneStepProof(tx, tuple(inclusion_proof(list(block.txs), index)), encode_witness(witness))


@dataclass
class SidechainDefender:
    """Defends the checkpoints a federation member signed (SC-DSP-3/5): in every game over one of
    them where the defender is to move, it posts its root at the midpoint (from the trace its
    header committed) or, at one step, the one-step proof. A member that signed a forged header
    (``--sidechain-fault``) defends its forged trace and loses at the one-step proof."""

    preset: Preset
    defended: dict[bytes, tuple[tuple[bytes, ...], WatchedBlock]] = field(default_factory=dict)
    """Header hash -> the trace the header committed and the block it names."""

    def defend(self, header: SidechainHeader, trace: Sequence[bytes], block: WatchedBlock) -> None:
        """Defend ``header`` (committing ``trace``) in any game over it."""
        self.defended[compute_header_hash(header)] = (tuple(trace), block)

    def prune(self, live: Live) -> None:
        """Forget the headers no open window and no open game needs (``live``, :func:`compute_live`)."""
        self.defended = {
            hash_: held
            for hash_, held in self.defended.items()
            if hash_ in live.header_hashes or held[1].height >= live.lowest.get(held[1].sidechain_id, _NEVER)
        }

    def on_tip(self, state: SidechainsState) -> list[Outputs]:
        """The defender's moves to post in the next block (one transaction each)."""
        posts: list[Outputs] = []
        for game_id, opened in sorted(state.games.items()):
            game = opened.game
            found = self.defended.get(compute_header_hash(game.opening.header))
            if found is None or game.turn != Party.DEFENDER:
                continue
            trace, block = found
            if game.hi - game.lo == 1:
                try:
                    proof = one_step_proof(self.preset, block, game)
                except SpecError:
                    continue  # the block's nodes miss a preimage: let the clock decide
                kind, data = MOVE_ONE_STEP, encode_one_step_proof(proof)
            else:
                mid = compute_midpoint(game.lo, game.hi)
                move = BisectMove(mid, trace[mid - 1], tuple(inclusion_proof(list(trace), mid - 1)))
                kind, data = MOVE_BISECT, encode_bisect_move(move)
            message = DisputeMoveMessage(game_id, Party.DEFENDER, kind, data)
            posts.append([TxOutput(0, sidechain_message_script(message, self.preset))])
        return posts


def _matches(header: SidechainHeader, trace: Sequence[bytes]) -> bool:
    """Does the checkpoint claim the trace the watcher re-executed (SC-DSP-1)?"""
    return is_trace_claimed(header, trace)

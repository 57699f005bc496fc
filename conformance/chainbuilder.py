"""A deterministic chain builder: mines valid blocks on the devnet preset for vectors, tests and benchmarks.

Everything is derived from labels (conformance/seeded.py), timestamps advance by exactly
``target_block_seconds`` unless told otherwise, and nonces are searched from zero, so the same
calls give the same blocks on every run. It is a producer of spec inputs, not part of the spec;
votes and the nonce search are the reference miner's (reference/miner.py), which calls only spec/.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from conformance.wallet import Key, key
from reference.miner import collect_votes, seal_header
from spec.chain.block import Block, BlockHeader, TicketVote, transactions_root, votes_root
from spec.chain.commitment import compute_committed_items
from spec.chain.pow import next_bits
from spec.chain.state import (
    BlockContext,
    ChainState,
    apply_block,
    block_obligations,
    coinbase_for,
    initial_state,
    tip_state_layout,
    transition,
)
from spec.chain.tickets import Ticket, ticket_script
from spec.ledger.transaction import OutPoint, Transaction
from spec.ledger.utxo import UtxoEntry, transaction_diff
from spec.presets import Preset
from spec.trie import RUSTY_TRIE_HASHER, trie_root

MAX_NONCE_TRIES = 1 << 24


def mine(header: BlockHeader, preset: Preset) -> BlockHeader:
    """The header with the smallest nonce whose hash meets its target (the reference miner's search)."""
    sealed = seal_header(header, preset, MAX_NONCE_TRIES)
    if sealed is None:
        raise RuntimeError("no nonce found; is the preset's target too hard for a test chain?")
    return sealed


class StateRootCrossCheckError(Exception):
    """The state root kept incrementally (STATE-6) differs from its definition (MPT-6)."""


def check_state_root(after: ChainState, root: bytes, preset: Preset) -> None:
    """Cross-check (issue 14): ``root``, which the transition computed by updating its parent's
    persistent trie with the block's changes (``Trie.update``, STATE-6), equals the definitional
    ``trie_root`` of every item the state commits to (STATE-1/4 over MPT-6), computed from scratch.
    Every block built for the vectors passes through here, so generation fails if they differ."""
    items = compute_committed_items(after, tip_state_layout(after, preset), preset)
    if trie_root(items, RUSTY_TRIE_HASHER) != root:
        raise StateRootCrossCheckError(f"state root at height {after.height} differs from trie_root")


def voting_ticket_script(owner: Key) -> bytes:
    """A ticket whose voting key and owner are the same wallet key."""
    return ticket_script(owner.public_key, owner.key_hash)


@dataclass
class ChainBuilder:
    """Builds and applies blocks one at a time, keeping every intermediate state."""

    preset: Preset
    miner: Key = field(default_factory=lambda: key("miner"))
    voters: dict[bytes, Key] = field(default_factory=dict)
    vote_bits: dict[bytes, int] = field(default_factory=dict)
    """Vote bits (agenda choices, UPG-2) per voting key; absent: 0."""
    states: list[ChainState] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    check_root: bool = True
    """Cross-check every built block's state root against its definition (:func:`check_state_root`);
    off only for benchmark states of 10^5 entries and more, where ``trie_root`` takes minutes."""

    def __post_init__(self) -> None:
        if not self.states:
            self.states.append(initial_state(self.preset))

    @property
    def state(self) -> ChainState:
        """The state at the tip."""
        return self.states[-1]

    def register_voter(self, owner: Key) -> None:
        """Let the builder sign votes for tickets whose voting key is ``owner``'s."""
        self.voters[owner.public_key] = owner

    def fees(self, transactions: Sequence[Transaction]) -> int:
        """Inputs minus outputs of non-coinbase transactions applied in order (no validation)."""
        utxos: dict[OutPoint, UtxoEntry] = dict(self.state.utxos)
        total = 0
        height = self.state.height + 1
        for tx in transactions:
            diff = transaction_diff(utxos, tx, height, self.preset)
            total += sum(e.output.value for _, e in diff.spent) - sum(o.value for o in tx.outputs)
            for outpoint, _ in diff.spent:
                del utxos[outpoint]
            utxos.update(diff.created)
        return total

    def votes(self, height: int) -> tuple[tuple[TicketVote, ...], tuple[Ticket, ...]]:
        """Votes of every selected ticket whose voting key the builder holds."""
        seeds = {public_key: owner.seed for public_key, owner in self.voters.items()}
        return collect_votes(self.state, height, seeds, self.preset, self.vote_bits)

    def build(
        self,
        transactions: Sequence[Transaction] = (),
        timestamp: int | None = None,
        context: BlockContext | None = None,
    ) -> Block:
        """A valid next block (mined), without applying it."""
        state = self.state
        height = state.height + 1
        chain = self.preset.chain
        if timestamp is None:
            timestamp = (state.timestamps[-1] if state.timestamps else chain.genesis_timestamp) + (
                chain.target_block_seconds if state.timestamps else 0
            )
        context = context or BlockContext(now=timestamp)
        votes, voters = self.votes(height)
        due = block_obligations(state, height, self.preset)
        coinbase = coinbase_for(
            height,
            self.fees(transactions),
            self.miner.script_pubkey,
            voters,
            due.masternode_payee,
            self.preset,
            due.payments,
        )
        body = (coinbase, *transactions)
        header = BlockHeader(
            version=1,
            height=height,
            previous_block_hash=state.tip_hash,
            merkle_root=transactions_root(body, self.preset),
            votes_root=votes_root(votes, self.preset),
            state_root=bytes(32),
            timestamp=timestamp,
            bits=next_bits(height, state.bits, state.timestamps, self.preset),
            nonce=0,
        )
        block = Block(header, votes, body)
        after, root = transition(state, block, context, self.preset)
        if self.check_root:
            check_state_root(after, root, self.preset)
        return replace(block, header=mine(replace(header, state_root=root), self.preset))

    def add(self, block: Block, context: BlockContext | None = None) -> ChainState:
        """Apply ``block`` with full validation and make it the tip."""
        context = context or BlockContext(now=block.header.timestamp)
        after = apply_block(self.state, block, context, self.preset)
        self.states.append(after)
        self.blocks.append(block)
        return after

    def extend(self, transactions: Sequence[Transaction] = (), timestamp: int | None = None) -> Block:
        """Build, apply and return the next block."""
        block = self.build(transactions, timestamp)
        self.add(block)
        return block

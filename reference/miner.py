"""The reference node's CPU miner: block templates from the mempool, sealed by a nonce search.

Every consensus decision is the spec's: the template's transactions come from
:func:`spec.ledger.mempool.select_for_block`, the coinbase from :func:`spec.chain.state.coinbase_for`,
the votes from :func:`spec.chain.tickets.select_voters` and :func:`spec.chain.tickets.vote_message`,
the bits from :func:`spec.chain.pow.next_bits`, the state root from
:func:`spec.chain.state.transition`. The miner only searches nonces.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

from spec.chain.block import Block, BlockHeader, TicketVote, block_hash, transactions_root, votes_root
from spec.chain.pow import hash_meets_target, next_bits, target_from_bits
from spec.chain.state import BlockContext, ChainState, block_obligations, coinbase_for, transition
from spec.chain.tickets import VOTE_APPROVE, Ticket, select_voters, vote_message
from spec.crypto import ed25519
from spec.ledger.mempool import Mempool, select_for_block
from spec.ledger.transaction import Transaction
from spec.presets import Preset

COINBASE_RESERVE_BYTES = 4_096
"""Room left in the block for the header, votes and coinbase when filling it from the mempool."""


def collect_votes(
    state: ChainState,
    height: int,
    voting_seeds: Mapping[bytes, bytes],
    preset: Preset,
    vote_bits: Mapping[bytes, int] | None = None,
) -> tuple[tuple[TicketVote, ...], tuple[Ticket, ...]]:
    """POS-3/4: the votes this node can sign (it holds the seeds of some voting keys).

    ``vote_bits`` gives the vote bits (agenda choices, UPG-2) per voting key; absent: 0.
    """
    votes: list[TicketVote] = []
    voters: list[Ticket] = []
    for ticket in select_voters(state.tickets, state.tip_hash, height, preset):
        seed = voting_seeds.get(ticket.voting_key)
        if seed is None:
            continue
        bits = (vote_bits or {}).get(ticket.voting_key, VOTE_APPROVE)
        signature = ed25519.sign(seed, vote_message(state.tip_hash, ticket.outpoint, bits))
        votes.append(TicketVote(ticket.outpoint.txid, ticket.outpoint.index, state.tip_hash, bits, signature))
        voters.append(ticket)
    return tuple(votes), tuple(voters)


def block_template(
    state: ChainState,
    mempool: Mempool,
    miner_script: bytes,
    timestamp: int,
    voting_seeds: Mapping[bytes, bytes],
    context: BlockContext,
    preset: Preset,
    vote_bits: Mapping[bytes, int] | None = None,
) -> Block:
    """An unsealed block (nonce 0) on ``state``: mempool transactions, votes (with ``vote_bits`` per
    voting key, UPG-2), coinbase, roots."""
    height = state.height + 1
    transactions: tuple[Transaction, ...] = select_for_block(
        mempool, preset.chain.max_block_bytes - COINBASE_RESERVE_BYTES
    )
    fees = sum(mempool.entries[entry_id].fee for entry_id in _txids(mempool, transactions))
    votes, voters = collect_votes(state, height, voting_seeds, preset, vote_bits)
    due = block_obligations(state, height, preset)
    coinbase = coinbase_for(height, fees, miner_script, voters, due.masternode_payee, preset, due.payments)
    body = (coinbase, *transactions)
    header = BlockHeader(
        version=1,
        height=height,
        previous_block_hash=state.tip_hash,
        merkle_root=transactions_root(body, preset),
        votes_root=votes_root(votes, preset),
        state_root=bytes(32),
        timestamp=timestamp,
        bits=next_bits(height, state.bits, state.timestamps, preset),
        nonce=0,
    )
    block = Block(header, votes, body)
    _, state_root = transition(state, block, context, preset)
    return replace(block, header=replace(header, state_root=state_root))


def _txids(mempool: Mempool, transactions: tuple[Transaction, ...]) -> list[bytes]:
    by_tx = {entry.tx: entry_id for entry_id, entry in mempool.entries.items()}
    return [by_tx[tx] for tx in transactions]


def seal_header(
    header: BlockHeader,
    preset: Preset,
    max_tries: int = 1 << 32,
    progress: Callable[[int], None] | None = None,
    first_nonce: int = 0,
) -> BlockHeader | None:
    """POW-2: the header with the first nonce from ``first_nonce`` on whose hash meets its target, or
    ``None`` after ``max_tries`` (callers that must stay responsive search in chunks)."""
    target = target_from_bits(header.bits, preset)
    for nonce in range(first_nonce, min(first_nonce + max_tries, 1 << 64)):
        candidate = replace(header, nonce=nonce)
        if hash_meets_target(block_hash(candidate, preset), target):
            return candidate
        if progress is not None and nonce % 4096 == 4095:
            progress(4096)
    return None


def seal(
    block: Block,
    preset: Preset,
    max_tries: int = 1 << 32,
    progress: Callable[[int], None] | None = None,
) -> Block | None:
    """POW-2: the block with the first nonce whose hash meets the target, or ``None`` after ``max_tries``."""
    header = seal_header(block.header, preset, max_tries, progress)
    return None if header is None else replace(block, header=header)

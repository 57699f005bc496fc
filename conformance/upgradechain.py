"""Deterministic devnet chains in which ticket holders vote on the ``governed_tickets`` agenda (UPG-2..6).

Plan (devnet: windows of 10 blocks, voting from the window ``[10, 20)``, quorum 5, threshold 75 %):

* blocks ``0 .. maturity``: coinbases only;
* ``purchase_height`` (``coinbase_maturity + 1``): the genesis coinbase buys :data:`TICKETS` tickets,
  each with its own voting key; they are live from ``purchase_height + ticket_maturity + 1`` and
  the next four blocks select and use them all (five votes each), inside the first voting window;
* each ticket votes the choice its position in ``choices`` gives (0 abstain, 1 no, 2 yes), so the
  window's tally is exactly the counts of ``choices`` whatever the selection order;
* every block after that is a coinbase (the pool is empty: no votes needed), up to ``length`` blocks.

:func:`proposal_block` builds the block at a height with a PARAMETER_CHANGE proposal for
``tickets.target_pool_size`` (the parameter fork 1 makes governable, GT-1), and :func:`branch` a
competing chain from a common prefix (reorganisations across the activation boundary).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache

from conformance.chainbuilder import ChainBuilder, voting_ticket_script
from conformance.wallet import Key, key, spend_p2pkh
from spec.chain.block import Block
from spec.chain.state import ticket_price_at
from spec.forks.deployment import CHOICE_YES, vote_bits_for
from spec.governance.proposals import ParameterChange, Proposal, is_superblock
from spec.governance.proposals import message_script as gov_message_script
from spec.ledger.transaction import OutPoint, Transaction, TxOutput, txid
from spec.presets import Preset

TICKETS = 20
FEE = 10_000
AGENDA = "governed_tickets"
GOVERNED_PARAMETER = b"tickets.target_pool_size"
NEW_POOL_TARGET = 40
FIRST_MINER = key("miner")
"""The miner of every chain's first blocks (branches fork later)."""


@dataclass(frozen=True)
class UpgradeChain:
    """A built voting chain: ``builder.blocks[h]`` is the block at ``h``, ``builder.states[h]`` the
    state before it."""

    builder: ChainBuilder
    purchase_height: int
    choices: tuple[int, ...]


def voter(index: int) -> Key:
    """The owner and voting key of ticket ``index``."""
    return key(f"upgrade/voter/{index}")


def supported(preset: Preset) -> bool:
    """Whether the plan fits ``preset``: the tickets are used up inside the first voting window."""
    fork = next(f for f in preset.forks if f.name == AGENDA)
    if fork.deployment is None:
        return False
    window = fork.deployment.window_blocks
    first_vote = preset.ledger.coinbase_maturity + 1 + preset.tickets.ticket_maturity + 1
    last_vote = first_vote + TICKETS // preset.tickets.voters_per_block - 1
    return (
        preset.tickets.max_tickets_per_block >= TICKETS
        and fork.deployment.start_height == window
        and first_vote >= window
        and last_vote < 2 * window
    )


def _voting_builder(preset: Preset, choices: tuple[int, ...], miner: str) -> ChainBuilder:
    builder = ChainBuilder(preset, miner=key(miner))
    vote_bit = next(f.deployment for f in preset.forks if f.name == AGENDA)
    assert vote_bit is not None
    for index, choice in enumerate(choices):
        owner = voter(index)
        builder.register_voter(owner)
        builder.vote_bits[owner.public_key] = vote_bits_for([(vote_bit.vote_bit, choice)])
    return builder


def _extend_to(builder: ChainBuilder, length: int, purchase_height: int) -> None:
    preset = builder.preset
    while len(builder.blocks) < length:
        height = builder.state.height + 1
        transactions: list[Transaction] = []
        if height == purchase_height:
            state = builder.state
            price = ticket_price_at(state, height, preset)
            outputs = [TxOutput(price, voting_ticket_script(voter(i))) for i in range(TICKETS)]
            coin = OutPoint(txid(builder.blocks[0].transactions[0], preset), 0)
            value = state.utxos[coin].output.value
            change = TxOutput(value - price * TICKETS - FEE, builder.miner.script_pubkey)
            transactions.append(spend_p2pkh(state.utxos, [coin], [builder.miner], [*outputs, change], preset))
        builder.extend(transactions)


@cache
def upgrade_chain(preset: Preset, choices: tuple[int, ...], length: int) -> UpgradeChain:
    """A chain of ``length`` blocks whose :data:`TICKETS` tickets vote ``choices`` in the first window."""
    if len(choices) != TICKETS:
        raise ValueError(f"{TICKETS} choices needed")
    purchase_height = preset.ledger.coinbase_maturity + 1
    builder = _voting_builder(preset, choices, "miner")  # FIRST_MINER
    _extend_to(builder, length, purchase_height)
    return UpgradeChain(builder, purchase_height, choices)


def unanimous(choice: int = CHOICE_YES) -> tuple[int, ...]:
    """Every ticket votes ``choice``."""
    return (choice,) * TICKETS


def split(yes: int, no: int) -> tuple[int, ...]:
    """``yes`` yes votes, ``no`` no votes, the rest abstain."""
    return (2,) * yes + (1,) * no + (0,) * (TICKETS - yes - no)


def branch(chain: UpgradeChain, fork_height: int, choices: tuple[int, ...], length: int) -> ChainBuilder:
    """A competing chain sharing blocks ``0 .. fork_height - 1``, mined by another key, whose tickets
    vote ``choices`` from there on, ``length`` blocks long."""
    base = chain.builder
    builder = _voting_builder(base.preset, choices, "upgrade/other-miner")
    builder.states[:] = base.states[: fork_height + 1]
    builder.blocks[:] = base.blocks[:fork_height]
    _extend_to(builder, length, chain.purchase_height)
    return builder


def proposal_transaction(builder: ChainBuilder, height: int) -> Transaction:
    """A PARAMETER_CHANGE of ``tickets.target_pool_size`` for the first superblock at least
    ``voting_period`` after ``height``, burning the proposal fee, paid from block 1's coinbase with
    no transaction fee (so the block's coinbase stays what it was)."""
    preset = builder.preset
    start = height + preset.governance.voting_period
    while not is_superblock(start, preset):
        start += 1
    proposal = Proposal(b"pool-target", start, ParameterChange(GOVERNED_PARAMETER, NEW_POOL_TARGET))
    fee = preset.governance.proposal_fee
    state = builder.state
    coin = OutPoint(txid(builder.blocks[1].transactions[0], preset), 0)
    value = state.utxos[coin].output.value
    outputs = [
        TxOutput(fee, gov_message_script(proposal, preset)),
        TxOutput(value - fee, FIRST_MINER.script_pubkey),
    ]
    return spend_p2pkh(state.utxos, [coin], [FIRST_MINER], outputs, preset)


def proposal_block(chain: UpgradeChain, height: int) -> Block:
    """``chain``'s block at ``height`` with :func:`proposal_transaction` appended (roots and proof of
    work recomputed; not validated, so it may break GT-1)."""
    from conformance.generators.chain import reseal

    base = chain.builder
    builder = ChainBuilder(base.preset, miner=base.miner)
    builder.states[:] = base.states[: height + 1]
    builder.blocks[:] = base.blocks[:height]
    block = base.blocks[height]
    with_proposal = replace(block, transactions=(*block.transactions, proposal_transaction(builder, height)))
    return reseal(base.states[height], with_proposal, base.preset)


STATE_TRIE_AGENDA = "state_trie"


def state_trie_voter(index: int) -> Key:
    """The owner and voting key of ticket ``index`` of the second batch (the ``state_trie`` vote)."""
    return key(f"upgrade/state-trie-voter/{index}")


def _buy_tickets(builder: ChainBuilder, coin_height: int, owners: list[Key]) -> Transaction:
    """Spend the coinbase of block ``coin_height`` on one ticket per owner (change to the miner)."""
    preset = builder.preset
    state = builder.state
    price = ticket_price_at(state, state.height + 1, preset)
    outputs = [TxOutput(price, voting_ticket_script(owner)) for owner in owners]
    coin = OutPoint(txid(builder.blocks[coin_height].transactions[0], preset), 0)
    value = state.utxos[coin].output.value
    change = TxOutput(value - price * len(owners) - FEE, builder.miner.script_pubkey)
    return spend_p2pkh(state.utxos, [coin], [builder.miner], [*outputs, change], preset)


def state_trie_purchase_height(preset: Preset) -> int:
    """The height at which the second batch is bought: its tickets vote in the first window in which
    ``state_trie`` is STARTED (the window where ``governed_tickets`` becomes ACTIVE, three windows)."""
    window = next(f.deployment for f in preset.forks if f.name == STATE_TRIE_AGENDA)
    assert window is not None
    return 3 * window.window_blocks - preset.tickets.ticket_maturity - 1


@cache
def state_trie_chain(preset: Preset, length: int, choice: int = CHOICE_YES) -> ChainBuilder:
    """A chain of ``length`` blocks that votes ``governed_tickets`` in (the first batch, as
    :func:`upgrade_chain` with every vote yes), then ``state_trie`` with a second batch of
    :data:`TICKETS` tickets voting ``choice`` (devnet: STARTED at 30, LOCKED_IN at 40, ACTIVE at 50)."""
    deployment = next(f.deployment for f in preset.forks if f.name == STATE_TRIE_AGENDA)
    assert deployment is not None
    builder = _voting_builder(preset, unanimous(), "miner")
    second = [state_trie_voter(i) for i in range(TICKETS)]
    for owner in second:
        builder.register_voter(owner)
        builder.vote_bits[owner.public_key] = vote_bits_for([(deployment.vote_bit, choice)])
    first_purchase = preset.ledger.coinbase_maturity + 1
    second_purchase = state_trie_purchase_height(preset)
    while len(builder.blocks) < length:
        height = builder.state.height + 1
        if height == first_purchase:
            builder.extend([_buy_tickets(builder, 0, [voter(i) for i in range(TICKETS)])])
        elif height == second_purchase:
            builder.extend([_buy_tickets(builder, 2, second)])
        else:
            builder.extend([])
    return builder


@cache
def state_trie_busy_chain(preset: Preset) -> ChainBuilder:
    """:func:`state_trie_chain` up to its first block under ``state_trie`` (devnet: 50), then a
    block buying two tickets and carrying a PARAMETER_CHANGE proposal, then an empty block: the
    ticket pool, the governance state and the singletons change under the full-state layout."""
    deployment = next(f.deployment for f in preset.forks if f.name == STATE_TRIE_AGENDA)
    assert deployment is not None
    activation = 5 * deployment.window_blocks
    base = state_trie_chain(preset, activation + 1)
    builder = ChainBuilder(preset, miner=base.miner)
    builder.states[:] = base.states
    builder.blocks[:] = base.blocks
    owners = [state_trie_voter(100 + i) for i in range(2)]
    height = builder.state.height + 1
    builder.extend([_buy_tickets(builder, 3, owners), proposal_transaction(builder, height)])
    builder.extend([])
    return builder


SIDECHAINS_AGENDA = "sidechains"


def sidechains_voter(index: int) -> Key:
    """The owner and voting key of ticket ``index`` of the third batch (the ``sidechains`` vote)."""
    return key(f"upgrade/sidechains-voter/{index}")


def sidechains_purchase_height(preset: Preset) -> int:
    """The height at which the third batch is bought: its tickets vote in the first window in which
    ``sidechains`` is STARTED (the window where ``state_trie`` becomes ACTIVE, five windows)."""
    deployment = next(f.deployment for f in preset.forks if f.name == SIDECHAINS_AGENDA)
    assert deployment is not None
    return 5 * deployment.window_blocks - preset.tickets.ticket_maturity - 1


@cache
def sidechains_chain(preset: Preset, length: int) -> ChainBuilder:
    """:func:`state_trie_chain` (both votes yes) whose third batch of :data:`TICKETS` tickets, bought
    from block 4's coinbase, votes ``sidechains`` in (devnet: STARTED at 50, LOCKED_IN at 60, ACTIVE
    at 70), ``length`` blocks long; blocks after the purchase are empty."""
    deployment = next(f.deployment for f in preset.forks if f.name == SIDECHAINS_AGENDA)
    assert deployment is not None
    purchase = sidechains_purchase_height(preset)
    base = state_trie_chain(preset, 5 * deployment.window_blocks + 2)
    builder = ChainBuilder(
        preset,
        miner=base.miner,
        voters=dict(base.voters),
        vote_bits=dict(base.vote_bits),
        states=list(base.states[: purchase + 1]),
        blocks=list(base.blocks[:purchase]),
    )
    third = [sidechains_voter(i) for i in range(TICKETS)]
    for owner in third:
        builder.register_voter(owner)
        builder.vote_bits[owner.public_key] = vote_bits_for([(deployment.vote_bit, CHOICE_YES)])
    builder.extend([_buy_tickets(builder, 4, third)])
    while len(builder.blocks) < length:
        builder.extend([])
    return builder

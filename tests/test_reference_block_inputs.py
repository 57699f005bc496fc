"""SC-BLK-7 in the reference node's mempool and block producer, at the bound itself.

A block hands each sidechain at most ``sidechains.max_block_inputs`` inputs (256 on devnet); the
input that would take position 256 is ``SC_TOO_MANY_INPUTS`` (docs/sidechains.md). The node's
template (``Node.mempool``, then ``block_template``) counts the inputs through the marks at the
block's height (``_most_block_inputs``) and skips a transaction that would hand a sidechain more:

* the 256th deposit to a sidechain is taken, the 257th waits in the pending list (it is queued,
  not refused: SC-BLK-7 is a rule of a block, not of a transaction), and the next block takes it;
* a transaction whose inputs would cross the bound waits whole, and a later one that fits is taken;
* the bound is per sidechain: another sidechain's deposit in the same block is taken;
* the skip is needed: the same transactions in one template without it are ``SC_TOO_MANY_INPUTS``.

The node runs on a devnet chain with every fork active and two sidechains registered
(``tests/sidechain_helpers.py``'s world); its tip is that chain's state.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import cache
from pathlib import Path

import pytest

from conformance import sidechainbuilder as sb
from conformance.wallet import Key, spend_p2pkh
from reference.miner import block_template
from reference.node import Node
from spec.chain.state import BlockContext, ChainState, sidechain_outputs, transition
from spec.errors import TooManyBlockInputs
from spec.ledger.mempool import EMPTY_MEMPOOL, Mempool, admit
from spec.ledger.transaction import OutPoint, Transaction, TxOutput, encode_transaction
from spec.ledger.validation import LedgerContext
from spec.presets import DEVNET
from tests.sidechain_helpers import World, build_world

BOUND = DEVNET.sidechains.max_block_inputs
A, B = sb.CHAIN_A, sb.CHAIN_B
FEE = 50_000
NOW = 1_900_000_000


@cache
def _chain() -> tuple[ChainState, Key]:
    """The world's tip (height 25, fork ``sidechains`` in force, A and B registered) and the key
    its coinbases pay."""
    world: World = build_world((sb.SPEC_A, sb.SPEC_B))
    return world.builder.state, world.builder.miner


def _coins(state: ChainState, miner: Key) -> Iterator[OutPoint]:
    """The miner's mature coins, in outpoint order."""
    for outpoint, entry in sorted(state.utxos.items()):
        mature = state.height + 1 - entry.height >= DEVNET.ledger.coinbase_maturity
        if entry.output.script_pubkey == miner.script_pubkey and mature:
            yield outpoint


def _deposits(counts: Sequence[tuple[int, int]]) -> list[Transaction]:
    """One transaction per ``(sidechain, count)``: ``count`` deposits of 5 to it and change, each
    spending its own mature miner coin."""
    state, miner = _chain()
    coins = _coins(state, miner)
    transactions = []
    for chain, count in counts:
        coin = next(coins)
        change = state.utxos[coin].output.value - 5 * count - FEE
        outputs = [
            *(sb.deposit_output(chain, 5) for _ in range(count)),
            TxOutput(change, miner.script_pubkey),
        ]
        transactions.append(spend_p2pkh(state.utxos, [coin], [miner], outputs, DEVNET))
    return transactions


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    """A devnet node whose tip is :func:`_chain`'s state (only what the mempool and the template
    read: the pending list is the node's own database)."""
    node = Node.init(tmp_path / "node", "devnet")
    node.store._state = _chain()[0]
    try:
        yield node
    finally:
        node.close()


def _handed(state: ChainState, transactions: Sequence[Transaction]) -> dict[int, list[int]]:
    """SC-PEG-2: the positions of the deposits each sidechain is handed by a block of ``transactions``."""
    block = block_template(
        state, _pool(state, transactions), b"\x51", state.timestamps[-1] + 1, {}, _context(), DEVNET
    )
    pegged = sidechain_outputs(state, block, DEVNET)
    assert pegged is not None
    positions: dict[int, list[int]] = {}
    for deposit in pegged.deposits:
        positions.setdefault(deposit.sidechain_id, []).append(deposit.position)
    return positions


def _context() -> BlockContext:
    return BlockContext(now=NOW)


def _pool(state: ChainState, transactions: Sequence[Transaction]) -> Mempool:
    pool = EMPTY_MEMPOOL
    ledger = LedgerContext(state.height + 1, 0)
    for tx in transactions:
        pool, _ = admit(pool, tx, state.utxos, ledger, DEVNET)
    return pool


def _template(node: Node) -> tuple[Transaction, ...]:
    block, _ = node.block_template(NOW)
    return block.transactions[1:]


def test_the_256th_input_is_taken_and_the_257th_waits_for_the_next_block(node: Node) -> None:
    first, second, last, extra, other = _deposits([(A, 128), (A, BOUND - 129), (A, 1), (A, 1), (B, 1)])
    for tx in (first, second, last, extra, other):
        node.queue(tx)  # every one is queued: none alone breaks SC-BLK-7
    assert node.pending() == [first, second, last, extra, other]
    entries = {entry.tx for entry in node.mempool().entries.values()}
    assert entries == {first, second, last, other}  # the 257th deposit to A waits; B's is taken
    block, context = node.block_template(NOW)
    taken = block.transactions[1:]
    assert set(taken) == entries
    state = node.store.state
    pegged = sidechain_outputs(state, block, DEVNET)
    assert pegged is not None
    positions = {
        chain: sorted(d.position for d in pegged.deposits if d.sidechain_id == chain) for chain in (A, B)
    }
    assert positions == {A: list(range(BOUND)), B: [0]}

    # the block is connected: the waiting deposit is the next template's, and pruning keeps it
    after, _ = transition(state, block, context, DEVNET)
    node.store._state = after
    mined = [(encode_transaction(tx, DEVNET),) for tx in taken]
    node.store.db.executemany("DELETE FROM pending WHERE data = ?", mined)
    node.prune_pending()
    assert node.pending() == [extra]
    assert _template(node) == (extra,)


def test_a_transaction_crossing_the_bound_waits_whole_and_a_later_one_that_fits_is_taken(node: Node) -> None:
    first, second, crossing, fits = _deposits([(A, 128), (A, BOUND - 129), (A, 2), (A, 1)])
    for tx in (first, second, crossing, fits):
        node.queue(tx)
    assert {entry.tx for entry in node.mempool().entries.values()} == {first, second, fits}
    assert set(_template(node)) == {first, second, fits}


def test_without_the_skip_the_same_template_is_too_many_inputs() -> None:
    """What the node's count prevents: the spec mempool alone (MEMPOOL-1..3) admits every
    transaction, and the block of all of them hands A a 257th input."""
    state = _chain()[0]
    transactions = _deposits([(A, 128), (A, BOUND - 128), (A, 1)])
    assert _handed(state, transactions[:2]) == {A: list(range(BOUND))}
    with pytest.raises(TooManyBlockInputs):
        _handed(state, transactions)

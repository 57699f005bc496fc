"""The node's sidechain side (reference/sidechains.py) without sockets: a full round trip.

A devnet mainchain with every fork ACTIVE and sidechain A (FerrisScript, federation = the finality
quorum) registered; the finality quorum's committed key is a 2-of-3 threshold key whose three
members each run a :class:`SidechainService` (their own SQLite database) and hear each other's
blocks, transactions and checkpoint shares at once. Checked end to end through the spec's
``apply_block``: a peg-in is credited on the sidechain once buried, the federation checkpoints the
genesis header and every block (the threshold signature verifies under the committed key), a
transfer and a withdrawal run in a block the proposer built and the other members re-executed,
and the claim is paid on the mainchain from escrow after the challenge period, once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import pytest

from conformance import sidechainbuilder as sb
from conformance.chainbuilder import ChainBuilder
from conformance.wallet import spend_p2pkh
from reference.sidechains import (
    SidechainOutput,
    SidechainRejected,
    SidechainService,
    _Federation,
    account_of,
    balance_of,
    ferris_wallet_transaction,
)
from reference.statecodec import decode_governance, decode_sidechains, encode_governance, encode_sidechains
from spec.chain.block import Block, block_hash
from spec.chain.state import ChainState, initial_state
from spec.crypto.threshold import (
    coefficients_from_seed,
    generate_shares,
    group_public_key,
    public_key_shares,
)
from spec.errors import SpecError, WithdrawalSpent
from spec.forks.deployment import DeploymentStatus
from spec.governance.proposals import EMPTY_STATE, CreateSidechain, Proposal, ProposalRecord, ProposalStatus
from spec.ledger.transaction import OutPoint, Transaction, TxOutput, txid
from spec.masternode.dkg import DkgResult
from spec.masternode.finality import QuorumRecord
from spec.masternode.signing import SignatureShare
from spec.p2p.messages import SidechainBlockMessage, SidechainTxMessage
from spec.presets import DEVNET
from spec.sidechain.checkpoint import federation_keys, is_signed_by
from spec.sidechain.header import Checkpoint
from spec.sidechain.registry import EMPTY_SIDECHAINS, register_sidechains
from spec.sidechain.state import apply_sidechain_transaction
from spec.sidechain.transactions import (
    DepositMessage,
    SidechainMessage,
    match_sidechain_message,
    sidechain_message_script,
)
from spec.vm.ferris import FerrisTxKind

SPEC = sb.SPEC_A
CHAIN = SPEC.sidechain_id
FEE = 10_000
SESSION = b"\x5c" * 32
ALICE_SEED = b"\xa1" * 32
BOB_SEED = b"\xb0" * 32
COEFFICIENTS = coefficients_from_seed(b"\x42" * 32, 2)
SECRET_SHARES = generate_shares(COEFFICIENTS, (1, 2, 3))
GROUP_KEY = group_public_key(COEFFICIENTS)
RESULT = DkgResult(SESSION, 2, (1, 2, 3), (), GROUP_KEY, public_key_shares(SECRET_SHARES))


@dataclass
class World:
    """One mainchain, three federation members' services, a flood between them."""

    builder: ChainBuilder
    services: list[SidechainService] = field(default_factory=list)
    pending: list[Transaction] = field(default_factory=list)
    used: set[OutPoint] = field(default_factory=set)
    seen: list[set[object]] = field(default_factory=list)

    def publish(
        self, message: SidechainMessage, extra: Sequence[TxOutput] = (), value: int = 0
    ) -> Transaction:
        """The members' wallet: one mature miner coin pays the fee (and a deposit's value)."""
        state = self.builder.state
        coin = next(
            o
            for o, e in sorted(state.utxos.items())
            if o not in self.used
            and e.output.script_pubkey == self.builder.miner.script_pubkey
            and state.height + 1 - e.height >= DEVNET.ledger.coinbase_maturity
            and e.output.value > value + FEE
        )
        self.used.add(coin)
        change = TxOutput(state.utxos[coin].output.value - value - FEE, self.builder.miner.script_pubkey)
        outputs = [TxOutput(value, sidechain_message_script(message, DEVNET)), *extra, change]
        tx = spend_p2pkh(state.utxos, [coin], [self.builder.miner], outputs, DEVNET)
        self.pending.append(tx)
        return tx

    def flood(self, origin: int, messages: Sequence[SidechainOutput]) -> None:
        queue = [(origin, m) for m in messages]
        while queue:
            sender, message = queue.pop(0)
            for index, service in enumerate(self.services):
                if index == sender or message in self.seen[index]:
                    continue
                self.seen[index].add(message)
                out: Sequence[SidechainOutput] = []
                if isinstance(message, SidechainBlockMessage):
                    out = service.receive_block(message.block)
                elif isinstance(message, SidechainTxMessage):
                    try:
                        out = service.submit(message.sidechain_id, message.transaction)
                    except SidechainRejected:
                        out = []
                elif isinstance(message, SignatureShare):
                    out = service.receive_share(message) or []
                queue.extend((index, m) for m in out)

    def mine(self) -> ChainState:
        """The next block with the pending transactions that the sidechain rules accept in order
        (the node's mempool check: a second copy of a checkpoint is dropped)."""
        before = self.builder.state
        height = before.height + 1
        keys = federation_keys(before.quorums, height, DEVNET)
        sidechains = before.sidechains
        chosen: list[Transaction] = []
        released = 0
        for tx in self.pending:
            try:
                sidechains, freed = apply_sidechain_transaction(sidechains, tx, height, keys, DEVNET)
            except SpecError:
                continue
            chosen.append(tx)
            released += freed
        self.pending = []
        builder = self.builder

        def fees(transactions: Sequence[Transaction]) -> int:  # a claim's payout is the escrow's
            return ChainBuilder.fees(builder, transactions) + released

        builder.fees = fees  # type: ignore[method-assign]
        block: Block = self.builder.build(chosen)
        after = self.builder.add(block)
        for service in self.services:
            service.on_connect(block, before)
        for index, service in enumerate(self.services):
            self.flood(index, service.on_tip())
        return after


def _state_with_federation(state: ChainState) -> ChainState:
    """The committed key of the finality quorums in charge from 25 on (FIN-5/6), as the DKG would."""
    records = {
        base: QuorumRecord(base, bytes(32), SESSION, (), 2, GROUP_KEY, base) for base in range(0, 200, 30)
    }
    return replace(state, quorums=replace(state.quorums, records={**state.quorums.records, **records}))


@pytest.fixture(scope="module")
def world() -> World:
    base = initial_state(DEVNET)
    deployments = tuple(replace(r, status=DeploymentStatus.ACTIVE) for r in base.deployments)
    sidechains = register_sidechains(EMPTY_SIDECHAINS, (SPEC,), 1)
    builder = ChainBuilder(DEVNET, states=[replace(base, deployments=deployments, sidechains=sidechains)])
    world = World(builder)
    while builder.state.height < 25:
        builder.add(builder.build())
    builder.states[-1] = _state_with_federation(builder.state)

    def best_hash_at(height: int) -> bytes | None:
        blocks = world.builder.blocks
        return block_hash(blocks[height].header, DEVNET) if 0 <= height < len(blocks) else None

    def lookup(member: int) -> Callable[[int, bytes], _Federation | None]:
        federation = _Federation(SESSION, RESULT, member, SECRET_SHARES[member - 1])
        return lambda kind, key: federation if key == GROUP_KEY and kind == SPEC.federation else None

    for member in (1, 2, 3):
        world.services.append(
            SidechainService(
                sqlite3.connect(":memory:", isolation_level=None),
                DEVNET,
                lambda: world.builder.state,
                best_hash_at,
                lookup(member),
                world.publish,
            )
        )
        world.seen.append(set())
    return world


def _run_until(world: World, done: object, limit: int = 20) -> None:
    for _ in range(limit):
        if callable(done) and done():
            return
        world.mine()
    assert callable(done) and done(), "the scenario did not get there in time"


def test_round_trip_peg_in_transfer_withdrawal_checkpoint_claim(world: World) -> None:
    alice, bob = account_of(ALICE_SEED), account_of(BOB_SEED)
    node = world.services[0]
    assert node.info(CHAIN)["height"] == 0
    # the genesis header is checkpointed first (SC-CP-1: height 0, zero parent)
    _run_until(world, lambda: world.builder.state.sidechains.chains[CHAIN].latest is not None)
    # peg-in: credited once buried peg_in_depth blocks (SC-CP-3 / SCB-2)
    world.publish(DepositMessage(CHAIN, alice), (), 50_000)
    world.mine()
    deposit_height = world.builder.state.height
    assert world.builder.state.sidechains.chains[CHAIN].escrow == 50_000
    _run_until(world, lambda: balance_of(node, CHAIN, alice)["balance"] == 50_000)
    block = node.local(CHAIN).blocks[-1]  # type: ignore[union-attr]
    assert block is not None and block.header.deposit_cursor >= deposit_height
    # every member re-executed the proposer's block (SCB-1..5): one tip everywhere
    assert len({s.info(CHAIN)["tip_hash"] for s in world.services}) == 1
    # a transfer and a withdrawal, signed by Alice's key, submitted to one member and flooded
    transfer = ferris_wallet_transaction(node, CHAIN, ALICE_SEED, FerrisTxKind.TRANSFER, 10_000, bob)
    world.flood(0, node.submit(CHAIN, transfer))
    recipient = sb.ALICE
    withdraw = ferris_wallet_transaction(node, CHAIN, ALICE_SEED, FerrisTxKind.WITHDRAW, 5_000, recipient)
    world.flood(0, node.submit(CHAIN, withdraw))
    assert all(len(s.pool(CHAIN)) == 2 for s in world.services)
    empty = ferris_wallet_transaction(node, CHAIN, b"\xc0" * 32, FerrisTxKind.TRANSFER, 1, alice)
    with pytest.raises(SidechainRejected, match="rejects"):  # no balance for the fee (VMF-6)
        node.submit(CHAIN, empty)
    with pytest.raises(SidechainRejected, match="no sidechain"):
        node.submit(CHAIN + 1, transfer)
    _run_until(world, lambda: balance_of(node, CHAIN, bob)["balance"] == 10_000)
    assert all(balance_of(s, CHAIN, bob)["balance"] == 10_000 for s in world.services)
    # the withdrawal is checkpointed, then matures (SC-PEG-3)
    _run_until(
        world, lambda: bool(node.withdrawals(CHAIN)) and bool(node.withdrawals(CHAIN)[0]["checkpointed"])
    )
    entry = node.withdrawals(CHAIN)[0]
    assert entry["amount"] == 5_000 and entry["claimed"] is False
    record = world.builder.state.sidechains.chains[CHAIN]
    posted = next(
        c for c in world.builder.blocks[-1].transactions[1:] for o in c.outputs if _is_checkpoint(o)
    )
    checkpoint = next(m for o in posted.outputs if isinstance(m := _message(o), Checkpoint))
    assert is_signed_by(checkpoint, GROUP_KEY)  # the threshold signature of 2 of 3 shares (SIGN-3)
    while world.builder.state.height + 1 < int(entry["claimable_from"]):  # type: ignore[call-overload]
        world.mine()
    escrow = world.builder.state.sidechains.chains[CHAIN].escrow
    claim = node.claim(CHAIN, int(entry["height"]), int(entry["index"]))  # type: ignore[call-overload]
    after = world.mine()
    payout = after.utxos[OutPoint(txid(claim, DEVNET), 1)].output
    assert payout == TxOutput(5_000, recipient)
    assert after.sidechains.chains[CHAIN].escrow == escrow - 5_000
    assert node.withdrawals(CHAIN)[0]["claimed"] is True
    assert record.checkpoints  # checkpoints accepted along the way
    with pytest.raises(WithdrawalSpent):  # at most once (SC-PEG-4)
        apply_sidechain_transaction(after.sidechains, claim, after.height + 1, {}, DEVNET)


def _message(output: TxOutput) -> object:
    try:
        return match_sidechain_message(output.script_pubkey, DEVNET)
    except SpecError:
        return None


def _is_checkpoint(output: TxOutput) -> bool:
    return isinstance(_message(output), Checkpoint)


def test_a_stored_sidechain_proposal_survives_the_node_state_codec() -> None:
    """The node's stored governance state reads a CREATE_SIDECHAIN proposal whatever the fork (a
    node that had one could not restart: the devnet round trip found it)."""
    record = ProposalRecord(
        b"\x01" * 32, Proposal(b"sidechain 1", 40, CreateSidechain(SPEC)), 1, ProposalStatus.EXECUTED, 3
    )
    state = replace(EMPTY_STATE, proposals={record.proposal_id: record})
    assert decode_governance(encode_governance(state, DEVNET), DEVNET) == state


def test_the_node_stores_the_sidechains_state(world: World) -> None:
    """The store's meta row ``sidechains`` (SC-STATE-1 items) gives back the state after the round
    trip: registry, escrow, checkpoints and the spent withdrawal (a restarted node forgot them)."""
    state = world.builder.state.sidechains
    assert state.chains[CHAIN].checkpoints and state.spent_withdrawals
    assert decode_sidechains(encode_sidechains(state)) == state

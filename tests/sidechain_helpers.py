"""Shared builders of the FerrisScript VM and sidechain block tests, vectors and benchmarks, and the
federation world of the node's sidechain tests (:func:`build_world`)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any, TypeVar

from conformance.chainbuilder import ChainBuilder
from conformance.wallet import spend_p2pkh
from reference.sidechains import SidechainOutput, SidechainRejected, SidechainService, _Federation
from spec.chain.block import Block, block_hash
from spec.chain.state import ChainState, initial_state
from spec.crypto.threshold import coefficients_from_seed, generate_shares, group_public_key, public_key_shares
from spec.encoding import encode
from spec.errors import SpecError
from spec.forks.deployment import DeploymentStatus
from spec.ledger.transaction import OutPoint, Transaction, TxOutput
from spec.masternode.dkg import DkgResult
from spec.masternode.finality import QuorumRecord
from spec.masternode.quorum import QuorumType
from spec.masternode.signing import SignatureShare
from spec.p2p.messages import GetSidechainBlocks, SidechainBlockMessage, SidechainTxMessage
from spec.presets import DEVNET
from spec.sidechain.checkpoint import federation_keys
from spec.sidechain.registry import EMPTY_SIDECHAINS, SidechainSpec, register_sidechains
from spec.sidechain.state import apply_sidechain_transaction
from spec.sidechain.transactions import SidechainMessage, sidechain_message_script
from spec.trie import Trie
from spec.vm.ferris import (
    ACCOUNT_CODEC,
    HASHER,
    Account,
    FerrisTransaction,
    FerrisTxKind,
    account_key,
    compute_account_id,
    encode_transaction,
    p2pkh_locking_script,
    sign_transaction,
)

CHAIN_ID = 7


def seed(index: int) -> bytes:
    """The Ed25519 seed of test key ``index``."""
    return (index + 1).to_bytes(32, "big")


@cache
def lock(index: int) -> bytes:
    """The P2PKH locking script of test key ``index``."""
    return p2pkh_locking_script(seed(index))


@cache
def account(index: int) -> bytes:
    """The account id of test key ``index``."""
    return compute_account_id(lock(index))


def state_trie(balances: dict[int, tuple[int, int]]) -> Trie:
    """The FerrisScript state holding key index -> (balance, nonce)."""
    return Trie.from_items(
        {account_key(account(i)): encode(ACCOUNT_CODEC, Account(*value)) for i, value in balances.items()},
        HASHER,
    )


def signed(
    sender: int,
    *,
    kind: FerrisTxKind = FerrisTxKind.TRANSFER,
    nonce: int = 0,
    fee: int = 5000,
    amount: int = 100,
    target_chain: int = 0,
    recipient: bytes | None = None,
    payload: bytes = b"",
    chain_id: int = CHAIN_ID,
) -> FerrisTransaction:
    """A transaction of test key ``sender``, signed (recipient: key ``sender + 1``'s account)."""
    tx = FerrisTransaction(
        kind=int(kind),
        chain_id=chain_id,
        nonce=nonce,
        fee=fee,
        amount=amount,
        target_chain=target_chain,
        recipient=account(sender + 1) if recipient is None else recipient,
        payload=payload,
        locking_script=lock(sender),
        unlocking_script=b"",
    )
    return sign_transaction(tx, seed(sender))


def signed_bytes(sender: int, **fields: Any) -> bytes:
    """:func:`signed`, encoded."""
    return encode_transaction(signed(sender, **fields))


# ----------------------------------------------------------------- the node's federation world

FEE = 10_000
SESSION = b"\x5c" * 32
COEFFICIENTS = coefficients_from_seed(b"\x42" * 32, 2)
SECRET_SHARES = generate_shares(COEFFICIENTS, (1, 2, 3))
GROUP_KEY = group_public_key(COEFFICIENTS)
RESULT = DkgResult(SESSION, 2, (1, 2, 3), (), GROUP_KEY, public_key_shares(SECRET_SHARES))
"""The finality quorum's DKG: a 2-of-3 threshold key whose members are the three services."""


@dataclass
class World:
    """One mainchain, three federation members' services, a flood between them; a member in
    :attr:`offline` hears no sidechain message and runs no tip handler, and the mainchain blocks it
    missed wait in :attr:`missed` (connected by ``tests/test_sidechain_liveness.py``'s restart)."""

    builder: ChainBuilder
    services: list[SidechainService] = field(default_factory=list)
    pending: list[Transaction] = field(default_factory=list)
    used: set[OutPoint] = field(default_factory=set)
    seen: list[set[object]] = field(default_factory=list)
    offline: set[int] = field(default_factory=set)
    missed: dict[int, list[tuple[Block, ChainState]]] = field(default_factory=dict)

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

    def answer(self, sender: int, request: GetSidechainBlocks) -> list[tuple[int, SidechainOutput]]:
        """What a block request (P2P-SC-3) of member ``sender`` floods on: nothing here (the request
        goes unanswered); ``tests/test_sidechain_liveness.py`` answers it."""
        return []

    def flood(self, origin: int, messages: Sequence[SidechainOutput]) -> None:
        queue = [(origin, m) for m in messages]
        while queue:
            sender, message = queue.pop(0)
            if isinstance(message, GetSidechainBlocks):  # P2P-SC-3: answered to the asker only
                queue.extend(self.answer(sender, message))
                continue
            for index, service in enumerate(self.services):
                if index == sender or index in self.offline or message in self.seen[index]:
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

    def select_pending(self) -> list[Transaction]:
        """The pending transactions that the sidechain rules accept in order (the node's mempool
        check: a second copy of a checkpoint is dropped) and the escrow their claims release; the
        fee rule of the builder counts that release as input value (a claim's payout is the escrow's)."""
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

        def fees(transactions: Sequence[Transaction]) -> int:
            return ChainBuilder.fees(builder, transactions) + released

        builder.fees = fees  # type: ignore[method-assign]
        return chosen

    def mine(self) -> ChainState:
        """The next block with :meth:`select_pending`'s transactions, connected by every member."""
        before = self.builder.state
        chosen = self.select_pending()
        block: Block = self.builder.build(chosen)
        after = self.builder.add(block)
        for index, service in enumerate(self.services):
            if index in self.offline:
                self.missed.setdefault(index, []).append((block, before))
            else:
                service.on_connect(block, before)
        for index, service in enumerate(self.services):
            if index not in self.offline:
                self.flood(index, service.on_tip())
        return after


def state_with_federation(state: ChainState) -> ChainState:
    """The committed key of the finality quorums in charge from 25 on (FIN-5/6), as the DKG would."""
    records = {
        base: QuorumRecord(base, bytes(32), SESSION, (), 2, GROUP_KEY, base) for base in range(0, 200, 30)
    }
    return replace(state, quorums=replace(state.quorums, records={**state.quorums.records, **records}))


def federation_lookup(member: int) -> Callable[[int, bytes], _Federation | None]:
    """Member ``member``'s share of the finality quorum's committed key (the node's DKG store)."""
    federation = _Federation(SESSION, RESULT, member, SECRET_SHARES[member - 1])
    return lambda kind, key: federation if key == GROUP_KEY and kind == QuorumType.FINALITY else None


def sidechain_service(world: World, db: sqlite3.Connection, member: int) -> SidechainService:
    """Member ``member``'s :class:`SidechainService` over ``db``, following ``world``'s mainchain."""

    def best_hash_at(height: int) -> bytes | None:
        blocks = world.builder.blocks
        return block_hash(blocks[height].header, DEVNET) if 0 <= height < len(blocks) else None

    return SidechainService(
        db, DEVNET, lambda: world.builder.state, best_hash_at, federation_lookup(member), world.publish
    )


W = TypeVar("W", bound=World)


def build_world(
    specs: Sequence[SidechainSpec],
    world_type: type[W] = World,  # type: ignore[assignment]
    dbs: Sequence[sqlite3.Connection] | None = None,
) -> W:
    """A devnet mainchain with every fork ACTIVE and ``specs`` registered (activation 1), mined to
    height 25 where the finality quorum's committed key is :data:`GROUP_KEY`; three members, each a
    :class:`SidechainService` over its own database (``dbs``, or fresh in-memory ones)."""
    base = initial_state(DEVNET)
    deployments = tuple(replace(r, status=DeploymentStatus.ACTIVE) for r in base.deployments)
    sidechains = register_sidechains(EMPTY_SIDECHAINS, tuple(specs), 1)
    builder = ChainBuilder(DEVNET, states=[replace(base, deployments=deployments, sidechains=sidechains)])
    world = world_type(builder)
    while builder.state.height < 25:
        builder.add(builder.build())
    builder.states[-1] = state_with_federation(builder.state)
    if dbs is None:
        dbs = [sqlite3.connect(":memory:", isolation_level=None) for _ in range(3)]
    for member in (1, 2, 3):
        world.services.append(sidechain_service(world, dbs[member - 1], member))
        world.seen.append(set())
    return world


def run_until(world: World, done: object, limit: int = 20) -> None:
    """Mine until ``done()`` holds, at most ``limit`` blocks."""
    for _ in range(limit):
        if callable(done) and done():
            return
        world.mine()
    assert callable(done) and done(), "the scenario did not get there in time"

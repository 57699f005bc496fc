"""Deterministic mainchain blocks carrying sidechain messages (fork ``sidechains``, SC-*).

The sidechain transition of a mainchain block (spec/sidechain/state.py) reads only the block's
transactions, its height and the federation keys the chain committed; the scenarios here build
exactly that: a coinbase-first list of transactions per height, with one fixed funding input each
(the UTXO rules are TX-*'s and are not exercised here), and a federation whose group key is a
fixed BLS key (the key a DKG would commit, FIN-5).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from spec.crypto import bls
from spec.encoding import encode
from spec.ledger.transaction import OutPoint, Transaction, TxInput, TxOutput, coinbase_transaction
from spec.masternode.quorum import QuorumType
from spec.merkle import inclusion_proof, merkle_root
from spec.presets import DEVNET, Preset
from spec.script import p2pkh_script
from spec.sidechain.header import Checkpoint, SidechainHeader, compute_checkpoint_message, compute_header_hash
from spec.sidechain.registry import EMPTY_SIDECHAINS, SidechainSpec, SidechainsState, register_sidechains
from spec.sidechain.state import SidechainBlock, apply_block_to_sidechains
from spec.sidechain.transactions import (
    DepositMessage,
    OutboxProof,
    RefundClaim,
    RelayMessage,
    SidechainMessage,
    WithdrawalClaim,
    sidechain_message_script,
)
from spec.vm.interface import OUTBOX_ENTRY_CODEC, OutboxEntry, OutboxKind, VmKind

PRESET = DEVNET
CHAIN_A = 1
CHAIN_B = 2
SPEC_A = SidechainSpec(CHAIN_A, VmKind.FERRIS, QuorumType.FINALITY, 2, 3, 4, 10**12, 10**10)
SPEC_B = SidechainSpec(CHAIN_B, VmKind.EVM, QuorumType.POSE, 2, 3, 4, 10**12, 10**10)
ACTIVATION = 10
"""The superblock at which both sidechains activate (devnet superblock interval divides it)."""
ALICE = p2pkh_script(bytes(range(32)))
BOB_ON_SIDECHAIN = b"\xb0" * 20
ALICE_ON_SIDECHAIN = b"\xa1" * 32
"""VM-5: the sender of the builder's outbox entries (a FerrisScript account id on sidechain A)."""


@cache
def federation_secret(quorum_type: int) -> bytes:
    """A fixed group secret per quorum type (what the DKG would share)."""
    return bls.key_gen(bytes([quorum_type]) * 32, b"rusty sidechain federation")


@cache
def federation_public(quorum_type: int) -> bytes:
    """The group public key the chain committed for ``quorum_type``."""
    return bls.sk_to_pk(federation_secret(quorum_type))


def keys() -> dict[int, bytes]:
    """SC-CP-4: both federations' keys."""
    return {
        QuorumType.FINALITY: federation_public(QuorumType.FINALITY),
        QuorumType.POSE: federation_public(QuorumType.POSE),
    }


def initial() -> SidechainsState:
    """Both sidechains registered at :data:`ACTIVATION`."""
    return register_sidechains(EMPTY_SIDECHAINS, (SPEC_A, SPEC_B), ACTIVATION)


def entry_leaf(entry: OutboxEntry) -> bytes:
    """VM-5 / SC-TX-2: the leaf of an outbox entry."""
    return encode(OUTBOX_ENTRY_CODEC, entry)


def header(
    spec: SidechainSpec, height: int, parent: bytes, cursor: int, outbox: Sequence[OutboxEntry] = ()
) -> SidechainHeader:
    """A sidechain header with the given outbox (other roots fixed)."""
    return SidechainHeader(
        spec.sidechain_id,
        height,
        parent,
        1_700_000_000 + height,
        bytes(32),
        0,
        bytes([height % 256]) * 32,
        bytes(32),
        cursor,
        bytes(32),
        merkle_root([entry_leaf(e) for e in outbox]),
    )


def sign(head: SidechainHeader, quorum_type: int) -> Checkpoint:
    """SC-HDR-3: the federation's threshold signature (its group key signs)."""
    return Checkpoint(head, bls.sign(federation_secret(quorum_type), compute_checkpoint_message(head)))


def outbox_proof(
    spec: SidechainSpec, checkpoint_height: int, outbox: Sequence[OutboxEntry], index: int
) -> OutboxProof:
    """SC-TX-2: the proof of ``outbox[index]``."""
    leaves = [entry_leaf(e) for e in outbox]
    return OutboxProof(
        spec.sidechain_id,
        checkpoint_height,
        index,
        len(leaves),
        outbox[index],
        inclusion_proof(leaves, index),
    )


def withdrawal(amount: int, recipient: bytes = ALICE, sender: bytes = ALICE_ON_SIDECHAIN) -> OutboxEntry:
    """VM-5: a withdrawal entry emitted by ``sender``."""
    return OutboxEntry(OutboxKind.WITHDRAWAL, 0, recipient, amount, b"", sender)


def message(
    target: int, amount: int, recipient: bytes = BOB_ON_SIDECHAIN, sender: bytes = ALICE_ON_SIDECHAIN
) -> OutboxEntry:
    """VM-5: a message entry emitted by ``sender``."""
    return OutboxEntry(OutboxKind.MESSAGE, target, recipient, amount, b"hello", sender)


def tx(height: int, serial: int, outputs: Sequence[TxOutput]) -> Transaction:
    """A transaction with one fixed funding input (not checked by SC-*)."""
    funding = OutPoint(bytes([height % 256, serial % 256]) + bytes(30), serial)
    return Transaction(1, (TxInput(funding, b"", 0xFFFFFFFF),), tuple(outputs), 0)


def message_output(item: SidechainMessage, value: int = 0, preset: Preset = PRESET) -> TxOutput:
    """SC-TX-0: the output carrying ``item``."""
    return TxOutput(value, sidechain_message_script(item, preset))


def deposit_output(chain: int, amount: int, recipient: bytes = BOB_ON_SIDECHAIN) -> TxOutput:
    """SC-PEG-1: a deposit output."""
    return message_output(DepositMessage(chain, recipient), amount)


def claim_outputs(proof: OutboxProof) -> tuple[TxOutput, TxOutput]:
    """SC-PEG-3/4: a claim and its payout."""
    return message_output(WithdrawalClaim(proof)), TxOutput(proof.entry.amount, proof.entry.recipient)


def relay_output(proof: OutboxProof) -> TxOutput:
    """SC-MSG-1: a relay."""
    return message_output(RelayMessage(proof))


def refund_output(chain: int, height: int, index: int) -> TxOutput:
    """SC-MSG-4: a refund."""
    return message_output(RefundClaim(chain, height, index))


def block(height: int, *transactions: Sequence[TxOutput]) -> tuple[Transaction, ...]:
    """The coinbase of ``height`` and one transaction per output list."""
    coinbase = coinbase_transaction(height, (TxOutput(1, ALICE),))
    return (coinbase, *(tx(height, i, outputs) for i, outputs in enumerate(transactions, start=1)))


@dataclass(frozen=True)
class Step:
    """One block of a scenario."""

    height: int
    transactions: tuple[Transaction, ...]


def run(state: SidechainsState, steps: Sequence[Step], preset: Preset = PRESET) -> list[SidechainBlock]:
    """Apply ``steps`` in order; every block's result."""
    results = []
    for step in steps:
        result = apply_block_to_sidechains(state, step.transactions, step.height, keys(), preset)
        results.append(result)
        state = result.state
    return results


def genesis_checkpoint(spec: SidechainSpec, cursor: int, outbox: Sequence[OutboxEntry] = ()) -> Checkpoint:
    """The first checkpoint of ``spec`` (height 0, zero parent)."""
    return sign(header(spec, 0, bytes(32), cursor, outbox), spec.federation)


def next_checkpoint(
    spec: SidechainSpec, previous: Checkpoint, cursor: int, outbox: Sequence[OutboxEntry] = ()
) -> Checkpoint:
    """The checkpoint after ``previous``."""
    head = header(spec, previous.header.height + 1, compute_header_hash(previous.header), cursor, outbox)
    return sign(head, spec.federation)

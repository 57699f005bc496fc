"""The two-way peg on the mainchain: deposits into escrow and withdrawal claims out of it
(protocol steps "SC-PEG-1..6", fork ``sidechains``). Normative text: docs/sidechains.md.

* **SC-PEG-1 peg-in** a deposit output (SC-TX-0 kind 0) of value ``v`` to a registered sidechain
  (``SC_UNKNOWN_SIDECHAIN``) moves ``v`` into its escrow; the escrow may not exceed the sidechain's
  ``max_escrow`` (``SC_ESCROW_LIMIT``). The output never enters the UTXO set (null data).
* **SC-PEG-2 deposits** :func:`compute_deposits` lists the :class:`~spec.sidechain.header.Deposit`
  each deposit output of the block at height ``h`` creates: ``mainchain_height = h``, ``txid`` and
  ``output_index`` of the output, and ``position`` its rank among the block's inputs to that
  sidechain (deposits, relays and refunds, SC-MSG-1/4) in transaction then output order, so
  ``(mainchain_height, position)`` is SC-HDR-5's canonical order.
* **SC-PEG-3 claim** a withdrawal claim (kind 2) proves an outbox entry (SC-TX-2): the checkpoint at
  ``checkpoint_height`` was accepted (``SC_UNKNOWN_CHECKPOINT``) and is matured, i.e. the claiming
  block's height ``h >= posted_height + challenge_period`` (:func:`is_matured`,
  ``SC_CHALLENGE_PERIOD``) and no open dispute game could revert it (SC-DSP-19,
  ``SC_UNDER_DISPUTE``); the entry is a WITHDRAWAL to chain 0 (``SC_WRONG_ENTRY_KIND``) of at most
  ``max_withdrawal`` (``SC_WITHDRAWAL_LIMIT``); the proof verifies against the checkpoint's
  ``outbox_root`` (MERKLE-4: ``MERKLE_*`` codes, a forged proof is ``MERKLE_ROOT_MISMATCH``).
* **SC-PEG-4 payout, at most once** the withdrawal ``(sidechain_id, checkpoint_height, leaf_index)``
  is not in the spent-withdrawal set (``SC_WITHDRAWAL_SPENT``) and joins it; the output right after
  the claim output pays exactly ``amount`` to the script ``entry.recipient`` (``SC_BAD_PAYOUT``).
  That output is funded by the escrow: the transaction's value balance (TX-10) counts the claimed
  amount as an input (``SidechainBlock.released``, spec/sidechain/state.py). A leaf index names
  one leaf whatever leaf count a proof claims (MERKLE-5: the count only
  shapes the path), so the key cannot be varied to claim twice.
* **SC-PEG-5 escrow never negative** paying ``amount`` needs ``escrow >= amount``
  (``SC_ESCROW_UNDERFLOW``).
* **SC-PEG-6 conservation** every SC-* rule moves value between the UTXO set and an escrow or
  between escrows, never creating any: UTXO supply + total escrow changes only by the block reward
  and burnt fees.
"""

from __future__ import annotations

from dataclasses import replace

from spec.encoding import encode
from spec.errors import (
    BadPegPayout,
    ChallengePeriod,
    EscrowLimit,
    EscrowUnderflow,
    UnknownCheckpoint,
    WithdrawalLimit,
    WithdrawalSpent,
    WrongEntryKind,
)
from spec.ledger.transaction import TxOutput
from spec.merkle import verify_inclusion_proof
from spec.sidechain.registry import (
    CheckpointRecord,
    SidechainRecord,
    SidechainsState,
    get_sidechain,
    with_record,
)
from spec.sidechain.settlement import check_not_under_dispute
from spec.sidechain.transactions import OutboxProof, WithdrawalClaim
from spec.vm.interface import OUTBOX_ENTRY_CODEC, OutboxKind

MAINCHAIN_ID = 0
"""VM-5: the ``target_chain`` of a withdrawal."""


def is_matured(posted_height: int, challenge_period: int, height: int) -> bool:
    """SC-PEG-3: a checkpoint posted at ``posted_height`` is matured for the block at ``height``."""
    return height >= posted_height + challenge_period


def credit_escrow(record: SidechainRecord, amount: int) -> SidechainRecord:
    """SC-PEG-1: ``record`` with ``amount`` more in escrow (``SC_ESCROW_LIMIT`` above ``max_escrow``)."""
    if record.escrow + amount > record.spec.max_escrow:
        raise EscrowLimit(f"escrow {record.escrow} + {amount} exceeds {record.spec.max_escrow}")
    return replace(record, escrow=record.escrow + amount)


def debit_escrow(record: SidechainRecord, amount: int) -> SidechainRecord:
    """SC-PEG-5: ``record`` with ``amount`` less in escrow (``SC_ESCROW_UNDERFLOW`` below zero)."""
    if amount > record.escrow:
        raise EscrowUnderflow(f"escrow {record.escrow} cannot pay {amount}")
    return replace(record, escrow=record.escrow - amount)


def apply_deposit(state: SidechainsState, sidechain_id: int, amount: int) -> SidechainsState:
    """SC-PEG-1: move ``amount`` into the escrow of ``sidechain_id``."""
    return with_record(state, credit_escrow(get_sidechain(state, sidechain_id), amount))


def matured_checkpoint(record: SidechainRecord, checkpoint_height: int, height: int) -> CheckpointRecord:
    """SC-PEG-3 / SC-MSG-1: the accepted checkpoint at ``checkpoint_height``, matured at ``height``."""
    if not 0 <= checkpoint_height < len(record.checkpoints):
        raise UnknownCheckpoint(f"sidechain {record.spec.sidechain_id} has no checkpoint {checkpoint_height}")
    checkpoint = record.checkpoints[checkpoint_height]
    if not is_matured(checkpoint.posted_height, record.spec.challenge_period, height):
        raise ChallengePeriod(
            f"checkpoint posted at {checkpoint.posted_height} matures at "
            f"{checkpoint.posted_height + record.spec.challenge_period}, not {height}"
        )
    return checkpoint


def check_outbox_proof(outbox: OutboxProof, checkpoint: CheckpointRecord) -> None:
    """SC-TX-2 / MERKLE-4: the entry is leaf ``leaf_index`` of the checkpoint's outbox root."""
    leaf = encode(OUTBOX_ENTRY_CODEC, outbox.entry)
    verify_inclusion_proof(leaf, outbox.leaf_index, outbox.leaf_count, outbox.proof, checkpoint.outbox_root)


def apply_withdrawal_claim(
    state: SidechainsState, claim: WithdrawalClaim, payout: TxOutput | None, height: int
) -> SidechainsState:
    """SC-PEG-3..5: validate ``claim`` (paid by ``payout``, the next output) in the block at ``height``."""
    outbox = claim.outbox
    record = get_sidechain(state, outbox.sidechain_id)
    checkpoint = matured_checkpoint(record, outbox.checkpoint_height, height)
    check_not_under_dispute(state, outbox.sidechain_id, outbox.checkpoint_height)
    entry = outbox.entry
    if entry.kind != OutboxKind.WITHDRAWAL or entry.target_chain != MAINCHAIN_ID:
        raise WrongEntryKind("a withdrawal claim proves a WITHDRAWAL entry to chain 0")
    if entry.amount > record.spec.max_withdrawal:
        raise WithdrawalLimit(f"withdrawal of {entry.amount} above {record.spec.max_withdrawal}")
    check_outbox_proof(outbox, checkpoint)
    key = (outbox.sidechain_id, outbox.checkpoint_height, outbox.leaf_index)
    if key in state.spent_withdrawals:
        raise WithdrawalSpent(f"withdrawal {key} was paid")
    if payout is None or payout.value != entry.amount or payout.script_pubkey != entry.recipient:
        raise BadPegPayout("the output after the claim must pay the amount to the recipient")
    record = debit_escrow(record, entry.amount)
    return replace(with_record(state, record), spent_withdrawals=state.spent_withdrawals | {key})

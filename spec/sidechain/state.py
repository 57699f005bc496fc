"""A mainchain block's sidechain transition (protocol steps "SC-BLK-1..3", fork ``sidechains``).

* **SC-BLK-1** under fork ``sidechains`` (SC-FORK-1) the sidechain messages of the block's
  transactions after the coinbase are applied in transaction order, then output order, each to the
  state the previous ones left (SC-PEG-1/3, SC-CP-0..6, SC-MSG-1/4); the first invalid one rejects
  the block with its code. A coinbase carries no sidechain message (its outputs are fixed by RWD-3;
  an ``RCSC`` output there is plain null data).
* **SC-BLK-2** the block's outputs to each sidechain: :class:`~spec.sidechain.header.Deposit` and
  :class:`~spec.sidechain.header.InboundMessage` records with ``position`` counted per destination
  sidechain across deposits, relays and refunds (SC-PEG-2), which is SC-HDR-5's canonical order.
* **SC-BLK-3** ``released[i]``: the amount the escrow adds to transaction ``i``'s inputs (its
  claims, SC-PEG-4), for TX-10's value balance.
* **SC-BLK-4** superblock activation (SC-REG-2) runs first, before the block's messages, with the
  specs of the sidechain proposals GOV-6 executed at this height; then the dispute games whose
  deadline passed end by timeout (SC-DSP-16, spec/sidechain/games.py); then the pending messages
  acknowledged by a settled checkpoint leave the pending set (SC-MSG-3,
  spec/sidechain/messages.py).
* **SC-BLK-6** after the block's messages, each sidechain the block handed inputs records them in
  its input accumulator in ``position`` order (SC-DSP-20, spec/sidechain/accumulator.py).
* **SC-BLK-7** the block hands each sidechain at most ``sidechains.max_block_inputs`` inputs
  (deposits, relays and bounces, counted by ``position``, SC-PEG-2): the input that would take
  position ``max_block_inputs`` is ``SC_TOO_MANY_INPUTS`` (checked after its own rule). So one
  mainchain height always fits in one cursor range (SC-CP-8: a federation can always advance its
  cursor by one height) and a refund's gap leaves room for its block's inputs (SC-MSG-6).
* **SC-BLK-8** last, after SC-BLK-6, each sidechain's input marks and voided slots below its
  settled cursor are pruned (SC-DSP-24, spec/sidechain/pruning.py).
* **SC-BLK-5** dispute openings, moves, bond claims (SC-DSP-14..18), wrong-credits proofs
  (SC-DSP-22), equivocation and escrow-overdraw proofs (SC-DSP-23) are messages like the others
  (an equivocation proof reads the federation keys at its checkpoint's posted height, ``keys_at``);
  ``penalties`` lists the federations the block's settled games penalise (SC-DSP-13/17), which the
  mainchain transition slashes in its masternode step; a bond claim releases into ``released``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from spec.errors import TooManyBlockInputs
from spec.ledger.transaction import Transaction, txid
from spec.presets import Preset
from spec.sidechain.accumulator import CreditsProof, apply_credits_proof, input_credits, record_inputs
from spec.sidechain.checkpoint import FederationKeys, apply_checkpoint
from spec.sidechain.games import (
    BondClaim,
    DisputeMoveMessage,
    DisputeOpenMessage,
    Penalty,
    apply_bond_claim,
    apply_move,
    apply_opening,
    expire_games,
)
from spec.sidechain.header import Checkpoint, Deposit, InboundMessage
from spec.sidechain.messages import apply_refund, apply_relay, settle_acknowledgements
from spec.sidechain.peg import apply_deposit, apply_withdrawal_claim
from spec.sidechain.proofs import (
    EquivocationProof,
    EscrowOverdrawProof,
    KeysAt,
    apply_equivocation_proof,
    apply_overdraw_proof,
)
from spec.sidechain.pruning import prune_sidechains
from spec.sidechain.registry import (
    SidechainSpec,
    SidechainsState,
    get_sidechain,
    register_sidechains,
    with_record,
)
from spec.sidechain.transactions import (
    DepositMessage,
    RelayMessage,
    WithdrawalClaim,
    check_message_value,
    match_sidechain_message,
)


@dataclass(frozen=True)
class SidechainBlock:
    """SC-BLK-1..3: the state after a block and what the block hands each sidechain."""

    state: SidechainsState
    deposits: tuple[Deposit, ...]
    inbound: tuple[InboundMessage, ...]
    released: tuple[int, ...]
    penalties: tuple[Penalty, ...] = ()


def apply_block_to_sidechains(
    state: SidechainsState,
    transactions: Sequence[Transaction],
    height: int,
    keys: FederationKeys,
    preset: Preset,
    activated: Sequence[SidechainSpec] = (),
    keys_at: KeysAt | None = None,
    carriers: Sequence[int] | None = None,
) -> SidechainBlock:
    """SC-BLK-1..8: the sidechain transition of the block at ``height`` (coinbase first);
    ``keys_at`` gives the federation keys of an earlier height (SC-DSP-8; ``None``: ``keys`` at
    every height).

    ``carriers``: the positions, ascending, of the transactions with an output whose script starts
    with ``OP_RETURN`` (``message_carriers`` of spec/masternode/registry.py, found once per block
    by the chain's transition); only those can carry a sidechain message (SC-TX-0:
    ``match_sidechain_message`` is ``None`` for any other output), so only those are read, with
    the same result (issue 14). ``None``: every transaction is read."""
    lookup: KeysAt = (lambda _height: keys) if keys_at is None else keys_at
    state = register_sidechains(state, activated, height)
    state, expired = expire_games(state, height, preset)
    state = settle_acknowledgements(state, height)
    penalties = list(expired)
    positions: dict[int, int] = {}
    deposits: list[Deposit] = []
    inbound: list[InboundMessage] = []
    released = [0] * len(transactions)

    def next_position(sidechain_id: int) -> int:
        position = positions.get(sidechain_id, 0)
        bound = preset.sidechains.max_block_inputs
        if position >= bound:  # SC-BLK-7
            raise TooManyBlockInputs(f"the block hands sidechain {sidechain_id} more than {bound} inputs")
        positions[sidechain_id] = position + 1
        return position

    for tx_index in range(len(transactions)) if carriers is None else carriers:
        if tx_index == 0:
            continue
        tx = transactions[tx_index]
        for output_index, output in enumerate(tx.outputs):
            message = match_sidechain_message(output.script_pubkey, preset)
            if message is None:
                continue
            check_message_value(message, output.value)
            if isinstance(message, DepositMessage):
                get_sidechain(state, message.sidechain_id)
                state = apply_deposit(state, message.sidechain_id, output.value)
                deposits.append(
                    Deposit(
                        message.sidechain_id,
                        height,
                        next_position(message.sidechain_id),
                        txid(tx, preset),
                        output_index,
                        message.recipient,
                        output.value,
                    )
                )
            elif isinstance(message, Checkpoint):
                state = apply_checkpoint(state, message, keys, height, preset)
            elif isinstance(message, WithdrawalClaim):
                payout = tx.outputs[output_index + 1] if output_index + 1 < len(tx.outputs) else None
                state = apply_withdrawal_claim(state, message, payout, height)
                released[tx_index] += message.outbox.entry.amount
            elif isinstance(message, DisputeOpenMessage):
                state = apply_opening(state, message, output.value, height, preset)
            elif isinstance(message, DisputeMoveMessage):
                state, settled = apply_move(state, message, height, preset)
                penalties.extend(settled)
            elif isinstance(message, CreditsProof):
                state, settled = apply_credits_proof(state, message, height)
                penalties.extend(settled)
            elif isinstance(message, EquivocationProof):
                state, settled = apply_equivocation_proof(state, message, height, lookup)
                penalties.extend(settled)
            elif isinstance(message, EscrowOverdrawProof):
                state, settled = apply_overdraw_proof(state, message, height)
                penalties.extend(settled)
            elif isinstance(message, BondClaim):
                payout = tx.outputs[output_index + 1] if output_index + 1 < len(tx.outputs) else None
                state, amount = apply_bond_claim(state, message, payout)
                released[tx_index] += amount
            elif isinstance(message, RelayMessage):
                target = message.outbox.entry.target_chain
                position = positions.get(target, 0)
                state, delivered = apply_relay(state, message, height, position)
                next_position(target)
                inbound.append(delivered)
            else:
                position = positions.get(message.source_chain, 0)
                state, bounce = apply_refund(state, message, height, position, preset)
                next_position(message.source_chain)
                inbound.append(bounce)
    state = accumulate_inputs(state, height, deposits, inbound)
    state = prune_sidechains(state, height)
    return SidechainBlock(state, tuple(deposits), tuple(inbound), tuple(released), tuple(penalties))


def accumulate_inputs(
    state: SidechainsState,
    height: int,
    deposits: Sequence[Deposit],
    inbound: Sequence[InboundMessage],
) -> SidechainsState:
    """SC-BLK-6 (SC-DSP-20): ``state`` with the inputs the block at ``height`` handed each
    sidechain folded into its input accumulator, in ``position`` order (SCB-2's order)."""
    per_chain: dict[int, list[Deposit | InboundMessage]] = {}
    items_in_block: list[Deposit | InboundMessage] = [*deposits, *inbound]
    for item in items_in_block:
        per_chain.setdefault(item.sidechain_id, []).append(item)
    for sidechain_id in sorted(per_chain):
        items = sorted(per_chain[sidechain_id], key=lambda item: item.position)
        record = get_sidechain(state, sidechain_id)
        state = with_record(state, record_inputs(record, height, input_credits(items)))
    return state


def compute_deposits(
    transactions: Sequence[Transaction],
    height: int,
    state: SidechainsState,
    keys: FederationKeys,
    preset: Preset,
    keys_at: KeysAt | None = None,
) -> tuple[Deposit, ...]:
    """SC-PEG-2: the deposits the block at ``height`` creates, in canonical order (SC-HDR-5)."""
    return apply_block_to_sidechains(state, transactions, height, keys, preset, (), keys_at).deposits


def apply_sidechain_transaction(
    state: SidechainsState,
    tx: Transaction,
    height: int,
    keys: FederationKeys,
    preset: Preset,
    keys_at: KeysAt | None = None,
) -> tuple[SidechainsState, int]:
    """SC-BLK-1/3 for one non-coinbase transaction of the block at ``height`` (the mempool's check,
    MEMPOOL-1): the state after its sidechain messages and the escrow value its claims release
    (``released``, SC-PEG-4), or the first SC-* code it breaks. The same as the transaction's step in
    :func:`apply_block_to_sidechains` (positions of its deposits aside)."""
    result = apply_block_to_sidechains(state, (tx, tx), height, keys, preset, (), keys_at)
    return result.state, result.released[1]

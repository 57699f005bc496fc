"""Equivocation and escrow-overdraw proofs on the mainchain (SC-DSP-8/9/23, spec/sidechain/proofs.py),
for vectors, tests, fuzz seeds and the benchmark.

The chain of :mod:`conformance.creditschain` (the FerrisScript sidechain
:data:`~conformance.gamechain.SPEC_G`, challenge period 40, handed deposits of 2,100,000 atoms at
heights 11 and 13: its escrow), whose checkpoint 1 (posted at 16) carries an outbox: one
withdrawal of ``withdrawn`` atoms and one message to sidechain 1. Both checkpoints' credits are
honest (no wrong-credits proof applies), so only the proof under test can revert them. A
federation that equivocates signs a second header at a height (another state root: :func:`forged`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from conformance import creditschain as cc
from conformance import gamechain as gc
from conformance import sidechainbuilder as sb
from spec.ledger.transaction import TxOutput
from spec.presets import Preset
from spec.sidechain.header import Checkpoint, SidechainHeader, compute_credits_root, compute_header_hash
from spec.sidechain.proofs import EquivocationProof, EscrowOverdrawProof
from spec.sidechain.registry import SidechainsState
from spec.sidechain.state import apply_block_to_sidechains
from spec.vm.interface import OutboxEntry

SPEC = cc.SPEC
ESCROW = sum(credit.amount for credit in cc.INPUTS)
"""The sidechain's escrow after the deposits (2,100,000 atoms)."""
PROOF_AT = 20
"""A mainchain height inside checkpoint 1's window (posted at 16, challenge period 40)."""


def outbox(withdrawn: int) -> tuple[OutboxEntry, ...]:
    """Checkpoint 1's outbox: a withdrawal of ``withdrawn`` and a message of 3,000,000 atoms to
    sidechain 1 (above the escrow, but no withdrawal)."""
    return (sb.withdrawal(withdrawn), sb.message(sb.CHAIN_A, 3_000_000))


@dataclass(frozen=True)
class Chain:
    """The mainchain blocks, the two checkpoints posted, checkpoint 1's outbox and the state."""

    blocks: tuple[tuple[int, tuple[Sequence[TxOutput], ...]], ...]
    checkpoint_0: Checkpoint
    checkpoint_1: Checkpoint
    outbox: tuple[OutboxEntry, ...]
    state: SidechainsState


def chain(preset: Preset, withdrawn: int = 1_000_000) -> Chain:
    """The deposits and both checkpoints in mainchain blocks (checkpoint 1 withdraws ``withdrawn``)."""
    entries = outbox(withdrawn)
    head_0 = replace(sb.header(SPEC, 0, bytes(32), 0), credits_root=compute_credits_root(()))
    head_1 = replace(
        sb.header(SPEC, 1, compute_header_hash(head_0), cc.CURSOR_1, entries),
        credits_root=compute_credits_root(cc.INPUTS),
    )
    first, second = sb.sign(head_0, SPEC.federation), sb.sign(head_1, SPEC.federation)
    by_height: dict[int, list[Sequence[TxOutput]]] = {}
    for height, items in cc.DEPOSITS:
        by_height.setdefault(height, []).append(
            [sb.deposit_output(SPEC.sidechain_id, a, r) for r, a in items]
        )
    by_height.setdefault(cc.CHECKPOINT_0_AT, []).append([sb.message_output(first, 0, preset)])
    by_height.setdefault(cc.CHECKPOINT_1_AT, []).append([sb.message_output(second, 0, preset)])
    blocks = tuple((height, tuple(by_height[height])) for height in sorted(by_height))
    state = gc.initial(SPEC)
    for height, outputs in blocks:
        state = apply_block_to_sidechains(state, sb.block(height, *outputs), height, sb.keys(), preset).state
    return Chain(blocks, first, second, entries, state)


def forged(header: SidechainHeader, quorum_type: int | None = None, tag: int = 0xEE) -> Checkpoint:
    """A second checkpoint at ``header``'s height (another state root), signed by the federation
    of ``quorum_type`` (the sidechain's own by default)."""
    other = replace(header, state_root=bytes([tag]) * 32)
    return sb.sign(other, SPEC.federation if quorum_type is None else quorum_type)


def equivocation(checkpoint: Checkpoint, quorum_type: int | None = None) -> EquivocationProof:
    """SC-DSP-8: ``checkpoint`` and a forged second one at its height."""
    return EquivocationProof(checkpoint, forged(checkpoint.header, quorum_type))


def overdraw(fraud: Chain, index: int = 0, height: int = 1) -> EscrowOverdrawProof:
    """SC-DSP-9: the proof of checkpoint ``height``'s outbox entry ``index`` (SC-TX-2's fields)."""
    claim = sb.outbox_proof(SPEC, height, fraud.outbox, index)
    return EscrowOverdrawProof(
        claim.sidechain_id,
        claim.checkpoint_height,
        claim.leaf_index,
        claim.leaf_count,
        claim.entry,
        claim.proof,
    )

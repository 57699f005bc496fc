"""Wrong-credits proofs on the mainchain (SC-DSP-20/21, spec/sidechain/accumulator.py), for vectors,
tests, fuzz seeds and the benchmark.

The FerrisScript sidechain :data:`~conformance.gamechain.SPEC_G` (peg-in depth 2, challenge period
40) registered at height 10 is handed two deposits at height 11 (positions 0 and 1) and one at 13;
checkpoint 0 (the empty genesis block, cursor 0) is posted at 13 and checkpoint 1 (cursor 13: the
three deposits) at 16, its ``credits_root`` the federation's statement: honest, or one of the wrong
lists of :data:`WRONG_CREDITS`. The mainchain never executes the block, so the header's other roots
are placeholders.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType

from conformance import gamechain as gc
from conformance import sidechainbuilder as sb
from spec.ledger.transaction import TxOutput
from spec.presets import Preset
from spec.sidechain.accumulator import CreditsProof
from spec.sidechain.header import BlockCredit, Checkpoint, compute_credits_root, compute_header_hash
from spec.sidechain.registry import SidechainsState
from spec.sidechain.state import apply_block_to_sidechains

SPEC = gc.SPEC_G
RECIPIENTS = (b"\xb1" * 32, b"\xb2" * 32, b"\xb3" * 32)
DEPOSITS: tuple[tuple[int, tuple[tuple[bytes, int], ...]], ...] = (
    (11, ((RECIPIENTS[0], 500_000), (RECIPIENTS[1], 700_000))),
    (13, ((RECIPIENTS[2], 900_000),)),
)
"""The deposits by mainchain height, in output order (= ``position`` order)."""
CHECKPOINT_0_AT = 13
CHECKPOINT_1_AT = 16
CURSOR_1 = 13
INPUTS = tuple(BlockCredit(r, a) for _, items in DEPOSITS for r, a in items)
"""The inputs of checkpoint 1's cursor range ``(0, 13]``, in SCB-2 order."""

WRONG_CREDITS = MappingProxyType(
    {
        "never_credited": (INPUTS[0], INPUTS[2]),
        "credited_twice": (INPUTS[0], INPUTS[1], INPUTS[1], INPUTS[2]),
        "out_of_order": (INPUTS[1], INPUTS[0], INPUTS[2]),
        "wrong_amount": (INPUTS[0], replace(INPUTS[1], amount=INPUTS[1].amount + 1), INPUTS[2]),
        "wrong_recipient": (INPUTS[0], replace(INPUTS[1], recipient=RECIPIENTS[2]), INPUTS[2]),
        "none_credited": (),
    }
)
"""Credits lists a lying federation may commit for checkpoint 1 (each differs from :data:`INPUTS`)."""


@dataclass(frozen=True)
class Chain:
    """The mainchain blocks of a scenario, the checkpoints posted and the state after them."""

    blocks: tuple[tuple[int, tuple[Sequence[TxOutput], ...]], ...]
    checkpoint_0: Checkpoint
    checkpoint_1: Checkpoint
    state: SidechainsState


def checkpoints(
    credits: Sequence[BlockCredit] = INPUTS, cursor_0: int = 0, credits_0: Sequence[BlockCredit] = ()
) -> tuple[Checkpoint, Checkpoint]:
    """Checkpoint 0 (cursor ``cursor_0``, committing ``credits_0``) and checkpoint 1 (committing
    ``credits``)."""
    head_0 = replace(sb.header(SPEC, 0, bytes(32), cursor_0), credits_root=compute_credits_root(credits_0))
    head_1 = replace(
        sb.header(SPEC, 1, compute_header_hash(head_0), CURSOR_1), credits_root=compute_credits_root(credits)
    )
    return sb.sign(head_0, SPEC.federation), sb.sign(head_1, SPEC.federation)


def chain(
    preset: Preset,
    credits: Sequence[BlockCredit] = INPUTS,
    cursor_0: int = 0,
    credits_0: Sequence[BlockCredit] = (),
) -> Chain:
    """The deposits and both checkpoints in mainchain blocks, applied from registration."""
    first, second = checkpoints(credits, cursor_0, credits_0)
    by_height: dict[int, list[Sequence[TxOutput]]] = {}
    for height, items in DEPOSITS:
        by_height.setdefault(height, []).append(
            [sb.deposit_output(SPEC.sidechain_id, a, r) for r, a in items]
        )
    by_height.setdefault(CHECKPOINT_0_AT, []).append([sb.message_output(first, 0, preset)])
    by_height.setdefault(CHECKPOINT_1_AT, []).append([sb.message_output(second, 0, preset)])
    blocks = tuple((height, tuple(by_height[height])) for height in sorted(by_height))
    state = gc.initial(SPEC)
    for height, outputs in blocks:
        state = apply_block_to_sidechains(state, sb.block(height, *outputs), height, sb.keys(), preset).state
    return Chain(blocks, first, second, state)


def proof(checkpoint: Checkpoint, inputs: Sequence[BlockCredit] = INPUTS) -> CreditsProof:
    """SC-DSP-21: the proof that ``checkpoint``'s credits are not ``inputs``."""
    return CreditsProof(checkpoint.header, tuple(inputs))

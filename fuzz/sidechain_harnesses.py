"""Fuzz harnesses of the sidechain flows (spec/sidechain/, fork ``sidechains``), ``fuzz_<name>(data)``.

Same contract as :mod:`fuzz.harnesses`: a :class:`~spec.errors.SpecError` rejection is swallowed,
any other exception escapes and is a finding, and a broken invariant raises
:class:`SidechainInvariantViolation`. :data:`SIDECHAIN_HARNESSES` lists them for registration in
:data:`fuzz.harnesses.HARNESSES`; :func:`sidechain_seeds` gives their seed corpora.

* ``sidechain_message`` (SC-TX-0..2): the input is an output script; a recognised message
  re-encodes to the script (canonical, SC-TX-0) and only ``DECODE_*`` codes reject one.
* ``sidechain_checkpoint`` (SC-HDR-4, SC-CP-1..5): the input is a checkpoint encoding; an accepted
  one re-encodes to the input; validated as the first checkpoint of sidechain 1 it is accepted
  only with a signature that verifies under the federation key; it is never equivocation evidence
  with itself.
* ``sidechain_spec`` (SC-REG-1): the input is a spec encoding; an accepted one re-encodes, and
  :func:`~spec.sidechain.registry.check_sidechain_spec` raises only ``SC_BAD_SPEC``.
* ``sidechain_block`` (SC-BLK-1..3, SC-PEG-5/6): the input is read as a short program of
  deposits, checkpoints, claims, relays and refunds on the funded two-chain state of
  conformance/sidechainbuilder.py; after every accepted block the escrows stay within
  ``[0, max_escrow]``, total escrow changes by exactly deposits minus payouts, and no withdrawal
  or message key is spent twice; a refund never bounces a message a standing checkpoint of its
  destination acknowledges, and a message leaves the pending set unrefunded only when a settled
  checkpoint acknowledges it (SC-MSG-3). A step may instead revert B's latest checkpoint (a game
  lost in its window); each refund voids exactly its message's slot on the destination (SC-MSG-5),
  no standing checkpoint takes a voided slot before its refund (SC-CP-7), and the honest blocks of
  B's standing checkpoints (SCB-2 with the voids) never credit a refunded message.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache, lru_cache

from conformance import sidechainbuilder as sb
from fuzz.bls_cache import cached_bls
from spec.encoding import decode, encode
from spec.errors import CheckpointBadSignature, DecodeError, SidechainBadSpec, SpecError
from spec.ledger.transaction import Transaction, TxOutput
from spec.presets import DEVNET
from spec.sidechain.chain import MainchainInputs, select_inputs
from spec.sidechain.checkpoint import apply_checkpoint, check_equivocation, is_signed_by
from spec.sidechain.header import (
    CHECKPOINT_CODEC,
    Deposit,
    InboundMessage,
    VoidedInput,
    encode_checkpoint,
    get_cursor_after_refunds,
    is_cursor_before_refund,
)
from spec.sidechain.messages import get_acknowledging_checkpoint, is_acknowledged_for_good
from spec.sidechain.pruning import get_settled_cursor, prune_voids
from spec.sidechain.registry import (
    SIDECHAIN_SPEC_CODEC,
    SidechainRecord,
    SidechainsState,
    check_sidechain_spec,
    count_range_inputs,
    encode_sidechain_spec,
    get_bounded_cursor,
    total_escrow,
)
from spec.sidechain.settlement import check_dispute_window, revert_checkpoints
from spec.sidechain.state import apply_block_to_sidechains
from spec.sidechain.transactions import match_sidechain_message, sidechain_message_script

PRESET = DEVNET
STEP_CACHE_ENTRIES = 1 << 14
"""Program steps' outputs remembered by ``sidechain_block`` (the federation signs a checkpoint once)."""


class SidechainInvariantViolation(AssertionError):
    """A sidechain decoder or rule accepted or rejected an input in a way its rules forbid."""


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise SidechainInvariantViolation(message)


def fuzz_message(data: bytes) -> None:
    """SC-TX-0..2 on an output script (see the module docstring)."""
    try:
        message = match_sidechain_message(data, PRESET)
    except DecodeError:
        return
    if message is not None:
        _require(
            sidechain_message_script(message, PRESET) == data, "SC-TX-0: a message re-encodes differently"
        )


def fuzz_checkpoint(data: bytes) -> None:
    """SC-HDR-4 and SC-CP-1..5 on a checkpoint encoding."""
    try:
        checkpoint = decode(CHECKPOINT_CODEC, data)
    except DecodeError:
        return
    _require(encode_checkpoint(checkpoint) == data, "SC-HDR-4: a checkpoint re-encodes differently")
    key = sb.federation_public(sb.SPEC_A.federation)
    try:
        apply_checkpoint(sb.initial(), checkpoint, sb.keys(), 10**6, sb.PRESET)
        _require(is_signed_by(checkpoint, key), "SC-CP-4: accepted without the federation's signature")
    except CheckpointBadSignature:
        _require(not is_signed_by(checkpoint, key), "SC-CP-4: a verifying signature was rejected")
    except SpecError:
        pass
    try:
        check_equivocation(checkpoint, checkpoint, key)
    except SpecError:
        return
    raise SidechainInvariantViolation("SC-CP-5: a checkpoint equivocates with itself")


def fuzz_spec(data: bytes) -> None:
    """SC-REG-1 on a spec encoding."""
    try:
        spec = decode(SIDECHAIN_SPEC_CODEC, data)
    except DecodeError:
        return
    _require(encode_sidechain_spec(spec) == data, "SC-REG-1: a spec re-encodes differently")
    try:
        check_sidechain_spec(spec, PRESET)
    except SidechainBadSpec:
        return


_OUTBOX = [sb.withdrawal(300), sb.message(sb.CHAIN_B, 200), sb.withdrawal(50)]


@cache
def _funded() -> SidechainsState:
    funding = [sb.deposit_output(sb.CHAIN_A, 1000), sb.deposit_output(sb.CHAIN_B, 1000)]
    state = apply_block_to_sidechains(sb.initial(), sb.block(12, funding), 12, sb.keys(), PRESET).state
    checkpoint = sb.genesis_checkpoint(sb.SPEC_A, 12, _OUTBOX)
    return apply_block_to_sidechains(
        state, sb.block(14, [sb.message_output(checkpoint)]), 14, sb.keys(), PRESET
    ).state


def _program_block(height: int, op: int, arg: int, state: SidechainsState) -> tuple[Transaction, ...]:
    kind = op % 5
    if kind < 4:
        return _block(height, _fixed_outputs(kind, arg))
    record = state.chains[sb.CHAIN_B]
    latest = record.latest
    parent = latest.header_hash if latest else bytes(32)
    return _block(height, (_checkpoint_output(len(record.checkpoints), parent, min(height - 2, arg)),))


@lru_cache(maxsize=STEP_CACHE_ENTRIES)
def _block(height: int, outputs: tuple[TxOutput, ...] | None) -> tuple[Transaction, ...]:
    """The block of a program step: the coinbase, and a transaction with ``outputs`` unless None."""
    return sb.block(height) if outputs is None else sb.block(height, outputs)


@lru_cache(maxsize=STEP_CACHE_ENTRIES)
def _fixed_outputs(kind: int, arg: int) -> tuple[TxOutput, ...]:
    """The outputs of a deposit, claim, relay or refund step: a function of its two bytes only."""
    chain = sb.CHAIN_A if arg % 2 == 0 else sb.CHAIN_B
    if kind == 0:
        return (sb.deposit_output(chain if arg % 7 else 9, arg * 13),)
    if kind == 1:
        return sb.claim_outputs(sb.outbox_proof(sb.SPEC_A, arg % 2, _OUTBOX, arg % 3))
    if kind == 2:
        return (sb.relay_output(sb.outbox_proof(sb.SPEC_A, 0, _OUTBOX, arg % 3)),)
    return (sb.refund_output(sb.CHAIN_A, 0, arg % 3),)


@lru_cache(maxsize=STEP_CACHE_ENTRIES)
def _checkpoint_output(height: int, parent: bytes, cursor: int) -> TxOutput:
    """B's federation's signed checkpoint (a function of its header's three free fields)."""
    head = sb.header(sb.SPEC_B, height, parent, cursor, [])
    return sb.message_output(sb.sign(head, sb.SPEC_B.federation))


def _is_revert(op: int, arg: int) -> bool:
    """A program step that reverts B's latest checkpoint (a game lost inside its window) before an
    empty block, instead of posting a checkpoint."""
    return op % 5 == 4 and arg >= 240


def _check_voids(
    state: SidechainsState, result: SidechainsState, inbound: Sequence[InboundMessage], height: int
) -> None:
    """SC-MSG-5 / SC-CP-7: each bounce voids its message's slot on the destination, nothing else
    does, and no standing checkpoint's cursor takes a voided slot before its refund."""
    bounced = [m for m in inbound if m.sidechain_id == m.source_chain]
    for chain_id, record in result.chains.items():
        expected = {
            VoidedInput(
                state.pending_messages[key].relay_height, state.pending_messages[key].position, height
            )
            for key in ((m.source_chain, m.source_height, m.source_index) for m in bounced)
            if state.pending_messages[key].destination == chain_id
        }
        before = state.chains[chain_id].voids if chain_id in state.chains else ()
        _require(not expected & set(before), "SC-MSG-5: a slot voided twice")
        settled = get_settled_cursor(result, chain_id, height)
        kept = set(before) | expected if settled is None else set(prune_voids((*before, *expected), settled))
        _require(
            set(record.voids) == kept, "SC-MSG-5 / SC-DSP-24: voids changed other than by refunds and pruning"
        )
        _require(
            settled is None or len([m for m in record.input_marks if m.height <= settled]) <= 1,
            "SC-DSP-24: a mark below the settled cursor's was kept",
        )
        for checkpoint in record.checkpoints:
            _require(
                not any(
                    is_cursor_before_refund(v.relay_height, v.refund_height, checkpoint.deposit_cursor)
                    for v in record.voids
                ),
                "SC-CP-7: a standing checkpoint takes a refunded message before its refund",
            )


def _check_never_both(
    record: SidechainRecord, deposits: list[Deposit], messages: list[InboundMessage], voids: set[VoidedInput]
) -> None:
    """SC-HDR-6 / SCB-2: the honest blocks of B's standing checkpoints credit no voided slot
    (``voids``: every slot ever voided, SC-DSP-24 having pruned the record's below its settled cursor)."""
    history = tuple(sorted(voids, key=lambda v: (v.relay_height, v.position)))
    inputs = MainchainInputs(10**9, 0, tuple(deposits), tuple(messages), history)
    voided = {(v.relay_height, v.position) for v in voids}
    parent = 0
    for checkpoint in record.checkpoints:
        taken = select_inputs(sb.CHAIN_B, parent, checkpoint.deposit_cursor, inputs)
        _require(
            not any(
                isinstance(i, InboundMessage) and (i.mainchain_height, i.position) in voided for i in taken
            ),
            "SC-MSG-5: a message credited on its destination and refunded to its source",
        )
        parent = checkpoint.deposit_cursor


def _check_producer_cursor(record: SidechainRecord, height: int) -> None:
    """SC-CP-8 / SC-CP-7 (the producer's side): the honest next cursor never goes below the latest
    one, and its range fits the bound (SC-BLK-7, SC-MSG-6 keep it advanceable)."""
    start = record.latest.deposit_cursor if record.latest else 0
    target = max(start, height - record.spec.peg_in_depth)
    bound = PRESET.dispute.max_opening_credits
    cursor = get_cursor_after_refunds(
        record.voids, get_bounded_cursor(record.input_marks, start, target, bound)
    )
    _require(start <= cursor <= target, "SC-CP-7/8: the producer's cursor left [latest, target]")
    _require(count_range_inputs(record.input_marks, start, cursor) <= bound, "SC-CP-8: the producer's range")


def fuzz_block(data: bytes) -> None:
    """SC-BLK-1..3, SC-PEG-5/6, SC-MSG-3/5, SC-CP-7 on a program of sidechain operations (two bytes each)."""
    with cached_bls():
        _run_program(data)


def _run_program(data: bytes) -> None:
    state = _funded()
    height = 14
    deposits: list[Deposit] = []
    messages: list[InboundMessage] = []
    voids: set[VoidedInput] = set()
    for i in range(0, min(len(data), 24) - 1, 2):
        height += 1 + data[i] // 64
        if _is_revert(data[i], data[i + 1]) and state.chains[sb.CHAIN_B].checkpoints:
            latest = len(state.chains[sb.CHAIN_B].checkpoints) - 1
            try:
                check_dispute_window(state, sb.CHAIN_B, latest, height)
                state = revert_checkpoints(state, sb.CHAIN_B, latest)
            except SpecError:
                pass
            txs = _block(height, None)
        else:
            txs = _program_block(height, data[i], data[i + 1], state)
        before = total_escrow(state)
        try:
            result = apply_block_to_sidechains(state, txs, height, sb.keys(), PRESET)
        except SpecError:
            continue
        moved = sum(d.amount for d in result.deposits) - sum(result.released)
        _require(
            total_escrow(result.state) - before == moved, "SC-PEG-6: escrow changed by other than the peg"
        )
        _require(
            all(0 <= r.escrow <= r.spec.max_escrow for r in result.state.chains.values()),
            "SC-PEG-5: an escrow left [0, max_escrow]",
        )
        _require(
            len(result.state.spent_withdrawals) - len(state.spent_withdrawals)
            == sum(1 for amount in result.released if amount),
            "SC-PEG-4: a payout without a new spent key",
        )
        bounced = {
            (m.source_chain, m.source_height, m.source_index)
            for m in result.inbound
            if m.sidechain_id == m.source_chain
        }
        for key in bounced:
            message = state.pending_messages[key]
            _require(
                get_acknowledging_checkpoint(state.chains[message.destination], message.relay_height) is None,
                "SC-MSG-3: a refund of an acknowledged message",
            )
        for key in set(state.pending_messages) - set(result.state.pending_messages) - bounced:
            _require(
                is_acknowledged_for_good(state, state.pending_messages[key], height),
                "SC-MSG-3: a message left the pending set before its acknowledgement settled",
            )
        _check_voids(state, result.state, result.inbound, height)
        deposits += [d for d in result.deposits if d.sidechain_id == sb.CHAIN_B]
        messages += [m for m in result.inbound if m.sidechain_id == sb.CHAIN_B]
        voids |= set(result.state.chains[sb.CHAIN_B].voids)
        _check_producer_cursor(result.state.chains[sb.CHAIN_B], height)
        _check_never_both(result.state.chains[sb.CHAIN_B], deposits, messages, voids)
        state = result.state


SIDECHAIN_HARNESSES: dict[str, Callable[[bytes], None]] = {
    "sidechain_message": fuzz_message,
    "sidechain_checkpoint": fuzz_checkpoint,
    "sidechain_spec": fuzz_spec,
    "sidechain_block": fuzz_block,
}


def sidechain_seeds() -> dict[str, dict[str, bytes]]:
    """Seeds: every message kind, a signed and an unsigned checkpoint, specs, short programs."""
    proof = sb.outbox_proof(sb.SPEC_A, 0, _OUTBOX, 1)
    messages = {
        "deposit": sb.deposit_output(sb.CHAIN_A, 5).script_pubkey,
        "checkpoint": sb.message_output(sb.genesis_checkpoint(sb.SPEC_A, 0, _OUTBOX)).script_pubkey,
        "claim": sb.claim_outputs(sb.outbox_proof(sb.SPEC_A, 0, _OUTBOX, 0))[0].script_pubkey,
        "relay": sb.relay_output(proof).script_pubkey,
        "refund": sb.refund_output(sb.CHAIN_A, 0, 1).script_pubkey,
    }
    signed = sb.genesis_checkpoint(sb.SPEC_A, 0)
    checkpoints = {
        "signed": encode_checkpoint(signed),
        "foreign_key": encode_checkpoint(sb.sign(signed.header, sb.SPEC_B.federation)),
    }
    specs = {"a": encode(SIDECHAIN_SPEC_CODEC, sb.SPEC_A), "b": encode(SIDECHAIN_SPEC_CODEC, sb.SPEC_B)}
    programs = {
        "claim": bytes([192, 0, 1, 0]),
        "relay_refund": bytes([194, 1, 3, 1, 195, 1]),
        "deposits": bytes([0, 10, 5, 11, 64, 14]),
        "checkpoint_b": bytes([4, 12, 132, 13]),
        "relay_ack_refund": bytes([132, 1, 69, 17, 3, 1, 3, 1, 0, 10]),
        "ack_revert_refund_late_checkpoint": bytes([132, 1, 69, 17, 4, 240, 3, 1, 69, 17, 69, 30]),
        "refund_late_checkpoint": bytes([132, 1, 193, 1, 194, 17, 194, 30]),
    }
    return {
        "sidechain_message": {f"seed-{k}": v for k, v in messages.items()},
        "sidechain_checkpoint": {f"seed-{k}": v for k, v in checkpoints.items()},
        "sidechain_spec": {f"seed-{k}": v for k, v in specs.items()},
        "sidechain_block": {f"seed-{k}": v for k, v in programs.items()},
    }

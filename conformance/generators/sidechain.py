"""Vectors of the ``sidechain`` and ``peg`` flows (fork ``sidechains``, spec/sidechain/).

``sidechain``: checkpoint decoding (SC-HDR-4), message recognition (SC-TX-0), sidechain specs
(SC-REG-1/2), checkpoint validation (SC-CP-0..4, one invalid case per code, including a federation
key mismatch) and equivocation evidence (SC-CP-5).

``peg``: multi-block runs (conformance/sidechainbuilder.py): deposits and their canonical order, a
checkpoint, the challenge window, a claim, a double claim, forged proofs, escrow underflow and
limits, a reorganisation around a deposit (two branches from one prefix, and a checkpoint that
would credit a deposit inside the peg-in depth), a cross-chain message round trip and a refund.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace

from conformance import sidechainbuilder as sb
from conformance.generators.bounded_state import generate_bounded_peg, generate_bounded_sidechain
from conformance.generators.credits_proof import generate_credits_proofs
from conformance.generators.dispute_games import generate_dispute_games
from conformance.generators.fraud_proofs import generate_fraud_proofs
from conformance.generators.refund_void import generate_cursor_cases, generate_refund_voids
from conformance.handlers.chain import quorum_record_json
from conformance.handlers.sidechain import spec_json
from conformance.model import JSON, CaseSpec
from spec.chain.block import Block, BlockHeader, encode_block
from spec.encoding import encode
from spec.ledger.transaction import Transaction, TxOutput, encode_transaction
from spec.masternode.dkg import session_end_height
from spec.masternode.finality import QuorumRecord, finality_quorum_height
from spec.masternode.quorum import QuorumType
from spec.masternode.registry import pose_quorum_height
from spec.presets import Preset
from spec.script import Opcode, encode_push, null_data_script
from spec.sidechain.accumulator import CreditsProof
from spec.sidechain.games import BondClaim, DisputeMoveMessage, DisputeOpenMessage
from spec.sidechain.header import SIDECHAIN_HEADER_CODEC, BlockCredit, Checkpoint, encode_checkpoint
from spec.sidechain.proofs import EquivocationProof, EscrowOverdrawProof
from spec.sidechain.registry import SIDECHAIN_SPEC_CODEC, SidechainSpec
from spec.sidechain.transactions import (
    SIDECHAIN_PREFIX,
    DepositMessage,
    RefundClaim,
    RelayMessage,
    SidechainMessage,
    WithdrawalClaim,
    encode_sidechain_message,
    sidechain_message_script,
)
from spec.vm.interface import OutboxEntry

FORK = "sidechains"
BlockList = list[tuple[int, Sequence[Sequence[TxOutput]]]]


def _case(
    handler: str, case: str, description: str, data: dict[str, JSON], error: str | None = None
) -> CaseSpec:
    return CaseSpec(handler, case, description, data, expect_error=error, fork=FORK)


def _keys(types: Sequence[int] = (QuorumType.FINALITY, QuorumType.POSE)) -> dict[str, JSON]:
    return {str(t): sb.federation_public(t).hex() for t in types}


def _blocks(preset: Preset, blocks: Sequence[tuple[int, Sequence[Sequence[TxOutput]]]]) -> list[JSON]:
    out: list[JSON] = []
    for height, txs in blocks:
        transactions: tuple[Transaction, ...] = sb.block(height, *txs)
        out.append(
            {"height": height, "transactions": [encode_transaction(t, preset).hex() for t in transactions]}
        )
    return out


def _run(
    preset: Preset,
    blocks: Sequence[tuple[int, Sequence[Sequence[TxOutput]]]],
    specs: Sequence[SidechainSpec] = (sb.SPEC_A, sb.SPEC_B),
    keys: Sequence[int] = (QuorumType.FINALITY, QuorumType.POSE),
) -> dict[str, JSON]:
    return {
        "sidechains": [spec_json(s) for s in specs],
        "activation_height": sb.ACTIVATION,
        "keys": _keys(keys),
        "blocks": _blocks(preset, blocks),
    }


# --------------------------------------------------------------------------------------------
# sidechain flow
# --------------------------------------------------------------------------------------------


def _decode_cases() -> Iterator[CaseSpec]:
    checkpoint = sb.genesis_checkpoint(sb.SPEC_A, 0, [sb.withdrawal(5)])
    encoded = encode_checkpoint(checkpoint)
    yield _case("decode_checkpoint", "valid", "SC-HDR-1..4: a checkpoint", {"encoded": encoded.hex()})
    yield _case(
        "decode_checkpoint",
        "truncated",
        "SC-HDR-4: a signature byte short",
        {"encoded": encoded[:-1].hex()},
        "DECODE_TRUNCATED",
    )
    yield _case(
        "decode_checkpoint",
        "trailing",
        "SC-HDR-4: a byte after the signature",
        {"encoded": (encoded + b"\x00").hex()},
        "DECODE_TRAILING_BYTES",
    )
    padded = b"\x81\x00" + encoded[1:]  # sidechain id 1 as a two-byte varint
    yield _case(
        "decode_checkpoint",
        "non_canonical_varint",
        "SC-HDR-4: an over-long varint",
        {"encoded": padded.hex()},
        "DECODE_NONCANONICAL_VARINT",
    )


def _match_cases(preset: Preset) -> Iterator[CaseSpec]:
    outbox = [sb.withdrawal(5), sb.message(sb.CHAIN_B, 7)]
    proof = sb.outbox_proof(sb.SPEC_A, 0, outbox, 1)
    messages: dict[str, SidechainMessage] = {
        "deposit": DepositMessage(sb.CHAIN_A, sb.BOB_ON_SIDECHAIN),
        "checkpoint": sb.genesis_checkpoint(sb.SPEC_A, 0, outbox),
        "withdrawal_claim": WithdrawalClaim(sb.outbox_proof(sb.SPEC_A, 0, outbox, 0)),
        "relay": RelayMessage(proof),
        "refund": RefundClaim(sb.CHAIN_A, 0, 1),
        "dispute_open": DisputeOpenMessage(
            sb.header(sb.SPEC_A, 1, bytes(32), 0, outbox),
            b"",
            3,
            (BlockCredit(sb.BOB_ON_SIDECHAIN, 5),),
            b"\x11" * 32,
            b"\x22" * 32,
            sb.ALICE,
        ),
        "dispute_move": DisputeMoveMessage(4, 1, 0, b"\x02" + b"\x33" * 32 + b"\x00"),
        "bond_claim": BondClaim(4),
        "credits_proof": CreditsProof(
            sb.header(sb.SPEC_A, 1, bytes(32), 0, outbox), (BlockCredit(sb.BOB_ON_SIDECHAIN, 5),)
        ),
        "equivocation_proof": EquivocationProof(
            sb.genesis_checkpoint(sb.SPEC_A, 0, outbox), sb.genesis_checkpoint(sb.SPEC_A, 1, outbox)
        ),
        "overdraw_proof": EscrowOverdrawProof(
            proof.sidechain_id,
            proof.checkpoint_height,
            proof.leaf_index,
            proof.leaf_count,
            proof.entry,
            proof.proof,
        ),
    }
    for name, message in messages.items():
        script = sidechain_message_script(message, preset)
        yield _case("match_message", name, f"SC-TX-0: a {name} message", {"script": script.hex()})
    yield _case(
        "match_message",
        "other_null_data",
        "SC-TX-0: null data without the prefix is no sidechain message",
        {"script": null_data_script(b"RCGVhello", preset.script).hex()},
    )
    yield _case(
        "match_message",
        "unknown_kind",
        "SC-TX-0: kind 11 is unknown (5..7 are the dispute messages, SC-DSP-14..18; 8 the credits "
        "proof, SC-DSP-22; 9 and 10 the equivocation and overdraw proofs, SC-DSP-23)",
        {"script": null_data_script(SIDECHAIN_PREFIX + b"\x0b", preset.script).hex()},
        "DECODE_INVALID_TAG",
    )
    yield _case(
        "match_message",
        "prefix_only",
        "SC-TX-0: the prefix without a kind",
        {"script": null_data_script(SIDECHAIN_PREFIX, preset.script).hex()},
        "DECODE_TRUNCATED",
    )
    long_claim = WithdrawalClaim(replace(proof, proof=(bytes(32),) * 20))
    full = encode_sidechain_message(long_claim, preset)
    bad_split = bytes([Opcode.OP_RETURN]) + encode_push(full[:300]) + encode_push(full[300:])
    yield _case(
        "match_message",
        "bad_split",
        "SC-TX-0: a long message split into a short first push",
        {"script": bad_split.hex()},
        "DECODE_NONCANONICAL_SPLIT",
    )
    yield _case(
        "match_message",
        "long_claim",
        "SC-TX-0: a claim longer than one push, split into full pushes",
        {"script": sidechain_message_script(long_claim, preset).hex()},
    )
    limit = preset.sidechains.max_outbox_proof_hashes
    at_limit = encode_sidechain_message(WithdrawalClaim(replace(proof, proof=(bytes(32),) * limit)), preset)
    over = at_limit[: -(1 + 32 * limit)] + bytes([limit + 1]) + bytes(32) * (limit + 1)
    size = preset.script.max_element_bytes
    script = bytes([Opcode.OP_RETURN]) + b"".join(
        encode_push(over[i : i + size]) for i in range(0, len(over), size)
    )
    yield _case(
        "match_message",
        "proof_too_long",
        "SC-TX-2: more sibling hashes than max_outbox_proof_hashes",
        {"script": script.hex()},
        "DECODE_LENGTH_LIMIT",
    )
    yield from _sender_decode_cases(preset, outbox)


def _sender_decode_cases(preset: Preset, outbox: list[OutboxEntry]) -> Iterator[CaseSpec]:
    """VM-5: the outbox entry's ``sender`` (encoded last, at most 64 bytes) as SC-TX-2 decodes it."""
    longest = replace(outbox[1], sender=b"\xee" * 64)
    relay = RelayMessage(sb.outbox_proof(sb.SPEC_A, 0, [outbox[0], longest], 1))
    yield _case(
        "match_message",
        "relay_sender_64",
        "VM-5: a relayed entry whose sender is 64 bytes (the limit)",
        {"script": sidechain_message_script(relay, preset).hex()},
    )
    encoded = encode_sidechain_message(relay, preset)
    field = b"\x40" + b"\xee" * 64
    if encoded.count(field) != 1:
        raise AssertionError("the sender field is not unique in the encoding")
    over = encoded.replace(field, b"\x41" + b"\xee" * 65)
    size = preset.script.max_element_bytes
    script = bytes([Opcode.OP_RETURN]) + b"".join(
        encode_push(over[i : i + size]) for i in range(0, len(over), size)
    )
    yield _case(
        "match_message",
        "relay_sender_too_long",
        "VM-5: a relayed entry whose sender is 65 bytes",
        {"script": script.hex()},
        "DECODE_LENGTH_LIMIT",
    )


def _spec_cases(preset: Preset) -> Iterator[CaseSpec]:
    bounds = preset.sidechains
    good = SidechainSpec(
        3,
        0,
        QuorumType.FINALITY,
        bounds.min_peg_in_depth,
        bounds.min_challenge_period,
        bounds.min_message_timeout,
        10**12,
        10**10,
    )

    def data(spec: SidechainSpec, registered: Sequence[SidechainSpec] = (sb.SPEC_A,)) -> dict[str, JSON]:
        return {
            "encoded": encode(SIDECHAIN_SPEC_CODEC, spec).hex(),
            "registered": [spec_json(s) for s in registered],
        }

    yield _case("check_spec", "valid", "SC-REG-1: every field at its lower bound", data(good))
    yield _case(
        "check_spec",
        "valid_upper",
        "SC-REG-1: every field at its upper bound",
        data(
            replace(
                good,
                sidechain_id=bounds.max_sidechain_id,
                vm_kind=2,
                federation=QuorumType.POSE,
                peg_in_depth=bounds.max_peg_in_depth,
                challenge_period=bounds.max_challenge_period,
                message_timeout=bounds.max_message_timeout,
                max_escrow=preset.ledger.max_money,
                max_withdrawal=preset.ledger.max_money,
            )
        ),
    )
    bad = {
        "id_zero": replace(good, sidechain_id=0),
        "id_too_large": replace(good, sidechain_id=bounds.max_sidechain_id + 1),
        "vm_kind": replace(good, vm_kind=3),
        "federation": replace(good, federation=0),
        "depth_low": replace(good, peg_in_depth=bounds.min_peg_in_depth - 1),
        "challenge_low": replace(good, challenge_period=bounds.min_challenge_period - 1),
        "challenge_high": replace(good, challenge_period=bounds.max_challenge_period + 1),
        "timeout_low": replace(good, message_timeout=bounds.min_message_timeout - 1),
        "timeout_high": replace(good, message_timeout=bounds.max_message_timeout + 1),
        "depth_high": replace(good, peg_in_depth=bounds.max_peg_in_depth + 1),
        "withdrawal_zero": replace(good, max_withdrawal=0),
        "withdrawal_above_escrow": replace(good, max_withdrawal=good.max_escrow + 1),
        "escrow_above_money": replace(good, max_escrow=preset.ledger.max_money + 1),
    }
    yield _case(
        "check_spec",
        "withdrawal_one",
        "SC-REG-1: max_withdrawal at its lower bound, 1",
        data(replace(good, max_withdrawal=1)),
    )
    for name, spec in bad.items():
        yield _case("check_spec", name, f"SC-REG-1: {name.replace('_', ' ')}", data(spec), "SC_BAD_SPEC")
    yield _case(
        "check_spec",
        "duplicate",
        "SC-REG-2: the id is registered",
        data(replace(good, sidechain_id=sb.CHAIN_A)),
        "SC_DUPLICATE_SIDECHAIN",
    )


def _checkpoint_cases(preset: Preset) -> Iterator[CaseSpec]:
    first = sb.genesis_checkpoint(sb.SPEC_A, 5)
    prefix: BlockList = [(12, [[sb.message_output(first)]])]

    def data(
        checkpoint: Checkpoint, height: int = 14, keys: Sequence[int] = (1, 2), blocks: BlockList = prefix
    ) -> dict[str, JSON]:
        base = _run(preset, blocks, keys=keys)
        return {**base, "checkpoint": encode_checkpoint(checkpoint).hex(), "mainchain_height": height}

    second = sb.next_checkpoint(sb.SPEC_A, first, 12)
    yield _case("check_checkpoint", "first", "SC-CP-1..4: the first checkpoint", data(first, 12, blocks=[]))
    yield _case(
        "check_checkpoint",
        "first_cursor_zero",
        "SC-CP-3: the first checkpoint may keep the cursor at 0 (nothing credited yet)",
        data(sb.genesis_checkpoint(sb.SPEC_A, 0), sb.SPEC_A.peg_in_depth, blocks=[]),
    )
    yield _case(
        "check_checkpoint", "next", "SC-CP-1..4: the next checkpoint, cursor h - depth", data(second, 14)
    )
    yield _case(
        "check_checkpoint",
        "height_gap",
        "SC-CP-1: a height skipped",
        data(sb.sign(replace(second.header, height=2), 1)),
        "SC_CHECKPOINT_HEIGHT",
    )
    yield _case(
        "check_checkpoint",
        "same_height",
        "SC-CP-1: a second checkpoint at height 0",
        data(sb.genesis_checkpoint(sb.SPEC_A, 6)),
        "SC_CHECKPOINT_HEIGHT",
    )
    yield _case(
        "check_checkpoint",
        "wrong_parent",
        "SC-CP-2: the parent is not the latest header",
        data(sb.sign(replace(second.header, parent=bytes(32)), 1)),
        "SC_CHECKPOINT_PARENT",
    )
    yield _case(
        "check_checkpoint",
        "cursor_regressed",
        "SC-CP-3: the cursor goes back",
        data(sb.next_checkpoint(sb.SPEC_A, first, 4)),
        "SC_CURSOR_REGRESSED",
    )
    yield _case(
        "check_checkpoint",
        "cursor_too_recent",
        "SC-CP-3: the cursor is inside the peg-in depth",
        data(sb.next_checkpoint(sb.SPEC_A, first, 13)),
        "SC_CURSOR_TOO_RECENT",
    )
    yield _case(
        "check_checkpoint",
        "no_federation_key",
        "SC-CP-4: the chain committed no key for the federation",
        data(second, keys=(2,)),
        "SC_NO_FEDERATION_KEY",
    )
    mismatch = sb.sign(second.header, QuorumType.POSE)
    yield _case(
        "check_checkpoint",
        "federation_key_mismatch",
        "SC-CP-4: signed by another quorum's key",
        data(mismatch),
        "SC_BAD_CHECKPOINT_SIGNATURE",
    )
    yield _case(
        "check_checkpoint",
        "malformed_signature",
        "SC-CP-4: a signature that is no G2 point",
        data(Checkpoint(second.header, b"\xff" * 96)),
        "SC_BAD_CHECKPOINT_SIGNATURE",
    )
    yield _case(
        "check_checkpoint",
        "unknown_sidechain",
        "SC-CP-0: sidechain 9 is not registered",
        data(sb.sign(replace(second.header, sidechain_id=9), 1)),
        "SC_UNKNOWN_SIDECHAIN",
    )


def _equivocation_cases() -> Iterator[CaseSpec]:
    a = sb.genesis_checkpoint(sb.SPEC_A, 0)
    b = sb.genesis_checkpoint(sb.SPEC_A, 1)
    key = sb.federation_public(QuorumType.FINALITY).hex()

    def data(x: Checkpoint, y: Checkpoint) -> dict[str, JSON]:
        return {"first": encode_checkpoint(x).hex(), "second": encode_checkpoint(y).hex(), "public_key": key}

    yield _case("check_equivocation", "valid", "SC-CP-5: two signed headers at height 0", data(a, b))
    yield _case(
        "check_equivocation",
        "same_header",
        "SC-CP-5: the same header twice",
        data(a, a),
        "SC_NOT_EQUIVOCATION",
    )
    c = sb.next_checkpoint(sb.SPEC_A, a, 0)
    yield _case(
        "check_equivocation", "other_height", "SC-CP-5: heights 0 and 1", data(a, c), "SC_NOT_EQUIVOCATION"
    )
    forged = sb.sign(b.header, QuorumType.POSE)
    yield _case(
        "check_equivocation",
        "unsigned",
        "SC-CP-5: one is signed by another key",
        data(a, forged),
        "SC_NOT_EQUIVOCATION",
    )


def _header_cases() -> Iterator[CaseSpec]:
    head = sb.header(sb.SPEC_A, 3, b"\x11" * 32, 7, [sb.withdrawal(5)])
    encoded = encode(SIDECHAIN_HEADER_CODEC, head)
    yield _case("decode_header", "valid", "SC-HDR-1/2: a header, its hash", {"encoded": encoded.hex()})
    yield _case(
        "decode_header",
        "truncated",
        "SC-HDR-1: the outbox root a byte short",
        {"encoded": encoded[:-1].hex()},
        "DECODE_TRUNCATED",
    )
    yield _case(
        "decode_header",
        "trailing",
        "SC-HDR-1: a byte after the outbox root",
        {"encoded": (encoded + b"\x00").hex()},
        "DECODE_TRAILING_BYTES",
    )


def _quorum(base: int, key: bytes | None) -> JSON:
    record = QuorumRecord(
        base, bytes([base % 256]) * 32, bytes(32), (), 1, key, None if key is None else base
    )
    return quorum_record_json(record)


def _federation_key_cases(preset: Preset) -> Iterator[CaseSpec]:
    finality_key = sb.federation_public(QuorumType.FINALITY)
    pose_key = sb.federation_public(QuorumType.POSE)
    height = 4 * max(preset.masternodes.finality_quorum_interval, preset.masternodes.pose_quorum_interval)
    height += session_end_height(0, preset.dkg) + 1
    finality_base = finality_quorum_height(height, preset)
    pose_base = pose_quorum_height(height, preset)
    assert finality_base is not None and pose_base is not None
    older = finality_quorum_height(finality_base - 1, preset)
    assert older is not None and older != finality_base

    def data(finality: list[JSON], pose: list[JSON], at: int = height) -> dict[str, JSON]:
        return {"quorums": finality, "pose_quorums": pose, "height": at}

    both = data(
        [_quorum(older, pose_key), _quorum(finality_base, finality_key)], [_quorum(pose_base, pose_key)]
    )
    yield _case("federation_keys", "both", "SC-CP-4: the finality and PoSe quorums in charge committed", both)
    yield _case(
        "federation_keys",
        "finality_only",
        "SC-CP-4: no PoSe quorum recorded",
        data([_quorum(finality_base, finality_key)], []),
    )
    yield _case(
        "federation_keys",
        "pose_only",
        "SC-CP-4: the finality quorum in charge has not committed its key; an older one has",
        data([_quorum(older, finality_key), _quorum(finality_base, None)], [_quorum(pose_base, pose_key)]),
    )
    yield _case(
        "federation_keys",
        "before_any_dkg",
        "SC-CP-4: no DKG can have ended at height 0: no key",
        data([_quorum(finality_base, finality_key)], [_quorum(pose_base, pose_key)], 0),
    )


def _proposer_cases(preset: Preset) -> Iterator[CaseSpec]:
    """SC-LIVE-1/2: the proposer of a height by round, the round by mainchain blocks elapsed."""
    timeout = preset.sidechains.proposer_timeout_blocks

    def data(height: int, start: int, at: int, qualified: Sequence[int]) -> dict[str, JSON]:
        return {"height": height, "round_start": start, "mainchain_height": at, "qualified": list(qualified)}

    cases: list[tuple[str, str, dict[str, JSON], str | None]] = [
        ("round_0", "SC-LIVE-1/2: at the posted height: round 0", data(1, 40, 40, [1, 2, 3]), None),
        (
            "round_0_last",
            "SC-LIVE-1: one block before the timeout",
            data(1, 40, 40 + timeout - 1, [1, 2, 3]),
            None,
        ),
        (
            "round_1",
            "SC-LIVE-1/2: at the timeout: the next member",
            data(1, 40, 40 + timeout, [1, 2, 3]),
            None,
        ),
        (
            "wraps",
            "SC-LIVE-2: the rotation wraps round the list",
            data(5, 40, 40 + 2 * timeout, [4, 9, 11]),
            None,
        ),
        (
            "before_start",
            "SC-LIVE-1: a mainchain height below the start is round 0",
            data(2, 40, 30, [7, 8]),
            None,
        ),
        ("no_members", "SC-LIVE-2: an empty qualified list", data(1, 40, 40, []), "SC_NO_FEDERATION_KEY"),
    ]
    for case, description, payload, error in cases:
        yield _case("proposer", case, description, payload, error)


def generate_sidechain(preset: Preset) -> Iterator[CaseSpec]:
    """The ``sidechain`` flow's vectors for ``preset``."""
    yield from _decode_cases()
    yield from _header_cases()
    yield from _federation_key_cases(preset)
    yield from _match_cases(preset)
    yield from _spec_cases(preset)
    yield from _checkpoint_cases(preset)
    yield from _equivocation_cases()
    yield from _proposer_cases(preset)
    yield from generate_cursor_cases()
    yield from generate_bounded_sidechain(preset)


# --------------------------------------------------------------------------------------------
# peg flow
# --------------------------------------------------------------------------------------------

OUTBOX = [sb.withdrawal(400), sb.withdrawal(300), sb.message(sb.CHAIN_B, 250)]
CHECKPOINT_A = sb.genesis_checkpoint(sb.SPEC_A, 12, OUTBOX)
"""Sidechain A's first checkpoint, posted at 14 (cursor 12 = 14 - depth 2), matured at 17."""


def _claim(index: int = 0, **changes: object) -> list[TxOutput]:
    proof = sb.outbox_proof(sb.SPEC_A, 0, OUTBOX, index)
    proof = replace(proof, **changes)  # type: ignore[arg-type]
    return list(sb.claim_outputs(proof))


def _peg_prefix() -> BlockList:
    return [
        (
            12,
            [
                [sb.deposit_output(sb.CHAIN_A, 1000), sb.deposit_output(sb.CHAIN_B, 50)],
                [sb.deposit_output(sb.CHAIN_A, 20)],
            ],
        ),
        (14, [[sb.message_output(CHECKPOINT_A)]]),
    ]


def _peg_cases(preset: Preset) -> Iterator[CaseSpec]:
    def run(blocks: Sequence[tuple[int, Sequence[Sequence[TxOutput]]]], **kw: object) -> dict[str, JSON]:
        return _run(preset, blocks, **kw)  # type: ignore[arg-type]

    prefix = _peg_prefix()
    yield _case(
        "apply_blocks",
        "deposits",
        "SC-PEG-1/2: deposits in canonical order, escrows credited",
        run(prefix[:1]),
    )
    yield _case(
        "apply_blocks",
        "deposit_unknown_sidechain",
        "SC-PEG-1: a deposit to sidechain 9",
        run([(12, [[sb.deposit_output(9, 10)]])]),
        "SC_UNKNOWN_SIDECHAIN",
    )
    yield _case(
        "apply_blocks",
        "deposit_without_value",
        "SC-TX-1: a deposit of 0 atoms",
        run([(12, [[sb.deposit_output(sb.CHAIN_A, 0)]])]),
        "SC_BAD_MESSAGE_OUTPUT",
    )
    yield _case(
        "apply_blocks",
        "checkpoint_with_value",
        "SC-TX-1: a checkpoint output carrying value",
        run([(14, [[sb.message_output(CHECKPOINT_A, 1)]])]),
        "SC_BAD_MESSAGE_OUTPUT",
    )
    small = replace(sb.SPEC_A, max_escrow=1500, max_withdrawal=350)
    yield _case(
        "apply_blocks",
        "deposit_escrow_limit",
        "SC-PEG-1: a deposit above max_escrow",
        run(
            [(12, [[sb.deposit_output(sb.CHAIN_A, 1000)], [sb.deposit_output(sb.CHAIN_A, 501)]])],
            specs=(small, sb.SPEC_B),
        ),
        "SC_ESCROW_LIMIT",
    )
    yield _case(
        "apply_blocks",
        "withdrawal_claimed",
        "SC-PEG-3/4: deposit, checkpoint, claim after the window",
        run([*prefix, (17, [_claim(0), _claim(1)])]),
    )
    yield _case(
        "apply_blocks",
        "claim_in_window",
        "SC-PEG-3: a claim one block before maturity",
        run([*prefix, (16, [_claim(0)])]),
        "SC_CHALLENGE_PERIOD",
    )
    yield _case(
        "apply_blocks",
        "double_claim",
        "SC-PEG-4: the same withdrawal claimed in a later block",
        run([*prefix, (17, [_claim(0)]), (18, [_claim(0)])]),
        "SC_WITHDRAWAL_SPENT",
    )
    yield _case(
        "apply_blocks",
        "double_claim_same_block",
        "SC-PEG-4: the same withdrawal twice in one block",
        run([*prefix, (17, [_claim(0), _claim(0)])]),
        "SC_WITHDRAWAL_SPENT",
    )
    yield _case(
        "apply_blocks",
        "forged_amount",
        "MERKLE-4: the proof of a withdrawal with its amount raised",
        run([*prefix, (17, [_claim(0, entry=sb.withdrawal(900))])]),
        "MERKLE_ROOT_MISMATCH",
    )
    yield _case(
        "apply_blocks",
        "forged_recipient",
        "MERKLE-4: the proof of a withdrawal to another script",
        run([*prefix, (17, [_claim(0, entry=sb.withdrawal(400, sb.ALICE[:-1] + b"\x00"))])]),
        "MERKLE_ROOT_MISMATCH",
    )
    yield _case(
        "apply_blocks",
        "proof_length",
        "MERKLE-4: a proof one hash short",
        run([*prefix, (17, [_claim(0, proof=sb.outbox_proof(sb.SPEC_A, 0, OUTBOX, 0).proof[:-1])])]),
        "MERKLE_PROOF_LENGTH",
    )
    yield _case(
        "apply_blocks",
        "leaf_out_of_range",
        "MERKLE-4: a leaf index at the leaf count",
        run([*prefix, (17, [_claim(0, leaf_index=3)])]),
        "MERKLE_INDEX_OUT_OF_RANGE",
    )
    yield _case(
        "apply_blocks",
        "empty_outbox",
        "MERKLE-4: a proof in an outbox of 0 entries",
        run([*prefix, (17, [_claim(0, leaf_count=0)])]),
        "MERKLE_EMPTY_TREE",
    )
    yield _case(
        "apply_blocks",
        "claim_message_entry",
        "SC-PEG-3: a claim of a MESSAGE entry",
        run([*prefix, (17, [_claim(2)])]),
        "SC_WRONG_ENTRY_KIND",
    )
    yield _case(
        "apply_blocks",
        "claim_unknown_checkpoint",
        "SC-PEG-3: a claim against checkpoint 1",
        run([*prefix, (17, [_claim(0, checkpoint_height=1)])]),
        "SC_UNKNOWN_CHECKPOINT",
    )
    wrong_payout = [_claim(0)[0], TxOutput(400, sb.ALICE[:-1] + b"\x00")]
    yield _case(
        "apply_blocks",
        "claim_wrong_payout",
        "SC-PEG-4: the payout goes to another script",
        run([*prefix, (17, [wrong_payout])]),
        "SC_BAD_PAYOUT",
    )
    yield _case(
        "apply_blocks",
        "claim_without_payout",
        "SC-PEG-4: the claim is the last output",
        run([*prefix, (17, [_claim(0)[:1]])]),
        "SC_BAD_PAYOUT",
    )
    yield _case(
        "apply_blocks",
        "withdrawal_limit",
        "SC-PEG-3: a withdrawal above max_withdrawal",
        run([*prefix, (17, [_claim(0)])], specs=(small, sb.SPEC_B)),
        "SC_WITHDRAWAL_LIMIT",
    )
    underfunded = [(12, [[sb.deposit_output(sb.CHAIN_A, 100)]]), prefix[1]]
    yield _case(
        "apply_blocks",
        "escrow_underflow",
        "SC-PEG-5: a withdrawal above the escrow (federation over-issued)",
        run([*underfunded, (17, [_claim(0)])]),
        "SC_ESCROW_UNDERFLOW",
    )
    # reorganisation around a deposit: the same prefix, block 12 with and without the deposit
    branch_a: BlockList = [
        (11, [[]]),
        (12, [[sb.deposit_output(sb.CHAIN_A, 1000)]]),
        (14, [[sb.message_output(sb.genesis_checkpoint(sb.SPEC_A, 12))]]),
    ]
    branch_b: BlockList = [
        (11, [[]]),
        (12, [[]]),
        (14, [[sb.message_output(sb.genesis_checkpoint(sb.SPEC_A, 12))]]),
    ]
    yield _case(
        "apply_blocks",
        "reorg_branch_with_deposit",
        "SC-PEG-2: branch A carries the deposit at 12; cursor 12 credits it",
        run(branch_a),
    )
    yield _case(
        "apply_blocks",
        "reorg_branch_without_deposit",
        "SC-PEG-2: branch B replaces block 12 without it: no deposit, no escrow, the same checkpoint",
        run(branch_b),
    )
    yield _case(
        "apply_blocks",
        "reorg_cursor_inside_depth",
        "SC-CP-3: a checkpoint at 13 cannot credit the deposit at 12 (depth 2), so a reorg cannot un-credit",
        run([branch_a[0], branch_a[1], (13, [[sb.message_output(sb.genesis_checkpoint(sb.SPEC_A, 12))]])]),
        "SC_CURSOR_TOO_RECENT",
    )
    yield from _peg_edge_cases(run, prefix)
    yield from _message_cases(preset, run, prefix)


def _peg_edge_cases(run: Callable[..., dict[str, JSON]], prefix: BlockList) -> Iterator[CaseSpec]:
    """Boundaries of SC-PEG-1/4/5 and SC-BLK-2/3, and a sidechain activated by a block (SC-REG-3)."""
    yield _case(
        "apply_blocks",
        "deposit_one_atom",
        "SC-TX-1: the smallest deposit, 1 atom",
        run([(12, [[sb.deposit_output(sb.CHAIN_A, 1)]])]),
    )
    small = replace(sb.SPEC_A, max_escrow=1500, max_withdrawal=400)
    yield _case(
        "apply_blocks",
        "deposit_escrow_exactly_full",
        "SC-PEG-1: deposits that fill the escrow to exactly max_escrow",
        run(
            [(12, [[sb.deposit_output(sb.CHAIN_A, 1000)], [sb.deposit_output(sb.CHAIN_A, 500)]])],
            specs=(small, sb.SPEC_B),
        ),
    )
    exact = [(12, [[sb.deposit_output(sb.CHAIN_A, 400)]]), prefix[1]]
    yield _case(
        "apply_blocks",
        "withdrawal_drains_escrow",
        "SC-PEG-5: a withdrawal of exactly the escrow leaves it at 0",
        run([*exact, (17, [_claim(0)])]),
    )
    yield _case(
        "apply_blocks",
        "two_claims_one_transaction",
        "SC-PEG-4 / SC-BLK-3: two claims, each followed by its payout, then change, in one transaction: "
        "the escrow releases both amounts to it",
        run([*prefix, (17, [[*_claim(0), *_claim(1), TxOutput(5, sb.ALICE)]])]),
    )
    at_limit = replace(sb.SPEC_A, max_withdrawal=400)
    yield _case(
        "apply_blocks",
        "withdrawal_at_limit",
        "SC-PEG-3: a withdrawal of exactly max_withdrawal",
        run([*prefix, (17, [_claim(0)])], specs=(at_limit, sb.SPEC_B)),
    )
    relay = sb.relay_output(sb.outbox_proof(sb.SPEC_A, 0, OUTBOX, 2))
    yield _case(
        "apply_blocks",
        "deposit_after_relay",
        "SC-BLK-2: a relay to B then a deposit to B in one block: the deposit is B's position 1",
        run([*prefix, (17, [[relay], [sb.deposit_output(sb.CHAIN_B, 30)]])]),
    )
    yield _case(
        "apply_blocks",
        "other_chain_checkpoint_keeps_pending",
        "SC-MSG-3 / SC-CP-6: A's next checkpoint, whose cursor passes the relay height of A's message "
        "to B, does not acknowledge it (only B's checkpoints do)",
        run(
            [
                *prefix,
                (17, [[relay]]),
                (19, [[sb.message_output(sb.next_checkpoint(sb.SPEC_A, CHECKPOINT_A, 17))]]),
            ]
        ),
    )
    yield _case(
        "apply_blocks",
        "relay_after_deposit",
        "SC-BLK-2: a deposit to B then a relay to B in one block: the relay's inbound message is B's "
        "position 1, after the deposit",
        run([*prefix, (17, [[sb.deposit_output(sb.CHAIN_B, 30)], [relay]])]),
    )
    refund = sb.refund_output(sb.CHAIN_A, 0, 2)
    yield _case(
        "apply_blocks",
        "refund_after_deposit",
        "SC-BLK-2: a deposit to A then a refund bounced to A in one block: the bounce is A's position 1",
        run([*prefix, (17, [[relay]]), (21, [[sb.deposit_output(sb.CHAIN_A, 30)], [refund]])]),
    )
    yield _case(
        "apply_blocks",
        "deposit_after_refund",
        "SC-BLK-2: a refund bounced to A then a deposit to A in one block: the bounce takes A's "
        "position 0, the deposit position 1",
        run([*prefix, (17, [[relay]]), (21, [[refund], [sb.deposit_output(sb.CHAIN_A, 30)]])]),
    )
    activated = run(
        [(12, [[sb.deposit_output(sb.CHAIN_A, 10)]]), (20, [[sb.deposit_output(sb.CHAIN_B, 30)]])],
        specs=(sb.SPEC_A,),
    )
    blocks = activated["blocks"]
    assert isinstance(blocks, list) and isinstance(blocks[1], dict)
    blocks[1]["activated"] = [spec_json(sb.SPEC_B)]
    yield _case(
        "apply_blocks",
        "activated_in_block",
        "SC-REG-3: sidechain B is registered by the superblock at 20, before that block's deposit to it",
        activated,
    )


def _message_cases(
    preset: Preset, run: Callable[..., dict[str, JSON]], prefix: BlockList
) -> Iterator[CaseSpec]:
    relay = sb.relay_output(sb.outbox_proof(sb.SPEC_A, 0, OUTBOX, 2))
    relayed = [*prefix, (17, [[relay]])]
    # B acknowledges with its first checkpoint (cursor 17 at 19) and sends 100 back to A
    back = [sb.message(sb.CHAIN_A, 100)]
    b0 = sb.genesis_checkpoint(sb.SPEC_B, 17, back)
    reply = sb.relay_output(sb.outbox_proof(sb.SPEC_B, 0, back, 0))
    yield _case(
        "apply_blocks",
        "message_round_trip",
        "SC-MSG-1..3: A to B relayed after A's window, acknowledged by B's checkpoint, B to A relayed back",
        run([*relayed, (19, [[sb.message_output(b0)]]), (22, [[reply]])]),
    )
    yield _case(
        "apply_blocks",
        "message_relayed_twice",
        "SC-MSG-2: the same message relayed again",
        run([*relayed, (18, [[relay]])]),
        "SC_MESSAGE_DELIVERED",
    )
    yield _case(
        "apply_blocks",
        "message_in_window",
        "SC-MSG-1: a relay before the source checkpoint matured",
        run([*prefix, (16, [[relay]])]),
        "SC_CHALLENGE_PERIOD",
    )
    yield _case(
        "apply_blocks",
        "relay_withdrawal_entry",
        "SC-MSG-1: a relay of a WITHDRAWAL entry",
        run([*prefix, (17, [[sb.relay_output(sb.outbox_proof(sb.SPEC_A, 0, OUTBOX, 0))]])]),
        "SC_WRONG_ENTRY_KIND",
    )
    sideways = [replace(sb.withdrawal(5), target_chain=sb.CHAIN_B)]
    yield _case(
        "apply_blocks",
        "claim_withdrawal_to_other_chain",
        "SC-PEG-3: a claim of a WITHDRAWAL entry whose target is sidechain B, not the mainchain",
        run(
            [
                prefix[0],
                (14, [[sb.message_output(sb.genesis_checkpoint(sb.SPEC_A, 12, sideways))]]),
                (17, [list(sb.claim_outputs(sb.outbox_proof(sb.SPEC_A, 0, sideways, 0)))]),
            ]
        ),
        "SC_WRONG_ENTRY_KIND",
    )
    for name, target in (("to_mainchain", 0), ("to_itself", sb.CHAIN_A), ("to_unknown", 9)):
        outbox = [sb.message(target, 5)]
        cp = sb.genesis_checkpoint(sb.SPEC_A, 12, outbox)
        yield _case(
            "apply_blocks",
            f"message_{name}",
            f"SC-MSG-1: a message {name.replace('_', ' ')}",
            run(
                [
                    prefix[0],
                    (14, [[sb.message_output(cp)]]),
                    (17, [[sb.relay_output(sb.outbox_proof(sb.SPEC_A, 0, outbox, 0))]]),
                ]
            ),
            "SC_BAD_DESTINATION",
        )
    full_b = replace(sb.SPEC_B, max_escrow=100)
    yield _case(
        "apply_blocks",
        "message_escrow_limit",
        "SC-MSG-1: the destination escrow would exceed max_escrow",
        run(relayed, specs=(sb.SPEC_A, full_b)),
        "SC_ESCROW_LIMIT",
    )
    refund = sb.refund_output(sb.CHAIN_A, 0, 2)
    yield _case(
        "apply_blocks",
        "message_refund",
        "SC-MSG-4: B never acknowledges; refunded at relay + timeout, bounced to A",
        run([*relayed, (21, [[refund]])]),
    )
    yield _case(
        "apply_blocks",
        "refund_too_early",
        "SC-MSG-4: a refund one block before the timeout",
        run([*relayed, (20, [[refund]])]),
        "SC_MESSAGE_NOT_TIMED_OUT",
    )
    yield _case(
        "apply_blocks",
        "refund_after_ack",
        "SC-MSG-3/4: B's checkpoint (posted at 19) acknowledged it: held until that checkpoint "
        "settles, no refund",
        run([*relayed, (19, [[sb.message_output(b0)]]), (21, [[refund]])]),
        "SC_MESSAGE_ACKNOWLEDGED",
    )
    yield _case(
        "apply_blocks",
        "refund_acknowledged_before_timeout",
        "SC-MSG-3/4 order: a refund of a held message before its timeout is SC_MESSAGE_ACKNOWLEDGED "
        "(the acknowledgement is checked before the timeout)",
        run([*relayed, (19, [[sb.message_output(b0)]]), (20, [[refund]])]),
        "SC_MESSAGE_ACKNOWLEDGED",
    )
    yield _case(
        "apply_blocks",
        "ack_settled_at_maturity",
        "SC-MSG-3 (SC-BLK-4): B's checkpoint posted at 19 matures at 22 (challenge period 3), no "
        "game open: the acknowledgement is settled before that block's messages and the message "
        "leaves the pending set",
        run([*relayed, (19, [[sb.message_output(b0)]]), (22, [])]),
    )
    yield _case(
        "apply_blocks",
        "ack_held_until_maturity",
        "SC-MSG-3: one block before B's checkpoint matures the message is still pending",
        run([*relayed, (19, [[sb.message_output(b0)]]), (21, [])]),
    )
    yield _case(
        "apply_blocks",
        "refund_after_settled_ack",
        "SC-MSG-3/4: the acknowledgement settled at 22: the message is not pending",
        run([*relayed, (19, [[sb.message_output(b0)]]), (22, [[refund]])]),
        "SC_MESSAGE_NOT_PENDING",
    )
    yield _case(
        "apply_blocks",
        "refund_twice",
        "SC-MSG-4: a second refund of the same message",
        run([*relayed, (21, [[refund]]), (22, [[refund]])]),
        "SC_MESSAGE_NOT_PENDING",
    )
    del preset


def _transaction_cases(preset: Preset) -> Iterator[CaseSpec]:
    """SC-BLK-1/3 for one transaction (``apply_sidechain_transaction``, MEMPOOL-1's check)."""

    def data(blocks: BlockList, height: int, outputs: Sequence[TxOutput]) -> dict[str, JSON]:
        tx = sb.block(height, outputs)[1]
        return {**_run(preset, blocks), "transaction": encode_transaction(tx, preset).hex(), "height": height}

    prefix = _peg_prefix()
    cases: list[tuple[str, str, dict[str, JSON], str | None]] = [
        (
            "deposit",
            "SC-PEG-1: one deposit, nothing released",
            data([], 12, [sb.deposit_output(sb.CHAIN_A, 700)]),
            None,
        ),
        ("claim", "SC-PEG-3/4: a matured claim releases its amount", data(prefix, 17, _claim(0)), None),
        (
            "claim_spent",
            "SC-PEG-4: a claim of a withdrawal a block already paid",
            data([*prefix, (17, [_claim(0)])], 18, _claim(0)),
            "SC_WITHDRAWAL_SPENT",
        ),
        (
            "claim_in_window",
            "SC-PEG-3: a claim inside the challenge period",
            data(prefix, 16, _claim(0)),
            "SC_CHALLENGE_PERIOD",
        ),
        (
            "deposit_unknown_sidechain",
            "SC-PEG-1: a deposit to sidechain 9",
            data([], 12, [sb.deposit_output(9, 5)]),
            "SC_UNKNOWN_SIDECHAIN",
        ),
        (
            "checkpoint_again",
            "SC-CP-1: a second copy of an accepted checkpoint (the mempool drops it)",
            data(prefix, 15, [sb.message_output(CHECKPOINT_A)]),
            "SC_CHECKPOINT_HEIGHT",
        ),
    ]
    for case, description, payload, error in cases:
        yield _case("apply_transaction", case, description, payload, error)


def _outputs_cases(preset: Preset) -> Iterator[CaseSpec]:
    """SC-BLK-1..4 of a whole mainchain block on a chain state (``spec.chain.state.sidechain_outputs``)."""
    height = 4 * max(preset.masternodes.finality_quorum_interval, preset.masternodes.pose_quorum_interval)
    height += session_end_height(0, preset.dkg) + 1
    finality_base = finality_quorum_height(height, preset)
    pose_base = pose_quorum_height(height, preset)
    assert finality_base is not None and pose_base is not None
    quorums: dict[str, JSON] = {
        "quorums": [_quorum(finality_base, sb.federation_public(QuorumType.FINALITY))],
        "pose_quorums": [_quorum(pose_base, sb.federation_public(QuorumType.POSE))],
    }

    def data(active: bool, keyed: bool, *txs: Sequence[TxOutput]) -> dict[str, JSON]:
        header = BlockHeader(1, height, bytes(32), bytes(32), bytes(32), bytes(32), 1_700_000_000, 0, 0)
        block = Block(header, (), sb.block(height, *txs))
        return {
            "forks_active": active,
            "sidechains": [spec_json(s) for s in (sb.SPEC_A, sb.SPEC_B)],
            "activation_height": sb.ACTIVATION,
            **(quorums if keyed else {}),
            "block": encode_block(block, preset).hex(),
        }

    deposits = [sb.deposit_output(sb.CHAIN_A, 1000), sb.deposit_output(sb.CHAIN_B, 50)]
    checkpoint = [sb.message_output(CHECKPOINT_A)]
    cases: list[tuple[str, str, dict[str, JSON], str | None]] = [
        ("before_fork", "SC-FORK-1: fork sidechains not in force: null", data(False, True, deposits), None),
        (
            "deposits_and_checkpoint",
            "SC-BLK-1..4: two deposits, then a checkpoint under the committed finality key",
            data(True, True, deposits, checkpoint),
            None,
        ),
        ("no_deposit", "SC-BLK-1: a block without sidechain messages hands nothing", data(True, True), None),
        (
            "no_federation_key",
            "SC-CP-4: a checkpoint with no quorum recorded",
            data(True, False, checkpoint),
            "SC_NO_FEDERATION_KEY",
        ),
        (
            "unknown_sidechain",
            "SC-PEG-1: a deposit to sidechain 9",
            data(True, True, [sb.deposit_output(9, 5)]),
            "SC_UNKNOWN_SIDECHAIN",
        ),
    ]
    for case, description, payload, error in cases:
        yield _case("sidechain_outputs", case, description, payload, error)


def generate_peg(preset: Preset) -> Iterator[CaseSpec]:
    """The ``peg`` flow's vectors for ``preset``."""
    for spec in (*_peg_cases(preset), *_dispute_cases(preset)):
        yield spec
        yield from _one_transaction(spec)
    yield from _transaction_cases(preset)
    yield from _outputs_cases(preset)
    yield from generate_dispute_games(preset)
    yield from generate_credits_proofs(preset)
    yield from generate_refund_voids(preset)
    yield from generate_fraud_proofs(preset)
    yield from generate_bounded_peg(preset)


def _one_transaction(spec: CaseSpec) -> Iterator[CaseSpec]:
    """SC-BLK-1/3 for one transaction (``apply_transaction``, the mempool's check): from a valid
    ``apply_blocks`` case whose last block has no revert or activation, that block's first
    transaction after the coinbase on the state of the blocks before it (valid too: the coinbase
    carries no sidechain message)."""
    blocks = spec.input.get("blocks")
    if spec.handler != "apply_blocks" or spec.expect_error is not None or not isinstance(blocks, list):
        return
    last = blocks[-1]
    if not isinstance(last, dict) or "revert" in last or "activated" in last:
        return
    transactions = last["transactions"]
    if not isinstance(transactions, list) or len(transactions) < 2:
        return
    if any(isinstance(b, dict) and ("revert" in b or "activated" in b) for b in blocks[:-1]):
        return
    data = {**spec.input, "blocks": blocks[:-1], "height": last["height"], "transaction": transactions[1]}
    yield _case(
        "apply_transaction", spec.case, f"{spec.description} (its last block's first transaction alone)", data
    )


FRAUD_OUTBOX = [sb.withdrawal(900), sb.withdrawal(50)]
FRAUD_A = sb.next_checkpoint(sb.SPEC_A, CHECKPOINT_A, 13, FRAUD_OUTBOX)
"""Sidechain A's second checkpoint, posted at 15 (matures at 18): the federation pays itself 900."""
HONEST_A = sb.next_checkpoint(sb.SPEC_A, CHECKPOINT_A, 14, [sb.withdrawal(60)])
"""The replacement of :data:`FRAUD_A` after the revert: height 1 again, parent checkpoint 0."""


def _dispute_cases(preset: Preset) -> Iterator[CaseSpec]:
    """SC-DSP-11/12: a dispute lost by the defender reverts checkpoints on the mainchain."""

    def fraud_claim(index: int = 0) -> list[TxOutput]:
        return list(sb.claim_outputs(sb.outbox_proof(sb.SPEC_A, 1, FRAUD_OUTBOX, index)))

    def run(blocks: BlockList, reverts: dict[int, tuple[int, int]], winner: int = 1) -> dict[str, JSON]:
        """``reverts``: block height -> (disputed checkpoint height, game opening height)."""
        data = _run(preset, blocks)
        for item in data["blocks"]:  # type: ignore[union-attr]
            assert isinstance(item, dict)
            height = item["height"]
            if isinstance(height, int) and height in reverts:
                reverted, opened_at = reverts[height]
                item["revert"] = {
                    "sidechain_id": sb.CHAIN_A,
                    "height": reverted,
                    "opened_at": opened_at,
                    "winner": winner,
                }
        return data

    disputed: BlockList = [*_peg_prefix(), (15, [[sb.message_output(FRAUD_A)]])]
    yield _case(
        "apply_blocks",
        "dispute_reverts_checkpoint",
        "SC-DSP-12: the game over checkpoint 1 (opened at 16) is lost: checkpoint 1 is removed at 17, "
        "escrow unchanged, checkpoint 0's withdrawals are still paid",
        run([*disputed, (17, [_claim(0), _claim(1)])], {17: (1, 16)}),
    )
    yield _case(
        "apply_blocks",
        "dispute_sidechain_resumes",
        "SC-DSP-12: after the revert the sidechain resumes from checkpoint 0: a new checkpoint 1 "
        "(parent checkpoint 0, cursor 14) is accepted and its withdrawal paid once matured",
        run(
            [
                *disputed,
                (17, [[sb.message_output(HONEST_A)]]),
                (20, [list(sb.claim_outputs(sb.outbox_proof(sb.SPEC_A, 1, [sb.withdrawal(60)], 0)))]),
            ],
            {17: (1, 16)},
        ),
    )
    yield _case(
        "apply_blocks",
        "dispute_cancels_withdrawal",
        "SC-DSP-12: the reverted checkpoint's withdrawal is cancelled: "
        "claimed once matured, it names no checkpoint",
        run([*disputed, (17, []), (18, [fraud_claim(0)])], {17: (1, 16)}),
        "SC_UNKNOWN_CHECKPOINT",
    )
    yield _case(
        "apply_blocks",
        "dispute_reverts_every_later_checkpoint",
        "SC-DSP-12: a game over checkpoint 0 reverts checkpoints 0 and 1: "
        "checkpoint 0's withdrawal is cancelled",
        run([*disputed, (16, []), (17, [_claim(0)])], {16: (0, 15)}),
        "SC_UNKNOWN_CHECKPOINT",
    )
    yield _case(
        "apply_blocks",
        "dispute_no_checkpoint_on_reverted",
        "SC-CP-1 after SC-DSP-12: a checkpoint 2 on the reverted checkpoint 1 is at the wrong height",
        run(
            [*disputed, (17, [[sb.message_output(sb.next_checkpoint(sb.SPEC_A, FRAUD_A, 14))]])],
            {17: (1, 16)},
        ),
        "SC_CHECKPOINT_HEIGHT",
    )
    yield _case(
        "apply_blocks",
        "dispute_defender_won",
        "SC-DSP-12: the federation won the game over checkpoint 1 (opened the block it was posted): "
        "nothing is reverted, its withdrawal is paid once matured",
        run([*disputed, (18, [fraud_claim(1)])], {18: (1, 15)}, winner=0),
    )
    yield _case(
        "apply_blocks",
        "dispute_reverts_genesis_checkpoint",
        "SC-DSP-12: the game over checkpoint 0, opened the block it was posted, is lost: the sidechain "
        "starts again from a new checkpoint 0",
        run(
            [*_peg_prefix(), (16, [[sb.message_output(sb.genesis_checkpoint(sb.SPEC_A, 13))]])],
            {16: (0, 14)},
        ),
    )
    yield _case(
        "apply_blocks",
        "dispute_window_closed",
        "SC-DSP-11: a game over checkpoint 1 (posted at 15, period 3) opened at 18, when it matured",
        run([*disputed, (19, [])], {19: (1, 18)}),
        "DSP_WINDOW_CLOSED",
    )
    yield _case(
        "apply_blocks",
        "dispute_before_posting",
        "SC-DSP-11: a game over checkpoint 1 opened at 14, before it was posted",
        run([*disputed, (17, [])], {17: (1, 14)}),
        "DSP_WINDOW_CLOSED",
    )
    yield _case(
        "apply_blocks",
        "dispute_unknown_checkpoint",
        "SC-DSP-12: a revert of checkpoint 2, which the mainchain never accepted",
        run([*disputed, (17, [])], {17: (2, 16)}),
        "SC_UNKNOWN_CHECKPOINT",
    )

"""Non-interactive fraud proofs in mainchain blocks: a checkpoint signed twice and a withdrawal
above the escrow (rules SC-DSP-8, SC-DSP-9, SC-DSP-23, fork ``sidechains``). Normative text, table
and diagram: docs/disputes.md.

* **SC-DSP-8 equivocation proof** an :class:`EquivocationProof` names the accepted checkpoint of a
  sidechain at some height (``first``) and a second checkpoint (``second``). Checked in this
  order at mainchain height ``now``: sidechain registered (``SC_UNKNOWN_SIDECHAIN``); checkpoint
  ``first.header.height`` accepted and its window open (SC-DSP-11: ``SC_UNKNOWN_CHECKPOINT``,
  ``DSP_WINDOW_CLOSED``); ``first``'s header hashes to the accepted header hash
  (``DSP_HEADER_MISMATCH``); then SC-CP-5 under the key of the federation quorum in charge at the
  accepted checkpoint's posted height (SC-CP-4, the key that accepted it): ``second`` is of the
  same sidechain and height with another header and both signatures verify
  (``DSP_NOT_FRAUD`` otherwise, and when the chain holds no such key).
* **SC-DSP-9 escrow-overdraw proof** an :class:`EscrowOverdrawProof` names an outbox entry of an
  accepted checkpoint (SC-TX-2's fields). Checked in this order at ``now``: sidechain registered
  (``SC_UNKNOWN_SIDECHAIN``); checkpoint accepted and window open (``SC_UNKNOWN_CHECKPOINT``,
  ``DSP_WINDOW_CLOSED``); the entry is leaf ``leaf_index`` of ``leaf_count`` under the recorded
  ``outbox_root`` (``DSP_PROOF_INVALID``); it is a WITHDRAWAL to the mainchain (target chain 0)
  whose amount is above the sidechain's escrow at ``now`` (``DSP_NOT_FRAUD`` otherwise).
* **SC-DSP-23 on the mainchain** the proofs travel as sidechain messages of kind 9 (equivocation)
  and 10 (escrow overdraw) (SC-TX-0, an output of value 0, SC-TX-1), checked at the block's
  height; a valid one is settled like a game the defender lost (the games' ``settle_revert``,
  SC-DSP-17): the checkpoint and every later one reverted (SC-DSP-12), the open games over them
  cancelled with their bonds payable in full, the quorum in charge at the checkpoint's posting in
  the block's ``penalties`` (SC-DSP-13). Each proof ends with the prover's payout script (at most
  ``max_payout_script_bytes``), takes the game id ``next_game`` (``settle_proof``) and its
  prover is paid SC-DSP-25's reward under that id, claimed by a kind 7 ``BondClaim``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from spec.encoding import BYTES32, Codec, ListOf, Struct, VarBytes, Varint, decode, encode
from spec.errors import DisputeHeaderMismatch, DisputeNotFraud
from spec.presets import Preset
from spec.sidechain.dispute import check_equivocation_proof, check_overdraw
from spec.sidechain.games import Penalty, settle_proof
from spec.sidechain.header import CHECKPOINT_CODEC, Checkpoint, compute_header_hash
from spec.sidechain.registry import SidechainsState, get_sidechain
from spec.sidechain.settlement import check_dispute_window
from spec.vm.interface import OUTBOX_ENTRY_CODEC, OutboxEntry

KeysAt = Callable[[int], Mapping[int, bytes]]
"""SC-DSP-8: mainchain height -> the federation keys committed for the block at that height
(SC-CP-4's :func:`~spec.sidechain.checkpoint.federation_keys` over the chain's quorum records)."""


@dataclass(frozen=True)
class EquivocationProof:
    """SC-DSP-8: the accepted checkpoint at a height (``first``) and another one signed for it;
    SC-DSP-25: the prover's ``payout_script``."""

    first: Checkpoint
    second: Checkpoint
    payout_script: bytes = b""


@dataclass(frozen=True)
class EscrowOverdrawProof:
    """SC-DSP-9: an outbox entry of an accepted checkpoint and its Merkle proof (SC-TX-2's fields);
    SC-DSP-25: the prover's ``payout_script``."""

    sidechain_id: int
    checkpoint_height: int
    leaf_index: int
    leaf_count: int
    entry: OutboxEntry
    proof: tuple[bytes, ...]
    payout_script: bytes = b""


Fields = tuple[tuple[str, Codec[Any]], ...]


@cache
def outbox_proof_fields(preset: Preset) -> Fields:
    """SC-TX-2: an outbox proof's six fields (sidechain, checkpoint height, leaf index and count, the
    entry, at most ``max_outbox_proof_hashes`` hashes): the withdrawal claim's and relay's
    ``OutboxProof`` (spec/sidechain/transactions.py) and the overdraw proof share them."""
    return (
        ("sidechain_id", Varint()),
        ("checkpoint_height", Varint()),
        ("leaf_index", Varint()),
        ("leaf_count", Varint()),
        ("entry", OUTBOX_ENTRY_CODEC),
        ("proof", ListOf(BYTES32, preset.sidechains.max_outbox_proof_hashes)),
    )


def payout_field(preset: Preset) -> tuple[str, Codec[Any]]:
    """SC-DSP-25: the prover's payout script, the last field of a kind 8/9/10 proof (at most
    ``max_payout_script_bytes``, as a dispute opening's)."""
    return ("payout_script", VarBytes(preset.dispute.max_payout_script_bytes))


@cache
def equivocation_proof_codec(preset: Preset) -> Struct[EquivocationProof]:
    """SC-DSP-8: both checkpoints in their SC-HDR-4 encoding, then the payout script (SC-DSP-25)."""
    return Struct(
        EquivocationProof, (("first", CHECKPOINT_CODEC), ("second", CHECKPOINT_CODEC), payout_field(preset))
    )


@cache
def overdraw_proof_codec(preset: Preset) -> Struct[EscrowOverdrawProof]:
    """SC-DSP-9: the proof's canonical encoding: SC-TX-2's fields, then the payout script (SC-DSP-25)."""
    return Struct(EscrowOverdrawProof, (*outbox_proof_fields(preset), payout_field(preset)))


def encode_equivocation_proof(proof: EquivocationProof, preset: Preset) -> bytes:
    """SC-DSP-8: the canonical encoding of ``proof``."""
    return encode(equivocation_proof_codec(preset), proof)


def decode_equivocation_proof(data: bytes, preset: Preset) -> EquivocationProof:
    """SC-DSP-8: the proof encoded by ``data`` (a ``DECODE_*`` code otherwise)."""
    return decode(equivocation_proof_codec(preset), data)


def encode_overdraw_proof(proof: EscrowOverdrawProof, preset: Preset) -> bytes:
    """SC-DSP-9: the canonical encoding of ``proof``."""
    return encode(overdraw_proof_codec(preset), proof)


def decode_overdraw_proof(data: bytes, preset: Preset) -> EscrowOverdrawProof:
    """SC-DSP-9: the proof encoded by ``data`` (a ``DECODE_*`` code otherwise)."""
    return decode(overdraw_proof_codec(preset), data)


def check_equivocation_in_chain(
    state: SidechainsState, proof: EquivocationProof, now: int, keys_at: KeysAt
) -> int:
    """SC-DSP-8: the height to revert if ``proof``, posted at mainchain height ``now``, shows the
    federation that accepted a checkpoint signed another one at its height."""
    header = proof.first.header
    record = get_sidechain(state, header.sidechain_id)
    check_dispute_window(state, header.sidechain_id, header.height, now)
    accepted = record.checkpoints[header.height]
    if compute_header_hash(header) != accepted.header_hash:
        raise DisputeHeaderMismatch(f"the first checkpoint is not the accepted checkpoint {header.height}")
    key = keys_at(accepted.posted_height).get(record.spec.federation)
    if key is None:
        raise DisputeNotFraud(f"no federation key committed at height {accepted.posted_height}")
    return check_equivocation_proof(proof.first, proof.second, key)


def check_overdraw_in_chain(state: SidechainsState, proof: EscrowOverdrawProof, now: int) -> int:
    """SC-DSP-9: the height to revert if ``proof``, posted at mainchain height ``now``, proves a
    withdrawal in an accepted checkpoint's outbox above the sidechain's escrow."""
    record = get_sidechain(state, proof.sidechain_id)
    check_dispute_window(state, proof.sidechain_id, proof.checkpoint_height, now)
    outbox_root = record.checkpoints[proof.checkpoint_height].outbox_root
    check_overdraw(outbox_root, proof.entry, proof.leaf_index, proof.leaf_count, proof.proof, record.escrow)
    return proof.checkpoint_height


def apply_equivocation_proof(
    state: SidechainsState, proof: EquivocationProof, height: int, keys_at: KeysAt
) -> tuple[SidechainsState, tuple[Penalty, ...]]:
    """SC-DSP-23: the state after the equivocation proof in the block at ``height`` and the
    federation it penalises (SC-DSP-8's checks, then the games' settlement of a lost checkpoint)."""
    reverted = check_equivocation_in_chain(state, proof, height, keys_at)
    return settle_proof(state, proof.first.header.sidechain_id, reverted, proof.payout_script)


def apply_overdraw_proof(
    state: SidechainsState, proof: EscrowOverdrawProof, height: int
) -> tuple[SidechainsState, tuple[Penalty, ...]]:
    """SC-DSP-23: the state after the escrow-overdraw proof in the block at ``height`` and the
    federation it penalises (SC-DSP-9's checks, then the games' settlement of a lost checkpoint)."""
    reverted = check_overdraw_in_chain(state, proof, height)
    return settle_proof(state, proof.sidechain_id, reverted, proof.payout_script)

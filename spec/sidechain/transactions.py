"""Sidechain messages in mainchain transactions (protocol steps "SC-TX-0..2", fork ``sidechains``).

Design: every sidechain operation is an output ``OP_RETURN <RCSC || kind || body>`` of an ordinary
version-1 transaction, the shape of masternode (MN-0) and governance (GOV-0) messages, rather than a
new transaction kind. A null-data output never enters the UTXO set, so its value leaves circulation
exactly as a peg-in must (into escrow), old nodes see plain null data (nothing to re-encode, no new
transaction version, no new signature hash), and the fee payer signs the message with the ordinary
TXF-5 signature of its inputs. Normative text: docs/sidechains.md.

* **SC-TX-0** kinds: 0 :class:`DepositMessage` (peg-in; the output's value is the amount),
  1 a :class:`~spec.sidechain.header.Checkpoint`, 2 :class:`WithdrawalClaim`, 3 :class:`RelayMessage`,
  4 :class:`RefundClaim`, 5 a dispute opening, 6 a dispute move, 7 a bond claim
  (spec/sidechain/games.py, SC-DSP-14..18), 8 a wrong-credits proof (spec/sidechain/accumulator.py,
  SC-DSP-21/22), 9 an equivocation proof and 10 an escrow-overdraw proof
  (spec/sidechain/proofs.py, SC-DSP-8/9/23); another kind is ``DECODE_INVALID_TAG``. A payload
  longer than one push is split as MN-0 slashing evidence is: pushes of ``max_element_bytes``
  each, the last one non-empty and not longer (``DECODE_NONCANONICAL_SPLIT``).
* **SC-TX-1** a deposit or dispute-opening output carries a value of at least 1 atom (the deposit,
  the challenger's bond); every other sidechain message output carries 0 (``SC_BAD_MESSAGE_OUTPUT``).
* **SC-TX-2** an outbox proof (:class:`OutboxProof`) names a sidechain, the sidechain height of an
  accepted checkpoint, the entry's leaf index, the outbox's leaf count, the entry and at most
  ``max_outbox_proof_hashes`` sibling hashes (MERKLE-3); the leaf is ``encode(entry)`` (VM-5).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from spec.encoding import Struct, VarBytes, Varint, decode, encode
from spec.errors import InvalidEnumTag, NonCanonicalSplit, SidechainBadMessageOutput, TruncatedInput
from spec.masternode.registry import null_data_pushes
from spec.presets import Preset
from spec.script import Opcode, encode_push
from spec.sidechain.accumulator import CreditsProof, decode_credits_proof, encode_credits_proof
from spec.sidechain.games import (
    BondClaim,
    DisputeMoveMessage,
    DisputeOpenMessage,
    decode_move_message,
    decode_open_message,
    game_codecs,
)
from spec.sidechain.header import CHECKPOINT_CODEC, Checkpoint
from spec.sidechain.proofs import (
    EquivocationProof,
    EscrowOverdrawProof,
    decode_equivocation_proof,
    decode_overdraw_proof,
    encode_equivocation_proof,
    encode_overdraw_proof,
    outbox_proof_fields,
)
from spec.vm.interface import OutboxEntry

SIDECHAIN_PREFIX = b"RCSC"
"""SC-TX-0: the first bytes of every sidechain message payload."""
KIND_DEPOSIT = 0
KIND_CHECKPOINT = 1
KIND_WITHDRAWAL_CLAIM = 2
KIND_RELAY = 3
KIND_REFUND = 4
KIND_DISPUTE_OPEN = 5
KIND_DISPUTE_MOVE = 6
KIND_BOND_CLAIM = 7
KIND_CREDITS_PROOF = 8
KIND_EQUIVOCATION_PROOF = 9
KIND_OVERDRAW_PROOF = 10


@dataclass(frozen=True)
class DepositMessage:
    """SC-PEG-1: a peg-in of the output's value to ``recipient`` on sidechain ``sidechain_id``."""

    sidechain_id: int
    recipient: bytes


@dataclass(frozen=True)
class OutboxProof:
    """SC-TX-2: an outbox entry and its Merkle proof against a checkpoint's ``outbox_root``."""

    sidechain_id: int
    checkpoint_height: int
    leaf_index: int
    leaf_count: int
    entry: OutboxEntry
    proof: tuple[bytes, ...]


@dataclass(frozen=True)
class WithdrawalClaim:
    """SC-PEG-3: claim a WITHDRAWAL entry; the next output of the transaction pays it."""

    outbox: OutboxProof


@dataclass(frozen=True)
class RelayMessage:
    """SC-MSG-1: relay a MESSAGE entry to its target sidechain."""

    outbox: OutboxProof


@dataclass(frozen=True)
class RefundClaim:
    """SC-MSG-4: refund a relayed message its destination did not acknowledge in time."""

    source_chain: int
    source_height: int
    source_index: int


SidechainMessage = (
    DepositMessage
    | Checkpoint
    | WithdrawalClaim
    | RelayMessage
    | RefundClaim
    | DisputeOpenMessage
    | DisputeMoveMessage
    | BondClaim
    | CreditsProof
    | EquivocationProof
    | EscrowOverdrawProof
)


@dataclass(frozen=True)
class SidechainCodecs:
    """SC-TX-0 codecs under one preset (proof length bounded by ``max_outbox_proof_hashes``)."""

    deposit: Struct[DepositMessage]
    outbox_proof: Struct[OutboxProof]
    claim: Struct[WithdrawalClaim]
    relay: Struct[RelayMessage]
    refund: Struct[RefundClaim]


@cache
def sidechain_codecs(preset: Preset) -> SidechainCodecs:
    """SC-TX-0/2: the message codecs of ``preset``."""
    deposit = Struct(DepositMessage, (("sidechain_id", Varint()), ("recipient", VarBytes(64))))
    outbox_proof = Struct(OutboxProof, outbox_proof_fields(preset))
    claim = Struct(WithdrawalClaim, (("outbox", outbox_proof),))
    relay = Struct(RelayMessage, (("outbox", outbox_proof),))
    refund = Struct(
        RefundClaim, (("source_chain", Varint()), ("source_height", Varint()), ("source_index", Varint()))
    )
    return SidechainCodecs(deposit, outbox_proof, claim, relay, refund)


def encode_sidechain_message(message: SidechainMessage, preset: Preset) -> bytes:
    """SC-TX-0: ``prefix || kind || encoding`` of a sidechain message."""
    codecs = sidechain_codecs(preset)
    if isinstance(message, DepositMessage):
        kind, body = KIND_DEPOSIT, encode(codecs.deposit, message)
    elif isinstance(message, Checkpoint):
        kind, body = KIND_CHECKPOINT, encode(CHECKPOINT_CODEC, message)
    elif isinstance(message, WithdrawalClaim):
        kind, body = KIND_WITHDRAWAL_CLAIM, encode(codecs.claim, message)
    elif isinstance(message, RelayMessage):
        kind, body = KIND_RELAY, encode(codecs.relay, message)
    elif isinstance(message, RefundClaim):
        kind, body = KIND_REFUND, encode(codecs.refund, message)
    elif isinstance(message, DisputeOpenMessage):
        kind, body = KIND_DISPUTE_OPEN, encode(game_codecs(preset).open, message)
    elif isinstance(message, DisputeMoveMessage):
        kind, body = KIND_DISPUTE_MOVE, encode(game_codecs(preset).move, message)
    elif isinstance(message, BondClaim):
        kind, body = KIND_BOND_CLAIM, encode(game_codecs(preset).claim, message)
    elif isinstance(message, CreditsProof):
        kind, body = KIND_CREDITS_PROOF, encode_credits_proof(message, preset)
    elif isinstance(message, EquivocationProof):
        kind, body = KIND_EQUIVOCATION_PROOF, encode_equivocation_proof(message, preset)
    else:
        kind, body = KIND_OVERDRAW_PROOF, encode_overdraw_proof(message, preset)
    return SIDECHAIN_PREFIX + bytes([kind]) + body


def decode_sidechain_message_body(kind: int, body: bytes, preset: Preset) -> SidechainMessage:
    """SC-TX-0: the message of ``kind`` encoded by ``body``; ``DECODE_INVALID_TAG`` for an unknown kind."""
    codecs = sidechain_codecs(preset)
    if kind == KIND_DEPOSIT:
        return decode(codecs.deposit, body)
    if kind == KIND_CHECKPOINT:
        return decode(CHECKPOINT_CODEC, body)
    if kind == KIND_WITHDRAWAL_CLAIM:
        return decode(codecs.claim, body)
    if kind == KIND_RELAY:
        return decode(codecs.relay, body)
    if kind == KIND_REFUND:
        return decode(codecs.refund, body)
    if kind == KIND_DISPUTE_OPEN:
        return decode_open_message(body, preset)
    if kind == KIND_DISPUTE_MOVE:
        return decode_move_message(body, preset)
    if kind == KIND_BOND_CLAIM:
        return decode(game_codecs(preset).claim, body)
    if kind == KIND_CREDITS_PROOF:
        return decode_credits_proof(body, preset)
    if kind == KIND_EQUIVOCATION_PROOF:
        return decode_equivocation_proof(body, preset)
    if kind == KIND_OVERDRAW_PROOF:
        return decode_overdraw_proof(body, preset)
    raise InvalidEnumTag(f"sidechain message kind 0x{kind:02x}")


def decode_sidechain_message(payload: bytes, preset: Preset) -> SidechainMessage:
    """SC-TX-0: a whole payload (prefix, kind, body) as a message; ``DECODE_*`` otherwise."""
    if not payload.startswith(SIDECHAIN_PREFIX):
        raise InvalidEnumTag("payload does not start with the sidechain prefix")
    if len(payload) == len(SIDECHAIN_PREFIX):
        raise TruncatedInput("message prefix without a kind byte")
    return decode_sidechain_message_body(
        payload[len(SIDECHAIN_PREFIX)], payload[len(SIDECHAIN_PREFIX) + 1 :], preset
    )


def sidechain_message_script(message: SidechainMessage, preset: Preset) -> bytes:
    """SC-TX-0: the null-data output script carrying ``message`` (split into full pushes if long)."""
    payload = encode_sidechain_message(message, preset)
    size = preset.script.max_element_bytes
    chunks = [payload[i : i + size] for i in range(0, len(payload), size)]
    return bytes([Opcode.OP_RETURN]) + b"".join(encode_push(chunk) for chunk in chunks)


def match_sidechain_message(script: bytes, preset: Preset) -> SidechainMessage | None:
    """SC-TX-0: the sidechain message an output script carries, ``None`` if it carries none.

    Raises ``DECODE_*`` for a script that starts like a sidechain message but is not a canonical one.
    """
    pushes = null_data_pushes(script, preset.script)
    if pushes is None or not pushes[0].startswith(SIDECHAIN_PREFIX):
        return None
    size = preset.script.max_element_bytes
    if any(len(push) != size for push in pushes[:-1]) or not pushes[-1]:
        raise NonCanonicalSplit("sidechain message pushes must be full except a non-empty last one")
    return decode_sidechain_message(b"".join(pushes), preset)


def check_message_value(message: SidechainMessage, value: int) -> None:
    """SC-TX-1: a deposit or a dispute opening carries at least one atom, any other message none."""
    valued = isinstance(message, DepositMessage | DisputeOpenMessage)
    if valued and value < 1:
        raise SidechainBadMessageOutput("a deposit or dispute-opening output carries no value")
    if not valued and value != 0:
        raise SidechainBadMessageOutput(f"a sidechain message output carries {value} atoms")

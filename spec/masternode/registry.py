"""Masternode registration, the deterministic masternode list, proof of service and payee selection
(protocol steps "MN-*").

A masternode is identified by its *collateral*: an unspent P2PKH output worth exactly
``masternodes.collateral`` atoms. Everything about masternodes travels in ordinary transactions as
*masternode messages*: null-data outputs ``OP_RETURN <prefix || kind || payload>`` (SCRIPT-19), so the
ledger needs no new transaction type, and the list of masternodes is a pure function of the blocks.

* **MN-0 messages** an output is a masternode message iff its script is exactly ``OP_RETURN`` and one
  push whose data starts with :data:`MASTERNODE_PREFIX`; the next byte is the kind
  (:data:`KIND_REGISTRATION`, :data:`KIND_POSE_PENALTY`, :data:`KIND_QUORUM_COMMITMENT` (FIN-5, checked by
  spec/masternode/finality.py); any other is ``DECODE_INVALID_TAG``) and the
  rest is the canonical encoding of the message (spec/encoding.py; a bad payload is ``DECODE_*``).
  Other outputs, including other null-data outputs, are not messages.
* **MN-1 registration** ``SignedRegistration = Registration(collateral outpoint, operator BLS public
  key, BLS proof of possession, owner Ed25519 key, payout script, network address, port) ||
  Ed25519 signature``. The address is not all zeros and the port is not zero (``MN_BAD_ADDRESS``);
  the payout script is not provably unspendable (``MN_BAD_PAYOUT_SCRIPT``); the owner key signs
  ``registration_hash = H(MASTERNODE_REGISTRATION, encode(Registration))`` (``MN_BAD_SIGNATURE``);
  the proof of possession verifies for the operator key (BLS-POP-VERIFY, ``MN_BAD_PROOF_OF_POSSESSION``).
* **MN-2 collateral** the collateral outpoint is in the UTXO set before the registering
  transaction and that transaction does not spend it (``MN_COLLATERAL_NOT_FOUND``); it holds exactly
  the collateral (``MN_WRONG_COLLATERAL_AMOUNT``) in ``p2pkh_script(script_hash(owner key))``
  (``MN_WRONG_COLLATERAL_SCRIPT``). So only the holder of the coin can register it, and the check
  needs the transaction and the UTXO set alone.
* **MN-3 uniqueness** no registered masternode (active or banned) already has this collateral
  (``MN_DUPLICATE_COLLATERAL``), operator key (``MN_DUPLICATE_OPERATOR_KEY``) or address and port
  (``MN_DUPLICATE_ADDRESS``). Checks run in the order MN-3 collateral, MN-2, MN-1 address and
  payout, MN-3 key and address, MN-1 signature, MN-1 proof of possession; the first failure is
  reported.
* **MN-4 list** :class:`MasternodeList` maps collateral outpoints to entries (status ACTIVE or
  POSE_BANNED, registration height, PoSe score, last paid height, last penalising quorum). A valid
  registration adds an ACTIVE entry with score 0. A transaction input that spends a collateral
  removes its masternode, whatever its status, once MN-8 allows the spend (this is also the only
  way out of a ban: wait ``unbonding_blocks``, move the coins and register the new output).
* **MN-5 block** :func:`apply_block_to_list` for the block at height ``h``: (1) the payee
  ``next_payee(list, h)`` is marked paid at ``h``; (2) every ACTIVE score decays by
  ``pose_decay_per_block`` (not below 0); (3) the transactions in block order, each on the UTXO set
  updated by the ones before it: first its collateral spends (MN-4), then its messages in output order.
* **MN-6 proof of service** ``PoSePenalty(masternode, quorum_height, signature)`` is the PoSe
  quorum's threshold BLS signature over ``H(POSE_PENALTY, txid || index u32 || quorum_height u64)``.
  In the block at height ``h`` it must name a registered (``MN_UNKNOWN_MASTERNODE``) ACTIVE
  (``MN_NOT_ACTIVE``) masternode, come from the PoSe quorum in charge,
  ``quorum_height == pose_quorum_height(h)`` (QUORUM-1: the newest PoSe quorum whose DKG has
  ended), whose group key the caller
  passes (``MN_WRONG_POSE_QUORUM``), be the first penalty of that quorum for that masternode
  (``MN_DUPLICATE_PENALTY``), and verify (``MN_BAD_POSE_SIGNATURE``). It adds ``pose_penalty`` to
  the score; a score above ``pose_ban_threshold`` bans the masternode (POSE_BANNED: never paid,
  never in a quorum, never counted by governance; its score no longer decays).
* **MN-8 unbonding** ``Unbond(collateral outpoint, owner Ed25519 signature)`` (MN-0 kind 6) is a
  masternode leaving: it names a registered (``MN_UNKNOWN_MASTERNODE``) ACTIVE (``MN_NOT_ACTIVE``)
  masternode and its owner key signs ``H(MASTERNODE_UNBOND, txid || index u32)``
  (``MN_BAD_SIGNATURE``); the entry becomes UNBONDING (never paid, selected, challenged or counted)
  with ``unbonding_height = h``. A ban (MN-6) sets ``unbonding_height`` too. An input spending the
  collateral of a registered masternode is valid only from ``unbonding_height + unbonding_blocks``
  on (``MN_COLLATERAL_LOCKED`` before, and always for one that never unbonded), so slashing
  evidence (SLASH-1..5) mined during that window still finds the masternode and burns its
  collateral; once the collateral is spent the masternode is gone and late evidence is
  ``MN_SLASH_NO_MASTERNODE``.
* **MN-7 payee** the payee of the block at height ``h`` is the ACTIVE masternode registered before
  ``h`` whose *queue position* (its last paid height, or its registration height if never paid) is
  lowest; ties go to the lower registration height, then the lower outpoint. A paid masternode moves
  to the back of the queue, so with an unchanged list every active masternode is paid exactly once
  in each run of ``len(active)`` blocks.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from enum import Enum
from functools import cache
from heapq import heapify, heappop, heappush
from itertools import chain, compress, count, repeat
from operator import attrgetter
from typing import ClassVar

from spec.chain.block import Block
from spec.crypto import bls, ed25519
from spec.encoding import (
    BYTES32,
    U16,
    U32,
    U64,
    EnumCodec,
    FixedBytes,
    ListOf,
    OptionOf,
    Struct,
    VarBytes,
    decode,
    encode,
)
from spec.errors import (
    BadNetworkAddress,
    BadPayoutScript,
    BadPoSeSignature,
    BadProofOfPossession,
    BadRegistrationSignature,
    CollateralLocked,
    CollateralNotFound,
    DuplicateCollateral,
    DuplicateNetworkAddress,
    DuplicateOperatorKey,
    DuplicatePenalty,
    InvalidEnumTag,
    MasternodeNotActive,
    NonCanonicalSplit,
    ScriptError,
    TruncatedInput,
    UnknownMasternode,
    WrongCollateralAmount,
    WrongCollateralScript,
    WrongPoSeQuorum,
)
from spec.hashing import HashDomain, tagged_hash, tagged_hash_many
from spec.ledger.transaction import OutPoint, Transaction, is_coinbase
from spec.ledger.utxo import UtxoEntry, UtxosDuringBlock, UtxoSet, transaction_diff
from spec.masternode.dkg import session_end_height
from spec.masternode.evidence import SlashingEvidence, decode_evidence, encode_evidence
from spec.presets import Preset, ScriptParams
from spec.script import (
    OP_RETURN_BYTE,
    Opcode,
    Push,
    encode_push,
    is_unspendable,
    null_data_script,
    p2pkh_script,
    parse_script,
    script_hash,
)

MASTERNODE_PREFIX = b"RCMN"
"""MN-0: the first bytes of every masternode message payload."""
KIND_REGISTRATION = 1
KIND_POSE_PENALTY = 2
KIND_QUORUM_COMMITMENT = 3
KIND_SLASHING_EVIDENCE = 4
KIND_POSE_COMMITMENT = 5
"""FIN-7: a PoSe quorum's commitment: the body of kind 3, for the PoSe quorum records."""
KIND_UNBOND = 6
"""MN-8: a masternode leaving (its collateral unlocks ``unbonding_blocks`` later)."""
FINALITY_QUORUM = 1
POSE_QUORUM = 2
"""QUORUM-2's type numbers (spec/masternode/quorum.py ``QuorumType``), named here for MN-0."""
ADDRESS_BYTES = 16
"""MN-1: a network address is an IPv6 address (IPv4 as ``::ffff:a.b.c.d``), 16 bytes."""
ED25519_SIGNATURE_BYTES = 64


def null_data_payload(script: bytes, params: ScriptParams) -> bytes | None:
    """MN-0 / GOV-0: the data of a script that is exactly ``OP_RETURN <one push>``, else ``None``."""
    if script[:1] != OP_RETURN_BYTE:
        return None
    try:
        ops = parse_script(script, params)
    except ScriptError:
        return None
    if len(ops) != 2 or not isinstance(ops[1], Push):
        return None
    return ops[1].data


def split_message(script: bytes, prefix: bytes, params: ScriptParams) -> tuple[int, bytes] | None:
    """MN-0 / GOV-0: ``(kind, body)`` of a message output carrying ``prefix``, else ``None``.

    Raises ``DECODE_TRUNCATED`` when the push is the prefix alone (a message without a kind byte).
    """
    payload = null_data_payload(script, params)
    if payload is None or not payload.startswith(prefix):
        return None
    if len(payload) == len(prefix):
        raise TruncatedInput("message prefix without a kind byte")
    return payload[len(prefix)], payload[len(prefix) + 1 :]


# --------------------------------------------------------------------------------------------
# Messages (MN-0, MN-1, MN-6)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Registration:
    """MN-1: what the owner registers (and signs)."""

    collateral: OutPoint
    operator_public_key: bytes
    proof_of_possession: bytes
    owner_public_key: bytes
    payout_script: bytes
    address: bytes
    port: int


@dataclass(frozen=True)
class SignedRegistration:
    """MN-1: a registration and the owner's Ed25519 signature over its hash."""

    registration: Registration
    signature: bytes


@dataclass(frozen=True)
class PoSePenalty:
    """MN-6: the PoSe quorum's verdict that ``masternode`` failed service."""

    masternode: OutPoint
    quorum_height: int
    signature: bytes


@dataclass(frozen=True)
class QuorumCommitment:
    """FIN-5: the result of a finality quorum's DKG, put on chain by its members.

    ``signers`` are member indices (strictly increasing); ``signature`` is the aggregate of their
    operator-key signatures over the commitment hash (spec/masternode/finality.py).
    """

    quorum_height: int
    session_id: bytes
    group_public_key: bytes
    key_shares_root: bytes
    signers: tuple[int, ...]
    signature: bytes
    quorum_type: ClassVar[int] = FINALITY_QUORUM
    """Not encoded: kind 3 carries a FINALITY quorum's commitment, kind 5 a POSE quorum's (FIN-7)."""


@dataclass(frozen=True)
class PoSeQuorumCommitment(QuorumCommitment):
    """FIN-7: the DKG result of a PoSe quorum (MN-0 kind 5), the same fields as FIN-5's."""

    quorum_type: ClassVar[int] = POSE_QUORUM


@dataclass(frozen=True)
class Unbond:
    """MN-8: the owner takes masternode ``collateral`` out of service."""

    collateral: OutPoint
    signature: bytes


MasternodeMessage = SignedRegistration | PoSePenalty | QuorumCommitment | SlashingEvidence | Unbond


@dataclass(frozen=True)
class MasternodeCodecs:
    """MN-0 codecs under one preset (the payout script is bounded by one script element)."""

    registration: Struct[Registration]
    signed_registration: Struct[SignedRegistration]
    penalty: Struct[PoSePenalty]
    commitment: Struct[QuorumCommitment]
    pose_commitment: Struct[PoSeQuorumCommitment]
    unbond: Struct[Unbond]
    entry: Struct[MasternodeEntry]
    """MN-4: a list entry (the registration's fields, without the proof of possession, then the
    list's own; STATE-3's masternode value)."""


@cache
def masternode_codecs(preset: Preset) -> MasternodeCodecs:
    """MN-0: ``Registration``, ``SignedRegistration`` and ``PoSePenalty`` codecs for ``preset``."""
    outpoint = Struct(OutPoint, [("txid", BYTES32), ("index", U32)])
    registration = Struct(
        Registration,
        [
            ("collateral", outpoint),
            ("operator_public_key", FixedBytes(bls.PUBLIC_KEY_LENGTH)),
            ("proof_of_possession", FixedBytes(bls.SIGNATURE_LENGTH)),
            ("owner_public_key", FixedBytes(ed25519.PUBLIC_KEY_LENGTH)),
            ("payout_script", VarBytes(preset.script.max_element_bytes)),
            ("address", FixedBytes(ADDRESS_BYTES)),
            ("port", U16),
        ],
    )
    signed = Struct(
        SignedRegistration,
        [("registration", registration), ("signature", FixedBytes(ED25519_SIGNATURE_BYTES))],
    )
    penalty = Struct(
        PoSePenalty,
        [("masternode", outpoint), ("quorum_height", U64), ("signature", FixedBytes(bls.SIGNATURE_LENGTH))],
    )
    commitment = Struct(
        QuorumCommitment,
        [
            ("quorum_height", U64),
            ("session_id", BYTES32),
            ("group_public_key", FixedBytes(bls.PUBLIC_KEY_LENGTH)),
            ("key_shares_root", BYTES32),
            ("signers", ListOf(U16, preset.quorum.max_members)),
            ("signature", FixedBytes(bls.SIGNATURE_LENGTH)),
        ],
    )
    pose_commitment = Struct(PoSeQuorumCommitment, commitment.fields)
    unbond = Struct(Unbond, [("collateral", outpoint), ("signature", FixedBytes(ED25519_SIGNATURE_BYTES))])
    height = OptionOf(U64)
    entry = Struct(
        MasternodeEntry,
        [
            *(f for f in registration.fields if f[0] != "proof_of_possession"),
            ("status", EnumCodec(MasternodeStatus)),
            ("registered_height", U64),
            ("pose_score", U64),
            ("last_paid_height", height),
            ("last_penalty_quorum_height", height),
            ("unbonding_height", height),
        ],
    )
    return MasternodeCodecs(registration, signed, penalty, commitment, pose_commitment, unbond, entry)


def encode_message(message: MasternodeMessage, preset: Preset) -> bytes:
    """MN-0: ``prefix || kind || encoding`` of a masternode message (the null-data push)."""
    codecs = masternode_codecs(preset)
    if isinstance(message, SignedRegistration):
        return MASTERNODE_PREFIX + bytes([KIND_REGISTRATION]) + encode(codecs.signed_registration, message)
    if isinstance(message, QuorumCommitment):
        kind = KIND_QUORUM_COMMITMENT if message.quorum_type == FINALITY_QUORUM else KIND_POSE_COMMITMENT
        return MASTERNODE_PREFIX + bytes([kind]) + encode(codecs.commitment, message)
    if isinstance(message, Unbond):
        return MASTERNODE_PREFIX + bytes([KIND_UNBOND]) + encode(codecs.unbond, message)
    if not isinstance(message, PoSePenalty):
        return MASTERNODE_PREFIX + bytes([KIND_SLASHING_EVIDENCE]) + encode_evidence(message, preset)
    return MASTERNODE_PREFIX + bytes([KIND_POSE_PENALTY]) + encode(codecs.penalty, message)


def decode_message_body(kind: int, body: bytes, preset: Preset) -> MasternodeMessage:
    """MN-0: the message of ``kind`` encoded by ``body``; ``DECODE_INVALID_TAG`` for an unknown kind."""
    codecs = masternode_codecs(preset)
    if kind == KIND_REGISTRATION:
        return decode(codecs.signed_registration, body)
    if kind == KIND_POSE_PENALTY:
        return decode(codecs.penalty, body)
    if kind == KIND_QUORUM_COMMITMENT:
        return decode(codecs.commitment, body)
    if kind == KIND_SLASHING_EVIDENCE:
        return decode_evidence(body, preset)
    if kind == KIND_POSE_COMMITMENT:
        return decode(codecs.pose_commitment, body)
    if kind == KIND_UNBOND:
        return decode(codecs.unbond, body)
    raise InvalidEnumTag(f"masternode message kind 0x{kind:02x}")


def decode_message(payload: bytes, preset: Preset) -> MasternodeMessage:
    """MN-0: a whole null-data payload (prefix, kind, body) as a message; ``DECODE_*`` otherwise."""
    if not payload.startswith(MASTERNODE_PREFIX):
        raise InvalidEnumTag("payload does not start with the masternode prefix")
    if len(payload) == len(MASTERNODE_PREFIX):
        raise TruncatedInput("message prefix without a kind byte")
    return decode_message_body(payload[len(MASTERNODE_PREFIX)], payload[len(MASTERNODE_PREFIX) + 1 :], preset)


def message_script(message: MasternodeMessage, preset: Preset) -> bytes:
    """MN-0: the null-data output script that carries ``message``.

    Slashing evidence longer than one push is split canonically: ``OP_RETURN`` and pushes of
    ``max_element_bytes`` each, the last one shorter or equal and not empty.
    """
    payload = encode_message(message, preset)
    size = preset.script.max_element_bytes
    if len(payload) <= size:
        return null_data_script(payload, preset.script)
    chunks = [payload[i : i + size] for i in range(0, len(payload), size)]
    return bytes([Opcode.OP_RETURN]) + b"".join(encode_push(chunk) for chunk in chunks)


def null_data_pushes(script: bytes, params: ScriptParams) -> tuple[bytes, ...] | None:
    """MN-0: the pushes of a script that is ``OP_RETURN`` followed by one or more pushes, else ``None``."""
    if script[:1] != OP_RETURN_BYTE:
        return None
    try:
        ops = parse_script(script, params)
    except ScriptError:
        return None
    pushes = tuple(op.data for op in ops[1:] if isinstance(op, Push))
    if not pushes or len(pushes) != len(ops) - 1:
        return None
    return pushes


def match_message(script: bytes, preset: Preset) -> MasternodeMessage | None:
    """MN-0: the masternode message an output script carries, ``None`` if it carries none.

    One push: as :func:`split_message`. Several pushes: a message only if the first starts with the
    prefix and the slashing evidence kind (SLASH-1 evidence may exceed one push); then every push
    but the last must hold exactly ``max_element_bytes`` and the last at least one byte
    (``DECODE_NONCANONICAL_SPLIT``), and the message is their concatenation.

    A script that does not start with ``OP_RETURN`` carries none: both :func:`null_data_pushes`
    and :func:`split_message` give ``None`` for it, so it is answered first (issue 14: every
    output of a block is asked here by MN-5, SLASH-2..5 and FIN-5/6, and a payment never is one).
    """
    if script[:1] != OP_RETURN_BYTE:
        return None
    pushes = null_data_pushes(script, preset.script)
    if pushes is None or len(pushes) == 1:
        split = split_message(script, MASTERNODE_PREFIX, preset.script)
        return None if split is None else decode_message_body(split[0], split[1], preset)
    first = pushes[0]
    kind_at = len(MASTERNODE_PREFIX)
    evidence_kind = bytes([KIND_SLASHING_EVIDENCE])
    if not first.startswith(MASTERNODE_PREFIX) or first[kind_at : kind_at + 1] != evidence_kind:
        return None
    size = preset.script.max_element_bytes
    if any(len(push) != size for push in pushes[:-1]) or not pushes[-1]:
        raise NonCanonicalSplit("evidence pushes must be full except a non-empty last one")
    return decode_message_body(KIND_SLASHING_EVIDENCE, b"".join(pushes)[kind_at + 1 :], preset)


def registration_hash(registration: Registration, preset: Preset) -> bytes:
    """MN-1: ``H(MASTERNODE_REGISTRATION, encode(registration))``, what the owner key signs."""
    return tagged_hash(
        HashDomain.MASTERNODE_REGISTRATION, encode(masternode_codecs(preset).registration, registration)
    )


def unbond_message(collateral: OutPoint) -> bytes:
    """MN-8: ``H(MASTERNODE_UNBOND, txid || index u32)``, what the owner key signs to leave."""
    return tagged_hash(HashDomain.MASTERNODE_UNBOND, collateral.txid + collateral.index.to_bytes(4, "little"))


def penalty_message(masternode: OutPoint, quorum_height: int) -> bytes:
    """MN-6: ``H(POSE_PENALTY, txid || index u32 || quorum_height u64)``, what the PoSe quorum signs."""
    return tagged_hash_many(
        HashDomain.POSE_PENALTY,
        (masternode.txid, masternode.index.to_bytes(4, "little"), quorum_height.to_bytes(8, "little")),
    )


def collateral_script(owner_public_key: bytes) -> bytes:
    """MN-2: the P2PKH script a collateral must have: ``p2pkh_script(script_hash(owner key))``."""
    return p2pkh_script(script_hash(owner_public_key))


# --------------------------------------------------------------------------------------------
# The list (MN-4)
# --------------------------------------------------------------------------------------------


class MasternodeStatus(Enum):
    """MN-4: an ACTIVE masternode is paid, selected and counted; a POSE_BANNED or SLASHED one is not."""

    ACTIVE = "ACTIVE"
    POSE_BANNED = "POSE_BANNED"
    UNBONDING = "UNBONDING"
    """MN-8: left by its owner's unbond message; the collateral unlocks ``unbonding_blocks`` later."""
    SLASHED = "SLASHED"
    """SLASH-4: proven misbehaviour; the collateral was burnt, the entry stays (its keys stay taken)."""


@dataclass(frozen=True)
class MasternodeEntry:
    """MN-4: one registered masternode."""

    collateral: OutPoint
    operator_public_key: bytes
    owner_public_key: bytes
    payout_script: bytes
    address: bytes
    port: int
    status: MasternodeStatus
    registered_height: int
    pose_score: int
    last_paid_height: int | None
    last_penalty_quorum_height: int | None
    unbonding_height: int | None = None
    """MN-8: the height of its unbond message or ban (``None``: neither; the collateral is locked)."""


@dataclass(frozen=True)
class MasternodeList:
    """MN-4: the deterministic masternode list, keyed by collateral outpoint."""

    entries: Mapping[OutPoint, MasternodeEntry]

    def active(self) -> tuple[MasternodeEntry, ...]:
        """The ACTIVE entries in outpoint order."""
        return tuple(e for _, e in sorted(self.entries.items()) if e.status is MasternodeStatus.ACTIVE)


EMPTY_LIST = MasternodeList({})


def decayed_score(score: int, decay: int) -> int:
    """MN-5: one block of decay, never below zero."""
    return max(0, score - decay)


def penalised_score(score: int, penalty: int, ban_threshold: int) -> tuple[int, bool]:
    """MN-6: the score after one penalty, and whether it bans (score above the threshold)."""
    new_score = score + penalty
    return new_score, new_score > ban_threshold


def quorum_base_height(height: int, interval: int) -> int:
    """QUORUM-1: the base height of the quorum selected at ``height``: the last multiple of ``interval``."""
    return height - height % interval


def quorum_in_charge_height(height: int, interval: int, dkg_blocks: int) -> int | None:
    """QUORUM-1: the base height of the quorum in charge at ``height``: the newest one whose DKG
    (``dkg_blocks`` long from its base) has ended, ``quorum_base_height(height - dkg_blocks, interval)``;
    ``None`` while no DKG can have ended (``height < dkg_blocks``)."""
    offset = height - dkg_blocks
    return quorum_base_height(offset, interval) if offset >= 0 else None


def pose_quorum_height(height: int, preset: Preset) -> int | None:
    """MN-6 / QUORUM-1: the base height of the PoSe quorum whose penalties block ``height`` may carry."""
    dkg_blocks = session_end_height(0, preset.dkg)
    return quorum_in_charge_height(height, preset.masternodes.pose_quorum_interval, dkg_blocks)


# --------------------------------------------------------------------------------------------
# Registration checks (MN-1..3)
# --------------------------------------------------------------------------------------------


def check_registration(
    signed: SignedRegistration,
    mn_list: MasternodeList,
    utxos: UtxoSet,
    spent_by_tx: frozenset[OutPoint],
    preset: Preset,
) -> None:
    """MN-1..3 in their fixed order; ``utxos`` is the set before the tx, ``spent_by_tx`` its inputs."""
    reg = signed.registration
    if reg.collateral in mn_list.entries:
        raise DuplicateCollateral(f"{reg.collateral.txid.hex()}:{reg.collateral.index}")
    coin = None if reg.collateral in spent_by_tx else utxos.get(reg.collateral)
    if coin is None:
        raise CollateralNotFound(f"{reg.collateral.txid.hex()}:{reg.collateral.index}")
    if coin.output.value != preset.masternodes.collateral:
        raise WrongCollateralAmount(f"{coin.output.value} atoms, need {preset.masternodes.collateral}")
    if coin.output.script_pubkey != collateral_script(reg.owner_public_key):
        raise WrongCollateralScript("collateral is not P2PKH of the owner key")
    if not any(reg.address) or reg.port == 0:
        raise BadNetworkAddress("address all zeros or port zero")
    if is_unspendable(reg.payout_script, preset.script):
        raise BadPayoutScript("payout script can never be spent")
    # MN-3: the operator key against every entry first, then the address against every entry, so
    # the code does not depend on the order of the list when two entries clash with one registration.
    if any(entry.operator_public_key == reg.operator_public_key for entry in mn_list.entries.values()):
        raise DuplicateOperatorKey(reg.operator_public_key.hex()[:16])
    if any((entry.address, entry.port) == (reg.address, reg.port) for entry in mn_list.entries.values()):
        raise DuplicateNetworkAddress(f"{reg.address.hex()} port {reg.port}")
    if not ed25519.verify(reg.owner_public_key, registration_hash(reg, preset), signed.signature):
        raise BadRegistrationSignature("owner signature does not verify")
    if not bls.pop_verify(reg.operator_public_key, reg.proof_of_possession):
        raise BadProofOfPossession("proof of possession does not verify")


def register(
    mn_list: MasternodeList,
    signed: SignedRegistration,
    utxos: UtxoSet,
    spent_by_tx: frozenset[OutPoint],
    height: int,
    preset: Preset,
) -> MasternodeList:
    """MN-1..4: the list with the registered masternode added (ACTIVE, score 0, never paid)."""
    check_registration(signed, mn_list, utxos, spent_by_tx, preset)
    reg = signed.registration
    entry = MasternodeEntry(
        collateral=reg.collateral,
        operator_public_key=reg.operator_public_key,
        owner_public_key=reg.owner_public_key,
        payout_script=reg.payout_script,
        address=reg.address,
        port=reg.port,
        status=MasternodeStatus.ACTIVE,
        registered_height=height,
        pose_score=0,
        last_paid_height=None,
        last_penalty_quorum_height=None,
    )
    return MasternodeList({**mn_list.entries, reg.collateral: entry})


# --------------------------------------------------------------------------------------------
# Proof of service (MN-6)
# --------------------------------------------------------------------------------------------


def check_penalty(
    mn_list: MasternodeList,
    penalty: PoSePenalty,
    height: int,
    preset: Preset,
    pose_quorum_key: bytes | None,
) -> MasternodeEntry:
    """MN-6 checks in order; returns the penalised masternode's entry."""
    entry = mn_list.entries.get(penalty.masternode)
    if entry is None:
        raise UnknownMasternode(f"{penalty.masternode.txid.hex()}:{penalty.masternode.index}")
    if entry.status is not MasternodeStatus.ACTIVE:
        raise MasternodeNotActive("the masternode is already banned")
    expected = pose_quorum_height(height, preset)
    if pose_quorum_key is None or penalty.quorum_height != expected:
        raise WrongPoSeQuorum(f"quorum height {penalty.quorum_height}, in charge {expected}")
    last = entry.last_penalty_quorum_height
    if last is not None and last >= penalty.quorum_height:
        raise DuplicatePenalty(f"quorum {penalty.quorum_height} already penalised this masternode")
    message = penalty_message(penalty.masternode, penalty.quorum_height)
    if not bls.verify(pose_quorum_key, message, penalty.signature):
        raise BadPoSeSignature("threshold signature does not verify under the PoSe quorum key")
    return entry


def apply_penalty(
    mn_list: MasternodeList,
    penalty: PoSePenalty,
    height: int,
    preset: Preset,
    pose_quorum_key: bytes | None,
) -> MasternodeList:
    """MN-6: the list after a valid penalty (score up; POSE_BANNED above the threshold)."""
    entry = check_penalty(mn_list, penalty, height, preset, pose_quorum_key)
    params = preset.masternodes
    score, banned = penalised_score(entry.pose_score, params.pose_penalty, params.pose_ban_threshold)
    updated = replace(
        entry,
        pose_score=score,
        status=MasternodeStatus.POSE_BANNED if banned else MasternodeStatus.ACTIVE,
        last_penalty_quorum_height=penalty.quorum_height,
        unbonding_height=height if banned else entry.unbonding_height,  # MN-8: a ban unbonds
    )
    return MasternodeList({**mn_list.entries, entry.collateral: updated})


# --------------------------------------------------------------------------------------------
# Payee selection (MN-7)
# --------------------------------------------------------------------------------------------


def queue_key(entry: MasternodeEntry) -> tuple[int, int, OutPoint]:
    """MN-7: (queue position, registration height, outpoint); the lowest key is paid next."""
    position = entry.registered_height if entry.last_paid_height is None else entry.last_paid_height
    return position, entry.registered_height, entry.collateral


def next_payee(mn_list: MasternodeList, height: int) -> MasternodeEntry | None:
    """MN-7: the masternode the block at ``height`` pays, or ``None`` if none is eligible.

    The queue keys are distinct (each ends with the entry's own collateral), so the minimum does
    not depend on the order the entries are visited in: no sort of the list (``active()``) is
    needed (issue 14: asked twice per block, by RWD-3's obligations and by MN-5)."""
    active = MasternodeStatus.ACTIVE
    eligible = [e for e in mn_list.entries.values() if e.status is active and e.registered_height < height]
    return min(eligible, key=queue_key) if eligible else None


def payee_script(mn_list: MasternodeList, height: int) -> bytes | None:
    """MN-7: the payout script the coinbase of the block at ``height`` must pay (RWD-3), or ``None``."""
    payee = next_payee(mn_list, height)
    return None if payee is None else payee.payout_script


# --------------------------------------------------------------------------------------------
# State transition (MN-4, MN-5)
# --------------------------------------------------------------------------------------------


def record_payment(mn_list: MasternodeList, height: int) -> MasternodeList:
    """MN-5 (1): mark ``next_payee(list, height)`` as paid at ``height``."""
    payee = next_payee(mn_list, height)
    if payee is None:
        return mn_list
    return MasternodeList({**mn_list.entries, payee.collateral: replace(payee, last_paid_height=height)})


def decay_scores(mn_list: MasternodeList, preset: Preset) -> MasternodeList:
    """MN-5 (2): every ACTIVE score decays by ``pose_decay_per_block`` (banned scores stay)."""
    decay = preset.masternodes.pose_decay_per_block
    active = MasternodeStatus.ACTIVE
    if not any(entry.pose_score and entry.status is active for entry in mn_list.entries.values()):
        return mn_list  # no score to decay: the same list, not a copy (issue 14)
    return MasternodeList(
        {
            outpoint: replace(entry, pose_score=decayed_score(entry.pose_score, decay))
            if entry.status is active and entry.pose_score
            else entry
            for outpoint, entry in mn_list.entries.items()
        }
    )


def apply_transaction_to_list(
    mn_list: MasternodeList,
    tx: Transaction,
    utxos: UtxoSet,
    height: int,
    preset: Preset,
    pose_quorum_key: bytes | None = None,
) -> MasternodeList:
    """MN-4/MN-5 (3): collateral spends of ``tx``, then its messages in output order.

    ``utxos`` is the UTXO set just before ``tx``.
    """
    spent = frozenset(() if is_coinbase(tx) else [i.previous_output for i in tx.inputs])
    current = mn_list
    if not mn_list.entries.keys().isdisjoint(spent):  # else nothing to drop: no copy
        for outpoint in sorted(o for o in spent if o in mn_list.entries):
            check_collateral_spend(mn_list.entries[outpoint], height, preset)
        current = MasternodeList({o: e for o, e in mn_list.entries.items() if o not in spent})
    # Slashing evidence (kind 4) is checked after MN-5 by SLASH-2..4 (spec/masternode/slashing.py).
    for output in tx.outputs:
        message = match_message(output.script_pubkey, preset)
        if isinstance(message, SignedRegistration):
            current = register(current, message, utxos, spent, height, preset)
        elif isinstance(message, PoSePenalty):
            current = apply_penalty(current, message, height, preset, pose_quorum_key)
        elif isinstance(message, Unbond):
            current = apply_unbond(current, message, height)
    return current


# --------------------------------------------------------------------------------------------
# Unbonding (MN-8)
# --------------------------------------------------------------------------------------------


def unlock_height(entry: MasternodeEntry, preset: Preset) -> int | None:
    """MN-8: the first height at which ``entry``'s collateral may be spent (``None``: never yet)."""
    if entry.unbonding_height is None:
        return None
    return entry.unbonding_height + preset.masternodes.unbonding_blocks


def check_collateral_spend(entry: MasternodeEntry, height: int, preset: Preset) -> None:
    """MN-8: a block at ``height`` may spend ``entry``'s collateral (``MN_COLLATERAL_LOCKED``)."""
    unlock = unlock_height(entry, preset)
    if unlock is None or height < unlock:
        raise CollateralLocked(
            f"{entry.collateral.txid.hex()}:{entry.collateral.index} locked until {unlock} (height {height})"
        )


def check_unbond(mn_list: MasternodeList, unbond: Unbond) -> MasternodeEntry:
    """MN-8 checks in order; returns the leaving masternode's entry."""
    entry = mn_list.entries.get(unbond.collateral)
    if entry is None:
        raise UnknownMasternode(f"{unbond.collateral.txid.hex()}:{unbond.collateral.index}")
    if entry.status is not MasternodeStatus.ACTIVE:
        raise MasternodeNotActive(f"the masternode is {entry.status.name}")
    if not ed25519.verify(entry.owner_public_key, unbond_message(unbond.collateral), unbond.signature):
        raise BadRegistrationSignature("owner signature over the unbond message does not verify")
    return entry


def apply_unbond(mn_list: MasternodeList, unbond: Unbond, height: int) -> MasternodeList:
    """MN-8: the list with the masternode UNBONDING since ``height``."""
    entry = check_unbond(mn_list, unbond)
    left = replace(entry, status=MasternodeStatus.UNBONDING, unbonding_height=height)
    return MasternodeList({**mn_list.entries, unbond.collateral: left})


def apply_block_to_list(
    mn_list: MasternodeList,
    block: Block,
    utxos_before: UtxoSet,
    height: int,
    preset: Preset,
    pose_quorum_key: bytes | None = None,
    inputs_known: bool = False,
    carriers: Sequence[int] | None = None,
) -> MasternodeList:
    """MN-5: the list after the block at ``height``; ``utxos_before`` is the UTXO set before the block.

    ``pose_quorum_key`` is the group public key of the PoSe quorum based at
    ``pose_quorum_height(height)``, if that quorum has one. The block must
    already be valid for the chain (spec/chain/state.py); a transaction spending an unknown output
    raises ``TX_MISSING_INPUT``. Only the transactions are read (the header is the chain's business).
    With ``inputs_known`` and the block's ``carriers`` (:func:`message_carriers`, found once per
    block by the caller), only the transactions that can change the list are visited
    (:func:`apply_carriers_to_list`, the same list or error).
    """
    if inputs_known and carriers is not None:
        return apply_carriers_to_list(
            mn_list, block.transactions, carriers, utxos_before, height, preset, pose_quorum_key
        )
    return apply_transactions_to_list(
        mn_list, block.transactions, utxos_before, height, preset, pose_quorum_key, inputs_known
    )


def apply_transactions_to_list(
    mn_list: MasternodeList,
    transactions: Sequence[Transaction],
    utxos_before: UtxoSet,
    height: int,
    preset: Preset,
    pose_quorum_key: bytes | None = None,
    inputs_known: bool = False,
) -> MasternodeList:
    """MN-5 on a block's transaction list (coinbase first), as :func:`apply_block_to_list`.

    ``inputs_known``: the chain's transition has already applied these transactions to
    ``utxos_before`` under ``preset``'s ledger and script rules, so every input exists and no
    ``TX_MISSING_INPUT`` can arise here. The set before each transaction is then brought up to
    date only when a registration reads it (:class:`_SetBeforeTransaction`); the result is the
    same (issue 14: the replay's diffs, kept for the whole block, were a fifth of the objects the
    garbage collector tracked during a block). Otherwise every diff is computed, in order.
    """
    current = decay_scores(record_payment(mn_list, height), preset)
    utxos = UtxosDuringBlock(utxos_before)  # the block's changes over the set, not a copy of it
    if inputs_known:
        before = _SetBeforeTransaction(utxos, transactions, height, preset)
        for position, tx in enumerate(transactions):
            before.position = position
            current = apply_transaction_to_list(current, tx, before, height, preset, pose_quorum_key)
        return current
    for tx in transactions:
        current = apply_transaction_to_list(current, tx, utxos, height, preset, pose_quorum_key)
        utxos.advance(transaction_diff(utxos, tx, height, preset))
    return current


class _SetBeforeTransaction(Mapping[OutPoint, UtxoEntry]):
    """UTXO-3: the set just before ``transactions[position]`` (read-only), the earlier
    transactions' diffs applied to ``view`` only when it is first read at that position."""

    def __init__(
        self, view: UtxosDuringBlock, transactions: Sequence[Transaction], height: int, preset: Preset
    ) -> None:
        self.view = view
        self.transactions = transactions
        self.height = height
        self.preset = preset
        self.applied = 0
        self.position = 0

    def _current(self) -> UtxosDuringBlock:
        while self.applied < self.position:
            tx = self.transactions[self.applied]
            self.view.advance(transaction_diff(self.view, tx, self.height, self.preset))
            self.applied += 1
        return self.view

    def __getitem__(self, outpoint: OutPoint) -> UtxoEntry:
        return self._current()[outpoint]

    def __iter__(self) -> Iterator[OutPoint]:
        return iter(self._current())

    def __len__(self) -> int:
        return len(self._current())


# --------------------------------------------------------------------------------------------
# MN-5 on the transactions that can change the list (issue 14)
# --------------------------------------------------------------------------------------------

_OUTPUTS = attrgetter("outputs")
_INPUTS = attrgetter("inputs")
_SCRIPT = attrgetter("script_pubkey")
_SPENT_TXID = attrgetter("previous_output.txid")
_TXID = attrgetter("txid")
_REGISTRATION_MARK = MASTERNODE_PREFIX + bytes([KIND_REGISTRATION])
"""MN-0: the bytes every output carrying a registration holds (its one push's first five)."""


def is_message_carrier(tx: Transaction) -> bool:
    """MN-0 / GOV-0: whether an output of ``tx`` starts with ``OP_RETURN``: only such a transaction
    can carry a masternode or governance message (:func:`match_message` and the governance
    ``match_message`` answer ``None`` for every other script)."""
    return any(output.script_pubkey[:1] == OP_RETURN_BYTE for output in tx.outputs)


def message_carriers(transactions: Sequence[Transaction]) -> tuple[int, ...]:
    """The positions, ascending, of the transactions :func:`is_message_carrier` accepts.

    One pass over the block's outputs in C (``map``, ``bytes.startswith``, ``compress``): no
    bytecode per transaction, so every scan of the block's messages (MN-5, SLASH-2..5, FIN-5/6,
    GOV-0..4) can visit the carriers alone."""
    scripts = map(_SCRIPT, chain.from_iterable(map(_OUTPUTS, transactions)))
    if not any(map(bytes.startswith, scripts, repeat(OP_RETURN_BYTE))):
        return ()  # a block of payments: one lazy pass, nothing kept
    outputs = tuple(map(_OUTPUTS, transactions))
    scripts = map(_SCRIPT, chain.from_iterable(outputs))
    starts = map(bytes.startswith, scripts, repeat(OP_RETURN_BYTE))
    owners = chain.from_iterable(map(repeat, count(), map(len, outputs)))
    return tuple(dict.fromkeys(compress(owners, starts)))


def spending_positions(transactions: Sequence[Transaction], txids: AbstractSet[bytes]) -> list[int]:
    """The positions, ascending, of the transactions with an input spending an output of a
    transaction in ``txids`` (one pass over the inputs in C, as :func:`message_carriers`)."""
    inputs = tuple(map(_INPUTS, transactions))
    hits = map(txids.__contains__, map(_SPENT_TXID, chain.from_iterable(inputs)))
    owners = chain.from_iterable(map(repeat, count(), map(len, inputs)))
    return list(dict.fromkeys(compress(owners, hits)))


def may_register(tx: Transaction) -> bool:
    """MN-1: whether an output of ``tx`` could carry a registration (its script holds
    :data:`_REGISTRATION_MARK`); false for every transaction whose messages add no entry."""
    return any(_REGISTRATION_MARK in output.script_pubkey for output in tx.outputs)


def apply_carriers_to_list(
    mn_list: MasternodeList,
    transactions: Sequence[Transaction],
    carriers: Sequence[int],
    utxos_before: UtxoSet,
    height: int,
    preset: Preset,
    pose_quorum_key: bytes | None = None,
) -> MasternodeList:
    """MN-5 as :func:`apply_transactions_to_list` with ``inputs_known`` (the chain's transition),
    visiting only the transactions that can change the list; the same list, or the same error.

    ``carriers`` is ``message_carriers(transactions)``. :func:`apply_transaction_to_list` leaves
    the list as it is for a transaction that carries no message (no ``OP_RETURN`` output) and
    spends no listed collateral, so those are skipped: the visits are the carriers and the
    spenders of an output of a transaction some listed collateral belongs to (a superset of the
    collateral spends, found by txid in one pass in C), in block order; a registration adds its
    collateral's spenders after it. Each visit reads the UTXO set just before its transaction, as
    the full replay does (:class:`_SetBeforeTransaction`), so the first failing transaction in
    block order raises, with the same code.
    """
    current = decay_scores(record_payment(mn_list, height), preset)
    tracked = set(map(_TXID, current.entries))
    visits = set(carriers)
    if tracked:
        visits.update(spending_positions(transactions, tracked))
    if not visits:
        return current
    pending = list(visits)
    heapify(pending)
    before = _SetBeforeTransaction(UtxosDuringBlock(utxos_before), transactions, height, preset)
    spenders: dict[bytes, list[int]] | None = None
    last = -1
    while pending:
        position = heappop(pending)
        if position == last:  # pushed twice (pops ascend: a repeat comes right after)
            continue
        last = before.position = position
        tx = transactions[position]
        previous = current
        current = apply_transaction_to_list(current, tx, before, height, preset, pose_quorum_key)
        if may_register(tx):
            added = {o.txid for o in current.entries.keys() - previous.entries.keys()} - tracked
            if added:
                tracked |= added
                if spenders is None:
                    spenders = _spenders(transactions)
                for txid in added:
                    for later in spenders.get(txid, ()):
                        if later > position:
                            heappush(pending, later)
    return current


def _spenders(transactions: Sequence[Transaction]) -> dict[bytes, list[int]]:
    """For each txid a block spends outputs of, the positions of its spenders, ascending."""
    index: dict[bytes, list[int]] = {}
    for position, tx in enumerate(transactions):
        for tx_input in tx.inputs:
            index.setdefault(tx_input.previous_output.txid, []).append(position)
    return index

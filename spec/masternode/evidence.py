"""Slashing evidence: the messages and their canonical encodings (protocol step "SLASH-1").

Evidence of misbehaviour travels as a masternode message of kind 4 (MN-0,
spec/masternode/registry.py); what it proves and what the chain does with it is SLASH-2..5
(spec/masternode/slashing.py). This module only defines the two kinds and their encodings, so
that the MN-0 decoder can read them without importing the checks.

* **SLASH-1 (encoding)** ``SlashingEvidence = tag u8 || body``:

  - tag 1, :class:`DoubleSignEvidence`: ``quorum_height u64 || member u16 || key_share bytes48 ||
    key_share_proof list(bytes32, <= 16) || height u64 || first_block bytes32 ||
    first_signature bytes96 || second_block bytes32 || second_signature bytes96``: member
    ``member`` of the finality quorum based at ``quorum_height`` signed finality shares (FIN-3,
    SIGN-4) for two blocks at one height; ``key_share`` is its public key share and
    ``key_share_proof`` the MERKLE-3 proof that it is leaf ``member - 1`` of the committed
    ``key_shares_root`` (FIN-5). Proofs have at most 16 hashes: member indices are ``u16``.
  - tag 2, :class:`DkgEquivocationEvidence`: ``quorum_height u64 || message_kind u8 ||
    first bytes || second bytes``: two DKG messages (DKG-3 kinds: 1 contribution, 3
    justification; a complaint carries nothing a sender could vary) in their canonical
    encodings (spec/masternode/dkg.py), each a ``bytes`` field of at most
    ``encoding.max_bytes_field`` bytes.

  - tag 4, :class:`ContributionPrefixEvidence`: ``quorum_height u64 || first || second`` with each
    side a :class:`SignedPrefix` ``first_chunk bytes(<= 1024) || siblings list(bytes32, <= 32) ||
    signature bytes96``: the HASH-2 prefix proofs (spec/prefix_proof.py) of two DKG-3 digests a
    dealer signed. The first chunk of what DKG-3 signs starts ``u8 kind || session_id || dealer
    u16``, so the chunk names the contribution's session and dealer and the proof ties it to the
    signed digest without the rest (commitments and ciphertexts). Two mainnet contributions
    (n = 50: about 6.5 kB each) make about 2.5 kB of evidence instead of 13.2 kB, so they fit
    ``max_script_bytes``. DKG-3 signs the same bytes as before: no fork.

  Any other tag or message kind is ``DECODE_INVALID_TAG``; the inner messages must be canonical
  and complete (``DECODE_*``).

  - tag 3, :class:`CheckpointEquivocationEvidence` (fraudulent sidechain checkpoints, SC-DSP-8 /
    SC-DSP-13): ``quorum_type u8 || quorum_height u64 || first checkpoint || second checkpoint``
    with each checkpoint in its SC-HDR-4 encoding: two checkpoints of one sidechain at one height
    with different headers, both signed under the committed group key of the quorum of type
    ``quorum_type`` (1 finality, 2 PoSe) based at ``quorum_height``. A quorum type other than 1
    or 2 is ``DECODE_INVALID_TAG``. The signature is the quorum's threshold signature, so the
    evidence convicts *every* member of that quorum (SLASH-2 tag 3).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from functools import cache

from spec.encoding import (
    BYTES32,
    BYTES48,
    BYTES96,
    U8,
    U16,
    U64,
    Codec,
    ListOf,
    Struct,
    VarBytes,
    decode,
    encode,
)
from spec.errors import InvalidEnumTag, TruncatedInput
from spec.hashing import HashDomain
from spec.masternode.dkg import (
    Contribution,
    Justification,
    MessageKind,
    decode_contribution,
    decode_justification,
    encode_contribution,
    encode_justification,
    signed_bytes,
)
from spec.prefix_proof import CHUNK_LEN, prefix_proof
from spec.presets import Preset
from spec.sidechain.header import CHECKPOINT_CODEC, Checkpoint

MAX_PROOF_HASHES = 16
FEDERATION_QUORUM_TYPES = (1, 2)
"""SLASH-1 tag 3: the quorum types a federation can be (QUORUM-2: 1 finality, 2 PoSe; not imported
from spec/masternode/quorum.py, which imports this module through the MN-0 decoder)."""
"""SLASH-1: a key share proof has at most 16 hashes (a tree of at most 2**16 member keys)."""


class EvidenceKind(IntEnum):
    """SLASH-1: the tag byte of each evidence kind."""

    DOUBLE_SIGN = 1
    DKG_EQUIVOCATION = 2
    CHECKPOINT_EQUIVOCATION = 3
    CONTRIBUTION_PREFIX = 4


@dataclass(frozen=True)
class DoubleSignEvidence:
    """SLASH-1/2: two finality signature shares of one member for two blocks at one height."""

    quorum_height: int
    member: int
    key_share: bytes
    key_share_proof: tuple[bytes, ...]
    height: int
    first_block: bytes
    first_signature: bytes
    second_block: bytes
    second_signature: bytes


EquivocableMessage = Contribution | Justification
"""SLASH-1: the DKG messages whose sender could send two different versions."""


@dataclass(frozen=True)
class DkgEquivocationEvidence:
    """SLASH-1/2: two different signed DKG messages of one sender for one slot of one session."""

    quorum_height: int
    first: EquivocableMessage
    second: EquivocableMessage


MAX_PREFIX_SIBLINGS = 32
"""SLASH-1 tag 4: at most 32 sibling chaining values (a message of up to 2**32 chunks)."""


@dataclass(frozen=True)
class SignedPrefix:
    """SLASH-1 tag 4: the HASH-2 proof of one signed DKG-3 digest, and the signature."""

    first_chunk: bytes
    siblings: tuple[bytes, ...]
    signature: bytes


@dataclass(frozen=True)
class ContributionPrefixEvidence:
    """SLASH-1/2: two different DKG-3 digests one dealer signed for contributions of one session,
    each shown by the first chunk of the signed bytes and its prefix proof."""

    quorum_height: int
    first: SignedPrefix
    second: SignedPrefix


@dataclass(frozen=True)
class CheckpointEquivocationEvidence:
    """SLASH-1 tag 3: two conflicting sidechain checkpoints signed by one federation quorum."""

    quorum_type: int
    quorum_height: int
    first: Checkpoint
    second: Checkpoint


SlashingEvidence = (
    DoubleSignEvidence | DkgEquivocationEvidence | ContributionPrefixEvidence | CheckpointEquivocationEvidence
)


@dataclass(frozen=True)
class _DkgEvidenceBody:
    quorum_height: int
    message_kind: int
    first: bytes
    second: bytes


DOUBLE_SIGN_CODEC: Codec[DoubleSignEvidence] = Struct(
    DoubleSignEvidence,
    [
        ("quorum_height", U64),
        ("member", U16),
        ("key_share", BYTES48),
        ("key_share_proof", ListOf(BYTES32, MAX_PROOF_HASHES)),
        ("height", U64),
        ("first_block", BYTES32),
        ("first_signature", BYTES96),
        ("second_block", BYTES32),
        ("second_signature", BYTES96),
    ],
)
"""SLASH-1: the body of tag 1."""


_SIGNED_PREFIX_CODEC: Codec[SignedPrefix] = Struct(
    SignedPrefix,
    [
        ("first_chunk", VarBytes(CHUNK_LEN)),
        ("siblings", ListOf(BYTES32, MAX_PREFIX_SIBLINGS)),
        ("signature", BYTES96),
    ],
)

CONTRIBUTION_PREFIX_CODEC: Codec[ContributionPrefixEvidence] = Struct(
    ContributionPrefixEvidence,
    [("quorum_height", U64), ("first", _SIGNED_PREFIX_CODEC), ("second", _SIGNED_PREFIX_CODEC)],
)
"""SLASH-1: the body of tag 4."""

CHECKPOINT_EQUIVOCATION_CODEC: Codec[CheckpointEquivocationEvidence] = Struct(
    CheckpointEquivocationEvidence,
    [("quorum_type", U8), ("quorum_height", U64), ("first", CHECKPOINT_CODEC), ("second", CHECKPOINT_CODEC)],
)
"""SLASH-1: the body of tag 3."""


def signed_prefix(message: Contribution) -> SignedPrefix:
    """SLASH-1 tag 4: the prefix proof of a signed contribution's DKG-3 digest (HASH-2)."""
    chunk, siblings = prefix_proof(HashDomain.DKG_MESSAGE, signed_bytes(message))
    return SignedPrefix(chunk, siblings, message.signature)


@cache
def _dkg_body_codec(max_bytes: int) -> Codec[_DkgEvidenceBody]:
    return Struct(
        _DkgEvidenceBody,
        [
            ("quorum_height", U64),
            ("message_kind", U8),
            ("first", VarBytes(max_bytes)),
            ("second", VarBytes(max_bytes)),
        ],
    )


def _message_kind(message: EquivocableMessage) -> MessageKind:
    return MessageKind.CONTRIBUTION if isinstance(message, Contribution) else MessageKind.JUSTIFICATION


def _encode_dkg(message: EquivocableMessage, preset: Preset) -> bytes:
    if isinstance(message, Contribution):
        return encode_contribution(message, preset)
    return encode_justification(message)


def _decode_dkg(kind: int, data: bytes, preset: Preset) -> EquivocableMessage:
    if kind == MessageKind.CONTRIBUTION:
        return decode_contribution(data, preset)
    if kind == MessageKind.JUSTIFICATION:
        return decode_justification(data)
    raise InvalidEnumTag(f"DKG message kind {kind} cannot equivocate")


def encode_evidence(evidence: SlashingEvidence, preset: Preset) -> bytes:
    """SLASH-1: ``tag || body``. Both DKG messages must be of one kind (else ``DECODE_INVALID_TAG``)."""
    if isinstance(evidence, DoubleSignEvidence):
        return bytes([EvidenceKind.DOUBLE_SIGN]) + encode(DOUBLE_SIGN_CODEC, evidence)
    if isinstance(evidence, ContributionPrefixEvidence):
        return bytes([EvidenceKind.CONTRIBUTION_PREFIX]) + encode(CONTRIBUTION_PREFIX_CODEC, evidence)
    if isinstance(evidence, CheckpointEquivocationEvidence):
        return bytes([EvidenceKind.CHECKPOINT_EQUIVOCATION]) + encode(CHECKPOINT_EQUIVOCATION_CODEC, evidence)
    kind = _message_kind(evidence.first)
    if _message_kind(evidence.second) is not kind:
        raise InvalidEnumTag("the two DKG messages of an equivocation are of different kinds")
    body = _DkgEvidenceBody(
        evidence.quorum_height,
        kind,
        _encode_dkg(evidence.first, preset),
        _encode_dkg(evidence.second, preset),
    )
    return bytes([EvidenceKind.DKG_EQUIVOCATION]) + encode(
        _dkg_body_codec(preset.encoding.max_bytes_field), body
    )


def decode_evidence(data: bytes, preset: Preset) -> SlashingEvidence:
    """SLASH-1: the evidence ``data`` encodes; ``DECODE_*`` for anything else."""
    if not data:
        raise TruncatedInput("evidence without a tag")
    tag, body = data[0], data[1:]
    if tag == EvidenceKind.DOUBLE_SIGN:
        return decode(DOUBLE_SIGN_CODEC, body)
    if tag == EvidenceKind.DKG_EQUIVOCATION:
        raw = decode(_dkg_body_codec(preset.encoding.max_bytes_field), body)
        first = _decode_dkg(raw.message_kind, raw.first, preset)
        second = _decode_dkg(raw.message_kind, raw.second, preset)
        return DkgEquivocationEvidence(raw.quorum_height, first, second)
    if tag == EvidenceKind.CONTRIBUTION_PREFIX:
        return decode(CONTRIBUTION_PREFIX_CODEC, body)
    if tag == EvidenceKind.CHECKPOINT_EQUIVOCATION:
        evidence = decode(CHECKPOINT_EQUIVOCATION_CODEC, body)
        if evidence.quorum_type not in FEDERATION_QUORUM_TYPES:
            raise InvalidEnumTag(f"quorum type {evidence.quorum_type}")
        return evidence
    raise InvalidEnumTag(f"evidence tag {tag}")


__all__ = [
    "CHECKPOINT_EQUIVOCATION_CODEC",
    "CONTRIBUTION_PREFIX_CODEC",
    "DOUBLE_SIGN_CODEC",
    "MAX_PREFIX_SIBLINGS",
    "MAX_PROOF_HASHES",
    "CheckpointEquivocationEvidence",
    "ContributionPrefixEvidence",
    "DkgEquivocationEvidence",
    "DoubleSignEvidence",
    "EquivocableMessage",
    "EvidenceKind",
    "SignedPrefix",
    "SlashingEvidence",
    "decode_evidence",
    "encode_evidence",
    "signed_prefix",
]

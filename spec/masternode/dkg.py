"""Distributed key generation of a quorum's threshold key (protocol step "DKG").

A quorum of ``n`` members -- member ``j`` (``j = 1..n``, quorum order) holds the BLS key ``pk_j`` --
runs one Joint-Feldman DKG session with complaints and justifications (Dash DIP6 as the model).
Every member deals a polynomial of degree ``t - 1``; the dealers that survive the complaint round
form the qualified set ``QUAL``, and the sum of their polynomials is the quorum's Shamir polynomial
(:mod:`spec.crypto.threshold`), whose constant term -- the group secret -- nobody learns.

This module is the *public* state machine: every node that has seen the same broadcast messages
computes the same ``QUAL``, group public key and public key shares. What only member ``j`` can
compute (which dealers to complain against, its secret share) takes the member's index. The
module draws no randomness: a dealer's polynomial coefficients are inputs (derived by the caller,
for example with :func:`spec.crypto.threshold.coefficients_from_seed`).

Rules:

* **DKG-1 (session)** :func:`start_session` checks, in order: the quorum hash is 32 bytes;
  ``dkg.min_members <= n <= quorum.max_members`` (and ``n <= 65535``, member indices are ``u16``);
  ``1 <= t <= n``; ``start_height`` is a ``u64``; every member key passes KeyValidate
  (``BLS_INVALID_PUBLIC_KEY``); no key repeats.
  Every other failure is ``DKG_INVALID_PARAMETERS``. The session id is
  ``H(DKG_SESSION, quorum_hash || u64le(start_height) || u16le(t) || u16le(n) || pk_1 || ... || pk_n)``.
* **DKG-2 (phases)** CONTRIBUTION, COMPLAINT, JUSTIFICATION, FINALIZATION, in this order, lasting
  the preset's ``dkg.*_blocks`` each from ``start_height`` (:func:`phase_at_height`).
  :func:`advance_phase` moves one phase on; a message outside its phase is ``DKG_WRONG_PHASE``.
* **DKG-3 (authentication)** every message names the session and its sender and carries the
  sender's BLS signature (:func:`spec.crypto.bls.sign`) over
  ``H(DKG_MESSAGE, u8(kind) || payload)``, where ``payload`` is the message's canonical encoding
  without its final 96-byte signature field (kinds: contribution 1, complaint 2, justification 3).
  Checks run in the order: phase, session id (``DKG_WRONG_SESSION``), member indices
  (``DKG_UNKNOWN_MEMBER``), the message's own shape rules, then the signature
  (``DKG_BAD_SIGNATURE``, also for a signature that is not a valid encoding).
* **DKG-4 (contribution)** dealer ``i`` with coefficients ``a_i0..a_i(t-1)`` (THRESHOLD-2) sends
  the Feldman commitments ``C_ik = a_ik * g1`` and, for every member ``j``, the share
  ``s_ij = f_i(j)`` (32 bytes big-endian) encrypted to ``pk_j`` (DKG-11, 96 bytes): the signature
  covers the ciphertexts. Shape: exactly ``t`` commitments of 48 bytes and ``n`` ciphertexts
  (``DKG_MALFORMED_CONTRIBUTION``), each of 96 bytes (``DKG_MALFORMED_CIPHERTEXT``); after the
  signature, every commitment must be a valid G1 point and ``C_i0`` and ``C_i(t-1)`` not the
  identity (``DKG_MALFORMED_CONTRIBUTION``). What a ciphertext holds only its recipient can check.
* **DKG-5 (equivocation)** a second copy of an accepted contribution changes nothing; a second,
  *different*, acceptable contribution of the same dealer proves equivocation and disqualifies it.
* **DKG-6 (complaints)** recipient ``j`` decrypts dealer ``i``'s ciphertext (DKG-11) and accepts
  the share iff it decrypts and ``s_ij * g1 == sum_k j^k * C_ik``; it complains against every
  non-equivocating dealer whose share fails either way (:func:`find_bad_shares`). A complaint is
  accepted in COMPLAINT from a member against another member (``DKG_SELF_COMPLAINT`` against
  itself); repeats change nothing.
* **DKG-7 (justifications)** dealer ``i`` answers complaint ``(i, j)`` by revealing the ephemeral
  key ``e_ij`` of its ciphertext to ``j`` (DKG-12); everybody opens the ciphertext with it, so the
  revealed share is the one the dealer committed to in its signed contribution. Accepted in
  JUSTIFICATION only for a recorded complaint against a dealer with an accepted contribution
  (``DKG_UNSOLICITED_JUSTIFICATION``) and an ephemeral key of 32 bytes in ``[1, r - 1]``
  (``DKG_MALFORMED_JUSTIFICATION``), checked before the signature. A key that opens the
  ciphertext to a share passing the DKG-6 check answers the complaint (and the share replaces what
  ``j`` decrypted); any other (``DKG_BAD_JUSTIFICATION`` in :func:`justified_share`) disqualifies
  the dealer, whatever else it sends.
* **DKG-8 (result)** :func:`finalize`, in FINALIZATION: each dealer is excluded for the first
  of: no accepted contribution, equivocation, a failed justification, an unanswered complaint. The
  rest, ascending, is ``QUAL``; fewer than ``t`` is ``DKG_FAILED``. With
  ``A_k = sum_{i in QUAL} C_ik``: the group public key is ``A_0`` and member ``j``'s public key
  share is ``pk_j = sum_k j^k * A_k``; if any of them is the identity the DKG fails too.
* **DKG-9 (member share)** member ``j``'s secret key share is ``sum_{i in QUAL} s_ij mod r``, with
  the revealed share where ``j``'s complaint was answered and its own decryption elsewhere (a
  ciphertext it cannot decrypt: ``DKG_MALFORMED_CIPHERTEXT``/``DKG_UNDECRYPTABLE_SHARE``). It must
  match ``pk_j`` (``DKG_SHARE_MISMATCH``: the member accepted a bad share without complaining).
* **DKG-10 (batched verification)** :func:`find_bad_shares` first checks all dealers at once per
  recipient: ``(sum_i w_i s_ij) * g1 == sum_k j^k * B_k`` with ``B_k = sum_i w_i C_ik`` computed
  once for all recipients, and checks dealers one by one only when that fails. The 128-bit
  weights ``w_i`` are hashed from the whole set of contributions, so no dealer can choose its
  errors to cancel another's: the batch answers "all valid" for a transcript with a bad share
  with probability at most ``2**-128``. (Unit weights would not do: two colluding dealers can
  offset errors ``+d`` and ``-d`` in one recipient's shares, and the recipient's sum is wrong as
  soon as one of them is later excluded.) The rule is DKG-6; the batch is how to compute it fast.

* **DKG-11/12 (share encryption)** :mod:`spec.masternode.share_encryption`: ECIES over G1 to the
  member key with a ChaCha20-Poly1305 body, the ephemeral scalar hashed from a seed the dealer
  supplies (an input: this module stays deterministic), and the public opening of a ciphertext from
  its revealed ephemeral key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import Enum, IntEnum
from functools import cache
from typing import TypeVar

from spec.crypto import bls
from spec.crypto.bls import CURVE_ORDER, G1_GENERATOR, G1_IDENTITY, SIGNATURE_LENGTH
from spec.crypto.threshold import Share, check_polynomial, polynomial_eval
from spec.encoding import BYTES32, BYTES48, BYTES96, U16, Codec, FixedBytes, ListOf, Struct, decode, encode
from spec.errors import (
    DkgBadJustification,
    DkgBadSignature,
    DkgFailed,
    DkgInvalidParameters,
    DkgMalformedCiphertext,
    DkgMalformedContribution,
    DkgSelfComplaint,
    DkgShareMismatch,
    DkgUndecryptableShare,
    DkgUnknownMember,
    DkgUnsolicitedJustification,
    DkgWrongPhase,
    DkgWrongSession,
    InvalidPublicKey,
    InvalidSecretKey,
    InvalidSignatureEncoding,
)
from spec.hashing import HashDomain, tagged_hash, tagged_hash_many
from spec.masternode.share_encryption import (
    CIPHERTEXT_LENGTH,
    EPHEMERAL_LENGTH,
    decrypt_share,
    encrypt_share,
    ephemeral_scalar,
    open_with_ephemeral,
    share_context,
    share_ephemeral,
)
from spec.presets import DkgParams, Preset

MAX_MEMBER_INDEX = 0xFFFF
"""Member indices travel as ``u16``: no session has more members."""

QUORUM_HASH_LENGTH = 32
SHARE_LENGTH = 32
BATCH_WEIGHT_BYTES = 16
"""DKG-10: batch weights are ``1 + OS2IP(16 hash bytes)``, in ``[1, 2**128]``."""


class DkgPhase(IntEnum):
    """DKG-2: the phases of a session, in order."""

    CONTRIBUTION = 0
    COMPLAINT = 1
    JUSTIFICATION = 2
    FINALIZATION = 3


class MessageKind(IntEnum):
    """DKG-3: the kind byte hashed in front of each message payload."""

    CONTRIBUTION = 1
    COMPLAINT = 2
    JUSTIFICATION = 3


class Exclusion(Enum):
    """DKG-8: why a dealer is not in ``QUAL`` (the first reason that applies, in this order)."""

    MISSING = "missing"
    EQUIVOCATION = "equivocation"
    BAD_JUSTIFICATION = "bad_justification"
    UNANSWERED_COMPLAINT = "unanswered_complaint"


# --------------------------------------------------------------------------------------------
# Messages and their canonical encodings
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Contribution:
    """DKG-4: dealer ``dealer``'s commitments and its encrypted share for every member
    (``ciphertexts[j - 1]``, DKG-11)."""

    session_id: bytes
    dealer: int
    commitments: tuple[bytes, ...]
    ciphertexts: tuple[bytes, ...]
    signature: bytes


@dataclass(frozen=True)
class Complaint:
    """DKG-6: member ``complainer`` says the share ``accused`` dealt it fails verification."""

    session_id: bytes
    complainer: int
    accused: int
    signature: bytes


@dataclass(frozen=True)
class Justification:
    """DKG-7: dealer ``dealer`` reveals the ephemeral key of its ciphertext to ``complainer`` (DKG-12)."""

    session_id: bytes
    dealer: int
    complainer: int
    ephemeral: bytes
    signature: bytes


DkgMessage = Contribution | Complaint | Justification
M = TypeVar("M", Contribution, Complaint, Justification)


@cache
def contribution_codec(max_members: int) -> Codec[Contribution]:
    """ENC of a contribution: ``bytes32 session || u16 dealer || list(bytes48) commitments ||
    list(bytes96) ciphertexts || bytes96 signature``, lists of at most ``max_members`` items."""
    return Struct(
        Contribution,
        [
            ("session_id", BYTES32),
            ("dealer", U16),
            ("commitments", ListOf(BYTES48, max_members)),
            ("ciphertexts", ListOf(FixedBytes(CIPHERTEXT_LENGTH), max_members)),
            ("signature", BYTES96),
        ],
    )


COMPLAINT_CODEC: Codec[Complaint] = Struct(
    Complaint,
    [("session_id", BYTES32), ("complainer", U16), ("accused", U16), ("signature", BYTES96)],
)
"""ENC of a complaint: ``bytes32 session || u16 complainer || u16 accused || bytes96 signature``."""

JUSTIFICATION_CODEC: Codec[Justification] = Struct(
    Justification,
    [
        ("session_id", BYTES32),
        ("dealer", U16),
        ("complainer", U16),
        ("ephemeral", FixedBytes(EPHEMERAL_LENGTH)),
        ("signature", BYTES96),
    ],
)
"""ENC of a justification: ``bytes32 session || u16 dealer || u16 complainer || bytes32 ephemeral ||
bytes96 signature``."""


def encode_contribution(message: Contribution, preset: Preset) -> bytes:
    """ENC: the canonical encoding of a contribution under ``preset``'s ``quorum.max_members``."""
    return encode(contribution_codec(preset.quorum.max_members), message)


def decode_contribution(data: bytes, preset: Preset) -> Contribution:
    """ENC-1..4: decode one contribution (lists bounded by ``quorum.max_members``)."""
    return decode(contribution_codec(preset.quorum.max_members), data)


def encode_complaint(message: Complaint) -> bytes:
    """ENC: the canonical encoding of a complaint."""
    return encode(COMPLAINT_CODEC, message)


def decode_complaint(data: bytes) -> Complaint:
    """ENC-1..4: decode one complaint."""
    return decode(COMPLAINT_CODEC, data)


def encode_justification(message: Justification) -> bytes:
    """ENC: the canonical encoding of a justification."""
    return encode(JUSTIFICATION_CODEC, message)


def decode_justification(data: bytes) -> Justification:
    """ENC-1..4: decode one justification."""
    return decode(JUSTIFICATION_CODEC, data)


def _kind_and_encoding(message: DkgMessage) -> tuple[MessageKind, bytes]:
    if isinstance(message, Contribution):
        return MessageKind.CONTRIBUTION, encode(contribution_codec(MAX_MEMBER_INDEX), message)
    if isinstance(message, Complaint):
        return MessageKind.COMPLAINT, encode(COMPLAINT_CODEC, message)
    return MessageKind.JUSTIFICATION, encode(JUSTIFICATION_CODEC, message)


def signed_bytes(message: DkgMessage) -> bytes:
    """DKG-3: ``u8(kind) || encoding without the final signature``, the bytes the digest hashes."""
    kind, encoded = _kind_and_encoding(message)
    return bytes([kind]) + encoded[:-SIGNATURE_LENGTH]


def message_digest(message: DkgMessage) -> bytes:
    """DKG-3: ``H(DKG_MESSAGE, u8(kind) || encoding without the final signature)``, what the sender signs.

    The message's fields must already have their encoded widths (the transitions check that first).
    """
    kind, encoded = _kind_and_encoding(message)
    return tagged_hash_many(HashDomain.DKG_MESSAGE, (bytes([kind]), encoded[:-SIGNATURE_LENGTH]))


def sign_message(message: M, secret_key: bytes) -> M:
    """DKG-3: ``message`` with its signature field set to the sender's signature of its digest."""
    return replace(message, signature=bls.sign(secret_key, message_digest(message)))


# --------------------------------------------------------------------------------------------
# Small arithmetic: powers, phases, weights
# --------------------------------------------------------------------------------------------


def exponent_schedule(x: int, count: int) -> tuple[int, ...]:
    """DKG-6/8: ``(x^0, x^1, ..., x^(count-1)) mod r``: the scalars evaluating commitments at ``x``."""
    powers = []
    power = 1
    for _ in range(count):
        powers.append(power)
        power = power * x % CURVE_ORDER
    return tuple(powers)


def default_threshold(members: int) -> int:
    """Upstream's quorum threshold ``ceil(2n / 3)``, computed as ``(2n + 2) // 3`` (a convenience; the
    threshold is a session input)."""
    return (2 * members + 2) // 3


def _phase_lengths(params: DkgParams) -> tuple[int, int, int, int]:
    return (
        params.contribution_blocks,
        params.complaint_blocks,
        params.justification_blocks,
        params.finalization_blocks,
    )


def phase_start_height(start_height: int, phase: DkgPhase, params: DkgParams) -> int:
    """DKG-2: the first height of ``phase`` in a session started at ``start_height``."""
    return start_height + sum(_phase_lengths(params)[: int(phase)])


def session_end_height(start_height: int, params: DkgParams) -> int:
    """DKG-2: the first height after the session's FINALIZATION phase."""
    return start_height + sum(_phase_lengths(params))


def phase_at_height(start_height: int, height: int, params: DkgParams) -> DkgPhase | None:
    """DKG-2: the phase a session started at ``start_height`` is in at ``height`` (``None`` outside it)."""
    if height < start_height:
        return None
    offset = height - start_height
    for phase, length in zip(DkgPhase, _phase_lengths(params), strict=True):
        if offset < length:
            return phase
        offset -= length
    return None


# --------------------------------------------------------------------------------------------
# Session state
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DkgSession:
    """The public state of one DKG session (what every node that saw the same messages holds).

    ``members[j - 1]`` is member ``j``'s BLS public key (and its DKG-11 encryption key).
    ``complaints`` holds ``(accused, complainer)`` pairs; ``answered`` maps such a pair to the share
    the dealer's justification opened (valid ones only).
    """

    session_id: bytes
    quorum_hash: bytes
    start_height: int
    threshold: int
    members: tuple[bytes, ...]
    params: DkgParams
    phase: DkgPhase
    contributions: Mapping[int, Contribution]
    equivocators: frozenset[int]
    complaints: frozenset[tuple[int, int]]
    answered: Mapping[tuple[int, int], int]
    bad_justifiers: frozenset[int]


@dataclass(frozen=True)
class DkgResult:
    """DKG-8: the outcome of a session: ``QUAL``, why the others were excluded, and the quorum keys.

    ``public_key_shares[j - 1]`` is member ``j``'s public key share (index ``j``).
    """

    session_id: bytes
    threshold: int
    qualified: tuple[int, ...]
    excluded: tuple[tuple[int, Exclusion], ...]
    group_public_key: bytes
    public_key_shares: tuple[Share, ...]


def session_id(quorum_hash: bytes, start_height: int, threshold: int, member_keys: Sequence[bytes]) -> bytes:
    """DKG-1: the session id binding every message to one quorum, start height, threshold and member list."""
    header = quorum_hash + start_height.to_bytes(8, "little")
    header += threshold.to_bytes(2, "little") + len(member_keys).to_bytes(2, "little")
    return tagged_hash_many(HashDomain.DKG_SESSION, (header, *member_keys))


def start_session(
    member_keys: Sequence[bytes], threshold: int, quorum_hash: bytes, start_height: int, preset: Preset
) -> DkgSession:
    """DKG-1: open a session in the CONTRIBUTION phase; member ``j`` is ``member_keys[j - 1]``."""
    if len(quorum_hash) != QUORUM_HASH_LENGTH:
        raise DkgInvalidParameters(f"quorum hash of {len(quorum_hash)} bytes")
    count = len(member_keys)
    upper = min(preset.quorum.max_members, MAX_MEMBER_INDEX)
    if not preset.dkg.min_members <= count <= upper:
        raise DkgInvalidParameters(f"{count} members, need {preset.dkg.min_members}..{upper}")
    if not 1 <= threshold <= count:
        raise DkgInvalidParameters(f"threshold {threshold} not in [1, {count}]")
    if not 0 <= start_height < 2**64:
        raise DkgInvalidParameters(f"start height {start_height} is not a u64")
    for key in member_keys:
        bls.decode_public_key(key)
    if len(set(member_keys)) != count:
        raise DkgInvalidParameters("a member key appears twice")
    return DkgSession(
        session_id=session_id(quorum_hash, start_height, threshold, member_keys),
        quorum_hash=bytes(quorum_hash),
        start_height=start_height,
        threshold=threshold,
        members=tuple(bytes(k) for k in member_keys),
        params=preset.dkg,
        phase=DkgPhase.CONTRIBUTION,
        contributions={},
        equivocators=frozenset(),
        complaints=frozenset(),
        answered={},
        bad_justifiers=frozenset(),
    )


def advance_phase(state: DkgSession) -> DkgSession:
    """DKG-2: move to the next phase; FINALIZATION is the last (``DKG_WRONG_PHASE``)."""
    if state.phase is DkgPhase.FINALIZATION:
        raise DkgWrongPhase("FINALIZATION is the last phase")
    return replace(state, phase=DkgPhase(state.phase + 1))


def advance_to_height(state: DkgSession, height: int) -> DkgSession:
    """DKG-2: advance to the phase of ``height``; a height outside the session or of an earlier phase
    is ``DKG_WRONG_PHASE``."""
    target = phase_at_height(state.start_height, height, state.params)
    if target is None or target < state.phase:
        raise DkgWrongPhase(f"height {height} is not in phase {state.phase.name} or later")
    while state.phase < target:
        state = advance_phase(state)
    return state


# --------------------------------------------------------------------------------------------
# Group arithmetic on points already validated (DKG-1 keys, DKG-4 commitments)
# --------------------------------------------------------------------------------------------


def _combine(points: Sequence[bytes], scalars: Sequence[int]) -> bytes:
    """``sum scalars[i] * points[i]`` in G1 for points this module has already validated.

    Commitments are checked once, when their contribution is accepted (DKG-4); re-decoding them for
    every evaluation would dominate the cost of a 400-member session.
    """
    return bls.active_backend().g1_linear_combination(points, tuple(s % CURVE_ORDER for s in scalars))


def _evaluates_to(commitments: Sequence[bytes], x: int, scalar: int) -> bool:
    """``scalar * g1 == sum_k x^k * commitments[k]``, as one multi-scalar multiplication."""
    scalars = (*exponent_schedule(x, len(commitments)), -scalar)
    return _combine((*commitments, G1_GENERATOR), scalars) == G1_IDENTITY


def share_scalar(data: bytes) -> int | None:
    """DKG-4/7: the value of a share: 32 bytes big-endian below ``r``; ``None`` for anything else."""
    if len(data) != SHARE_LENGTH:
        return None
    value = int.from_bytes(data, "big")
    return value if value < CURVE_ORDER else None


def verify_share(commitments: Sequence[bytes], recipient: int, share: bytes) -> bool:
    """DKG-6 for one dealer: does ``share`` equal the committed polynomial at ``recipient``?

    Raises for inputs that are not a check at all: no commitments or a share that is not 32 bytes
    below ``r`` (``DKG_MALFORMED_CONTRIBUTION``), a recipient outside ``[1, 65535]``
    (``DKG_UNKNOWN_MEMBER``), a commitment that is not a valid G1 point (``BLS_INVALID_PUBLIC_KEY``).
    """
    value = share_scalar(share)
    if not commitments or value is None:
        raise DkgMalformedContribution("no commitments, or a share not 32 bytes below r")
    if not 1 <= recipient <= MAX_MEMBER_INDEX:
        raise DkgUnknownMember(f"recipient {recipient}")
    for point in commitments:
        bls.decode_g1_point(point)
    return _evaluates_to(commitments, recipient, value)


# --------------------------------------------------------------------------------------------
# Transitions
# --------------------------------------------------------------------------------------------


def _check_header(state: DkgSession, phase: DkgPhase, message_session: bytes, *indices: int) -> None:
    """DKG-3: phase, session id, member indices (in this order)."""
    if state.phase is not phase:
        raise DkgWrongPhase(f"{phase.name} message in phase {state.phase.name}")
    if message_session != state.session_id:
        raise DkgWrongSession("message of another session")
    for index in indices:
        if not 1 <= index <= len(state.members):
            raise DkgUnknownMember(f"member index {index} not in [1, {len(state.members)}]")


def _check_signature(state: DkgSession, sender: int, message: DkgMessage) -> None:
    """DKG-3: the signature is a valid encoding and verifies under the sender's member key."""
    if len(message.signature) != SIGNATURE_LENGTH:
        raise DkgBadSignature(f"signature of {len(message.signature)} bytes")
    try:
        valid = bls.verify(state.members[sender - 1], message_digest(message), message.signature)
    except InvalidSignatureEncoding:
        raise DkgBadSignature("signature is not a valid G2 encoding") from None
    if not valid:
        raise DkgBadSignature(f"signature of member {sender} does not verify")


def _check_contribution_shape(state: DkgSession, message: Contribution) -> None:
    """DKG-4 shape: ``t`` commitments of 48 bytes, ``n`` ciphertexts of 96 bytes."""
    if len(message.commitments) != state.threshold:
        raise DkgMalformedContribution(f"{len(message.commitments)} commitments, threshold {state.threshold}")
    if any(len(c) != bls.PUBLIC_KEY_LENGTH for c in message.commitments):
        raise DkgMalformedContribution("a commitment is not 48 bytes")
    if len(message.ciphertexts) != len(state.members):
        raise DkgMalformedContribution(
            f"{len(message.ciphertexts)} ciphertexts for {len(state.members)} members"
        )
    for position, ciphertext in enumerate(message.ciphertexts):
        if len(ciphertext) != CIPHERTEXT_LENGTH:
            raise DkgMalformedCiphertext(f"ciphertext {position} has {len(ciphertext)} bytes")


def _check_commitment_points(commitments: Sequence[bytes]) -> None:
    """DKG-4 points: every commitment a valid G1 point; the first and the last not the identity."""
    for position, point in enumerate(commitments):
        try:
            bls.decode_g1_point(point)
        except InvalidPublicKey as exc:
            raise DkgMalformedContribution(f"commitment {position}: {exc.detail}") from None
    if commitments[0] == G1_IDENTITY or commitments[-1] == G1_IDENTITY:
        raise DkgMalformedContribution("the first or the last commitment is the identity")


def receive_contribution(state: DkgSession, message: Contribution) -> DkgSession:
    """DKG-3/4/5: accept a dealer's contribution, or record its equivocation."""
    _check_header(state, DkgPhase.CONTRIBUTION, message.session_id, message.dealer)
    _check_contribution_shape(state, message)
    _check_signature(state, message.dealer, message)
    _check_commitment_points(message.commitments)
    known = state.contributions.get(message.dealer)
    if known == message:
        return state
    if known is not None:
        return replace(state, equivocators=state.equivocators | {message.dealer})
    return replace(state, contributions={**state.contributions, message.dealer: message})


def receive_complaint(state: DkgSession, message: Complaint) -> DkgSession:
    """DKG-3/6: record a member's complaint against a dealer."""
    _check_header(state, DkgPhase.COMPLAINT, message.session_id, message.complainer, message.accused)
    if message.complainer == message.accused:
        raise DkgSelfComplaint(f"member {message.complainer} complains against itself")
    _check_signature(state, message.complainer, message)
    return replace(state, complaints=state.complaints | {(message.accused, message.complainer)})


def receive_justification(state: DkgSession, message: Justification) -> DkgSession:
    """DKG-3/7: a dealer's answer to a complaint: it clears the complaint or disqualifies the dealer."""
    _check_header(state, DkgPhase.JUSTIFICATION, message.session_id, message.dealer, message.complainer)
    pair = (message.dealer, message.complainer)
    contribution = state.contributions.get(message.dealer)
    if pair not in state.complaints or contribution is None:
        raise DkgUnsolicitedJustification(f"no complaint of {message.complainer} against {message.dealer}")
    ephemeral = ephemeral_scalar(message.ephemeral)
    _check_signature(state, message.dealer, message)
    try:
        value = justified_share(state, message.dealer, message.complainer, ephemeral)
    except DkgBadJustification:
        return replace(state, bad_justifiers=state.bad_justifiers | {message.dealer})
    return replace(state, answered={**state.answered, pair: value})


def justified_share(state: DkgSession, dealer: int, complainer: int, ephemeral: int) -> int:
    """DKG-7/12: the share dealer ``dealer``'s revealed ``ephemeral`` opens from its ciphertext to
    ``complainer``; ``DKG_BAD_JUSTIFICATION`` unless it opens to a share passing the commitments.

    The dealer must have an accepted contribution (``DKG_UNSOLICITED_JUSTIFICATION``).
    """
    contribution = state.contributions.get(dealer)
    if contribution is None or not 1 <= complainer <= len(state.members):
        raise DkgUnsolicitedJustification(f"no contribution of {dealer} to member {complainer}")
    context = share_context(state.session_id, dealer, complainer)
    value = open_with_ephemeral(
        context, state.members[complainer - 1], contribution.ciphertexts[complainer - 1], ephemeral
    )
    if not _evaluates_to(contribution.commitments, complainer, value):
        raise DkgBadJustification(f"the share dealer {dealer} revealed fails its commitments")
    return value


# --------------------------------------------------------------------------------------------
# Member-side rules: what to complain about (DKG-6, DKG-10)
# --------------------------------------------------------------------------------------------


def candidate_dealers(state: DkgSession) -> tuple[int, ...]:
    """DKG-6: the dealers whose shares recipients check: accepted contributions, no equivocation."""
    return tuple(sorted(set(state.contributions) - state.equivocators))


def batch_weights(state: DkgSession, dealers: Sequence[int]) -> tuple[int, ...]:
    """DKG-10: the 128-bit weight of each dealer, hashed from every candidate contribution.

    ``T = H(DKG_SHARE_BATCH, session_id || (u16le(i) || digest_i for each dealer i, ascending))``
    and ``w_i = 1 + OS2IP(H(DKG_SHARE_BATCH, T || u16le(i))[:16])``, ``digest_i`` being the DKG-3
    digest of dealer ``i``'s contribution.
    """
    parts = [state.session_id]
    for dealer in dealers:
        parts += [dealer.to_bytes(2, "little"), message_digest(state.contributions[dealer])]
    transcript = tagged_hash_many(HashDomain.DKG_SHARE_BATCH, tuple(parts))
    return tuple(
        batch_weight(tagged_hash(HashDomain.DKG_SHARE_BATCH, transcript + d.to_bytes(2, "little")))
        for d in dealers
    )


def batch_weight(digest: bytes) -> int:
    """DKG-10: ``1 + OS2IP(digest[:16])``, a weight in ``[1, 2**128]`` (never zero: no dealer drops out)."""
    return 1 + int.from_bytes(digest[:BATCH_WEIGHT_BYTES], "big")


def _member_secret(state: DkgSession, member: int, secret_key: bytes) -> int:
    """Member ``member``'s secret key, checked against its member key (``BLS_INVALID_SECRET_KEY``)."""
    if not 1 <= member <= len(state.members):
        raise DkgUnknownMember(f"member {member} not in [1, {len(state.members)}]")
    secret = bls.decode_secret_key(secret_key)
    if _combine((G1_GENERATOR,), (secret,)) != state.members[member - 1]:
        raise InvalidSecretKey(f"not the secret key of member {member}")
    return secret


def received_share(state: DkgSession, dealer: int, recipient: int, secret: int) -> int:
    """DKG-6/11: the share ``recipient`` (secret scalar ``secret``) decrypts from ``dealer``'s contribution.

    Raises ``DKG_MALFORMED_CIPHERTEXT`` or ``DKG_UNDECRYPTABLE_SHARE``: grounds for a complaint.
    """
    ciphertext = state.contributions[dealer].ciphertexts[recipient - 1]
    context = share_context(state.session_id, dealer, recipient)
    return decrypt_share(context, state.members[recipient - 1], secret, ciphertext)


def find_bad_shares(state: DkgSession, recipient_keys: Mapping[int, bytes]) -> dict[int, tuple[int, ...]]:
    """DKG-6 via DKG-10: for each recipient (index -> its BLS secret key), the candidate dealers whose
    share to it fails to decrypt (DKG-11) or fails the commitments (ascending).

    A member calls this with its own index and key only; a test may ask for every member.
    """
    return find_bad_shares_and_plaintexts(state, recipient_keys)[0]


def find_bad_shares_and_plaintexts(
    state: DkgSession, recipient_keys: Mapping[int, bytes]
) -> tuple[dict[int, tuple[int, ...]], dict[int, dict[int, int]]]:
    """DKG-6 via DKG-10 as :func:`find_bad_shares`, also returning what each recipient decrypted:
    recipient -> (dealer -> share) for every candidate dealer whose share decrypted (DKG-11).

    A member keeps these plaintexts and passes them to :func:`member_secret_share` (``received``)
    so that it decrypts each share once per session.
    """
    secrets = {recipient: _member_secret(state, recipient, key) for recipient, key in recipient_keys.items()}
    dealers = candidate_dealers(state)
    result: dict[int, tuple[int, ...]] = {}
    plaintexts: dict[int, dict[int, int]] = {recipient: {} for recipient in secrets}
    if not dealers:
        return {recipient: () for recipient in secrets}, plaintexts
    weights = batch_weights(state, dealers)
    commitment_rows = [state.contributions[d].commitments for d in dealers]
    weighted = tuple(_combine([row[k] for row in commitment_rows], weights) for k in range(state.threshold))
    for recipient, secret in secrets.items():
        undecryptable: set[int] = set()
        shares: list[int] = []
        for dealer in dealers:
            try:
                value = received_share(state, dealer, recipient, secret)
            except (DkgMalformedCiphertext, DkgUndecryptableShare):
                undecryptable.add(dealer)
                shares.append(0)
            else:
                shares.append(value)
                plaintexts[recipient][dealer] = value
        combined = sum(w * s for w, s in zip(weights, shares, strict=True)) % CURVE_ORDER
        if not undecryptable and _evaluates_to(weighted, recipient, combined):
            result[recipient] = ()
            continue
        result[recipient] = tuple(
            d
            for d, row, s in zip(dealers, commitment_rows, shares, strict=True)
            if d in undecryptable or not _evaluates_to(row, recipient, s)
        )
    return result, plaintexts


# --------------------------------------------------------------------------------------------
# Finalization (DKG-8) and member shares (DKG-9)
# --------------------------------------------------------------------------------------------


def exclusions(state: DkgSession) -> tuple[tuple[int, Exclusion], ...]:
    """DKG-8: every excluded dealer with the first reason that applies, ascending by dealer."""
    unanswered = {
        dealer for dealer, complainer in state.complaints if (dealer, complainer) not in state.answered
    }
    excluded = []
    for dealer in range(1, len(state.members) + 1):
        if dealer not in state.contributions:
            excluded.append((dealer, Exclusion.MISSING))
        elif dealer in state.equivocators:
            excluded.append((dealer, Exclusion.EQUIVOCATION))
        elif dealer in state.bad_justifiers:
            excluded.append((dealer, Exclusion.BAD_JUSTIFICATION))
        elif dealer in unanswered:
            excluded.append((dealer, Exclusion.UNANSWERED_COMPLAINT))
    return tuple(excluded)


def finalize(state: DkgSession) -> DkgResult:
    """DKG-8: ``QUAL``, the group public key and every member's public key share."""
    if state.phase is not DkgPhase.FINALIZATION:
        raise DkgWrongPhase(f"finalize in phase {state.phase.name}")
    excluded = exclusions(state)
    out = {dealer for dealer, _ in excluded}
    qualified = tuple(d for d in range(1, len(state.members) + 1) if d not in out)
    if len(qualified) < state.threshold:
        raise DkgFailed(f"{len(qualified)} qualified dealers, threshold {state.threshold}")
    rows = [state.contributions[d].commitments for d in qualified]
    ones = (1,) * len(qualified)
    summed = tuple(_combine([row[k] for row in rows], ones) for k in range(state.threshold))
    if summed[0] == G1_IDENTITY:
        raise DkgFailed("the group public key is the identity")
    shares = []
    for member in range(1, len(state.members) + 1):
        public = _combine(summed, exponent_schedule(member, state.threshold))
        if public == G1_IDENTITY:
            raise DkgFailed(f"the public key share of member {member} is the identity")
        shares.append(Share(member, public))
    return DkgResult(
        session_id=state.session_id,
        threshold=state.threshold,
        qualified=qualified,
        excluded=excluded,
        group_public_key=summed[0],
        public_key_shares=tuple(shares),
    )


def member_secret_share(
    state: DkgSession,
    result: DkgResult,
    member: int,
    secret_key: bytes,
    received: Mapping[int, int] | None = None,
) -> Share:
    """DKG-9: member ``member``'s secret key share (32 bytes), checked against its public key share.

    ``secret_key`` is the member's BLS secret key, which decrypts its shares (DKG-11).
    ``received`` (dealer -> share) may hold the plaintexts the member already decrypted
    (:func:`find_bad_shares_and_plaintexts`); those shares are not decrypted again. A wrong value
    there cannot pass: the sum is checked against the public key share (``DKG_SHARE_MISMATCH``).
    """
    if (
        result.session_id != state.session_id
        or len(result.public_key_shares) != len(state.members)
        or any(dealer not in state.contributions for dealer in result.qualified)
    ):
        raise DkgWrongSession("the result was not computed from this session state")
    secret = _member_secret(state, member, secret_key)
    total = 0
    for dealer in result.qualified:
        revealed = state.answered.get((dealer, member))
        if revealed is None and received is not None:
            revealed = received.get(dealer)
        if revealed is None:
            revealed = received_share(state, dealer, member, secret)
        total = (total + revealed) % CURVE_ORDER
    if _combine((G1_GENERATOR,), (total,)) != result.public_key_shares[member - 1].value:
        raise DkgShareMismatch(f"member {member}'s shares do not sum to its public key share")
    return Share(member, total.to_bytes(SHARE_LENGTH, "big"))


# --------------------------------------------------------------------------------------------
# What an honest member sends
# --------------------------------------------------------------------------------------------


def make_contribution(
    state: DkgSession, dealer: int, coefficients: Sequence[int], secret_key: bytes, encryption_seed: bytes
) -> Contribution:
    """DKG-4/11: dealer ``dealer``'s signed contribution for ``coefficients`` (THRESHOLD-2, ``t``
    terms), each share encrypted to its recipient with the ephemeral key ``encryption_seed`` gives it
    (:func:`spec.masternode.share_encryption.share_ephemeral`; the dealer keeps the seed secret until
    the session ends, DKG-7 reveals single ephemeral keys from it)."""
    check_polynomial(coefficients)
    if len(coefficients) != state.threshold:
        raise DkgMalformedContribution(f"{len(coefficients)} coefficients, threshold {state.threshold}")
    if not 1 <= dealer <= len(state.members):
        raise DkgUnknownMember(f"dealer {dealer} not in [1, {len(state.members)}]")
    commitments = tuple(_combine((G1_GENERATOR,), (a,)) for a in coefficients)
    ciphertexts = tuple(
        encrypt_share(
            share_context(state.session_id, dealer, j),
            state.members[j - 1],
            polynomial_eval(coefficients, j).to_bytes(SHARE_LENGTH, "big"),
            share_ephemeral(encryption_seed, j),
        )
        for j in range(1, len(state.members) + 1)
    )
    unsigned = Contribution(state.session_id, dealer, commitments, ciphertexts, bytes(SIGNATURE_LENGTH))
    return sign_message(unsigned, secret_key)


def make_complaint(state: DkgSession, complainer: int, accused: int, secret_key: bytes) -> Complaint:
    """DKG-6: member ``complainer``'s signed complaint against dealer ``accused``."""
    return sign_message(Complaint(state.session_id, complainer, accused, bytes(SIGNATURE_LENGTH)), secret_key)


def make_justification(
    state: DkgSession, dealer: int, complainer: int, encryption_seed: bytes, secret_key: bytes
) -> Justification:
    """DKG-7/12: dealer ``dealer``'s signed answer to ``complainer``: the ephemeral key of its
    ciphertext to ``complainer``, from the ``encryption_seed`` its contribution used."""
    ephemeral = share_ephemeral(encryption_seed, complainer).to_bytes(EPHEMERAL_LENGTH, "big")
    unsigned = Justification(state.session_id, dealer, complainer, ephemeral, bytes(SIGNATURE_LENGTH))
    return sign_message(unsigned, secret_key)


__all__ = [
    "COMPLAINT_CODEC",
    "JUSTIFICATION_CODEC",
    "Complaint",
    "Contribution",
    "DkgMessage",
    "DkgPhase",
    "DkgResult",
    "DkgSession",
    "Exclusion",
    "Justification",
    "MessageKind",
    "advance_phase",
    "advance_to_height",
    "batch_weight",
    "batch_weights",
    "candidate_dealers",
    "contribution_codec",
    "decode_complaint",
    "decode_contribution",
    "decode_justification",
    "default_threshold",
    "encode_complaint",
    "encode_contribution",
    "encode_justification",
    "exclusions",
    "exponent_schedule",
    "finalize",
    "find_bad_shares",
    "find_bad_shares_and_plaintexts",
    "justified_share",
    "make_complaint",
    "make_contribution",
    "make_justification",
    "member_secret_share",
    "message_digest",
    "phase_at_height",
    "phase_start_height",
    "receive_complaint",
    "receive_contribution",
    "receive_justification",
    "received_share",
    "session_end_height",
    "session_id",
    "share_scalar",
    "sign_message",
    "signed_bytes",
    "start_session",
    "verify_share",
]

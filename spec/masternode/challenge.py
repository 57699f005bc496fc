"""PoSe liveness challenges: challenge, response, deadline, verdict (steps "POSE-4".."POSE-8", "POSE-11").

POSE-1..3 (spec/masternode/pose.py) judge masternodes by their part in finality DKGs. These steps
judge every ACTIVE masternode, quorum member or not, by an off-chain challenge: a deterministic
subset of the members of the PoSe quorum in charge (FIN-7, QUORUM-1; POSE-11) asks each ACTIVE
masternode to sign a fresh nonce; one that does not answer in time gets every member's penalty
share, and ``t`` such shares make the
MN-6 penalty the chain accepts (POSE-3's message and session: a quorum penalises a masternode at
most once per term, whatever the reason). Time is measured in blocks, never in wall time.

* **POSE-4 (schedule)** the PoSe quorum based at ``q`` is in charge for the heights
  ``[q + D, q + D + I)`` (QUORUM-1, ``D`` the DKG length, ``I = pose_quorum_interval``). Its members
  challenge when their best height first reaches a height in ``[q + D, deadline)``, with
  ``deadline = q + D + pose_response_blocks`` (:func:`challenge_window`); the targets are the ACTIVE
  masternodes of the list at the challenger's best block that are not the challenger's own
  (:func:`challenge_targets`) and whose challenger subset holds it (POSE-11,
  :func:`assigned_targets`). ``pose_response_blocks < I`` (the preset loader checks it), so a
  penalty signed at the deadline can still be mined in the judge's term (MN-6).
* **POSE-5 (challenge)** ``PoSeChallenge(quorum_height u64, challenger u16, target outpoint, nonce
  bytes32, signature bytes96)``, ENC-1..4 canonical. Checked in order: the quorum based at
  ``quorum_height`` is in charge at the receiver's height ``h`` and ``h < deadline``
  (``POSE_CHALLENGE_OUT_OF_TERM``); ``1 <= challenger <= n`` (``POSE_UNKNOWN_CHALLENGER``); the
  target is registered (``MN_UNKNOWN_MASTERNODE``) and ACTIVE (``MN_NOT_ACTIVE``); the challenger is
  one of the target's (POSE-11, ``POSE_NOT_CHALLENGER``); the challenger's
  operator key (``record.members[challenger - 1]``) signs (BLS-3) the *challenge digest*
  ``H(POSE_CHALLENGE, quorum_height u64 || challenger u16 || txid || index u32 || nonce)``
  (``POSE_BAD_CHALLENGE_SIGNATURE``). The nonce is the challenger's choice (fresh randomness): a
  masternode cannot answer a challenge before it exists.
* **POSE-6 (response)** ``PoSeResponse(challenge bytes32, signature bytes96)``: ``challenge`` is the
  digest of the challenge it answers (``POSE_WRONG_CHALLENGE``), and the target's operator key (from
  the masternode list) signs ``H(POSE_RESPONSE, challenge)`` (``POSE_BAD_RESPONSE_SIGNATURE``; a
  different domain from the challenge, so no signature is ever both). It counts only if it reached
  the challenger while the challenger's best height was below the deadline
  (``POSE_RESPONSE_LATE``, :func:`check_response_in_time`).
* **POSE-7 (verdict)** at the deadline, each member of the quorum (a challenger of that target or
  not) signs POSE-3's penalty share for each target of which it holds a valid challenge by one of
  the target's challengers (POSE-11) and no valid response to any of those challenges received
  below the deadline, if the target is still ACTIVE (:func:`unanswered`, with ``challenged`` the
  targets of the subset challenges it holds and ``answered`` the earliest arrival of a response to
  any of them); it never signs for a target that answered one. ``t`` shares give the
  :class:`~spec.masternode.registry.PoSePenalty`.
* **POSE-11 (challenger subset)** not every member challenges every target: the challengers of a
  target in the term of the PoSe quorum based at ``q`` with ``n`` members are the
  ``min(pose_challengers_per_target, n)`` member indices ``j`` with the lowest
  ``H(POSE_CHALLENGER, q u64 || txid || index u32 || j u16)`` (ties by ``j``), ascending
  (:func:`challengers`). A member challenges only the targets whose subset holds it
  (:func:`assigned_targets`); POSE-5 rejects another member's challenge with
  ``POSE_NOT_CHALLENGER`` (after the target checks, before the signature). Challenges and
  responses are flooded, so every member of the quorum sees the subset's challenges and the
  answers: POSE-7's verdict is every member's, over the subset's challenges only.
* **POSE-8 (score)** the chain side is MN-5/MN-6: every block decays an ACTIVE score by
  ``pose_decay_per_block``, a penalty adds ``pose_penalty``, a score above ``pose_ban_threshold``
  bans (POSE_BANNED: never paid or selected). Revival is by moving the collateral once MN-8
  unlocks it (``unbonding_blocks`` after the ban; the spend removes the entry, MN-4) and registering
  the new output, with a fresh score. A masternode that answers nothing is
  penalised once per term; :func:`terms_to_ban` is the number of terms after which it is banned.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from spec.crypto import bls
from spec.encoding import BYTES32, U16, U32, U64, Codec, FixedBytes, Struct, decode, encode
from spec.errors import (
    MasternodeNotActive,
    PoSeBadChallengeSignature,
    PoSeBadResponseSignature,
    PoSeChallengeOutOfTerm,
    PoSeNotChallenger,
    PoSeResponseLate,
    PoSeUnknownChallenger,
    PoSeWrongChallenge,
    UnknownMasternode,
)
from spec.hashing import HashDomain, tagged_hash, tagged_hash_many
from spec.ledger.transaction import OutPoint
from spec.masternode.dkg import session_end_height
from spec.masternode.finality import QuorumRecord
from spec.masternode.registry import MasternodeList, MasternodeStatus, pose_quorum_height
from spec.presets import Preset

__all__ = [
    "POSE_CHALLENGE_CODEC",
    "POSE_RESPONSE_CODEC",
    "PoSeChallenge",
    "PoSeResponse",
    "assigned_targets",
    "challenge_digest",
    "challenge_targets",
    "challenge_window",
    "challenger_rank",
    "challengers",
    "check_challenge",
    "check_response",
    "check_response_in_time",
    "decode_challenge",
    "decode_response",
    "encode_challenge",
    "encode_response",
    "make_challenge",
    "make_response",
    "response_message",
    "terms_to_ban",
    "unanswered",
]


@dataclass(frozen=True)
class PoSeChallenge:
    """POSE-5: member ``challenger`` of the PoSe quorum based at ``quorum_height`` asks ``target``
    to sign ``nonce``."""

    quorum_height: int
    challenger: int
    target: OutPoint
    nonce: bytes
    signature: bytes


@dataclass(frozen=True)
class PoSeResponse:
    """POSE-6: the target's answer to the challenge whose digest is ``challenge``."""

    challenge: bytes
    signature: bytes


_OUTPOINT = Struct(OutPoint, [("txid", BYTES32), ("index", U32)])
_SIGNATURE = FixedBytes(bls.SIGNATURE_LENGTH)

POSE_CHALLENGE_CODEC: Codec[PoSeChallenge] = Struct(
    PoSeChallenge,
    [
        ("quorum_height", U64),
        ("challenger", U16),
        ("target", _OUTPOINT),
        ("nonce", BYTES32),
        ("signature", _SIGNATURE),
    ],
)
"""POSE-5: ``u64 quorum_height || u16 challenger || bytes32 txid || u32 index || bytes32 nonce ||
bytes96 signature`` (174 bytes)."""

POSE_RESPONSE_CODEC: Codec[PoSeResponse] = Struct(
    PoSeResponse, [("challenge", BYTES32), ("signature", _SIGNATURE)]
)
"""POSE-6: ``bytes32 challenge || bytes96 signature`` (128 bytes)."""


def encode_challenge(challenge: PoSeChallenge) -> bytes:
    """POSE-5: the canonical encoding of a challenge."""
    return encode(POSE_CHALLENGE_CODEC, challenge)


def decode_challenge(data: bytes) -> PoSeChallenge:
    """POSE-5 / ENC-1..4: decode one challenge (``DECODE_*``)."""
    return decode(POSE_CHALLENGE_CODEC, data)


def encode_response(response: PoSeResponse) -> bytes:
    """POSE-6: the canonical encoding of a response."""
    return encode(POSE_RESPONSE_CODEC, response)


def decode_response(data: bytes) -> PoSeResponse:
    """POSE-6 / ENC-1..4: decode one response (``DECODE_*``)."""
    return decode(POSE_RESPONSE_CODEC, data)


# --------------------------------------------------------------------------------------------
# Schedule (POSE-4)
# --------------------------------------------------------------------------------------------


def challenge_window(quorum_height: int, preset: Preset) -> tuple[int, int]:
    """POSE-4: ``(first, deadline)``: members of the PoSe quorum based at ``quorum_height`` challenge
    at a best height in ``[first, deadline)``; a response counts if it arrives below ``deadline``."""
    first = quorum_height + session_end_height(0, preset.dkg)
    return first, first + preset.masternodes.pose_response_blocks


def challenge_targets(mn_list: MasternodeList, own_operator_key: bytes) -> tuple[OutPoint, ...]:
    """POSE-4: the masternodes a challenger challenges: every ACTIVE one but its own, by outpoint."""
    return tuple(
        sorted(
            (
                entry.collateral
                for entry in mn_list.entries.values()
                if entry.status is MasternodeStatus.ACTIVE and entry.operator_public_key != own_operator_key
            ),
            key=lambda o: (o.txid, o.index),
        )
    )


def challenger_rank(quorum_height: int, target: OutPoint, member: int) -> bytes:
    """POSE-11: ``H(POSE_CHALLENGER, quorum_height u64 || txid || index u32 || member u16)``: the lower,
    the earlier ``member`` is drawn as a challenger of ``target``."""
    return tagged_hash_many(
        HashDomain.POSE_CHALLENGER,
        (
            quorum_height.to_bytes(8, "little"),
            target.txid,
            target.index.to_bytes(4, "little"),
            member.to_bytes(2, "little"),
        ),
    )


def challengers(quorum_height: int, target: OutPoint, members: int, preset: Preset) -> tuple[int, ...]:
    """POSE-11: the member indices (of ``1..members``) that challenge ``target`` in the term of the
    PoSe quorum based at ``quorum_height``: the ``min(pose_challengers_per_target, members)`` with
    the lowest :func:`challenger_rank` (ties by index), ascending."""
    size = min(preset.masternodes.pose_challengers_per_target, members)
    ranked = sorted(range(1, members + 1), key=lambda j: (challenger_rank(quorum_height, target, j), j))
    return tuple(sorted(ranked[:size]))


def assigned_targets(
    mn_list: MasternodeList,
    own_operator_key: bytes,
    quorum_height: int,
    member: int,
    members: int,
    preset: Preset,
) -> tuple[OutPoint, ...]:
    """POSE-4/11: the targets member ``member`` of the PoSe quorum based at ``quorum_height``
    (``members`` of them) challenges: those of :func:`challenge_targets` whose subset holds it."""
    return tuple(
        t
        for t in challenge_targets(mn_list, own_operator_key)
        if member in challengers(quorum_height, t, members, preset)
    )


# --------------------------------------------------------------------------------------------
# Challenge (POSE-5) and response (POSE-6)
# --------------------------------------------------------------------------------------------


def challenge_digest(challenge: PoSeChallenge) -> bytes:
    """POSE-5: ``H(POSE_CHALLENGE, quorum_height u64 || challenger u16 || txid || index u32 || nonce)``:
    what the challenger signs and what the response names."""
    return tagged_hash_many(
        HashDomain.POSE_CHALLENGE,
        (
            challenge.quorum_height.to_bytes(8, "little"),
            challenge.challenger.to_bytes(2, "little"),
            challenge.target.txid,
            challenge.target.index.to_bytes(4, "little"),
            challenge.nonce,
        ),
    )


def response_message(digest: bytes) -> bytes:
    """POSE-6: ``H(POSE_RESPONSE, challenge digest)``, what the target signs."""
    return tagged_hash(HashDomain.POSE_RESPONSE, digest)


def make_challenge(
    secret_key: bytes, quorum_height: int, challenger: int, target: OutPoint, nonce: bytes
) -> PoSeChallenge:
    """POSE-5: a challenge signed with the challenger's operator secret key."""
    unsigned = PoSeChallenge(quorum_height, challenger, target, nonce, bytes(bls.SIGNATURE_LENGTH))
    return PoSeChallenge(
        quorum_height, challenger, target, nonce, bls.sign(secret_key, challenge_digest(unsigned))
    )


def make_response(secret_key: bytes, challenge: PoSeChallenge) -> PoSeResponse:
    """POSE-6: the target's response, signed with its operator secret key."""
    digest = challenge_digest(challenge)
    return PoSeResponse(digest, bls.sign(secret_key, response_message(digest)))


def check_challenge(
    record: QuorumRecord, mn_list: MasternodeList, challenge: PoSeChallenge, height: int, preset: Preset
) -> None:
    """POSE-5: the checks, in order, of a challenge received at best height ``height``, against the
    PoSe quorum ``record`` (the chain's record at ``challenge.quorum_height``) and the list."""
    _, deadline = challenge_window(challenge.quorum_height, preset)
    if (
        challenge.quorum_height != record.base_height
        or pose_quorum_height(height, preset) != challenge.quorum_height
        or height >= deadline
    ):
        raise PoSeChallengeOutOfTerm(
            f"quorum {challenge.quorum_height} at height {height} (deadline {deadline})"
        )
    if not 1 <= challenge.challenger <= len(record.members):
        raise PoSeUnknownChallenger(f"member {challenge.challenger} of {len(record.members)}")
    entry = mn_list.entries.get(challenge.target)
    if entry is None:
        raise UnknownMasternode(f"{challenge.target.txid.hex()}:{challenge.target.index}")
    if entry.status is not MasternodeStatus.ACTIVE:
        raise MasternodeNotActive(f"the target is {entry.status.name}")
    subset = challengers(challenge.quorum_height, challenge.target, len(record.members), preset)
    if challenge.challenger not in subset:
        raise PoSeNotChallenger(
            f"member {challenge.challenger} is not among the target's challengers {subset}"
        )
    key = record.members[challenge.challenger - 1]
    if not bls.verify(key, challenge_digest(challenge), challenge.signature):
        raise PoSeBadChallengeSignature("the challenge does not verify under the challenger's key")


def check_response(mn_list: MasternodeList, challenge: PoSeChallenge, response: PoSeResponse) -> None:
    """POSE-6: the response answers ``challenge`` and its target's operator key signs it (the
    target must still be registered: ``MN_UNKNOWN_MASTERNODE``)."""
    digest = challenge_digest(challenge)
    if response.challenge != digest:
        raise PoSeWrongChallenge("the response names another challenge")
    entry = mn_list.entries.get(challenge.target)
    if entry is None:
        raise UnknownMasternode(f"{challenge.target.txid.hex()}:{challenge.target.index}")
    if not bls.verify(entry.operator_public_key, response_message(digest), response.signature):
        raise PoSeBadResponseSignature("the response does not verify under the target's operator key")


def check_response_in_time(quorum_height: int, received_height: int, preset: Preset) -> None:
    """POSE-6: a response counts only if the challenger's best height was below the deadline."""
    _, deadline = challenge_window(quorum_height, preset)
    if received_height >= deadline:
        raise PoSeResponseLate(f"received at height {received_height}, deadline {deadline}")


# --------------------------------------------------------------------------------------------
# Verdict (POSE-7) and the ban bound (POSE-8)
# --------------------------------------------------------------------------------------------


def unanswered(
    challenged: Iterable[OutPoint], answered: Mapping[OutPoint, int], quorum_height: int, preset: Preset
) -> tuple[OutPoint, ...]:
    """POSE-7: the targets a member signs a penalty share for at the deadline: those it holds a
    valid subset challenge of (POSE-11) with no valid response received below the deadline
    (``answered`` maps a target to the member's best height when the first valid response to one
    of its subset's challenges arrived), by outpoint."""
    _, deadline = challenge_window(quorum_height, preset)
    failed = {t for t in challenged if t not in answered or answered[t] >= deadline}
    return tuple(sorted(failed, key=lambda o: (o.txid, o.index)))


def terms_to_ban(penalty: int, ban_threshold: int, decay_per_block: int, interval: int) -> int | None:
    """POSE-8: how many consecutive PoSe terms penalise a silent masternode (one penalty a term,
    ``interval`` blocks of MN-5 decay between two) before MN-6 bans it; ``None`` if never.

    The score just after the ``k``-th penalty is ``s_k = p + max(0, s_{k-1} - d*I)`` (``s_1 = p``);
    it bans at the first ``k`` with ``s_k > threshold``. ``s_k`` grows by ``p - d*I`` a term, so
    if ``p <= d*I`` it never exceeds ``p``.
    """
    if penalty > ban_threshold:
        return 1
    gain = penalty - decay_per_block * interval
    if gain <= 0:
        return None
    # s_k = p + (k - 1) * gain (no clamping: s_{k-1} >= p > d*I) > threshold
    return (ban_threshold - penalty) // gain + 2

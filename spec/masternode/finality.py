"""Which finality quorum runs which DKG, which quorum certifies which height, and when a member may
sign (protocol steps "FIN-*").

The pieces exist elsewhere: quorum selection (QUORUM-*, spec/masternode/quorum.py), the DKG state
machine (DKG-*, spec/masternode/dkg.py), signing sessions (SIGN-*, spec/masternode/signing.py) and
the certificate check in fork choice (FORK-2/3, spec/chain/forkchoice.py). This module is the
schedule that ties them to block heights, so that every node with the same best chain asks the
same quorum for the same key.

With ``I = masternodes.finality_quorum_interval`` and ``D`` the length of a DKG session in blocks
(the sum of the preset's ``dkg.*_blocks``):

* **FIN-1 (sessions)** at every height ``b`` that is a multiple of ``I`` a FINALITY quorum is
  selected (QUORUM-2) from the masternode list after block ``b``, based on block ``b``'s hash. It
  runs one DKG session (DKG-1) with ``quorum_hash`` = that hash, ``start_height = b``, the quorum's
  threshold (QUORUM-3) and its members' operator keys in quorum order, so member ``j`` of the quorum
  is DKG member ``j``. :func:`finality_dkg_session` raises ``MN_QUORUM_TOO_SMALL`` when too few
  masternodes are active, ``DKG_INVALID_PARAMETERS`` when ``b`` is not a multiple of ``I`` or the
  quorum breaks DKG-1 (fewer than ``dkg.min_members``); then that quorum does not exist.
* **FIN-2 (responsibility)** the block at height ``h`` is certified by the quorum based at
  ``finality_quorum_height(h) = quorum_base_height(h - D, I)`` (the newest quorum whose DKG ended at
  or before ``h``), and by no quorum when ``h < D``. A certificate (FORK-3) for height ``h`` counts
  only under that quorum's group public key; a quorum that does not exist, or whose DKG failed
  (DKG-8), certifies nothing, and those heights are simply not finalized.
* **FIN-3 (member rule)** a member signs the finality message (SIGN-4) of at most one block per
  height, and of increasing heights only: it may sign height ``h`` iff it has signed no height
  ``>= h`` before (:func:`may_sign_finality`). It signs the block its best chain holds at ``h``.
  With ``t = ceil(2n/3)`` we have ``2t > n``, so two certificates for different blocks at one height
  need ``2t - n >= 1`` members to break FIN-3: honest quorums never certify conflicting blocks.
* **FIN-4 (relay)** certificates, signature shares and DKG messages travel as P2P messages
  (spec/p2p/messages.py); a node adopts the block :func:`spec.chain.forkchoice.newest_finalized`
  returns for the certificates it holds, with the key :func:`committed_finality_key` reads from
  the chain for the quorum FIN-2 names.
* **FIN-5 (commitment)** the chain records, after the block at each base height ``b``, the quorum
  FIN-1 selects (:class:`QuorumRecord`: session id, member keys, threshold; nothing when no quorum
  forms). Its members then put the DKG result on chain as a masternode message (MN-0 kind 3,
  :class:`~spec.masternode.registry.QuorumCommitment`) in any transaction of a block at height
  ``h``. Checks, in order, first failure reported: a quorum was recorded at ``quorum_height``
  (``MN_UNKNOWN_QUORUM``), it has no commitment yet, counting earlier ones in the same block
  (``MN_DUPLICATE_COMMITMENT``); ``b + finalization start <= h < b + D + I``, from the first block
  of the DKG's FINALIZATION phase to the end of the quorum's term (:func:`commitment_window`,
  ``MN_COMMITMENT_OUT_OF_WINDOW``); the session id is the recorded one
  (``MN_WRONG_QUORUM_SESSION``); the signers are strictly increasing member indices, at least the
  threshold (``MN_BAD_COMMITMENT_SIGNERS``); the group key passes KeyValidate
  (``BLS_INVALID_PUBLIC_KEY``); ``signature`` is a valid G2 encoding whose FastAggregateVerify
  under the signers' operator keys over
  ``commitment_hash = H(QUORUM_COMMITMENT, u64le(quorum_height) || session_id || group_public_key
  || key_shares_root)`` succeeds (``MN_BAD_COMMITMENT_SIGNATURE``). ``key_shares_root`` is the
  Merkle root of the members' public key shares (:func:`key_shares_root`); it is not checked
  against anything here (only the DKG knows the shares) but recorded, so that a member's finality
  signature share can be checked from the chain (double-signing evidence, SLASH-2). ``t`` members
  vouch for key and root, so with at most ``t - 1`` byzantine members both are the DKG's (a forged
  one needs ``t`` signers), and a node that never saw the DKG still learns every finality key from
  the blocks.
* **FIN-6 (state)** the records are part of the chain state (:class:`QuorumRegistry`), updated
  after the block's masternode list (MN-5): first the block's commitments in transaction and
  output order, then the quorum based at this block, if it is a base height. Records are kept for
  the life of the chain (one per interval).

The reference node (reference/quorum.py) is the member side of these rules over the network.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import pairwise

from spec.crypto import bls
from spec.encoding import BYTES32, BYTES48, BYTES96, U16, U64, Codec, Struct
from spec.errors import (
    BadCommitmentSignature,
    BadCommitmentSigners,
    CommitmentOutOfWindow,
    DkgInvalidParameters,
    DuplicateCommitment,
    SpecError,
    UnknownQuorum,
    WrongQuorumSession,
)
from spec.hashing import HashDomain, tagged_hash_many
from spec.ledger.transaction import Transaction
from spec.masternode.dkg import DkgPhase, DkgSession, phase_start_height, session_end_height, start_session
from spec.masternode.quorum import QuorumType, quorum_in_charge_height, select_quorum
from spec.masternode.registry import (
    MasternodeList,
    PoSeQuorumCommitment,
    QuorumCommitment,
    match_message,
    pose_quorum_height,
)
from spec.merkle import merkle_root
from spec.presets import Preset

__all__ = [
    "COMMITMENT_SIGNATURE_CODEC",
    "EMPTY_QUORUMS",
    "CommitmentSignature",
    "QuorumRecord",
    "QuorumRegistry",
    "apply_block_to_quorums",
    "apply_block_to_quorums_after_parent",
    "apply_transaction_to_quorums",
    "build_commitment",
    "check_commitment",
    "check_commitment_signature",
    "commitment_hash",
    "commitment_signature",
    "commitment_window",
    "committed_finality_key",
    "committed_pose_key",
    "dkg_length",
    "finality_dkg_session",
    "finality_quorum_height",
    "finality_term",
    "is_finality_quorum_base",
    "is_pose_quorum_base",
    "key_shares_root",
    "may_sign_finality",
    "member_index",
    "pose_dkg_session",
    "pose_quorum_hash",
]


def dkg_length(preset: Preset) -> int:
    """FIN-2's ``D``: the blocks one DKG session lasts (DKG-2, all four phases)."""
    return session_end_height(0, preset.dkg)


def is_finality_quorum_base(height: int, preset: Preset) -> bool:
    """FIN-1: whether a finality quorum is selected (and starts its DKG) at ``height``."""
    return height >= 0 and height % preset.masternodes.finality_quorum_interval == 0


def finality_dkg_session(
    mn_list: MasternodeList, base_block_hash: bytes, base_height: int, preset: Preset
) -> DkgSession:
    """FIN-1: the DKG session of the finality quorum based at ``base_height``.

    ``mn_list`` is the masternode list after the base block and ``base_block_hash`` its hash.
    """
    if not is_finality_quorum_base(base_height, preset):
        raise DkgInvalidParameters(f"height {base_height} is not a finality quorum base height")
    quorum = select_quorum(mn_list, QuorumType.FINALITY, base_block_hash, preset)
    keys = [member.operator_public_key for member in quorum.members]
    return start_session(keys, quorum.threshold, base_block_hash, base_height, preset)


def finality_quorum_height(height: int, preset: Preset) -> int | None:
    """FIN-2: the base height of the quorum that certifies the block at ``height`` (``None``: none)."""
    return quorum_in_charge_height(height, preset.masternodes.finality_quorum_interval, dkg_length(preset))


def may_sign_finality(last_signed_height: int | None, height: int) -> bool:
    """FIN-3: whether a member that last signed ``last_signed_height`` (``None``: never) may sign ``height``.

    Signing at most once per height, increasing, is what makes conflicting certificates impossible.
    """
    return last_signed_height is None or height > last_signed_height


def member_index(session: DkgSession, operator_public_key: bytes) -> int | None:
    """FIN-1: the 1-based DKG member index of the operator key in the session, or ``None``."""
    for index, key in enumerate(session.members, start=1):
        if key == operator_public_key:
            return index
    return None


# --------------------------------------------------------------------------------------------
# On-chain quorum records and commitments (FIN-5, FIN-6)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuorumRecord:
    """FIN-6: a finality quorum the chain selected, and its committed group key once committed."""

    base_height: int
    base_hash: bytes
    session_id: bytes
    members: tuple[bytes, ...]
    threshold: int
    group_public_key: bytes | None = None
    committed_height: int | None = None
    key_shares_root: bytes | None = None


@dataclass(frozen=True)
class QuorumRegistry:
    """FIN-6: the recorded finality quorums by base height; FIN-7: the PoSe quorums likewise."""

    records: Mapping[int, QuorumRecord]
    pose_records: Mapping[int, QuorumRecord] = field(default_factory=dict)

    def of_type(self, kind: int) -> Mapping[int, QuorumRecord]:
        """The records of quorum type ``kind`` (QUORUM-2: 1 finality, otherwise PoSe)."""
        return self.records if kind == QuorumType.FINALITY else self.pose_records

    def with_record(self, kind: int, record: QuorumRecord) -> QuorumRegistry:
        """The registry with ``record`` stored (replacing any) among the records of type ``kind``."""
        if kind == QuorumType.FINALITY:
            return replace(self, records={**self.records, record.base_height: record})
        return replace(self, pose_records={**self.pose_records, record.base_height: record})


EMPTY_QUORUMS = QuorumRegistry({})


def key_shares_root(public_key_shares: Sequence[bytes]) -> bytes:
    """FIN-5: ``merkle_root(pk_1, ..., pk_n)`` (MERKLE-2, leaves the 48-byte public key shares in
    member order): what a commitment vouches for besides the group key, so that a member's signature
    share can be checked from the chain alone (SLASH-2)."""
    return merkle_root([bytes(key) for key in public_key_shares])


def commitment_hash(
    quorum_height: int, session_id: bytes, group_public_key: bytes, shares_root: bytes
) -> bytes:
    """FIN-5: ``H(QUORUM_COMMITMENT, u64le(quorum_height) || session_id || group_public_key ||
    key_shares_root)``."""
    return tagged_hash_many(
        HashDomain.QUORUM_COMMITMENT,
        (quorum_height.to_bytes(8, "little"), session_id, group_public_key, shares_root),
    )


def commitment_signature(
    operator_secret_key: bytes,
    quorum_height: int,
    session_id: bytes,
    group_public_key: bytes,
    shares_root: bytes,
) -> bytes:
    """FIN-5 (member side): a member's operator-key signature vouching for the group key and the
    root of the public key shares."""
    return bls.sign(
        operator_secret_key, commitment_hash(quorum_height, session_id, group_public_key, shares_root)
    )


def build_commitment(
    quorum_height: int,
    session_id: bytes,
    group_public_key: bytes,
    shares_root: bytes,
    signatures: Mapping[int, bytes],
    kind: QuorumType = QuorumType.FINALITY,
) -> QuorumCommitment:
    """FIN-5/7 (member side): the commitment carrying the aggregate of the members' signatures
    (a :class:`PoSeQuorumCommitment`, MN-0 kind 5, for a PoSe quorum)."""
    signers = tuple(sorted(signatures))
    aggregate = bls.aggregate([signatures[index] for index in signers])
    cls = QuorumCommitment if kind is QuorumType.FINALITY else PoSeQuorumCommitment
    return cls(
        quorum_height, bytes(session_id), bytes(group_public_key), bytes(shares_root), signers, aggregate
    )


def finality_term(base_height: int, preset: Preset) -> tuple[int, int]:
    """FIN-2: the heights ``[b + D, b + D + I)`` the quorum based at ``base_height`` certifies."""
    first = base_height + dkg_length(preset)
    return first, first + preset.masternodes.finality_quorum_interval


def commitment_window(
    base_height: int, preset: Preset, kind: QuorumType = QuorumType.FINALITY
) -> tuple[int, int]:
    """FIN-5/7: the heights ``[opens, closes)`` at which the quorum based at ``base_height`` may commit.

    ``opens = b + finalization start`` (DKG-2: the first block of the FINALIZATION phase, when the
    DKG result exists) and ``closes = b + D + I`` (the end of the quorum's term, FIN-2 / QUORUM-1,
    with ``I`` the interval of the quorum's type).
    """
    opens = phase_start_height(base_height, DkgPhase.FINALIZATION, preset.dkg)
    if kind == QuorumType.FINALITY:
        return opens, finality_term(base_height, preset)[1]
    return opens, base_height + dkg_length(preset) + preset.masternodes.pose_quorum_interval


def check_commitment(
    registry: QuorumRegistry, commitment: QuorumCommitment, height: int, preset: Preset
) -> QuorumRecord:
    """FIN-5 checks in order for a commitment in the block at ``height`` (FIN-7: among the records of
    its quorum type); returns its quorum's record."""
    kind = QuorumType.FINALITY if commitment.quorum_type == QuorumType.FINALITY else QuorumType.POSE
    record = registry.of_type(kind).get(commitment.quorum_height)
    if record is None:
        raise UnknownQuorum(f"no {kind.name} quorum recorded at height {commitment.quorum_height}")
    if record.group_public_key is not None:
        raise DuplicateCommitment(f"quorum {record.base_height} committed at {record.committed_height}")
    opens, closes = commitment_window(record.base_height, preset, kind)
    if not opens <= height < closes:
        raise CommitmentOutOfWindow(f"height {height} outside [{opens}, {closes})")
    if commitment.session_id != record.session_id:
        raise WrongQuorumSession("the commitment names another DKG session")
    signers = commitment.signers
    increasing = all(a < b for a, b in pairwise(signers))
    if not signers or not increasing or signers[0] < 1 or signers[-1] > len(record.members):
        raise BadCommitmentSigners("signers must be strictly increasing member indices")
    if len(signers) < record.threshold:
        raise BadCommitmentSigners(f"{len(signers)} signers, threshold {record.threshold}")
    bls.decode_public_key(commitment.group_public_key)
    message = commitment_hash(
        commitment.quorum_height,
        commitment.session_id,
        commitment.group_public_key,
        commitment.key_shares_root,
    )
    keys = [record.members[index - 1] for index in signers]
    try:
        valid = bls.fast_aggregate_verify(keys, message, commitment.signature)
    except SpecError:
        valid = False
    if not valid:
        raise BadCommitmentSignature("the signers' aggregate signature does not verify")
    return record


def is_pose_quorum_base(height: int, preset: Preset) -> bool:
    """FIN-7: whether a PoSe quorum is selected (and starts its DKG) at ``height``."""
    return height >= 0 and height % preset.masternodes.pose_quorum_interval == 0


def pose_quorum_hash(base_block_hash: bytes) -> bytes:
    """FIN-7: the DKG quorum hash of the PoSe quorum based on a block:
    ``H(QUORUM_SELECTION, base hash || u8 POSE)`` (33 bytes hashed, no member score is that short),
    so that a PoSe and a finality quorum of one base block never share a DKG session id."""
    return tagged_hash_many(HashDomain.QUORUM_SELECTION, (base_block_hash, bytes([QuorumType.POSE])))


def pose_dkg_session(
    mn_list: MasternodeList, base_block_hash: bytes, base_height: int, preset: Preset
) -> DkgSession:
    """FIN-7: the DKG session of the PoSe quorum based at ``base_height`` (as FIN-1, quorum type POSE,
    quorum hash :func:`pose_quorum_hash`)."""
    if not is_pose_quorum_base(base_height, preset):
        raise DkgInvalidParameters(f"height {base_height} is not a PoSe quorum base height")
    quorum = select_quorum(mn_list, QuorumType.POSE, base_block_hash, preset)
    keys = [member.operator_public_key for member in quorum.members]
    return start_session(keys, quorum.threshold, pose_quorum_hash(base_block_hash), base_height, preset)


def _record_of(session: DkgSession, block_hash: bytes, height: int) -> QuorumRecord:
    return QuorumRecord(height, bytes(block_hash), session.session_id, session.members, session.threshold)


def record_quorum(
    registry: QuorumRegistry, mn_list: MasternodeList, block_hash: bytes, height: int, preset: Preset
) -> QuorumRegistry:
    """FIN-6/7: the registry with the finality and PoSe quorums based at this block recorded (each
    unchanged when none forms)."""
    for kind, is_base, dkg_session in (
        (QuorumType.FINALITY, is_finality_quorum_base, finality_dkg_session),
        (QuorumType.POSE, is_pose_quorum_base, pose_dkg_session),
    ):
        if not is_base(height, preset):
            continue
        try:
            session = dkg_session(mn_list, block_hash, height, preset)
        except SpecError:
            continue
        registry = registry.with_record(kind, _record_of(session, block_hash, height))
    return registry


def apply_transaction_to_quorums(
    registry: QuorumRegistry, tx: Transaction, height: int, preset: Preset
) -> QuorumRegistry:
    """FIN-5/6/7: the registry after the quorum commitments of one transaction, in output order."""
    for output in tx.outputs:
        message = match_message(output.script_pubkey, preset)
        if isinstance(message, QuorumCommitment):
            record = check_commitment(registry, message, height, preset)
            committed = replace(
                record,
                group_public_key=message.group_public_key,
                committed_height=height,
                key_shares_root=message.key_shares_root,
            )
            registry = registry.with_record(message.quorum_type, committed)
    return registry


def apply_block_to_quorums(
    registry: QuorumRegistry,
    transactions: Sequence[Transaction],
    mn_list_after: MasternodeList,
    block_hash: bytes,
    height: int,
    preset: Preset,
) -> QuorumRegistry:
    """FIN-6: the registry after the block at ``height`` (its commitments, then its own quorum).

    ``mn_list_after`` is the masternode list after the block (MN-5); malformed masternode messages
    were already rejected by MN-5, which reads the same outputs.
    """
    for tx in transactions:
        registry = apply_transaction_to_quorums(registry, tx, height, preset)
    return record_quorum(registry, mn_list_after, block_hash, height, preset)


def apply_block_to_quorums_after_parent(
    registry: QuorumRegistry,
    transactions: Sequence[Transaction],
    parent_list: MasternodeList,
    parent_hash: bytes,
    mn_list_after: MasternodeList,
    block_hash: bytes,
    height: int,
    preset: Preset,
    *,
    parent_rule: bool,
    own_rule: bool,
) -> QuorumRegistry:
    """FIN-6 with ST-2 (fork ``state_trie``): the registry after the block at ``height``.

    ``parent_rule`` (the fork is active at ``height - 1``): first the quorums based at
    ``height - 1``, selected from the parent's hash ``parent_hash`` and the masternode list after
    the parent ``parent_list`` (the records the parent would have made itself), then the block's
    commitments. ``own_rule`` (the fork is not active at ``height``): then the block's own quorum
    as before the fork (:func:`apply_block_to_quorums`). A base block's record is thus never in the
    state its own header commits to (no fixed point of its hash), and the activation boundary
    neither skips nor doubles a record.
    """
    if parent_rule and height > 0:
        registry = record_quorum(registry, parent_list, parent_hash, height - 1, preset)
    for tx in transactions:
        registry = apply_transaction_to_quorums(registry, tx, height, preset)
    if own_rule:
        registry = record_quorum(registry, mn_list_after, block_hash, height, preset)
    return registry


def committed_pose_key(registry: QuorumRegistry, height: int, preset: Preset) -> bytes | None:
    """FIN-7 / MN-6: the committed group key of the PoSe quorum in charge at ``height``
    (``pose_quorum_height``), whose penalties the block at ``height`` may carry; ``None``: none."""
    base = pose_quorum_height(height, preset)
    record = None if base is None else registry.pose_records.get(base)
    return None if record is None else record.group_public_key


def committed_finality_key(registry: QuorumRegistry, height: int, preset: Preset) -> bytes | None:
    """FIN-2/5: the committed group key certificates for ``height`` verify under (``None``: none yet)."""
    base = finality_quorum_height(height, preset)
    record = None if base is None else registry.records.get(base)
    return None if record is None else record.group_public_key


@dataclass(frozen=True)
class CommitmentSignature:
    """FIN-5 (relay): member ``signer``'s operator-key signature over a quorum's commitment hash."""

    quorum_height: int
    session_id: bytes
    group_public_key: bytes
    key_shares_root: bytes
    signer: int
    signature: bytes


COMMITMENT_SIGNATURE_CODEC: Codec[CommitmentSignature] = Struct(
    CommitmentSignature,
    [
        ("quorum_height", U64),
        ("session_id", BYTES32),
        ("group_public_key", BYTES48),
        ("key_shares_root", BYTES32),
        ("signer", U16),
        ("signature", BYTES96),
    ],
)
"""ENC: ``u64 quorum_height || bytes32 session_id || bytes48 group_public_key ||
bytes32 key_shares_root || u16 signer || bytes96 signature``."""


def check_commitment_signature(record: QuorumRecord, signed: CommitmentSignature) -> None:
    """FIN-5 (relay): a member's signature names the record's session and verifies under its operator key.

    ``MN_WRONG_QUORUM_SESSION`` for another session or quorum height, ``MN_BAD_COMMITMENT_SIGNERS``
    for a signer that is not a member, ``MN_BAD_COMMITMENT_SIGNATURE`` for a signature that does
    not verify (or is not a valid encoding).
    """
    if signed.session_id != record.session_id or signed.quorum_height != record.base_height:
        raise WrongQuorumSession("the signature names another quorum")
    if not 1 <= signed.signer <= len(record.members):
        raise BadCommitmentSigners(f"signer {signed.signer} not in [1, {len(record.members)}]")
    message = commitment_hash(
        signed.quorum_height, signed.session_id, signed.group_public_key, signed.key_shares_root
    )
    try:
        valid = bls.verify(record.members[signed.signer - 1], message, signed.signature)
    except SpecError:
        valid = False
    if not valid:
        raise BadCommitmentSignature(f"member {signed.signer}'s signature does not verify")

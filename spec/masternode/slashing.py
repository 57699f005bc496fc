"""Collateral slashing for proven misbehaviour (protocol steps "SLASH-*").

A quorum member that signs two conflicting things under its keys has misbehaved provably: anybody
holding both signed items can show it. Such *evidence* (:mod:`spec.masternode.evidence`, SLASH-1)
goes on chain as a masternode message (MN-0 kind 4), and the chain burns the member's collateral.

* **SLASH-1 (encoding)** see :mod:`spec.masternode.evidence`.
* **SLASH-2 (evidence checks)** :func:`check_evidence`, against the finality quorum records
  *before* the block (FIN-6) and the masternode list after the block's MN-5 step; checks in
  order, first failure reported:

  - *double signing* (:class:`~spec.masternode.evidence.DoubleSignEvidence`): a quorum was
    recorded at ``quorum_height`` (``MN_UNKNOWN_QUORUM``); the two blocks differ
    (``MN_EVIDENCE_IDENTICAL``); ``1 <= member <= n`` (``MN_EVIDENCE_UNKNOWN_MEMBER``); the quorum
    certifies ``height`` (FIN-2: ``finality_quorum_height(height) == quorum_height``, else
    ``MN_EVIDENCE_OUT_OF_TERM``); the quorum's commitment recorded a ``key_shares_root`` (FIN-5) and
    ``key_share_proof`` shows ``key_share`` as leaf ``member - 1`` of ``n`` under it (MERKLE-4,
    ``MN_EVIDENCE_BAD_KEY_SHARE``); SLASH-3; both signatures verify under ``key_share`` over
    ``finality_message(height, block)`` (FORK-3; ``MN_EVIDENCE_BAD_SIGNATURE``, also for an
    invalid encoding). Two such shares break FIN-3 (one block per height).
  - *contribution equivocation by prefix* (tag 4,
    :class:`~spec.masternode.evidence.ContributionPrefixEvidence`): as DKG equivocation below, on
    what the prefix proofs show: a record (``MN_UNKNOWN_QUORUM``); each digest recomputed from its
    first chunk and siblings (HASH-2, ``HASH_BAD_PREFIX_PROOF``), different
    (``MN_EVIDENCE_IDENTICAL``); both chunks name the record's session in bytes 1..33
    (``MN_WRONG_QUORUM_SESSION``); both start with kind 1 (contribution) and the same dealer
    ``u16`` at bytes 33..35 (``MN_EVIDENCE_NOT_CONFLICTING``); the dealer is a member
    (``MN_EVIDENCE_UNKNOWN_MEMBER``); SLASH-3; both signatures verify over the digests under its
    operator key (``MN_EVIDENCE_BAD_SIGNATURE``).
  - *DKG equivocation* (:class:`~spec.masternode.evidence.DkgEquivocationEvidence`): a quorum was
    recorded at ``quorum_height`` (``MN_UNKNOWN_QUORUM``); the two messages have different DKG-3
    digests (``MN_EVIDENCE_IDENTICAL``); both name the record's session
    (``MN_WRONG_QUORUM_SESSION``); they fill one slot of one sender: two contributions of one
    dealer (DKG-5), or two justifications of one dealer for one complainer (DKG-7)
    (``MN_EVIDENCE_NOT_CONFLICTING``); the sender is a member (``MN_EVIDENCE_UNKNOWN_MEMBER``);
    SLASH-3; both DKG-3 signatures verify under the sender's operator key
    (``MN_EVIDENCE_BAD_SIGNATURE``).

  - *fraudulent sidechain checkpoints* (tag 3,
    :class:`~spec.masternode.evidence.CheckpointEquivocationEvidence`, SC-DSP-8/13): the quorum of
    ``quorum_type`` based at ``quorum_height`` was recorded with a committed group key
    (``MN_UNKNOWN_QUORUM``); the checkpoints are of one sidechain and height, with different
    headers, both signed under that key (SC-CP-5, ``MN_EVIDENCE_NOT_CONFLICTING`` otherwise). The
    convicted are *every* member of the quorum (:func:`convicted`): a threshold signature does not
    say which ``t`` members signed, and signing with a quorum is a joint commitment. Members with
    no registered masternode escaped and SLASHED ones are skipped; if none is left the evidence is
    ``MN_ALREADY_SLASHED`` (some member was slashed) or ``MN_SLASH_NO_MASTERNODE``.

* **SLASH-3 (culprit)** the accused is the registered masternode whose operator key is the
  member's (``record.members[i - 1]``; MN-3 keeps operator keys unique in the list); none:
  ``MN_SLASH_NO_MASTERNODE`` (its collateral was spent before the evidence was mined: it
  escaped); already SLASHED: ``MN_ALREADY_SLASHED`` (SLASH-5).
* **SLASH-4 (burn)** a valid piece of evidence sets the masternode's status to SLASHED (never paid,
  selected, counted or voting; the entry stays so its operator key and address stay taken), and
  its collateral output is removed from the UTXO set in the same block: the whole collateral is
  burnt, out of the money supply. Nobody is rewarded (a reward would let an owner report itself
  to recover part of the collateral through a friend). :func:`burnt_collaterals` lists what a
  block burns.
* **SLASH-5 (once)** evidence is applied in transaction and output order after MN-5; a second
  piece of evidence against a SLASHED masternode is ``MN_ALREADY_SLASHED`` and makes the block
  invalid like any failing masternode message, so a collateral is burnt at most once.

Evidence has no deadline: records are kept for the life of the chain. A member that spends its
collateral before the evidence is mined escapes; an unbonding delay for collaterals is future work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from spec.chain.forkchoice import finality_message
from spec.crypto import bls
from spec.errors import (
    AlreadySlashed,
    EvidenceBadKeyShare,
    EvidenceBadSignature,
    EvidenceIdentical,
    EvidenceNotConflicting,
    EvidenceOutOfTerm,
    EvidenceUnknownMember,
    MerkleError,
    NotEquivocation,
    SlashNoMasternode,
    SpecError,
    UnknownQuorum,
    WrongQuorumSession,
)
from spec.hashing import HashDomain
from spec.ledger.transaction import OutPoint, Transaction
from spec.masternode.dkg import Contribution, MessageKind, message_digest
from spec.masternode.evidence import (
    CheckpointEquivocationEvidence,
    ContributionPrefixEvidence,
    DkgEquivocationEvidence,
    DoubleSignEvidence,
    EquivocableMessage,
    SlashingEvidence,
)
from spec.masternode.finality import QuorumRecord, QuorumRegistry, finality_quorum_height
from spec.masternode.registry import MasternodeEntry, MasternodeList, MasternodeStatus, match_message
from spec.merkle import root_from_inclusion_proof
from spec.prefix_proof import digest_from_prefix
from spec.presets import Preset
from spec.sidechain.checkpoint import check_equivocation

__all__ = [
    "apply_block_evidence",
    "apply_evidence",
    "burnt_collaterals",
    "check_evidence",
    "conflict_slot",
    "convicted",
    "culprit",
    "evidence_sender",
    "is_conflicting",
    "slash_federation",
]


def _record(registry: QuorumRegistry, quorum_height: int) -> QuorumRecord:
    record = registry.records.get(quorum_height)
    if record is None:
        raise UnknownQuorum(f"no finality quorum recorded at height {quorum_height}")
    return record


def _verifies(public_key: bytes, message: bytes, signature: bytes) -> bool:
    try:
        return bls.verify(public_key, message, signature)
    except SpecError:
        return False


def culprit(mn_list: MasternodeList, operator_public_key: bytes) -> MasternodeEntry:
    """SLASH-3/5: the registered, not yet slashed masternode with this operator key."""
    for entry in mn_list.entries.values():
        if entry.operator_public_key == operator_public_key:
            if entry.status is MasternodeStatus.SLASHED:
                raise AlreadySlashed(f"{entry.collateral.txid.hex()}:{entry.collateral.index}")
            return entry
    raise SlashNoMasternode("no registered masternode has the member's operator key")


def evidence_sender(message: EquivocableMessage) -> int:
    """SLASH-2: the member that signed a DKG message (its dealer)."""
    return message.dealer


def conflict_slot(message: EquivocableMessage) -> tuple[int, int, int]:
    """SLASH-2: ``(kind, dealer, complainer or 0)``: two different signed messages of one slot conflict."""
    if isinstance(message, Contribution):
        return 1, message.dealer, 0
    return 3, message.dealer, message.complainer


def _check_double_sign(
    registry: QuorumRegistry, mn_list: MasternodeList, evidence: DoubleSignEvidence, preset: Preset
) -> MasternodeEntry:
    record = _record(registry, evidence.quorum_height)
    if evidence.first_block == evidence.second_block:
        raise EvidenceIdentical("both shares sign the same block")
    members = len(record.members)
    if not 1 <= evidence.member <= members:
        raise EvidenceUnknownMember(f"member {evidence.member} not in [1, {members}]")
    if finality_quorum_height(evidence.height, preset) != evidence.quorum_height:
        raise EvidenceOutOfTerm(f"quorum {evidence.quorum_height} does not certify height {evidence.height}")
    if record.key_shares_root is None:
        raise EvidenceBadKeyShare("the quorum has no committed key share root")
    try:
        root = root_from_inclusion_proof(
            evidence.key_share, evidence.member - 1, members, evidence.key_share_proof
        )
    except MerkleError as exc:
        raise EvidenceBadKeyShare(exc.detail) from None
    if root != record.key_shares_root:
        raise EvidenceBadKeyShare("the proof does not lead to the committed key share root")
    entry = culprit(mn_list, record.members[evidence.member - 1])
    for block, signature in (
        (evidence.first_block, evidence.first_signature),
        (evidence.second_block, evidence.second_signature),
    ):
        if not _verifies(evidence.key_share, finality_message(evidence.height, block), signature):
            raise EvidenceBadSignature(f"share for block {block.hex()[:16]} does not verify")
    return entry


def _check_dkg_equivocation(
    registry: QuorumRegistry, mn_list: MasternodeList, evidence: DkgEquivocationEvidence
) -> MasternodeEntry:
    record = _record(registry, evidence.quorum_height)
    first, second = evidence.first, evidence.second
    if message_digest(first) == message_digest(second):
        raise EvidenceIdentical("both messages sign the same content")
    if first.session_id != record.session_id or second.session_id != record.session_id:
        raise WrongQuorumSession("a message names another DKG session than the quorum's")
    if type(first) is not type(second) or conflict_slot(first) != conflict_slot(second):
        raise EvidenceNotConflicting("the messages fill different slots")
    sender = evidence_sender(first)
    if not 1 <= sender <= len(record.members):
        raise EvidenceUnknownMember(f"member {sender} not in [1, {len(record.members)}]")
    key = record.members[sender - 1]
    entry = culprit(mn_list, key)
    for message in (first, second):
        if not _verifies(key, message_digest(message), message.signature):
            raise EvidenceBadSignature(f"a message of member {sender} does not verify")
    return entry


_CONTRIBUTION_HEADER = 1 + 32 + 2
"""DKG-3: ``u8 kind || session_id || dealer u16``, the start of every signed contribution."""


def _check_contribution_prefix(
    registry: QuorumRegistry, mn_list: MasternodeList, evidence: ContributionPrefixEvidence
) -> MasternodeEntry:
    """SLASH-2 for tag 4, in the order of tag 2: record, identical, session, slot, member, SLASH-3,
    signatures; each digest is recomputed from its prefix proof (HASH-2, ``HASH_BAD_PREFIX_PROOF``)."""
    record = _record(registry, evidence.quorum_height)
    sides = (evidence.first, evidence.second)
    digests = [digest_from_prefix(HashDomain.DKG_MESSAGE, s.first_chunk, s.siblings) for s in sides]
    if digests[0] == digests[1]:
        raise EvidenceIdentical("both proofs show the same signed content")
    if any(s.first_chunk[1:33] != record.session_id for s in sides):
        raise WrongQuorumSession("a contribution names another DKG session than the quorum's")
    heads = [s.first_chunk[:_CONTRIBUTION_HEADER] for s in sides]
    if any(len(h) < _CONTRIBUTION_HEADER or h[0] != MessageKind.CONTRIBUTION for h in heads):
        raise EvidenceNotConflicting("a signed message is not a contribution")
    if heads[0][33:] != heads[1][33:]:
        raise EvidenceNotConflicting("the contributions are of different dealers")
    sender = int.from_bytes(heads[0][33:35], "little")
    if not 1 <= sender <= len(record.members):
        raise EvidenceUnknownMember(f"member {sender} not in [1, {len(record.members)}]")
    key = record.members[sender - 1]
    entry = culprit(mn_list, key)
    for digest, side in zip(digests, sides, strict=True):
        if not _verifies(key, digest, side.signature):
            raise EvidenceBadSignature(f"a contribution digest of member {sender} does not verify")
    return entry


def federation_culprits(mn_list: MasternodeList, members: Sequence[bytes]) -> tuple[MasternodeEntry, ...]:
    """SC-DSP-13 / SLASH-3: the registered, not yet slashed masternodes of a federation's members
    (by operator key, in member order); members without one, or already SLASHED, are skipped."""
    by_key = {entry.operator_public_key: entry for entry in mn_list.entries.values()}
    found = [by_key[key] for key in members if key in by_key]
    return tuple(entry for entry in found if entry.status is not MasternodeStatus.SLASHED)


def slash_federation(mn_list: MasternodeList, members: Sequence[bytes]) -> MasternodeList:
    """SC-DSP-13 / SLASH-4: the list with every member's masternode SLASHED (its collateral burnt):
    the penalty of a federation whose checkpoint a dispute reverted."""
    entries = dict(mn_list.entries)
    for entry in federation_culprits(mn_list, members):
        entries[entry.collateral] = replace(entry, status=MasternodeStatus.SLASHED)
    return MasternodeList(entries)


def _check_checkpoint_equivocation(
    registry: QuorumRegistry, mn_list: MasternodeList, evidence: CheckpointEquivocationEvidence
) -> tuple[MasternodeEntry, ...]:
    record = registry.of_type(evidence.quorum_type).get(evidence.quorum_height)
    if record is None or record.group_public_key is None:
        raise UnknownQuorum(f"no committed quorum of type {evidence.quorum_type} at {evidence.quorum_height}")
    try:
        check_equivocation(evidence.first, evidence.second, record.group_public_key)
    except NotEquivocation as error:
        raise EvidenceNotConflicting(error.detail) from None
    culprits = federation_culprits(mn_list, record.members)
    if not culprits:
        keys = set(record.members)
        if any(e.operator_public_key in keys for e in mn_list.entries.values()):
            raise AlreadySlashed("every member of the federation is SLASHED")
        raise SlashNoMasternode("no member of the federation has a registered masternode")
    return culprits


def convicted(
    registry: QuorumRegistry, mn_list: MasternodeList, evidence: SlashingEvidence, preset: Preset
) -> tuple[MasternodeEntry, ...]:
    """SLASH-2/3/5: every masternode the evidence convicts (one, or a federation for tag 3)."""
    if isinstance(evidence, CheckpointEquivocationEvidence):
        return _check_checkpoint_equivocation(registry, mn_list, evidence)
    return (check_evidence(registry, mn_list, evidence, preset),)


def check_evidence(
    registry: QuorumRegistry, mn_list: MasternodeList, evidence: SlashingEvidence, preset: Preset
) -> MasternodeEntry:
    """SLASH-2/3/5: the masternode the evidence convicts, or the first failing check's error.

    ``registry`` is the quorum registry before the block, ``mn_list`` the list after MN-5. Pure.
    Tag 3 convicts a whole federation (:func:`convicted`); this returns its first member.
    """
    if isinstance(evidence, CheckpointEquivocationEvidence):
        return _check_checkpoint_equivocation(registry, mn_list, evidence)[0]
    if isinstance(evidence, DoubleSignEvidence):
        return _check_double_sign(registry, mn_list, evidence, preset)
    if isinstance(evidence, ContributionPrefixEvidence):
        return _check_contribution_prefix(registry, mn_list, evidence)
    return _check_dkg_equivocation(registry, mn_list, evidence)


def apply_evidence(
    mn_list: MasternodeList, registry: QuorumRegistry, evidence: SlashingEvidence, preset: Preset
) -> MasternodeList:
    """SLASH-4: the list with the convicted masternodes SLASHED."""
    entries = dict(mn_list.entries)
    for entry in convicted(registry, mn_list, evidence, preset):
        entries[entry.collateral] = replace(entry, status=MasternodeStatus.SLASHED)
    return MasternodeList(entries)


def apply_block_evidence(
    mn_list: MasternodeList,
    registry: QuorumRegistry,
    transactions: Sequence[Transaction],
    preset: Preset,
) -> MasternodeList:
    """SLASH-2..5: the list after the block's evidence, in transaction and output order.

    ``mn_list`` is the list after MN-5 of the block, ``registry`` the quorum records before it.
    """
    for tx in transactions:
        for output in tx.outputs:
            message = match_message(output.script_pubkey, preset)
            if isinstance(
                message,
                DoubleSignEvidence
                | DkgEquivocationEvidence
                | ContributionPrefixEvidence
                | CheckpointEquivocationEvidence,
            ):
                mn_list = apply_evidence(mn_list, registry, message, preset)
    return mn_list


def burnt_collaterals(before: MasternodeList, after: MasternodeList) -> tuple[OutPoint, ...]:
    """SLASH-4: the collaterals ``after`` has SLASHED and ``before`` had not: what the block burns.

    A block without slashing evidence or federation penalty hands back the list itself: nothing
    burnt, and no sort of the list (issue 14)."""
    if after.entries is before.entries:
        return ()
    slashed = MasternodeStatus.SLASHED
    return tuple(
        outpoint
        for outpoint, entry in sorted(after.entries.items())
        if entry.status is slashed
        and (outpoint not in before.entries or before.entries[outpoint].status is not slashed)
    )


def is_conflicting(first: EquivocableMessage, second: EquivocableMessage) -> bool:
    """SLASH-2: whether two DKG messages fill one slot with different content (an honest sender
    never signs such a pair)."""
    return conflict_slot(first) == conflict_slot(second) and message_digest(first) != message_digest(second)

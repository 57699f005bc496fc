"""Fuzz harnesses of the masternode and governance decoders and validators (spec/masternode/registry.py,
spec/governance/proposals.py).

Each harness feeds arbitrary bytes to one decoder or validator; a :class:`~spec.errors.SpecError` is
a verdict (swallowed), anything else escapes and is a bug. Decoders are also checked for ENC-2 (an
accepted input re-encodes to itself).

* ``masternode_decode_registration`` / ``masternode_decode_penalty`` /
  ``masternode_decode_commitment``: the MN-0 message bodies (kinds 1, 2, 3); an accepted
  registration has a registration hash, an accepted penalty a penalty message, an accepted quorum
  commitment a commitment hash (FIN-5).
* ``masternode_match_message``: MN-0 recognition on an arbitrary output script; a script that
  carries a message is exactly :func:`~spec.masternode.registry.message_script` of it.
* ``masternode_decode_evidence``: SLASH-1 evidence bodies (MN-0 kind 4); ENC-2; an accepted DKG
  equivocation holds two DKG messages of one kind whose digests are computable.
* ``masternode_slash``: a mutated transaction carrying double-signing evidence (member 1) and a
  justification equivocation (dealer 3) of the devnet quorum I, applied by SLASH-2..5; whatever is
  accepted SLASHED exactly one quorum member per evidence output, each convicted by two different
  items that verify under its committed key share (Merkle proof to the committed root) or its
  operator key, and nothing else changed.
* ``masternode_pose_penalty``: POSE-3 on fuzzed signature shares (decoded from the input, 162 bytes
  each, after ``t - 1`` genuine ones) added to the devnet PoSe quorum's penalty session of bob; a
  penalty that comes out verifies under the quorum's group key, for bob and the quorum's height.
* ``masternode_pose_challenge``: POSE-5/6/7 on a devnet challenge and its response (174 + 128
  bytes) with the fuzz input XOR-ed over them; an accepted challenge names a member and an ACTIVE
  masternode, comes from one of the target's challengers (POSE-11) and verifies under the member's
  operator key; an accepted response names that
  challenge's digest and verifies under the target's operator key, and POSE-7 then never penalises
  the target.
* ``masternode_share_verdict``: POSE-9/10 on fuzzed share observations (two bytes a height: an
  offset around the devnet window and a signer bitmask, indices 0..7 of a 5-member quorum) of the
  committed finality record in charge; no exception escapes, each key's misses are at most the
  window's length, every penalised masternode is ACTIVE with a key that missed more than the
  tolerance, and a member in every observed signer set is never penalised.
* ``governance_decode_proposal`` / ``governance_decode_vote``: the GOV-0 message bodies; an
  accepted proposal has an id, an accepted vote a vote message.
* ``governance_match_message``: GOV-0 recognition, as for masternode messages.
* ``masternode_register``: a signed registration transaction with the fuzz input XOR-ed over its
  encoding, applied to a list by MN-1..4; whatever is accepted adds only masternodes backed by an
  exact-collateral P2PKH output of their owner key that the transaction does not spend.
* ``masternode_penalty``: a mutated PoSe penalty transaction by MN-6; an accepted one raised the
  score of an active masternode by exactly ``pose_penalty`` and recorded the quorum in charge.
* ``governance_submit``: a mutated proposal transaction by GOV-1..3; every accepted proposal burns
  at least the fee and starts at a superblock at least ``voting_period`` away.
* ``governance_vote``: a mutated vote transaction by GOV-4; every accepted vote is from an active
  masternode, verifies under its operator key, and is recorded.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import replace
from functools import cache

from conformance.generators.governance import (
    PROPOSERS,
    payout,
    proposal_tx,
    schedule,
    vote,
    vote_tx,
    voters,
)
from conformance.generators.masternode import (
    LABELS,
    carrier,
    challenge_scenario,
    commitment_of,
    double_sign_evidence,
    equivocating_justifications,
    evidence_tx,
    finality_record,
    funded_list,
    funding,
    pose_quorum,
    pose_quorum_key,
    prefix_contributions,
    register_tx,
    sign_penalty,
    slashing_registry,
)
from fuzz.bls_cache import cached_bls
from fuzz.xor import xor_over
from spec.chain.forkchoice import finality_message
from spec.crypto import bls
from spec.encoding import decode, encode
from spec.errors import SpecError
from spec.governance import proposals as gov
from spec.hashing import HashDomain
from spec.ledger.transaction import OutPoint, Transaction, decode_transaction, encode_transaction
from spec.masternode import challenge as pose_challenge
from spec.masternode import finality as fin
from spec.masternode import registry as mn
from spec.masternode import slashing
from spec.masternode.dkg import Contribution, message_digest
from spec.masternode.evidence import (
    CheckpointEquivocationEvidence,
    ContributionPrefixEvidence,
    DkgEquivocationEvidence,
    DoubleSignEvidence,
    decode_evidence,
    encode_evidence,
)
from spec.masternode.pose import penalty_from_session, penalty_session
from spec.masternode.registry import MasternodeList, MasternodeStatus, penalty_message
from spec.masternode.share_service import HeightShares, missed_shares, share_failures, share_window
from spec.masternode.signing import (
    SigningSession,
    add_signature_share,
    decode_signature_share,
    encode_signature_share,
    make_signature_share,
)
from spec.merkle import root_from_inclusion_proof
from spec.prefix_proof import digest_from_prefix
from spec.presets import DEVNET
from spec.script import p2pkh_script, script_hash

PRESET = DEVNET


class MasternodeInvariantViolation(AssertionError):
    """A masternode or governance rule was broken without a typed rejection."""

    def __init__(self, message: str, known_bug: str | None = None) -> None:
        super().__init__(message)
        self.known_bug = known_bug


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise MasternodeInvariantViolation(message)


def _mutated(original: bytes, data: bytes) -> bytes:
    """``original`` with ``data`` XOR-ed over it (extra fuzz bytes are appended)."""
    return xor_over(original, data)


# --------------------------------------------------------------------------------------------
# Decoders
# --------------------------------------------------------------------------------------------


def fuzz_decode_registration(data: bytes) -> None:
    """MN-0/MN-1: decode a signed registration body; ENC-2; the hash is computable."""
    codec = mn.masternode_codecs(PRESET).signed_registration
    try:
        signed = decode(codec, data)
    except SpecError:
        return
    _require(encode(codec, signed) == data, "a non-canonical registration decoded")
    mn.registration_hash(signed.registration, PRESET)


def fuzz_decode_penalty(data: bytes) -> None:
    """MN-0/MN-6: decode a PoSe penalty body; ENC-2; the signed message is computable."""
    codec = mn.masternode_codecs(PRESET).penalty
    try:
        penalty = decode(codec, data)
    except SpecError:
        return
    _require(encode(codec, penalty) == data, "a non-canonical penalty decoded")
    mn.penalty_message(penalty.masternode, penalty.quorum_height)


def fuzz_decode_commitment(data: bytes) -> None:
    """MN-0/FIN-5: decode a quorum commitment body; ENC-2; the commitment hash is computable."""
    codec = mn.masternode_codecs(PRESET).commitment
    try:
        commitment = decode(codec, data)
    except SpecError:
        return
    _require(encode(codec, commitment) == data, "a non-canonical commitment decoded")
    _require(len(commitment.signers) <= PRESET.quorum.max_members, "a signer list above the limit decoded")
    fin.commitment_hash(
        commitment.quorum_height,
        commitment.session_id,
        commitment.group_public_key,
        commitment.key_shares_root,
    )


def fuzz_match_masternode_message(data: bytes) -> None:
    """MN-0 on an arbitrary script: a message script is exactly ``message_script`` of its message."""
    try:
        message = mn.match_message(data, PRESET)
    except SpecError:
        return
    if message is not None:
        _require(mn.message_script(message, PRESET) == data, "a message script is not canonical")


def fuzz_decode_evidence(data: bytes) -> None:
    """SLASH-1: decode an evidence body; ENC-2; DKG digests are computable."""
    try:
        evidence = decode_evidence(data, PRESET)
    except SpecError:
        return
    _require(encode_evidence(evidence, PRESET) == data, "non-canonical evidence decoded")
    if isinstance(evidence, CheckpointEquivocationEvidence):
        _require(evidence.quorum_type in (1, 2), "a tag 3 evidence of an unknown quorum type decoded")
    elif isinstance(evidence, ContributionPrefixEvidence):
        for side in (evidence.first, evidence.second):
            with contextlib.suppress(SpecError):
                digest_from_prefix(HashDomain.DKG_MESSAGE, side.first_chunk, side.siblings)
    elif not isinstance(evidence, DoubleSignEvidence):
        _require(
            isinstance(evidence.first, Contribution) == isinstance(evidence.second, Contribution),
            "DKG evidence of two kinds decoded",
        )
        message_digest(evidence.first)
        message_digest(evidence.second)


@cache
def _slash_scenario() -> tuple[fin.QuorumRegistry, MasternodeList, Transaction]:
    tx = evidence_tx([double_sign_evidence(PRESET), equivocating_justifications(PRESET)], PRESET)
    return slashing_registry(PRESET), funded_list(LABELS, PRESET), tx


def fuzz_slash(data: bytes) -> None:
    """SLASH-2..5 on a mutated evidence transaction.

    Every input verifies the fixture's signatures again (in SLASH-3 and in the checks below): it
    runs on the memoising BLS backend (:mod:`fuzz.bls_cache`), so a repeated pairing is answered
    from the cache and the time goes to the slashing rules.
    """
    with cached_bls():
        _slash(data)


def _slash(data: bytes) -> None:
    registry, mn_list, tx = _slash_scenario()
    try:
        candidate = decode_transaction(_mutated(encode_transaction(tx, PRESET), data), PRESET)
        after = slashing.apply_block_evidence(mn_list, registry, [candidate], PRESET)
    except SpecError:
        return
    evidence = [
        m
        for o in candidate.outputs
        if isinstance(
            m := mn.match_message(o.script_pubkey, PRESET),
            DoubleSignEvidence | DkgEquivocationEvidence | ContributionPrefixEvidence,
        )
    ]
    burnt = slashing.burnt_collaterals(mn_list, after)
    _require(len(burnt) == len(evidence), "slashed other than one masternode per evidence")
    for outpoint, entry in after.entries.items():
        if outpoint not in burnt:
            _require(entry == mn_list.entries[outpoint], "an unconvicted entry changed")
    for item in evidence:
        record = registry.records[item.quorum_height]
        _require(record.key_shares_root is not None, "convicted under an uncommitted quorum")
        if isinstance(item, DoubleSignEvidence):
            _require(item.first_block != item.second_block, "one block convicted")
            root = root_from_inclusion_proof(
                item.key_share, item.member - 1, len(record.members), item.key_share_proof
            )
            _require(root == record.key_shares_root, "a key share off the committed root convicted")
            for block, signature in (
                (item.first_block, item.first_signature),
                (item.second_block, item.second_signature),
            ):
                _require(
                    bls.verify(item.key_share, finality_message(item.height, block), signature),
                    "a share the member did not sign convicted",
                )
        elif isinstance(item, ContributionPrefixEvidence):
            sides = (item.first, item.second)
            digests = [digest_from_prefix(HashDomain.DKG_MESSAGE, s.first_chunk, s.siblings) for s in sides]
            _require(digests[0] != digests[1], "one contribution convicted")
            dealer = int.from_bytes(item.first.first_chunk[33:35], "little")
            key = record.members[dealer - 1]
            for digest, side in zip(digests, sides, strict=True):
                _require(
                    bls.verify(key, digest, side.signature), "a digest the dealer did not sign convicted"
                )
        else:
            _require(message_digest(item.first) != message_digest(item.second), "one message convicted")
            key = record.members[item.first.dealer - 1]
            for message in (item.first, item.second):
                _require(
                    bls.verify(key, message_digest(message), message.signature),
                    "a forged DKG message convicted",
                )


@cache
def _pose_scenario() -> tuple[SigningSession, bytes, bytes, OutPoint, int, bytes]:
    pose = PRESET.masternodes.pose_quorum_interval
    finished = pose_quorum(pose, PRESET)
    result = finished.result
    target = funding(PRESET).collateral("bob")
    session = penalty_session(result.session_id, result.public_key_shares, result.threshold, target, pose)
    message = penalty_message(target, pose)
    for j in range(1, result.threshold):
        share = make_signature_share(result.session_id, message, finished.secret_shares[j - 1])
        session = add_signature_share(session, share)
    last = make_signature_share(result.session_id, message, finished.secret_shares[result.threshold - 1])
    return session, result.group_public_key, encode_signature_share(last), target, pose, message


def fuzz_pose_penalty(data: bytes) -> None:
    """POSE-3 on fuzzed shares completing a penalty session one share short of ``t``."""
    session, group_key, _, target, pose, message = _pose_scenario()
    for start in range(0, len(data), 162):
        try:
            session = add_signature_share(session, decode_signature_share(data[start : start + 162]))
        except SpecError:
            continue
    try:
        penalty = penalty_from_session(session, target, pose)
    except SpecError:
        return
    _require(penalty.masternode == target and penalty.quorum_height == pose, "a penalty of another target")
    _require(bls.verify(group_key, message, penalty.signature), "a penalty the quorum did not sign")


@cache
def _challenge_seed() -> bytes:
    sc = challenge_scenario(PRESET)
    return pose_challenge.encode_challenge(sc.challenge) + pose_challenge.encode_response(sc.response)


def fuzz_pose_challenge(data: bytes) -> None:
    """POSE-5..7 on a mutated challenge (174 bytes) followed by a mutated response.

    The fixture's two signatures are verified on every input (POSE-5/6 and the checks below): it
    runs on the memoising BLS backend (:mod:`fuzz.bls_cache`).
    """
    with cached_bls():
        _pose_challenge(data)


def _pose_challenge(data: bytes) -> None:
    sc = challenge_scenario(PRESET)
    raw = _mutated(_challenge_seed(), data)
    try:
        challenge = pose_challenge.decode_challenge(raw[:174])
        pose_challenge.check_challenge(sc.record, sc.mn_list, challenge, sc.first, PRESET)
    except SpecError:
        return
    digest = pose_challenge.challenge_digest(challenge)
    _require(1 <= challenge.challenger <= len(sc.record.members), "a challenge by a non-member")
    subset = pose_challenge.challengers(
        challenge.quorum_height, challenge.target, len(sc.record.members), PRESET
    )
    _require(challenge.challenger in subset, "a challenge by a member outside the target's subset (POSE-11)")
    entry = sc.mn_list.entries.get(challenge.target)
    _require(
        entry is not None and entry.status is MasternodeStatus.ACTIVE, "a challenge of an inactive target"
    )
    key = sc.record.members[challenge.challenger - 1]
    _require(bls.verify(key, digest, challenge.signature), "a challenge its member did not sign")
    try:
        response = pose_challenge.decode_response(raw[174:])
        pose_challenge.check_response(sc.mn_list, challenge, response)
    except SpecError:
        return
    assert entry is not None
    _require(response.challenge == digest, "a response to another challenge")
    message = pose_challenge.response_message(digest)
    _require(bls.verify(entry.operator_public_key, message, response.signature), "a forged response")
    verdict = pose_challenge.unanswered(
        [challenge.target], {challenge.target: sc.first}, challenge.quorum_height, PRESET
    )
    _require(verdict == (), "a target that answered in time is penalised")


@cache
def _share_scenario() -> tuple[fin.QuorumRecord, int, MasternodeList]:
    q = PRESET.masternodes.pose_quorum_interval
    first = share_window(q, PRESET)[0]
    base = fin.finality_quorum_height(first, PRESET)
    assert base is not None
    record = replace(finality_record(base, PRESET), group_public_key=b"\x01" * 48)
    return record, q, funded_list(LABELS, PRESET)


def fuzz_share_verdict(data: bytes) -> None:
    """POSE-9/10 on fuzzed observations of the devnet window's finality shares."""
    record, q, mn_list = _share_scenario()
    first, end, _ = share_window(q, PRESET)
    span = end - first
    observed = [
        HeightShares(
            first - 2 + data[i] % (span + 4), record, frozenset(j for j in range(8) if data[i + 1] >> j & 1)
        )
        for i in range(0, len(data) - 1, 2)
    ]
    missed = missed_shares(observed, q, PRESET)
    penalised = share_failures(mn_list, observed, q, PRESET)
    _require(all(0 <= c <= span for c in missed.values()), "more misses than heights")
    tolerance = PRESET.masternodes.finality_share_tolerance
    for outpoint in penalised:
        entry = mn_list.entries[outpoint]
        _require(entry.status is MasternodeStatus.ACTIVE, "an inactive masternode penalised")
        _require(missed.get(entry.operator_public_key, 0) > tolerance, "penalised within the tolerance")
    always = set(range(1, len(record.members) + 1))
    for item in observed:
        always &= item.signers
    keys = {mn_list.entries[o].operator_public_key for o in penalised}
    _require(not keys & {record.members[j - 1] for j in always}, "a member that always signed is penalised")


def fuzz_decode_proposal(data: bytes) -> None:
    """GOV-0/GOV-1: decode a proposal body; ENC-2; the id is computable."""
    codec = gov.governance_codecs(PRESET).proposal
    try:
        proposal = decode(codec, data)
    except SpecError:
        return
    _require(encode(codec, proposal) == data, "a non-canonical proposal decoded")
    gov.proposal_id(proposal, PRESET)


def fuzz_decode_vote(data: bytes) -> None:
    """GOV-0/GOV-4: decode a vote body; ENC-2; the signed message is computable."""
    codec = gov.governance_codecs(PRESET).vote
    try:
        ballot = decode(codec, data)
    except SpecError:
        return
    _require(encode(codec, ballot) == data, "a non-canonical vote decoded")
    gov.vote_message(ballot.proposal_id, ballot.masternode, ballot.choice, ballot.revision)


def fuzz_match_governance_message(data: bytes) -> None:
    """GOV-0 on an arbitrary script: a message script is exactly ``message_script`` of its message."""
    try:
        message = gov.match_message(data, PRESET)
    except SpecError:
        return
    if message is not None:
        _require(gov.message_script(message, PRESET) == data, "a message script is not canonical")


# --------------------------------------------------------------------------------------------
# Validators
# --------------------------------------------------------------------------------------------


@cache
def _registration_scenario() -> tuple[MasternodeList, Transaction]:
    return funded_list(["bob"], PRESET), register_tx("alice", PRESET)


def fuzz_register(data: bytes) -> None:
    """MN-1..4 on a mutated registration transaction."""
    mn_list, tx = _registration_scenario()
    utxos = funding(PRESET).utxos
    try:
        candidate = decode_transaction(_mutated(encode_transaction(tx, PRESET), data), PRESET)
        after = mn.apply_transaction_to_list(mn_list, candidate, utxos, 1, PRESET)
    except SpecError:
        return
    spent = {i.previous_output for i in candidate.inputs}
    for outpoint, entry in after.entries.items():
        if outpoint in mn_list.entries:
            _require(entry == mn_list.entries[outpoint], "an existing entry changed")
            continue
        coin = utxos.get(outpoint)
        _require(coin is not None and outpoint not in spent, "registered a missing or spent collateral")
        assert coin is not None
        _require(coin.output.value == PRESET.masternodes.collateral, "registered a wrong collateral amount")
        owner_script = p2pkh_script(script_hash(entry.owner_public_key))
        _require(coin.output.script_pubkey == owner_script, "registered someone else's coin")
        _require(
            entry.status is MasternodeStatus.ACTIVE and entry.pose_score == 0, "a new entry is not fresh"
        )


@cache
def _penalty_scenario() -> tuple[MasternodeList, Transaction, int, bytes]:
    fund = funding(PRESET)
    interval = PRESET.masternodes.pose_quorum_interval
    height = interval + 1
    penalty = sign_penalty(fund.collateral("bob"), interval, PRESET)
    tx = carrier("carol", fund.fee_coin("carol"), [mn.message_script(penalty, PRESET)], fund.utxos, PRESET)
    return funded_list(["bob", "carol"], PRESET), tx, height, pose_quorum_key(interval, PRESET)


def fuzz_penalty(data: bytes) -> None:
    """MN-6 on a mutated penalty transaction."""
    mn_list, tx, height, key = _penalty_scenario()
    try:
        candidate = decode_transaction(_mutated(encode_transaction(tx, PRESET), data), PRESET)
        after = mn.apply_transaction_to_list(mn_list, candidate, {}, height, PRESET, key)
    except SpecError:
        return
    params = PRESET.masternodes
    for outpoint, entry in after.entries.items():
        before = mn_list.entries[outpoint]
        if entry == before:
            continue
        _require(before.status is MasternodeStatus.ACTIVE, "a banned masternode was penalised")
        _require(
            entry.pose_score == before.pose_score + params.pose_penalty, "score moved by other than a penalty"
        )
        _require(entry.last_penalty_quorum_height == params.pose_quorum_interval, "wrong quorum recorded")
        banned = entry.pose_score > params.pose_ban_threshold
        _require(
            (entry.status is MasternodeStatus.POSE_BANNED) == banned, "ban does not follow the threshold"
        )


@cache
def _voters() -> MasternodeList:
    """The devnet voters, built once (the list is immutable: the rules return new lists)."""
    return voters(PRESET)


@cache
def _proposal_scenario() -> tuple[Transaction, int]:
    when = schedule(PRESET)
    grant = payout("fuzzed grant", PRESET.ledger.atoms_per_coin, when.superblock)
    return proposal_tx(PROPOSERS[0], [(grant, PRESET.governance.proposal_fee)], PRESET), when.submit


def fuzz_submit(data: bytes) -> None:
    """GOV-1..3 on a mutated proposal transaction."""
    tx, height = _proposal_scenario()
    try:
        candidate = decode_transaction(_mutated(encode_transaction(tx, PRESET), data), PRESET)
        state = gov.apply_transaction_to_governance(gov.EMPTY_STATE, candidate, _voters(), height, PRESET)
    except SpecError:
        return
    params = PRESET.governance
    burns = {
        gov.proposal_id(message, PRESET): output.value
        for output in candidate.outputs
        if isinstance(message := gov.match_message(output.script_pubkey, PRESET), gov.Proposal)
    }
    for identifier, record in state.proposals.items():
        _require(burns.get(identifier, -1) >= params.proposal_fee, "a proposal burned less than the fee")
        start = record.proposal.start_superblock
        _require(gov.is_superblock(start, PRESET), "a proposal starts off a superblock")
        _require(start - height >= params.voting_period, "a proposal leaves too little voting time")


@cache
def _vote_scenario() -> tuple[gov.GovernanceState, Transaction, int]:
    tx, height = _proposal_scenario()
    state = gov.apply_transaction_to_governance(gov.EMPTY_STATE, tx, _voters(), height, PRESET)
    (identifier,) = tuple(state.proposals)
    ballots = [vote(label, identifier, gov.VoteChoice.YES, PRESET) for label in ("alice", "bob")]
    return state, vote_tx(ballots, PRESET), height + 1


def fuzz_vote(data: bytes) -> None:
    """GOV-4 on a mutated vote transaction.

    Each accepted ballot's signature is verified twice (GOV-4, then the check below) and the
    fixture's ballots on every input: it runs on the memoising BLS backend (:mod:`fuzz.bls_cache`).
    """
    with cached_bls():
        _vote(data)


def _vote(data: bytes) -> None:
    state, tx, height = _vote_scenario()
    mn_list = _voters()
    try:
        candidate = decode_transaction(_mutated(encode_transaction(tx, PRESET), data), PRESET)
        after = gov.apply_transaction_to_governance(state, candidate, mn_list, height, PRESET)
    except SpecError:
        return
    accepted = [
        message
        for output in candidate.outputs
        if isinstance(message := gov.match_message(output.script_pubkey, PRESET), gov.Vote)
    ]
    for ballot in accepted:
        entry = mn_list.entries.get(ballot.masternode)
        _require(entry is not None and entry.status is MasternodeStatus.ACTIVE, "a non-masternode voted")
        assert entry is not None
        signed = gov.vote_message(ballot.proposal_id, ballot.masternode, ballot.choice, ballot.revision)
        _require(
            bls.verify(entry.operator_public_key, signed, ballot.signature), "a forged vote was accepted"
        )
        recorded = after.votes.get(ballot.proposal_id, {}).get(ballot.masternode)
        _require(
            recorded is not None and recorded.revision >= ballot.revision, "an accepted vote is not recorded"
        )


MASTERNODE_HARNESSES: dict[str, Callable[[bytes], None]] = {
    "masternode_decode_registration": fuzz_decode_registration,
    "masternode_decode_penalty": fuzz_decode_penalty,
    "masternode_decode_commitment": fuzz_decode_commitment,
    "masternode_match_message": fuzz_match_masternode_message,
    "masternode_register": fuzz_register,
    "masternode_penalty": fuzz_penalty,
    "masternode_decode_evidence": fuzz_decode_evidence,
    "masternode_slash": fuzz_slash,
    "masternode_pose_penalty": fuzz_pose_penalty,
    "masternode_pose_challenge": fuzz_pose_challenge,
    "masternode_share_verdict": fuzz_share_verdict,
    "governance_decode_proposal": fuzz_decode_proposal,
    "governance_decode_vote": fuzz_decode_vote,
    "governance_match_message": fuzz_match_governance_message,
    "governance_submit": fuzz_submit,
    "governance_vote": fuzz_vote,
}
"""The masternode and governance harnesses by corpus name (``fuzz/corpora/<name>/``)."""


def masternode_seeds() -> dict[str, dict[str, bytes]]:
    """Seeds: genuine message bodies and scripts, unmutated transactions, single-byte mutations."""
    _, reg_tx = _registration_scenario()
    _, pen_tx, _, _ = _penalty_scenario()
    prop_tx, _ = _proposal_scenario()
    _, _, slash_tx = _slash_scenario()
    double = encode_evidence(double_sign_evidence(PRESET), PRESET)
    justified = encode_evidence(equivocating_justifications(PRESET), PRESET)
    _, ballot_tx, _ = _vote_scenario()
    reg_script = reg_tx.outputs[1].script_pubkey
    pen_script = pen_tx.outputs[1].script_pubkey
    prop_script = prop_tx.outputs[1].script_pubkey
    vote_script = ballot_tx.outputs[1].script_pubkey
    com_script = mn.message_script(commitment_of(PRESET.masternodes.finality_quorum_interval, PRESET), PRESET)
    com_payload = mn.null_data_payload(com_script, PRESET.script) or b""
    reg_payload = mn.null_data_payload(reg_script, PRESET.script) or b""
    pen_payload = mn.null_data_payload(pen_script, PRESET.script) or b""
    prop_payload = mn.null_data_payload(prop_script, PRESET.script) or b""
    vote_payload = mn.null_data_payload(vote_script, PRESET.script) or b""

    def mutations(tx: Transaction) -> dict[str, bytes]:
        raw = encode_transaction(tx, PRESET)
        return {
            "seed-unchanged": b"",
            "seed-flip-last": bytes(len(raw) - 1) + b"\x01",
            "seed-flip-signature": bytes(len(raw) - 30) + b"\x80",
            "seed-flip-version": b"\x02",
        }

    return {
        "masternode_decode_registration": {
            "seed-valid": reg_payload[5:],
            "seed-truncated": reg_payload[5:-1],
        },
        "masternode_decode_penalty": {
            "seed-valid": pen_payload[5:],
            "seed-trailing": pen_payload[5:] + b"\x00",
        },
        "masternode_decode_commitment": {
            "seed-valid": com_payload[5:],
            "seed-truncated": com_payload[5:-1],
            "seed-too-many-signers": com_payload[5 : 5 + 120] + b"\xff\x01",
        },
        "masternode_match_message": {
            "seed-registration": reg_script,
            "seed-penalty": pen_script,
            "seed-commitment": com_script,
            "seed-evidence": slash_tx.outputs[1].script_pubkey,
            "seed-unbond": mn.message_script(mn.Unbond(funding(PRESET).collateral("bob"), bytes(64)), PRESET),
        },
        "masternode_decode_evidence": {
            "seed-double-sign": double,
            "seed-justifications": justified,
            "seed-truncated": double[:-1],
            "seed-contribution-prefixes": encode_evidence(prefix_contributions(PRESET), PRESET),
        },
        "masternode_slash": mutations(slash_tx),
        "masternode_pose_penalty": {"seed-last-share": _pose_scenario()[2], "seed-empty": b""},
        "masternode_pose_challenge": {
            "seed-unchanged": b"",
            "seed-flip-challenger": bytes(8) + b"\x02",
            "seed-flip-response-signature": bytes(len(_challenge_seed()) - 1) + b"\x01",
        },
        "masternode_share_verdict": {
            "seed-all-sign": bytes(b for h in range(10) for b in (2 + h, 0b111110)),
            "seed-member-5-silent": bytes(b for h in range(10) for b in (2 + h, 0b011110)),
            "seed-empty": b"",
        },
        "masternode_register": mutations(reg_tx),
        "masternode_penalty": mutations(pen_tx),
        "governance_decode_proposal": {"seed-valid": prop_payload[5:], "seed-truncated": prop_payload[5:-1]},
        "governance_decode_vote": {
            "seed-valid": vote_payload[5:],
            "seed-trailing": vote_payload[5:] + b"\x00",
        },
        "governance_match_message": {"seed-proposal": prop_script, "seed-vote": vote_script},
        "governance_submit": mutations(prop_tx),
        "governance_vote": mutations(ballot_tx),
    }

"""On-chain quorum commitment properties (docs/masternodes.md, "On-chain quorum commitments (FIN-5/6)").

The quorums are the real devnet finality quorums of the masternode vectors (every funded
masternode, seeded base hashes, n = 5, t = 4; :func:`conformance.generators.masternode.finality_record`),
their keys the results of honest DKGs, and every signature a member's operator-key signature.

* **FIN-5 threshold**: a commitment is accepted iff its signers are at least ``t`` distinct members
  who all signed: every subset of the members (all 32 for n = 5) is accepted exactly when it has
  ``t`` or more members; ``t - 1`` members are refused however the list is padded (a repeated
  member, index 0, index n + 1, a member whose signature is missing).
* **FIN-5 binding**: a commitment verifies only for the quorum height, session and group key its
  members signed: changing any of them is refused (``MN_UNKNOWN_QUORUM``,
  ``MN_WRONG_QUORUM_SESSION``, ``MN_BAD_COMMITMENT_SIGNATURE``), and the members of one quorum cannot
  commit another quorum's key.
* **FIN-5 window**: a valid commitment is accepted exactly at heights in :func:`commitment_window`,
  which starts at the DKG's FINALIZATION phase and covers the quorum's whole term.
* **FIN-6 records**: ``record_quorum`` records a quorum exactly at base heights with at least
  ``min_quorum_members`` active masternodes, and the record is FIN-1's ``finality_dkg_session``
  (session id, member keys in order, threshold).
* **FIN-2/5 keys**: ``committed_finality_key(h)`` is the committed key of the record
  ``finality_quorum_height(h)`` names (``None`` when there is none or it is not committed); in the
  chain of the vectors, certificates of the committed quorum verify under the key the chain holds.
* **FIN-6 growth**: over random block sequences with valid and invalid commitments, the registry
  only grows: a block adds at most the record of its own base height, a commitment sets the key
  of exactly its own record once, and no other record ever changes.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from functools import cache

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from conformance.dkgbuilder import certify
from conformance.generators.masternode import (
    LABELS,
    commitment_of,
    commitment_tx,
    finality_base_hash,
    finality_quorum,
    finality_record,
    funded_list,
    funding,
)
from conformance.masternodechain import quorum_chain
from spec.chain.forkchoice import verify_finality_certificate
from spec.crypto import bls
from spec.errors import (
    BadCommitmentSignature,
    BadCommitmentSigners,
    CommitmentOutOfWindow,
    DuplicateCommitment,
    SpecError,
    UnknownQuorum,
    WrongQuorumSession,
)
from spec.masternode.dkg import DkgPhase, phase_start_height
from spec.masternode.finality import (
    EMPTY_QUORUMS,
    QuorumRecord,
    QuorumRegistry,
    apply_block_to_quorums,
    check_commitment,
    commitment_window,
    committed_finality_key,
    dkg_length,
    finality_dkg_session,
    finality_quorum_height,
    record_quorum,
)
from spec.masternode.registry import MasternodeList, MasternodeStatus, QuorumCommitment
from spec.presets import DEVNET
from tests.hypothesis_profiles import examples

PRESET = DEVNET
INTERVAL = PRESET.masternodes.finality_quorum_interval
LENGTH = dkg_length(PRESET)
HASH = st.binary(min_size=32, max_size=32)


@cache
def registry() -> QuorumRegistry:
    """The quorums based at 0 and I, recorded and not committed."""
    return QuorumRegistry({0: finality_record(0, PRESET), INTERVAL: finality_record(INTERVAL, PRESET)})


def opens() -> int:
    """The first height of quorum I's window, also inside quorum 0's."""
    return commitment_window(INTERVAL, PRESET)[0]


@cache
def member_signatures(base: int) -> dict[int, bytes]:
    """Every member's signature of quorum ``base``'s commitment (signature of a one-signer commitment)."""
    size = len(finality_record(base, PRESET).members)
    return {j: commitment_of(base, PRESET, [j]).signature for j in range(1, size + 1)}


def commitment_by(
    base: int, signers: tuple[int, ...], signed_by: tuple[int, ...] | None = None
) -> QuorumCommitment:
    """Quorum ``base``'s commitment naming ``signers``, aggregating the signatures of ``signed_by``."""
    good = commitment_of(base, PRESET, [1])
    chosen = signers if signed_by is None else signed_by
    signatures = member_signatures(base)
    aggregate = bls.aggregate([signatures[j] for j in chosen]) if chosen else bls.G2_IDENTITY
    return replace(good, signers=signers, signature=aggregate)


# --------------------------------------------------------------------------------------------
# FIN-5: t distinct members
# --------------------------------------------------------------------------------------------


def test_every_subset_of_at_least_t_members_commits() -> None:
    record = finality_record(INTERVAL, PRESET)
    n, t = len(record.members), record.threshold
    assert (n, t) == (5, 4)
    outcomes = {}
    for size in range(n + 1):
        for subset in itertools.combinations(range(1, n + 1), size):
            try:
                check_commitment(registry(), commitment_by(INTERVAL, subset), opens(), PRESET)
                outcomes[subset] = True
            except BadCommitmentSigners:
                outcomes[subset] = False
    assert len(outcomes) == 2**n
    assert all(accepted == (len(subset) >= t) for subset, accepted in outcomes.items())


@given(st.data())
def test_t_minus_one_members_never_commit(data: st.DataObject) -> None:
    record = finality_record(INTERVAL, PRESET)
    n, t = len(record.members), record.threshold
    real = tuple(sorted(data.draw(st.sets(st.integers(1, n), min_size=t - 1, max_size=t - 1))))
    outsider = data.draw(st.sampled_from([j for j in range(1, n + 1) if j not in real]))
    padded = data.draw(
        st.sampled_from(
            [
                ("repeated", tuple(sorted((*real, real[0])))),
                ("zero", (0, *real)),
                ("above", (*real, n + 1)),
                ("unsigned", tuple(sorted((*real, outsider)))),
            ]
        )
    )
    name, signers = padded
    commitment = commitment_by(INTERVAL, signers, signed_by=real)
    expected = BadCommitmentSignature if name == "unsigned" else BadCommitmentSigners
    with pytest.raises(expected):
        check_commitment(registry(), commitment, opens(), PRESET)


# --------------------------------------------------------------------------------------------
# FIN-5: bound to its quorum height, session and key
# --------------------------------------------------------------------------------------------


@settings(max_examples=examples(40), deadline=None)
@given(st.sampled_from([0, INTERVAL]), st.sampled_from(["none", "height", "session", "key"]), st.data())
def test_commitment_verifies_only_for_its_own_quorum(own: int, changed: str, data: st.DataObject) -> None:
    other = INTERVAL - own
    good = commitment_of(own, PRESET)
    if changed == "none":
        assert check_commitment(registry(), good, opens(), PRESET) == finality_record(own, PRESET)
        return
    if changed == "height":
        height = data.draw(st.sampled_from([other, own + 1, 2 * INTERVAL]) | st.integers(0, 2**64 - 1))
        commitment = replace(good, quorum_height=height)
    elif changed == "session":
        session = data.draw(st.just(finality_record(other, PRESET).session_id) | HASH)
        commitment = replace(good, session_id=session)
    else:
        secret = bls.key_gen(data.draw(st.binary(min_size=32, max_size=32)))
        key = data.draw(
            st.just(finality_quorum(other, PRESET).group_public_key) | st.just(bls.sk_to_pk(secret))
        )
        commitment = replace(good, group_public_key=key)
    if commitment == good:
        return
    with pytest.raises((UnknownQuorum, WrongQuorumSession, BadCommitmentSignature)):
        check_commitment(registry(), commitment, opens(), PRESET)


def test_members_of_one_quorum_cannot_commit_another() -> None:
    first, second = finality_record(0, PRESET), finality_record(INTERVAL, PRESET)
    assert first.members != second.members
    key = finality_quorum(0, PRESET).group_public_key
    forged = commitment_of(
        INTERVAL, PRESET, quorum_height=0, session_id=first.session_id, group_public_key=key
    )
    with pytest.raises(BadCommitmentSignature):
        check_commitment(registry(), forged, opens(), PRESET)


@given(st.sampled_from([0, INTERVAL]), st.integers(0, 4 * INTERVAL + LENGTH))
def test_window_is_exactly_finalization_to_end_of_term(base: int, height: int) -> None:
    start, end = commitment_window(base, PRESET)
    assert start == phase_start_height(base, DkgPhase.FINALIZATION, PRESET.dkg)
    assert end == base + LENGTH + INTERVAL
    term = [h for h in range(base, end + INTERVAL) if finality_quorum_height(h, PRESET) == base]
    assert term and start <= term[0] and term[-1] < end  # the whole term can verify a committed key
    try:
        check_commitment(registry(), commitment_of(base, PRESET), height, PRESET)
        accepted = True
    except CommitmentOutOfWindow:
        accepted = False
    assert accepted == (start <= height < end)


# --------------------------------------------------------------------------------------------
# FIN-6: records
# --------------------------------------------------------------------------------------------


@settings(max_examples=examples(60), deadline=None)
@given(
    st.sets(st.sampled_from(LABELS)),
    st.sets(st.sampled_from(LABELS)),
    st.integers(0, 5 * INTERVAL),
    HASH,
)
def test_records_exactly_at_base_heights_with_enough_masternodes(
    labels: set[str], banned: set[str], height: int, block_hash: bytes
) -> None:
    listed = funded_list(sorted(labels), PRESET)
    fund = funding(PRESET)
    entries = {
        outpoint: replace(entry, status=MasternodeStatus.POSE_BANNED)
        if any(outpoint == fund.collateral(label) for label in banned)
        else entry
        for outpoint, entry in listed.entries.items()
    }
    mn_list = MasternodeList(entries)
    after = record_quorum(EMPTY_QUORUMS, mn_list, block_hash, height, PRESET)
    enough = len(mn_list.active()) >= PRESET.masternodes.min_quorum_members
    assert set(after.records) == ({height} if height % INTERVAL == 0 and enough else set())
    assert apply_block_to_quorums(EMPTY_QUORUMS, [], mn_list, block_hash, height, PRESET) == after
    if after.records:
        session = finality_dkg_session(mn_list, block_hash, height, PRESET)
        record = after.records[height]
        assert record == QuorumRecord(
            height, block_hash, session.session_id, session.members, session.threshold
        )


# --------------------------------------------------------------------------------------------
# FIN-2/5: the committed key of a height
# --------------------------------------------------------------------------------------------


@given(st.dictionaries(st.integers(0, 6), st.none() | st.binary(min_size=48, max_size=48)), st.data())
def test_committed_key_is_the_key_of_the_quorum_in_charge(
    keys: dict[int, bytes | None], data: st.DataObject
) -> None:
    records = {
        number * INTERVAL: QuorumRecord(
            number * INTERVAL,
            bytes(32),
            bytes(32),
            (),
            1,
            key,
            None if key is None else number * INTERVAL + 20,
        )
        for number, key in keys.items()
    }
    quorums = QuorumRegistry(records)
    height = data.draw(st.integers(0, 8 * INTERVAL + LENGTH) | st.integers(0, 2**64 - 1))
    base = finality_quorum_height(height, PRESET)
    expected = None if base is None or base not in records else records[base].group_public_key
    assert committed_finality_key(quorums, height, PRESET) == expected


def test_chain_holds_the_committed_key_and_certificates_verify_under_it() -> None:
    chain = quorum_chain(PRESET)
    state = chain.builder.state
    record = state.quorums.records[chain.base_height]
    assert record.group_public_key == chain.finished.group_public_key
    assert record.committed_height == chain.commitment_height
    assert committed_finality_key(state.quorums, chain.base_height + LENGTH - 1, PRESET) is None
    for height in (chain.base_height + LENGTH, chain.base_height + LENGTH + INTERVAL - 1):
        key = committed_finality_key(state.quorums, height, PRESET)
        assert key == chain.finished.group_public_key
        block = bytes([7]) * 32
        certificate = certify(chain.finished, height, block, range(1, chain.finished.result.threshold + 1))
        assert verify_finality_certificate(certificate, key)
    before = chain.builder.states[chain.commitment_height].quorums.records[chain.base_height]
    assert before == replace(record, group_public_key=None, committed_height=None, key_shares_root=None)


# --------------------------------------------------------------------------------------------
# FIN-6: the registry only grows
# --------------------------------------------------------------------------------------------


@cache
def commitment_pool() -> tuple[QuorumCommitment, ...]:
    """Valid commitments of quorums 0, I and 2I and invalid ones (forged, wrong session, too few)."""
    valid = [commitment_of(base, PRESET) for base in (0, INTERVAL, 2 * INTERVAL)]
    record = finality_record(INTERVAL, PRESET)
    return (
        *valid,
        commitment_of(INTERVAL, PRESET, range(2, record.threshold + 2)),
        replace(valid[1], signature=valid[0].signature),
        replace(valid[0], session_id=record.session_id),
        commitment_of(INTERVAL, PRESET, range(1, record.threshold)),
    )


@settings(max_examples=examples(60), deadline=None)
@given(st.sets(st.integers(0, 4 * INTERVAL + LENGTH), max_size=12), st.data())
def test_registry_only_grows(extra_heights: set[int], data: st.DataObject) -> None:
    """Blocks at the base heights 0, I, 2I, one in each of their windows and random others, each
    with up to two commitments (valid ones drawn more often)."""
    everyone = funded_list(LABELS, PRESET)
    pool = commitment_pool()
    quorums = EMPTY_QUORUMS
    committed: dict[int, int] = {}
    bases = (0, INTERVAL, 2 * INTERVAL)
    in_windows = {data.draw(st.integers(*commitment_window(base, PRESET))) for base in bases}
    weighted = [0, 1, 2] * 3 + list(range(3, len(pool)))  # valid commitments more often
    for height in sorted(extra_heights | in_windows | set(bases)):
        picks = data.draw(st.lists(st.sampled_from(weighted), max_size=2))
        chosen = [pool[i] for i in picks]
        transactions = [commitment_tx(chosen, PRESET)] if chosen else []
        try:
            after = apply_block_to_quorums(
                quorums, transactions, everyone, finality_base_hash(height), height, PRESET
            )
        except SpecError as error:
            assert isinstance(
                error,
                UnknownQuorum
                | DuplicateCommitment
                | CommitmentOutOfWindow
                | WrongQuorumSession
                | BadCommitmentSigners
                | BadCommitmentSignature,
            )
            # The block is invalid; the chain gets an empty block at this height instead.
            chosen = []
            after = apply_block_to_quorums(quorums, [], everyone, finality_base_hash(height), height, PRESET)
        assert set(quorums.records) <= set(after.records)
        assert set(after.records) - set(quorums.records) <= {height}
        newly = {c.quorum_height for c in chosen}
        for base, record in quorums.records.items():
            new = after.records[base]
            if base in newly:
                assert record.group_public_key is None and base not in committed
                assert new == replace(
                    record,
                    group_public_key=new.group_public_key,
                    committed_height=height,
                    key_shares_root=new.key_shares_root,
                )
                assert new.group_public_key == finality_quorum(base, PRESET).group_public_key
                committed[base] = height
                event(f"quorum {base} committed")
            else:
                assert new == record
        quorums = after
    for base, at in committed.items():
        assert quorums.records[base].committed_height == at

"""SLASH-1..5: slashing evidence (double signing a height, DKG equivocation) and the collateral burn.

Properties (docs/governance.md, "Slashing"): an honest masternode is never slashed, whatever
pairs of its real signed items and whatever other members' signatures an accuser combines;
evidence with two identical items is rejected; slashing is idempotent (a collateral is burnt at
most once, a second piece of evidence is ``MN_ALREADY_SLASHED``); every evidence message
round-trips through MN-0 (single and split over several pushes) and a split that is not
canonical is refused.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.dkgbuilder import contribution as dkg_contribution
from conformance.dkgbuilder import finality_share
from conformance.generators.masternode import (
    LABELS,
    carrier,
    double_sign_evidence,
    equivocating_contributions,
    equivocating_justifications,
    evidence_block,
    finality_quorum,
    funded_list,
    funding,
    member_collateral,
    operator,
    slashing_registry,
)
from spec.crypto import bls, ed25519
from spec.errors import (
    AlreadySlashed,
    BadPrefixProof,
    CollateralLocked,
    EvidenceBadSignature,
    EvidenceIdentical,
    EvidenceNotConflicting,
    NonCanonicalSplit,
    SlashNoMasternode,
    SpecError,
)
from spec.hashing import HashDomain, tagged_hash
from spec.ledger.transaction import OutPoint
from spec.masternode.dkg import Contribution, Justification, make_justification, sign_message, signed_bytes
from spec.masternode.evidence import (
    ContributionPrefixEvidence,
    DkgEquivocationEvidence,
    DoubleSignEvidence,
    SignedPrefix,
    decode_evidence,
    encode_evidence,
    signed_prefix,
)
from spec.masternode.finality import QuorumRecord, QuorumRegistry, finality_term, may_sign_finality
from spec.masternode.quorum import quorum_threshold
from spec.masternode.registry import (
    MasternodeEntry,
    MasternodeList,
    MasternodeStatus,
    Unbond,
    apply_transactions_to_list,
    match_message,
    message_script,
    unbond_message,
)
from spec.masternode.slashing import (
    apply_evidence,
    burnt_collaterals,
    check_evidence,
    is_conflicting,
)
from spec.prefix_proof import digest_from_prefix, prefix_proof, tree_hash
from spec.presets import DEVNET, MAINNET
from spec.script import Opcode, encode_push, parse_script
from tests.hypothesis_profiles import examples

PRESET = DEVNET
INTERVAL = PRESET.masternodes.finality_quorum_interval
REGISTRY = slashing_registry(PRESET)
RECORD = REGISTRY.records[INTERVAL]
MEMBERS = len(RECORD.members)
TERM = finality_term(INTERVAL, PRESET)
EVERYONE = funded_list(LABELS, PRESET)
FINISHED = finality_quorum(INTERVAL, PRESET)
KEYS = [share.value for share in FINISHED.result.public_key_shares]

members = st.integers(min_value=1, max_value=MEMBERS)
term_heights = st.integers(min_value=TERM[0], max_value=TERM[1] - 1)
blocks = st.integers(min_value=0, max_value=7).map(lambda i: evidence_block(f"p{i}"))


def _honest_log(offers: list[tuple[int, bytes]]) -> list[tuple[int, bytes]]:
    """FIN-3: the (height, block) pairs a member signs when offered ``offers`` in turn."""
    signed: list[tuple[int, bytes]] = []
    last: int | None = None
    for height, block in offers:
        if may_sign_finality(last, height):
            signed.append((height, block))
            last = height
    return signed


@settings(max_examples=examples(15), deadline=None)
@given(
    member=members,
    offers=st.lists(st.tuples(term_heights, blocks), min_size=1, max_size=6),
    accomplice=members,
    data=st.data(),
)
def test_an_honest_member_is_never_slashed(
    member: int, offers: list[tuple[int, bytes]], accomplice: int, data: st.DataObject
) -> None:
    """Any evidence built from an honest member's FIN-3 shares (and other members' shares for the
    second item) is rejected: FIN-3 signs one block per height, and nobody else holds its share."""
    log = _honest_log(offers)
    first = data.draw(st.sampled_from(log))
    second = data.draw(st.sampled_from(log))
    height = data.draw(st.sampled_from((first[0], second[0])))
    signer = data.draw(st.sampled_from((member, accomplice)))
    evidence = DoubleSignEvidence(
        quorum_height=INTERVAL,
        member=member,
        key_share=KEYS[member - 1],
        key_share_proof=double_sign_evidence(PRESET, member).key_share_proof,
        height=height,
        first_block=first[1],
        first_signature=finality_share(FINISHED, member, first[0], first[1]).signature,
        second_block=second[1],
        second_signature=finality_share(FINISHED, signer, second[0], second[1]).signature,
    )
    with pytest.raises(SpecError) as caught:
        check_evidence(REGISTRY, EVERYONE, evidence, PRESET)
    assert caught.value.code in {"MN_EVIDENCE_IDENTICAL", "MN_EVIDENCE_BAD_SIGNATURE"}


kinds = st.sampled_from(("contribution", "justification"))


@settings(max_examples=examples(10), deadline=None)
@given(dealer=members, other=members, complainer=members, kind=kinds)
def test_an_honest_dealer_is_never_slashed(dealer: int, other: int, complainer: int, kind: str) -> None:
    """An honest dealer's DKG messages never conflict: its contribution is one, its justification
    of a complaint is its polynomial's value; evidence pairing them (or with another member's
    message) is rejected."""
    quorum = FINISHED.quorum

    def justification(by: int, to: int) -> Justification:
        return make_justification(quorum.session, by, to, quorum.seeds[by - 1], quorum.secrets[by - 1])

    first: Contribution | Justification
    second: Contribution | Justification
    if kind == "contribution":
        first, second = dkg_contribution(quorum, dealer), dkg_contribution(quorum, other)
    else:
        first, second = justification(dealer, complainer), justification(other, complainer)
    assert not is_conflicting(first, second)
    evidence = DkgEquivocationEvidence(INTERVAL, first, second)
    with pytest.raises((EvidenceIdentical, EvidenceNotConflicting)):
        check_evidence(REGISTRY, EVERYONE, evidence, PRESET)


@settings(max_examples=examples(10), deadline=None)
@given(member=members, height=term_heights, block=blocks)
def test_two_identical_items_are_rejected(member: int, height: int, block: bytes) -> None:
    """Evidence whose two items are the same (one block twice, one DKG message twice) is
    ``MN_EVIDENCE_IDENTICAL``, whatever else it names."""
    evidence = double_sign_evidence(PRESET, member, height, (block, block))
    with pytest.raises(EvidenceIdentical):
        check_evidence(REGISTRY, EVERYONE, evidence, PRESET)
    contributions = equivocating_contributions(PRESET, member)
    for message in (contributions.first, contributions.second):
        with pytest.raises(EvidenceIdentical):
            check_evidence(REGISTRY, EVERYONE, DkgEquivocationEvidence(INTERVAL, message, message), PRESET)


@settings(max_examples=examples(8), deadline=None)
@given(
    member=members,
    height=term_heights,
    pairs=st.lists(st.tuples(blocks, blocks).filter(lambda p: p[0] != p[1]), min_size=2, max_size=3),
    with_dkg=st.booleans(),
)
def test_slashing_is_idempotent(
    member: int, height: int, pairs: list[tuple[bytes, bytes]], with_dkg: bool
) -> None:
    """The first valid piece of evidence burns the member's collateral; every later one against it
    (other blocks, other heights, a DKG equivocation) is ``MN_ALREADY_SLASHED``: never burnt twice."""
    evidence: list[DoubleSignEvidence | DkgEquivocationEvidence] = [
        double_sign_evidence(PRESET, member, height, pair) for pair in pairs
    ]
    if with_dkg:
        evidence.append(equivocating_contributions(PRESET, member))
    mn_list = apply_evidence(EVERYONE, REGISTRY, evidence[0], PRESET)
    burnt = burnt_collaterals(EVERYONE, mn_list)
    assert burnt == (member_collateral(member, PRESET),)
    assert mn_list.entries[burnt[0]].status is MasternodeStatus.SLASHED
    assert all(e.status is MasternodeStatus.ACTIVE for o, e in mn_list.entries.items() if o != burnt[0])
    for later in evidence[1:]:
        with pytest.raises(AlreadySlashed):
            apply_evidence(mn_list, REGISTRY, later, PRESET)
    assert burnt_collaterals(mn_list, mn_list) == ()


def test_every_evidence_kind_round_trips_through_mn0() -> None:
    """SLASH-1 / MN-0: encode, carry (one push or several), match and decode give the evidence back."""
    for evidence in (
        double_sign_evidence(PRESET),
        equivocating_contributions(PRESET),
        equivocating_justifications(PRESET),
    ):
        assert decode_evidence(encode_evidence(evidence, PRESET), PRESET) == evidence
        script = message_script(evidence, PRESET)
        assert match_message(script, PRESET) == evidence
    split = message_script(equivocating_contributions(PRESET), PRESET)
    pushes = [op for op in parse_script(split, PRESET.script)[1:]]
    assert len(pushes) >= 2


def test_a_non_canonical_split_is_refused() -> None:
    script = message_script(equivocating_contributions(PRESET), PRESET)
    ops = parse_script(script, PRESET.script)[1:]
    data = [op.data for op in ops]  # type: ignore[union-attr]
    resplit = [data[0][:-1], data[0][-1:] + data[1][:1], data[1][1:], *data[2:]]
    bad = bytes([Opcode.OP_RETURN]) + b"".join(encode_push(d) for d in resplit if d)
    with pytest.raises(NonCanonicalSplit):
        match_message(bad, PRESET)


def test_a_forged_share_by_an_outsider_is_rejected() -> None:
    """A share signed by another member's key share never convicts member 1."""
    evidence = double_sign_evidence(PRESET)
    other = double_sign_evidence(PRESET, 2)
    with pytest.raises(EvidenceBadSignature):
        check_evidence(REGISTRY, EVERYONE, replace(evidence, second_signature=other.second_signature), PRESET)


def test_evidence_bites_during_the_unbonding_window_and_not_after_the_spend() -> None:
    """MN-8 with SLASH-3: member 1's masternode unbonds at ``h``; evidence mined in the window slashes
    it; its owner cannot spend the collateral before ``h + unbonding_blocks``
    (``MN_COLLATERAL_LOCKED``); once spent, late evidence is ``MN_SLASH_NO_MASTERNODE``."""
    fund = funding(PRESET)
    collateral = member_collateral(1, PRESET)
    label = next(lb for lb in LABELS if fund.collateral(lb) == collateral)
    owner = operator(label).owner
    leave = Unbond(collateral, ed25519.sign(owner.seed, unbond_message(collateral)))
    height = 100
    unbond = carrier(label, fund.fee_coin(label, 2), [message_script(leave, PRESET)], fund.utxos, PRESET)
    leaving = apply_transactions_to_list(EVERYONE, [unbond], fund.utxos, height, PRESET)
    assert leaving.entries[collateral].status is MasternodeStatus.UNBONDING
    evidence = double_sign_evidence(PRESET)
    slashed = apply_evidence(leaving, REGISTRY, evidence, PRESET)  # within the window
    assert slashed.entries[collateral].status is MasternodeStatus.SLASHED
    spend = carrier(label, collateral, [], fund.utxos, PRESET)
    unlock = height + PRESET.masternodes.unbonding_blocks
    with pytest.raises(CollateralLocked):
        apply_transactions_to_list(leaving, [spend], fund.utxos, unlock - 1, PRESET)
    gone = apply_transactions_to_list(leaving, [spend], fund.utxos, unlock, PRESET)
    assert collateral not in gone.entries
    with pytest.raises(SlashNoMasternode):
        apply_evidence(gone, REGISTRY, evidence, PRESET)


def test_a_mainnet_contribution_equivocation_fits_one_output_as_prefix_evidence() -> None:
    """SLASH-1 tag 4 closes the size gap: two signed contributions of a 50-member mainnet quorum
    (34 commitments, 50 ciphertexts: about 6.5 kB each) are about 13 kB as tag 2, above
    ``max_script_bytes``, and about 2.4 kB as prefix proofs, which MN-0 carries and SLASH-2 accepts;
    the prefix proofs convict the dealer under its operator key."""
    preset = MAINNET
    n, t = preset.masternodes.finality_quorum_size, quorum_threshold(preset.masternodes.finality_quorum_size)
    secrets = [bls.key_gen(bytes([j]) * 32) for j in range(1, n + 1)]
    keys = tuple(bls.sk_to_pk(sk) for sk in secrets)
    base = preset.masternodes.finality_quorum_interval
    record = QuorumRecord(base, b"\x33" * 32, b"\x44" * 32, keys, t)
    registry = QuorumRegistry({base: record})
    mn_list = MasternodeList(
        {
            OutPoint(bytes([j]) * 32, 0): MasternodeEntry(
                OutPoint(bytes([j]) * 32, 0),
                key,
                bytes(32),
                b"\x51",
                bytes([j]) * 16,
                1,
                MasternodeStatus.ACTIVE,
                0,
                0,
                None,
                None,
            )
            for j, key in enumerate(keys, start=1)
        }
    )
    dealer = 7

    def contribution(variant: int) -> Contribution:
        unsigned = Contribution(
            record.session_id,
            dealer,
            tuple(bls.sk_to_pk(bls.key_gen(bytes([variant, k]) * 16)) for k in range(t)),
            tuple(bytes([variant, j]) * 48 for j in range(n)),
            bytes(96),
        )
        return sign_message(unsigned, secrets[dealer - 1])

    first, second = contribution(1), contribution(2)
    full = message_script(DkgEquivocationEvidence(base, first, second), preset)
    assert len(full) > preset.script.max_script_bytes
    compact = ContributionPrefixEvidence(base, signed_prefix(first), signed_prefix(second))
    script = message_script(compact, preset)
    assert len(script) <= preset.script.max_script_bytes
    carried = match_message(script, preset)
    assert carried == compact
    convicted = check_evidence(registry, mn_list, compact, preset)
    assert convicted.operator_public_key == keys[dealer - 1]


@settings(max_examples=examples(30), deadline=None)
@given(st.binary(max_size=5000), st.sampled_from(list(HashDomain)))
def test_prefix_proofs_give_the_tagged_hash(data: bytes, domain: HashDomain) -> None:
    """HASH-2: the pure-Python BLAKE3 tree equals the library, and a message's first chunk with its
    siblings recomputes its tagged hash; a different first chunk does not."""
    assert tree_hash(domain, data) == tagged_hash(domain, data)
    chunk, siblings = prefix_proof(domain, data)
    assert digest_from_prefix(domain, chunk, siblings) == tagged_hash(domain, data)
    if chunk:
        changed = bytes([chunk[0] ^ 1]) + chunk[1:]
        assert digest_from_prefix(domain, changed, siblings) != tagged_hash(domain, data)
    if siblings:
        with pytest.raises(BadPrefixProof):
            digest_from_prefix(domain, chunk[:-1], siblings)


@settings(max_examples=examples(10), deadline=None)
@given(dealer=members, other=members, complainer=members, kind=kinds, claim_kind=st.booleans())
def test_an_honest_dealer_is_never_slashed_by_prefix_evidence(
    dealer: int, other: int, complainer: int, kind: str, claim_kind: bool
) -> None:
    """SLASH-1 tag 4: prefix proofs of an honest dealer's signed DKG messages (its one contribution,
    its justifications, or another member's message), optionally with the first chunk's kind byte
    rewritten to claim a contribution, never convict: the same digest twice is identical, another
    kind or dealer is no conflict, and a rewritten chunk no longer matches the signature."""
    quorum = FINISHED.quorum

    def side(message: Contribution | Justification) -> SignedPrefix:
        proof = signed_prefix_of(message)
        if claim_kind:
            proof = replace(proof, first_chunk=bytes([1]) + proof.first_chunk[1:])
        return proof

    def signed_prefix_of(message: Contribution | Justification) -> SignedPrefix:
        chunk, siblings = prefix_proof(HashDomain.DKG_MESSAGE, signed_bytes(message))
        return SignedPrefix(chunk, siblings, message.signature)

    honest = dkg_contribution(quorum, dealer)
    second: Contribution | Justification
    if kind == "contribution":
        second = dkg_contribution(quorum, other)
    else:
        second = make_justification(
            quorum.session, dealer, complainer, quorum.seeds[dealer - 1], quorum.secrets[dealer - 1]
        )
    evidence = ContributionPrefixEvidence(INTERVAL, signed_prefix_of(honest), side(second))
    with pytest.raises(SpecError) as caught:
        check_evidence(REGISTRY, EVERYONE, evidence, PRESET)
    assert caught.value.code in {
        "MN_EVIDENCE_IDENTICAL",
        "MN_EVIDENCE_NOT_CONFLICTING",
        "MN_EVIDENCE_BAD_SIGNATURE",
    }

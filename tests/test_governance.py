"""Governance properties (docs/governance.md): thresholds, votes, superblock execution, activation.

The execution properties run on random ballots: Hypothesis picks proposals (payouts of random
amounts, parameter changes), every voter's choice on each, and the treasury; the test submits and
votes with the spec's own functions, runs the blocks through several superblocks, and checks what
was paid and executed.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.generators.governance import (
    GRANTEE,
    VOTERS,
    change,
    generate,
    payout,
    schedule,
    vote,
    voters,
)
from conformance.generators.masternode import entry_for, funding
from conformance.handlers.governance import HANDLERS
from conformance.outcome import run_handler
from spec.errors import (
    ALL_ERROR_CODES,
    BadVoteSignature,
    InvalidSignatureEncoding,
    NotAMasternode,
    StaleVote,
    VotingClosed,
)
from spec.governance.proposals import (
    EMPTY_STATE,
    GovernanceState,
    GovernedParameters,
    ParameterChange,
    Proposal,
    ProposalStatus,
    TreasuryPayout,
    VoteChoice,
    add_proposal,
    approval_met,
    begin_block,
    cast_vote,
    effective_preset,
    is_superblock,
    participation_met,
    proposal_id,
    tally,
)
from spec.masternode.registry import MasternodeList, MasternodeStatus
from spec.presets import DEVNET, MAINNET, preset_parameter
from tests.hypothesis_profiles import examples

PRESET = DEVNET
WHEN = schedule(PRESET)
UNIT = PRESET.ledger.atoms_per_coin
FEE = PRESET.governance.proposal_fee

# --------------------------------------------------------------------------------------------
# GOV-5 threshold arithmetic
# --------------------------------------------------------------------------------------------


@given(
    st.integers(min_value=0, max_value=10**6),
    st.integers(min_value=0, max_value=10**6),
    st.integers(min_value=0, max_value=10**6),
    st.integers(min_value=0, max_value=3 * 10**6),
    st.integers(min_value=0, max_value=10_000),
    st.integers(min_value=0, max_value=10_000),
)
def test_thresholds_are_exact_fractions(
    yes: int, no: int, abstain: int, active: int, participation_bps: int, approval_bps: int
) -> None:
    turnout = yes + no + abstain
    assert participation_met(yes, no, abstain, active, participation_bps) == (
        active > 0 and Fraction(turnout, active) >= Fraction(participation_bps, 10_000)
    )
    assert approval_met(yes, no, approval_bps) == (
        yes + no > 0 and Fraction(yes, yes + no) >= Fraction(approval_bps, 10_000)
    )


@given(st.integers(min_value=1, max_value=10_000), st.integers(min_value=1, max_value=9_999))
def test_thresholds_at_the_boundary(active: int, bps: int) -> None:
    """The smallest turnout and yes count that meet a threshold meet it; one fewer does not."""
    needed = -(-bps * active // 10_000)  # ceil(bps * active / 10000)
    assert participation_met(needed, 0, 0, active, bps)
    assert not participation_met(needed - 1, 0, 0, active, bps) or needed == 0
    total = active
    yes_needed = -(-bps * total // 10_000)
    assert approval_met(yes_needed, total - yes_needed, bps)
    if yes_needed > 0:
        assert not approval_met(yes_needed - 1, total - yes_needed + 1, bps)


def test_threshold_handler_matches() -> None:
    outcome = run_handler(HANDLERS["thresholds"], PRESET, {"yes": 33, "no": 17, "abstain": 0, "active": 100})
    assert outcome.output == {"participation_met": True, "approval_met": True, "passed": True}


# --------------------------------------------------------------------------------------------
# GOV-4 votes
# --------------------------------------------------------------------------------------------


def _submitted(*proposals: Proposal) -> GovernanceState:
    state = EMPTY_STATE
    for proposal in proposals:
        state = add_proposal(state, proposal, FEE, WHEN.submit, PRESET)
    return state


GRANT = payout("grant", UNIT, WHEN.superblock)
GID = proposal_id(GRANT, PRESET)


@settings(max_examples=examples(40), deadline=None)
@given(st.sampled_from(("grace", "heidi", "ivan", "judy")), st.sampled_from(VoteChoice))
def test_votes_of_non_masternodes_are_rejected(label: str, choice: VoteChoice) -> None:
    state = _submitted(GRANT)
    with pytest.raises(NotAMasternode):
        cast_vote(state, vote(label, GID, choice, PRESET), voters(PRESET), WHEN.submit + 1, PRESET)
    fund = funding(PRESET)
    banned = MasternodeList(
        {
            **voters(PRESET).entries,
            fund.collateral(label): entry_for(
                label, fund.collateral(label), 0, status=MasternodeStatus.POSE_BANNED
            ),
        }
    )
    with pytest.raises(NotAMasternode):
        cast_vote(state, vote(label, GID, choice, PRESET), banned, WHEN.submit + 1, PRESET)


@settings(max_examples=examples(40), deadline=None)
@given(
    st.sampled_from(VOTERS),
    st.sampled_from(VOTERS),
    st.sampled_from(VoteChoice),
    st.binary(min_size=96, max_size=96),
)
def test_bad_vote_signatures_are_rejected(voter: str, signer: str, choice: VoteChoice, junk: bytes) -> None:
    state = _submitted(GRANT)
    height = WHEN.submit + 1
    forged = vote(voter, GID, choice, PRESET, signer=signer)
    if signer == voter:
        cast_vote(state, forged, voters(PRESET), height, PRESET)
    else:
        with pytest.raises(BadVoteSignature):
            cast_vote(state, forged, voters(PRESET), height, PRESET)
    genuine = vote(voter, GID, choice, PRESET)
    flipped = replace(genuine, choice=VoteChoice((choice + 1) % 3))
    with pytest.raises(BadVoteSignature):
        cast_vote(state, flipped, voters(PRESET), height, PRESET)
    with pytest.raises((BadVoteSignature, InvalidSignatureEncoding)):
        cast_vote(state, replace(genuine, signature=junk), voters(PRESET), height, PRESET)


@settings(max_examples=examples(30), deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(VOTERS[:3]), st.sampled_from(VoteChoice), st.integers(0, 5)), max_size=12
    )
)
def test_latest_revision_wins(sequence: list[tuple[str, VoteChoice, int]]) -> None:
    state = _submitted(GRANT)
    model: dict[str, tuple[VoteChoice, int]] = {}
    for label, choice, revision in sequence:
        ballot = vote(label, GID, choice, PRESET, revision=revision)
        if label in model and revision <= model[label][1]:
            with pytest.raises(StaleVote):
                cast_vote(state, ballot, voters(PRESET), WHEN.submit + 1, PRESET)
            continue
        state = cast_vote(state, ballot, voters(PRESET), WHEN.submit + 1, PRESET)
        model[label] = (choice, revision)
    fund = funding(PRESET)
    recorded = state.votes.get(GID, {})
    assert {o: (r.choice, r.revision) for o, r in recorded.items()} == {
        fund.collateral(label): value for label, value in model.items()
    }


def test_voting_closes_at_the_superblock() -> None:
    state = _submitted(GRANT)
    ballot = vote("alice", GID, VoteChoice.YES, PRESET)
    cast_vote(state, ballot, voters(PRESET), WHEN.superblock - 1, PRESET)
    with pytest.raises(VotingClosed):
        cast_vote(state, ballot, voters(PRESET), WHEN.superblock, PRESET)


# --------------------------------------------------------------------------------------------
# GOV-5..7 execution
# --------------------------------------------------------------------------------------------

choices = st.lists(
    st.one_of(st.none(), st.sampled_from(VoteChoice)), min_size=len(VOTERS), max_size=len(VOTERS)
)
proposal_specs = st.lists(
    st.tuples(st.one_of(st.integers(min_value=1, max_value=20), st.none()), choices),
    min_size=1,
    max_size=5,
)


def _ballot_state(
    specs: list[tuple[int | None, list[VoteChoice | None]]],
) -> tuple[GovernanceState, list[Proposal]]:
    proposals: list[Proposal] = []
    fee_param = "governance.proposal_fee"
    for number, (amount, _) in enumerate(specs):
        name = f"proposal {number}"
        if amount is None:
            proposals.append(change(name, fee_param, FEE * (2 + number), WHEN.superblock))
        else:
            proposals.append(payout(name, amount * UNIT, WHEN.superblock))
    state = _submitted(*proposals)
    for proposal, (_, picks) in zip(proposals, specs, strict=True):
        pid = proposal_id(proposal, PRESET)
        for label, choice in zip(VOTERS, picks, strict=True):
            if choice is not None:
                state = cast_vote(
                    state, vote(label, pid, choice, PRESET), voters(PRESET), WHEN.submit + 1, PRESET
                )
    return state, proposals


@settings(max_examples=examples(30), deadline=None)
@given(proposal_specs, st.integers(min_value=0, max_value=60))
def test_passed_proposals_execute_exactly_once_and_treasury_stays_non_negative(
    specs: list[tuple[int | None, list[VoteChoice | None]]], treasury_coins: int
) -> None:
    state, _ = _ballot_state(specs)
    mn_list = voters(PRESET)
    results, _ = tally(state, mn_list, WHEN.superblock, PRESET)
    passed = {r.proposal_id for r in results if r.passed}
    treasury = treasury_coins * UNIT
    paid: list[bytes] = []
    end = 3 * WHEN.superblock + PRESET.governance.activation_delay
    for height in range(WHEN.submit + 2, end + 1):
        payments, state = begin_block(state, mn_list, treasury, height, PRESET)
        assert sum(p.amount for p in payments) <= treasury
        treasury -= sum(p.amount for p in payments)
        assert treasury >= 0
        if payments:
            assert height == WHEN.superblock
        paid.extend(p.proposal_id for p in payments)
        for payment in payments:
            assert payment.script == GRANTEE.script_pubkey
    assert len(paid) == len(set(paid))
    assert set(paid) <= passed
    executed = {i for i, r in state.proposals.items() if r.status is ProposalStatus.EXECUTED}
    assert executed == state.executed
    assert set(paid) == {
        i for i in executed if isinstance(state.proposals[i].proposal.action, TreasuryPayout)
    }
    for identifier, record in state.proposals.items():
        assert record.status is not ProposalStatus.PENDING and record.status is not ProposalStatus.PASSED
        if identifier not in passed:
            assert record.status is ProposalStatus.REJECTED
    unfunded = [r for r in state.proposals.values() if r.status is ProposalStatus.UNFUNDED]
    for record in unfunded:
        assert isinstance(record.proposal.action, TreasuryPayout)
        assert record.proposal.action.amount > treasury
    changes = [
        r
        for r in state.proposals.values()
        if r.status is ProposalStatus.EXECUTED and not isinstance(r.proposal.action, TreasuryPayout)
    ]
    assert len(changes) <= 1
    fee_now = preset_parameter(effective_preset(PRESET, state.parameters), "governance.proposal_fee")
    if changes:
        action = changes[0].proposal.action
        assert isinstance(action, ParameterChange)
        assert fee_now == action.new_value
    else:
        assert fee_now == FEE


def test_parameter_change_activates_after_the_delay() -> None:
    proposal = change("double", "governance.proposal_fee", 2 * FEE, WHEN.superblock)
    state = _submitted(proposal)
    pid = proposal_id(proposal, PRESET)
    for label in VOTERS:
        state = cast_vote(
            state, vote(label, pid, VoteChoice.YES, PRESET), voters(PRESET), WHEN.submit + 1, PRESET
        )
    for height in range(WHEN.submit + 2, WHEN.activation + 1):
        _, state = begin_block(state, voters(PRESET), 0, height, PRESET)
        effective = effective_preset(PRESET, state.parameters)
        expected = 2 * FEE if height >= WHEN.activation else FEE
        assert effective.governance.proposal_fee == expected, height
    assert state.executed == frozenset({pid})


def test_effective_preset_changes_only_governed_fields() -> None:
    overlay = GovernedParameters().with_value("masternodes.pose_penalty", 7)
    changed = effective_preset(MAINNET, overlay)
    assert changed.masternodes.pose_penalty == 7
    assert changed.masternodes.collateral == MAINNET.masternodes.collateral
    assert changed.governance == MAINNET.governance and changed.chain == MAINNET.chain
    assert effective_preset(MAINNET, GovernedParameters()) == MAINNET


def test_superblock_heights() -> None:
    interval = PRESET.governance.superblock_interval
    assert not is_superblock(0, PRESET)
    assert is_superblock(interval, PRESET) and not is_superblock(interval + 1, PRESET)


def test_generator_covers_every_governance_code() -> None:
    expected = {case.expect_error for case in generate(PRESET)}
    codes = {code for code in ALL_ERROR_CODES if code.startswith("GOV_") and code != "GOV_ERROR"}
    assert codes <= expected, codes - expected

"""Vectors of the ``governance`` flow: message recognition and decoding, proposal and vote validity
(one valid case and at least one invalid case per error code), threshold arithmetic at its
boundaries, and block runs through a superblock: payments in execution order, an insufficient
treasury, a passed proposal that executes exactly once (the run continues past a second
superblock), and a parameter change that takes effect after the activation delay.

Masternodes, their operator keys and the funding transaction are the masternode flow's fixtures
(conformance/generators/masternode.py). Six masternodes vote (:data:`VOTERS`); proposals are paid
for with the collaterals of labels that are not masternodes (:data:`PROPOSERS`), and votes are
relayed in transactions paid by :data:`RELAYER`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from conformance.generators.masternode import (
    CARRIER_FEE,
    entry_for,
    funded_list,
    funding,
    operator,
)
from conformance.handlers.governance import message_json
from conformance.handlers.masternode import list_json
from conformance.model import JSON, CaseSpec
from conformance.seeded import seeded_bytes
from conformance.wallet import key, sign_transaction
from spec.crypto import bls
from spec.governance.proposals import (
    GOVERNANCE_PREFIX,
    ParameterChange,
    Proposal,
    ProposalAction,
    TreasuryPayout,
    Vote,
    VoteChoice,
    encode_message,
    message_script,
    proposal_id,
    vote_message,
)
from spec.ledger.transaction import SEQUENCE_FINAL, Transaction, TxInput, TxOutput, encode_transaction
from spec.masternode.registry import MasternodeList, MasternodeStatus, PoSePenalty
from spec.masternode.registry import message_script as mn_message_script
from spec.presets import Preset, preset_parameter
from spec.script import null_data_script

VOTERS = ("alice", "bob", "carol", "dave", "erin", "frank")
PROPOSERS = ("judy", "mallory", "oscar", "ivan")
RELAYER = "heidi"
GRANTEE = key("governance/grantee")
YES, NO, ABSTAIN = VoteChoice.YES, VoteChoice.NO, VoteChoice.ABSTAIN


@dataclass(frozen=True)
class Schedule:
    """Heights of a governance run: submission, first vote, the superblock, activation."""

    submit: int
    superblock: int
    activation: int
    voting_period: int

    @property
    def second_superblock(self) -> int:
        """The superblock after the first."""
        return 2 * self.superblock


def schedule(preset: Preset) -> Schedule:
    """Submit two blocks earlier than the latest allowed height before the first superblock."""
    params = preset.governance
    superblock = params.superblock_interval
    submit = superblock - params.voting_period - 2
    assert submit >= 1, "the first superblock leaves no room to submit"
    return Schedule(submit, superblock, superblock + params.activation_delay, params.voting_period)


def coin_unit(preset: Preset) -> int:
    """The unit of treasury amounts in these vectors: one RUST."""
    return preset.ledger.atoms_per_coin


def voters(preset: Preset) -> MasternodeList:
    """The six voting masternodes, registered at height 0."""
    return funded_list(VOTERS, preset)


def payout(name: str, amount: int, start: int) -> Proposal:
    """A treasury payout of ``amount`` atoms to the grantee."""
    return Proposal(name.encode(), start, TreasuryPayout(GRANTEE.script_pubkey, amount))


def change(name: str, parameter: str, value: int, start: int) -> Proposal:
    """A parameter change."""
    return Proposal(name.encode(), start, ParameterChange(parameter.encode(), value))


def proposal_tx(proposer: str, proposals: Sequence[tuple[Proposal, int]], preset: Preset) -> Transaction:
    """``proposer`` spends its collateral-sized coin; each proposal output burns its given fee."""
    fund = funding(preset)
    coin = fund.collateral(proposer)
    spent = fund.utxos[coin].output
    owner = operator(proposer).owner
    burns = tuple(TxOutput(fee, message_script(p, preset)) for p, fee in proposals)
    change_value = spent.value - CARRIER_FEE - sum(o.value for o in burns)
    unsigned = Transaction(
        1, (TxInput(coin, b"", SEQUENCE_FINAL),), (TxOutput(change_value, owner.script_pubkey), *burns), 0
    )
    return sign_transaction(unsigned, [spent], [owner], preset)


def vote(
    label: str,
    proposal: bytes,
    choice: VoteChoice,
    preset: Preset,
    revision: int = 0,
    signer: str | None = None,
) -> Vote:
    """``label``'s vote, signed by ``signer``'s operator key (default: its own)."""
    masternode = funding(preset).collateral(label)
    message = vote_message(proposal, masternode, choice, revision)
    return Vote(proposal, masternode, choice, revision, bls.sign(operator(signer or label).secret, message))


def vote_tx(votes: Sequence[Vote], preset: Preset, number: int = 0) -> Transaction:
    """The relayer's transaction (fee coin ``number``) carrying ``votes`` in order."""
    fund = funding(preset)
    coin = fund.fee_coin(RELAYER, number)
    spent = fund.utxos[coin].output
    owner = operator(RELAYER).owner
    outputs = (
        TxOutput(spent.value - CARRIER_FEE, owner.script_pubkey),
        *(TxOutput(0, message_script(v, preset)) for v in votes),
    )
    return sign_transaction(
        Transaction(1, (TxInput(coin, b"", SEQUENCE_FINAL),), outputs, 0), [spent], [owner], preset
    )


def run_input(
    preset: Preset,
    blocks: Sequence[tuple[int, Sequence[Transaction]]],
    start: int,
    end: int,
    treasury: int = 0,
    mn_list: MasternodeList | None = None,
) -> dict[str, JSON]:
    """The ``apply_blocks`` input."""
    return {
        "masternodes": list_json(voters(preset) if mn_list is None else mn_list),
        "treasury": treasury,
        "income_per_block": 0,
        "start_height": start,
        "end_height": end,
        "blocks": [
            {"height": height, "transactions": [encode_transaction(tx, preset).hex() for tx in txs]}
            for height, txs in blocks
        ],
    }


def _case(
    handler: str, case: str, description: str, data: dict[str, JSON], error: str | None = None
) -> CaseSpec:
    return CaseSpec(handler, case, description, data, expect_error=error)


def generate(preset: Preset) -> Iterator[CaseSpec]:
    """Governance vectors for one preset."""
    yield from _message_cases(preset)
    yield from _threshold_cases(preset)
    yield from _superblock_cases(preset)
    yield from _proposal_cases(preset)
    yield from _vote_cases(preset)
    yield from _codec_cases(preset)
    yield from _due_order_cases(preset)
    yield from _two_changes_case(preset)


# --------------------------------------------------------------------------------------------
# GOV-0 recognition and decoding
# --------------------------------------------------------------------------------------------


def _message_cases(preset: Preset) -> Iterator[CaseSpec]:
    when = schedule(preset)
    grant = payout("grant", coin_unit(preset), when.superblock)
    fee_change = change("fee", "governance.proposal_fee", 2 * preset.governance.proposal_fee, when.superblock)
    ballot = vote("alice", proposal_id(grant, preset), YES, preset)
    params = preset.script
    penalty = PoSePenalty(funding(preset).collateral("alice"), 0, bytes(96))
    valid = [
        ("payout", message_script(grant, preset), "a treasury payout proposal"),
        ("parameter_change", message_script(fee_change, preset), "a parameter change proposal"),
        ("vote", message_script(ballot, preset), "a vote"),
        (
            "masternode_message",
            mn_message_script(penalty, preset),
            "a masternode message is not a governance one",
        ),
        ("other_null_data", null_data_script(b"governance", params), "null data without the prefix"),
    ]
    for case, script, description in valid:
        yield _case("match_message", case, f"GOV-0: {description}", {"script": script.hex()})
    vote_payload = encode_message(ballot, preset)
    choice_at = len(GOVERNANCE_PREFIX) + 1 + 32 + 36
    bad_choice = vote_payload[:choice_at] + b"\x03" + vote_payload[choice_at + 1 :]
    grant_payload = encode_message(grant, preset)
    tag_at = len(GOVERNANCE_PREFIX) + 1 + 1 + len(grant.name) + 8
    bad_tag = grant_payload[:tag_at] + b"\x02" + grant_payload[tag_at + 1 :]
    invalid = [
        ("unknown_kind", GOVERNANCE_PREFIX + b"\x09" + vote_payload[5:], "DECODE_INVALID_TAG", "kind 9"),
        ("vote_choice_3", bad_choice, "DECODE_INVALID_TAG", "a vote choice other than 0, 1, 2"),
        ("action_tag_2", bad_tag, "DECODE_INVALID_TAG", "an action tag other than 0, 1"),
        ("truncated_vote", vote_payload[:-1], "DECODE_TRUNCATED", "a vote missing a signature byte"),
        ("trailing_proposal", grant_payload + b"\x00", "DECODE_TRAILING_BYTES", "a byte after the proposal"),
        (
            "long_name",
            GOVERNANCE_PREFIX + b"\x01" + b"\x41" + b"n" * 65,
            "DECODE_LENGTH_LIMIT",
            "a 65-byte name",
        ),
    ]
    for case, payload, error, description in invalid:
        script = null_data_script(payload, params)
        yield _case("match_message", case, f"GOV-0: {description}", {"script": script.hex()}, error)


# --------------------------------------------------------------------------------------------
# GOV-5 thresholds
# --------------------------------------------------------------------------------------------


def _threshold_cases(preset: Preset) -> Iterator[CaseSpec]:
    cases = [
        ("half_turnout", 3, 0, 0, 6, "exactly 50 % of 6 vote: participation met"),
        ("below_half_turnout", 2, 0, 0, 5, "40 % turnout"),
        ("abstain_counts_for_turnout", 0, 0, 3, 6, "abstentions make turnout but no approval"),
        ("approval_exact", 33, 17, 0, 100, "33 of 50 = 66 % exactly"),
        ("approval_just_below", 32, 17, 1, 100, "32 of 49 = 65.3 %"),
        ("two_thirds", 2, 1, 0, 6, "2 of 3 = 66.7 %"),
        ("unanimous_one", 1, 0, 0, 1, "one masternode, one yes"),
        ("nobody_active", 0, 0, 0, 0, "no active masternode: nothing passes"),
        ("no_votes", 0, 0, 0, 6, "no vote at all"),
    ]
    for case, yes, no, abstain, active, description in cases:
        yield _case(
            "thresholds",
            case,
            f"GOV-5: {description}",
            {"yes": yes, "no": no, "abstain": abstain, "active": active},
        )


# --------------------------------------------------------------------------------------------
# GOV-5..7 superblock runs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ballot:
    """The proposals of the main run and the transactions that submit and vote on them."""

    grant_big: Proposal
    grant_mid: Proposal
    grant_small: Proposal
    fee_change: Proposal
    tied: Proposal
    weak: Proposal
    submit: Transaction
    votes: Transaction
    revote: Transaction


def ballot(preset: Preset) -> Ballot:
    """Six proposals for the first superblock and the votes that decide them.

    grant_big (5 RUST): 5 yes, 1 no at first, then frank changes to yes (net 6); grant_mid (3 RUST):
    5 yes, 1 no (net 4); grant_small (1 RUST): 4 yes, 1 no, 1 abstain (net 3); fee_change (fee x2):
    4 yes, 2 no (66.7 %, net 2); tied: 3 yes, 3 no (approval fails); weak: 2 yes (turnout fails).
    """
    when = schedule(preset)
    unit, fee = coin_unit(preset), preset.governance.proposal_fee
    s = when.superblock
    grant_big = payout("grant big", 5 * unit, s)
    grant_mid = payout("grant mid", 3 * unit, s)
    grant_small = payout("grant small", unit, s)
    fee_change = change("double the fee", "governance.proposal_fee", 2 * fee, s)
    tied = payout("tied", unit, s)
    weak = payout("weak", unit, s)
    submit = proposal_tx(
        PROPOSERS[0], [(p, fee) for p in (grant_big, grant_mid, grant_small, fee_change, tied, weak)], preset
    )
    plan: list[tuple[Proposal, tuple[VoteChoice, ...]]] = [
        (grant_big, (YES, YES, YES, YES, YES, NO)),
        (grant_mid, (YES, YES, YES, YES, YES, NO)),
        (grant_small, (YES, YES, YES, YES, NO, ABSTAIN)),
        (fee_change, (YES, YES, YES, YES, NO, NO)),
        (tied, (YES, YES, YES, NO, NO, NO)),
        (weak, (YES, YES)),
    ]
    votes = [
        vote(label, proposal_id(p, preset), choice, preset)
        for p, choices in plan
        for label, choice in zip(VOTERS, choices, strict=False)
    ]
    revote = vote_tx(
        [vote("frank", proposal_id(grant_big, preset), YES, preset, revision=1)], preset, number=1
    )
    return Ballot(
        grant_big, grant_mid, grant_small, fee_change, tied, weak, submit, vote_tx(votes, preset), revote
    )


def _superblock_cases(preset: Preset) -> Iterator[CaseSpec]:
    when = schedule(preset)
    unit, fee = coin_unit(preset), preset.governance.proposal_fee
    b = ballot(preset)
    blocks: list[tuple[int, Sequence[Transaction]]] = [
        (when.submit, [b.submit]),
        (when.submit + 1, [b.votes]),
        (when.submit + 2, [b.revote]),
    ]
    after_second = when.second_superblock + 1
    yield _case(
        "apply_blocks",
        "superblock_pays_and_schedules",
        "GOV-5..7: three grants paid in net-vote order (10 RUST treasury), the fee doubles after the "
        "activation delay, two proposals rejected; nothing executes again at the second superblock",
        run_input(preset, blocks, when.submit, after_second, treasury=10 * unit),
    )
    yield _case(
        "apply_blocks",
        "insufficient_treasury",
        "GOV-6: 6 RUST: grant big (5) is paid, grant mid (3) does not fit (UNFUNDED), grant small (1) "
        "still does",
        run_input(preset, blocks, when.submit, when.superblock, treasury=6 * unit),
    )
    yield _case(
        "apply_blocks",
        "empty_treasury",
        "GOV-6: nothing to pay: every passed grant is UNFUNDED, the parameter change still executes",
        run_input(preset, blocks, when.submit, when.activation, treasury=0),
    )
    yield _case(
        "apply_blocks",
        "before_activation",
        "GOV-7: one block before the activation height the old fee is still in force",
        run_input(preset, blocks, when.submit, when.activation - 1, treasury=10 * unit),
    )
    late = payout("after activation", unit, when.second_superblock)
    yield _case(
        "apply_blocks",
        "new_fee_accepted",
        "GOV-7: after activation a proposal burning the doubled fee is accepted",
        run_input(
            preset,
            [*blocks, (when.activation, [proposal_tx(PROPOSERS[1], [(late, 2 * fee)], preset)])],
            when.submit,
            when.activation,
            treasury=10 * unit,
        ),
    )
    yield _case(
        "apply_blocks",
        "old_fee_rejected",
        "GOV-7: after activation the old fee is too low",
        run_input(
            preset,
            [*blocks, (when.activation, [proposal_tx(PROPOSERS[1], [(late, fee)], preset)])],
            when.submit,
            when.activation,
            treasury=10 * unit,
        ),
        "GOV_FEE_TOO_LOW",
    )
    yield _case(
        "apply_blocks",
        "old_fee_before_activation",
        "GOV-7: one block before activation the old fee is still enough",
        run_input(
            preset,
            [*blocks, (when.activation - 1, [proposal_tx(PROPOSERS[1], [(late, fee)], preset)])],
            when.submit,
            when.activation - 1,
            treasury=10 * unit,
        ),
    )
    competing = proposal_tx(
        PROPOSERS[1], [(change("fee x3", "governance.proposal_fee", 3 * fee, when.superblock), fee)], preset
    )
    competing_votes = vote_tx(
        [
            vote(
                label,
                proposal_id(change("fee x3", "governance.proposal_fee", 3 * fee, when.superblock), preset),
                YES,
                preset,
            )
            for label in VOTERS[:4]
        ],
        preset,
        number=2,
    )
    yield _case(
        "apply_blocks",
        "competing_parameter_changes",
        "GOV-6: two passed changes of one parameter: the one with more net yes votes executes, "
        "the other is SUPERSEDED",
        run_input(
            preset,
            [(when.submit, [b.submit, competing]), (when.submit + 1, [b.votes, competing_votes])],
            when.submit,
            when.activation,
            treasury=10 * unit,
        ),
    )
    yield _case(
        "apply_blocks",
        "no_votes",
        "GOV-5: proposals nobody votes on are REJECTED at their superblock",
        run_input(preset, blocks[:1], when.submit, when.superblock, treasury=10 * unit),
    )


# --------------------------------------------------------------------------------------------
# GOV-1..3 submission
# --------------------------------------------------------------------------------------------


def _proposal_cases(preset: Preset) -> Iterator[CaseSpec]:
    when = schedule(preset)
    unit, fee = coin_unit(preset), preset.governance.proposal_fee
    s = when.superblock
    fee_param = next(p for p in preset.governance.governable if p.name == "governance.proposal_fee")

    def submit(
        case: str,
        description: str,
        proposal: Proposal,
        error: str | None = None,
        burn: int = fee,
        height: int = when.submit,
    ) -> CaseSpec:
        tx = proposal_tx(PROPOSERS[0], [(proposal, burn)], preset)
        return _case(
            "apply_blocks",
            case,
            f"GOV-1..3: {description}",
            run_input(preset, [(height, [tx])], height, height),
            error,
        )

    yield submit("payout", "a treasury payout", payout("grant", unit, s))
    yield submit("fee_exact", "the burn equals the fee", payout("grant", unit, s), burn=fee)
    yield submit("fee_above", "a burn above the fee is fine", payout("grant", unit, s), burn=fee + 1)
    yield submit(
        "fee_too_low", "one atom below the fee", payout("grant", unit, s), "GOV_FEE_TOO_LOW", burn=fee - 1
    )
    latest = s - when.voting_period
    yield submit(
        "start_exactly_voting_period",
        "submitted exactly voting_period blocks before",
        payout("grant", unit, s),
        height=latest,
    )
    yield submit(
        "start_too_soon",
        "submitted one block too late for the superblock",
        payout("grant", unit, s),
        "GOV_BAD_START_SUPERBLOCK",
        height=latest + 1,
    )
    yield submit(
        "start_not_superblock",
        "start height is not a superblock",
        payout("grant", unit, s + 1),
        "GOV_BAD_START_SUPERBLOCK",
    )
    yield submit(
        "start_zero", "height 0 is not a superblock", payout("grant", unit, 0), "GOV_BAD_START_SUPERBLOCK"
    )
    yield submit("later_superblock", "a later superblock is fine", payout("grant", unit, 2 * s))
    yield submit("empty_name", "an empty name", payout("", unit, s), "GOV_BAD_NAME")
    yield submit(
        "control_character",
        "a name with a control character",
        replace(payout("x", unit, s), name=b"bad\nname"),
        "GOV_BAD_NAME",
    )
    yield submit(
        "delete_character", "a name with DEL", replace(payout("x", unit, s), name=b"bad\x7f"), "GOV_BAD_NAME"
    )
    yield submit("amount_zero", "a payout of nothing", payout("grant", 0, s), "GOV_BAD_PAYOUT")
    yield submit("amount_one", "a payout of one atom is well formed", payout("grant", 1, s))
    yield submit(
        "printable_bounds",
        "a name of the printable range's two ends (space and tilde) is well formed",
        replace(payout("x", unit, s), name=b" ~"),
    )
    yield submit(
        "amount_max_money",
        "a payout of max_money is well formed",
        payout("grant", preset.ledger.max_money, s),
    )
    yield submit(
        "amount_above_max_money",
        "a payout above max_money",
        payout("grant", preset.ledger.max_money + 1, s),
        "GOV_BAD_PAYOUT",
    )
    unspendable: ProposalAction = TreasuryPayout(b"\x6a", unit)
    yield submit(
        "unspendable_payee", "a payout to OP_RETURN", Proposal(b"burn", s, unspendable), "GOV_BAD_PAYOUT"
    )
    yield submit(
        "parameter_change",
        "a whitelisted parameter at its maximum",
        change("fee", fee_param.name, fee_param.maximum, s),
    )
    yield submit(
        "parameter_minimum",
        "a whitelisted parameter at its minimum",
        change("fee", fee_param.name, fee_param.minimum, s),
    )
    yield submit(
        "parameter_above_range",
        "one above the maximum",
        change("fee", fee_param.name, fee_param.maximum + 1, s),
        "GOV_PARAMETER_OUT_OF_RANGE",
    )
    yield submit(
        "parameter_below_range",
        "one below the minimum",
        change("fee", fee_param.name, fee_param.minimum - 1, s),
        "GOV_PARAMETER_OUT_OF_RANGE",
    )
    yield submit(
        "unknown_parameter",
        "chain.max_block_bytes is not governable",
        change("blocks", "chain.max_block_bytes", 8_000_000, s),
        "GOV_UNKNOWN_PARAMETER",
    )
    yield submit(
        "parameter_not_a_field",
        "a name that is no preset field",
        change("x", "governance.treasury", 1, s),
        "GOV_UNKNOWN_PARAMETER",
    )
    grant = payout("grant", unit, s)
    twice = [
        (when.submit, [proposal_tx(PROPOSERS[0], [(grant, fee)], preset)]),
        (when.submit + 1, [proposal_tx(PROPOSERS[1], [(grant, fee)], preset)]),
    ]
    yield _case(
        "apply_blocks",
        "duplicate_proposal",
        "GOV-2: the same proposal submitted again a block later",
        run_input(preset, twice, when.submit, when.submit + 1),
        "GOV_DUPLICATE_PROPOSAL",
    )
    yield _case(
        "apply_blocks",
        "duplicate_in_one_transaction",
        "GOV-2: one transaction carries the same proposal twice",
        run_input(
            preset,
            [(when.submit, [proposal_tx(PROPOSERS[0], [(grant, fee), (grant, fee)], preset)])],
            when.submit,
            when.submit,
        ),
        "GOV_DUPLICATE_PROPOSAL",
    )
    bad_vote = null_data_script(GOVERNANCE_PREFIX + b"\x02\x00", preset.script)
    relay = funding(preset)
    coin = relay.fee_coin(RELAYER)
    owner = operator(RELAYER).owner
    spent = relay.utxos[coin].output
    garbage = sign_transaction(
        Transaction(
            1,
            (TxInput(coin, b"", SEQUENCE_FINAL),),
            (TxOutput(spent.value - CARRIER_FEE, owner.script_pubkey), TxOutput(0, bad_vote)),
            0,
        ),
        [spent],
        [owner],
        preset,
    )
    yield _case(
        "apply_blocks",
        "malformed_message",
        "GOV-0: a block carrying a governance output that does not decode",
        run_input(preset, [(when.submit, [garbage])], when.submit, when.submit),
        "DECODE_TRUNCATED",
    )


# --------------------------------------------------------------------------------------------
# GOV-4 votes
# --------------------------------------------------------------------------------------------


def _vote_cases(preset: Preset) -> Iterator[CaseSpec]:
    when = schedule(preset)
    unit, fee = coin_unit(preset), preset.governance.proposal_fee
    grant = payout("grant", unit, when.superblock)
    gid = proposal_id(grant, preset)
    submitted = (when.submit, [proposal_tx(PROPOSERS[0], [(grant, fee)], preset)])

    def votes_case(
        case: str,
        description: str,
        rounds: Sequence[Sequence[Vote]],
        error: str | None = None,
        height: int = when.submit + 1,
        mn_list: MasternodeList | None = None,
    ) -> CaseSpec:
        by_height: dict[int, list[Transaction]] = {submitted[0]: list(submitted[1])}
        for i, r in enumerate(rounds):
            by_height.setdefault(height + i, []).append(vote_tx(r, preset, number=i))
        blocks = sorted(by_height.items())
        end = max(height + len(rounds) - 1, when.submit)
        return _case(
            "apply_blocks",
            case,
            f"GOV-4: {description}",
            run_input(preset, blocks, when.submit, end, mn_list=mn_list),
            error,
        )

    yield votes_case("vote", "one vote", [[vote("alice", gid, YES, preset)]])
    yield votes_case(
        "every_choice",
        "yes, no and abstain",
        [
            [
                vote("alice", gid, YES, preset),
                vote("bob", gid, NO, preset),
                vote("carol", gid, ABSTAIN, preset),
            ]
        ],
    )
    yield votes_case(
        "same_block_as_proposal",
        "a vote later in the proposal's own block",
        [[vote("alice", gid, YES, preset)]],
        height=when.submit,
    )
    yield votes_case(
        "change_vote",
        "a higher revision replaces the vote in force",
        [[vote("alice", gid, YES, preset)], [vote("alice", gid, NO, preset, revision=7)]],
    )
    yield votes_case(
        "last_voting_block",
        "a vote in the block before the superblock",
        [[vote("alice", gid, YES, preset)]],
        height=when.superblock - 1,
    )
    yield votes_case(
        "unknown_proposal",
        "a vote on an id nobody submitted",
        [[vote("alice", seeded_bytes("governance/unknown-proposal", 32), YES, preset)]],
        "GOV_UNKNOWN_PROPOSAL",
    )
    yield votes_case(
        "at_superblock",
        "a vote in the superblock itself (already decided)",
        [[vote("alice", gid, YES, preset)]],
        "GOV_VOTING_CLOSED",
        height=when.superblock,
    )
    yield votes_case(
        "after_superblock",
        "a vote after the superblock",
        [[vote("alice", gid, YES, preset)]],
        "GOV_VOTING_CLOSED",
        height=when.superblock + 1,
    )
    yield votes_case(
        "not_a_masternode",
        "grace is no masternode",
        [[vote("grace", gid, YES, preset)]],
        "GOV_NOT_MASTERNODE",
    )
    banned = MasternodeList(
        {
            **voters(preset).entries,
            funding(preset).collateral("grace"): entry_for(
                "grace", funding(preset).collateral("grace"), 0, status=MasternodeStatus.POSE_BANNED
            ),
        }
    )
    yield votes_case(
        "banned_masternode",
        "grace is banned",
        [[vote("grace", gid, YES, preset)]],
        "GOV_NOT_MASTERNODE",
        mn_list=banned,
    )
    yield votes_case(
        "signed_by_other_operator",
        "alice's vote signed by bob's key",
        [[vote("alice", gid, YES, preset, signer="bob")]],
        "GOV_BAD_VOTE_SIGNATURE",
    )
    flipped = vote("alice", gid, YES, preset)
    yield votes_case(
        "choice_changed",
        "the signature is for YES, the vote says NO",
        [[replace(flipped, choice=NO)]],
        "GOV_BAD_VOTE_SIGNATURE",
    )
    yield votes_case(
        "revision_changed",
        "the signature is for revision 0",
        [[replace(flipped, revision=1)]],
        "GOV_BAD_VOTE_SIGNATURE",
    )
    yield votes_case(
        "signature_not_a_point",
        "BLS-2: the signature is not a G2 point",
        [[replace(flipped, signature=bytes(96))]],
        "BLS_INVALID_SIGNATURE",
    )
    yield votes_case(
        "replayed_vote",
        "the same signed vote again (same revision)",
        [[vote("alice", gid, YES, preset)], [vote("alice", gid, YES, preset)]],
        "GOV_STALE_VOTE",
    )
    yield votes_case(
        "older_revision",
        "a lower revision after a higher one",
        [[vote("alice", gid, NO, preset, revision=3)], [vote("alice", gid, YES, preset, revision=2)]],
        "GOV_STALE_VOTE",
    )


# --------------------------------------------------------------------------------------------
# GOV-0 encoding both ways, GOV-1..3 submission alone, GOV-3 superblock heights
# --------------------------------------------------------------------------------------------


def _codec_cases(preset: Preset) -> Iterator[CaseSpec]:
    when = schedule(preset)
    grant = payout("grant", coin_unit(preset), when.superblock)
    fee_change = change("fee", "governance.proposal_fee", 2 * preset.governance.proposal_fee, when.superblock)
    gid = proposal_id(grant, preset)
    messages: list[tuple[str, Proposal | Vote]] = [
        ("payout", grant),
        ("parameter_change", fee_change),
        ("vote_yes", vote("alice", gid, YES, preset)),
        ("vote_no", vote("bob", gid, NO, preset, revision=3)),
        ("vote_abstain", vote("carol", gid, ABSTAIN, preset, revision=0xFFFFFFFF)),
    ]
    for case, message in messages:
        yield _case(
            "message_script",
            case,
            "GOV-0: the payload (prefix, kind, body) and the null-data script of a message",
            {"message": message_json(message)},
        )
        yield _case(
            "decode_message",
            case,
            "GOV-0: a whole payload decoded",
            {"payload": encode_message(message, preset).hex()},
        )
    payload = encode_message(grant, preset)
    invalid = [
        ("no_prefix", b"RCGX" + payload[4:], "DECODE_INVALID_TAG", "a payload without the governance prefix"),
        ("empty", b"", "DECODE_INVALID_TAG", "an empty payload"),
        ("prefix_only", GOVERNANCE_PREFIX, "DECODE_TRUNCATED", "the prefix without a kind byte"),
        ("unknown_kind", GOVERNANCE_PREFIX + b"\x03" + payload[5:], "DECODE_INVALID_TAG", "kind 3"),
        ("kind_only", GOVERNANCE_PREFIX + b"\x01", "DECODE_TRUNCATED", "a proposal kind and no body"),
        ("trailing", payload + b"\x00", "DECODE_TRAILING_BYTES", "a byte after the proposal"),
    ]
    for case, raw, error, description in invalid:
        yield _case("decode_message", case, f"GOV-0: {description}", {"payload": raw.hex()}, error)

    fee = preset.governance.proposal_fee
    second = payout("second", 2 * coin_unit(preset), when.second_superblock)
    both = proposal_tx(PROPOSERS[0], [(grant, fee), (fee_change, fee + 1), (second, fee)], preset)
    with_vote = vote_tx([vote("alice", gid, YES, preset)], preset)
    yield _case(
        "submit_proposals",
        "three_in_one_transaction",
        "GOV-1..3: three proposals of one transaction, submitted in output order",
        {"height": when.submit, "transactions": [encode_transaction(both, preset).hex()]},
    )
    yield _case(
        "submit_proposals",
        "votes_ignored",
        "GOV-1..3: a transaction of votes submits nothing (votes are not applied here)",
        {
            "height": when.submit,
            "transactions": [encode_transaction(t, preset).hex() for t in (with_vote, both)],
        },
    )
    low = proposal_tx(PROPOSERS[1], [(grant, fee), (second, fee - 1)], preset)
    yield _case(
        "submit_proposals",
        "second_output_fee_too_low",
        "GOV-2: the second proposal of a transaction burns one atom too few",
        {"height": when.submit, "transactions": [encode_transaction(low, preset).hex()]},
        "GOV_FEE_TOO_LOW",
    )
    twice = [
        encode_transaction(t, preset).hex() for t in (proposal_tx(PROPOSERS[0], [(grant, fee)], preset),) * 2
    ]
    yield _case(
        "submit_proposals",
        "duplicate",
        "GOV-3: the same proposal submitted twice",
        {"height": when.submit, "transactions": twice},
        "GOV_DUPLICATE_PROPOSAL",
    )
    interval = preset.governance.superblock_interval
    for height in (0, 1, interval - 1, interval, interval + 1, 2 * interval, 7 * interval):
        yield _case(
            "is_superblock",
            f"height_{height}",
            "GOV-3: superblocks are the positive multiples of superblock_interval",
            {"height": height},
        )


def _two_changes_case(preset: Preset) -> Iterator[CaseSpec]:
    """GOV-6/7: two parameter changes pass at one superblock and activate at one height."""
    when = schedule(preset)
    fee = preset.governance.proposal_fee
    changes = []
    for parameter in preset.governance.governable[:2]:
        current = preset_parameter(preset, parameter.name)
        value = parameter.minimum if current != parameter.minimum else parameter.maximum
        changes.append(change(f"set {parameter.name}", parameter.name, value, when.superblock))
    submit = proposal_tx(PROPOSERS[0], [(c, fee) for c in changes], preset)
    votes = vote_tx(
        [vote(label, proposal_id(c, preset), YES, preset) for c in changes for label in VOTERS], preset
    )
    blocks: list[tuple[int, Sequence[Transaction]]] = [(when.submit, [submit]), (when.submit + 1, [votes])]
    yield _case(
        "apply_blocks",
        "two_changes_one_activation",
        "GOV-6/7: two parameter changes of one superblock activate together after the delay",
        run_input(preset, blocks, when.submit, when.activation + 1),
    )


def _due_order_cases(preset: Preset) -> Iterator[CaseSpec]:
    """GOV-5: a proposal due at a later superblock sorts (by id) before one due now: the tally skips
    it and still decides the due one; the votes of the decided one are dropped, the other's kept."""
    when = schedule(preset)
    unit, fee = coin_unit(preset), preset.governance.proposal_fee
    due = payout("due-now", unit, when.superblock)
    later = next(
        p
        for p in (payout(f"due-later-{n}", unit, when.second_superblock) for n in range(256))
        if proposal_id(p, preset) < proposal_id(due, preset)
    )
    submit = proposal_tx(PROPOSERS[0], [(later, fee), (due, fee)], preset)
    votes = vote_tx(
        [vote(label, proposal_id(p, preset), YES, preset) for p in (later, due) for label in VOTERS], preset
    )
    blocks: list[tuple[int, Sequence[Transaction]]] = [(when.submit, [submit]), (when.submit + 1, [votes])]
    yield _case(
        "apply_blocks",
        "not_due_sorts_first",
        "GOV-5: at the first superblock the proposal due now is decided and paid although a proposal "
        "due at the second superblock sorts before it; only the later proposal's votes stay in force",
        run_input(preset, blocks, when.submit, when.superblock + 1, treasury=5 * unit),
    )
    yield _case(
        "apply_blocks",
        "not_due_sorts_first_then_due",
        "GOV-5: the same run through the second superblock: the later proposal is decided there",
        run_input(preset, blocks, when.submit, when.second_superblock, treasury=5 * unit),
    )

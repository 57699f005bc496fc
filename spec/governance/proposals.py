"""Governance: proposals, masternode votes, tallies, superblock payments and parameter changes
(protocol steps "GOV-*").

Proposals and votes travel in ordinary transactions as null-data outputs
``OP_RETURN <GOVERNANCE_PREFIX || kind || payload>`` (GOV-0, the same shape as MN-0); the state
they build is a pure function of the blocks and of the masternode list.

* **GOV-0 messages** kind :data:`KIND_PROPOSAL` carries a :class:`Proposal`, kind :data:`KIND_VOTE` a
  :class:`Vote`; any other kind is ``DECODE_INVALID_TAG`` and a bad payload ``DECODE_*``.
* **GOV-1 proposal** ``Proposal(name, start_superblock, action)`` where ``action`` is
  ``TreasuryPayout(payment_script, amount)`` or ``ParameterChange(parameter, new_value)``. The name
  is 1..64 printable ASCII bytes (``GOV_BAD_NAME``). A payout asks for ``1..max_money`` atoms to a
  script that is not provably unspendable (``GOV_BAD_PAYOUT``). A parameter change names a
  ``"section.field"`` of the preset's whitelist ``governance.governable``
  (``GOV_UNKNOWN_PARAMETER``) and a value inside its range (``GOV_PARAMETER_OUT_OF_RANGE``).
  ``proposal_id = H(GOVERNANCE_PROPOSAL, encode(proposal))``.
* **GOV-2 fee** the output that carries the proposal burns its own value (a null-data output never
  enters the UTXO set); it must be at least ``proposal_fee`` (``GOV_FEE_TOO_LOW``). A proposal
  id can be submitted once (``GOV_DUPLICATE_PROPOSAL``).
* **GOV-3 schedule** ``start_superblock`` is a superblock height (a positive multiple of
  ``superblock_interval``) at least ``voting_period`` blocks after the submitting block
  (``GOV_BAD_START_SUPERBLOCK``). Checks run in the order GOV-1 name, action, GOV-2 fee, GOV-3,
  GOV-2 duplicate.
* **GOV-4 votes** ``Vote(proposal_id, masternode, choice, revision, signature)`` with choice YES, NO
  or ABSTAIN, signed by the masternode's operator BLS key over
  ``H(GOVERNANCE_VOTE, proposal_id || txid || index u32 || choice u8 || revision u32)``. In the
  block at height ``h`` it must name a submitted proposal (``GOV_UNKNOWN_PROPOSAL``) that is still
  pending with ``h < start_superblock`` (``GOV_VOTING_CLOSED``), come from an ACTIVE masternode
  (``GOV_NOT_MASTERNODE``), verify (``GOV_BAD_VOTE_SIGNATURE``), and carry a revision above the
  masternode's recorded vote on that proposal (``GOV_STALE_VOTE``; the first vote may carry any).
  One vote per masternode: the accepted one replaces the recorded one (latest wins; the revision
  stops anyone replaying an older signed vote).
* **GOV-5 tally** at a superblock ``S``, every pending proposal with ``start_superblock <= S`` is
  decided from the votes of masternodes ACTIVE in the list at ``S`` (``n`` of them):
  participation ``(yes + no + abstain) * 10000 >= participation_bps * n`` with ``n > 0``, and
  approval ``yes + no > 0`` and ``yes * 10000 >= approval_bps * (yes + no)``. Both hold: PASSED;
  otherwise REJECTED. Its votes are then dropped.
* **GOV-6 execution** the proposals passed at ``S`` execute in the order (net yes ``yes - no``
  descending, proposal id ascending). A payout is paid if its amount is at most what is left of the
  treasury balance (EXECUTED; the balance goes down), else it is UNFUNDED (never paid; later ones
  may still fit). A parameter change is EXECUTED and scheduled for height ``S + activation_delay``
  unless an earlier one at ``S`` targets the same parameter (SUPERSEDED). Executed ids are recorded;
  a proposal executes at most once because only PASSED proposals execute and execution ends that
  status.
* **GOV-7 activation** at the start of every block at height ``h``, scheduled changes with
  activation height ``<= h`` are written to the :class:`GovernedParameters` overlay, in order of
  activation height then parameter name; :func:`effective_preset` applies the overlay.

Wiring into the chain (done in spec/chain/state.py, ``transition``): for the block at height ``h``,
:func:`begin_block` runs on the governance state after ``h - 1``, the masternode list after
``h - 1`` and ``ChainState.treasury`` after ``h - 1``; the superblock's coinbase must pay its
payments (in order, after the masternode payee) and the treasury is debited by their sum; then
:func:`apply_block_to_governance` applies the block's transactions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import Enum, IntEnum
from functools import cache

from spec.crypto import bls
from spec.encoding import (
    BYTES32,
    U8,
    U32,
    U64,
    Codec,
    FixedBytes,
    Mapped,
    Reader,
    Struct,
    VarBytes,
    decode,
    encode,
)
from spec.errors import (
    BadPayout,
    BadProposalName,
    BadStartSuperblock,
    BadVoteSignature,
    DuplicateProposal,
    InvalidEnumTag,
    NotAMasternode,
    ParameterOutOfRange,
    ProposalFeeTooLow,
    StaleVote,
    TruncatedInput,
    UnknownParameter,
    UnknownProposal,
    VotingClosed,
)
from spec.hashing import HashDomain, tagged_hash, tagged_hash_many
from spec.ledger.transaction import OutPoint, Transaction
from spec.masternode.registry import MasternodeList, MasternodeStatus, split_message
from spec.presets import BASIS_POINTS, GovernableParameter, Preset
from spec.script import OP_RETURN_BYTE, is_unspendable, null_data_script
from spec.sidechain.registry import SIDECHAIN_SPEC_CODEC, SidechainSpec, check_sidechain_spec

GOVERNANCE_PREFIX = b"RCGV"
"""GOV-0: the first bytes of every governance message payload."""
KIND_PROPOSAL = 1
KIND_VOTE = 2
MAX_NAME_BYTES = 64
MAX_PARAMETER_BYTES = 64
TAG_TREASURY_PAYOUT = 0
TAG_PARAMETER_CHANGE = 1
TAG_CREATE_SIDECHAIN = 2


# --------------------------------------------------------------------------------------------
# Messages (GOV-0, GOV-1, GOV-4)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TreasuryPayout:
    """GOV-1: pay ``amount`` atoms from the treasury to ``payment_script``."""

    payment_script: bytes
    amount: int


@dataclass(frozen=True)
class ParameterChange:
    """GOV-1: set the whitelisted preset field ``parameter`` (ASCII ``"section.field"``) to ``new_value``."""

    parameter: bytes
    new_value: int


@dataclass(frozen=True)
class CreateSidechain:
    """GOV-1 / SC-REG-1: register the sidechain ``spec`` at the superblock the proposal passes
    (tag 2, accepted only under fork ``sidechains``: ``governance.sidechain_proposals``)."""

    spec: SidechainSpec


ProposalAction = TreasuryPayout | ParameterChange | CreateSidechain


@dataclass(frozen=True)
class Proposal:
    """GOV-1: a governance proposal."""

    name: bytes
    start_superblock: int
    action: ProposalAction


class VoteChoice(IntEnum):
    """GOV-4: a masternode's choice."""

    YES = 0
    NO = 1
    ABSTAIN = 2


@dataclass(frozen=True)
class Vote:
    """GOV-4: a masternode's signed vote on one proposal."""

    proposal_id: bytes
    masternode: OutPoint
    choice: VoteChoice
    revision: int
    signature: bytes


class ActionCodec(Codec[ProposalAction]):
    """GOV-1: ``tag u8`` (0 payout, 1 parameter change, 2 create sidechain when ``sidechains`` is
    true: SC-FORK-2) then the variant's fields."""

    def __init__(
        self, payout: Struct[TreasuryPayout], change: Struct[ParameterChange], sidechains: bool = False
    ) -> None:
        self.payout = payout
        self.change = change
        self.sidechains = sidechains
        self.min_size = 1 + min(payout.min_size, change.min_size)

    def write(self, value: ProposalAction, out: bytearray) -> None:
        if isinstance(value, TreasuryPayout):
            out.append(TAG_TREASURY_PAYOUT)
            self.payout.write(value, out)
        elif isinstance(value, CreateSidechain):
            out.append(TAG_CREATE_SIDECHAIN)
            SIDECHAIN_SPEC_CODEC.write(value.spec, out)
        else:
            out.append(TAG_PARAMETER_CHANGE)
            self.change.write(value, out)

    def read(self, reader: Reader) -> ProposalAction:
        tag = reader.take_byte()
        if tag == TAG_TREASURY_PAYOUT:
            return self.payout.read(reader)
        if tag == TAG_PARAMETER_CHANGE:
            return self.change.read(reader)
        if tag == TAG_CREATE_SIDECHAIN and self.sidechains:
            return CreateSidechain(SIDECHAIN_SPEC_CODEC.read(reader))
        raise InvalidEnumTag(f"proposal action tag 0x{tag:02x}")


def _choice(value: int) -> VoteChoice:
    try:
        return VoteChoice(value)
    except ValueError:
        raise InvalidEnumTag(f"vote choice 0x{value:02x}") from None


@dataclass(frozen=True)
class GovernanceCodecs:
    """GOV-0 codecs under one preset (payment scripts are bounded by one script element)."""

    proposal: Struct[Proposal]
    vote: Struct[Vote]


@cache
def governance_codecs(preset: Preset) -> GovernanceCodecs:
    """GOV-0: the ``Proposal`` and ``Vote`` codecs for ``preset``."""
    payout = Struct(
        TreasuryPayout, [("payment_script", VarBytes(preset.script.max_element_bytes)), ("amount", U64)]
    )
    change = Struct(ParameterChange, [("parameter", VarBytes(MAX_PARAMETER_BYTES)), ("new_value", U64)])
    proposal = Struct(
        Proposal,
        [
            ("name", VarBytes(MAX_NAME_BYTES)),
            ("start_superblock", U64),
            ("action", ActionCodec(payout, change, preset.governance.sidechain_proposals)),
        ],
    )
    outpoint = Struct(OutPoint, [("txid", BYTES32), ("index", U32)])
    choice: Mapped[int, VoteChoice] = Mapped(U8, int, _choice)
    vote = Struct(
        Vote,
        [
            ("proposal_id", BYTES32),
            ("masternode", outpoint),
            ("choice", choice),
            ("revision", U32),
            ("signature", FixedBytes(bls.SIGNATURE_LENGTH)),
        ],
    )
    return GovernanceCodecs(proposal, vote)


GovernanceMessage = Proposal | Vote


def encode_message(message: GovernanceMessage, preset: Preset) -> bytes:
    """GOV-0: ``prefix || kind || encoding`` of a governance message (the null-data push)."""
    codecs = governance_codecs(preset)
    if isinstance(message, Proposal):
        return GOVERNANCE_PREFIX + bytes([KIND_PROPOSAL]) + encode(codecs.proposal, message)
    return GOVERNANCE_PREFIX + bytes([KIND_VOTE]) + encode(codecs.vote, message)


def decode_message_body(kind: int, body: bytes, preset: Preset) -> GovernanceMessage:
    """GOV-0: the message of ``kind`` encoded by ``body``; ``DECODE_INVALID_TAG`` for an unknown kind."""
    codecs = governance_codecs(preset)
    if kind == KIND_PROPOSAL:
        return decode(codecs.proposal, body)
    if kind == KIND_VOTE:
        return decode(codecs.vote, body)
    raise InvalidEnumTag(f"governance message kind 0x{kind:02x}")


def decode_message(payload: bytes, preset: Preset) -> GovernanceMessage:
    """GOV-0: a whole null-data payload (prefix, kind, body) as a message; ``DECODE_*`` otherwise."""
    if not payload.startswith(GOVERNANCE_PREFIX):
        raise InvalidEnumTag("payload does not start with the governance prefix")
    if len(payload) == len(GOVERNANCE_PREFIX):
        raise TruncatedInput("message prefix without a kind byte")
    return decode_message_body(payload[len(GOVERNANCE_PREFIX)], payload[len(GOVERNANCE_PREFIX) + 1 :], preset)


def message_script(message: GovernanceMessage, preset: Preset) -> bytes:
    """GOV-0: the null-data output script that carries ``message``."""
    return null_data_script(encode_message(message, preset), preset.script)


def match_message(script: bytes, preset: Preset) -> GovernanceMessage | None:
    """GOV-0: the governance message an output script carries, ``None`` if it carries none.

    A script not starting with ``OP_RETURN`` carries none (:func:`split_message` gives ``None``
    for it): answered first, for the block's payments (issue 14)."""
    if script[:1] != OP_RETURN_BYTE:
        return None
    split = split_message(script, GOVERNANCE_PREFIX, preset.script)
    return None if split is None else decode_message_body(split[0], split[1], preset)


def proposal_id(proposal: Proposal, preset: Preset) -> bytes:
    """GOV-1: ``H(GOVERNANCE_PROPOSAL, encode(proposal))``."""
    return tagged_hash(HashDomain.GOVERNANCE_PROPOSAL, encode(governance_codecs(preset).proposal, proposal))


def vote_message(proposal: bytes, masternode: OutPoint, choice: VoteChoice, revision: int) -> bytes:
    """GOV-4: what the operator key signs."""
    return tagged_hash_many(
        HashDomain.GOVERNANCE_VOTE,
        (
            proposal,
            masternode.txid,
            masternode.index.to_bytes(4, "little"),
            bytes([choice]),
            revision.to_bytes(4, "little"),
        ),
    )


# --------------------------------------------------------------------------------------------
# State
# --------------------------------------------------------------------------------------------


class ProposalStatus(Enum):
    """GOV-5/6: PENDING until its superblock; then REJECTED, or PASSED and at once EXECUTED,
    UNFUNDED (payout larger than what was left) or SUPERSEDED (parameter already changed at S)."""

    PENDING = "PENDING"
    PASSED = "PASSED"
    REJECTED = "REJECTED"
    EXECUTED = "EXECUTED"
    UNFUNDED = "UNFUNDED"
    SUPERSEDED = "SUPERSEDED"


@dataclass(frozen=True)
class ProposalRecord:
    """A submitted proposal, its status and (once tallied) its vote counts."""

    proposal_id: bytes
    proposal: Proposal
    submitted_height: int
    status: ProposalStatus
    yes: int = 0
    no: int = 0
    abstain: int = 0


@dataclass(frozen=True)
class VoteRecord:
    """GOV-4: the vote in force for one masternode on one proposal."""

    choice: VoteChoice
    revision: int


@dataclass(frozen=True)
class ScheduledChange:
    """GOV-6: an executed parameter change waiting for its activation height."""

    activation_height: int
    parameter: str
    new_value: int
    proposal_id: bytes


@dataclass(frozen=True)
class GovernedParameters:
    """GOV-7: the overlay of activated parameter changes, sorted by parameter name."""

    values: tuple[tuple[str, int], ...] = ()

    def get(self, name: str) -> int | None:
        """The governed value of ``name``, or ``None`` if governance never changed it."""
        return dict(self.values).get(name)

    def with_value(self, name: str, value: int) -> GovernedParameters:
        """The overlay with ``name`` set to ``value``."""
        return GovernedParameters(tuple(sorted({**dict(self.values), name: value}.items())))


@dataclass(frozen=True)
class Payment:
    """GOV-6: one treasury payment a superblock's coinbase must make."""

    proposal_id: bytes
    script: bytes
    amount: int


@dataclass(frozen=True)
class TallyResult:
    """GOV-5: how one proposal was decided."""

    proposal_id: bytes
    yes: int
    no: int
    abstain: int
    active: int
    participation_met: bool
    approval_met: bool

    @property
    def passed(self) -> bool:
        """Both thresholds hold."""
        return self.participation_met and self.approval_met


@dataclass(frozen=True)
class GovernanceState:
    """Everything governance remembers: proposals, votes in force, executed ids, the overlay."""

    proposals: Mapping[bytes, ProposalRecord]
    votes: Mapping[bytes, Mapping[OutPoint, VoteRecord]]
    executed: frozenset[bytes]
    scheduled: tuple[ScheduledChange, ...]
    parameters: GovernedParameters


EMPTY_STATE = GovernanceState({}, {}, frozenset(), (), GovernedParameters())


def effective_preset(preset: Preset, parameters: GovernedParameters) -> Preset:
    """GOV-7: ``preset`` with every governed ``"section.field"`` replaced by its governed value."""
    result = preset
    for name, value in parameters.values:
        section_name, _, field_name = name.partition(".")
        section = getattr(result, section_name)
        result = replace(result, **{section_name: replace(section, **{field_name: value})})
    return result


def is_superblock(height: int, preset: Preset) -> bool:
    """GOV-3: superblocks are the positive multiples of ``superblock_interval``."""
    return height > 0 and height % preset.governance.superblock_interval == 0


# --------------------------------------------------------------------------------------------
# Submission (GOV-1..3)
# --------------------------------------------------------------------------------------------


def _governable(name: bytes, preset: Preset) -> GovernableParameter | None:
    for parameter in preset.governance.governable:
        if parameter.name.encode() == name:
            return parameter
    return None


def check_action(action: ProposalAction, preset: Preset) -> None:
    """GOV-1: a payout's amount and script, a parameter change's name and range, or a sidechain
    spec's ranges (SC-REG-1, ``SC_BAD_SPEC``)."""
    if isinstance(action, CreateSidechain):
        check_sidechain_spec(action.spec, preset)
        return
    if isinstance(action, TreasuryPayout):
        if not 1 <= action.amount <= preset.ledger.max_money:
            raise BadPayout(f"amount {action.amount} outside [1, max_money]")
        if is_unspendable(action.payment_script, preset.script):
            raise BadPayout("payment script can never be spent")
        return
    parameter = _governable(action.parameter, preset)
    if parameter is None:
        raise UnknownParameter(f"{action.parameter!r} is not governable")
    if not parameter.minimum <= action.new_value <= parameter.maximum:
        raise ParameterOutOfRange(
            f"{parameter.name} = {action.new_value} outside [{parameter.minimum}, {parameter.maximum}]"
        )


def check_proposal(
    state: GovernanceState, proposal: Proposal, fee: int, height: int, preset: Preset
) -> bytes:
    """GOV-1..3 in their fixed order for a proposal burning ``fee`` at ``height``; returns its id."""
    if not 1 <= len(proposal.name) <= MAX_NAME_BYTES or any(not 0x20 <= c <= 0x7E for c in proposal.name):
        raise BadProposalName("a name is 1..64 printable ASCII bytes")
    check_action(proposal.action, preset)
    params = preset.governance
    if fee < params.proposal_fee:
        raise ProposalFeeTooLow(f"burns {fee} atoms, fee is {params.proposal_fee}")
    start = proposal.start_superblock
    if not is_superblock(start, preset) or start - height < params.voting_period:
        raise BadStartSuperblock(f"start {start} at height {height}")
    identifier = proposal_id(proposal, preset)
    if identifier in state.proposals:
        raise DuplicateProposal(identifier.hex())
    return identifier


def add_proposal(
    state: GovernanceState, proposal: Proposal, fee: int, height: int, preset: Preset
) -> GovernanceState:
    """GOV-1..3: the state with ``proposal`` submitted at ``height`` (PENDING)."""
    identifier = check_proposal(state, proposal, fee, height, preset)
    record = ProposalRecord(identifier, proposal, height, ProposalStatus.PENDING)
    return replace(state, proposals={**state.proposals, identifier: record})


def submit_proposal(state: GovernanceState, tx: Transaction, height: int, preset: Preset) -> GovernanceState:
    """GOV-1..3: submit every proposal ``tx`` carries, in output order (its votes are not applied)."""
    for output in tx.outputs:
        message = match_message(output.script_pubkey, preset)
        if isinstance(message, Proposal):
            state = add_proposal(state, message, output.value, height, preset)
    return state


# --------------------------------------------------------------------------------------------
# Votes (GOV-4)
# --------------------------------------------------------------------------------------------


def cast_vote(
    state: GovernanceState, vote: Vote, mn_list: MasternodeList, height: int, preset: Preset
) -> GovernanceState:
    """GOV-4: the state with ``vote`` (included in the block at ``height``) in force."""
    record = state.proposals.get(vote.proposal_id)
    if record is None:
        raise UnknownProposal(vote.proposal_id.hex())
    if record.status is not ProposalStatus.PENDING or height >= record.proposal.start_superblock:
        raise VotingClosed(f"proposal decided at {record.proposal.start_superblock}")
    entry = mn_list.entries.get(vote.masternode)
    if entry is None or entry.status is not MasternodeStatus.ACTIVE:
        raise NotAMasternode(f"{vote.masternode.txid.hex()}:{vote.masternode.index}")
    message = vote_message(vote.proposal_id, vote.masternode, vote.choice, vote.revision)
    if not bls.verify(entry.operator_public_key, message, vote.signature):
        raise BadVoteSignature("operator signature does not verify")
    votes = state.votes.get(vote.proposal_id, {})
    previous = votes.get(vote.masternode)
    if previous is not None and vote.revision <= previous.revision:
        raise StaleVote(f"revision {vote.revision}, recorded {previous.revision}")
    updated = {**votes, vote.masternode: VoteRecord(vote.choice, vote.revision)}
    return replace(state, votes={**state.votes, vote.proposal_id: updated})


def apply_transaction_to_governance(
    state: GovernanceState, tx: Transaction, mn_list: MasternodeList, height: int, preset: Preset
) -> GovernanceState:
    """GOV-0..4: the proposals and votes ``tx`` carries, in output order."""
    for output in tx.outputs:
        message = match_message(output.script_pubkey, preset)
        if isinstance(message, Proposal):
            state = add_proposal(state, message, output.value, height, preset)
        elif isinstance(message, Vote):
            state = cast_vote(state, message, mn_list, height, preset)
    return state


# --------------------------------------------------------------------------------------------
# Tally (GOV-5)
# --------------------------------------------------------------------------------------------


def participation_met(yes: int, no: int, abstain: int, active: int, participation_bps: int) -> bool:
    """GOV-5: ``(yes + no + abstain) * 10000 >= participation_bps * active`` with ``active > 0``."""
    return active > 0 and (yes + no + abstain) * BASIS_POINTS >= participation_bps * active


def approval_met(yes: int, no: int, approval_bps: int) -> bool:
    """GOV-5: ``yes + no > 0`` and ``yes * 10000 >= approval_bps * (yes + no)``."""
    return yes + no > 0 and yes * BASIS_POINTS >= approval_bps * (yes + no)


def count_votes(votes: Mapping[OutPoint, VoteRecord], mn_list: MasternodeList) -> tuple[int, int, int]:
    """GOV-5: ``(yes, no, abstain)`` among the votes of masternodes ACTIVE in ``mn_list``."""
    counts = {choice: 0 for choice in VoteChoice}
    for masternode, vote in votes.items():
        entry = mn_list.entries.get(masternode)
        if entry is not None and entry.status is MasternodeStatus.ACTIVE:
            counts[vote.choice] += 1
    return counts[VoteChoice.YES], counts[VoteChoice.NO], counts[VoteChoice.ABSTAIN]


def tally(
    state: GovernanceState, mn_list: MasternodeList, height: int, preset: Preset
) -> tuple[tuple[TallyResult, ...], GovernanceState]:
    """GOV-5: decide the pending proposals due at the superblock ``height`` (nothing elsewhere).

    Results are in proposal-id order; the decided proposals' votes are dropped.
    """
    if not is_superblock(height, preset):
        return (), state
    active = len(mn_list.active())
    params = preset.governance
    results: list[TallyResult] = []
    proposals = dict(state.proposals)
    votes = dict(state.votes)
    for identifier, record in sorted(state.proposals.items()):
        if record.status is not ProposalStatus.PENDING or record.proposal.start_superblock > height:
            continue
        yes, no, abstain = count_votes(votes.pop(identifier, {}), mn_list)
        result = TallyResult(
            identifier,
            yes,
            no,
            abstain,
            active,
            participation_met(yes, no, abstain, active, params.participation_bps),
            approval_met(yes, no, params.approval_bps),
        )
        results.append(result)
        status = ProposalStatus.PASSED if result.passed else ProposalStatus.REJECTED
        proposals[identifier] = replace(record, status=status, yes=yes, no=no, abstain=abstain)
    return tuple(results), replace(state, proposals=proposals, votes=votes)


# --------------------------------------------------------------------------------------------
# Execution (GOV-6) and activation (GOV-7)
# --------------------------------------------------------------------------------------------


def execution_key(record: ProposalRecord) -> tuple[int, bytes]:
    """GOV-6: net yes votes descending, then proposal id ascending."""
    return -(record.yes - record.no), record.proposal_id


def fund_in_order(amounts: Sequence[int], treasury: int) -> tuple[tuple[bool, ...], int]:
    """GOV-6: which payouts, taken in order, fit what is left of ``treasury``; and what is left."""
    remaining = treasury
    funded: list[bool] = []
    for amount in amounts:
        fits = amount <= remaining
        funded.append(fits)
        remaining -= amount if fits else 0
    return tuple(funded), remaining


def superblock_payments(
    state: GovernanceState, treasury: int, height: int, preset: Preset
) -> tuple[tuple[Payment, ...], GovernanceState]:
    """GOV-6: execute the PASSED proposals; return the payments (total ``<= treasury``) and the state."""
    passed = sorted(
        (r for r in state.proposals.values() if r.status is ProposalStatus.PASSED),
        key=execution_key,
    )
    amounts = [r.proposal.action.amount for r in passed if isinstance(r.proposal.action, TreasuryPayout)]
    funded = iter(fund_in_order(amounts, treasury)[0])
    payments: list[Payment] = []
    proposals = dict(state.proposals)
    executed = set(state.executed)
    scheduled = list(state.scheduled)
    changed_here: set[str] = set()
    activation = height + preset.governance.activation_delay
    for record in passed:
        action = record.proposal.action
        status = ProposalStatus.EXECUTED
        if isinstance(action, CreateSidechain):
            pass  # SC-REG-2: registered by the chain's sidechain transition (created_sidechains)
        elif isinstance(action, TreasuryPayout):
            if next(funded):
                payments.append(Payment(record.proposal_id, action.payment_script, action.amount))
            else:
                status = ProposalStatus.UNFUNDED
        else:
            name = action.parameter.decode("ascii")
            if name in changed_here:
                status = ProposalStatus.SUPERSEDED
            else:
                changed_here.add(name)
                scheduled.append(ScheduledChange(activation, name, action.new_value, record.proposal_id))
        if status is ProposalStatus.EXECUTED:
            executed.add(record.proposal_id)
        proposals[record.proposal_id] = replace(record, status=status)
    new_state = replace(state, proposals=proposals, executed=frozenset(executed), scheduled=tuple(scheduled))
    return tuple(payments), new_state


def created_sidechains(before: GovernanceState, after: GovernanceState) -> tuple[SidechainSpec, ...]:
    """SC-REG-2: the specs of the CREATE_SIDECHAIN proposals :func:`begin_block` executed between
    ``before`` and ``after``, in GOV-6 execution order."""
    executed = [
        record
        for identifier, record in after.proposals.items()
        if record.status is ProposalStatus.EXECUTED
        and isinstance(record.proposal.action, CreateSidechain)
        and identifier not in before.executed
    ]
    return tuple(
        record.proposal.action.spec
        for record in sorted(executed, key=execution_key)
        if isinstance(record.proposal.action, CreateSidechain)
    )


def activate_parameters(state: GovernanceState, height: int) -> GovernanceState:
    """GOV-7: write the changes due at or before ``height`` into the overlay."""
    due = sorted(
        (c for c in state.scheduled if c.activation_height <= height),
        key=lambda c: (c.activation_height, c.parameter),
    )
    if not due:
        return state
    parameters = state.parameters
    for change in due:
        parameters = parameters.with_value(change.parameter, change.new_value)
    waiting = tuple(c for c in state.scheduled if c.activation_height > height)
    return replace(state, scheduled=waiting, parameters=parameters)


def begin_block(
    state: GovernanceState, mn_list: MasternodeList, treasury: int, height: int, preset: Preset
) -> tuple[tuple[Payment, ...], GovernanceState]:
    """GOV-5..7 at the start of the block at ``height``: activation, then tally and payments.

    ``mn_list`` and ``treasury`` are the masternode list and treasury balance after ``height - 1``.
    """
    state = activate_parameters(state, height)
    effective = effective_preset(preset, state.parameters)
    _, state = tally(state, mn_list, height, effective)
    return superblock_payments(state, treasury, height, effective)


def apply_block_to_governance(
    state: GovernanceState,
    transactions: Sequence[Transaction],
    mn_list: MasternodeList,
    height: int,
    preset: Preset,
) -> GovernanceState:
    """GOV-0..4 for a block's transactions in order, under the governed (effective) preset."""
    effective = effective_preset(preset, state.parameters)
    for tx in transactions:
        state = apply_transaction_to_governance(state, tx, mn_list, height, effective)
    return state


def governable_names(preset: Preset) -> tuple[str, ...]:
    """GOV-1: the whitelisted parameter names of ``preset``."""
    return tuple(p.name for p in preset.governance.governable)

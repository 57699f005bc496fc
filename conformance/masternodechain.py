"""A deterministic chain in which masternodes register, get paid and pass a treasury proposal.

It exercises the wiring of the masternode list (MN-*) and governance (GOV-*) into the chain state
transition (spec/chain/state.py) with real, fully validated blocks:

* blocks ``0 .. maturity``: coinbases only;
* ``funding_height``: the miner spends the genesis coinbase into a collateral and a fee coin for
  each of :data:`MASTERNODES` (P2PKH of its owner key);
* ``registration_height``: each masternode registers its collateral (owner signature, BLS proof of
  possession) in its own transaction, paid with its fee coin;
* ``first_paid_height``: the first block that pays a masternode payee (MN-7); it also carries the
  proposal :data:`PROPOSAL_NAME`, a treasury payout of :data:`PAYOUT_COINS` RUST to the grantee,
  starting at the first superblock;
* ``vote_height``: every masternode votes YES;
* ``superblock_height``: the superblock whose coinbase pays the masternode payee and then the
  grantee; the treasury is debited by the payout;
* then ``extra_blocks`` more blocks.

:func:`quorum_chain` continues that chain (``extra_blocks = 1``) until a finality quorum commits
its key on chain (FIN-5/6): a third masternode, :data:`QUORUM_LATECOMER`, is funded and registered,
so the list after the first base height ``I`` with a masternode list (``finality_quorum_interval``)
has ``dkg.min_members`` active masternodes and the chain records the quorum FIN-1 selects; its
members run an honest DKG (:mod:`conformance.dkgbuilder`) and the first ``t`` of them sign the
group key; a transaction carrying the commitment is in the first block of the DKG's FINALIZATION
phase (``I + finalization start``).

Used by the chain vectors (conformance/generators/chain.py) and tests/test_chain_masternodes.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cache

from conformance.chainbuilder import ChainBuilder
from conformance.dkgbuilder import Finished, contribution, finish, quorum_of_session
from conformance.generators.masternode import operator, registration
from conformance.wallet import Key, key, sign_transaction
from spec.chain.state import ChainState
from spec.crypto import bls
from spec.crypto.bls import CURVE_ORDER
from spec.governance.proposals import Proposal, TreasuryPayout, Vote, VoteChoice, proposal_id, vote_message
from spec.governance.proposals import message_script as gov_message_script
from spec.ledger.transaction import SEQUENCE_FINAL, OutPoint, Transaction, TxInput, TxOutput, txid
from spec.masternode.dkg import session_end_height
from spec.masternode.evidence import DkgEquivocationEvidence
from spec.masternode.finality import (
    build_commitment,
    commitment_signature,
    commitment_window,
    finality_dkg_session,
    pose_dkg_session,
)
from spec.masternode.quorum import QuorumType
from spec.masternode.registry import PoSePenalty, QuorumCommitment, penalty_message, pose_quorum_height
from spec.masternode.registry import message_script as mn_message_script
from spec.presets import Preset

MASTERNODES = ("alice", "bob")
PROPOSAL_NAME = b"wired-grant"
PAYOUT_COINS = 5
FEE = 10_000
FEE_COIN_COINS = 2
GRANTEE = key("wiring/grantee")


@dataclass(frozen=True)
class MasternodeChain:
    """The built chain and the heights and outpoints its cases refer to.

    ``builder.blocks[h]`` is the block at height ``h`` and ``builder.states[h]`` the state before it.
    """

    builder: ChainBuilder
    funding_height: int
    registration_height: int
    first_paid_height: int
    vote_height: int
    superblock_height: int
    collaterals: dict[str, OutPoint]
    proposal: Proposal
    proposal_id: bytes


def _spend(
    builder: ChainBuilder, coin: OutPoint, signer: Key, outputs: list[TxOutput], preset: Preset
) -> Transaction:
    """Spend ``coin`` (P2PKH of ``signer``) to ``outputs`` plus change to ``signer``, minus :data:`FEE`."""
    spent = builder.state.utxos[coin].output
    change = spent.value - sum(o.value for o in outputs) - FEE
    unsigned = Transaction(
        1, (TxInput(coin, b"", SEQUENCE_FINAL),), (*outputs, TxOutput(change, signer.script_pubkey)), 0
    )
    return sign_transaction(unsigned, [spent], [signer], preset)


def _coinbase(builder: ChainBuilder, height: int, preset: Preset) -> OutPoint:
    return OutPoint(txid(builder.blocks[height].transactions[0], preset), 0)


def supported(preset: Preset) -> bool:
    """Whether the scenario fits ``preset``: the first superblock must be reachable in a test chain."""
    return preset.governance.superblock_interval <= 64 and preset.ledger.coinbase_maturity + 3 < (
        preset.governance.superblock_interval - preset.governance.voting_period
    )


@cache
def masternode_chain(preset: Preset, extra_blocks: int = 1) -> MasternodeChain:
    """Build the scenario (see the module docstring) under ``preset``."""
    builder = ChainBuilder(preset)
    miner = builder.miner
    maturity = preset.ledger.coinbase_maturity
    for _ in range(maturity + 1):
        builder.extend()

    funding_height = builder.state.height + 1
    unit = preset.ledger.atoms_per_coin
    outputs: list[TxOutput] = []
    for label in MASTERNODES:
        owner = operator(label).owner
        outputs.append(TxOutput(preset.masternodes.collateral, owner.script_pubkey))
        outputs.append(TxOutput(FEE_COIN_COINS * unit, owner.script_pubkey))
    funding = _spend(builder, _coinbase(builder, 0, preset), miner, outputs, preset)
    funding_id = txid(funding, preset)
    builder.extend([funding])
    collaterals = {label: OutPoint(funding_id, 2 * i) for i, label in enumerate(MASTERNODES)}
    fee_coins = {label: OutPoint(funding_id, 2 * i + 1) for i, label in enumerate(MASTERNODES)}

    registration_height = builder.state.height + 1
    registrations = [
        _spend(
            builder,
            fee_coins[label],
            operator(label).owner,
            [TxOutput(0, mn_message_script(registration(label, collaterals[label], preset), preset))],
            preset,
        )
        for label in MASTERNODES
    ]
    builder.extend(registrations)

    first_paid_height = builder.state.height + 1
    superblock = preset.governance.superblock_interval
    proposal = Proposal(PROPOSAL_NAME, superblock, TreasuryPayout(GRANTEE.script_pubkey, PAYOUT_COINS * unit))
    identifier = proposal_id(proposal, preset)
    burn = TxOutput(preset.governance.proposal_fee, gov_message_script(proposal, preset))
    builder.extend([_spend(builder, _coinbase(builder, 1, preset), miner, [burn], preset)])

    vote_height = builder.state.height + 1
    votes = []
    for label in MASTERNODES:
        message = vote_message(identifier, collaterals[label], VoteChoice.YES, 0)
        signature = bls.sign(operator(label).secret, message)
        votes.append(Vote(identifier, collaterals[label], VoteChoice.YES, 0, signature))
    vote_outputs = [TxOutput(0, gov_message_script(v, preset)) for v in votes]
    builder.extend([_spend(builder, _coinbase(builder, 2, preset), miner, vote_outputs, preset)])

    while builder.state.height < superblock + extra_blocks:
        builder.extend()
    return MasternodeChain(
        builder,
        funding_height,
        registration_height,
        first_paid_height,
        vote_height,
        superblock,
        collaterals,
        proposal,
        identifier,
    )


QUORUM_LATECOMER = "carol"
"""The masternode :func:`quorum_chain` registers after the superblock, the third one."""


@dataclass(frozen=True)
class QuorumChain:
    """The masternode chain continued to a block carrying a finality quorum's commitment.

    ``builder.blocks[commitment_height]`` carries ``commitment`` (in its only non-coinbase
    transaction, :attr:`commitment_tx`); ``builder.states[h]`` is the state before block ``h``.
    """

    builder: ChainBuilder
    base_height: int
    commitment_height: int
    finished: Finished
    commitment: QuorumCommitment
    commitment_tx: Transaction

    def sign(self, signers: Iterable[int], group_public_key: bytes | None = None) -> dict[int, bytes]:
        """The operator-key signatures of ``signers`` (member indices) over the commitment hash of
        ``group_public_key`` (default: the DKG's key)."""
        quorum = self.finished.quorum
        key = self.finished.group_public_key if group_public_key is None else group_public_key
        return {
            j: commitment_signature(
                quorum.secrets[j - 1],
                self.base_height,
                quorum.session.session_id,
                key,
                self.finished.key_shares_root,
            )
            for j in signers
        }


def carrier_tx(chain: QuorumChain, commitment: QuorumCommitment, preset: Preset) -> Transaction:
    """A transaction like :attr:`QuorumChain.commitment_tx` (same coin, same fee) carrying ``commitment``."""
    builder = chain.builder
    state = builder.states[chain.commitment_height]
    coin = chain.commitment_tx.inputs[0].previous_output
    spent = state.utxos[coin].output
    outputs = (
        TxOutput(0, mn_message_script(commitment, preset)),
        TxOutput(spent.value - FEE, builder.miner.script_pubkey),
    )
    unsigned = Transaction(1, (TxInput(coin, b"", SEQUENCE_FINAL),), outputs, 0)
    return sign_transaction(unsigned, [spent], [builder.miner], preset)


def _quorum_dkg_and_commitment(
    builder: ChainBuilder, base_height: int, kind: QuorumType, coin: OutPoint, preset: Preset
) -> tuple[Finished, QuorumCommitment, Transaction, int]:
    """Run the DKG of the ``kind`` quorum based at ``base_height`` and prepare its commitment.

    Extends ``builder`` to the base block (if it is not there yet), checks that the block
    transition recorded the quorum with the session FIN-1 (finality) / FIN-7 (PoSe) derives, runs
    an honest DKG among the operators, then extends up to the block before the commitment window
    opens (FIN-5/7). Returns the finished DKG, the commitment signed by the first ``threshold``
    members, the miner's transaction carrying it (spending ``coin``; not yet in a block) and the
    height at which the window opens.
    """
    while builder.state.height < base_height:
        builder.extend()
    after_base = builder.states[base_height + 1]
    if kind == QuorumType.FINALITY:
        session = finality_dkg_session(after_base.masternodes, after_base.tip_hash, base_height, preset)
        record = after_base.quorums.records.get(base_height)
        dkg_label = f"masternodechain/{preset.name}/{base_height}"
    else:
        session = pose_dkg_session(after_base.masternodes, after_base.tip_hash, base_height, preset)
        record = after_base.quorums.pose_records.get(base_height)
        dkg_label = f"masternodechain/{preset.name}/pose/{base_height}"
    if record is None:
        raise AssertionError(f"no {kind.name} quorum recorded at {base_height}")
    assert record.session_id == session.session_id
    secrets = {
        operator(label).public_key: operator(label).secret for label in (*MASTERNODES, QUORUM_LATECOMER)
    }
    finished = finish(quorum_of_session(dkg_label, session, secrets))

    opens, _ = commitment_window(base_height, preset, kind)
    while builder.state.height < opens - 1:
        builder.extend()
    signatures = {
        j: commitment_signature(
            secret, base_height, session.session_id, finished.group_public_key, finished.key_shares_root
        )
        for j, secret in enumerate(finished.quorum.secrets, start=1)
        if j <= session.threshold
    }
    commitment = build_commitment(
        base_height,
        session.session_id,
        finished.group_public_key,
        finished.key_shares_root,
        signatures,
        kind,
    )
    tx = _spend(builder, coin, builder.miner, [TxOutput(0, mn_message_script(commitment, preset))], preset)
    return finished, commitment, tx, opens


def quorum_supported(preset: Preset) -> bool:
    """Whether :func:`quorum_chain` fits ``preset``: three masternodes form a quorum, and the first
    base height after the masternode chain is reachable in a test chain."""
    params = preset.masternodes
    return (
        supported(preset)
        and params.min_quorum_members <= len(MASTERNODES) + 1
        and preset.dkg.min_members <= len(MASTERNODES) + 1
        and params.finality_quorum_interval <= 64
    )


@cache
def quorum_chain(preset: Preset) -> QuorumChain:
    """Build :func:`masternode_chain` on and then the quorum scenario (see the module docstring)."""
    base = masternode_chain(preset)
    builder = ChainBuilder(
        preset,
        miner=base.builder.miner,
        voters=dict(base.builder.voters),
        states=list(base.builder.states),
        blocks=list(base.builder.blocks),
    )
    miner = builder.miner
    owner = operator(QUORUM_LATECOMER).owner
    unit = preset.ledger.atoms_per_coin
    outputs = [
        TxOutput(preset.masternodes.collateral, owner.script_pubkey),
        TxOutput(FEE_COIN_COINS * unit, owner.script_pubkey),
    ]
    funding = _spend(builder, _coinbase(builder, 3, preset), miner, outputs, preset)
    builder.extend([funding])
    collateral, fee_coin = OutPoint(txid(funding, preset), 0), OutPoint(txid(funding, preset), 1)
    signed = registration(QUORUM_LATECOMER, collateral, preset)
    builder.extend(
        [_spend(builder, fee_coin, owner, [TxOutput(0, mn_message_script(signed, preset))], preset)]
    )

    interval = preset.masternodes.finality_quorum_interval
    base_height = -(-(builder.state.height + 1) // interval) * interval
    finished, commitment, tx, commitment_height = _quorum_dkg_and_commitment(
        builder, base_height, QuorumType.FINALITY, _coinbase(builder, 4, preset), preset
    )
    builder.extend([tx])
    return QuorumChain(builder, base_height, commitment_height, finished, commitment, tx)


@dataclass(frozen=True)
class PenaltyChain:
    """:func:`quorum_chain` continued through the PoSe and slashing paths of the block transition.

    ``builder.blocks[h]`` is the block at ``h`` and ``builder.states[h]`` the state before it:

    * ``pose_commitment_height``: the PoSe quorum based at ``pose_base_height`` (FIN-7, the same
      three masternodes, its own DKG) commits its group key (MN-0 kind 5); the block also carries
      :attr:`time_locked_tx`, a payment whose ``lock_time`` is a UNIX time (TX-10 against the
      median time past) and whose input is not final;
    * ``penalty_height``: the first block whose PoSe quorum in charge (QUORUM-1) is that quorum
      carries its penalty of :attr:`penalised` (MN-6, signed with the committed key);
    * ``evidence_height``: a block carrying DKG equivocation evidence (SLASH-2, tag 2) against
      dealer :attr:`equivocator` of the finality quorum: its masternode :attr:`slashed` is
      SLASHED and its collateral burnt (SLASH-4).
    """

    quorum: QuorumChain
    builder: ChainBuilder
    pose_base_height: int
    pose_finished: Finished
    pose_commitment_height: int
    time_locked_tx: Transaction
    penalty_height: int
    penalty: PoSePenalty
    penalised: OutPoint
    evidence_height: int
    evidence: DkgEquivocationEvidence
    equivocator: int
    slashed: OutPoint


TIME_LOCK_COINBASE = 5
"""The coinbase :attr:`PenaltyChain.time_locked_tx` spends (blocks 0..4 are spent by the chains above)."""
PENALTY_COINBASE, EVIDENCE_COINBASE, POSE_COMMITMENT_COINBASE = 6, 7, 8


def penalty_supported(preset: Preset) -> bool:
    """Whether :func:`penalty_chain` fits ``preset``: a PoSe quorum base is reachable after the
    finality quorum's base, and the penalty window after its DKG too."""
    params = preset.masternodes
    return quorum_supported(preset) and params.pose_quorum_interval <= 64


def time_locked_spend(builder: ChainBuilder, coin: OutPoint, lock_time: int, preset: Preset) -> Transaction:
    """The miner spends ``coin`` to itself (minus :data:`FEE`) with ``lock_time`` and a non-final input
    (sequence ``SEQUENCE_FINAL - 1``: TX-10 applies, TX-11's relative lock is disabled)."""
    spent = builder.state.utxos[coin].output
    miner = builder.miner
    unsigned = Transaction(
        1,
        (TxInput(coin, b"", SEQUENCE_FINAL - 1),),
        (TxOutput(spent.value - FEE, miner.script_pubkey),),
        lock_time,
    )
    return sign_transaction(unsigned, [spent], [miner], preset)


def group_secret(finished: Finished) -> bytes:
    """The group secret key of an honest DKG in which every dealer qualified: the sum of the
    dealers' constant terms (a test-only shortcut for the threshold signature of ``t`` members)."""
    total = sum(coefficients[0] for coefficients in finished.quorum.coefficients) % CURVE_ORDER
    secret = bls.encode_secret_key(total)
    if bls.sk_to_pk(secret) != finished.group_public_key:
        raise AssertionError("not every dealer qualified: the group key is not the sum")
    return secret


@cache
def penalty_chain(preset: Preset) -> PenaltyChain:
    """Build :func:`quorum_chain` on and then the PoSe penalty and slashing scenario (see
    :class:`PenaltyChain`)."""
    base = quorum_chain(preset)
    builder = ChainBuilder(
        preset,
        miner=base.builder.miner,
        voters=dict(base.builder.voters),
        states=list(base.builder.states),
        blocks=list(base.builder.blocks),
    )
    miner = builder.miner
    pose_interval = preset.masternodes.pose_quorum_interval
    pose_base = -(-base.base_height // pose_interval) * pose_interval
    finished, _, commitment_tx, _ = _quorum_dkg_and_commitment(
        builder, pose_base, QuorumType.POSE, _coinbase(builder, POSE_COMMITMENT_COINBASE, preset), preset
    )
    locked = time_locked_spend(
        builder, _coinbase(builder, TIME_LOCK_COINBASE, preset), preset.ledger.lock_time_threshold, preset
    )
    pose_commitment_height = builder.state.height + 1
    builder.extend([commitment_tx, locked])

    penalty_height = pose_base + session_end_height(0, preset.dkg)
    assert pose_quorum_height(penalty_height, preset) == pose_base
    while builder.state.height < penalty_height - 1:
        builder.extend()
    equivocator = base.finished.quorum.size
    quorum = base.finished.quorum
    culprit_key = quorum.session.members[equivocator - 1]
    entries = builder.state.masternodes.entries
    slashed = next(o for o, e in sorted(entries.items()) if e.operator_public_key == culprit_key)
    penalised = min(o for o in entries if o != slashed)
    penalty = PoSePenalty(
        penalised,
        pose_base,
        bls.sign(group_secret(finished), penalty_message(penalised, pose_base)),
    )
    builder.extend(
        [
            _spend(
                builder,
                _coinbase(builder, PENALTY_COINBASE, preset),
                miner,
                [TxOutput(0, mn_message_script(penalty, preset))],
                preset,
            )
        ]
    )

    evidence = DkgEquivocationEvidence(
        base.base_height,
        contribution(quorum, equivocator),
        contribution(quorum, equivocator, variant=1),
    )
    evidence_height = builder.state.height + 1
    builder.extend(
        [
            _spend(
                builder,
                _coinbase(builder, EVIDENCE_COINBASE, preset),
                miner,
                [TxOutput(0, mn_message_script(evidence, preset))],
                preset,
            )
        ]
    )
    return PenaltyChain(
        base,
        builder,
        pose_base,
        finished,
        pose_commitment_height,
        locked,
        penalty_height,
        penalty,
        penalised,
        evidence_height,
        evidence,
        equivocator,
        slashed,
    )


def resign_spend(state: ChainState, tx: Transaction, signer: Key, preset: Preset) -> Transaction:
    """``tx`` (single input, P2PKH of ``signer``) with its change output lowered by the value its
    outputs gained and signed again (the fee stays :data:`FEE`)."""
    coin = tx.inputs[0].previous_output
    spent = state.utxos[coin].output
    outputs = list(tx.outputs)
    outputs[-1] = replace(outputs[-1], value=spent.value - FEE - sum(o.value for o in outputs[:-1]))
    unsigned = Transaction(
        tx.version, (TxInput(coin, b"", tx.inputs[0].sequence),), tuple(outputs), tx.lock_time
    )
    return sign_transaction(unsigned, [spent], [signer], preset)

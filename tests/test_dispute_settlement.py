"""A finished dispute on the mainchain: window, revert, penalty (SC-DSP-11..13, docs/disputes.md).

Properties: supply (escrow) and bonds are conserved through a revert; an honest withdrawal of a
good earlier checkpoint is still paid after a later one is reverted, and the reverted ones' are
cancelled; the sidechain resumes from the last good checkpoint. Tag 3 slashing evidence convicts
the whole federation.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance import sidechainbuilder as sb
from conformance.generators.masternode import (
    LABELS,
    checkpoint_evidence,
    federation_checkpoint,
    funded_list,
    slashing_registry,
)
from conformance.seeded import seeded_bytes
from spec.errors import DisputeWindowClosed, EvidenceNotConflicting, UnknownCheckpoint
from spec.masternode.evidence import CheckpointEquivocationEvidence, decode_evidence, encode_evidence
from spec.masternode.quorum import QuorumType
from spec.masternode.registry import MasternodeStatus
from spec.masternode.slashing import apply_evidence, burnt_collaterals, slash_federation
from spec.presets import DEVNET, MAINNET
from spec.sidechain.checkpoint import GENESIS_PARENT
from spec.sidechain.dispute import Outcome, compute_bond_split
from spec.sidechain.header import Checkpoint, compute_header_hash
from spec.sidechain.registry import SidechainsState, total_escrow
from spec.sidechain.settlement import (
    apply_outcome,
    check_dispute_window,
    federation_quorum,
    is_settled_before_maturity,
    revert_checkpoints,
)
from spec.sidechain.state import apply_block_to_sidechains
from tests.hypothesis_profiles import examples

DEPOSIT = 10_000


def _apply(state: SidechainsState, height: int, *outputs: list) -> SidechainsState:  # type: ignore[type-arg]
    return apply_block_to_sidechains(state, sb.block(height, *outputs), height, sb.keys(), sb.PRESET).state


def _chain(amounts: Sequence[int]) -> tuple[SidechainsState, list[Checkpoint]]:
    """A deposit at 12, then checkpoint ``i`` (one withdrawal of ``amounts[i]``) posted at 14 + i."""
    state = _apply(sb.initial(), 12, [sb.deposit_output(sb.CHAIN_A, DEPOSIT)])
    checkpoints: list[Checkpoint] = []
    for i, amount in enumerate(amounts):
        outbox = [sb.withdrawal(amount)]
        checkpoint = (
            sb.genesis_checkpoint(sb.SPEC_A, 12, outbox)
            if i == 0
            else sb.next_checkpoint(sb.SPEC_A, checkpoints[-1], 12, outbox)
        )
        checkpoints.append(checkpoint)
        state = _apply(state, 14 + i, [sb.message_output(checkpoint)])
    return state, checkpoints


def _claim(height: int, amount: int) -> list:  # type: ignore[type-arg]
    return list(sb.claim_outputs(sb.outbox_proof(sb.SPEC_A, height, [sb.withdrawal(amount)], 0)))


@settings(max_examples=examples(15), deadline=None)
@given(
    st.lists(st.integers(1, 500), min_size=1, max_size=4),
    st.data(),
    st.integers(MAINNET.dispute.min_challenger_bond, 10 * MAINNET.dispute.min_challenger_bond),
)
def test_revert_conserves_supply_and_pays_earlier_withdrawals(
    amounts: list[int], data: st.DataObject, challenger_bond: int
) -> None:
    state, checkpoints = _chain(amounts)
    reverted = data.draw(st.integers(0, len(amounts) - 1), label="reverted height")
    posted = 14 + reverted
    opened_at = data.draw(st.integers(posted, posted + sb.SPEC_A.challenge_period - 1), label="opened at")
    check_dispute_window(state, sb.CHAIN_A, reverted, opened_at)
    receives, burnt = compute_bond_split(
        MAINNET.dispute.defender_bond, challenger_bond, MAINNET.dispute.burn_share_bps
    )
    outcome = Outcome(1, "one_step", receives, burnt, reverted, ())
    after = apply_outcome(state, sb.CHAIN_A, outcome)
    # supply and bonds conserved: no value moves, the bonds are paid out or burnt in full
    assert total_escrow(after) == total_escrow(state) == DEPOSIT
    assert receives + burnt == MAINNET.dispute.defender_bond + challenger_bond
    assert after.spent_withdrawals == state.spent_withdrawals
    assert after.delivered_messages == state.delivered_messages
    assert after.pending_messages == state.pending_messages
    record = after.chains[sb.CHAIN_A]
    assert [c.height for c in record.checkpoints] == list(range(reverted))
    assert after.chains[sb.CHAIN_B] == state.chains[sb.CHAIN_B]
    # the good earlier withdrawals are paid once matured; the reverted ones are cancelled
    now = 14 + len(amounts) + sb.SPEC_A.challenge_period
    paid = after
    for height, amount in enumerate(amounts):
        if height < reverted:
            paid = _apply(paid, now, _claim(height, amount))
        else:
            with pytest.raises(UnknownCheckpoint):
                _apply(paid, now, _claim(height, amount))
    assert total_escrow(paid) == DEPOSIT - sum(amounts[:reverted])
    # the sidechain resumes from the last good checkpoint
    parent = GENESIS_PARENT if reverted == 0 else compute_header_hash(checkpoints[reverted - 1].header)
    replacement = sb.sign(sb.header(sb.SPEC_A, reverted, parent, 13, [sb.withdrawal(7)]), QuorumType.FINALITY)
    resumed = _apply(paid, now + 1, [sb.message_output(replacement)])
    assert resumed.chains[sb.CHAIN_A].checkpoints[-1].header_hash == compute_header_hash(replacement.header)
    assert len(resumed.chains[sb.CHAIN_A].checkpoints) == reverted + 1


def test_a_defender_that_won_reverts_nothing() -> None:
    state, _ = _chain([5, 6])
    assert apply_outcome(state, sb.CHAIN_A, Outcome(0, "one_step", 10, 0, None, ())) is state


def test_window_and_unknown_checkpoint() -> None:
    state, _ = _chain([5, 6])
    check_dispute_window(state, sb.CHAIN_A, 1, 15)
    check_dispute_window(state, sb.CHAIN_A, 1, 17)
    for opened_at in (14, 18):
        with pytest.raises(DisputeWindowClosed):
            check_dispute_window(state, sb.CHAIN_A, 1, opened_at)
    with pytest.raises(UnknownCheckpoint):
        check_dispute_window(state, sb.CHAIN_A, 2, 16)
    with pytest.raises(UnknownCheckpoint):
        revert_checkpoints(state, sb.CHAIN_A, 2)
    # SC-DSP-11: mainnet's shortest challenge period outlasts any game; devnet's does not
    assert is_settled_before_maturity(MAINNET.sidechains.min_challenge_period, MAINNET.dispute)
    assert not is_settled_before_maturity(DEVNET.sidechains.min_challenge_period, DEVNET.dispute)


def test_checkpoint_evidence_convicts_the_whole_federation() -> None:
    """SLASH-1/2 tag 3: both checkpoints under quorum I's committed key: every member is slashed."""
    preset = DEVNET
    registry = slashing_registry(preset)
    evidence = checkpoint_evidence(preset)
    assert decode_evidence(encode_evidence(evidence, preset), preset) == evidence
    before = funded_list(LABELS, preset)
    after = apply_evidence(before, registry, evidence, preset)
    record = registry.records[preset.masternodes.finality_quorum_interval]
    burnt = burnt_collaterals(before, after)
    assert len(burnt) == len(record.members) >= 2
    assert {after.entries[o].operator_public_key for o in burnt} == set(record.members)
    assert all(after.entries[o].status is MasternodeStatus.SLASHED for o in burnt)
    # a member outside the quorum is untouched
    others = [o for o in before.entries if o not in burnt]
    assert all(after.entries[o] == before.entries[o] for o in others)
    other = federation_checkpoint(preset, seeded_bytes("masternode/checkpoint/a", 32), height=9)
    with pytest.raises(EvidenceNotConflicting):
        apply_evidence(
            before,
            registry,
            CheckpointEquivocationEvidence(1, evidence.quorum_height, evidence.first, other),
            preset,
        )


def test_a_lost_game_slashes_the_federation_in_charge() -> None:
    """SC-DSP-13: the penalty of a reverted checkpoint is the quorum whose key accepted it."""
    preset = DEVNET
    registry = slashing_registry(preset)
    interval = preset.masternodes.finality_quorum_interval
    record = registry.records[interval]
    posted = next(
        h
        for h in range(interval, interval * 4)
        if federation_quorum(registry, QuorumType.FINALITY, h, preset)
    )
    assert federation_quorum(registry, QuorumType.FINALITY, posted, preset) == record
    assert federation_quorum(registry, QuorumType.POSE, posted, preset) is None
    before = funded_list(LABELS, preset)
    after = slash_federation(before, record.members)
    assert len(burnt_collaterals(before, after)) == len(record.members)
    assert slash_federation(after, record.members) == after  # SLASH-5: once

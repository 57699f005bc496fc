"""POSE-1..3: verdicts from finality DKG exclusions, the judging PoSe quorum, penalty signing.

Properties (docs/governance.md, "Proof of service"): the verdict is exactly the members DKG-8
excluded for MISSING, BAD_JUSTIFICATION or UNANSWERED_COMPLAINT (an equivocator is slashed instead,
an honest member is never judged failed); the judge is the PoSe quorum in charge when the DKG
enters FINALIZATION; any ``t`` of the PoSe quorum's shares give one penalty that MN-6 accepts under
the key the quorum committed on chain (FIN-7), and ``t - 1`` never do.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.generators.masternode import LABELS, funded_list, funding, pose_quorum, pose_record
from spec.errors import InsufficientShares
from spec.masternode.dkg import DkgPhase, DkgResult, Exclusion, phase_start_height
from spec.masternode.finality import QuorumRegistry, committed_pose_key, dkg_length
from spec.masternode.pose import (
    FAILING_EXCLUSIONS,
    judging_quorum_height,
    penalty_from_session,
    penalty_session,
    service_failures,
)
from spec.masternode.registry import apply_penalty, penalty_message
from spec.masternode.signing import add_signature_share, make_signature_share
from spec.presets import DEVNET, MAINNET, Preset
from tests.hypothesis_profiles import examples

PRESET = DEVNET


@given(st.dictionaries(st.integers(1, 400), st.sampled_from(list(Exclusion)), max_size=30))
def test_verdict_is_the_failing_exclusions(excluded: dict[int, Exclusion]) -> None:
    result = DkgResult(bytes(32), 1, (), tuple(excluded.items()), bytes(48), ())
    failures = service_failures(result)
    assert list(failures) == sorted(m for m, r in excluded.items() if r in FAILING_EXCLUSIONS)
    assert not any(excluded[m] is Exclusion.EQUIVOCATION for m in failures)


@given(st.sampled_from((DEVNET, MAINNET)), st.integers(0, 10**6))
def test_the_judge_is_in_charge_at_finalization(preset: Preset, multiple: int) -> None:
    base = multiple * preset.masternodes.finality_quorum_interval
    judge = judging_quorum_height(base, preset)
    finalization = phase_start_height(base, DkgPhase.FINALIZATION, preset.dkg)
    length, interval = dkg_length(preset), preset.masternodes.pose_quorum_interval
    if judge is None:
        assert finalization < length
    else:
        assert judge % interval == 0 and judge + length <= finalization < judge + length + interval


@settings(max_examples=examples(8), deadline=None)
@given(st.data())
def test_any_t_shares_give_a_penalty_mn6_accepts(data: st.DataObject) -> None:
    pose = PRESET.masternodes.pose_quorum_interval
    finished, record = pose_quorum(pose, PRESET), pose_record(pose, PRESET)
    result = finished.result
    t, n = result.threshold, len(record.members)
    target = funding(PRESET).collateral(data.draw(st.sampled_from(LABELS)))
    signers = data.draw(st.lists(st.integers(1, n), min_size=t - 1, max_size=n, unique=True))
    session = penalty_session(result.session_id, result.public_key_shares, t, target, pose)
    message = penalty_message(target, pose)
    for j in signers:
        session = add_signature_share(
            session, make_signature_share(result.session_id, message, finished.secret_shares[j - 1])
        )
    if len(signers) < t:
        with pytest.raises(InsufficientShares):
            penalty_from_session(session, target, pose)
        return
    penalty = penalty_from_session(session, target, pose)
    registry = QuorumRegistry({}, {pose: replace(record, group_public_key=result.group_public_key)})
    height = pose + dkg_length(PRESET)
    key = committed_pose_key(registry, height, PRESET)
    assert key == result.group_public_key
    after = apply_penalty(funded_list(LABELS, PRESET), penalty, height, PRESET, key)
    assert after.entries[target].pose_score == PRESET.masternodes.pose_penalty
    assert after.entries[target].last_penalty_quorum_height == pose

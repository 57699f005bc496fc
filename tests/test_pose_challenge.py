"""POSE-4..8: liveness challenges, responses, the block-measured deadline, the verdict, the ban bound.

Properties (docs/governance.md, "Liveness challenges"):

* challenges and responses are canonical (ENC-2) and a one-byte change is rejected or decodes to
  another message;
* an honest responsive masternode is never penalised: whatever block (below the deadline) its
  genuine response reaches each challenger at, POSE-7 signs nothing against it, while every silent
  or late target is penalised;
* a silent masternode, penalised once a term by the real MN-5 decay and MN-6 penalty functions, is
  banned after exactly :func:`~spec.masternode.challenge.terms_to_ban` terms, on both presets and
  for any parameters in range.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.generators.masternode import (
    LABELS,
    challenge_scenario,
    funded_list,
    funding,
    operator,
    operator_secrets,
    pose_quorum_key,
    sign_penalty,
)
from spec.errors import (
    DecodeError,
    InvalidPreset,
    MasternodeNotActive,
    PoSeBadChallengeSignature,
    PoSeBadResponseSignature,
    PoSeChallengeOutOfTerm,
    PoSeNotChallenger,
    PoSeResponseLate,
    PoSeUnknownChallenger,
    PoSeWrongChallenge,
    SpecError,
)
from spec.ledger.transaction import OutPoint
from spec.masternode.challenge import (
    assigned_targets,
    challenge_digest,
    challenge_targets,
    challenge_window,
    challengers,
    check_challenge,
    check_response,
    check_response_in_time,
    decode_challenge,
    decode_response,
    encode_challenge,
    encode_response,
    make_challenge,
    make_response,
    terms_to_ban,
    unanswered,
)
from spec.masternode.registry import (
    MasternodeList,
    MasternodeStatus,
    apply_penalty,
    decay_scores,
    decayed_score,
    penalised_score,
)
from spec.presets import DEVNET, MAINNET, Preset, parse_preset
from tests.hypothesis_profiles import examples

PRESET = DEVNET


def test_the_window_opens_with_the_term_and_closes_inside_it() -> None:
    for preset in (DEVNET, MAINNET):
        interval = preset.masternodes.pose_quorum_interval
        first, deadline = challenge_window(interval, preset)
        assert first == interval + 25  # the DKG length of both presets
        assert deadline == first + preset.masternodes.pose_response_blocks
        assert deadline < first + interval  # a penalty signed at the deadline lands in the term


def test_a_response_window_as_long_as_the_interval_is_refused() -> None:
    from importlib import resources

    text = (resources.files("spec.presets") / "devnet.toml").read_text()
    bad = text.replace("pose_response_blocks = 5 ", "pose_response_blocks = 30 ")
    assert bad != text
    with pytest.raises(InvalidPreset):
        parse_preset(bad)


def test_challenge_and_response_round_trip_and_check() -> None:
    sc = challenge_scenario(PRESET)
    raw = encode_challenge(sc.challenge)
    assert len(raw) == 174 and decode_challenge(raw) == sc.challenge
    assert len(encode_response(sc.response)) == 128
    assert decode_response(encode_response(sc.response)) == sc.response
    check_challenge(sc.record, sc.mn_list, sc.challenge, sc.first, PRESET)
    check_response(sc.mn_list, sc.challenge, sc.response)
    check_response_in_time(sc.challenge.quorum_height, sc.deadline - 1, PRESET)
    with pytest.raises(PoSeResponseLate):
        check_response_in_time(sc.challenge.quorum_height, sc.deadline, PRESET)


def test_every_challenge_check_rejects_with_its_code() -> None:
    sc = challenge_scenario(PRESET)
    c = sc.challenge
    with pytest.raises(PoSeChallengeOutOfTerm):
        check_challenge(sc.record, sc.mn_list, c, sc.deadline, PRESET)
    with pytest.raises(PoSeChallengeOutOfTerm):
        check_challenge(sc.record, sc.mn_list, c, sc.first - 1, PRESET)
    with pytest.raises(PoSeUnknownChallenger):
        check_challenge(sc.record, sc.mn_list, replace(c, challenger=0), sc.first, PRESET)
    banned = MasternodeList(
        {
            **sc.mn_list.entries,
            c.target: replace(sc.mn_list.entries[c.target], status=MasternodeStatus.POSE_BANNED),
        }
    )
    with pytest.raises(MasternodeNotActive):
        check_challenge(sc.record, banned, c, sc.first, PRESET)
    with pytest.raises(PoSeBadChallengeSignature):
        check_challenge(sc.record, sc.mn_list, replace(c, nonce=bytes(32)), sc.first, PRESET)
    n = len(sc.record.members)
    outsider = next(j for j in range(1, n + 1) if j not in challengers(c.quorum_height, c.target, n, PRESET))
    foreign = make_challenge(
        operator_secrets()[sc.record.members[outsider - 1]], c.quorum_height, outsider, c.target, c.nonce
    )
    with pytest.raises(PoSeNotChallenger):
        check_challenge(sc.record, sc.mn_list, foreign, sc.first, PRESET)
    other = make_challenge(
        operator_secrets()[sc.record.members[0]], c.quorum_height, 1, c.target, b"\x01" * 32
    )
    with pytest.raises(PoSeWrongChallenge):
        check_response(sc.mn_list, other, sc.response)
    with pytest.raises(PoSeBadResponseSignature):
        check_response(sc.mn_list, c, make_response(operator_secrets()[sc.record.members[0]], c))


@settings(max_examples=examples(40), deadline=None)
@given(st.integers(0, 173), st.integers(1, 255))
def test_a_changed_challenge_byte_never_passes_as_the_same_challenge(position: int, flip: int) -> None:
    sc = challenge_scenario(PRESET)
    raw = bytearray(encode_challenge(sc.challenge))
    raw[position] ^= flip
    try:
        changed = decode_challenge(bytes(raw))
        check_challenge(sc.record, sc.mn_list, changed, sc.first, PRESET)
    except (DecodeError, SpecError):
        return
    raise AssertionError(f"a challenge with byte {position} changed was accepted")


def test_targets_are_every_other_active_masternode() -> None:
    mn_list = funded_list(LABELS, PRESET)
    own = operator(LABELS[0]).public_key
    bob = funding(PRESET).collateral(LABELS[1])
    banned = MasternodeList(
        {**mn_list.entries, bob: replace(mn_list.entries[bob], status=MasternodeStatus.POSE_BANNED)}
    )
    targets = challenge_targets(banned, own)
    expected = {funding(PRESET).collateral(label) for label in LABELS[2:]}
    assert set(targets) == expected and len(targets) == len(expected)


@settings(max_examples=examples(10), deadline=None)
@given(st.data())
def test_an_honest_responsive_masternode_is_never_penalised(data: st.DataObject) -> None:
    """POSE-4..7 end to end for one challenger: each target is responsive (its genuine response
    reaches the challenger at some block below the deadline), late (at or after it) or silent."""
    sc = challenge_scenario(PRESET)
    secrets = operator_secrets()
    challenger_key = secrets[sc.record.members[0]]
    quorum_height = sc.challenge.quorum_height
    n = len(sc.record.members)
    targets = assigned_targets(sc.mn_list, sc.record.members[0], quorum_height, 1, n, PRESET)[:5]
    assert targets  # POSE-11: member 1 challenges only the targets whose subset holds it
    behaviour = data.draw(
        st.lists(
            st.sampled_from(("responsive", "late", "silent")), min_size=len(targets), max_size=len(targets)
        )
    )
    by_key = {operator(label).public_key: operator(label).secret for label in LABELS}
    answered: dict[OutPoint, int] = {}
    for target, kind in zip(targets, behaviour, strict=True):
        nonce = data.draw(st.binary(min_size=32, max_size=32))
        challenge = make_challenge(challenger_key, quorum_height, 1, target, nonce)
        check_challenge(sc.record, sc.mn_list, challenge, sc.first, PRESET)
        if kind == "silent":
            continue
        response = make_response(by_key[sc.mn_list.entries[target].operator_public_key], challenge)
        check_response(sc.mn_list, challenge, response)
        assert response.challenge == challenge_digest(challenge)
        if kind == "responsive":
            received = data.draw(st.integers(sc.first, sc.deadline - 1))
            check_response_in_time(quorum_height, received, PRESET)
        else:
            received = data.draw(st.integers(sc.deadline, sc.deadline + 100))
            with pytest.raises(PoSeResponseLate):
                check_response_in_time(quorum_height, received, PRESET)
        answered[target] = received
    penalised = set(unanswered(targets, answered, quorum_height, PRESET))
    responsive = {t for t, kind in zip(targets, behaviour, strict=True) if kind == "responsive"}
    assert not penalised & responsive
    assert penalised == set(targets) - responsive


def _silent_terms(preset: Preset, limit: int) -> tuple[int, int | None]:
    """Penalise one masternode at every PoSe deadline with the real MN-5 decay and MN-6 penalty;
    return (penalties applied, the term index at which it was banned or ``None``)."""
    interval = preset.masternodes.pose_quorum_interval
    mn_list = funded_list(LABELS[:3], preset)
    target = funding(preset).collateral(LABELS[1])
    height = 0
    for term in range(limit):
        quorum_height = interval * (term + 1)
        deadline = challenge_window(quorum_height, preset)[1]
        while height < deadline:
            height += 1
            mn_list = decay_scores(mn_list, preset)
        penalty = sign_penalty(target, quorum_height, preset)
        mn_list = apply_penalty(mn_list, penalty, height, preset, pose_quorum_key(quorum_height, preset))
        if mn_list.entries[target].status is MasternodeStatus.POSE_BANNED:
            return term + 1, term + 1
    return limit, None


@pytest.mark.parametrize("preset", [DEVNET, MAINNET], ids=lambda p: p.name)
def test_a_silent_masternode_is_banned_after_terms_to_ban_terms(preset: Preset) -> None:
    params = preset.masternodes
    bound = terms_to_ban(
        params.pose_penalty,
        params.pose_ban_threshold,
        params.pose_decay_per_block,
        params.pose_quorum_interval,
    )
    assert bound == 4
    applied, banned_at = _silent_terms(preset, bound + 2)
    assert banned_at == bound and applied == bound


@settings(max_examples=examples(200), deadline=None)
@given(st.integers(1, 1000), st.integers(1, 5000), st.integers(1, 50), st.integers(1, 200))
def test_the_ban_bound_is_exact_for_any_parameters(
    penalty: int, threshold: int, decay: int, interval: int
) -> None:
    """POSE-8 against MN-5/6's own arithmetic: one penalty every ``interval`` blocks of decay."""
    bound = terms_to_ban(penalty, threshold, decay, interval)
    limit = 50 if bound is None else bound
    score, banned_at = 0, None
    for term in range(1, limit + 1):
        if term > 1:
            for _ in range(interval):
                score = decayed_score(score, decay)
        score, banned = penalised_score(score, penalty, threshold)
        if banned:
            banned_at = term
            break
    assert banned_at == bound

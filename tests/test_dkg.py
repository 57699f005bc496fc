"""DKG (DKG-1..10) and threshold signing sessions (SIGN-1..4): properties and rules.

Sessions use seeded quorums (:mod:`conformance.dkgbuilder`) on the default arkworks backend.
Hypothesis draws quorum sizes, thresholds and byzantine behaviours; the example counts are small
because one session costs tens of milliseconds.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance import dkgbuilder
from conformance.dkgbuilder import Quorum, honest_contributions, make_quorum, tampered
from spec.chain.forkchoice import FinalityCertificate, finality_message, verify_finality_certificate
from spec.crypto import bls
from spec.crypto.bls import CURVE_ORDER, G1_GENERATOR, G1_IDENTITY
from spec.crypto.threshold import Share, lagrange_coefficients_at_zero, polynomial_eval, recover_signature
from spec.errors import (
    DkgBadSignature,
    DkgFailed,
    DkgInvalidParameters,
    DkgMalformedCiphertext,
    DkgMalformedContribution,
    DkgMalformedJustification,
    DkgSelfComplaint,
    DkgShareMismatch,
    DkgUnknownMember,
    DkgUnsolicitedJustification,
    DkgWrongPhase,
    DkgWrongSession,
    InsufficientShares,
    InvalidPreset,
    InvalidPublicKey,
    InvalidSecretKey,
    InvalidSignatureEncoding,
    InvalidSignatureShare,
    SignDuplicateShare,
    SignInvalidSession,
    SignUnknownSigner,
    SignWrongSession,
    TrailingBytes,
)
from spec.masternode import dkg, signing
from spec.masternode.dkg import DkgPhase, DkgResult, DkgSession, Exclusion
from spec.presets import DEVNET, MAINNET, parse_preset
from tests.hypothesis_profiles import examples

PRESET = MAINNET
MESSAGE = b"\x5a" * 32


@cache
def _quorum(members: int, threshold: int, label: str = "test") -> Quorum:
    return make_quorum(f"{label}-{members}-{threshold}", members, threshold, PRESET)


@cache
def _honest(members: int, threshold: int) -> tuple[DkgSession, DkgResult]:
    quorum = _quorum(members, threshold)
    state = dkgbuilder.run_session(quorum, honest_contributions(quorum))
    return state, dkg.finalize(state)


def _secret_shares(
    quorum: Quorum, state: DkgSession, result: DkgResult, members: range | list[int]
) -> list[Share]:
    return [dkg.member_secret_share(state, result, j, quorum.secrets[j - 1]) for j in members]


def _g1(scalar: int) -> bytes:
    return bls.g1_multiply(G1_GENERATOR, scalar)


# --------------------------------------------------------------------------------------------
# Honest sessions (DKG-4, DKG-8, DKG-9)
# --------------------------------------------------------------------------------------------


@settings(max_examples=examples(20))
@given(data=st.data())
def test_honest_session_group_key_and_any_t_shares_sign(data: st.DataObject) -> None:
    members = data.draw(st.integers(3, 7), label="n")
    threshold = data.draw(st.integers(1, members), label="t")
    quorum = _quorum(members, threshold)
    state = dkgbuilder.run_session(quorum, honest_contributions(quorum))
    result = dkg.finalize(state)
    assert result.qualified == tuple(range(1, members + 1)) and result.excluded == ()
    group_secret = sum(c[0] for c in quorum.coefficients) % CURVE_ORDER
    assert result.group_public_key == _g1(group_secret)
    secrets = _secret_shares(quorum, state, result, range(1, members + 1))
    for share, public in zip(secrets, result.public_key_shares, strict=True):
        assert bls.sk_to_pk(share.value) == public.value
    signatures = [signing.make_signature_share(result.session_id, MESSAGE, s) for s in secrets]
    subset_a = data.draw(st.permutations(range(members)), label="subset a")[:threshold]
    subset_b = data.draw(st.permutations(range(members)), label="subset b")[:threshold]
    recovered = []
    for subset in (subset_a, subset_b):
        session = signing.start_signing(result.session_id, result.public_key_shares, threshold, MESSAGE)
        for position in subset:
            session = signing.add_signature_share(session, signatures[position])
        recovered.append(signing.try_recover(session))
    assert recovered[0] is not None and recovered[0] == recovered[1]
    assert bls.verify(result.group_public_key, MESSAGE, recovered[0])
    assert recovered[0] == bls.sign(bls.encode_secret_key(group_secret), MESSAGE)


def test_public_key_shares_interpolate_to_group_key() -> None:
    _, result = _honest(7, 5)
    assert (
        bls.g1_linear_combination(
            [s.value for s in result.public_key_shares[2:7]], lagrange_coefficients_at_zero(range(3, 8))
        )
        == result.group_public_key
    )


# --------------------------------------------------------------------------------------------
# Byzantine dealers (DKG-5..8)
# --------------------------------------------------------------------------------------------

BEHAVIOURS = ("bad_share", "missing", "equivocation")


@st.composite
def byzantine_scenarios(draw: st.DrawFn) -> tuple[int, int, dict[int, str], dict[int, list[int]]]:
    members = draw(st.integers(4, 7))
    threshold = draw(st.integers(2, members - 1))
    count = draw(st.integers(1, members - threshold))
    dealers = draw(st.permutations(range(1, members + 1)))[:count]
    behaviour = {d: draw(st.sampled_from(BEHAVIOURS)) for d in dealers}
    honest = [j for j in range(1, members + 1) if j not in behaviour]
    victims = {
        d: draw(st.lists(st.sampled_from(honest), min_size=1, max_size=len(honest), unique=True))
        for d, kind in behaviour.items()
        if kind == "bad_share"
    }
    return members, threshold, behaviour, victims


def _byzantine_messages(
    quorum: Quorum, behaviour: dict[int, str], victims: dict[int, list[int]]
) -> list[dkg.Contribution]:
    messages = []
    for dealer in range(1, quorum.size + 1):
        kind = behaviour.get(dealer)
        if kind is None:
            messages.append(dkgbuilder.contribution(quorum, dealer))
        elif kind == "bad_share":
            messages.append(tampered(quorum, dealer, victims[dealer]))
        elif kind == "equivocation":
            messages += [dkgbuilder.contribution(quorum, dealer), dkgbuilder.contribution(quorum, dealer, 1)]
    return messages


@settings(max_examples=examples(30))
@given(scenario=byzantine_scenarios())
def test_byzantine_dealers_are_excluded_and_result_matches_honest_only(
    scenario: tuple[int, int, dict[int, str], dict[int, list[int]]],
) -> None:
    members, threshold, behaviour, victims = scenario
    quorum = _quorum(members, threshold)
    honest = [j for j in range(1, members + 1) if j not in behaviour]
    state = dkgbuilder.run_session(
        quorum, _byzantine_messages(quorum, behaviour, victims), complainers=honest, justifiers=honest
    )
    result = dkg.finalize(state)
    expected = {
        "bad_share": Exclusion.UNANSWERED_COMPLAINT,
        "missing": Exclusion.MISSING,
        "equivocation": Exclusion.EQUIVOCATION,
    }
    assert dict(result.excluded) == {d: expected[kind] for d, kind in behaviour.items()}
    assert result.qualified == tuple(honest)

    reference_state = dkgbuilder.run_session(quorum, honest_contributions(quorum, honest))
    reference = dkg.finalize(reference_state)
    assert result.group_public_key == reference.group_public_key
    assert result.public_key_shares == reference.public_key_shares
    assert _secret_shares(quorum, state, result, honest) == _secret_shares(
        quorum, reference_state, reference, honest
    )


@settings(max_examples=examples(10))
@given(data=st.data())
def test_more_than_n_minus_t_byzantine_fails(data: st.DataObject) -> None:
    members = data.draw(st.integers(3, 6), label="n")
    threshold = data.draw(st.integers(1, members), label="t")
    count = data.draw(st.integers(members - threshold + 1, members), label="byzantine")
    quorum = _quorum(members, threshold)
    byzantine = set(data.draw(st.permutations(range(1, members + 1)))[:count])
    honest = [j for j in range(1, members + 1) if j not in byzantine]
    state = dkgbuilder.run_session(quorum, honest_contributions(quorum, honest))
    with pytest.raises(DkgFailed):
        dkg.finalize(state)


def _complained(quorum: Quorum, dealer: int, victim: int) -> DkgSession:
    """A session in JUSTIFICATION where ``victim`` complained about ``dealer``'s tampered share."""
    messages = honest_contributions(quorum)
    messages[dealer - 1] = tampered(quorum, dealer, [victim])
    state = quorum.session
    for message in messages:
        state = dkg.receive_contribution(state, message)
    state = dkg.advance_phase(state)
    assert dkg.find_bad_shares(state, {victim: quorum.secrets[victim - 1]}) == {victim: (dealer,)}
    state = dkg.receive_complaint(
        state, dkg.make_complaint(state, victim, dealer, quorum.secrets[victim - 1])
    )
    return dkg.advance_phase(state)


@settings(max_examples=examples(30))
@given(ephemeral=st.integers(1, CURVE_ORDER - 1))
def test_a_justification_never_makes_a_bad_share_accepted(ephemeral: int) -> None:
    """DKG-7/12: whatever ephemeral key the dealer of a bad share reveals -- its real one, which
    opens the bad share it committed to, or any other -- it is disqualified."""
    quorum = _quorum(5, 3)
    state = _complained(quorum, 2, 4)
    correct = dkg.make_justification(state, 2, 4, quorum.seeds[1], quorum.secrets[1])
    other = dkgbuilder.resign(quorum, replace(correct, ephemeral=ephemeral.to_bytes(32, "big")), 2)
    for order in ((other,), (correct,), (other, correct), (correct, other)):
        after = state
        for message in order:
            after = dkg.receive_justification(after, message)
        assert 2 in after.bad_justifiers
        result = dkg.finalize(dkg.advance_phase(after))
        assert 2 not in result.qualified and (2, Exclusion.BAD_JUSTIFICATION) in result.excluded


def test_valid_justification_clears_complaint_and_replaces_share() -> None:
    """A false complaint against an honest dealer: its revealed key opens the right share."""
    quorum = _quorum(5, 3)
    state = quorum.session
    for message in honest_contributions(quorum):
        state = dkg.receive_contribution(state, message)
    state = dkg.advance_phase(state)
    state = dkg.advance_phase(
        dkg.receive_complaint(state, dkg.make_complaint(state, 4, 2, quorum.secrets[3]))
    )
    answer = dkg.make_justification(state, 2, 4, quorum.seeds[1], quorum.secrets[1])
    state = dkg.advance_phase(dkg.receive_justification(state, answer))
    assert state.answered == {(2, 4): polynomial_eval(quorum.coefficients[1], 4)}
    result = dkg.finalize(state)
    assert result.qualified == (1, 2, 3, 4, 5)
    _, honest = _honest(5, 3)
    assert result.group_public_key == honest.group_public_key
    assert result.public_key_shares == honest.public_key_shares
    share = dkg.member_secret_share(state, result, 4, quorum.secrets[3])
    assert bls.sk_to_pk(share.value) == result.public_key_shares[3].value


def test_unanswered_complaint_and_silent_victim() -> None:
    quorum = _quorum(5, 3)
    state = dkg.advance_phase(_complained(quorum, 2, 4))
    result = dkg.finalize(state)
    assert result.excluded == ((2, Exclusion.UNANSWERED_COMPLAINT),)
    # A victim that does not complain keeps the bad share and cannot derive a matching key.
    messages = honest_contributions(quorum)
    messages[1] = tampered(quorum, 2, [4])
    silent = dkgbuilder.run_session(quorum, messages, complainers=[1, 2, 3, 5])
    silent_result = dkg.finalize(silent)
    assert silent_result.qualified == (1, 2, 3, 4, 5)
    with pytest.raises(DkgShareMismatch):
        dkg.member_secret_share(silent, silent_result, 4, quorum.secrets[3])
    assert dkg.member_secret_share(silent, silent_result, 3, quorum.secrets[2]).index == 3


def test_batch_weights_catch_offsetting_errors() -> None:
    """DKG-10: two dealers whose errors cancel in an unweighted sum are still both caught."""
    quorum = _quorum(5, 3)
    messages = honest_contributions(quorum)
    dealt = [polynomial_eval(quorum.coefficients[d - 1], 3) for d in range(1, 6)]
    for dealer, delta in ((1, 7), (2, CURVE_ORDER - 7)):
        dealt[dealer - 1] = (dealt[dealer - 1] + delta) % CURVE_ORDER
        ciphertexts = list(messages[dealer - 1].ciphertexts)
        ciphertexts[2] = dkgbuilder.encrypted_share(quorum, dealer, 3, dealt[dealer - 1])
        messages[dealer - 1] = dkgbuilder.resign(
            quorum, replace(messages[dealer - 1], ciphertexts=tuple(ciphertexts)), dealer
        )
    state = quorum.session
    for message in messages:
        state = dkg.receive_contribution(state, message)
    unweighted_sum = sum(dealt) % CURVE_ORDER
    summed = [bls.g1_add([m.commitments[k] for m in messages]) for k in range(3)]
    assert dkg.verify_share(summed, 3, unweighted_sum.to_bytes(32, "big"))  # the naive batch passes
    everyone = {j: quorum.secrets[j - 1] for j in range(1, 6)}
    assert dkg.find_bad_shares(state, everyone) == {1: (), 2: (), 3: (1, 2), 4: (), 5: ()}


@settings(max_examples=examples(15))
@given(data=st.data())
def test_result_does_not_depend_on_message_order(data: st.DataObject) -> None:
    quorum = _quorum(5, 3)
    messages = [
        tampered(quorum, 1, [2]),
        *honest_contributions(quorum, [2, 3]),
        dkgbuilder.contribution(quorum, 4),
        dkgbuilder.contribution(quorum, 4, 1),
        dkgbuilder.contribution(quorum, 5),
    ]
    reference = dkg.finalize(dkgbuilder.run_session(quorum, messages, justifiers=[2, 3, 4, 5]))
    shuffled = data.draw(st.permutations(messages))
    assert dkg.finalize(dkgbuilder.run_session(quorum, shuffled, justifiers=[2, 3, 4, 5])) == reference


# --------------------------------------------------------------------------------------------
# Message acceptance rules (DKG-1..7)
# --------------------------------------------------------------------------------------------


def test_start_session_checks() -> None:
    quorum = _quorum(5, 3)
    keys = quorum.publics
    quorum_hash = quorum.session.quorum_hash
    cases = [
        ((keys, 3, quorum_hash[:31], 0), DkgInvalidParameters),
        ((keys[:2], 2, quorum_hash, 0), DkgInvalidParameters),
        ((keys, 6, quorum_hash, 0), DkgInvalidParameters),
        ((keys, 0, quorum_hash, 0), DkgInvalidParameters),
        ((keys, 3, quorum_hash, -1), DkgInvalidParameters),
        ((keys, 3, quorum_hash, 2**64), DkgInvalidParameters),
        (((*keys[:4], keys[0]), 3, quorum_hash, 0), DkgInvalidParameters),
        (((*keys[:4], G1_IDENTITY), 3, quorum_hash, 0), InvalidPublicKey),
    ]
    for (member_keys, threshold, qhash, height), error in cases:
        with pytest.raises(error):
            dkg.start_session(member_keys, threshold, qhash, height, PRESET)
    with pytest.raises(DkgInvalidParameters):
        dkg.start_session([_g1(j) for j in range(1, 52)], 3, quorum_hash, 0, DEVNET)
    assert dkg.start_session(keys, 3, quorum_hash, 0, PRESET) == quorum.session


def test_session_id_binds_every_parameter() -> None:
    quorum = _quorum(5, 3)
    base = (quorum.session.quorum_hash, 0, 3, quorum.publics)
    ids = {
        dkg.session_id(*base),
        dkg.session_id(b"\x00" * 32, 0, 3, quorum.publics),
        dkg.session_id(base[0], 1, 3, quorum.publics),
        dkg.session_id(base[0], 0, 4, quorum.publics),
        dkg.session_id(base[0], 0, 3, quorum.publics[::-1]),
    }
    assert len(ids) == 5


def test_contribution_rejections_in_order() -> None:
    quorum = _quorum(5, 3)
    state = quorum.session
    good = dkgbuilder.contribution(quorum, 1)
    other = _quorum(5, 3, "other")
    with pytest.raises(DkgWrongSession):
        dkg.receive_contribution(state, dkgbuilder.contribution(other, 1))
    with pytest.raises(DkgUnknownMember):
        dkg.receive_contribution(state, replace(good, dealer=0))
    # Shape comes before the signature: a bad shape with a bad signature is malformed.
    with pytest.raises(DkgMalformedContribution):
        dkg.receive_contribution(state, replace(good, commitments=good.commitments[:2]))
    with pytest.raises(DkgMalformedContribution):
        dkg.receive_contribution(state, replace(good, commitments=(*good.commitments[:2], b"\x01" * 47)))
    with pytest.raises(DkgMalformedContribution):
        dkg.receive_contribution(state, replace(good, ciphertexts=good.ciphertexts[1:]))
    with pytest.raises(DkgMalformedCiphertext):
        dkg.receive_contribution(state, replace(good, ciphertexts=(b"\xff" * 95, *good.ciphertexts[1:])))
    with pytest.raises(DkgBadSignature):
        dkg.receive_contribution(state, replace(good, signature=good.signature[:95]))
    with pytest.raises(DkgBadSignature):
        dkg.receive_contribution(state, replace(good, signature=b"\x00" * 96))
    with pytest.raises(DkgBadSignature):
        dkg.receive_contribution(state, dkgbuilder.resign(quorum, good, 2))
    # The signature comes before point validity.
    last_identity = dkgbuilder.resign(
        quorum, replace(good, commitments=(*good.commitments[:2], G1_IDENTITY)), 1
    )
    with pytest.raises(DkgMalformedContribution):
        dkg.receive_contribution(state, last_identity)
    with pytest.raises(DkgBadSignature):
        dkg.receive_contribution(state, replace(last_identity, dealer=2))
    accepted = dkg.receive_contribution(state, good)
    assert dkg.receive_contribution(accepted, good) == accepted
    with pytest.raises(DkgWrongPhase):
        dkg.receive_contribution(dkg.advance_phase(accepted), good)


def test_complaint_and_justification_rejections() -> None:
    quorum = _quorum(5, 3)
    state = quorum.session
    for message in honest_contributions(quorum, [1, 2, 3, 4]):
        state = dkg.receive_contribution(state, message)
    complaint = dkg.make_complaint(state, 2, 3, quorum.secrets[1])
    with pytest.raises(DkgWrongPhase):
        dkg.receive_complaint(state, complaint)
    state = dkg.advance_phase(state)
    with pytest.raises(DkgSelfComplaint):
        dkg.receive_complaint(state, dkg.make_complaint(state, 2, 2, quorum.secrets[1]))
    with pytest.raises(DkgUnknownMember):
        dkg.receive_complaint(state, dkg.make_complaint(state, 2, 6, quorum.secrets[1]))
    with pytest.raises(DkgBadSignature):
        dkg.receive_complaint(state, dkgbuilder.resign(quorum, complaint, 3))
    state = dkg.receive_complaint(state, complaint)
    state = dkg.receive_complaint(state, complaint)
    state = dkg.receive_complaint(state, dkg.make_complaint(state, 1, 5, quorum.secrets[0]))
    assert state.complaints == {(3, 2), (5, 1)}
    answer = dkg.make_justification(state, 3, 2, quorum.seeds[2], quorum.secrets[2])
    with pytest.raises(DkgWrongPhase):
        dkg.receive_justification(state, answer)
    state = dkg.advance_phase(state)
    with pytest.raises(DkgUnsolicitedJustification):
        dkg.receive_justification(
            state, dkg.make_justification(state, 3, 1, quorum.seeds[2], quorum.secrets[2])
        )
    with pytest.raises(DkgUnsolicitedJustification):  # dealer 5 sent no contribution
        dkg.receive_justification(
            state, dkg.make_justification(state, 5, 1, quorum.seeds[4], quorum.secrets[4])
        )
    with pytest.raises(DkgMalformedJustification):
        dkg.receive_justification(state, replace(answer, ephemeral=CURVE_ORDER.to_bytes(32, "big")))
    with pytest.raises(DkgMalformedJustification):
        dkg.receive_justification(state, replace(answer, ephemeral=bytes(32)))
    with pytest.raises(DkgBadSignature):
        dkg.receive_justification(state, dkgbuilder.resign(quorum, answer, 2))
    state = dkg.receive_justification(state, answer)
    assert state.answered == {(3, 2): polynomial_eval(quorum.coefficients[2], 2)}
    result = dkg.finalize(dkg.advance_phase(state))
    assert result.qualified == (1, 2, 3, 4)
    assert result.excluded == ((5, Exclusion.MISSING),)


def test_phases_and_heights() -> None:
    params = PRESET.dkg
    start = 1000
    assert dkg.phase_at_height(start, start - 1, params) is None
    assert dkg.phase_at_height(start, start, params) is DkgPhase.CONTRIBUTION
    assert dkg.phase_at_height(start, start + 9, params) is DkgPhase.CONTRIBUTION
    assert dkg.phase_at_height(start, start + 10, params) is DkgPhase.COMPLAINT
    assert dkg.phase_at_height(start, start + 15, params) is DkgPhase.JUSTIFICATION
    assert dkg.phase_at_height(start, start + 20, params) is DkgPhase.FINALIZATION
    assert dkg.phase_at_height(start, start + 24, params) is DkgPhase.FINALIZATION
    assert dkg.phase_at_height(start, start + 25, params) is None
    assert dkg.session_end_height(start, params) == start + 25
    for phase in DkgPhase:
        assert dkg.phase_at_height(start, dkg.phase_start_height(start, phase, params), params) is phase
    state = _quorum(5, 3).session
    assert dkg.advance_to_height(state, 0).phase is DkgPhase.CONTRIBUTION
    assert dkg.advance_to_height(state, 16).phase is DkgPhase.JUSTIFICATION
    with pytest.raises(DkgWrongPhase):
        dkg.advance_to_height(dkg.advance_to_height(state, 16), 12)
    with pytest.raises(DkgWrongPhase):
        dkg.advance_to_height(state, 25)
    final = dkg.advance_to_height(state, 24)
    with pytest.raises(DkgWrongPhase):
        dkg.advance_phase(final)
    with pytest.raises(DkgWrongPhase):
        dkg.finalize(dkg.advance_to_height(state, 19))


def test_exponent_schedule_and_default_threshold() -> None:
    assert dkg.exponent_schedule(3, 4) == (1, 3, 9, 27)
    assert dkg.exponent_schedule(5, 0) == ()
    assert dkg.exponent_schedule(CURVE_ORDER - 1, 3) == (1, CURVE_ORDER - 1, 1)
    assert [dkg.default_threshold(n) for n in (3, 10, 12, 15, 50, 400)] == [2, 7, 8, 10, 34, 267]
    assert all(dkg.default_threshold(n) == -(-2 * n // 3) for n in range(1, 500))


def test_verify_share_rules() -> None:
    quorum = _quorum(5, 3)
    good = dkgbuilder.contribution(quorum, 2)
    share = polynomial_eval(quorum.coefficients[1], 4).to_bytes(32, "big")
    assert dkg.verify_share(good.commitments, 4, share)
    assert not dkg.verify_share(good.commitments, 3, share)
    with pytest.raises(DkgMalformedContribution):
        dkg.verify_share((), 4, share)
    with pytest.raises(DkgUnknownMember):
        dkg.verify_share(good.commitments, 0, share)
    with pytest.raises(InvalidPublicKey):
        dkg.verify_share((*good.commitments[:2], b"\x00" * 48), 4, share)


def test_message_encodings_round_trip() -> None:
    quorum = _quorum(5, 3)
    contribution = dkgbuilder.contribution(quorum, 1)
    complaint = dkg.make_complaint(quorum.session, 1, 2, quorum.secrets[0])
    justification = dkg.make_justification(quorum.session, 2, 1, quorum.seeds[1], quorum.secrets[1])
    share = signing.SignatureShare(b"\x01" * 32, MESSAGE, 7, bls.G2_GENERATOR)
    assert dkg.decode_contribution(dkg.encode_contribution(contribution, PRESET), PRESET) == contribution
    assert dkg.decode_complaint(dkg.encode_complaint(complaint)) == complaint
    assert dkg.decode_justification(dkg.encode_justification(justification)) == justification
    assert signing.decode_signature_share(signing.encode_signature_share(share)) == share
    encoded = dkg.encode_complaint(complaint)
    assert len(encoded) == 32 + 2 + 2 + 96
    with pytest.raises(TrailingBytes):
        dkg.decode_complaint(encoded + b"\x00")
    assert dkg.message_digest(complaint) != dkg.message_digest(replace(complaint, accused=3))


def test_preset_dkg_section() -> None:
    assert MAINNET.dkg.contribution_blocks == 10 and MAINNET.dkg.min_members == 3
    assert DEVNET.dkg.min_members <= DEVNET.quorum.max_members
    from importlib import resources

    text = resources.files("spec.presets").joinpath("devnet.toml").read_text(encoding="utf-8")
    with pytest.raises(InvalidPreset):
        parse_preset(text.replace("min_members = 3", "min_members = 51"))
    with pytest.raises(InvalidPreset):
        parse_preset(text.replace("[dkg]", "[dkg_renamed]"))
    with pytest.raises(InvalidPreset):
        parse_preset(text.replace("complaint_blocks = 5", "complaint_blocks = 0"))


# --------------------------------------------------------------------------------------------
# Signing sessions and finality (SIGN-1..4)
# --------------------------------------------------------------------------------------------


def _signing_setup() -> tuple[DkgResult, list[Share], list[signing.SignatureShare]]:
    state, result = _honest(7, 5)
    secrets = _secret_shares(_quorum(7, 5), state, result, range(1, 8))
    return result, secrets, [signing.make_signature_share(result.session_id, MESSAGE, s) for s in secrets]


@settings(max_examples=examples(25))
@given(order=st.permutations(range(7)), count=st.integers(0, 7))
def test_signing_any_t_valid_shares_same_signature_fewer_never(order: list[int], count: int) -> None:
    result, _, shares = _signing_setup()
    session = signing.start_signing(result.session_id, result.public_key_shares, 5, MESSAGE)
    for position in order[:count]:
        session = signing.add_signature_share(session, shares[position])
    recovered = signing.try_recover(session)
    if count < 5:
        assert recovered is None
        if count:
            # Interpolating fewer than t shares as if the threshold were lower gives no valid signature.
            partial = [Share(p + 1, shares[p].signature) for p in order[:count]]
            assert not bls.verify(result.group_public_key, MESSAGE, recover_signature(partial, count))
    else:
        first = signing.start_signing(result.session_id, result.public_key_shares, 5, MESSAGE)
        for share in shares[:5]:
            first = signing.add_signature_share(first, share)
        assert recovered == signing.try_recover(first)
        assert recovered is not None and bls.verify(result.group_public_key, MESSAGE, recovered)


def test_signing_rejections() -> None:
    result, secrets, shares = _signing_setup()
    keys = result.public_key_shares
    session = signing.start_signing(result.session_id, keys, 5, MESSAGE)
    with pytest.raises(SignWrongSession):
        signing.add_signature_share(session, replace(shares[0], message=b"\x00" * 32))
    with pytest.raises(SignWrongSession):
        signing.add_signature_share(session, replace(shares[0], quorum_id=b"\x00" * 32))
    with pytest.raises(SignUnknownSigner):
        signing.add_signature_share(session, replace(shares[0], signer=8))
    with pytest.raises(InvalidSignatureShare):
        signing.add_signature_share(session, replace(shares[0], signature=shares[1].signature))
    with pytest.raises(InvalidSignatureEncoding):
        signing.add_signature_share(session, replace(shares[0], signature=b"\x00" * 96))
    one = signing.add_signature_share(session, shares[0])
    with pytest.raises(SignDuplicateShare):
        signing.add_signature_share(one, shares[0])
    assert session.shares == {} and set(one.shares) == {1}
    for bad in (
        (result.session_id[:31], keys, 5, MESSAGE),
        (result.session_id, keys, 5, MESSAGE + b"\x00"),
        (result.session_id, keys[1:], 5, MESSAGE),
        (result.session_id, keys, 8, MESSAGE),
        (result.session_id, keys, 0, MESSAGE),
    ):
        with pytest.raises(SignInvalidSession):
            signing.start_signing(*bad)
    with pytest.raises(InvalidPublicKey):
        signing.start_signing(result.session_id, (*keys[:6], Share(7, G1_IDENTITY)), 5, MESSAGE)
    assert secrets[0].index == 1


@settings(max_examples=examples(20))
@given(
    height=st.integers(0, 2**64 - 1),
    other=st.integers(0, 2**64 - 1),
    block=st.binary(min_size=32, max_size=32),
)
def test_finality_certificate_verifies_only_for_its_block(height: int, other: int, block: bytes) -> None:
    state, result = _honest(5, 3)
    secrets = _secret_shares(_quorum(5, 3), state, result, [2, 3, 5])
    session = signing.finality_session(result.session_id, result.public_key_shares, 3, height, block)
    for secret in secrets:
        session = signing.add_signature_share(
            session, signing.sign_finality_share(result.session_id, secret, height, block)
        )
    certificate = signing.sign_block_finality(session, height, block)
    assert verify_finality_certificate(certificate, result.group_public_key)
    assert certificate.signature == signing.try_recover(session)
    if other != height:
        assert not verify_finality_certificate(replace(certificate, height=other), result.group_public_key)
    flipped = bytes([block[0] ^ 1]) + block[1:]
    assert not verify_finality_certificate(replace(certificate, block_hash=flipped), result.group_public_key)
    assert not verify_finality_certificate(certificate, result.public_key_shares[0].value)


def test_sign_block_finality_rejections() -> None:
    state, result = _honest(5, 3)
    block = b"\x07" * 32
    session = signing.finality_session(result.session_id, result.public_key_shares, 3, 10, block)
    with pytest.raises(InsufficientShares):
        signing.sign_block_finality(session, 10, block)
    with pytest.raises(SignWrongSession):
        signing.sign_block_finality(session, 11, block)
    with pytest.raises(SignInvalidSession):
        signing.sign_block_finality(session, -1, block)
    with pytest.raises(SignInvalidSession):
        signing.finality_session(result.session_id, result.public_key_shares, 3, 10, block[:31])
    secret = dkg.member_secret_share(state, result, 1, _quorum(5, 3).secrets[0])
    share = signing.sign_finality_share(result.session_id, secret, 11, block)
    with pytest.raises(SignWrongSession):
        signing.add_signature_share(session, share)
    assert finality_message(10, block) == session.message
    assert isinstance(FinalityCertificate(10, block, bls.G2_IDENTITY), FinalityCertificate)


def test_signing_subsets_exhaustive_small() -> None:
    """Every 3-subset of a 5-member quorum gives the same signature (SIGN-3)."""
    state, result = _honest(5, 3)
    secrets = _secret_shares(_quorum(5, 3), state, result, range(1, 6))
    shares = [signing.make_signature_share(result.session_id, MESSAGE, s) for s in secrets]
    signatures = set()
    for subset in itertools.combinations(shares, 3):
        session = signing.start_signing(result.session_id, result.public_key_shares, 3, MESSAGE)
        for share in subset:
            session = signing.add_signature_share(session, share)
        signatures.add(signing.try_recover(session))
    assert len(signatures) == 1


def test_member_secret_share_needs_its_own_result() -> None:
    state, result = _honest(5, 3)
    _, other = _honest(7, 5)
    secret = _quorum(5, 3).secrets[0]
    with pytest.raises(DkgWrongSession):
        dkg.member_secret_share(state, other, 1, secret)
    with pytest.raises(DkgWrongSession):
        dkg.member_secret_share(state, replace(result, qualified=(1, 2, 3, 4, 5, 6)), 1, secret)
    with pytest.raises(DkgUnknownMember):
        dkg.member_secret_share(state, result, 6, secret)
    with pytest.raises(InvalidSecretKey):  # member 2 with member 1's key
        dkg.member_secret_share(state, result, 2, secret)
    with pytest.raises(DkgUnknownMember):
        dkg.find_bad_shares(state, {0: secret})
    with pytest.raises(InvalidSecretKey):
        dkg.find_bad_shares(state, {2: secret})

"""DKG share encryption (DKG-11) and the public opening of a complaint (DKG-12).

Properties (hypothesis):

* an honest recipient always decrypts its share, and nobody else's key opens it;
* the public opening with the revealed ephemeral key computes exactly what the recipient computed:
  for any ciphertext (honest, corrupted at any byte, re-encrypted with another value, another point)
  the opening succeeds iff the recipient's decryption does, with the same share;
* a complaint against a correct ciphertext fails (the dealer's justification answers it, the dealer
  qualifies); a complaint against a bad one (undecryptable, or a share failing the commitments)
  succeeds: no justification keeps the dealer;
* decryption and opening raise only their stable codes on arbitrary bytes.
"""

from __future__ import annotations

import contextlib
from dataclasses import replace
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance import dkgbuilder
from conformance.dkgbuilder import Quorum, honest_contributions, make_quorum
from spec.crypto import bls
from spec.crypto.bls import CURVE_ORDER
from spec.crypto.threshold import polynomial_eval
from spec.errors import (
    DkgBadJustification,
    DkgMalformedCiphertext,
    DkgMalformedContribution,
    DkgMalformedJustification,
    DkgShareMismatch,
    DkgUndecryptableShare,
)
from spec.masternode import dkg
from spec.masternode.dkg import DkgSession, Exclusion
from spec.masternode.share_encryption import (
    CIPHERTEXT_LENGTH,
    decrypt_share,
    encrypt_share,
    ephemeral_scalar,
    open_with_ephemeral,
    readable_decrypt_share,
    share_context,
    share_ephemeral,
)
from spec.presets import MAINNET
from tests.hypothesis_profiles import examples

PRESET = MAINNET


@cache
def _quorum() -> Quorum:
    return make_quorum("encryption", 5, 3, PRESET)


@cache
def _secret(member: int) -> int:
    return bls.decode_secret_key(_quorum().secrets[member - 1])


members = st.integers(1, 5)
scalars = st.integers(0, CURVE_ORDER - 1)
ephemerals = st.integers(1, CURVE_ORDER - 1)


@settings(max_examples=examples(25), deadline=None)
@given(
    seed=st.binary(min_size=32, max_size=64),
    value=scalars,
    dealer=members,
    recipient=members,
    session=st.binary(min_size=32, max_size=32),
)
def test_an_honest_recipient_always_decrypts_its_share(
    seed: bytes, value: int, dealer: int, recipient: int, session: bytes
) -> None:
    quorum = _quorum()
    context = share_context(session, dealer, recipient)
    key = quorum.publics[recipient - 1]
    ephemeral = share_ephemeral(seed, recipient)
    assert 1 <= ephemeral < CURVE_ORDER
    ciphertext = encrypt_share(context, key, value.to_bytes(32, "big"), ephemeral)
    assert len(ciphertext) == CIPHERTEXT_LENGTH
    assert encrypt_share(context, key, value.to_bytes(32, "big"), ephemeral) == ciphertext  # deterministic
    assert decrypt_share(context, key, _secret(recipient), ciphertext) == value
    assert open_with_ephemeral(context, key, ciphertext, ephemeral) == value
    other = recipient % 5 + 1
    with pytest.raises(DkgUndecryptableShare):
        decrypt_share(context, key, _secret(other), ciphertext)
    with pytest.raises(DkgUndecryptableShare):  # the key hashes the dealer index
        decrypt_share(share_context(session, dealer % 5 + 1, recipient), key, _secret(recipient), ciphertext)


def _corrupt(ciphertext: bytes, how: str, position: int, value: int, ephemeral: int, context: bytes) -> bytes:
    key = _quorum().publics[3]
    if how == "byte":
        data = bytearray(ciphertext)
        data[position % CIPHERTEXT_LENGTH] ^= 1 + value % 255
        return bytes(data)
    if how == "other_value":
        return encrypt_share(context, key, (value % CURVE_ORDER).to_bytes(32, "big"), ephemeral)
    if how == "other_ephemeral":
        return encrypt_share(context, key, bytes(32), 1 + value % (CURVE_ORDER - 1))
    return ciphertext


@settings(max_examples=examples(40), deadline=None)
@given(
    how=st.sampled_from(["none", "byte", "other_value", "other_ephemeral"]),
    position=st.integers(0, CIPHERTEXT_LENGTH - 1),
    value=scalars,
    seed=st.binary(min_size=32, max_size=32),
)
def test_the_public_opening_computes_what_the_recipient_computes(
    how: str, position: int, value: int, seed: bytes
) -> None:
    """DKG-12's soundness: with ``e * g1 == R`` checked, ``e * pk_j = sk_j * R``, so the revealed key
    opens a ciphertext exactly when, and to exactly what, member ``j`` decrypts it."""
    quorum = _quorum()
    context = share_context(quorum.session.session_id, 2, 4)
    key = quorum.publics[3]
    ephemeral = share_ephemeral(seed, 4)
    honest = encrypt_share(
        context, key, polynomial_eval(quorum.coefficients[1], 4).to_bytes(32, "big"), ephemeral
    )
    ciphertext = _corrupt(honest, how, position, value, ephemeral, context)
    try:
        private: int | str = decrypt_share(context, key, _secret(4), ciphertext)
    except (DkgMalformedCiphertext, DkgUndecryptableShare):
        private = "fails"
    try:
        public: int | str = open_with_ephemeral(context, key, ciphertext, ephemeral)
    except DkgBadJustification:
        public = "fails"
    if ciphertext[:48] == honest[:48]:
        assert public == private
    else:  # another ephemeral point: the dealer's key is not this ciphertext's, whatever it holds
        assert public == "fails"


def _after_contributions(quorum: Quorum, contributions: list[dkg.Contribution]) -> DkgSession:
    state = quorum.session
    for message in contributions:
        state = dkg.receive_contribution(state, message)
    return dkg.advance_phase(state)


@settings(max_examples=examples(10), deadline=None)
@given(dealer=members, complainer=members)
def test_a_complaint_against_a_correct_ciphertext_fails(dealer: int, complainer: int) -> None:
    """Any member's complaint against an honest dealer is answered by the dealer's justification:
    the dealer qualifies and the keys are those of the undisturbed session."""
    if dealer == complainer:
        complainer = dealer % 5 + 1
    quorum = _quorum()
    state = _after_contributions(quorum, honest_contributions(quorum))
    assert dkg.find_bad_shares(state, {complainer: quorum.secrets[complainer - 1]}) == {complainer: ()}
    complaint = dkg.make_complaint(state, complainer, dealer, quorum.secrets[complainer - 1])
    state = dkg.advance_phase(dkg.receive_complaint(state, complaint))
    answer = dkg.make_justification(
        state, dealer, complainer, quorum.seeds[dealer - 1], quorum.secrets[dealer - 1]
    )
    state = dkg.advance_phase(dkg.receive_justification(state, answer))
    assert state.answered == {
        (dealer, complainer): polynomial_eval(quorum.coefficients[dealer - 1], complainer)
    }
    result = dkg.finalize(state)
    assert result.qualified == (1, 2, 3, 4, 5)
    honest = dkg.finalize(dkgbuilder.run_session(quorum, honest_contributions(quorum)))
    assert result.group_public_key == honest.group_public_key
    share = dkg.member_secret_share(state, result, complainer, quorum.secrets[complainer - 1])
    assert bls.sk_to_pk(share.value) == result.public_key_shares[complainer - 1].value


@settings(max_examples=examples(15), deadline=None)
@given(
    dealer=members,
    victim=members,
    how=st.sampled_from(["garbled", "wrong_share", "bad_point"]),
    revealed=st.lists(ephemerals, max_size=2),
)
def test_a_complaint_against_a_bad_ciphertext_succeeds(
    dealer: int, victim: int, how: str, revealed: list[int]
) -> None:
    """The victim of an undecryptable or wrong ciphertext complains; whatever the dealer reveals (its
    real ephemeral key, random ones, in any order) it is excluded."""
    if dealer == victim:
        victim = dealer % 5 + 1
    quorum = _quorum()
    messages = honest_contributions(quorum)
    if how == "garbled":
        messages[dealer - 1] = dkgbuilder.garbled(quorum, dealer, [victim])
    elif how == "wrong_share":
        messages[dealer - 1] = dkgbuilder.tampered(quorum, dealer, [victim])
    else:
        ciphertexts = list(messages[dealer - 1].ciphertexts)
        ciphertexts[victim - 1] = bls.G1_IDENTITY + ciphertexts[victim - 1][48:]
        messages[dealer - 1] = dkgbuilder.resign(
            quorum, replace(messages[dealer - 1], ciphertexts=tuple(ciphertexts)), dealer
        )
    state = _after_contributions(quorum, messages)
    everyone = {j: quorum.secrets[j - 1] for j in range(1, 6)}
    assert dkg.find_bad_shares(state, everyone) == {j: (dealer,) if j == victim else () for j in range(1, 6)}
    state = dkg.receive_complaint(
        state, dkg.make_complaint(state, victim, dealer, quorum.secrets[victim - 1])
    )
    state = dkg.advance_phase(state)
    real = dkg.make_justification(state, dealer, victim, quorum.seeds[dealer - 1], quorum.secrets[dealer - 1])
    answers = [real] + [
        dkgbuilder.resign(quorum, replace(real, ephemeral=e.to_bytes(32, "big")), dealer) for e in revealed
    ]
    for answer in answers:
        state = dkg.receive_justification(state, answer)
    assert (dealer, victim) not in state.answered
    result = dkg.finalize(dkg.advance_phase(state))
    assert dict(result.excluded) == {dealer: Exclusion.BAD_JUSTIFICATION}


@settings(max_examples=examples(200), deadline=None)
@given(data=st.binary(max_size=120), ephemeral=st.binary(max_size=40))
def test_decryption_and_opening_raise_only_their_codes(data: bytes, ephemeral: bytes) -> None:
    quorum = _quorum()
    context = share_context(quorum.session.session_id, 1, 2)
    key = quorum.publics[1]
    with contextlib.suppress(DkgMalformedCiphertext, DkgUndecryptableShare):
        decrypt_share(context, key, _secret(2), data)
    with contextlib.suppress(DkgMalformedCiphertext, DkgMalformedJustification, DkgBadJustification):
        open_with_ephemeral(context, key, data, ephemeral_scalar(ephemeral))


def test_encryption_input_checks() -> None:
    quorum = _quorum()
    context = share_context(quorum.session.session_id, 1, 2)
    key = quorum.publics[1]
    with pytest.raises(DkgMalformedContribution):
        encrypt_share(context, key, CURVE_ORDER.to_bytes(32, "big"), 5)
    with pytest.raises(DkgMalformedContribution):
        encrypt_share(context, key, bytes(31), 5)
    with pytest.raises(DkgMalformedJustification):
        encrypt_share(context, key, bytes(32), 0)
    with pytest.raises(DkgMalformedJustification):
        open_with_ephemeral(context, key, bytes(CIPHERTEXT_LENGTH), CURVE_ORDER)
    assert share_ephemeral(b"seed", 1) != share_ephemeral(b"seed", 2)
    assert share_ephemeral(b"seed", 1) != share_ephemeral(b"seed2", 1)


def test_contributions_on_the_wire_carry_no_plaintext_share() -> None:
    """DKG-4/11: an encoded contribution holds ciphertexts; no share it deals appears in it."""
    quorum = _quorum()
    for dealer in range(1, 6):
        wire = dkg.encode_contribution(dkgbuilder.contribution(quorum, dealer), PRESET)
        for recipient in range(1, 6):
            assert polynomial_eval(quorum.coefficients[dealer - 1], recipient).to_bytes(32, "big") not in wire


def _decryption_outcome(function: object, *arguments: object) -> object:
    try:
        return function(*arguments)  # type: ignore[operator]
    except (DkgMalformedCiphertext, DkgUndecryptableShare) as error:
        return (type(error), str(error))


@settings(max_examples=examples(60), deadline=None)
@given(
    how=st.sampled_from(["none", "byte", "other_value", "other_ephemeral", "identity", "off_curve", "short"]),
    position=st.integers(0, CIPHERTEXT_LENGTH - 1),
    value=scalars,
)
def test_fast_decryption_equals_readable(how: str, position: int, value: int) -> None:
    """decrypt_share (R decoded once) gives the readable definition's share or its exact error."""
    quorum = _quorum()
    context = share_context(quorum.session.session_id, 2, 4)
    key = quorum.publics[3]
    honest = encrypt_share(
        context, key, (value % CURVE_ORDER).to_bytes(32, "big"), share_ephemeral(bytes(32), 4)
    )
    if how == "identity":
        ciphertext = bls.G1_IDENTITY + honest[48:]
    elif how == "off_curve":
        ciphertext = bytes([0x80]) + bytes(46) + bytes([value % 256]) + honest[48:]
    elif how == "short":
        ciphertext = honest[: position % CIPHERTEXT_LENGTH]
    else:
        ciphertext = _corrupt(honest, how, position, value, 7, context)
    for secret in (_secret(4), _secret(3)):
        assert _decryption_outcome(decrypt_share, context, key, secret, ciphertext) == _decryption_outcome(
            readable_decrypt_share, context, key, secret, ciphertext
        )


def test_member_secret_share_from_kept_plaintexts() -> None:
    """A member that keeps the plaintexts DKG-10 decrypted gets the same share without decrypting
    again; a wrong kept plaintext is caught by the public key share check."""
    quorum = _quorum()
    state = _after_contributions(quorum, honest_contributions(quorum))
    keys = {j: quorum.secrets[j - 1] for j in range(1, 6)}
    bad, plaintexts = dkg.find_bad_shares_and_plaintexts(state, keys)
    assert bad == dkg.find_bad_shares(state, keys) == {j: () for j in range(1, 6)}
    assert all(set(plaintexts[j]) == {1, 2, 3, 4, 5} for j in range(1, 6))
    assert plaintexts[4][2] == polynomial_eval(quorum.coefficients[1], 4)
    state = dkg.advance_phase(dkg.advance_phase(state))
    result = dkg.finalize(state)
    for member in range(1, 6):
        expected = dkg.member_secret_share(state, result, member, keys[member])
        assert dkg.member_secret_share(state, result, member, keys[member], plaintexts[member]) == expected
        assert dkg.member_secret_share(state, result, member, keys[member], {}) == expected
    wrong = {**plaintexts[1], 3: (plaintexts[1][3] + 1) % CURVE_ORDER}
    with pytest.raises(DkgShareMismatch):
        dkg.member_secret_share(state, result, 1, keys[1], wrong)

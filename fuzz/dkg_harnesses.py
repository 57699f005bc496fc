"""Fuzz harnesses of the DKG and threshold signing messages and transitions (spec/masternode/).

Same contract as :mod:`fuzz.harnesses`: a :class:`~spec.errors.SpecError` rejection is swallowed,
any other exception escapes and is a finding, and a broken invariant raises
:class:`DkgInvariantViolation`. :data:`DKG_HARNESSES` lists them for registration in
:data:`fuzz.harnesses.HARNESSES`; :func:`dkg_seeds` gives their seed corpora.

Invariants checked (one devnet quorum of four members, threshold 3):

* ``dkg_decode_contribution`` / ``_complaint`` / ``_justification`` / ``_signature_share``: only
  ``DECODE_*`` codes reject; an accepted input re-encodes to exactly itself (ENC-2) and, for DKG
  messages, has a DKG-3 digest.
* ``dkg_receive_contribution`` / ``_complaint`` / ``_justification``: the input is XORed over the
  encoding of a genuine signed message, decoded and delivered to a session in the right phase.
  Nobody but the sender can sign, so an accepted message must be the genuine one (DKG-3), and the
  state must record it (an honest dealer's justification of a false complaint must clear it, DKG-7).
* ``dkg_decrypt_share``: the input is XORed over a genuine ciphertext (DKG-11) and decrypted by its
  recipient: only ``DKG_MALFORMED_CIPHERTEXT`` and ``DKG_UNDECRYPTABLE_SHARE`` reject, and only the
  unchanged ciphertext decrypts (to the dealt share): a changed one that opens is an AEAD forgery.
* ``dkg_open_justification``: the first 32 input bytes are XORed over the genuine ephemeral key, the
  rest over the genuine ciphertext; the public opening (DKG-12) rejects with
  ``DKG_MALFORMED_JUSTIFICATION``, ``DKG_MALFORMED_CIPHERTEXT`` or ``DKG_BAD_JUSTIFICATION`` only,
  succeeds only for the genuine key and ciphertext, and then agrees with the recipient's decryption.
* ``dkg_session_script``: each input byte picks one event from a fixed pool (honest, tampered,
  equivocating and malformed contributions; honest, false and self complaints; true and false
  justifications; phase advances). After the script the session is advanced and finalized:
  either ``DKG_FAILED`` or a result whose ``QUAL`` has at least ``t`` dealers, none of them an
  equivocator or a failed justifier, each with every complaint answered, and whose group key is
  the sum of their first commitments (DKG-5..8); every member that complained against every
  qualified dealer whose ciphertext it cannot open gets a key share matching its public one (DKG-9).
* ``dkg_signing_session``: each input byte picks a signature share from a pool (valid shares of
  every member, a forged one, one of another message, a malformed one); whenever the session
  recovers a signature it verifies under the group key (SIGN-2/3).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import cache

from conformance.dkgbuilder import (
    Quorum,
    contribution,
    garbled,
    honest_contributions,
    make_quorum,
    resign,
    tampered,
)
from fuzz.bls_cache import cached_bls
from spec.crypto import bls
from spec.crypto.bls import CURVE_ORDER, G1_IDENTITY
from spec.crypto.threshold import Share, polynomial_eval
from spec.errors import DecodeError, DkgFailed, SpecError
from spec.masternode import dkg, share_encryption, signing
from spec.masternode.dkg import Complaint, Contribution, DkgPhase, DkgResult, DkgSession, Justification
from spec.presets import DEVNET

PRESET = DEVNET
SCRIPT_EVENTS = 24
"""A script runs at most this many events (each may cost a signature verification)."""


class DkgInvariantViolation(AssertionError):
    """A DKG or signing rule was broken without a typed rejection."""


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise DkgInvariantViolation(message)


@cache
def _quorum() -> Quorum:
    return make_quorum("fuzz", 4, 3, PRESET)


def _xor(genuine: bytes, data: bytes) -> bytes:
    raw = bytearray(genuine)
    for position, byte in enumerate(data[: len(raw)]):
        raw[position] ^= byte
    return bytes(raw) + data[len(raw) :]


# --------------------------------------------------------------------------------------------
# Decoders (ENC-1..4)
# --------------------------------------------------------------------------------------------


def fuzz_decode_contribution(data: bytes) -> None:
    """ENC-2 for contributions (lists bounded by the devnet ``quorum.max_members``)."""
    try:
        message = dkg.decode_contribution(data, PRESET)
    except DecodeError:
        return
    _require(dkg.encode_contribution(message, PRESET) == data, "ENC-2: a contribution re-encodes differently")
    dkg.message_digest(message)


def fuzz_decode_complaint(data: bytes) -> None:
    """ENC-2 for complaints."""
    try:
        message = dkg.decode_complaint(data)
    except DecodeError:
        return
    _require(dkg.encode_complaint(message) == data, "ENC-2: a complaint re-encodes differently")
    dkg.message_digest(message)


def fuzz_decode_justification(data: bytes) -> None:
    """ENC-2 for justifications."""
    try:
        message = dkg.decode_justification(data)
    except DecodeError:
        return
    _require(dkg.encode_justification(message) == data, "ENC-2: a justification re-encodes differently")
    dkg.message_digest(message)


def fuzz_decode_signature_share(data: bytes) -> None:
    """ENC-2 for signature shares."""
    try:
        share = signing.decode_signature_share(data)
    except DecodeError:
        return
    _require(signing.encode_signature_share(share) == data, "ENC-2: a signature share re-encodes differently")


# --------------------------------------------------------------------------------------------
# Transitions on mutated genuine messages (DKG-3..7)
# --------------------------------------------------------------------------------------------


@cache
def _stages() -> tuple[DkgSession, DkgSession, DkgSession, Contribution, Complaint, Justification]:
    """A fresh session, the session in COMPLAINT, and in JUSTIFICATION after member 4 complained
    (falsely) about honest dealer 2; plus a genuine message for each phase."""
    quorum = _quorum()
    messages = honest_contributions(quorum)
    state = quorum.session
    for message in messages[:3]:
        state = dkg.receive_contribution(state, message)
    complaint_phase = dkg.advance_phase(state)
    complaint = dkg.make_complaint(complaint_phase, 4, 2, quorum.secrets[3])
    justification_phase = dkg.advance_phase(dkg.receive_complaint(complaint_phase, complaint))
    answer = dkg.make_justification(justification_phase, 2, 4, quorum.seeds[1], quorum.secrets[1])
    return quorum.session, complaint_phase, justification_phase, messages[3], complaint, answer


def fuzz_receive_contribution(data: bytes) -> None:
    """DKG-3/4: a mutated contribution is accepted only if it is the genuine one."""
    fresh, _, _, genuine, _, _ = _stages()
    try:
        message = dkg.decode_contribution(_xor(dkg.encode_contribution(genuine, PRESET), data), PRESET)
        state = dkg.receive_contribution(fresh, message)
    except SpecError:
        return
    _require(message == genuine, "a contribution the dealer never signed was accepted")
    _require(state.contributions.get(message.dealer) == message, "an accepted contribution is not recorded")


def fuzz_receive_complaint(data: bytes) -> None:
    """DKG-3/6: a mutated complaint is accepted only if it is the genuine one."""
    _, complaint_phase, _, _, genuine, _ = _stages()
    try:
        message = dkg.decode_complaint(_xor(dkg.encode_complaint(genuine), data))
        state = dkg.receive_complaint(complaint_phase, message)
    except SpecError:
        return
    _require(message == genuine, "a complaint the member never signed was accepted")
    _require(
        (message.accused, message.complainer) in state.complaints, "an accepted complaint is not recorded"
    )


def fuzz_receive_justification(data: bytes) -> None:
    """DKG-3/7: a mutated justification is accepted only if genuine, and then clears the complaint."""
    _, _, justification_phase, _, _, genuine = _stages()
    try:
        message = dkg.decode_justification(_xor(dkg.encode_justification(genuine), data))
        state = dkg.receive_justification(justification_phase, message)
    except SpecError:
        return
    _require(message == genuine, "a justification the dealer never signed was accepted")
    _require(
        (2, 4) in state.answered and 2 not in state.bad_justifiers, "the true justification did not clear"
    )


# --------------------------------------------------------------------------------------------
# Share encryption (DKG-11) and the public opening of a complaint (DKG-12)
# --------------------------------------------------------------------------------------------

ENCRYPTION_REJECTIONS = frozenset({"DKG_MALFORMED_CIPHERTEXT", "DKG_UNDECRYPTABLE_SHARE"})
OPENING_REJECTIONS = frozenset(
    {"DKG_MALFORMED_CIPHERTEXT", "DKG_MALFORMED_JUSTIFICATION", "DKG_BAD_JUSTIFICATION"}
)


@cache
def _ciphertext() -> tuple[bytes, bytes, int, int, bytes]:
    """Dealer 2's ciphertext to member 4: context, ciphertext, ephemeral, member 4's secret, the share."""
    quorum = _quorum()
    context = share_encryption.share_context(quorum.session.session_id, 2, 4)
    ciphertext = contribution(quorum, 2).ciphertexts[3]
    ephemeral = share_encryption.share_ephemeral(quorum.seeds[1], 4)
    share = polynomial_eval(quorum.coefficients[1], 4).to_bytes(32, "big")
    return context, ciphertext, ephemeral, bls.decode_secret_key(quorum.secrets[3]), share


def fuzz_decrypt_share(data: bytes) -> None:
    """DKG-11: only the genuine ciphertext decrypts, to the dealt share; rejections use their codes."""
    context, genuine, _, secret, share = _ciphertext()
    ciphertext = _xor(genuine, data)
    try:
        value = share_encryption.decrypt_share(context, _quorum().publics[3], secret, ciphertext)
    except SpecError as error:
        _require(error.code in ENCRYPTION_REJECTIONS, f"decryption rejected with {error.code}")
        return
    _require(ciphertext == genuine, "a modified ciphertext decrypted (AEAD forgery)")
    _require(value.to_bytes(32, "big") == share, "the genuine ciphertext decrypted to another share")


def fuzz_open_justification(data: bytes) -> None:
    """DKG-12: only the genuine ephemeral key opens the genuine ciphertext, to what the recipient reads."""
    context, genuine, ephemeral, secret, share = _ciphertext()
    key_bytes = _xor(ephemeral.to_bytes(32, "big"), data[:32])
    ciphertext = _xor(genuine, data[32:])
    recipient_key = _quorum().publics[3]
    try:
        value = share_encryption.open_with_ephemeral(
            context, recipient_key, ciphertext, share_encryption.ephemeral_scalar(key_bytes)
        )
    except SpecError as error:
        _require(error.code in OPENING_REJECTIONS, f"opening rejected with {error.code}")
        return
    _require(ciphertext == genuine and key_bytes == ephemeral.to_bytes(32, "big"), "a forged opening")
    _require(value == share_encryption.decrypt_share(context, recipient_key, secret, ciphertext), "DKG-12")
    _require(value.to_bytes(32, "big") == share, "the opening is not the dealt share")


# --------------------------------------------------------------------------------------------
# Whole sessions from event scripts (DKG-5..8)
# --------------------------------------------------------------------------------------------

Event = Contribution | Complaint | Justification | None
"""A script event: a message to deliver, or ``None`` to advance the phase."""


@cache
def _event_pool() -> tuple[Event, ...]:
    quorum = _quorum()
    honest = honest_contributions(quorum)
    session = quorum.session
    pool: list[Event] = [None, *honest]
    pool += [tampered(quorum, 1, [2]), tampered(quorum, 3, [1, 4]), contribution(quorum, 2, 1)]
    pool.append(resign(quorum, replace(honest[3], commitments=honest[3].commitments[:2]), 4))
    pool.append(resign(quorum, replace(honest[3], commitments=(G1_IDENTITY, *honest[3].commitments[1:])), 4))
    pool += [
        dkg.make_complaint(session, complainer, accused, quorum.secrets[complainer - 1])
        for complainer, accused in ((2, 1), (1, 3), (4, 3), (3, 2), (1, 1))
    ]
    for dealer, complainer in ((1, 2), (3, 1), (3, 4), (2, 3)):
        seed = quorum.seeds[dealer - 1]
        pool.append(dkg.make_justification(session, dealer, complainer, seed, quorum.secrets[dealer - 1]))
    wrong = dkg.make_justification(session, 3, 1, quorum.seeds[2], quorum.secrets[2])
    pool.append(resign(quorum, replace(wrong, ephemeral=(CURVE_ORDER - 1).to_bytes(32, "big")), 3))
    # appended last so that the indices above (and the seed scripts) stay put
    pool += [garbled(quorum, 2, [3]), garbled(quorum, 4, [1, 2])]
    pool += [
        dkg.make_complaint(session, 1, 4, quorum.secrets[0]),
        dkg.make_complaint(session, 2, 4, quorum.secrets[1]),
    ]
    pool += [dkg.make_justification(session, 4, c, quorum.seeds[3], quorum.secrets[3]) for c in (1, 2)]
    return tuple(pool)


def _deliver(state: DkgSession, event: Event) -> DkgSession:
    if event is None:
        return dkg.advance_phase(state)
    if isinstance(event, Contribution):
        return dkg.receive_contribution(state, event)
    if isinstance(event, Complaint):
        return dkg.receive_complaint(state, event)
    return dkg.receive_justification(state, event)


def _check_result(state: DkgSession, result: DkgResult) -> None:
    _require(len(result.qualified) >= state.threshold, "a result with fewer than t qualified dealers")
    for dealer in result.qualified:
        _require(dealer in state.contributions, f"dealer {dealer} qualified without a contribution")
        _require(dealer not in state.equivocators, f"equivocating dealer {dealer} qualified")
        _require(
            dealer not in state.bad_justifiers, f"dealer {dealer} qualified after a failed justification"
        )
        unanswered = [c for d, c in state.complaints if d == dealer and (d, c) not in state.answered]
        _require(not unanswered, f"dealer {dealer} qualified with unanswered complaints {unanswered}")
    expected = bls.g1_add([state.contributions[d].commitments[0] for d in result.qualified])
    _require(result.group_public_key == expected, "the group key is not the sum of QUAL's first commitments")
    quorum = _quorum()
    # Every member's bad shares in one call (DKG-10's batch weights and weighted commitments are
    # per session, not per recipient; each recipient's verdict is computed on its own).
    bad_shares = dkg.find_bad_shares(
        state, {member: quorum.secrets[member - 1] for member in range(1, quorum.size + 1)}
    )
    for member in range(1, quorum.size + 1):
        bad = bad_shares[member]
        if all((dealer, member) in state.complaints for dealer in bad if dealer in result.qualified):
            share = dkg.member_secret_share(state, result, member, quorum.secrets[member - 1])
            _require(
                bls.sk_to_pk(share.value) == result.public_key_shares[member - 1].value,
                f"member {member} complained about every bad share but its key share mismatches",
            )


def fuzz_session_script(data: bytes) -> None:
    """DKG-5..8: any script of pooled events ends in DKG_FAILED or a consistent result.

    The pool is fixed, so its curve arithmetic repeats: it runs on the memoising backend.
    """
    with cached_bls():
        _run_session_script(data)


def _run_session_script(data: bytes) -> None:
    pool = _event_pool()
    state = _quorum().session
    for byte in data[:SCRIPT_EVENTS]:
        try:
            state = _deliver(state, pool[byte % len(pool)])
        except SpecError:
            continue
    while state.phase is not DkgPhase.FINALIZATION:
        state = dkg.advance_phase(state)
    try:
        result = dkg.finalize(state)
    except DkgFailed:
        return
    _check_result(state, result)


# --------------------------------------------------------------------------------------------
# Signing sessions (SIGN-2/3)
# --------------------------------------------------------------------------------------------

SIGNING_MESSAGE = b"\x42" * 32


@cache
def _signing_pool() -> tuple[DkgResult, tuple[signing.SignatureShare, ...]]:
    quorum = _quorum()
    state = quorum.session
    for message in honest_contributions(quorum):
        state = dkg.receive_contribution(state, message)
    state = dkg.advance_phase(dkg.advance_phase(dkg.advance_phase(state)))
    result = dkg.finalize(state)
    secrets = [
        dkg.member_secret_share(state, result, j, quorum.secrets[j - 1]) for j in range(1, quorum.size + 1)
    ]
    valid = [signing.make_signature_share(result.session_id, SIGNING_MESSAGE, s) for s in secrets]
    other = signing.make_signature_share(result.session_id, b"\x43" * 32, secrets[0])
    pool = [
        *valid,
        replace(valid[1], signature=valid[2].signature),
        replace(other, message=SIGNING_MESSAGE),
        other,
        replace(valid[0], signature=b"\x00" * 96),
        replace(valid[0], signer=9),
        signing.make_signature_share(result.session_id, SIGNING_MESSAGE, Share(2, bls.key_gen(b"\x07" * 32))),
    ]
    return result, tuple(pool)


def fuzz_signing_session(data: bytes) -> None:
    """SIGN-2/3: whatever shares arrive, a recovered signature verifies under the group key.

    The share pool is fixed, so its curve arithmetic repeats: it runs on the memoising backend.
    """
    with cached_bls():
        _run_signing_session(data)


def _run_signing_session(data: bytes) -> None:
    result, pool = _signing_pool()
    session = signing.start_signing(
        result.session_id, result.public_key_shares, result.threshold, SIGNING_MESSAGE
    )
    for byte in data[:16]:
        try:
            session = signing.add_signature_share(session, pool[byte % len(pool)])
        except SpecError:
            continue
        signature = signing.try_recover(session)
        if signature is None:
            _require(len(session.shares) < result.threshold, "t valid shares did not recover")
        else:
            _require(
                bls.verify(result.group_public_key, SIGNING_MESSAGE, signature), "a recovered signature fails"
            )


DKG_HARNESSES: dict[str, Callable[[bytes], None]] = {
    "dkg_decode_contribution": fuzz_decode_contribution,
    "dkg_decode_complaint": fuzz_decode_complaint,
    "dkg_decode_justification": fuzz_decode_justification,
    "dkg_decode_signature_share": fuzz_decode_signature_share,
    "dkg_receive_contribution": fuzz_receive_contribution,
    "dkg_receive_complaint": fuzz_receive_complaint,
    "dkg_receive_justification": fuzz_receive_justification,
    "dkg_decrypt_share": fuzz_decrypt_share,
    "dkg_open_justification": fuzz_open_justification,
    "dkg_session_script": fuzz_session_script,
    "dkg_signing_session": fuzz_signing_session,
}


def dkg_seeds() -> dict[str, dict[str, bytes]]:
    """Seed inputs per harness: genuine encodings, unmutated deliveries, honest and byzantine scripts."""
    _, _, _, contribution_message, complaint, justification = _stages()
    result, shares = _signing_pool()
    pool = _event_pool()
    honest = bytes([1, 2, 3, 4, 0, 0])
    return {
        "dkg_decode_contribution": {"seed-genuine": dkg.encode_contribution(contribution_message, PRESET)},
        "dkg_decode_complaint": {"seed-genuine": dkg.encode_complaint(complaint)},
        "dkg_decode_justification": {"seed-genuine": dkg.encode_justification(justification)},
        "dkg_decode_signature_share": {"seed-genuine": signing.encode_signature_share(shares[0])},
        "dkg_receive_contribution": {"seed-unchanged": b"", "seed-flip-share": bytes(40) + b"\x01"},
        "dkg_receive_complaint": {"seed-unchanged": b"", "seed-flip-accused": bytes(34) + b"\x01"},
        "dkg_receive_justification": {"seed-unchanged": b"", "seed-flip-share": bytes(40) + b"\x01"},
        "dkg_decrypt_share": {
            "seed-unchanged": b"",
            "seed-flip-point": b"\x01",
            "seed-flip-body": bytes(60) + b"\x01",
            "seed-flip-tag": bytes(95) + b"\x80",
            "seed-trailing": bytes(96) + b"\x00",
        },
        "dkg_open_justification": {
            "seed-unchanged": b"",
            "seed-flip-key": bytes(31) + b"\x01",
            "seed-flip-body": bytes(32 + 60) + b"\x01",
        },
        "dkg_session_script": {
            "seed-honest": honest,
            "seed-byzantine": bytes([5, 2, 3, 7, 0, 10, 11, 0, 15, 16, 19, 0]),
            "seed-equivocation": bytes([1, 2, 3, 4, 7, 0, 0, 0]),
            "seed-pool-size": bytes([len(pool) - 1]),
            "seed-undecryptable": bytes([1, 20, 3, 4, 0, 13, 0, 18, 0]),
            "seed-undecryptable-silent": bytes([1, 2, 3, 21, 0, 0]),
        },
        "dkg_signing_session": {
            "seed-three-valid": bytes([0, 1, 2]),
            "seed-with-bad": bytes([4, 5, 6, 7, 8, 9, 0, 1, 3]),
            "seed-threshold": bytes([result.threshold]),
        },
    }

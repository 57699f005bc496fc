"""Deterministic DKG scenarios for generators, tests, fuzz seeds and benchmarks.

A :class:`Quorum` is ``n`` members with seeded BLS keys (IETF KeyGen over
:func:`conformance.seeded.seeded_bytes`) and seeded dealer seeds, from which each dealer's polynomial
(:func:`spec.crypto.threshold.coefficients_from_seed`) and its share encryption keys
(:func:`spec.masternode.share_encryption.share_ephemeral`, DKG-11) come, as on the reference node,
plus the fresh session they open. The
helpers build honest and byzantine messages and drive a session through its phases the way honest
members would (complain about every bad share, answer every complaint truthfully).

:func:`quorum_of_session` wraps a session that was opened elsewhere (for example the finality
session of a selected quorum, FIN-1) with the members' real secret keys; :func:`finish` runs an
honest DKG to its result and :func:`certify` has ``t`` members sign a finality certificate (SIGN-4).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from conformance.seeded import seeded_bytes
from spec.chain.forkchoice import FinalityCertificate
from spec.crypto import bls
from spec.crypto.bls import CURVE_ORDER
from spec.crypto.threshold import Share, coefficients_from_seed, polynomial_eval
from spec.masternode import dkg, share_encryption, signing
from spec.masternode.dkg import Contribution, DkgResult, DkgSession
from spec.masternode.finality import key_shares_root
from spec.masternode.signing import SignatureShare
from spec.presets import Preset


@dataclass(frozen=True)
class Quorum:
    """Seeded members of one DKG session: ``secrets[j - 1]``, ``coefficients[j - 1]`` and ``seeds[j - 1]``
    (the dealer seed both come from) are member ``j``'s."""

    label: str
    secrets: tuple[bytes, ...]
    publics: tuple[bytes, ...]
    coefficients: tuple[tuple[int, ...], ...]
    session: DkgSession
    seeds: tuple[bytes, ...]

    @property
    def size(self) -> int:
        return len(self.secrets)

    @property
    def threshold(self) -> int:
        return self.session.threshold


def member_secret(label: str, member: int) -> bytes:
    """The seeded BLS secret key of member ``member`` of quorum ``label``."""
    return bls.key_gen(seeded_bytes(f"dkg/{label}/member/{member}", 32))


def dealer_seed(label: str, dealer: int, variant: int = 0) -> bytes:
    """The seed of dealer ``dealer``: its polynomial and its DKG-11 ephemeral keys come from it."""
    return seeded_bytes(f"dkg/{label}/dealer/{dealer}/{variant}", 32)


def dealer_coefficients(label: str, dealer: int, threshold: int, variant: int = 0) -> tuple[int, ...]:
    """The seeded polynomial of dealer ``dealer`` (``variant`` > 0: another polynomial, for equivocation)."""
    return coefficients_from_seed(dealer_seed(label, dealer, variant), threshold)


def make_quorum(label: str, members: int, threshold: int, preset: Preset, start_height: int = 0) -> Quorum:
    """``members`` seeded members and their fresh session (``quorum_hash`` seeded from ``label``)."""
    secrets = tuple(member_secret(label, j) for j in range(1, members + 1))
    publics = tuple(bls.sk_to_pk(s) for s in secrets)
    quorum_hash = seeded_bytes(f"dkg/{label}/quorum", 32)
    session = dkg.start_session(publics, threshold, quorum_hash, start_height, preset)
    coefficients = tuple(dealer_coefficients(label, j, threshold) for j in range(1, members + 1))
    seeds = tuple(dealer_seed(label, j) for j in range(1, members + 1))
    return Quorum(label, secrets, publics, coefficients, session, seeds)


def contribution(quorum: Quorum, dealer: int, variant: int = 0) -> Contribution:
    """Dealer ``dealer``'s honest contribution (of another polynomial if ``variant`` > 0)."""
    coefficients = (
        quorum.coefficients[dealer - 1]
        if variant == 0
        else dealer_coefficients(quorum.label, dealer, quorum.threshold, variant)
    )
    return dkg.make_contribution(
        quorum.session,
        dealer,
        coefficients,
        quorum.secrets[dealer - 1],
        dealer_seed(quorum.label, dealer, variant),
    )


def honest_contributions(quorum: Quorum, dealers: Iterable[int] | None = None) -> list[Contribution]:
    """The honest contributions of ``dealers`` (default: every member)."""
    chosen = range(1, quorum.size + 1) if dealers is None else dealers
    return [contribution(quorum, d) for d in chosen]


def encrypted_share(quorum: Quorum, dealer: int, recipient: int, value: int) -> bytes:
    """DKG-11: ``value`` encrypted from ``dealer`` to ``recipient`` with the dealer's real ephemeral key."""
    return share_encryption.encrypt_share(
        share_encryption.share_context(quorum.session.session_id, dealer, recipient),
        quorum.publics[recipient - 1],
        (value % CURVE_ORDER).to_bytes(32, "big"),
        share_encryption.share_ephemeral(quorum.seeds[dealer - 1], recipient),
    )


def tampered(quorum: Quorum, dealer: int, victims: Iterable[int]) -> Contribution:
    """Dealer ``dealer``'s contribution with the shares of ``victims`` off by one (correctly encrypted,
    with the dealer's ephemeral keys), signed by the dealer."""
    honest = contribution(quorum, dealer)
    ciphertexts = list(honest.ciphertexts)
    for victim in victims:
        value = polynomial_eval(quorum.coefficients[dealer - 1], victim) + 1
        ciphertexts[victim - 1] = encrypted_share(quorum, dealer, victim, value)
    return dkg.sign_message(replace(honest, ciphertexts=tuple(ciphertexts)), quorum.secrets[dealer - 1])


def garbled(quorum: Quorum, dealer: int, victims: Iterable[int]) -> Contribution:
    """Dealer ``dealer``'s contribution whose ciphertexts to ``victims`` have one body byte flipped
    (they fail authentication, DKG-11), signed by the dealer."""
    honest = contribution(quorum, dealer)
    ciphertexts = list(honest.ciphertexts)
    for victim in victims:
        body = bytearray(ciphertexts[victim - 1])
        body[60] ^= 0x01
        ciphertexts[victim - 1] = bytes(body)
    return dkg.sign_message(replace(honest, ciphertexts=tuple(ciphertexts)), quorum.secrets[dealer - 1])


def resign(quorum: Quorum, message: dkg.M, signer: int) -> dkg.M:
    """``message`` signed again by member ``signer``."""
    return dkg.sign_message(message, quorum.secrets[signer - 1])


def complaints(quorum: Quorum, state: DkgSession, complainers: Iterable[int]) -> list[dkg.Complaint]:
    """DKG-6: the complaints ``complainers`` send, each against every dealer whose share to it fails."""
    chosen = list(complainers)
    bad = dkg.find_bad_shares(state, {j: quorum.secrets[j - 1] for j in chosen})
    return [dkg.make_complaint(state, j, dealer, quorum.secrets[j - 1]) for j in chosen for dealer in bad[j]]


def justifications(quorum: Quorum, state: DkgSession, dealers: Iterable[int]) -> list[dkg.Justification]:
    """DKG-7: the truthful answers of ``dealers`` to every complaint recorded against them."""
    answering = set(dealers)
    return [
        dkg.make_justification(
            state, dealer, complainer, quorum.seeds[dealer - 1], quorum.secrets[dealer - 1]
        )
        for dealer, complainer in sorted(state.complaints)
        if dealer in answering
    ]


def run_session(
    quorum: Quorum,
    contributions: Sequence[Contribution],
    complainers: Iterable[int] | None = None,
    justifiers: Iterable[int] | None = None,
) -> DkgSession:
    """Drive a session to FINALIZATION: deliver ``contributions``, let ``complainers`` (default: all)
    complain honestly, let ``justifiers`` (default: all) answer truthfully."""
    members = range(1, quorum.size + 1)
    state = quorum.session
    for message in contributions:
        state = dkg.receive_contribution(state, message)
    state = dkg.advance_phase(state)
    for complaint in complaints(quorum, state, members if complainers is None else complainers):
        state = dkg.receive_complaint(state, complaint)
    state = dkg.advance_phase(state)
    for justification in justifications(quorum, state, members if justifiers is None else justifiers):
        state = dkg.receive_justification(state, justification)
    return dkg.advance_phase(state)


def quorum_of_session(label: str, session: DkgSession, secrets_by_key: Mapping[bytes, bytes]) -> Quorum:
    """The members of an already opened ``session`` with their secret keys (looked up by public key)
    and seeded dealer polynomials labelled ``label``."""
    secrets = tuple(secrets_by_key[key] for key in session.members)
    members = range(1, len(session.members) + 1)
    coefficients = tuple(dealer_coefficients(label, j, session.threshold) for j in members)
    seeds = tuple(dealer_seed(label, j) for j in members)
    return Quorum(label, secrets, tuple(session.members), coefficients, session, seeds)


@dataclass(frozen=True)
class Finished:
    """A quorum after an honest DKG: the result and every member's secret key share (DKG-8/9)."""

    quorum: Quorum
    result: DkgResult
    secret_shares: tuple[Share, ...]

    @property
    def group_public_key(self) -> bytes:
        return self.result.group_public_key

    @property
    def key_shares_root(self) -> bytes:
        """FIN-5: the Merkle root of the public key shares the commitment vouches for."""
        return key_shares_root([share.value for share in self.result.public_key_shares])


def finish(quorum: Quorum) -> Finished:
    """Run the honest session of ``quorum`` and finalize it."""
    state = run_session(quorum, honest_contributions(quorum))
    result = dkg.finalize(state)
    shares = tuple(
        dkg.member_secret_share(state, result, j, quorum.secrets[j - 1]) for j in range(1, quorum.size + 1)
    )
    return Finished(quorum, result, shares)


def finality_share(finished: Finished, member: int, height: int, block_hash: bytes) -> SignatureShare:
    """SIGN-4: member ``member``'s signature share finalizing ``block_hash`` at ``height``."""
    return signing.sign_finality_share(
        finished.result.session_id, finished.secret_shares[member - 1], height, block_hash
    )


def certify(
    finished: Finished, height: int, block_hash: bytes, signers: Iterable[int]
) -> FinalityCertificate:
    """SIGN-2..4: the certificate the shares of ``signers`` recover (at least ``t`` of them)."""
    result = finished.result
    session = signing.finality_session(
        result.session_id, result.public_key_shares, result.threshold, height, block_hash
    )
    for member in signers:
        session = signing.add_signature_share(session, finality_share(finished, member, height, block_hash))
    return signing.sign_block_finality(session, height, block_hash)

"""Vectors of the ``dkg`` flow: whole DKG sessions replayed from message scripts, share checks,
threshold signing sessions, finality certificates and message decoding.

Keys, polynomials and quorum hashes are seeded (:mod:`conformance.dkgbuilder`). Every session
script is the list of events an honest run or a byzantine variant produces; the reference handler
computes the expected outcome and the generator states the intended error (if any).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace

import nacl.bindings

from conformance.dkgbuilder import (
    Quorum,
    complaints,
    contribution,
    dealer_seed,
    garbled,
    honest_contributions,
    justifications,
    make_quorum,
    resign,
    tampered,
)
from conformance.dkgbuilder import run_session as drive_session
from conformance.generators.crypto import bad_public_keys
from conformance.handlers.dkg import message_to_json, signature_share_to_json
from conformance.model import JSON, CaseSpec
from conformance.seeded import seeded_bytes
from spec.crypto import bls
from spec.crypto.bls import CURVE_ORDER, G1_IDENTITY
from spec.crypto.threshold import Share, polynomial_eval
from spec.encoding import varint_encode
from spec.errors import SpecError
from spec.masternode import dkg, share_encryption, signing
from spec.masternode.dkg import Contribution, DkgSession
from spec.presets import Preset

ADVANCE: dict[str, JSON] = {"type": "advance"}


def _session_input(quorum: Quorum, events: Sequence[JSON], threshold: int | None = None) -> dict[str, JSON]:
    return {
        "members": [
            {"index": j, "public_key": pk.hex(), "secret_key": sk.hex()}
            for j, (pk, sk) in enumerate(zip(quorum.publics, quorum.secrets, strict=True), start=1)
        ],
        "threshold": quorum.threshold if threshold is None else threshold,
        "quorum_hash": quorum.session.quorum_hash.hex(),
        "start_height": quorum.session.start_height,
        "events": list(events),
    }


def _events(*groups: Sequence[dkg.DkgMessage] | str) -> list[JSON]:
    """JSON events: message lists, and ``"advance"`` between phases."""
    events: list[JSON] = []
    for group in groups:
        if isinstance(group, str):
            events.append(ADVANCE)
        else:
            events.extend(message_to_json(m) for m in group)
    return events


def _received(quorum: Quorum, contributions: Sequence[Contribution]) -> DkgSession:
    """The session after the contribution phase (the state complaints are computed on)."""
    state = quorum.session
    for message in contributions:
        try:
            state = dkg.receive_contribution(state, message)
        except SpecError:  # a deliberately bad message: the script keeps it, the state drops it
            continue
    return dkg.advance_phase(state)


def _complained(quorum: Quorum, state: DkgSession, messages: Sequence[dkg.Complaint]) -> DkgSession:
    for message in messages:
        state = dkg.receive_complaint(state, message)
    return dkg.advance_phase(state)


def _script(
    quorum: Quorum,
    contributions: Sequence[Contribution],
    complainers: Sequence[int] | None = None,
    justifiers: Sequence[int] | None = None,
    extra_complaints: Sequence[dkg.DkgMessage] = (),
    extra_justifications: Sequence[dkg.DkgMessage] = (),
) -> list[JSON]:
    """Events of a session where ``complainers`` complain honestly and ``justifiers`` answer truthfully."""
    members = list(range(1, quorum.size + 1))
    after_contributions = _received(quorum, contributions)
    raised = complaints(quorum, after_contributions, members if complainers is None else complainers)
    after_complaints = _complained(quorum, after_contributions, raised)
    answers = justifications(quorum, after_complaints, members if justifiers is None else justifiers)
    return _events(
        contributions, "advance", [*raised, *extra_complaints], "advance", [*answers, *extra_justifications]
    )


def _session_cases(preset: Preset) -> Iterator[CaseSpec]:
    small = make_quorum("small", 5, 3, preset)
    large = make_quorum("large", 7, 5, preset)
    honest = honest_contributions(small)
    yield CaseSpec(
        "run_session",
        "honest_n5_t3",
        "five honest members, threshold 3: every dealer qualifies",
        _session_input(small, _events(honest, "advance", "advance")),
    )
    yield CaseSpec(
        "run_session",
        "honest_n7_t5",
        "seven honest members, threshold 5: every dealer qualifies",
        _session_input(large, _events(honest_contributions(large), "advance", "advance")),
    )
    yield CaseSpec(
        "run_session",
        "honest_no_advance_events",
        "the script ends in CONTRIBUTION; the replay advances to FINALIZATION by itself",
        _session_input(small, _events(honest)),
    )

    bad_share = [*honest[:1], tampered(small, 2, [4]), *honest[2:]]
    yield CaseSpec(
        "run_session",
        "bad_share_unanswered",
        "dealer 2 deals member 4 a bad share, member 4 complains, dealer 2 stays silent: excluded",
        _session_input(small, _script(small, bad_share, justifiers=[1, 3, 4, 5])),
    )
    yield CaseSpec(
        "run_session",
        "bad_share_revealed",
        "dealer 2 deals member 4 a bad share, member 4 complains, dealer 2 reveals its ephemeral key: "
        "the committed ciphertext opens to the bad share, dealer 2 is excluded (DKG-12)",
        _session_input(small, _script(small, bad_share)),
    )
    state = _complained(
        small, _received(small, bad_share), complaints(small, _received(small, bad_share), [4])
    )
    wrong_reveal = dkg.make_justification(state, 2, 4, dealer_seed("small", 2, 1), small.secrets[1])
    yield CaseSpec(
        "run_session",
        "bad_justification",
        "dealer 2 answers member 4's complaint with an ephemeral key that is not its ciphertext's: excluded",
        _session_input(small, _script(small, bad_share, justifiers=[], extra_justifications=[wrong_reveal])),
    )
    garbled_share = [*honest[:1], garbled(small, 2, [4]), *honest[2:]]
    yield CaseSpec(
        "run_session",
        "undecryptable_share_complained",
        "dealer 2's ciphertext to member 4 fails authentication, member 4 complains, dealer 2 reveals its "
        "ephemeral key: it does not open the ciphertext, dealer 2 is excluded",
        _session_input(small, _script(small, garbled_share)),
    )
    yield CaseSpec(
        "run_session",
        "undecryptable_share_not_complained",
        "member 4 keeps quiet about dealer 2's undecryptable ciphertext: its secret share is "
        "DKG_UNDECRYPTABLE_SHARE",
        _session_input(small, _script(small, garbled_share, complainers=[1, 2, 3, 5])),
    )
    no_point = list(honest[1].ciphertexts)
    no_point[3] = bad_public_keys()["not_on_curve"] + no_point[3][48:]
    bad_point = [*honest[:1], resign(small, replace(honest[1], ciphertexts=tuple(no_point)), 2), *honest[2:]]
    yield CaseSpec(
        "run_session",
        "ciphertext_point_not_on_curve",
        "dealer 2's ciphertext to member 4 has an ephemeral key off the curve: member 4 complains, dealer 2 "
        "cannot answer and is excluded",
        _session_input(small, _script(small, bad_point, justifiers=[1, 3, 4, 5])),
    )
    yield CaseSpec(
        "run_session",
        "ciphertext_point_not_complained",
        "member 4 keeps quiet about the ciphertext whose ephemeral key is off the curve: its secret share "
        "is DKG_MALFORMED_CIPHERTEXT",
        _session_input(small, _script(small, bad_point, complainers=[1, 2, 3, 5])),
    )
    after_honest = _received(small, honest)
    false_complaint = dkg.make_complaint(after_honest, 4, 3, small.secrets[3])
    complained_honest = _complained(small, after_honest, [false_complaint])
    right = dkg.make_justification(complained_honest, 3, 4, small.seeds[2], small.secrets[2])
    wrong = dkg.make_justification(complained_honest, 3, 4, dealer_seed("small", 3, 1), small.secrets[2])
    yield CaseSpec(
        "run_session",
        "false_complaint_answered",
        "member 4 complains against honest dealer 3, who reveals its ephemeral key: the share opens and "
        "passes, dealer 3 qualifies and member 4 uses the revealed share",
        _session_input(small, _events(honest, "advance", [false_complaint], "advance", [right])),
    )
    yield CaseSpec(
        "run_session",
        "bad_justification_after_good",
        "dealer 3 answers a false complaint with the right key, then a wrong one: a failed justification "
        "always disqualifies",
        _session_input(small, _events(honest, "advance", [false_complaint], "advance", [right, wrong])),
    )
    yield CaseSpec(
        "run_session",
        "bad_share_not_complained",
        "member 4 accepts dealer 2's bad share without complaining: its secret share mismatches",
        _session_input(small, _script(small, bad_share, complainers=[1, 2, 3, 5])),
    )
    yield CaseSpec(
        "run_session",
        "missing_contribution",
        "dealer 5 sends nothing: excluded, the other four qualify",
        _session_input(small, _script(small, honest[:4])),
    )
    complaint_on_missing = dkg.make_complaint(small.session, 1, 5, small.secrets[0])
    yield CaseSpec(
        "run_session",
        "complaint_against_missing_dealer",
        "member 1 complains against dealer 5, who sent nothing: accepted, no further effect",
        _session_input(small, _script(small, honest[:4], extra_complaints=[complaint_on_missing])),
    )
    yield CaseSpec(
        "run_session",
        "equivocation",
        "dealer 3 signs two different contributions: excluded",
        _session_input(small, _script(small, [*honest, contribution(small, 3, variant=1)])),
    )
    yield CaseSpec(
        "run_session",
        "identical_resend",
        "dealer 3 sends the same contribution twice: no equivocation",
        _session_input(small, _script(small, [*honest, honest[2]])),
    )

    too_few = resign(small, replace(honest[0], commitments=honest[0].commitments[:2]), 1)
    not_on_curve = resign(
        small,
        replace(honest[0], commitments=(*honest[0].commitments[:2], bad_public_keys()["not_on_curve"])),
        1,
    )
    identity_first = resign(
        small, replace(honest[0], commitments=(G1_IDENTITY, *honest[0].commitments[1:])), 1
    )
    # a 95-byte ciphertext cannot be encoded, so it cannot be signed either: the shape check comes first
    short_ciphertext = replace(
        honest[0], ciphertexts=(honest[0].ciphertexts[0][:95], *honest[0].ciphertexts[1:])
    )
    too_few_ciphertexts = resign(small, replace(honest[0], ciphertexts=honest[0].ciphertexts[:4]), 1)
    for name, bad, what in (
        ("malformed_commitment_count", too_few, "two commitments for threshold 3"),
        ("malformed_commitment_point", not_on_curve, "a commitment not on the curve"),
        ("malformed_identity_commitment", identity_first, "the first commitment is the identity"),
        (
            "malformed_ciphertext_length",
            short_ciphertext,
            "a ciphertext of 95 bytes (DKG_MALFORMED_CIPHERTEXT)",
        ),
        ("malformed_ciphertext_count", too_few_ciphertexts, "four ciphertexts for five members"),
    ):
        yield CaseSpec(
            "run_session",
            name,
            f"dealer 1's contribution has {what}: rejected, dealer 1 counts as missing",
            _session_input(small, _script(small, [bad, *honest[1:]])),
        )
    yield CaseSpec(
        "run_session",
        "malformed_then_valid",
        "dealer 1 first sends a malformed contribution, then its valid one: qualified",
        _session_input(small, _script(small, [too_few, *honest])),
    )
    forged = resign(small, honest[0], 2)
    other_session = make_quorum("other", 5, 3, preset)
    foreign = contribution(other_session, 1)
    late = honest[0]
    yield CaseSpec(
        "run_session",
        "rejected_contributions",
        "signed by another member, for another session, from a non-member, and after the phase ended",
        _session_input(
            small,
            _events(
                [forged, foreign, replace(honest[0], dealer=6), *honest[1:]],
                "advance",
                [late],
                "advance",
            ),
        ),
    )
    after = _received(small, honest)
    self_complaint = dkg.make_complaint(after, 2, 2, small.secrets[1])
    outsider = dkg.make_complaint(after, 2, 9, small.secrets[1])
    badly_signed = resign(small, dkg.make_complaint(after, 2, 3, small.secrets[1]), 3)
    early = dkg.make_complaint(small.session, 2, 3, small.secrets[1])
    unsolicited = dkg.make_justification(after, 3, 2, small.seeds[2], small.secrets[2])
    yield CaseSpec(
        "run_session",
        "rejected_complaints",
        "a complaint in CONTRIBUTION, against oneself, against a non-member, and badly signed",
        _session_input(
            small,
            _events(
                honest, [early], "advance", [self_complaint, outsider, badly_signed], "advance", [unsolicited]
            ),
        ),
    )
    complained = _complained(small, after, [dkg.make_complaint(after, 2, 3, small.secrets[1])])
    reveal = dkg.make_justification(complained, 3, 2, small.seeds[2], small.secrets[2])
    oversized = resign(small, replace(reveal, ephemeral=CURVE_ORDER.to_bytes(32, "big")), 3)
    zero = resign(small, replace(reveal, ephemeral=bytes(32)), 3)
    by_other = resign(small, reveal, 4)
    oversized_by_other = resign(small, replace(reveal, ephemeral=CURVE_ORDER.to_bytes(32, "big")), 4)
    yield CaseSpec(
        "run_session",
        "rejected_justifications",
        "justifications revealing an ephemeral key equal to the group order and zero, one signed by "
        "another member, the group order signed by another member (DKG_MALFORMED_JUSTIFICATION: the "
        "key is read before the signature is checked), the right one, then an advance past FINALIZATION",
        _session_input(
            small,
            _events(
                honest,
                "advance",
                [dkg.make_complaint(after, 2, 3, small.secrets[1])],
                "advance",
                [oversized, zero, by_other, oversized_by_other, reveal],
                "advance",
                "advance",
            ),
        ),
    )
    accuser = [dkg.make_complaint(after, 5, d, small.secrets[4]) for d in (1, 2, 3, 4)]
    answered = _complained(small, after, accuser)
    yield CaseSpec(
        "run_session",
        "false_accuser",
        "member 5 complains against every other dealer; all answer truthfully and qualify",
        _session_input(
            small,
            _events(honest, "advance", accuser, "advance", justifications(small, answered, range(1, 6))),
        ),
    )
    byzantine = [tampered(small, 1, [2, 3]), tampered(small, 2, [3, 4])]
    yield CaseSpec(
        "run_session",
        "two_byzantine_of_five",
        "dealers 1 and 2 deal bad shares and stay silent: n - t = 2 byzantine, the session completes",
        _session_input(small, _script(small, [*byzantine, *honest[2:]], justifiers=[3, 4, 5])),
    )
    yield CaseSpec(
        "run_session",
        "too_many_byzantine",
        "three of five dealers misbehave (two bad, one missing): fewer than t qualify",
        _session_input(small, _script(small, [*byzantine, *honest[2:4]], justifiers=[3, 4])),
        expect_error="DKG_FAILED",
    )
    yield CaseSpec(
        "run_session",
        "no_contributions",
        "nobody contributes",
        _session_input(small, _events("advance", "advance")),
        expect_error="DKG_FAILED",
    )
    yield CaseSpec(
        "run_session",
        "threshold_above_members",
        "threshold 6 for five members",
        _session_input(small, [], threshold=6),
        expect_error="DKG_INVALID_PARAMETERS",
    )
    yield CaseSpec(
        "run_session",
        "threshold_zero",
        "threshold 0",
        _session_input(small, [], threshold=0),
        expect_error="DKG_INVALID_PARAMETERS",
    )
    tiny = _session_input(small, [])
    tiny["members"] = tiny_members = list(_as_list(tiny["members"])[:2])
    tiny["threshold"] = 2
    yield CaseSpec(
        "run_session",
        "too_few_members",
        f"{len(tiny_members)} members, below dkg.min_members",
        tiny,
        expect_error="DKG_INVALID_PARAMETERS",
    )
    duplicate = _session_input(small, [])
    keys = list(_as_list(duplicate["members"]))
    keys[4] = {"index": 5, "public_key": small.publics[0].hex()}
    duplicate["members"] = keys
    yield CaseSpec(
        "run_session",
        "duplicate_member_key",
        "members 1 and 5 have the same key",
        duplicate,
        expect_error="DKG_INVALID_PARAMETERS",
    )
    invalid = _session_input(small, [])
    keys = list(_as_list(invalid["members"]))
    keys[2] = {"index": 3, "public_key": bls.G1_IDENTITY.hex()}
    invalid["members"] = keys
    yield CaseSpec(
        "run_session",
        "identity_member_key",
        "member 3's key is the identity",
        invalid,
        expect_error="BLS_INVALID_PUBLIC_KEY",
    )
    short_hash = _session_input(small, [])
    short_hash["quorum_hash"] = "00" * 31
    yield CaseSpec(
        "run_session",
        "short_quorum_hash",
        "a quorum hash of 31 bytes",
        short_hash,
        expect_error="DKG_INVALID_PARAMETERS",
    )


def _as_list(value: JSON) -> list[JSON]:
    return list(value) if isinstance(value, list) else []


def _verify_share_cases(preset: Preset) -> Iterator[CaseSpec]:
    small = make_quorum("small", 5, 3, preset)
    honest = contribution(small, 1)
    commitments = [c.hex() for c in honest.commitments]
    share = polynomial_eval(small.coefficients[0], 4).to_bytes(32, "big")
    plus_one = ((int.from_bytes(share, "big") + 1) % CURVE_ORDER).to_bytes(32, "big")
    cases: list[tuple[str, str, dict[str, JSON], str | None]] = [
        ("valid", "dealer 1's share for member 4", {"recipient": 4, "share": share.hex()}, None),
        (
            "wrong_recipient",
            "member 4's share checked as member 3's",
            {"recipient": 3, "share": share.hex()},
            None,
        ),
        ("off_by_one", "the share plus one", {"recipient": 4, "share": plus_one.hex()}, None),
        (
            "share_above_order",
            "a share equal to the group order",
            {"recipient": 4, "share": CURVE_ORDER.to_bytes(32, "big").hex()},
            "DKG_MALFORMED_CONTRIBUTION",
        ),
        (
            "share_31_bytes",
            "a share of 31 bytes",
            {"recipient": 4, "share": share[1:].hex()},
            "DKG_MALFORMED_CONTRIBUTION",
        ),
        ("recipient_zero", "recipient index 0", {"recipient": 0, "share": share.hex()}, "DKG_UNKNOWN_MEMBER"),
        (
            "recipient_1",
            "dealer 1's share for member 1",
            {"recipient": 1, "share": polynomial_eval(small.coefficients[0], 1).to_bytes(32, "big").hex()},
            None,
        ),
    ]
    for name, description, extra, error in cases:
        yield CaseSpec(
            "verify_share", name, description, {"commitments": commitments, **extra}, expect_error=error
        )
    yield CaseSpec(
        "verify_share",
        "commitment_not_in_subgroup",
        "a commitment on the curve but outside the subgroup",
        {
            "commitments": [*commitments[:2], bad_public_keys()["not_in_subgroup"].hex()],
            "recipient": 4,
            "share": share.hex(),
        },
        expect_error="BLS_INVALID_PUBLIC_KEY",
    )
    yield CaseSpec(
        "verify_share",
        "no_commitments",
        "an empty commitment list",
        {"commitments": [], "recipient": 4, "share": share.hex()},
        expect_error="DKG_MALFORMED_CONTRIBUTION",
    )


def _raw_ciphertext(context: bytes, recipient_key: bytes, plaintext: bytes, ephemeral: int) -> bytes:
    """DKG-11 without the plaintext check: how a dealer would encrypt a plaintext that is no share."""
    point = bls.g1_multiply(bls.G1_GENERATOR, ephemeral)
    key = share_encryption.share_key(context, point, recipient_key, bls.g1_multiply(recipient_key, ephemeral))
    body: bytes = nacl.bindings.crypto_aead_chacha20poly1305_ietf_encrypt(
        plaintext, None, share_encryption.NONCE, key
    )
    return point + body


def _encryption_cases(preset: Preset) -> Iterator[CaseSpec]:
    """DKG-11 (``encrypt_share``, ``decrypt_share``) and DKG-12 (``open_justification``)."""
    small = make_quorum("small", 5, 3, preset)
    session_id = small.session.session_id
    seed = small.seeds[1]
    share = polynomial_eval(small.coefficients[1], 4).to_bytes(32, "big")
    ciphertext = contribution(small, 2).ciphertexts[3]
    ephemeral = share_encryption.share_ephemeral(seed, 4)
    context = share_encryption.share_context(session_id, 2, 4)
    base: dict[str, JSON] = {
        "session_id": session_id.hex(),
        "dealer": 2,
        "recipient": 4,
        "recipient_key": small.publics[3].hex(),
    }

    def enc(name: str, description: str, error: str | None = None, **over: JSON) -> CaseSpec:
        data: dict[str, JSON] = {**base, "share": share.hex(), "seed": seed.hex(), **over}
        return CaseSpec("encrypt_share", name, description, data, expect_error=error)

    yield enc(
        "dealer2_member4", "dealer 2's share for member 4, with dealer 2's seed (as in its contribution)"
    )
    yield enc(
        "dealer2_member1",
        "the same dealer's share for member 1",
        recipient=1,
        recipient_key=small.publics[0].hex(),
        share=polynomial_eval(small.coefficients[1], 1).to_bytes(32, "big").hex(),
    )
    yield enc("zero_share", "the share zero (a valid scalar)", share=bytes(32).hex())
    yield enc(
        "share_equal_to_order",
        "a plaintext equal to the group order",
        "DKG_MALFORMED_CONTRIBUTION",
        share=CURVE_ORDER.to_bytes(32, "big").hex(),
    )
    for value, error in ((1, None), (CURVE_ORDER - 1, None), (0, "DKG_MALFORMED_JUSTIFICATION")):
        yield enc(
            f"explicit_ephemeral_{'r_minus_1' if value == CURVE_ORDER - 1 else value}",
            f"an explicit ephemeral scalar {value if value < 2 else 'r - 1'} instead of a seed",
            error,
            ephemeral=value.to_bytes(32, "big").hex(),
        )
    yield enc(
        "explicit_ephemeral_r",
        "an explicit ephemeral scalar equal to the group order",
        "DKG_MALFORMED_JUSTIFICATION",
        ephemeral=CURVE_ORDER.to_bytes(32, "big").hex(),
    )
    yield enc(
        "recipient_key_identity",
        "the recipient key is the identity",
        "BLS_INVALID_PUBLIC_KEY",
        recipient_key=G1_IDENTITY.hex(),
    )

    def dec(name: str, description: str, data: bytes, error: str | None = None, **over: JSON) -> CaseSpec:
        fields: dict[str, JSON] = {
            **base,
            "secret_key": small.secrets[3].hex(),
            "ciphertext": data.hex(),
            **over,
        }
        return CaseSpec("decrypt_share", name, description, fields, expect_error=error)

    yield dec("valid", "member 4 decrypts dealer 2's ciphertext", ciphertext)
    flipped = bytearray(ciphertext)
    flipped[60] ^= 1
    yield dec(
        "body_bit_flipped",
        "one bit of the encrypted share flipped",
        bytes(flipped),
        "DKG_UNDECRYPTABLE_SHARE",
    )
    tag = bytearray(ciphertext)
    tag[95] ^= 0x80
    yield dec("tag_bit_flipped", "one bit of the tag flipped", bytes(tag), "DKG_UNDECRYPTABLE_SHARE")
    yield dec(
        "other_dealer_context",
        "the ciphertext read as dealer 3's: the key hashes the dealer index",
        ciphertext,
        "DKG_UNDECRYPTABLE_SHARE",
        dealer=3,
    )
    other_quorum = make_quorum("other", 5, 3, preset)
    yield dec(
        "other_session_context",
        "the ciphertext read in another session",
        ciphertext,
        "DKG_UNDECRYPTABLE_SHARE",
        session_id=other_quorum.session.session_id.hex(),
    )
    order_plaintext = _raw_ciphertext(context, small.publics[3], CURVE_ORDER.to_bytes(32, "big"), ephemeral)
    yield dec(
        "plaintext_equal_to_order",
        "an authentic ciphertext of the group order, which is no share",
        order_plaintext,
        "DKG_UNDECRYPTABLE_SHARE",
    )
    short_plaintext = _raw_ciphertext(context, small.publics[3], share[:31], ephemeral)
    yield dec(
        "ciphertext_95_bytes_authentic",
        "an authentic ciphertext of a 31-byte plaintext (95 bytes in all)",
        short_plaintext,
        "DKG_MALFORMED_CIPHERTEXT",
    )
    yield dec(
        "ciphertext_truncated",
        "the ciphertext without its last byte",
        ciphertext[:-1],
        "DKG_MALFORMED_CIPHERTEXT",
    )
    yield dec("ciphertext_empty", "an empty ciphertext", b"", "DKG_MALFORMED_CIPHERTEXT")
    for name, point in (
        ("point_identity", G1_IDENTITY),
        ("point_not_on_curve", bad_public_keys()["not_on_curve"]),
        ("point_not_in_subgroup", bad_public_keys()["not_in_subgroup"]),
    ):
        yield dec(
            name,
            f"the ephemeral key is {name.removeprefix('point_').replace('_', ' ')}",
            point + ciphertext[48:],
            "DKG_MALFORMED_CIPHERTEXT",
        )
    yield dec(
        "wrong_secret_key",
        "member 3's secret key presented for member 4",
        ciphertext,
        "BLS_INVALID_SECRET_KEY",
        secret_key=small.secrets[2].hex(),
    )

    commitments: list[JSON] = [c.hex() for c in contribution(small, 2).commitments]

    def reveal(
        name: str, description: str, data: bytes, key: bytes, error: str | None = None, **over: JSON
    ) -> CaseSpec:
        fields: dict[str, JSON] = {
            **base,
            "commitments": commitments,
            "ciphertext": data.hex(),
            "ephemeral": key.hex(),
            **over,
        }
        return CaseSpec("open_justification", name, description, fields, expect_error=error)

    right = ephemeral.to_bytes(32, "big")
    yield reveal(
        "valid", "dealer 2 reveals the ephemeral key of its ciphertext to member 4", ciphertext, right
    )
    one = (1).to_bytes(32, "big")
    with_one = share_encryption.encrypt_share(context, small.publics[3], share, 1)
    yield reveal("ephemeral_one", "a ciphertext encrypted with e = 1 (R = g1), opened with 1", with_one, one)
    yield reveal(
        "ephemeral_one_other_ciphertext",
        "e = 1 revealed for a ciphertext of another key",
        ciphertext,
        one,
        "DKG_BAD_JUSTIFICATION",
    )
    other_key = share_encryption.share_ephemeral(dealer_seed("small", 2, 1), 4).to_bytes(32, "big")
    yield reveal("other_key", "a key of another seed", ciphertext, other_key, "DKG_BAD_JUSTIFICATION")
    yield reveal(
        "other_recipient_key",
        "the key of dealer 2's ciphertext to member 3",
        ciphertext,
        share_encryption.share_ephemeral(seed, 3).to_bytes(32, "big"),
        "DKG_BAD_JUSTIFICATION",
    )
    yield reveal(
        "garbled_body",
        "the right key for a ciphertext whose body was altered",
        bytes(flipped),
        right,
        "DKG_BAD_JUSTIFICATION",
    )
    bad_value = (int.from_bytes(share, "big") + 1) % CURVE_ORDER
    bad_share = _raw_ciphertext(context, small.publics[3], bad_value.to_bytes(32, "big"), ephemeral)
    yield reveal(
        "share_fails_commitments",
        "the right key opens an authentic ciphertext of the share plus one, which fails the commitments",
        bad_share,
        right,
        "DKG_BAD_JUSTIFICATION",
    )
    yield reveal(
        "plaintext_equal_to_order",
        "the right key opens the group order, no share",
        order_plaintext,
        right,
        "DKG_BAD_JUSTIFICATION",
    )
    yield reveal(
        "ephemeral_zero", "the ephemeral key zero", ciphertext, bytes(32), "DKG_MALFORMED_JUSTIFICATION"
    )
    yield reveal(
        "ephemeral_equal_to_order",
        "an ephemeral key equal to the group order",
        ciphertext,
        CURVE_ORDER.to_bytes(32, "big"),
        "DKG_MALFORMED_JUSTIFICATION",
    )
    yield reveal(
        "ephemeral_31_bytes",
        "an ephemeral key of 31 bytes",
        ciphertext,
        right[1:],
        "DKG_MALFORMED_JUSTIFICATION",
    )
    yield reveal(
        "ciphertext_truncated",
        "the right key, a ciphertext of 95 bytes",
        ciphertext[:-1],
        right,
        "DKG_MALFORMED_CIPHERTEXT",
    )


def _quorum_result(preset: Preset) -> tuple[dkg.DkgResult, list[bytes]]:
    """The honest five-member quorum, its result and its members' secret shares."""
    small = make_quorum("small", 5, 3, preset)
    state = drive_session(small, honest_contributions(small))
    result = dkg.finalize(state)
    secrets = [dkg.member_secret_share(state, result, j, small.secrets[j - 1]).value for j in range(1, 6)]
    return result, secrets


def _signing_cases(preset: Preset) -> Iterator[CaseSpec]:
    result, secrets = _quorum_result(preset)
    quorum_id = result.session_id
    message = seeded_bytes("dkg/signing/message", 32)
    keys: list[JSON] = [{"index": s.index, "public_key": s.value.hex()} for s in result.public_key_shares]

    def share(j: int, msg: bytes = message) -> signing.SignatureShare:
        return signing.make_signature_share(quorum_id, msg, Share(j, secrets[j - 1]))

    def case(
        name: str,
        description: str,
        shares: Sequence[signing.SignatureShare],
        error: str | None = None,
        **over: JSON,
    ) -> CaseSpec:
        data: dict[str, JSON] = {
            "quorum_id": quorum_id.hex(),
            "public_key_shares": keys,
            "threshold": 3,
            "message": message.hex(),
            "shares": [signature_share_to_json(s) for s in shares],
        }
        data.update(over)
        return CaseSpec("signing_session", name, description, data, expect_error=error)

    yield case("first_three", "members 1, 2, 3 sign", [share(1), share(2), share(3)])
    yield case("threshold_n", "threshold 5 of 5: all five sign", [share(j) for j in range(1, 6)], threshold=5)
    yield case("last_three", "members 3, 4, 5 sign: the same signature", [share(5), share(4), share(3)])
    yield case(
        "all_five", "all five sign: the three lowest indices are used", [share(j) for j in range(1, 6)]
    )
    forged = replace(share(2), signature=share(4).signature)
    yield case(
        "invalid_share_excluded",
        "member 2's share is member 4's signature: rejected; 1, 3, 5 still recover",
        [share(1), forged, share(3), share(5)],
    )
    other = seeded_bytes("dkg/signing/other", 32)
    yield case(
        "rejected_shares",
        "a share of another message, of a non-member, a repeat and a malformed signature",
        [
            share(1, other),
            replace(share(1), signer=6),
            share(1),
            share(1),
            replace(share(2), signature=b"\x00" * 96),
            share(2),
            share(3),
        ],
    )
    yield case(
        "two_of_three",
        "only two valid shares for threshold 3",
        [share(1), share(2)],
        "THRESHOLD_INSUFFICIENT_SHARES",
    )
    yield case(
        "threshold_above_members", "threshold 6 for five members", [], "SIGN_INVALID_SESSION", threshold=6
    )
    yield case("short_message", "a 31-byte message", [], "SIGN_INVALID_SESSION", message=message[:31].hex())


def _finality_cases(preset: Preset) -> Iterator[CaseSpec]:
    result, secrets = _quorum_result(preset)
    block_hash = seeded_bytes("dkg/finality/block", 32)

    def case(
        name: str, description: str, signers: Sequence[int], height: int = 1000, error: str | None = None
    ) -> CaseSpec:
        shares = [
            signing.sign_finality_share(result.session_id, Share(j, secrets[j - 1]), height, block_hash)
            for j in signers
        ]
        return CaseSpec(
            "finality_certificate",
            name,
            description,
            {
                "quorum_id": result.session_id.hex(),
                "public_key_shares": [
                    {"index": s.index, "public_key": s.value.hex()} for s in result.public_key_shares
                ],
                "threshold": result.threshold,
                "group_public_key": result.group_public_key.hex(),
                "height": 1000,
                "block_hash": block_hash.hex(),
                "shares": [signature_share_to_json(s) for s in shares],
            },
            expect_error=error,
        )

    yield case("three_signers", "members 2, 4, 5 finalize block 1000", [2, 4, 5])
    yield case("all_signers", "all five members finalize block 1000", [1, 2, 3, 4, 5])
    yield case("two_signers", "only two signers", [1, 2], error="THRESHOLD_INSUFFICIENT_SHARES")
    yield case(
        "shares_for_another_height",
        "three shares finalizing height 1001 instead: all rejected",
        [1, 2, 3],
        height=1001,
        error="THRESHOLD_INSUFFICIENT_SHARES",
    )


def _decode_cases(preset: Preset) -> Iterator[CaseSpec]:
    small = make_quorum("small", 5, 3, preset)
    honest = contribution(small, 1)
    after = _received(small, [honest])
    complaint = dkg.make_complaint(after, 2, 1, small.secrets[1])
    justification = dkg.make_justification(after, 1, 2, small.seeds[0], small.secrets[0])
    encodings = {
        "contribution": dkg.encode_contribution(honest, preset),
        "complaint": dkg.encode_complaint(complaint),
        "justification": dkg.encode_justification(justification),
        "signature_share": signing.encode_signature_share(
            signing.SignatureShare(
                after.session_id, seeded_bytes("dkg/decode/message", 32), 3, bls.G2_GENERATOR
            )
        ),
    }
    for kind, message in (
        ("contribution", honest),
        ("complaint", complaint),
        ("justification", justification),
    ):
        yield CaseSpec(
            "encode_message",
            kind,
            f"the canonical encoding, signed bytes and digest of a {kind}",
            {"message": message_to_json(message)},
        )
    yield CaseSpec(
        "encode_message",
        "contribution_n7_t5",
        "a contribution of a seven-member session with threshold 5",
        {"message": message_to_json(contribution(make_quorum("large", 7, 5, preset), 7))},
    )
    for kind, raw in encodings.items():
        yield CaseSpec(
            "decode_message", f"{kind}_valid", f"a canonical {kind}", {"type": kind, "bytes": raw.hex()}
        )
        yield CaseSpec(
            "decode_message",
            f"{kind}_truncated",
            f"a {kind} missing its last byte",
            {"type": kind, "bytes": raw[:-1].hex()},
            expect_error="DECODE_TRUNCATED",
        )
        yield CaseSpec(
            "decode_message",
            f"{kind}_trailing",
            f"a {kind} followed by one more byte",
            {"type": kind, "bytes": (raw + b"\x00").hex()},
            expect_error="DECODE_TRAILING_BYTES",
        )
    over = preset.quorum.max_members + 1
    header = honest.session_id + (1).to_bytes(2, "little")
    yield CaseSpec(
        "decode_message",
        "contribution_too_many_commitments",
        f"{over} commitments, above quorum.max_members",
        {"type": "contribution", "bytes": (header + varint_encode(over)).hex()},
        expect_error="DECODE_LENGTH_LIMIT",
    )


def _hex_scalars(values: Sequence[int]) -> list[JSON]:
    return [(v % CURVE_ORDER).to_bytes(32, "big").hex() for v in values]


def _height(height: int) -> JSON:
    return {"type": "height", "height": height}


def _sign_share_cases(preset: Preset) -> Iterator[CaseSpec]:
    """SIGN-2/4, member side: a member's signature share of a message and of a block's finality."""
    result, secrets = _quorum_result(preset)
    block_hash = seeded_bytes("dkg/finality/block", 32)
    message = seeded_bytes("dkg/signing/message", 32)

    def case(name: str, description: str, member: int, error: str | None = None, **over: JSON) -> CaseSpec:
        data: dict[str, JSON] = {
            "quorum_id": result.session_id.hex(),
            "secret_share": {"index": member, "value": secrets[min(member, 5) - 1].hex()},
            **over,
        }
        return CaseSpec("sign_share", name, description, data, expect_error=error)

    yield case("message_member_2", "member 2 signs a 32-byte message", 2, message=message.hex())
    yield case("message_member_1", "member 1 signs a 32-byte message", 1, message=message.hex())
    yield case(
        "finality_member_4", "member 4 finalizes a block at 1000", 4, height=1000, block_hash=block_hash.hex()
    )
    yield case(
        "finality_member_5", "member 5 finalizes a block at 0", 5, height=0, block_hash=block_hash.hex()
    )
    yield case(
        "finality_max_height",
        "member 3 finalizes a block at 2^64 - 1",
        3,
        height=str(2**64 - 1),
        block_hash=block_hash.hex(),
    )
    yield case(
        "finality_height_2_64",
        "a height of 2^64 (not a u64)",
        3,
        "SIGN_INVALID_SESSION",
        height=str(2**64),
        block_hash=block_hash.hex(),
    )
    yield case(
        "finality_short_hash",
        "a 31-byte block hash",
        3,
        "SIGN_INVALID_SESSION",
        height=1000,
        block_hash=block_hash[:31].hex(),
    )
    yield case(
        "finality_negative_height",
        "height -1",
        3,
        "SIGN_INVALID_SESSION",
        height=-1,
        block_hash=block_hash.hex(),
    )
    yield case("index_zero", "a secret share of index 0", 0, "THRESHOLD_INVALID_INDEX", message=message.hex())


def _member_cases(preset: Preset) -> Iterator[CaseSpec]:
    """The member side: dealing (DKG-4/11), finding bad shares and complaining (DKG-6/10),
    justifying (DKG-7), the phase clock (DKG-2), and sessions that need a chosen polynomial."""
    small = make_quorum("small", 5, 3, preset)
    large = make_quorum("large", 7, 5, preset)
    honest = honest_contributions(small)

    def deal(
        name: str, description: str, quorum: Quorum, dealer: int, error: str | None = None, **kw: JSON
    ) -> CaseSpec:
        data: dict[str, JSON] = {
            "dealer": dealer,
            "coefficients": _hex_scalars(quorum.coefficients[min(dealer, quorum.size) - 1]),
            "seed": quorum.seeds[min(dealer, quorum.size) - 1].hex(),
            "secret_key": quorum.secrets[min(dealer, quorum.size) - 1].hex(),
            **kw,
        }
        return CaseSpec("deal", name, description, {**_session_input(quorum, []), **data}, expect_error=error)

    yield deal("dealer_2_of_5", "member 2 deals its seeded polynomial to five members", small, 2)
    yield deal("dealer_1_of_5", "member 1 deals (first index)", small, 1)
    yield deal("dealer_7_of_7", "member 7 of seven deals a degree-4 polynomial", large, 7)
    yield deal(
        "too_few_coefficients",
        "two coefficients for threshold 3",
        small,
        2,
        "DKG_MALFORMED_CONTRIBUTION",
        coefficients=_hex_scalars(small.coefficients[1][:2]),
    )
    yield deal(
        "too_many_coefficients",
        "four coefficients for threshold 3",
        small,
        2,
        "DKG_MALFORMED_CONTRIBUTION",
        coefficients=_hex_scalars([*small.coefficients[1], 5]),
    )
    yield deal(
        "zero_secret",
        "a polynomial whose constant term (the dealer's secret) is zero",
        small,
        2,
        "THRESHOLD_INVALID_POLYNOMIAL",
        coefficients=_hex_scalars([0, *small.coefficients[1][1:]]),
    )
    yield deal("dealer_6_of_5", "dealer index 6 in a session of five", small, 6, "DKG_UNKNOWN_MEMBER")
    yield deal("dealer_0", "dealer index 0", small, 0, "DKG_UNKNOWN_MEMBER")
    yield deal(
        "bad_secret_key",
        "a secret key equal to the group order",
        small,
        2,
        "BLS_INVALID_SECRET_KEY",
        secret_key=CURVE_ORDER.to_bytes(32, "big").hex(),
    )

    def complain(
        name: str,
        description: str,
        contributions: Sequence[Contribution],
        recipients: Sequence[int],
        error: str | None = None,
        keys: dict[int, bytes] | None = None,
    ) -> CaseSpec:
        chosen = keys if keys is not None else {j: small.secrets[j - 1] for j in recipients}
        data: dict[str, JSON] = {
            **_session_input(small, _events(contributions, "advance")),
            "recipients": [{"index": j, "secret_key": k.hex()} for j, k in chosen.items()],
        }
        return CaseSpec("complain", name, description, data, expect_error=error)

    yield complain("honest", "every share checks: nobody complains", honest, [1, 2, 3, 4, 5])
    bad_share = [*honest[:1], tampered(small, 2, [4]), *honest[2:]]
    yield complain(
        "bad_share",
        "dealer 2 deals member 4 a share off by one: member 4 accuses dealer 2, member 1 nobody",
        bad_share,
        [4, 1],
    )
    yield complain(
        "bad_share_to_member_1",
        "dealer 3 deals member 1 a bad share and member 5 a garbled one",
        [*honest[:2], tampered(small, 3, [1]), *honest[3:]],
        [1, 5],
    )
    yield complain(
        "garbled_share",
        "dealer 3's ciphertext to member 1 fails authentication: accused, its share not received",
        [*honest[:2], garbled(small, 3, [1]), *honest[3:]],
        [1, 2],
    )
    yield complain(
        "two_bad_dealers",
        "dealer 1 deals member 2 a bad share, dealer 4 a garbled one: member 2 accuses both",
        [tampered(small, 1, [2]), *honest[1:3], garbled(small, 4, [2]), honest[4]],
        [2, 3],
    )
    yield complain(
        "bad_shares_to_last_member",
        "dealers 2 and 5 deal member 5 bad shares",
        [honest[0], tampered(small, 2, [5]), *honest[2:4], tampered(small, 5, [5, 3])],
        [5, 3, 4],
    )
    yield complain(
        "equivocator_not_a_candidate",
        "dealer 2 equivocates (and deals member 3 a bad share): not a candidate, not accused",
        [*honest, contribution(small, 2, variant=1), tampered(small, 4, [3])],
        [3],
    )
    yield complain(
        "missing_dealers",
        "only dealers 2 and 4 contribute",
        [honest[1], honest[3]],
        [1, 2],
    )
    yield complain("no_contributions", "nobody contributes: no candidates", [], [1, 3])
    own = list(small.coefficients[2])
    own[0] = (-sum(own[1:])) % CURVE_ORDER  # dealer 3's polynomial vanishes at member 1
    vanishing = dkg.make_contribution(small.session, 3, own, small.secrets[2], small.seeds[2])
    body = bytearray(vanishing.ciphertexts[0])
    body[60] ^= 0x01
    garbled_zero = dkg.sign_message(
        replace(vanishing, ciphertexts=(bytes(body), *vanishing.ciphertexts[1:])), small.secrets[2]
    )
    yield complain(
        "garbled_zero_share",
        "dealer 3's share to member 1 is zero and its ciphertext fails authentication: accused (a batch "
        "check counting the unreadable share as zero would pass)",
        [*honest[:2], garbled_zero, *honest[3:]],
        [1, 2],
    )
    yield complain(
        "not_the_member_key",
        "member 2's check with member 3's secret key",
        honest,
        [2],
        "BLS_INVALID_SECRET_KEY",
        keys={2: small.secrets[2]},
    )
    yield complain(
        "unknown_member",
        "recipient index 6 in a session of five",
        honest,
        [6],
        "DKG_UNKNOWN_MEMBER",
        keys={6: small.secrets[0]},
    )
    yield complain(
        "member_zero",
        "recipient index 0",
        honest,
        [0],
        "DKG_UNKNOWN_MEMBER",
        keys={0: small.secrets[0]},
    )

    after = _received(small, bad_share)
    raised = [
        dkg.make_complaint(after, 4, 2, small.secrets[3]),
        dkg.make_complaint(after, 1, 2, small.secrets[0]),
        dkg.make_complaint(after, 5, 3, small.secrets[4]),
    ]
    for dealer in (2, 3, 1):
        yield CaseSpec(
            "justify",
            f"dealer_{dealer}",
            f"dealer {dealer} answers every complaint against it "
            "(members 4 and 1 complain against dealer 2, member 5 against dealer 3)",
            {
                **_session_input(small, _events(bad_share, "advance", raised, "advance")),
                "dealer": dealer,
                "seed": small.seeds[dealer - 1].hex(),
                "secret_key": small.secrets[dealer - 1].hex(),
            },
        )
    yield CaseSpec(
        "justify",
        "bad_secret_key",
        "dealer 2 with a zero secret key",
        {
            **_session_input(small, _events(bad_share, "advance", raised, "advance")),
            "dealer": 2,
            "seed": small.seeds[1].hex(),
            "secret_key": bytes(32).hex(),
        },
        expect_error="BLS_INVALID_SECRET_KEY",
    )

    params = preset.dkg
    for start in (0, 100):
        starts = [dkg.phase_start_height(start, phase, params) for phase in dkg.DkgPhase]
        end = dkg.session_end_height(start, params)
        heights = sorted({h for s in [*starts, end] for h in (s - 1, s, s + 1) if h >= 0})
        yield CaseSpec(
            "phase_schedule",
            f"start_{start}",
            f"the phase at each height around the phase boundaries of a session started at {start}",
            {"start_height": start, "heights": heights},
        )

    base = small.session.start_height
    complaint_start = dkg.phase_start_height(base, dkg.DkgPhase.COMPLAINT, params)
    justification_start = dkg.phase_start_height(base, dkg.DkgPhase.JUSTIFICATION, params)
    final_start = dkg.phase_start_height(base, dkg.DkgPhase.FINALIZATION, params)
    bad_after = _received(small, bad_share)
    complaint_4 = dkg.make_complaint(bad_after, 4, 2, small.secrets[3])
    answered = _complained(small, bad_after, [complaint_4])
    answer = justifications(small, answered, [2])
    yield CaseSpec(
        "run_session",
        "height_driven",
        "the script moves the session by block heights (DKG-2): the last contribution height, the "
        "first complaint height, a later complaint height, the first justification height",
        _session_input(
            small,
            [
                *_events(bad_share[:3]),
                _height(complaint_start - 1),
                *_events(bad_share[3:]),
                _height(complaint_start),
                *_events([complaint_4]),
                _height(complaint_start + 1),
                _height(justification_start),
                *_events(answer),
                _height(final_start),
            ],
        ),
    )
    yield CaseSpec(
        "run_session",
        "height_rejected",
        "heights before the session, of an earlier phase, and after the session end: rejected "
        "(DKG_WRONG_PHASE), the session stays in its phase",
        _session_input(
            make_quorum("late", 5, 3, preset, start_height=50),
            [
                _height(49),
                *_events(honest_contributions(make_quorum("late", 5, 3, preset, start_height=50))),
                _height(50 + complaint_start),
                _height(50 + complaint_start - 1),
                _height(50 + dkg.session_end_height(0, params)),
                _height(50 + justification_start - 1),
            ],
        ),
    )
    full = make_quorum("full", 4, 4, preset)
    yield CaseSpec(
        "run_session",
        "threshold_n",
        "threshold 4 of 4: every member must deal",
        _session_input(full, _events(honest_contributions(full), "advance", "advance")),
    )
    three = make_quorum("three", 3, 2, preset)
    yield CaseSpec(
        "run_session",
        "min_members",
        f"{preset.dkg.min_members} members (dkg.min_members), threshold 2",
        _session_input(three, _events(honest_contributions(three), "advance", "advance")),
    )
    outsider_after = _received(small, honest)
    outsider_complaint = dkg.make_complaint(outsider_after, 2, 3, small.secrets[1])
    outsider_state = _complained(small, outsider_after, [outsider_complaint])
    honest_answer = dkg.make_justification(outsider_state, 3, 2, small.seeds[2], small.secrets[2])
    yield CaseSpec(
        "run_session",
        "justification_from_non_member",
        "a justification naming dealer 6 of five and one naming dealer 0 (DKG_UNKNOWN_MEMBER), then "
        "dealer 3's real answer",
        _session_input(
            small,
            _events(
                honest,
                "advance",
                [outsider_complaint],
                "advance",
                [replace(honest_answer, dealer=6), replace(honest_answer, dealer=0), honest_answer],
            ),
        ),
    )
    yield CaseSpec(
        "run_session",
        "threshold_one",
        "threshold 1: every member's share is the group secret",
        _session_input(
            make_quorum("t1", 4, 1, preset),
            _events(honest_contributions(make_quorum("t1", 4, 1, preset)), "advance", "advance"),
        ),
    )
    first = [*honest[:1], tampered(small, 2, [1]), *honest[2:]]
    first_after = _received(small, first)
    first_complaints = [
        dkg.make_complaint(first_after, 1, 2, small.secrets[0]),
        dkg.make_complaint(first_after, 1, 3, small.secrets[0]),
    ]
    first_answered = _complained(small, first_after, first_complaints)
    yield CaseSpec(
        "run_session",
        "member_1_complains",
        "member 1 complains against dealer 2 (a bad share, revealed: excluded) and dealer 3 "
        "(a false complaint, answered: qualified)",
        _session_input(
            small,
            _events(
                first, "advance", first_complaints, "advance", justifications(small, first_answered, [2, 3])
            ),
        ),
    )

    # Chosen polynomials: dealer 5's completes the others' to a sum with a property.
    def completed(target: int) -> list[Contribution]:
        quorum = small
        others = [quorum.coefficients[d - 1] for d in range(1, 5)]
        own = list(quorum.coefficients[4])
        at = [sum(polynomial_eval(c, target) for c in others) % CURVE_ORDER]
        # shift the constant term so that the summed polynomial vanishes at x = target
        own[0] = (own[0] - at[0] - polynomial_eval(own, target)) % CURVE_ORDER
        dealt = dkg.make_contribution(quorum.session, 5, own, quorum.secrets[4], quorum.seeds[4])
        return [*honest[:4], dealt]

    yield CaseSpec(
        "run_session",
        "group_key_identity",
        "dealer 5's constant term cancels the others': the group public key is the identity",
        _session_input(small, _events(completed(0), "advance", "advance")),
        expect_error="DKG_FAILED",
    )
    yield CaseSpec(
        "run_session",
        "key_share_identity",
        "dealer 5's polynomial makes the summed one vanish at member 3: its key share is the identity",
        _session_input(small, _events(completed(3), "advance", "advance")),
        expect_error="DKG_FAILED",
    )


def generate(preset: Preset) -> Iterator[CaseSpec]:
    """DKG-1..12, SIGN-1..4 and the message encodings."""
    yield from _session_cases(preset)
    yield from _verify_share_cases(preset)
    yield from _encryption_cases(preset)
    yield from _signing_cases(preset)
    yield from _finality_cases(preset)
    yield from _decode_cases(preset)
    yield from _member_cases(preset)
    yield from _sign_share_cases(preset)

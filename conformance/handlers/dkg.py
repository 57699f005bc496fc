"""Handlers of the ``dkg`` flow: DKG sessions, share checks, threshold signing, finality (spec/masternode/).

Messages in JSON carry their fields by name (byte strings in hex, indices as numbers):

* contribution: ``{"type": "contribution", "session_id", "dealer", "commitments": [..],
  "ciphertexts": [..], "signature"}``;
* complaint: ``{"type": "complaint", "session_id", "complainer", "accused", "signature"}``;
* justification: ``{"type": "justification", "session_id", "dealer", "complainer", "ephemeral",
  "signature"}``;
* ``{"type": "advance"}`` moves the session to its next phase (DKG-2);
* ``{"type": "height", "height"}`` moves the session to the phase of that block height (DKG-2: a
  height outside the session or of an earlier phase is ``DKG_WRONG_PHASE``);
* signature share: ``{"quorum_id", "message", "signer", "signature"}``.

A session script is replayed event by event; a rejected event is listed with its error code and
the replay goes on, exactly as a node drops a bad message and keeps going.
"""

from __future__ import annotations

from conformance.jsonio import (
    field,
    hex_field,
    hex_list_field,
    int_field,
    int_list_field,
    str_field,
    to_hex,
)
from conformance.jsonio import object_list_field as _objects
from conformance.model import JSON, BadInput, Handler
from spec.chain.forkchoice import FinalityCertificate, verify_finality_certificate
from spec.crypto import bls
from spec.crypto.threshold import Share
from spec.errors import DkgBadJustification, InsufficientShares, InvalidSecretKey, SpecError
from spec.masternode import dkg, share_encryption, signing
from spec.masternode.dkg import Complaint, Contribution, DkgPhase, DkgSession, Justification
from spec.masternode.signing import SignatureShare, SigningSession
from spec.presets import Preset


def _members(data: dict[str, JSON]) -> list[bytes]:
    """``members: [{"index", "public_key", "secret_key"?}]`` with indices 1..n in order."""
    members = _objects(data, "members")
    if [int_field(m, "index") for m in members] != list(range(1, len(members) + 1)):
        raise BadInput("members must be listed with indices 1..n in order")
    return [hex_field(m, "public_key") for m in members]


def _member_secrets(data: dict[str, JSON]) -> dict[int, bytes]:
    """The members' optional ``secret_key`` fields (they decrypt their shares, DKG-11), by index."""
    return {
        int_field(m, "index"): hex_field(m, "secret_key")
        for m in _objects(data, "members")
        if "secret_key" in m
    }


def _indexed_keys(data: dict[str, JSON], name: str) -> list[Share]:
    return [Share(int_field(item, "index"), hex_field(item, "public_key")) for item in _objects(data, name)]


def message_from_json(item: dict[str, JSON]) -> dkg.DkgMessage:
    """A DKG message from its JSON object (the ``type`` field names the kind)."""
    kind = str_field(item, "type")
    session = hex_field(item, "session_id")
    if kind == "contribution":
        return Contribution(
            session,
            int_field(item, "dealer"),
            tuple(hex_list_field(item, "commitments")),
            tuple(hex_list_field(item, "ciphertexts")),
            hex_field(item, "signature"),
        )
    if kind == "complaint":
        return Complaint(
            session, int_field(item, "complainer"), int_field(item, "accused"), hex_field(item, "signature")
        )
    if kind == "justification":
        return Justification(
            session,
            int_field(item, "dealer"),
            int_field(item, "complainer"),
            hex_field(item, "ephemeral"),
            hex_field(item, "signature"),
        )
    raise BadInput(f"unknown message type {kind!r}")


def message_to_json(message: dkg.DkgMessage) -> dict[str, JSON]:
    """The JSON object of a DKG message (inverse of :func:`message_from_json`)."""
    if isinstance(message, Contribution):
        return {
            "type": "contribution",
            "session_id": to_hex(message.session_id),
            "dealer": message.dealer,
            "commitments": [to_hex(c) for c in message.commitments],
            "ciphertexts": [to_hex(c) for c in message.ciphertexts],
            "signature": to_hex(message.signature),
        }
    if isinstance(message, Complaint):
        return {
            "type": "complaint",
            "session_id": to_hex(message.session_id),
            "complainer": message.complainer,
            "accused": message.accused,
            "signature": to_hex(message.signature),
        }
    return {
        "type": "justification",
        "session_id": to_hex(message.session_id),
        "dealer": message.dealer,
        "complainer": message.complainer,
        "ephemeral": to_hex(message.ephemeral),
        "signature": to_hex(message.signature),
    }


def signature_share_from_json(item: dict[str, JSON]) -> SignatureShare:
    """A signature share from its JSON object."""
    return SignatureShare(
        hex_field(item, "quorum_id"),
        hex_field(item, "message"),
        int_field(item, "signer"),
        hex_field(item, "signature"),
    )


def signature_share_to_json(share: SignatureShare) -> dict[str, JSON]:
    """The JSON object of a signature share."""
    return {
        "quorum_id": to_hex(share.quorum_id),
        "message": to_hex(share.message),
        "signer": share.signer,
        "signature": to_hex(share.signature),
    }


def certificate_to_json(certificate: FinalityCertificate) -> dict[str, JSON]:
    """The JSON object of a finality certificate: ``{"height", "block_hash", "signature"}``."""
    return {
        "height": certificate.height,
        "block_hash": to_hex(certificate.block_hash),
        "signature": to_hex(certificate.signature),
    }


def _apply(state: DkgSession, event: dict[str, JSON]) -> DkgSession:
    kind = str_field(event, "type")
    if kind == "advance":
        return dkg.advance_phase(state)
    if kind == "height":
        return dkg.advance_to_height(state, int_field(event, "height"))
    message = message_from_json(event)
    if isinstance(message, Contribution):
        return dkg.receive_contribution(state, message)
    if isinstance(message, Complaint):
        return dkg.receive_complaint(state, message)
    return dkg.receive_justification(state, message)


def _replay(preset: Preset, data: dict[str, JSON]) -> tuple[DkgSession, list[JSON]]:
    """DKG-1: open the session of ``{"members", "threshold", "quorum_hash", "start_height"}`` and
    replay its ``events``; the state and the rejected events (``{"event": position, "error": code}``)."""
    state = dkg.start_session(
        _members(data),
        int_field(data, "threshold"),
        hex_field(data, "quorum_hash"),
        int_field(data, "start_height"),
        preset,
    )
    rejected: list[JSON] = []
    for position, event in enumerate(_objects(data, "events")):
        try:
            state = _apply(state, event)
        except SpecError as error:
            rejected.append({"event": position, "error": error.code})
    return state, rejected


def run_session(preset: Preset, data: dict[str, JSON]) -> JSON:
    """DKG-1..9: replay ``events`` in a session of ``members``; the result, or the session's error code.

    Input ``{"members", "threshold", "quorum_hash", "start_height", "events"}``. After the events the
    session is advanced to FINALIZATION and finalized. Output: the session id, the rejected events
    (``{"event": position, "error": code}``), the result's ``threshold``, ``qualified``,
    ``excluded`` (``{"dealer", "reason"}``), the group public key, the public key shares and the
    secret share (or its error code) of each member whose ``secret_key`` is given (it decrypts the
    member's shares, DKG-11).
    """
    secrets = _member_secrets(data)
    state, rejected = _replay(preset, data)
    while state.phase is not DkgPhase.FINALIZATION:
        state = dkg.advance_phase(state)
    result = dkg.finalize(state)
    secret_shares: list[JSON] = []
    for member in sorted(secrets):
        try:
            share = dkg.member_secret_share(state, result, member, secrets[member])
            secret_shares.append({"index": member, "secret_share": to_hex(share.value)})
        except SpecError as error:
            secret_shares.append({"index": member, "error": error.code})
    return {
        "session_id": to_hex(state.session_id),
        "rejected": rejected,
        "threshold": result.threshold,
        "qualified": list(result.qualified),
        "excluded": [{"dealer": dealer, "reason": reason.value} for dealer, reason in result.excluded],
        "group_public_key": to_hex(result.group_public_key),
        "public_key_shares": [
            {"index": s.index, "public_key": to_hex(s.value)} for s in result.public_key_shares
        ],
        "secret_shares": secret_shares,
    }


def verify_share(preset: Preset, data: dict[str, JSON]) -> JSON:
    """DKG-6: ``{"commitments", "recipient", "share"}`` -> ``{"valid"}``."""
    commitments = hex_list_field(data, "commitments")
    if len(commitments) > preset.quorum.max_members:
        raise BadInput(f"at most {preset.quorum.max_members} commitments")
    return {"valid": dkg.verify_share(commitments, int_field(data, "recipient"), hex_field(data, "share"))}


def _context(data: dict[str, JSON]) -> bytes:
    session_id = hex_field(data, "session_id")
    dealer, recipient = int_field(data, "dealer"), int_field(data, "recipient")
    if len(session_id) != 32 or not 1 <= dealer <= 0xFFFF or not 1 <= recipient <= 0xFFFF:
        raise BadInput("session_id is 32 bytes, dealer and recipient in [1, 65535]")
    return share_encryption.share_context(session_id, dealer, recipient)


def _recipient_key(data: dict[str, JSON]) -> bytes:
    return bls.decode_public_key(hex_field(data, "recipient_key"))


def encrypt_share(preset: Preset, data: dict[str, JSON]) -> JSON:
    """DKG-11: ``{"session_id", "dealer", "recipient", "recipient_key", "share", "seed"}`` -> the
    ``ephemeral`` key the seed gives the recipient and the ``ciphertext``; or
    ``BLS_INVALID_PUBLIC_KEY``, ``DKG_MALFORMED_CONTRIBUTION`` (a share not 32 bytes below ``r``).
    An ``ephemeral`` (32 bytes big-endian) instead of the seed encrypts with that scalar
    (``DKG_MALFORMED_JUSTIFICATION`` outside ``[1, r - 1]``)."""
    context = _context(data)
    key = _recipient_key(data)
    if "ephemeral" in data:
        raw = hex_field(data, "ephemeral")
        if len(raw) != 32:
            raise BadInput("ephemeral must be 32 bytes")
        ephemeral = int.from_bytes(raw, "big")
    else:
        ephemeral = share_encryption.share_ephemeral(hex_field(data, "seed"), int_field(data, "recipient"))
    ciphertext = share_encryption.encrypt_share(context, key, hex_field(data, "share"), ephemeral)
    return {"ephemeral": to_hex(ephemeral.to_bytes(32, "big")), "ciphertext": to_hex(ciphertext)}


def decrypt_share(preset: Preset, data: dict[str, JSON]) -> JSON:
    """DKG-11: ``{"session_id", "dealer", "recipient", "recipient_key", "secret_key", "ciphertext"}``
    -> the ``share``; or ``DKG_MALFORMED_CIPHERTEXT``, ``DKG_UNDECRYPTABLE_SHARE``,
    ``BLS_INVALID_SECRET_KEY`` (a key that is not the recipient's)."""
    context = _context(data)
    key = _recipient_key(data)
    secret = bls.decode_secret_key(hex_field(data, "secret_key"))
    if bls.sk_to_pk(hex_field(data, "secret_key")) != key:
        raise InvalidSecretKey("not the recipient key's secret")
    share = share_encryption.decrypt_share(context, key, secret, hex_field(data, "ciphertext"))
    return {"share": to_hex(share.to_bytes(32, "big"))}


def open_justification(preset: Preset, data: dict[str, JSON]) -> JSON:
    """DKG-12: ``{"session_id", "dealer", "recipient", "recipient_key", "commitments", "ciphertext",
    "ephemeral"}`` -> the revealed ``share``; or ``DKG_MALFORMED_JUSTIFICATION``,
    ``DKG_MALFORMED_CIPHERTEXT``, ``DKG_BAD_JUSTIFICATION`` (the key is not the ciphertext's, does
    not open it, or opens a share that fails the commitments)."""
    context = _context(data)
    key = _recipient_key(data)
    commitments = hex_list_field(data, "commitments")
    if not 1 <= len(commitments) <= preset.quorum.max_members:
        raise BadInput(f"1 to {preset.quorum.max_members} commitments")
    for point in commitments:
        bls.decode_g1_point(point)
    ephemeral = share_encryption.ephemeral_scalar(hex_field(data, "ephemeral"))
    value = share_encryption.open_with_ephemeral(context, key, hex_field(data, "ciphertext"), ephemeral)
    share = value.to_bytes(32, "big")
    if not dkg.verify_share(commitments, int_field(data, "recipient"), share):
        raise DkgBadJustification("the revealed share fails the commitments")
    return {"share": to_hex(share)}


def _collect(session: SigningSession, data: dict[str, JSON]) -> tuple[SigningSession, list[JSON]]:
    rejected: list[JSON] = []
    for position, item in enumerate(_objects(data, "shares")):
        try:
            session = signing.add_signature_share(session, signature_share_from_json(item))
        except SpecError as error:
            rejected.append({"share": position, "error": error.code})
    return session, rejected


def signing_session(preset: Preset, data: dict[str, JSON]) -> JSON:
    """SIGN-1..3: ``{"quorum_id", "public_key_shares", "threshold", "message", "shares"}`` -> the
    recovered ``signature``, the ``accepted`` signers and the ``rejected`` shares; fewer than ``t``
    valid shares is ``THRESHOLD_INSUFFICIENT_SHARES``."""
    keys = _indexed_keys(data, "public_key_shares")
    if len(keys) > preset.quorum.max_members:
        raise BadInput(f"at most {preset.quorum.max_members} public key shares")
    session = signing.start_signing(
        hex_field(data, "quorum_id"), keys, int_field(data, "threshold"), hex_field(data, "message")
    )
    session, rejected = _collect(session, data)
    signature = signing.try_recover(session)
    if signature is None:
        raise InsufficientShares(f"{len(session.shares)} valid shares, threshold {session.threshold}")
    return {"signature": to_hex(signature), "accepted": sorted(session.shares), "rejected": rejected}


def finality_certificate(preset: Preset, data: dict[str, JSON]) -> JSON:
    """SIGN-4: ``{"quorum_id", "public_key_shares", "threshold", "group_public_key", "height",
    "block_hash", "shares"}`` -> the ``certificate`` and whether it verifies under the group key."""
    keys = _indexed_keys(data, "public_key_shares")
    if len(keys) > preset.quorum.max_members:
        raise BadInput(f"at most {preset.quorum.max_members} public key shares")
    height = int_field(data, "height")
    block_hash = hex_field(data, "block_hash")
    session = signing.finality_session(
        hex_field(data, "quorum_id"), keys, int_field(data, "threshold"), height, block_hash
    )
    session, rejected = _collect(session, data)
    certificate = signing.sign_block_finality(session, height, block_hash)
    return {
        "certificate": certificate_to_json(certificate),
        "rejected": rejected,
        "verifies": verify_finality_certificate(certificate, hex_field(data, "group_public_key")),
    }


def decode_message(preset: Preset, data: dict[str, JSON]) -> JSON:
    """ENC of the DKG and signing messages: ``{"type", "bytes"}`` -> ``{"message"}`` (plus the DKG-3
    ``digest`` of DKG messages), or the decoder's error code."""
    kind = str_field(data, "type")
    raw = hex_field(data, "bytes")
    if kind == "signature_share":
        return {"message": signature_share_to_json(signing.decode_signature_share(raw))}
    message: dkg.DkgMessage
    if kind == "contribution":
        message = dkg.decode_contribution(raw, preset)
    elif kind == "complaint":
        message = dkg.decode_complaint(raw)
    elif kind == "justification":
        message = dkg.decode_justification(raw)
    else:
        raise BadInput(f"unknown message type {kind!r}")
    return {"message": message_to_json(message), "digest": to_hex(dkg.message_digest(message))}


def sign_share(preset: Preset, data: dict[str, JSON]) -> JSON:
    """SIGN-2/4 (member side): ``{"quorum_id", "secret_share": {"index", "value"}}`` and either
    ``"message"`` or a block's ``"height"`` and ``"block_hash"`` (SIGN-4: the FORK-3 finality message)
    -> the member's signature ``share``; ``SIGN_INVALID_SESSION`` (a height not a u64, a hash not
    32 bytes), ``THRESHOLD_INVALID_SHARE``/``BLS_INVALID_SECRET_KEY`` for a bad secret share."""
    item = field(data, "secret_share")
    if not isinstance(item, dict):
        raise BadInput("secret_share must be an object")
    secret = Share(int_field(item, "index"), hex_field(item, "value"))
    quorum_id = hex_field(data, "quorum_id")
    if "message" in data:
        share = signing.make_signature_share(quorum_id, hex_field(data, "message"), secret)
    else:
        share = signing.sign_finality_share(
            quorum_id, secret, int_field(data, "height"), hex_field(data, "block_hash")
        )
    return {"share": signature_share_to_json(share)}


def encode_message(preset: Preset, data: dict[str, JSON]) -> JSON:
    """ENC and DKG-3 of a DKG message: ``{"message"}`` (JSON form) -> its canonical ``bytes``, the
    ``signed_bytes`` (``u8(kind) || encoding without the signature``) and their ``digest``."""
    item = field(data, "message")
    if not isinstance(item, dict):
        raise BadInput("message must be an object")
    message = message_from_json(dict(item))
    if isinstance(message, Contribution):
        if max(len(message.commitments), len(message.ciphertexts)) > preset.quorum.max_members:
            raise BadInput(f"at most {preset.quorum.max_members} commitments and ciphertexts")
        raw = dkg.encode_contribution(message, preset)
    elif isinstance(message, Complaint):
        raw = dkg.encode_complaint(message)
    else:
        raw = dkg.encode_justification(message)
    return {
        "bytes": to_hex(raw),
        "signed_bytes": to_hex(dkg.signed_bytes(message)),
        "digest": to_hex(dkg.message_digest(message)),
    }


# The member side (DKG-4, 6, 7, 10): what an honest member sends, from its keys and seed.


def _scalar(value: bytes, name: str) -> int:
    if len(value) != 32:
        raise BadInput(f"{name} must be 32 bytes")
    return int.from_bytes(value, "big")


def deal(preset: Preset, data: dict[str, JSON]) -> JSON:
    """DKG-4/11: the contribution dealer ``dealer`` sends in the replayed session.

    Input: a session (as :func:`run_session`, ``events`` replayed first) and ``{"dealer",
    "coefficients" (32-byte big-endian scalars, constant term first), "seed" (the dealer's
    encryption seed, DKG-11), "secret_key"}``. Output: the signed ``message`` and its DKG-3
    ``digest``; or ``THRESHOLD_INVALID_POLYNOMIAL``, ``DKG_MALFORMED_CONTRIBUTION`` (not ``t``
    coefficients), ``DKG_UNKNOWN_MEMBER``.
    """
    state, _ = _replay(preset, data)
    coefficients = [_scalar(c, "coefficients") for c in hex_list_field(data, "coefficients")]
    if len(coefficients) > preset.quorum.max_members:
        raise BadInput(f"at most {preset.quorum.max_members} coefficients")
    message = dkg.make_contribution(
        state,
        int_field(data, "dealer"),
        coefficients,
        hex_field(data, "secret_key"),
        hex_field(data, "seed"),
    )
    return {"message": message_to_json(message), "digest": to_hex(dkg.message_digest(message))}


def complain(preset: Preset, data: dict[str, JSON]) -> JSON:
    """DKG-6/10/11: what each of ``recipients`` (``[{"index", "secret_key"}]``) finds after the
    replayed contribution phase, and the complaints it sends.

    Output: the ``candidates`` (accepted contributions of dealers that did not equivocate), their
    DKG-10 ``batch_weights`` (decimal strings), and per recipient the dealers it ``accuses``
    (ascending), the signed ``complaints``, and the shares it ``received`` (``{"dealer", "share"}``
    for every candidate whose share decrypted); or ``DKG_UNKNOWN_MEMBER``, ``BLS_INVALID_SECRET_KEY``
    (a key that is not the member's).
    """
    state, _ = _replay(preset, data)
    keys = {int_field(r, "index"): hex_field(r, "secret_key") for r in _objects(data, "recipients")}
    bad = dkg.find_bad_shares(state, keys)
    plaintexts = dkg.find_bad_shares_and_plaintexts(state, keys)[1]
    candidates = dkg.candidate_dealers(state)
    weights = dkg.batch_weights(state, candidates) if candidates else ()
    recipients: list[JSON] = []
    for index in sorted(keys):
        made = [dkg.make_complaint(state, index, accused, keys[index]) for accused in bad[index]]
        recipients.append(
            {
                "index": index,
                "accuses": list(bad[index]),
                "complaints": [message_to_json(m) for m in made],
                "received": [
                    {"dealer": dealer, "share": to_hex(value.to_bytes(32, "big"))}
                    for dealer, value in sorted(plaintexts[index].items())
                ],
            }
        )
    return {
        "candidates": list(candidates),
        "batch_weights": [str(w) for w in weights],
        "recipients": recipients,
    }


def justify(preset: Preset, data: dict[str, JSON]) -> JSON:
    """DKG-7/12: the justifications dealer ``dealer`` (``"seed"``: the encryption seed of its
    contribution, ``"secret_key"``) sends: one per complaint recorded against it in the replayed
    session, by complainer ascending, each revealing the ephemeral key of that complainer's
    ciphertext."""
    state, _ = _replay(preset, data)
    dealer = int_field(data, "dealer")
    seed = hex_field(data, "seed")
    secret_key = hex_field(data, "secret_key")
    bls.decode_secret_key(secret_key)
    made = [
        dkg.make_justification(state, dealer, complainer, seed, secret_key)
        for accused, complainer in sorted(state.complaints)
        if accused == dealer
    ]
    return {"justifications": [message_to_json(m) for m in made]}


def phase_schedule(preset: Preset, data: dict[str, JSON]) -> JSON:
    """DKG-2: ``{"start_height", "heights"}`` -> the ``phase`` of a session started at
    ``start_height`` at each height (``null`` outside the session), the first height of each phase
    (``phase_starts``) and the session's ``end_height``."""
    start = int_field(data, "start_height")
    heights = int_list_field(data, "heights")
    if not 0 <= start < 2**64 or not all(0 <= h < 2**64 for h in heights):
        raise BadInput("heights are u64")
    params = preset.dkg
    phases: list[JSON] = []
    for height in heights:
        phase = dkg.phase_at_height(start, height, params)
        phases.append(None if phase is None else phase.name)
    return {
        "phases": phases,
        "phase_starts": {p.name: dkg.phase_start_height(start, p, params) for p in DkgPhase},
        "end_height": dkg.session_end_height(start, params),
    }


HANDLERS: dict[str, Handler] = {
    "run_session": run_session,
    "verify_share": verify_share,
    "encrypt_share": encrypt_share,
    "decrypt_share": decrypt_share,
    "open_justification": open_justification,
    "signing_session": signing_session,
    "finality_certificate": finality_certificate,
    "decode_message": decode_message,
    "deal": deal,
    "complain": complain,
    "justify": justify,
    "phase_schedule": phase_schedule,
    "sign_share": sign_share,
    "encode_message": encode_message,
}

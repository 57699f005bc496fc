"""Handlers of the ``dkg`` flow: DKG sessions, share checks, threshold signing, finality (spec/masternode/).

Messages in JSON carry their fields by name (byte strings in hex, indices as numbers):

* contribution: ``{"type": "contribution", "session_id", "dealer", "commitments": [..], "shares": [..],
  "signature"}``;
* complaint: ``{"type": "complaint", "session_id", "complainer", "accused", "signature"}``;
* justification: ``{"type": "justification", "session_id", "dealer", "complainer", "share", "signature"}``;
* ``{"type": "advance"}`` moves the session to its next phase (DKG-2);
* signature share: ``{"quorum_id", "message", "signer", "signature"}``.

A session script is replayed event by event; a rejected event is listed with its error code and
the replay goes on, exactly as a node drops a bad message and keeps going.
"""

from __future__ import annotations

from conformance.jsonio import field, hex_field, hex_list_field, int_field, str_field, to_hex
from conformance.model import JSON, BadInput, Handler
from spec.chain.forkchoice import FinalityCertificate, verify_finality_certificate
from spec.crypto.threshold import Share
from spec.errors import InsufficientShares, SpecError
from spec.masternode import dkg, signing
from spec.masternode.dkg import Complaint, Contribution, DkgPhase, DkgSession, Justification
from spec.masternode.signing import SignatureShare, SigningSession
from spec.presets import Preset


def _objects(data: dict[str, JSON], name: str) -> list[dict[str, JSON]]:
    value = field(data, name)
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise BadInput(f"{name} must be a list of objects")
    return [dict(item) for item in value if isinstance(item, dict)]


def _members(data: dict[str, JSON]) -> list[bytes]:
    """``members: [{"index", "public_key"}]`` with indices 1..n in order."""
    members = _objects(data, "members")
    if [int_field(m, "index") for m in members] != list(range(1, len(members) + 1)):
        raise BadInput("members must be listed with indices 1..n in order")
    return [hex_field(m, "public_key") for m in members]


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
            tuple(hex_list_field(item, "shares")),
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
            hex_field(item, "share"),
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
            "shares": [to_hex(s) for s in message.shares],
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
        "share": to_hex(message.share),
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
    if str_field(event, "type") == "advance":
        return dkg.advance_phase(state)
    message = message_from_json(event)
    if isinstance(message, Contribution):
        return dkg.receive_contribution(state, message)
    if isinstance(message, Complaint):
        return dkg.receive_complaint(state, message)
    return dkg.receive_justification(state, message)


def run_session(preset: Preset, data: dict[str, JSON]) -> JSON:
    """DKG-1..9: replay ``events`` in a session of ``members``; the result, or the session's error code.

    Input ``{"members", "threshold", "quorum_hash", "start_height", "events"}``. After the events the
    session is advanced to FINALIZATION and finalized. Output: the session id, the rejected events
    (``{"event": position, "error": code}``), ``qualified``, ``excluded`` (``{"dealer", "reason"}``),
    the group public key, the public key shares and each member's secret share (or its error code).
    """
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
    while state.phase is not DkgPhase.FINALIZATION:
        state = dkg.advance_phase(state)
    result = dkg.finalize(state)
    secret_shares: list[JSON] = []
    for member in range(1, len(state.members) + 1):
        try:
            share = dkg.member_secret_share(state, result, member)
            secret_shares.append({"index": member, "secret_share": to_hex(share.value)})
        except SpecError as error:
            secret_shares.append({"index": member, "error": error.code})
    return {
        "session_id": to_hex(state.session_id),
        "rejected": rejected,
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


HANDLERS: dict[str, Handler] = {
    "run_session": run_session,
    "verify_share": verify_share,
    "signing_session": signing_session,
    "finality_certificate": finality_certificate,
    "decode_message": decode_message,
}

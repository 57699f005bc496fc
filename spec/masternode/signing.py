"""Threshold signing sessions of a quorum and ChainLocks-style block finality (protocol step "SIGN").

After a DKG (:mod:`spec.masternode.dkg`) member ``j`` holds a secret key share ``sk_j`` and everyone
knows the public key shares ``pk_1..pk_n`` and the group public key. A *signing session* collects
the members' signature shares of one message and recovers the quorum's signature once ``t`` valid
shares are in (THRESHOLD-6). The recovered signature is an ordinary BLS signature under the group
public key, the same whichever ``t`` valid shares were used.

* **SIGN-1 (session)** :func:`start_signing` takes the quorum id (the DKG session id), the public
  key shares of members ``1..n`` in order, the threshold and a 32-byte message (quorums only sign
  32-byte domain-separated digests, such as :func:`spec.chain.forkchoice.finality_message`).
  Checks, in order: quorum id and message are 32 bytes, the shares carry indices ``1..n`` in order,
  ``1 <= t <= n`` (all ``SIGN_INVALID_SESSION``), every public key share passes KeyValidate
  (``BLS_INVALID_PUBLIC_KEY``).
* **SIGN-2 (shares)** :func:`add_signature_share` checks, in order, reporting the first failure:
  the share names the session's quorum id and message (``SIGN_WRONG_SESSION``), its signer is a
  member (``SIGN_UNKNOWN_SIGNER``) without a share in the session yet (``SIGN_DUPLICATE_SHARE``),
  the signature is a valid G2 encoding (``BLS_INVALID_SIGNATURE``) that verifies under the
  signer's public key share (``THRESHOLD_INVALID_SHARE``). A rejected share leaves the session as
  it was.
* **SIGN-3 (recovery)** :func:`try_recover` returns ``None`` below ``t`` shares and otherwise the
  THRESHOLD-6 recovery from the session's shares (all verified, so any ``t`` of them give the same
  signature).
* **SIGN-4 (finality)** a quorum finalizes block ``(height, block_hash)`` by signing
  ``finality_message(height, block_hash)`` (FORK-3); :func:`sign_block_finality` turns a session
  with ``t`` valid shares of that message into a
  :class:`~spec.chain.forkchoice.FinalityCertificate`, which
  :func:`~spec.chain.forkchoice.verify_finality_certificate` accepts under the group public key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from spec.chain.forkchoice import FinalityCertificate, finality_message
from spec.crypto import bls
from spec.crypto.threshold import Share, recover_signature, sign_share
from spec.encoding import BYTES32, BYTES96, U16, Codec, Struct, decode, encode
from spec.errors import (
    InsufficientShares,
    InvalidSignatureShare,
    SignDuplicateShare,
    SignInvalidSession,
    SignUnknownSigner,
    SignWrongSession,
)

MESSAGE_LENGTH = 32
QUORUM_ID_LENGTH = 32


@dataclass(frozen=True)
class SignatureShare:
    """SIGN-2: member ``signer``'s signature share of ``message`` for quorum ``quorum_id``."""

    quorum_id: bytes
    message: bytes
    signer: int
    signature: bytes


SIGNATURE_SHARE_CODEC: Codec[SignatureShare] = Struct(
    SignatureShare,
    [("quorum_id", BYTES32), ("message", BYTES32), ("signer", U16), ("signature", BYTES96)],
)
"""ENC of a signature share: ``bytes32 quorum_id || bytes32 message || u16 signer || bytes96 signature``."""


def encode_signature_share(share: SignatureShare) -> bytes:
    """ENC: the canonical encoding of a signature share."""
    return encode(SIGNATURE_SHARE_CODEC, share)


def decode_signature_share(data: bytes) -> SignatureShare:
    """ENC-1..4: decode one signature share."""
    return decode(SIGNATURE_SHARE_CODEC, data)


@dataclass(frozen=True)
class SigningSession:
    """SIGN-1: one message being signed by one quorum; ``shares`` maps signer to verified signature share.

    ``public_key_shares[j - 1]`` is member ``j``'s public key share.
    """

    quorum_id: bytes
    public_key_shares: tuple[bytes, ...]
    threshold: int
    message: bytes
    shares: Mapping[int, bytes]


def start_signing(
    quorum_id: bytes, public_key_shares: Sequence[Share], threshold: int, message: bytes
) -> SigningSession:
    """SIGN-1: an empty signing session of ``message`` by the quorum with these public key shares."""
    if len(quorum_id) != QUORUM_ID_LENGTH or len(message) != MESSAGE_LENGTH:
        raise SignInvalidSession("the quorum id and the message must be 32 bytes")
    if [share.index for share in public_key_shares] != list(range(1, len(public_key_shares) + 1)):
        raise SignInvalidSession("public key shares must be those of members 1..n in order")
    if not 1 <= threshold <= len(public_key_shares):
        raise SignInvalidSession(f"threshold {threshold} not in [1, {len(public_key_shares)}]")
    for share in public_key_shares:
        bls.decode_public_key(share.value)
    return SigningSession(
        quorum_id=bytes(quorum_id),
        public_key_shares=tuple(share.value for share in public_key_shares),
        threshold=threshold,
        message=bytes(message),
        shares={},
    )


def make_signature_share(quorum_id: bytes, message: bytes, secret_share: Share) -> SignatureShare:
    """SIGN-2 (member side): member ``secret_share.index``'s signature share of ``message``."""
    signed = sign_share(secret_share, message)
    return SignatureShare(bytes(quorum_id), bytes(message), signed.index, signed.value)


def add_signature_share(session: SigningSession, share: SignatureShare) -> SigningSession:
    """SIGN-2: the session with ``share`` added, or a typed rejection (the session is unchanged)."""
    if share.quorum_id != session.quorum_id or share.message != session.message:
        raise SignWrongSession(f"share of member {share.signer} is for another quorum or message")
    if not 1 <= share.signer <= len(session.public_key_shares):
        raise SignUnknownSigner(f"signer {share.signer} not in [1, {len(session.public_key_shares)}]")
    if share.signer in session.shares:
        raise SignDuplicateShare(f"member {share.signer} already has a share in the session")
    if not bls.verify(session.public_key_shares[share.signer - 1], session.message, share.signature):
        raise InvalidSignatureShare(f"signature share of member {share.signer} does not verify")
    return replace(session, shares={**session.shares, share.signer: bytes(share.signature)})


def try_recover(session: SigningSession) -> bytes | None:
    """SIGN-3: the quorum signature once ``t`` valid shares are in, else ``None``."""
    if len(session.shares) < session.threshold:
        return None
    shares = [Share(index, value) for index, value in sorted(session.shares.items())]
    return recover_signature(shares, session.threshold)


def _finality_message(height: int, block_hash: bytes) -> bytes:
    """FORK-3's message, after checking that ``height`` is a ``u64`` and the hash 32 bytes."""
    if not 0 <= height < 2**64 or len(block_hash) != 32:
        raise SignInvalidSession("a finality height is a u64 and a block hash 32 bytes")
    return finality_message(height, block_hash)


def finality_session(
    quorum_id: bytes, public_key_shares: Sequence[Share], threshold: int, height: int, block_hash: bytes
) -> SigningSession:
    """SIGN-4: the signing session finalizing ``block_hash`` at ``height``."""
    return start_signing(quorum_id, public_key_shares, threshold, _finality_message(height, block_hash))


def sign_finality_share(
    quorum_id: bytes, secret_share: Share, height: int, block_hash: bytes
) -> SignatureShare:
    """SIGN-4 (member side): a member's signature share finalizing ``block_hash`` at ``height``."""
    return make_signature_share(quorum_id, _finality_message(height, block_hash), secret_share)


def sign_block_finality(session: SigningSession, height: int, block_hash: bytes) -> FinalityCertificate:
    """SIGN-4: the finality certificate of ``(height, block_hash)`` from a session of its finality message.

    ``SIGN_INVALID_SESSION`` for a height that is not a ``u64`` or a hash not of 32 bytes,
    ``SIGN_WRONG_SESSION`` if the session signs another message, ``THRESHOLD_INSUFFICIENT_SHARES``
    below ``t`` shares.
    """
    if session.message != _finality_message(height, block_hash):
        raise SignWrongSession("the session does not sign this block's finality message")
    signature = try_recover(session)
    if signature is None:
        raise InsufficientShares(f"{len(session.shares)} shares, threshold {session.threshold}")
    return FinalityCertificate(height, bytes(block_hash), signature)


__all__ = [
    "SIGNATURE_SHARE_CODEC",
    "SignatureShare",
    "SigningSession",
    "add_signature_share",
    "decode_signature_share",
    "encode_signature_share",
    "finality_session",
    "make_signature_share",
    "sign_block_finality",
    "sign_finality_share",
    "start_signing",
    "try_recover",
]

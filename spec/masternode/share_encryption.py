"""Encryption of DKG shares to their recipients (protocol steps "DKG-11" and "DKG-12").

A dealer's share ``s_ij`` for member ``j`` travels inside the dealer's signed contribution as a
96-byte ciphertext that only member ``j`` can open, and that anybody can open once the dealer
reveals the encryption's ephemeral key (the DKG-7 justification). The scheme is ECIES over the
BLS12-381 group G1 with the recipient's *member key* ``pk_j`` (its masternode operator key) as the
encryption key, as Dash's DIP6 encrypts DKG shares to the BLS operator key:

* **DKG-11 (encryption)** with the ephemeral scalar ``e`` in ``[1, r - 1]``:
  ``R = e * g1``, ``S = e * pk_j``,
  ``k = H(DKG_SHARE_KEY, session_id || u16le(i) || u16le(j) || R || pk_j || S)`` (all points in their
  48-byte compressed encoding) and the ciphertext is ``R || AEAD(k, s_ij)``: ChaCha20-Poly1305 (RFC
  8439, libsodium's IETF construction) with a 12-byte zero nonce and no associated data, 32 bytes of
  ciphertext and a 16-byte tag. Each key encrypts exactly one share (``k`` hashes a fresh ``R`` and
  the whole context), so the fixed nonce is never reused under one key.
  The recipient computes ``S = sk_j * R``; ``R`` must be a valid non-identity G1 point
  (``DKG_MALFORMED_CIPHERTEXT``, also for a ciphertext that is not 96 bytes); a tag that fails or a
  plaintext that is not a share (32 bytes below ``r``) is ``DKG_UNDECRYPTABLE_SHARE``.
* **Randomness is an input**: ``e_ij = share_ephemeral(seed, j)``, hashed from a 32-byte-or-longer
  seed that only the dealer knows (the reference node uses the seed its polynomial comes from; the
  hash domains differ): ``1 + OS2IP(H(DKG_SHARE_EPHEMERAL, varint(len seed) || seed || u16le(j) ||
  u8(0)) || H(... || u8(1))) mod (r - 1)``. Revealing ``e_ij`` reveals nothing about the seed or
  about ``e_ik`` for another recipient.
* **DKG-12 (opening a justification)** the dealer answers a complaint by revealing ``e_ij``. Anybody
  checks ``e_ij * g1 == R`` and opens the ciphertext with ``S = e_ij * pk_j``; the revealed share is
  the plaintext, and it must pass the dealer's Feldman commitments. Any failure is
  ``DKG_BAD_JUSTIFICATION``. Because ``e * g1 == R`` implies ``e * pk_j = sk_j * R``, the public
  opening computes exactly what member ``j`` computed: a justification succeeds if and only if the
  complaint was false. Honest dealers can always justify; no dealer can clear a ciphertext that
  member ``j`` could not open to a valid share; the complainer reveals nothing.

The module is pure: the ephemeral scalar is an argument, no randomness is drawn.
"""

from __future__ import annotations

import nacl.bindings
import nacl.exceptions

from spec.crypto import bls
from spec.crypto.bls import CURVE_ORDER, G1_GENERATOR, PUBLIC_KEY_LENGTH
from spec.encoding import varint_encode
from spec.errors import (
    DkgBadJustification,
    DkgMalformedCiphertext,
    DkgMalformedContribution,
    DkgMalformedJustification,
    DkgUndecryptableShare,
    InvalidPublicKey,
)
from spec.hashing import HashDomain, tagged_hash_many

SHARE_LENGTH = 32
"""A share's plaintext: 32 bytes big-endian below ``r`` (DKG-4)."""
TAG_LENGTH = 16
CIPHERTEXT_LENGTH = PUBLIC_KEY_LENGTH + SHARE_LENGTH + TAG_LENGTH
"""DKG-11: ``R`` (48) ``||`` encrypted share (32) ``||`` Poly1305 tag (16) = 96 bytes."""
EPHEMERAL_LENGTH = 32
"""DKG-12: a revealed ephemeral scalar, 32 bytes big-endian in ``[1, r - 1]``."""
NONCE = bytes(12)
"""DKG-11: the AEAD nonce; every key encrypts one share only."""


def share_context(session_id: bytes, dealer: int, recipient: int) -> bytes:
    """DKG-11: ``session_id || u16le(dealer) || u16le(recipient)``, hashed into every share key."""
    return session_id + dealer.to_bytes(2, "little") + recipient.to_bytes(2, "little")


def share_ephemeral(seed: bytes, recipient: int) -> int:
    """DKG-11: the ephemeral scalar in ``[1, r - 1]`` dealer's ``seed`` gives the share of ``recipient``."""
    prefix = varint_encode(len(seed)) + seed + recipient.to_bytes(2, "little")
    wide = b"".join(
        tagged_hash_many(HashDomain.DKG_SHARE_EPHEMERAL, (prefix, bytes([half]))) for half in (0, 1)
    )
    return ephemeral_from_digest(wide)


def ephemeral_from_digest(wide: bytes) -> int:
    """DKG-11: ``1 + OS2IP(wide) mod (r - 1)``, a scalar in ``[1, r - 1]`` (never zero)."""
    return int.from_bytes(wide, "big") % (CURVE_ORDER - 1) + 1


def _multiply(point: bytes, scalar: int) -> bytes:
    """``scalar * point`` for a point already validated (a member key, ``g1`` or a decoded ``R``)."""
    return bls.active_backend().g1_linear_combination((point,), (scalar % CURVE_ORDER,))


def share_key(context: bytes, ephemeral_point: bytes, recipient_key: bytes, shared_point: bytes) -> bytes:
    """DKG-11: ``k = H(DKG_SHARE_KEY, context || R || pk_j || S)``."""
    return tagged_hash_many(HashDomain.DKG_SHARE_KEY, (context, ephemeral_point, recipient_key, shared_point))


def encrypt_share(context: bytes, recipient_key: bytes, share: bytes, ephemeral: int) -> bytes:
    """DKG-11: ``R || ChaCha20-Poly1305(k, share)`` for a validated recipient key and ``e`` in ``[1, r - 1]``.

    ``share`` must be 32 bytes below ``r`` (``DKG_MALFORMED_CONTRIBUTION``); ``e`` outside
    ``[1, r - 1]`` is ``DKG_MALFORMED_JUSTIFICATION`` (the value a justification would reveal).
    """
    if not 1 <= ephemeral < CURVE_ORDER:
        raise DkgMalformedJustification("ephemeral scalar not in [1, r - 1]")
    if len(share) != SHARE_LENGTH or int.from_bytes(share, "big") >= CURVE_ORDER:
        raise DkgMalformedContribution("a share plaintext not 32 bytes below the group order")
    point = _multiply(G1_GENERATOR, ephemeral)
    key = share_key(context, point, recipient_key, _multiply(recipient_key, ephemeral))
    sealed: bytes = nacl.bindings.crypto_aead_chacha20poly1305_ietf_encrypt(share, None, NONCE, key)
    return point + sealed


def _open(context: bytes, ephemeral_point: bytes, recipient_key: bytes, shared: bytes, body: bytes) -> int:
    """DKG-11: the share the AEAD body holds under the key of ``(R, pk_j, S)``."""
    key = share_key(context, ephemeral_point, recipient_key, shared)
    try:
        plain: bytes = nacl.bindings.crypto_aead_chacha20poly1305_ietf_decrypt(body, None, NONCE, key)
    except nacl.exceptions.CryptoError:
        raise DkgUndecryptableShare("the ciphertext does not authenticate under the key") from None
    value = int.from_bytes(plain, "big")
    if len(plain) != SHARE_LENGTH or value >= CURVE_ORDER:
        raise DkgUndecryptableShare("the plaintext is not a share below the group order")
    return value


def ciphertext_point(ciphertext: bytes) -> bytes:
    """DKG-11: the ciphertext's ephemeral point ``R``, checked: 96 bytes, a valid non-identity G1 point."""
    if len(ciphertext) != CIPHERTEXT_LENGTH:
        raise DkgMalformedCiphertext(f"a ciphertext of {len(ciphertext)} bytes, expected {CIPHERTEXT_LENGTH}")
    try:
        return bls.decode_public_key(ciphertext[:PUBLIC_KEY_LENGTH])
    except InvalidPublicKey as exc:
        raise DkgMalformedCiphertext(f"ephemeral key: {exc.detail}") from None


def readable_decrypt_share(context: bytes, recipient_key: bytes, secret_key: int, ciphertext: bytes) -> int:
    """DKG-11, readable definition of :func:`decrypt_share`: decode ``R``, then ``S = sk_j * R``, open."""
    point = ciphertext_point(ciphertext)
    shared = _multiply(point, secret_key)
    return _open(context, point, recipient_key, shared, ciphertext[PUBLIC_KEY_LENGTH:])


def decrypt_share(context: bytes, recipient_key: bytes, secret_key: int, ciphertext: bytes) -> int:
    """DKG-11: the share member ``j`` (secret ``sk_j``, validated key ``pk_j``) reads from ``ciphertext``.

    Raises ``DKG_MALFORMED_CIPHERTEXT`` or ``DKG_UNDECRYPTABLE_SHARE``; both make the member complain.
    Same result and errors as :func:`readable_decrypt_share` (tests cross-check them), with ``R``
    decompressed and subgroup-checked once, in the same pass as the multiplication.
    """
    if len(ciphertext) != CIPHERTEXT_LENGTH:
        raise DkgMalformedCiphertext(f"a ciphertext of {len(ciphertext)} bytes, expected {CIPHERTEXT_LENGTH}")
    point = ciphertext[:PUBLIC_KEY_LENGTH]
    if point == bls.G1_IDENTITY:
        return readable_decrypt_share(context, recipient_key, secret_key, ciphertext)
    try:
        shared = bls.g1_checked_linear_combination((point,), (secret_key,))
    except InvalidPublicKey as exc:
        raise DkgMalformedCiphertext(f"ephemeral key: {exc.detail}") from None
    return _open(context, point, recipient_key, shared, ciphertext[PUBLIC_KEY_LENGTH:])


def ephemeral_scalar(data: bytes) -> int:
    """DKG-12: a revealed ephemeral key: 32 bytes big-endian in ``[1, r - 1]``
    (``DKG_MALFORMED_JUSTIFICATION``)."""
    if len(data) != EPHEMERAL_LENGTH:
        raise DkgMalformedJustification(f"an ephemeral key of {len(data)} bytes")
    value = int.from_bytes(data, "big")
    if not 1 <= value < CURVE_ORDER:
        raise DkgMalformedJustification("ephemeral key not in [1, r - 1]")
    return value


def open_with_ephemeral(context: bytes, recipient_key: bytes, ciphertext: bytes, ephemeral: int) -> int:
    """DKG-12: the share a revealed ``e`` opens: ``e * g1`` must be the ciphertext's ``R``
    (``DKG_BAD_JUSTIFICATION``; also when the ciphertext then fails to open). ``ciphertext`` must be
    96 bytes (``DKG_MALFORMED_CIPHERTEXT``), ``e`` in ``[1, r - 1]`` (``DKG_MALFORMED_JUSTIFICATION``).
    """
    if len(ciphertext) != CIPHERTEXT_LENGTH:
        raise DkgMalformedCiphertext(f"a ciphertext of {len(ciphertext)} bytes, expected {CIPHERTEXT_LENGTH}")
    if not 1 <= ephemeral < CURVE_ORDER:
        raise DkgMalformedJustification("ephemeral key not in [1, r - 1]")
    point = _multiply(G1_GENERATOR, ephemeral)
    if point != ciphertext[:PUBLIC_KEY_LENGTH]:
        raise DkgBadJustification("the revealed ephemeral key is not the ciphertext's")
    try:
        shared = _multiply(recipient_key, ephemeral)
        return _open(context, point, recipient_key, shared, ciphertext[PUBLIC_KEY_LENGTH:])
    except DkgUndecryptableShare as exc:
        raise DkgBadJustification(f"the revealed key does not open the share: {exc.detail}") from None


__all__ = [
    "CIPHERTEXT_LENGTH",
    "EPHEMERAL_LENGTH",
    "NONCE",
    "SHARE_LENGTH",
    "TAG_LENGTH",
    "ciphertext_point",
    "decrypt_share",
    "encrypt_share",
    "ephemeral_from_digest",
    "ephemeral_scalar",
    "open_with_ephemeral",
    "readable_decrypt_share",
    "share_context",
    "share_ephemeral",
    "share_key",
]

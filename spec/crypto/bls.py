"""BLS signatures on BLS12-381 (protocol step "BLS").

Masternodes and quorums sign with the IETF BLS signature scheme (draft-irtf-cfrg-bls-signature),
ciphersuite ``BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_``: public keys are compressed G1 points
(48 bytes), signatures are compressed G2 points (96 bytes), messages are hashed to G2 with the
``BLS12381G2_XMD:SHA-256_SSWU_RO_`` hash-to-curve suite, and rogue-key attacks are prevented by
proofs of possession (tag ``BLS_POP_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_``).

Rules:

* **BLS-1 (encodings)** a secret key is 32 bytes, big-endian, an integer in ``[1, r - 1]``. A G1 or
  G2 point is the compressed ZCash encoding: the first byte's top bit (C) is 1; the next bit (B)
  marks the identity, whose encoding is ``0xc0`` followed by zero bytes and nothing else; otherwise
  the third bit (A) is set iff ``y > (p - 1) / 2`` (for G2: the imaginary part of ``y`` decides,
  or the real part when the imaginary part is zero); ``x`` follows the flags big-endian (for G2:
  imaginary part, then real part); every coordinate is below the field modulus ``p``; the point
  lies on the curve and in the prime-order subgroup. (The arkworks library alone accepts
  ``0xc0 || nonzero bytes`` as the identity; the shape checks here reject it on every backend.)
* **BLS-2 (KeyValidate)** a public key is a valid G1 encoding of a point *other than the identity*.
  A signature is a valid G2 encoding; the identity is an acceptable signature encoding (it simply
  fails to verify).
* **BLS-3 (errors versus False)** every function first decodes its inputs: a malformed secret key,
  public key or signature raises :class:`~spec.errors.InvalidSecretKey`,
  :class:`~spec.errors.InvalidPublicKey` or :class:`~spec.errors.InvalidSignatureEncoding`.
  Only well-formed inputs reach the pairing, and the verify functions then answer ``True`` or
  ``False``. A vector therefore pins either an error code (bad encoding) or a boolean.
* **BLS-4 (order of checks)** inputs are checked in this order and the first failure is reported:
  list shapes (lengths, emptiness), then the signature, then the public keys in
  the order given.
* **BLS-5 (AggregateVerify)** as in the IETF proof-of-possession scheme, ``aggregate_verify``
  accepts repeated messages (only the Basic scheme forbids them; proofs of possession already
  rule out rogue keys). Signers of one common message should still use
  :func:`fast_aggregate_verify`, which costs two pairings instead of n + 1.
* **BLS-6 (KeyGen)** :func:`key_gen` is the IETF KeyGen (HKDF-SHA-256, salt loop starting from
  ``"BLS-SIG-KEYGEN-SALT-"``, ``L = 48``); input keying material shorter than 32 bytes is rejected.

Backends. Curve arithmetic runs on an exchangeable :class:`BlsBackend`: ``"py_ecc"`` (pure Python,
the readable reference, about 0.1 s per signature and 0.26 s per verification) and ``"arkworks"``
(the Rust library ``py-arkworks-bls12381``, about 0.9 ms and 1.7 ms, the default). Every
rule above that can be stated without curve arithmetic (lengths, flag bits, coordinate ranges,
check order, KeyGen) is written out here in Python, so both backends see only the same
pre-checked inputs. The choice of backend **never changes a result** -- the tests check that both
produce byte-identical keys, signatures and proofs and the same verdicts -- it only changes speed.
Select a backend with ``with use_backend("py_ecc"): ...``.

The group helpers at the end (:func:`g1_add`, :func:`g2_linear_combination`, ...) work on compressed
encodings, so callers such as :mod:`spec.crypto.threshold` stay backend-neutral. They decode every
point first (G1 points raise ``BLS_INVALID_PUBLIC_KEY``, G2 points ``BLS_INVALID_SIGNATURE``; the
identity is allowed), take scalars modulo ``r``, and reject a points/scalars length mismatch with
``BLS_LENGTH_MISMATCH``.
"""

from __future__ import annotations

import hashlib
import hmac
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from enum import Enum
from typing import Any, ClassVar

from eth_typing import BLSPubkey, BLSSignature
from py_arkworks_bls12381 import GT, G1Point, G2Point, Scalar
from py_ecc.bls.g2_primitives import (
    G1_to_pubkey,
    G2_to_signature,
    pubkey_to_G1,
    signature_to_G2,
    subgroup_check,
)
from py_ecc.bls.hash_to_curve import hash_to_G2
from py_ecc.fields import optimized_bls12_381_FQ as FQ
from py_ecc.fields import optimized_bls12_381_FQ12 as FQ12
from py_ecc.optimized_bls12_381.optimized_curve import Z1, Z2, add, multiply
from py_ecc.optimized_bls12_381.optimized_pairing import final_exponentiate, pairing

from spec.errors import (
    AggregateLengthMismatch,
    EmptyAggregate,
    InvalidKeyMaterial,
    InvalidPublicKey,
    InvalidSecretKey,
    InvalidSignatureEncoding,
    UnknownBackend,
)

# --------------------------------------------------------------------------------------------
# Curve and ciphersuite constants (properties of BLS12-381 and of the IETF suite, not presets)
# --------------------------------------------------------------------------------------------

CURVE_ORDER = 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001
"""``r``: the prime order of the G1, G2 and GT subgroups; secret keys and scalars live modulo ``r``."""

FIELD_MODULUS = int(
    "1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaab", 16
)
"""``p``: the prime of the base field Fp; every encoded coordinate is below it."""

SECRET_KEY_LENGTH = 32
PUBLIC_KEY_LENGTH = 48
SIGNATURE_LENGTH = 96

SIGNATURE_DST = b"BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_"
"""Domain separation tag for hashing messages to G2 (ciphersuite ID)."""

POP_DST = b"BLS_POP_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_"
"""Domain separation tag for proofs of possession."""

KEYGEN_SALT = b"BLS-SIG-KEYGEN-SALT-"
KEYGEN_OKM_LENGTH = 48
"""``L = ceil((3 * ceil(log2(r))) / 16)``: 48 bytes, so the reduction mod ``r`` is nearly unbiased."""
KEYGEN_MIN_IKM_LENGTH = 32

G1_GENERATOR = bytes.fromhex(
    "97f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb"
)
"""The compressed standard generator of G1."""

G2_GENERATOR = bytes.fromhex(
    "93e02b6052719f607dacd3a088274f65596bd0d09920b61ab5da61bbdc7f5049334cf11213945d57e5ac7d055d042b7e"
    "024aa2b2f08f0a91260805272dc51051c6e47ad4fa403b02b4510b647ae3d1770bac0326a805bbefd48056c8c121bdb8"
)
"""The compressed standard generator of G2."""

_FLAG_COMPRESSED = 0x80
_FLAG_INFINITY = 0x40
_FLAG_SIGN = 0x20
_FLAG_MASK = 0xE0

G1_IDENTITY = bytes([_FLAG_COMPRESSED | _FLAG_INFINITY]) + bytes(PUBLIC_KEY_LENGTH - 1)
"""The one valid encoding of the G1 identity (point at infinity)."""

G2_IDENTITY = bytes([_FLAG_COMPRESSED | _FLAG_INFINITY]) + bytes(SIGNATURE_LENGTH - 1)
"""The one valid encoding of the G2 identity (point at infinity)."""


# --------------------------------------------------------------------------------------------
# Backends
# --------------------------------------------------------------------------------------------


class PointStatus(Enum):
    """What a backend found when decompressing a pre-checked encoding (BLS-1, curve part)."""

    VALID = "valid"
    NOT_ON_CURVE = "not on the curve"
    NOT_IN_SUBGROUP = "not in the prime-order subgroup"


class BlsBackend(ABC):
    """The curve arithmetic the BLS rules need, on compressed encodings.

    Contract: :meth:`g1_status` and :meth:`g2_status` receive encodings that already passed the
    length, flag and coordinate-range checks of BLS-1. Every other method receives only encodings
    for which the status was :attr:`PointStatus.VALID`, and sequences of equal length. Scalars are
    integers in ``[0, r - 1]``. Results are compressed encodings.
    """

    name: ClassVar[str]

    @abstractmethod
    def g1_status(self, data: bytes) -> PointStatus:
        """BLS-1: is the 48-byte encoding on the G1 curve and in the subgroup?"""

    @abstractmethod
    def g2_status(self, data: bytes) -> PointStatus:
        """BLS-1: is the 96-byte encoding on the G2 twist and in the subgroup?"""

    @abstractmethod
    def g1_linear_combination(self, points: Sequence[bytes], scalars: Sequence[int]) -> bytes:
        """GROUP: ``sum(scalars[i] * points[i])`` in G1 (the identity for empty input)."""

    @abstractmethod
    def g2_linear_combination(self, points: Sequence[bytes], scalars: Sequence[int]) -> bytes:
        """GROUP: ``sum(scalars[i] * points[i])`` in G2 (the identity for empty input)."""

    def g1_checked_linear_combination(
        self, points: Sequence[bytes], scalars: Sequence[int]
    ) -> bytes | tuple[int, PointStatus]:
        """BLS-1 then GROUP in one pass: the first point (position, status) that is not valid, else the sum.

        Readable definition: :meth:`g1_status` of every point in order, then
        :meth:`g1_linear_combination`. Backends may override it to decompress each point only once;
        points with scalar 0 are checked but contribute nothing.
        """
        for position, point in enumerate(points):
            status = self.g1_status(point)
            if status is not PointStatus.VALID:
                return position, status
        return self.g1_linear_combination(points, scalars)

    def g2_checked_linear_combination(
        self, points: Sequence[bytes], scalars: Sequence[int]
    ) -> bytes | tuple[int, PointStatus]:
        """As :meth:`g1_checked_linear_combination`, in G2."""
        for position, point in enumerate(points):
            status = self.g2_status(point)
            if status is not PointStatus.VALID:
                return position, status
        return self.g2_linear_combination(points, scalars)

    @abstractmethod
    def hash_to_g2(self, message: bytes, dst: bytes) -> bytes:
        """HASH-TO-CURVE: ``hash_to_curve`` of suite ``BLS12381G2_XMD:SHA-256_SSWU_RO_`` with tag ``dst``."""

    @abstractmethod
    def pairing_product_is_one(self, g1_points: Sequence[bytes], g2_points: Sequence[bytes]) -> bool:
        """PAIRING: is ``prod e(g1_points[i], g2_points[i])`` the identity of GT?"""


class PyEccBackend(BlsBackend):
    """The reference backend: ``py_ecc`` (pure Python, slow, readable)."""

    name = "py_ecc"

    def g1_status(self, data: bytes) -> PointStatus:
        """BLS-1 on py_ecc: decompress, then multiply by ``r``.

        py_ecc's decompression refuses ``x = 0`` outright, but ``(0, +-2)`` lies on the curve (outside
        the subgroup); that point is built directly so the verdict names the rule actually broken.
        """
        x = int.from_bytes(data, "big") & ((1 << 381) - 1)
        if x == 0 and not data[0] & 0x40:
            y = FIELD_MODULUS - 2 if data[0] & 0x20 else 2
            on_curve_point = (FQ(0), FQ(y), FQ(1))
            return PointStatus.VALID if subgroup_check(on_curve_point) else PointStatus.NOT_IN_SUBGROUP
        try:
            point = pubkey_to_G1(BLSPubkey(data))
        except ValueError:
            return PointStatus.NOT_ON_CURVE
        return PointStatus.VALID if subgroup_check(point) else PointStatus.NOT_IN_SUBGROUP

    def g2_status(self, data: bytes) -> PointStatus:
        """BLS-1 on py_ecc: decompress (square root in Fp2), then multiply by ``r``."""
        try:
            point = signature_to_G2(BLSSignature(data))
        except ValueError:
            return PointStatus.NOT_ON_CURVE
        return PointStatus.VALID if subgroup_check(point) else PointStatus.NOT_IN_SUBGROUP

    def g1_linear_combination(self, points: Sequence[bytes], scalars: Sequence[int]) -> bytes:
        """GROUP on py_ecc: double-and-add per term, then sum."""
        total = Z1
        for point, scalar in zip(points, scalars, strict=True):
            total = add(total, multiply(pubkey_to_G1(BLSPubkey(point)), scalar))
        return bytes(G1_to_pubkey(total))

    def g2_linear_combination(self, points: Sequence[bytes], scalars: Sequence[int]) -> bytes:
        """GROUP on py_ecc: double-and-add per term, then sum."""
        total = Z2
        for point, scalar in zip(points, scalars, strict=True):
            total = add(total, multiply(signature_to_G2(BLSSignature(point)), scalar))
        return bytes(G2_to_signature(total))

    def hash_to_g2(self, message: bytes, dst: bytes) -> bytes:
        """HASH-TO-CURVE on py_ecc (expand_message_xmd with SHA-256, SSWU, cofactor clearing)."""
        # py_ecc annotates the hash argument as a hash object but calls it as a constructor.
        point = hash_to_G2(message, dst, hashlib.sha256)  # type: ignore[arg-type]
        return bytes(G2_to_signature(point))

    def pairing_product_is_one(self, g1_points: Sequence[bytes], g2_points: Sequence[bytes]) -> bool:
        """PAIRING on py_ecc: multiply the Miller loops, one final exponentiation."""
        product = FQ12.one()
        for p, q in zip(g1_points, g2_points, strict=True):
            q_point = signature_to_G2(BLSSignature(q))
            p_point = pubkey_to_G1(BLSPubkey(p))
            product = product * pairing(q_point, p_point, final_exponentiate=False)
        result: bool = final_exponentiate(product) == FQ12.one()
        return result


def _arkworks_checked_linear_combination(
    point_type: type[G1Point] | type[G2Point], points: Sequence[bytes], scalars: Sequence[int]
) -> bytes | tuple[int, PointStatus]:
    """BLS-1 then GROUP on arkworks in the group of ``point_type``: the first point failing
    decompression or the subgroup check with its status, else the combination of the points with
    non-zero scalars (one multiplication when a single one is left)."""
    decoded: list[Any] = []
    weights: list[Scalar] = []
    for position, (data, scalar) in enumerate(zip(points, scalars, strict=True)):
        try:
            point = point_type.from_compressed_bytes_unchecked(data)
        except ValueError:
            return position, PointStatus.NOT_ON_CURVE
        if not point.is_in_subgroup():
            return position, PointStatus.NOT_IN_SUBGROUP
        if scalar:
            decoded.append(point)
            weights.append(Scalar(scalar))
    if len(decoded) == 1:
        return bytes((decoded[0] * weights[0]).to_compressed_bytes())
    return bytes(point_type.multiexp_unchecked(decoded, weights).to_compressed_bytes())


class ArkworksBackend(BlsBackend):
    """The fast backend: ``py-arkworks-bls12381`` (Rust arkworks via PyO3)."""

    name = "arkworks"

    def g1_status(self, data: bytes) -> PointStatus:
        """BLS-1 on arkworks: unchecked decompression fails off the curve; then the subgroup test."""
        try:
            point = G1Point.from_compressed_bytes_unchecked(data)
        except ValueError:
            return PointStatus.NOT_ON_CURVE
        return PointStatus.VALID if point.is_in_subgroup() else PointStatus.NOT_IN_SUBGROUP

    def g2_status(self, data: bytes) -> PointStatus:
        """BLS-1 on arkworks: unchecked decompression fails off the twist; then the subgroup test."""
        try:
            point = G2Point.from_compressed_bytes_unchecked(data)
        except ValueError:
            return PointStatus.NOT_ON_CURVE
        return PointStatus.VALID if point.is_in_subgroup() else PointStatus.NOT_IN_SUBGROUP

    def g1_linear_combination(self, points: Sequence[bytes], scalars: Sequence[int]) -> bytes:
        """GROUP on arkworks: one multi-scalar multiplication (a plain multiplication for one point)."""
        if len(points) == 1:
            point = G1Point.from_compressed_bytes_unchecked(points[0])
            return (point * Scalar(scalars[0])).to_compressed_bytes()
        decoded = [G1Point.from_compressed_bytes_unchecked(p) for p in points]
        return G1Point.multiexp_unchecked(decoded, [Scalar(s) for s in scalars]).to_compressed_bytes()

    def g2_linear_combination(self, points: Sequence[bytes], scalars: Sequence[int]) -> bytes:
        """GROUP on arkworks: one multi-scalar multiplication."""
        decoded = [G2Point.from_compressed_bytes_unchecked(p) for p in points]
        return G2Point.multiexp_unchecked(decoded, [Scalar(s) for s in scalars]).to_compressed_bytes()

    def g1_checked_linear_combination(
        self, points: Sequence[bytes], scalars: Sequence[int]
    ) -> bytes | tuple[int, PointStatus]:
        """BLS-1 then GROUP on arkworks: each point decompressed and subgroup-checked once, one MSM."""
        return _arkworks_checked_linear_combination(G1Point, points, scalars)

    def g2_checked_linear_combination(
        self, points: Sequence[bytes], scalars: Sequence[int]
    ) -> bytes | tuple[int, PointStatus]:
        """As :meth:`g1_checked_linear_combination`, in G2."""
        return _arkworks_checked_linear_combination(G2Point, points, scalars)

    def hash_to_g2(self, message: bytes, dst: bytes) -> bytes:
        """HASH-TO-CURVE on arkworks."""
        return G2Point.hash_to_curve(message, dst).to_compressed_bytes()

    def pairing_product_is_one(self, g1_points: Sequence[bytes], g2_points: Sequence[bytes]) -> bool:
        """PAIRING on arkworks: multi-Miller loop and one final exponentiation."""
        return GT.pairing_check(
            [G1Point.from_compressed_bytes_unchecked(p) for p in g1_points],
            [G2Point.from_compressed_bytes_unchecked(q) for q in g2_points],
        )


_BACKENDS: dict[str, BlsBackend] = {b.name: b for b in (ArkworksBackend(), PyEccBackend())}
DEFAULT_BACKEND = "arkworks"

_ACTIVE: ContextVar[BlsBackend] = ContextVar("rusty_coin_bls_backend", default=_BACKENDS[DEFAULT_BACKEND])


def backend_names() -> tuple[str, ...]:
    """The names of the registered backends, default first."""
    return tuple(sorted(_BACKENDS, key=lambda name: (name != DEFAULT_BACKEND, name)))


def get_backend(name: str) -> BlsBackend:
    """The backend called ``name``; raise ``BLS_UNKNOWN_BACKEND`` otherwise."""
    backend = _BACKENDS.get(name)
    if backend is None:
        raise UnknownBackend(f"no BLS backend named {name!r}; known: {', '.join(backend_names())}")
    return backend


def active_backend() -> BlsBackend:
    """The backend used by the current context (thread or task)."""
    return _ACTIVE.get()


@contextmanager
def use_backend(name: str) -> Iterator[BlsBackend]:
    """Run the ``with`` body on backend ``name`` (restored afterwards); results never depend on it."""
    token = _ACTIVE.set(get_backend(name))
    try:
        yield _ACTIVE.get()
    finally:
        _ACTIVE.reset(token)


# --------------------------------------------------------------------------------------------
# Encodings (BLS-1, BLS-2)
# --------------------------------------------------------------------------------------------


def _encoding_problem(data: bytes, length: int) -> str | None:
    """BLS-1 (shape part): why ``data`` is not a well-formed compressed point, or ``None``.

    Checks length, the C/B/A flag bits, the unique identity encoding and that every coordinate
    is below ``p``. Curve membership is left to the backend.
    """
    if len(data) != length:
        return f"expected {length} bytes, got {len(data)}"
    first = data[0]
    if not first & _FLAG_COMPRESSED:
        return "compression flag not set"
    if first & _FLAG_INFINITY:
        if first & ~(_FLAG_COMPRESSED | _FLAG_INFINITY) or any(data[1:]):
            return "identity encoding with nonzero sign or coordinate bits"
        return None
    # G1: x in the 48 bytes. G2: x = x_c1 * u + x_c0, with x_c1 in the first 48 bytes (after the
    # flags) and x_c0 in the second 48 bytes (which carry no flags).
    for offset in range(0, length, 48):
        coordinate = int.from_bytes(data[offset : offset + 48], "big")
        if offset == 0:
            coordinate &= (1 << 381) - 1
        if coordinate >= FIELD_MODULUS:
            return "coordinate not below the field modulus"
    return None


def _is_identity(data: bytes) -> bool:
    return bool(data[0] & _FLAG_INFINITY)


def decode_g1_point(data: bytes) -> bytes:
    """BLS-1: check a compressed G1 point (identity allowed); raise ``BLS_INVALID_PUBLIC_KEY``."""
    problem = _encoding_problem(data, PUBLIC_KEY_LENGTH)
    if problem is None:
        status = active_backend().g1_status(data)
        if status is not PointStatus.VALID:
            problem = status.value
    if problem is not None:
        raise InvalidPublicKey(problem)
    return bytes(data)


def decode_g2_point(data: bytes) -> bytes:
    """BLS-1: check a compressed G2 point (identity allowed); raise ``BLS_INVALID_SIGNATURE``."""
    problem = _encoding_problem(data, SIGNATURE_LENGTH)
    if problem is None:
        status = active_backend().g2_status(data)
        if status is not PointStatus.VALID:
            problem = status.value
    if problem is not None:
        raise InvalidSignatureEncoding(problem)
    return bytes(data)


def decode_public_key(data: bytes) -> bytes:
    """BLS-2 (IETF KeyValidate): a valid non-identity G1 point; raise ``BLS_INVALID_PUBLIC_KEY``."""
    point = decode_g1_point(data)
    if _is_identity(point):
        raise InvalidPublicKey("the identity is not a public key")
    return point


def key_validate(public_key: bytes) -> bool:
    """BLS-2 (IETF KeyValidate) as a predicate."""
    try:
        decode_public_key(public_key)
    except InvalidPublicKey:
        return False
    return True


def decode_signature(data: bytes) -> bytes:
    """BLS-2: a valid G2 point (the identity included); raise ``BLS_INVALID_SIGNATURE``."""
    return decode_g2_point(data)


def decode_secret_key(data: bytes) -> int:
    """BLS-1: 32 big-endian bytes of an integer in ``[1, r - 1]``; raise ``BLS_INVALID_SECRET_KEY``."""
    if len(data) != SECRET_KEY_LENGTH:
        raise InvalidSecretKey(f"expected {SECRET_KEY_LENGTH} bytes, got {len(data)}")
    value = int.from_bytes(data, "big")
    if not 1 <= value < CURVE_ORDER:
        raise InvalidSecretKey("secret key not in [1, r - 1]")
    return value


def encode_secret_key(value: int) -> bytes:
    """BLS-1: encode ``value`` in ``[1, r - 1]`` as 32 big-endian bytes; raise ``BLS_INVALID_SECRET_KEY``."""
    if not 1 <= value < CURVE_ORDER:
        raise InvalidSecretKey("secret key not in [1, r - 1]")
    return value.to_bytes(SECRET_KEY_LENGTH, "big")


# --------------------------------------------------------------------------------------------
# KeyGen (BLS-6): hash-only, written out with hashlib/hmac
# --------------------------------------------------------------------------------------------


def _hkdf_extract(salt: bytes, ikm: bytes) -> bytes:
    """HKDF-Extract (RFC 5869) with SHA-256."""
    return hmac.new(salt, ikm, hashlib.sha256).digest()


def _hkdf_expand(prk: bytes, info: bytes, length: int) -> bytes:
    """HKDF-Expand (RFC 5869) with SHA-256; ``length`` is at most 255 * 32."""
    okm = b""
    block = b""
    counter = 1
    while len(okm) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        okm += block
        counter += 1
    return okm[:length]


def key_gen(ikm: bytes, key_info: bytes = b"") -> bytes:
    """BLS-KEYGEN (IETF KeyGen): derive a 32-byte secret key from >= 32 bytes of keying material."""
    if len(ikm) < KEYGEN_MIN_IKM_LENGTH:
        raise InvalidKeyMaterial(f"IKM has {len(ikm)} bytes, need at least {KEYGEN_MIN_IKM_LENGTH}")
    salt = KEYGEN_SALT
    secret = 0
    while secret == 0:
        salt = hashlib.sha256(salt).digest()
        prk = _hkdf_extract(salt, ikm + bytes(1))
        okm = _hkdf_expand(prk, key_info + KEYGEN_OKM_LENGTH.to_bytes(2, "big"), KEYGEN_OKM_LENGTH)
        secret = int.from_bytes(okm, "big") % CURVE_ORDER
    return secret.to_bytes(SECRET_KEY_LENGTH, "big")


# --------------------------------------------------------------------------------------------
# Core operations
# --------------------------------------------------------------------------------------------


def _negate(point: bytes) -> bytes:
    """GROUP: ``-P`` of a valid compressed point: flip the sign flag (the identity is its own negative).

    Valid for subgroup points: they never have ``y = 0``, so ``y`` and ``-y`` differ in the flag.
    """
    if _is_identity(point):
        return point
    return bytes([point[0] ^ _FLAG_SIGN]) + point[1:]


_NEG_G1_GENERATOR = _negate(G1_GENERATOR)


def _core_sign(secret: int, message: bytes, dst: bytes) -> bytes:
    """BLS-CORESIGN: ``sk * hash_to_G2(message, dst)``."""
    backend = active_backend()
    return backend.g2_linear_combination((backend.hash_to_g2(message, dst),), (secret,))


def _core_verify(public_key: bytes, message: bytes, signature: bytes, dst: bytes) -> bool:
    """BLS-COREVERIFY on decoded inputs: ``e(PK, H(m)) == e(g1, sig)``."""
    backend = active_backend()
    return backend.pairing_product_is_one(
        (public_key, _NEG_G1_GENERATOR), (backend.hash_to_g2(message, dst), signature)
    )


def sk_to_pk(secret_key: bytes) -> bytes:
    """BLS-SKTOPK: the compressed G1 public key ``sk * g1``."""
    secret = decode_secret_key(secret_key)
    return active_backend().g1_linear_combination((G1_GENERATOR,), (secret,))


def sign(secret_key: bytes, message: bytes) -> bytes:
    """BLS-SIGN: the 96-byte signature of ``message`` (POP ciphersuite tag)."""
    return _core_sign(decode_secret_key(secret_key), message, SIGNATURE_DST)


def verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """BLS-VERIFY: does ``signature`` sign ``message`` under ``public_key``? (BLS-3: bad encodings raise.)"""
    decode_signature(signature)
    decode_public_key(public_key)
    return _core_verify(public_key, message, signature, SIGNATURE_DST)


def aggregate(signatures: Sequence[bytes]) -> bytes:
    """BLS-AGGREGATE: the sum of one or more signatures; raise ``BLS_EMPTY_AGGREGATE`` for none."""
    if not signatures:
        raise EmptyAggregate("no signatures to aggregate")
    for signature in signatures:
        decode_signature(signature)
    return active_backend().g2_linear_combination(signatures, (1,) * len(signatures))


def fast_aggregate_verify(public_keys: Sequence[bytes], message: bytes, signature: bytes) -> bool:
    """BLS-FAST-AGGREGATE-VERIFY: do all ``public_keys`` sign the same ``message`` in ``signature``?

    The public keys are summed; an aggregate that is the identity does not verify (IETF CoreVerify
    applies KeyValidate to the aggregate key).
    """
    if not public_keys:
        raise EmptyAggregate("no public keys")
    decode_signature(signature)
    for public_key in public_keys:
        decode_public_key(public_key)
    backend = active_backend()
    combined = backend.g1_linear_combination(public_keys, (1,) * len(public_keys))
    if _is_identity(combined):
        return False
    return _core_verify(combined, message, signature, SIGNATURE_DST)


def aggregate_verify(public_keys: Sequence[bytes], messages: Sequence[bytes], signature: bytes) -> bool:
    """BLS-AGGREGATE-VERIFY: does ``signature`` aggregate signatures of ``messages[i]`` by ``public_keys[i]``?

    BLS-5: messages may repeat (IETF POP scheme).
    """
    if len(public_keys) != len(messages):
        raise AggregateLengthMismatch(f"{len(public_keys)} public keys, {len(messages)} messages")
    if not public_keys:
        raise EmptyAggregate("no public keys")
    decode_signature(signature)
    for public_key in public_keys:
        decode_public_key(public_key)
    backend = active_backend()
    g1_points = (*public_keys, _NEG_G1_GENERATOR)
    g2_points = (*(backend.hash_to_g2(m, SIGNATURE_DST) for m in messages), signature)
    return backend.pairing_product_is_one(g1_points, g2_points)


def pop_prove(secret_key: bytes) -> bytes:
    """BLS-POP-PROVE: a signature on the public key's own encoding under the POP tag."""
    secret = decode_secret_key(secret_key)
    public_key = active_backend().g1_linear_combination((G1_GENERATOR,), (secret,))
    return _core_sign(secret, public_key, POP_DST)


def pop_verify(public_key: bytes, proof: bytes) -> bool:
    """BLS-POP-VERIFY: is ``proof`` a proof of possession of ``public_key``'s secret key?"""
    decode_signature(proof)
    decode_public_key(public_key)
    return _core_verify(public_key, public_key, proof, POP_DST)


# --------------------------------------------------------------------------------------------
# Group helpers on compressed encodings (for threshold signatures and key generation)
# --------------------------------------------------------------------------------------------


def _check_same_length(points: Sequence[bytes], scalars: Sequence[int]) -> None:
    if len(points) != len(scalars):
        raise AggregateLengthMismatch(f"{len(points)} points, {len(scalars)} scalars")


def g1_linear_combination(points: Sequence[bytes], scalars: Sequence[int]) -> bytes:
    """GROUP-G1: ``sum(scalars[i] * points[i])``; scalars are taken mod ``r``; points may be the identity."""
    _check_same_length(points, scalars)
    for point in points:
        decode_g1_point(point)
    return active_backend().g1_linear_combination(points, tuple(s % CURVE_ORDER for s in scalars))


def g2_linear_combination(points: Sequence[bytes], scalars: Sequence[int]) -> bytes:
    """GROUP-G2: ``sum(scalars[i] * points[i])``; scalars are taken mod ``r``; points may be the identity."""
    _check_same_length(points, scalars)
    for point in points:
        decode_g2_point(point)
    return active_backend().g2_linear_combination(points, tuple(s % CURVE_ORDER for s in scalars))


def g1_checked_linear_combination(points: Sequence[bytes], scalars: Sequence[int]) -> bytes:
    """BLS-1 + GROUP-G1: :func:`decode_g1_point` of every point in order (first failure raised), then
    ``sum(scalars[i] * points[i])`` (scalars mod ``r``; a zero scalar only checks its point).

    Same result and same first error as the readable two steps, but each point is decompressed
    and subgroup-checked once (the backends' ``g1_checked_linear_combination``).
    """
    _check_same_length(points, scalars)
    for position, point in enumerate(points):
        if _encoding_problem(point, PUBLIC_KEY_LENGTH) is not None:
            for earlier in points[: position + 1]:
                decode_g1_point(earlier)
    outcome = active_backend().g1_checked_linear_combination(points, tuple(s % CURVE_ORDER for s in scalars))
    if isinstance(outcome, tuple):
        raise InvalidPublicKey(outcome[1].value)
    return outcome


def g2_checked_linear_combination(points: Sequence[bytes], scalars: Sequence[int]) -> bytes:
    """BLS-1 + GROUP-G2: as :func:`g1_checked_linear_combination`, in G2 (``BLS_INVALID_SIGNATURE``)."""
    _check_same_length(points, scalars)
    for position, point in enumerate(points):
        if _encoding_problem(point, SIGNATURE_LENGTH) is not None:
            for earlier in points[: position + 1]:
                decode_g2_point(earlier)
    outcome = active_backend().g2_checked_linear_combination(points, tuple(s % CURVE_ORDER for s in scalars))
    if isinstance(outcome, tuple):
        raise InvalidSignatureEncoding(outcome[1].value)
    return outcome


def g1_add(points: Sequence[bytes]) -> bytes:
    """GROUP-G1: the sum of ``points`` (the identity for none)."""
    return g1_linear_combination(points, (1,) * len(points))


def g2_add(points: Sequence[bytes]) -> bytes:
    """GROUP-G2: the sum of ``points`` (the identity for none)."""
    return g2_linear_combination(points, (1,) * len(points))


def g1_multiply(point: bytes, scalar: int) -> bytes:
    """GROUP-G1: ``scalar * point`` (scalar taken mod ``r``)."""
    return g1_linear_combination((point,), (scalar,))


def g2_multiply(point: bytes, scalar: int) -> bytes:
    """GROUP-G2: ``scalar * point`` (scalar taken mod ``r``)."""
    return g2_linear_combination((point,), (scalar,))


def g1_negate(point: bytes) -> bytes:
    """GROUP-G1: ``-point``."""
    return _negate(decode_g1_point(point))


def g2_negate(point: bytes) -> bytes:
    """GROUP-G2: ``-point``."""
    return _negate(decode_g2_point(point))

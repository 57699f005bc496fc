"""Threshold BLS signatures, t of n (protocol step "THRESHOLD").

A quorum of ``n`` members shares one group secret key with Shamir's scheme over the scalar field
``Fr`` of BLS12-381 (``r`` = :data:`spec.crypto.bls.CURVE_ORDER`). Any ``t`` members' signature
shares combine into the one signature the group secret key would have made, verifiable under the
group public key with plain :func:`spec.crypto.bls.verify`; ``t - 1`` shares reveal nothing.

* **THRESHOLD-1 (parameters)** ``1 <= t <= n <= max_members`` (``max_members`` comes from the preset).
* **THRESHOLD-2 (polynomial)** ``f(x) = a_0 + a_1 x + ... + a_(t-1) x^(t-1) mod r`` with every
  ``a_j`` in ``[0, r - 1]``, the group secret ``a_0`` nonzero and the leading coefficient
  ``a_(t-1)`` nonzero, so that ``f`` has degree exactly ``t - 1``. The caller supplies the
  coefficients (the specification draws no randomness); :func:`coefficients_from_seed` derives
  them deterministically for tests and devnets.
* **THRESHOLD-3 (shares)** member indices are distinct integers in ``[1, r - 1]`` (index 0 would be
  the secret itself). Member ``i`` holds the secret key ``f(i)``, which must be nonzero, and
  publishes ``sk_to_pk(f(i))``. The group public key is ``sk_to_pk(a_0)``.
* **THRESHOLD-4 (seeded coefficients)** ``a_j = (OS2IP(H(j, 0) || H(j, 1)) mod (r - 1)) + 1`` where
  ``H(j, h) = tagged_hash(THRESHOLD_COEFFICIENT, varint(len(seed)) || seed || u64le(j) || u8(h))``
  and OS2IP reads the 64 bytes big-endian. Every derived coefficient lies in ``[1, r - 1]``; the
  bias of reducing 512 bits modulo a 255-bit number is below ``2**-256``.
* **THRESHOLD-5 (Lagrange)** for distinct indices ``x_1..x_k`` the coefficients at zero are
  ``lambda_i = prod_{j != i} x_j / (x_j - x_i) mod r``, so ``f(0) = sum lambda_i f(x_i)`` for every
  ``f`` of degree below ``k``.
* **THRESHOLD-6 (recovery)** :func:`recover_signature` and :func:`recover_public_key` check, in this
  order, reporting the first failure: ``t >= 1`` (``THRESHOLD_INVALID_PARAMETERS``); every index in
  ``[1, r - 1]`` (``THRESHOLD_INVALID_INDEX``); indices distinct (``THRESHOLD_DUPLICATE_INDEX``);
  at least ``t`` shares (``THRESHOLD_INSUFFICIENT_SHARES``); every share value a valid encoding
  (``BLS_INVALID_SIGNATURE`` / ``BLS_INVALID_PUBLIC_KEY``). They then use **exactly the ``t``
  shares of lowest index** and return ``sum lambda_i * value_i``. Any ``t`` honest shares give the
  same result, so the choice only matters for dishonest extra shares: fixing it makes every
  implementation return the same bytes for the same input. Recovery does not check shares against
  public key shares; verify them first (:func:`verify_share`) or verify the result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from spec.crypto import bls
from spec.crypto.bls import CURVE_ORDER
from spec.encoding import U64, encode, varint_encode
from spec.errors import (
    DuplicateShareIndex,
    InsufficientShares,
    InvalidPolynomial,
    InvalidShareIndex,
    InvalidSignatureShare,
    InvalidThresholdParameters,
)
from spec.hashing import HashDomain, tagged_hash_many


@dataclass(frozen=True)
class Share:
    """One member's share of a threshold value: its member index and an encoded value.

    The value is a 32-byte secret key share, a 48-byte public key share or a 96-byte signature share.
    """

    index: int
    value: bytes


# --------------------------------------------------------------------------------------------
# Parameters, indices, polynomials
# --------------------------------------------------------------------------------------------


def check_threshold_parameters(threshold: int, members: int, max_members: int) -> None:
    """THRESHOLD-1: require ``1 <= threshold <= members <= max_members``."""
    if not 1 <= threshold <= members <= max_members:
        raise InvalidThresholdParameters(f"need 1 <= t <= n <= {max_members}, got t={threshold}, n={members}")


def check_indices(indices: Sequence[int]) -> None:
    """THRESHOLD-3: every index in ``[1, r - 1]`` (first offender reported), then all distinct."""
    for index in indices:
        if not 1 <= index < CURVE_ORDER:
            raise InvalidShareIndex(f"index {index} not in [1, r - 1]")
    seen: set[int] = set()
    for index in indices:
        if index in seen:
            raise DuplicateShareIndex(f"index {index} appears twice")
        seen.add(index)


def check_polynomial(coefficients: Sequence[int]) -> None:
    """THRESHOLD-2: at least one coefficient, all in ``[0, r - 1]``, constant and leading terms nonzero."""
    if not coefficients:
        raise InvalidPolynomial("no coefficients (threshold 0)")
    for position, coefficient in enumerate(coefficients):
        if not 0 <= coefficient < CURVE_ORDER:
            raise InvalidPolynomial(f"coefficient {position} not in [0, r - 1]")
    if coefficients[0] == 0:
        raise InvalidPolynomial("the group secret (coefficient 0) is zero")
    if coefficients[-1] == 0:
        raise InvalidPolynomial("the leading coefficient is zero")


def polynomial_eval(coefficients: Sequence[int], x: int) -> int:
    """THRESHOLD-2: ``f(x) mod r`` by Horner's rule (any integers; the result is in ``[0, r - 1]``)."""
    result = 0
    for coefficient in reversed(coefficients):
        result = (result * x + coefficient) % CURVE_ORDER
    return result


def coefficients_from_seed(seed: bytes, threshold: int) -> tuple[int, ...]:
    """THRESHOLD-4: ``threshold`` deterministic coefficients in ``[1, r - 1]`` derived from ``seed``."""
    if threshold < 1:
        raise InvalidThresholdParameters(f"threshold must be at least 1, got {threshold}")
    prefix = varint_encode(len(seed))
    coefficients = []
    for position in range(threshold):
        counter = encode(U64, position)
        wide = b"".join(
            tagged_hash_many(HashDomain.THRESHOLD_COEFFICIENT, (prefix, seed, counter, bytes([half])))
            for half in (0, 1)
        )
        coefficients.append(int.from_bytes(wide, "big") % (CURVE_ORDER - 1) + 1)
    return tuple(coefficients)


# --------------------------------------------------------------------------------------------
# Dealing and signing
# --------------------------------------------------------------------------------------------


def generate_shares(coefficients: Sequence[int], member_indices: Sequence[int]) -> tuple[Share, ...]:
    """THRESHOLD-3: the secret key share ``f(i)`` (32 bytes) of each member, in the order given.

    Checks, in order: the polynomial (``THRESHOLD_INVALID_POLYNOMIAL``), the indices
    (``THRESHOLD_INVALID_INDEX``, ``THRESHOLD_DUPLICATE_INDEX``), ``t <= n``
    (``THRESHOLD_INVALID_PARAMETERS``) and that no share is zero (``THRESHOLD_INVALID_POLYNOMIAL``).
    """
    check_polynomial(coefficients)
    check_indices(member_indices)
    if len(coefficients) > len(member_indices):
        raise InvalidThresholdParameters(
            f"threshold {len(coefficients)} exceeds the {len(member_indices)} members"
        )
    shares = []
    for index in member_indices:
        value = polynomial_eval(coefficients, index)
        if value == 0:
            raise InvalidPolynomial(f"the polynomial vanishes at member index {index}")
        shares.append(Share(index, value.to_bytes(bls.SECRET_KEY_LENGTH, "big")))
    return tuple(shares)


def group_public_key(coefficients: Sequence[int]) -> bytes:
    """THRESHOLD-3: the group public key ``sk_to_pk(a_0)``."""
    check_polynomial(coefficients)
    return bls.sk_to_pk(bls.encode_secret_key(coefficients[0]))


def public_key_share(secret_share: Share) -> Share:
    """THRESHOLD-3: a member's public key share ``sk_to_pk(f(i))``."""
    check_indices((secret_share.index,))
    return Share(secret_share.index, bls.sk_to_pk(secret_share.value))


def public_key_shares(secret_shares: Sequence[Share]) -> tuple[Share, ...]:
    """THRESHOLD-3: the public key share of every secret key share, in the order given."""
    return tuple(public_key_share(share) for share in secret_shares)


def sign_share(secret_share: Share, message: bytes) -> Share:
    """THRESHOLD-SIGN: a member's signature share, an ordinary BLS signature under its share key."""
    check_indices((secret_share.index,))
    return Share(secret_share.index, bls.sign(secret_share.value, message))


def verify_share(public_share: Share, message: bytes, signature_share: Share) -> bool:
    """THRESHOLD-VERIFY: does ``signature_share`` come from the member holding ``public_share``?

    Shares of two different members (different indices) never match. Bad indices or encodings
    raise, as in BLS-3.
    """
    check_indices((public_share.index,))
    check_indices((signature_share.index,))
    valid = bls.verify(public_share.value, message, signature_share.value)
    return valid and public_share.index == signature_share.index


def check_signature_share(public_share: Share, message: bytes, signature_share: Share) -> None:
    """THRESHOLD-VERIFY as a rule: raise ``THRESHOLD_INVALID_SHARE`` unless :func:`verify_share` holds."""
    if not verify_share(public_share, message, signature_share):
        raise InvalidSignatureShare(f"signature share of member {signature_share.index} does not verify")


# --------------------------------------------------------------------------------------------
# Interpolation and recovery
# --------------------------------------------------------------------------------------------


def _inverse(value: int) -> int:
    """``value ** -1 mod r`` for ``value`` not divisible by ``r`` (Fermat: ``r`` is prime)."""
    return pow(value, CURVE_ORDER - 2, CURVE_ORDER)


def lagrange_coefficients_at_zero(indices: Sequence[int]) -> tuple[int, ...]:
    """THRESHOLD-5: the Lagrange coefficients at ``x = 0`` of distinct nonzero ``indices`` (mod ``r``)."""
    check_indices(indices)
    coefficients = []
    for i, x_i in enumerate(indices):
        numerator = 1
        denominator = 1
        for j, x_j in enumerate(indices):
            if j != i:
                numerator = numerator * x_j % CURVE_ORDER
                denominator = denominator * (x_j - x_i) % CURVE_ORDER
        coefficients.append(numerator * _inverse(denominator) % CURVE_ORDER)
    return tuple(coefficients)


def fast_lagrange_coefficients_at_zero(indices: Sequence[int]) -> tuple[int, ...]:
    """THRESHOLD-5, same values as :func:`lagrange_coefficients_at_zero` with one modular inversion.

    ``lambda_i = N / (x_i * d_i)`` with ``N = prod x_j`` and ``d_i = prod_{j != i} (x_j - x_i)``;
    the ``k`` values ``x_i * d_i`` are inverted together (Montgomery's trick: prefix products, one
    inverse, then back-substitution) instead of ``k`` Fermat exponentiations.
    """
    check_indices(indices)
    count = len(indices)
    if count == 0:
        return ()
    order = CURVE_ORDER
    total = 1
    for x in indices:
        total = total * x % order
    products = []
    for i, x_i in enumerate(indices):
        denominator = x_i
        for j, x_j in enumerate(indices):
            if j != i:
                denominator = denominator * (x_j - x_i) % order
        products.append(denominator)
    prefix = [1] * (count + 1)
    for position, value in enumerate(products):
        prefix[position + 1] = prefix[position] * value % order
    running = pow(prefix[count], -1, order)
    inverses = [0] * count
    for position in range(count - 1, -1, -1):
        inverses[position] = running * prefix[position] % order
        running = running * products[position] % order
    return tuple(total * inverse % order for inverse in inverses)


def _recovery_weights(shares: Sequence[Share], threshold: int) -> list[int]:
    """THRESHOLD-6: one weight per given share, in the order given: ``lambda_i`` for the ``t`` shares
    of lowest index, 0 for the others (they are only decoded)."""
    chosen = _select_for_recovery(shares, threshold)
    weights = fast_lagrange_coefficients_at_zero([share.index for share in chosen])
    by_index = {share.index: weight for share, weight in zip(chosen, weights, strict=True)}
    return [by_index.get(share.index, 0) for share in shares]


def _select_for_recovery(shares: Sequence[Share], threshold: int) -> tuple[Share, ...]:
    """THRESHOLD-6, checks before decoding: parameters, indices, count; then the lowest ``t`` shares."""
    if threshold < 1:
        raise InvalidThresholdParameters(f"threshold must be at least 1, got {threshold}")
    check_indices([share.index for share in shares])
    if len(shares) < threshold:
        raise InsufficientShares(f"{len(shares)} shares, threshold {threshold}")
    return tuple(sorted(shares, key=lambda share: share.index)[:threshold])


def readable_recover_signature(shares: Sequence[Share], threshold: int) -> bytes:
    """THRESHOLD-6, readable definition: the group signature from at least ``threshold`` shares."""
    chosen = _select_for_recovery(shares, threshold)
    for share in shares:
        bls.decode_signature(share.value)
    weights = lagrange_coefficients_at_zero([share.index for share in chosen])
    return bls.g2_linear_combination([share.value for share in chosen], weights)


def readable_recover_public_key(shares: Sequence[Share], threshold: int) -> bytes:
    """THRESHOLD-6, readable definition: the group public key from at least ``threshold`` shares."""
    chosen = _select_for_recovery(shares, threshold)
    for share in shares:
        bls.decode_public_key(share.value)
    weights = lagrange_coefficients_at_zero([share.index for share in chosen])
    return bls.g1_linear_combination([share.value for share in chosen], weights)


def recover_signature(shares: Sequence[Share], threshold: int) -> bytes:
    """THRESHOLD-6: the group signature from at least ``threshold`` signature shares.

    Same bytes and same first error as :func:`readable_recover_signature` (tests cross-check
    them): every share decoded once, one batched inversion, one multi-scalar multiplication.
    """
    weights = _recovery_weights(shares, threshold)
    return bls.g2_checked_linear_combination([share.value for share in shares], weights)


def recover_public_key(shares: Sequence[Share], threshold: int) -> bytes:
    """THRESHOLD-6: the group public key from at least ``threshold`` public key shares.

    Same bytes and same first error as :func:`readable_recover_public_key`. A public key share
    must not be the identity (BLS-2), checked before any curve work as in the readable order.
    """
    weights = _recovery_weights(shares, threshold)
    values = [share.value for share in shares]
    for position, value in enumerate(values):
        if len(value) == bls.PUBLIC_KEY_LENGTH and value == bls.G1_IDENTITY:
            for earlier in values[: position + 1]:
                bls.decode_public_key(earlier)
    return bls.g1_checked_linear_combination(values, weights)

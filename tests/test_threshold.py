"""Threshold BLS (THRESHOLD-1..6): Shamir shares over Fr, Lagrange interpolation, share recovery."""

from __future__ import annotations

import itertools

import blake3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spec.crypto import bls
from spec.crypto.threshold import (
    Share,
    check_indices,
    check_polynomial,
    check_signature_share,
    check_threshold_parameters,
    coefficients_from_seed,
    fast_lagrange_coefficients_at_zero,
    generate_shares,
    group_public_key,
    lagrange_coefficients_at_zero,
    polynomial_eval,
    public_key_share,
    public_key_shares,
    readable_recover_public_key,
    readable_recover_signature,
    recover_public_key,
    recover_signature,
    sign_share,
    verify_share,
)
from spec.errors import (
    DuplicateShareIndex,
    InsufficientShares,
    InvalidPolynomial,
    InvalidPublicKey,
    InvalidShareIndex,
    InvalidSignatureEncoding,
    InvalidSignatureShare,
    InvalidThresholdParameters,
)
from spec.hashing import HashDomain
from tests.hypothesis_profiles import examples

R = bls.CURVE_ORDER
MESSAGE = b"quorum commitment"

scalars = st.integers(min_value=0, max_value=R - 1)
nonzero_scalars = st.integers(min_value=1, max_value=R - 1)
indices = st.integers(min_value=1, max_value=R - 1)


def _group_secret(coefficients: tuple[int, ...]) -> bytes:
    return bls.encode_secret_key(coefficients[0])


# --------------------------------------------------------------------------------------------
# THRESHOLD-1 parameters, THRESHOLD-3 indices
# --------------------------------------------------------------------------------------------


@given(t=st.integers(-3, 12), n=st.integers(-3, 12), limit=st.integers(0, 12))
def test_check_threshold_parameters(t: int, n: int, limit: int) -> None:
    if 1 <= t <= n <= limit:
        check_threshold_parameters(t, n, limit)
    else:
        with pytest.raises(InvalidThresholdParameters):
            check_threshold_parameters(t, n, limit)


def test_check_indices() -> None:
    check_indices([1, 2, R - 1])
    check_indices([])
    for bad in (0, R, R + 1, -1):
        with pytest.raises(InvalidShareIndex):
            check_indices([1, bad])
    with pytest.raises(DuplicateShareIndex):
        check_indices([3, 1, 3])
    # Range is checked for every index before duplicates are looked for.
    with pytest.raises(InvalidShareIndex):
        check_indices([3, 3, 0])


# --------------------------------------------------------------------------------------------
# THRESHOLD-2 polynomials, THRESHOLD-4 seeded coefficients
# --------------------------------------------------------------------------------------------


@given(coefficients=st.lists(st.integers(-(2**300), 2**300), max_size=8), x=st.integers(-(2**300), 2**300))
def test_polynomial_eval_matches_naive_sum(coefficients: list[int], x: int) -> None:
    expected = sum(c * pow(x, j, R) for j, c in enumerate(coefficients)) % R
    assert polynomial_eval(coefficients, x) == expected


def test_check_polynomial() -> None:
    check_polynomial([1])
    check_polynomial([5, 0, 7])
    for bad in ([], [0], [1, 0], [R, 1], [1, R], [1, -1, 1]):
        with pytest.raises(InvalidPolynomial):
            check_polynomial(bad)


def test_coefficients_from_seed_follow_the_documented_derivation() -> None:
    seed = b"rusty coin"

    def h(position: int, half: int) -> bytes:
        data = bytes([len(seed)]) + seed + position.to_bytes(8, "little") + bytes([half])
        digest: bytes = blake3.blake3(
            data, derive_key_context=HashDomain.THRESHOLD_COEFFICIENT.value
        ).digest()
        return digest

    expected = tuple(int.from_bytes(h(j, 0) + h(j, 1), "big") % (R - 1) + 1 for j in range(3))
    assert coefficients_from_seed(seed, 3) == expected
    # Pinned values: a change here changes every threshold test vector.
    assert expected[0] == 44954816180616303466036186517161500507812852396799030178842707281456760913984
    assert coefficients_from_seed(b"", 1) == (
        11067515883215427574923467738797309535793338644525868078513969043108648537415,
    )


@given(seed=st.binary(max_size=40), t=st.integers(1, 10))
def test_coefficients_from_seed_properties(seed: bytes, t: int) -> None:
    coefficients = coefficients_from_seed(seed, t)
    assert len(coefficients) == t
    assert all(1 <= c < R for c in coefficients)
    check_polynomial(coefficients)
    assert coefficients_from_seed(seed, t + 1)[:t] == coefficients
    assert coefficients_from_seed(seed + b"\x00", t) != coefficients


@pytest.mark.parametrize("t", [0, -1])
def test_coefficients_from_seed_rejects_bad_threshold(t: int) -> None:
    with pytest.raises(InvalidThresholdParameters):
        coefficients_from_seed(b"seed", t)


# --------------------------------------------------------------------------------------------
# THRESHOLD-5 Lagrange coefficients
# --------------------------------------------------------------------------------------------


@settings(max_examples=examples(150))
@given(
    coefficients=st.lists(scalars, min_size=1, max_size=7),
    points=st.lists(indices, min_size=7, max_size=10, unique=True),
    extra=st.integers(0, 3),
)
def test_lagrange_sum_check(coefficients: list[int], points: list[int], extra: int) -> None:
    """sum(lambda_i * f(x_i)) == f(0) for any len(coefficients) <= k distinct points."""
    chosen = points[: len(coefficients) + extra]
    weights = lagrange_coefficients_at_zero(chosen)
    assert len(weights) == len(chosen)
    assert all(0 <= w < R for w in weights)
    total = sum(w * polynomial_eval(coefficients, x) for w, x in zip(weights, chosen, strict=True)) % R
    assert total == polynomial_eval(coefficients, 0)


def test_lagrange_small_known_values() -> None:
    # Points 1, 2: lambda_1 = 2 / (2 - 1) = 2, lambda_2 = 1 / (1 - 2) = -1.
    assert lagrange_coefficients_at_zero([1, 2]) == (2, R - 1)
    assert lagrange_coefficients_at_zero([7]) == (1,)
    assert lagrange_coefficients_at_zero([]) == ()
    # Coefficients follow the order of the indices given.
    assert lagrange_coefficients_at_zero([2, 1]) == (R - 1, 2)


@pytest.mark.parametrize(
    ("points", "error"),
    [
        ([1, 0], InvalidShareIndex),
        ([R, 1], InvalidShareIndex),
        ([-2, 1], InvalidShareIndex),
        ([1, 2, 1], DuplicateShareIndex),
    ],
)
def test_lagrange_rejects_bad_indices(points: list[int], error: type[Exception]) -> None:
    with pytest.raises(error):
        lagrange_coefficients_at_zero(points)


# --------------------------------------------------------------------------------------------
# THRESHOLD-3 dealing
# --------------------------------------------------------------------------------------------


def test_generate_shares_values() -> None:
    coefficients = (5, 3, 2)  # f(x) = 5 + 3x + 2x^2
    shares = generate_shares(coefficients, [1, 2, 10])
    assert [s.index for s in shares] == [1, 2, 10]
    assert [int.from_bytes(s.value, "big") for s in shares] == [10, 19, 235]
    assert all(len(s.value) == 32 for s in shares)


@pytest.mark.parametrize(
    ("coefficients", "members", "error"),
    [
        ((), [1], InvalidPolynomial),
        ((0, 1), [1, 2], InvalidPolynomial),
        ((1, 0), [1, 2], InvalidPolynomial),
        ((1, R), [1, 2], InvalidPolynomial),
        ((1, 2), [0, 1], InvalidShareIndex),
        ((1, 2), [1, R], InvalidShareIndex),
        ((1, 2), [2, 2], DuplicateShareIndex),
        ((1, 2, 3), [1, 2], InvalidThresholdParameters),
        ((5, R - 5), [2, 1], InvalidPolynomial),  # f(1) = 0: member 1 would get the zero key
        # Order of checks: polynomial, then indices, then t <= n.
        ((0,), [0], InvalidPolynomial),
        ((1, 2, 3), [0, 1], InvalidShareIndex),
    ],
)
def test_generate_shares_rejects(
    coefficients: tuple[int, ...], members: list[int], error: type[Exception]
) -> None:
    with pytest.raises(error):
        generate_shares(coefficients, members)


def test_group_public_key() -> None:
    coefficients = coefficients_from_seed(b"group", 3)
    assert group_public_key(coefficients) == bls.sk_to_pk(_group_secret(coefficients))
    with pytest.raises(InvalidPolynomial):
        group_public_key(())


# --------------------------------------------------------------------------------------------
# THRESHOLD-6 recovery (fast backend, properties)
# --------------------------------------------------------------------------------------------


Quorum = tuple[tuple[int, ...], list[int], list[int]]


@st.composite
def quorums(draw: st.DrawFn) -> Quorum:
    """(coefficients, member indices, a t-subset of positions) for 1 <= t <= n <= 7."""
    n = draw(st.integers(1, 7))
    t = draw(st.integers(1, n))
    seed = draw(st.binary(max_size=8))
    members = draw(st.lists(st.integers(1, 2**64), min_size=n, max_size=n, unique=True))
    subset = draw(st.permutations(range(n)))[:t]
    return coefficients_from_seed(seed, t), members, subset


@settings(max_examples=examples(25), deadline=None)
@given(quorum=quorums())
def test_any_t_shares_recover_the_group_signature(
    quorum: tuple[tuple[int, ...], list[int], list[int]],
) -> None:
    coefficients, members, subset = quorum
    t = len(coefficients)
    secret_shares = generate_shares(coefficients, members)
    signature_shares = [sign_share(secret_shares[i], MESSAGE) for i in subset]
    recovered = recover_signature(signature_shares, t)
    assert recovered == bls.sign(_group_secret(coefficients), MESSAGE)
    group_key = group_public_key(coefficients)
    assert bls.verify(group_key, MESSAGE, recovered)
    public_shares = public_key_shares(secret_shares)
    assert recover_public_key([public_shares[i] for i in subset], t) == group_key
    if t > 1:
        with pytest.raises(InsufficientShares):
            recover_signature(signature_shares[:-1], t)
        with pytest.raises(InsufficientShares):
            recover_public_key([public_shares[i] for i in subset[:-1]], t)


def _dealt(t: int, n: int) -> tuple[tuple[int, ...], tuple[Share, ...], tuple[Share, ...], list[Share]]:
    coefficients = coefficients_from_seed(f"quorum {t} of {n}".encode(), t)
    secret_shares = generate_shares(coefficients, range(1, n + 1))
    signature_shares = [sign_share(s, MESSAGE) for s in secret_shares]
    return coefficients, secret_shares, public_key_shares(secret_shares), signature_shares


def test_every_t_subset_recovers_the_same_signature() -> None:
    coefficients, _, _, signature_shares = _dealt(3, 5)
    expected = bls.sign(_group_secret(coefficients), MESSAGE)
    for subset in itertools.combinations(signature_shares, 3):
        assert recover_signature(list(subset), 3) == expected
        assert recover_signature(list(reversed(subset)), 3) == expected
    # More than t honest shares: same result.
    assert recover_signature(signature_shares, 3) == expected


@settings(max_examples=examples(10), deadline=None)
@given(victim=st.integers(0, 2), tamper=st.sampled_from(["other message", "other member", "identity"]))
def test_corrupted_share_in_the_subset_breaks_the_signature(victim: int, tamper: str) -> None:
    coefficients, secret_shares, public_shares, signature_shares = _dealt(3, 5)
    group_key = group_public_key(coefficients)
    subset = list(signature_shares[:3])
    bad_value = {
        "other message": bls.sign(secret_shares[victim].value, b"other"),
        "other member": signature_shares[4].value,
        "identity": bls.G2_IDENTITY,
    }[tamper]
    subset[victim] = Share(subset[victim].index, bad_value)
    assert not verify_share(public_shares[victim], MESSAGE, subset[victim])
    with pytest.raises(InvalidSignatureShare):
        check_signature_share(public_shares[victim], MESSAGE, subset[victim])
    assert not bls.verify(group_key, MESSAGE, recover_signature(subset, 3))


def test_recovery_uses_the_t_lowest_indices() -> None:
    coefficients, _, _, signature_shares = _dealt(2, 4)
    expected = bls.sign(_group_secret(coefficients), MESSAGE)
    garbage = Share(4, bls.sign(bls.key_gen(bytes(32)), MESSAGE))  # well formed, but wrong
    shares = [garbage, signature_shares[1], signature_shares[0]]
    assert recover_signature(shares, 2) == expected
    # The wrong share is used once it is among the t lowest.
    assert recover_signature([garbage, signature_shares[2]], 2) != expected


def test_recovery_rejections_in_documented_order() -> None:
    _, _, public_shares, shares = _dealt(2, 3)
    with pytest.raises(InvalidThresholdParameters):
        recover_signature(shares, 0)
    with pytest.raises(InvalidShareIndex):
        recover_signature([*shares, Share(0, shares[0].value)], 2)
    with pytest.raises(InvalidShareIndex):
        recover_signature([Share(R, shares[0].value)], 2)  # index before count
    with pytest.raises(DuplicateShareIndex):
        recover_signature([shares[0], shares[1], Share(1, shares[2].value)], 2)
    with pytest.raises(InsufficientShares):
        recover_signature(shares[:1], 2)
    with pytest.raises(InsufficientShares):
        recover_signature([], 1)
    with pytest.raises(InsufficientShares):
        recover_signature([Share(1, b"garbage")], 2)  # count before encodings
    # Every share is decoded, even one beyond the t used.
    with pytest.raises(InvalidSignatureEncoding):
        recover_signature([*shares[:2], Share(9, shares[2].value[:-1])], 2)
    with pytest.raises(InvalidPublicKey):
        recover_public_key([*public_shares[:2], Share(9, bls.G1_IDENTITY)], 2)
    with pytest.raises(InvalidPublicKey):
        recover_public_key([public_shares[0], Share(2, public_shares[1].value[:47])], 2)


def test_share_signing_and_verification() -> None:
    _, secret_shares, public_shares, signature_shares = _dealt(2, 3)
    assert public_key_share(secret_shares[0]) == public_shares[0]
    assert public_shares[0].index == 1 and len(public_shares[0].value) == 48
    assert signature_shares[0].index == 1 and len(signature_shares[0].value) == 96
    assert verify_share(public_shares[0], MESSAGE, signature_shares[0])
    check_signature_share(public_shares[0], MESSAGE, signature_shares[0])
    assert not verify_share(public_shares[0], b"other", signature_shares[0])
    # Same bytes under another member's index do not count as that member's share.
    assert not verify_share(public_shares[0], MESSAGE, Share(2, signature_shares[0].value))
    with pytest.raises(InvalidShareIndex):
        sign_share(Share(0, secret_shares[0].value), MESSAGE)
    with pytest.raises(InvalidShareIndex):
        verify_share(Share(0, public_shares[0].value), MESSAGE, signature_shares[0])
    with pytest.raises(InvalidSignatureEncoding):
        verify_share(public_shares[0], MESSAGE, Share(1, b"\x00" * 96))


def test_recovery_is_backend_neutral() -> None:
    """The threshold rules run unchanged on the py_ecc reference backend, with identical bytes."""
    coefficients = coefficients_from_seed(b"backend", 2)
    secret_shares = generate_shares(coefficients, [3, 7, 11])
    results = []
    for name in bls.backend_names():
        with bls.use_backend(name):
            chosen = [sign_share(secret_shares[i], MESSAGE) for i in (2, 0)]
            results.append(
                (
                    chosen,
                    recover_signature(chosen, 2),
                    recover_public_key(public_key_shares([secret_shares[1], secret_shares[2]]), 2),
                )
            )
    assert results[0] == results[1]
    assert results[0][1] == bls.sign(_group_secret(coefficients), MESSAGE)
    assert results[0][2] == group_public_key(coefficients)


# --------------------------------------------------------------------------------------------
# Fast paths against the readable definitions
# --------------------------------------------------------------------------------------------


@settings(max_examples=examples(200))
@given(points=st.lists(indices | st.integers(1, 60), max_size=40, unique=True))
def test_fast_lagrange_equals_readable(points: list[int]) -> None:
    assert fast_lagrange_coefficients_at_zero(points) == lagrange_coefficients_at_zero(points)


@pytest.mark.parametrize("points", [[1, 0], [R, 1], [-2, 1], [1, 2, 1]])
def test_fast_lagrange_rejects_like_readable(points: list[int]) -> None:
    with pytest.raises(Exception) as readable:
        lagrange_coefficients_at_zero(points)
    with pytest.raises(readable.type):
        fast_lagrange_coefficients_at_zero(points)


def _outcome(function: object, *arguments: object) -> object:
    try:
        return function(*arguments)  # type: ignore[operator]
    except Exception as error:
        return (type(error), str(error))


def _fast_and_readable_cases() -> list[tuple[str, list[Share], int]]:
    _, _, public_shares, shares = _dealt(3, 6)
    off_curve = bytes([0x80]) + bytes(95)  # x = 0 is not on the G2 twist
    off_curve_g1 = bytes([0x80]) + bytes(46) + b"\x05"
    identity_g2 = Share(5, bls.G2_IDENTITY)
    return [
        ("signature", list(shares), 3),
        ("signature", list(reversed(shares)), 4),
        ("signature", [*shares[:3], identity_g2], 3),
        ("signature", [*shares[:3], identity_g2], 4),
        ("signature", [Share(9, off_curve), Share(1, b"short")], 1),
        ("signature", [Share(1, b"short"), Share(9, off_curve)], 1),
        ("signature", [shares[0], Share(2, bytes(96))], 2),
        ("signature", [shares[1], Share(0, shares[0].value)], 2),
        ("signature", shares[:2], 3),
        ("public_key", list(public_shares), 3),
        ("public_key", list(reversed(public_shares)), 2),
        ("public_key", [*public_shares[:2], Share(9, bls.G1_IDENTITY)], 2),
        ("public_key", [Share(9, off_curve_g1), Share(3, bls.G1_IDENTITY)], 1),
        ("public_key", [Share(3, bls.G1_IDENTITY), Share(9, off_curve_g1)], 1),
        ("public_key", [public_shares[0], Share(2, public_shares[1].value[:47])], 2),
        ("public_key", [public_shares[0], Share(2, bytes([0xC0]) + bytes(46) + b"\x01")], 1),
    ]


@pytest.mark.parametrize("backend", bls.backend_names())
def test_fast_recovery_equals_readable(backend: str) -> None:
    """Same bytes, or the same first error (type and message), on every backend."""
    with bls.use_backend(backend):
        for kind, shares, threshold in _fast_and_readable_cases():
            if kind == "signature":
                fast = _outcome(recover_signature, shares, threshold)
                readable = _outcome(readable_recover_signature, shares, threshold)
            else:
                fast = _outcome(recover_public_key, shares, threshold)
                readable = _outcome(readable_recover_public_key, shares, threshold)
            assert fast == readable, (kind, threshold)

"""Ed25519 (ED-1..ED-4): RFC 8032 answers, strict edge cases, and both backends byte-identical."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spec.crypto import ed25519
from spec.crypto.ed25519 import (
    IDENTITY,
    SMALL_ORDER_ENCODINGS,
    B,
    L,
    P,
    ReferenceBackend,
    SodiumBackend,
    decode_point,
    encode_point,
    public_key_from_seed,
    scalar_multiply,
    sign,
    use_backend,
    verify,
)
from spec.errors import (
    InvalidEd25519PublicKey,
    InvalidEd25519Seed,
    MalformedEd25519Signature,
    SpecError,
    UnknownBackend,
)
from tests.hypothesis_profiles import examples

RFC8032 = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
]
BACKENDS = ["sodium", "reference"]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("seed", "public", "message", "signature"), RFC8032)
def test_rfc8032_test_vectors(backend: str, seed: str, public: str, message: str, signature: str) -> None:
    with use_backend(backend):
        assert public_key_from_seed(bytes.fromhex(seed)).hex() == public
        assert sign(bytes.fromhex(seed), bytes.fromhex(message)).hex() == signature
        assert verify(bytes.fromhex(public), bytes.fromhex(message), bytes.fromhex(signature))
        assert not verify(bytes.fromhex(public), bytes.fromhex(message) + b"x", bytes.fromhex(signature))


@settings(max_examples=examples(25))
@given(st.binary(min_size=32, max_size=32), st.binary(max_size=64))
def test_backends_byte_identical(seed: bytes, message: bytes) -> None:
    fast, slow = SodiumBackend(), ReferenceBackend()
    public = fast.public_key(seed)
    assert public == slow.public_key(seed)
    signature = fast.sign(seed, message)
    assert signature == slow.sign(seed, message)
    assert fast.verify_checked(public, message, signature)
    assert slow.verify_checked(public, message, signature)


def test_small_order_set_is_the_torsion_subgroup() -> None:
    assert len(SMALL_ORDER_ENCODINGS) == 8
    for encoding in SMALL_ORDER_ENCODINGS:
        point = decode_point(encoding)
        assert point is not None
        assert encode_point(scalar_multiply(8, point)) == encode_point(IDENTITY)
    assert encode_point(scalar_multiply(L, B)) == encode_point(IDENTITY)


def _edge_cases() -> list[tuple[str, bytes, bytes, bytes]]:
    seed = bytes(range(32))
    message = b"rusty"
    with use_backend("reference"):
        public = public_key_from_seed(seed)
        good = sign(seed, message)
    s = int.from_bytes(good[32:], "little")
    cases = [
        ("valid", public, message, good),
        ("s_plus_l", public, message, good[:32] + (s + L).to_bytes(32, "little")),
        ("s_all_ones", public, message, good[:32] + b"\xff" * 32),
        ("short_signature", public, message, good[:63]),
        ("short_key", public[:31], message, good),
        ("key_y_ge_p", (P + 1).to_bytes(32, "little"), message, good),
        ("key_not_on_curve", (2).to_bytes(32, "little"), message, good),
        ("flipped_r", public, message, bytes([good[0] ^ 1]) + good[1:]),
        ("noncanonical_r", public, message, (P + 1).to_bytes(32, "little") + good[32:]),
    ]
    for index, encoding in enumerate(sorted(SMALL_ORDER_ENCODINGS)):
        cases.append((f"small_order_key_{index}", encoding, message, good))
        cases.append((f"small_order_r_{index}", public, message, encoding + good[32:]))
    return cases


EXPECTED: dict[str, bool | type[Exception]] = {
    "valid": True,
    "s_plus_l": MalformedEd25519Signature,
    "s_all_ones": MalformedEd25519Signature,
    "short_signature": MalformedEd25519Signature,
    "short_key": InvalidEd25519PublicKey,
    "key_y_ge_p": InvalidEd25519PublicKey,
    "key_not_on_curve": InvalidEd25519PublicKey,
    "flipped_r": False,
    "noncanonical_r": False,
}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", _edge_cases(), ids=lambda c: c[0])
def test_strict_rules(backend: str, case: tuple[str, bytes, bytes, bytes]) -> None:
    name, public, message, signature = case
    fallback: bool | type[Exception] = (
        InvalidEd25519PublicKey if name.startswith("small_order_key") else False
    )
    expected = EXPECTED.get(name, fallback)
    with use_backend(backend):
        if isinstance(expected, bool):
            assert verify(public, message, signature) is expected
        else:
            with pytest.raises(expected):
                verify(public, message, signature)


def test_libsodium_agrees_on_the_equation_edge_cases() -> None:
    """libsodium alone (without our pre-checks) rejects what ED-1..ED-3 reject: documents the match."""
    fast = SodiumBackend()
    for name, public, message, signature in _edge_cases():
        if len(public) != 32 or len(signature) != 64:
            continue
        assert fast.verify_checked(public, message, signature) is (name == "valid"), name


@pytest.mark.parametrize("case", _edge_cases(), ids=lambda c: c[0])
def test_fast_path_classifies_like_the_readable_rules(case: tuple[str, bytes, bytes, bytes]) -> None:
    """``verify`` on sodium (libsodium first) and ``verify_readable`` on the pure-Python backend agree
    on the verdict and the error code of every edge case."""
    _, public, message, signature = case

    def outcome(call: Callable[[bytes, bytes, bytes], bool]) -> bool | str:
        try:
            return call(public, message, signature)
        except SpecError as error:
            return error.code

    fast = outcome(verify)
    with use_backend("reference"):
        assert outcome(ed25519.verify_readable) == fast
        assert outcome(verify) == fast


def test_seed_length_and_unknown_backend() -> None:
    for backend in BACKENDS:
        with use_backend(backend), pytest.raises(InvalidEd25519Seed):
            sign(b"short", b"")
    with pytest.raises(UnknownBackend), use_backend("nope"):
        pass
    assert ed25519.backend_names()[0] == "sodium"
